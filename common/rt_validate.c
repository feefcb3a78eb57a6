/*
 * rt_validate: the rules for field values, written once so that the
 * storage engine (the last line of defence), the import format and the CLI
 * (the first) agree on what is accepted. SDG targets, GCM objectives and
 * themes are looked up in the compiled reference lists (rt_reference);
 * evidence links are parsed just enough to know they are http(s) URLs
 * with a host or DOIs. Every check is a pure function of its input and of
 * those constant tables: no allocation, no locale, no mutable state, so it
 * is safe from any thread.
 *
 * Error messages quote the offending value, but only a short, printable
 * excerpt of it: a value that failed validation may be huge or contain
 * bytes that would garble a terminal or a gRPC status message. A value
 * outside a list is answered with the closest valid values, so that the
 * message alone is enough to correct it.
 */
#include "rt_validate.h"
#include "rt_reference.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ISO 3166-1 alpha-3, the 249 officially assigned codes, sorted so that
 * lookups can use bsearch. */
static const char country_codes[][4] = {
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM",
    "ATA", "ATF", "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA",
    "BGD", "BGR", "BHR", "BHS", "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA",
    "BRB", "BRN", "BTN", "BVT", "BWA", "CAF", "CAN", "CCK", "CHE", "CHL", "CHN",
    "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW",
    "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA", "ECU",
    "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO",
    "FSM", "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB",
    "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND",
    "HRV", "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN", "IRQ", "ISL",
    "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM", "KIR",
    "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO",
    "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR",
    "MTQ", "MUS", "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC",
    "NIU", "NLD", "NOR", "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER",
    "PHL", "PLW", "PNG", "POL", "PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT",
    "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP", "SGS", "SHN", "SJM",
    "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR", "SVK",
    "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK",
    "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA",
    "UKR", "UMI", "URY", "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM",
    "VUT", "WLF", "WSM", "YEM", "ZAF", "ZMB", "ZWE",
};

#define COUNTRY_COUNT (sizeof country_codes / sizeof country_codes[0])

const char *rt_quote_excerpt(const char *value, char out[RT_EXCERPT_SIZE]) {
  size_t n = 0;
  for (; value[n] != '\0' && n < RT_EXCERPT_SIZE - 4; n++) {
    unsigned char c = (unsigned char)value[n];
    out[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  if (value[n] != '\0') {
    memcpy(out + n, "...", 3);
    n += 3;
  }
  out[n] = '\0';
  return out;
}

static int fail_value(rt_error_t *err, const char *field, const char *value,
                      const char *expected) {
  char excerpt[RT_EXCERPT_SIZE];
  const char *name = field ? field : "value";
  return rt_error_set(err, RT_EINVAL, field, "%s: \"%s\" is not %s", name,
                      rt_quote_excerpt(value, excerpt), expected);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_leap_year(long year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(long year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year))
    return 29;
  return days[month - 1];
}

/* Parses a "YYYY-MM-DD" that exists in the calendar, years 1900..2199. */
static bool parse_date(const char *value, long *year, int *month, int *day) {
  static const char shape[] = "dddd-dd-dd";
  if (strlen(value) != sizeof shape - 1)
    return false;
  for (size_t i = 0; i < sizeof shape - 1; i++) {
    bool ok = shape[i] == 'd' ? is_digit(value[i]) : value[i] == '-';
    if (!ok)
      return false;
  }
  *year = (value[0] - '0') * 1000 + (value[1] - '0') * 100 +
          (value[2] - '0') * 10 + (value[3] - '0');
  *month = (value[5] - '0') * 10 + (value[6] - '0');
  *day = (value[8] - '0') * 10 + (value[9] - '0');
  if (*year < 1900 || *year > 2199 || *month < 1 || *month > 12)
    return false;
  return *day >= 1 && *day <= days_in_month(*year, *month);
}

int rt_validate_date(const char *value, const char *field, rt_error_t *err) {
  long year;
  int month, day;
  if (value == NULL)
    value = "";
  if (!parse_date(value, &year, &month, &day))
    return fail_value(err, field, value,
                      "a valid date YYYY-MM-DD between 1900 and 2199");
  return 0;
}

int rt_validate_optional_date(const char *value, const char *field,
                              rt_error_t *err) {
  if (value == NULL || value[0] == '\0')
    return 0;
  return rt_validate_date(value, field, err);
}

int rt_validate_sdg_target(const char *value, const char *field,
                           rt_error_t *err) {
  if (value == NULL)
    value = "";
  if (rt_sdg_target(value) != NULL)
    return 0;
  char excerpt[RT_EXCERPT_SIZE];
  const char *name = field ? field : "value";
  const rt_sdg_goal_t *goal = rt_sdg_goal_of(value);
  if (goal == NULL)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s: \"%s\" is not an SDG target; the goals are "
                        "1..%zu and a target is written goal.target, e.g. "
                        "10.7 or 10.c",
                        name, rt_quote_excerpt(value, excerpt),
                        rt_sdg_goal_count());
  char targets[160];
  return rt_error_set(err, RT_EINVAL, field,
                      "%s: \"%s\" is not an SDG target; targets of goal %d: "
                      "%s",
                      name, rt_quote_excerpt(value, excerpt), goal->number,
                      rt_sdg_goal_targets_text(goal, targets, sizeof targets));
}

int rt_validate_gcm_objective(int value, const char *field, rt_error_t *err) {
  if (rt_gcm_objective(value) != NULL)
    return 0;
  return rt_error_set(err, RT_EINVAL, field,
                      "%s: %d is not a GCM objective; the Global Compact for "
                      "Migration has objectives 1..%zu",
                      field ? field : "value", value, rt_gcm_objective_count());
}

int rt_validate_theme_among(const char *value, const char *const *added,
                            size_t added_count, const char *field,
                            rt_error_t *err) {
  if (value == NULL || value[0] == '\0' || rt_theme(value) != NULL)
    return 0;
  for (size_t i = 0; i < added_count; i++)
    if (added[i] != NULL && strcmp(added[i], value) == 0)
      return 0;
  char excerpt[RT_EXCERPT_SIZE], suggestion[96] = "", themes[320];
  const char *nearest = rt_theme_nearest(value, added, added_count);
  if (nearest != NULL)
    snprintf(suggestion, sizeof suggestion, " (did you mean \"%.64s\"?)",
             nearest);
  return rt_error_set(
      err, RT_EINVAL, field, "%s: \"%s\" is not a theme%s; the themes are: %s",
      field ? field : "value", rt_quote_excerpt(value, excerpt), suggestion,
      rt_theme_ids_text(added, added_count, themes, sizeof themes));
}

int rt_validate_theme(const char *value, const char *field, rt_error_t *err) {
  return rt_validate_theme_among(value, NULL, 0, field, err);
}

static int compare_country(const void *key, const void *entry) {
  return strcmp((const char *)key, (const char *)entry);
}

int rt_validate_country(const char *value, const char *field, rt_error_t *err) {
  if (value == NULL || value[0] == '\0')
    return 0;
  if (strlen(value) == 3 &&
      bsearch(value, country_codes, COUNTRY_COUNT, sizeof country_codes[0],
              compare_country) != NULL)
    return 0;
  return fail_value(err, field, value,
                    "an assigned ISO 3166-1 alpha-3 country code "
                    "(upper case, e.g. \"BGD\")");
}

int rt_validate_slug(const char *value, const char *field, rt_error_t *err) {
  static const char *expected =
      "an id of 1..64 characters a-z, 0-9 and '-' (starting with a letter "
      "or digit, no trailing or doubled '-')";
  if (value == NULL)
    value = "";
  size_t len = strlen(value);
  if (len == 0 || len > RT_MAX_ID_LEN || value[0] == '-' ||
      value[len - 1] == '-')
    return fail_value(err, field, value, expected);
  for (size_t i = 0; i < len; i++) {
    char c = value[i];
    bool ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
    if (!ok || (c == '-' && value[i + 1] == '-'))
      return fail_value(err, field, value, expected);
  }
  return 0;
}

/* Length of the UTF-8 sequence starting at s (at most len bytes), or 0
 * when it is malformed: bad lead byte, missing continuation, overlong
 * form, UTF-16 surrogate (U+D800..U+DFFF) or beyond U+10FFFF. */
static size_t utf8_sequence_length(const unsigned char *s, size_t len) {
  unsigned char lead = s[0];
  size_t need;
  uint32_t cp, min;
  if (lead < 0x80)
    return 1;
  if (lead >= 0xc2 && lead <= 0xdf) {
    need = 2, cp = lead & 0x1f, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    need = 3, cp = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    need = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0; /* continuation byte, C0/C1 overlong lead, or > U+10FFFF */
  }
  if (len < need)
    return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return need;
}

bool rt_utf8_is_valid(const char *value, size_t len) {
  const unsigned char *s = (const unsigned char *)value;
  size_t pos = 0;
  while (pos < len) {
    size_t step = utf8_sequence_length(s + pos, len - pos);
    if (step == 0)
      return false;
    pos += step;
  }
  return true;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int rt_validate_text(const char *value, size_t max_len, bool required,
                     const char *field, rt_error_t *err) {
  const char *name = field ? field : "value";
  if (value == NULL)
    value = "";
  size_t len = strlen(value);
  if (len > max_len)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s: is %zu bytes long, the limit is %zu", name, len,
                        max_len);
  if (!rt_utf8_is_valid(value, len))
    return rt_error_set(err, RT_EINVAL, field, "%s: is not well-formed UTF-8",
                        name);
  bool all_blank = true;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)value[i];
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
      return rt_error_set(err, RT_EINVAL, field,
                          "%s: contains control character 0x%02x at byte %zu",
                          name, c, i);
    if (!is_blank(value[i]))
      all_blank = false;
  }
  if (required && all_blank)
    return rt_error_set(err, RT_EINVAL, field, "%s: is required", name);
  return 0;
}

/* ---- evidence links ---------------------------------------------------- */

/* Why an evidence value is refused, for the end of the message. */
#define REASON_SIZE 96

/* Whether s starts with prefix (lower case), ASCII letters of s in any
 * case: URL schemes are case-insensitive (RFC 3986, 3.1). */
static bool starts_with_nocase(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++) {
    char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
    if (c != *prefix)
      return false;
  }
  return true;
}

static bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         c == '-';
}

/* A DNS name of labels of 1..63 letters, digits and inner '-', or an IPv4
 * address (which has that shape too). */
static bool is_host_name(const char *host, size_t len) {
  if (len == 0 || len > 253)
    return false;
  size_t label = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || host[i] == '.') {
      if (label == 0 || label > 63 || host[i - 1] == '-' ||
          host[i - label] == '-')
        return false;
      label = 0;
    } else if (is_host_char(host[i])) {
      label++;
    } else {
      return false;
    }
  }
  return true;
}

static bool is_ipv6_literal(const char *s, size_t len) {
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    bool hex = is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
    if (!hex && c != ':' && c != '.')
      return false;
  }
  return true;
}

static bool is_port(const char *s, size_t len) {
  if (len == 0 || len > 5)
    return false;
  long port = 0;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(s[i]))
      return false;
    port = port * 10 + (s[i] - '0');
  }
  return port >= 1 && port <= 65535;
}

/* Checks the authority and the rest of the http(s) URL value, whose
 * scheme and "://" take its first scheme_len bytes. Returns false with
 * reason filled when it is not usable. */
static bool check_url(const char *value, size_t scheme_len,
                      char reason[REASON_SIZE]) {
  const char *rest = value + scheme_len;
  size_t authority_len = strcspn(rest, "/?#");
  const char *host = rest, *end = rest + authority_len, *port = NULL;
  size_t host_len;
  if (memchr(rest, '@', authority_len) != NULL) {
    snprintf(reason, REASON_SIZE, "it carries a user name or password");
    return false;
  }
  if (authority_len > 0 && host[0] == '[') {
    const char *close = memchr(host, ']', authority_len);
    if (close == NULL ||
        !is_ipv6_literal(host + 1, (size_t)(close - host) - 1) ||
        (close + 1 < end && close[1] != ':')) {
      snprintf(reason, REASON_SIZE, "its host is not a valid IPv6 address");
      return false;
    }
    port = close + 1 < end ? close + 2 : NULL;
  } else {
    const char *colon = memchr(host, ':', authority_len);
    host_len = colon ? (size_t)(colon - host) : authority_len;
    if (host_len == 0) {
      snprintf(reason, REASON_SIZE, "it has no host");
      return false;
    }
    if (!is_host_name(host, host_len)) {
      snprintf(reason, REASON_SIZE,
               "its host is not a valid name (an international one is "
               "written in its xn-- form)");
      return false;
    }
    port = colon ? colon + 1 : NULL;
  }
  if (port != NULL && !is_port(port, (size_t)(end - port))) {
    snprintf(reason, REASON_SIZE, "its port is not a number 1..65535");
    return false;
  }
  for (const char *p = end; *p; p++)
    if (strchr("\"<>\\^`{|}", *p) != NULL) {
      snprintf(reason, REASON_SIZE,
               "it contains '%c' at byte %zu, which a URL must percent-encode",
               *p, (size_t)(p - value));
      return false;
    }
  return true;
}

/* Checks what follows "doi:": "10.", a registrant code of at least four
 * digits (with optional ".digits" subdivisions), '/', a suffix. */
static bool check_doi(const char *doi, char reason[REASON_SIZE]) {
  size_t digits = 0;
  const char *p = doi + 3;
  bool prefixed = strncmp(doi, "10.", 3) == 0;
  while (prefixed && is_digit(p[digits]))
    digits++;
  if (digits < 4) {
    snprintf(reason, REASON_SIZE,
             "a DOI starts with 10. and a registrant code of at least four "
             "digits");
    return false;
  }
  p += digits;
  while (p[0] == '.' && is_digit(p[1]))
    for (p++; is_digit(*p); p++)
      ;
  if (p[0] != '/' || p[1] == '\0') {
    snprintf(reason, REASON_SIZE,
             "a DOI has a '/' and a suffix after its registrant code");
    return false;
  }
  return true;
}

int rt_validate_evidence(const char *value, const char *field,
                         rt_error_t *err) {
  const char *name = field ? field : "value";
  if (value == NULL)
    value = "";
  size_t len = strlen(value);
  if (len > RT_MAX_EVIDENCE_LEN)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s: is %zu bytes long, the limit is %d", name, len,
                        RT_MAX_EVIDENCE_LEN);
  if (len == 0)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s: is required (an http(s) URL or a doi:10. "
                        "reference)",
                        name);
  if (!rt_utf8_is_valid(value, len))
    return rt_error_set(err, RT_EINVAL, field, "%s: is not well-formed UTF-8",
                        name);
  char reason[REASON_SIZE] = "";
  size_t scheme = starts_with_nocase(value, "https://")  ? 8
                  : starts_with_nocase(value, "http://") ? 7
                  : starts_with_nocase(value, "doi:")    ? 4
                                                         : 0;
  if (scheme == 0)
    snprintf(reason, REASON_SIZE,
             "it starts with none of http://, https:// and doi:");
  for (size_t i = 0; scheme != 0 && reason[0] == '\0' && i < len; i++) {
    unsigned char c = (unsigned char)value[i];
    if (c <= 0x20 || c == 0x7f)
      snprintf(reason, REASON_SIZE,
               "it contains a space or control character at byte %zu", i);
  }
  if (reason[0] == '\0') {
    bool ok = scheme == 4 ? check_doi(value + 4, reason)
                          : check_url(value, scheme, reason);
    if (ok)
      return 0;
  }
  char excerpt[RT_EXCERPT_SIZE];
  return rt_error_set(err, RT_EINVAL, field,
                      "%s: \"%s\" is not an http(s) URL or a doi:10. "
                      "reference: %s",
                      name, rt_quote_excerpt(value, excerpt), reason);
}

/* Days from 1970-01-01 to a proleptic Gregorian date, counting in 400-year
 * eras that start on March 1st so that the leap day falls at the end. */
static long days_from_civil(long year, int month, int day) {
  year -= month <= 2;
  long era = (year >= 0 ? year : year - 399) / 400;
  long year_of_era = year - era * 400;
  long day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  long day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int rt_date_to_days(const char *date, long *days_out) {
  long year;
  int month, day;
  if (date == NULL || !parse_date(date, &year, &month, &day))
    return RT_EINVAL;
  *days_out = days_from_civil(year, month, day);
  return 0;
}

void rt_date_from_days(long days, char out[11]) {
  long z = days + 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long day_of_era = z - era * 146097;
  long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                      day_of_era / 146096) /
                     365;
  long day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  long month_index = (5 * day_of_year + 2) / 153;
  int day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
  int month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
  long year = year_of_era + era * 400 + (month <= 2);
  if (year < 0 || year > 9999)
    year = year < 0 ? 0 : 9999; /* keep the fixed YYYY-MM-DD shape */
  snprintf(out, 11, "%04ld-%02d-%02d", year, month, day);
}
