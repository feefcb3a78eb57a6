/*
 * rt_validate: syntax checks for the field values rectrack accepts, shared
 * by the storage engine (which checks every field before writing) and the
 * CLI (which rejects a bad value before making any call).
 *
 * Owns: the rules for dates, SDG targets, GCM objectives, ISO 3166 alpha-3
 * codes, slugs, UTF-8 text and length limits. Calls only rt_error.
 * Each check returns 0 or RT_EINVAL and, on failure, fills err (may be
 * NULL) with the field name it was given and the offending value.
 */
#ifndef RT_VALIDATE_H
#define RT_VALIDATE_H

#include "rt_error.h"

#include <stdbool.h>
#include <stddef.h>

/* Length limits in bytes. */
#define RT_MAX_ID_LEN 64
#define RT_MAX_TITLE_LEN 500
#define RT_MAX_TEXT_LEN 20000
#define RT_MAX_SHORT_LEN 200 /* theme, unit, location, names of things */
#define RT_MAX_URL_LEN 2000
#define RT_MAX_LIST_LEN 100 /* entries in a repeated field */

/* A calendar date YYYY-MM-DD that exists (leap years included), years
 * 1900..2199. */
int rt_validate_date(const char *value, const char *field, rt_error_t *err);

/* Like rt_validate_date, but the empty string is accepted (unset). */
int rt_validate_optional_date(const char *value, const char *field,
                              rt_error_t *err);

/* An SDG target: goal 1..17, a dot, then a number 1..99 or one lower-case
 * letter a..z ("10.7", "10.c", "17.18"). */
int rt_validate_sdg_target(const char *value, const char *field,
                           rt_error_t *err);

/* A Global Compact for Migration objective, 1..23. */
int rt_validate_gcm_objective(int value, const char *field, rt_error_t *err);

/* An ISO 3166-1 alpha-3 code in the officially assigned list ("BGD"). The
 * empty string is accepted (the field is optional). */
int rt_validate_country(const char *value, const char *field, rt_error_t *err);

/* A caller-chosen id: 1..64 characters of a-z, 0-9 and '-', starting with
 * a letter or digit, no trailing or doubled '-'. */
int rt_validate_slug(const char *value, const char *field, rt_error_t *err);

/* Well-formed UTF-8 of at most max_len bytes, no NUL or C0 controls other
 * than tab, CR and LF. required: empty or all-blank is rejected. */
int rt_validate_text(const char *value, size_t max_len, bool required,
                     const char *field, rt_error_t *err);

/* Size of the buffer rt_quote_excerpt writes: 40 bytes, "..." and NUL. */
#define RT_EXCERPT_SIZE 44

/* Copies a short excerpt of untrusted text into out, for quoting it in an
 * error message: printable ASCII only (other bytes become '?'), at most
 * 40 bytes, a cut marked with "...". Returns out. */
const char *rt_quote_excerpt(const char *value, char out[RT_EXCERPT_SIZE]);

/* True when value is well-formed UTF-8 (no overlongs, no surrogates). */
bool rt_utf8_is_valid(const char *value, size_t len);

/* Days since 1970-01-01 of a valid YYYY-MM-DD date, for day arithmetic
 * (days overdue, straight-line trajectories). Returns 0 or RT_EINVAL. */
int rt_date_to_days(const char *date, long *days_out);

/* Writes the YYYY-MM-DD form of days since 1970-01-01 into out (11 bytes). */
void rt_date_from_days(long days, char out[11]);

#endif /* RT_VALIDATE_H */
