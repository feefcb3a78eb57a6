/*
 * store_verify: checking the whole store (rt_store_verify) in one
 * snapshot, reading the log through rt_store_log_scan: the log is gap-free
 * from revision 1 and each entry's prev_hash is the SHA-256 of the stored
 * bytes before it, the newest entry matches the head hash kept in meta,
 * every record is in each index it belongs to, and every index entry
 * points at a record that has that value. Problems are reported as
 * sentences. What the checks unpack lives in an arena reset after each
 * record or index entry. The test-damage helpers at the end break a store
 * on purpose so that the verifier's tests can show it notices.
 *
 * Beside problems the verifier collects notices: a recommendation or a
 * commitment tagged with an SDG target, GCM objective or theme outside the
 * reference lists, stored before the lists were enforced. The store is
 * sound and the record is kept; the notice names the record, the field and
 * the value so that the secretariat can correct it.
 */
#include "rt_dimensions.h"
#include "rt_enum.h"
#include "rt_reference.h"
#include "rt_validate.h"
#include "store_links.h"
#include "store_pledges.h"
#include "store_series.h"
#include "store_specificity.h"
#include "store_status.h"
#include "store_validate.h"
#include "store_words.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- verifier -------------------------------------------------------- */

static void add_problem(rt_verify_report_t *report, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void add_notice(rt_verify_report_t *report, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether key is in dbi. A read that fails for another reason than a
 * missing key also says "absent": the problem it shows is reported. */
static bool present(rt_store_reader_t *reader, MDB_dbi dbi, const void *key,
                    size_t key_len, MDB_val *value) {
  MDB_val k = {key_len, (void *)key};
  return store_mdb_error(mdb_get(reader->txn, dbi, &k, value), NULL,
                         "verifying") == 0;
}

/* Counts a sentence and keeps it while the list has room. */
static void add_sentence(size_t *count, char **list, size_t *len,
                         const char *format, va_list args) {
  (*count)++;
  if (*len >= RT_VERIFY_MAX_PROBLEMS)
    return;
  char *sentence = malloc(512);
  if (sentence == NULL)
    return;
  vsnprintf(sentence, 512, format, args);
  list[(*len)++] = sentence;
}

static void add_problem(rt_verify_report_t *report, const char *format, ...) {
  va_list args;
  va_start(args, format);
  add_sentence(&report->problem_count, report->problems, &report->problems_len,
               format, args);
  va_end(args);
}

static void add_notice(rt_verify_report_t *report, const char *format, ...) {
  va_list args;
  va_start(args, format);
  add_sentence(&report->notice_count, report->notices, &report->notices_len,
               format, args);
  va_end(args);
}

void rt_verify_report_free(rt_verify_report_t *report) {
  if (report == NULL)
    return;
  for (size_t i = 0; i < report->problems_len; i++)
    free(report->problems[i]);
  free(report->problems);
  for (size_t i = 0; i < report->notices_len; i++)
    free(report->notices[i]);
  free(report->notices);
  memset(report, 0, sizeof *report);
}

typedef struct chain_state {
  rt_store_reader_t *reader;
  rt_verify_report_t *report;
  uint64_t expected;
  uint8_t prev_hash[crypto_hash_sha256_BYTES];
  uint64_t follow_ups, measurements; /* entries that recorded one */
  uint64_t themes;                   /* entries that added a theme */
  uint64_t dimension_keys;           /* entries that added a dimension key */
  char latest_day[11]; /* tomorrow (UTC): no report may speak of a later day */
} chain_state_t;

/* The review fields a decision on a submission changes in its stored
 * copy (the same names in FollowUp and Measurement). */
static const char *const review_fields[] = {"review_state", "reviewed_by",
                                            "reviewed_ms", "review_note",
                                            "review_revision"};

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessage *m,
                                                const char *name) {
  return protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
}

static uint64_t review_revision_of(const ProtobufCMessage *m) {
  uint64_t value;
  memcpy(&value, (const char *)m + field_of(m, "review_revision")->offset,
         sizeof value);
  return value;
}

static int review_state_of(const ProtobufCMessage *m) {
  int value;
  memcpy(&value, (const char *)m + field_of(m, "review_state")->offset,
         sizeof value);
  return value;
}

/* Copies the review fields of from into to (messages of one type). */
static void copy_review_fields(ProtobufCMessage *to,
                               const ProtobufCMessage *from) {
  for (size_t i = 0; i < sizeof review_fields / sizeof *review_fields; i++) {
    const ProtobufCFieldDescriptor *fd = field_of(to, review_fields[i]);
    size_t size = fd->type == PROTOBUF_C_TYPE_STRING ? sizeof(char *)
                  : fd->type == PROTOBUF_C_TYPE_ENUM ? sizeof(int)
                                                     : sizeof(uint64_t);
    memcpy((char *)to + fd->offset, (const char *)from + fd->offset, size);
  }
}

static bool same_packed(const ProtobufCMessage *a, const void *bytes,
                        size_t len) {
  size_t a_len = protobuf_c_message_get_packed_size(a);
  uint8_t *packed = malloc(a_len + 1);
  if (packed == NULL)
    return true; /* cannot tell: no problem claimed */
  protobuf_c_message_pack(a, packed);
  bool same = a_len == len && memcmp(packed, bytes, len) == 0;
  free(packed);
  return same;
}

/* Whether the log entry at decided is a decision on the submission of
 * subject recorded at revision. */
static bool is_decision_on(chain_state_t *state, uint64_t decided,
                           const char *subject, uint64_t revision) {
  uint8_t key[8];
  store_put_u64(key, decided);
  MDB_val value;
  if (!present(state->reader, state->reader->store->log, key, 8, &value))
    return false;
  Rectrack__V1__ChangeEvent *event =
      rectrack__v1__change_event__unpack(NULL, value.mv_size, value.mv_data);
  bool decision =
      event != NULL &&
      (event->kind ==
           RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_SUBMISSION_VALIDATED ||
       event->kind ==
           RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_SUBMISSION_RETURNED) &&
      strcmp(event->subject_id ? event->subject_id : "", subject) == 0 &&
      ((event->follow_up && event->follow_up->revision == revision) ||
       (event->measurement && event->measurement->revision == revision));
  if (event)
    rectrack__v1__change_event__free_unpacked(event, NULL);
  return decision;
}

/* A submission decided after it was recorded: its stored copy is the
 * logged one with the decision's review fields, and the decision it
 * points at is in the log (the decision's own entry then holds the copy
 * byte for byte). True when that explains the difference, or when the
 * problem found was reported here. */
static bool decided_later(chain_state_t *state, const MDB_val *stored,
                          const ProtobufCMessage *logged, const char *what,
                          const char *subject, uint64_t revision) {
  if (review_state_of(logged) !=
      RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED)
    return false;
  store_arena_t arena; /* the copy's memory: its fields may be reassigned */
  store_arena_init(&arena);
  ProtobufCMessage *copy = protobuf_c_message_unpack(
      logged->descriptor, &arena.allocator, stored->mv_size, stored->mv_data);
  uint64_t decided = copy ? review_revision_of(copy) : 0;
  bool explained = false;
  if (decided > revision) {
    /* With the submission's own review fields again, the copy must be
     * what the log recorded: the report itself never changes. */
    copy_review_fields(copy, logged);
    size_t len = protobuf_c_message_get_packed_size(copy);
    uint8_t *packed = store_arena_alloc(&arena, len + 1);
    if (packed != NULL) {
      protobuf_c_message_pack(copy, packed);
      explained = same_packed(logged, packed, len);
    }
  }
  store_arena_free(&arena);
  if (explained && !is_decision_on(state, decided, subject, revision))
    add_problem(state->report,
                "The %s recorded at revision %" PRIu64 " says it was "
                "decided at revision %" PRIu64 ", but the log holds no "
                "such decision: it was altered.",
                what, revision, decided);
  return explained;
}

/* The stored copy under key must be byte for byte the message the log
 * entry holds: the log is chained, the history databases are not, so
 * this is what shows a report altered or removed after the fact. A
 * submission decided later differs from its recording in its review
 * fields alone (decided_later); the decision's own entry (decision true)
 * holds the copy as it stands. */
static void check_history_copy(chain_state_t *state, MDB_dbi dbi,
                               const uint8_t *key, size_t key_len,
                               const ProtobufCMessage *logged, const char *what,
                               const char *subject, uint64_t revision,
                               bool decision) {
  MDB_val stored;
  if (!present(state->reader, dbi, key, key_len, &stored)) {
    add_problem(state->report,
                "The %s recorded at revision %" PRIu64 " is missing from "
                "the stored history: it was removed.",
                what, revision);
    return;
  }
  if (same_packed(logged, stored.mv_data, stored.mv_size))
    return;
  if (!decision &&
      decided_later(state, &stored, logged, what, subject, revision))
    return;
  add_problem(state->report,
              "The stored %s of revision %" PRIu64 " differs from the "
              "one the log recorded: it was altered.",
              what, revision);
}

static void check_follow_up_copy(chain_state_t *state,
                                 const Rectrack__V1__FollowUp *fu,
                                 uint64_t revision, bool decision) {
  const char *subject = fu->subject_id ? fu->subject_id : "";
  uint8_t key[17], date_key[18];
  key[0] = (uint8_t)subject[0];
  store_put_u64(key + 1, store_parse_number_id(subject, subject[0]));
  store_put_u64(key + 9, fu->revision);
  check_history_copy(state, state->reader->store->fups, key, sizeof key,
                     &fu->base, "follow-up", subject, fu->revision, decision);
  if (decision)
    return; /* its date index entry was checked with its recording */
  size_t as_of_len = fu->as_of ? strlen(fu->as_of) : 0;
  MDB_val stored;
  if (as_of_len == 10) {
    memcpy(date_key, fu->as_of, 10);
    store_put_u64(date_key + 10, fu->revision);
  }
  if (as_of_len != 10 ||
      !present(state->reader, state->reader->store->fup_dates, date_key,
               sizeof date_key, &stored) ||
      stored.mv_size != sizeof key ||
      memcmp(stored.mv_data, key, sizeof key) != 0)
    add_problem(state->report,
                "The follow-up recorded at revision %" PRIu64 " is missing "
                "from the by-date index.",
                revision);
}

static void check_measurement_copy(chain_state_t *state,
                                   const Rectrack__V1__Measurement *m,
                                   bool decision) {
  uint8_t key[26];
  store_put_u64(key, store_parse_number_id(m->commitment_id, 'C'));
  memset(key + 8, 0, 10);
  if (m->as_of)
    memcpy(key + 8, m->as_of, strnlen(m->as_of, 10));
  store_put_u64(key + 18, m->revision);
  check_history_copy(state, state->reader->store->meas, key, sizeof key,
                     &m->base, "measurement", store_str(m->commitment_id),
                     m->revision, decision);
}

/* A report or measurement dated after tomorrow was written before such
 * dates were refused: it is kept, and named so that the secretariat
 * knows why the subject's status or latest value follows it. */
static void check_report_date(chain_state_t *state,
                              const Rectrack__V1__ChangeEvent *event) {
  const char *as_of = event->follow_up     ? event->follow_up->as_of
                      : event->measurement ? event->measurement->as_of
                                           : NULL;
  if (as_of == NULL || strcmp(as_of, state->latest_day) <= 0)
    return;
  add_notice(state->report,
             "The %s of %.20s recorded at revision %" PRIu64 " speaks of "
             "%.10s, a day not yet come (it was written before such dates "
             "were refused); it is kept as recorded and counts as the "
             "latest %s.",
             event->follow_up ? "follow-up" : "measurement",
             store_str(event->subject_id), event->revision, as_of,
             event->follow_up ? "report" : "value");
}

static int check_chain_entry(const Rectrack__V1__ChangeEvent *event,
                             const uint8_t *packed, size_t packed_len,
                             void *data) {
  chain_state_t *state = data;
  state->report->entries_checked++;
  if (event->revision != state->expected)
    add_problem(state->report,
                "The log has a gap: revision %" PRIu64
                " is missing (the next entry is revision %" PRIu64 ").",
                state->expected, event->revision);
  if (event->prev_hash.len != sizeof state->prev_hash ||
      memcmp(event->prev_hash.data, state->prev_hash,
             sizeof state->prev_hash) != 0)
    add_problem(state->report,
                "Log entry %" PRIu64 " does not chain to the entry before it "
                "(its prev_hash differs from the SHA-256 of that entry): an "
                "entry was altered or removed.",
                event->revision);
  /* A decision holds the submission again, as decided: it adds nothing
   * to the history, it changes an entry of it. */
  bool decision =
      event->kind ==
          RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_SUBMISSION_VALIDATED ||
      event->kind == RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_SUBMISSION_RETURNED;
  if (event->follow_up) {
    state->follow_ups += decision ? 0 : 1;
    check_follow_up_copy(state, event->follow_up, event->revision, decision);
  }
  if (event->measurement) {
    state->measurements += decision ? 0 : 1;
    check_measurement_copy(state, event->measurement, decision);
  }
  if (!decision)
    check_report_date(state, event);
  if (event->theme)
    state->themes++;
  if (event->dimension_key)
    state->dimension_keys++;
  crypto_hash_sha256(state->prev_hash, packed, packed_len);
  state->expected = event->revision + 1;
  return 0;
}

/* A history entry the log does not know of was added behind its back. */
static void check_history_counts(const chain_state_t *state) {
  rt_store_t *store = state->reader->store;
  struct {
    MDB_dbi dbi;
    uint64_t logged;
    const char *what;
  } tables[] = {
      {store->fups, state->follow_ups, "follow-ups"},
      {store->fup_dates, state->follow_ups, "follow-up date index entries"},
      {store->meas, state->measurements, "measurements"},
      {store->themes, state->themes, "added themes"},
      {store->dim_keys, state->dimension_keys, "added dimension keys"},
  };
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
    MDB_stat stat;
    if (store_mdb_error(mdb_stat(state->reader->txn, tables[i].dbi, &stat),
                        NULL, "verifying") == 0 &&
        stat.ms_entries != tables[i].logged)
      add_problem(state->report,
                  "The store holds %zu %s but the log recorded %" PRIu64 ".",
                  (size_t)stat.ms_entries, tables[i].what, tables[i].logged);
  }
}

/* Reports the entry the scan stopped at (the first at or after the
 * expected revision, which does not decode) and moves past it. Its key,
 * not the expected revision, says where to go on: a garbage entry under a
 * huge key must not make the walk count up to it one by one. */
static int skip_undecodable(rt_store_reader_t *reader, chain_state_t *state,
                            rt_error_t *err) {
  const char *verifying = "verifying the log";
  MDB_cursor *cursor;
  int rc =
      store_mdb_error(mdb_cursor_open(reader->txn, reader->store->log, &cursor),
                      err, verifying);
  if (rc != 0)
    return rc;
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, state->expected);
  MDB_val key = {8, key_bytes}, value;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE), err,
                       verifying);
  uint64_t revision =
      rc == 0 && key.mv_size == 8 ? store_get_u64(key.mv_data) : 0;
  if (rc == 0 && revision > state->expected)
    add_problem(state->report,
                "The log has a gap: revision %" PRIu64 " is missing (the "
                "next entry is revision %" PRIu64 ").",
                state->expected, revision);
  if (rc == 0 && revision >= state->expected) {
    add_problem(state->report, "Log entry %" PRIu64 " does not decode.",
                revision);
    state->report->entries_checked++;
    crypto_hash_sha256(state->prev_hash, value.mv_data, value.mv_size);
    state->expected = revision + 1;
  } else if (rc == 0 || rc == RT_ENOTFOUND) {
    /* the scan stopped at an entry that is not there now */
    rc = rt_error_set(err, RT_ECORRUPT, NULL,
                      "storage: %s: no entry at or after revision %" PRIu64,
                      verifying, state->expected);
  }
  mdb_cursor_close(cursor);
  return rc;
}

/* The store's revision and the head hash agree with the end of the log. */
static void check_log_end(rt_store_reader_t *reader,
                          const chain_state_t *state) {
  uint64_t revision = rt_store_revision(reader);
  if (revision != state->expected - 1)
    add_problem(state->report,
                "The store's revision is %" PRIu64
                " but the log ends at revision %" PRIu64 ".",
                revision, state->expected - 1);
  MDB_val value;
  if (revision == 0)
    return;
  if (!present(reader, reader->store->meta, "log_head", 8, &value))
    add_problem(state->report,
                "The head hash of the log is missing: an alteration of the "
                "newest entry (revision %" PRIu64 ") would go unnoticed.",
                revision);
  else if (value.mv_size != sizeof state->prev_hash ||
           memcmp(value.mv_data, state->prev_hash, sizeof state->prev_hash) !=
               0)
    add_problem(state->report,
                "The newest log entry (revision %" PRIu64 ") does not match "
                "the head hash recorded when it was written: it was altered.",
                revision);
}

/* Walks the log; entries that do not decode are reported and skipped. */
static int verify_log(rt_store_reader_t *reader, rt_verify_report_t *report,
                      rt_error_t *err) {
  chain_state_t state = {.reader = reader, .report = report, .expected = 1};
  store_date_of_ms(store_now_ms() + 24 * 3600 * 1000, state.latest_day);
  for (;;) {
    rt_error_t scan_err;
    int rc = rt_store_log_scan(reader, state.expected, 0, check_chain_entry,
                               &state, &scan_err);
    if (rc == 0)
      break;
    if (rc != RT_ECORRUPT)
      return rt_error_set(err, rc, NULL, "%s", scan_err.message);
    rc = skip_undecodable(reader, &state, err);
    if (rc != 0)
      return rc;
  }
  check_history_counts(&state);
  check_log_end(reader, &state);
  return 0;
}

static const char *index_name(uint8_t tag) {
  switch (tag & ~IDX_ARCHIVED) {
  case IDX_ALL:
    return "every-record";
  case IDX_OPEN_DUE:
    return "open due date";
  case IDX_REVISION:
    return "revision";
  case IDX_WORD:
    return "word";
  case IDX_STATUS:
    return "status";
  case IDX_SOURCE:
    return "source";
  case IDX_ACTOR:
    return "actor";
  case IDX_SDG:
    return "SDG target";
  case IDX_GCM:
    return "GCM objective";
  case IDX_THEME:
    return "theme";
  case IDX_DUE:
    return "due date";
  case IDX_REC:
    return "recommendation";
  case IDX_KIND:
    return "kind";
  case IDX_TRAJECTORY:
    return "trajectory";
  case IDX_COUNTRY:
    return "country";
  case IDX_PENDING:
    return "pending validation";
  case IDX_PUBLICATION:
    return "publication";
  case IDX_LINK:
    return "link";
  case IDX_SPECIFICITY:
    return "specificity";
  default:
    return "unknown";
  }
}

/* "IN_PROGRESS"-style rendering of an index key's value, for sentences. */
static void describe_value(const uint8_t *key, size_t len, char *out,
                           size_t out_len) {
  uint8_t tag = key[0] & ~IDX_ARCHIVED;
  if (tag == IDX_REVISION && len == 9) {
    snprintf(out, out_len, "revision %" PRIu64, store_get_u64(key + 1));
    return;
  }
  if (len == 2 && (tag == IDX_STATUS || tag == IDX_GCM || tag == IDX_KIND ||
                   tag == IDX_TRAJECTORY || tag == IDX_PENDING ||
                   tag == IDX_PUBLICATION || tag == IDX_SPECIFICITY)) {
    const ProtobufCEnumValue *v =
        tag == IDX_STATUS ? protobuf_c_enum_descriptor_get_value(
                                &rectrack__v1__status__descriptor, key[1])
        : tag == IDX_SPECIFICITY
            ? protobuf_c_enum_descriptor_get_value(
                  &rectrack__v1__specificity__descriptor, key[1])
            : NULL;
    if (v)
      snprintf(out, out_len, "%s", v->name);
    else
      snprintf(out, out_len, "%d", key[1]);
  } else if (key[0] == IDX_REC && len == 9) {
    snprintf(out, out_len, "R%" PRIu64, store_get_u64(key + 1));
  } else if (tag == IDX_LINK && len == 10) {
    const char *kind =
        rt_enum_slug(&rectrack__v1__link_kind__descriptor, key[9]);
    snprintf(out, out_len, "%s R%" PRIu64, kind ? kind : "unknown-kind",
             store_get_u64(key + 1));
  } else {
    snprintf(out, out_len, "%.*s", (int)(len - 1), (const char *)key + 1);
  }
}

static void describe_id(rt_entity_t entity, const MDB_val *pk, char *out,
                        size_t out_len) {
  store_describe_key(entity, pk->mv_data, pk->mv_size, out, out_len);
}

/* The record's own id field names the key it is stored under. */
static bool record_has_key(rt_entity_t entity, const ProtobufCMessage *record,
                           const MDB_val *pk) {
  const ProtobufCFieldDescriptor *fd =
      protobuf_c_message_descriptor_get_field_by_name(record->descriptor, "id");
  store_key_t own;
  if (fd == NULL ||
      store_primary_key(entity,
                        *(char *const *)((const char *)record + fd->offset),
                        &own, NULL) != 0)
    return false;
  return own.len == pk->mv_size && memcmp(own.data, pk->mv_data, own.len) == 0;
}

static const char *const plural[] = {"", "sources", "actors", "recommendations",
                                     "commitments"};

/* The log entry at the record's revision is a change of this record, and
 * the record is what that change left: byte for byte the snapshot it
 * holds (creates, updates and decisions). Records are not chained
 * themselves; this ties them to the chained log. (A follow-up's or a
 * measurement's entry holds no snapshot of the subject: its status fields
 * are checked against its history by check_status instead.) */
static void check_record_against_log(rt_store_reader_t *reader,
                                     store_arena_t *arena, rt_entity_t entity,
                                     const ProtobufCMessage *record,
                                     const MDB_val *stored, const char *id,
                                     rt_verify_report_t *report) {
  static const char *const snapshot_fields[] = {"", "source", "actor",
                                                "recommendation", "commitment"};
  uint64_t revision = store_record_revision(entity, record);
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, revision);
  MDB_val value;
  Rectrack__V1__ChangeEvent *event = NULL;
  if (present(reader, reader->store->log, key_bytes, 8, &value))
    event = rectrack__v1__change_event__unpack(&arena->allocator, value.mv_size,
                                               value.mv_data);
  if (event == NULL || strcmp(store_str(event->subject_id), id) != 0) {
    add_problem(report,
                "%s says it was last changed at revision %" PRIu64 ", but "
                "the log holds no change of %s there.",
                id, revision, id);
  } else {
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(
            event->base.descriptor, snapshot_fields[entity]);
    const ProtobufCMessage *snapshot =
        *(ProtobufCMessage *const *)((const char *)event + fd->offset);
    size_t len = snapshot ? protobuf_c_message_get_packed_size(snapshot) : 0;
    uint8_t *packed = snapshot ? store_arena_alloc(arena, len) : NULL;
    if (packed)
      protobuf_c_message_pack(snapshot, packed);
    if (packed &&
        (len != stored->mv_size || memcmp(packed, stored->mv_data, len) != 0))
      add_problem(report,
                  "%s differs from what the change at revision %" PRIu64
                  " left in the log: it was altered.",
                  id, revision);
  }
}

/* ---- status ---------------------------------------------------------- */

static const char *status_slug(int status) {
  const char *slug = rt_enum_slug(&rectrack__v1__status__descriptor, status);
  return slug ? slug : "none";
}

/* A recommendation's or commitment's status fields are what the status
 * rule (store_status.h) makes of its follow-ups as stored: the record
 * and its status index entry cannot disagree with the history. */
static void check_status(rt_store_reader_t *reader, store_arena_t *arena,
                         rt_entity_t entity, const ProtobufCMessage *record,
                         const MDB_val *pk, const char *id,
                         rt_verify_report_t *report) {
  store_key_t key = {.len = pk->mv_size};
  if (pk->mv_size != 8)
    return;
  memcpy(key.data, pk->mv_data, 8);
  store_status_fields_t rule, stored;
  rt_error_t err;
  if (store_status_read(reader->txn, reader->store, entity, &key, NULL, arena,
                        &rule, &err) != 0) {
    add_problem(report, "The follow-ups of %s cannot be read: %s", id,
                err.message);
    return;
  }
  store_status_of_record(entity, record, &stored);
  if (stored.status != rule.status ||
      strcmp(stored.as_of, store_str(rule.as_of)) != 0)
    add_problem(report,
                "%s stores status %s as of \"%.10s\", but its follow-ups make "
                "it %s as of \"%.10s\" (the report recorded at revision "
                "%" PRIu64 " is the latest).",
                id, status_slug(stored.status), stored.as_of,
                status_slug(rule.status), store_str(rule.as_of), rule.revision);
  if (stored.reported_status != rule.reported_status ||
      strcmp(stored.reported_as_of, store_str(rule.reported_as_of)) != 0)
    add_problem(report,
                "%s stores the self-reported status %s as of \"%.10s\", but "
                "its submissions awaiting validation make it %s as of "
                "\"%.10s\".",
                id, status_slug(stored.reported_status), stored.reported_as_of,
                status_slug(rule.reported_status),
                store_str(rule.reported_as_of));
}

/* A joint pledge stores each partner's status as its partner's reports
 * make it (store_pledges.h). */
static void check_partner_statuses(rt_store_reader_t *reader,
                                   store_arena_t *arena,
                                   const Rectrack__V1__Commitment *c,
                                   const MDB_val *pk,
                                   rt_verify_report_t *report) {
  if (pk->mv_size != 8 || (c->n_partner_ids == 0 && c->n_partner_statuses == 0))
    return;
  store_key_t key = {.len = 8};
  memcpy(key.data, pk->mv_data, 8);
  bool agrees = true;
  char problem[400];
  rt_error_t err;
  if (store_pledge_verify(reader->txn, reader->store, &key, c, arena, &agrees,
                          problem, sizeof problem, &err) != 0)
    add_problem(report, "The partners' reports of %s cannot be read: %s",
                store_str(c->id), err.message);
  else if (!agrees)
    add_problem(report, "%s.", problem);
}

/* ---- reference lists ------------------------------------------------- */

static void note_tag(void *arg, const char *sentence) {
  add_notice(arg, "%s", sentence);
}

/* Notes each SDG target, GCM objective and theme of a recommendation or
 * commitment that is outside the reference lists (store_outside_tags). */
/* The specificity index entry a recommendation should have, from its
 * rating now; false when it cannot be worked out. */
static bool specificity_entry(rt_store_reader_t *reader,
                              const Rectrack__V1__Recommendation *rec,
                              store_key_t *key) {
  rt_error_t err;
  int level = 0, gaps[STORE_SPECIFICITY_MARKS];
  size_t n_gaps;
  if (store_specificity(reader->txn, reader->store, rec, &level, gaps, &n_gaps,
                        &err) != 0)
    return false;
  store_specificity_key(level, rec->archived, key);
  return true;
}

/* Every link of a recommendation points at one that exists, and its
 * supersedes links close no cycle (store_links.h). */
static void check_links(rt_store_reader_t *reader,
                        const Rectrack__V1__Recommendation *rec,
                        const store_key_t *pk, const char *id,
                        rt_verify_report_t *report) {
  rt_error_t err;
  rt_error_clear(&err);
  if (store_check_links(reader->txn, reader->store, store_get_u64(pk->data),
                        rec, &err) != 0)
    add_problem(report, "%s has a link that cannot stand: %.300s", id,
                err.message);
}

static void check_reference_tags(rt_store_reader_t *reader,
                                 store_arena_t *arena, rt_entity_t entity,
                                 const ProtobufCMessage *record, const char *id,
                                 rt_verify_report_t *report) {
  store_outside_tags(reader->txn, reader->store, arena, entity, record, id,
                     note_tag, report);
}

/* Every record decodes, carries its own id, agrees with the log and is in
 * all its indexes. What it looks at is unpacked into arena. */
static void check_record(rt_store_reader_t *reader, store_arena_t *arena,
                         rt_entity_t entity, MDB_cursor *index,
                         const MDB_val *pk, const MDB_val *value,
                         rt_verify_report_t *report) {
  char id[96];
  describe_id(entity, pk, id, sizeof id);
  report->records_checked++;
  ProtobufCMessage *record = protobuf_c_message_unpack(
      store_entity_descriptor(entity), &arena->allocator, value->mv_size,
      value->mv_data);
  store_keyset_t keys = {0};
  if (record == NULL)
    add_problem(report, "The stored %.20s %s does not decode.", plural[entity],
                id);
  else if (!record_has_key(entity, record, pk))
    add_problem(report, "The %.20s stored under %s carries another id.",
                plural[entity], id);
  else
    check_record_against_log(reader, arena, entity, record, value, id, report);
  if (record != NULL &&
      (entity == RT_ENTITY_RECOMMENDATION || entity == RT_ENTITY_COMMITMENT))
    check_status(reader, arena, entity, record, pk, id, report);
  if (record != NULL && entity == RT_ENTITY_COMMITMENT)
    check_partner_statuses(reader, arena, (const void *)record, pk, report);
  if (record != NULL)
    check_reference_tags(reader, arena, entity, record, id, report);
  if (record != NULL && entity == RT_ENTITY_RECOMMENDATION &&
      pk->mv_size == 8) {
    store_key_t key = {.len = 8};
    memcpy(key.data, pk->mv_data, 8);
    check_links(reader, (const void *)record, &key, id, report);
    store_key_t rating;
    if (specificity_entry(reader, (const void *)record, &rating) &&
        store_keyset_add(&keys, rating.data[0], rating.data + 1, 1) != 0)
      add_problem(report,
                  "The specificity index entry of %s cannot be "
                  "computed.",
                  id);
  }
  if (record && store_index_keys(entity, record, &keys) != 0)
    add_problem(report, "The index keys of %s cannot be computed.", id);
  for (size_t i = 0; i < keys.n; i++) {
    MDB_val key = {keys.keys[i].len, keys.keys[i].data}, dup = *pk;
    if (store_mdb_error(mdb_cursor_get(index, &key, &dup, MDB_GET_BOTH), NULL,
                        "verifying") != 0) {
      char described[96];
      describe_value(keys.keys[i].data, keys.keys[i].len, described,
                     sizeof described);
      add_problem(report, "%s is missing from the %s index of %s (%s).", id,
                  index_name(keys.keys[i].data[0]), plural[entity], described);
    }
  }
  store_keyset_free(&keys);
}

static int verify_records(rt_store_reader_t *reader, store_arena_t *arena,
                          rt_entity_t entity, rt_verify_report_t *report,
                          rt_error_t *err) {
  const char *verifying = "verifying records";
  MDB_cursor *cursor = NULL, *index = NULL;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, store_entity_dbi(reader->store, entity),
                      &cursor),
      err, verifying);
  if (rc == 0)
    rc = store_mdb_error(
        mdb_cursor_open(reader->txn, store_entity_index(reader->store, entity),
                        &index),
        err, verifying);
  MDB_val pk, value;
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_FIRST), err,
                         verifying);
  while (rc == 0) {
    check_record(reader, arena, entity, index, &pk, &value, report);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_NEXT), err,
                         verifying);
  }
  if (index)
    mdb_cursor_close(index);
  if (cursor)
    mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the records */
}

/* One index entry points at a record that exists and has that value. */
static void check_index_entry(rt_store_reader_t *reader, store_arena_t *arena,
                              rt_entity_t entity, const MDB_val *key,
                              const MDB_val *pk, rt_verify_report_t *report) {
  char id[96], described[96];
  describe_id(entity, pk, id, sizeof id);
  describe_value(key->mv_data, key->mv_size, described, sizeof described);
  const char *name = index_name(((const uint8_t *)key->mv_data)[0]);
  report->index_entries_checked++;
  MDB_val value;
  if (!present(reader, store_entity_dbi(reader->store, entity), pk->mv_data,
               pk->mv_size, &value)) {
    add_problem(report,
                "The %s index of %s has an entry %s for %s, which does not "
                "exist.",
                name, plural[entity], described, id);
    return;
  }
  ProtobufCMessage *record = protobuf_c_message_unpack(
      store_entity_descriptor(entity), &arena->allocator, value.mv_size,
      value.mv_data);
  store_keyset_t keys = {0};
  store_key_t rating;
  /* Only a specificity entry needs the rating (a walk of the commitment
   * index): the others are the record's own. */
  if (record && entity == RT_ENTITY_RECOMMENDATION &&
      (((const uint8_t *)key->mv_data)[0] & ~IDX_ARCHIVED) == IDX_SPECIFICITY &&
      specificity_entry(reader, (const void *)record, &rating) &&
      store_keyset_add(&keys, rating.data[0], rating.data + 1, 1) != 0)
    record = NULL; /* out of memory: say nothing rather than something wrong */
  if (record && store_index_keys(entity, record, &keys) == 0 &&
      !store_keyset_contains(&keys, key->mv_data, key->mv_size))
    add_problem(report,
                "The %s index of %s lists %s under %s, but the record does "
                "not have that value.",
                name, plural[entity], id, described);
  store_keyset_free(&keys);
}

static int verify_index(rt_store_reader_t *reader, store_arena_t *arena,
                        rt_entity_t entity, rt_verify_report_t *report,
                        rt_error_t *err) {
  const char *verifying = "verifying an index";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, store_entity_index(reader->store, entity),
                      &cursor),
      err, verifying);
  if (rc != 0)
    return rc;
  MDB_val key, pk;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &pk, MDB_FIRST), err,
                       verifying);
  while (rc == 0) {
    check_index_entry(reader, arena, entity, &key, &pk, report);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &pk, MDB_NEXT), err,
                         verifying);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the index */
}

/* ---- themes added at run time ------------------------------------------ */

/* One added theme is stored under its own id, byte for byte as the log
 * entry that created it holds it. */
static void check_theme(rt_store_reader_t *reader, store_arena_t *arena,
                        const MDB_val *key, const MDB_val *value,
                        rt_verify_report_t *report) {
  char id[RT_MAX_ID_LEN + 1];
  size_t len = key->mv_size < RT_MAX_ID_LEN ? key->mv_size : RT_MAX_ID_LEN;
  memcpy(id, key->mv_data, len);
  id[len] = '\0';
  report->records_checked++;
  Rectrack__V1__Theme *theme = rectrack__v1__theme__unpack(
      &arena->allocator, value->mv_size, value->mv_data);
  if (theme == NULL || strcmp(store_str(theme->id), id) != 0) {
    add_problem(report, "The theme stored under \"%s\" %s.", id,
                theme ? "carries another id" : "does not decode");
    return;
  }
  uint8_t log_key[8];
  store_put_u64(log_key, theme->revision);
  MDB_val entry;
  Rectrack__V1__ChangeEvent *event = NULL;
  if (present(reader, reader->store->log, log_key, 8, &entry))
    event = rectrack__v1__change_event__unpack(&arena->allocator, entry.mv_size,
                                               entry.mv_data);
  if (event == NULL || event->theme == NULL ||
      strcmp(store_str(event->subject_id), id) != 0)
    add_problem(report,
                "Theme \"%s\" says it was added at revision %" PRIu64
                ", but the log holds no such change.",
                id, theme->revision);
  else if (!same_packed(&event->theme->base, value->mv_data, value->mv_size))
    add_problem(report,
                "Theme \"%s\" differs from what the log recorded when it "
                "was added: it was altered.",
                id);
  if (rt_theme(id) != NULL)
    add_notice(report,
               "Theme \"%s\", added at revision %" PRIu64 ", is now also a "
               "theme of the reference lists (\"%s\"); records tagged with "
               "it read the compiled title.",
               id, theme->revision, rt_theme(id)->title);
}

static int verify_themes(rt_store_reader_t *reader, store_arena_t *arena,
                         rt_verify_report_t *report, rt_error_t *err) {
  const char *verifying = "verifying themes";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, reader->store->themes, &cursor), err,
      verifying);
  if (rc != 0)
    return rc;
  MDB_val key, value;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), err,
                       verifying);
  while (rc == 0) {
    check_theme(reader, arena, &key, &value, report);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         verifying);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* ---- dimension keys and series ------------------------------------------ */

/* One added dimension key is stored under its own name, byte for byte as
 * the log entry that created it holds it. */
static void check_dimension_key(rt_store_reader_t *reader, store_arena_t *arena,
                                const MDB_val *key, const MDB_val *value,
                                rt_verify_report_t *report) {
  char name[RT_DIMENSION_KEY_MAX + 1];
  size_t len =
      key->mv_size < RT_DIMENSION_KEY_MAX ? key->mv_size : RT_DIMENSION_KEY_MAX;
  memcpy(name, key->mv_data, len);
  name[len] = '\0';
  report->records_checked++;
  Rectrack__V1__DimensionKey *k = rectrack__v1__dimension_key__unpack(
      &arena->allocator, value->mv_size, value->mv_data);
  if (k == NULL || strcmp(store_str(k->key), name) != 0) {
    add_problem(report, "The dimension key stored under \"%s\" %s.", name,
                k ? "carries another name" : "does not decode");
    return;
  }
  uint8_t log_key[8];
  store_put_u64(log_key, k->revision);
  MDB_val entry;
  Rectrack__V1__ChangeEvent *event = NULL;
  if (present(reader, reader->store->log, log_key, 8, &entry))
    event = rectrack__v1__change_event__unpack(&arena->allocator, entry.mv_size,
                                               entry.mv_data);
  if (event == NULL || event->dimension_key == NULL ||
      strcmp(store_str(event->subject_id), name) != 0)
    add_problem(report,
                "Dimension key \"%s\" says it was added at revision %" PRIu64
                ", but the log holds no such change.",
                name, k->revision);
  else if (!same_packed(&event->dimension_key->base, value->mv_data,
                        value->mv_size))
    add_problem(report,
                "Dimension key \"%s\" differs from what the log recorded "
                "when it was added: it was altered.",
                name);
  if (rt_dimension_key(name) != NULL)
    add_notice(report,
               "Dimension key \"%s\", added at revision %" PRIu64
               ", is now also a key of the reference lists; measurements "
               "carrying it are checked by the compiled rule.",
               name, k->revision);
}

static int verify_dimension_keys(rt_store_reader_t *reader,
                                 store_arena_t *arena,
                                 rt_verify_report_t *report, rt_error_t *err) {
  const char *verifying = "verifying dimension keys";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, reader->store->dim_keys, &cursor), err,
      verifying);
  if (rc != 0)
    return rc;
  MDB_val key, value;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), err,
                       verifying);
  while (rc == 0) {
    check_dimension_key(reader, arena, &key, &value, report);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         verifying);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* Each commitment's series counts are those its measurements give. */
static int verify_series_counts(rt_store_reader_t *reader, store_arena_t *arena,
                                rt_verify_report_t *report, rt_error_t *err) {
  const char *verifying = "verifying series counts";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, reader->store->coms, &cursor), err,
      verifying);
  if (rc != 0)
    return rc;
  MDB_val key, value;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), err,
                       verifying);
  while (rc == 0) {
    Rectrack__V1__Commitment *com =
        key.mv_size == 8 ? rectrack__v1__commitment__unpack(
                               &arena->allocator, value.mv_size, value.mv_data)
                         : NULL;
    Rectrack__V1__MeasurementSeries **series = NULL;
    size_t n = 0;
    uint32_t above = 0;
    rt_error_t inner;
    if (com != NULL &&
        store_series_collect(reader->txn, reader->store, arena,
                             store_get_u64(key.mv_data), com->indicator,
                             &series, &n, &above, &inner) == 0 &&
        (n != com->series_count || above != com->series_above_ceiling_count))
      add_problem(report,
                  "Commitment %s counts %u series, %u above the ceiling, "
                  "but its measurements make %zu and %u.",
                  store_str(com->id), com->series_count,
                  com->series_above_ceiling_count, n, above);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         verifying);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* A request id must name the change it was sent with: the log entry at
 * its revision carries the same principal and request id, so that a
 * retry is answered with its own change and no other principal's. */
static void check_request(rt_store_reader_t *reader, store_arena_t *arena,
                          const MDB_val *key, const MDB_val *value,
                          rt_verify_report_t *report) {
  const char *nul = memchr(key->mv_data, 0, key->mv_size);
  char shown[RT_EXCERPT_SIZE];
  char text[STORE_MAX_KEY + 1];
  size_t len = key->mv_size < STORE_MAX_KEY ? key->mv_size : STORE_MAX_KEY;
  memcpy(text, key->mv_data, len);
  text[len] = '\0';
  if (nul == NULL || value->mv_size != 9) {
    add_problem(report, "Request id \"%s\" is not scoped to a principal.",
                rt_quote_excerpt(text, shown));
    return;
  }
  const char *principal = text,
             *request_id = text + (nul - (const char *)key->mv_data) + 1;
  uint64_t revision = store_get_u64(value->mv_data);
  uint8_t log_key[8];
  store_put_u64(log_key, revision);
  MDB_val lk = {8, log_key}, data;
  ProtobufCMessage *message = NULL;
  rt_error_t ignored;
  if (mdb_get(reader->txn, reader->store->log, &lk, &data) != 0 ||
      store_unpack(arena, &rectrack__v1__change_event__descriptor, data.mv_data,
                   data.mv_size, &message, &ignored) != 0) {
    add_problem(report,
                "Request id \"%s\" of %s points at revision %" PRIu64
                ", which has no readable log entry.",
                rt_quote_excerpt(request_id, shown), principal, revision);
    return;
  }
  const Rectrack__V1__ChangeEvent *event = (const void *)message;
  if (strcmp(store_str(event->principal), principal) != 0 ||
      strcmp(store_str(event->request_id), request_id) != 0)
    add_problem(report,
                "Request id \"%s\" of %s points at revision %" PRIu64
                ", a change made by %.64s with another request id.",
                rt_quote_excerpt(request_id, shown), principal, revision,
                store_str(event->principal));
}

static int verify_requests(rt_store_reader_t *reader, store_arena_t *arena,
                           rt_verify_report_t *report, rt_error_t *err) {
  const char *verifying = "verifying request ids";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, reader->store->requests, &cursor), err,
      verifying);
  if (rc != 0)
    return rc;
  MDB_val key, value;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), err,
                       verifying);
  while (rc == 0) {
    check_request(reader, arena, &key, &value, report);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         verifying);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* ---- the word index --------------------------------------------------- */

/* A record's stored word list is the words of its title and text, and
 * each word's entry is in the word index, under the record's variant. */
static void check_record_words(rt_store_reader_t *reader, rt_entity_t entity,
                               MDB_cursor *words, const MDB_val *pk,
                               const ProtobufCMessage *record,
                               rt_verify_report_t *report) {
  char id[96];
  describe_id(entity, pk, id, sizeof id);
  store_words_t expected = {0};
  if (store_words_of_record(entity, record, &expected) != 0) {
    add_problem(report, "The words of %s cannot be computed.", id);
    return;
  }
  MDB_val list = {0, NULL};
  bool have = present(reader, store_word_lists(reader->store, entity),
                      pk->mv_data, pk->mv_size, &list);
  if ((have ? list.mv_size : 0) != expected.len ||
      (expected.len && memcmp(list.mv_data, expected.text, expected.len)))
    add_problem(report,
                "The word list of %s is not the words of its title and "
                "text.",
                id);
  bool archived = store_record_archived(entity, record);
  const char *at = expected.text, *end = expected.text + expected.len;
  while (at != NULL && at < end) {
    const char *word = at + 1, *next = memchr(word, ' ', (size_t)(end - word));
    size_t len = (size_t)((next ? next : end) - word);
    store_key_t key;
    store_word_key(word, len, archived, &key);
    MDB_val k = {key.len, key.data}, dup = *pk;
    if (store_mdb_error(mdb_cursor_get(words, &k, &dup, MDB_GET_BOTH), NULL,
                        "verifying") != 0)
      add_problem(report, "%s is missing from the word index under \"%.*s\".",
                  id, (int)(len > 64 ? 64 : len), word);
    at = next;
  }
  store_words_free(&expected);
}

static int verify_record_words(rt_store_reader_t *reader, store_arena_t *arena,
                               rt_entity_t entity, rt_verify_report_t *report,
                               rt_error_t *err) {
  const char *verifying = "verifying the word index";
  MDB_cursor *cursor = NULL, *words = NULL;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, store_entity_dbi(reader->store, entity),
                      &cursor),
      err, verifying);
  if (rc == 0)
    rc = store_mdb_error(
        mdb_cursor_open(reader->txn, store_word_index(reader->store, entity),
                        &words),
        err, verifying);
  MDB_val pk, value;
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_FIRST), err,
                         verifying);
  while (rc == 0) {
    ProtobufCMessage *record = protobuf_c_message_unpack(
        store_entity_descriptor(entity), &arena->allocator, value.mv_size,
        value.mv_data);
    if (record != NULL) /* one that does not decode is reported already */
      check_record_words(reader, entity, words, &pk, record, report);
    store_arena_reset(arena);
    rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_NEXT), err,
                         verifying);
  }
  if (words)
    mdb_cursor_close(words);
  if (cursor)
    mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* Every word entry points at a record of that variant whose word list
 * holds that word. */
static void check_word_entry(rt_store_reader_t *reader, rt_entity_t entity,
                             const MDB_val *key, const MDB_val *pk,
                             rt_verify_report_t *report) {
  char id[96];
  describe_id(entity, pk, id, sizeof id);
  report->index_entries_checked++;
  const uint8_t *k = key->mv_data;
  int len = (int)(key->mv_size > 65 ? 64 : key->mv_size - 1);
  uint8_t all[2] = {(uint8_t)(IDX_ALL | (k[0] & IDX_ARCHIVED)), 0};
  MDB_val list, all_key = {1, all}, dup = *pk;
  MDB_cursor *index = NULL;
  bool in_variant = false;
  if (mdb_cursor_open(reader->txn, store_entity_index(reader->store, entity),
                      &index) == 0) {
    in_variant = mdb_cursor_get(index, &all_key, &dup, MDB_GET_BOTH) == 0;
    mdb_cursor_close(index);
  }
  char spaced[STORE_WORD_MAX + 2];
  spaced[0] = ' ';
  memcpy(spaced + 1, k + 1, key->mv_size - 1);
  bool listed = false;
  if (present(reader, store_word_lists(reader->store, entity), pk->mv_data,
              pk->mv_size, &list)) {
    const char *at = list.mv_data, *end = at + list.mv_size;
    size_t n = key->mv_size; /* the space and the word */
    while (!listed && at < end) {
      const char *hit = memmem(at, (size_t)(end - at), spaced, n);
      if (hit == NULL)
        break;
      listed = hit + n == end || hit[n] == ' ';
      at = hit + 1;
    }
  }
  if (!in_variant || !listed)
    add_problem(report, "The word index lists %s under \"%.*s\", but %s.", id,
                len, (const char *)k + 1,
                !in_variant ? "no such record is there (or it is archived "
                              "otherwise)"
                            : "its text has no such word");
}

static int verify_word_index(rt_store_reader_t *reader, rt_entity_t entity,
                             rt_verify_report_t *report, rt_error_t *err) {
  const char *verifying = "verifying the word index";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, store_word_index(reader->store, entity),
                      &cursor),
      err, verifying);
  if (rc != 0)
    return rc;
  MDB_val key, pk;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &pk, MDB_FIRST), err,
                       verifying);
  while (rc == 0) {
    if (key.mv_size >= 2 && key.mv_size <= STORE_WORD_MAX + 1)
      check_word_entry(reader, entity, &key, &pk, report);
    else
      add_problem(report, "The word index holds a malformed key.");
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &pk, MDB_NEXT), err,
                         verifying);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int rt_store_verify(rt_store_t *store, rt_verify_report_t *report,
                    rt_error_t *err) {
  memset(report, 0, sizeof *report);
  report->problems = calloc(RT_VERIFY_MAX_PROBLEMS, sizeof *report->problems);
  report->notices = calloc(RT_VERIFY_MAX_PROBLEMS, sizeof *report->notices);
  if (report->problems == NULL || report->notices == NULL) {
    rt_verify_report_free(report);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  store_arena_t arena; /* what the checks look at, reset after each */
  store_arena_init(&arena);
  rt_store_reader_t *reader = NULL;
  int rc = rt_store_reader_begin(store, &reader, err);
  if (rc == 0)
    rc = verify_log(reader, report, err);
  for (int entity = RT_ENTITY_SOURCE; rc == 0 && entity <= RT_ENTITY_COMMITMENT;
       entity++) {
    rc = verify_records(reader, &arena, (rt_entity_t)entity, report, err);
    if (rc == 0)
      rc = verify_index(reader, &arena, (rt_entity_t)entity, report, err);
    if (rc == 0 && entity >= RT_ENTITY_RECOMMENDATION)
      rc =
          verify_record_words(reader, &arena, (rt_entity_t)entity, report, err);
    if (rc == 0 && entity >= RT_ENTITY_RECOMMENDATION)
      rc = verify_word_index(reader, (rt_entity_t)entity, report, err);
  }
  if (rc == 0)
    rc = verify_themes(reader, &arena, report, err);
  if (rc == 0)
    rc = verify_dimension_keys(reader, &arena, report, err);
  if (rc == 0)
    rc = verify_series_counts(reader, &arena, report, err);
  if (rc == 0)
    rc = verify_requests(reader, &arena, report, err);
  rt_store_reader_end(reader);
  store_arena_free(&arena);
  if (rc != 0)
    rt_verify_report_free(report);
  return rc;
}

/* ---- deliberate damage ----------------------------------------------- */

static int damage(rt_store_t *store, MDB_dbi dbi, MDB_val *key, MDB_val *data,
                  bool flip) {
  const char *damaging = "damaging";
  MDB_txn *txn;
  int rc =
      store_mdb_error(mdb_txn_begin(store->env, NULL, 0, &txn), NULL, damaging);
  if (rc != 0)
    return rc;
  uint8_t *copy = NULL;
  if (flip) {
    MDB_val stored;
    rc = store_mdb_error(mdb_get(txn, dbi, key, &stored), NULL, damaging);
    if (rc == 0 && (copy = malloc(stored.mv_size + 1)) == NULL)
      rc = RT_ENOMEM;
    if (rc == 0) {
      memcpy(copy, stored.mv_data, stored.mv_size);
      copy[stored.mv_size - 1] ^= 0x20; /* the end of the entry */
      data->mv_size = stored.mv_size;
      data->mv_data = copy;
    }
  }
  if (rc == 0)
    rc = store_mdb_error(mdb_put(txn, dbi, key, data, 0), NULL, damaging);
  free(copy);
  if (rc == 0)
    rc = store_mdb_error(mdb_txn_commit(txn), NULL, damaging);
  else
    mdb_txn_abort(txn);
  return rc == STORE_EMAPFULL ? RT_ENOSPC : rc;
}

int rt_store_test_corrupt_log_entry(rt_store_t *store, uint64_t revision) {
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, revision);
  MDB_val key = {8, key_bytes}, data = {0, NULL};
  return damage(store, store->log, &key, &data, true);
}

int rt_store_test_add_dangling_index(rt_store_t *store, const char *rec_id) {
  uint64_t number = store_parse_number_id(rec_id, 'R');
  if (number == 0)
    return RT_EINVAL;
  uint8_t key_bytes[2] = {IDX_STATUS,
                          RECTRACK__V1__STATUS__STATUS_NO_INFORMATION};
  uint8_t pk[8];
  store_put_u64(pk, number);
  MDB_val key = {2, key_bytes}, data = {8, pk};
  return damage(store, store->rec_idx, &key, &data, false);
}
