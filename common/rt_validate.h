/*
 * rt_validate: checks for the field values rectrack accepts, shared by the
 * storage engine (which checks every field before writing), the import
 * format and the CLI (which rejects a bad value before making any call).
 *
 * Owns: the rules for dates, SDG targets, GCM objectives and themes (which
 * must be in the reference lists), evidence links, ISO 3166 alpha-3 codes,
 * slugs, UTF-8 text and length limits. Calls only rt_error and
 * rt_reference. Each check returns 0 or RT_EINVAL and, on failure, fills
 * err (may be NULL) with the field name it was given, the offending value
 * and, for values outside a list, the closest valid values.
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
#define RT_MAX_EVIDENCE_LEN 2048 /* one evidence link or DOI */
#define RT_MAX_LIST_LEN 100      /* entries in a repeated field */

/* A calendar date YYYY-MM-DD that exists (leap years included), years
 * 1900..2199. */
int rt_validate_date(const char *value, const char *field, rt_error_t *err);

/* Like rt_validate_date, but the empty string is accepted (unset). */
int rt_validate_optional_date(const char *value, const char *field,
                              rt_error_t *err);

/* One of the 169 SDG targets of rt_reference ("10.7", "10.c", "17.18").
 * The message names the targets of the goal the value starts with
 * ("targets of goal 10: 10.1 ... 10.7, 10.a, 10.b, 10.c"), or the goals
 * when it starts with none. */
int rt_validate_sdg_target(const char *value, const char *field,
                           rt_error_t *err);

/* One of the 23 Global Compact for Migration objectives, 1..23. */
int rt_validate_gcm_objective(int value, const char *field, rt_error_t *err);

/* A theme of rt_reference ("remittances"). The empty string and NULL are
 * accepted (the field is optional). The message lists the themes and
 * suggests the nearest one when the value looks like a misspelling. */
int rt_validate_theme(const char *value, const char *field, rt_error_t *err);

/* Like rt_validate_theme, with added_count more theme ids in added (may be
 * NULL when added_count is 0) that are valid too and listed in the
 * message: the themes a data directory knows besides the compiled ones. */
int rt_validate_theme_among(const char *value, const char *const *added,
                            size_t added_count, const char *field,
                            rt_error_t *err);

/* An evidence entry: at most RT_MAX_EVIDENCE_LEN bytes of well-formed
 * UTF-8, and either an absolute http or https URL with a host (no user
 * name or password, no spaces, control characters or characters a URL
 * must percent-encode, such as '"', '<' and '>') or a DOI written
 * "doi:10.NNNN/suffix" (registrant code of at least four digits, a
 * suffix without spaces). An empty entry "is required". The message says
 * which part is wrong. */
int rt_validate_evidence(const char *value, const char *field, rt_error_t *err);

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
