/*
 * http_summary: the review's summary for the web pages (overview, the SDG
 * and GCM indexes, /api/v1/summary), computed over the public view of one
 * snapshot (service/review_source, REVIEW_SOURCE_PUBLIC) by
 * rt_review_compute_stream, a subject at a time: its cost is a walk of
 * the subjects, its memory the distinct keys and at most
 * HTTP_SUMMARY_LIST_MAX entries per list, never the data set.
 *
 * The pages of one revision and period show the same summary, so it is
 * kept, packed, in a cache of HTTP_SUMMARY_CACHE entries (the least
 * recently used goes): a page view of an unchanged store unpacks a few
 * kilobytes instead of walking the store. The hit and miss counters are
 * the metrics rectrack_http_review_cache_hits_total and _misses_total.
 */
#include "http_internal.h"

#include "review_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_summary_cache_init(http_summary_cache_t *cache,
                            rt_metrics_t *metrics) {
  memset(cache, 0, sizeof *cache);
  if (pthread_mutex_init(&cache->lock, NULL) != 0)
    return RT_ENOMEM;
  if (metrics == NULL)
    return 0;
  cache->hits = rt_metrics_counter(
      metrics, "rectrack_http_review_cache_hits_total",
      "Review summaries of the web pages served from the cache.", NULL);
  cache->misses = rt_metrics_counter(
      metrics, "rectrack_http_review_cache_misses_total",
      "Review summaries of the web pages computed (not in the cache).", NULL);
  if (cache->hits == NULL || cache->misses == NULL) {
    pthread_mutex_destroy(&cache->lock);
    return RT_ENOMEM;
  }
  return 0;
}

void http_summary_cache_close(http_summary_cache_t *cache) {
  for (size_t i = 0; i < HTTP_SUMMARY_CACHE; i++)
    free(cache->entries[i].packed);
  pthread_mutex_destroy(&cache->lock);
  memset(cache, 0, sizeof *cache);
}

/* A copy of the packed summary of (revision, from, to), or NULL. */
static uint8_t *cache_get(http_summary_cache_t *cache, uint64_t revision,
                          const char *from, const char *to, size_t *len) {
  uint8_t *copy = NULL;
  pthread_mutex_lock(&cache->lock);
  for (size_t i = 0; i < HTTP_SUMMARY_CACHE; i++) {
    struct http_cached_summary *e = &cache->entries[i];
    if (e->packed == NULL || e->revision != revision ||
        strcmp(e->from, from) != 0 || strcmp(e->to, to) != 0)
      continue;
    if ((copy = malloc(e->len ? e->len : 1)) != NULL) {
      memcpy(copy, e->packed, e->len);
      *len = e->len;
      e->used = ++cache->clock;
    }
    break;
  }
  pthread_mutex_unlock(&cache->lock);
  return copy;
}

/* Keeps packed (taken) for (revision, from, to), in an empty slot, the
 * slot of the same key, or the least recently used one. */
static void cache_put(http_summary_cache_t *cache, uint64_t revision,
                      const char *from, const char *to, uint8_t *packed,
                      size_t len) {
  pthread_mutex_lock(&cache->lock);
  struct http_cached_summary *slot = &cache->entries[0];
  for (size_t i = 0; i < HTTP_SUMMARY_CACHE; i++) {
    struct http_cached_summary *e = &cache->entries[i];
    if (e->packed == NULL ||
        (e->revision == revision && strcmp(e->from, from) == 0 &&
         strcmp(e->to, to) == 0)) {
      slot = e;
      break;
    }
    if (e->used < slot->used)
      slot = e;
  }
  free(slot->packed);
  *slot = (struct http_cached_summary){.revision = revision,
                                       .packed = packed,
                                       .len = len,
                                       .used = ++cache->clock};
  snprintf(slot->from, sizeof slot->from, "%s", from);
  snprintf(slot->to, sizeof slot->to, "%s", to);
  pthread_mutex_unlock(&cache->lock);
}

static int compute(http_request_t *req, const char *from, const char *to,
                   Rectrack__V1__ReviewSummary **out) {
  review_source_t *source = NULL;
  if (review_source_new(req->reader, REVIEW_SOURCE_PUBLIC, &source) != 0)
    return http_fail(req, RT_ENOMEM, NULL, "out of memory");
  rt_review_stream_input_t in = {
      .from_date = from,
      .to_date = to,
      .as_of = to,
      .revision = req->revision,
      .source = review_source_get(source),
  };
  int rc = rt_review_compute_stream(&in, HTTP_SUMMARY_LIST_MAX, out, &req->err);
  if (rc != 0 && review_source_error(source)->code != 0)
    req->err = *review_source_error(source);
  review_source_free(source);
  return rc;
}

int http_review_summary(http_request_t *req, const char *from, const char *to,
                        Rectrack__V1__ReviewSummary **out) {
  *out = NULL;
  http_summary_cache_t *cache = http_summary_cache(req->http);
  size_t len = 0;
  uint8_t *packed = cache_get(cache, req->revision, from, to, &len);
  if (packed != NULL) {
    *out = rectrack__v1__review_summary__unpack(NULL, len, packed);
    free(packed);
    if (*out != NULL) {
      rt_counter_add(cache->hits, 1);
      return 0;
    }
  }
  rt_counter_add(cache->misses, 1);
  int rc = compute(req, from, to, out);
  if (rc != 0)
    return rc;
  len = protobuf_c_message_get_packed_size(&(*out)->base);
  if ((packed = malloc(len ? len : 1)) == NULL)
    return 0; /* not kept: the page is still right */
  protobuf_c_message_pack(&(*out)->base, packed);
  cache_put(cache, req->revision, from, to, packed, len);
  return 0;
}
