/*
 * A review rendered from a source (rt_review_stream_new): the document is
 * written as the caller's snapshot is walked, one subject at a time. For
 * each subject the stream asks the source for its follow-ups and
 * measurements and builds the ordinary model (review_model.c) of a data
 * set of that subject alone: a window. A table's own fill function then
 * writes the row from the window (and, for the lists of the summary, from
 * the window's own summary) exactly as it would from the model of the
 * whole data set, since everything a row says (status as of the date,
 * previous status, overdue days, the indicator's latest value) depends on
 * its subject's records only. The window and what the source handed out
 * for it are released before the next subject.
 *
 * The figures at the head of the document come from a first pass over
 * the same snapshot (rt_review_stream_figures): every subject's window
 * adds to counters keyed by theme, actor, SDG target, GCM objective and
 * status, so that the pass keeps the distinct keys (and the actors'
 * names), never the records; of the disaggregated series it keeps only
 * each ceiling report (the few series beyond their ceiling).
 *
 * Orders, as the model sorts them: recommendations by theme (natural
 * order, no theme last) then id; commitments by id; the period's
 * follow-ups by as_of then revision; overdue items by due date (the most
 * overdue first), recommendations first, then id; measurements by
 * commitment, then as_of and revision (the window sorts them).
 */
#include "review_lineage.h"
#include "review_pledges.h"
#include "review_series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- keyed counters (the first pass) ---------------------------------- */

typedef struct key_entry {
  char *key;
  int32_t by_status[RT_REVIEW_STATUS_COUNT];
  int32_t count, implemented; /* KeyCount: items, implemented ones */
} key_entry_t;

typedef struct counter {
  key_entry_t *entries;
  size_t n, cap;
  uint32_t *slots; /* index + 1, 0 empty */
  size_t n_slots;
  bool failed;
} counter_t;

static uint64_t hash_key(const char *key) {
  uint64_t h = 1469598103934665603ull;
  for (; *key; key++)
    h = (h ^ (unsigned char)*key) * 1099511628211ull;
  return h;
}

static bool counter_grow(counter_t *c) {
  size_t n_slots = c->n_slots ? c->n_slots * 2 : 64;
  uint32_t *slots = calloc(n_slots, sizeof *slots);
  if (slots == NULL)
    return false;
  for (size_t i = 0; i < c->n; i++) {
    size_t at = hash_key(c->entries[i].key) & (n_slots - 1);
    while (slots[at])
      at = (at + 1) & (n_slots - 1);
    slots[at] = (uint32_t)i + 1;
  }
  free(c->slots);
  c->slots = slots;
  c->n_slots = n_slots;
  return true;
}

/* The entry of key, added when new; NULL (and c->failed) without memory. */
static key_entry_t *counter_at(counter_t *c, const char *key) {
  if (c->failed)
    return NULL;
  if (2 * (c->n + 1) > c->n_slots && !counter_grow(c)) {
    c->failed = true;
    return NULL;
  }
  size_t at = hash_key(key) & (c->n_slots - 1);
  while (c->slots[at]) {
    key_entry_t *e = &c->entries[c->slots[at] - 1];
    if (strcmp(e->key, key) == 0)
      return e;
    at = (at + 1) & (c->n_slots - 1);
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    key_entry_t *entries = realloc(c->entries, cap * sizeof *entries);
    if (entries == NULL) {
      c->failed = true;
      return NULL;
    }
    c->entries = entries;
    c->cap = cap;
  }
  key_entry_t *e = &c->entries[c->n];
  memset(e, 0, sizeof *e);
  if ((e->key = strdup(key)) == NULL) {
    c->failed = true;
    return NULL;
  }
  c->slots[at] = (uint32_t)++c->n;
  return e;
}

static void count_status(counter_t *c, const char *key, int status) {
  key_entry_t *e = counter_at(c, key ? key : "");
  if (e != NULL && status >= 0 && status < RT_REVIEW_STATUS_COUNT)
    e->by_status[status]++;
}

/* A tag's count, implemented ones, and (for the breakdowns) per status. */
static void count_key(counter_t *c, const char *key, int status) {
  key_entry_t *e = counter_at(c, key);
  if (e != NULL) {
    e->count++;
    e->implemented += status == RECTRACK__V1__STATUS__STATUS_IMPLEMENTED;
    if (status >= 0 && status < RT_REVIEW_STATUS_COUNT)
      e->by_status[status]++;
  }
}

static void counter_free(counter_t *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->entries[i].key);
  free(c->entries);
  free(c->slots);
  memset(c, 0, sizeof *c);
}

static int compare_entries(const void *a, const void *b) {
  const key_entry_t *x = *(const key_entry_t *const *)a;
  const key_entry_t *y = *(const key_entry_t *const *)b;
  int c = rt_review_natcmp(x->key, y->key);
  return c ? c : strcmp(x->key, y->key);
}

/* The entries in natural order of their keys; NULL without memory. */
static key_entry_t **counter_sorted(const counter_t *c) {
  key_entry_t **order = malloc((c->n + 1) * sizeof *order);
  if (order == NULL)
    return NULL;
  for (size_t i = 0; i < c->n; i++)
    order[i] = &c->entries[i];
  qsort(order, c->n, sizeof *order, compare_entries);
  return order;
}

/* ---- building the document's summary ---------------------------------- */

static bool grow_array(void ***array, size_t count) {
  void **bigger = realloc(*array, (count + 1) * sizeof **array);
  if (bigger == NULL)
    return false;
  *array = bigger;
  return true;
}

static void *push_message(void ***array, size_t *count,
                          const ProtobufCMessageDescriptor *d, bool *failed) {
  void *msg = malloc(d->sizeof_message);
  if (msg == NULL || !grow_array(array, *count)) {
    free(msg);
    *failed = true;
    return NULL;
  }
  protobuf_c_message_init(d, msg);
  (*array)[(*count)++] = msg;
  return msg;
}

static char *dup_or_fail(const char *s, bool *failed) {
  char *copy = strdup(s ? s : "");
  if (copy == NULL)
    *failed = true;
  return copy;
}

/* max_keys: the entries of at most this many keys, the first in natural
 * order (0: every key). */
static void emit_status_counts(const counter_t *c, size_t max_keys,
                               Rectrack__V1__StatusCount ***out, size_t *n,
                               bool *failed) {
  key_entry_t **order = counter_sorted(c);
  if (order == NULL) {
    *failed = true;
    return;
  }
  size_t keys = max_keys && max_keys < c->n ? max_keys : c->n;
  for (size_t i = 0; i < keys && !*failed; i++)
    for (int st = 0; st < RT_REVIEW_STATUS_COUNT && !*failed; st++) {
      if (order[i]->by_status[st] == 0)
        continue;
      Rectrack__V1__StatusCount *sc = push_message(
          (void ***)out, n, &rectrack__v1__status_count__descriptor, failed);
      if (sc == NULL)
        break;
      sc->key = dup_or_fail(order[i]->key, failed);
      sc->status = st;
      sc->count = order[i]->by_status[st];
    }
  free(order);
}

static void emit_key_counts(const counter_t *c, Rectrack__V1__KeyCount ***out,
                            size_t *n, bool *failed) {
  key_entry_t **order = counter_sorted(c);
  if (order == NULL) {
    *failed = true;
    return;
  }
  for (size_t i = 0; i < c->n && !*failed; i++) {
    Rectrack__V1__KeyCount *kc = push_message(
        (void ***)out, n, &rectrack__v1__key_count__descriptor, failed);
    if (kc == NULL)
      break;
    kc->key = dup_or_fail(order[i]->key, failed);
    kc->count = order[i]->count;
    kc->implemented = order[i]->implemented;
  }
  free(order);
}

/* ---- the stream ------------------------------------------------------- */

/* What the stream walks for a part of the document. */
enum walk_part {
  PART_NONE,
  PART_TABLE,      /* a table: stream->table */
  PART_INDICATORS, /* the HTML charts */
  PART_LISTED,     /* the JSON lists of actors or sources */
};

struct rt_review_stream {
  rt_review_source_t src;
  char from[11], to[11], as_of[11];
  uint64_t revision;
  /* The document's model (dates, actors' names) and summary. */
  rt_review_model_t *base;
  Rectrack__V1__ReviewSummary *summary;
  /* The names every part of the document may show, kept for the whole
   * document: the actors (id, name, kind, country), by id; the sources
   * and the themes added at run time (copies); names_in carries the
   * themes for the models' rt_review_theme_title. */
  Rectrack__V1__Actor *actor_records;
  const Rectrack__V1__Actor **actors;
  size_t n_actors;
  Rectrack__V1__Source **sources; /* copies, by id */
  size_t n_sources;
  Rectrack__V1__Theme **added_themes; /* copies */
  size_t n_added_themes;
  rt_review_input_t names_in;
  /* The walk of the current part. */
  int part, part_kind;
  const rt_review_table_t *table;
  bool walk_open;
  int phase; /* no information: 0 recommendations, 1 commitments */
  /* Recommendations: the themes in the document's order. */
  char **themes;
  size_t n_themes, theme_at;
  bool themes_read;
  /* The window: the model of one subject's records, and its summary. */
  rt_review_input_t win_in;
  rt_review_model_t win;
  bool win_open;
  Rectrack__V1__ReviewSummary *win_summary;
  Rectrack__V1__Recommendation *win_rec;
  Rectrack__V1__Commitment *win_com;
  size_t meas_at;        /* measurements: the window's next row */
  size_t series_at;      /* series: the window's next row */
  size_t max_list_items; /* the summary's lists: at most (0: all) */
  /* The lines of follow-up, from the walk of linked recommendations
   * before anything else (review_lineage.h). */
  rt_review_lineage_t *lineage;
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

/* Gives a model the document's actors and sources (by id) in place of
 * its own; take_names() before closing it. */
static void lend_names(rt_review_stream_t *st, rt_review_model_t *m) {
  free(m->actors);
  free(m->sources);
  m->actors = st->actors;
  m->actor_count = st->n_actors;
  m->sources = (const Rectrack__V1__Source **)st->sources;
  m->source_count = st->n_sources;
}

static void take_names(rt_review_model_t *m) {
  m->actors = NULL;
  m->actor_count = 0;
  m->sources = NULL;
  m->source_count = 0;
}

/* Ends the current subject: its model, its summary, and what the source
 * gave for it. */
static void close_window(rt_review_stream_t *st) {
  rt_review_summary_free(st->win_summary);
  st->win_summary = NULL;
  if (st->win_open) {
    take_names(&st->win); /* the stream's */
    rt_review_model_close(&st->win);
  }
  st->win_open = false;
  st->win_rec = NULL;
  st->win_com = NULL;
  st->meas_at = 0;
  st->series_at = 0;
  st->src.release(st->src.data);
}

/* The model of one subject (record is a Recommendation or Commitment)
 * with its follow-ups and, for a commitment, its measurements, and the
 * actors' names. 0 with st->win open (it may hold no item: an archived
 * record), or an error. */
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
      .themes = st->added_themes,
      .theme_count = st->n_added_themes,
  };
  rc = rt_review_model_init(&st->win, &st->win_in, err);
  if (rc != 0)
    return rc;
  st->win_open = true;
  lend_names(st, &st->win);
  if (is_rec && st->lineage != NULL)
    rt_review_model_use_lineage(&st->win, st->lineage);
  return 0;
}

/* The window's one item, or NULL (an archived record). */
static rt_review_item_t *window_item(rt_review_stream_t *st) {
  return st->win.rec_count   ? &st->win.recs[0]
         : st->win.com_count ? &st->win.coms[0]
                             : NULL;
}

/* The window's summary (its lists hold that subject's entries). */
static int window_summary(rt_review_stream_t *st) {
  if (st->win_summary == NULL &&
      (st->win_summary = rt_review_summary_from_model(&st->win)) == NULL)
    return RT_ENOMEM;
  return 0;
}

/* Reads and orders the themes of the recommendations, once. */
static int read_themes(rt_review_stream_t *st) {
  if (st->themes_read)
    return 0;
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

/* Starts walking a part of the document from its beginning. */
static void start_part(rt_review_stream_t *st, int part, int kind,
                       const rt_review_table_t *t) {
  close_window(st);
  st->part = part;
  st->part_kind = kind;
  st->table = t;
  st->walk_open = false;
  st->theme_at = 0;
  st->phase = 0;
}

/* The next record of a walk of kind, opening it when needed; by_theme:
 * one walk per theme in turn. 1 with *record, 0 at the end. */
static int next_record(rt_review_stream_t *st, const ProtobufCMessage **record,
                       bool by_theme, rt_review_walk_kind_t kind) {
  for (;;) {
    if (!st->walk_open) {
      rt_review_walk_t walk = {.kind = kind,
                               .theme = "",
                               .from_date = st->from,
                               .to_date = st->to,
                               .before = st->as_of};
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

/* Only commitments with an indicator (the charts and their table): the
 * others' records are not read. */
static bool has_indicator(const ProtobufCMessage *record) {
  return record->descriptor == &rectrack__v1__commitment__descriptor &&
         ((const Rectrack__V1__Commitment *)(const void *)record)->indicator !=
             NULL;
}

/* The next active subject of a walk that wanted() accepts (NULL: any), in
 * a window of its own: 1, 0 at the end of the walk, or an error. */
static int next_wanted(rt_review_stream_t *st, bool by_theme,
                       rt_review_walk_kind_t kind,
                       bool (*wanted)(const ProtobufCMessage *)) {
  rt_error_t err;
  if (by_theme) {
    int rc = read_themes(st);
    if (rc < 0)
      return rc;
  }
  for (;;) {
    close_window(st);
    const ProtobufCMessage *record = NULL;
    int rc = next_record(st, &record, by_theme, kind);
    if (rc <= 0)
      return rc;
    if (wanted != NULL && !wanted(record))
      continue;
    if ((rc = open_window(st, record, &err)) != 0)
      return rc;
    if (window_item(st) != NULL)
      return 1;
  }
}

static int next_subject(rt_review_stream_t *st, bool by_theme,
                        rt_review_walk_kind_t kind) {
  return next_wanted(st, by_theme, kind, NULL);
}

/* ---- the first pass --------------------------------------------------- */

typedef struct figures {
  rt_review_spec_tally_t tally;
  rt_review_pledges_t pledges;
  counter_t theme, actor, status, sdg, gcm;
  size_t recs, coms, pending;
  size_t meas_offset; /* measurement rows before the current commitment */
  /* Disaggregated series: the ceiling reports (copies of the windows',
   * bounded as the summary's lists) and the counts of fields 36-38. */
  Rectrack__V1__SeriesCeilingReport **ceilings;
  size_t n_ceilings;
  int32_t ceiling_count, above_count, series_count;
} figures_t;

static const char *const gcm_keys[] = {
    "",   "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10", "11",
    "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"};

/* Each distinct non-empty value of a list once. */
static void count_distinct_keys(counter_t *c, char *const *values, size_t n,
                                int status) {
  for (size_t i = 0; i < n; i++) {
    if (values[i] == NULL || values[i][0] == '\0')
      continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = values[j] && strcmp(values[j], values[i]) == 0;
    if (!seen)
      count_key(c, values[i], status);
  }
}

static void count_objectives(counter_t *c, const int32_t *values, size_t n,
                             int status) {
  for (size_t i = 0; i < n; i++) {
    if (values[i] < 1 || values[i] > 23)
      continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = values[j] == values[i];
    if (!seen)
      count_key(c, gcm_keys[values[i]], status);
  }
}

/* An item's actors: each distinct non-empty one once. */
static void count_actors(counter_t *c, const char *lead, char *const *others,
                         size_t n, int status) {
  if (lead && lead[0])
    count_status(c, lead, status);
  for (size_t i = 0; i < n; i++) {
    const char *a = others[i];
    if (a == NULL || a[0] == '\0' || (lead && strcmp(a, lead) == 0))
      continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = others[j] && strcmp(others[j], a) == 0;
    if (!seen)
      count_status(c, a, status);
  }
}

/* Copies a message (pack and unpack); NULL without memory. */
static void *copy_message(const ProtobufCMessage *msg) {
  size_t size = protobuf_c_message_get_packed_size(msg);
  uint8_t *bytes = malloc(size ? size : 1);
  void *copy = NULL;
  if (bytes != NULL) {
    protobuf_c_message_pack(msg, bytes);
    copy = protobuf_c_message_unpack(msg->descriptor, NULL, size, bytes);
    free(bytes);
  }
  return copy;
}

static bool push_copy_rec(Rectrack__V1__Recommendation ***array, size_t *n,
                          const ProtobufCMessage *record) {
  void *copy = copy_message(record);
  if (copy == NULL || !grow_array((void ***)array, *n)) {
    if (copy != NULL)
      protobuf_c_message_free_unpacked(copy, NULL);
    return false;
  }
  (*array)[(*n)++] = copy;
  return true;
}

/* A commitment's series: the counts, and its ceiling report while the
 * summary's list has room. */
static int add_series(rt_review_stream_t *st, figures_t *f,
                      rt_review_totals_t *totals) {
  const rt_review_item_t *it = window_item(st);
  f->series_count += (int32_t)it->series_count;
  totals->series += it->series_count;
  if (it->com->indicator->series_ceiling == NULL)
    return 0;
  int rc = window_summary(st);
  if (rc != 0)
    return rc;
  const Rectrack__V1__ReviewSummary *w = st->win_summary;
  f->ceiling_count += w->series_ceiling_count;
  f->above_count += w->series_above_ceiling_count;
  if (w->n_series_ceilings == 0 ||
      (st->max_list_items != 0 && f->n_ceilings >= st->max_list_items))
    return 0;
  Rectrack__V1__SeriesCeilingReport *copy =
      copy_message(&w->series_ceilings[0]->base);
  if (copy == NULL || !grow_array((void ***)&f->ceilings, f->n_ceilings) ||
      rt_review_series_report_trim(copy, st->max_list_items) != 0) {
    if (copy != NULL)
      protobuf_c_message_free_unpacked(&copy->base, NULL);
    return RT_ENOMEM;
  }
  f->ceilings[f->n_ceilings++] = copy;
  return 0;
}

/* What one subject adds to the figures and totals. */
static int add_subject(rt_review_stream_t *st, figures_t *f,
                       rt_review_totals_t *totals) {
  const rt_review_model_t *w = &st->win;
  const rt_review_item_t *it = window_item(st);
  int status = it->status >= 0 && it->status < RT_REVIEW_STATUS_COUNT
                   ? it->status
                   : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  f->pending += w->pending_count;
  if (it->rec && it->folded) {
    f->recs++; /* a row, counted under the latest of its line */
  } else if (it->rec) {
    const Rectrack__V1__Recommendation *r = it->rec;
    f->recs++;
    rt_review_spec_tally_add(&f->tally, it);
    count_status(&f->theme, r->theme, it->status);
    count_actors(&f->actor, r->lead_actor_id, r->addressed_to,
                 r->n_addressed_to, it->status);
    count_distinct_keys(&f->sdg, r->sdg_targets, r->n_sdg_targets, status);
    count_objectives(&f->gcm, r->gcm_objectives, r->n_gcm_objectives, status);
  } else {
    const Rectrack__V1__Commitment *c = it->com;
    f->coms++;
    count_actors(&f->actor, c->actor_id, NULL, 0, it->status);
    rt_review_pledges_add(&f->pledges, w, it);
    count_distinct_keys(&f->sdg, c->sdg_targets, c->n_sdg_targets, status);
    count_objectives(&f->gcm, c->gcm_objectives, c->n_gcm_objectives, status);
  }
  if (!it->folded)
    count_status(&f->status, "", it->status);
  for (size_t i = 0; i < w->period_count; i++) {
    size_t k = w->period_order[i];
    int to = w->follow_ups[k]->status;
    if (to >= RECTRACK__V1__STATUS__STATUS_NO_INFORMATION &&
        to <= RECTRACK__V1__STATUS__STATUS_WITHDRAWN &&
        to != w->previous_status[k])
      totals->changes++;
  }
  totals->follow_ups += w->period_count;
  totals->overdue += it->days_overdue > 0;
  totals->no_information += rt_review_lacks_information(it);
  if (it->com == NULL)
    return 0;
  if (it->has_indicator) {
    int rc = add_series(st, f, totals);
    if (rc != 0)
      return rc;
    totals->indicators++;
    if (it->trajectory >= 0 && it->trajectory < 5)
      totals->trajectories[it->trajectory]++;
    if (totals->n_charts < RT_REVIEW_MAX_CHARTS) {
      int rc = window_summary(st);
      if (rc != 0)
        return rc;
      rt_review_charted_t *chart = &totals->charts[totals->n_charts];
      chart->progress = copy_message(&st->win_summary->indicators[0]->base);
      if (chart->progress == NULL)
        return RT_ENOMEM;
      chart->meas_first = f->meas_offset;
      chart->meas_count = w->measurement_count;
      totals->n_charts++;
    }
  }
  f->meas_offset += w->measurement_count;
  totals->measurements += w->measurement_count;
  return 0;
}

static int compare_actor_ids(const void *a, const void *b) {
  return strcmp((*(const Rectrack__V1__Actor *const *)a)->id,
                (*(const Rectrack__V1__Actor *const *)b)->id);
}

/* The actors' ids and names, kept for the whole document. */
static int read_actors(rt_review_stream_t *st) {
  rt_review_walk_t walk = {.kind = RT_REVIEW_WALK_ACTORS};
  int rc = st->src.open(st->src.data, &walk);
  size_t cap = 0;
  while (rc == 0) {
    const ProtobufCMessage *record = NULL;
    rc = st->src.next(st->src.data, &record);
    if (rc <= 0)
      break;
    rc = 0;
    const Rectrack__V1__Actor *a = (const void *)record;
    if (a->id == NULL || a->id[0] == '\0')
      continue;
    if (st->n_actors == cap) {
      cap = cap ? cap * 2 : 64;
      Rectrack__V1__Actor *bigger =
          realloc(st->actor_records, cap * sizeof *bigger);
      if (bigger == NULL)
        return RT_ENOMEM;
      st->actor_records = bigger;
    }
    Rectrack__V1__Actor *copy = &st->actor_records[st->n_actors];
    rectrack__v1__actor__init(copy);
    copy->id = strdup(a->id);
    copy->name = strdup(a->name ? a->name : "");
    copy->country = strdup(a->country ? a->country : "");
    copy->kind = a->kind;
    if (copy->id == NULL || copy->name == NULL || copy->country == NULL) {
      free(copy->id);
      free(copy->name);
      free(copy->country);
      return RT_ENOMEM;
    }
    st->n_actors++;
    if (st->n_actors % 256 == 0)
      st->src.release(st->src.data);
  }
  st->src.release(st->src.data);
  if (rc < 0)
    return rc;
  st->actors = calloc(st->n_actors + 1, sizeof *st->actors);
  if (st->actors == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < st->n_actors; i++)
    st->actors[i] = &st->actor_records[i];
  qsort(st->actors, st->n_actors, sizeof *st->actors, compare_actor_ids);
  return 0;
}

static int compare_source_ids(const void *a, const void *b) {
  return strcmp((*(Rectrack__V1__Source *const *)a)->id,
                (*(Rectrack__V1__Source *const *)b)->id);
}

/* Copies of every record of a walk of sources or added themes into
 * *out (a malloc'd array of *n messages). */
static int read_copies(rt_review_stream_t *st, rt_review_walk_kind_t kind,
                       ProtobufCMessage ***out, size_t *n) {
  rt_review_walk_t walk = {.kind = kind};
  int rc = st->src.open(st->src.data, &walk);
  while (rc == 0) {
    const ProtobufCMessage *record = NULL;
    rc = st->src.next(st->src.data, &record);
    if (rc <= 0)
      break;
    void *copy = copy_message(record);
    if (copy == NULL || !grow_array((void ***)out, *n)) {
      if (copy != NULL)
        protobuf_c_message_free_unpacked(copy, NULL);
      rc = RT_ENOMEM;
      break;
    }
    (*out)[(*n)++] = copy;
    rc = 0;
    st->src.release(st->src.data);
  }
  st->src.release(st->src.data);
  return rc < 0 ? rc : 0;
}

/* Every name the document shows: actors, sources, added themes. */
static int read_names(rt_review_stream_t *st) {
  int rc = read_actors(st);
  if (rc == 0)
    rc = read_copies(st, RT_REVIEW_WALK_SOURCES,
                     (ProtobufCMessage ***)&st->sources, &st->n_sources);
  if (rc == 0)
    rc = read_copies(st, RT_REVIEW_WALK_ADDED_THEMES,
                     (ProtobufCMessage ***)&st->added_themes,
                     &st->n_added_themes);
  if (rc != 0)
    return rc;
  /* Never NULL, even empty: the models bsearch them. */
  if (st->sources == NULL &&
      (st->sources = calloc(1, sizeof *st->sources)) == NULL)
    return RT_ENOMEM;
  size_t kept = 0; /* sources without an id cannot be named */
  for (size_t i = 0; i < st->n_sources; i++)
    if (st->sources[i]->id && st->sources[i]->id[0])
      st->sources[kept++] = st->sources[i];
    else
      protobuf_c_message_free_unpacked(&st->sources[i]->base, NULL);
  st->n_sources = kept;
  if (kept > 0)
    qsort(st->sources, kept, sizeof *st->sources, compare_source_ids);
  st->names_in.themes = st->added_themes;
  st->names_in.theme_count = st->n_added_themes;
  return 0;
}

/* The per-status counts of each SDG target or GCM objective row of the
 * summary (which lists the counter's keys in the same order). */
static rt_review_breakdown_t *breakdowns_of(const counter_t *c) {
  key_entry_t **order = counter_sorted(c);
  rt_review_breakdown_t *b = calloc(c->n + 1, sizeof *b);
  if (order == NULL || b == NULL) {
    free(order);
    free(b);
    return NULL;
  }
  for (size_t i = 0; i < c->n; i++)
    for (int st = 0; st < RT_REVIEW_STATUS_COUNT; st++)
      b[i].counts[st] = order[i]->by_status[st];
  free(order);
  return b;
}

static Rectrack__V1__ReviewSummary *
build_summary(const rt_review_stream_t *st, figures_t *f,
              const rt_review_totals_t *totals) {
  bool failed = false;
  Rectrack__V1__ReviewSummary *s = malloc(sizeof *s);
  if (s == NULL)
    return NULL;
  rectrack__v1__review_summary__init(s);
  s->from_date = dup_or_fail(st->from, &failed);
  s->to_date = dup_or_fail(st->to, &failed);
  s->as_of = dup_or_fail(st->as_of, &failed);
  s->revision = st->revision;
  s->recommendation_count = (int32_t)f->recs;
  s->commitment_count = (int32_t)f->coms;
  s->pending_count = (int32_t)f->pending;
  s->change_count = (int32_t)totals->changes;
  s->overdue_count = (int32_t)totals->overdue;
  s->indicator_count = (int32_t)totals->indicators;
  s->no_information_count = (int32_t)totals->no_information;
  s->actor_count = (int32_t)f->actor.n;
  emit_status_counts(&f->theme, 0, &s->by_theme, &s->n_by_theme, &failed);
  emit_status_counts(&f->actor, st->max_list_items, &s->by_actor,
                     &s->n_by_actor, &failed);
  emit_status_counts(&f->status, 0, &s->by_status, &s->n_by_status, &failed);
  emit_key_counts(&f->sdg, &s->by_sdg_target, &s->n_by_sdg_target, &failed);
  emit_key_counts(&f->gcm, &s->by_gcm_objective, &s->n_by_gcm_objective,
                  &failed);
  if (rt_review_lineage_summarise(s, st->base, st->lineage, &f->tally, f->recs,
                                  st->max_list_items) != 0 ||
      rt_review_pledges_summarise(s, &f->pledges, st->max_list_items) != 0)
    failed = true;
  /* The reports move into the summary. */
  s->series_ceilings = f->ceilings;
  s->n_series_ceilings = f->n_ceilings;
  f->ceilings = NULL;
  f->n_ceilings = 0;
  s->series_ceiling_count = f->ceiling_count;
  s->series_above_ceiling_count = f->above_count;
  s->series_count = f->series_count;
  if (failed) {
    rt_review_summary_free(s);
    return NULL;
  }
  return s;
}

/* The lines of follow-up: the linked recommendations, copied while they
 * are read (memory: those records, never all), then built into the
 * stream's lineage. */
static int read_lineage(rt_review_stream_t *st) {
  if (st->lineage != NULL)
    return 0;
  rt_review_walk_t walk = {.kind = RT_REVIEW_WALK_LINKED};
  Rectrack__V1__Recommendation **copies = NULL;
  size_t n = 0;
  int rc = st->src.open(st->src.data, &walk);
  while (rc == 0) {
    const ProtobufCMessage *record = NULL;
    rc = st->src.next(st->src.data, &record);
    if (rc <= 0)
      break;
    rc = 0;
    if (record->descriptor != &rectrack__v1__recommendation__descriptor)
      continue;
    if (!push_copy_rec(&copies, &n, record))
      rc = RT_ENOMEM;
    st->src.release(st->src.data);
  }
  st->src.release(st->src.data);
  if (rc == 0)
    rc = rt_review_lineage_build(
        (const Rectrack__V1__Recommendation *const *)copies, n, &st->lineage);
  for (size_t i = 0; i < n; i++)
    protobuf_c_message_free_unpacked(&copies[i]->base, NULL);
  free(copies);
  return rc;
}

int rt_review_stream_figures(rt_review_stream_t *st, rt_review_model_t *base,
                             bool read_figures,
                             Rectrack__V1__ReviewSummary **summary,
                             rt_review_totals_t *totals,
                             rt_review_breakdown_t **breakdowns) {
  *summary = NULL;
  memset(totals, 0, sizeof *totals);
  st->base = base;
  int rc = read_names(st);
  base->in = &st->names_in;
  lend_names(st, base);
  if (rc == 0)
    rc = read_lineage(st);
  if (rc != 0 || !read_figures)
    return rc;
  figures_t f = {0};
  start_part(st, PART_NONE, 0, NULL);
  while (rc == 0 && (rc = next_subject(st, true, RT_REVIEW_WALK_THEME)) == 1)
    rc = add_subject(st, &f, totals);
  start_part(st, PART_NONE, 0, NULL);
  while (rc == 0 &&
         (rc = next_subject(st, false, RT_REVIEW_WALK_COMMITMENTS)) == 1)
    rc = add_subject(st, &f, totals);
  start_part(st, PART_NONE, 0, NULL);
  if (rc == 0 && (f.theme.failed || f.actor.failed || f.status.failed ||
                  f.sdg.failed || f.gcm.failed))
    rc = RT_ENOMEM;
  if (rc == 0 && (st->summary = build_summary(st, &f, totals)) == NULL)
    rc = RT_ENOMEM;
  if (rc == 0 && breakdowns != NULL &&
      ((breakdowns[0] = breakdowns_of(&f.sdg)) == NULL ||
       (breakdowns[1] = breakdowns_of(&f.gcm)) == NULL))
    rc = RT_ENOMEM;
  counter_free(&f.theme);
  counter_free(&f.actor);
  counter_free(&f.status);
  counter_free(&f.sdg);
  counter_free(&f.gcm);
  rt_review_spec_tally_free(&f.tally);
  rt_review_pledges_free(&f.pledges);
  for (size_t i = 0; i < f.n_ceilings; i++)
    protobuf_c_message_free_unpacked(&f.ceilings[i]->base, NULL);
  free(f.ceilings);
  *summary = st->summary;
  return rc;
}

/* ---- rows ------------------------------------------------------------- */

/* The row is written from the window: the fill function gets row index
 * `row` of the window's model or summary. */
static int fill_from_window(rt_review_doc_t *doc, const rt_review_table_t *t,
                            size_t row) {
  rt_review_stream_t *st = doc->stream;
  doc->ctx.model = &st->win;
  doc->ctx.summary = st->win_summary ? st->win_summary : st->summary;
  doc->fill_row = row;
  return t->fill(&doc->ctx, row, doc->cells) == 0 ? 1 : RT_ENOMEM;
}

/* The next follow-up of the period that counts (validated, of an active
 * subject), or with changes_only the next that changes its subject's
 * status: 1 with the subject's window open and *index the follow-up's
 * place in the window's follow-ups (changes_only: the change's place in
 * the window summary's changes), 0 at the end, or an error. The
 * subject's window says the previous status. */
static int next_period_entry(rt_review_stream_t *st, bool changes_only,
                             size_t *index) {
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
    if (!changes_only) {
      *index = k;
      return 1;
    }
    if ((rc = window_summary(st)) != 0)
      return rc;
    const Rectrack__V1__ReviewSummary *s = st->win_summary;
    for (size_t i = 0; i < s->n_changes; i++)
      if (s->changes[i]->follow_up != NULL &&
          s->changes[i]->follow_up->revision == fu->revision &&
          strcmp(s->changes[i]->follow_up->as_of, fu->as_of) == 0) {
        *index = i;
        return 1;
      }
  }
}

/* Follow-ups and changes of the period. */
static int period_row(rt_review_doc_t *doc, const rt_review_table_t *t,
                      bool changes_only) {
  rt_review_stream_t *st = doc->stream;
  size_t index = 0;
  int rc = next_period_entry(st, changes_only, &index);
  if (rc <= 0)
    return rc;
  if (changes_only)
    return fill_from_window(doc, t, index);
  st->win.period_order[0] = index;
  st->win.period_count = 1;
  return fill_from_window(doc, t, 0);
}

/* Measurements: the rows of each active commitment's window in turn. */
static int measurement_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_stream_t *st = doc->stream;
  while (!st->win_open || st->meas_at == st->win.measurement_count) {
    int rc = next_subject(st, false, RT_REVIEW_WALK_COMMITMENTS);
    if (rc <= 0)
      return rc;
  }
  return fill_from_window(doc, t, st->meas_at++);
}

/* Series: the rows of each commitment with an indicator in turn. */
static int series_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_stream_t *st = doc->stream;
  while (!st->win_open || st->series_at == st->win.series_count) {
    int rc = next_wanted(st, false, RT_REVIEW_WALK_COMMITMENTS, has_indicator);
    if (rc <= 0)
      return rc;
  }
  return fill_from_window(doc, t, st->series_at++);
}

/* The lists of the summary walked from the source. */
enum summary_list { LIST_OVERDUE, LIST_INDICATORS, LIST_NO_INFORMATION };

/* The next subject a list of the summary holds, in the list's order: 1
 * with its window and window summary (whose list holds it first), 0 at
 * the end, or an error. */
static int next_list_entry(rt_review_stream_t *st, int list) {
  for (;;) {
    int rc;
    if (list == LIST_OVERDUE)
      rc = next_subject(st, false, RT_REVIEW_WALK_DUE);
    else if (list == LIST_INDICATORS)
      rc = next_wanted(st, false, RT_REVIEW_WALK_COMMITMENTS, has_indicator);
    else if (st->phase == 0) {
      rc = next_subject(st, false, RT_REVIEW_WALK_RECOMMENDATIONS);
      if (rc == 0) {
        st->phase = 1;
        st->walk_open = false;
        continue;
      }
    } else {
      rc = next_subject(st, false, RT_REVIEW_WALK_COMMITMENTS);
    }
    if (rc <= 0)
      return rc;
    const rt_review_item_t *it = window_item(st);
    bool listed = list == LIST_OVERDUE      ? it->days_overdue > 0
                  : list == LIST_INDICATORS ? it->has_indicator
                                            : rt_review_lacks_information(it);
    if (listed)
      return window_summary(st) == 0 ? 1 : RT_ENOMEM;
  }
}

/* A list of the summary (overdue, indicators, no information) as a
 * table. */
static int summary_list_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  int rc = next_list_entry(
      doc->stream, t == &rt_review_table_overdue      ? LIST_OVERDUE
                   : t == &rt_review_table_indicators ? LIST_INDICATORS
                                                      : LIST_NO_INFORMATION);
  return rc == 1 ? fill_from_window(doc, t, 0) : rc;
}

/* Back to the document's model and summary after a part. */
static int end_part(rt_review_doc_t *doc, int rc) {
  rt_review_stream_t *st = doc->stream;
  if (rc <= 0) {
    close_window(st);
    doc->ctx.model = st->base;
    doc->ctx.summary = st->summary;
  }
  return rc;
}

int rt_review_stream_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_stream_t *st = doc->stream;
  if (st->part != PART_TABLE || st->table != t)
    start_part(st, PART_TABLE, 0, t);
  int rc;
  if (t == &rt_review_table_recommendations ||
      t == &rt_review_table_commitments) {
    bool recs = t == &rt_review_table_recommendations;
    rc = next_subject(st, recs,
                      recs ? RT_REVIEW_WALK_THEME : RT_REVIEW_WALK_COMMITMENTS);
    if (rc == 1)
      rc = fill_from_window(doc, t, 0);
  } else if (t == &rt_review_table_follow_ups ||
             t == &rt_review_table_changes) {
    rc = period_row(doc, t, t == &rt_review_table_changes);
  } else if (t == &rt_review_table_measurements) {
    rc = measurement_row(doc, t);
  } else if (t == &rt_review_table_series) {
    rc = series_row(doc, t);
  } else if (t == &rt_review_table_overdue ||
             t == &rt_review_table_indicators ||
             t == &rt_review_table_no_information) {
    rc = summary_list_row(doc, t);
  } else { /* SDG targets, GCM objectives: the document's summary */
    doc->ctx.model = st->base;
    doc->ctx.summary = st->summary;
    doc->fill_row = doc->row;
    if (doc->row >= t->row_count(&doc->ctx))
      rc = 0;
    else
      rc = t->fill(&doc->ctx, doc->row, doc->cells) == 0 ? 1 : RT_ENOMEM;
  }
  if (rc <= 0)
    st->part = PART_NONE; /* the next call of this table starts again */
  return end_part(doc, rc);
}

int rt_review_stream_indicator(rt_review_doc_t *doc,
                               const rt_review_item_t **item,
                               const rt_review_model_t **model) {
  rt_review_stream_t *st = doc->stream;
  if (st->part != PART_INDICATORS)
    start_part(st, PART_INDICATORS, 0, NULL);
  for (;;) {
    int rc = next_wanted(st, false, RT_REVIEW_WALK_COMMITMENTS, has_indicator);
    if (rc <= 0) {
      st->part = PART_NONE;
      return end_part(doc, rc);
    }
    if (window_item(st)->has_indicator) {
      *item = window_item(st);
      *model = &st->win;
      doc->ctx.model = &st->win;
      doc->row++;
      return 1;
    }
  }
}

int rt_review_stream_listed(rt_review_doc_t *doc, int kind,
                            const ProtobufCMessage **record) {
  rt_review_stream_t *st = doc->stream;
  if (st->part != PART_LISTED || st->part_kind != kind)
    start_part(st, PART_LISTED, kind, NULL);
  st->src.release(st->src.data);
  int rc = next_record(st, record, false, (rt_review_walk_kind_t)kind);
  if (rc <= 0)
    st->part = PART_NONE;
  return end_part(doc, rc);
}

/* ---- GetReviewSummary from a source ---------------------------------- */

/* Appends a copy of msg to a repeated field; false without memory. */
static bool push_copy(void ***array, size_t *count, const ProtobufCMessage *m) {
  void *copy = copy_message(m);
  if (copy == NULL || !grow_array(array, *count)) {
    if (copy != NULL)
      protobuf_c_message_free_unpacked(copy, NULL);
    return false;
  }
  (*array)[(*count)++] = copy;
  return true;
}

static bool room(size_t max, size_t listed) { return max == 0 || listed < max; }

/* The first entries of the summary's lists, each walked in its order
 * until it is full. */
static int collect_lists(rt_review_stream_t *st, Rectrack__V1__ReviewSummary *s,
                         size_t max) {
  int rc = 0;
  size_t index = 0;
  start_part(st, PART_NONE, 0, NULL);
  while (rc == 0 && room(max, s->n_changes) &&
         (rc = next_period_entry(st, true, &index)) == 1)
    rc = push_copy((void ***)&s->changes, &s->n_changes,
                   &st->win_summary->changes[index]->base)
             ? 0
             : RT_ENOMEM;
  const int lists[] = {LIST_OVERDUE, LIST_INDICATORS, LIST_NO_INFORMATION};
  for (size_t l = 0; l < 3 && rc >= 0; l++) {
    start_part(st, PART_NONE, 0, NULL);
    rc = 0;
    while (rc == 0 && (rc = next_list_entry(st, lists[l])) == 1) {
      const Rectrack__V1__ReviewSummary *w = st->win_summary;
      bool ok = true;
      if (lists[l] == LIST_OVERDUE && room(max, s->n_overdue))
        ok = push_copy((void ***)&s->overdue, &s->n_overdue,
                       &w->overdue[0]->base);
      else if (lists[l] == LIST_INDICATORS && room(max, s->n_indicators))
        ok = push_copy((void ***)&s->indicators, &s->n_indicators,
                       &w->indicators[0]->base);
      else if (lists[l] == LIST_NO_INFORMATION &&
               room(max, s->n_no_information_ids)) {
        char *id = strdup(w->no_information_ids[0]);
        ok = id != NULL && grow_array((void ***)&s->no_information_ids,
                                      s->n_no_information_ids);
        if (ok)
          s->no_information_ids[s->n_no_information_ids++] = id;
        else
          free(id);
      } else
        break; /* full */
      rc = ok ? 0 : RT_ENOMEM;
    }
  }
  start_part(st, PART_NONE, 0, NULL);
  return rc < 0 ? rc : 0;
}

int rt_review_compute_stream(const rt_review_stream_input_t *in,
                             size_t max_list_items,
                             Rectrack__V1__ReviewSummary **out,
                             rt_error_t *err) {
  *out = NULL;
  rt_review_input_t dates = {.from_date = in->from_date,
                             .to_date = in->to_date,
                             .as_of = in->as_of,
                             .revision = in->revision};
  rt_review_model_t base;
  int rc = rt_review_model_init(&base, &dates, err);
  if (rc != 0)
    return rc;
  base.in = NULL;
  free(base.actors);
  base.actors = NULL;
  rt_review_stream_t *st = NULL;
  rt_review_totals_t totals = {0};
  Rectrack__V1__ReviewSummary *s = NULL;
  if ((rc = rt_review_stream_open(in, &st, err)) != 0)
    goto done;
  st->max_list_items = max_list_items;
  if ((rc = rt_review_stream_figures(st, &base, true, &s, &totals, NULL)) !=
          0 ||
      (rc = collect_lists(st, s, max_list_items)) != 0) {
    rc = rt_error_set(err, rc, NULL, "cannot compute the review summary: %s",
                      rt_strerror(rc));
    goto done;
  }
  st->summary = NULL; /* the caller's now */
  *out = s;
done:
  for (size_t i = 0; i < totals.n_charts; i++)
    protobuf_c_message_free_unpacked(
        (ProtobufCMessage *)&totals.charts[i].progress->base, NULL);
  rt_review_stream_free(st);
  rt_review_model_close(&base);
  return rc;
}

void rt_review_stream_free(rt_review_stream_t *st) {
  if (st == NULL)
    return;
  rt_review_summary_free(st->win_summary);
  if (st->win_open) {
    take_names(&st->win); /* the stream's, freed below */
    rt_review_model_close(&st->win);
  }
  if (st->base != NULL && st->base->actors == st->actors) {
    take_names(st->base);
    st->base->in = NULL;
  }
  for (size_t i = 0; i < st->n_sources; i++)
    protobuf_c_message_free_unpacked(&st->sources[i]->base, NULL);
  free(st->sources);
  for (size_t i = 0; i < st->n_added_themes; i++)
    protobuf_c_message_free_unpacked(&st->added_themes[i]->base, NULL);
  free(st->added_themes);
  for (size_t i = 0; i < st->n_themes; i++)
    free(st->themes[i]);
  free(st->themes);
  for (size_t i = 0; i < st->n_actors; i++) {
    free(st->actor_records[i].id);
    free(st->actor_records[i].name);
    free(st->actor_records[i].country);
  }
  free(st->actor_records);
  free(st->actors);
  rt_review_summary_free(st->summary);
  rt_review_lineage_free(st->lineage);
  free(st);
}
