/*
 * Tests for rt_metrics: what each kind of series renders as, histogram
 * buckets counted cumulatively, registration refusing what the format
 * cannot carry, and updates from several threads adding up exactly.
 */
#include "rt_metrics.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *render(rt_metrics_t *m) {
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(rt_metrics_render(m, &text, &len), 0);
  assert_int_equal(strlen(text), len);
  return text;
}

static void test_series_render_in_the_text_format(void **state) {
  (void)state;
  rt_metrics_t *m = rt_metrics_new();
  rt_counter_t *ok =
      rt_metrics_counter(m, "rectrack_grpc_calls_total", "gRPC calls answered.",
                         "method=\"GetSource\",code=\"OK\"");
  rt_counter_t *bad =
      rt_metrics_counter(m, "rectrack_grpc_calls_total", "gRPC calls answered.",
                         "method=\"GetSource\",code=\"NOT_FOUND\"");
  rt_gauge_t *open = rt_metrics_gauge(m, "rectrack_connections",
                                      "Open connections.\nTwo lines.", NULL);
  rt_counter_add(ok, 3);
  rt_counter_add(bad, 1);
  rt_gauge_set(open, 2);
  rt_gauge_add(open, 0.5);
  char *text = render(m);
  assert_string_equal(
      text, "# HELP rectrack_grpc_calls_total gRPC calls answered.\n"
            "# TYPE rectrack_grpc_calls_total counter\n"
            "rectrack_grpc_calls_total{method=\"GetSource\",code=\"OK\"} 3\n"
            "rectrack_grpc_calls_total{method=\"GetSource\","
            "code=\"NOT_FOUND\"} 1\n"
            "# HELP rectrack_connections Open connections.\\nTwo lines.\n"
            "# TYPE rectrack_connections gauge\n"
            "rectrack_connections 2.5\n");
  free(text);
  rt_metrics_free(m);
}

static double forty_two(void *data) {
  (void)data;
  return 42;
}

static void test_gauge_functions_are_read_when_rendered(void **state) {
  (void)state;
  rt_metrics_t *m = rt_metrics_new();
  rt_gauge_t *g = rt_metrics_gauge_fn(
      m, "rectrack_store_revision", "Newest revision.", NULL, forty_two, NULL);
  assert_true(rt_gauge_value(g) == 42);
  char *text = render(m);
  assert_non_null(strstr(text, "\nrectrack_store_revision 42\n"));
  free(text);
  rt_metrics_free(m);
}

static void test_histogram_buckets_are_cumulative(void **state) {
  (void)state;
  rt_metrics_t *m = rt_metrics_new();
  const double bounds[] = {0.01, 0.1, 1};
  rt_histogram_t *h =
      rt_metrics_histogram(m, "rectrack_commit_seconds", "Commit latency.",
                           "kind=\"batch\"", bounds, 3);
  rt_histogram_observe(h, 0.005);
  rt_histogram_observe(h, 0.01); /* on a bound: counted in that bucket */
  rt_histogram_observe(h, 0.5);
  rt_histogram_observe(h, 7);
  assert_int_equal(rt_histogram_count(h), 4);
  char *text = render(m);
  assert_non_null(strstr(
      text, "rectrack_commit_seconds_bucket{kind=\"batch\",le=\"0.01\"} 2\n"
            "rectrack_commit_seconds_bucket{kind=\"batch\",le=\"0.1\"} 2\n"
            "rectrack_commit_seconds_bucket{kind=\"batch\",le=\"1\"} 3\n"
            "rectrack_commit_seconds_bucket{kind=\"batch\",le=\"+Inf\"} 4\n"
            "rectrack_commit_seconds_sum{kind=\"batch\"} 7.515\n"
            "rectrack_commit_seconds_count{kind=\"batch\"} 4\n"));
  free(text);
  rt_metrics_free(m);
}

static void test_registration_refuses_what_cannot_be_rendered(void **state) {
  (void)state;
  rt_metrics_t *m = rt_metrics_new();
  assert_null(rt_metrics_counter(m, "9starts_with_a_digit", "x", NULL));
  assert_null(rt_metrics_counter(m, "has-dash", "x", NULL));
  assert_null(rt_metrics_counter(m, "", "x", NULL));
  assert_non_null(rt_metrics_counter(m, "rectrack_x_total", "x", NULL));
  assert_null(rt_metrics_gauge(m, "rectrack_x_total", "x", "a=\"b\""));
  const double unordered[] = {1, 0.5};
  assert_null(
      rt_metrics_histogram(m, "rectrack_h_seconds", "h", NULL, unordered, 2));
  /* NULL series are ignored by every update */
  rt_counter_add(NULL, 1);
  rt_gauge_set(NULL, 1);
  rt_histogram_observe(NULL, 1);
  assert_int_equal(rt_counter_value(NULL), 0);
  rt_metrics_free(m);
  rt_metrics_free(NULL);
}

typedef struct worker {
  rt_counter_t *counter;
  rt_gauge_t *gauge;
  rt_histogram_t *histogram;
} worker_t;

static void *hammer(void *data) {
  worker_t *w = data;
  for (int i = 0; i < 100000; i++) {
    rt_counter_add(w->counter, 1);
    rt_gauge_add(w->gauge, 1);
    rt_histogram_observe(w->histogram, (i % 10) * 0.001);
  }
  return NULL;
}

static void test_concurrent_updates_add_up(void **state) {
  (void)state;
  rt_metrics_t *m = rt_metrics_new();
  worker_t w = {
      rt_metrics_counter(m, "rectrack_n_total", "n", NULL),
      rt_metrics_gauge(m, "rectrack_g", "g", NULL),
      rt_metrics_histogram(m, "rectrack_h_seconds", "h", NULL,
                           rt_metrics_latency_bounds,
                           rt_metrics_latency_bounds_len),
  };
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, hammer, &w), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(threads[i], NULL);
  assert_int_equal(rt_counter_value(w.counter), 400000);
  assert_true(rt_gauge_value(w.gauge) == 400000);
  assert_int_equal(rt_histogram_count(w.histogram), 400000);
  rt_metrics_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_series_render_in_the_text_format),
      cmocka_unit_test(test_gauge_functions_are_read_when_rendered),
      cmocka_unit_test(test_histogram_buckets_are_cumulative),
      cmocka_unit_test(test_registration_refuses_what_cannot_be_rendered),
      cmocka_unit_test(test_concurrent_updates_add_up),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
