/*
 * The JSON export (shape "rectrack.review.v1", documented in
 * docs/review.md, "JSON"): one object with the summary and the rows of the
 * data tables (recommendations, commitments, follow-ups, measurements and
 * the disaggregated series), plus the actors and sources. jansson builds and
 * escapes each value; the document around them is glued here so that rows
 * are produced a batch at a time instead of as one huge tree. Values are
 * typed: dates are "YYYY-MM-DD" strings or null, numbers are numbers,
 * statuses and trajectories are their enum names, lists are arrays.
 */
#include "review_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#define ROWS_PER_STEP 128
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

enum {
  S_OPEN,
  S_BY_ACTOR, /* members of "summary" */
  S_CHANGES,
  S_OVERDUE,
  S_INDICATORS,
  S_SDG,
  S_GCM,
  S_NO_INFORMATION,
  S_LINES,
  S_SPECIFICITY,
  S_PLEDGES,
  S_SERIES_CEILINGS,
  S_SUMMARY_END,
  S_RECOMMENDATIONS, /* top-level arrays */
  S_COMMITMENTS,
  S_FOLLOW_UPS,
  S_MEASUREMENTS,
  S_SERIES,
  S_ACTORS,
  S_SOURCES,
  S_END,
};

typedef struct section {
  const char *name;
  const rt_review_table_t *table; /* NULL: special rows */
} section_t;

static const section_t sections[S_END] = {
    [S_CHANGES] = {"changes", &rt_review_table_changes},
    [S_OVERDUE] = {"overdue", &rt_review_table_overdue},
    [S_INDICATORS] = {"indicators", &rt_review_table_indicators},
    [S_SDG] = {"by_sdg_target", &rt_review_table_sdg},
    [S_GCM] = {"by_gcm_objective", &rt_review_table_gcm},
    [S_NO_INFORMATION] = {"no_information_ids", NULL},
    [S_LINES] = {"lines", &rt_review_table_lines},
    [S_SPECIFICITY] = {"specificity", &rt_review_table_specificity},
    [S_PLEDGES] = {"pledges", &rt_review_table_pledges},
    [S_SERIES_CEILINGS] = {"series_ceilings", NULL},
    [S_RECOMMENDATIONS] = {"recommendations", &rt_review_table_recommendations},
    [S_COMMITMENTS] = {"commitments", &rt_review_table_commitments},
    [S_FOLLOW_UPS] = {"follow_ups", &rt_review_table_follow_ups},
    [S_MEASUREMENTS] = {"measurements", &rt_review_table_measurements},
    [S_SERIES] = {"series", &rt_review_table_series},
    [S_ACTORS] = {"actors", NULL},
    [S_SOURCES] = {"sources", NULL},
};

static json_t *text_value(rt_review_buf_t *scratch, const char *s) {
  return json_string(rt_review_clean(scratch, s));
}

static json_t *cell_value(rt_review_buf_t *scratch,
                          const rt_review_column_t *col,
                          const rt_review_cell_t *cell) {
  switch (col->kind) {
  case RT_CELL_TEXT:
    return text_value(scratch, cell->text);
  case RT_CELL_DATE:
    return cell->empty ? json_null() : text_value(scratch, cell->text);
  case RT_CELL_NUMBER:
    return cell->empty || !isfinite(cell->number) ? json_null()
                                                  : json_real(cell->number);
  case RT_CELL_INT:
    return cell->empty ? json_null() : json_integer(cell->integer);
  case RT_CELL_STATUS:
    return json_string(rt_review_status_name((int)cell->integer));
  case RT_CELL_BOOL:
    return cell->empty ? json_null() : json_boolean(cell->integer != 0);
  case RT_CELL_TRAJ:
    return cell->empty
               ? json_null()
               : json_string(rt_review_trajectory_name((int)cell->integer));
  default: {
    json_t *list = json_array();
    for (size_t i = 0; i < cell->list_len; i++)
      json_array_append_new(list, text_value(scratch, cell->list[i]));
    return list;
  }
  }
}

/* The row just filled (doc->cells) as an object; NULL when out of
 * memory. */
static json_t *row_object(rt_review_doc_t *doc, const rt_review_table_t *t) {
  json_t *obj = json_object();
  for (size_t c = 0; obj && c < t->column_count; c++) {
    json_t *v = cell_value(&doc->scratch, &t->columns[c], &doc->cells[c]);
    if (v == NULL || json_object_set_new(obj, t->columns[c].key, v) != 0) {
      json_decref(obj);
      return NULL;
    }
  }
  return obj;
}

static json_t *status_count(rt_review_buf_t *scratch,
                            const Rectrack__V1__StatusCount *count,
                            const char *key_name) {
  json_t *o = json_object();
  if (key_name)
    json_object_set_new(o, key_name, text_value(scratch, count->key));
  json_object_set_new(o, "status",
                      json_string(rt_review_status_name(count->status)));
  json_object_set_new(o, "count", json_integer(count->count));
  return o;
}

static json_t *status_counts(rt_review_buf_t *scratch,
                             Rectrack__V1__StatusCount *const *counts, size_t n,
                             const char *key_name) {
  json_t *array = json_array();
  for (size_t i = 0; array && i < n; i++)
    json_array_append_new(array, status_count(scratch, counts[i], key_name));
  return array;
}

/* One indicator's measurement series: [{as_of, value}]. */
static json_t *series_array(const Rectrack__V1__IndicatorProgress *p) {
  json_t *series = json_array();
  for (size_t k = 0; series && k < p->n_measurements; k++) {
    const Rectrack__V1__Measurement *m = p->measurements[k];
    json_t *point = json_object();
    json_object_set_new(point, "as_of", json_string(m->as_of));
    json_object_set_new(point, "value",
                        isfinite(m->value) ? json_real(m->value) : json_null());
    json_array_append_new(series, point);
  }
  return series;
}

/* The summary's scalars and count lists; by_actor (one entry per actor
 * and status: long) and the long lists follow as streamed members
 * (sections S_BY_ACTOR..S_NO_INFORMATION). */
static json_t *summary_head(rt_review_doc_t *doc) {
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  json_t *o = json_object();
  json_object_set_new(o, "from_date",
                      s->from_date[0] ? json_string(s->from_date)
                                      : json_null());
  json_object_set_new(o, "to_date", json_string(s->to_date));
  json_object_set_new(o, "as_of", json_string(s->as_of));
  json_object_set_new(o, "revision", json_integer((json_int_t)s->revision));
  json_object_set_new(o, "recommendation_count",
                      json_integer(s->recommendation_count));
  json_object_set_new(o, "commitment_count", json_integer(s->commitment_count));
  json_object_set_new(o, "pending_count", json_integer(s->pending_count));
  json_object_set_new(o, "counted_recommendation_count",
                      json_integer(s->counted_recommendation_count));
  json_object_set_new(o, "line_count", json_integer(s->line_count));
  json_object_set_new(o, "folded_count", json_integer(s->folded_count));
  json_object_set_new(o, "superseded_count", json_integer(s->superseded_count));
  json_object_set_new(o, "pledge_group_count",
                      json_integer(s->pledge_group_count));
  json_object_set_new(o, "joint_pledge_count",
                      json_integer(s->joint_pledge_count));
  json_object_set_new(o, "matching_pledge_count",
                      json_integer(s->matching_pledge_count));
  json_object_set_new(o, "series_count", json_integer(s->series_count));
  json_object_set_new(o, "series_ceiling_count",
                      json_integer(s->series_ceiling_count));
  json_object_set_new(o, "series_above_ceiling_count",
                      json_integer(s->series_above_ceiling_count));
  json_object_set_new(
      o, "by_status",
      status_counts(&doc->scratch, s->by_status, s->n_by_status, NULL));
  json_object_set_new(
      o, "by_theme",
      status_counts(&doc->scratch, s->by_theme, s->n_by_theme, "theme"));
  return o;
}

static int put_json(rt_review_buf_t *b, json_t *value);

/* The next entries of by_actor, written as the compact dump of the whole
 * array would write them. */
static int json_by_actor(rt_review_doc_t *doc) {
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  if (doc->row == 0)
    rt_review_buf_puts(doc->out, ",\"by_actor\":[");
  for (size_t i = 0; i < ROWS_PER_STEP && doc->row < s->n_by_actor;
       i++, doc->row++) {
    if (doc->row > 0)
      rt_review_buf_puts(doc->out, ",");
    int rc =
        put_json(doc->out, status_count(&doc->scratch, s->by_actor[doc->row],
                                        "actor_id"));
    if (rc != 0)
      return rc;
  }
  if (doc->row < s->n_by_actor)
    return 0;
  rt_review_buf_puts(doc->out, "]");
  doc->row = 0;
  doc->section++;
  return 0;
}

/* Appends a value's compact text; RT_ENOMEM when it could not be built. */
static int put_json(rt_review_buf_t *b, json_t *value) {
  char *text = value ? json_dumps(value, DUMP_FLAGS) : NULL;
  json_decref(value);
  if (text == NULL)
    return RT_ENOMEM;
  rt_review_buf_puts(b, text);
  free(text);
  return 0;
}

/* An enum value as its slug (rt_enum), null when unspecified. */
static json_t *enum_value(const ProtobufCEnumDescriptor *type, int value) {
  const char *slug = rt_enum_slug(type, value);
  return slug ? json_string(slug) : json_null();
}

static json_t *actor_object(rt_review_buf_t *scratch,
                            const Rectrack__V1__Actor *a) {
  json_t *o = json_object();
  json_object_set_new(o, "id", text_value(scratch, a->id));
  json_object_set_new(o, "name", text_value(scratch, a->name));
  json_object_set_new(
      o, "kind", enum_value(&rectrack__v1__actor_kind__descriptor, a->kind));
  json_object_set_new(o, "country", text_value(scratch, a->country));
  return o;
}

static json_t *source_object(rt_review_buf_t *scratch,
                             const Rectrack__V1__Source *s) {
  json_t *o = json_object();
  json_object_set_new(o, "id", text_value(scratch, s->id));
  json_object_set_new(o, "title", text_value(scratch, s->title));
  json_object_set_new(
      o, "kind", enum_value(&rectrack__v1__source_kind__descriptor, s->kind));
  json_object_set_new(o, "date",
                      s->date[0] ? text_value(scratch, s->date) : json_null());
  json_object_set_new(o, "location", text_value(scratch, s->location));
  return o;
}

static json_t *number_value(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

/* A series beyond its ceiling: its dimensions as an object. */
static json_t *above_object(rt_review_buf_t *scratch,
                            const Rectrack__V1__MeasurementSeries *x) {
  json_t *o = json_object(), *dims = json_object();
  for (size_t i = 0; dims && i < x->n_dimensions; i++)
    json_object_set_new(dims, rt_review_clean(scratch, x->dimensions[i]->key),
                        text_value(scratch, x->dimensions[i]->value));
  json_object_set_new(o, "dimensions", dims);
  json_object_set_new(o, "latest_value", number_value(x->latest_value));
  json_object_set_new(o, "latest_as_of",
                      x->latest_as_of[0] ? text_value(scratch, x->latest_as_of)
                                         : json_null());
  json_object_set_new(
      o, "trajectory",
      json_string(rt_review_trajectory_name((int)x->trajectory)));
  return o;
}

/* One commitment's series against its ceiling (SeriesCeilingReport). */
static json_t *ceiling_object(rt_review_buf_t *scratch,
                              const Rectrack__V1__SeriesCeilingReport *r) {
  json_t *o = json_object(), *keys = json_array(), *above = json_array();
  json_object_set_new(o, "commitment_id",
                      text_value(scratch, r->commitment_id));
  json_object_set_new(o, "title", text_value(scratch, r->title));
  json_object_set_new(o, "indicator", text_value(scratch, r->indicator_name));
  json_object_set_new(o, "unit", text_value(scratch, r->unit));
  json_object_set_new(o, "ceiling", number_value(r->ceiling));
  json_object_set_new(o, "direction",
                      json_string(rt_review_direction_name(r->direction)));
  json_object_set_new(o, "series_count", json_integer(r->series_count));
  for (size_t i = 0; keys && i < r->n_dimension_keys; i++)
    json_array_append_new(keys, text_value(scratch, r->dimension_keys[i]));
  json_object_set_new(o, "dimension_keys", keys);
  json_object_set_new(o, "above_count", json_integer(r->above_count));
  for (size_t i = 0; above && i < r->n_above; i++)
    json_array_append_new(above, above_object(scratch, r->above[i]));
  json_object_set_new(o, "above", above);
  json_object_set_new(o, "sentence", text_value(scratch, r->sentence));
  return o;
}

/* The next row of the current array section: 1 with *value (NULL when
 * it could not be built), 0 after the last row, or an error. */
static int section_row(rt_review_doc_t *doc, json_t **value) {
  const section_t *sec = &sections[doc->section];
  *value = NULL;
  if (doc->section == S_ACTORS || doc->section == S_SOURCES) {
    const ProtobufCMessage *record = NULL;
    int rc =
        rt_review_next_listed(doc,
                              doc->section == S_ACTORS ? RT_REVIEW_WALK_ACTORS
                                                       : RT_REVIEW_WALK_SOURCES,
                              &record);
    if (rc <= 0)
      return rc;
    if (record == NULL)
      *value = json_null();
    else if (doc->section == S_ACTORS)
      *value = actor_object(&doc->scratch, (const void *)record);
    else
      *value = source_object(&doc->scratch, (const void *)record);
    return 1;
  }
  if (doc->section == S_SERIES_CEILINGS) {
    if (doc->row >= doc->summary->n_series_ceilings)
      return 0;
    *value =
        ceiling_object(&doc->scratch, doc->summary->series_ceilings[doc->row]);
    return 1;
  }
  const rt_review_table_t *t =
      sec->table ? sec->table : &rt_review_table_no_information;
  int rc = rt_review_next_row(doc, t);
  if (rc <= 0)
    return rc;
  if (doc->section == S_NO_INFORMATION) {
    *value = text_value(&doc->scratch, doc->cells[0].text);
    return 1;
  }
  *value = row_object(doc, t);
  if (*value != NULL && doc->section == S_INDICATORS)
    json_object_set_new(
        *value, "measurements",
        series_array(doc->ctx.summary->indicators[doc->fill_row]));
  return 1;
}

/* The next batch of rows of the current array section. */
static int json_rows(rt_review_doc_t *doc) {
  if (doc->row == 0)
    rt_review_buf_printf(doc->out, ",\n\"%s\":[", sections[doc->section].name);
  for (size_t i = 0; i < ROWS_PER_STEP; i++, doc->row++) {
    json_t *value = NULL;
    int rc = section_row(doc, &value);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      rt_review_buf_puts(doc->out, "]");
      doc->row = 0;
      doc->section++;
      return 0;
    }
    rt_review_buf_puts(doc->out, doc->row ? ",\n" : "\n");
    if ((rc = put_json(doc->out, value)) != 0)
      return rc;
  }
  return 0;
}

int rt_review_json_step(rt_review_doc_t *doc) {
  if (doc->section == S_OPEN) {
    rt_review_buf_puts(doc->out,
                       "{\"format\":\"rectrack.review.v1\",\n\"summary\":");
    int rc = put_json(doc->out, summary_head(doc));
    if (rc == 0 && doc->out->len > 0 &&
        doc->out->data[doc->out->len - 1] == '}')
      doc->out->len--; /* reopened: the long lists follow as members */
    doc->section++;
    return rc;
  }
  if (doc->section == S_BY_ACTOR)
    return json_by_actor(doc);
  if (doc->section == S_SUMMARY_END) {
    rt_review_buf_puts(doc->out, "}");
    doc->section++;
    return 0;
  }
  if (doc->section < S_END)
    return json_rows(doc);
  rt_review_buf_puts(doc->out, "\n}\n");
  doc->done = true;
  return 0;
}
