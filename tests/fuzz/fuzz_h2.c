/*
 * fuzz_h2: HTTP/2 frames as a gRPC client writes and reads them, for the
 * fuzz harness (see fuzz_h2.h). Frame layout and flags are RFC 9113
 * section 4.1 and 6; header blocks are RFC 7541. The builder writes only
 * what a plain gRPC client sends; the reader accepts only what a strict
 * gRPC client would (PROTOCOL-HTTP2: a response is HEADERS, DATA of
 * length-prefixed messages, then trailers with grpc-status, or one
 * trailers-only HEADERS).
 */
#include "fuzz_h2.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_grpc.h"

enum {
  FRAME_DATA = 0x0,
  FRAME_HEADERS = 0x1,
  FRAME_PRIORITY = 0x2,
  FRAME_RST_STREAM = 0x3,
  FRAME_SETTINGS = 0x4,
  FRAME_PUSH_PROMISE = 0x5,
  FRAME_PING = 0x6,
  FRAME_GOAWAY = 0x7,
  FRAME_WINDOW_UPDATE = 0x8,
  FRAME_CONTINUATION = 0x9,
};

enum {
  FLAG_END_STREAM = 0x1,
  FLAG_ACK = 0x1,
  FLAG_END_HEADERS = 0x4,
  FLAG_PADDED = 0x8,
  FLAG_PRIORITY = 0x20,
};

#define FRAME_HEADER_LEN 9
#define MAX_FRAME_PAYLOAD 16384 /* SETTINGS_MAX_FRAME_SIZE's initial value */
#define CLIENT_WINDOW (16u << 20)

/* ---- buffers ------------------------------------------------------------ */

void fuzz_buf_append(fuzz_buf_t *buf, const void *bytes, size_t len) {
  if (len == 0)
    return;
  if (buf->len + len > buf->cap) {
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + len)
      cap *= 2;
    uint8_t *grown = realloc(buf->data, cap);
    if (grown == NULL) {
      fprintf(stderr, "fuzz_h2: out of memory\n");
      abort();
    }
    buf->data = grown;
    buf->cap = cap;
  }
  memcpy(buf->data + buf->len, bytes, len);
  buf->len += len;
}

void fuzz_buf_free(fuzz_buf_t *buf) {
  free(buf->data);
  *buf = (fuzz_buf_t){0};
}

/* ---- building ------------------------------------------------------------ */

static void put_frame_header(fuzz_buf_t *out, size_t len, uint8_t type,
                             uint8_t flags, int32_t stream) {
  uint8_t header[FRAME_HEADER_LEN] = {(uint8_t)(len >> 16),
                                      (uint8_t)(len >> 8),
                                      (uint8_t)len,
                                      type,
                                      flags,
                                      (uint8_t)((uint32_t)stream >> 24 & 0x7f),
                                      (uint8_t)(stream >> 16),
                                      (uint8_t)(stream >> 8),
                                      (uint8_t)stream};
  fuzz_buf_append(out, header, sizeof header);
}

static void put_u32(uint8_t *out, uint32_t value) {
  out[0] = (uint8_t)(value >> 24);
  out[1] = (uint8_t)(value >> 16);
  out[2] = (uint8_t)(value >> 8);
  out[3] = (uint8_t)value;
}

void fuzz_h2_client_preface(fuzz_buf_t *out) {
  static const char magic[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  uint8_t settings[12] = {0, 0x2, 0, 0, 0, 0, /* ENABLE_PUSH 0 */
                          0, 0x4};            /* INITIAL_WINDOW_SIZE */
  uint8_t increment[4];

  fuzz_buf_append(out, magic, sizeof magic - 1);
  put_u32(settings + 8, CLIENT_WINDOW);
  put_frame_header(out, sizeof settings, FRAME_SETTINGS, 0, 0);
  fuzz_buf_append(out, settings, sizeof settings);
  put_frame_header(out, 0, FRAME_SETTINGS, FLAG_ACK, 0);
  put_u32(increment, CLIENT_WINDOW);
  put_frame_header(out, sizeof increment, FRAME_WINDOW_UPDATE, 0, 0);
  fuzz_buf_append(out, increment, sizeof increment);
}

/* RFC 7541 section 5.1: an integer with an N-bit prefix; first holds the
 * bits above the prefix. */
static void put_hpack_int(fuzz_buf_t *out, uint8_t first, unsigned prefix_bits,
                          size_t value) {
  size_t max = ((size_t)1 << prefix_bits) - 1;
  uint8_t byte;

  if (value < max) {
    byte = (uint8_t)(first | value);
    fuzz_buf_append(out, &byte, 1);
    return;
  }
  byte = (uint8_t)(first | max);
  fuzz_buf_append(out, &byte, 1);
  value -= max;
  while (value >= 128) {
    byte = (uint8_t)(value % 128 + 128);
    fuzz_buf_append(out, &byte, 1);
    value /= 128;
  }
  byte = (uint8_t)value;
  fuzz_buf_append(out, &byte, 1);
}

static void put_hpack_string(fuzz_buf_t *out, const char *text) {
  size_t len = strlen(text);
  put_hpack_int(out, 0x00, 7, len); /* H = 0: no Huffman coding */
  fuzz_buf_append(out, text, len);
}

void fuzz_h2_headers(fuzz_buf_t *out, int32_t stream,
                     const fuzz_h2_field_t *fields, size_t count,
                     bool end_stream) {
  fuzz_buf_t block = {0};

  for (size_t i = 0; i < count; i++) {
    put_hpack_int(&block, 0x00, 4, 0); /* literal, new name, no indexing */
    put_hpack_string(&block, fields[i].name);
    put_hpack_string(&block, fields[i].value);
  }
  if (block.len > MAX_FRAME_PAYLOAD) {
    fprintf(stderr, "fuzz_h2: header block of %zu bytes\n", block.len);
    abort();
  }
  put_frame_header(out, block.len, FRAME_HEADERS,
                   FLAG_END_HEADERS | (end_stream ? FLAG_END_STREAM : 0),
                   stream);
  fuzz_buf_append(out, block.data, block.len);
  fuzz_buf_free(&block);
}

void fuzz_h2_data(fuzz_buf_t *out, int32_t stream, const uint8_t *bytes,
                  size_t len, size_t split_at, bool end_stream) {
  size_t offset = 0;

  do {
    size_t take = len - offset;
    if (take > MAX_FRAME_PAYLOAD)
      take = MAX_FRAME_PAYLOAD;
    if (split_at > offset && split_at < offset + take)
      take = split_at - offset;
    bool last = offset + take == len;
    put_frame_header(out, take, FRAME_DATA,
                     last && end_stream ? FLAG_END_STREAM : 0, stream);
    fuzz_buf_append(out, bytes + offset, take);
    offset += take;
  } while (offset < len);
}

/* ---- reading ------------------------------------------------------------- */

void fuzz_h2_reader_init(fuzz_h2_reader_t *reader) {
  *reader = (fuzz_h2_reader_t){0};
  if (nghttp2_hd_inflate_new(&reader->inflater) != 0) {
    fprintf(stderr, "fuzz_h2: out of memory\n");
    abort();
  }
  /* The client under fuzzing may allow any header table size; the
   * server's size updates are checked against what a client allows at
   * most, not the default 4 KiB. */
  nghttp2_hd_inflate_change_table_size(reader->inflater, UINT32_MAX);
}

void fuzz_h2_reader_free(fuzz_h2_reader_t *reader) {
  for (size_t i = 0; i < reader->stream_count; i++)
    fuzz_buf_free(&reader->streams[i].data);
  free(reader->streams);
  nghttp2_hd_inflate_del(reader->inflater);
  fuzz_buf_free(&reader->input);
  *reader = (fuzz_h2_reader_t){0};
}

void fuzz_h2_reader_collect(void *data, const uint8_t *bytes, size_t len) {
  fuzz_h2_reader_t *reader = data;
  fuzz_buf_append(&reader->input, bytes, len);
}

__attribute__((format(printf, 2, 3))) static int
reader_fail(fuzz_h2_reader_t *reader, const char *format, ...) {
  va_list args;

  if (reader->error[0] != '\0')
    return -1;
  va_start(args, format);
  vsnprintf(reader->error, sizeof reader->error, format, args);
  va_end(args);
  return -1;
}

const fuzz_h2_stream_t *fuzz_h2_reader_stream(const fuzz_h2_reader_t *reader,
                                              int32_t id) {
  for (size_t i = 0; i < reader->stream_count; i++)
    if (reader->streams[i].id == id)
      return &reader->streams[i];
  return NULL;
}

static fuzz_h2_stream_t *stream_get(fuzz_h2_reader_t *reader, int32_t id) {
  fuzz_h2_stream_t *stream =
      (fuzz_h2_stream_t *)fuzz_h2_reader_stream(reader, id);

  if (stream != NULL)
    return stream;
  if (reader->stream_count == reader->stream_cap) {
    size_t cap = reader->stream_cap ? reader->stream_cap * 2 : 8;
    fuzz_h2_stream_t *grown = realloc(reader->streams, cap * sizeof *grown);
    if (grown == NULL) {
      fprintf(stderr, "fuzz_h2: out of memory\n");
      abort();
    }
    reader->streams = grown;
    reader->stream_cap = cap;
  }
  stream = &reader->streams[reader->stream_count++];
  *stream = (fuzz_h2_stream_t){.id = id, .grpc_status = -1};
  return stream;
}

static int take_field(fuzz_h2_reader_t *reader, fuzz_h2_stream_t *stream,
                      const nghttp2_nv *nv, bool trailers) {
  char value[32];

  if (nv->namelen > 0 && nv->name[0] == ':') {
    if (trailers || nv->namelen != 7 || memcmp(nv->name, ":status", 7) != 0)
      return reader_fail(reader, "stream %d: pseudo-header %.*s %s", stream->id,
                         (int)nv->namelen, nv->name,
                         trailers ? "in trailers" : "in a response");
    if (nv->valuelen != 3 || stream->http_status != 0)
      return reader_fail(reader, "stream %d: bad or repeated :status",
                         stream->id);
    stream->http_status = atoi((const char *)nv->value);
    if (stream->http_status < 200 || stream->http_status > 599)
      return reader_fail(reader, "stream %d: :status %d", stream->id,
                         stream->http_status);
    return 0;
  }
  if (nv->namelen == 11 && memcmp(nv->name, "grpc-status", 11) == 0) {
    if (nv->valuelen == 0 || nv->valuelen >= sizeof value)
      return reader_fail(reader, "stream %d: grpc-status of %zu bytes",
                         stream->id, nv->valuelen);
    memcpy(value, nv->value, nv->valuelen);
    value[nv->valuelen] = '\0';
    char *end;
    long status = strtol(value, &end, 10);
    if (*end != '\0' || status < 0 || status >= RT_GRPC_STATUS_COUNT)
      return reader_fail(reader, "stream %d: grpc-status \"%s\"", stream->id,
                         value);
    stream->grpc_status = (int)status;
  } else if (nv->namelen == 12 && memcmp(nv->name, "grpc-message", 12) == 0) {
    snprintf(stream->grpc_message, sizeof stream->grpc_message, "%.*s",
             (int)nv->valuelen, nv->value);
  }
  return 0;
}

/* Decodes one whole header block of stream (RFC 7541); the response
 * headers when it is the stream's first, else the trailers. */
static int decode_block(fuzz_h2_reader_t *reader, int32_t id,
                        const uint8_t *block, size_t len, bool end_stream) {
  fuzz_h2_stream_t *stream = stream_get(reader, id);
  bool trailers = stream->in_trailers;

  if (stream->end_stream)
    return reader_fail(reader, "stream %d: HEADERS after END_STREAM", id);
  if (trailers && !end_stream)
    return reader_fail(reader, "stream %d: trailers without END_STREAM", id);
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t used =
        nghttp2_hd_inflate_hd2(reader->inflater, &nv, &flags, block, len, 1);
    if (used < 0)
      return reader_fail(reader, "stream %d: header block does not decode: %s",
                         id, nghttp2_strerror((int)used));
    block += used;
    len -= (size_t)used;
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) &&
        take_field(reader, stream, &nv, trailers) != 0)
      return -1;
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(reader->inflater);
      break;
    }
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && len == 0)
      break;
  }
  if (!trailers && stream->http_status == 0)
    return reader_fail(reader, "stream %d: response without :status", id);
  stream->in_trailers = true;
  if (end_stream)
    stream->end_stream = true;
  return 0;
}

/* Strips the padding (and the priority fields of HEADERS) off payload. */
static int frame_body(fuzz_h2_reader_t *reader, uint8_t type, uint8_t flags,
                      const uint8_t **payload, size_t *len) {
  size_t pad = 0;

  if (flags & FLAG_PADDED) {
    if (*len < 1)
      return reader_fail(reader, "padded frame without a pad length");
    pad = (*payload)[0];
    (*payload)++;
    (*len)--;
  }
  if (type == FRAME_HEADERS && (flags & FLAG_PRIORITY)) {
    if (*len < 5)
      return reader_fail(reader, "HEADERS too short for its priority");
    *payload += 5;
    *len -= 5;
  }
  if (pad > *len)
    return reader_fail(reader, "padding longer than the frame");
  *len -= pad;
  return 0;
}

/* The header block being assembled from HEADERS and CONTINUATION. */
typedef struct block_state {
  bool open;
  int32_t stream;
  bool end_stream;
  fuzz_buf_t bytes;
} block_state_t;

static int read_data(fuzz_h2_reader_t *reader, int32_t id, uint8_t flags,
                     const uint8_t *body, size_t len) {
  fuzz_h2_stream_t *stream = stream_get(reader, id);

  if (!stream->in_trailers)
    return reader_fail(reader, "stream %d: DATA before response headers", id);
  if (stream->end_stream)
    return reader_fail(reader, "stream %d: DATA after END_STREAM", id);
  fuzz_buf_append(&stream->data, body, len);
  if (flags & FLAG_END_STREAM)
    stream->end_stream = true;
  return 0;
}

static int read_frame(fuzz_h2_reader_t *reader, block_state_t *block,
                      uint8_t type, uint8_t flags, int32_t id,
                      const uint8_t *payload, size_t len) {
  if (block->open && (type != FRAME_CONTINUATION || id != block->stream))
    return reader_fail(reader,
                       "frame type %u inside the header block of "
                       "stream %d",
                       type, block->stream);
  bool on_stream = type == FRAME_DATA || type == FRAME_HEADERS ||
                   type == FRAME_RST_STREAM || type == FRAME_CONTINUATION ||
                   type == FRAME_PRIORITY;
  if (on_stream && (id == 0 || id % 2 == 0))
    return reader_fail(reader, "frame type %u on stream %d", type, id);
  if ((type == FRAME_SETTINGS || type == FRAME_PING || type == FRAME_GOAWAY) &&
      id != 0)
    return reader_fail(reader, "frame type %u on stream %d", type, id);
  switch (type) {
  case FRAME_DATA:
    if (frame_body(reader, type, flags, &payload, &len) != 0)
      return -1;
    return read_data(reader, id, flags, payload, len);
  case FRAME_HEADERS:
    if (frame_body(reader, type, flags, &payload, &len) != 0)
      return -1;
    *block = (block_state_t){.open = true,
                             .stream = id,
                             .end_stream = flags & FLAG_END_STREAM,
                             .bytes = block->bytes};
    block->bytes.len = 0;
    /* fall through */
  case FRAME_CONTINUATION:
    if (!block->open)
      return reader_fail(reader, "CONTINUATION without HEADERS on stream %d",
                         id);
    fuzz_buf_append(&block->bytes, payload, len);
    if (!(flags & FLAG_END_HEADERS))
      return 0;
    block->open = false;
    return decode_block(reader, id, block->bytes.data, block->bytes.len,
                        block->end_stream);
  case FRAME_RST_STREAM:
    if (len != 4)
      return reader_fail(reader, "RST_STREAM of %zu bytes", len);
    fuzz_h2_stream_t *stream = stream_get(reader, id);
    stream->reset = true;
    stream->reset_code = (uint32_t)payload[0] << 24 |
                         (uint32_t)payload[1] << 16 |
                         (uint32_t)payload[2] << 8 | payload[3];
    return 0;
  case FRAME_SETTINGS:
    if (len % 6 != 0 || ((flags & FLAG_ACK) && len != 0))
      return reader_fail(reader, "SETTINGS of %zu bytes", len);
    return 0;
  case FRAME_PING:
    return len == 8 ? 0 : reader_fail(reader, "PING of %zu bytes", len);
  case FRAME_GOAWAY:
    if (len < 8)
      return reader_fail(reader, "GOAWAY of %zu bytes", len);
    reader->goaway = true;
    reader->goaway_code = (uint32_t)payload[4] << 24 |
                          (uint32_t)payload[5] << 16 |
                          (uint32_t)payload[6] << 8 | payload[7];
    return 0;
  case FRAME_WINDOW_UPDATE:
    return len == 4 ? 0
                    : reader_fail(reader, "WINDOW_UPDATE of %zu bytes", len);
  case FRAME_PRIORITY:
    return len == 5 ? 0 : reader_fail(reader, "PRIORITY of %zu bytes", len);
  case FRAME_PUSH_PROMISE:
    return reader_fail(reader, "the server pushed (PUSH_PROMISE)");
  default:
    return reader_fail(reader, "unknown frame type %u", type);
  }
}

/* A finished stream's DATA must be whole gRPC messages, never compressed
 * (the server does not compress). */
static int check_messages(fuzz_h2_reader_t *reader, fuzz_h2_stream_t *stream) {
  size_t offset = 0;
  const uint8_t *data = stream->data.data;

  stream->messages = 0;
  while (stream->data.len - offset >= RT_GRPC_PREFIX_LEN) {
    uint32_t len = (uint32_t)data[offset + 1] << 24 |
                   (uint32_t)data[offset + 2] << 16 |
                   (uint32_t)data[offset + 3] << 8 | data[offset + 4];
    if (data[offset] != 0)
      return reader_fail(reader, "stream %d: message flag %u", stream->id,
                         data[offset]);
    if (stream->data.len - offset - RT_GRPC_PREFIX_LEN < len)
      break;
    offset += RT_GRPC_PREFIX_LEN + len;
    stream->messages++;
  }
  if (stream->end_stream && offset != stream->data.len)
    return reader_fail(reader, "stream %d ended inside a message", stream->id);
  return 0;
}

int fuzz_h2_reader_parse(fuzz_h2_reader_t *reader) {
  const uint8_t *p = reader->input.data;
  size_t left = reader->input.len;
  block_state_t block = {0};
  bool first = true;
  int rc = 0;

  while (rc == 0 && left > 0) {
    if (left < FRAME_HEADER_LEN) {
      rc = reader_fail(reader, "output ends inside a frame header");
      break;
    }
    size_t len = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
    uint8_t type = p[3], flags = p[4];
    int32_t id = (int32_t)((uint32_t)(p[5] & 0x7f) << 24 |
                           (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8]);
    if (left - FRAME_HEADER_LEN < len) {
      rc = reader_fail(reader, "output ends inside a frame of type %u", type);
      break;
    }
    if (first && (type != FRAME_SETTINGS || (flags & FLAG_ACK)))
      rc = reader_fail(reader,
                       "the server's first frame is type %u, not "
                       "SETTINGS",
                       type);
    first = false;
    if (rc == 0)
      rc = read_frame(reader, &block, type, flags, id, p + FRAME_HEADER_LEN,
                      len);
    p += FRAME_HEADER_LEN + len;
    left -= FRAME_HEADER_LEN + len;
  }
  if (rc == 0 && block.open)
    rc = reader_fail(reader, "output ends inside a header block");
  fuzz_buf_free(&block.bytes);
  for (size_t i = 0; rc == 0 && i < reader->stream_count; i++) {
    fuzz_h2_stream_t *stream = &reader->streams[i];
    if (stream->end_stream && stream->http_status == 200 &&
        stream->grpc_status < 0)
      rc = reader_fail(reader, "stream %d ended without grpc-status",
                       stream->id);
    if (rc == 0)
      rc = check_messages(reader, stream);
  }
  return rc;
}

int fuzz_h2_stream_messages(const fuzz_h2_stream_t *stream,
                            int (*visit)(const uint8_t *message, size_t len,
                                         void *data),
                            void *data) {
  const uint8_t *bytes = stream->data.data;
  size_t offset = 0;

  for (size_t i = 0; i < stream->messages; i++) {
    size_t len = (size_t)bytes[offset + 1] << 24 |
                 (size_t)bytes[offset + 2] << 16 |
                 (size_t)bytes[offset + 3] << 8 | bytes[offset + 4];
    int rc = visit(bytes + offset + RT_GRPC_PREFIX_LEN, len, data);
    if (rc != 0)
      return rc;
    offset += RT_GRPC_PREFIX_LEN + len;
  }
  return 0;
}

void fuzz_h2_stream_outcome(const fuzz_h2_stream_t *stream, char *out,
                            size_t size) {
  if (stream == NULL)
    snprintf(out, size, "NONE");
  else if (stream->http_status != 0 && stream->http_status != 200)
    snprintf(out, size, "HTTP-%d", stream->http_status);
  else if (stream->grpc_status >= 0)
    snprintf(out, size, "%s", rt_grpc_status_name(stream->grpc_status));
  else if (stream->reset)
    snprintf(out, size, "RST-%u", stream->reset_code);
  else if (stream->http_status == 200)
    snprintf(out, size, "OPEN");
  else
    snprintf(out, size, "NONE");
}
