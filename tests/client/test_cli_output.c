/*
 * Unit tests of the CLI's output: display width of UTF-8 text (wide CJK
 * characters, combining marks), truncation with an ellipsis that never
 * splits a character or overflows its column, tables that fit the
 * terminal, RFC 4180 CSV quoting and reading, and the generic message
 * helpers (enum CLI names, setting fields from text, JSON).
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_width_counts_code_points_not_bytes(void **state) {
  (void)state;
  assert_int_equal(rt_cli_text_width("abc"), 3);
  assert_int_equal(rt_cli_text_width("café"), 4);      /* é: 2 bytes */
  assert_int_equal(rt_cli_text_width("移民"), 4);      /* wide: 2 each */
  assert_int_equal(rt_cli_text_width("e\xCC\x81"), 1); /* e + combining */
  assert_int_equal(rt_cli_text_width("한국"), 4);
  assert_int_equal(rt_cli_text_width(""), 0);
}

static void test_fit_leaves_short_text_alone(void **state) {
  (void)state;
  char *text = rt_cli_text_fit("Remittances", 20);
  assert_string_equal(text, "Remittances");
  free(text);
}

static void test_fit_cuts_ascii_with_an_ellipsis(void **state) {
  (void)state;
  char *text = rt_cli_text_fit("Remittance costs", 10);
  assert_string_equal(text, "Remittanc\xE2\x80\xA6");
  assert_int_equal(rt_cli_text_width(text), 10);
  free(text);
}

static void test_fit_never_splits_a_wide_character(void **state) {
  (void)state;
  /* 6 wide characters = 12 columns into 6: 2 characters + "…" = 5. */
  char *text = rt_cli_text_fit("国际移民对话", 6);
  assert_string_equal(text, "国际\xE2\x80\xA6");
  assert_true(rt_cli_text_width(text) <= 6);
  free(text);
  text = rt_cli_text_fit("国际移民对话", 7);
  assert_string_equal(text, "国际移\xE2\x80\xA6");
  assert_int_equal(rt_cli_text_width(text), 7);
  free(text);
}

static void test_fit_turns_newlines_into_spaces(void **state) {
  (void)state;
  char *text = rt_cli_text_fit("a\nb\tc", 10);
  assert_string_equal(text, "a b c");
  free(text);
}

static char *capture_table(size_t width) {
  const char *headers[] = {"ID", "STATUS", "TITLE"};
  const char *row1[] = {"R1", "in-progress",
                        "国际移民对话：汇款成本降至百分之三的承诺与后续"};
  const char *row2[] = {"R22", "implemented", "Short"};
  rt_cli_table_t *table = rt_cli_table_new(3, headers);
  rt_cli_table_add_row(table, row1);
  rt_cli_table_add_row(table, row2);
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  rt_cli_table_print(table, out, width, false);
  fclose(out);
  rt_cli_table_free(table);
  return text;
}

static void test_table_of_wide_text_fits_the_terminal(void **state) {
  (void)state;
  char *text = capture_table(40);
  size_t lines = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    assert_true(rt_cli_text_width(line) <= 40);
    lines++;
  }
  assert_int_equal(lines, 3);
  free(text);
  text = capture_table(40);
  assert_non_null(strstr(text, "\xE2\x80\xA6")); /* the long title was cut */
  assert_non_null(strstr(text, "R22  implemented  Short"));
  free(text);
}

static void test_wide_table_keeps_everything(void **state) {
  (void)state;
  char *text = capture_table(200);
  assert_null(strstr(text, "\xE2\x80\xA6"));
  assert_non_null(strstr(text, "后续\n"));
  free(text);
}

static char *csv_of(const char *field) {
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  rt_cli_csv_field(out, field);
  fclose(out);
  return text;
}

static void test_csv_quoting(void **state) {
  (void)state;
  struct {
    const char *in, *out;
  } cases[] = {
      {"plain", "plain"},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\nlines", "\"two\nlines\""},
      {"cr\r", "\"cr\r\""},
      {" padded", "\" padded\""},
      {"", ""},
      {"移民", "移民"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *text = csv_of(cases[i].in);
    assert_string_equal(text, cases[i].out);
    free(text);
  }
}

static void test_csv_reading_handles_quotes_and_line_breaks(void **state) {
  (void)state;
  const char *data = "\xEF\xBB\xBFid,title\r\n"
                     "1,\"a, \"\"quoted\"\" title\"\r\n"
                     "\n"
                     "2,\"two\nlines\"\n"
                     "3,";
  rt_cli_csv_row_t *rows = NULL;
  size_t count = 0;
  char *error = NULL;
  assert_int_equal(rt_cli_csv_parse(data, strlen(data), &rows, &count, &error),
                   0);
  assert_int_equal(count, 4);
  assert_string_equal(rows[0].fields[0], "id");
  assert_string_equal(rows[1].fields[1], "a, \"quoted\" title");
  assert_int_equal(rows[1].line, 2);
  assert_string_equal(rows[2].fields[1], "two\nlines");
  assert_int_equal(rows[2].line, 4);
  assert_int_equal(rows[3].line, 6);
  assert_int_equal(rows[3].count, 2);
  assert_string_equal(rows[3].fields[1], "");
  rt_cli_csv_rows_free(rows, count);
}

static void test_csv_reading_reports_an_unclosed_quote(void **state) {
  (void)state;
  const char *data = "a,b\n1,\"never closed\n";
  rt_cli_csv_row_t *rows = NULL;
  size_t count = 0;
  char *error = NULL;
  assert_int_equal(rt_cli_csv_parse(data, strlen(data), &rows, &count, &error),
                   -1);
  assert_non_null(strstr(error, "line 2"));
  assert_null(rows);
  free(error);
}

static void test_enum_values_print_as_slugs(void **state) {
  (void)state;
  const ProtobufCEnumDescriptor *status = &rectrack__v1__status__descriptor;
  assert_string_equal(
      rt_cli_enum_text(status,
                       RECTRACK__V1__STATUS__STATUS_PARTIALLY_IMPLEMENTED),
      "partially-implemented");
  assert_string_equal(rt_cli_enum_text(status, 0), "");
  Rectrack__V1__FollowUp follow_up = RECTRACK__V1__FOLLOW_UP__INIT;
  char *error = NULL;
  assert_int_equal(
      rt_cli_set_field(&follow_up.base, "status", "in-progress", &error), 0);
  assert_int_equal(follow_up.status, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  assert_int_equal(rt_cli_set_field(&follow_up.base, "status", "done", &error),
                   -1);
  assert_non_null(strstr(error, "no-information|not-started"));
  free(error);
}

static void test_fields_set_from_text_and_shown_as_json(void **state) {
  (void)state;
  Rectrack__V1__Commitment *c = malloc(sizeof(*c));
  rectrack__v1__commitment__init(c);
  char *error = NULL;
  assert_int_equal(rt_cli_set_field(&c->base, "title", "Costs to 3%", &error),
                   0);
  assert_int_equal(rt_cli_set_field(&c->base, "sdg_targets", "10.c", &error),
                   0);
  assert_int_equal(rt_cli_set_field(&c->base, "sdg_targets", "10.7", &error),
                   0);
  assert_int_equal(rt_cli_set_field(&c->base, "gcm_objectives", "20", &error),
                   0);
  assert_int_equal(
      rt_cli_set_field(&c->base, "kind", "quantified-target", &error), 0);
  assert_int_equal(
      rt_cli_set_field(&c->base, "indicator.target_value", "3", &error), 0);
  assert_int_equal(rt_cli_set_field(&c->base, "kind", "pledge", &error), -1);
  assert_non_null(strstr(error, "quantified-target"));
  free(error);
  char *sdgs = rt_cli_field_text(&c->base, "sdg_targets", true);
  assert_string_equal(sdgs, "10.c;10.7");
  free(sdgs);
  json_t *json = rt_cli_message_to_json(&c->base);
  assert_string_equal(json_string_value(json_object_get(json, "kind")),
                      "quantified-target");
  assert_int_equal(json_integer_value(json_array_get(
                       json_object_get(json, "gcm_objectives"), 0)),
                   20);
  assert_true(json_real_value(json_object_get(
                  json_object_get(json, "indicator"), "target_value")) == 3.0);
  json_decref(json);
  protobuf_c_message_free_unpacked(&c->base, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_width_counts_code_points_not_bytes),
      cmocka_unit_test(test_fit_leaves_short_text_alone),
      cmocka_unit_test(test_fit_cuts_ascii_with_an_ellipsis),
      cmocka_unit_test(test_fit_never_splits_a_wide_character),
      cmocka_unit_test(test_fit_turns_newlines_into_spaces),
      cmocka_unit_test(test_table_of_wide_text_fits_the_terminal),
      cmocka_unit_test(test_wide_table_keeps_everything),
      cmocka_unit_test(test_csv_quoting),
      cmocka_unit_test(test_csv_reading_handles_quotes_and_line_breaks),
      cmocka_unit_test(test_csv_reading_reports_an_unclosed_quote),
      cmocka_unit_test(test_enum_values_print_as_slugs),
      cmocka_unit_test(test_fields_set_from_text_and_shown_as_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
