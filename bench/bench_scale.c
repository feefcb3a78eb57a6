/*
 * bench_scale: the storage side of the scale benchmark (bench/README.md,
 * "Scale"). Two commands:
 *
 *   bench_scale load --dir DIR --recommendations N [--seed S]
 *     generates a data set of N recommendations (bench_gen.h) and loads
 *     it into a new store in DIR with the batched storage API (batches of
 *     2,000 writes, one commit each), printing the rate of each phase;
 *   bench_scale lines --out FILE --recommendations N [--seed S]
 *     writes the same data set as an import file in the JSON Lines form
 *     (recommendations and commitments keyed "r-<i>", "c-<i>"), for the
 *     import and load figures;
 *   bench_scale query --dir DIR [--runs R]
 *     measures the listings of the API on that store, straight through
 *     rt_store (no network): first pages of page 50 under no filter, each
 *     single filter, combinations and text queries, each run R times with
 *     varied values (p50, p99, max in ms); paging to the end at page 50
 *     (every page timed); a point read; and rt_store_verify.
 *
 * Figures are printed as Markdown table rows with the load average.
 */
#include "bench_gen.h"
#include "rt_dataset.h"
#include "rt_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 2000

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void load_average(char *out, size_t len) {
  FILE *f = fopen("/proc/loadavg", "r");
  double one = 0;
  if (f == NULL || fscanf(f, "%lf", &one) != 1)
    one = -1;
  if (f)
    fclose(f);
  snprintf(out, len, "%.2f", one);
}

/* ---- load ---------------------------------------------------------------- */

typedef struct batch {
  rt_store_t *store;
  rt_write_op_t ops[BATCH];
  union {
    Rectrack__V1__Actor actor;
    Rectrack__V1__Source source;
    Rectrack__V1__Recommendation rec;
    Rectrack__V1__Commitment com;
    Rectrack__V1__FollowUp fu;
    Rectrack__V1__Measurement m;
  } messages[BATCH];
  Rectrack__V1__Indicator indicators[BATCH];
  char ids[BATCH][24];
  size_t n;
  bench_scratch_t scratch;
  size_t written;
} batch_t;

static void flush(batch_t *b) {
  if (b->n == 0)
    return;
  rt_error_t err;
  if (rt_store_apply(b->store, b->ops, b->n, &err) != 0) {
    fprintf(stderr, "bench_scale: %s\n", err.message);
    exit(1);
  }
  for (size_t i = 0; i < b->n; i++)
    if (b->ops[i].result != 0) {
      fprintf(stderr, "bench_scale: write failed: %s\n",
              b->ops[i].error.message);
      exit(1);
    }
  rt_write_ops_release(b->ops, b->n);
  b->written += b->n;
  b->n = 0;
  bench_scratch_reset(&b->scratch);
}

static void *slot(batch_t *b, rt_op_kind_t kind) {
  if (b->n == BATCH)
    flush(b);
  b->ops[b->n] = (rt_write_op_t){.kind = kind,
                                 .message = &b->messages[b->n].actor.base,
                                 .principal = "bench"};
  return &b->messages[b->n++];
}

static void phase(const char *what, size_t count, double started) {
  double s = (now_ms() - started) / 1e3;
  printf("| load: %s | %zu | %.1f s | %.0f writes/s |\n", what, count, s,
         count / (s > 0 ? s : 1));
  fflush(stdout);
}

static int load(const char *dir, size_t n, uint64_t seed) {
  bench_gen_t gen;
  bench_gen_init(&gen, n, seed);
  static batch_t b;
  rt_error_t err;
  rt_store_options_t options = {.initial_map_bytes = (size_t)1 << 30};
  if (rt_store_open(&b.store, dir, &options, &err) != 0) {
    fprintf(stderr, "bench_scale: %s\n", err.message);
    return 1;
  }
  printf("| phase | writes | time | rate |\n| --- | ---: | ---: | ---: |\n");
  double t = now_ms();
  for (size_t i = 0; i < gen.actors; i++) {
    Rectrack__V1__Actor *a = slot(&b, RT_OP_CREATE_ACTOR);
    bench_gen_actor(&gen, i, &b.scratch, a);
    b.ops[b.n - 1].message = &a->base;
  }
  for (size_t i = 0; i < gen.sources; i++) {
    Rectrack__V1__Source *src = slot(&b, RT_OP_CREATE_SOURCE);
    bench_gen_source(&gen, i, &b.scratch, src);
    b.ops[b.n - 1].message = &src->base;
  }
  flush(&b);
  phase("actors and sources", gen.actors + gen.sources, t);
  t = now_ms();
  for (size_t i = 0; i < n; i++) {
    Rectrack__V1__Recommendation *r = slot(&b, RT_OP_CREATE_RECOMMENDATION);
    bench_gen_recommendation(&gen, i, &b.scratch, r);
    b.ops[b.n - 1].message = &r->base;
  }
  flush(&b);
  phase("recommendations", n, t);
  t = now_ms();
  for (size_t i = 0; i < gen.commitments; i++) {
    Rectrack__V1__Commitment *c = slot(&b, RT_OP_CREATE_COMMITMENT);
    size_t at = b.n - 1;
    bench_gen_commitment(&gen, i, &b.scratch, c, &b.indicators[at]);
    b.ops[at].message = &c->base;
  }
  flush(&b);
  phase("commitments", gen.commitments, t);
  t = now_ms();
  size_t fups = 0;
  for (size_t k = 0; k < gen.follow_ups_per_recommendation; k++)
    for (size_t i = 0; i < n; i++, fups++) {
      Rectrack__V1__FollowUp *fu = slot(&b, RT_OP_RECORD_FOLLOW_UP);
      bench_gen_follow_up(&gen, i, k, false, &b.scratch, fu);
      b.ops[b.n - 1].message = &fu->base;
    }
  for (size_t i = 0; i < gen.commitments; i++, fups++) {
    Rectrack__V1__FollowUp *fu = slot(&b, RT_OP_RECORD_FOLLOW_UP);
    bench_gen_follow_up(&gen, i, 0, true, &b.scratch, fu);
    b.ops[b.n - 1].message = &fu->base;
  }
  flush(&b);
  phase("follow-ups", fups, t);
  t = now_ms();
  size_t meas = 0;
  for (size_t i = 0; i < gen.commitments; i++)
    for (size_t k = 0; k < bench_gen_measurements(&gen, i); k++, meas++) {
      Rectrack__V1__Measurement *m = slot(&b, RT_OP_RECORD_MEASUREMENT);
      bench_gen_measurement(&gen, i, k, &b.scratch, m);
      b.ops[b.n - 1].message = &m->base;
    }
  flush(&b);
  phase("measurements", meas, t);
  t = now_ms();
  static const char *const mask[] = {"archived"};
  size_t archived = 0;
  for (size_t i = 0; i < n; i++) {
    if (!bench_gen_archived(&gen, i))
      continue;
    Rectrack__V1__Recommendation *r = slot(&b, RT_OP_UPDATE_RECOMMENDATION);
    *r = (Rectrack__V1__Recommendation)RECTRACK__V1__RECOMMENDATION__INIT;
    snprintf(b.ids[b.n - 1], sizeof b.ids[0], "R%zu", i + 1);
    r->id = b.ids[b.n - 1];
    r->archived = true;
    b.ops[b.n - 1].message = &r->base;
    b.ops[b.n - 1].update_mask = mask;
    b.ops[b.n - 1].update_mask_len = 1;
    archived++;
  }
  flush(&b);
  phase("archived", archived, t);
  printf("\nmap size %.1f GiB\n", rt_store_map_size(b.store) / 1073741824.0);
  bench_scratch_free(&b.scratch);
  rt_store_close(b.store);
  return 0;
}

/* ---- the JSON Lines form ------------------------------------------------- */

static void put_line(FILE *out, rt_dataset_kind_t kind,
                     const ProtobufCMessage *record) {
  char *line = NULL;
  size_t len = 0;
  rt_error_t err;
  if (rt_dataset_write_line(kind, record, &line, &len, &err) != 0) {
    fprintf(stderr, "bench_scale: %s\n", err.message);
    exit(1);
  }
  fwrite(line, 1, len, out);
  free(line);
}

static int write_lines(const char *path, size_t n, uint64_t seed) {
  bench_gen_t gen;
  bench_gen_init(&gen, n, seed);
  FILE *out = fopen(path, "w");
  if (out == NULL) {
    perror(path);
    return 1;
  }
  bench_scratch_t s = {0};
  char *header = NULL;
  size_t len;
  rt_error_t err;
  rt_dataset_write_lines_header(&header, &len, &err);
  fwrite(header, 1, len, out);
  free(header);
  for (size_t i = 0; i < gen.actors; i++, bench_scratch_reset(&s)) {
    Rectrack__V1__Actor a;
    bench_gen_actor(&gen, i, &s, &a);
    put_line(out, RT_DATASET_ACTOR, &a.base);
  }
  for (size_t i = 0; i < gen.sources; i++, bench_scratch_reset(&s)) {
    Rectrack__V1__Source src;
    bench_gen_source(&gen, i, &s, &src);
    put_line(out, RT_DATASET_SOURCE, &src.base);
  }
  char key[32];
  for (size_t i = 0; i < n; i++, bench_scratch_reset(&s)) {
    Rectrack__V1__Recommendation r;
    bench_gen_recommendation(&gen, i, &s, &r);
    snprintf(key, sizeof key, "r-%zu", i + 1);
    r.id = key;
    put_line(out, RT_DATASET_RECOMMENDATION, &r.base);
  }
  for (size_t i = 0; i < gen.commitments; i++, bench_scratch_reset(&s)) {
    Rectrack__V1__Commitment c;
    Rectrack__V1__Indicator ind;
    bench_gen_commitment(&gen, i, &s, &c, &ind);
    snprintf(key, sizeof key, "c-%zu", i + 1);
    c.id = key;
    char refs[2][32];
    for (size_t k = 0; k < c.n_recommendation_ids; k++) {
      snprintf(refs[k], sizeof refs[k], "r-%s", c.recommendation_ids[k] + 1);
      c.recommendation_ids[k] = refs[k];
    }
    put_line(out, RT_DATASET_COMMITMENT, &c.base);
  }
  /* follow-ups subject by subject, as an export lists them */
  for (size_t i = 0; i < n; i++, bench_scratch_reset(&s))
    for (size_t k = 0; k < gen.follow_ups_per_recommendation; k++) {
      Rectrack__V1__FollowUp fu;
      bench_gen_follow_up(&gen, i, k, false, &s, &fu);
      snprintf(key, sizeof key, "r-%zu", i + 1);
      fu.subject_id = key;
      put_line(out, RT_DATASET_FOLLOW_UP, &fu.base);
    }
  for (size_t i = 0; i < gen.commitments; i++, bench_scratch_reset(&s)) {
    Rectrack__V1__FollowUp fu;
    bench_gen_follow_up(&gen, i, 0, true, &s, &fu);
    snprintf(key, sizeof key, "c-%zu", i + 1);
    fu.subject_id = key;
    put_line(out, RT_DATASET_FOLLOW_UP, &fu.base);
    for (size_t k = 0; k < bench_gen_measurements(&gen, i); k++) {
      Rectrack__V1__Measurement m;
      bench_gen_measurement(&gen, i, k, &s, &m);
      m.commitment_id = key;
      put_line(out, RT_DATASET_MEASUREMENT, &m.base);
    }
  }
  bench_scratch_free(&s);
  return fclose(out) == 0 ? 0 : 1;
}

/* ---- query --------------------------------------------------------------- */

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double p) {
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, compare_doubles);
  size_t i = (size_t)ceil(p * (double)n) - 1;
  return v[i < n ? i : n - 1];
}

typedef struct scenario {
  const char *name;
  void (*fill)(Rectrack__V1__ListRecommendationsRequest *req, size_t run,
               Rectrack__V1__Status *statuses, char *buf, size_t len);
} scenario_t;

static void f_none(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                   Rectrack__V1__Status *s, char *b, size_t l) {
  (void)r, (void)run, (void)s, (void)b, (void)l;
}
static void f_status(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                     Rectrack__V1__Status *s, char *b, size_t l) {
  (void)b, (void)l;
  s[0] = 2 + (int)(run % 6);
  r->statuses = s;
  r->n_statuses = 1;
}
static void f_actor(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                    Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s;
  snprintf(b, l, "a-%zu", (run * 7919) % 61);
  r->actor_id = b;
}
static void f_theme(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                    Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s, (void)b, (void)l;
  r->theme = (char *)bench_gen_theme(run);
}
static void f_sdg(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                  Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s, (void)b, (void)l;
  r->sdg_target = (char *)bench_gen_sdg(run);
}
static void f_gcm(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                  Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s, (void)b, (void)l;
  r->gcm_objective = 1 + (int)(run % 23);
}
static void f_source(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                     Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s;
  snprintf(b, l, "s-%zu", run % 12);
  r->source_id = b;
}
static void f_overdue(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                      Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s;
  snprintf(b, l, "20%02zu-06-01", 21 + run % 10);
  r->overdue_only = true;
  r->as_of = b;
}
static void f_due(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                  Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s;
  snprintf(b, l, "20%02zu-01-01", 21 + run % 14);
  r->due_before = b;
}
static void f_updated(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                      Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s, (void)b, (void)l;
  r->updated_since_revision = 1 + run * 1000;
}
static void f_archived(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                       Rectrack__V1__Status *s, char *b, size_t l) {
  f_theme(r, run, s, b, l);
  r->include_archived = true;
}
static void f_theme_status(Rectrack__V1__ListRecommendationsRequest *r,
                           size_t run, Rectrack__V1__Status *s, char *b,
                           size_t l) {
  f_theme(r, run, s, b, l);
  f_status(r, run / 11, s, b, l);
}
static void f_actor_sdg(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                        Rectrack__V1__Status *s, char *b, size_t l) {
  f_actor(r, run, s, b, l);
  f_sdg(r, run, s, b, l);
}
static void f_overdue_theme(Rectrack__V1__ListRecommendationsRequest *r,
                            size_t run, Rectrack__V1__Status *s, char *b,
                            size_t l) {
  f_overdue(r, run, s, b, l);
  r->theme = (char *)bench_gen_theme(run);
}
static void f_three(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                    Rectrack__V1__Status *s, char *b, size_t l) {
  f_source(r, run, s, b, l);
  r->theme = (char *)bench_gen_theme(run);
  r->gcm_objective = 1 + (int)(run % 23);
}
static void f_text(Rectrack__V1__ListRecommendationsRequest *r, size_t run,
                   Rectrack__V1__Status *s, char *b, size_t l) {
  (void)s;
  static const char *const queries[] = {
      "remittance", "migración",          "REMESAS",      "diaspora health",
      "remit",      "digital inclusion",  "telemedicine", "santé",
      "costs fees", "recruitment ethical"};
  snprintf(b, l, "%s", queries[run % 10]);
  r->query = b;
}
static void f_text_theme(Rectrack__V1__ListRecommendationsRequest *r,
                         size_t run, Rectrack__V1__Status *s, char *b,
                         size_t l) {
  f_text(r, run, s, b, l);
  r->theme = (char *)bench_gen_theme(run);
}

static const scenario_t scenarios[] = {
    {"no filter", f_none},
    {"statuses (one)", f_status},
    {"actor_id", f_actor},
    {"theme", f_theme},
    {"sdg_target", f_sdg},
    {"gcm_objective", f_gcm},
    {"source_id", f_source},
    {"overdue_only", f_overdue},
    {"due_before", f_due},
    {"updated_since_revision", f_updated},
    {"theme, include_archived", f_archived},
    {"combined: theme + status", f_theme_status},
    {"combined: actor + sdg_target", f_actor_sdg},
    {"combined: overdue + theme", f_overdue_theme},
    {"combined: source + theme + gcm", f_three},
    {"text query", f_text},
    {"text query + theme", f_text_theme},
};

static int list_once(rt_store_reader_t *reader,
                     Rectrack__V1__ListRecommendationsRequest *req, double *ms,
                     char **next, int32_t *total, bool *estimate) {
  rt_error_t err;
  double t = now_ms();
  if (rt_store_reader_renew(reader, &err) != 0)
    return -1;
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  int rc =
      rt_store_list_recommendations(reader, req, "2026-06-01", &resp, &err);
  rt_store_reader_reset(reader);
  *ms = now_ms() - t;
  if (rc != 0) {
    fprintf(stderr, "bench_scale: list: %s\n", err.message);
    return rc;
  }
  if (next)
    *next = strdup(resp->next_page_token);
  if (total)
    *total = resp->total_size;
  if (estimate)
    *estimate = resp->total_size_is_estimate;
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  return 0;
}

static void run_scenario(rt_store_reader_t *reader, const scenario_t *sc,
                         size_t runs) {
  double *ms = calloc(runs, sizeof *ms);
  int32_t total = 0;
  bool estimate = false;
  size_t estimates = 0;
  for (size_t run = 0; run < runs; run++) {
    Rectrack__V1__ListRecommendationsRequest req =
        RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
    Rectrack__V1__Status statuses[2];
    char buf[64];
    sc->fill(&req, run, statuses, buf, sizeof buf);
    req.page_size = 50;
    if (list_once(reader, &req, &ms[run], NULL, &total, &estimate) != 0)
      exit(1);
    estimates += estimate;
  }
  char load[16];
  load_average(load, sizeof load);
  double p50 = percentile(ms, runs, 0.5), p99 = percentile(ms, runs, 0.99);
  printf("| %s | %.2f | %.2f | %.2f | %d%s | %zu/%zu | %s |\n", sc->name, p50,
         p99, ms[runs - 1], total, estimate ? " (est.)" : "", estimates, runs,
         load);
  fflush(stdout);
  free(ms);
}

static void page_to_end(rt_store_reader_t *reader) {
  size_t cap = 1 << 16, n = 0;
  double *ms = malloc(cap * sizeof *ms);
  char *token = strdup("");
  double started = now_ms();
  for (;;) {
    Rectrack__V1__ListRecommendationsRequest req =
        RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
    req.page_size = 50;
    req.page_token = token;
    char *next = NULL;
    if (n == cap)
      ms = realloc(ms, (cap *= 2) * sizeof *ms);
    if (list_once(reader, &req, &ms[n], &next, NULL, NULL) != 0)
      exit(1);
    n++;
    free(token);
    token = next;
    if (token[0] == '\0')
      break;
  }
  free(token);
  double total = now_ms() - started;
  double first = 0, last = 0;
  size_t tenth = n / 10 ? n / 10 : 1;
  for (size_t i = 0; i < tenth; i++) {
    first += ms[i];
    last += ms[n - 1 - i];
  }
  char load[16];
  load_average(load, sizeof load);
  double p50 = percentile(ms, n, 0.5), p99 = percentile(ms, n, 0.99);
  printf("\n| paging to the end, page 50 | pages | total s | p50 ms | p99 ms "
         "| max ms | first 10%% s | last 10%% s | load |\n"
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
         "| no filter | %zu | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n",
         n, total / 1e3, p50, p99, ms[n - 1], first / 1e3, last / 1e3, load);
  free(ms);
}

static void point_reads(rt_store_t *store, size_t n_recs) {
  rt_store_reader_t *reader;
  rt_error_t err;
  if (rt_store_reader_begin(store, &reader, &err) != 0)
    exit(1);
  rt_store_reader_reset(reader);
  enum { RUNS = 20000 };
  static double ms[RUNS];
  for (size_t i = 0; i < RUNS; i++) {
    char id[32];
    snprintf(id, sizeof id, "R%zu", 1 + (i * 7919) % n_recs);
    double t = now_ms();
    rt_store_reader_renew(reader, &err);
    const void *data;
    size_t len;
    if (rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, id, &data, &len,
                         &err) != 0)
      exit(1);
    rt_store_reader_reset(reader);
    ms[i] = now_ms() - t;
  }
  rt_store_reader_end(reader);
  printf("\n| point read (GetRecommendation's storage part) | p50 us %.1f | "
         "p99 us %.1f |\n",
         percentile(ms, RUNS, 0.5) * 1e3, percentile(ms, RUNS, 0.99) * 1e3);
}

static int query(const char *dir, size_t runs, bool verify, const char *only) {
  rt_store_t *store;
  rt_error_t err;
  if (rt_store_open(&store, dir, NULL, &err) != 0) {
    fprintf(stderr, "bench_scale: %s\n", err.message);
    return 1;
  }
  rt_store_reader_t *reader;
  if (rt_store_reader_begin(store, &reader, &err) != 0)
    return 1;
  rt_store_counts_t counts;
  rt_store_count(reader, &counts, &err);
  rt_store_reader_reset(reader);
  printf("store: %lld recommendations, %lld commitments, %lld follow-ups, "
         "%lld measurements, revision %llu\n\n",
         (long long)counts.recommendations, (long long)counts.commitments,
         (long long)counts.follow_ups, (long long)counts.measurements,
         (unsigned long long)counts.revision);
  printf("| listing, page 50 | p50 ms | p99 ms | max ms | total_size | "
         "estimates | load |\n| --- | ---: | ---: | ---: | ---: | ---: | --- "
         "|\n");
  for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++)
    if (only == NULL || strcmp(only, scenarios[i].name) == 0)
      run_scenario(reader, &scenarios[i], runs);
  if (only != NULL) {
    rt_store_reader_end(reader);
    rt_store_close(store);
    return 0;
  }
  page_to_end(reader);
  rt_store_reader_end(reader);
  point_reads(store, (size_t)counts.recommendations);
  if (verify) {
    double t = now_ms();
    rt_verify_report_t report;
    if (rt_store_verify(store, &report, &err) != 0)
      return 1;
    printf("\nverify: %.1f s, %zu problems, %llu entries, %llu records, "
           "%llu index entries\n",
           (now_ms() - t) / 1e3, report.problem_count,
           (unsigned long long)report.entries_checked,
           (unsigned long long)report.records_checked,
           (unsigned long long)report.index_entries_checked);
    rt_verify_report_free(&report);
  }
  rt_store_close(store);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: bench_scale load --dir DIR --recommendations N [--seed S]\n"
          "       bench_scale lines --out FILE --recommendations N [--seed "
          "S]\n"
          "       bench_scale query --dir DIR [--runs R] [--verify] "
          "[--only SCENARIO]\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2)
    usage();
  const char *dir = NULL;
  size_t n = 0, runs = 200;
  uint64_t seed = 1;
  bool verify = false;
  const char *only = NULL, *out = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strcmp(argv[i], "--recommendations") == 0 && i + 1 < argc)
      n = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--verify") == 0)
      verify = true;
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out = argv[++i];
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else
      usage();
  }
  if (strcmp(argv[1], "lines") == 0 && out != NULL && n > 0)
    return write_lines(out, n, seed);
  if (dir == NULL)
    usage();
  if (strcmp(argv[1], "load") == 0 && n > 0)
    return load(dir, n, seed);
  if (strcmp(argv[1], "query") == 0 && runs > 0)
    return query(dir, runs, verify, only);
  usage();
}
