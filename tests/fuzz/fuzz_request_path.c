/*
 * fuzz_request_path: libFuzzer target for the whole request path. The
 * input is every byte a client sends on one connection; it goes into an
 * in-process rectrackd (fuzz_server.h) with bearer tokens configured, so
 * that nghttp2's session, the gRPC framing and decompression, the
 * routing, authentication, request decoding, the Tracker handlers on the
 * store (writes through the writer thread), Health, Reflection and the
 * replies all run on it. The seed corpus (corpus/request_path, made by
 * gen_corpus.py) is a valid call of every method, with the secretariat's
 * token, the reader's, an unknown token and none, and some with the
 * reporter's.
 *
 * Besides the sanitizers, what the server writes back must be HTTP/2 and
 * gRPC a strict client accepts (fuzz_h2_reader_parse): a malformed frame,
 * an undecodable header block, or a response ended without grpc-status
 * is a finding, whatever the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_server_setup();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_run_options_t options = {.open_api = false};
  fuzz_h2_reader_t reader;

  fuzz_h2_reader_init(&reader);
  if (fuzz_server_run(&options, data, size, &reader) != 0)
    fuzz_fail("the server's output breaks HTTP/2 or gRPC: %s", reader.error);
  fuzz_report_outcome(&reader);
  fuzz_h2_reader_free(&reader);
  return 0;
}
