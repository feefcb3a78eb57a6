/*
 * store_fixture: per-test temporary stores and record helpers for the
 * storage tests (see store_fixture.h).
 */
#include "store_fixture.h"

#include "rt_validate.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void fx_remove_tree(const char *dir) {
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int open_fixture(void **state, bool populate) {
  fixture_t *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  snprintf(fx->dir, sizeof fx->dir, "/tmp/rt-store-test-XXXXXX");
  assert_non_null(mkdtemp(fx->dir));
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, NULL, &err), 0);
  *state = fx;
  if (populate) {
    assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
    assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
    assert_int_equal(fx_create_actor(fx->store, "mex"), 0);
    assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  }
  return 0;
}

int fx_setup(void **state) { return open_fixture(state, true); }
int fx_setup_empty(void **state) { return open_fixture(state, false); }

int fx_teardown(void **state) {
  fixture_t *fx = *state;
  rt_store_close(fx->store);
  fx_remove_tree(fx->dir);
  free(fx);
  return 0;
}

rt_write_op_t fx_op(rt_op_kind_t kind, const void *message) {
  rt_write_op_t op = {.kind = kind,
                      .principal = "tester",
                      .message = (const ProtobufCMessage *)message};
  return op;
}

int fx_apply(rt_store_t *store, rt_write_op_t *op) {
  rt_error_t err;
  assert_int_equal(rt_store_apply(store, op, 1, &err), 0);
  return op->result;
}

Rectrack__V1__Indicator fx_indicator(const char *name, double baseline,
                                     double target) {
  Rectrack__V1__Indicator ind = RECTRACK__V1__INDICATOR__INIT;
  ind.name = (char *)name;
  ind.baseline_value = baseline;
  ind.baseline_date = (char *)"2020-01-01";
  ind.target_value = target;
  ind.target_date = (char *)"2030-01-01";
  return ind;
}

rt_write_op_t fx_update_op(rt_op_kind_t kind, const void *message,
                           const char *const *mask, size_t mask_len) {
  rt_write_op_t op = fx_op(kind, message);
  op.update_mask = mask;
  op.update_mask_len = mask_len;
  return op;
}

void fx_expect_sound(rt_store_t *store) {
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(store, &report, &err), 0);
  if (report.problem_count != 0)
    fail_msg("the verifier found %zu problems, first: %s", report.problem_count,
             report.problems_len ? report.problems[0] : "?");
  rt_verify_report_free(&report);
}

int fx_create_source(rt_store_t *store, const char *id) {
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = (char *)id;
  source.title = (char *)"International Dialogue on Migration";
  source.date = (char *)"2023-05-10";
  rt_write_op_t op = fx_op(RT_OP_CREATE_SOURCE, &source);
  int rc = fx_apply(store, &op);
  rt_write_ops_release(&op, 1);
  return rc;
}

int fx_create_actor(rt_store_t *store, const char *id) {
  Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
  actor.id = (char *)id;
  actor.name = (char *)id;
  actor.kind = RECTRACK__V1__ACTOR_KIND__ACTOR_KIND_MEMBER_STATE;
  rt_write_op_t op = fx_op(RT_OP_CREATE_ACTOR, &actor);
  int rc = fx_apply(store, &op);
  rt_write_ops_release(&op, 1);
  return rc;
}

Rectrack__V1__Recommendation fx_recommendation(const char *title) {
  static char *sdg[] = {(char *)"10.7", (char *)"17.18"};
  static int32_t gcm[] = {1, 23};
  static char *addressed[] = {(char *)"bgd"};
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = (char *)"idm-2023";
  rec.source_ref = (char *)"4.5 #2";
  rec.title = (char *)title;
  rec.text = (char *)"Improve disaggregated migration data.";
  rec.theme = (char *)"data";
  rec.sdg_targets = sdg;
  rec.n_sdg_targets = 2;
  rec.gcm_objectives = gcm;
  rec.n_gcm_objectives = 2;
  rec.addressed_to = addressed;
  rec.n_addressed_to = 1;
  rec.lead_actor_id = (char *)"iom";
  rec.due_date = (char *)"2025-12-31";
  return rec;
}

static char *create_and_take_id(rt_store_t *store, rt_write_op_t *op,
                                const ProtobufCMessageDescriptor *d,
                                size_t id_offset) {
  int rc = fx_apply(store, op);
  if (rc != 0)
    fail_msg("create failed: %s", op->error.message);
  ProtobufCMessage *m =
      protobuf_c_message_unpack(d, NULL, op->reply_len, op->reply);
  assert_non_null(m);
  char *id = strdup(*(char **)((char *)m + id_offset));
  protobuf_c_message_free_unpacked(m, NULL);
  rt_write_ops_release(op, 1);
  return id;
}

char *fx_create_recommendation(rt_store_t *store,
                               const Rectrack__V1__Recommendation *rec) {
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, rec);
  return create_and_take_id(store, &op,
                            &rectrack__v1__recommendation__descriptor,
                            offsetof(Rectrack__V1__Recommendation, id));
}

Rectrack__V1__Commitment fx_commitment(const char *title) {
  Rectrack__V1__Commitment com = RECTRACK__V1__COMMITMENT__INIT;
  com.actor_id = (char *)"mex";
  com.title = (char *)title;
  com.text = (char *)"Lower the cost of sending remittances.";
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_POLICY;
  com.theme = (char *)"remittances";
  com.due_date = (char *)"2030-01-01";
  return com;
}

char *fx_create_commitment(rt_store_t *store,
                           const Rectrack__V1__Commitment *com) {
  rt_write_op_t op = fx_op(RT_OP_CREATE_COMMITMENT, com);
  return create_and_take_id(store, &op, &rectrack__v1__commitment__descriptor,
                            offsetof(Rectrack__V1__Commitment, id));
}

/* A report is recorded at noon (UTC) of the day it speaks of, so that a
 * test may report on any day, past or to come, without depending on the
 * wall clock: the store refuses reports dated after tomorrow. */
static int64_t noon_of(const char *as_of) {
  long days = 0;
  if (as_of == NULL || rt_date_to_days(as_of, &days) != 0)
    return 0;
  return ((int64_t)days * 86400 + 43200) * 1000;
}

int fx_follow_up(rt_store_t *store, const char *subject_id, int status,
                 const char *as_of) {
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = (char *)subject_id;
  fu.status = status;
  fu.as_of = (char *)as_of;
  fu.note = (char *)"reported at the review";
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.now_ms = noon_of(as_of);
  int rc = fx_apply(store, &op);
  rt_write_ops_release(&op, 1);
  return rc;
}

int fx_measure(rt_store_t *store, const char *commitment_id, double value,
               const char *as_of) {
  Rectrack__V1__Measurement m = RECTRACK__V1__MEASUREMENT__INIT;
  m.commitment_id = (char *)commitment_id;
  m.value = value;
  m.as_of = (char *)as_of;
  rt_write_op_t op = fx_op(RT_OP_RECORD_MEASUREMENT, &m);
  op.now_ms = noon_of(as_of);
  int rc = fx_apply(store, &op);
  rt_write_ops_release(&op, 1);
  return rc;
}

static ProtobufCMessage *get_record(rt_store_t *store, rt_entity_t entity,
                                    const char *id) {
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  const void *data;
  size_t len;
  ProtobufCMessage *m = NULL;
  if (rt_store_get_raw(reader, entity, id, &data, &len, &err) == 0)
    m = protobuf_c_message_unpack(
        entity == RT_ENTITY_RECOMMENDATION
            ? &rectrack__v1__recommendation__descriptor
            : &rectrack__v1__commitment__descriptor,
        NULL, len, data);
  rt_store_reader_end(reader);
  return m;
}

Rectrack__V1__Recommendation *fx_get_recommendation(rt_store_t *store,
                                                    const char *id) {
  return (void *)get_record(store, RT_ENTITY_RECOMMENDATION, id);
}

Rectrack__V1__Commitment *fx_get_commitment(rt_store_t *store, const char *id) {
  return (void *)get_record(store, RT_ENTITY_COMMITMENT, id);
}
