/*
 * Tests for tracker_arena, the memory of one Tracker request: what it
 * hands out is aligned and stays put while the arena grows, a request
 * unpacks into it through the ProtobufCAllocator, and one call frees it
 * all (the leak checker of the sanitizer build holds the last part).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdalign.h>
#include <string.h>

#include "rectrack/v1/tracker.pb-c.h"
#include "tracker_arena.h"

static void test_allocations_are_aligned_and_keep_their_bytes(void **state) {
  (void)state;
  tracker_arena_t *arena = tracker_arena_new(64);
  assert_non_null(arena);
  unsigned char *blocks[200];
  for (size_t i = 0; i < 200; i++) { /* far past the first block */
    size_t size = 1 + i % 37;
    blocks[i] = tracker_arena_alloc(arena, size);
    assert_non_null(blocks[i]);
    assert_int_equal((uintptr_t)blocks[i] % alignof(max_align_t), 0);
    memset(blocks[i], (int)i, size);
  }
  for (size_t i = 0; i < 200; i++)
    for (size_t j = 0; j < 1 + i % 37; j++)
      assert_int_equal(blocks[i][j], (unsigned char)i);
  tracker_arena_free(arena);
}

static void test_a_large_allocation_gets_a_block_of_its_own(void **state) {
  (void)state;
  tracker_arena_t *arena = tracker_arena_new(16);
  char *small = tracker_arena_alloc(arena, 8);
  char *large = tracker_arena_alloc(arena, 3u << 20); /* > the block cap */
  char *after = tracker_arena_alloc(arena, 8);
  assert_non_null(small);
  assert_non_null(large);
  assert_non_null(after);
  memset(large, 'x', 3u << 20);
  assert_null(tracker_arena_alloc(arena, SIZE_MAX - 8));
  tracker_arena_free(arena);
  tracker_arena_free(NULL);
}

static void test_a_request_unpacks_into_the_arena(void **state) {
  (void)state;
  Rectrack__V1__Measurement measurement = RECTRACK__V1__MEASUREMENT__INIT;
  measurement.commitment_id = "C7";
  measurement.value = 3.3;
  Rectrack__V1__RecordMeasurementRequest request =
      RECTRACK__V1__RECORD_MEASUREMENT_REQUEST__INIT;
  request.commitment_id = "C7";
  request.measurement = &measurement;
  uint8_t packed[128];
  size_t len = protobuf_c_message_get_packed_size(&request.base);
  assert_true(len <= sizeof packed);
  protobuf_c_message_pack(&request.base, packed);

  tracker_arena_t *arena = tracker_arena_new(32); /* grows while unpacking */
  Rectrack__V1__RecordMeasurementRequest *copy =
      rectrack__v1__record_measurement_request__unpack(
          tracker_arena_allocator(arena), len, packed);
  assert_non_null(copy);
  assert_string_equal(copy->commitment_id, "C7");
  assert_non_null(copy->measurement);
  assert_true(copy->measurement->value == 3.3);
  /* Pointing one field at another's string is safe: nothing is freed
   * field by field. */
  copy->measurement->commitment_id = copy->commitment_id;
  char *name = tracker_arena_strdup(arena, "secretariat");
  assert_string_equal(name, "secretariat");
  tracker_arena_free(arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allocations_are_aligned_and_keep_their_bytes),
      cmocka_unit_test(test_a_large_allocation_gets_a_block_of_its_own),
      cmocka_unit_test(test_a_request_unpacks_into_the_arena),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
