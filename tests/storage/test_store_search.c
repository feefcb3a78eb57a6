/*
 * Text search through the word index: case and accents aside, in several
 * languages and scripts, a query word finds the words it begins, every
 * query word must match, and a record's words follow its text through
 * updates and archiving.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *create(fixture_t *fx, const char *title, const char *text) {
  Rectrack__V1__Recommendation rec = fx_recommendation(title);
  rec.text = (char *)text;
  return fx_create_recommendation(fx->store, &rec);
}

/* The ids a query finds, joined by spaces ("R1 R3"), in buf. */
static const char *search(fixture_t *fx, const char *query, bool archived,
                          char *buf, size_t len) {
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.query = (char *)query;
  req.include_archived = archived;
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  int rc =
      rt_store_list_recommendations(reader, &req, "2026-01-01", &resp, &err);
  rt_store_reader_end(reader);
  if (rc != 0)
    fail_msg("query '%s': %s", query, err.message);
  buf[0] = '\0';
  for (size_t i = 0; i < resp->n_recommendations; i++) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? " " : "",
             resp->recommendations[i]->id);
  }
  assert_int_equal(resp->total_size, (int)resp->n_recommendations);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  return buf;
}

#define EXPECT(fx, query, ids)                                                 \
  do {                                                                         \
    char found_[256];                                                          \
    assert_string_equal(search(fx, query, false, found_, sizeof found_), ids); \
  } while (0)

static void test_accents_and_case_do_not_matter(void **state) {
  fixture_t *fx = *state;
  free(create(fx, "Migración y remesas", "Reducir el costo de las remesas."));
  free(create(fx, "Réduire les coûts", "Les envois de fonds des diasporas."));
  free(create(fx, "Costs of remittances", "MIGRATION data."));
  EXPECT(fx, "migracion", "R1");
  EXPECT(fx, "MIGRACIÓN", "R1");
  EXPECT(fx, "couts", "R2");
  EXPECT(fx, "CoÛtS", "R2");
  EXPECT(fx, "migration", "R3");
  /* a word's beginning finds it, whole words are not required */
  EXPECT(fx, "migra", "R1 R3");
  EXPECT(fx, "remesa", "R1");
  /* every word must match, in any order */
  EXPECT(fx, "remesas costo", "R1");
  EXPECT(fx, "costo migration", "");
  /* inside a word is not a match: words are found by their beginning */
  EXPECT(fx, "gracion", "");
}

static void test_other_scripts_fold_too(void **state) {
  fixture_t *fx = *state;
  free(create(fx, "Миграция и развитие", "Денежные переводы мигрантов."));
  free(create(fx, "الهجرة والتنمية", "تحويلات المهاجرين"));
  free(create(fx, "Die Straße der Arbeitsmigration", "Ελληνικά: μετανάστευση"));
  EXPECT(fx, "МИГРАЦИЯ", "R1");
  EXPECT(fx, "миграц", "R1");
  EXPECT(fx, "ПЕРЕВОДЫ", "R1");
  /* Arabic written with harakat finds the plain spelling */
  EXPECT(fx, "الهِجْرَة", "R2");
  EXPECT(fx, "تحويلات", "R2");
  /* ß folds to ss; Greek accents and final sigma fold */
  EXPECT(fx, "STRASSE", "R3");
  EXPECT(fx, "ΜΕΤΑΝΑΣΤΕΥΣΗ", "R3");
}

static void test_words_follow_updates_and_archiving(void **state) {
  fixture_t *fx = *state;
  char *id = create(fx, "Labour mobility", "Skills partnerships.");
  EXPECT(fx, "mobility", "R1");
  Rectrack__V1__Recommendation update = fx_recommendation("Labour migration");
  update.id = id;
  static const char *const title_mask[] = {"title"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &update, title_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  EXPECT(fx, "mobility", "");
  EXPECT(fx, "migration", "R1");
  EXPECT(fx, "skills", "R1");
  /* a follow-up changes no word */
  assert_int_equal(fx_follow_up(fx->store, id, 3, "2025-01-01"), 0);
  EXPECT(fx, "migration labour", "R1");
  static const char *const archive_mask[] = {"archived"};
  update.archived = true;
  op = fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &update, archive_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  EXPECT(fx, "migration", "");
  char found[64];
  assert_string_equal(search(fx, "migration", true, found, sizeof found), "R1");
  fx_expect_sound(fx->store);
  free(id);
}

static void test_a_query_without_words_is_refused(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.query = (char *)" ,.; ";
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, "2026-01-01", &resp, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "query");
  rt_store_reader_end(reader);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_accents_and_case_do_not_matter,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_other_scripts_fold_too, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_words_follow_updates_and_archiving,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_a_query_without_words_is_refused,
                                      fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
