/*
 * rt_dimensions: lookups in the compiled dimension keys and alpha-3
 * codes, and the value rules (rt_dimensions.h).
 */
#include "rt_dimensions.h"

#include "rt_dimensions_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t rt_dimension_key_count(void) { return rt_dimension_key_total; }

const rt_dimension_key_t *rt_dimension_key_at(size_t index) {
  return index < rt_dimension_key_total ? &rt_dimension_keys[index] : NULL;
}

const rt_dimension_key_t *rt_dimension_key(const char *key) {
  for (size_t i = 0; key != NULL && i < rt_dimension_key_total; i++)
    if (strcmp(rt_dimension_keys[i].key, key) == 0)
      return &rt_dimension_keys[i];
  return NULL;
}

static int compare_country(const void *code, const void *entry) {
  return strcmp(code, ((const rt_iso3_country_t *)entry)->code);
}

const rt_iso3_country_t *rt_iso3_country(const char *code) {
  if (code == NULL || strlen(code) != 3)
    return NULL;
  return bsearch(code, rt_iso3_countries, rt_iso3_country_count,
                 sizeof rt_iso3_countries[0], compare_country);
}

bool rt_dimension_rule_known(const char *rule) {
  static const char *const rules[] = {"iso3-pair", "iso3", "age-range", "list",
                                      "text"};
  for (size_t i = 0; rule != NULL && i < sizeof rules / sizeof rules[0]; i++)
    if (strcmp(rules[i], rule) == 0)
      return true;
  return false;
}

static int bad(rt_error_t *err, const char *field, const char *key,
               const char *value, const char *why) {
  return rt_error_set(err, RT_EINVAL, field, "%s: %s \"%.64s\": %s", field, key,
                      value, why);
}

static int check_code(const char *code, size_t len, const char *field,
                      const char *key, const char *value, rt_error_t *err) {
  char buf[4] = {0};
  if (len == 3)
    memcpy(buf, code, 3);
  if (len != 3 || rt_iso3_country(buf) == NULL) {
    char why[96];
    snprintf(why, sizeof why,
             "\"%.*s\" is not an ISO 3166-1 alpha-3 code (upper case, e.g. "
             "NGA)",
             (int)(len < 16 ? len : 16), code);
    return bad(err, field, key, value, why);
  }
  return 0;
}

/* A whole number of 1..3 digits at *p, at most 150; advances *p. */
static bool read_age(const char **p, int *age) {
  int n = 0, digits = 0;
  while (**p >= '0' && **p <= '9' && digits < 4) {
    n = n * 10 + (**p - '0');
    (*p)++;
    digits++;
  }
  *age = n;
  return digits > 0 && digits <= 3 && n <= 150;
}

static int check_age(const char *value, const char *field, const char *key,
                     rt_error_t *err) {
  const char *p = value;
  int from = 0, to = 0;
  static const char *want =
      "an age range is FROM-TO (15-24, FROM below TO) or FROM+ (65+), in "
      "whole years up to 150";
  if (!read_age(&p, &from))
    return bad(err, field, key, value, want);
  if (*p == '+' && p[1] == '\0')
    return 0;
  if (*p++ != '-' || !read_age(&p, &to) || *p != '\0' || to <= from)
    return bad(err, field, key, value, want);
  return 0;
}

static bool printable(const char *s, size_t max) {
  size_t len = strlen(s);
  if (len == 0 || len > max)
    return false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '=' ||
        s[i] == ',')
      return false;
  return true;
}

int rt_dimension_check_value(const rt_dimension_key_t *key, const char *value,
                             const char *field, rt_error_t *err) {
  if (value == NULL || value[0] == '\0')
    return rt_error_set(err, RT_EINVAL, field, "%s: %s needs a value", field,
                        key->key);
  if (!printable(value, RT_DIMENSION_VALUE_MAX))
    return bad(err, field, key->key, value,
               "a value is 1..64 bytes, without control characters, '=' "
               "or ','");
  const char *rule = key->value_rule;
  if (strcmp(rule, "iso3") == 0)
    return check_code(value, strlen(value), field, key->key, value, err);
  if (strcmp(rule, "iso3-pair") == 0) {
    const char *dash = strchr(value, '-');
    if (dash == NULL || strchr(dash + 1, '-') != NULL)
      return bad(err, field, key->key, value,
                 "a corridor is two ISO 3166-1 alpha-3 codes, sender first "
                 "(GBR-NGA)");
    int rc =
        check_code(value, (size_t)(dash - value), field, key->key, value, err);
    if (rc == 0)
      rc = check_code(dash + 1, strlen(dash + 1), field, key->key, value, err);
    if (rc == 0 && strncmp(value, dash + 1, 3) == 0)
      rc = bad(err, field, key->key, value,
               "a corridor joins two different countries");
    return rc;
  }
  if (strcmp(rule, "age-range") == 0)
    return check_age(value, field, key->key, err);
  if (strcmp(rule, "list") == 0) {
    for (size_t i = 0; i < key->value_count; i++)
      if (strcmp(key->values[i], value) == 0)
        return 0;
    char why[400];
    size_t used = (size_t)snprintf(why, sizeof why, "not one of");
    for (size_t i = 0; i < key->value_count && used < sizeof why; i++)
      used += (size_t)snprintf(why + used, sizeof why - used, "%s %s",
                               i ? "," : "", key->values[i]);
    return bad(err, field, key->key, value, why);
  }
  return 0; /* "text": printable is all it asks */
}

int rt_dimension_check_key_name(const char *key, const char *field,
                                rt_error_t *err) {
  size_t len = key ? strlen(key) : 0;
  bool ok =
      len > 0 && len <= RT_DIMENSION_KEY_MAX && key[0] >= 'a' && key[0] <= 'z';
  for (size_t i = 0; ok && i < len; i++)
    ok = (key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') ||
         key[i] == '_';
  if (!ok)
    return rt_error_set(
        err, RT_EINVAL, field,
        "%s: \"%.40s\" is not a dimension key (1..%d lower-case "
        "letters, digits and '_', starting with a letter)",
        field, key ? key : "", RT_DIMENSION_KEY_MAX);
  return 0;
}

int rt_dimension_check_rule(const char *rule, const char *const *values,
                            size_t value_count, const char *field,
                            rt_error_t *err) {
  if (!rt_dimension_rule_known(rule))
    return rt_error_set(err, RT_EINVAL, field,
                        "%s.value_rule: \"%.40s\" is not one of iso3-pair, "
                        "iso3, age-range, list, text",
                        field, rule ? rule : "");
  bool is_list = strcmp(rule, "list") == 0;
  if (is_list && (value_count == 0 || value_count > 64))
    return rt_error_set(err, RT_EINVAL, field,
                        "%s.values: a \"list\" key takes 1..64 values", field);
  if (!is_list && value_count > 0)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s.values: only a \"list\" key takes values (this "
                        "one is \"%s\")",
                        field, rule);
  for (size_t i = 0; i < value_count; i++) {
    if (!printable(values[i], RT_DIMENSION_VALUE_MAX))
      return rt_error_set(err, RT_EINVAL, field,
                          "%s.values[%zu]: \"%.64s\" is not 1..64 bytes "
                          "without control characters, '=' or ','",
                          field, i, values[i]);
    for (size_t j = 0; j < i; j++)
      if (strcmp(values[i], values[j]) == 0)
        return rt_error_set(err, RT_EINVAL, field,
                            "%s.values[%zu]: \"%.64s\" is listed twice", field,
                            i, values[i]);
  }
  return 0;
}

bool rt_series_beyond_ceiling(bool decreases, double ceiling, double value) {
  return decreases ? value > ceiling : value < ceiling;
}
