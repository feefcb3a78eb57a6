/*
 * bench_gen: a generator of realistic rectrack data sets of any size, for
 * the scale benchmark and the bounded tests. Record i of a data set is a
 * pure function of the seed and i, so a data set can be produced piece by
 * piece (in batches, or line by line into a file) without holding it.
 *
 * Proportions follow data/demo.json and the figures of the scale issue:
 * per recommendation about 0.21 commitments (15 in 100 of them quantified,
 * with an indicator and 7 measurements), three follow-ups per
 * recommendation and one per commitment; one actor per 8 recommendations
 * (at least the demo's 61), one source per 6,000 (at least 12); the
 * demo's 11 themes, its SDG targets and all 23 GCM objectives; titles and
 * texts drawn (skewed, like real text) from a vocabulary of the field in
 * English with Spanish and French words, so that word frequencies and
 * selectivities resemble real ones. 1 in 50 recommendations is archived.
 *
 * Messages point at strings in a bench_scratch_t, valid until its next
 * reset; the caller owns the scratch.
 */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

#include "rectrack/v1/resources.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_gen {
  uint64_t seed;
  size_t recommendations, commitments, actors, sources;
  size_t follow_ups_per_recommendation; /* 3 */
} bench_gen_t;

/* The sizes of a data set of n recommendations. */
void bench_gen_init(bench_gen_t *gen, size_t recommendations, uint64_t seed);

/* Room for the strings of a few records. */
typedef struct bench_scratch {
  char *data;
  size_t used, cap;
} bench_scratch_t;
void bench_scratch_reset(bench_scratch_t *s);
void bench_scratch_free(bench_scratch_t *s);

/* Ids of the records (strings in s): actors "a-<i>", sources "s-<i>",
 * recommendations and commitments by the key "r-<i>", "c-<i>". */
const char *bench_actor_id(bench_scratch_t *s, size_t i);
const char *bench_source_id(bench_scratch_t *s, size_t i);

/* Record i (0-based) of each kind. Server-set fields are left unset; a
 * commitment's recommendation_ids and a follow-up's subject hold
 * server ids ("R<i+1>", "C<i+1>"), which is what a store loaded in order
 * gives them. */
void bench_gen_actor(const bench_gen_t *gen, size_t i, bench_scratch_t *s,
                     Rectrack__V1__Actor *out);
void bench_gen_source(const bench_gen_t *gen, size_t i, bench_scratch_t *s,
                      Rectrack__V1__Source *out);
void bench_gen_recommendation(const bench_gen_t *gen, size_t i,
                              bench_scratch_t *s,
                              Rectrack__V1__Recommendation *out);
/* Whether recommendation i ends archived (an update after its
 * follow-ups). */
bool bench_gen_archived(const bench_gen_t *gen, size_t i);
void bench_gen_commitment(const bench_gen_t *gen, size_t i, bench_scratch_t *s,
                          Rectrack__V1__Commitment *out,
                          Rectrack__V1__Indicator *indicator);
/* Follow-up k (0..follow_ups_per_recommendation-1) of recommendation i,
 * or (commitment) the one follow-up of commitment i. */
void bench_gen_follow_up(const bench_gen_t *gen, size_t i, size_t k,
                         bool commitment, bench_scratch_t *s,
                         Rectrack__V1__FollowUp *out);
/* Measurements: commitment i has bench_gen_measurements(i) of them. */
size_t bench_gen_measurements(const bench_gen_t *gen, size_t i);
void bench_gen_measurement(const bench_gen_t *gen, size_t i, size_t k,
                           bench_scratch_t *s, Rectrack__V1__Measurement *out);

/* Sample filter values, for queries: a word of the vocabulary by rank
 * (0 most frequent), a theme, an SDG target. */
const char *bench_gen_word(size_t rank);
size_t bench_gen_word_count(void);
const char *bench_gen_theme(size_t i);
size_t bench_gen_theme_count(void);
const char *bench_gen_sdg(size_t i);
size_t bench_gen_sdg_count(void);

#endif /* BENCH_GEN_H */
