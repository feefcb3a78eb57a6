/*
 * Unit tests for rt_enum: every value of every API enum has one slug that
 * parses back to it, labels read as phrases, and the constant the review
 * sizes its arrays with agrees with the schema.
 */
#include "rt_enum.h"

#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const ProtobufCEnumDescriptor *const api_enums[] = {
    &rectrack__v1__status__descriptor,
    &rectrack__v1__source_kind__descriptor,
    &rectrack__v1__actor_kind__descriptor,
    &rectrack__v1__commitment_kind__descriptor,
    &rectrack__v1__direction__descriptor,
    &rectrack__v1__trajectory__descriptor,
    &rectrack__v1__change_kind__descriptor,
    &rectrack__v1__subject_type__descriptor,
    &rectrack__v1__export_format__descriptor,
};
#define API_ENUM_COUNT (sizeof api_enums / sizeof api_enums[0])

static void test_every_value_has_a_slug_that_parses_back(void **state) {
  (void)state;
  for (size_t e = 0; e < API_ENUM_COUNT; e++) {
    const ProtobufCEnumDescriptor *type = api_enums[e];
    for (unsigned i = 0; i < type->n_values; i++) {
      int value = type->values[i].value;
      const char *slug = rt_enum_slug(type, value);
      if (value == 0) {
        assert_null(slug);
        assert_string_equal(rt_enum_label(type, 0), "Unspecified");
        continue;
      }
      assert_non_null(slug);
      for (const char *c = slug; *c; c++)
        assert_true(islower((unsigned char)*c) || isdigit((unsigned char)*c) ||
                    *c == '-');
      int parsed = -1;
      assert_true(rt_enum_parse(type, slug, &parsed));
      assert_int_equal(parsed, value);
      assert_string_equal(rt_enum_api_name(type, value), type->values[i].name);
      assert_non_null(strstr(rt_enum_choices(type), slug));
    }
  }
}

static void test_slugs_drop_the_enum_prefix(void **state) {
  (void)state;
  const ProtobufCEnumDescriptor *status = &rectrack__v1__status__descriptor;
  assert_string_equal(
      rt_enum_slug(status, RECTRACK__V1__STATUS__STATUS_PARTIALLY_IMPLEMENTED),
      "partially-implemented");
  assert_string_equal(
      rt_enum_api_name(status, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS),
      "STATUS_IN_PROGRESS");
  assert_string_equal(
      rt_enum_slug(&rectrack__v1__source_kind__descriptor,
                   RECTRACK__V1__SOURCE_KIND__SOURCE_KIND_SIDE_EVENT),
      "side-event");
  assert_string_equal(
      rt_enum_slug(&rectrack__v1__change_kind__descriptor,
                   RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_FOLLOW_UP_RECORDED),
      "follow-up-recorded");
  assert_string_equal(
      rt_enum_slug(&rectrack__v1__export_format__descriptor,
                   RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_MARKDOWN),
      "markdown");
  assert_string_equal(rt_enum_choices(&rectrack__v1__trajectory__descriptor),
                      "no-data|on-track|off-track|achieved");
  assert_string_equal(
      rt_enum_choices(&rectrack__v1__commitment_kind__descriptor),
      "policy|legislation|programme|funding|data|quantified-target|"
      "partnership");
}

static void test_labels_read_as_phrases(void **state) {
  (void)state;
  assert_string_equal(rt_enum_label(&rectrack__v1__status__descriptor,
                                    RECTRACK__V1__STATUS__STATUS_IN_PROGRESS),
                      "In progress");
  assert_string_equal(
      rt_enum_label(&rectrack__v1__actor_kind__descriptor,
                    RECTRACK__V1__ACTOR_KIND__ACTOR_KIND_UN_ENTITY),
      "UN entity");
  assert_string_equal(
      rt_enum_label(&rectrack__v1__trajectory__descriptor,
                    RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK),
      "On track");
  assert_string_equal(
      rt_enum_label(&rectrack__v1__change_kind__descriptor,
                    RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_FOLLOW_UP_RECORDED),
      "Follow-up recorded");
  assert_string_equal(
      rt_enum_label(&rectrack__v1__export_format__descriptor,
                    RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_XLSX),
      "XLSX");
}

static void test_bad_input_is_refused(void **state) {
  (void)state;
  const ProtobufCEnumDescriptor *status = &rectrack__v1__status__descriptor;
  int value = 42;
  assert_false(rt_enum_parse(status, "IN_PROGRESS", &value));
  assert_false(rt_enum_parse(status, "STATUS_IN_PROGRESS", &value));
  assert_false(rt_enum_parse(status, "unspecified", &value));
  assert_false(rt_enum_parse(status, "", &value));
  assert_false(rt_enum_parse(status, NULL, &value));
  assert_false(rt_enum_parse(NULL, "in-progress", &value));
  assert_int_equal(value, 42);
  assert_null(rt_enum_slug(status, 8));
  assert_null(rt_enum_slug(status, -1));
  assert_null(rt_enum_api_name(status, 0));
  assert_string_equal(rt_enum_label(status, 99), "Unspecified");
  assert_string_equal(rt_enum_choices(NULL), "");
  assert_int_equal(rt_enum_bound(NULL), 0);
}

static void test_bound_covers_the_last_value(void **state) {
  (void)state;
  assert_int_equal(rt_enum_bound(&rectrack__v1__status__descriptor),
                   RECTRACK__V1__STATUS__STATUS_WITHDRAWN + 1);
  assert_int_equal(rt_enum_bound(&rectrack__v1__trajectory__descriptor),
                   RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_value_has_a_slug_that_parses_back),
      cmocka_unit_test(test_slugs_drop_the_enum_prefix),
      cmocka_unit_test(test_labels_read_as_phrases),
      cmocka_unit_test(test_bad_input_is_refused),
      cmocka_unit_test(test_bound_covers_the_last_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
