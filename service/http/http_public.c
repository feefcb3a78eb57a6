/*
 * http_public: what the public may see, in one place, and the read
 * snapshots every answer is built from.
 *
 * The rule (docs/web.md, "What is public"): recommendations, sources and
 * actors are public; a commitment is public unless the secretariat keeps
 * it unpublished (rt_store_commitment_is_published); a follow-up or a
 * measurement is public when it is official (validated, or recorded
 * before validation existed: rt_store_review_is_official) and its subject
 * is public. Nothing else reaches a page, the API, a count or a chart:
 *  - a record that may not be shown is NOT_FOUND, with the very message a
 *    missing one gets, so that its existence does not leak either;
 *  - lists of commitments ask the storage engine for published ones only,
 *    so that totals and page boundaries never count a hidden one;
 *  - the fields that speak of submissions awaiting validation (reported
 *    status and date, pending count) are cleared, and a commitment's
 *    measurement count is recounted over its official measurements;
 *  - the review (overview, indexes, downloads) reads the public view of
 *    service/review_source, which applies this very rule where the
 *    records come out of the store (the field clearing below is its
 *    review_source_public_*), so the review's figures, charts and files
 *    are computed from nothing else.
 *
 * Snapshots: a pool of readers, one per listener thread; a request takes
 * one, renews it, and gives it back reset as soon as its answer is built.
 * A download takes the request's reader and gives it back when its
 * document is complete.
 */
#include "http_internal.h"

#include "review_source.h"
#include "rt_reference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Measurements read per page when a commitment's official ones are
 * counted. */
#define MEASUREMENT_PAGE 1000

/* ---- the reader pool ------------------------------------------------- */

int http_reader_pool_init(http_reader_pool_t *pool, rt_store_t *store,
                          size_t cap) {
  *pool = (http_reader_pool_t){.store = store, .cap = cap};
  pool->free_readers = calloc(cap, sizeof *pool->free_readers);
  if (pool->free_readers == NULL)
    return RT_ENOMEM;
  pthread_mutex_init(&pool->lock, NULL);
  return 0;
}

void http_reader_pool_close(http_reader_pool_t *pool) {
  if (pool->free_readers == NULL)
    return;
  for (size_t i = 0; i < pool->n_free; i++)
    rt_store_reader_end(pool->free_readers[i]);
  free(pool->free_readers);
  pthread_mutex_destroy(&pool->lock);
  *pool = (http_reader_pool_t){0};
}

typedef struct revision_time {
  int64_t ms;
} revision_time_t;

static int note_time(const Rectrack__V1__ChangeEvent *event,
                     const uint8_t *packed, size_t packed_len, void *data) {
  (void)packed;
  (void)packed_len;
  ((revision_time_t *)data)->ms = event->time_ms;
  return 1;
}

int http_read_begin(http_request_t *req) {
  http_reader_pool_t *pool = http_pool(req->http);
  rt_store_reader_t *reader = NULL;
  int rc = 0;
  pthread_mutex_lock(&pool->lock);
  if (pool->n_free > 0)
    reader = pool->free_readers[--pool->n_free];
  pthread_mutex_unlock(&pool->lock);
  if (reader == NULL)
    rc = rt_store_reader_begin(pool->store, &reader, &req->err);
  else
    rc = rt_store_reader_renew(reader, &req->err);
  if (rc != 0) {
    rt_store_reader_end(reader);
    return rc;
  }
  req->reader = reader;
  req->revision = rt_store_revision(reader);
  revision_time_t when = {0};
  if (req->revision > 0)
    rt_store_log_scan(reader, req->revision, 1, note_time, &when, NULL);
  req->revision_ms = when.ms;
  return 0;
}

void http_reader_give_back(rt_http_t *http, rt_store_reader_t *reader) {
  if (reader == NULL)
    return;
  http_reader_pool_t *pool = http_pool(http);
  rt_store_reader_reset(reader);
  pthread_mutex_lock(&pool->lock);
  if (pool->n_free < pool->cap) {
    pool->free_readers[pool->n_free++] = reader;
    reader = NULL;
  }
  pthread_mutex_unlock(&pool->lock);
  rt_store_reader_end(reader); /* the pool was full */
}

rt_store_reader_t *http_reader_take(http_request_t *req) {
  rt_store_reader_t *reader = req->reader;
  req->reader = NULL;
  return reader;
}

void http_read_end(http_request_t *req) {
  rt_store_themes_free(req->added_themes, req->n_added_themes);
  req->added_themes = NULL;
  req->n_added_themes = 0;
  req->added_themes_read = false;
  http_reader_give_back(req->http, req->reader);
  req->reader = NULL;
}

/* ---- themes ----------------------------------------------------------- */

Rectrack__V1__Theme *const *http_added_themes(http_request_t *req, size_t *n) {
  *n = 0;
  if (!req->added_themes_read && req->reader != NULL) {
    rt_error_t err = {0};
    req->added_themes_read = true;
    /* A failed read leaves the list empty: an added theme then shows its
     * id, which is no worse than before it was added. */
    if (rt_store_list_themes(req->reader, &req->added_themes,
                             &req->n_added_themes, &err) != 0) {
      req->added_themes = NULL;
      req->n_added_themes = 0;
    }
  }
  *n = req->n_added_themes;
  return req->added_themes;
}

const char *http_theme_title(http_request_t *req, const char *id) {
  const rt_theme_t *compiled = rt_theme(id);
  if (compiled != NULL)
    return compiled->title;
  size_t n;
  Rectrack__V1__Theme *const *added = http_added_themes(req, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(added[i]->id, id) == 0)
      return added[i]->title && added[i]->title[0] ? added[i]->title
                                                   : added[i]->id;
  return NULL;
}

int http_check_theme(http_request_t *req) {
  const char *theme = req->params.theme;
  if (theme == NULL || theme[0] == '\0' || http_theme_title(req, theme))
    return 0;
  size_t n;
  Rectrack__V1__Theme *const *added = http_added_themes(req, &n);
  const char **ids = n ? calloc(n, sizeof *ids) : NULL;
  if (n && ids == NULL)
    return http_fail(req, RT_ENOMEM, "theme", "out of memory");
  for (size_t i = 0; i < n; i++)
    ids[i] = added[i]->id;
  int rc = rt_validate_theme_among(theme, ids, n, "theme", &req->err);
  free(ids);
  return rc != 0 ? rc : 0;
}

/* ---- single records -------------------------------------------------- */

static int not_found(http_request_t *req, const char *what, const char *id) {
  char excerpt[RT_EXCERPT_SIZE];
  return http_fail(req, RT_ENOTFOUND, NULL, "there is no %s %s", what,
                   rt_quote_excerpt(id, excerpt));
}

/* The store's answer, with a missing record told in one wording. */
static int store_answer(http_request_t *req, int rc, const char *what,
                        const char *id) {
  if (rc == RT_ENOTFOUND || rc == RT_EINVAL)
    return not_found(req, what, id);
  return rc;
}

/* Who wrote a record (updated_by, recorded_by, reviewed_by) names a
 * principal of the tokens file: the operator's business, and the name
 * of a reporter whose submission awaits validation. Not public. */
void http_public_recommendation(Rectrack__V1__Recommendation *r) {
  review_source_public_recommendation(r, true);
}

void http_public_commitment(Rectrack__V1__Commitment *c) {
  review_source_public_commitment(c, true);
}

void http_public_follow_up(Rectrack__V1__FollowUp *f) {
  review_source_public_follow_up(f, true);
}

void http_public_measurement(Rectrack__V1__Measurement *m) {
  review_source_public_measurement(m, true);
}

/* The distinct dimension sets of official measurements, each with how
 * many there are: a commitment has few series, so a linear list. */
typedef struct series_tally {
  char **signatures; /* "key=value" joined by newlines, in key order */
  uint32_t *counts;
  size_t n, cap;
} series_tally_t;

/* The dimensions written as the store's series signature (values hold no
 * control character), malloc'd; NULL when out of memory. */
static char *series_signature(Rectrack__V1__Dimension *const *dims, size_t n) {
  rt_buf_t b = {0};
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      rt_buf_puts(&b, "\n");
    rt_buf_puts(&b, dims[i]->key ? dims[i]->key : "");
    rt_buf_puts(&b, "=");
    rt_buf_puts(&b, dims[i]->value ? dims[i]->value : "");
  }
  rt_buf_append(&b, "", 0);
  if (b.failed) {
    rt_buf_free(&b);
    return NULL;
  }
  size_t len;
  return rt_buf_take(&b, &len);
}

static uint32_t *tally_slot(series_tally_t *t, const char *signature) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->signatures[i], signature) == 0)
      return &t->counts[i];
  return NULL;
}

static int tally_add(series_tally_t *t, const Rectrack__V1__Measurement *m) {
  char *signature = series_signature(m->dimensions, m->n_dimensions);
  if (signature == NULL)
    return RT_ENOMEM;
  uint32_t *slot = tally_slot(t, signature);
  if (slot != NULL) {
    (*slot)++;
    free(signature);
    return 0;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 8;
    char **signatures = realloc(t->signatures, cap * sizeof *signatures);
    if (signatures != NULL)
      t->signatures = signatures;
    uint32_t *counts = realloc(t->counts, cap * sizeof *counts);
    if (counts != NULL)
      t->counts = counts;
    if (signatures == NULL || counts == NULL) {
      free(signature);
      return RT_ENOMEM;
    }
    t->cap = cap;
  }
  t->signatures[t->n] = signature;
  t->counts[t->n++] = 1;
  return 0;
}

static void tally_free(series_tally_t *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->signatures[i]);
  free(t->signatures);
  free(t->counts);
}

/* The series as the public sees them: a series is its official
 * measurements (the store counts submissions awaiting validation too,
 * and lists a series that has only those), so each count is the
 * tally's and a series with none drops out. */
static int public_series(Rectrack__V1__Commitment *c, series_tally_t *t) {
  size_t kept = 0;
  int rc = 0;
  for (size_t i = 0; i < c->n_series; i++) {
    Rectrack__V1__MeasurementSeries *s = c->series[i];
    char *signature = series_signature(s->dimensions, s->n_dimensions);
    if (signature == NULL)
      rc = RT_ENOMEM;
    uint32_t *count = signature ? tally_slot(t, signature) : NULL;
    free(signature);
    if (count == NULL) {
      protobuf_c_message_free_unpacked(&s->base, NULL);
      continue;
    }
    s->measurement_count = *count;
    c->series[kept++] = s;
  }
  c->n_series = kept;
  return rc;
}

/* A commitment's official measurements, counted in req's snapshot: its
 * measurement_count, its series_count and, when it carries them (a Get),
 * the counts of its series. A series is above the ceiling by its latest
 * official value only, so series_above_ceiling_count needs no recount. */
static int count_official_measurements(http_request_t *req,
                                       Rectrack__V1__Commitment *c) {
  Rectrack__V1__ListMeasurementsRequest request =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  request.commitment_id = c->id;
  request.page_size = MEASUREMENT_PAGE;
  uint32_t count = 0;
  char *token = NULL;
  int rc = 0;
  if (c->measurement_count == 0)
    return 0;
  series_tally_t tally = {0};
  do {
    Rectrack__V1__ListMeasurementsResponse *page = NULL;
    request.page_token = token ? token : "";
    rc = rt_store_list_measurements(req->reader, &request, &page, &req->err);
    free(token);
    token = NULL;
    if (rc != 0)
      break;
    for (size_t i = 0; rc == 0 && i < page->n_measurements; i++) {
      const Rectrack__V1__Measurement *m = page->measurements[i];
      if (!rt_store_review_is_official(m->review_state))
        continue;
      count++;
      if (m->n_dimensions > 0)
        rc = tally_add(&tally, m);
    }
    bool more = page->next_page_token && page->next_page_token[0];
    if (more)
      token = strdup(page->next_page_token);
    protobuf_c_message_free_unpacked(&page->base, NULL);
    if (rc == 0 && more && token == NULL)
      rc = RT_ENOMEM;
  } while (rc == 0 && token != NULL);
  free(token);
  if (rc == 0) {
    c->measurement_count = count;
    c->series_count = (uint32_t)tally.n;
    rc = public_series(c, &tally);
  }
  tally_free(&tally);
  return rc;
}

/* Whether commitment id exists and is published (in req's snapshot). */
static bool commitment_is_public(http_request_t *req, const char *id) {
  Rectrack__V1__Commitment *c = NULL;
  if (id == NULL || id[0] == '\0' ||
      rt_store_get_commitment(req->reader, id, &c, NULL) != 0)
    return false;
  bool published = rt_store_commitment_is_published(c);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  return published;
}

/* The pledges a public commitment is linked to are named only when they
 * are public too: an unpublished one is in no answer. */
static void public_pledge_links(http_request_t *req,
                                Rectrack__V1__Commitment *c) {
  if (c->matches_commitment_id && c->matches_commitment_id[0] &&
      !commitment_is_public(req, c->matches_commitment_id)) {
    free(c->matches_commitment_id);
    c->matches_commitment_id = (char *)protobuf_c_empty_string;
  }
  size_t kept = 0;
  for (size_t i = 0; i < c->n_matched_by; i++) {
    if (commitment_is_public(req, c->matched_by[i]))
      c->matched_by[kept++] = c->matched_by[i];
    else
      free(c->matched_by[i]);
  }
  c->n_matched_by = kept;
}

/* The commitment as GetCommitment answers it: the stored bytes followed
 * by the computed fields (series, matched_by), which concatenate on the
 * wire (service/tracker/tracker_reads.c does the same). */
static int get_commitment_computed(http_request_t *req, const char *id,
                                   Rectrack__V1__Commitment **out) {
  *out = NULL;
  const void *data;
  size_t len, extra_len = 0;
  uint8_t *extra = NULL, *whole = NULL;
  int rc = rt_store_get_raw(req->reader, RT_ENTITY_COMMITMENT, id, &data, &len,
                            &req->err);
  if (rc == 0)
    rc = rt_store_commitment_computed_packed(req->reader, id, &extra,
                                             &extra_len, &req->err);
  if (rc == 0 && extra_len > 0) {
    whole = malloc(len + extra_len);
    if (whole == NULL)
      rc = http_fail(req, RT_ENOMEM, NULL, "out of memory");
    else {
      memcpy(whole, data, len);
      memcpy(whole + len, extra, extra_len);
      data = whole;
      len += extra_len;
    }
  }
  if (rc == 0) {
    *out = rectrack__v1__commitment__unpack(NULL, len, data);
    if (*out == NULL)
      rc = http_fail(req, RT_ECORRUPT, NULL,
                     "storage: commitment %.80s does not decode", id);
  }
  free(whole);
  free(extra);
  return rc;
}

int http_get_recommendation(http_request_t *req, const char *id,
                            Rectrack__V1__Recommendation **out) {
  int rc = rt_store_get_recommendation(req->reader, id, out, &req->err);
  if (rc != 0)
    return store_answer(req, rc, "recommendation", id);
  http_public_recommendation(*out);
  return 0;
}

int http_get_commitment(http_request_t *req, const char *id,
                        Rectrack__V1__Commitment **out) {
  int rc = get_commitment_computed(req, id, out);
  if (rc != 0)
    return store_answer(req, rc, "commitment", id);
  if (!rt_store_commitment_is_published(*out)) {
    protobuf_c_message_free_unpacked(&(*out)->base, NULL);
    *out = NULL;
    return not_found(req, "commitment", id);
  }
  http_public_commitment(*out);
  public_pledge_links(req, *out);
  rc = count_official_measurements(req, *out);
  if (rc != 0) {
    protobuf_c_message_free_unpacked(&(*out)->base, NULL);
    *out = NULL;
  }
  return rc;
}

int http_get_actor(http_request_t *req, const char *id,
                   Rectrack__V1__Actor **out) {
  int rc = rt_store_get_actor(req->reader, id, out, &req->err);
  return rc == 0 ? 0 : store_answer(req, rc, "actor", id);
}

int http_get_source(http_request_t *req, const char *id,
                    Rectrack__V1__Source **out) {
  int rc = rt_store_get_source(req->reader, id, out, &req->err);
  return rc == 0 ? 0 : store_answer(req, rc, "source", id);
}

const char *http_actor_name(http_request_t *req, const char *id, char *out,
                            size_t size) {
  Rectrack__V1__Actor *actor = NULL;
  snprintf(out, size, "%s", id ? id : "");
  if (id == NULL || id[0] == '\0' ||
      rt_store_get_actor(req->reader, id, &actor, NULL) != 0)
    return out;
  if (actor->name && actor->name[0])
    snprintf(out, size, "%s", actor->name);
  protobuf_c_message_free_unpacked(&actor->base, NULL);
  return out;
}

/* ---- lists ----------------------------------------------------------- */

void http_recommendations_request(const http_request_t *req,
                                  Rectrack__V1__ListRecommendationsRequest *r) {
  const http_params_t *p = &req->params;
  *r = (Rectrack__V1__ListRecommendationsRequest)
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  r->page_size = p->page_size;
  r->page_token = (char *)(p->page_token ? p->page_token : "");
  r->statuses = (Rectrack__V1__Status *)p->statuses;
  r->n_statuses = p->n_statuses;
  r->source_id = (char *)(p->source ? p->source : "");
  r->actor_id = (char *)(p->actor ? p->actor : "");
  r->sdg_target = (char *)(p->sdg ? p->sdg : "");
  r->gcm_objective = p->gcm;
  r->theme = (char *)(p->theme ? p->theme : "");
  r->query = (char *)(p->q ? p->q : "");
  r->overdue_only = p->overdue;
  r->as_of = (char *)req->today;
}

void http_commitments_request(const http_request_t *req,
                              Rectrack__V1__ListCommitmentsRequest *r) {
  const http_params_t *p = &req->params;
  *r = (Rectrack__V1__ListCommitmentsRequest)
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  r->page_size = p->page_size;
  r->page_token = (char *)(p->page_token ? p->page_token : "");
  r->statuses = (Rectrack__V1__Status *)p->statuses;
  r->n_statuses = p->n_statuses;
  r->source_id = (char *)(p->source ? p->source : "");
  r->actor_id = (char *)(p->actor ? p->actor : "");
  r->sdg_target = (char *)(p->sdg ? p->sdg : "");
  r->gcm_objective = p->gcm;
  r->theme = (char *)(p->theme ? p->theme : "");
  r->query = (char *)(p->q ? p->q : "");
  r->overdue_only = p->overdue;
  r->as_of = (char *)req->today;
  r->recommendation_id = (char *)(p->recommendation ? p->recommendation : "");
}

/* A page token the engine refused is the caller's page_token. */
static int list_answer(http_request_t *req, int rc) {
  if (rc == RT_EINVAL && req->err.field[0] == '\0')
    snprintf(req->err.field, sizeof req->err.field, "page_token");
  if (rc == RT_EINVAL && strstr(req->err.message, "token") != NULL &&
      strncmp(req->err.message, "page_token", 10) != 0) {
    char detail[sizeof req->err.message];
    snprintf(detail, sizeof detail, "%s", req->err.message);
    http_fail(req, RT_EINVAL, "page_token", "page_token: %s", detail);
  }
  return rc;
}

int http_list_recommendations(http_request_t *req,
                              Rectrack__V1__ListRecommendationsRequest *request,
                              Rectrack__V1__ListRecommendationsResponse **out) {
  int rc = rt_store_list_recommendations(req->reader, request, req->today, out,
                                         &req->err);
  if (rc != 0)
    return list_answer(req, rc);
  for (size_t i = 0; i < (*out)->n_recommendations; i++)
    http_public_recommendation((*out)->recommendations[i]);
  return 0;
}

int http_list_commitments(http_request_t *req,
                          Rectrack__V1__ListCommitmentsRequest *request,
                          Rectrack__V1__ListCommitmentsResponse **out) {
  request->publication = RECTRACK__V1__PUBLICATION__PUBLICATION_PUBLISHED;
  int rc = rt_store_list_commitments(req->reader, request, req->today, out,
                                     &req->err);
  if (rc != 0)
    return list_answer(req, rc);
  Rectrack__V1__ListCommitmentsResponse *list = *out;
  for (size_t i = 0; rc == 0 && i < list->n_commitments; i++) {
    if (!rt_store_commitment_is_published(list->commitments[i])) {
      /* the engine filters them; never trust a page that has one */
      rc = http_fail(req, RT_ECORRUPT, NULL,
                     "an unpublished commitment in a published list");
      break;
    }
    http_public_commitment(list->commitments[i]);
    rc = count_official_measurements(req, list->commitments[i]);
  }
  if (rc != 0) {
    protobuf_c_message_free_unpacked(&list->base, NULL);
    *out = NULL;
  }
  return rc;
}

/* Whether the subject of a report may be shown: a recommendation, or a
 * published commitment. *exists false when there is no such record. */
static bool subject_is_public(http_request_t *req, const char *id,
                              bool *exists) {
  *exists = false;
  if (id == NULL || (id[0] != 'R' && id[0] != 'C'))
    return false;
  if (id[0] == 'R') {
    const void *data;
    size_t len;
    *exists = rt_store_get_raw(req->reader, RT_ENTITY_RECOMMENDATION, id, &data,
                               &len, NULL) == 0;
    return *exists;
  }
  Rectrack__V1__Commitment *c = NULL;
  if (rt_store_get_commitment(req->reader, id, &c, NULL) != 0)
    return false;
  *exists = true;
  bool published = rt_store_commitment_is_published(c);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  return published;
}

/* Drops from the list (items of n) those keep() refuses; they are freed. */
static size_t keep_items(ProtobufCMessage **items, size_t n,
                         bool (*keep)(http_request_t *req,
                                      ProtobufCMessage *item),
                         http_request_t *req) {
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (keep(req, items[i]))
      items[kept++] = items[i];
    else
      protobuf_c_message_free_unpacked(items[i], NULL);
  }
  return kept;
}

static bool keep_follow_up(http_request_t *req, ProtobufCMessage *m) {
  Rectrack__V1__FollowUp *f = (void *)m;
  bool exists;
  if (!rt_store_review_is_official(f->review_state) ||
      (req->params.subject == NULL &&
       !subject_is_public(req, f->subject_id, &exists)))
    return false;
  http_public_follow_up(f);
  return true;
}

static bool keep_measurement(http_request_t *req, ProtobufCMessage *m) {
  (void)req;
  Rectrack__V1__Measurement *x = (void *)m;
  if (!rt_store_review_is_official(x->review_state))
    return false;
  http_public_measurement(x);
  return true;
}

int http_list_follow_ups(http_request_t *req,
                         Rectrack__V1__ListFollowUpsRequest *request,
                         Rectrack__V1__ListFollowUpsResponse **out) {
  bool exists;
  const char *subject = request->subject_id;
  if (subject != NULL && subject[0] != '\0' &&
      !subject_is_public(req, subject, &exists))
    return not_found(req, subject[0] == 'R' ? "recommendation" : "commitment",
                     subject);
  int rc = rt_store_list_follow_ups(req->reader, request, out, &req->err);
  if (rc != 0)
    return list_answer(req, rc);
  (*out)->n_follow_ups = keep_items((ProtobufCMessage **)(*out)->follow_ups,
                                    (*out)->n_follow_ups, keep_follow_up, req);
  return 0;
}

int http_list_measurements(http_request_t *req,
                           Rectrack__V1__ListMeasurementsRequest *request,
                           Rectrack__V1__ListMeasurementsResponse **out) {
  bool exists;
  if (!subject_is_public(req, request->commitment_id, &exists))
    return not_found(req, "commitment", request->commitment_id);
  int rc = rt_store_list_measurements(req->reader, request, out, &req->err);
  if (rc != 0)
    return list_answer(req, rc);
  (*out)->n_measurements =
      keep_items((ProtobufCMessage **)(*out)->measurements,
                 (*out)->n_measurements, keep_measurement, req);
  return 0;
}
