/*
 * rt_dimensions: the dimension keys a measurement may be broken down by
 * (corridor, country, sex, age, ...), compiled in from the
 * "dimension_keys" of data/reference.json, and the ISO 3166-1 alpha-3
 * codes their country values are checked against (compiled in from the
 * iso-codes package at build time, common/rt_dimensions_gen.c). Owns the
 * value rules: what a value of each rule must look like, and the checks
 * of a key the secretariat adds. Keys added at run time are kept by the
 * store (storage/store_dimensions.c) and checked with the same functions
 * through rt_dimension_key_t views of them.
 */
#ifndef RT_DIMENSIONS_H
#define RT_DIMENSIONS_H

#include "rt_error.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest key, and longest value of any rule. */
#define RT_DIMENSION_KEY_MAX 32
#define RT_DIMENSION_VALUE_MAX 64
/* Most dimensions one measurement may carry (one per key). */
#define RT_DIMENSION_MAX_PER_MEASUREMENT 8

typedef struct rt_dimension_key {
  const char *key;        /* "corridor" */
  const char *title;      /* "Remittance corridor (...)" */
  const char *value_rule; /* "iso3-pair", "iso3", "age-range", "list", "text" */
  const char *source_ref; /* where the seeds or standards ask for it */
  const char *const *values; /* for "list": the allowed values */
  size_t value_count;
} rt_dimension_key_t;

typedef struct rt_iso3_country {
  const char *code; /* "NGA" */
  const char *name; /* "Nigeria" */
} rt_iso3_country_t;

/* The compiled keys, in the order of data/reference.json. */
size_t rt_dimension_key_count(void);
const rt_dimension_key_t *rt_dimension_key_at(size_t index);
/* The compiled key named key, or NULL. key may be NULL. */
const rt_dimension_key_t *rt_dimension_key(const char *key);

/* The country with this alpha-3 code (upper case, exact), or NULL. */
const rt_iso3_country_t *rt_iso3_country(const char *code);

/* Whether rule is one of the value rules above. */
bool rt_dimension_rule_known(const char *rule);

/* 0 when value is a valid value of key; otherwise RT_EINVAL with a
 * message naming field, the key and the value, and what the rule wants
 * ("dimensions[0]: corridor \"GBR-XXX\": XXX is not an ISO 3166-1
 * alpha-3 code"). */
int rt_dimension_check_value(const rt_dimension_key_t *key, const char *value,
                             const char *field, rt_error_t *err);

/* 0 when key names a possible new key: lower-case letters, digits and
 * '_', starting with a letter, at most RT_DIMENSION_KEY_MAX bytes. */
int rt_dimension_check_key_name(const char *key, const char *field,
                                rt_error_t *err);

/* 0 when rule and values fit together: a known rule; "list" with 1..64
 * distinct values, each 1..RT_DIMENSION_VALUE_MAX printable bytes
 * without '=' or ','; no values for any other rule. */
int rt_dimension_check_rule(const char *rule, const char *const *values,
                            size_t value_count, const char *field,
                            rt_error_t *err);

/* Whether a series' latest value is beyond its indicator's per-series
 * ceiling (SeriesCeiling): greater than ceiling for an indicator that
 * decreases to its target, smaller for one that increases (the ceiling is
 * then a floor). The one rule the store and the review both apply. */
bool rt_series_beyond_ceiling(bool decreases, double ceiling, double value);

#endif /* RT_DIMENSIONS_H */
