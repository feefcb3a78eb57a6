/*
 * http_query: the query parameters of pages and API resources, the same
 * names on both (sdg, gcm, theme, actor, source, status, q, page_size,
 * page_token, and a few of single resources), parsed from what
 * libmicrohttpd decoded and checked before anything reads the store.
 *
 * Every value is bounded (HTTP_MAX_VALUE_BYTES, the whole query string
 * HTTP_MAX_QUERY_BYTES), well-formed UTF-8 without NUL or control
 * characters, and a value of its kind (a known SDG target, GCM objective
 * or theme, a slug, a date, a status slug); anything else is RT_EINVAL
 * with a message that names the parameter and quotes only a printable
 * excerpt of the value. An empty value is no value: a GET form sends its
 * empty fields. An unknown parameter, or one the resource does not take,
 * is an error too, so that a misspelt filter never silently shows
 * everything.
 */
#include "http_internal.h"

#include "rt_enum.h"
#include "rt_reference.h"
#include "rt_review.h"
#include "rt_validate.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct param_spec {
  const char *name;
  unsigned bit;
  bool repeats;
} param_spec_t;

static const param_spec_t specs[] = {
    {"sdg", HTTP_P_SDG, false},
    {"gcm", HTTP_P_GCM, false},
    {"theme", HTTP_P_THEME, false},
    {"actor", HTTP_P_ACTOR, false},
    {"source", HTTP_P_SOURCE, false},
    {"status", HTTP_P_STATUS, true},
    {"q", HTTP_P_Q, false},
    {"page_size", HTTP_P_PAGE, false},
    {"page_token", HTTP_P_PAGE, false},
    {"overdue", HTTP_P_OVERDUE, false},
    {"subject", HTTP_P_SUBJECT, false},
    {"commitment", HTTP_P_COMMITMENT, false},
    {"recommendation", HTTP_P_RECOMMENDATION, false},
    {"from", HTTP_P_PERIOD, false},
    {"to", HTTP_P_PERIOD, false},
    {"table", HTTP_P_TABLE, false},
};
#define N_SPECS (sizeof specs / sizeof specs[0])

typedef struct parse_state {
  http_request_t *req;
  unsigned allowed;
  unsigned seen[N_SPECS];
  size_t total;
  int rc;
} parse_state_t;

static const param_spec_t *find_spec(const char *name, size_t *index) {
  for (size_t i = 0; i < N_SPECS; i++)
    if (strcmp(specs[i].name, name) == 0) {
      *index = i;
      return &specs[i];
    }
  return NULL;
}

/* The names of the parameters allowed, for the message. */
static void allowed_names(unsigned allowed, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < N_SPECS; i++) {
    if (!(specs[i].bit & allowed))
      continue;
    int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "",
                     specs[i].name);
    if (n < 0 || (size_t)n >= size - used)
      return;
    used += (size_t)n;
  }
  if (used == 0)
    snprintf(out, size, "none");
}

static int parse_status(http_request_t *req, const char *value) {
  http_params_t *p = &req->params;
  /* "in-progress,stalled" or repeated parameters: any of these */
  const char *start = value;
  for (;;) {
    const char *end = strchr(start, ',');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    char slug[48];
    int status = 0;
    if (len > 0) {
      if (len >= sizeof slug ||
          !rt_enum_parse(
              &rectrack__v1__status__descriptor,
              (snprintf(slug, sizeof slug, "%.*s", (int)len, start), slug),
              &status)) {
        char excerpt[RT_EXCERPT_SIZE];
        snprintf(slug, sizeof slug, "%.*s", (int)(len < 40 ? len : 40), start);
        return http_fail(req, RT_EINVAL, "status",
                         "status: '%s' is not a status (%s)",
                         rt_quote_excerpt(slug, excerpt),
                         rt_enum_choices(&rectrack__v1__status__descriptor));
      }
      if (p->n_statuses == HTTP_MAX_STATUSES)
        return http_fail(req, RT_EINVAL, "status",
                         "status: at most %d statuses", HTTP_MAX_STATUSES);
      p->statuses[p->n_statuses++] = (Rectrack__V1__Status)status;
    }
    if (end == NULL)
      return 0;
    start = end + 1;
  }
}

static int parse_page_size(http_request_t *req, const char *value) {
  char *end = NULL;
  long n = strtol(value, &end, 10);
  char excerpt[RT_EXCERPT_SIZE];
  if (end == value || *end != '\0' || n < 1 || n > 1000)
    return http_fail(req, RT_EINVAL, "page_size",
                     "page_size: '%s' is not a page size (a whole number "
                     "from 1 to 1000)",
                     rt_quote_excerpt(value, excerpt));
  req->params.page_size = (int32_t)n;
  return 0;
}

static int parse_bool(http_request_t *req, const char *name, const char *value,
                      bool *out) {
  static const char *const yes[] = {"true", "1", "yes", "on"};
  static const char *const no[] = {"false", "0", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcmp(value, yes[i]) == 0)
      return *out = true, 0;
    if (strcmp(value, no[i]) == 0)
      return *out = false, 0;
  }
  char excerpt[RT_EXCERPT_SIZE];
  return http_fail(req, RT_EINVAL, name, "%s: '%s' is not true or false", name,
                   rt_quote_excerpt(value, excerpt));
}

static int parse_gcm(http_request_t *req, const char *value) {
  char *end = NULL;
  long n = strtol(value, &end, 10);
  char excerpt[RT_EXCERPT_SIZE];
  if (end == value || *end != '\0' || rt_gcm_objective((int)n) == NULL ||
      n > 1000)
    return http_fail(
        req, RT_EINVAL, "gcm", "gcm: '%s' is not a GCM objective (1 to %zu)",
        rt_quote_excerpt(value, excerpt), rt_gcm_objective_count());
  req->params.gcm = (int)n;
  return 0;
}

static int parse_record_id(http_request_t *req, const char *name,
                           const char *value, const char *prefixes) {
  size_t len = strlen(value);
  bool ok = len >= 2 && len <= 21 && strchr(prefixes, value[0]) != NULL &&
            value[1] >= '1' && value[1] <= '9';
  for (size_t i = 1; ok && i < len; i++)
    ok = value[i] >= '0' && value[i] <= '9';
  char excerpt[RT_EXCERPT_SIZE];
  if (!ok)
    return http_fail(req, RT_EINVAL, name, "%s: '%s' is not a %s id (%s)", name,
                     rt_quote_excerpt(value, excerpt),
                     strlen(prefixes) > 1 ? "recommendation or commitment"
                     : prefixes[0] == 'R' ? "recommendation"
                                          : "commitment",
                     strlen(prefixes) > 1 ? "R12, C3"
                     : prefixes[0] == 'R' ? "R12"
                                          : "C3");
  return 0;
}

static int parse_table(http_request_t *req, const char *value) {
  req->params.table = value[0] ? rt_review_csv_table(value) : NULL;
  if (req->params.table != NULL)
    return 0;
  char excerpt[RT_EXCERPT_SIZE];
  return http_fail(req, RT_EINVAL, "table",
                   "table: '%s' is not a table (" RT_REVIEW_CSV_TABLES ")",
                   rt_quote_excerpt(value, excerpt));
}

/* Checks one value of a known parameter into req->params. */
static int parse_value(http_request_t *req, const param_spec_t *spec,
                       const char *value) {
  http_params_t *p = &req->params;
  const char *name = spec->name;
  if (strcmp(name, "sdg") == 0) {
    p->sdg = value;
    return rt_validate_sdg_target(value, "sdg", &req->err);
  }
  if (strcmp(name, "gcm") == 0)
    return parse_gcm(req, value);
  if (strcmp(name, "theme") == 0) {
    /* Whether it names a theme is checked once the snapshot is open
     * (http_check_theme): the secretariat adds themes at run time. */
    p->theme = value;
    return rt_theme(value) ? 0 : rt_validate_slug(value, "theme", &req->err);
  }
  if (strcmp(name, "actor") == 0 || strcmp(name, "source") == 0) {
    *(strcmp(name, "actor") == 0 ? &p->actor : &p->source) = value;
    return rt_validate_slug(value, name, &req->err);
  }
  if (strcmp(name, "status") == 0)
    return parse_status(req, value);
  if (strcmp(name, "q") == 0) {
    p->q = value;
    return rt_validate_text(value, HTTP_MAX_Q_BYTES, false, "q", &req->err);
  }
  if (strcmp(name, "page_size") == 0)
    return parse_page_size(req, value);
  if (strcmp(name, "page_token") == 0) {
    p->page_token = value; /* opaque: the storage engine checks it */
    return 0;
  }
  if (strcmp(name, "overdue") == 0)
    return parse_bool(req, name, value, &p->overdue);
  if (strcmp(name, "subject") == 0) {
    p->subject = value;
    return parse_record_id(req, name, value, "RC");
  }
  if (strcmp(name, "commitment") == 0) {
    p->commitment = value;
    return parse_record_id(req, name, value, "C");
  }
  if (strcmp(name, "recommendation") == 0) {
    p->recommendation = value;
    return parse_record_id(req, name, value, "R");
  }
  if (strcmp(name, "from") == 0 || strcmp(name, "to") == 0) {
    *(name[0] == 'f' ? &p->from : &p->to) = value;
    return rt_validate_date(value, name, &req->err);
  }
  return parse_table(req, value);
}

/* What every value must be, whatever its parameter. */
static int check_bytes(http_request_t *req, const char *name, const char *value,
                       size_t len) {
  if (len > HTTP_MAX_VALUE_BYTES)
    return http_fail(req, RT_EINVAL, name,
                     "%s: the value is %zu bytes long, more than the %d "
                     "allowed",
                     name, len, HTTP_MAX_VALUE_BYTES);
  if (strlen(value) != len || !rt_utf8_is_valid(value, len))
    return http_fail(req, RT_EINVAL, name,
                     "%s: the value is not well-formed UTF-8 text", name);
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
      return http_fail(req, RT_EINVAL, name,
                       "%s: the value holds a control character", name);
  return 0;
}

static enum MHD_Result visit(void *cls, enum MHD_ValueKind kind,
                             const char *key, size_t key_size,
                             const char *value, size_t value_size) {
  parse_state_t *st = cls;
  http_request_t *req = st->req;
  char excerpt[RT_EXCERPT_SIZE];
  (void)kind;
  st->total += key_size + value_size + 2;
  size_t known = 0;
  if (value_size > HTTP_MAX_VALUE_BYTES && strlen(key) == key_size &&
      find_spec(key, &known) != NULL) {
    /* name the parameter that is too long, not the whole string */
    st->rc = check_bytes(req, key, value ? value : "", value_size);
    return MHD_NO;
  }
  if (st->total > HTTP_MAX_QUERY_BYTES) {
    st->rc = http_fail(req, RT_EINVAL, "query",
                       "query: the query string is longer than the %d bytes "
                       "allowed",
                       HTTP_MAX_QUERY_BYTES);
    return MHD_NO;
  }
  size_t index = 0;
  const param_spec_t *spec =
      strlen(key) == key_size ? find_spec(key, &index) : NULL;
  if (spec == NULL || !(spec->bit & st->allowed)) {
    char names[256];
    allowed_names(st->allowed, names, sizeof names);
    st->rc =
        http_fail(req, RT_EINVAL, "query",
                  "query: '%s' is not a parameter of %s (it takes: %s)",
                  rt_quote_excerpt(strlen(key) == key_size ? key : "", excerpt),
                  req->route->path, names);
    return MHD_NO;
  }
  if (value == NULL)
    value = "", value_size = 0;
  if ((st->rc = check_bytes(req, spec->name, value, value_size)) != 0)
    return MHD_NO;
  if (value_size == 0)
    return MHD_YES; /* an empty form field: not given */
  if (st->seen[index]++ > 0 && !spec->repeats) {
    st->rc = http_fail(req, RT_EINVAL, spec->name, "%s: given more than once",
                       spec->name);
    return MHD_NO;
  }
  req->params.given |= spec->bit;
  st->rc = parse_value(req, spec, value);
  return st->rc == 0 ? MHD_YES : MHD_NO;
}

int http_query_parse(http_request_t *req, unsigned allowed) {
  parse_state_t st = {.req = req, .allowed = allowed};
  req->params = (http_params_t){0};
  MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, visit, &st);
  return st.rc;
}

static void add_param(http_buf_t *b, bool *first, const char *name,
                      const char *value) {
  if (value == NULL || value[0] == '\0')
    return;
  http_buf_puts(b, *first ? "?" : "&amp;");
  *first = false;
  http_buf_puts(b, name);
  http_buf_puts(b, "=");
  http_buf_url(b, value);
}

void http_query_append(http_buf_t *b, const http_params_t *p,
                       const char *token) {
  bool first = true;
  char number[16];
  add_param(b, &first, "sdg", p->sdg);
  if (p->gcm > 0) {
    snprintf(number, sizeof number, "%d", p->gcm);
    add_param(b, &first, "gcm", number);
  }
  add_param(b, &first, "theme", p->theme);
  add_param(b, &first, "actor", p->actor);
  add_param(b, &first, "source", p->source);
  for (size_t i = 0; i < p->n_statuses; i++)
    add_param(b, &first, "status",
              rt_enum_slug(&rectrack__v1__status__descriptor, p->statuses[i]));
  add_param(b, &first, "q", p->q);
  if (p->overdue)
    add_param(b, &first, "overdue", "true");
  if (p->page_size > 0) {
    snprintf(number, sizeof number, "%d", p->page_size);
    add_param(b, &first, "page_size", number);
  }
  add_param(b, &first, "page_token", token);
}
