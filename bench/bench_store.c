/*
 * bench_store: measures the storage engine alone, without the network.
 * Durable commits per second when every write is its own batch (one
 * fsync each: the worst case of the service's writer), creates per second
 * in batches of 100 (group commit), follow-ups per second in batches of
 * 64, point reads per second through a reused reader (reset/renew), and
 * two writes whose derived fields are worked out from a history:
 * measurements in batches of 64 on quantified commitments, overall and by
 * corridor (each recomputes the commitment's series from its
 * measurements), and follow-ups on joint pledges of four partners (each
 * recomputes every partner's status). The store lives in a fresh
 * directory under --dir (default: the current directory), so the disk
 * measured is the one that directory is on; it is removed at the end.
 *
 * Usage: bench_store [--dir DIR] [--single N] [--batched N]
 *                    [--measurements N] [--joint N]
 */
#include "rt_store.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 100

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static int apply_checked(rt_store_t *store, rt_write_op_t *ops, size_t n) {
  rt_error_t err;
  int rc = rt_store_apply(store, ops, n, &err);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (ops[i].result != 0) {
      fprintf(stderr, "bench_store: op failed: %s\n", ops[i].error.message);
      rc = ops[i].result;
    }
  if (rc != 0 && err.message[0])
    fprintf(stderr, "bench_store: %s\n", err.message);
  rt_write_ops_release(ops, n);
  return rc;
}

static int seed(rt_store_t *store) {
  Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
  actor.id = (char *)"iom";
  actor.name = (char *)"International Organization for Migration";
  actor.kind = RECTRACK__V1__ACTOR_KIND__ACTOR_KIND_UN_ENTITY;
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = (char *)"idm-2023";
  source.title = (char *)"International Dialogue on Migration 2023";
  /* p1..p4: the partners of the joint pledges. */
  Rectrack__V1__Actor partners[4];
  char ids[4][4];
  rt_write_op_t ops[6] = {
      {.kind = RT_OP_CREATE_ACTOR, .message = &actor.base},
      {.kind = RT_OP_CREATE_SOURCE, .message = &source.base},
  };
  for (int i = 0; i < 4; i++) {
    snprintf(ids[i], sizeof ids[i], "p%d", i + 1);
    partners[i] = actor;
    partners[i].id = ids[i];
    partners[i].name = ids[i];
    ops[2 + i] = (rt_write_op_t){.kind = RT_OP_CREATE_ACTOR,
                                 .message = &partners[i].base};
  }
  return apply_checked(store, ops, 6);
}

static Rectrack__V1__Recommendation sample_recommendation(void) {
  static char *sdg[] = {(char *)"10.7", (char *)"10.c", (char *)"17.18"};
  static int32_t gcm[] = {1, 20};
  static char *addressed[] = {(char *)"iom"};
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = (char *)"idm-2023";
  rec.source_ref = (char *)"4.6 #3";
  rec.title = (char *)"Reduce the transaction costs of migrant remittances";
  rec.text = (char *)"Member states should work with providers to bring the "
                     "average cost of sending remittances below 3 per cent.";
  rec.theme = (char *)"remittances";
  rec.sdg_targets = sdg;
  rec.n_sdg_targets = 3;
  rec.gcm_objectives = gcm;
  rec.n_gcm_objectives = 2;
  rec.addressed_to = addressed;
  rec.n_addressed_to = 1;
  rec.lead_actor_id = (char *)"iom";
  rec.due_date = (char *)"2030-12-31";
  return rec;
}

static int run_single(rt_store_t *store, int n, double *rate) {
  Rectrack__V1__Recommendation rec = sample_recommendation();
  double start = now_seconds();
  for (int i = 0; i < n; i++) {
    rt_write_op_t op = {.kind = RT_OP_CREATE_RECOMMENDATION,
                        .principal = "bench",
                        .message = &rec.base};
    if (apply_checked(store, &op, 1) != 0)
      return 1;
  }
  *rate = n / (now_seconds() - start);
  return 0;
}

static int run_batched(rt_store_t *store, int n, double *rate) {
  Rectrack__V1__Recommendation rec = sample_recommendation();
  rt_write_op_t ops[BATCH];
  double start = now_seconds();
  for (int done = 0; done < n; done += BATCH) {
    for (int i = 0; i < BATCH; i++)
      ops[i] = (rt_write_op_t){.kind = RT_OP_CREATE_RECOMMENDATION,
                               .principal = "bench",
                               .message = &rec.base};
    if (apply_checked(store, ops, BATCH) != 0)
      return 1;
  }
  *rate = n / (now_seconds() - start);
  return 0;
}

/* Follow-ups on existing recommendations, 64 per commit: the shape of
 * the service's writer under 64 concurrent RecordFollowUp calls. */
static int run_follow_ups(rt_store_t *store, int total, int n, double *rate) {
  enum { FOLLOW_UP_BATCH = 64 };
  static const int statuses[] = {RECTRACK__V1__STATUS__STATUS_NOT_STARTED,
                                 RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
                                 RECTRACK__V1__STATUS__STATUS_STALLED};
  Rectrack__V1__FollowUp fus[FOLLOW_UP_BATCH];
  char ids[FOLLOW_UP_BATCH][32];
  rt_write_op_t ops[FOLLOW_UP_BATCH];
  double start = now_seconds();
  for (int done = 0; done < n; done += FOLLOW_UP_BATCH) {
    for (int i = 0; i < FOLLOW_UP_BATCH; i++) {
      snprintf(ids[i], sizeof ids[i], "R%d", 1 + ((done + i) * 7919) % total);
      rectrack__v1__follow_up__init(&fus[i]);
      fus[i].subject_id = ids[i];
      fus[i].status = statuses[(done + i) % 3];
      fus[i].as_of = (char *)"2026-01-15";
      fus[i].note = (char *)"Reported at the periodic review.";
      ops[i] = (rt_write_op_t){.kind = RT_OP_RECORD_FOLLOW_UP,
                               .principal = "bench",
                               .message = &fus[i].base};
    }
    if (apply_checked(store, ops, FOLLOW_UP_BATCH) != 0)
      return 1;
  }
  *rate = n / (now_seconds() - start);
  return 0;
}

static int run_reads(rt_store_t *store, int total, int n, double *rate) {
  rt_store_reader_t *reader;
  rt_error_t err;
  if (rt_store_reader_begin(store, &reader, &err) != 0)
    return 1;
  rt_store_reader_reset(reader);
  double start = now_seconds();
  for (int i = 0; i < n; i++) {
    char id[32];
    snprintf(id, sizeof id, "R%d", 1 + (i * 7919) % total);
    const void *data;
    size_t len;
    if (rt_store_reader_renew(reader, &err) != 0 ||
        rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, id, &data, &len,
                         &err) != 0) {
      fprintf(stderr, "bench_store: read %s: %s\n", id, err.message);
      rt_store_reader_end(reader);
      return 1;
    }
    rt_store_reader_reset(reader);
  }
  *rate = n / (now_seconds() - start);
  rt_store_reader_end(reader);
  return 0;
}

/* Commitments numbered from first, count of them: quantified ones
 * (series ceiling 5) or partnerships of iom with four partners. */
static int create_commitments(rt_store_t *store, int count, bool joint) {
  static char *partners[] = {(char *)"p1", (char *)"p2", (char *)"p3",
                             (char *)"p4"};
  Rectrack__V1__SeriesCeiling ceiling = RECTRACK__V1__SERIES_CEILING__INIT;
  ceiling.value = 5;
  Rectrack__V1__Indicator ind = RECTRACK__V1__INDICATOR__INIT;
  ind.name = (char *)"Average cost of sending remittances";
  ind.unit = (char *)"per cent";
  ind.baseline_value = 7;
  ind.baseline_date = (char *)"2020-01-01";
  ind.target_value = 3;
  ind.target_date = (char *)"2030-12-31";
  ind.direction = RECTRACK__V1__DIRECTION__DIRECTION_DECREASE;
  ind.series_ceiling = &ceiling;
  Rectrack__V1__Commitment com = RECTRACK__V1__COMMITMENT__INIT;
  com.actor_id = (char *)"iom";
  com.title = (char *)"Remittance costs down to 3 per cent";
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  if (joint) {
    com.partner_ids = partners;
    com.n_partner_ids = 4;
  } else {
    com.indicator = &ind;
  }
  rt_write_op_t ops[BATCH];
  for (int done = 0; done < count; done += BATCH) {
    int n = count - done < BATCH ? count - done : BATCH;
    for (int i = 0; i < n; i++)
      ops[i] = (rt_write_op_t){.kind = RT_OP_CREATE_COMMITMENT,
                               .principal = "bench",
                               .message = &com.base};
    if (apply_checked(store, ops, (size_t)n) != 0)
      return 1;
  }
  return 0;
}

/* n measurements, 64 per commit, spread over the commitments numbered
 * first .. first + count - 1; with corridors, each in one of 20 corridor
 * series, so that a commitment has up to 20 series. */
static int run_measurements(rt_store_t *store, int first, int count, int n,
                            bool corridors, double *rate) {
  enum { MEASURE_BATCH = 64 };
  static const char *const receivers[] = {
      "NGA", "IND", "CHN", "PHL", "MEX", "BGD", "PAK", "EGY", "KEN", "GHA",
      "SEN", "MAR", "VNM", "NPL", "LKA", "COL", "GTM", "HND", "SLV", "UGA"};
  Rectrack__V1__Measurement ms[MEASURE_BATCH];
  Rectrack__V1__Dimension dims[MEASURE_BATCH], *dim_ptrs[MEASURE_BATCH];
  char ids[MEASURE_BATCH][32], values[MEASURE_BATCH][16],
      dates[MEASURE_BATCH][11];
  rt_write_op_t ops[MEASURE_BATCH];
  double start = now_seconds();
  for (int done = 0; done < n; done += MEASURE_BATCH) {
    for (int i = 0; i < MEASURE_BATCH; i++) {
      int k = done + i;
      snprintf(ids[i], sizeof ids[i], "C%d", first + (k * 7919) % count);
      snprintf(values[i], sizeof values[i], "GBR-%s", receivers[k % 20]);
      snprintf(dates[i], sizeof dates[i], "20%02d-%02d-28", 21 + (k / 12) % 5,
               1 + k % 12);
      rectrack__v1__measurement__init(&ms[i]);
      ms[i].commitment_id = ids[i];
      ms[i].value = 3 + (k % 50) / 10.0;
      ms[i].as_of = dates[i];
      if (corridors) {
        rectrack__v1__dimension__init(&dims[i]);
        dims[i].key = (char *)"corridor";
        dims[i].value = values[i];
        dim_ptrs[i] = &dims[i];
        ms[i].dimensions = &dim_ptrs[i];
        ms[i].n_dimensions = 1;
      }
      ops[i] = (rt_write_op_t){.kind = RT_OP_RECORD_MEASUREMENT,
                               .principal = "bench",
                               .message = &ms[i].base};
    }
    if (apply_checked(store, ops, MEASURE_BATCH) != 0)
      return 1;
  }
  *rate = n / (now_seconds() - start);
  return 0;
}

/* n follow-ups on the joint pledges numbered first .. first + count - 1,
 * 64 per commit, each for one of the four partners' parts or the whole. */
static int run_joint_follow_ups(rt_store_t *store, int first, int count, int n,
                                double *rate) {
  enum { JOINT_BATCH = 64 };
  static const char *const parts[] = {"", "p1", "p2", "p3", "p4"};
  Rectrack__V1__FollowUp fus[JOINT_BATCH];
  char ids[JOINT_BATCH][32];
  rt_write_op_t ops[JOINT_BATCH];
  double start = now_seconds();
  for (int done = 0; done < n; done += JOINT_BATCH) {
    for (int i = 0; i < JOINT_BATCH; i++) {
      int k = done + i;
      snprintf(ids[i], sizeof ids[i], "C%d", first + (k * 7919) % count);
      rectrack__v1__follow_up__init(&fus[i]);
      fus[i].subject_id = ids[i];
      fus[i].partner_id = (char *)parts[k % 5];
      fus[i].status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
      fus[i].as_of = (char *)"2026-01-15";
      ops[i] = (rt_write_op_t){.kind = RT_OP_RECORD_FOLLOW_UP,
                               .principal = "bench",
                               .message = &fus[i].base};
    }
    if (apply_checked(store, ops, JOINT_BATCH) != 0)
      return 1;
  }
  *rate = n / (now_seconds() - start);
  return 0;
}

int main(int argc, char **argv) {
  const char *parent = ".";
  int single = 2000, batched = 50000, measurements = 20000, joint = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--dir") == 0)
      parent = argv[i + 1];
    else if (strcmp(argv[i], "--single") == 0)
      single = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--batched") == 0)
      batched = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--measurements") == 0)
      measurements = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--joint") == 0)
      joint = atoi(argv[i + 1]);
  }
  if (single <= 0 || batched < BATCH || measurements < 64 || joint < 64) {
    fprintf(stderr,
            "usage: bench_store [--dir DIR] [--single N] "
            "[--batched N>=%d] [--measurements N>=64] [--joint N>=64]\n",
            BATCH);
    return 2;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/bench-store-XXXXXX", parent);
  if (mkdtemp(dir) == NULL) {
    perror("bench_store: mkdtemp");
    return 1;
  }
  rt_store_t *store = NULL;
  rt_error_t err;
  double single_rate = 0, batched_rate = 0, follow_up_rate = 0, read_rate = 0,
         overall_rate = 0, corridor_rate = 0, joint_rate = 0;
  enum { COMMITMENTS = 1000 };
  int rc = rt_store_open(&store, dir, NULL, &err);
  if (rc != 0)
    fprintf(stderr, "bench_store: %s\n", err.message);
  if (rc == 0)
    rc = seed(store);
  if (rc == 0)
    rc = run_single(store, single, &single_rate);
  if (rc == 0)
    rc = run_batched(store, batched, &batched_rate);
  if (rc == 0)
    rc = run_follow_ups(store, single + batched, batched, &follow_up_rate);
  if (rc == 0)
    rc = run_reads(store, single + batched, 200000, &read_rate);
  /* C1..C1000 quantified, C1001..C2000 joint. */
  if (rc == 0)
    rc = create_commitments(store, COMMITMENTS, false);
  if (rc == 0)
    rc = create_commitments(store, COMMITMENTS, true);
  if (rc == 0)
    rc = run_measurements(store, 1, COMMITMENTS, measurements, false,
                          &overall_rate);
  if (rc == 0)
    rc = run_measurements(store, 1, COMMITMENTS, measurements, true,
                          &corridor_rate);
  if (rc == 0)
    rc = run_joint_follow_ups(store, COMMITMENTS + 1, COMMITMENTS, joint,
                              &joint_rate);
  if (rc == 0) {
    printf("single-op durable commits: %d in %s, %.0f commits/s\n", single, dir,
           single_rate);
    printf("batched writes (%d per commit): %d, %.0f ops/s\n", BATCH, batched,
           batched_rate);
    printf("follow-ups (64 per commit): %d, %.0f ops/s\n", batched,
           follow_up_rate);
    printf("point reads (reader renewed per read): %.0f reads/s\n", read_rate);
    printf("measurements, overall figure (64 per commit, %d commitments): "
           "%d, %.0f ops/s\n",
           COMMITMENTS, measurements, overall_rate);
    printf("measurements by corridor (20 series each, after %d overall "
           "ones): %d, %.0f ops/s\n",
           measurements, measurements, corridor_rate);
    printf("follow-ups on joint pledges of 4 partners (64 per commit, %d "
           "pledges): %d, %.0f ops/s\n",
           COMMITMENTS, joint, joint_rate);
    printf("map size at end: %zu bytes\n", rt_store_map_size(store));
  }
  rt_store_close(store);
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return rc == 0 ? 0 : 1;
}
