/*
 * review_series: the disaggregated series of a review (review_series.h).
 *
 * The measurements that count (validated, with dimensions, dated up to
 * as_of, of an active commitment with an indicator) are sorted by
 * commitment, then signature (the dimensions written "key=value" in key
 * order, joined by newlines: the store's dimension order), then as_of and
 * revision, so that each run is one series and its last measurement its
 * latest. From the series come the summary's ceiling reports, their
 * sentences, and the rows of the series table every format shows.
 */
#include "review_series.h"

#include "rt_dimensions.h"
#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct series_ref {
  const Rectrack__V1__Measurement *x;
  rt_review_item_t *item;
  char *signature;
} series_ref_t;

static const char *text_or_empty(const char *s) { return s ? s : ""; }

static int compare_dims(const Rectrack__V1__Dimension *a,
                        const Rectrack__V1__Dimension *b) {
  int c = strcmp(text_or_empty(a->key), text_or_empty(b->key));
  return c ? c : strcmp(text_or_empty(a->value), text_or_empty(b->value));
}

/* x's dimensions in key order (a malloc'd array of x->n_dimensions), or
 * NULL when out of memory. */
static const Rectrack__V1__Dimension **
sorted_dims(const Rectrack__V1__Measurement *x) {
  const Rectrack__V1__Dimension **d = malloc(x->n_dimensions * sizeof *d);
  if (d == NULL)
    return NULL;
  for (size_t i = 0; i < x->n_dimensions; i++) {
    size_t j = i;
    while (j > 0 && compare_dims(d[j - 1], x->dimensions[i]) > 0) {
      d[j] = d[j - 1];
      j--;
    }
    d[j] = x->dimensions[i];
  }
  return d;
}

/* The dimensions joined: key=value with sep between them. */
static char *join_dims(const Rectrack__V1__Dimension *const *d, size_t n,
                       const char *sep) {
  rt_review_buf_t b = {0};
  for (size_t i = 0; i < n; i++)
    rt_review_buf_printf(&b, "%s%s=%s", i ? sep : "", text_or_empty(d[i]->key),
                         text_or_empty(d[i]->value));
  char *out = b.failed ? NULL : strdup(rt_review_buf_str(&b));
  rt_review_buf_free(&b);
  return out;
}

static char *signature_of(const Rectrack__V1__Measurement *x) {
  const Rectrack__V1__Dimension **d = sorted_dims(x);
  char *signature = d ? join_dims(d, x->n_dimensions, "\n") : NULL;
  free(d);
  return signature;
}

static int compare_refs(const void *a, const void *b) {
  const series_ref_t *x = a, *y = b;
  int c = rt_review_item_compare_ids(x->item, y->item);
  if (c == 0)
    c = strcmp(x->signature, y->signature);
  if (c == 0)
    c = strcmp(x->x->as_of, y->x->as_of);
  if (c == 0 && x->x->revision != y->x->revision)
    c = x->x->revision < y->x->revision ? -1 : 1;
  return c;
}

/* Whether measurement x counts towards a series of the model. */
static rt_review_item_t *series_owner(const rt_review_model_t *m,
                                      const Rectrack__V1__Measurement *x) {
  if (x == NULL || x->n_dimensions == 0 || !isfinite(x->value) ||
      !rt_review_is_official(x->review_state))
    return NULL;
  long days;
  if (x->as_of == NULL || rt_date_to_days(x->as_of, &days) != 0 ||
      strcmp(x->as_of, m->as_of) > 0)
    return NULL;
  rt_review_item_t *it = rt_review_model_find(m, x->commitment_id);
  return it != NULL && it->com != NULL && it->has_indicator ? it : NULL;
}

void rt_review_series_label(Rectrack__V1__Dimension *const *dims, size_t n,
                            rt_review_buf_t *out) {
  for (size_t i = 0; i < n; i++) {
    const char *key = text_or_empty(dims[i]->key);
    if (i > 0)
      rt_review_buf_puts(out, " ");
    if (strcmp(key, "corridor") != 0)
      rt_review_buf_printf(out, "%s=", key);
    rt_review_buf_puts(out, text_or_empty(dims[i]->value));
  }
}

/* Fills series s from its run of refs (sorted). */
static int make_series(rt_review_series_t *s, const series_ref_t *run,
                       size_t first, size_t count) {
  const Rectrack__V1__Indicator *ind = run[0].item->com->indicator;
  s->item = run[0].item;
  s->n_dimensions = run[0].x->n_dimensions;
  s->dimensions = sorted_dims(run[0].x);
  s->name =
      s->dimensions ? join_dims(s->dimensions, s->n_dimensions, ";") : NULL;
  rt_review_buf_t label = {0};
  if (s->dimensions != NULL)
    rt_review_series_label((Rectrack__V1__Dimension *const *)s->dimensions,
                           s->n_dimensions, &label);
  s->label = label.failed ? NULL : strdup(rt_review_buf_str(&label));
  rt_review_buf_free(&label);
  if (s->dimensions == NULL || s->name == NULL || s->label == NULL)
    return RT_ENOMEM;
  s->meas_first = first;
  s->meas_count = count;
  const Rectrack__V1__Measurement *latest = run[count - 1].x;
  s->latest_value = latest->value;
  s->latest_as_of = latest->as_of;
  s->trajectory =
      rt_review_trajectory_of(ind, latest->value, latest->as_of, &s->progress);
  s->has_ceiling = ind->series_ceiling != NULL;
  s->above_ceiling =
      s->has_ceiling &&
      rt_series_beyond_ceiling(rt_review_indicator_decreases(ind),
                               ind->series_ceiling->value, latest->value);
  return 0;
}

static void free_refs(series_ref_t *refs, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(refs[i].signature);
  free(refs);
}

int rt_review_series_build(rt_review_model_t *m) {
  const rt_review_input_t *in = m->in;
  series_ref_t *refs = calloc(in->measurement_count + 1, sizeof *refs);
  if (refs == NULL)
    return RT_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < in->measurement_count; i++) {
    rt_review_item_t *it = series_owner(m, in->measurements[i]);
    if (it == NULL)
      continue;
    refs[n] = (series_ref_t){in->measurements[i], it,
                             signature_of(in->measurements[i])};
    if (refs[n++].signature == NULL) {
      free_refs(refs, n);
      return RT_ENOMEM;
    }
  }
  qsort(refs, n, sizeof *refs, compare_refs);
  size_t runs = 0;
  for (size_t k = 0; k < n; k++)
    runs += k == 0 || refs[k - 1].item != refs[k].item ||
            strcmp(refs[k - 1].signature, refs[k].signature) != 0;
  m->series_measurements = calloc(n + 1, sizeof *m->series_measurements);
  m->series = calloc(runs + 1, sizeof *m->series);
  if (m->series_measurements == NULL || m->series == NULL) {
    free_refs(refs, n);
    return RT_ENOMEM;
  }
  for (size_t k = 0; k < n; k++)
    m->series_measurements[k] = refs[k].x;
  m->series_measurement_count = n;
  int rc = 0;
  for (size_t k = 0, end; k < n && rc == 0; k = end) {
    end = k + 1;
    while (end < n && refs[end].item == refs[k].item &&
           strcmp(refs[end].signature, refs[k].signature) == 0)
      end++;
    rt_review_series_t *s = &m->series[m->series_count++];
    rc = make_series(s, &refs[k], k, end - k);
    rt_review_item_t *it = refs[k].item;
    if (it->series_count == 0)
      it->series_first = (size_t)(s - m->series);
    it->series_count++;
  }
  free_refs(refs, n);
  return rc;
}

void rt_review_series_free(rt_review_model_t *m) {
  for (size_t i = 0; i < m->series_count; i++) {
    free(m->series[i].dimensions);
    free(m->series[i].name);
    free(m->series[i].label);
  }
  free(m->series);
  free(m->series_measurements);
  m->series = NULL;
  m->series_measurements = NULL;
  m->series_count = m->series_measurement_count = 0;
}

/* ---- the summary ------------------------------------------------------ */

/* Appends a new, initialised message of descriptor d to a repeated field;
 * NULL when out of memory. */
static void *push_message(void ***array, size_t *count,
                          const ProtobufCMessageDescriptor *d) {
  void *msg = malloc(d->sizeof_message);
  void **bigger = msg ? realloc(*array, (*count + 1) * sizeof **array) : NULL;
  if (bigger == NULL) {
    free(msg);
    return NULL;
  }
  *array = bigger;
  protobuf_c_message_init(d, msg);
  (*array)[(*count)++] = msg;
  return msg;
}

static char *dup_text(const char *s, bool *failed) {
  char *copy = strdup(text_or_empty(s));
  *failed |= copy == NULL;
  return copy;
}

/* A copy of series s as the API's MeasurementSeries (dimensions in key
 * order), appended to the report's above list. */
static bool add_above(Rectrack__V1__SeriesCeilingReport *r,
                      const rt_review_series_t *s, bool *failed) {
  Rectrack__V1__MeasurementSeries *out =
      push_message((void ***)&r->above, &r->n_above,
                   &rectrack__v1__measurement_series__descriptor);
  if (out == NULL)
    return false;
  for (size_t i = 0; i < s->n_dimensions; i++) {
    Rectrack__V1__Dimension *d =
        push_message((void ***)&out->dimensions, &out->n_dimensions,
                     &rectrack__v1__dimension__descriptor);
    if (d == NULL)
      return false;
    d->key = dup_text(s->dimensions[i]->key, failed);
    d->value = dup_text(s->dimensions[i]->value, failed);
  }
  out->latest_value = s->latest_value;
  out->latest_as_of = dup_text(s->latest_as_of, failed);
  out->trajectory = s->trajectory;
  out->progress = s->progress;
  out->measurement_count = (uint32_t)s->meas_count;
  out->above_ceiling = true;
  return !*failed;
}

/* The distinct keys of the item's series, in key order. */
static bool add_keys(Rectrack__V1__SeriesCeilingReport *r,
                     const rt_review_model_t *m, const rt_review_item_t *it,
                     bool *failed) {
  for (size_t i = it->series_first; i < it->series_first + it->series_count;
       i++)
    for (size_t k = 0; k < m->series[i].n_dimensions; k++) {
      const char *key = text_or_empty(m->series[i].dimensions[k]->key);
      size_t at = 0;
      while (at < r->n_dimension_keys && strcmp(r->dimension_keys[at], key) < 0)
        at++;
      if (at < r->n_dimension_keys && strcmp(r->dimension_keys[at], key) == 0)
        continue;
      char **bigger = realloc(r->dimension_keys,
                              (r->n_dimension_keys + 1) * sizeof *bigger);
      char *copy = bigger ? dup_text(key, failed) : NULL;
      if (bigger != NULL)
        r->dimension_keys = bigger;
      if (copy == NULL)
        return false;
      memmove(&r->dimension_keys[at + 1], &r->dimension_keys[at],
              (r->n_dimension_keys - at) * sizeof *r->dimension_keys);
      r->dimension_keys[at] = copy;
      r->n_dimension_keys++;
    }
  return true;
}

static int add_report(Rectrack__V1__ReviewSummary *s,
                      const rt_review_model_t *m, const rt_review_item_t *it,
                      size_t above, size_t max_items) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  bool failed = false;
  Rectrack__V1__SeriesCeilingReport *r =
      push_message((void ***)&s->series_ceilings, &s->n_series_ceilings,
                   &rectrack__v1__series_ceiling_report__descriptor);
  if (r == NULL)
    return RT_ENOMEM;
  r->commitment_id = dup_text(it->id, &failed);
  r->title = dup_text(it->title, &failed);
  r->indicator_name = dup_text(ind->name, &failed);
  r->unit = dup_text(ind->unit, &failed);
  r->ceiling = ind->series_ceiling->value;
  r->direction = rt_review_indicator_decreases(ind)
                     ? RECTRACK__V1__DIRECTION__DIRECTION_DECREASE
                     : RECTRACK__V1__DIRECTION__DIRECTION_INCREASE;
  r->series_count = (int32_t)it->series_count;
  r->above_count = (int32_t)above;
  if (failed || !add_keys(r, m, it, &failed))
    return RT_ENOMEM;
  for (size_t i = it->series_first; i < it->series_first + it->series_count;
       i++)
    if (m->series[i].above_ceiling &&
        (max_items == 0 || r->n_above < max_items) &&
        !add_above(r, &m->series[i], &failed))
      return RT_ENOMEM;
  rt_review_buf_t sentence = {0};
  rt_review_series_sentence(r, &sentence);
  r->sentence = sentence.failed ? NULL : strdup(rt_review_buf_str(&sentence));
  rt_review_buf_free(&sentence);
  return r->sentence ? 0 : RT_ENOMEM;
}

int rt_review_series_summarise(Rectrack__V1__ReviewSummary *s,
                               const rt_review_model_t *m, size_t max_items) {
  for (size_t i = 0; i < m->com_count; i++) {
    const rt_review_item_t *it = &m->coms[i];
    if (!it->has_indicator)
      continue;
    s->series_count += (int32_t)it->series_count;
    if (it->com->indicator->series_ceiling == NULL)
      continue;
    size_t above = 0;
    for (size_t k = it->series_first; k < it->series_first + it->series_count;
         k++)
      above += m->series[k].above_ceiling;
    s->series_ceiling_count++;
    s->series_above_ceiling_count += (int32_t)above;
    if (max_items != 0 && s->n_series_ceilings >= max_items)
      continue;
    int rc = add_report(s, m, it, above, max_items);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int rt_review_series_report_trim(Rectrack__V1__SeriesCeilingReport *r,
                                 size_t max_items) {
  if (max_items == 0 || r->n_above <= max_items)
    return 0;
  while (r->n_above > max_items)
    protobuf_c_message_free_unpacked(&r->above[--r->n_above]->base, NULL);
  rt_review_buf_t sentence = {0};
  rt_review_series_sentence(r, &sentence);
  char *text = sentence.failed ? NULL : strdup(rt_review_buf_str(&sentence));
  rt_review_buf_free(&sentence);
  if (text == NULL)
    return RT_ENOMEM;
  free(r->sentence);
  r->sentence = text;
  return 0;
}

/* "5 per cent", "5%", "5". */
static void put_amount(rt_review_buf_t *out, double value, const char *unit) {
  char number[32];
  rt_review_format_number(value, number);
  rt_review_buf_puts(out, number);
  unit = text_or_empty(unit);
  if (unit[0] != '\0')
    rt_review_buf_printf(out, "%s%s", strcmp(unit, "%") == 0 ? "" : " ", unit);
}

void rt_review_series_sentence(const Rectrack__V1__SeriesCeilingReport *r,
                               rt_review_buf_t *out) {
  bool corridors =
      r->n_dimension_keys == 1 && strcmp(r->dimension_keys[0], "corridor") == 0;
  const char *side = r->direction == RECTRACK__V1__DIRECTION__DIRECTION_INCREASE
                         ? "below"
                         : "above";
  rt_review_buf_printf(out, "%s: ", text_or_empty(r->commitment_id));
  if (r->series_count == 0) {
    rt_review_buf_printf(out, "no series measured yet against the %s of ",
                         side[0] == 'a' ? "ceiling" : "floor");
    put_amount(out, r->ceiling, r->unit);
    rt_review_buf_puts(out, ".");
    return;
  }
  if (r->above_count == 0)
    rt_review_buf_printf(out, "no %s %s ", corridors ? "corridor" : "series",
                         side);
  else
    rt_review_buf_printf(out, "%d %s %s ", r->above_count,
                         !corridors            ? "series"
                         : r->above_count == 1 ? "corridor"
                                               : "corridors",
                         side);
  put_amount(out, r->ceiling, r->unit);
  for (size_t i = 0; i < r->n_above; i++) {
    const Rectrack__V1__MeasurementSeries *x = r->above[i];
    char value[32];
    rt_review_format_number(x->latest_value, value);
    rt_review_buf_puts(out, i ? ", " : ": ");
    rt_review_series_label(x->dimensions, x->n_dimensions, out);
    rt_review_buf_printf(out, " (%s, %s)", value,
                         text_or_empty(x->latest_as_of));
  }
  if ((size_t)r->above_count > r->n_above)
    rt_review_buf_printf(out, ", and %zu more",
                         (size_t)r->above_count - r->n_above);
  rt_review_buf_puts(out, ".");
}

/* ---- the series table ------------------------------------------------- */

static const rt_review_column_t series_columns[] = {
    {"commitment_id", "Commitment", RT_CELL_TEXT, RT_COL_DOC, 12},
    {"indicator", "Indicator", RT_CELL_TEXT, 0, 30},
    {"dimensions", "Series", RT_CELL_TEXT, RT_COL_DOC, 28},
    {"latest_value", "Latest", RT_CELL_NUMBER, RT_COL_DOC, 10},
    {"as_of", "As of", RT_CELL_DATE, RT_COL_DOC, 12},
    {"unit", "Unit", RT_CELL_TEXT, RT_COL_DOC, 10},
    {"progress", "Progress", RT_CELL_NUMBER, RT_COL_PERCENT, 10},
    {"trajectory", "Trajectory", RT_CELL_TRAJ, RT_COL_DOC, 12},
    {"measurement_count", "Measurements", RT_CELL_INT, 0, 12},
    {"ceiling", "Per-series ceiling", RT_CELL_NUMBER, RT_COL_DOC, 12},
    {"above_ceiling", "Beyond it", RT_CELL_BOOL, RT_COL_DOC, 10},
};

static size_t series_rows(const rt_review_ctx_t *ctx) {
  return ctx->model->series_count;
}

static void set_text(rt_review_cell_t *c, const char *s) {
  c->text = text_or_empty(s);
  c->empty = c->text[0] == '\0';
}

static void set_number(rt_review_cell_t *c, double v, bool present) {
  c->number = v;
  c->empty = !present || !isfinite(v);
}

static void set_int(rt_review_cell_t *c, long v, bool present) {
  c->integer = v;
  c->empty = !present;
}

static int series_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const rt_review_series_t *s = &ctx->model->series[row];
  const Rectrack__V1__Indicator *ind = s->item->com->indicator;
  set_text(&c[0], s->item->id);
  set_text(&c[1], ind->name);
  set_text(&c[2], s->name);
  set_number(&c[3], s->latest_value, true);
  set_text(&c[4], s->latest_as_of);
  set_text(&c[5], ind->unit);
  set_number(&c[6], s->progress, true);
  set_int(&c[7], s->trajectory, true);
  set_int(&c[8], (long)s->meas_count, true);
  set_number(&c[9], s->has_ceiling ? ind->series_ceiling->value : 0,
             s->has_ceiling);
  set_int(&c[10], s->above_ceiling, s->has_ceiling);
  return 0;
}

const rt_review_table_t rt_review_table_series = {
    "series",       "Disaggregated series",
    series_columns, sizeof series_columns / sizeof series_columns[0],
    series_rows,    series_fill};
