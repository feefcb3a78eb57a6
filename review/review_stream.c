/*
 * A review rendered from a source (rt_review_stream_new): the rows of a
 * table come from walks of the caller's snapshot in the document's order,
 * one subject at a time. For each subject the stream asks the source for
 * its follow-ups and measurements and builds the ordinary model
 * (review_model.c) of a data set of that subject alone: a window. The
 * table's own fill function then writes the row from the window exactly
 * as it would from the model of the whole data set, since everything a
 * row says (status as of the date, previous status, overdue days, the
 * indicator's latest value) depends on its subject's records only. The
 * window and what the source handed out for it are released before the
 * next subject, so the memory of a streamed document is one subject's
 * records, whatever the size of the data set.
 *
 * Orders, as the model sorts them: recommendations by theme (natural
 * order, no theme last; the distinct themes are the only thing kept for
 * the whole walk) then id; commitments by id; the follow-ups of the
 * period by as_of then revision (the source's walk); measurements by
 * commitment, then as_of and revision (the window sorts them).
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_review_stream {
  rt_review_source_t src;
  char from[11], to[11], as_of[11];
  uint64_t revision;
  const rt_review_table_t *table; /* the table being walked */
  bool walk_open;
  /* Recommendations: the themes in the document's order. */
  char **themes;
  size_t n_themes, theme_at;
  bool themes_read;
  /* The window: the model of one subject's records. */
  rt_review_input_t win_in;
  rt_review_model_t win;
  bool win_open;
  Rectrack__V1__Recommendation *win_rec;
  Rectrack__V1__Commitment *win_com;
  size_t meas_at; /* measurements: the window's next row */
};

static int compare_themes(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  if ((x[0] == '\0') != (y[0] == '\0'))
    return x[0] == '\0' ? 1 : -1;
  int c = rt_review_natcmp(x, y);
  return c ? c : strcmp(x, y);
}

int rt_review_stream_open(const rt_review_stream_input_t *in,
                          rt_review_stream_t **out, rt_error_t *err) {
  *out = NULL;
  const rt_review_source_t *src = in->source;
  if (src == NULL || !src->themes || !src->open || !src->next ||
      !src->follow_ups || !src->measurements || !src->subject || !src->release)
    return rt_error_set(err, RT_EINVAL, "source",
                        "a streamed review needs a source with every "
                        "callback");
  /* The dates are checked by the model of an empty data set. */
  rt_review_input_t dates = {
      .from_date = in->from_date, .to_date = in->to_date, .as_of = in->as_of};
  rt_review_model_t m;
  int rc = rt_review_model_init(&m, &dates, err);
  if (rc != 0)
    return rc;
  rt_review_stream_t *st = calloc(1, sizeof *st);
  if (st == NULL) {
    rt_review_model_close(&m);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  st->src = *src;
  memcpy(st->from, m.from, sizeof st->from);
  memcpy(st->to, m.to, sizeof st->to);
  memcpy(st->as_of, m.as_of, sizeof st->as_of);
  st->revision = in->revision;
  rt_review_model_close(&m);
  *out = st;
  return 0;
}

/* Ends the current subject: its model, and what the source gave for it. */
static void close_window(rt_review_stream_t *st) {
  if (st->win_open)
    rt_review_model_close(&st->win);
  st->win_open = false;
  st->win_rec = NULL;
  st->win_com = NULL;
  st->meas_at = 0;
  st->src.release(st->src.data);
}

/* The model of one subject (record is a Recommendation or Commitment)
 * with its follow-ups and, for a commitment, its measurements. 0 with
 * st->win open (it may hold no item: an archived record), or an error. */
static int open_window(rt_review_stream_t *st, const ProtobufCMessage *record,
                       rt_error_t *err) {
  bool is_rec = record->descriptor == &rectrack__v1__recommendation__descriptor;
  if (is_rec)
    st->win_rec = (Rectrack__V1__Recommendation *)record;
  else
    st->win_com = (Rectrack__V1__Commitment *)record;
  const char *id = is_rec ? st->win_rec->id : st->win_com->id;
  Rectrack__V1__FollowUp *const *fus = NULL;
  Rectrack__V1__Measurement *const *meas = NULL;
  size_t n_fus = 0, n_meas = 0;
  int rc = st->src.follow_ups(st->src.data, id, &fus, &n_fus);
  if (rc == 0 && !is_rec)
    rc = st->src.measurements(st->src.data, id, &meas, &n_meas);
  if (rc < 0)
    return rt_error_set(err, rc, NULL, "cannot read the records of %.40s", id);
  st->win_in = (rt_review_input_t){
      .from_date = st->from,
      .to_date = st->to,
      .as_of = st->as_of,
      .revision = st->revision,
      .recommendations = is_rec ? &st->win_rec : NULL,
      .recommendation_count = is_rec ? 1 : 0,
      .commitments = is_rec ? NULL : &st->win_com,
      .commitment_count = is_rec ? 0 : 1,
      .follow_ups = fus,
      .follow_up_count = n_fus,
      .measurements = meas,
      .measurement_count = n_meas,
  };
  rc = rt_review_model_init(&st->win, &st->win_in, err);
  if (rc == 0)
    st->win_open = true;
  return rc;
}

static bool window_has_item(const rt_review_stream_t *st) {
  return st->win.rec_count + st->win.com_count > 0;
}

/* Reads and orders the themes of the recommendations, once. */
static int read_themes(rt_review_stream_t *st) {
  const char *const *themes = NULL;
  size_t n = 0;
  int rc = st->src.themes(st->src.data, &themes, &n);
  if (rc < 0)
    return rc;
  st->themes = calloc(n + 1, sizeof *st->themes);
  if (st->themes == NULL)
    return RT_ENOMEM;
  bool has_empty = false;
  for (size_t i = 0; i < n; i++) {
    const char *theme = themes[i] ? themes[i] : "";
    if (theme[0] == '\0') {
      has_empty = true;
      continue;
    }
    if ((st->themes[st->n_themes] = strdup(theme)) == NULL)
      return RT_ENOMEM;
    st->n_themes++;
  }
  qsort(st->themes, st->n_themes, sizeof *st->themes, compare_themes);
  if (has_empty && (st->themes[st->n_themes++] = strdup("")) == NULL)
    return RT_ENOMEM;
  st->src.release(st->src.data);
  st->themes_read = true;
  return 0;
}

/* The next record of the current walk, opening the walk when needed;
 * 1 with *record, 0 at the end of the table's walks. */
static int next_record(rt_review_stream_t *st, const ProtobufCMessage **record,
                       bool by_theme, rt_review_walk_kind_t kind) {
  for (;;) {
    if (!st->walk_open) {
      rt_review_walk_t walk = {
          .kind = kind, .theme = "", .from_date = st->from, .to_date = st->to};
      if (by_theme) {
        if (st->theme_at == st->n_themes)
          return 0;
        walk.theme = st->themes[st->theme_at++];
      }
      int rc = st->src.open(st->src.data, &walk);
      if (rc < 0)
        return rc;
      st->walk_open = true;
    }
    int rc = st->src.next(st->src.data, record);
    if (rc != 0)
      return rc;
    st->walk_open = false;
    if (!by_theme)
      return 0;
  }
}

/* Recommendations and commitments: one row per active subject. */
static int subject_row(rt_review_doc_t *doc, const rt_review_table_t *t,
                       bool recommendations) {
  rt_review_stream_t *st = doc->stream;
  rt_error_t err;
  if (recommendations && !st->themes_read) {
    int rc = read_themes(st);
    if (rc < 0)
      return rc;
  }
  for (;;) {
    close_window(st);
    const ProtobufCMessage *record = NULL;
    int rc = next_record(st, &record, recommendations,
                         recommendations ? RT_REVIEW_WALK_THEME
                                         : RT_REVIEW_WALK_COMMITMENTS);
    if (rc <= 0)
      return rc;
    if ((rc = open_window(st, record, &err)) != 0)
      return rc;
    if (!window_has_item(st))
      continue; /* archived */
    doc->ctx.model = &st->win;
    return t->fill(&doc->ctx, 0, doc->cells) == 0 ? 1 : RT_ENOMEM;
  }
}

/* Follow-ups of the period: the subject's window says the previous
 * status and whether the report counts (validated, subject active). */
static int follow_up_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_stream_t *st = doc->stream;
  rt_error_t err;
  for (;;) {
    close_window(st);
    const ProtobufCMessage *record = NULL;
    int rc = next_record(st, &record, false, RT_REVIEW_WALK_PERIOD);
    if (rc <= 0)
      return rc;
    const Rectrack__V1__FollowUp *fu = (const void *)record;
    const ProtobufCMessage *subject = NULL;
    if ((rc = st->src.subject(st->src.data, fu->subject_id, &subject)) < 0)
      return rc;
    if (subject == NULL)
      continue;
    if ((rc = open_window(st, subject, &err)) != 0)
      return rc;
    const rt_review_model_t *w = &st->win;
    size_t k = 0;
    while (k < w->follow_up_count &&
           (w->follow_ups[k]->revision != fu->revision ||
            strcmp(w->follow_ups[k]->as_of, fu->as_of) != 0))
      k++;
    if (k == w->follow_up_count)
      continue; /* not validated, or of an archived subject */
    st->win.period_order[0] = k;
    st->win.period_count = 1;
    doc->ctx.model = &st->win;
    return t->fill(&doc->ctx, 0, doc->cells) == 0 ? 1 : RT_ENOMEM;
  }
}

/* Measurements: the rows of each active commitment's window in turn. */
static int measurement_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_stream_t *st = doc->stream;
  rt_error_t err;
  while (!st->win_open || st->meas_at == st->win.measurement_count) {
    close_window(st);
    const ProtobufCMessage *record = NULL;
    int rc = next_record(st, &record, false, RT_REVIEW_WALK_COMMITMENTS);
    if (rc <= 0)
      return rc;
    if ((rc = open_window(st, record, &err)) != 0)
      return rc;
  }
  doc->ctx.model = &st->win;
  return t->fill(&doc->ctx, st->meas_at++, doc->cells) == 0 ? 1 : RT_ENOMEM;
}

int rt_review_stream_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_stream_t *st = doc->stream;
  if (st->table != t) { /* a new table: its own walk from the start */
    close_window(st);
    st->table = t;
    st->walk_open = false;
    st->theme_at = 0;
  }
  if (t == &rt_review_table_recommendations)
    return subject_row(doc, t, true);
  if (t == &rt_review_table_commitments)
    return subject_row(doc, t, false);
  if (t == &rt_review_table_follow_ups)
    return follow_up_row(doc, t);
  if (t == &rt_review_table_measurements)
    return measurement_row(doc, t);
  return RT_EINVAL; /* a table that is not streamed (rt_review_streams) */
}

void rt_review_stream_free(rt_review_stream_t *st) {
  if (st == NULL)
    return;
  if (st->win_open)
    rt_review_model_close(&st->win);
  for (size_t i = 0; i < st->n_themes; i++)
    free(st->themes[i]);
  free(st->themes);
  free(st);
}
