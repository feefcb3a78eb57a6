/*
 * Links between recommendations: every kind stored and its inverse read
 * back (linked_from, on Get, on List and in the wire bytes the service
 * appends), every refused link named by its field, the related_to filter
 * checked against a brute-force reading of every record, and the verifier
 * finding a store with links sound.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TODAY "2026-06-01"

static const int kinds[] = {
    RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES,
    RECTRACK__V1__LINK_KIND__LINK_KIND_BUILDS_ON,
    RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES,
    RECTRACK__V1__LINK_KIND__LINK_KIND_RELATED,
};

/* Replaces id's links with n links (targets[i], link_kinds[i]); returns
 * the op's result, err copied out. */
static int set_links(rt_store_t *store, const char *id, const char **targets,
                     const int *link_kinds, size_t n, rt_error_t *err) {
  Rectrack__V1__RecommendationLink storage[8], *links[8];
  for (size_t i = 0; i < n; i++) {
    rectrack__v1__recommendation_link__init(&storage[i]);
    storage[i].kind = link_kinds[i];
    storage[i].recommendation_id = (char *)targets[i];
    links[i] = &storage[i];
  }
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.id = (char *)id;
  rec.links = links;
  rec.n_links = n;
  static const char *const mask[] = {"links"};
  rt_write_op_t op = fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &rec, mask, 1);
  int rc = fx_apply(store, &op);
  if (err)
    *err = op.error;
  rt_write_ops_release(&op, 1);
  return rc;
}

/* The recommendation as the API returns it: with its inverse. */
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

static char *new_rec(rt_store_t *store, const char *title) {
  Rectrack__V1__Recommendation rec = fx_recommendation(title);
  return fx_create_recommendation(store, &rec);
}

static void test_every_kind_is_stored_and_its_inverse_is_read(void **state) {
  fixture_t *fx = *state;
  char *earlier = new_rec(fx->store, "Better migration data (2016)");
  char *ids[4];
  for (size_t i = 0; i < 4; i++) {
    ids[i] = new_rec(fx->store, "A later recommendation");
    const char *target = earlier;
    assert_int_equal(set_links(fx->store, ids[i], &target, &kinds[i], 1, NULL),
                     0);
  }
  for (size_t i = 0; i < 4; i++) {
    Rectrack__V1__Recommendation *rec =
        fx_get_recommendation(fx->store, ids[i]);
    assert_int_equal(rec->n_links, 1);
    assert_int_equal(rec->links[0]->kind, kinds[i]);
    assert_string_equal(rec->links[0]->recommendation_id, earlier);
    assert_int_equal(rec->n_linked_from, 0);
    protobuf_c_message_free_unpacked(&rec->base, NULL);
  }
  Rectrack__V1__Recommendation *rec = get_rec(fx->store, earlier);
  assert_int_equal(rec->n_links, 0);
  assert_int_equal(rec->n_linked_from, 4);
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(rec->linked_from[i]->recommendation_id, ids[i]);
    assert_int_equal(rec->linked_from[i]->kind, kinds[i]);
  }
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  /* The wire bytes the service appends to the stored record decode, with
   * it, to the same inverse. */
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  const void *data;
  size_t len, extra_len;
  uint8_t *extra;
  assert_int_equal(rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, earlier,
                                    &data, &len, &err),
                   0);
  assert_int_equal(rt_store_recommendation_computed_packed(
                       reader, earlier, &extra, &extra_len, &err),
                   0);
  uint8_t *whole = malloc(len + extra_len);
  memcpy(whole, data, len);
  memcpy(whole + len, extra, extra_len);
  rec = rectrack__v1__recommendation__unpack(NULL, len + extra_len, whole);
  assert_non_null(rec);
  assert_int_equal(rec->n_linked_from, 4);
  assert_string_equal(rec->title, "Better migration data (2016)");
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  free(whole);
  free(extra);
  /* Nothing links to ids[0]: its computed fields have no inverse. */
  assert_int_equal(rt_store_recommendation_computed_packed(
                       reader, ids[0], &extra, &extra_len, &err),
                   0);
  rec = rectrack__v1__recommendation__unpack(NULL, extra_len, extra);
  assert_non_null(rec);
  assert_int_equal(rec->n_linked_from, 0);
  assert_int_equal(rec->specificity,
                   RECTRACK__V1__SPECIFICITY__SPECIFICITY_MEDIUM);
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  free(extra);
  rt_store_reader_end(reader);

  /* Unlinking removes the inverse too. */
  assert_int_equal(set_links(fx->store, ids[1], NULL, NULL, 0, NULL), 0);
  rec = get_rec(fx->store, earlier);
  assert_int_equal(rec->n_linked_from, 3);
  assert_string_equal(rec->linked_from[1]->recommendation_id, ids[2]);
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  fx_expect_sound(fx->store);
  for (size_t i = 0; i < 4; i++)
    free(ids[i]);
  free(earlier);
}

static void expect_refused(rt_store_t *store, const char *id,
                           const char **targets, const int *link_kinds,
                           size_t n, const char *field, const char *says) {
  rt_error_t err;
  assert_int_equal(set_links(store, id, targets, link_kinds, n, &err),
                   RT_EINVAL);
  assert_string_equal(err.field, field);
  if (strstr(err.message, says) == NULL)
    fail_msg("'%s' does not say '%s'", err.message, says);
}

static void test_refused_links_name_the_field(void **state) {
  fixture_t *fx = *state;
  char *a = new_rec(fx->store, "A"), *b = new_rec(fx->store, "B"),
       *c = new_rec(fx->store, "C");
  const int supersedes = RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES;
  const int echoes = RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES;
  const char *self[] = {a};
  expect_refused(fx->store, a, self, &echoes, 1,
                 "recommendation.links[0].recommendation_id", "itself");
  const char *unknown[] = {"R999"};
  expect_refused(fx->store, a, unknown, &echoes, 1,
                 "recommendation.links[0].recommendation_id",
                 "'R999' does not exist");
  const char *malformed[] = {"C3"};
  expect_refused(fx->store, a, malformed, &echoes, 1,
                 "recommendation.links[0].recommendation_id",
                 "not a recommendation id");
  const int none = 0;
  const char *to_b[] = {b};
  expect_refused(fx->store, a, to_b, &none, 1, "recommendation.links[0].kind",
                 "links[0].kind");
  const char *twice[] = {b, b};
  const int two_kinds[] = {echoes, supersedes};
  expect_refused(fx->store, a, twice, two_kinds, 2,
                 "recommendation.links[1].recommendation_id", "already linked");

  /* c supersedes b, b supersedes a: a superseding c closes a cycle, and
   * so does b superseding c; a may still echo c. */
  const char *to_a[] = {a}, *to_c[] = {c};
  assert_int_equal(set_links(fx->store, c, to_b, &supersedes, 1, NULL), 0);
  assert_int_equal(set_links(fx->store, b, to_a, &supersedes, 1, NULL), 0);
  expect_refused(fx->store, a, to_c, &supersedes, 1,
                 "recommendation.links[0].recommendation_id", "cycle");
  expect_refused(fx->store, b, to_c, &supersedes, 1,
                 "recommendation.links[0].recommendation_id", "cycle");
  assert_int_equal(set_links(fx->store, a, to_c, &echoes, 1, NULL), 0);

  /* A create may link, but never to an unknown id. */
  Rectrack__V1__RecommendationLink link =
      RECTRACK__V1__RECOMMENDATION_LINK__INIT;
  Rectrack__V1__RecommendationLink *links[] = {&link};
  link.kind = echoes;
  link.recommendation_id = (char *)"R40";
  Rectrack__V1__Recommendation rec = fx_recommendation("New");
  rec.links = links;
  rec.n_links = 1;
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_string_equal(op.error.field,
                      "recommendation.links[0].recommendation_id");
  rt_write_ops_release(&op, 1);
  link.recommendation_id = a;
  char *d = fx_create_recommendation(fx->store, &rec);
  Rectrack__V1__Recommendation *got = get_rec(fx->store, a);
  assert_int_equal(got->n_linked_from, 2); /* b supersedes it, d echoes it */
  assert_string_equal(got->linked_from[0]->recommendation_id, b);
  assert_string_equal(got->linked_from[1]->recommendation_id, d);
  protobuf_c_message_free_unpacked(&got->base, NULL);
  fx_expect_sound(fx->store);
  free(a);
  free(b);
  free(c);
  free(d);
}

/* Lists related_to (and link_kind) in pages of 3 and checks the ids
 * against every record's own links. */
static void expect_related(rt_store_t *store, const char *target, int kind,
                           size_t n_recs, char **ids) {
  char expected[64][16];
  size_t n_expected = 0;
  for (size_t i = 0; i < n_recs; i++) {
    Rectrack__V1__Recommendation *rec = fx_get_recommendation(store, ids[i]);
    for (size_t j = 0; j < rec->n_links; j++)
      if (strcmp(rec->links[j]->recommendation_id, target) == 0 &&
          (kind == 0 || (int)rec->links[j]->kind == kind))
        snprintf(expected[n_expected++], 16, "%s", rec->id);
    protobuf_c_message_free_unpacked(&rec->base, NULL);
  }
  size_t seen = 0;
  char *token = NULL;
  do {
    Rectrack__V1__ListRecommendationsRequest req =
        RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
    req.related_to = (char *)target;
    req.link_kind = kind;
    req.page_size = 3;
    req.page_token = token ? token : (char *)"";
    rt_store_reader_t *reader;
    rt_error_t err;
    Rectrack__V1__ListRecommendationsResponse *resp = NULL;
    assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
    if (rt_store_list_recommendations(reader, &req, TODAY, &resp, &err) != 0)
      fail_msg("related_to %s: %s", target, err.message);
    rt_store_reader_end(reader);
    free(token);
    assert_int_equal(resp->total_size, (int32_t)n_expected);
    for (size_t i = 0; i < resp->n_recommendations; i++) {
      assert_true(seen < n_expected);
      assert_string_equal(resp->recommendations[i]->id, expected[seen]);
      seen++;
    }
    token = resp->next_page_token[0] ? strdup(resp->next_page_token) : NULL;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
  } while (token != NULL);
  assert_int_equal(seen, n_expected);
}

static void test_related_to_matches_a_brute_force_reading(void **state) {
  fixture_t *fx = *state;
  enum { N = 24 };
  char *ids[N];
  for (size_t i = 0; i < N; i++)
    ids[i] = new_rec(fx->store, "Recommendation");
  /* Record i links to up to three earlier ones, with kinds in turn;
   * supersedes only ever points backwards, so never closes a cycle. */
  unsigned seed = 7;
  for (size_t i = 3; i < N; i++) {
    const char *targets[3];
    int link_kinds[3];
    size_t n = 0;
    for (size_t j = 0; j < 3; j++) {
      seed = seed * 1103515245u + 12345u;
      size_t t = (seed >> 8) % i;
      bool dup = false;
      for (size_t k = 0; k < n; k++)
        dup = dup || strcmp(targets[k], ids[t]) == 0;
      if (dup)
        continue;
      targets[n] = ids[t];
      link_kinds[n++] = kinds[(seed >> 4) % 4];
    }
    assert_int_equal(set_links(fx->store, ids[i], targets, link_kinds, n, NULL),
                     0);
  }
  /* Archive one linker: it still links, and is listed with archived. */
  Rectrack__V1__Recommendation archive = RECTRACK__V1__RECOMMENDATION__INIT;
  archive.id = ids[N - 1];
  archive.archived = true;
  static const char *const mask[] = {"archived"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &archive, mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  for (size_t t = 0; t < 6; t++) {
    for (size_t k = 0; k < 4; k++)
      expect_related(fx->store, ids[t], kinds[k], N - 1, ids);
    expect_related(fx->store, ids[t], 0, N - 1, ids);
  }
  fx_expect_sound(fx->store);
  for (size_t i = 0; i < N; i++)
    free(ids[i]);
}

static void test_a_bad_related_to_filter_is_refused(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  rt_store_reader_t *reader;
  rt_error_t err;
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  req.link_kind = RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES;
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, TODAY, &resp, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "link_kind");
  req.related_to = (char *)"iom";
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, TODAY, &resp, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "related_to");
  req.related_to = (char *)"R1";
  req.link_kind = 42;
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, TODAY, &resp, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "link_kind");
  rt_store_reader_end(reader);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_every_kind_is_stored_and_its_inverse_is_read, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_refused_links_name_the_field,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_related_to_matches_a_brute_force_reading, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_a_bad_related_to_filter_is_refused,
                                      fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
