/*
 * rt_review_compute: turns the model of a review into the ReviewSummary
 * message GetReviewSummary returns. Every string and sub-message of the
 * summary is allocated with malloc (sub-messages copied by pack/unpack),
 * so that one protobuf_c_message_free_unpacked() call releases it all and
 * the summary shares nothing with the caller's data set. Counting is done
 * by sorting (key, status) pairs and counting runs, which gives the
 * documented order for free.
 */
#include "review_lineage.h"
#include "review_pledges.h"
#include "review_series.h"

#include <stdlib.h>
#include <string.h>

typedef struct builder {
  Rectrack__V1__ReviewSummary *s;
  bool failed;
} builder_t;

typedef struct key_value {
  uint32_t key;  /* index into the list's keys */
  uint32_t rank; /* the key's place in natural order (sort_pairs) */
  int value;     /* status, or 1 when implemented */
} key_value_t;

/* The distinct keys of a pair list, interned through a hash table so that
 * hundreds of thousands of pairs sort by integer rank: natural order is
 * only ever computed between distinct keys. */
typedef struct key_table {
  const char **keys;
  size_t n, cap;
  uint32_t *slots; /* index + 1, 0 empty */
  size_t n_slots;
  uint32_t *ranks;
} key_table_t;

typedef struct pair_list {
  key_value_t *items;
  size_t len, cap;
  key_table_t table;
  bool failed;
} pair_list_t;

static const char *const gcm_keys[] = {
    "",   "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10", "11",
    "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"};

static char *dup_text(builder_t *b, const char *s) {
  char *copy = strdup(s ? s : "");
  if (copy == NULL)
    b->failed = true;
  return copy;
}

static void *copy_message(builder_t *b, const ProtobufCMessage *msg) {
  size_t size = protobuf_c_message_get_packed_size(msg);
  uint8_t *bytes = malloc(size ? size : 1);
  void *copy = NULL;
  if (bytes != NULL) {
    protobuf_c_message_pack(msg, bytes);
    copy = protobuf_c_message_unpack(msg->descriptor, NULL, size, bytes);
    free(bytes);
  }
  if (copy == NULL)
    b->failed = true;
  return copy;
}

/* Grows a repeated field's pointer array so that one more entry fits. */
static bool grow(builder_t *b, void ***array, size_t count) {
  void **bigger = realloc(*array, (count + 1) * sizeof **array);
  if (bigger == NULL) {
    b->failed = true;
    return false;
  }
  *array = bigger;
  return true;
}

/* Appends a new, initialised message of descriptor d to a repeated field
 * (its pointer array and count); NULL (and b->failed) when out of memory.
 * The summary owns it from then on. */
static void *push_message(builder_t *b, void ***array, size_t *count,
                          const ProtobufCMessageDescriptor *d) {
  void *msg = malloc(d->sizeof_message);
  if (msg == NULL || !grow(b, array, *count)) {
    free(msg);
    b->failed = true;
    return NULL;
  }
  protobuf_c_message_init(d, msg);
  (*array)[(*count)++] = msg;
  return msg;
}

static uint64_t hash_key(const char *key) {
  uint64_t h = 1469598103934665603ull;
  for (; *key; key++)
    h = (h ^ (unsigned char)*key) * 1099511628211ull;
  return h;
}

static bool table_grow(key_table_t *t) {
  size_t n_slots = t->n_slots ? t->n_slots * 2 : 256;
  uint32_t *slots = calloc(n_slots, sizeof *slots);
  if (slots == NULL)
    return false;
  for (size_t i = 0; i < t->n; i++) {
    size_t at = hash_key(t->keys[i]) & (n_slots - 1);
    while (slots[at])
      at = (at + 1) & (n_slots - 1);
    slots[at] = (uint32_t)i + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->n_slots = n_slots;
  return true;
}

/* The index of key in t, added if new; UINT32_MAX when out of memory. */
static uint32_t intern(key_table_t *t, const char *key) {
  if (2 * (t->n + 1) > t->n_slots && !table_grow(t))
    return UINT32_MAX;
  size_t at = hash_key(key) & (t->n_slots - 1);
  while (t->slots[at]) {
    if (strcmp(t->keys[t->slots[at] - 1], key) == 0)
      return t->slots[at] - 1;
    at = (at + 1) & (t->n_slots - 1);
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    const char **keys = realloc(t->keys, cap * sizeof *keys);
    if (keys == NULL)
      return UINT32_MAX;
    t->keys = keys;
    t->cap = cap;
  }
  t->keys[t->n] = key;
  t->slots[at] = (uint32_t)t->n + 1;
  return (uint32_t)t->n++;
}

static void table_free(key_table_t *t) {
  free(t->keys);
  free(t->slots);
  free(t->ranks);
  *t = (key_table_t){0};
}

static int compare_key_pointers(const void *a, const void *b) {
  return rt_review_natcmp(**(const char *const *const *)a,
                          **(const char *const *const *)b);
}

/* ranks[i]: the place of keys[i] in natural order. */
static bool rank_keys(key_table_t *t) {
  const char ***order = malloc((t->n + 1) * sizeof *order);
  t->ranks = malloc((t->n + 1) * sizeof *t->ranks);
  if (order == NULL || t->ranks == NULL) {
    free(order);
    return false;
  }
  for (size_t i = 0; i < t->n; i++)
    order[i] = &t->keys[i];
  qsort(order, t->n, sizeof *order, compare_key_pointers);
  for (size_t i = 0; i < t->n; i++)
    t->ranks[order[i] - t->keys] = (uint32_t)i;
  free(order);
  return true;
}

static void pair_add(pair_list_t *l, const char *key, int value) {
  uint32_t index = intern(&l->table, key);
  if (index == UINT32_MAX) {
    l->failed = true;
    return;
  }
  if (l->len == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    key_value_t *items = realloc(l->items, cap * sizeof *items);
    if (items == NULL) {
      l->failed = true;
      return;
    }
    l->items = items;
    l->cap = cap;
  }
  l->items[l->len++] = (key_value_t){index, 0, value};
}

static int compare_pairs(const void *a, const void *b) {
  const key_value_t *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  return (x->value > y->value) - (x->value < y->value);
}

/* Sorts the pairs into the documented order; false (and b->failed) when
 * adding to them ran out of memory. */
static bool sort_pairs(builder_t *b, pair_list_t *l) {
  if (l->failed || !rank_keys(&l->table)) {
    b->failed = true;
    return false;
  }
  for (size_t i = 0; i < l->len; i++)
    l->items[i].rank = l->table.ranks[l->items[i].key];
  if (l->len > 0)
    qsort(l->items, l->len, sizeof *l->items, compare_pairs);
  return true;
}

static const char *pair_key(const pair_list_t *l, size_t i) {
  return l->table.keys[l->items[i].key];
}

/* The end of the run of sorted pairs that starts at i: the same key and,
 * when same_value, the same value. */
static size_t run_end(const pair_list_t *l, size_t i, bool same_value) {
  size_t j = i + 1;
  while (j < l->len && l->items[i].key == l->items[j].key &&
         (!same_value || l->items[i].value == l->items[j].value))
    j++;
  return j;
}

/* max_keys: at most this many distinct keys (0: all); *keys counts them
 * all (may be NULL). */
static void emit_status_counts(builder_t *b, pair_list_t *l, size_t max_keys,
                               int32_t *keys, Rectrack__V1__StatusCount ***out,
                               size_t *n) {
  size_t count = sort_pairs(b, l) ? l->len : 0;
  size_t distinct = 0;
  for (size_t i = 0, j; i < count && !b->failed; i = j) {
    if (i == 0 || l->items[i].key != l->items[i - 1].key)
      distinct++;
    j = run_end(l, i, true);
    if (max_keys && distinct > max_keys)
      continue;
    Rectrack__V1__StatusCount *c = push_message(
        b, (void ***)out, n, &rectrack__v1__status_count__descriptor);
    if (c == NULL)
      break;
    c->key = dup_text(b, pair_key(l, i));
    c->status = l->items[i].value;
    c->count = (int32_t)(j - i);
  }
  if (keys != NULL)
    *keys = (int32_t)distinct;
  free(l->items);
  table_free(&l->table);
}

static void emit_key_counts(builder_t *b, pair_list_t *l,
                            Rectrack__V1__KeyCount ***out, size_t *n) {
  size_t count = sort_pairs(b, l) ? l->len : 0;
  for (size_t i = 0, j; i < count && !b->failed; i = j) {
    j = run_end(l, i, false);
    Rectrack__V1__KeyCount *c =
        push_message(b, (void ***)out, n, &rectrack__v1__key_count__descriptor);
    if (c == NULL)
      break;
    c->key = dup_text(b, pair_key(l, i));
    c->count = (int32_t)(j - i);
    for (size_t k = i; k < j; k++)
      c->implemented += l->items[k].value;
  }
  free(l->items);
  table_free(&l->table);
}

/* Adds key once even when an item lists it twice. */
static void add_distinct(pair_list_t *l, size_t item_start, const char *key,
                         int value) {
  if (key == NULL || key[0] == '\0')
    return;
  for (size_t i = item_start; i < l->len; i++)
    if (strcmp(pair_key(l, i), key) == 0)
      return;
  pair_add(l, key, value);
}

static void add_targets(pair_list_t *sdg, pair_list_t *gcm,
                        const rt_review_item_t *it) {
  char **targets = it->rec ? it->rec->sdg_targets : it->com->sdg_targets;
  size_t n_targets = it->rec ? it->rec->n_sdg_targets : it->com->n_sdg_targets;
  int32_t *objectives =
      it->rec ? it->rec->gcm_objectives : it->com->gcm_objectives;
  size_t n_objectives =
      it->rec ? it->rec->n_gcm_objectives : it->com->n_gcm_objectives;
  int done = it->status == RECTRACK__V1__STATUS__STATUS_IMPLEMENTED;
  size_t start = sdg->len;
  for (size_t k = 0; k < n_targets; k++)
    add_distinct(sdg, start, targets[k], done);
  start = gcm->len;
  for (size_t k = 0; k < n_objectives; k++)
    if (objectives[k] >= 1 && objectives[k] <= 23)
      add_distinct(gcm, start, gcm_keys[objectives[k]], done);
}

static void count_items(builder_t *b, const rt_review_model_t *m) {
  Rectrack__V1__ReviewSummary *s = b->s;
  pair_list_t theme = {0}, actor = {0}, status = {0}, sdg = {0}, gcm = {0};
  for (size_t i = 0; i < m->rec_count; i++) {
    const rt_review_item_t *it = &m->recs[i];
    if (it->folded)
      continue; /* its line is counted under the latest */
    pair_add(&theme, it->rec->theme, it->status);
    pair_add(&status, "", it->status);
    size_t start = actor.len;
    add_distinct(&actor, start, it->rec->lead_actor_id, it->status);
    for (size_t k = 0; k < it->rec->n_addressed_to; k++)
      add_distinct(&actor, start, it->rec->addressed_to[k], it->status);
    add_targets(&sdg, &gcm, it);
  }
  for (size_t i = 0; i < m->com_count; i++) {
    const rt_review_item_t *it = &m->coms[i];
    pair_add(&status, "", it->status);
    add_distinct(&actor, actor.len, it->com->actor_id, it->status);
    add_targets(&sdg, &gcm, it);
  }
  emit_status_counts(b, &theme, 0, NULL, &s->by_theme, &s->n_by_theme);
  emit_status_counts(b, &actor, m->in->max_list_items, &s->actor_count,
                     &s->by_actor, &s->n_by_actor);
  emit_status_counts(b, &status, 0, NULL, &s->by_status, &s->n_by_status);
  emit_key_counts(b, &sdg, &s->by_sdg_target, &s->n_by_sdg_target);
  emit_key_counts(b, &gcm, &s->by_gcm_objective, &s->n_by_gcm_objective);
}

static void add_change(builder_t *b, const rt_review_model_t *m, size_t k) {
  Rectrack__V1__ReviewSummary *s = b->s;
  const rt_review_item_t *it = m->fu_subject[k];
  Rectrack__V1__StatusChange *c =
      push_message(b, (void ***)&s->changes, &s->n_changes,
                   &rectrack__v1__status_change__descriptor);
  if (c == NULL)
    return;
  c->subject_id = dup_text(b, it->id);
  c->subject_type = it->subject_type;
  c->title = dup_text(b, it->title);
  c->from_status = m->previous_status[k];
  c->to_status = m->follow_ups[k]->status;
  c->follow_up = copy_message(b, &m->follow_ups[k]->base);
  if (c->follow_up != NULL) {
    c->follow_up->previous_status = m->previous_status[k];
    if (c->follow_up->subject_title[0] == '\0')
      c->follow_up->subject_title = dup_text(b, it->title);
  }
}

/* Whether a list of the summary has room for one more (see
 * rt_review_input_t.max_list_items). */
static bool room(const rt_review_model_t *m, size_t listed) {
  return m->in->max_list_items == 0 || listed < m->in->max_list_items;
}

static void add_changes(builder_t *b, const rt_review_model_t *m) {
  for (size_t i = 0; i < m->period_count && !b->failed; i++) {
    size_t k = m->period_order[i];
    int to = m->follow_ups[k]->status;
    if (to >= RECTRACK__V1__STATUS__STATUS_NO_INFORMATION &&
        to <= RECTRACK__V1__STATUS__STATUS_WITHDRAWN &&
        to != m->previous_status[k]) {
      if (room(m, b->s->n_changes))
        add_change(b, m, k);
      b->s->change_count++;
    }
  }
}

static int compare_overdue(const void *a, const void *b) {
  const rt_review_item_t *x = *(rt_review_item_t *const *)a;
  const rt_review_item_t *y = *(rt_review_item_t *const *)b;
  if (x->days_overdue != y->days_overdue)
    return x->days_overdue > y->days_overdue ? -1 : 1;
  if (x->subject_type != y->subject_type)
    return x->subject_type ==
                   RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_RECOMMENDATION
               ? -1
               : 1;
  return rt_review_item_compare_ids(x, y);
}

static void add_overdue_item(builder_t *b, const rt_review_item_t *it) {
  Rectrack__V1__ReviewSummary *s = b->s;
  Rectrack__V1__OverdueItem *o =
      push_message(b, (void ***)&s->overdue, &s->n_overdue,
                   &rectrack__v1__overdue_item__descriptor);
  if (o == NULL)
    return;
  o->subject_id = dup_text(b, it->id);
  o->subject_type = it->subject_type;
  o->title = dup_text(b, it->title);
  o->due_date = dup_text(b, it->rec ? it->rec->due_date : it->com->due_date);
  o->days_overdue = (int32_t)it->days_overdue;
  o->status = it->status;
  o->lead_actor_id =
      dup_text(b, it->rec ? it->rec->lead_actor_id : it->com->actor_id);
}

static void add_overdue(builder_t *b, const rt_review_model_t *m) {
  rt_review_item_t **late = calloc(m->by_id_count + 1, sizeof *late);
  if (late == NULL) {
    b->failed = true;
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < m->by_id_count; i++)
    if (m->by_id[i]->days_overdue > 0)
      late[n++] = m->by_id[i];
  qsort(late, n, sizeof *late, compare_overdue);
  for (size_t i = 0; i < n && !b->failed && room(m, i); i++)
    add_overdue_item(b, late[i]);
  b->s->overdue_count = (int32_t)n;
  free(late);
}

static void add_indicator(builder_t *b, const rt_review_model_t *m,
                          const rt_review_item_t *it) {
  Rectrack__V1__ReviewSummary *s = b->s;
  Rectrack__V1__IndicatorProgress *p =
      push_message(b, (void ***)&s->indicators, &s->n_indicators,
                   &rectrack__v1__indicator_progress__descriptor);
  if (p == NULL)
    return;
  p->commitment_id = dup_text(b, it->id);
  p->title = dup_text(b, it->title);
  p->actor_id = dup_text(b, it->com->actor_id);
  p->indicator = copy_message(b, &it->com->indicator->base);
  if (it->has_latest) {
    p->latest_value = it->latest_value;
    p->latest_as_of = dup_text(b, it->latest_as_of);
    p->progress = it->progress;
  }
  p->trajectory = it->trajectory;
  p->measurements = calloc(it->meas_count + 1, sizeof *p->measurements);
  if (p->measurements == NULL) {
    b->failed = true;
    return;
  }
  for (size_t k = 0; k < it->meas_count && !b->failed; k++) {
    Rectrack__V1__Measurement *copy =
        copy_message(b, &m->measurements[it->meas_first + k]->base);
    if (copy != NULL)
      p->measurements[p->n_measurements++] = copy;
  }
}

static int compare_items_by_id(const void *a, const void *b) {
  return rt_review_item_compare_ids(*(const rt_review_item_t *const *)a,
                                    *(const rt_review_item_t *const *)b);
}

static void add_no_information(builder_t *b, const rt_review_model_t *m) {
  Rectrack__V1__ReviewSummary *s = b->s;
  s->no_information_ids = calloc(m->by_id_count + 1, sizeof(char *));
  const rt_review_item_t **rec_ids = calloc(m->rec_count + 1, sizeof *rec_ids);
  if (s->no_information_ids == NULL || rec_ids == NULL) {
    free(rec_ids);
    b->failed = true;
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < m->rec_count; i++)
    if (rt_review_lacks_information(&m->recs[i]))
      rec_ids[n++] = &m->recs[i];
  qsort(rec_ids, n, sizeof *rec_ids, compare_items_by_id);
  for (size_t i = 0; i < n; i++) {
    if (room(m, s->n_no_information_ids))
      s->no_information_ids[s->n_no_information_ids++] =
          dup_text(b, rec_ids[i]->id);
    s->no_information_count++;
  }
  for (size_t i = 0; i < m->com_count; i++)
    if (rt_review_lacks_information(&m->coms[i])) {
      if (room(m, s->n_no_information_ids))
        s->no_information_ids[s->n_no_information_ids++] =
            dup_text(b, m->coms[i].id);
      s->no_information_count++;
    }
  free(rec_ids);
}

Rectrack__V1__ReviewSummary *
rt_review_summary_from_model(const rt_review_model_t *m) {
  builder_t b = {.s = malloc(sizeof *b.s)};
  if (b.s == NULL)
    return NULL;
  rectrack__v1__review_summary__init(b.s);
  b.s->from_date = dup_text(&b, m->from);
  b.s->to_date = dup_text(&b, m->to);
  b.s->as_of = dup_text(&b, m->as_of);
  b.s->revision = m->in->revision;
  b.s->recommendation_count = (int32_t)m->rec_count;
  b.s->commitment_count = (int32_t)m->com_count;
  b.s->pending_count = (int32_t)m->pending_count;
  count_items(&b, m);
  add_changes(&b, m);
  add_overdue(&b, m);
  for (size_t i = 0; i < m->com_count && !b.failed; i++)
    if (m->coms[i].has_indicator) {
      if (room(m, b.s->n_indicators))
        add_indicator(&b, m, &m->coms[i]);
      b.s->indicator_count++;
    }
  add_no_information(&b, m);
  rt_review_spec_tally_t tally = {0};
  for (size_t i = 0; i < m->rec_count; i++)
    rt_review_spec_tally_add(&tally, &m->recs[i]);
  /* A stream's window borrows the document's lineage: its summary is
   * read for its lists only, so it leaves the lines out. */
  const rt_review_lineage_t *lines =
      m->lineage == m->own_lineage ? m->lineage : NULL;
  if (rt_review_lineage_summarise(b.s, m, lines, &tally, m->rec_count,
                                  m->in->max_list_items) != 0 ||
      rt_review_series_summarise(b.s, m, m->in->max_list_items) != 0)
    b.failed = true;
  rt_review_pledges_t pledges = {0};
  for (size_t i = 0; i < m->com_count; i++)
    rt_review_pledges_add(&pledges, m, &m->coms[i]);
  if (!b.failed &&
      rt_review_pledges_summarise(b.s, &pledges, m->in->max_list_items) != 0)
    b.failed = true;
  rt_review_pledges_free(&pledges);
  if (b.failed) {
    rt_review_summary_free(b.s);
    return NULL;
  }
  return b.s;
}

int rt_review_compute(const rt_review_input_t *in,
                      Rectrack__V1__ReviewSummary **out, rt_error_t *err) {
  rt_review_model_t model;
  *out = NULL;
  int rc = rt_review_model_init(&model, in, err);
  if (rc != 0)
    return rc;
  *out = rt_review_summary_from_model(&model);
  rt_review_model_close(&model);
  if (*out == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL,
                        "out of memory computing the review summary");
  return 0;
}

void rt_review_summary_free(Rectrack__V1__ReviewSummary *summary) {
  if (summary != NULL)
    protobuf_c_message_free_unpacked(&summary->base, NULL);
}
