/*
 * store_lists: the list requests of the API, checked and turned into a
 * list for the engine in store_query.c (sources, actors, recommendations,
 * commitments), plus the history listings: follow-ups of one subject (key
 * order = revision order) or of a period (the as_of index), and the
 * measurements of one commitment (key order = as_of order).
 * Recommendations and commitments share one filter, turned into the
 * conditions of the list engine (store_query.h): every filter has an
 * index.
 */
#include "rt_enum.h"
#include "rt_validate.h"
#include "store_links.h"
#include "store_query.h"
#include "store_specificity.h"
#include "store_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_SOURCES = 1, TAG_ACTORS, TAG_RECS, TAG_COMS, TAG_FUPS, TAG_MEAS };

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
  const char *related_to; /* recommendations linking to it */
  int link_kind;          /* with related_to: by a link of this kind */
  int specificity;        /* recommendations rated so; 0: any */
  const char *partner_id; /* commitments this actor is a partner of */
  int pledge_type;        /* commitments of this type; 0: any */
} subject_filter_t;

static bool set(const char *value) { return value && value[0]; }

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
  if (rc == 0 && set(f->partner_id))
    rc = rt_validate_slug(f->partner_id, "partner_id", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__pledge_type__descriptor,
                             f->pledge_type, true, "pledge_type", err);
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
  if (rc == 0 && set(f->related_to) &&
      store_parse_number_id(f->related_to, 'R') == 0)
    rc = rt_error_set(err, RT_EINVAL, "related_to",
                      "related_to: '%.80s' is not a recommendation id",
                      f->related_to);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__link_kind__descriptor, f->link_kind,
                             true, "link_kind", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__specificity__descriptor,
                             f->specificity, true, "specificity", err);
  if (rc == 0 && f->link_kind && !set(f->related_to))
    rc = rt_error_set(err, RT_EINVAL, "link_kind",
                      "link_kind: needs related_to (the recommendation the "
                      "links point at)");
  return rc;
}

/* related_to: one condition on the link index, under the one key of the
 * kind asked for or under any of the four (a recommendation links to
 * another once, so no record is under two of them). */
static int add_link_condition(const subject_filter_t *f, store_list_t *list) {
  uint8_t value[9];
  store_put_u64(value, store_parse_number_id(f->related_to, 'R'));
  int first = f->link_kind ? f->link_kind : 1;
  int last = f->link_kind
                 ? f->link_kind
                 : rt_enum_bound(&rectrack__v1__link_kind__descriptor) - 1;
  value[8] = (uint8_t)first;
  int rc = store_list_key(list, IDX_LINK, value, sizeof value);
  for (int kind = first + 1; rc == 0 && kind <= last; kind++) {
    value[8] = (uint8_t)kind;
    rc = store_keyset_add(&list->conds[list->n_conds - 1].keys, IDX_LINK, value,
                          sizeof value);
  }
  return rc;
}

/* Every filter becomes a condition an index answers (store_query.h). */
static int add_subject_conditions(const subject_filter_t *f, store_list_t *list,
                                  rt_error_t *err) {
  int statuses[16];
  size_t n_statuses = 0;
  for (size_t i = 0; i < f->n_statuses && n_statuses < 16; i++)
    statuses[n_statuses++] = (int)f->statuses[i];
  int rc = 0;
  if (f->n_statuses > 16)
    return rt_error_set(err, RT_EINVAL, "statuses",
                        "statuses: at most 16 values");
  if (n_statuses)
    rc = store_list_keys(list, IDX_STATUS, statuses, n_statuses);
  const struct {
    uint8_t tag;
    const char *value;
  } strings[] = {{IDX_SOURCE, f->source_id},
                 {IDX_ACTOR, f->actor_id},
                 {IDX_SDG, f->sdg_target},
                 {IDX_THEME, f->theme},
                 {IDX_PARTNER, f->partner_id}};
  for (size_t i = 0; rc == 0 && i < sizeof strings / sizeof *strings; i++)
    if (set(strings[i].value))
      rc = store_list_key(list, strings[i].tag, strings[i].value,
                          strlen(strings[i].value));
  const struct {
    uint8_t tag;
    int value;
  } bytes[] = {
      {IDX_GCM, f->gcm_objective},       {IDX_KIND, f->kind},
      {IDX_TRAJECTORY, f->trajectory},   {IDX_PUBLICATION, f->publication},
      {IDX_SPECIFICITY, f->specificity}, {IDX_PLEDGE, f->pledge_type}};
  for (size_t i = 0; rc == 0 && i < sizeof bytes / sizeof *bytes; i++)
    if (bytes[i].value)
      rc = store_list_keys(list, bytes[i].tag, &bytes[i].value, 1);
  static const int pending = 1;
  if (rc == 0 && f->pending_validation)
    rc = store_list_keys(list, IDX_PENDING, &pending, 1);
  if (rc == 0 && set(f->recommendation_id)) {
    uint8_t number[8];
    store_put_u64(number, store_parse_number_id(f->recommendation_id, 'R'));
    rc = store_list_key(list, IDX_REC, number, 8);
  }
  if (rc == 0 && set(f->related_to))
    rc = add_link_condition(f, list);
  if (rc == 0 && set(f->due_before))
    rc = store_list_range(list, IDX_DUE, "", 0, f->due_before,
                          strlen(f->due_before));
  if (rc == 0 && f->overdue_only)
    rc =
        store_list_range(list, IDX_OPEN_DUE, "", 0, f->today, strlen(f->today));
  if (rc == 0 && f->updated_since_revision > 0 &&
      f->updated_since_revision < UINT64_MAX) {
    uint8_t after[8];
    store_put_u64(after, f->updated_since_revision + 1);
    rc = store_list_range(list, IDX_REVISION, after, 8, "", 0);
  }
  if (rc != 0)
    return rt_error_set(err, rc, NULL, "cannot build the list filter");
  list->include_archived = f->include_archived;
  return set(f->query) ? store_list_query(list, f->query, err) : 0;
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
                          result->total_is_estimate, result->next_token,
                          out) == 0)
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
  store_list_t list = {.include_archived = f->include_archived};
  store_list_result_t result;
  int rc = check_subject_filter(f, err);
  if (rc == 0)
    rc = add_subject_conditions(f, &list, err);
  if (rc == 0)
    rc = run_list(reader, f->entity, request_copy, page_size_field,
                  page_token_field, tag, f->overdue_only ? f->today : "", &list,
                  &result, err);
  store_list_free(&list);
  if (rc != 0)
    return rc;
  /* The computed fields are read, not stored (store_links.h,
   * store_specificity.h). */
  for (size_t i = 0;
       rc == 0 && f->entity == RT_ENTITY_RECOMMENDATION && i < result.n; i++)
    rc = store_attach_computed(reader->txn, reader->store,
                               (void *)result.items[i], err);
  if (rc != 0) {
    store_list_result_free(&result);
    return rc;
  }
  return wrap_response(response_type, &result, out, err);
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
      .related_to = request->related_to,
      .link_kind = request->link_kind,
      .specificity = request->specificity,
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
      .partner_id = request->partner_id,
      .pledge_type = request->pledge_type,
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

int rt_store_list_sources(rt_store_reader_t *reader,
                          const Rectrack__V1__ListSourcesRequest *request,
                          Rectrack__V1__ListSourcesResponse **out,
                          rt_error_t *err) {
  *out = NULL;
  int rc = reader_ok(reader, err);
  simple_filter_t f = {request->kind, NULL, request->include_archived};
  store_list_t list = {.include_archived = f.include_archived};
  store_list_result_t result;
  Rectrack__V1__ListSourcesRequest copy = *request;
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__source_kind__descriptor, f.kind,
                             true, "kind", err);
  list.include_archived = f.include_archived;
  if (rc == 0 && f.kind && store_list_keys(&list, IDX_KIND, &f.kind, 1) != 0)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = run_list(reader, RT_ENTITY_SOURCE, &copy.base, &copy.page_size,
                  &copy.page_token, TAG_SOURCES, "", &list, &result, err);
  store_list_free(&list);
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
  store_list_t list = {.include_archived = f.include_archived};
  store_list_result_t result;
  Rectrack__V1__ListActorsRequest copy = *request;
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__actor_kind__descriptor, f.kind,
                             true, "kind", err);
  if (rc == 0)
    rc = rt_validate_country(store_str(f.country), "country", err);
  list.include_archived = f.include_archived;
  if (rc == 0 && f.kind && store_list_keys(&list, IDX_KIND, &f.kind, 1) != 0)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0 && set(f.country) &&
      store_list_key(&list, IDX_COUNTRY, f.country, strlen(f.country)) != 0)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = run_list(reader, RT_ENTITY_ACTOR, &copy.base, &copy.page_size,
                  &copy.page_token, TAG_ACTORS, "", &list, &result, err);
  store_list_free(&list);
  if (rc != 0)
    return rc;
  return wrap_response(&rectrack__v1__list_actors_response__descriptor, &result,
                       (void **)out, err);
}
