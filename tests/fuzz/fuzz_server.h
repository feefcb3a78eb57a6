/*
 * fuzz_server: rectrackd in process, for the fuzz targets. What the
 * daemon assembles (the gRPC transport, the Tracker on a store with its
 * writer thread, bearer tokens, Health and Reflection) on one libuv loop,
 * with the client on a memory connection (rt_server_memory.h) instead of
 * a socket.
 *
 * Per process (fuzz_server_setup, from LLVMFuzzerInitialize): a scratch
 * directory (on tmpfs when /dev/shm is there, so that commits cost no
 * disk syncs), a tokens file, and a store seeded with the records below,
 * which the seed corpus refers to. The store is recreated from scratch
 * whenever the inputs have added FUZZ_STORE_RESET_CHANGES changes to it,
 * so that its size, and the cost of reading it, stay bounded over a long
 * run. The directory is removed at exit.
 *
 * Per input (fuzz_server_run): a new server, Tracker (with its writer
 * thread and one reader thread) and Health, one memory connection that
 * receives the input as the bytes a client sent, then the daemon's own
 * shutdown: the loop runs until the work the input started is done
 * (thread pool steps included), the Tracker drains (so every write it
 * accepted is committed and answered, every read finished), the server
 * shuts down and everything is freed. Nothing
 * outlives the input but the store and the Reflection service (which
 * holds no per-call state once its streams end, and costs more to build
 * than the rest of an input), so a leak or a use after free is the
 * input's.
 *
 * The constants below are shared with gen_corpus.py, which reads them
 * from this file.
 */
#ifndef FUZZ_SERVER_H
#define FUZZ_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_h2.h"

/* The tokens file: one token of each role. The reporter speaks for
 * FUZZ_ACTOR_ID. The admin token is in neither the corpus nor the
 * dictionaries of fuzz_request_path (see fuzz_grpc_method.c on Backup). */
#define FUZZ_SECRETARIAT_TOKEN "fuzz-secretariat-token"
#define FUZZ_SECRETARIAT_PRINCIPAL "fuzzer"
#define FUZZ_READER_TOKEN "fuzz-reader-token"
#define FUZZ_READER_PRINCIPAL "onlooker"
#define FUZZ_REPORTER_TOKEN "fuzz-reporter-token"
#define FUZZ_REPORTER_PRINCIPAL "fuzz-reporter"
#define FUZZ_ADMIN_TOKEN "fuzz-admin-token"
#define FUZZ_ADMIN_PRINCIPAL "fuzz-admin"

/* The records every input finds in the store. */
#define FUZZ_SOURCE_ID "fuzz-source"
#define FUZZ_ACTOR_ID "fuzz-actor"
#define FUZZ_RECOMMENDATION_ID "R1" /* on FUZZ_SOURCE_ID, one follow-up */
#define FUZZ_COMMITMENT_ID "C1"     /* quantified, one measurement */
/* The reporter's follow-up on FUZZ_RECOMMENDATION_ID, awaiting
 * validation, was recorded at this revision (the last seeded). */
#define FUZZ_SUBMISSION_REVISION 7

/* The store is recreated after inputs added this many changes. */
#define FUZZ_STORE_RESET_CHANGES 500

typedef struct fuzz_run_options {
  /* true: no tokens, the open API (x-rectrack-user names the principal). */
  bool open_api;
} fuzz_run_options_t;

/* Sets up the process (once; later calls do nothing). Exits the process
 * with a message if it cannot. */
void fuzz_server_setup(void);

/* Runs one input through a fresh server as described above; what the
 * server wrote goes to reader (initialized by the caller), which is then
 * parsed: returns 0, or -1 when the output breaks the protocol
 * (reader->error says how). */
int fuzz_server_run(const fuzz_run_options_t *options, const uint8_t *input,
                    size_t len, fuzz_h2_reader_t *reader);

/* What each input's calls came to, for fuzz_replay --expect (NULL in a
 * fuzzing run): called by fuzz_report_outcome with the outcome of every
 * stream the server answered, in the order it first wrote on them, joined
 * by '+' ("OK", "PERMISSION_DENIED", "OK+NOT_FOUND"; see
 * fuzz_h2_stream_outcome), or "NONE". */
extern void (*fuzz_outcome_observer)(const char *outcome);
void fuzz_report_outcome(const fuzz_h2_reader_t *reader);

/* Reports a harness finding and aborts (libFuzzer keeps the input). */
__attribute__((noreturn, format(printf, 1, 2))) void
fuzz_fail(const char *format, ...);

#endif /* FUZZ_SERVER_H */
