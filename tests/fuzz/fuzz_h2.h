/*
 * fuzz_h2: the client's side of HTTP/2 for the fuzz harness, without a
 * client library in the way: a builder of the frames a gRPC client sends
 * (for the structure-aware target, which wraps fuzzed messages in a valid
 * envelope), and a reader of everything the server wrote, which checks it
 * as a strict client would (the oracle of every target) and records what
 * each stream was answered.
 *
 * The reader is deliberately independent of the server's own code: it
 * parses frames itself and decodes header blocks with nghttp2's HPACK
 * inflater alone, so a server that writes a malformed frame, an
 * undecodable header block or a response without a gRPC status is caught
 * here, not trusted.
 */
#ifndef FUZZ_H2_H
#define FUZZ_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

/* A growing byte buffer; allocation failure aborts (a harness has no
 * better answer). */
typedef struct fuzz_buf {
  uint8_t *data;
  size_t len, cap;
} fuzz_buf_t;

void fuzz_buf_append(fuzz_buf_t *buf, const void *bytes, size_t len);
void fuzz_buf_free(fuzz_buf_t *buf);

/* ---- building requests ------------------------------------------------- */

typedef struct fuzz_h2_field {
  const char *name, *value;
} fuzz_h2_field_t;

/* The client connection preface: the magic, SETTINGS opening the
 * server's windows to the client wide (so whole responses come out),
 * the ACK of the server's SETTINGS, and a connection WINDOW_UPDATE. */
void fuzz_h2_client_preface(fuzz_buf_t *out);

/* A HEADERS frame on stream with fields as literals without indexing
 * (RFC 7541 section 6.2.2), END_HEADERS, END_STREAM when end_stream. The
 * fields must fit in one frame (16 KiB). */
void fuzz_h2_headers(fuzz_buf_t *out, int32_t stream,
                     const fuzz_h2_field_t *fields, size_t count,
                     bool end_stream);

/* DATA frames on stream carrying bytes, at most 16 KiB each (split_at,
 * when between 0 and len, also ends a frame there); the last one has
 * END_STREAM when end_stream. */
void fuzz_h2_data(fuzz_buf_t *out, int32_t stream, const uint8_t *bytes,
                  size_t len, size_t split_at, bool end_stream);

/* ---- reading what the server wrote ------------------------------------- */

/* What one stream was answered. */
typedef struct fuzz_h2_stream {
  int32_t id;
  int http_status;        /* :status, 0 if no response headers came */
  int grpc_status;        /* -1 if no grpc-status came */
  char grpc_message[160]; /* percent-encoded as sent, truncated */
  bool end_stream;        /* the server ended the stream */
  bool reset;             /* the server sent RST_STREAM */
  uint32_t reset_code;
  fuzz_buf_t data;  /* every DATA byte (gRPC length-prefixed messages) */
  size_t messages;  /* complete messages in data */
  bool in_trailers; /* the next header block is the trailers */
} fuzz_h2_stream_t;

typedef struct fuzz_h2_reader {
  fuzz_buf_t input; /* everything the server wrote, in order */
  nghttp2_hd_inflater *inflater;
  fuzz_h2_stream_t *streams;
  size_t stream_count, stream_cap;
  bool goaway;
  uint32_t goaway_code;
  char error[256]; /* the first thing a strict client would refuse */
} fuzz_h2_reader_t;

void fuzz_h2_reader_init(fuzz_h2_reader_t *reader);
void fuzz_h2_reader_free(fuzz_h2_reader_t *reader);

/* An rt_server_output_fn (data is the reader): appends to input. */
void fuzz_h2_reader_collect(void *data, const uint8_t *bytes, size_t len);

/* Parses input once the connection is over. Returns 0, or -1 with
 * reader->error saying what the server got wrong: no SETTINGS first, a
 * truncated or malformed frame, an undecodable header block, DATA before
 * response headers, a response ended without grpc-status, a gRPC
 * message prefix that is neither 0 nor whole. */
int fuzz_h2_reader_parse(fuzz_h2_reader_t *reader);

/* The stream with that id, or NULL if the server wrote nothing on it. */
const fuzz_h2_stream_t *fuzz_h2_reader_stream(const fuzz_h2_reader_t *reader,
                                              int32_t id);

/* Visits the complete gRPC messages of a stream, in order, until visit
 * returns non-zero (returned). */
int fuzz_h2_stream_messages(const fuzz_h2_stream_t *stream,
                            int (*visit)(const uint8_t *message, size_t len,
                                         void *data),
                            void *data);

/* What a stream's call came to, into out: its grpc-status by name ("OK",
 * "NOT_FOUND"), "HTTP-415" (a non-200 response), "RST-8" (reset with that
 * code, no status), "OPEN" (answered in part, never ended: a stream the
 * shutdown cut) or "NONE" (nothing). */
void fuzz_h2_stream_outcome(const fuzz_h2_stream_t *stream, char *out,
                            size_t size);

#endif /* FUZZ_H2_H */
