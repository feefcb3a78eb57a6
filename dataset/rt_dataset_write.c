/*
 * rt_dataset_write: writes records as a "rectrack-import/1" document, the
 * format rt_dataset_parse reads, for `rectrack export`. Recommendations
 * and commitments are keyed by their server ids, so references between
 * them stay meaningful in the file and a re-import into an empty store
 * rebuilds the same links.
 *
 * Only the fields of the format are written; fields the server computes
 * (status, revision, timestamps, trajectory) are derived again on import.
 * Numbers are written with 15 significant digits when every number in the
 * document survives that (6.2 stays "6.2"), and with 17 otherwise, so that
 * a value always reads back as the same double.
 */
#include "rt_dataset.h"
#include "rt_enum.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 64

typedef struct writer {
  rt_error_t *err;
  int rc;       /* first failure, 0 while all is well */
  bool precise; /* some number needs 17 significant digits */
} writer_t;

static void fail(writer_t *w, int code, const char *path, const char *name,
                 const char *what) {
  if (w->rc != 0)
    return;
  w->rc = code;
  if (code == RT_ENOMEM)
    rt_error_set(w->err, code, NULL, "out of memory");
  else
    rt_error_set(w->err, code, path, "%s.%s: %s", path, name, what);
}

/* Adds value under name; value may be NULL after a failed constructor. */
static void put(writer_t *w, json_t *obj, const char *name, json_t *value,
                const char *path) {
  if (w->rc != 0 || obj == NULL) {
    json_decref(value);
    return;
  }
  if (value == NULL || json_object_set_new(obj, name, value) != 0)
    fail(w, RT_ENOMEM, path, name, "");
}

/* A string member; left out when empty unless required. */
static void put_string(writer_t *w, json_t *obj, const char *name,
                       const char *value, bool required, const char *path) {
  if (value == NULL)
    value = "";
  if (value[0] == '\0' && !required)
    return;
  json_t *string = json_string(value);
  if (string == NULL) {
    fail(w, RT_EINVAL, path, name, "is not valid UTF-8");
    return;
  }
  put(w, obj, name, string, path);
}

static void put_enum(writer_t *w, json_t *obj, const char *name,
                     const char *spelled, const char *path) {
  if (spelled == NULL) {
    fail(w, RT_EINVAL, path, name, "has no value the format can express");
    return;
  }
  put_string(w, obj, name, spelled, true, path);
}

static void put_number(writer_t *w, json_t *obj, const char *name, double value,
                       const char *path) {
  if (!isfinite(value)) {
    fail(w, RT_EINVAL, path, name, "is not a finite number");
    return;
  }
  char shorter[32];
  snprintf(shorter, sizeof shorter, "%.15g", value);
  if (strtod(shorter, NULL) != value)
    w->precise = true;
  put(w, obj, name, json_real(value), path);
}

static void put_string_list(writer_t *w, json_t *obj, const char *name,
                            char *const *values, size_t n, const char *path) {
  if (n == 0)
    return;
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < n && w->rc == 0; i++) {
    json_t *string = json_string(values[i] ? values[i] : "");
    if (string == NULL)
      fail(w, RT_EINVAL, path, name, "has an entry that is not valid UTF-8");
    else if (json_array_append_new(list, string) != 0)
      fail(w, RT_ENOMEM, path, name, "");
  }
  put(w, obj, name, list, path);
}

static void put_int_list(writer_t *w, json_t *obj, const char *name,
                         const int32_t *values, size_t n, const char *path) {
  if (n == 0)
    return;
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < n && w->rc == 0; i++)
    if (json_array_append_new(list, json_integer(values[i])) != 0)
      fail(w, RT_ENOMEM, path, name, "");
  put(w, obj, name, list, path);
}

static json_t *write_source(writer_t *w, const void *record, const char *path) {
  const Rectrack__V1__Source *source = record;
  json_t *obj = json_object();
  put_string(w, obj, "id", source->id, true, path);
  put_string(w, obj, "title", source->title, true, path);
  put_enum(w, obj, "kind",
           rt_enum_slug(&rectrack__v1__source_kind__descriptor, source->kind),
           path);
  put_string(w, obj, "date", source->date, true, path);
  put_string(w, obj, "end_date", source->end_date, false, path);
  put_string(w, obj, "location", source->location, false, path);
  put_string_list(w, obj, "organizer_ids", source->organizer_ids,
                  source->n_organizer_ids, path);
  put_string(w, obj, "url", source->url, false, path);
  put_string(w, obj, "description", source->description, false, path);
  return obj;
}

static json_t *write_actor(writer_t *w, const void *record, const char *path) {
  const Rectrack__V1__Actor *actor = record;
  json_t *obj = json_object();
  put_string(w, obj, "id", actor->id, true, path);
  put_string(w, obj, "name", actor->name, true, path);
  put_enum(w, obj, "kind",
           rt_enum_slug(&rectrack__v1__actor_kind__descriptor, actor->kind),
           path);
  put_string(w, obj, "country", actor->country, false, path);
  put_string(w, obj, "url", actor->url, false, path);
  return obj;
}

static json_t *write_recommendation(writer_t *w, const void *record,
                                    const char *path) {
  const Rectrack__V1__Recommendation *rec = record;
  json_t *obj = json_object();
  put_string(w, obj, "key", rec->id, true, path);
  put_string(w, obj, "source_id", rec->source_id, true, path);
  put_string(w, obj, "source_ref", rec->source_ref, false, path);
  put_string(w, obj, "title", rec->title, true, path);
  put_string(w, obj, "text", rec->text, false, path);
  put_string(w, obj, "theme", rec->theme, false, path);
  put_string_list(w, obj, "sdg_targets", rec->sdg_targets, rec->n_sdg_targets,
                  path);
  put_int_list(w, obj, "gcm_objectives", rec->gcm_objectives,
               rec->n_gcm_objectives, path);
  put_string_list(w, obj, "addressed_to", rec->addressed_to,
                  rec->n_addressed_to, path);
  put_string(w, obj, "lead_actor_id", rec->lead_actor_id, false, path);
  put_string(w, obj, "due_date", rec->due_date, false, path);
  if (rec->n_links == 0)
    return obj;
  json_t *links = json_array();
  for (size_t i = 0; links != NULL && i < rec->n_links; i++) {
    json_t *link = json_object();
    put_enum(
        w, link, "kind",
        rt_enum_slug(&rectrack__v1__link_kind__descriptor, rec->links[i]->kind),
        path);
    put_string(w, link, "recommendation", rec->links[i]->recommendation_id,
               true, path);
    json_array_append_new(links, link);
  }
  put(w, obj, "links", links, path);
  return obj;
}

static json_t *write_indicator(writer_t *w, const Rectrack__V1__Indicator *ind,
                               const char *path) {
  char field[PATH_LEN];
  snprintf(field, sizeof field, "%s.indicator", path);
  json_t *obj = json_object();
  put_string(w, obj, "name", ind->name, true, field);
  put_string(w, obj, "unit", ind->unit, false, field);
  put_number(w, obj, "baseline_value", ind->baseline_value, field);
  put_string(w, obj, "baseline_date", ind->baseline_date, true, field);
  put_number(w, obj, "target_value", ind->target_value, field);
  put_string(w, obj, "target_date", ind->target_date, true, field);
  put_enum(w, obj, "direction",
           rt_enum_slug(&rectrack__v1__direction__descriptor, ind->direction),
           field);
  if (ind->series_ceiling != NULL)
    put_number(w, obj, "series_ceiling", ind->series_ceiling->value, field);
  return obj;
}

static json_t *write_commitment(writer_t *w, const void *record,
                                const char *path) {
  const Rectrack__V1__Commitment *commitment = record;
  json_t *obj = json_object();
  put_string(w, obj, "key", commitment->id, true, path);
  put_string(w, obj, "actor_id", commitment->actor_id, true, path);
  put_string_list(w, obj, "recommendations", commitment->recommendation_ids,
                  commitment->n_recommendation_ids, path);
  put_string(w, obj, "source_id", commitment->source_id, false, path);
  put_string(w, obj, "title", commitment->title, true, path);
  put_string(w, obj, "text", commitment->text, false, path);
  put_enum(w, obj, "kind",
           rt_enum_slug(&rectrack__v1__commitment_kind__descriptor,
                        commitment->kind),
           path);
  put_string(w, obj, "made_on", commitment->made_on, false, path);
  put_string(w, obj, "due_date", commitment->due_date, false, path);
  put_string(w, obj, "theme", commitment->theme, false, path);
  put_string_list(w, obj, "sdg_targets", commitment->sdg_targets,
                  commitment->n_sdg_targets, path);
  put_int_list(w, obj, "gcm_objectives", commitment->gcm_objectives,
               commitment->n_gcm_objectives, path);
  if (commitment->indicator != NULL)
    put(w, obj, "indicator", write_indicator(w, commitment->indicator, path),
        path);
  if (commitment->pledge_type !=
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_UNSPECIFIED)
    put_enum(w, obj, "pledge_type",
             rt_enum_slug(&rectrack__v1__pledge_type__descriptor,
                          commitment->pledge_type),
             path);
  put_string_list(w, obj, "partner_ids", commitment->partner_ids,
                  commitment->n_partner_ids, path);
  put_string(w, obj, "matches", commitment->matches_commitment_id, false, path);
  return obj;
}

static json_t *write_follow_up(writer_t *w, const void *record,
                               const char *path) {
  const Rectrack__V1__FollowUp *follow_up = record;
  json_t *obj = json_object();
  put_string(w, obj, "subject", follow_up->subject_id, true, path);
  put_enum(w, obj, "status",
           rt_enum_slug(&rectrack__v1__status__descriptor, follow_up->status),
           path);
  put_string(w, obj, "note", follow_up->note, false, path);
  put_string_list(w, obj, "evidence", follow_up->evidence,
                  follow_up->n_evidence, path);
  put_string(w, obj, "reported_by", follow_up->reported_by, false, path);
  put_string(w, obj, "partner", follow_up->partner_id, false, path);
  put_string(w, obj, "as_of", follow_up->as_of, true, path);
  return obj;
}

static json_t *write_measurement(writer_t *w, const void *record,
                                 const char *path) {
  const Rectrack__V1__Measurement *measurement = record;
  json_t *obj = json_object();
  put_string(w, obj, "commitment", measurement->commitment_id, true, path);
  put_number(w, obj, "value", measurement->value, path);
  put_string(w, obj, "as_of", measurement->as_of, true, path);
  put_string(w, obj, "source", measurement->source, false, path);
  put_string(w, obj, "note", measurement->note, false, path);
  if (measurement->n_dimensions > 0) {
    json_t *dims = json_object();
    for (size_t i = 0; dims != NULL && i < measurement->n_dimensions; i++)
      json_object_set_new(dims, measurement->dimensions[i]->key,
                          json_string(measurement->dimensions[i]->value));
    put(w, obj, "dimensions", dims, path);
  }
  return obj;
}

/* A theme added at run time; what the server filled in (added, revision,
 * who and when) is derived again when it is created. */
static json_t *write_theme(writer_t *w, const void *record, const char *path) {
  const Rectrack__V1__Theme *theme = record;
  json_t *obj = json_object();
  put_string(w, obj, "id", theme->id, true, path);
  put_string(w, obj, "title", theme->title, true, path);
  put_string(w, obj, "source_ref", theme->source_ref, false, path);
  return obj;
}

/* A dimension key added at run time, as a theme. */
static json_t *write_dimension_key(writer_t *w, const void *record,
                                   const char *path) {
  const Rectrack__V1__DimensionKey *key = record;
  json_t *obj = json_object();
  put_string(w, obj, "key", key->key, true, path);
  put_string(w, obj, "title", key->title, true, path);
  put_string(w, obj, "value_rule", key->value_rule, true, path);
  put_string_list(w, obj, "values", key->values, key->n_values, path);
  put_string(w, obj, "source_ref", key->source_ref, false, path);
  return obj;
}

typedef json_t *(*record_writer_fn)(writer_t *w, const void *record,
                                    const char *path);

typedef struct section {
  const char *name;
  record_writer_fn write_one;
} section_t;

/* In the order the format lists them (and items are applied), but for
 * the themes (THEMES_SECTION) and dimension keys (KEYS_SECTION), written
 * first and only when there is one, so that an export without added
 * entries stays what it was. */
static const section_t sections[] = {
    {"sources", write_source},
    {"actors", write_actor},
    {"recommendations", write_recommendation},
    {"commitments", write_commitment},
    {"follow_ups", write_follow_up},
    {"measurements", write_measurement},
    {"themes", write_theme},
    {"dimension_keys", write_dimension_key},
};
#define SECTION_COUNT (sizeof sections / sizeof sections[0])
#define THEMES_SECTION 6
#define KEYS_SECTION 7

/* Record i of section s, and the number of records in it. */
static const void *record_at(const rt_dataset_records_t *records, size_t s,
                             size_t i, size_t *n) {
  switch (s) {
  case 0:
    *n = records->sources_len;
    return i < *n ? records->sources[i] : NULL;
  case 1:
    *n = records->actors_len;
    return i < *n ? records->actors[i] : NULL;
  case 2:
    *n = records->recommendations_len;
    return i < *n ? records->recommendations[i] : NULL;
  case 3:
    *n = records->commitments_len;
    return i < *n ? records->commitments[i] : NULL;
  case 4:
    *n = records->follow_ups_len;
    return i < *n ? records->follow_ups[i] : NULL;
  case THEMES_SECTION:
    *n = records->themes_len;
    return i < *n ? records->themes[i] : NULL;
  case KEYS_SECTION:
    *n = records->dimension_keys_len;
    return i < *n ? records->dimension_keys[i] : NULL;
  default:
    *n = records->measurements_len;
    return i < *n ? records->measurements[i] : NULL;
  }
}

static void write_section(writer_t *w, json_t *root,
                          const rt_dataset_records_t *records, size_t s) {
  const section_t *section = &sections[s];
  json_t *list = json_array();
  size_t n = 0;
  record_at(records, s, 0, &n);
  for (size_t i = 0; list != NULL && i < n && w->rc == 0; i++) {
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s[%zu]", section->name, i);
    json_t *obj = section->write_one(w, record_at(records, s, i, &n), path);
    if (obj == NULL || json_array_append_new(list, obj) != 0)
      fail(w, RT_ENOMEM, path, section->name, "");
  }
  put(w, root, section->name, list, section->name);
}

int rt_dataset_write(const rt_dataset_records_t *records, char **out,
                     size_t *out_len, rt_error_t *err) {
  writer_t w = {.err = err};
  json_t *root = json_object();
  *out = NULL;
  *out_len = 0;
  put_string(&w, root, "format", RT_DATASET_FORMAT, true, "");
  if (records->themes_len > 0)
    write_section(&w, root, records, THEMES_SECTION);
  if (records->dimension_keys_len > 0)
    write_section(&w, root, records, KEYS_SECTION);
  for (size_t i = 0; i < SECTION_COUNT; i++)
    if (i != THEMES_SECTION && i != KEYS_SECTION)
      write_section(&w, root, records, i);
  if (root == NULL)
    fail(&w, RT_ENOMEM, "", "", "");
  if (w.rc != 0) {
    json_decref(root);
    return w.rc;
  }
  size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                 JSON_REAL_PRECISION(w.precise ? 17 : 15);
  char *text = json_dumps(root, flags);
  json_decref(root);
  size_t len = text ? strlen(text) : 0;
  char *with_newline = text ? realloc(text, len + 2) : NULL;
  if (with_newline == NULL) {
    free(text);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  with_newline[len] = '\n';
  with_newline[len + 1] = '\0';
  *out = with_newline;
  *out_len = len + 1;
  return 0;
}

/* ---- the JSON Lines form ------------------------------------------------ */

/* The member that names a line's kind, and its section's writer. */
static const struct {
  rt_dataset_kind_t kind;
  const char *member;
  size_t section;
} line_kinds[] = {
    {RT_DATASET_SOURCE, "source", 0},
    {RT_DATASET_ACTOR, "actor", 1},
    {RT_DATASET_RECOMMENDATION, "recommendation", 2},
    {RT_DATASET_COMMITMENT, "commitment", 3},
    {RT_DATASET_FOLLOW_UP, "follow_up", 4},
    {RT_DATASET_MEASUREMENT, "measurement", 5},
    {RT_DATASET_THEME, "theme", THEMES_SECTION},
    {RT_DATASET_DIMENSION_KEY, "dimension_key", KEYS_SECTION},
};

/* One compact JSON text and a newline, malloc'd into *out. */
static int dump_line(writer_t *w, json_t *root, char **out, size_t *out_len) {
  if (root == NULL)
    fail(w, RT_ENOMEM, "", "", "");
  if (w->rc != 0) {
    json_decref(root);
    return w->rc;
  }
  size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER |
                 JSON_REAL_PRECISION(w->precise ? 17 : 15);
  char *text = json_dumps(root, flags);
  json_decref(root);
  size_t len = text ? strlen(text) : 0;
  char *line = text ? realloc(text, len + 2) : NULL;
  if (line == NULL) {
    free(text);
    return rt_error_set(w->err, RT_ENOMEM, NULL, "out of memory");
  }
  line[len] = '\n';
  line[len + 1] = '\0';
  *out = line;
  *out_len = len + 1;
  return 0;
}

int rt_dataset_write_lines_header(char **out, size_t *out_len,
                                  rt_error_t *err) {
  writer_t w = {.err = err};
  json_t *root = json_object();
  put_string(&w, root, "format", RT_DATASET_LINES_FORMAT, true, "");
  return dump_line(&w, root, out, out_len);
}

int rt_dataset_write_line(rt_dataset_kind_t kind,
                          const ProtobufCMessage *record, char **out,
                          size_t *out_len, rt_error_t *err) {
  writer_t w = {.err = err};
  *out = NULL;
  *out_len = 0;
  for (size_t i = 0; i < sizeof line_kinds / sizeof line_kinds[0]; i++) {
    if (line_kinds[i].kind != kind)
      continue;
    json_t *root = json_object();
    json_t *obj = sections[line_kinds[i].section].write_one(
        &w, record, line_kinds[i].member);
    if (obj == NULL)
      fail(&w, RT_ENOMEM, line_kinds[i].member, "", "");
    else
      put(&w, root, line_kinds[i].member, obj, line_kinds[i].member);
    return dump_line(&w, root, out, out_len);
  }
  return rt_error_set(err, RT_EINVAL, "kind", "kind: %d is not a record kind",
                      (int)kind);
}
