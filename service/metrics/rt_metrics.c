/*
 * rt_metrics: a registry of metric families, each with its series, and
 * the text exposition. Values are C11 atomics: counters and bucket counts
 * as uint64, gauges and histogram sums as the bits of a double updated
 * with compare-and-swap. Registration appends to plain arrays, which is
 * why it must finish before other threads touch the registry.
 */
#include "rt_metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum metric_type {
  METRIC_COUNTER,
  METRIC_GAUGE,
  METRIC_HISTOGRAM,
} metric_type_t;

struct rt_counter {
  _Atomic uint64_t value;
};

struct rt_gauge {
  _Atomic uint64_t bits; /* a double */
  double (*read)(void *data);
  void *data;
};

struct rt_histogram {
  double *bounds;
  size_t n_bounds;
  _Atomic uint64_t *buckets; /* n_bounds + 1, not cumulative */
  _Atomic uint64_t count;
  _Atomic uint64_t sum_bits; /* a double */
};

typedef struct series {
  char *labels; /* "" for none */
  union {
    rt_counter_t counter;
    rt_gauge_t gauge;
    rt_histogram_t histogram;
  } u;
} series_t;

typedef struct family {
  char *name;
  char *help; /* escaped for the HELP line */
  metric_type_t type;
  series_t **series;
  size_t n_series;
} family_t;

struct rt_metrics {
  family_t *families;
  size_t n_families;
};

const double rt_metrics_latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,  0.1,    0.25,  0.5,
                                            1,      2.5,   5,      10};
const size_t rt_metrics_latency_bounds_len =
    sizeof rt_metrics_latency_bounds / sizeof rt_metrics_latency_bounds[0];

static uint64_t bits_of(double value) {
  uint64_t bits;
  memcpy(&bits, &value, sizeof bits);
  return bits;
}

static double double_of(uint64_t bits) {
  double value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

static void atomic_add_double(_Atomic uint64_t *target, double delta) {
  uint64_t old = atomic_load_explicit(target, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(
      target, &old, bits_of(double_of(old) + delta), memory_order_relaxed,
      memory_order_relaxed))
    ;
}

rt_metrics_t *rt_metrics_new(void) { return calloc(1, sizeof(rt_metrics_t)); }

static void free_series(family_t *family, series_t *series) {
  if (family->type == METRIC_HISTOGRAM) {
    free(series->u.histogram.bounds);
    free((void *)series->u.histogram.buckets);
  }
  free(series->labels);
  free(series);
}

void rt_metrics_free(rt_metrics_t *metrics) {
  if (metrics == NULL)
    return;
  for (size_t f = 0; f < metrics->n_families; f++) {
    family_t *family = &metrics->families[f];
    for (size_t s = 0; s < family->n_series; s++)
      free_series(family, family->series[s]);
    free(family->series);
    free(family->name);
    free(family->help);
  }
  free(metrics->families);
  free(metrics);
}

static bool valid_name(const char *name) {
  if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
    return false;
  for (const char *c = name; *c != '\0'; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
          (*c >= '0' && *c <= '9') || *c == '_' || *c == ':'))
      return false;
  return true;
}

/* HELP text: backslash and newline escaped, as the format asks. */
static char *escape_help(const char *help) {
  size_t len = strlen(help);
  char *out = malloc(2 * len + 1), *o = out;
  if (out == NULL)
    return NULL;
  for (const char *c = help; *c != '\0'; c++) {
    if (*c == '\\' || *c == '\n') {
      *o++ = '\\';
      *o++ = *c == '\n' ? 'n' : '\\';
    } else {
      *o++ = *c;
    }
  }
  *o = '\0';
  return out;
}

static family_t *find_family(rt_metrics_t *metrics, const char *name,
                             const char *help, metric_type_t type) {
  for (size_t f = 0; f < metrics->n_families; f++) {
    family_t *family = &metrics->families[f];
    if (strcmp(family->name, name) == 0)
      return family->type == type ? family : NULL;
  }
  family_t *families =
      realloc(metrics->families, (metrics->n_families + 1) * sizeof *families);
  if (families == NULL)
    return NULL;
  metrics->families = families;
  family_t *family = &families[metrics->n_families];
  *family = (family_t){.name = strdup(name),
                       .help = escape_help(help ? help : ""),
                       .type = type};
  if (family->name == NULL || family->help == NULL) {
    free(family->name);
    free(family->help);
    return NULL;
  }
  metrics->n_families++;
  return family;
}

static series_t *add_series(rt_metrics_t *metrics, const char *name,
                            const char *help, const char *labels,
                            metric_type_t type) {
  if (metrics == NULL || !valid_name(name))
    return NULL;
  family_t *family = find_family(metrics, name, help, type);
  if (family == NULL)
    return NULL;
  series_t **list =
      realloc(family->series, (family->n_series + 1) * sizeof *family->series);
  if (list == NULL)
    return NULL;
  family->series = list;
  series_t *series = calloc(1, sizeof *series);
  if (series == NULL)
    return NULL;
  series->labels = strdup(labels ? labels : "");
  if (series->labels == NULL) {
    free(series);
    return NULL;
  }
  family->series[family->n_series++] = series;
  return series;
}

rt_counter_t *rt_metrics_counter(rt_metrics_t *metrics, const char *name,
                                 const char *help, const char *labels) {
  series_t *series = add_series(metrics, name, help, labels, METRIC_COUNTER);
  return series ? &series->u.counter : NULL;
}

rt_gauge_t *rt_metrics_gauge(rt_metrics_t *metrics, const char *name,
                             const char *help, const char *labels) {
  series_t *series = add_series(metrics, name, help, labels, METRIC_GAUGE);
  return series ? &series->u.gauge : NULL;
}

rt_gauge_t *rt_metrics_gauge_fn(rt_metrics_t *metrics, const char *name,
                                const char *help, const char *labels,
                                double (*read)(void *data), void *data) {
  rt_gauge_t *gauge = rt_metrics_gauge(metrics, name, help, labels);
  if (gauge != NULL) {
    gauge->read = read;
    gauge->data = data;
  }
  return gauge;
}

rt_histogram_t *rt_metrics_histogram(rt_metrics_t *metrics, const char *name,
                                     const char *help, const char *labels,
                                     const double *bounds, size_t n_bounds) {
  for (size_t i = 1; i < n_bounds; i++)
    if (!(bounds[i] > bounds[i - 1]))
      return NULL;
  series_t *series = add_series(metrics, name, help, labels, METRIC_HISTOGRAM);
  if (series == NULL)
    return NULL;
  rt_histogram_t *h = &series->u.histogram;
  h->bounds = malloc((n_bounds ? n_bounds : 1) * sizeof *h->bounds);
  h->buckets = calloc(n_bounds + 1, sizeof *h->buckets);
  if (h->bounds == NULL || h->buckets == NULL)
    return NULL; /* freed with the registry */
  memcpy(h->bounds, bounds, n_bounds * sizeof *bounds);
  h->n_bounds = n_bounds;
  return h;
}

void rt_counter_add(rt_counter_t *counter, uint64_t n) {
  if (counter != NULL)
    atomic_fetch_add_explicit(&counter->value, n, memory_order_relaxed);
}

void rt_gauge_set(rt_gauge_t *gauge, double value) {
  if (gauge != NULL)
    atomic_store_explicit(&gauge->bits, bits_of(value), memory_order_relaxed);
}

void rt_gauge_add(rt_gauge_t *gauge, double delta) {
  if (gauge != NULL)
    atomic_add_double(&gauge->bits, delta);
}

void rt_histogram_observe(rt_histogram_t *h, double value) {
  if (h == NULL || h->buckets == NULL)
    return;
  size_t i = 0;
  while (i < h->n_bounds && value > h->bounds[i])
    i++;
  atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
  atomic_add_double(&h->sum_bits, value);
}

uint64_t rt_counter_value(const rt_counter_t *counter) {
  return counter ? atomic_load_explicit(&counter->value, memory_order_relaxed)
                 : 0;
}

double rt_gauge_value(const rt_gauge_t *gauge) {
  if (gauge == NULL)
    return 0;
  if (gauge->read != NULL)
    return gauge->read(gauge->data);
  return double_of(atomic_load_explicit(&gauge->bits, memory_order_relaxed));
}

uint64_t rt_histogram_count(const rt_histogram_t *h) {
  return h ? atomic_load_explicit(&h->count, memory_order_relaxed) : 0;
}

/* ---- exposition ------------------------------------------------------ */

typedef struct text {
  char *data;
  size_t len, cap;
  bool failed;
} text_t;

static void put(text_t *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void put(text_t *t, const char *format, ...) {
  if (t->failed)
    return;
  for (;;) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(t->data + t->len, t->cap - t->len, format, args);
    va_end(args);
    if (n < 0) {
      t->failed = true;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap * 2 + (size_t)n + 1;
    char *data = realloc(t->data, cap);
    if (data == NULL) {
      t->failed = true;
      return;
    }
    t->data = data;
    t->cap = cap;
  }
}

/* The shortest of %.15g .. %.17g that reads back as value: 0.1, not
 * 0.10000000000000001. */
static void format_double(double value, char *out, size_t size) {
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(out, size, "%.*g", digits, value);
    if (strtod(out, NULL) == value)
      return;
  }
}

/* A sample value, with the format's spellings of the non-finite. */
static void put_value(text_t *t, double value) {
  char text[32];
  if (isnan(value))
    put(t, "NaN");
  else if (isinf(value))
    put(t, value > 0 ? "+Inf" : "-Inf");
  else if (value == floor(value) && fabs(value) < 1e15)
    put(t, "%.0f", value);
  else {
    format_double(value, text, sizeof text);
    put(t, "%s", text);
  }
}

/* name{labels} or name{labels,extra} or name{extra} or name. */
static void put_series_name(text_t *t, const char *name, const char *suffix,
                            const char *labels, const char *extra) {
  bool has_labels = labels[0] != '\0', has_extra = extra && extra[0];
  put(t, "%s%s", name, suffix);
  if (has_labels || has_extra)
    put(t, "{%s%s%s}", labels, has_labels && has_extra ? "," : "",
        has_extra ? extra : "");
  put(t, " ");
}

static void render_histogram(text_t *t, const family_t *family,
                             const series_t *series) {
  const rt_histogram_t *h = &series->u.histogram;
  uint64_t cumulative = 0;
  char le[64], bound[32];
  for (size_t i = 0; i <= h->n_bounds; i++) {
    cumulative += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
    if (i < h->n_bounds) {
      format_double(h->bounds[i], bound, sizeof bound);
      snprintf(le, sizeof le, "le=\"%s\"", bound);
    } else {
      snprintf(le, sizeof le, "le=\"+Inf\"");
    }
    put_series_name(t, family->name, "_bucket", series->labels, le);
    put(t, "%llu\n", (unsigned long long)cumulative);
  }
  uint64_t sum_bits = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
  put_series_name(t, family->name, "_sum", series->labels, NULL);
  put_value(t, double_of(sum_bits));
  put(t, "\n");
  /* the +Inf bucket, so that count and buckets agree within one scrape */
  put_series_name(t, family->name, "_count", series->labels, NULL);
  put(t, "%llu\n", (unsigned long long)cumulative);
}

int rt_metrics_render(rt_metrics_t *metrics, char **out, size_t *out_len) {
  static const char *const type_names[] = {"counter", "gauge", "histogram"};
  text_t t = {.cap = 4096};
  t.data = malloc(t.cap);
  if (t.data == NULL)
    return -1;
  t.data[0] = '\0';
  for (size_t f = 0; metrics != NULL && f < metrics->n_families; f++) {
    const family_t *family = &metrics->families[f];
    put(&t, "# HELP %s %s\n# TYPE %s %s\n", family->name, family->help,
        family->name, type_names[family->type]);
    for (size_t s = 0; s < family->n_series; s++) {
      const series_t *series = family->series[s];
      if (family->type == METRIC_HISTOGRAM) {
        render_histogram(&t, family, series);
        continue;
      }
      put_series_name(&t, family->name, "", series->labels, NULL);
      if (family->type == METRIC_COUNTER)
        put(&t, "%llu",
            (unsigned long long)rt_counter_value(&series->u.counter));
      else
        put_value(&t, rt_gauge_value(&series->u.gauge));
      put(&t, "\n");
    }
  }
  if (t.failed) {
    free(t.data);
    return -1;
  }
  *out = t.data;
  *out_len = t.len;
  return 0;
}
