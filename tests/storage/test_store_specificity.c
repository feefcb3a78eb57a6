/*
 * Specificity: records built to hit each level, with the marks they lack,
 * as Get, List and the wire bytes the service appends give them; the
 * indicator mark following the commitments that answer a recommendation
 * (added, given an indicator, archived) with no write to the
 * recommendation itself, and the list filter checked against every
 * record's rating after each kind of write.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOW RECTRACK__V1__SPECIFICITY__SPECIFICITY_LOW
#define MEDIUM RECTRACK__V1__SPECIFICITY__SPECIFICITY_MEDIUM
#define HIGH RECTRACK__V1__SPECIFICITY__SPECIFICITY_HIGH
#define GAP_ADDRESSEE RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_ADDRESSEE
#define GAP_DUE RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_DUE_DATE
#define GAP_INDICATOR RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_INDICATOR
#define GAP_TAGS RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_TAGS

static Rectrack__V1__Recommendation *get_rec(rt_store_t *store,
                                             const char *id) {
  rt_store_reader_t *reader;
  rt_error_t err;
  Rectrack__V1__Recommendation *rec = NULL;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  if (rt_store_get_recommendation(reader, id, &rec, &err) != 0)
    fail_msg("get %s: %s", id, err.message);
  rt_store_reader_end(reader);
  return rec;
}

/* Fails unless id is rated level and lacks exactly the n gaps given. */
static void expect_rating(rt_store_t *store, const char *id, int level,
                          size_t n, ...) {
  Rectrack__V1__Recommendation *rec = get_rec(store, id);
  assert_int_equal(rec->specificity, level);
  assert_int_equal(rec->n_specificity_gaps, n);
  va_list gaps;
  va_start(gaps, n);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(rec->specificity_gaps[i], va_arg(gaps, int));
  va_end(gaps);
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  /* The bytes a Get sends: the stored record and the computed fields. */
  rt_store_reader_t *reader;
  rt_error_t err;
  const void *data;
  size_t len, extra_len;
  uint8_t *extra;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  assert_int_equal(
      rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, id, &data, &len, &err),
      0);
  assert_int_equal(rt_store_recommendation_computed_packed(reader, id, &extra,
                                                           &extra_len, &err),
                   0);
  uint8_t *whole = malloc(len + extra_len);
  memcpy(whole, data, len);
  memcpy(whole + len, extra, extra_len);
  rt_store_reader_end(reader);
  rec = rectrack__v1__recommendation__unpack(NULL, len + extra_len, whole);
  assert_non_null(rec);
  assert_int_equal(rec->specificity, level);
  assert_int_equal(rec->n_specificity_gaps, n);
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  free(whole);
  free(extra);
}

static char *commitment_answering(rt_store_t *store, char *rec_id,
                                  bool with_indicator) {
  Rectrack__V1__Commitment com = fx_commitment("Answer");
  char *ids[] = {rec_id};
  com.recommendation_ids = ids;
  com.n_recommendation_ids = 1;
  Rectrack__V1__Indicator indicator = fx_indicator("cost", 6, 3);
  if (with_indicator)
    com.indicator = &indicator;
  return fx_create_commitment(store, &com);
}

static void test_records_built_to_hit_each_level(void **state) {
  fixture_t *fx = *state;
  /* Every mark: addressee and lead, due date, tags, an indicator. */
  Rectrack__V1__Recommendation rec = fx_recommendation("Specific");
  char *high = fx_create_recommendation(fx->store, &rec);
  free(commitment_answering(fx->store, high, true));
  expect_rating(fx->store, high, HIGH, 0);

  /* Two or three marks: medium. */
  char *three = fx_create_recommendation(fx->store, &rec);
  expect_rating(fx->store, three, MEDIUM, 1, GAP_INDICATOR);
  rec.due_date = (char *)"";
  char *two = fx_create_recommendation(fx->store, &rec);
  free(commitment_answering(fx->store, two, false)); /* no indicator */
  expect_rating(fx->store, two, MEDIUM, 2, GAP_DUE, GAP_INDICATOR);

  /* A lead without addressees is no addressee; tags alone: low. */
  rec.n_addressed_to = 0;
  char *one = fx_create_recommendation(fx->store, &rec);
  expect_rating(fx->store, one, LOW, 3, GAP_ADDRESSEE, GAP_DUE, GAP_INDICATOR);
  rec.n_sdg_targets = 0;
  rec.n_gcm_objectives = 0;
  rec.lead_actor_id = (char *)"";
  char *none = fx_create_recommendation(fx->store, &rec);
  expect_rating(fx->store, none, LOW, 4, GAP_ADDRESSEE, GAP_DUE, GAP_INDICATOR,
                GAP_TAGS);

  /* A list carries the rating too. */
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  rt_store_reader_t *reader;
  rt_error_t err;
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, "2026-06-01", &resp, &err),
      0);
  rt_store_reader_end(reader);
  assert_int_equal(resp->n_recommendations, 5);
  const int levels[] = {HIGH, MEDIUM, MEDIUM, LOW, LOW};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(resp->recommendations[i]->specificity, levels[i]);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  fx_expect_sound(fx->store);
  free(high);
  free(three);
  free(two);
  free(one);
  free(none);
}

static void test_the_indicator_mark_follows_the_commitments(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__Recommendation rec = fx_recommendation("Followed");
  char *id = fx_create_recommendation(fx->store, &rec);
  char *plain = commitment_answering(fx->store, id, false);
  expect_rating(fx->store, id, MEDIUM, 1, GAP_INDICATOR);

  /* The commitment gets an indicator: the recommendation is specific. */
  Rectrack__V1__Commitment edit = RECTRACK__V1__COMMITMENT__INIT;
  Rectrack__V1__Indicator indicator = fx_indicator("cost", 6, 3);
  edit.id = plain;
  edit.indicator = &indicator;
  static const char *const indicator_mask[] = {"indicator"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_COMMITMENT, &edit, indicator_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  expect_rating(fx->store, id, HIGH, 0);

  /* Archived, it no longer answers. */
  Rectrack__V1__Commitment archive = RECTRACK__V1__COMMITMENT__INIT;
  archive.id = plain;
  archive.archived = true;
  static const char *const archived_mask[] = {"archived"};
  op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &archive, archived_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  expect_rating(fx->store, id, MEDIUM, 1, GAP_INDICATOR);

  /* The rating is never stored: a write that sends one is ignored. */
  rec.specificity = HIGH;
  char *sent = fx_create_recommendation(fx->store, &rec);
  Rectrack__V1__Recommendation *stored = fx_get_recommendation(fx->store, sent);
  assert_int_equal(stored->specificity, 0);
  protobuf_c_message_free_unpacked(&stored->base, NULL);
  fx_expect_sound(fx->store);
  free(sent);
  free(plain);
  free(id);
}

/* Lists --specificity level (include_archived as asked) and checks the
 * ids against the rating Get gives every recommendation. */
static void expect_filter(rt_store_t *store, int level, bool include_archived,
                          char **ids, size_t n) {
  char expected[32][16];
  size_t n_expected = 0;
  for (size_t i = 0; i < n; i++) {
    Rectrack__V1__Recommendation *rec = get_rec(store, ids[i]);
    if ((int)rec->specificity == level && (include_archived || !rec->archived))
      snprintf(expected[n_expected++], 16, "%s", rec->id);
    protobuf_c_message_free_unpacked(&rec->base, NULL);
  }
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.specificity = level;
  req.include_archived = include_archived;
  rt_store_reader_t *reader;
  rt_error_t err;
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  if (rt_store_list_recommendations(reader, &req, "2026-06-01", &resp, &err))
    fail_msg("list: %s", err.message);
  rt_store_reader_end(reader);
  assert_int_equal(resp->total_size, (int32_t)n_expected);
  assert_int_equal(resp->n_recommendations, n_expected);
  for (size_t i = 0; i < n_expected; i++)
    assert_string_equal(resp->recommendations[i]->id, expected[i]);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void expect_every_filter(rt_store_t *store, char **ids, size_t n) {
  for (int level = LOW; level <= HIGH; level++) {
    expect_filter(store, level, false, ids, n);
    expect_filter(store, level, true, ids, n);
  }
  fx_expect_sound(store);
}

static void test_the_filter_follows_every_write(void **state) {
  fixture_t *fx = *state;
  enum { N = 12 };
  char *ids[N];
  for (size_t i = 0; i < N; i++) {
    Rectrack__V1__Recommendation rec = fx_recommendation("Rated");
    if (i % 2)
      rec.due_date = (char *)"";
    if (i % 3 == 0)
      rec.n_addressed_to = 0;
    if (i % 4 == 0) {
      rec.n_sdg_targets = 0;
      rec.n_gcm_objectives = 0;
    }
    ids[i] = fx_create_recommendation(fx->store, &rec);
  }
  expect_every_filter(fx->store, ids, N);
  /* A commitment with an indicator answering three of them. */
  Rectrack__V1__Commitment com = fx_commitment("Answers three");
  Rectrack__V1__Indicator indicator = fx_indicator("cost", 6, 3);
  char *three[] = {ids[1], ids[2], ids[8]};
  com.recommendation_ids = three;
  com.n_recommendation_ids = 3;
  com.indicator = &indicator;
  char *answering = fx_create_commitment(fx->store, &com);
  expect_every_filter(fx->store, ids, N);
  /* It moves to answer two others. */
  Rectrack__V1__Commitment moved = RECTRACK__V1__COMMITMENT__INIT;
  char *two[] = {ids[5], ids[2]};
  moved.id = answering;
  moved.recommendation_ids = two;
  moved.n_recommendation_ids = 2;
  static const char *const rec_mask[] = {"recommendation_ids"};
  rt_write_op_t op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &moved, rec_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  expect_every_filter(fx->store, ids, N);
  /* A recommendation edited and one archived. */
  Rectrack__V1__Recommendation edit = RECTRACK__V1__RECOMMENDATION__INIT;
  edit.id = ids[3];
  edit.due_date = (char *)"2029-01-01";
  static const char *const due_mask[] = {"due_date"};
  op = fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &edit, due_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Recommendation archive = RECTRACK__V1__RECOMMENDATION__INIT;
  archive.id = ids[5];
  archive.archived = true;
  static const char *const archived_mask[] = {"archived"};
  op = fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &archive, archived_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  expect_every_filter(fx->store, ids, N);
  free(answering);
  for (size_t i = 0; i < N; i++)
    free(ids[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_records_built_to_hit_each_level,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_the_indicator_mark_follows_the_commitments, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_the_filter_follows_every_write,
                                      fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
