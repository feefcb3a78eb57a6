/*
 * rt_grpc_frame: gRPC message framing. Every gRPC message on an HTTP/2
 * stream is a 1-byte compressed flag, a 4-byte big-endian length and the
 * message bytes; HTTP/2 DATA frames cut that sequence anywhere. The
 * decoder here is fed chunks exactly as they arrive and yields whole
 * messages, pointing straight into the input when a message arrived in
 * one piece and copying only when it straddles chunks. It checks the
 * declared length against the limit before buffering anything, so an
 * oversized message costs no memory.
 */
#include "rt_grpc.h"

#include <stdlib.h>
#include <string.h>

#include "rt_error.h"

int rt_grpc_prefix_encode(uint8_t out[RT_GRPC_PREFIX_LEN], size_t len,
                          int compressed) {
  if (len > UINT32_MAX)
    return RT_ETOOBIG;
  out[0] = compressed ? 1 : 0;
  out[1] = (uint8_t)(len >> 24);
  out[2] = (uint8_t)(len >> 16);
  out[3] = (uint8_t)(len >> 8);
  out[4] = (uint8_t)len;
  return 0;
}

int rt_grpc_frame_encode(const uint8_t *message, size_t len, uint8_t **out,
                         size_t *out_len) {
  uint8_t *frame;
  int rc;

  *out = NULL;
  *out_len = 0;
  if (len > UINT32_MAX)
    return RT_ETOOBIG;
  frame = malloc(len + RT_GRPC_PREFIX_LEN);
  if (frame == NULL)
    return RT_ENOMEM;
  rc = rt_grpc_prefix_encode(frame, len, 0);
  if (rc != 0) {
    free(frame);
    return rc;
  }
  if (len > 0)
    memcpy(frame + RT_GRPC_PREFIX_LEN, message, len);
  *out = frame;
  *out_len = len + RT_GRPC_PREFIX_LEN;
  return 0;
}

void rt_grpc_decoder_init(rt_grpc_decoder_t *decoder,
                          size_t max_message_bytes) {
  memset(decoder, 0, sizeof(*decoder));
  decoder->max_message_bytes = max_message_bytes;
}

void rt_grpc_decoder_free(rt_grpc_decoder_t *decoder) {
  free(decoder->buffer);
  decoder->buffer = NULL;
  decoder->buffer_cap = 0;
}

/* Takes prefix bytes; returns 1 once the prefix is complete and checked. */
static int take_prefix(rt_grpc_decoder_t *decoder, const uint8_t **data,
                       size_t *len) {
  size_t want = RT_GRPC_PREFIX_LEN - decoder->prefix_have;
  size_t take = *len < want ? *len : want;
  const uint8_t *p = decoder->prefix;

  memcpy(decoder->prefix + decoder->prefix_have, *data, take);
  decoder->prefix_have += take;
  *data += take;
  *len -= take;
  if (decoder->prefix_have < RT_GRPC_PREFIX_LEN)
    return 0;
  decoder->compressed = p[0] & 1;
  decoder->body_len = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) |
                      ((size_t)p[3] << 8) | (size_t)p[4];
  decoder->body_have = 0;
  if (decoder->body_len > decoder->max_message_bytes) {
    decoder->failed = 1;
    return RT_ETOOBIG;
  }
  return 1;
}

/* Makes room for the whole body of the current message. */
static int reserve_body(rt_grpc_decoder_t *decoder) {
  uint8_t *grown;

  if (decoder->buffer_cap >= decoder->body_len)
    return 0;
  grown = realloc(decoder->buffer, decoder->body_len);
  if (grown == NULL)
    return RT_ENOMEM;
  decoder->buffer = grown;
  decoder->buffer_cap = decoder->body_len;
  return 0;
}

static void yield_message(rt_grpc_decoder_t *decoder, const uint8_t *body,
                          rt_grpc_message_t *message) {
  message->data = body;
  message->len = decoder->body_len;
  message->compressed = decoder->compressed;
  decoder->prefix_have = 0;
  decoder->body_have = 0;
}

int rt_grpc_decoder_next(rt_grpc_decoder_t *decoder, const uint8_t **data,
                         size_t *len, rt_grpc_message_t *message) {
  int rc;
  size_t take;

  if (decoder->failed)
    return RT_ETOOBIG;
  if (decoder->prefix_have < RT_GRPC_PREFIX_LEN) {
    rc = take_prefix(decoder, data, len);
    if (rc <= 0)
      return rc;
    /* Fast path: the whole body is in this chunk, no copy. */
    if (*len >= decoder->body_len) {
      const uint8_t *body = *data;
      *data += decoder->body_len;
      *len -= decoder->body_len;
      yield_message(decoder, body, message);
      return 1;
    }
    rc = reserve_body(decoder);
    if (rc != 0)
      return rc;
  }
  take = decoder->body_len - decoder->body_have;
  if (take > *len)
    take = *len;
  if (take > 0)
    memcpy(decoder->buffer + decoder->body_have, *data, take);
  decoder->body_have += take;
  *data += take;
  *len -= take;
  if (decoder->body_have < decoder->body_len)
    return 0;
  yield_message(decoder, decoder->buffer, message);
  return 1;
}

int rt_grpc_decoder_at_boundary(const rt_grpc_decoder_t *decoder) {
  return decoder->prefix_have == 0;
}

size_t rt_grpc_decoder_declared_len(const rt_grpc_decoder_t *decoder) {
  return decoder->body_len;
}
