/*
 * Tests for rt_validate: every rule with values it must accept and values
 * it must reject, and for each rejection the error code, the field name and
 * a message that names the field and quotes the value. Values outside a
 * reference list (SDG targets, GCM objectives, themes) are answered with
 * the closest valid values; evidence with the part that is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rt_validate.h"

/* Asserts that err holds an RT_EINVAL for field whose message mentions
 * both the field and the given fragment. */
static void assert_field_error(int rc, const rt_error_t *err, const char *field,
                               const char *fragment) {
  assert_int_equal(rc, RT_EINVAL);
  assert_int_equal(err->code, RT_EINVAL);
  assert_string_equal(err->field, field);
  assert_non_null(strstr(err->message, field));
  if (fragment != NULL)
    assert_non_null(strstr(err->message, fragment));
}

static void test_valid_dates_are_accepted(void **state) {
  (void)state;
  const char *good[] = {"1900-01-01", "2024-02-29", "2000-02-29",
                        "2199-12-31", "2023-04-30", "2025-12-31"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(rt_validate_date(good[i], "due_date", NULL), 0);
}

static void test_impossible_or_malformed_dates_are_rejected(void **state) {
  (void)state;
  const char *bad[] = {
      "",           "1899-12-31",  "2200-01-01",  "1900-02-29",
      "2023-02-29", "2100-02-29",  "2023-04-31",  "2023-13-01",
      "2023-00-10", "2023-01-00",  "2023-1-01",   "2023/01/01",
      "20230101",   "2023-01-01x", " 2023-01-01", "abcd-ef-gh"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    rt_error_clear(&err);
    int rc = rt_validate_date(bad[i], "due_date", &err);
    assert_field_error(rc, &err, "due_date", "YYYY-MM-DD");
    assert_non_null(strstr(err.message, bad[i]));
  }
  assert_int_equal(rt_validate_date(NULL, "due_date", NULL), RT_EINVAL);
}

static void test_optional_date_accepts_empty_only(void **state) {
  (void)state;
  rt_error_t err;
  assert_int_equal(rt_validate_optional_date("", "end_date", &err), 0);
  assert_int_equal(rt_validate_optional_date(NULL, "end_date", &err), 0);
  assert_int_equal(rt_validate_optional_date("2024-03-01", "end_date", &err),
                   0);
  int rc = rt_validate_optional_date("2024-02-30", "end_date", &err);
  assert_field_error(rc, &err, "end_date", "2024-02-30");
}

static void test_sdg_targets(void **state) {
  (void)state;
  const char *good[] = {"10.7",  "10.c", "17.18", "1.1",   "3.8",
                        "17.19", "5.a",  "8.10",  "16.10", "15.c"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(rt_validate_sdg_target(good[i], "sdg_targets[0]", NULL),
                     0);
  const char *bad[] = {"",       "10",    "18.1",  "0.1",   "10.",   "10.0",
                       "10.100", "10.C",  "10.cc", "01.1",  "10.07", ".7",
                       "10,7",   "10.7 ", "a.1",   "10.c1", "17.99", "10.99",
                       "1.z",    "17.a",  "10.8",  "8.11"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    rt_error_clear(&err);
    int rc = rt_validate_sdg_target(bad[i], "sdg_targets[1]", &err);
    assert_field_error(rc, &err, "sdg_targets[1]", "is not an SDG target");
  }
}

/* A target outside its goal's list is answered with the goal's targets. */
static void test_unknown_target_lists_the_targets_of_its_goal(void **state) {
  (void)state;
  rt_error_t err;
  int rc =
      rt_validate_sdg_target("10.99", "recommendation.sdg_targets[0]", &err);
  assert_field_error(rc, &err, "recommendation.sdg_targets[0]", NULL);
  assert_string_equal(err.message,
                      "recommendation.sdg_targets[0]: \"10.99\" is not an SDG "
                      "target; targets of goal 10: 10.1 ... 10.7, 10.a, 10.b, "
                      "10.c");
  rc = rt_validate_sdg_target("1.z", "commitment.sdg_targets[2]", &err);
  assert_field_error(rc, &err, "commitment.sdg_targets[2]",
                     "\"1.z\" is not an SDG target; targets of goal 1: "
                     "1.1 ... 1.5, 1.a, 1.b");
  /* Goal 17 has no lettered targets. */
  rc = rt_validate_sdg_target("17.a", "sdg", &err);
  assert_field_error(rc, &err, "sdg", "targets of goal 17: 17.1 ... 17.19");
  assert_null(strstr(err.message, "17.19,"));
  rc = rt_validate_sdg_target("10.07", "sdg", &err);
  assert_field_error(rc, &err, "sdg", "targets of goal 10: 10.1 ... 10.7");
}

/* A value that names no goal is answered with the goals. */
static void test_unknown_goal_lists_the_goals(void **state) {
  (void)state;
  const char *bad[] = {"18.1", "0.1", "abc", "", "01.1", "10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    int rc = rt_validate_sdg_target(bad[i], "sdg_targets[0]", &err);
    assert_field_error(rc, &err, "sdg_targets[0]", "the goals are 1..17");
    assert_null(strstr(err.message, "targets of goal"));
  }
  rt_error_t err;
  rt_validate_sdg_target("18.1", "recommendation.sdg_targets[3]", &err);
  assert_string_equal(err.message,
                      "recommendation.sdg_targets[3]: \"18.1\" is not an SDG "
                      "target; the goals are 1..17 and a target is written "
                      "goal.target, e.g. 10.7 or 10.c");
}

static void test_gcm_objectives(void **state) {
  (void)state;
  for (int objective = 1; objective <= 23; objective++)
    assert_int_equal(rt_validate_gcm_objective(objective, "gcm", NULL), 0);
  const int bad[] = {0, 24, -1, 100};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    int rc = rt_validate_gcm_objective(bad[i], "gcm_objectives[2]", &err);
    assert_field_error(rc, &err, "gcm_objectives[2]", "1..23");
  }
  rt_error_t err;
  rt_validate_gcm_objective(24, "commitment.gcm_objectives[0]", &err);
  assert_string_equal(err.message,
                      "commitment.gcm_objectives[0]: 24 is not a GCM "
                      "objective; the Global Compact for Migration has "
                      "objectives 1..23");
}

static void test_themes_of_the_list_are_accepted(void **state) {
  (void)state;
  const char *good[] = {"data",        "remittances", "health",      "cities",
                        "women-youth", "root-causes", "agenda-2030", "",
                        NULL};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(rt_validate_theme(good[i], "recommendation.theme", NULL),
                     0);
}

/* An unknown theme is answered with the list of themes, and with the
 * nearest one when the value looks like a misspelling of it. */
static void test_unknown_theme_lists_the_themes(void **state) {
  (void)state;
  rt_error_t err;
  int rc = rt_validate_theme("no-such-theme", "recommendation.theme", &err);
  assert_field_error(rc, &err, "recommendation.theme",
                     "\"no-such-theme\" is not a theme; the themes are: "
                     "agenda-2030, data, diaspora, remittances, health, ");
  assert_non_null(strstr(err.message, "migration-governance"));
  assert_null(strstr(err.message, "did you mean"));

  const struct {
    const char *value, *nearest;
  } misspelt[] = {{"helth", "health"},
                  {"remittance", "remittances"},
                  {"Data", "data"},
                  {"diaspras", "diaspora"},
                  {"policy-coherance", "policy-coherence"}};
  for (size_t i = 0; i < sizeof misspelt / sizeof misspelt[0]; i++) {
    rc = rt_validate_theme(misspelt[i].value, "commitment.theme", &err);
    char expected[128];
    snprintf(expected, sizeof expected, "(did you mean \"%s\"?)",
             misspelt[i].nearest);
    assert_field_error(rc, &err, "commitment.theme", expected);
    assert_non_null(strstr(err.message, "the themes are: agenda-2030"));
  }
  /* Not a slug at all, and very long: still a clear answer. */
  char long_value[300];
  memset(long_value, 'x', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  rc = rt_validate_theme(long_value, "recommendation.theme", &err);
  assert_field_error(rc, &err, "recommendation.theme", "...\" is not a theme");
  rc = rt_validate_theme("Data Sets\n", "recommendation.theme", &err);
  assert_field_error(rc, &err, "recommendation.theme", "\"Data Sets?\"");
}

static void test_themes_known_besides_the_list_are_accepted(void **state) {
  (void)state;
  const char *added[] = {"labour-mobility", "return"};
  rt_error_t err;
  assert_int_equal(
      rt_validate_theme_among("labour-mobility", added, 2, "theme", &err), 0);
  assert_int_equal(rt_validate_theme_among("data", added, 2, "theme", &err), 0);
  int rc = rt_validate_theme_among("labour-mobilty", added, 2, "theme", &err);
  assert_field_error(rc, &err, "theme", "(did you mean \"labour-mobility\"?)");
  assert_non_null(strstr(err.message, ", labour-mobility, return"));
  rc = rt_validate_theme("labour-mobility", "theme", &err);
  assert_field_error(rc, &err, "theme", "is not a theme");
}

static void test_evidence_links_and_dois_are_accepted(void **state) {
  (void)state;
  char longest[RT_MAX_EVIDENCE_LEN + 1];
  const char *prefix = "https://example.org/";
  size_t prefix_len = strlen(prefix);
  memcpy(longest, prefix, prefix_len);
  memset(longest + prefix_len, 'a', RT_MAX_EVIDENCE_LEN - prefix_len);
  longest[RT_MAX_EVIDENCE_LEN] = '\0';
  const char *good[] = {
      "https://migrationnetwork.un.org/system/files/resources_files/"
      "Final-%20IMRF%20Progress%20Declaration-%20English.pdf",
      "http://example.org",
      "https://example.org/",
      "HTTPS://Example.ORG/report?year=2024&lang=en#part-2",
      "https://www.iom.int:8443/reports",
      "https://192.0.2.10/data.csv",
      "https://[2001:db8::1]/report",
      "https://[2001:db8::1]:443/",
      "https://example.org/caf\xc3\xa9",
      "doi:10.1186/s40878-019-0166-y",
      "DOI:10.1000/182",
      "doi:10.1000.10/abc(def)",
      longest,
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    rt_error_t err;
    rt_error_clear(&err);
    if (rt_validate_evidence(good[i], "follow_up.evidence[0]", &err) != 0)
      fail_msg("%s", err.message);
  }
}

static void test_evidence_that_is_no_link_is_rejected(void **state) {
  (void)state;
  const struct {
    const char *value, *reason;
  } bad[] = {
      {"not a url", "starts with none of http://, https:// and doi:"},
      {"www.iom.int/report", "starts with none of"},
      {"ftp://example.org/file", "starts with none of"},
      {"javascript:alert(1)", "starts with none of"},
      {"mailto:someone@example.org", "starts with none of"},
      {"https://", "it has no host"},
      {"https:///path", "it has no host"},
      {"https://:443/", "it has no host"},
      {"https://exa mple.org/", "space or control character at byte 11"},
      {"https://example.org/a b", "space or control character at byte 21"},
      {"https://example.org/\x01", "space or control character"},
      {"https://example.org/\x7f", "space or control character"},
      {" https://example.org/", "starts with none of"},
      {"https://example.org/\"onclick=\"x", "'\"' at byte 20"},
      {"https://example.org/<script>", "'<' at byte 20"},
      {"https://user:secret@example.org/", "user name or password"},
      {"https://exa_mple.org/", "host is not a valid name"},
      {"https://example..org/", "host is not a valid name"},
      {"https://-example.org/", "host is not a valid name"},
      {"https://caf\xc3\xa9.org/", "xn-- form"},
      {"https://example.org:0/", "port is not a number 1..65535"},
      {"https://example.org:65536/", "port is not a number"},
      {"https://example.org:/", "port is not a number"},
      {"https://example.org:8o/", "port is not a number"},
      {"https://[2001:db8::1/", "not a valid IPv6 address"},
      {"https://[zz::1]/", "not a valid IPv6 address"},
      {"https://[::1]x/", "not a valid IPv6 address"},
      {"doi:", "a DOI starts with 10."},
      {"doi:11.1000/182", "a DOI starts with 10."},
      {"doi:10.12/182", "at least four digits"},
      {"doi:10.1000", "a '/' and a suffix"},
      {"doi:10.1000/", "a '/' and a suffix"},
      {"doi:10.1000/a b", "space or control character"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    rt_error_clear(&err);
    int rc = rt_validate_evidence(bad[i].value, "follow_up.evidence[1]", &err);
    if (rc != RT_EINVAL || strstr(err.message, bad[i].reason) == NULL)
      fail_msg("%s: got \"%s\"", bad[i].value, err.message);
    assert_field_error(rc, &err, "follow_up.evidence[1]",
                       "is not an http(s) URL or a doi:10. reference: ");
  }
  rt_error_t err;
  rt_validate_evidence("not a url", "follow_up.evidence[1]", &err);
  assert_string_equal(err.message,
                      "follow_up.evidence[1]: \"not a url\" is not an http(s) "
                      "URL or a doi:10. reference: it starts with none of "
                      "http://, https:// and doi:");
}

static void test_evidence_too_long_or_empty_is_rejected(void **state) {
  (void)state;
  char too_long[RT_MAX_EVIDENCE_LEN + 2];
  const char *prefix = "https://example.org/";
  size_t prefix_len = strlen(prefix);
  memcpy(too_long, prefix, prefix_len);
  memset(too_long + prefix_len, 'a', RT_MAX_EVIDENCE_LEN + 1 - prefix_len);
  too_long[RT_MAX_EVIDENCE_LEN + 1] = '\0';
  rt_error_t err;
  int rc = rt_validate_evidence(too_long, "follow_up.evidence[0]", &err);
  assert_field_error(rc, &err, "follow_up.evidence[0]",
                     "is 2049 bytes long, the limit is 2048");
  rc = rt_validate_evidence("https://example.org/\xc0\xaf",
                            "follow_up.evidence[0]", &err);
  assert_field_error(rc, &err, "follow_up.evidence[0]", "UTF-8");
  /* An empty entry, as every other required value, "is required". */
  rc = rt_validate_evidence("", "follow_up.evidence[0]", &err);
  assert_string_equal(err.message, "follow_up.evidence[0]: is required (an "
                                   "http(s) URL or a doi:10. reference)");
  rc = rt_validate_evidence(NULL, "follow_up.evidence[0]", &err);
  assert_field_error(rc, &err, "follow_up.evidence[0]", "is required");
}

static void test_countries(void **state) {
  (void)state;
  const char *good[] = {"",    "BGD", "ABW", "ZWE", "DEU",
                        "MEX", "PHL", "SSD", "BES", "ALA"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(rt_validate_country(good[i], "country", NULL), 0);
  assert_int_equal(rt_validate_country(NULL, "country", NULL), 0);
  const char *bad[] = {"bgd", "BG",  "BGDX", "XXX", "EUR",
                       "AAA", "ZZZ", "ANT",  "YUG", " BGD"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    rt_error_clear(&err);
    int rc = rt_validate_country(bad[i], "actor.country", &err);
    assert_field_error(rc, &err, "actor.country", "ISO 3166-1");
  }
}

static void test_slugs(void **state) {
  (void)state;
  char longest[RT_MAX_ID_LEN + 1];
  memset(longest, 'a', RT_MAX_ID_LEN);
  longest[RT_MAX_ID_LEN] = '\0';
  const char *good[] = {"iom",    "idm-2023-ny", "a", "9", "mayors-mechanism",
                        "0abc-1", longest};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(rt_validate_slug(good[i], "id", NULL), 0);
  char too_long[RT_MAX_ID_LEN + 2];
  memset(too_long, 'a', RT_MAX_ID_LEN + 1);
  too_long[RT_MAX_ID_LEN + 1] = '\0';
  const char *bad[] = {"",     "-iom", "iom-", "i--om", "IOM",
                       "io m", "io_m", "iom.", "é",     too_long};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_error_t err;
    rt_error_clear(&err);
    int rc = rt_validate_slug(bad[i], "source.id", &err);
    assert_field_error(rc, &err, "source.id", "a-z, 0-9");
  }
}

static void test_utf8_accepts_well_formed_sequences(void **state) {
  (void)state;
  const char *good[] = {
      "plain ascii",      "caf\xc3\xa9",  "\xe2\x82\xac", "\xf0\x9f\x8c\x8d",
      "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", ""};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_true(rt_utf8_is_valid(good[i], strlen(good[i])));
}

static void
test_utf8_rejects_overlongs_surrogates_and_out_of_range(void **state) {
  (void)state;
  const char *bad[] = {
      "\xc0\xaf",         /* overlong '/' */
      "\xc1\xbf",         /* overlong */
      "\xe0\x80\xaf",     /* overlong 3-byte */
      "\xe0\x9f\xbf",     /* overlong 3-byte, top of range */
      "\xf0\x80\x80\xaf", /* overlong 4-byte */
      "\xf0\x8f\xbf\xbf", /* overlong 4-byte, top of range */
      "\xed\xa0\x80",     /* U+D800 high surrogate */
      "\xed\xbf\xbf",     /* U+DFFF low surrogate */
      "\xf4\x90\x80\x80", /* U+110000 */
      "\xf5\x80\x80\x80", /* lead byte beyond range */
      "\xff",             /* never valid */
      "\x80",             /* lone continuation */
      "\xc3",             /* truncated */
      "\xe2\x82",         /* truncated */
      "\xe2\x28\xa1",     /* bad continuation */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false(rt_utf8_is_valid(bad[i], strlen(bad[i])));
  /* An embedded NUL is well-formed UTF-8 (rt_validate_text rejects it by
   * length); the length argument bounds the scan. */
  assert_true(rt_utf8_is_valid("ab\xc3\xa9", 2));
  assert_false(rt_utf8_is_valid("ab\xc3\xa9", 3));
}

static void test_text_rules(void **state) {
  (void)state;
  rt_error_t err;
  assert_int_equal(rt_validate_text("Hello", 10, true, "title", &err), 0);
  assert_int_equal(rt_validate_text("", 10, false, "note", &err), 0);
  assert_int_equal(rt_validate_text(NULL, 10, false, "note", &err), 0);
  assert_int_equal(
      rt_validate_text("line 1\r\nline\t2\n", 100, true, "text", &err), 0);
  assert_int_equal(rt_validate_text("caf\xc3\xa9", 5, true, "title", &err), 0);

  int rc = rt_validate_text("", 10, true, "title", &err);
  assert_field_error(rc, &err, "title", "required");
  rc = rt_validate_text(" \t\r\n", 10, true, "title", &err);
  assert_field_error(rc, &err, "title", "required");
  rc = rt_validate_text(NULL, 10, true, "title", &err);
  assert_field_error(rc, &err, "title", "required");
  rc = rt_validate_text("caf\xc3\xa9", 4, true, "title", &err);
  assert_field_error(rc, &err, "title", "limit is 4");
  rc = rt_validate_text("bad \xc0\xaf", 100, false, "note", &err);
  assert_field_error(rc, &err, "note", "UTF-8");
  rc = rt_validate_text("bell\x07", 100, false, "note", &err);
  assert_field_error(rc, &err, "note", "0x07");
  rc = rt_validate_text("esc\x1b[0m", 100, false, "note", &err);
  assert_field_error(rc, &err, "note", "0x1b");
}

static void test_error_message_quotes_only_a_printable_excerpt(void **state) {
  (void)state;
  char long_value[300];
  memset(long_value, 'x', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  rt_error_t err;
  int rc = rt_validate_slug(long_value, "id", &err);
  assert_field_error(rc, &err, "id", "...");
  rc = rt_validate_date("20\n3-01-01", "as_of", &err);
  assert_field_error(rc, &err, "as_of", "20?3-01-01");
  assert_null(strchr(err.message, '\n'));
}

static void test_date_days_round_trip(void **state) {
  (void)state;
  long days = -1;
  assert_int_equal(rt_date_to_days("1970-01-01", &days), 0);
  assert_int_equal(days, 0);
  assert_int_equal(rt_date_to_days("1970-01-02", &days), 0);
  assert_int_equal(days, 1);
  assert_int_equal(rt_date_to_days("1969-12-31", &days), 0);
  assert_int_equal(days, -1);
  assert_int_equal(rt_date_to_days("2000-03-01", &days), 0);
  assert_int_equal(days, 11017);
  assert_int_equal(rt_date_to_days("1900-01-01", &days), 0);
  assert_int_equal(days, -25567);
  assert_int_equal(rt_date_to_days("2024-02-30", &days), RT_EINVAL);
  assert_int_equal(rt_date_to_days(NULL, &days), RT_EINVAL);

  long first, last;
  assert_int_equal(rt_date_to_days("1900-01-01", &first), 0);
  assert_int_equal(rt_date_to_days("2199-12-31", &last), 0);
  for (long d = first; d <= last; d++) {
    char text[11];
    long back = 0;
    rt_date_from_days(d, text);
    assert_int_equal(rt_date_to_days(text, &back), 0);
    assert_int_equal(back, d);
  }
  char text[11];
  rt_date_from_days(19782, text);
  assert_string_equal(text, "2024-02-29");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_dates_are_accepted),
      cmocka_unit_test(test_impossible_or_malformed_dates_are_rejected),
      cmocka_unit_test(test_optional_date_accepts_empty_only),
      cmocka_unit_test(test_sdg_targets),
      cmocka_unit_test(test_unknown_target_lists_the_targets_of_its_goal),
      cmocka_unit_test(test_unknown_goal_lists_the_goals),
      cmocka_unit_test(test_gcm_objectives),
      cmocka_unit_test(test_themes_of_the_list_are_accepted),
      cmocka_unit_test(test_unknown_theme_lists_the_themes),
      cmocka_unit_test(test_themes_known_besides_the_list_are_accepted),
      cmocka_unit_test(test_evidence_links_and_dois_are_accepted),
      cmocka_unit_test(test_evidence_that_is_no_link_is_rejected),
      cmocka_unit_test(test_evidence_too_long_or_empty_is_rejected),
      cmocka_unit_test(test_countries),
      cmocka_unit_test(test_slugs),
      cmocka_unit_test(test_utf8_accepts_well_formed_sequences),
      cmocka_unit_test(test_utf8_rejects_overlongs_surrogates_and_out_of_range),
      cmocka_unit_test(test_text_rules),
      cmocka_unit_test(test_error_message_quotes_only_a_printable_excerpt),
      cmocka_unit_test(test_date_days_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
