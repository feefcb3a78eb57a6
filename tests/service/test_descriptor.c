/*
 * Tests for the descriptor index behind reflection, on the descriptor set
 * the build generates (path in argv[1]): files, packages, symbols of every
 * kind, the dependency closure, and corrupt input rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_std_descriptor.h"

static uint8_t *set_bytes;
static size_t set_len;

static int load_set(const char *path) {
  FILE *file = fopen(path, "rb");
  long size;
  if (file == NULL)
    return -1;
  fseek(file, 0, SEEK_END);
  size = ftell(file);
  fseek(file, 0, SEEK_SET);
  set_bytes = malloc((size_t)size);
  set_len = fread(set_bytes, 1, (size_t)size, file);
  fclose(file);
  return set_len == (size_t)size ? 0 : -1;
}

static void test_files_and_packages_are_indexed(void **state) {
  rt_descriptor_pool_t pool;
  const rt_descriptor_file_t *file;
  (void)state;
  assert_int_equal(rt_descriptor_pool_parse(&pool, set_bytes, set_len, NULL),
                   0);
  file = rt_descriptor_pool_find_file(&pool, "rectrack/v1/tracker.proto");
  assert_non_null(file);
  assert_string_equal(file->package, "rectrack.v1");
  assert_int_equal(file->dep_count, 1);
  assert_string_equal(file->deps[0], "rectrack/v1/resources.proto");
  assert_null(rt_descriptor_pool_find_file(&pool, "nope.proto"));
  rt_descriptor_pool_free(&pool);
}

static void test_symbols_of_every_kind(void **state) {
  rt_descriptor_pool_t pool;
  rt_symbol_kind_t kind;
  const rt_descriptor_file_t *file;
  (void)state;
  assert_int_equal(rt_descriptor_pool_parse(&pool, set_bytes, set_len, NULL),
                   0);
  file = rt_descriptor_pool_find_symbol(&pool, "rectrack.v1.Tracker", &kind);
  assert_non_null(file);
  assert_string_equal(file->name, "rectrack/v1/tracker.proto");
  assert_int_equal(kind, RT_SYMBOL_SERVICE);
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, "rectrack.v1.Tracker.GetSource", &kind));
  assert_int_equal(kind, RT_SYMBOL_METHOD);
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, ".rectrack.v1.Recommendation", &kind));
  assert_int_equal(kind, RT_SYMBOL_MESSAGE);
  assert_non_null(
      rt_descriptor_pool_find_symbol(&pool, "grpc.health.v1.Health", &kind));
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, "grpc.health.v1.HealthCheckResponse.ServingStatus", &kind));
  assert_int_equal(kind, RT_SYMBOL_ENUM);
  /* Enum values are siblings of their enum (protobuf scoping), also found
   * under the enum; fields and oneofs are symbols too. */
  file = rt_descriptor_pool_find_symbol(&pool, "rectrack.v1.STATUS_IMPLEMENTED",
                                        &kind);
  assert_non_null(file);
  assert_string_equal(file->name, "rectrack/v1/resources.proto");
  assert_int_equal(kind, RT_SYMBOL_ENUM_VALUE);
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, "rectrack.v1.Status.STATUS_IMPLEMENTED", &kind));
  assert_int_equal(kind, RT_SYMBOL_ENUM_VALUE);
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, "grpc.health.v1.HealthCheckResponse.SERVING", &kind));
  assert_int_equal(kind, RT_SYMBOL_ENUM_VALUE);
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, "rectrack.v1.Recommendation.title", &kind));
  assert_int_equal(kind, RT_SYMBOL_FIELD);
  assert_non_null(rt_descriptor_pool_find_symbol(
      &pool, "grpc.reflection.v1.ServerReflectionRequest.message_request",
      &kind));
  assert_int_equal(kind, RT_SYMBOL_ONEOF);
  assert_null(rt_descriptor_pool_find_symbol(&pool, "rectrack.v1.title", NULL));
  assert_null(rt_descriptor_pool_find_symbol(&pool, "rectrack.v1", NULL));
  assert_null(rt_descriptor_pool_find_symbol(&pool, "rectrack.v1.Nope", NULL));
  rt_descriptor_pool_free(&pool);
}

static void test_closure_starts_with_file_and_has_each_once(void **state) {
  rt_descriptor_pool_t pool;
  const rt_descriptor_file_t **closure;
  const rt_descriptor_file_t *file;
  size_t count, i, j;
  (void)state;
  assert_int_equal(rt_descriptor_pool_parse(&pool, set_bytes, set_len, NULL),
                   0);
  closure = calloc(pool.file_count, sizeof(*closure));
  file = rt_descriptor_pool_find_file(&pool, "rectrack/v1/tracker.proto");
  count = rt_descriptor_pool_closure(&pool, file, closure);
  assert_true(count >= 2);
  assert_ptr_equal(closure[0], file);
  for (i = 0; i < count; i++)
    for (j = i + 1; j < count; j++)
      assert_ptr_not_equal(closure[i], closure[j]);
  assert_string_equal(closure[1]->name, "rectrack/v1/resources.proto");
  free(closure);
  rt_descriptor_pool_free(&pool);
}

static void test_corrupt_set_is_rejected(void **state) {
  rt_descriptor_pool_t pool;
  rt_error_t err = {0};
  const uint8_t truncated[] = {0x0a, 0x10, 0x0a, 0x02};
  const uint8_t nameless[] = {0x0a, 0x02, 0x12, 0x00};
  (void)state;
  assert_int_equal(
      rt_descriptor_pool_parse(&pool, truncated, sizeof(truncated), &err),
      RT_ECORRUPT);
  assert_string_equal(err.field, "descriptor_set");
  assert_int_equal(pool.file_count, 0);
  assert_int_equal(
      rt_descriptor_pool_parse(&pool, nameless, sizeof(nameless), &err),
      RT_ECORRUPT);
  assert_int_equal(rt_descriptor_pool_parse(&pool, set_bytes, 0, &err), 0);
  assert_int_equal(pool.file_count, 0);
  rt_descriptor_pool_free(&pool);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_files_and_packages_are_indexed),
      cmocka_unit_test(test_symbols_of_every_kind),
      cmocka_unit_test(test_closure_starts_with_file_and_has_each_once),
      cmocka_unit_test(test_corrupt_set_is_rejected),
  };
  int rc;
  if (argc < 2 || load_set(argv[1]) != 0) {
    fprintf(stderr, "usage: test_service_descriptor DESCRIPTOR_SET\n");
    return 1;
  }
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(set_bytes);
  return rc;
}
