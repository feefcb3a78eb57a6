/*
 * Unit tests for rt_pbwire: protobuf-c's overlong field number 0 is found
 * at the top of a message, inside a message field, in a repeated one, and
 * never looked for in a oneof member that is not set; a message without
 * unknown fields is handed back as it is, and one with them is copied
 * without them, the copy packing to bytes that decode again.
 */
#include "rt_pbwire.h"

#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A tag of field number 0, wire type varint, with a redundant
 * continuation byte, then its value 0. */
#define FIELD_ZERO 0x80, 0x00, 0x00

/* An allocator that remembers what it handed out, for the copies. */
typedef struct tracked {
  void *blocks[64];
  size_t count;
} tracked_t;

static void *tracked_alloc(void *data, size_t size) {
  tracked_t *tracked = data;
  void *block = malloc(size);
  assert_non_null(block);
  assert_true(tracked->count < 64);
  tracked->blocks[tracked->count++] = block;
  return block;
}

static void tracked_free(void *data, void *pointer) {
  (void)data;
  (void)pointer; /* freed all at once by tracked_release */
}

static void tracked_release(tracked_t *tracked) {
  for (size_t i = 0; i < tracked->count; i++)
    free(tracked->blocks[i]);
  tracked->count = 0;
}

static void test_field_zero_at_the_top(void **state) {
  (void)state;
  const uint8_t bytes[] = {0x0a, 0x01, 's', FIELD_ZERO};
  Rectrack__V1__Source *source =
      rectrack__v1__source__unpack(NULL, sizeof bytes, bytes);

  /* protobuf-c 1.4 accepts it; a fixed runtime would refuse it. */
  if (source == NULL)
    return;
  assert_true(rt_pbwire_has_field_zero(&source->base));
  assert_true(rt_pbwire_has_unknown(&source->base));
  /* What protobuf-c packs it back into is what poisoned the store. */
  size_t len = protobuf_c_message_get_packed_size(&source->base);
  uint8_t *packed = malloc(len);
  protobuf_c_message_pack(&source->base, packed);
  assert_null(rectrack__v1__source__unpack(NULL, len, packed));
  free(packed);
  rectrack__v1__source__free_unpacked(source, NULL);
}

static void test_field_zero_inside_and_repeated(void **state) {
  (void)state;
  /* Commitment.indicator (field 13) holding name "i" and the field. */
  const uint8_t commitment[] = {0x6a, 0x06, 0x0a, 0x01, 'i', FIELD_ZERO};
  /* ListSourcesResponse.sources (field 1): a clean one, then one with it. */
  const uint8_t list[] = {0x0a, 0x03, 0x0a, 0x01, 'a',       0x0a,
                          0x06, 0x0a, 0x01, 'b',  FIELD_ZERO};
  Rectrack__V1__Commitment *com =
      rectrack__v1__commitment__unpack(NULL, sizeof commitment, commitment);
  Rectrack__V1__ListSourcesResponse *sources =
      rectrack__v1__list_sources_response__unpack(NULL, sizeof list, list);

  if (com != NULL) {
    assert_non_null(com->indicator);
    assert_int_equal(com->base.n_unknown_fields, 0);
    assert_true(rt_pbwire_has_field_zero(&com->base));
    rectrack__v1__commitment__free_unpacked(com, NULL);
  }
  if (sources != NULL) {
    assert_int_equal(sources->n_sources, 2);
    assert_true(rt_pbwire_has_field_zero(&sources->base));
    rectrack__v1__list_sources_response__free_unpacked(sources, NULL);
  }
}

static void test_unset_oneof_member_is_not_followed(void **state) {
  (void)state;
  /* file_by_filename (a string) is the oneof's member: the union's bytes
   * are a string pointer, never to be read as file_containing_extension's
   * message. */
  const uint8_t clean[] = {0x1a, 0x03, 'a', '.', 'p'};
  const uint8_t dirty[] = {0x1a, 0x03, 'a', '.', 'p', FIELD_ZERO};
  Grpc__Reflection__V1alpha__ServerReflectionRequest *request =
      grpc__reflection__v1alpha__server_reflection_request__unpack(
          NULL, sizeof clean, clean);

  assert_non_null(request);
  assert_false(rt_pbwire_has_field_zero(&request->base));
  assert_false(rt_pbwire_has_unknown(&request->base));
  grpc__reflection__v1alpha__server_reflection_request__free_unpacked(request,
                                                                      NULL);
  request = grpc__reflection__v1alpha__server_reflection_request__unpack(
      NULL, sizeof dirty, dirty);
  if (request != NULL) {
    assert_true(rt_pbwire_has_field_zero(&request->base));
    grpc__reflection__v1alpha__server_reflection_request__free_unpacked(request,
                                                                        NULL);
  }
}

static void test_known_only_copies_without_unknown_fields(void **state) {
  (void)state;
  tracked_t tracked = {0};
  ProtobufCAllocator allocator = {
      .alloc = tracked_alloc, .free = tracked_free, .allocator_data = &tracked};
  uint8_t zero = 0, text[] = "newer";
  ProtobufCMessageUnknownField field_zero = {.tag = 0,
                                             .wire_type =
                                                 PROTOBUF_C_WIRE_TYPE_VARINT,
                                             .len = 1,
                                             .data = &zero};
  ProtobufCMessageUnknownField newer = {
      .tag = 77,
      .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
      .len = 5,
      .data = text};
  Rectrack__V1__Source a = RECTRACK__V1__SOURCE__INIT;
  Rectrack__V1__Source b = RECTRACK__V1__SOURCE__INIT;
  Rectrack__V1__Source *items[] = {&a, &b};
  Rectrack__V1__ListSourcesResponse list =
      RECTRACK__V1__LIST_SOURCES_RESPONSE__INIT;

  a.id = (char *)"a";
  b.id = (char *)"b";
  list.n_sources = 2;
  list.sources = items;
  list.next_page_token = (char *)"t";
  /* Nothing unknown: the message itself, nothing allocated. */
  assert_ptr_equal(rt_pbwire_known_only(&list.base, &allocator), &list.base);
  assert_int_equal(tracked.count, 0);

  b.base.n_unknown_fields = 1;
  b.base.unknown_fields = &field_zero;
  list.base.n_unknown_fields = 1;
  list.base.unknown_fields = &newer;
  const ProtobufCMessage *known = rt_pbwire_known_only(&list.base, &allocator);
  assert_non_null(known);
  assert_ptr_not_equal(known, &list.base);
  assert_false(rt_pbwire_has_unknown(known));
  /* The original is as it was. */
  assert_int_equal(list.base.n_unknown_fields, 1);
  assert_int_equal(b.base.n_unknown_fields, 1);
  assert_ptr_equal(list.sources, items);

  size_t len = protobuf_c_message_get_packed_size(known);
  uint8_t *packed = malloc(len);
  protobuf_c_message_pack(known, packed);
  Rectrack__V1__ListSourcesResponse *back =
      rectrack__v1__list_sources_response__unpack(NULL, len, packed);
  assert_non_null(back);
  assert_int_equal(back->n_sources, 2);
  assert_string_equal(back->sources[0]->id, "a");
  assert_string_equal(back->sources[1]->id, "b");
  assert_string_equal(back->next_page_token, "t");
  assert_false(rt_pbwire_has_unknown(&back->base));
  rectrack__v1__list_sources_response__free_unpacked(back, NULL);
  free(packed);
  tracked_release(&tracked);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_field_zero_at_the_top),
      cmocka_unit_test(test_field_zero_inside_and_repeated),
      cmocka_unit_test(test_unset_oneof_member_is_not_followed),
      cmocka_unit_test(test_known_only_copies_without_unknown_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
