/*
 * Tests for the gRPC message framing: the prefix layout, and the decoder
 * fed the same stream in every chunking (one byte at a time, whole, split
 * inside the prefix and inside the body), the size limit, the compressed
 * flag and the boundary check used to detect truncated streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_grpc.h"

static void test_prefix_is_flag_and_big_endian_length(void **state) {
  uint8_t prefix[RT_GRPC_PREFIX_LEN];
  (void)state;
  assert_int_equal(rt_grpc_prefix_encode(prefix, 0x01020304, 1), 0);
  assert_int_equal(prefix[0], 1);
  assert_int_equal(prefix[1], 1);
  assert_int_equal(prefix[2], 2);
  assert_int_equal(prefix[3], 3);
  assert_int_equal(prefix[4], 4);
}

static void test_encode_copies_message_after_prefix(void **state) {
  uint8_t *frame;
  size_t len;
  (void)state;
  assert_int_equal(
      rt_grpc_frame_encode((const uint8_t *)"abc", 3, &frame, &len), 0);
  assert_int_equal(len, 8);
  assert_memory_equal(frame, "\0\0\0\0\3abc", 8);
  free(frame);
  assert_int_equal(rt_grpc_frame_encode(NULL, 0, &frame, &len), 0);
  assert_int_equal(len, 5);
  assert_memory_equal(frame, "\0\0\0\0\0", 5);
  free(frame);
}

/* Three messages (7 bytes, empty, 300 bytes) framed back to back. */
static size_t build_stream(uint8_t *out) {
  size_t n = 0;
  uint8_t big[300];
  memset(big, 'x', sizeof(big));
  rt_grpc_prefix_encode(out + n, 7, 0);
  memcpy(out + n + 5, "message", 7);
  n += 12;
  rt_grpc_prefix_encode(out + n, 0, 0);
  n += 5;
  rt_grpc_prefix_encode(out + n, sizeof(big), 0);
  memcpy(out + n + 5, big, sizeof(big));
  n += 5 + sizeof(big);
  return n;
}

/* Feeds stream in chunks of chunk bytes; checks the three messages. */
static void decode_in_chunks(const uint8_t *stream, size_t total,
                             size_t chunk) {
  rt_grpc_decoder_t decoder;
  size_t offset = 0;
  size_t seen = 0;
  size_t lens[3] = {7, 0, 300};

  rt_grpc_decoder_init(&decoder, 1000);
  while (offset < total) {
    size_t len = total - offset < chunk ? total - offset : chunk;
    const uint8_t *data = stream + offset;
    rt_grpc_message_t message;
    int rc;
    offset += len;
    while ((rc = rt_grpc_decoder_next(&decoder, &data, &len, &message)) == 1) {
      assert_true(seen < 3);
      assert_int_equal(message.len, lens[seen]);
      assert_int_equal(message.compressed, 0);
      if (seen == 0)
        assert_memory_equal(message.data, "message", 7);
      if (seen == 2)
        assert_int_equal(message.data[299], 'x');
      seen++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(len, 0);
  }
  assert_int_equal(seen, 3);
  assert_true(rt_grpc_decoder_at_boundary(&decoder));
  rt_grpc_decoder_free(&decoder);
}

static void test_decoder_yields_same_messages_in_any_chunking(void **state) {
  uint8_t stream[400];
  size_t total = build_stream(stream);
  size_t chunk;
  (void)state;
  for (chunk = 1; chunk <= total; chunk++)
    decode_in_chunks(stream, total, chunk);
}

static void test_oversized_message_is_rejected_before_buffering(void **state) {
  rt_grpc_decoder_t decoder;
  uint8_t prefix[RT_GRPC_PREFIX_LEN];
  const uint8_t *data = prefix;
  size_t len = sizeof(prefix);
  rt_grpc_message_t message;
  (void)state;
  rt_grpc_decoder_init(&decoder, 10);
  rt_grpc_prefix_encode(prefix, 11, 0);
  assert_int_equal(rt_grpc_decoder_next(&decoder, &data, &len, &message),
                   RT_ETOOBIG);
  assert_int_equal(rt_grpc_decoder_declared_len(&decoder), 11);
  assert_null(decoder.buffer);
  /* Stays failed. */
  assert_int_equal(rt_grpc_decoder_next(&decoder, &data, &len, &message),
                   RT_ETOOBIG);
  rt_grpc_decoder_free(&decoder);
}

static void test_message_at_limit_is_accepted(void **state) {
  rt_grpc_decoder_t decoder;
  uint8_t frame[15] = {0, 0, 0, 0, 10};
  const uint8_t *data = frame;
  size_t len = sizeof(frame);
  rt_grpc_message_t message;
  (void)state;
  rt_grpc_decoder_init(&decoder, 10);
  assert_int_equal(rt_grpc_decoder_next(&decoder, &data, &len, &message), 1);
  assert_int_equal(message.len, 10);
  rt_grpc_decoder_free(&decoder);
}

static void test_compressed_flag_is_reported(void **state) {
  rt_grpc_decoder_t decoder;
  uint8_t frame[6] = {1, 0, 0, 0, 1, 'z'};
  const uint8_t *data = frame;
  size_t len = sizeof(frame);
  rt_grpc_message_t message;
  (void)state;
  rt_grpc_decoder_init(&decoder, 10);
  assert_int_equal(rt_grpc_decoder_next(&decoder, &data, &len, &message), 1);
  assert_int_equal(message.compressed, 1);
  rt_grpc_decoder_free(&decoder);
}

static void test_truncated_stream_is_not_at_boundary(void **state) {
  rt_grpc_decoder_t decoder;
  uint8_t frame[7] = {0, 0, 0, 0, 4, 'a', 'b'};
  const uint8_t *data = frame;
  size_t len = 3;
  rt_grpc_message_t message;
  (void)state;
  rt_grpc_decoder_init(&decoder, 10);
  assert_true(rt_grpc_decoder_at_boundary(&decoder));
  assert_int_equal(rt_grpc_decoder_next(&decoder, &data, &len, &message), 0);
  assert_false(rt_grpc_decoder_at_boundary(&decoder));
  len = 4;
  assert_int_equal(rt_grpc_decoder_next(&decoder, &data, &len, &message), 0);
  assert_false(rt_grpc_decoder_at_boundary(&decoder));
  rt_grpc_decoder_free(&decoder);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefix_is_flag_and_big_endian_length),
      cmocka_unit_test(test_encode_copies_message_after_prefix),
      cmocka_unit_test(test_decoder_yields_same_messages_in_any_chunking),
      cmocka_unit_test(test_oversized_message_is_rejected_before_buffering),
      cmocka_unit_test(test_message_at_limit_is_accepted),
      cmocka_unit_test(test_compressed_flag_is_reported),
      cmocka_unit_test(test_truncated_stream_is_not_at_boundary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
