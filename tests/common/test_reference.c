/*
 * Tests for rt_reference: the lists compiled in from data/reference.json
 * are the official ones. The 17 goals with their titles, the 169 targets
 * numbered as the 2030 Agenda numbers them (counted goal by goal against a
 * table written here, not derived from the file), the 23 GCM objectives
 * with their titles as adopted in A/RES/73/195, the themes; and the
 * lookups and message helpers built on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rt_reference.h"
#include "rt_validate.h"

/* Targets per goal in the 2030 Agenda (A/RES/70/1): numbered ones, then
 * lettered means of implementation. Goal 17's 19 targets are all
 * numbered. */
static const struct {
  int numbered, lettered;
} agenda_targets[17] = {{5, 2}, {5, 3},  {9, 4}, {7, 3},  {6, 3}, {6, 2},
                        {3, 2}, {10, 2}, {5, 3}, {7, 3},  {7, 3}, {8, 3},
                        {3, 2}, {7, 3},  {9, 3}, {10, 2}, {19, 0}};

static void test_there_are_17_goals_and_169_targets(void **state) {
  (void)state;
  assert_int_equal(rt_sdg_goal_count(), 17);
  assert_int_equal(rt_sdg_target_count(), 169);
  size_t total = 0;
  for (int number = 1; number <= 17; number++) {
    const rt_sdg_goal_t *goal = rt_sdg_goal(number);
    assert_non_null(goal);
    assert_int_equal(goal->number, number);
    int numbered = agenda_targets[number - 1].numbered;
    int lettered = agenda_targets[number - 1].lettered;
    assert_int_equal(goal->target_count, (size_t)(numbered + lettered));
    for (int i = 0; i < numbered + lettered; i++) {
      char code[32];
      if (i < numbered)
        snprintf(code, sizeof code, "%d.%d", number, i + 1);
      else
        snprintf(code, sizeof code, "%d.%c", number, 'a' + (i - numbered));
      assert_string_equal(goal->targets[i].code, code);
      assert_int_equal(goal->targets[i].goal, number);
      assert_true(strlen(goal->targets[i].label) > 10);
      assert_ptr_equal(rt_sdg_target(code), &goal->targets[i]);
      assert_ptr_equal(rt_sdg_target_at(total), &goal->targets[i]);
      total++;
    }
  }
  assert_int_equal(total, 169);
  assert_null(rt_sdg_target_at(169));
  assert_null(rt_sdg_goal(0));
  assert_null(rt_sdg_goal(18));
}

static void test_goals_have_their_titles(void **state) {
  (void)state;
  static const char *const short_titles[17] = {
      "No poverty",
      "Zero hunger",
      "Good health and well-being",
      "Quality education",
      "Gender equality",
      "Clean water and sanitation",
      "Affordable and clean energy",
      "Decent work and economic growth",
      "Industry, innovation and infrastructure",
      "Reduced inequalities",
      "Sustainable cities and communities",
      "Responsible consumption and production",
      "Climate action",
      "Life below water",
      "Life on land",
      "Peace, justice and strong institutions",
      "Partnerships for the goals"};
  for (int number = 1; number <= 17; number++) {
    const rt_sdg_goal_t *goal = rt_sdg_goal(number);
    assert_string_equal(goal->short_title, short_titles[number - 1]);
    assert_true(strlen(goal->title) > 20);
  }
  assert_string_equal(rt_sdg_goal(10)->title,
                      "Reduce inequality within and among countries");
  assert_string_equal(rt_sdg_goal(17)->title,
                      "Strengthen the means of implementation and revitalize "
                      "the Global Partnership for Sustainable Development");
}

static void test_target_labels_of_the_migration_targets(void **state) {
  (void)state;
  /* 10.c has two parts: the average and the corridors. */
  const char *label = rt_sdg_target("10.c")->label;
  assert_non_null(strstr(label, "3 per cent"));
  assert_non_null(strstr(label, "5 per cent"));
  assert_non_null(strstr(rt_sdg_target("10.7")->label, "migration"));
  assert_non_null(strstr(rt_sdg_target("17.18")->label, "migratory status"));
  assert_non_null(strstr(rt_sdg_target("8.8")->label, "migrant workers"));
}

/* The titles of the 23 objectives as adopted in A/RES/73/195 (para. 16):
 * a secretariat quotes them verbatim. */
static const char *const compact_titles[23] = {
    "Collect and utilize accurate and disaggregated data as a basis for "
    "evidence-based policies",
    "Minimize the adverse drivers and structural factors that compel people "
    "to leave their country of origin",
    "Provide accurate and timely information at all stages of migration",
    "Ensure that all migrants have proof of legal identity and adequate "
    "documentation",
    "Enhance availability and flexibility of pathways for regular migration",
    "Facilitate fair and ethical recruitment and safeguard conditions that "
    "ensure decent work",
    "Address and reduce vulnerabilities in migration",
    "Save lives and establish coordinated international efforts on missing "
    "migrants",
    "Strengthen the transnational response to smuggling of migrants",
    "Prevent, combat and eradicate trafficking in persons in the context of "
    "international migration",
    "Manage borders in an integrated, secure and coordinated manner",
    "Strengthen certainty and predictability in migration procedures for "
    "appropriate screening, assessment and referral",
    "Use migration detention only as a measure of last resort and work "
    "towards alternatives",
    "Enhance consular protection, assistance and cooperation throughout the "
    "migration cycle",
    "Provide access to basic services for migrants",
    "Empower migrants and societies to realize full inclusion and social "
    "cohesion",
    "Eliminate all forms of discrimination and promote evidence-based public "
    "discourse to shape perceptions of migration",
    "Invest in skills development and facilitate mutual recognition of "
    "skills, qualifications and competences",
    "Create conditions for migrants and diasporas to fully contribute to "
    "sustainable development in all countries",
    "Promote faster, safer and cheaper transfer of remittances and foster "
    "financial inclusion of migrants",
    "Cooperate in facilitating safe and dignified return and readmission, as "
    "well as sustainable reintegration",
    "Establish mechanisms for the portability of social security entitlements "
    "and earned benefits",
    "Strengthen international cooperation and global partnerships for safe, "
    "orderly and regular migration",
};

static void test_the_23_objectives_carry_their_official_titles(void **state) {
  (void)state;
  assert_int_equal(rt_gcm_objective_count(), 23);
  for (int number = 1; number <= 23; number++) {
    const rt_gcm_objective_t *objective = rt_gcm_objective(number);
    assert_non_null(objective);
    assert_int_equal(objective->number, number);
    assert_string_equal(objective->title, compact_titles[number - 1]);
  }
  assert_null(rt_gcm_objective(0));
  assert_null(rt_gcm_objective(24));
  assert_null(rt_gcm_objective(-1));
}

static void test_themes_are_listed_slugs_with_titles(void **state) {
  (void)state;
  assert_true(rt_theme_count() >= 11);
  for (size_t i = 0; i < rt_theme_count(); i++) {
    const rt_theme_t *theme = rt_theme_at(i);
    assert_int_equal(rt_validate_slug(theme->id, "theme", NULL), 0);
    assert_true(strlen(theme->title) > 0);
    assert_true(strlen(theme->source_ref) > 0);
    assert_ptr_equal(rt_theme(theme->id), theme);
  }
  assert_null(rt_theme_at(rt_theme_count()));
  /* The themes of the demo dataset and of the seed documents' sections. */
  const char *expected[] = {"agenda-2030",      "data",
                            "diaspora",         "remittances",
                            "health",           "youth-climate",
                            "cities",           "pathways",
                            "women-youth",      "root-causes",
                            "sdg-follow-up",    "partnerships",
                            "policy-coherence", "migration-governance"};
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
    assert_non_null(rt_theme(expected[i]));
  assert_string_equal(rt_theme("remittances")->title,
                      "Remittance costs and financial inclusion");
  assert_null(rt_theme("no-such-theme"));
  assert_null(rt_theme(""));
  assert_null(rt_theme(NULL));
}

static void test_goal_of_a_code(void **state) {
  (void)state;
  assert_int_equal(rt_sdg_goal_of("10.99")->number, 10);
  assert_int_equal(rt_sdg_goal_of("1.z")->number, 1);
  assert_int_equal(rt_sdg_goal_of("17.")->number, 17);
  const char *none[] = {"18.1", "0.1", "01.1", "10", "abc", "", ".7", "100.1"};
  for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
    assert_null(rt_sdg_goal_of(none[i]));
  assert_null(rt_sdg_goal_of(NULL));
  assert_null(rt_sdg_target(NULL));
  assert_null(rt_sdg_target("10.7 "));
  assert_null(rt_sdg_target("10.C"));
}

static void test_targets_text_of_a_goal(void **state) {
  (void)state;
  char out[160];
  assert_string_equal(
      rt_sdg_goal_targets_text(rt_sdg_goal(10), out, sizeof out),
      "10.1 ... 10.7, 10.a, 10.b, 10.c");
  assert_string_equal(
      rt_sdg_goal_targets_text(rt_sdg_goal(17), out, sizeof out),
      "17.1 ... 17.19");
  assert_string_equal(rt_sdg_goal_targets_text(rt_sdg_goal(3), out, sizeof out),
                      "3.1 ... 3.9, 3.a, 3.b, 3.c, 3.d");
  /* Too small a buffer is cut, visibly, and stays terminated. */
  char small[24];
  rt_sdg_goal_targets_text(rt_sdg_goal(10), small, sizeof small);
  assert_string_equal(small, "10.1 ... 10.7, ...");
  char smaller[8];
  rt_sdg_goal_targets_text(rt_sdg_goal(10), smaller, sizeof smaller);
  assert_string_equal(smaller, "...");
  char tiny[3] = "xx";
  rt_sdg_goal_targets_text(rt_sdg_goal(10), tiny, sizeof tiny);
  assert_string_equal(tiny, "");
}

static void test_nearest_theme(void **state) {
  (void)state;
  assert_string_equal(rt_theme_nearest("helth", NULL, 0), "health");
  assert_string_equal(rt_theme_nearest("CITIES", NULL, 0), "cities");
  assert_string_equal(rt_theme_nearest("partnership", NULL, 0), "partnerships");
  assert_null(rt_theme_nearest("no-such-theme", NULL, 0));
  assert_null(rt_theme_nearest("x", NULL, 0)); /* far from every id */
  assert_null(rt_theme_nearest("", NULL, 0));
  assert_null(rt_theme_nearest(NULL, NULL, 0));
  const char *added[] = {"labour-mobility"};
  assert_string_equal(rt_theme_nearest("labour-mobilit", added, 1),
                      "labour-mobility");
}

static void test_theme_ids_text(void **state) {
  (void)state;
  char out[400];
  rt_theme_ids_text(NULL, 0, out, sizeof out);
  assert_int_equal(strncmp(out, "agenda-2030, data, diaspora, ", 29), 0);
  const char *added[] = {"labour-mobility"};
  rt_theme_ids_text(added, 1, out, sizeof out);
  const char *tail = ", migration-governance, labour-mobility";
  assert_string_equal(out + strlen(out) - strlen(tail), tail);
  char small[24];
  rt_theme_ids_text(NULL, 0, small, sizeof small);
  assert_string_equal(small, "agenda-2030, data, ...");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_there_are_17_goals_and_169_targets),
      cmocka_unit_test(test_goals_have_their_titles),
      cmocka_unit_test(test_target_labels_of_the_migration_targets),
      cmocka_unit_test(test_the_23_objectives_carry_their_official_titles),
      cmocka_unit_test(test_themes_are_listed_slugs_with_titles),
      cmocka_unit_test(test_goal_of_a_code),
      cmocka_unit_test(test_targets_text_of_a_goal),
      cmocka_unit_test(test_nearest_theme),
      cmocka_unit_test(test_theme_ids_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
