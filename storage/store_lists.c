/*
 * store_lists: the list requests of the API, checked and turned into a
 * list for the engine in store_query.c (sources, actors, recommendations,
 * commitments), plus the history listings: follow-ups of one subject (key
 * order = revision order) or of a period (the as_of index), and the
 * measurements of one commitment (key order = as_of order).
 * Recommendations and commitments share one filter: both are projected on
 * the fields the filters look at.
 */
#include "rt_validate.h"
#include "store_query.h"
#include "store_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_SOURCES = 1, TAG_ACTORS, TAG_RECS, TAG_COMS, TAG_FUPS, TAG_MEAS };

/* What the filters of a recommendation or commitment list look at. */
typedef struct subject_view {
  Rectrack__V1__Status status;
  const char *source_id, *theme, *title, *text, *due_date;
  char **actors;
  size_t n_actors;
  const char *lead_actor_id;
  char **sdg_targets;
  size_t n_sdg_targets;
  const int32_t *gcm_objectives;
  size_t n_gcm_objectives;
  uint64_t revision;
  bool archived;
  uint32_t pending_count;
  /* commitments only */
  char **recommendation_ids;
  size_t n_recommendation_ids;
  int kind, trajectory;
  bool published;
} subject_view_t;

typedef struct subject_filter {
  rt_entity_t entity;
  Rectrack__V1__Status *statuses;
  size_t n_statuses;
  const char *source_id, *actor_id, *sdg_target, *theme, *query, *due_before;
  int gcm_objective;
  bool overdue_only, include_archived;
  const char *today;
  uint64_t updated_since_revision;
  const char *recommendation_id;
  int kind, trajectory;
  bool pending_validation;
  int publication; /* commitments: PUBLISHED or UNPUBLISHED only; 0: any */
} subject_filter_t;

static bool set(const char *value) { return value && value[0]; }

static bool has_string(char **values, size_t n, const char *value) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(store_str(values[i]), value) == 0)
      return true;
  return false;
}

static void view_of(rt_entity_t entity, const ProtobufCMessage *record,
                    subject_view_t *v) {
  memset(v, 0, sizeof *v);
  if (entity == RT_ENTITY_RECOMMENDATION) {
    const Rectrack__V1__Recommendation *r = (const void *)record;
    v->status = r->status;
    v->source_id = r->source_id;
    v->theme = r->theme;
    v->title = r->title;
    v->text = r->text;
    v->due_date = r->due_date;
    v->actors = r->addressed_to;
    v->n_actors = r->n_addressed_to;
    v->lead_actor_id = r->lead_actor_id;
    v->sdg_targets = r->sdg_targets;
    v->n_sdg_targets = r->n_sdg_targets;
    v->gcm_objectives = r->gcm_objectives;
    v->n_gcm_objectives = r->n_gcm_objectives;
    v->revision = r->revision;
    v->archived = r->archived;
    v->pending_count = r->pending_count;
    return;
  }
  const Rectrack__V1__Commitment *c = (const void *)record;
  v->status = c->status;
  v->source_id = c->source_id;
  v->theme = c->theme;
  v->title = c->title;
  v->text = c->text;
  v->due_date = c->due_date;
  v->lead_actor_id = c->actor_id;
  v->sdg_targets = c->sdg_targets;
  v->n_sdg_targets = c->n_sdg_targets;
  v->gcm_objectives = c->gcm_objectives;
  v->n_gcm_objectives = c->n_gcm_objectives;
  v->revision = c->revision;
  v->archived = c->archived;
  v->pending_count = c->pending_count;
  v->recommendation_ids = c->recommendation_ids;
  v->n_recommendation_ids = c->n_recommendation_ids;
  v->kind = c->kind;
  v->trajectory = c->trajectory;
  v->published = rt_store_commitment_is_published(c);
}

static bool matches_status(const subject_filter_t *f, int status) {
  if (f->n_statuses == 0)
    return true;
  for (size_t i = 0; i < f->n_statuses; i++)
    if ((int)f->statuses[i] == status)
      return true;
  return false;
}

static bool is_overdue(const subject_view_t *v, const char *today) {
  return set(v->due_date) && strcmp(v->due_date, today) < 0 &&
         v->status != RECTRACK__V1__STATUS__STATUS_IMPLEMENTED &&
         v->status != RECTRACK__V1__STATUS__STATUS_WITHDRAWN;
}

static bool matches_text(const subject_view_t *v, const char *query) {
  return strcasestr(store_str(v->title), query) != NULL ||
         strcasestr(store_str(v->text), query) != NULL;
}

static bool matches_gcm(const subject_view_t *v, int objective) {
  for (size_t i = 0; i < v->n_gcm_objectives; i++)
    if (v->gcm_objectives[i] == objective)
      return true;
  return false;
}

static bool match_subject(const ProtobufCMessage *record, const void *data) {
  const subject_filter_t *f = data;
  subject_view_t v;
  view_of(f->entity, record, &v);
  if ((v.archived && !f->include_archived) || !matches_status(f, v.status) ||
      v.revision <= f->updated_since_revision)
    return false;
  if ((set(f->source_id) && strcmp(store_str(v.source_id), f->source_id)) ||
      (set(f->theme) && strcmp(store_str(v.theme), f->theme)) ||
      (set(f->sdg_target) &&
       !has_string(v.sdg_targets, v.n_sdg_targets, f->sdg_target)) ||
      (f->gcm_objective && !matches_gcm(&v, f->gcm_objective)))
    return false;
  if (set(f->actor_id) &&
      strcmp(store_str(v.lead_actor_id), f->actor_id) != 0 &&
      !has_string(v.actors, v.n_actors, f->actor_id))
    return false;
  if ((set(f->query) && !matches_text(&v, f->query)) ||
      (set(f->due_before) &&
       !(set(v.due_date) && strcmp(v.due_date, f->due_before) < 0)) ||
      (f->overdue_only && !is_overdue(&v, f->today)))
    return false;
  if ((set(f->recommendation_id) &&
       !has_string(v.recommendation_ids, v.n_recommendation_ids,
                   f->recommendation_id)) ||
      (f->kind && v.kind != f->kind) ||
      (f->trajectory && v.trajectory != f->trajectory) ||
      (f->pending_validation && v.pending_count == 0))
    return false;
  if (f->publication &&
      v.published !=
          (f->publication == RECTRACK__V1__PUBLICATION__PUBLICATION_PUBLISHED))
    return false;
  return true;
}

/* Checks the filter values. */
static int check_subject_filter(const subject_filter_t *f, rt_error_t *err) {
  char field[32];
  for (size_t i = 0; i < f->n_statuses; i++) {
    snprintf(field, sizeof field, "statuses[%zu]", i);
    int rc = store_validate_enum(&rectrack__v1__status__descriptor,
                                 f->statuses[i], false, field, err);
    if (rc != 0)
      return rc;
  }
  int rc = 0;
  if (set(f->source_id))
    rc = rt_validate_slug(f->source_id, "source_id", err);
  if (rc == 0 && set(f->actor_id))
    rc = rt_validate_slug(f->actor_id, "actor_id", err);
  if (rc == 0 && set(f->theme))
    rc = rt_validate_slug(f->theme, "theme", err);
  if (rc == 0 && set(f->sdg_target))
    rc = rt_validate_sdg_target(f->sdg_target, "sdg_target", err);
  if (rc == 0 && f->gcm_objective)
    rc = rt_validate_gcm_objective(f->gcm_objective, "gcm_objective", err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(f->due_before), "due_before", err);
  if (rc == 0 && f->overdue_only)
    rc = rt_validate_date(f->today, "as_of", err);
  if (rc == 0 && set(f->query))
    rc = rt_validate_text(f->query, RT_MAX_SHORT_LEN, false, "query", err);
  if (rc == 0 && set(f->recommendation_id) &&
      store_parse_number_id(f->recommendation_id, 'R') == 0)
    rc = rt_error_set(err, RT_EINVAL, "recommendation_id",
                      "recommendation_id: '%.80s' is not a recommendation id",
                      f->recommendation_id);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__commitment_kind__descriptor,
                             f->kind, true, "kind", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__trajectory__descriptor,
                             f->trajectory, true, "trajectory", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__publication__descriptor,
                             f->publication, true, "publication", err);
  return rc;
}

/* The filters that have an index become candidate drivers. */
static int add_subject_drivers(const subject_filter_t *f,
                               store_keyset_t *drivers, rt_error_t *err) {
  int rc = 0;
  if (f->n_statuses == 1)
    rc = store_keyset_add_byte(drivers, IDX_STATUS, f->statuses[0]);
  if (rc == 0)
    rc = store_keyset_add_str(drivers, IDX_SOURCE, f->source_id);
  if (rc == 0)
    rc = store_keyset_add_str(drivers, IDX_ACTOR, f->actor_id);
  if (rc == 0)
    rc = store_keyset_add_str(drivers, IDX_SDG, f->sdg_target);
  if (rc == 0 && f->gcm_objective)
    rc = store_keyset_add_byte(drivers, IDX_GCM, f->gcm_objective);
  if (rc == 0)
    rc = store_keyset_add_str(drivers, IDX_THEME, f->theme);
  if (rc == 0 && f->kind)
    rc = store_keyset_add_byte(drivers, IDX_KIND, f->kind);
  if (rc == 0 && f->trajectory)
    rc = store_keyset_add_byte(drivers, IDX_TRAJECTORY, f->trajectory);
  if (rc == 0 && f->pending_validation)
    rc = store_keyset_add_byte(drivers, IDX_PENDING, 1);
  if (rc == 0 && set(f->recommendation_id)) {
    uint8_t number[8];
    store_put_u64(number, store_parse_number_id(f->recommendation_id, 'R'));
    rc = store_keyset_add(drivers, IDX_REC, number, 8);
  }
  return rc ? rt_error_set(err, rc, NULL, "cannot build the list filter") : 0;
}

/* Runs a list; request_copy is a shallow copy of the request whose page
 * fields are cleared here for the digest. */
static int run_list(rt_store_reader_t *reader, rt_entity_t entity,
                    ProtobufCMessage *request_copy, int32_t *page_size_field,
                    char **page_token_field, int tag, const char *today,
                    store_list_t *list, store_list_result_t *result,
                    rt_error_t *err) {
  int rc = store_page_size(*page_size_field, &list->page_size, err);
  if (rc != 0)
    return rc;
  list->store = reader->store;
  list->entity = entity;
  list->page_token = *page_token_field;
  *page_size_field = 0;
  *page_token_field = (char *)"";
  store_filter_digest(request_copy, tag, today, list->digest);
  return store_list_run(reader, list, result, err);
}

static const char *effective_today(const char *as_of, const char *today,
                                   char fallback[11]) {
  if (set(as_of))
    return as_of;
  if (set(today))
    return today;
  store_date_of_ms(store_now_ms(), fallback);
  return fallback;
}

/* Hands a page to a new response of the given type; on failure the page
 * is freed. */
static int wrap_response(const ProtobufCMessageDescriptor *descriptor,
                         store_list_result_t *result, void **out,
                         rt_error_t *err) {
  if (store_list_response(descriptor, result->items, result->n, result->total,
                          result->next_token, out) == 0)
    return 0;
  store_list_result_free(result);
  return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
}

/* Checks a recommendation or commitment filter, runs the list and wraps
 * the page in a response of the given type. */
static int run_subject_list(rt_store_reader_t *reader, subject_filter_t *f,
                            ProtobufCMessage *request_copy,
                            int32_t *page_size_field, char **page_token_field,
                            int tag,
                            const ProtobufCMessageDescriptor *response_type,
                            void **out, rt_error_t *err) {
  store_list_t list = {.match = match_subject, .filter = f};
  store_list_result_t result;
  int rc = check_subject_filter(f, err);
  if (rc == 0)
    rc = add_subject_drivers(f, &list.drivers, err);
  if (rc == 0)
    rc = run_list(reader, f->entity, request_copy, page_size_field,
                  page_token_field, tag, f->overdue_only ? f->today : "", &list,
                  &result, err);
  store_keyset_free(&list.drivers);
  return rc ? rc : wrap_response(response_type, &result, out, err);
}

/* The filters ListRecommendationsRequest and ListCommitmentsRequest have
 * in common, under the same names: one initializer serves both. */
#define SUBJECT_FILTER_FIELDS(request, today, fallback)                        \
  .statuses = (request)->statuses, .n_statuses = (request)->n_statuses,        \
  .source_id = (request)->source_id, .actor_id = (request)->actor_id,          \
  .sdg_target = (request)->sdg_target, .theme = (request)->theme,              \
  .query = (request)->query, .due_before = (request)->due_before,              \
  .gcm_objective = (request)->gcm_objective,                                   \
  .overdue_only = (request)->overdue_only,                                     \
  .include_archived = (request)->include_archived,                             \
  .today = effective_today((request)->as_of, (today), (fallback)),             \
  .updated_since_revision = (request)->updated_since_revision,                 \
  .pending_validation = (request)->pending_validation

static int reader_ok(rt_store_reader_t *reader, rt_error_t *err) {
  if (reader == NULL || !reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  return 0;
}

int rt_store_list_recommendations(
    rt_store_reader_t *reader,
    const Rectrack__V1__ListRecommendationsRequest *request, const char *today,
    Rectrack__V1__ListRecommendationsResponse **out, rt_error_t *err) {
  *out = NULL;
  int rc = reader_ok(reader, err);
  if (rc != 0)
    return rc;
  char fallback[11];
  Rectrack__V1__ListRecommendationsRequest copy = *request;
  subject_filter_t f = {
      .entity = RT_ENTITY_RECOMMENDATION,
      SUBJECT_FILTER_FIELDS(request, today, fallback),
  };
  return run_subject_list(
      reader, &f, &copy.base, &copy.page_size, &copy.page_token, TAG_RECS,
      &rectrack__v1__list_recommendations_response__descriptor, (void **)out,
      err);
}

int rt_store_list_commitments(
    rt_store_reader_t *reader,
    const Rectrack__V1__ListCommitmentsRequest *request, const char *today,
    Rectrack__V1__ListCommitmentsResponse **out, rt_error_t *err) {
  *out = NULL;
  int rc = reader_ok(reader, err);
  if (rc != 0)
    return rc;
  char fallback[11];
  Rectrack__V1__ListCommitmentsRequest copy = *request;
  subject_filter_t f = {
      .entity = RT_ENTITY_COMMITMENT,
      SUBJECT_FILTER_FIELDS(request, today, fallback),
      .recommendation_id = request->recommendation_id,
      .kind = request->kind,
      .trajectory = request->trajectory,
      .publication = request->publication,
  };
  return run_subject_list(
      reader, &f, &copy.base, &copy.page_size, &copy.page_token, TAG_COMS,
      &rectrack__v1__list_commitments_response__descriptor, (void **)out, err);
}

/* ---- sources and actors ---------------------------------------------- */

typedef struct simple_filter {
  int kind;
  const char *country;
  bool include_archived;
} simple_filter_t;

static bool match_source(const ProtobufCMessage *record, const void *data) {
  const Rectrack__V1__Source *s = (const void *)record;
  const simple_filter_t *f = data;
  return (!s->archived || f->include_archived) &&
         (f->kind == 0 || (int)s->kind == f->kind);
}

static bool match_actor(const ProtobufCMessage *record, const void *data) {
  const Rectrack__V1__Actor *a = (const void *)record;
  const simple_filter_t *f = data;
  return (!a->archived || f->include_archived) &&
         (f->kind == 0 || (int)a->kind == f->kind) &&
         (!set(f->country) || strcmp(store_str(a->country), f->country) == 0);
}

int rt_store_list_sources(rt_store_reader_t *reader,
                          const Rectrack__V1__ListSourcesRequest *request,
                          Rectrack__V1__ListSourcesResponse **out,
                          rt_error_t *err) {
  *out = NULL;
  int rc = reader_ok(reader, err);
  simple_filter_t f = {request->kind, NULL, request->include_archived};
  store_list_t list = {.match = match_source, .filter = &f};
  store_list_result_t result;
  Rectrack__V1__ListSourcesRequest copy = *request;
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__source_kind__descriptor, f.kind,
                             true, "kind", err);
  if (rc == 0 && f.kind &&
      store_keyset_add_byte(&list.drivers, IDX_KIND, f.kind) != 0)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = run_list(reader, RT_ENTITY_SOURCE, &copy.base, &copy.page_size,
                  &copy.page_token, TAG_SOURCES, "", &list, &result, err);
  store_keyset_free(&list.drivers);
  if (rc != 0)
    return rc;
  return wrap_response(&rectrack__v1__list_sources_response__descriptor,
                       &result, (void **)out, err);
}

int rt_store_list_actors(rt_store_reader_t *reader,
                         const Rectrack__V1__ListActorsRequest *request,
                         Rectrack__V1__ListActorsResponse **out,
                         rt_error_t *err) {
  *out = NULL;
  int rc = reader_ok(reader, err);
  simple_filter_t f = {request->kind, request->country,
                       request->include_archived};
  store_list_t list = {.match = match_actor, .filter = &f};
  store_list_result_t result;
  Rectrack__V1__ListActorsRequest copy = *request;
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__actor_kind__descriptor, f.kind,
                             true, "kind", err);
  if (rc == 0)
    rc = rt_validate_country(store_str(f.country), "country", err);
  if (rc == 0 && f.kind &&
      store_keyset_add_byte(&list.drivers, IDX_KIND, f.kind) != 0)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0 && store_keyset_add_str(&list.drivers, IDX_COUNTRY, f.country))
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = run_list(reader, RT_ENTITY_ACTOR, &copy.base, &copy.page_size,
                  &copy.page_token, TAG_ACTORS, "", &list, &result, err);
  store_keyset_free(&list.drivers);
  if (rc != 0)
    return rc;
  return wrap_response(&rectrack__v1__list_actors_response__descriptor, &result,
                       (void **)out, err);
}
