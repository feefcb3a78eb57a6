/*
 * rt_store: rectrack's storage engine on LMDB.
 *
 * Owns: the LMDB environment of one data directory, the records (sources,
 * actors, recommendations, commitments, follow-ups, measurements) stored as
 * packed rectrack.v1 protobuf messages, the secondary indexes, the
 * hash-chained change log, validation of every field before a write,
 * backup and verification. Calls: LMDB, libsodium (SHA-256), protobuf-c
 * (rectrack.v1 messages), ICU (folding and word breaking of the word
 * index), common/ (rt_error, rt_validate).
 * Knows nothing of the network.
 *
 * Threads: one thread writes (rt_store_apply); any number of threads read,
 * each through its own rt_store_reader_t (one thread at a time per
 * reader; it may end on another thread than it began). Readers are
 * short-lived (begin, a few reads, end), except a review export's, which
 * holds its snapshot while it renders. Map growth waits for open readers
 * to end; the writer grows the map early, when it is half full and no
 * reader is open, so that a long snapshot seldom makes it wait.
 *
 * Memory: functions that return a message say who frees it. Pointers into
 * a read transaction (rt_store_get_raw) are valid until that reader ends.
 */
#ifndef RT_STORE_H
#define RT_STORE_H

#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"
#include "rt_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version of the on-disk layout this build writes. A directory written
 * with an older version is upgraded when it is opened (see
 * rt_store_upgrade); one written by a newer build is refused with
 * RT_EVERSION. docs/storage.md lists the versions and what each changed. */
#define RT_STORE_SCHEMA_VERSION 8

typedef struct rt_store rt_store_t;
typedef struct rt_store_reader rt_store_reader_t;

typedef struct rt_store_options {
  size_t initial_map_bytes; /* 0: 64 MiB. Grows by doubling when full. */
  size_t max_map_bytes;     /* 0: 1 TiB. Writes past this get RT_ENOSPC. */
  unsigned max_readers;     /* 0: 126 (LMDB's default). */
  /* Index entries one list call examines at most; past them the page is
   * cut short and its next_page_token resumes the walk. 0: 20000. */
  size_t list_budget;
  /* An older directory: false (default), upgrade it while opening; true,
   * refuse it with RT_EVERSION (rt_store_upgrade does it on request). */
  bool refuse_upgrade;
  /* Called once per sentence an upgrade while opening reports ("schema
   * 1 -> 2: 14 request ids scoped to the principal that sent them"), for
   * the caller's log. NULL: not told. */
  void (*upgrade_notice)(const char *line, void *data);
  void *upgrade_notice_data;
} rt_store_options_t;

/* Opens (creating if needed) the data directory dir, checks the schema
 * version, upgrades an older layout (unless options->refuse_upgrade) in
 * one transaction before anything else can read it, and clears stale
 * reader slots left by dead processes.
 * On success *out owns the environment; close with rt_store_close.
 * Errors: RT_EVERSION (written by a newer build, or older and
 * refuse_upgrade), RT_EIO, RT_EBUSY, RT_ECORRUPT, RT_ENOSPC; an upgrade
 * that fails leaves the directory as it was. */
int rt_store_open(rt_store_t **out, const char *dir,
                  const rt_store_options_t *options, rt_error_t *err);

/* What rt_store_upgrade did, or with dry_run would do. */
typedef struct rt_store_upgrade_report {
  uint64_t from_version; /* the directory's version before */
  uint64_t to_version;   /* RT_STORE_SCHEMA_VERSION */
  char **lines;          /* one sentence per change, in order */
  size_t lines_len;
} rt_store_upgrade_report_t;

/* Upgrades the data directory dir (which must exist and hold a store) to
 * RT_STORE_SCHEMA_VERSION in one transaction, filling report. dry_run:
 * the same work is done and reported, then rolled back, so the directory
 * is left as it was. A directory already at the current version reports
 * no lines. Nothing is ever dropped: records an upgrade cannot convert
 * are kept as they are and named in the report. No other process may
 * write the directory meanwhile (LMDB's lock makes it wait).
 * Free the report with rt_store_upgrade_report_free.
 * Errors: RT_ENOTFOUND (no store in dir), RT_EVERSION (newer than this
 * build), RT_EIO, RT_EBUSY, RT_ECORRUPT, RT_ENOSPC, RT_ENOMEM. */
int rt_store_upgrade(const char *dir, const rt_store_options_t *options,
                     bool dry_run, rt_store_upgrade_report_t *report,
                     rt_error_t *err);
void rt_store_upgrade_report_free(rt_store_upgrade_report_t *report);

/* Closes the environment. Every reader must have ended. NULL is a no-op. */
void rt_store_close(rt_store_t *store);

/* ---- writes ---------------------------------------------------------- */

typedef enum rt_op_kind {
  RT_OP_CREATE_SOURCE = 1,
  RT_OP_UPDATE_SOURCE,
  RT_OP_CREATE_ACTOR,
  RT_OP_UPDATE_ACTOR,
  RT_OP_CREATE_RECOMMENDATION,
  RT_OP_UPDATE_RECOMMENDATION,
  RT_OP_CREATE_COMMITMENT,
  RT_OP_UPDATE_COMMITMENT,
  RT_OP_RECORD_FOLLOW_UP,
  RT_OP_RECORD_MEASUREMENT,
  RT_OP_VALIDATE_SUBMISSION,
  RT_OP_CREATE_THEME,
  RT_OP_CREATE_DIMENSION_KEY,
} rt_op_kind_t;

/* Whom the principal of a write speaks for. */
typedef enum rt_write_role {
  /* The secretariat (the default, and every caller that is not a
   * reporter): every write; its follow-ups and measurements are
   * validated at once. */
  RT_WRITE_ROLE_SECRETARIAT = 0,
  /* A reporter of the op's actors: only RECORD_FOLLOW_UP and
   * RECORD_MEASUREMENT, on subjects of those actors (a recommendation
   * addressed to or led by one, a commitment of one), reported by one of
   * them; recorded as submitted, awaiting VALIDATE_SUBMISSION. */
  RT_WRITE_ROLE_REPORTER = 1,
} rt_write_role_t;

/* One write. The caller fills the inputs; rt_store_apply fills the
 * outputs. Inputs are borrowed for the duration of the call only. */
typedef struct rt_write_op {
  /* inputs */
  rt_op_kind_t kind;
  const char *principal;     /* who makes the change; NULL: "anonymous" */
  rt_write_role_t role;      /* whom the principal speaks for */
  const char *const *actors; /* a reporter's actor ids (n_actors >= 1) */
  size_t n_actors;
  const char *request_id;     /* creates: idempotency key; NULL or "": none */
  int64_t now_ms;             /* instant to stamp; 0: the current time */
  uint64_t expected_revision; /* updates and follow-ups; 0: no check */
  /* Updates: field names to replace ("title", "sdg_targets", "archived",
   * "indicator", ...); n = 0 replaces every mutable field. */
  const char *const *update_mask;
  size_t update_mask_len;
  /* The message, according to kind: Source, Actor, Recommendation,
   * Commitment (create and update), FollowUp (RECORD_FOLLOW_UP),
   * Measurement (RECORD_MEASUREMENT; its commitment_id names the subject),
   * ValidateSubmissionRequest (VALIDATE_SUBMISSION), Theme
   * (CREATE_THEME). */
  const ProtobufCMessage *message;

  /* outputs */
  int result;        /* 0 or an RT_E* code for this op alone */
  rt_error_t error;  /* detail when result != 0 */
  uint64_t revision; /* revision of the change (existing one if replayed) */
  bool replayed;     /* request_id seen before: nothing new was written */
  /* The packed reply message: the record after the change (Source, Actor,
   * Recommendation, Commitment), the FollowUp for RECORD_FOLLOW_UP, the
   * Commitment for RECORD_MEASUREMENT, a ValidateSubmissionResponse
   * for VALIDATE_SUBMISSION and the Theme for CREATE_THEME. Owned by the
   * op: free(reply). */
  uint8_t *reply;
  size_t reply_len;
} rt_write_op_t;

/* Applies ops in one LMDB write transaction, each in a child transaction:
 * an op that fails is rolled back alone (its result says why) and the
 * others commit. Beyond each kind's own errors (store_ops.h), an op of a
 * reporter fails with RT_EPERM when it is not a follow-up or measurement,
 * when reported_by is not one of its actors, or when the subject is not
 * one of theirs ("reporter moi-phl speaks for phl; C4 is a commitment of
 * bgd"), and with RT_EPRECOND when one of its actors does not exist. Returns
 * once the commit is durable (fsync'd). Returns 0 when the transaction
 * committed (check each op's result), or an RT_E* code when nothing was
 * committed (then every op's result is set to that code). A full map is grown
 * and the batch retried; never an error unless max_map_bytes is reached. Call
 * from one thread at a time. */
int rt_store_apply(rt_store_t *store, rt_write_op_t *ops, size_t n_ops,
                   rt_error_t *err);

/* Releases the replies held by ops (safe to call twice). */
void rt_write_ops_release(rt_write_op_t *ops, size_t n_ops);

/* ---- reads ----------------------------------------------------------- */

/* Starts a read snapshot. Readers are cheap: the LMDB transaction is reset
 * and renewed, not reallocated, when the same reader is reused through
 * rt_store_reader_renew. Free with rt_store_reader_end. */
int rt_store_reader_begin(rt_store_t *store, rt_store_reader_t **out,
                          rt_error_t *err);
/* Ends the snapshot but keeps the handle for rt_store_reader_renew. */
void rt_store_reader_reset(rt_store_reader_t *reader);
int rt_store_reader_renew(rt_store_reader_t *reader, rt_error_t *err);
/* Ends the snapshot and frees the reader. NULL is a no-op. */
void rt_store_reader_end(rt_store_reader_t *reader);

/* The revision of the newest change in the snapshot (0: empty store). */
uint64_t rt_store_revision(rt_store_reader_t *reader);

typedef enum rt_entity {
  RT_ENTITY_SOURCE = 1,
  RT_ENTITY_ACTOR,
  RT_ENTITY_RECOMMENDATION,
  RT_ENTITY_COMMITMENT,
} rt_entity_t;

/* Points *data at the packed record (a rectrack.v1 message of the entity's
 * type) inside the snapshot: zero-copy, valid until the reader is reset.
 * Errors: RT_ENOTFOUND, RT_EINVAL (malformed id). */
int rt_store_get_raw(rt_store_reader_t *reader, rt_entity_t entity,
                     const char *id, const void **data, size_t *len,
                     rt_error_t *err);

/* Unpacked variants. *out is freed with protobuf_c_message_free_unpacked. */
int rt_store_get_source(rt_store_reader_t *reader, const char *id,
                        Rectrack__V1__Source **out, rt_error_t *err);
int rt_store_get_actor(rt_store_reader_t *reader, const char *id,
                       Rectrack__V1__Actor **out, rt_error_t *err);
int rt_store_get_recommendation(rt_store_reader_t *reader, const char *id,
                                Rectrack__V1__Recommendation **out,
                                rt_error_t *err);
int rt_store_get_commitment(rt_store_reader_t *reader, const char *id,
                            Rectrack__V1__Commitment **out, rt_error_t *err);

/* The fields of a recommendation the server computes when it is read and
 * never stores (linked_from, the inverse of the links; specificity and
 * specificity_gaps) as protobuf wire bytes: appended to the stored record
 * of id (rt_store_get_raw), they make the recommendation a client reads,
 * since fields concatenate on the wire and the stored record has none of
 * these. *out is malloc'd (free it). rt_store_get_recommendation and the
 * recommendation lists fill the fields themselves. Errors: RT_EINVAL (not
 * a recommendation id), RT_ENOTFOUND, RT_ECORRUPT, RT_ENOMEM, the store's
 * read errors. */
int rt_store_recommendation_computed_packed(rt_store_reader_t *reader,
                                            const char *id, uint8_t **out,
                                            size_t *len, rt_error_t *err);

/* The numbers of the recommendations that make or receive an echoes or
 * supersedes link, from active linking ones (the review's lines of
 * follow-up): one walk of the link index, sorted, each once; *out is
 * malloc'd (NULL when none; free it). Memory: those numbers only.
 * Errors: RT_ENOMEM, the store's read errors. */
int rt_store_line_members(rt_store_reader_t *reader, uint64_t **out, size_t *n,
                          rt_error_t *err);

/* Lists. The request is the API's; as_of/today for overdue filters is the
 * caller's "today" (YYYY-MM-DD) used when the request's as_of is empty.
 * Page tokens are opaque, stay correct while records are added, and a
 * token from another query or a tampered one is RT_EINVAL. page_size 0
 * means 50; above 1000 is capped at 1000; negative is RT_EINVAL.
 * *out is freed with protobuf_c_message_free_unpacked. */
int rt_store_list_sources(rt_store_reader_t *reader,
                          const Rectrack__V1__ListSourcesRequest *request,
                          Rectrack__V1__ListSourcesResponse **out,
                          rt_error_t *err);
int rt_store_list_actors(rt_store_reader_t *reader,
                         const Rectrack__V1__ListActorsRequest *request,
                         Rectrack__V1__ListActorsResponse **out,
                         rt_error_t *err);
int rt_store_list_recommendations(
    rt_store_reader_t *reader,
    const Rectrack__V1__ListRecommendationsRequest *request, const char *today,
    Rectrack__V1__ListRecommendationsResponse **out, rt_error_t *err);
int rt_store_list_commitments(
    rt_store_reader_t *reader,
    const Rectrack__V1__ListCommitmentsRequest *request, const char *today,
    Rectrack__V1__ListCommitmentsResponse **out, rt_error_t *err);
/* Follow-ups of one subject in revision order, or (subject_id empty) all
 * follow-ups whose as_of lies in [from_date, to_date], by as_of then
 * revision: the order of the status rule, whose last validated entry of
 * a subject is the one that decides its status. */
int rt_store_list_follow_ups(rt_store_reader_t *reader,
                             const Rectrack__V1__ListFollowUpsRequest *request,
                             Rectrack__V1__ListFollowUpsResponse **out,
                             rt_error_t *err);
/* The themes added at run time (RT_OP_CREATE_THEME), in id order: a
 * malloc'd array of *count themes in *out (NULL when there is none).
 * Free both with rt_store_themes_free. Themes compiled in from
 * data/reference.json are common/rt_reference.h's, not listed here. */
/* The dimension keys added at run time (RT_OP_CREATE_DIMENSION_KEY), in
 * key order, as rt_store_list_themes: free with
 * rt_store_dimension_keys_free. The compiled ones are rt_dimensions.h's. */
int rt_store_list_dimension_keys(rt_store_reader_t *reader,
                                 Rectrack__V1__DimensionKey ***out,
                                 size_t *count, rt_error_t *err);
void rt_store_dimension_keys_free(Rectrack__V1__DimensionKey **keys,
                                  size_t count);

/* The computed fields of commitment id (Commitment.series, field 35, and
 * matched_by, field 34: the active commitments that match it) as protobuf
 * wire bytes, to append to its stored record as
 * rt_store_recommendation_computed_packed does for a recommendation. *out is
 * malloc'd (free it; NULL and *len 0 when it has no disaggregated series and
 * nothing matches it). */
int rt_store_commitment_computed_packed(rt_store_reader_t *reader,
                                        const char *id, uint8_t **out,
                                        size_t *len, rt_error_t *err);

int rt_store_list_themes(rt_store_reader_t *reader, Rectrack__V1__Theme ***out,
                         size_t *count, rt_error_t *err);
void rt_store_themes_free(Rectrack__V1__Theme **themes, size_t count);

/* Measurements of one commitment in as_of order. */
int rt_store_list_measurements(
    rt_store_reader_t *reader,
    const Rectrack__V1__ListMeasurementsRequest *request,
    Rectrack__V1__ListMeasurementsResponse **out, rt_error_t *err);

/* Whole-table scans, for the review (which reads everything once, on a
 * reader thread). visit is called with the stored bytes of each record
 * (a packed message of the table's type, borrowed for the call) and, for
 * follow-ups and measurements, the id of the record they belong to ("R12",
 * "C3"; NULL for the others), until it returns non-zero, which is then
 * returned. rt_store_scan walks an
 * entity's records in id order (archived ones included). The follow-up
 * scan walks them grouped by subject (every commitment's, then every
 * recommendation's, subjects in id order), each subject's in the order
 * they were recorded; the measurement scan groups them by commitment, each
 * commitment's in as_of order. Errors: the store's read errors. */
typedef int (*rt_store_scan_fn)(const void *packed, size_t len,
                                const char *owner_id, void *data);
int rt_store_scan(rt_store_reader_t *reader, rt_entity_t entity,
                  rt_store_scan_fn visit, void *data, rt_error_t *err);
int rt_store_scan_follow_ups(rt_store_reader_t *reader, rt_store_scan_fn visit,
                             void *data, rt_error_t *err);
int rt_store_scan_measurements(rt_store_reader_t *reader,
                               rt_store_scan_fn visit, void *data,
                               rt_error_t *err);

/* ---- cursors: walks the caller advances (the review) ----------------
 *
 * The review renders its document as it reads, from one snapshot held for
 * the whole export, so it walks the store record by record instead of
 * through a callback. A cursor is valid while its reader's snapshot is
 * open and costs no memory beyond itself: the bytes it hands out point
 * into the snapshot. Close it with rt_store_cursor_close, before or after
 * the reader ends (not after rt_store_close). One thread at a time. */
typedef struct rt_store_cursor rt_store_cursor_t;

/* Every record of entity in id order (numbers: R2 before R10), archived
 * ones included. */
int rt_store_cursor_records(rt_store_reader_t *reader, rt_entity_t entity,
                            rt_store_cursor_t **out, rt_error_t *err);
/* The active (not archived) recommendations or commitments whose theme is
 * theme (not empty), in id order, through the theme index. */
int rt_store_cursor_theme(rt_store_reader_t *reader, rt_entity_t entity,
                          const char *theme, rt_store_cursor_t **out,
                          rt_error_t *err);
/* Every follow-up whose as_of lies in [from_date, to_date] (from_date ""
 * or NULL: no lower bound), by as_of then revision, through the date
 * index. */
int rt_store_cursor_period(rt_store_reader_t *reader, const char *from_date,
                           const char *to_date, rt_store_cursor_t **out,
                           rt_error_t *err);
/* The active recommendations or commitments whose due date is before
 * `before` (YYYY-MM-DD), by due date then id, through the due-date
 * index. */
int rt_store_cursor_due(rt_store_reader_t *reader, rt_entity_t entity,
                        const char *before, rt_store_cursor_t **out,
                        rt_error_t *err);
/* The next record of the walk: returns 1 with *packed and *len (the stored
 * message, valid while the snapshot is open) and owner (the period walk:
 * the follow-up's subject id, "R12"; the due walk: the due date; "" for
 * the other walks), 0 at the end, or a negative RT_E* code. */
int rt_store_cursor_next(rt_store_cursor_t *cursor, const void **packed,
                         size_t *len, char owner[24], rt_error_t *err);
void rt_store_cursor_close(rt_store_cursor_t *cursor); /* NULL: no-op */

/* Calls visit for each distinct theme of the active recommendations or
 * commitments, in byte order, with how many carry it (O(1) each: index
 * counts), until visit returns non-zero (then returned); *without is set
 * to how many active records carry no theme. */
typedef int (*rt_store_theme_fn)(const char *theme, size_t count, void *data);
int rt_store_themes(rt_store_reader_t *reader, rt_entity_t entity,
                    rt_store_theme_fn visit, void *data, size_t *without,
                    rt_error_t *err);
/* The follow-ups of one subject ("R12", "C3") in revision order, and the
 * measurements of one commitment in as_of order, as rt_store_scan_*
 * (owner_id is the id given). RT_EINVAL for a malformed id; a subject
 * without any visits nothing. */
int rt_store_scan_subject_follow_ups(rt_store_reader_t *reader,
                                     const char *subject_id,
                                     rt_store_scan_fn visit, void *data,
                                     rt_error_t *err);
int rt_store_scan_commitment_measurements(rt_store_reader_t *reader,
                                          const char *commitment_id,
                                          rt_store_scan_fn visit, void *data,
                                          rt_error_t *err);

/* Change log. Calls visit for each entry with revision >= from_revision, in
 * order, until visit returns non-zero (that value is returned) or max_count
 * entries (0: no limit) were visited. The event is borrowed for the call;
 * its hash field is filled. packed/packed_len are the stored bytes. */
typedef int (*rt_log_visit_fn)(const Rectrack__V1__ChangeEvent *event,
                               const uint8_t *packed, size_t packed_len,
                               void *data);
int rt_store_log_scan(rt_store_reader_t *reader, uint64_t from_revision,
                      size_t max_count, rt_log_visit_fn visit, void *data,
                      rt_error_t *err);

/* What the public may see (rectrackd's web pages and JSON read API).
 * A follow-up or measurement is official when validated (review_state
 * VALIDATED, or UNSPECIFIED: recorded before review states existed); a
 * commitment is published unless its publication is UNPUBLISHED
 * (UNSPECIFIED: recorded before the flag existed). */
bool rt_store_review_is_official(int review_state);
bool rt_store_commitment_is_published(const Rectrack__V1__Commitment *c);

/* Record counts in the snapshot. */
typedef struct rt_store_counts {
  int64_t sources, actors, recommendations, commitments, follow_ups,
      measurements;
  uint64_t revision;
} rt_store_counts_t;
int rt_store_count(rt_store_reader_t *reader, rt_store_counts_t *out,
                   rt_error_t *err);

/* ---- maintenance ----------------------------------------------------- */

/* What the verifier found. Problems make a store unsound; notices are
 * data to correct in a sound store, written before the rules that now
 * refuse it: a record carrying an SDG target, GCM objective or theme
 * outside the reference lists (common/rt_reference.h, and the themes the
 * secretariat added), or a follow-up or measurement dated after the day
 * it was verified on (plus one day of grace). Such data is kept as it
 * is. */
typedef struct rt_verify_report {
  size_t problem_count; /* total problems found */
  char **problems;      /* first RT_VERIFY_MAX_PROBLEMS, one sentence each */
  size_t problems_len;
  size_t notice_count; /* total notices */
  char **notices;      /* first RT_VERIFY_MAX_PROBLEMS, one sentence each */
  size_t notices_len;
  uint64_t entries_checked, records_checked, index_entries_checked;
} rt_verify_report_t;
#define RT_VERIFY_MAX_PROBLEMS 100

/* Walks the whole store in one snapshot: the log chain is intact (each
 * prev_hash matches the entry before) and gap-free from revision 1, every
 * index entry points at a record that has that value, every record is in
 * all its indexes, every recommendation's and commitment's status fields
 * are what the status rule makes of its follow-ups (the validated one
 * with the latest as_of, the later recorded of one day); and notes every
 * recommendation and commitment tagged
 * with a value outside the reference lists ("R73 carries SDG target 10.99,
 * which is not an SDG target ..."). Returns 0 when the walk ran
 * (report->problem_count says whether the store is sound), an RT_E* code
 * when it could not run. Free the report's contents with
 * rt_verify_report_free. */
int rt_store_verify(rt_store_t *store, rt_verify_report_t *report,
                    rt_error_t *err);
void rt_verify_report_free(rt_verify_report_t *report);

/* Writes a compacted copy of the environment into dir (created if missing,
 * must not hold a data file) while readers and the writer keep running.
 * The copy opens with rt_store_open. */
int rt_store_backup(rt_store_t *store, const char *dir, rt_error_t *err);

/* Current map size in bytes (grows as data does). */
size_t rt_store_map_size(rt_store_t *store);

/* Bytes of the map in use: up to the last page written (free pages
 * inside it included), the size the data file needs. Thread-safe; 0 if
 * LMDB cannot tell. */
size_t rt_store_used_bytes(rt_store_t *store);

/* ---- deliberate damage, for the verifier's tests only ---------------- */

/* Flips one byte of the stored log entry at revision. */
int rt_store_test_corrupt_log_entry(rt_store_t *store, uint64_t revision);
/* Adds an index entry for a recommendation id that does not exist under
 * the status index. */
int rt_store_test_add_dangling_index(rt_store_t *store, const char *rec_id);

#endif /* RT_STORE_H */
