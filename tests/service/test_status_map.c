/*
 * Tests for the tracker's status map (tracker_status): every RT_E* code reaches
 * the client with the documented gRPC status, and the message is the detail
 * naming the field when there is one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "tracker_status.h"

static void test_each_code_maps_to_its_status(void **state) {
  (void)state;
  const struct {
    int code;
    rt_grpc_status_t status;
  } cases[] = {
      {RT_OK, RT_GRPC_OK},
      {RT_EINVAL, RT_GRPC_INVALID_ARGUMENT},
      {RT_ENOTFOUND, RT_GRPC_NOT_FOUND},
      {RT_EEXIST, RT_GRPC_ALREADY_EXISTS},
      {RT_ECONFLICT, RT_GRPC_ABORTED},
      {RT_ETOOBIG, RT_GRPC_RESOURCE_EXHAUSTED},
      {RT_ENOSPC, RT_GRPC_RESOURCE_EXHAUSTED},
      {RT_EPRECOND, RT_GRPC_FAILED_PRECONDITION},
      {RT_EUNAVAIL, RT_GRPC_UNAVAILABLE},
      {RT_EUNAUTH, RT_GRPC_UNAUTHENTICATED},
      {RT_EPERM, RT_GRPC_PERMISSION_DENIED},
      {RT_EIO, RT_GRPC_INTERNAL},
      {RT_ECORRUPT, RT_GRPC_INTERNAL},
      {RT_EVERSION, RT_GRPC_INTERNAL},
      {RT_ENOMEM, RT_GRPC_INTERNAL},
      {RT_EBUSY, RT_GRPC_INTERNAL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(rt_status_from_error(cases[i].code), cases[i].status);
}

static void test_unknown_codes_are_internal_never_the_client(void **state) {
  (void)state;
  assert_int_equal(rt_status_from_error(-99), RT_GRPC_INTERNAL);
  assert_int_equal(rt_status_from_error(7), RT_GRPC_INTERNAL);
}

static void test_message_is_the_detail_naming_the_field(void **state) {
  (void)state;
  rt_error_t err;
  rt_error_clear(&err);
  rt_error_set(&err, RT_EINVAL, "recommendation.title",
               "recommendation.title is required");
  assert_string_equal(rt_status_message(RT_EINVAL, &err),
                      "recommendation.title is required");
}

static void test_message_falls_back_to_the_code_description(void **state) {
  (void)state;
  rt_error_t err;
  rt_error_clear(&err);
  assert_string_equal(rt_status_message(RT_ENOTFOUND, &err),
                      rt_strerror(RT_ENOTFOUND));
  assert_string_equal(rt_status_message(RT_EIO, NULL), rt_strerror(RT_EIO));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_code_maps_to_its_status),
      cmocka_unit_test(test_unknown_codes_are_internal_never_the_client),
      cmocka_unit_test(test_message_is_the_detail_naming_the_field),
      cmocka_unit_test(test_message_falls_back_to_the_code_description),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
