/*
 * Records: create, get, update with a mask, archive, server-assigned ids
 * and fields, referential checks, idempotent creates, revision conflicts,
 * follow-ups and measurements changing their subject, and the validation
 * of each field with the field named in the error.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rt_store_t *store_of(void **state) {
  return ((fixture_t *)*state)->store;
}

static void test_create_recommendation_assigns_sequential_ids(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Improve data");
  rec.id = (char *)"R99"; /* ignored: the server assigns ids */
  rec.status = RECTRACK__V1__STATUS__STATUS_IMPLEMENTED; /* ignored too */
  char *first = fx_create_recommendation(store, &rec);
  char *second = fx_create_recommendation(store, &rec);
  assert_string_equal(first, "R1");
  assert_string_equal(second, "R2");
  Rectrack__V1__Recommendation *got = fx_get_recommendation(store, "R2");
  assert_non_null(got);
  assert_int_equal(got->status, RECTRACK__V1__STATUS__STATUS_NO_INFORMATION);
  assert_string_equal(got->title, "Improve data");
  assert_string_equal(got->updated_by, "tester");
  assert_true(got->revision > 0);
  protobuf_c_message_free_unpacked(&got->base, NULL);
  free(first);
  free(second);
}

static void test_get_returns_each_entity_and_not_found(void **state) {
  rt_store_t *store = store_of(state);
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__Source *source = NULL;
  Rectrack__V1__Actor *actor = NULL;
  assert_int_equal(rt_store_get_source(reader, "idm-2023", &source, &err), 0);
  assert_string_equal(source->title, "International Dialogue on Migration");
  assert_int_equal(rt_store_get_actor(reader, "iom", &actor, &err), 0);
  assert_string_equal(actor->id, "iom");
  Rectrack__V1__Recommendation *rec = NULL;
  assert_int_equal(rt_store_get_recommendation(reader, "R7", &rec, &err),
                   RT_ENOTFOUND);
  assert_int_equal(rt_store_get_recommendation(reader, "R07", &rec, &err),
                   RT_EINVAL);
  Rectrack__V1__Commitment *com = NULL;
  assert_int_equal(rt_store_get_commitment(reader, "R1", &com, &err),
                   RT_EINVAL);
  protobuf_c_message_free_unpacked(&source->base, NULL);
  protobuf_c_message_free_unpacked(&actor->base, NULL);
  rt_store_reader_end(reader);
}

static void test_create_existing_slug_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  assert_int_equal(fx_create_actor(store, "iom"), RT_EEXIST);
  assert_int_equal(fx_create_source(store, "idm-2023"), RT_EEXIST);
}

static void test_same_request_id_creates_once(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Once only");
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  op.request_id = "req-42";
  assert_int_equal(fx_apply(store, &op), 0);
  uint64_t revision = op.revision;
  assert_false(op.replayed);
  rt_write_ops_release(&op, 1);
  rt_write_op_t again = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  again.request_id = "req-42";
  assert_int_equal(fx_apply(store, &again), 0);
  assert_true(again.replayed);
  assert_int_equal(again.revision, revision);
  Rectrack__V1__Recommendation *replayed =
      rectrack__v1__recommendation__unpack(NULL, again.reply_len, again.reply);
  assert_string_equal(replayed->id, "R1");
  protobuf_c_message_free_unpacked(&replayed->base, NULL);
  rt_write_ops_release(&again, 1);
  rt_store_reader_t *reader;
  rt_error_t err;
  rt_store_counts_t counts;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  assert_int_equal(rt_store_count(reader, &counts, &err), 0);
  assert_int_equal(counts.recommendations, 1);
  assert_int_equal(counts.revision, revision);
  rt_store_reader_end(reader);
}

static void test_request_id_reused_for_other_kind_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("First");
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  op.request_id = "shared";
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Commitment com = fx_commitment("Other");
  rt_write_op_t other = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  other.request_id = "shared";
  assert_int_equal(fx_apply(store, &other), RT_EINVAL);
  assert_string_equal(other.error.field, "request_id");
}

static void test_update_replaces_only_masked_fields(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Original title");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__Recommendation change = RECTRACK__V1__RECOMMENDATION__INIT;
  change.id = id;
  change.title = (char *)"New title";
  change.text = (char *)"would be erased if unmasked";
  const char *mask[] = {"title"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &change, mask, 1);
  op.principal = "alice";
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Recommendation *got = fx_get_recommendation(store, id);
  assert_string_equal(got->title, "New title");
  assert_string_equal(got->text, "Improve disaggregated migration data.");
  assert_int_equal(got->n_sdg_targets, 2);
  assert_string_equal(got->updated_by, "alice");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  free(id);
}

static void test_update_mask_naming_server_field_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Masked");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__Recommendation change = fx_recommendation("Masked");
  change.id = id;
  const char *mask[] = {"title", "status"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &change, mask, 2);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "update_mask[1]");
  const char *unknown[] = {"colour"};
  op = fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &change, unknown, 1);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_non_null(strstr(op.error.message, "colour"));
  free(id);
}

static void test_update_with_stale_revision_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Contested");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__Recommendation change = fx_recommendation("First edit");
  change.id = id;
  rt_write_op_t op = fx_op(RT_OP_UPDATE_RECOMMENDATION, &change);
  op.principal = "alice";
  assert_int_equal(fx_apply(store, &op), 0);
  uint64_t current = op.revision;
  rt_write_ops_release(&op, 1);
  change.title = (char *)"Second edit";
  op = fx_op(RT_OP_UPDATE_RECOMMENDATION, &change);
  op.expected_revision = current - 1;
  assert_int_equal(fx_apply(store, &op), RT_ECONFLICT);
  char expected[64];
  snprintf(expected, sizeof expected, "revision %llu",
           (unsigned long long)current);
  assert_non_null(strstr(op.error.message, expected));
  assert_non_null(strstr(op.error.message, "alice"));
  op = fx_op(RT_OP_UPDATE_RECOMMENDATION, &change);
  op.expected_revision = current;
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  free(id);
}

static void test_update_without_changes_writes_nothing(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Stable");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__Recommendation *before = fx_get_recommendation(store, id);
  rec.id = id;
  rt_write_op_t op = fx_op(RT_OP_UPDATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(store, &op), 0);
  assert_int_equal(op.revision, before->revision);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Recommendation *after = fx_get_recommendation(store, id);
  assert_int_equal(after->revision, before->revision);
  protobuf_c_message_free_unpacked(&before->base, NULL);
  protobuf_c_message_free_unpacked(&after->base, NULL);
  free(id);
}

static void test_archive_is_a_masked_update(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
  actor.id = (char *)"mex";
  actor.archived = true;
  const char *mask[] = {"archived"};
  rt_write_op_t op = fx_update_op(RT_OP_UPDATE_ACTOR, &actor, mask, 1);
  assert_int_equal(fx_apply(store, &op), 0);
  Rectrack__V1__Actor *got =
      rectrack__v1__actor__unpack(NULL, op.reply_len, op.reply);
  assert_true(got->archived);
  assert_string_equal(got->name, "mex");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  rt_write_ops_release(&op, 1);
}

static void test_update_of_missing_record_is_not_found(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation change = fx_recommendation("Ghost");
  change.id = (char *)"R12";
  rt_write_op_t op = fx_op(RT_OP_UPDATE_RECOMMENDATION, &change);
  assert_int_equal(fx_apply(store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "recommendation.id");
}

static void test_references_must_exist(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Dangling");
  rec.lead_actor_id = (char *)"nobody";
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "recommendation.lead_actor_id");
  rec = fx_recommendation("Dangling");
  rec.source_id = (char *)"no-such-source";
  op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "recommendation.source_id");
  char *addressed[] = {(char *)"bgd", (char *)"zzz"};
  rec = fx_recommendation("Dangling");
  rec.addressed_to = addressed;
  rec.n_addressed_to = 2;
  op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "recommendation.addressed_to[1]");
  Rectrack__V1__Commitment com = fx_commitment("Pledge");
  char *recs[] = {(char *)"R5"};
  com.recommendation_ids = recs;
  com.n_recommendation_ids = 1;
  op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "commitment.recommendation_ids[0]");
  com = fx_commitment("Pledge");
  com.actor_id = (char *)"nobody";
  op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "commitment.actor_id");
}

/* One bad value per rule: the error names the field. */
static void expect_rec_rejected(rt_store_t *store,
                                const Rectrack__V1__Recommendation *rec,
                                const char *field) {
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, rec);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, field);
  assert_non_null(strstr(op.error.message, field));
}

static void test_recommendation_fields_are_validated(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("");
  expect_rec_rejected(store, &rec, "recommendation.title");
  rec = fx_recommendation("   ");
  expect_rec_rejected(store, &rec, "recommendation.title");
  char *bad_sdg[] = {(char *)"10.7", (char *)"18.1"};
  rec = fx_recommendation("ok");
  rec.sdg_targets = bad_sdg;
  expect_rec_rejected(store, &rec, "recommendation.sdg_targets[1]");
  int32_t bad_gcm[] = {24};
  rec = fx_recommendation("ok");
  rec.gcm_objectives = bad_gcm;
  rec.n_gcm_objectives = 1;
  expect_rec_rejected(store, &rec, "recommendation.gcm_objectives[0]");
  rec = fx_recommendation("ok");
  rec.due_date = (char *)"2023-02-30";
  expect_rec_rejected(store, &rec, "recommendation.due_date");
  rec = fx_recommendation("ok");
  rec.theme = (char *)"Not A Slug";
  expect_rec_rejected(store, &rec, "recommendation.theme");
  rec = fx_recommendation("ok");
  rec.text = (char *)"bad \xc3\x28 utf-8";
  expect_rec_rejected(store, &rec, "recommendation.text");
  char *long_title = malloc(600);
  memset(long_title, 'a', 599);
  long_title[599] = '\0';
  rec = fx_recommendation(long_title);
  expect_rec_rejected(store, &rec, "recommendation.title");
  free(long_title);
}

static void test_source_and_actor_fields_are_validated(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
  actor.id = (char *)"Bad_Slug";
  actor.name = (char *)"x";
  rt_write_op_t op = fx_op(RT_OP_CREATE_ACTOR, &actor);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "actor.id");
  actor.id = (char *)"xyz";
  actor.country = (char *)"XXX";
  op = fx_op(RT_OP_CREATE_ACTOR, &actor);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "actor.country");
  actor.country = (char *)"BGD";
  actor.kind = 99;
  op = fx_op(RT_OP_CREATE_ACTOR, &actor);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "actor.kind");
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = (char *)"gfmd-2024";
  source.title = (char *)"GFMD";
  source.date = (char *)"2024-13-01";
  op = fx_op(RT_OP_CREATE_SOURCE, &source);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "source.date");
}

static void test_commitment_indicator_is_validated(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Indicator ind = fx_indicator("Remittance cost", 6.0, 3.0);
  ind.baseline_date = (char *)"2015-01-01";
  ind.target_date = (char *)"2010-01-01";
  Rectrack__V1__Commitment com = fx_commitment("Cheaper remittances");
  com.indicator = &ind;
  rt_write_op_t op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "commitment.indicator.target_date");
  ind.target_date = (char *)"2030-01-01";
  ind.direction = RECTRACK__V1__DIRECTION__DIRECTION_INCREASE;
  op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "commitment.indicator.direction");
  char *recs[] = {(char *)"X1"};
  com = fx_commitment("Bad rec id");
  com.recommendation_ids = recs;
  com.n_recommendation_ids = 1;
  op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "commitment.recommendation_ids[0]");
}

/* Fields a request's message carried that the schema does not know, one
 * numbered 0 among them (protobuf-c lets its overlong form through and
 * packs it back unreadably), are not stored: the records, their history
 * and the change log read back, and the verifier finds the store sound. */
static void test_unknown_fields_are_never_stored(void **state) {
  rt_store_t *store = store_of(state);
  uint8_t zero = 0;
  uint8_t text[] = "x";
  ProtobufCMessageUnknownField field_zero = {.tag = 0,
                                             .wire_type =
                                                 PROTOBUF_C_WIRE_TYPE_VARINT,
                                             .len = 1,
                                             .data = &zero};
  ProtobufCMessageUnknownField newer = {
      .tag = 99,
      .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
      .len = 1,
      .data = text};
  Rectrack__V1__Indicator ind = fx_indicator("Remittance cost", 6.0, 3.0);
  ind.base.n_unknown_fields = 1;
  ind.base.unknown_fields = &field_zero;
  Rectrack__V1__Commitment com = fx_commitment("Cheaper remittances");
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  com.indicator = &ind;
  com.base.n_unknown_fields = 1;
  com.base.unknown_fields = &newer;
  rt_write_op_t op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(store, &op), 0);
  Rectrack__V1__Commitment *reply =
      rectrack__v1__commitment__unpack(NULL, op.reply_len, op.reply);
  assert_non_null(reply);
  assert_int_equal(reply->base.n_unknown_fields, 0);
  assert_int_equal(reply->indicator->base.n_unknown_fields, 0);
  protobuf_c_message_free_unpacked(&reply->base, NULL);
  rt_write_ops_release(&op, 1);

  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = (char *)"C1";
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  fu.as_of = (char *)"2025-06-30";
  fu.base.n_unknown_fields = 1;
  fu.base.unknown_fields = &field_zero;
  op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Measurement m = RECTRACK__V1__MEASUREMENT__INIT;
  m.commitment_id = (char *)"C1";
  m.value = 5.5;
  m.as_of = (char *)"2025-06-30";
  m.base.n_unknown_fields = 1;
  m.base.unknown_fields = &field_zero;
  op = fx_op(RT_OP_RECORD_MEASUREMENT, &m);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);

  Rectrack__V1__Commitment *got = fx_get_commitment(store, "C1");
  assert_non_null(got);
  assert_int_equal(got->base.n_unknown_fields, 0);
  assert_non_null(got->indicator);
  assert_int_equal(got->indicator->base.n_unknown_fields, 0);
  assert_int_equal(got->status, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  protobuf_c_message_free_unpacked(&got->base, NULL);
  fx_expect_sound(store);
}

static void test_follow_up_sets_status_and_keeps_previous(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Followed");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = id;
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  fu.as_of = (char *)"2024-03-01";
  fu.reported_by = (char *)"bgd";
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.principal = "secretariat";
  assert_int_equal(fx_apply(store, &op), 0);
  Rectrack__V1__FollowUp *got =
      rectrack__v1__follow_up__unpack(NULL, op.reply_len, op.reply);
  assert_int_equal(got->previous_status,
                   RECTRACK__V1__STATUS__STATUS_NO_INFORMATION);
  assert_string_equal(got->recorded_by, "secretariat");
  assert_int_equal(got->revision, op.revision);
  protobuf_c_message_free_unpacked(&got->base, NULL);
  rt_write_ops_release(&op, 1);
  assert_int_equal(fx_follow_up(store, id,
                                RECTRACK__V1__STATUS__STATUS_IMPLEMENTED,
                                "2024-06-01"),
                   0);
  Rectrack__V1__Recommendation *now = fx_get_recommendation(store, id);
  assert_int_equal(now->status, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
  assert_string_equal(now->last_follow_up_as_of, "2024-06-01");
  protobuf_c_message_free_unpacked(&now->base, NULL);
  free(id);
}

static void test_follow_up_without_status_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("No status");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = id;
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "follow_up.status");
  assert_int_equal(fx_follow_up(store, "R404",
                                RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-01-01"),
                   RT_ENOTFOUND);
  free(id);
}

static void test_follow_up_with_stale_revision_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Raced");
  char *id = fx_create_recommendation(store, &rec);
  assert_int_equal(fx_follow_up(store, id, RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-01-01"),
                   0);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = id;
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.expected_revision = 1;
  assert_int_equal(fx_apply(store, &op), RT_ECONFLICT);
  assert_non_null(strstr(op.error.message, "tester"));
  free(id);
}

static void test_measurement_needs_an_indicator(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Commitment com = fx_commitment("Plain policy");
  char *id = fx_create_commitment(store, &com);
  assert_int_equal(fx_measure(store, id, 1.0, "2024-01-01"), RT_EPRECOND);
  assert_int_equal(fx_measure(store, "C77", 1.0, "2024-01-01"), RT_ENOTFOUND);
  free(id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_create_recommendation_assigns_sequential_ids, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_get_returns_each_entity_and_not_found, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_create_existing_slug_is_rejected,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_same_request_id_creates_once,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_request_id_reused_for_other_kind_is_rejected, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_update_replaces_only_masked_fields,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_update_mask_naming_server_field_is_rejected, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_update_with_stale_revision_is_rejected, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_update_without_changes_writes_nothing, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_archive_is_a_masked_update, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_update_of_missing_record_is_not_found, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_references_must_exist, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_unknown_fields_are_never_stored,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_recommendation_fields_are_validated,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_source_and_actor_fields_are_validated, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_commitment_indicator_is_validated,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_follow_up_sets_status_and_keeps_previous, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_follow_up_without_status_is_rejected,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_follow_up_with_stale_revision_is_rejected, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_measurement_needs_an_indicator,
                                      fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
