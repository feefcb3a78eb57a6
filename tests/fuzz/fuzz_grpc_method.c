/*
 * fuzz_grpc_method: libFuzzer target for the request messages and the
 * handlers behind them. The harness wraps the input in a valid gRPC call
 * (fuzz_h2 builds the frames), so that the fuzzer's time goes to protobuf
 * decoding, authentication and roles, the Tracker's handlers and the
 * storage engine's validation, not to HTTP/2 and HPACK:
 *
 *   byte 0     the method: index into fuzz_methods.h, modulo their count
 *   byte 1     how the call is made (FLAG_* below)
 *   the rest   the request message, as the method's input type
 *
 * Oracles besides the sanitizers: the response is valid HTTP/2 and gRPC
 * (fuzz_h2_reader_parse); the call is answered; a bad request is never
 * INTERNAL, UNKNOWN or DATA_LOSS (the API promises INTERNAL never blames
 * the client's input) and names what is wrong in grpc-message; every
 * message of an OK answer decodes as the method's output type; and with
 * tokens configured, a Tracker call without a known token is
 * UNAUTHENTICATED and one whose token's role is below the method's
 * PERMISSION_DENIED, whatever the request holds.
 *
 * Backup is called only with roles below admin (so only its refusal is
 * fuzzed here): an admin's Backup writes a copy of the store wherever the
 * request's absolute path says, and a fuzzer would litter the machine
 * with directories. The e2e tests cover Backup itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_methods.h"
#include "fuzz_server.h"
#include "rt_grpc.h"
#include "rt_server.h"

/* Byte 1. Bits 0-1 and 7 pick the credentials (credentials_of): with
 * tokens, the secretariat's, the reader's, an unknown token, none, the
 * reporter's, the admin's, "Bearer" without a token, another scheme; on
 * the open API (FLAG_OPEN_API), an x-rectrack-user naming the same
 * principals, a malformed one, none or an empty one. */
#define FLAG_CREDENTIALS 0x03
#define FLAG_CREDENTIALS_HIGH 0x80
#define FLAG_OPEN_API 0x04
#define FLAG_GZIP 0x08     /* the message is sent gzip-compressed */
#define FLAG_DEADLINE 0x10 /* grpc-timeout: 100S ... */
#define FLAG_EXPIRED 0x20  /* ... or 1n, past before the loop runs */
#define FLAG_SPLIT 0x40    /* the message spans two DATA frames */

enum {
  SECRETARIAT = 0,
  READER = 1,
  UNKNOWN = 2,
  NONE = 3,
  REPORTER = 4,
  ADMIN = 5,
  NO_TOKEN = 6,
  OTHER_SCHEME = 7
};

static int credentials_of(uint8_t flags) {
  return (flags & FLAG_CREDENTIALS) | ((flags & FLAG_CREDENTIALS_HIGH) >> 5);
}

/* The role each credential has with tokens (FUZZ_ROLE_NONE: refused). */
static const fuzz_role_t credential_roles[8] = {[SECRETARIAT] =
                                                    FUZZ_ROLE_SECRETARIAT,
                                                [READER] = FUZZ_ROLE_READER,
                                                [REPORTER] = FUZZ_ROLE_REPORTER,
                                                [ADMIN] = FUZZ_ROLE_ADMIN};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_server_setup();
  return 0;
}

static void gzip(const uint8_t *in, size_t len, fuzz_buf_t *out) {
  z_stream z = {0};
  uint8_t chunk[4096];
  int rc;

  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    fuzz_fail("deflateInit2 failed");
  z.next_in = (uint8_t *)in;
  z.avail_in = (uInt)len;
  do {
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    rc = deflate(&z, Z_FINISH);
    fuzz_buf_append(out, chunk, sizeof chunk - z.avail_out);
  } while (rc == Z_OK);
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    fuzz_fail("deflate failed");
}

/* The client's bytes: preface, the call's HEADERS, one message, half
 * close. */
static void build_call(const fuzz_method_t *method, uint8_t flags,
                       const uint8_t *message, size_t len, fuzz_buf_t *out) {
  static const char *const tokens[8] = {
      [SECRETARIAT] = "Bearer " FUZZ_SECRETARIAT_TOKEN,
      [READER] = "Bearer " FUZZ_READER_TOKEN,
      [UNKNOWN] = "Bearer not-a-known-token",
      [NONE] = NULL,
      [REPORTER] = "Bearer " FUZZ_REPORTER_TOKEN,
      [ADMIN] = "Bearer " FUZZ_ADMIN_TOKEN,
      /* Not "Bearer ": a field value ending in a space is malformed
       * HTTP/2 (RFC 9113 8.2.1), which nghttp2 resets the stream for. */
      [NO_TOKEN] = "Bearer",
      [OTHER_SCHEME] = "Basic " FUZZ_SECRETARIAT_TOKEN};
  static const char *const users[8] = {[SECRETARIAT] =
                                           FUZZ_SECRETARIAT_PRINCIPAL,
                                       [READER] = FUZZ_READER_PRINCIPAL,
                                       [UNKNOWN] = "not a name!",
                                       [NONE] = NULL,
                                       [REPORTER] = FUZZ_REPORTER_PRINCIPAL,
                                       [ADMIN] = FUZZ_ADMIN_PRINCIPAL,
                                       [NO_TOKEN] = "",
                                       [OTHER_SCHEME] = NULL};
  fuzz_h2_field_t fields[10] = {{":method", "POST"},
                                {":scheme", "http"},
                                {":path", method->path},
                                {":authority", "fuzz"},
                                {"content-type", "application/grpc"},
                                {"te", "trailers"}};
  size_t count = 6;
  int credentials = credentials_of(flags);
  fuzz_buf_t body = {0}, compressed = {0};
  uint8_t prefix[RT_GRPC_PREFIX_LEN];

  if (flags & FLAG_OPEN_API) {
    if (users[credentials] != NULL)
      fields[count++] =
          (fuzz_h2_field_t){"x-rectrack-user", users[credentials]};
  } else if (tokens[credentials] != NULL) {
    fields[count++] = (fuzz_h2_field_t){"authorization", tokens[credentials]};
  }
  if (flags & FLAG_DEADLINE)
    fields[count++] =
        (fuzz_h2_field_t){"grpc-timeout", flags & FLAG_EXPIRED ? "1n" : "100S"};
  if (flags & FLAG_GZIP) {
    fields[count++] = (fuzz_h2_field_t){"grpc-encoding", "gzip"};
    gzip(message, len, &compressed);
    message = compressed.data;
    len = compressed.len;
  }
  rt_grpc_prefix_encode(prefix, len, (flags & FLAG_GZIP) != 0);
  fuzz_buf_append(&body, prefix, sizeof prefix);
  fuzz_buf_append(&body, message, len);
  fuzz_h2_client_preface(out);
  fuzz_h2_headers(out, 1, fields, count, false);
  fuzz_h2_data(out, 1, body.data, body.len,
               flags & FLAG_SPLIT ? body.len / 2 : 0, true);
  fuzz_buf_free(&body);
  fuzz_buf_free(&compressed);
}

static int check_reply(const uint8_t *message, size_t len, void *data) {
  const fuzz_method_t *method = data;
  ProtobufCMessage *reply =
      protobuf_c_message_unpack(method->output, NULL, len, message);

  if (reply == NULL)
    fuzz_fail("%s answered OK with a message that is not a %s", method->path,
              method->output->name);
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}

/* The status a Tracker call must get from authentication alone, or -1
 * when the request decides. */
static int forced_status(const fuzz_method_t *method, uint8_t flags) {
  fuzz_role_t role = credential_roles[credentials_of(flags)];

  if (!method->tracker || (flags & FLAG_OPEN_API))
    return -1;
  if (role == FUZZ_ROLE_NONE)
    return RT_GRPC_UNAUTHENTICATED;
  if (role < method->role)
    return RT_GRPC_PERMISSION_DENIED;
  return -1;
}

/* Whether the call would let an admin's Backup run (see the top). */
static bool backs_up(const fuzz_method_t *method, uint8_t flags) {
  return method->role == FUZZ_ROLE_ADMIN &&
         ((flags & FLAG_OPEN_API) ||
          credential_roles[credentials_of(flags)] >= FUZZ_ROLE_ADMIN);
}

static void check_answer(const fuzz_method_t *method, uint8_t flags,
                         const fuzz_h2_reader_t *reader) {
  const fuzz_h2_stream_t *stream = fuzz_h2_reader_stream(reader, 1);
  int forced = forced_status(method, flags);
  char outcome[64];

  fuzz_h2_stream_outcome(stream, outcome, sizeof outcome);
  if (reader->goaway && reader->goaway_code != 0)
    fuzz_fail("%s: GOAWAY with error %u for a valid call", method->path,
              reader->goaway_code);
  if (stream == NULL || stream->http_status != 200)
    fuzz_fail("%s: a valid call was answered %s", method->path, outcome);
  if (stream->reset && stream->reset_code != 0 && stream->reset_code != 8)
    fuzz_fail("%s: stream reset with error %u", method->path,
              stream->reset_code);
  if (stream->grpc_status < 0)
    return; /* a stream the shutdown cut (Health Watch, a stalled export) */
  if (forced >= 0 && stream->grpc_status != forced)
    fuzz_fail("%s with credentials %d: expected %s, answered %s (%s)",
              method->path, credentials_of(flags), rt_grpc_status_name(forced),
              outcome, stream->grpc_message);
  switch (stream->grpc_status) {
  case RT_GRPC_OK:
    fuzz_h2_stream_messages(stream, check_reply, (void *)method);
    return;
  case RT_GRPC_INTERNAL:
  case RT_GRPC_UNKNOWN:
  case RT_GRPC_DATA_LOSS:
    fuzz_fail("%s answered %s: %s", method->path, outcome,
              stream->grpc_message);
  default:
    if (stream->grpc_message[0] == '\0')
      fuzz_fail("%s answered %s without a grpc-message", method->path, outcome);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  const fuzz_method_t *method = fuzz_method(data[0] % fuzz_method_count());
  uint8_t flags = data[1];
  fuzz_run_options_t options = {.open_api = (flags & FLAG_OPEN_API) != 0};
  fuzz_buf_t call = {0};
  fuzz_h2_reader_t reader;

  if (backs_up(method, flags))
    return 0;
  build_call(method, flags, data + 2, size - 2, &call);
  fuzz_h2_reader_init(&reader);
  if (fuzz_server_run(&options, call.data, call.len, &reader) != 0)
    fuzz_fail("%s: the server's output breaks HTTP/2 or gRPC: %s", method->path,
              reader.error);
  check_answer(method, flags, &reader);
  fuzz_report_outcome(&reader);
  fuzz_h2_reader_free(&reader);
  fuzz_buf_free(&call);
  return 0;
}
