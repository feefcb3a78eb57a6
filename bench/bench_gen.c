/*
 * bench_gen: the data set generator (bench_gen.h). Every choice comes
 * from a SplitMix64 stream seeded by (seed, kind, index), so record i is
 * the same whichever order records are made in.
 */
#include "bench_gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const themes[] = {
    "agenda-2030", "cities",        "data",         "diaspora",
    "health",      "partnerships",  "pathways",     "policy-coherence",
    "remittances", "sdg-follow-up", "youth-climate"};
static const char *const sdgs[] = {"17.18", "10.7",  "17.16", "10.2", "16.7",
                                   "17.14", "10.c",  "3.8",   "13.1", "5.2",
                                   "16.2",  "17.17", "8.8",   "4.b",  "1.3"};
/* Most frequent first: texts draw low ranks more often. */
static const char *const words[] = {
    "the",
    "of",
    "and",
    "to",
    "migration",
    "in",
    "for",
    "migrants",
    "data",
    "development",
    "on",
    "national",
    "policy",
    "with",
    "support",
    "access",
    "local",
    "by",
    "services",
    "labour",
    "should",
    "governments",
    "rights",
    "regional",
    "remittances",
    "countries",
    "cooperation",
    "diaspora",
    "health",
    "strengthen",
    "mobility",
    "international",
    "communities",
    "including",
    "information",
    "capacity",
    "promote",
    "sustainable",
    "dialogue",
    "implementation",
    "global",
    "compact",
    "cities",
    "climate",
    "youth",
    "women",
    "skills",
    "recruitment",
    "protection",
    "integration",
    "return",
    "reintegration",
    "costs",
    "financial",
    "inclusion",
    "digital",
    "partnerships",
    "coherence",
    "statistics",
    "disaggregated",
    "census",
    "survey",
    "coverage",
    "universal",
    "pathways",
    "regular",
    "displacement",
    "disaster",
    "resilience",
    "education",
    "recognition",
    "qualifications",
    "portability",
    "social",
    "security",
    "consular",
    "assistance",
    "trafficking",
    "smuggling",
    "border",
    "governance",
    "evidence",
    "monitoring",
    "review",
    "indicators",
    "targets",
    "funding",
    "programme",
    "legislation",
    "municipal",
    "mayors",
    "private",
    "sector",
    "employers",
    "workers",
    "domestic",
    "seasonal",
    "agricultural",
    "households",
    "investment",
    "entrepreneurship",
    "transfer",
    "providers",
    "fees",
    "competition",
    "transparency",
    "literacy",
    "mobile",
    "banking",
    "registration",
    "identity",
    "documents",
    "children",
    "families",
    "reunification",
    "asylum",
    "refugees",
    "host",
    "origin",
    "transit",
    "destination",
    "corridor",
    "bilateral",
    "agreements",
    "ethical",
    "decent",
    "work",
    "wages",
    "exploitation",
    "discrimination",
    "xenophobia",
    "narratives",
    "media",
    "participation",
    "engagement",
    "networks",
    "knowledge",
    "exchange",
    "platform",
    "academia",
    "research",
    "baseline",
    "migración",
    "remesas",
    "desarrollo",
    "población",
    "inclusión",
    "salud",
    "données",
    "santé",
    "coopération",
    "développement",
    "diaspora",
    "réintégration",
    "envois",
    "fonds",
    "sécurité",
    "éducation",
    "emploi",
    "remittance",
    "tracking",
    "harmonisation",
    "interoperability",
    "microfinance",
    "cryptocurrency",
    "heatwaves",
    "desertification",
    "glaciers",
    "telemedicine",
    "apprenticeships",
    "ombudsperson",
};
#define N_WORDS (sizeof words / sizeof words[0])
static const char *const statuses_by_weight = "3333333444422566777";

/* ---- randomness -------------------------------------------------------- */

typedef struct rng {
  uint64_t state;
} rng_t;

static uint64_t next(rng_t *r) {
  uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static size_t below(rng_t *r, size_t n) { return n ? next(r) % n : 0; }

/* Skewed towards 0, like word ranks in text. */
static size_t skewed(rng_t *r, size_t n) {
  double u = (double)(next(r) >> 11) / 9007199254740992.0;
  return (size_t)((double)n * u * u * u) % n;
}

static rng_t stream(const bench_gen_t *gen, int kind, size_t i, size_t k) {
  rng_t r = {gen->seed ^ ((uint64_t)kind << 56) ^ ((uint64_t)k << 40) ^ i};
  next(&r);
  return r;
}

/* ---- scratch ----------------------------------------------------------- */

void bench_scratch_reset(bench_scratch_t *s) { s->used = 0; }
void bench_scratch_free(bench_scratch_t *s) {
  free(s->data);
  *s = (bench_scratch_t){0};
}

/* Strings are never moved once handed out: the scratch is one block,
 * sized for the records made between resets (callers reset per batch). */
static char *put(bench_scratch_t *s, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static char *put(bench_scratch_t *s, const char *format, ...) {
  if (s->data == NULL) {
    s->cap = 64u << 20;
    s->data = malloc(s->cap);
    if (s->data == NULL) {
      fprintf(stderr, "bench_gen: out of memory\n");
      exit(1);
    }
  }
  va_list args;
  va_start(args, format);
  int n = vsnprintf(s->data + s->used, s->cap - s->used, format, args);
  va_end(args);
  if (n < 0 || (size_t)n + 1 > s->cap - s->used) {
    fprintf(stderr, "bench_gen: scratch full (reset it more often)\n");
    exit(1);
  }
  char *at = s->data + s->used;
  s->used += (size_t)n + 1;
  return at;
}

static char **put_array(bench_scratch_t *s, size_t n) {
  size_t align = (s->used + 7) & ~(size_t)7;
  if (s->data == NULL)
    (void)put(s, "%s", "");
  align = (s->used + 7) & ~(size_t)7;
  if (align + n * sizeof(char *) > s->cap) {
    fprintf(stderr, "bench_gen: scratch full\n");
    exit(1);
  }
  s->used = align + n * sizeof(char *);
  return (char **)(void *)(s->data + align);
}

static char *sentence(rng_t *r, bench_scratch_t *s, size_t n_words,
                      bool capital) {
  char text[2048];
  size_t len = 0;
  for (size_t w = 0; w < n_words && len + 40 < sizeof text; w++) {
    const char *word = words[skewed(r, N_WORDS)];
    int n = snprintf(text + len, sizeof text - len, "%s%s", w ? " " : "", word);
    if (w == 0 && capital && text[len] >= 'a' && text[len] <= 'z')
      text[len] = (char)(text[len] - 'a' + 'A');
    len += (size_t)n;
  }
  return put(s, "%s.", text);
}

static char *date_in(rng_t *r, bench_scratch_t *s, int first_year, int years) {
  return put(s, "%04d-%02d-%02d", first_year + (int)below(r, (size_t)years),
             1 + (int)below(r, 12), 1 + (int)below(r, 28));
}

/* ---- sizes and ids ----------------------------------------------------- */

void bench_gen_init(bench_gen_t *gen, size_t recommendations, uint64_t seed) {
  gen->seed = seed;
  gen->recommendations = recommendations;
  gen->commitments = recommendations * 21 / 100;
  gen->actors = recommendations / 8 > 61 ? recommendations / 8 : 61;
  gen->sources = recommendations / 6000 > 12 ? recommendations / 6000 : 12;
  gen->follow_ups_per_recommendation = 3;
}

const char *bench_actor_id(bench_scratch_t *s, size_t i) {
  return put(s, "a-%zu", i);
}
const char *bench_source_id(bench_scratch_t *s, size_t i) {
  return put(s, "s-%zu", i);
}

/* ---- records ----------------------------------------------------------- */

void bench_gen_actor(const bench_gen_t *gen, size_t i, bench_scratch_t *s,
                     Rectrack__V1__Actor *out) {
  rng_t r = stream(gen, 1, i, 0);
  *out = (Rectrack__V1__Actor)RECTRACK__V1__ACTOR__INIT;
  out->id = (char *)bench_actor_id(s, i);
  out->name = put(s, "Actor %zu of the %s network", i, words[below(&r, 40)]);
  out->kind = 1 + (int)below(&r, 10);
  static const char *const countries[] = {
      "BGD", "MEX", "PHL", "SEN", "ECU", "MAR", "NGA", "IND", "DEU", "FRA",
      "ESP", "ITA", "USA", "CAN", "BRA", "KEN", "ETH", "PAK", "IDN", "TUR"};
  if (out->kind == RECTRACK__V1__ACTOR_KIND__ACTOR_KIND_MEMBER_STATE)
    out->country = (char *)countries[below(&r, 20)];
}

void bench_gen_source(const bench_gen_t *gen, size_t i, bench_scratch_t *s,
                      Rectrack__V1__Source *out) {
  rng_t r = stream(gen, 2, i, 0);
  *out = (Rectrack__V1__Source)RECTRACK__V1__SOURCE__INIT;
  out->id = (char *)bench_source_id(s, i);
  out->title =
      put(s, "Dialogue session %zu on %s", i, words[4 + below(&r, 40)]);
  out->kind = 1 + (int)below(&r, 7);
  out->date = date_in(&r, s, 2015, 11);
}

/* Distinct picks of n values below bound. */
static size_t pick_distinct(rng_t *r, size_t n, size_t bound, size_t *out) {
  size_t got = 0;
  for (size_t tries = 0; got < n && tries < 4 * n + 4; tries++) {
    size_t v = below(r, bound);
    bool seen = false;
    for (size_t j = 0; j < got; j++)
      seen = seen || out[j] == v;
    if (!seen)
      out[got++] = v;
  }
  return got;
}

void bench_gen_recommendation(const bench_gen_t *gen, size_t i,
                              bench_scratch_t *s,
                              Rectrack__V1__Recommendation *out) {
  rng_t r = stream(gen, 3, i, 0);
  *out = (Rectrack__V1__Recommendation)RECTRACK__V1__RECOMMENDATION__INIT;
  out->source_id = (char *)bench_source_id(s, below(&r, gen->sources));
  out->source_ref = put(s, "%zu.%zu #%zu", 1 + below(&r, 9), 1 + below(&r, 9),
                        1 + below(&r, 12));
  out->title = sentence(&r, s, 5 + below(&r, 6), true);
  out->text = sentence(&r, s, 25 + below(&r, 20), true);
  out->theme = (char *)themes[skewed(&r, sizeof themes / sizeof *themes)];
  size_t picks[8];
  size_t n =
      pick_distinct(&r, 1 + below(&r, 3), sizeof sdgs / sizeof *sdgs, picks);
  out->sdg_targets = put_array(s, n);
  for (size_t k = 0; k < n; k++)
    out->sdg_targets[k] = (char *)sdgs[picks[k]];
  out->n_sdg_targets = n;
  n = pick_distinct(&r, 1 + below(&r, 2), 23, picks);
  out->gcm_objectives = (int32_t *)(void *)put_array(s, n);
  for (size_t k = 0; k < n; k++)
    out->gcm_objectives[k] = (int32_t)picks[k] + 1;
  out->n_gcm_objectives = n;
  n = pick_distinct(&r, 1 + below(&r, 3), gen->actors, picks);
  out->addressed_to = put_array(s, n);
  for (size_t k = 0; k < n; k++)
    out->addressed_to[k] = (char *)bench_actor_id(s, picks[k]);
  out->n_addressed_to = n;
  out->lead_actor_id = out->addressed_to[0];
  if (below(&r, 5) != 0)
    out->due_date = date_in(&r, s, 2020, 16);
}

bool bench_gen_archived(const bench_gen_t *gen, size_t i) {
  rng_t r = stream(gen, 4, i, 0);
  return below(&r, 50) == 0;
}

void bench_gen_commitment(const bench_gen_t *gen, size_t i, bench_scratch_t *s,
                          Rectrack__V1__Commitment *out,
                          Rectrack__V1__Indicator *indicator) {
  rng_t r = stream(gen, 5, i, 0);
  *out = (Rectrack__V1__Commitment)RECTRACK__V1__COMMITMENT__INIT;
  out->actor_id = (char *)bench_actor_id(s, below(&r, gen->actors));
  size_t n = 1 + below(&r, 2);
  out->recommendation_ids = put_array(s, n);
  for (size_t k = 0; k < n; k++)
    out->recommendation_ids[k] =
        put(s, "R%zu", 1 + below(&r, gen->recommendations));
  out->n_recommendation_ids = n == 2 && strcmp(out->recommendation_ids[0],
                                               out->recommendation_ids[1]) == 0
                                  ? 1
                                  : n;
  out->source_id = (char *)bench_source_id(s, below(&r, gen->sources));
  out->title = sentence(&r, s, 5 + below(&r, 6), true);
  out->text = sentence(&r, s, 25 + below(&r, 20), true);
  out->theme = (char *)themes[skewed(&r, sizeof themes / sizeof *themes)];
  out->made_on = date_in(&r, s, 2016, 8);
  if (below(&r, 5) != 0)
    out->due_date = date_in(&r, s, 2022, 12);
  out->sdg_targets = put_array(s, 1);
  out->sdg_targets[0] = (char *)sdgs[below(&r, sizeof sdgs / sizeof *sdgs)];
  out->n_sdg_targets = 1;
  out->gcm_objectives = (int32_t *)(void *)put_array(s, 1);
  out->gcm_objectives[0] = 1 + (int32_t)below(&r, 23);
  out->n_gcm_objectives = 1;
  if (bench_gen_measurements(gen, i) > 0) {
    out->kind =
        RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
    *indicator = (Rectrack__V1__Indicator)RECTRACK__V1__INDICATOR__INIT;
    indicator->name = put(s, "Share of %s", words[4 + below(&r, 60)]);
    indicator->unit = (char *)"per cent";
    indicator->baseline_value = (double)below(&r, 40);
    indicator->baseline_date = (char *)"2020-01-01";
    indicator->target_value = indicator->baseline_value + 10 + below(&r, 50);
    indicator->target_date = (char *)"2030-12-31";
    indicator->direction = RECTRACK__V1__DIRECTION__DIRECTION_INCREASE;
    out->indicator = indicator;
  } else {
    out->kind = 1 + (int)below(&r, 5);
  }
}

void bench_gen_follow_up(const bench_gen_t *gen, size_t i, size_t k,
                         bool commitment, bench_scratch_t *s,
                         Rectrack__V1__FollowUp *out) {
  rng_t r = stream(gen, commitment ? 7 : 6, i, k);
  *out = (Rectrack__V1__FollowUp)RECTRACK__V1__FOLLOW_UP__INIT;
  out->subject_id = put(s, "%c%zu", commitment ? 'C' : 'R', i + 1);
  size_t weights = strlen(statuses_by_weight);
  out->status = statuses_by_weight[below(&r, weights)] - '0';
  out->note = sentence(&r, s, 8 + below(&r, 10), true);
  out->reported_by = (char *)bench_actor_id(s, below(&r, gen->actors));
  /* Two years apart, all in the past: the server refuses a report dated
   * after tomorrow. */
  out->as_of = put(s, "%04zu-%02zu-%02zu", 2019 + k * 2 + below(&r, 2),
                   1 + below(&r, 12), 1 + below(&r, 28));
}

/* 15 in 100 commitments are quantified: an indicator, 7 measurements. */
size_t bench_gen_measurements(const bench_gen_t *gen, size_t i) {
  rng_t r = stream(gen, 9, i, 0);
  return below(&r, 100) < 15 ? 7 : 0;
}

void bench_gen_measurement(const bench_gen_t *gen, size_t i, size_t k,
                           bench_scratch_t *s, Rectrack__V1__Measurement *out) {
  rng_t r = stream(gen, 8, i, k);
  *out = (Rectrack__V1__Measurement)RECTRACK__V1__MEASUREMENT__INIT;
  out->commitment_id = put(s, "C%zu", i + 1);
  out->value = (double)(5 * k + below(&r, 8));
  out->as_of = put(s, "%04zu-06-30", 2020 + k);
  out->source = (char *)"Generated figure";
}

const char *bench_gen_word(size_t rank) { return words[rank % N_WORDS]; }
size_t bench_gen_word_count(void) { return N_WORDS; }
const char *bench_gen_theme(size_t i) {
  return themes[i % (sizeof themes / sizeof *themes)];
}
size_t bench_gen_theme_count(void) { return sizeof themes / sizeof *themes; }
const char *bench_gen_sdg(size_t i) {
  return sdgs[i % (sizeof sdgs / sizeof *sdgs)];
}
size_t bench_gen_sdg_count(void) { return sizeof sdgs / sizeof *sdgs; }
