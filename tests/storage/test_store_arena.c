/*
 * Arena: the per-request memory of the storage engine (store_internal.h).
 * Allocations are aligned for any type and never overlap, across blocks;
 * a reset makes the kept block serve the next request from its start; a
 * message unpacked through the arena's ProtobufCAllocator lives in it and
 * goes with it; a huge request's block is not kept. Leak detection under
 * ASan checks that store_arena_free releases everything.
 */
#include "store_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_allocations_are_aligned_and_kept_apart(void **state) {
  (void)state;
  store_arena_t arena;
  store_arena_init(&arena);
  enum { N = 2000 };
  static unsigned char *pieces[N];
  for (size_t i = 0; i < N; i++) { /* 1..97 bytes: several blocks */
    size_t size = 1 + i % 97;
    pieces[i] = store_arena_alloc(&arena, size);
    assert_non_null(pieces[i]);
    assert_int_equal((uintptr_t)pieces[i] % _Alignof(max_align_t), 0);
    memset(pieces[i], (int)(i & 0xff), size);
  }
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < 1 + i % 97; j++)
      assert_int_equal(pieces[i][j], (unsigned char)(i & 0xff));
  assert_false(arena.failed);
  store_arena_free(&arena);
}

static void
test_reset_serves_the_next_request_from_the_kept_block(void **state) {
  (void)state;
  store_arena_t arena;
  store_arena_init(&arena);
  void *first = store_arena_alloc(&arena, 100);
  assert_non_null(first);
  store_arena_reset(&arena);
  assert_ptr_equal(store_arena_alloc(&arena, 100), first);
  /* Past the first block, the newest and largest block is the one kept. */
  for (int i = 0; i < 100; i++)
    assert_non_null(store_arena_alloc(&arena, 1000));
  void *newest = arena.blocks;
  store_arena_reset(&arena);
  assert_ptr_equal(arena.blocks, newest);
  store_arena_free(&arena);
  assert_null(arena.blocks);
}

static void test_huge_request_memory_is_not_kept(void **state) {
  (void)state;
  store_arena_t arena;
  store_arena_init(&arena);
  unsigned char *big = store_arena_alloc(&arena, 4 * 1024 * 1024);
  assert_non_null(big);
  memset(big, 1, 4 * 1024 * 1024);
  store_arena_reset(&arena);
  assert_null(arena.blocks);
  assert_non_null(store_arena_alloc(&arena, 10));
  store_arena_free(&arena);
}

static void test_unpacked_message_lives_in_the_arena(void **state) {
  (void)state;
  static char *sdg[] = {(char *)"10.7", (char *)"10.c"};
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.id = (char *)"R7";
  rec.title = (char *)"Lower remittance costs";
  rec.sdg_targets = sdg;
  rec.n_sdg_targets = 2;
  uint8_t packed[256];
  size_t len = rectrack__v1__recommendation__pack(&rec, packed);
  store_arena_t arena;
  store_arena_init(&arena);
  ProtobufCMessage *out = NULL;
  rt_error_t err;
  assert_int_equal(store_unpack(&arena,
                                &rectrack__v1__recommendation__descriptor,
                                packed, len, &out, &err),
                   0);
  Rectrack__V1__Recommendation *got = (void *)out;
  assert_string_equal(got->title, "Lower remittance costs");
  assert_int_equal(got->n_sdg_targets, 2);
  assert_string_equal(got->sdg_targets[1], "10.c");
  /* Changing a field is an assignment: nothing is freed field by field. */
  got->title = store_arena_strdup(&arena, NULL);
  assert_string_equal(got->title, "");
  uint8_t garbage[] = {0xff, 0xff, 0xff};
  assert_int_equal(store_unpack(&arena,
                                &rectrack__v1__recommendation__descriptor,
                                garbage, sizeof garbage, &out, &err),
                   RT_ECORRUPT);
  assert_non_null(strstr(err.message, "does not decode"));
  store_arena_free(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allocations_are_aligned_and_kept_apart),
      cmocka_unit_test(test_reset_serves_the_next_request_from_the_kept_block),
      cmocka_unit_test(test_huge_request_memory_is_not_kept),
      cmocka_unit_test(test_unpacked_message_lives_in_the_arena),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
