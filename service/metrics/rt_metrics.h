/*
 * rt_metrics: rectrackd's counters, gauges and histograms, and their
 * exposition in the Prometheus text format (version 0.0.4) for /metrics.
 *
 * Owns: the registry of series and their values. Every series is
 * registered up front (at start, before the threads that update it run),
 * with its full label set, so that updating is one atomic operation on
 * any thread and a scrape never allocates per series. Calls only libc;
 * knows nothing of HTTP or gRPC: the modules that count (the transport,
 * the Tracker, the writer) take series from here, and the HTTP listener
 * renders the registry.
 *
 * Names follow Prometheus's conventions: a `rectrack_` prefix, base units
 * (seconds, bytes), `_total` on counters. Series of one name share its
 * HELP and TYPE lines; register them with the same help text.
 *
 *   rt_metrics_t *m = rt_metrics_new();
 *   rt_counter_t *calls = rt_metrics_counter(m, "rectrack_grpc_calls_total",
 *       "gRPC calls answered, by method and status code.",
 *       "method=\"GetRecommendation\",code=\"OK\"");
 *   rt_counter_add(calls, 1);                      (any thread)
 *   char *text = NULL; size_t len = 0;
 *   rt_metrics_render(m, &text, &len);             (any thread)
 */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_metrics rt_metrics_t;
typedef struct rt_counter rt_counter_t;
typedef struct rt_gauge rt_gauge_t;
typedef struct rt_histogram rt_histogram_t;

/* A new, empty registry, or NULL when out of memory. */
rt_metrics_t *rt_metrics_new(void);
/* Frees the registry and every series in it. NULL is a no-op. */
void rt_metrics_free(rt_metrics_t *metrics);

/* Registers one series. name must be a valid metric name
 * ([a-zA-Z_:][a-zA-Z0-9_:]*), help one line, labels NULL or the label
 * pairs as they appear between the braces (`method="Get",code="OK"`;
 * values already escaped). All three are copied. Returns the series, or
 * NULL (out of memory, a bad name, or the same name registered before
 * with another type). Registration is not thread-safe: do it before the
 * series is updated or the registry rendered elsewhere. */
rt_counter_t *rt_metrics_counter(rt_metrics_t *metrics, const char *name,
                                 const char *help, const char *labels);
rt_gauge_t *rt_metrics_gauge(rt_metrics_t *metrics, const char *name,
                             const char *help, const char *labels);
/* A gauge read when the registry is rendered: read(data) is called on the
 * rendering thread and must be safe there. */
rt_gauge_t *rt_metrics_gauge_fn(rt_metrics_t *metrics, const char *name,
                                const char *help, const char *labels,
                                double (*read)(void *data), void *data);
/* bounds: the upper bounds of the buckets, ascending (the +Inf bucket is
 * added); copied. */
rt_histogram_t *rt_metrics_histogram(rt_metrics_t *metrics, const char *name,
                                     const char *help, const char *labels,
                                     const double *bounds, size_t n_bounds);

/* Updates; thread-safe, lock-free. A NULL series is ignored, so that a
 * module may run without metrics. */
void rt_counter_add(rt_counter_t *counter, uint64_t n);
void rt_gauge_set(rt_gauge_t *gauge, double value);
void rt_gauge_add(rt_gauge_t *gauge, double delta);
void rt_histogram_observe(rt_histogram_t *histogram, double value);

/* Reads, for tests and for modules that report their own figures. */
uint64_t rt_counter_value(const rt_counter_t *counter);
double rt_gauge_value(const rt_gauge_t *gauge);
uint64_t rt_histogram_count(const rt_histogram_t *histogram);

/* The latency buckets used for calls and commits, in seconds: 0.5 ms to
 * 10 s. */
extern const double rt_metrics_latency_bounds[];
extern const size_t rt_metrics_latency_bounds_len;

/* Renders every series in the Prometheus text format into *text
 * (malloc'd, NUL-terminated; the caller frees it) of *len bytes.
 * Thread-safe against updates. Returns 0, or -1 when out of memory. */
int rt_metrics_render(rt_metrics_t *metrics, char **text, size_t *len);

#endif /* RT_METRICS_H */
