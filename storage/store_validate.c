/*
 * store_validate: every field of every record is checked here before a
 * write, with the rules of common/rt_validate, and every id a record names
 * is checked to exist (referential checks, inside the write transaction;
 * see store_validate.h).
 * Errors name the field path ("recommendation.sdg_targets[1]") and the
 * value. Server-owned fields are not checked: the writer overwrites them.
 */
#include "store_validate.h"
#include "rt_reference.h"
#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FIELD_LEN 64

static const char *field_at(char out[FIELD_LEN], const char *base, size_t i) {
  if (snprintf(out, FIELD_LEN, "%s[%zu]", base, i) >= FIELD_LEN)
    out[FIELD_LEN - 1] = '\0'; /* field names are short: never in practice */
  return out;
}

int store_validate_enum(const ProtobufCEnumDescriptor *descriptor, int value,
                        bool allow_unspecified, const char *field,
                        rt_error_t *err) {
  if ((value == 0 && !allow_unspecified) ||
      protobuf_c_enum_descriptor_get_value(descriptor, value) == NULL)
    return rt_error_set(err, RT_EINVAL, field, "%s: %d is not a known %s%s",
                        field, value, descriptor->short_name,
                        value == 0 ? " (it must be set)" : "");
  return 0;
}

static int check_list_len(size_t n, const char *field, rt_error_t *err) {
  if (n > RT_MAX_LIST_LEN)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s: %zu entries, at most %d allowed", field, n,
                        RT_MAX_LIST_LEN);
  return 0;
}

int store_validate_slugs(char *const *values, size_t n, const char *field,
                         rt_error_t *err) {
  char name[FIELD_LEN];
  int rc = check_list_len(n, field, err);
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = rt_validate_slug(store_str(values[i]), field_at(name, field, i), err);
  return rc;
}

static int check_evidence(char **values, size_t n, const char *field,
                          rt_error_t *err) {
  char name[FIELD_LEN];
  int rc = check_list_len(n, field, err);
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = rt_validate_evidence(store_str(values[i]), field_at(name, field, i),
                              err);
  return rc;
}

static int check_sdg_gcm(char **sdg, size_t n_sdg, const int32_t *gcm,
                         size_t n_gcm, const char *prefix, rt_error_t *err) {
  char base[FIELD_LEN], name[FIELD_LEN];
  snprintf(base, sizeof base, "%s.sdg_targets", prefix);
  int rc = check_list_len(n_sdg, base, err);
  for (size_t i = 0; i < n_sdg && rc == 0; i++)
    rc =
        rt_validate_sdg_target(store_str(sdg[i]), field_at(name, base, i), err);
  snprintf(base, sizeof base, "%s.gcm_objectives", prefix);
  if (rc == 0)
    rc = check_list_len(n_gcm, base, err);
  for (size_t i = 0; i < n_gcm && rc == 0; i++)
    rc = rt_validate_gcm_objective(gcm[i], field_at(name, base, i), err);
  return rc;
}

static int check_optional_slug(const char *value, const char *field,
                               rt_error_t *err) {
  if (value == NULL || value[0] == '\0')
    return 0;
  return rt_validate_slug(value, field, err);
}

int store_validate_source(const Rectrack__V1__Source *s, rt_error_t *err) {
  int rc = rt_validate_slug(store_str(s->id), "source.id", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(s->title), RT_MAX_TITLE_LEN, true,
                          "source.title", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__source_kind__descriptor, s->kind,
                             true, "source.kind", err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(s->date), "source.date", err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(s->end_date), "source.end_date",
                                   err);
  if (rc == 0 && s->end_date && s->end_date[0] && s->date && s->date[0] &&
      strcmp(s->end_date, s->date) < 0)
    rc = rt_error_set(err, RT_EINVAL, "source.end_date",
                      "source.end_date: '%s' is before source.date '%s'",
                      s->end_date, s->date);
  if (rc == 0)
    rc = rt_validate_text(store_str(s->location), RT_MAX_SHORT_LEN, false,
                          "source.location", err);
  if (rc == 0)
    rc = store_validate_slugs(s->organizer_ids, s->n_organizer_ids,
                              "source.organizer_ids", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(s->url), RT_MAX_URL_LEN, false,
                          "source.url", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(s->description), RT_MAX_TEXT_LEN, false,
                          "source.description", err);
  return rc;
}

int store_validate_actor(const Rectrack__V1__Actor *a, rt_error_t *err) {
  int rc = rt_validate_slug(store_str(a->id), "actor.id", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(a->name), RT_MAX_SHORT_LEN, true,
                          "actor.name", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__actor_kind__descriptor, a->kind,
                             true, "actor.kind", err);
  if (rc == 0)
    rc = rt_validate_country(store_str(a->country), "actor.country", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(a->url), RT_MAX_URL_LEN, false, "actor.url",
                          err);
  return rc;
}

/* A recommendation's links, without the store: each a kind and a well
 * formed recommendation id, at most one link to each. Whether the ids
 * exist, and the cycles, are store_check_links's. */
static int check_links(const Rectrack__V1__Recommendation *r, rt_error_t *err) {
  int rc = check_list_len(r->n_links, "recommendation.links", err);
  char name[FIELD_LEN], field[FIELD_LEN + 24];
  for (size_t i = 0; i < r->n_links && rc == 0; i++) {
    const Rectrack__V1__RecommendationLink *link = r->links[i];
    field_at(name, "recommendation.links", i);
    snprintf(field, sizeof field, "%s.kind", name);
    rc = store_validate_enum(&rectrack__v1__link_kind__descriptor, link->kind,
                             false, field, err);
    snprintf(field, sizeof field, "%s.recommendation_id", name);
    uint64_t target = store_parse_number_id(link->recommendation_id, 'R');
    if (rc == 0 && target == 0)
      rc = rt_error_set(err, RT_EINVAL, field,
                        "%s: '%.80s' is not a recommendation id (R1, R2, ...)",
                        field, store_str(link->recommendation_id));
    for (size_t j = 0; j < i && rc == 0; j++)
      if (store_parse_number_id(r->links[j]->recommendation_id, 'R') == target)
        rc = rt_error_set(err, RT_EINVAL, field,
                          "%s: %s is already linked (links[%zu]); a "
                          "recommendation links to another once",
                          field, link->recommendation_id, j);
  }
  return rc;
}

int store_validate_recommendation(const Rectrack__V1__Recommendation *r,
                                  rt_error_t *err) {
  int rc = rt_validate_slug(store_str(r->source_id), "recommendation.source_id",
                            err);
  if (rc == 0)
    rc = rt_validate_text(store_str(r->source_ref), RT_MAX_SHORT_LEN, false,
                          "recommendation.source_ref", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(r->title), RT_MAX_TITLE_LEN, true,
                          "recommendation.title", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(r->text), RT_MAX_TEXT_LEN, false,
                          "recommendation.text", err);
  if (rc == 0)
    rc = check_sdg_gcm(r->sdg_targets, r->n_sdg_targets, r->gcm_objectives,
                       r->n_gcm_objectives, "recommendation", err);
  if (rc == 0)
    rc = store_validate_slugs(r->addressed_to, r->n_addressed_to,
                              "recommendation.addressed_to", err);
  if (rc == 0)
    rc = check_optional_slug(r->lead_actor_id, "recommendation.lead_actor_id",
                             err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(r->due_date),
                                   "recommendation.due_date", err);
  if (rc == 0)
    rc = check_links(r, err);
  return rc;
}

static int check_indicator(const Rectrack__V1__Indicator *ind,
                           rt_error_t *err) {
  int rc = rt_validate_text(store_str(ind->name), RT_MAX_SHORT_LEN, true,
                            "commitment.indicator.name", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(ind->unit), RT_MAX_SHORT_LEN, false,
                          "commitment.indicator.unit", err);
  if (rc == 0)
    rc = rt_validate_date(store_str(ind->baseline_date),
                          "commitment.indicator.baseline_date", err);
  if (rc == 0)
    rc = rt_validate_date(store_str(ind->target_date),
                          "commitment.indicator.target_date", err);
  if (rc == 0 && strcmp(ind->target_date, ind->baseline_date) <= 0)
    rc = rt_error_set(err, RT_EINVAL, "commitment.indicator.target_date",
                      "commitment.indicator.target_date: '%s' must be after "
                      "the baseline date '%s'",
                      ind->target_date, ind->baseline_date);
  if (rc == 0 &&
      (!isfinite(ind->baseline_value) || !isfinite(ind->target_value)))
    rc = rt_error_set(err, RT_EINVAL, "commitment.indicator",
                      "commitment.indicator: baseline and target values must "
                      "be finite numbers");
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__direction__descriptor,
                             ind->direction, true,
                             "commitment.indicator.direction", err);
  bool up = ind->target_value > ind->baseline_value;
  bool down = ind->target_value < ind->baseline_value;
  if (rc == 0 &&
      ((ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_INCREASE &&
        down) ||
       (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_DECREASE && up)))
    rc = rt_error_set(err, RT_EINVAL, "commitment.indicator.direction",
                      "commitment.indicator.direction: the target %g lies the "
                      "other way from the baseline %g",
                      ind->target_value, ind->baseline_value);
  return rc;
}

int store_validate_commitment(const Rectrack__V1__Commitment *c,
                              rt_error_t *err) {
  int rc = rt_validate_slug(store_str(c->actor_id), "commitment.actor_id", err);
  if (rc == 0)
    rc = check_list_len(c->n_recommendation_ids,
                        "commitment.recommendation_ids", err);
  char name[FIELD_LEN];
  for (size_t i = 0; i < c->n_recommendation_ids && rc == 0; i++)
    if (store_parse_number_id(c->recommendation_ids[i], 'R') == 0)
      rc = rt_error_set(err, RT_EINVAL,
                        field_at(name, "commitment.recommendation_ids", i),
                        "%s: '%.80s' is not a recommendation id (R1, R2, ...)",
                        name, store_str(c->recommendation_ids[i]));
  if (rc == 0)
    rc = check_optional_slug(c->source_id, "commitment.source_id", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(c->title), RT_MAX_TITLE_LEN, true,
                          "commitment.title", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(c->text), RT_MAX_TEXT_LEN, false,
                          "commitment.text", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__commitment_kind__descriptor,
                             c->kind, true, "commitment.kind", err);
  if (rc == 0)
    rc = store_validate_enum(&rectrack__v1__publication__descriptor,
                             c->publication, true, "commitment.publication",
                             err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(c->made_on), "commitment.made_on",
                                   err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(c->due_date),
                                   "commitment.due_date", err);
  if (rc == 0)
    rc = check_sdg_gcm(c->sdg_targets, c->n_sdg_targets, c->gcm_objectives,
                       c->n_gcm_objectives, "commitment", err);
  if (rc == 0 && c->indicator)
    rc = check_indicator(c->indicator, err);
  return rc;
}

int store_validate_follow_up(const Rectrack__V1__FollowUp *f, rt_error_t *err) {
  int rc = 0;
  const char *subject = store_str(f->subject_id);
  if (store_parse_number_id(subject, 'R') == 0 &&
      store_parse_number_id(subject, 'C') == 0)
    return rt_error_set(err, RT_EINVAL, "follow_up.subject_id",
                        "follow_up.subject_id: '%.80s' is not a "
                        "recommendation (R..) or commitment (C..) id",
                        subject);
  rc = store_validate_enum(&rectrack__v1__status__descriptor, f->status, false,
                           "follow_up.status", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(f->note), RT_MAX_TEXT_LEN, false,
                          "follow_up.note", err);
  if (rc == 0)
    rc = check_evidence(f->evidence, f->n_evidence, "follow_up.evidence", err);
  if (rc == 0)
    rc = check_optional_slug(f->reported_by, "follow_up.reported_by", err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(f->as_of), "follow_up.as_of", err);
  return rc;
}

int store_validate_measurement(const Rectrack__V1__Measurement *m,
                               rt_error_t *err) {
  if (store_parse_number_id(m->commitment_id, 'C') == 0)
    return rt_error_set(err, RT_EINVAL, "measurement.commitment_id",
                        "measurement.commitment_id: '%.80s' is not a "
                        "commitment id (C1, C2, ...)",
                        store_str(m->commitment_id));
  if (!isfinite(m->value))
    return rt_error_set(err, RT_EINVAL, "measurement.value",
                        "measurement.value: must be a finite number");
  int rc = rt_validate_date(store_str(m->as_of), "measurement.as_of", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(m->source), RT_MAX_URL_LEN, false,
                          "measurement.source", err);
  if (rc == 0)
    rc = rt_validate_text(store_str(m->note), RT_MAX_TEXT_LEN, false,
                          "measurement.note", err);
  if (rc == 0)
    rc = check_optional_slug(m->reported_by, "measurement.reported_by", err);
  return rc;
}

int store_validate_not_future(const char *value, int64_t now_ms,
                              const char *field, rt_error_t *err) {
  char today[11], latest[11];
  store_date_of_ms(now_ms, today);
  /* One day of grace: UTC+14 is a day ahead of UTC for part of it. */
  store_date_of_ms(now_ms + 24 * 3600 * 1000, latest);
  if (strcmp(store_str(value), latest) <= 0)
    return 0;
  return rt_error_set(err, RT_EINVAL, field,
                      "%s: %.10s is in the future (today is %s, UTC; a "
                      "report may speak of a day up to %s)",
                      field, value, today, latest);
}

int store_validate_decision(const Rectrack__V1__ValidateSubmissionRequest *d,
                            rt_error_t *err) {
  const char *subject = store_str(d->subject_id);
  if (store_parse_number_id(subject, 'R') == 0 &&
      store_parse_number_id(subject, 'C') == 0)
    return rt_error_set(err, RT_EINVAL, "subject_id",
                        "subject_id: '%.80s' is not a recommendation (R..) "
                        "or commitment (C..) id",
                        subject);
  if (d->revision == 0)
    return rt_error_set(err, RT_EINVAL, "revision",
                        "revision: the revision the submission was recorded "
                        "at is required");
  if (d->decision != RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED &&
      d->decision != RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED)
    return rt_error_set(err, RT_EINVAL, "decision",
                        "decision: must be REVIEW_STATE_VALIDATED or "
                        "REVIEW_STATE_RETURNED, not %d",
                        (int)d->decision);
  int rc =
      rt_validate_text(store_str(d->note), RT_MAX_TEXT_LEN, false, "note", err);
  if (rc == 0 &&
      d->decision == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED &&
      store_str(d->note)[0] == '\0')
    rc = rt_error_set(err, RT_EINVAL, "note",
                      "note: say why the submission is returned, so that "
                      "the reporter can correct it");
  return rc;
}

/* ---- referential checks ---------------------------------------------- */

/* Where the ids a record names are looked up. */
typedef struct lookup {
  MDB_txn *txn;
  rt_store_t *store;
  rt_error_t *err;
} lookup_t;

static int must_exist(const lookup_t *at, rt_entity_t entity, const char *id,
                      const char *field) {
  store_key_t key;
  if (store_primary_key(entity, id, &key, NULL) != 0)
    return rt_error_set(at->err, RT_EINVAL, field, "%s: '%.80s' is not an id",
                        field, store_str(id));
  MDB_val data;
  int rc = store_fetch(at->txn, store_entity_dbi(at->store, entity), &key,
                       &data, at->err, "checking a reference");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(at->err, RT_ENOTFOUND, field,
                        "%s: %s '%.80s' does not exist", field,
                        store_entity_name(entity), id);
  return rc;
}

static int must_all_exist(const lookup_t *at, rt_entity_t entity, char **ids,
                          size_t n, const char *base) {
  char name[FIELD_LEN];
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = must_exist(at, entity, ids[i], field_at(name, base, i));
  return rc;
}

static int must_exist_optional(const lookup_t *at, rt_entity_t entity,
                               const char *id, const char *field) {
  if (id == NULL || id[0] == '\0')
    return 0;
  return must_exist(at, entity, id, field);
}

int store_theme_known(MDB_txn *txn, rt_store_t *store, const char *id,
                      bool *known, rt_error_t *err) {
  *known = false;
  size_t len = strlen(store_str(id));
  if (len == 0 || len > RT_MAX_ID_LEN)
    return 0;
  if (rt_theme(id) != NULL) {
    *known = true;
    return 0;
  }
  MDB_val key = {len, (void *)id}, data;
  int rc = store_mdb_error(mdb_get(txn, store->themes, &key, &data), err,
                           "looking a theme up");
  *known = rc == 0;
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int store_added_theme_ids(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                          size_t max, const char ***ids, size_t *n,
                          rt_error_t *err) {
  *n = 0;
  *ids = store_arena_alloc(arena, (max ? max : 1) * sizeof **ids);
  if (*ids == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  const char *reading = "reading themes";
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(txn, store->themes, &cursor), err,
                           reading);
  if (rc != 0)
    return rc;
  MDB_val key, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_FIRST), err,
                       reading);
  while (rc == 0 && *n < max) {
    char *id = store_arena_alloc(arena, key.mv_size + 1);
    if (id == NULL) {
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
      break;
    }
    memcpy(id, key.mv_data, key.mv_size);
    id[key.mv_size] = '\0';
    (*ids)[(*n)++] = id;
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                         reading);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* At most this many added themes are named in a message. */
#define THEMES_NAMED 32

/* theme (field names it) is compiled or added; else RT_EINVAL with the
 * themes there are and the nearest one. */
static int must_be_a_theme(const lookup_t *at, const char *theme,
                           const char *field) {
  bool known = false;
  if (theme == NULL || theme[0] == '\0')
    return 0;
  int rc = store_theme_known(at->txn, at->store, theme, &known, at->err);
  if (rc != 0 || known)
    return rc;
  store_arena_t arena; /* the ids the message names, freed before return */
  store_arena_init(&arena);
  const char **added = NULL;
  size_t n = 0;
  rc = store_added_theme_ids(at->txn, at->store, &arena, THEMES_NAMED, &added,
                             &n, at->err);
  if (rc == 0)
    rc = rt_validate_theme_among(theme, added, n, field, at->err);
  store_arena_free(&arena);
  return rc != 0 ? rc
                 : rt_error_set(at->err, RT_EINVAL, field, "%s: not a theme",
                                field);
}

int store_check_reference(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                          const char *id, const char *field, rt_error_t *err) {
  lookup_t at = {txn, store, err};
  return must_exist_optional(&at, entity, id, field);
}

int store_check_references(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                           const ProtobufCMessage *record, rt_error_t *err) {
  lookup_t at = {txn, store, err};
  if (entity == RT_ENTITY_SOURCE) {
    const Rectrack__V1__Source *s = (const void *)record;
    return must_all_exist(&at, RT_ENTITY_ACTOR, s->organizer_ids,
                          s->n_organizer_ids, "source.organizer_ids");
  }
  if (entity == RT_ENTITY_RECOMMENDATION) {
    const Rectrack__V1__Recommendation *r = (const void *)record;
    int rc = must_exist(&at, RT_ENTITY_SOURCE, r->source_id,
                        "recommendation.source_id");
    if (rc == 0)
      rc = must_all_exist(&at, RT_ENTITY_ACTOR, r->addressed_to,
                          r->n_addressed_to, "recommendation.addressed_to");
    if (rc == 0)
      rc = must_exist_optional(&at, RT_ENTITY_ACTOR, r->lead_actor_id,
                               "recommendation.lead_actor_id");
    if (rc == 0)
      rc = must_be_a_theme(&at, r->theme, "recommendation.theme");
    return rc;
  }
  if (entity == RT_ENTITY_COMMITMENT) {
    const Rectrack__V1__Commitment *c = (const void *)record;
    int rc =
        must_exist(&at, RT_ENTITY_ACTOR, c->actor_id, "commitment.actor_id");
    if (rc == 0)
      rc = must_all_exist(&at, RT_ENTITY_RECOMMENDATION, c->recommendation_ids,
                          c->n_recommendation_ids,
                          "commitment.recommendation_ids");
    if (rc == 0)
      rc = must_exist_optional(&at, RT_ENTITY_SOURCE, c->source_id,
                               "commitment.source_id");
    if (rc == 0)
      rc = must_be_a_theme(&at, c->theme, "commitment.theme");
    return rc;
  }
  return 0;
}

/* One sentence of store_outside_tags, formatted and handed to say. */
#define SAY(...)                                                               \
  do {                                                                         \
    char sentence[640];                                                        \
    snprintf(sentence, sizeof sentence, __VA_ARGS__);                          \
    say(arg, sentence);                                                        \
  } while (0)

void store_outside_tags(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                        rt_entity_t entity, const ProtobufCMessage *record,
                        const char *id,
                        void (*say)(void *arg, const char *sentence),
                        void *arg) {
  char *const *sdg;
  const int32_t *gcm;
  size_t n_sdg, n_gcm;
  const char *theme, *command;
  if (entity == RT_ENTITY_RECOMMENDATION) {
    const Rectrack__V1__Recommendation *r = (const void *)record;
    sdg = r->sdg_targets, n_sdg = r->n_sdg_targets;
    gcm = r->gcm_objectives, n_gcm = r->n_gcm_objectives;
    theme = r->theme, command = "rec";
  } else if (entity == RT_ENTITY_COMMITMENT) {
    const Rectrack__V1__Commitment *c = (const void *)record;
    sdg = c->sdg_targets, n_sdg = c->n_sdg_targets;
    gcm = c->gcm_objectives, n_gcm = c->n_gcm_objectives;
    theme = c->theme, command = "commit";
  } else {
    return;
  }
  char shown[RT_EXCERPT_SIZE], valid[160];
  for (size_t i = 0; i < n_sdg; i++) {
    if (rt_sdg_target(sdg[i]) != NULL)
      continue;
    const rt_sdg_goal_t *goal = rt_sdg_goal_of(sdg[i]);
    if (goal != NULL)
      SAY("%s carries SDG target %s, which is not an SDG target "
          "(targets of goal %d: %s): correct it with rectrack %s "
          "edit %s.",
          id, rt_quote_excerpt(store_str(sdg[i]), shown), goal->number,
          rt_sdg_goal_targets_text(goal, valid, sizeof valid), command, id);
    else
      SAY("%s carries SDG target %s, which is not an SDG target (the "
          "goals are 1..%zu): correct it with rectrack %s edit %s.",
          id, rt_quote_excerpt(store_str(sdg[i]), shown), rt_sdg_goal_count(),
          command, id);
  }
  for (size_t i = 0; i < n_gcm; i++)
    if (rt_gcm_objective(gcm[i]) == NULL)
      SAY("%s carries GCM objective %d, which is not a GCM objective "
          "(they are numbered 1..%zu): correct it with rectrack %s "
          "edit %s.",
          id, (int)gcm[i], rt_gcm_objective_count(), command, id);
  bool known = true;
  if (theme != NULL && theme[0] != '\0' &&
      store_theme_known(txn, store, theme, &known, NULL) == 0 && !known) {
    const char **added = NULL;
    size_t n_added = 0;
    if (store_added_theme_ids(txn, store, arena, 32, &added, &n_added, NULL) !=
        0)
      n_added = 0;
    const char *nearest = rt_theme_nearest(theme, added, n_added);
    char suggestion[96] = "";
    if (nearest != NULL)
      snprintf(suggestion, sizeof suggestion, "; did you mean \"%s\"?",
               nearest);
    SAY("%s carries theme \"%s\", which is not a listed theme%s: "
        "correct it with rectrack %s edit %s.",
        id, rt_quote_excerpt(theme, shown), suggestion, command, id);
  }
}
