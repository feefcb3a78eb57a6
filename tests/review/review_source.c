/*
 * The test sources of review_source.h. The array source sorts pointers to
 * the caller's records once and walks them; the generated source builds
 * each record from its number into heap memory it frees on release(), as
 * the service's source does with its arena.
 */
#include "review_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LIVE = 64 };

struct review_source {
  rt_review_source_t api;
  const rt_review_input_t *in; /* array source */
  size_t n;                    /* generated source: recommendations */
  /* The walk. */
  rt_review_walk_t walk;
  char theme[64], from[11], to[11];
  size_t at;
  /* Sorted views (array source). */
  Rectrack__V1__Recommendation **recs;
  Rectrack__V1__Commitment **coms;
  Rectrack__V1__FollowUp **period;
  size_t n_period;
  const ProtobufCMessage **due; /* recommendations and commitments */
  size_t n_due;
  Rectrack__V1__Actor **actors;
  /* What was handed out, freed on release. */
  void *live[MAX_LIVE];
  size_t n_live, peak_live;
  const char *themes[8];
};

static uint64_t id_number(const char *id) {
  return id && id[0] ? strtoull(id + 1, NULL, 10) : 0;
}

static int compare_rec_ids(const void *a, const void *b) {
  uint64_t x = id_number((*(Rectrack__V1__Recommendation *const *)a)->id);
  uint64_t y = id_number((*(Rectrack__V1__Recommendation *const *)b)->id);
  return (x > y) - (x < y);
}

static int compare_com_ids(const void *a, const void *b) {
  uint64_t x = id_number((*(Rectrack__V1__Commitment *const *)a)->id);
  uint64_t y = id_number((*(Rectrack__V1__Commitment *const *)b)->id);
  return (x > y) - (x < y);
}

static int compare_period(const void *a, const void *b) {
  const Rectrack__V1__FollowUp *x = *(Rectrack__V1__FollowUp *const *)a;
  const Rectrack__V1__FollowUp *y = *(Rectrack__V1__FollowUp *const *)b;
  int c = strcmp(x->as_of, y->as_of);
  if (c == 0)
    c = (x->revision > y->revision) - (x->revision < y->revision);
  return c;
}

/* Keeps p until the next release; 0, or -1 when too much is live. */
static int keep(review_source_t *s, void *p) {
  if (p == NULL || s->n_live == MAX_LIVE) {
    free(p);
    return -1;
  }
  s->live[s->n_live++] = p;
  if (s->n_live > s->peak_live)
    s->peak_live = s->n_live;
  return 0;
}

static void release(void *data) {
  review_source_t *s = data;
  for (size_t i = 0; i < s->n_live; i++)
    free(s->live[i]);
  s->n_live = 0;
}

static int walk_open(void *data, const rt_review_walk_t *walk) {
  review_source_t *s = data;
  s->walk = *walk;
  snprintf(s->theme, sizeof s->theme, "%s", walk->theme ? walk->theme : "");
  snprintf(s->from, sizeof s->from, "%s",
           walk->from_date ? walk->from_date : "");
  snprintf(s->to, sizeof s->to, "%s", walk->to_date ? walk->to_date : "");
  s->at = 0;
  return 0;
}

/* ---- the array source ------------------------------------------------ */

static const char *due_of(const ProtobufCMessage *m, bool *is_rec,
                          uint64_t *number) {
  *is_rec = m->descriptor == &rectrack__v1__recommendation__descriptor;
  const char *id = *is_rec ? ((const Rectrack__V1__Recommendation *)m)->id
                           : ((const Rectrack__V1__Commitment *)m)->id;
  *number = id_number(id);
  return *is_rec ? ((const Rectrack__V1__Recommendation *)m)->due_date
                 : ((const Rectrack__V1__Commitment *)m)->due_date;
}

static int compare_due(const void *a, const void *b) {
  bool ra, rb;
  uint64_t na, nb;
  const char *da = due_of(*(const ProtobufCMessage *const *)a, &ra, &na);
  const char *db = due_of(*(const ProtobufCMessage *const *)b, &rb, &nb);
  int c = strcmp(da, db);
  if (c == 0 && ra != rb)
    c = ra ? -1 : 1;
  return c ? c : (na > nb) - (na < nb);
}

static int compare_actors(const void *a, const void *b) {
  return strcmp((*(Rectrack__V1__Actor *const *)a)->id,
                (*(Rectrack__V1__Actor *const *)b)->id);
}

static int array_themes(void *data, const char *const **themes, size_t *n) {
  review_source_t *s = data;
  const char **all = calloc(s->in->recommendation_count + 1, sizeof *all);
  if (keep(s, all) != 0)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < s->in->recommendation_count; i++) {
    const char *theme = s->in->recommendations[i]->theme;
    bool seen = false;
    for (size_t j = 0; j < k && !seen; j++)
      seen = strcmp(all[j], theme) == 0;
    if (!seen)
      all[k++] = theme;
  }
  *themes = all;
  *n = k;
  return 0;
}

static int array_next(void *data, const ProtobufCMessage **record) {
  review_source_t *s = data;
  const rt_review_input_t *in = s->in;
  *record = NULL;
  switch (s->walk.kind) {
  case RT_REVIEW_WALK_THEME:
    for (; s->at < in->recommendation_count; s->at++)
      if (strcmp(s->recs[s->at]->theme, s->theme) == 0) {
        *record = &s->recs[s->at++]->base;
        return 1;
      }
    return 0;
  case RT_REVIEW_WALK_COMMITMENTS:
    if (s->at == in->commitment_count)
      return 0;
    *record = &s->coms[s->at++]->base;
    return 1;
  case RT_REVIEW_WALK_RECOMMENDATIONS:
  case RT_REVIEW_WALK_LINKED: /* a superset: every one */
    if (s->at == in->recommendation_count)
      return 0;
    *record = &s->recs[s->at++]->base;
    return 1;
  case RT_REVIEW_WALK_DUE:
    for (; s->at < s->n_due; s->at++) {
      bool is_rec;
      uint64_t number;
      const char *due = due_of(s->due[s->at], &is_rec, &number);
      if (due[0] != '\0' && strcmp(due, s->walk.before) < 0) {
        *record = s->due[s->at++];
        return 1;
      }
    }
    return 0;
  case RT_REVIEW_WALK_ACTORS:
    if (s->at == in->actor_count)
      return 0;
    *record = &s->actors[s->at++]->base;
    return 1;
  case RT_REVIEW_WALK_SOURCES:
    if (s->at == in->source_count)
      return 0;
    *record = &in->sources[s->at++]->base;
    return 1;
  case RT_REVIEW_WALK_ADDED_THEMES:
    if (s->at == in->theme_count)
      return 0;
    *record = &in->themes[s->at++]->base;
    return 1;
  default:
    for (; s->at < s->n_period; s->at++) {
      const Rectrack__V1__FollowUp *fu = s->period[s->at];
      if ((s->from[0] == '\0' || strcmp(fu->as_of, s->from) >= 0) &&
          strcmp(fu->as_of, s->to) <= 0) {
        *record = &s->period[s->at++]->base;
        return 1;
      }
    }
    return 0;
  }
}

static int array_follow_ups(void *data, const char *id,
                            Rectrack__V1__FollowUp *const **out, size_t *n) {
  review_source_t *s = data;
  Rectrack__V1__FollowUp **found =
      calloc(s->in->follow_up_count + 1, sizeof *found);
  if (keep(s, found) != 0)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < s->in->follow_up_count; i++)
    if (strcmp(s->in->follow_ups[i]->subject_id, id) == 0)
      found[k++] = s->in->follow_ups[i];
  *out = found;
  *n = k;
  return 0;
}

static int array_measurements(void *data, const char *id,
                              Rectrack__V1__Measurement *const **out,
                              size_t *n) {
  review_source_t *s = data;
  Rectrack__V1__Measurement **found =
      calloc(s->in->measurement_count + 1, sizeof *found);
  if (keep(s, found) != 0)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < s->in->measurement_count; i++)
    if (strcmp(s->in->measurements[i]->commitment_id, id) == 0)
      found[k++] = s->in->measurements[i];
  *out = found;
  *n = k;
  return 0;
}

static int array_subject(void *data, const char *id,
                         const ProtobufCMessage **record) {
  review_source_t *s = data;
  *record = NULL;
  for (size_t i = 0; i < s->in->recommendation_count; i++)
    if (strcmp(s->in->recommendations[i]->id, id) == 0)
      *record = &s->in->recommendations[i]->base;
  for (size_t i = 0; i < s->in->commitment_count; i++)
    if (strcmp(s->in->commitments[i]->id, id) == 0)
      *record = &s->in->commitments[i]->base;
  return 0;
}

review_source_t *review_array_source_new(const rt_review_input_t *in) {
  review_source_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->in = in;
  s->recs = calloc(in->recommendation_count + 1, sizeof *s->recs);
  s->coms = calloc(in->commitment_count + 1, sizeof *s->coms);
  s->period = calloc(in->follow_up_count + 1, sizeof *s->period);
  s->due = calloc(in->recommendation_count + in->commitment_count + 1,
                  sizeof *s->due);
  s->actors = calloc(in->actor_count + 1, sizeof *s->actors);
  if (!s->recs || !s->coms || !s->period || !s->due || !s->actors) {
    review_source_free(s);
    return NULL;
  }
  for (size_t i = 0; i < in->recommendation_count; i++)
    s->recs[i] = in->recommendations[i];
  for (size_t i = 0; i < in->commitment_count; i++)
    s->coms[i] = in->commitments[i];
  for (size_t i = 0; i < in->follow_up_count; i++)
    s->period[i] = in->follow_ups[i];
  s->n_period = in->follow_up_count;
  qsort(s->recs, in->recommendation_count, sizeof *s->recs, compare_rec_ids);
  qsort(s->coms, in->commitment_count, sizeof *s->coms, compare_com_ids);
  qsort(s->period, s->n_period, sizeof *s->period, compare_period);
  for (size_t i = 0; i < in->recommendation_count; i++)
    s->due[s->n_due++] = &in->recommendations[i]->base;
  for (size_t i = 0; i < in->commitment_count; i++)
    s->due[s->n_due++] = &in->commitments[i]->base;
  qsort(s->due, s->n_due, sizeof *s->due, compare_due);
  if (in->actor_count > 0)
    memcpy(s->actors, in->actors, in->actor_count * sizeof *s->actors);
  qsort(s->actors, in->actor_count, sizeof *s->actors, compare_actors);
  s->api = (rt_review_source_t){.data = s,
                                .themes = array_themes,
                                .open = walk_open,
                                .next = array_next,
                                .follow_ups = array_follow_ups,
                                .measurements = array_measurements,
                                .subject = array_subject,
                                .release = release};
  return s;
}

/* ---- the generated source -------------------------------------------- */

/* Subject i of the generated set: recommendation i (1..n) has theme
 * themes[i % 4], three follow-ups (2023, 2024, 2025, revisions 10i+1..3);
 * commitment i (1..n/4) has an indicator and two measurements. */
static const char *const gen_themes[] = {"data", "labour-migration",
                                         "remittances", "return"};

typedef struct gen_rec {
  Rectrack__V1__Recommendation rec;
  char id[24], title[64];
} gen_rec_t;

typedef struct gen_com {
  Rectrack__V1__Commitment com;
  Rectrack__V1__Indicator ind;
  char id[24], title[64];
} gen_com_t;

typedef struct gen_history {
  Rectrack__V1__FollowUp fus[3];
  Rectrack__V1__FollowUp *fu_ptrs[3];
  Rectrack__V1__Measurement meas[2];
  Rectrack__V1__Measurement *meas_ptrs[2];
  char subject[24];
} gen_history_t;

static gen_history_t *gen_history(review_source_t *s, const char *id);

static const char *const gen_dates[] = {"2023-06-30", "2024-06-30",
                                        "2025-03-31"};

static const ProtobufCMessage *gen_rec(review_source_t *s, size_t i) {
  gen_rec_t *g = calloc(1, sizeof *g);
  if (keep(s, g) != 0)
    return NULL;
  rectrack__v1__recommendation__init(&g->rec);
  snprintf(g->id, sizeof g->id, "R%zu", i);
  snprintf(g->title, sizeof g->title, "Recommendation number %zu", i);
  g->rec.id = g->id;
  g->rec.title = g->title;
  g->rec.text = (char *)"Extend the data collection to every region.";
  g->rec.theme = (char *)gen_themes[i % 4];
  g->rec.due_date = (char *)(i % 3 ? "2024-12-31" : "");
  return &g->rec.base;
}

static const ProtobufCMessage *gen_com(review_source_t *s, size_t i) {
  gen_com_t *g = calloc(1, sizeof *g);
  if (keep(s, g) != 0)
    return NULL;
  rectrack__v1__commitment__init(&g->com);
  rectrack__v1__indicator__init(&g->ind);
  snprintf(g->id, sizeof g->id, "C%zu", i);
  snprintf(g->title, sizeof g->title, "Commitment number %zu", i);
  g->com.id = g->id;
  g->com.title = g->title;
  g->com.actor_id = (char *)"iom";
  g->ind.name = (char *)"Share of returnees reached";
  g->ind.unit = (char *)"%";
  g->ind.baseline_value = 10;
  g->ind.baseline_date = (char *)"2022-01-01";
  g->ind.target_value = 60;
  g->ind.target_date = (char *)"2026-01-01";
  g->com.indicator = &g->ind;
  return &g->com.base;
}

static int gen_themes_cb(void *data, const char *const **themes, size_t *n) {
  review_source_t *s = data;
  for (size_t i = 0; i < 4; i++)
    s->themes[i] = gen_themes[i];
  *themes = s->themes;
  *n = 4;
  return 0;
}

static int gen_next(void *data, const ProtobufCMessage **record) {
  review_source_t *s = data;
  *record = NULL;
  switch (s->walk.kind) {
  case RT_REVIEW_WALK_THEME:
    while (++s->at <= s->n)
      if (strcmp(gen_themes[s->at % 4], s->theme) == 0)
        return (*record = gen_rec(s, s->at)) ? 1 : -1;
    return 0;
  case RT_REVIEW_WALK_COMMITMENTS:
    if (++s->at > s->n / 4)
      return 0;
    return (*record = gen_com(s, s->at)) ? 1 : -1;
  case RT_REVIEW_WALK_RECOMMENDATIONS:
    if (++s->at > s->n)
      return 0;
    return (*record = gen_rec(s, s->at)) ? 1 : -1;
  case RT_REVIEW_WALK_DUE: /* one date: the recommendations that have it */
    while (++s->at <= s->n)
      if (s->at % 3 && strcmp("2024-12-31", s->walk.before) < 0)
        return (*record = gen_rec(s, s->at)) ? 1 : -1;
    return 0;
  case RT_REVIEW_WALK_ACTORS:
  case RT_REVIEW_WALK_SOURCES:
  case RT_REVIEW_WALK_ADDED_THEMES:
  case RT_REVIEW_WALK_LINKED: /* generated records make no link */
    return 0;
  default: /* the period: each date in turn, its subjects by revision */
    for (; s->at < 3 * (s->n + s->n / 4 + 1); s->at++) {
      size_t date = s->at / (s->n + s->n / 4 + 1);
      size_t p = s->at % (s->n + s->n / 4 + 1);
      if (p == 0 || (s->from[0] && strcmp(gen_dates[date], s->from) < 0) ||
          strcmp(gen_dates[date], s->to) > 0)
        continue;
      char id[24];
      snprintf(id, sizeof id, "%c%zu", p <= s->n ? 'R' : 'C',
               p <= s->n ? p : p - s->n);
      gen_history_t *h = gen_history(s, id);
      s->at++;
      if (h == NULL)
        return -1;
      *record = &h->fus[date].base;
      return 1;
    }
    return 0;
  }
}

static gen_history_t *gen_history(review_source_t *s, const char *id) {
  gen_history_t *h = calloc(1, sizeof *h);
  if (keep(s, h) != 0)
    return NULL;
  snprintf(h->subject, sizeof h->subject, "%s", id);
  uint64_t number = id_number(id);
  /* Revisions grow with the subject's place in the period walk. */
  uint64_t place = id[0] == 'R' ? number : s->n + number;
  for (size_t k = 0; k < 3; k++) {
    rectrack__v1__follow_up__init(&h->fus[k]);
    h->fus[k].subject_id = h->subject;
    h->fus[k].as_of = (char *)gen_dates[k];
    h->fus[k].status = (int)(1 + (number + k) % 5);
    h->fus[k].revision = (uint64_t)k * 1000000000 + place;
    h->fus[k].note = (char *)"Reported at the annual meeting.";
    h->fu_ptrs[k] = &h->fus[k];
  }
  for (size_t k = 0; k < 2; k++) {
    rectrack__v1__measurement__init(&h->meas[k]);
    h->meas[k].commitment_id = h->subject;
    h->meas[k].as_of = (char *)gen_dates[k];
    h->meas[k].value = 10.0 + 10.0 * (double)k + (double)(number % 7);
    h->meas[k].revision = (uint64_t)(k + 4) * 1000000000 + place;
    h->meas_ptrs[k] = &h->meas[k];
  }
  return h;
}

static int gen_follow_ups(void *data, const char *id,
                          Rectrack__V1__FollowUp *const **out, size_t *n) {
  gen_history_t *h = gen_history(data, id);
  *out = h ? h->fu_ptrs : NULL;
  *n = h ? 3 : 0;
  return h ? 0 : -1;
}

static int gen_measurements(void *data, const char *id,
                            Rectrack__V1__Measurement *const **out, size_t *n) {
  gen_history_t *h = gen_history(data, id);
  *out = h ? h->meas_ptrs : NULL;
  *n = h ? 2 : 0;
  return h ? 0 : -1;
}

static int gen_subject(void *data, const char *id,
                       const ProtobufCMessage **record) {
  review_source_t *s = data;
  size_t i = (size_t)id_number(id);
  *record = NULL;
  if (id[0] == 'R' && i >= 1 && i <= s->n)
    *record = gen_rec(s, i);
  else if (id[0] == 'C' && i >= 1 && i <= s->n / 4)
    *record = gen_com(s, i);
  return 0;
}

review_source_t *review_generated_source_new(size_t n) {
  review_source_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->n = n;
  s->api = (rt_review_source_t){.data = s,
                                .themes = gen_themes_cb,
                                .open = walk_open,
                                .next = gen_next,
                                .follow_ups = gen_follow_ups,
                                .measurements = gen_measurements,
                                .subject = gen_subject,
                                .release = release};
  return s;
}

const rt_review_source_t *review_source_get(review_source_t *s) {
  return &s->api;
}

size_t review_source_peak_live(const review_source_t *s) {
  return s->peak_live;
}

void review_source_free(review_source_t *s) {
  if (s == NULL)
    return;
  release(s);
  free(s->recs);
  free(s->coms);
  free(s->period);
  free(s->due);
  free(s->actors);
  free(s);
}
