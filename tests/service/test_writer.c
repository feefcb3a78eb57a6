/*
 * Tests for rt_writer: group commit, batch cap, queue limit, abandoned
 * jobs, drain and the commit notification. The storage engine is replaced
 * by a fake rt_store_apply (defined here) that records each batch and can
 * be held shut, so that the tests decide what is queued while a commit is
 * "in progress" instead of relying on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tracker_writer.h"

/* ---- the fake storage engine --------------------------------------- */

#define MAX_BATCHES 64

struct rt_store {
  uv_mutex_t mutex;
  uv_cond_t changed;
  bool gate_closed; /* apply waits while set */
  int entered;      /* apply calls started */
  size_t batch_sizes[MAX_BATCHES];
  size_t batch_count;
  uint64_t revision;
  char applied[256]; /* request ids in the order applied */
};

static void fake_init(struct rt_store *store) {
  memset(store, 0, sizeof *store);
  uv_mutex_init(&store->mutex);
  uv_cond_init(&store->changed);
}

static void fake_close(struct rt_store *store) {
  uv_cond_destroy(&store->changed);
  uv_mutex_destroy(&store->mutex);
}

static void fake_set_gate(struct rt_store *store, bool closed) {
  uv_mutex_lock(&store->mutex);
  store->gate_closed = closed;
  uv_cond_broadcast(&store->changed);
  uv_mutex_unlock(&store->mutex);
}

/* Runs the loop (the writer is woken at the end of a loop iteration)
 * until apply has been entered calls times. */
static void fake_wait_entered(struct rt_store *store, uv_loop_t *loop,
                              int calls) {
  uv_mutex_lock(&store->mutex);
  while (store->entered < calls) {
    uv_mutex_unlock(&store->mutex);
    uv_run(loop, UV_RUN_NOWAIT);
    uv_mutex_lock(&store->mutex);
    if (store->entered < calls)
      (void)uv_cond_timedwait(&store->changed, &store->mutex, 1000000);
  }
  uv_mutex_unlock(&store->mutex);
}

/* Each op's request_id is one character; "x" fails alone with a
 * conflict, everything else gets the next revision and a reply echoing
 * the id. */
int rt_store_apply(rt_store_t *store, rt_write_op_t *ops, size_t n_ops,
                   rt_error_t *err) {
  (void)err;
  uv_mutex_lock(&store->mutex);
  store->entered++;
  uv_cond_broadcast(&store->changed);
  while (store->gate_closed)
    uv_cond_wait(&store->changed, &store->mutex);
  if (store->batch_count < MAX_BATCHES)
    store->batch_sizes[store->batch_count++] = n_ops;
  for (size_t i = 0; i < n_ops; i++) {
    size_t used = strlen(store->applied);
    if (used + 1 < sizeof store->applied)
      store->applied[used] = ops[i].request_id[0];
    if (strcmp(ops[i].request_id, "x") == 0) {
      ops[i].result = rt_error_set(&ops[i].error, RT_ECONFLICT, "revision",
                                   "stale revision");
      continue;
    }
    ops[i].result = 0;
    ops[i].revision = ++store->revision;
    ops[i].reply = (uint8_t *)strdup(ops[i].request_id);
    ops[i].reply_len = strlen(ops[i].request_id);
  }
  uv_mutex_unlock(&store->mutex);
  return 0;
}

void rt_write_ops_release(rt_write_op_t *ops, size_t n_ops) {
  for (size_t i = 0; i < n_ops; i++) {
    free(ops[i].reply);
    ops[i].reply = NULL;
  }
}

/* ---- fixture --------------------------------------------------------- */

typedef struct fixture {
  uv_loop_t loop;
  struct rt_store store;
  rt_writer_t *writer;
  char completed[256]; /* request ids in completion order */
  int completions;
  int failures; /* completions with result != 0 */
  int skipped;
  uint64_t last_commit; /* from on_commit */
  int drains;
  rt_metrics_t *metrics;
} fixture_t;

typedef struct test_job {
  rt_write_job_t job;
  fixture_t *fixture;
  char id[2];
} test_job_t;

static void on_complete(rt_write_job_t *job) {
  test_job_t *test_job = (test_job_t *)job;
  fixture_t *f = test_job->fixture;
  size_t used = strlen(f->completed);
  f->completed[used] = test_job->id[0];
  f->completions++;
  if (job->skipped)
    f->skipped++;
  else if (job->op.result != 0)
    f->failures++;
  else
    assert_memory_equal(job->op.reply, test_job->id, 1);
  rt_write_ops_release(&job->op, 1);
  free(test_job);
}

static void on_commit(uint64_t revision, void *data) {
  fixture_t *f = data;
  assert_true(revision > f->last_commit);
  f->last_commit = revision;
}

static void on_drained(void *data) {
  fixture_t *f = data;
  f->drains++;
}

static fixture_t *fixture_new(size_t max_batch, size_t max_queue) {
  fixture_t *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  fake_init(&f->store);
  f->metrics = rt_metrics_new();
  assert_non_null(f->metrics);
  rt_writer_options_t options = {max_batch, max_queue, on_commit, f,
                                 f->metrics};
  rt_error_t err;
  assert_int_equal(
      rt_writer_new(&f->writer, &f->loop, &f->store, &options, &err), 0);
  return f;
}

static void fixture_free(fixture_t *f) {
  rt_writer_free(f->writer);
  uv_run(&f->loop, UV_RUN_DEFAULT); /* runs the close callbacks */
  assert_int_equal(uv_loop_close(&f->loop), 0);
  fake_close(&f->store);
  rt_metrics_free(f->metrics);
  free(f);
}

/* The value of the sample line starting with series in the registry's
 * text (-1 when there is none). */
static double metric(fixture_t *f, const char *series) {
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(rt_metrics_render(f->metrics, &text, &len), 0);
  double value = -1;
  size_t n = strlen(series);
  for (char *line = text; line != NULL && *line;) {
    if (strncmp(line, series, n) == 0 && line[n] == ' ')
      value = strtod(line + n + 1, NULL);
    line = strchr(line, '\n');
    line = line ? line + 1 : NULL;
  }
  free(text);
  return value;
}

static int submit(fixture_t *f, char id) {
  test_job_t *job = calloc(1, sizeof *job);
  assert_non_null(job);
  job->fixture = f;
  job->id[0] = id;
  job->job.complete = on_complete;
  job->job.op.kind = RT_OP_CREATE_SOURCE;
  job->job.op.request_id = job->id;
  rt_error_t err;
  int rc = rt_writer_submit(f->writer, &job->job, &err);
  if (rc != 0)
    free(job);
  return rc;
}

static void run_until_completed(fixture_t *f, int completions) {
  while (f->completions < completions)
    uv_run(&f->loop, UV_RUN_ONCE);
}

/* ---- tests ----------------------------------------------------------- */

static void test_a_job_is_applied_and_completed_on_the_loop(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  assert_int_equal(submit(f, 'a'), 0);
  run_until_completed(f, 1);
  assert_string_equal(f->completed, "a");
  assert_int_equal(f->failures, 0);
  assert_int_equal(f->last_commit, 1);
  fixture_free(f);
}

static void test_jobs_queued_during_a_commit_share_the_next_one(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1); /* 'a' is being committed */
  const char *rest = "bcdefghijk";
  for (const char *c = rest; *c; c++)
    assert_int_equal(submit(f, *c), 0);
  fake_set_gate(&f->store, false);
  run_until_completed(f, 11);
  assert_int_equal(f->store.batch_count, 2);
  assert_int_equal(f->store.batch_sizes[0], 1);
  assert_int_equal(f->store.batch_sizes[1], 10);
  assert_string_equal(f->completed, "abcdefghijk");
  assert_string_equal(f->store.applied, "abcdefghijk");
  rt_writer_stats_t stats;
  rt_writer_get_stats(f->writer, &stats);
  assert_int_equal(stats.batches, 2);
  assert_int_equal(stats.jobs, 11);
  assert_int_equal(stats.largest_batch, 10);
  fixture_free(f);
}

static void test_jobs_of_one_loop_iteration_wake_the_writer_once(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  for (const char *c = "abcdefgh"; *c; c++)
    assert_int_equal(submit(f, *c), 0);
  run_until_completed(f, 8);
  assert_int_equal(f->store.batch_count, 1);
  assert_int_equal(f->store.batch_sizes[0], 8);
  fixture_free(f);
}

static void test_a_batch_never_exceeds_max_batch(void **state) {
  (void)state;
  fixture_t *f = fixture_new(4, 0);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1);
  for (const char *c = "bcdefghijk"; *c; c++)
    assert_int_equal(submit(f, *c), 0);
  fake_set_gate(&f->store, false);
  run_until_completed(f, 11);
  assert_int_equal(f->store.batch_count, 4);
  size_t expected[] = {1, 4, 4, 2};
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(f->store.batch_sizes[i], expected[i]);
  assert_string_equal(f->completed, "abcdefghijk");
  fixture_free(f);
}

static void test_batches_writes_and_sizes_are_counted(void **state) {
  (void)state;
  fixture_t *f = fixture_new(4, 0);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1);
  for (const char *c = "bcdxe"; *c; c++)
    assert_int_equal(submit(f, *c), 0);
  assert_int_equal(metric(f, "rectrack_writer_queue_length"), 5);
  fake_set_gate(&f->store, false);
  run_until_completed(f, 6);
  /* batches of 1, 4 and 1: 'x' fails alone */
  assert_int_equal(metric(f, "rectrack_writer_batches_total"), 3);
  assert_int_equal(metric(f, "rectrack_writer_writes_total{result=\"ok\"}"), 5);
  assert_int_equal(metric(f, "rectrack_writer_writes_total{result=\"failed\"}"),
                   1);
  assert_int_equal(metric(f, "rectrack_writer_batch_size_count"), 3);
  assert_int_equal(metric(f, "rectrack_writer_batch_size_sum"), 6);
  assert_int_equal(metric(f, "rectrack_writer_batch_size_bucket{le=\"1\"}"), 2);
  assert_int_equal(metric(f, "rectrack_writer_commit_duration_seconds_count"),
                   3);
  assert_int_equal(metric(f, "rectrack_writer_queue_length"), 0);
  fixture_free(f);
}

static void test_a_full_queue_refuses_with_too_big(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 3);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1); /* 'a' left the queue */
  assert_int_equal(submit(f, 'b'), 0);
  assert_int_equal(submit(f, 'c'), 0);
  assert_int_equal(submit(f, 'd'), 0);
  assert_int_equal(submit(f, 'e'), RT_ETOOBIG);
  fake_set_gate(&f->store, false);
  run_until_completed(f, 4);
  assert_int_equal(submit(f, 'f'), 0); /* room again */
  run_until_completed(f, 5);
  assert_string_equal(f->completed, "abcdf");
  fixture_free(f);
}

static void test_a_failed_op_fails_alone(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1);
  assert_int_equal(submit(f, 'b'), 0);
  assert_int_equal(submit(f, 'x'), 0);
  assert_int_equal(submit(f, 'c'), 0);
  fake_set_gate(&f->store, false);
  run_until_completed(f, 4);
  assert_int_equal(f->failures, 1);
  assert_int_equal(f->last_commit, 3); /* a, b, c */
  fixture_free(f);
}

static void test_an_abandoned_job_is_skipped_and_completed_once(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1);
  test_job_t *job = calloc(1, sizeof *job);
  job->fixture = f;
  job->id[0] = 'b';
  job->job.complete = on_complete;
  job->job.op.request_id = job->id;
  assert_int_equal(rt_writer_submit(f->writer, &job->job, NULL), 0);
  assert_int_equal(submit(f, 'c'), 0);
  rt_write_job_abandon(&job->job);
  fake_set_gate(&f->store, false);
  run_until_completed(f, 3);
  assert_int_equal(f->skipped, 1);
  assert_string_equal(f->store.applied, "ac"); /* 'b' never written */
  assert_int_equal(f->completions, 3);
  fixture_free(f);
}

static void test_drain_commits_queued_jobs_then_refuses_new_ones(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  fake_set_gate(&f->store, true);
  assert_int_equal(submit(f, 'a'), 0);
  fake_wait_entered(&f->store, &f->loop, 1);
  assert_int_equal(submit(f, 'b'), 0);
  assert_int_equal(submit(f, 'c'), 0);
  rt_writer_drain(f->writer, on_drained, f);
  rt_writer_drain(f->writer, on_drained, f); /* second call: no-op */
  assert_int_equal(submit(f, 'd'), RT_EUNAVAIL);
  fake_set_gate(&f->store, false);
  while (f->drains == 0)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(f->drains, 1);
  assert_string_equal(f->completed, "abc");
  assert_int_equal(f->last_commit, 3);
  fixture_free(f);
}

static void test_free_without_drain_completes_everything(void **state) {
  (void)state;
  fixture_t *f = fixture_new(0, 0);
  for (const char *c = "abcde"; *c; c++)
    assert_int_equal(submit(f, *c), 0);
  rt_writer_free(f->writer); /* joins; leftovers completed as abandoned */
  f->writer = NULL;
  assert_int_equal(f->completions, 5);
  fixture_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_job_is_applied_and_completed_on_the_loop),
      cmocka_unit_test(test_jobs_queued_during_a_commit_share_the_next_one),
      cmocka_unit_test(test_jobs_of_one_loop_iteration_wake_the_writer_once),
      cmocka_unit_test(test_a_batch_never_exceeds_max_batch),
      cmocka_unit_test(test_batches_writes_and_sizes_are_counted),
      cmocka_unit_test(test_a_full_queue_refuses_with_too_big),
      cmocka_unit_test(test_a_failed_op_fails_alone),
      cmocka_unit_test(test_an_abandoned_job_is_skipped_and_completed_once),
      cmocka_unit_test(test_drain_commits_queued_jobs_then_refuses_new_ones),
      cmocka_unit_test(test_free_without_drain_completes_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
