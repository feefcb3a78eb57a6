/*
 * Queries: list filters (each alone and combined), numeric order, page
 * sizes and tokens, pagination while records are added, index
 * consistency after updates and follow-ups, overdue with a given today,
 * and the follow-up and measurement histories.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rt_store_t *store_of(void **state) {
  return ((fixture_t *)*state)->store;
}

static Rectrack__V1__ListRecommendationsResponse *
list_recs(rt_store_t *store,
          const Rectrack__V1__ListRecommendationsRequest *req,
          const char *today, int expected_rc) {
  rt_store_reader_t *reader;
  rt_error_t err;
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  int rc = rt_store_list_recommendations(reader, req, today, &resp, &err);
  rt_store_reader_end(reader);
  if (rc != expected_rc)
    fail_msg("list returned %d (%s), expected %d", rc, err.message,
             expected_rc);
  return resp;
}

static void free_resp(void *resp) {
  if (resp)
    protobuf_c_message_free_unpacked(resp, NULL);
}

static void create_many(rt_store_t *store, int n) {
  for (int i = 0; i < n; i++) {
    char title[32];
    snprintf(title, sizeof title, "Recommendation %d", i + 1);
    Rectrack__V1__Recommendation rec = fx_recommendation(title);
    free(fx_create_recommendation(store, &rec));
  }
}

static void test_list_orders_ids_numerically(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 12);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->n_recommendations, 12);
  assert_int_equal(resp->total_size, 12);
  assert_string_equal(resp->recommendations[1]->id, "R2");
  assert_string_equal(resp->recommendations[9]->id, "R10");
  assert_string_equal(resp->next_page_token, "");
  free_resp(resp);
}

static void test_page_size_rules(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 3);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.page_size = -1;
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
  req.page_size = 100000;
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->n_recommendations, 3);
  free_resp(resp);
}

/* Walks all pages with page_size 2, inserting a record between pages. */
static void test_pagination_survives_inserts(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 5);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.page_size = 2;
  int seen[16] = {0};
  char *token = strdup("");
  int pages = 0;
  do {
    req.page_token = token;
    Rectrack__V1__ListRecommendationsResponse *resp =
        list_recs(store, &req, NULL, 0);
    for (size_t i = 0; i < resp->n_recommendations; i++)
      seen[atoi(resp->recommendations[i]->id + 1)]++;
    free(token);
    token = strdup(resp->next_page_token);
    free_resp(resp);
    if (pages++ == 0)
      create_many(store, 2); /* R6, R7 arrive after the first page */
  } while (token[0] && pages < 10);
  free(token);
  for (int i = 1; i <= 7; i++)
    assert_int_equal(seen[i], 1);
  assert_int_equal(pages, 4);
}

static void test_token_from_other_query_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 4);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.page_size = 1;
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  char *token = strdup(resp->next_page_token);
  free_resp(resp);
  req.theme = (char *)"data";
  req.page_token = token;
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
  req.theme = (char *)"";
  token[strlen(token) - 1] ^= 1; /* tamper with the key part */
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
  req.page_token = (char *)"zz";
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
  free(token);
}

static void test_filters_combine_with_and(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation a =
      fx_recommendation("Health coverage for migrants");
  a.theme = (char *)"health";
  char *sdg_health[] = {(char *)"3.8"};
  a.sdg_targets = sdg_health;
  a.n_sdg_targets = 1;
  free(fx_create_recommendation(store, &a)); /* R1 */
  Rectrack__V1__Recommendation b = fx_recommendation("Data on migrants");
  free(fx_create_recommendation(store, &b)); /* R2: theme data, 10.7 */
  Rectrack__V1__Recommendation c = fx_recommendation("Remittance costs");
  c.lead_actor_id = (char *)"mex";
  c.theme = (char *)"remittances";
  free(fx_create_recommendation(store, &c)); /* R3 */
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.sdg_target = (char *)"10.7";
  req.actor_id = (char *)"iom";
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R2");
  free_resp(resp);
  req = (Rectrack__V1__ListRecommendationsRequest)
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.actor_id = (char *)"bgd"; /* addressed_to of all three */
  req.gcm_objective = 23;
  req.query = (char *)"MIGRANTS";
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 2);
  free_resp(resp);
  req.query = (char *)"";
  req.actor_id = (char *)"mex"; /* lead of R3 only */
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R3");
  free_resp(resp);
  req.actor_id = (char *)"";
  req.gcm_objective = 24;
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
}

static void test_status_change_moves_record_between_indexes(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 3);
  assert_int_equal(fx_follow_up(store, "R2",
                                RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
                                "2024-01-01"),
                   0);
  Rectrack__V1__Status in_progress[] = {
      RECTRACK__V1__STATUS__STATUS_IN_PROGRESS};
  Rectrack__V1__Status no_info[] = {
      RECTRACK__V1__STATUS__STATUS_NO_INFORMATION};
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.statuses = in_progress;
  req.n_statuses = 1;
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R2");
  free_resp(resp);
  req.statuses = no_info;
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 2);
  assert_string_equal(resp->recommendations[1]->id, "R3");
  free_resp(resp);
  /* The old status entry is gone, not merely filtered out. */
  fx_expect_sound(store);
}

static void test_theme_change_moves_record_between_indexes(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 2);
  Rectrack__V1__Recommendation change = RECTRACK__V1__RECOMMENDATION__INIT;
  change.id = (char *)"R1";
  change.theme = (char *)"pathways";
  const char *mask[] = {"theme"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &change, mask, 1);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.theme = (char *)"data";
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R2");
  free_resp(resp);
  req.theme = (char *)"pathways";
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R1");
  free_resp(resp);
  fx_expect_sound(store);
}

static void test_overdue_uses_given_today(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 3); /* all due 2025-12-31 */
  assert_int_equal(fx_follow_up(store, "R3",
                                RECTRACK__V1__STATUS__STATUS_IMPLEMENTED,
                                "2025-06-01"),
                   0);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.overdue_only = true;
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, "2025-12-31", 0);
  assert_int_equal(resp->total_size, 0);
  free_resp(resp);
  resp = list_recs(store, &req, "2026-01-01", 0);
  assert_int_equal(resp->total_size, 2); /* R3 is implemented */
  free_resp(resp);
  req.as_of = (char *)"2025-01-01"; /* the request's as_of wins */
  resp = list_recs(store, &req, "2026-01-01", 0);
  assert_int_equal(resp->total_size, 0);
  free_resp(resp);
  req.as_of = (char *)"2026-02-30";
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
}

static void test_due_before_and_several_statuses(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation early = fx_recommendation("Early");
  early.due_date = (char *)"2024-06-30";
  free(fx_create_recommendation(store, &early)); /* R1 */
  Rectrack__V1__Recommendation undated = fx_recommendation("Undated");
  undated.due_date = (char *)"";
  free(fx_create_recommendation(store, &undated)); /* R2 */
  Rectrack__V1__Recommendation late = fx_recommendation("Late");
  free(fx_create_recommendation(store, &late)); /* R3: 2025-12-31 */
  assert_int_equal(fx_follow_up(store, "R3",
                                RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-01-01"),
                   0);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.due_before = (char *)"2025-01-01";
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R1");
  free_resp(resp);
  Rectrack__V1__Status statuses[] = {
      RECTRACK__V1__STATUS__STATUS_STALLED,
      RECTRACK__V1__STATUS__STATUS_NO_INFORMATION};
  req.due_before = (char *)"";
  req.statuses = statuses;
  req.n_statuses = 2;
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 3);
  free_resp(resp);
  req.n_statuses = 1; /* STALLED alone drives through the status index */
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R3");
  free_resp(resp);
  Rectrack__V1__Status unknown[] = {(Rectrack__V1__Status)42};
  req.statuses = unknown;
  assert_null(list_recs(store, &req, NULL, RT_EINVAL));
}

static void test_archived_hidden_unless_asked(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 2);
  Rectrack__V1__Recommendation change = RECTRACK__V1__RECOMMENDATION__INIT;
  change.id = (char *)"R1";
  change.archived = true;
  const char *mask[] = {"archived"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &change, mask, 1);
  assert_int_equal(fx_apply(store, &op), 0);
  uint64_t archived_at = op.revision;
  rt_write_ops_release(&op, 1);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  Rectrack__V1__ListRecommendationsResponse *resp =
      list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  free_resp(resp);
  req.include_archived = true;
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 2);
  free_resp(resp);
  req.updated_since_revision = archived_at - 1;
  resp = list_recs(store, &req, NULL, 0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->recommendations[0]->id, "R1");
  free_resp(resp);
}

static void test_commitment_filters(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 1);
  Rectrack__V1__Commitment com = fx_commitment("Answering R1");
  char *recs[] = {(char *)"R1"};
  com.recommendation_ids = recs;
  com.n_recommendation_ids = 1;
  free(fx_create_commitment(store, &com));
  Rectrack__V1__Commitment other = fx_commitment("Funding");
  other.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_FUNDING;
  other.actor_id = (char *)"iom";
  free(fx_create_commitment(store, &other));
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListCommitmentsRequest req =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  req.recommendation_id = (char *)"R1";
  Rectrack__V1__ListCommitmentsResponse *resp = NULL;
  assert_int_equal(rt_store_list_commitments(reader, &req, NULL, &resp, &err),
                   0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->commitments[0]->id, "C1");
  free_resp(resp);
  req.recommendation_id = (char *)"";
  req.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_FUNDING;
  req.actor_id = (char *)"iom";
  assert_int_equal(rt_store_list_commitments(reader, &req, NULL, &resp, &err),
                   0);
  assert_int_equal(resp->total_size, 1);
  assert_string_equal(resp->commitments[0]->id, "C2");
  free_resp(resp);
  rt_store_reader_end(reader);
}

static void test_sources_and_actors_list(void **state) {
  rt_store_t *store = store_of(state);
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListActorsRequest req = RECTRACK__V1__LIST_ACTORS_REQUEST__INIT;
  req.page_size = 2;
  Rectrack__V1__ListActorsResponse *resp = NULL;
  assert_int_equal(rt_store_list_actors(reader, &req, &resp, &err), 0);
  assert_int_equal(resp->total_size, 3);
  assert_int_equal(resp->n_actors, 2);
  assert_string_equal(resp->actors[0]->id, "bgd");
  req.page_token = resp->next_page_token;
  Rectrack__V1__ListActorsResponse *next = NULL;
  assert_int_equal(rt_store_list_actors(reader, &req, &next, &err), 0);
  assert_int_equal(next->n_actors, 1);
  assert_string_equal(next->actors[0]->id, "mex");
  free_resp(resp);
  free_resp(next);
  Rectrack__V1__ListSourcesRequest sreq =
      RECTRACK__V1__LIST_SOURCES_REQUEST__INIT;
  Rectrack__V1__ListSourcesResponse *sources = NULL;
  assert_int_equal(rt_store_list_sources(reader, &sreq, &sources, &err), 0);
  assert_int_equal(sources->total_size, 1);
  free_resp(sources);
  rt_store_reader_end(reader);
}

static void test_follow_ups_by_subject_and_by_period(void **state) {
  rt_store_t *store = store_of(state);
  create_many(store, 2);
  assert_int_equal(fx_follow_up(store, "R1",
                                RECTRACK__V1__STATUS__STATUS_NOT_STARTED,
                                "2024-05-01"),
                   0);
  assert_int_equal(fx_follow_up(store, "R2",
                                RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-02-01"),
                   0);
  assert_int_equal(fx_follow_up(store, "R1",
                                RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
                                "2024-01-01"),
                   0);
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListFollowUpsRequest req =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  req.subject_id = (char *)"R1";
  Rectrack__V1__ListFollowUpsResponse *resp = NULL;
  assert_int_equal(rt_store_list_follow_ups(reader, &req, &resp, &err), 0);
  assert_int_equal(resp->n_follow_ups, 2); /* revision order */
  assert_int_equal(resp->follow_ups[0]->status,
                   RECTRACK__V1__STATUS__STATUS_NOT_STARTED);
  assert_int_equal(resp->follow_ups[1]->previous_status,
                   RECTRACK__V1__STATUS__STATUS_NOT_STARTED);
  assert_string_equal(resp->follow_ups[0]->subject_title, "Recommendation 1");
  free_resp(resp);
  req.subject_id = (char *)"";
  req.from_date = (char *)"2024-01-15";
  req.to_date = (char *)"2024-12-31";
  req.page_size = 1;
  assert_int_equal(rt_store_list_follow_ups(reader, &req, &resp, &err), 0);
  assert_int_equal(resp->n_follow_ups, 1); /* as_of order */
  assert_string_equal(resp->follow_ups[0]->as_of, "2024-02-01");
  req.page_token = resp->next_page_token;
  Rectrack__V1__ListFollowUpsResponse *next = NULL;
  assert_int_equal(rt_store_list_follow_ups(reader, &req, &next, &err), 0);
  assert_int_equal(next->n_follow_ups, 1);
  assert_string_equal(next->follow_ups[0]->as_of, "2024-05-01");
  assert_string_equal(next->next_page_token, "");
  free_resp(resp);
  free_resp(next);
  rt_store_reader_end(reader);
}

static void test_measurements_listed_in_as_of_order(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Indicator ind =
      fx_indicator("Share of data disaggregated", 10, 50);
  Rectrack__V1__Commitment com = fx_commitment("Data pledge");
  com.indicator = &ind;
  char *id = fx_create_commitment(store, &com);
  assert_int_equal(fx_measure(store, id, 30, "2024-01-01"), 0);
  assert_int_equal(fx_measure(store, id, 20, "2022-01-01"), 0);
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListMeasurementsRequest req =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  req.commitment_id = id;
  Rectrack__V1__ListMeasurementsResponse *resp = NULL;
  assert_int_equal(rt_store_list_measurements(reader, &req, &resp, &err), 0);
  assert_int_equal(resp->n_measurements, 2);
  assert_string_equal(resp->measurements[0]->as_of, "2022-01-01");
  assert_string_equal(resp->measurements[1]->recorded_by, "tester");
  free_resp(resp);
  req.commitment_id = (char *)"C9";
  assert_int_equal(rt_store_list_measurements(reader, &req, &resp, &err),
                   RT_ENOTFOUND);
  rt_store_reader_end(reader);
  free(id);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_list_orders_ids_numerically),
      T(test_page_size_rules),
      T(test_pagination_survives_inserts),
      T(test_token_from_other_query_is_rejected),
      T(test_filters_combine_with_and),
      T(test_status_change_moves_record_between_indexes),
      T(test_theme_change_moves_record_between_indexes),
      T(test_overdue_uses_given_today),
      T(test_due_before_and_several_statuses),
      T(test_archived_hidden_unless_asked),
      T(test_commitment_filters),
      T(test_sources_and_actors_list),
      T(test_follow_ups_by_subject_and_by_period),
      T(test_measurements_listed_in_as_of_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
