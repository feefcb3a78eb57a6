/*
 * The model of one review: the caller's data set indexed for the review's
 * questions. It keeps only active (not archived) records, sorts them into
 * the order every output uses (recommendations by theme then id,
 * commitments by id), attaches to each item its follow-ups (all dates, in
 * (as_of, revision) order) and its measurements up to the review's as_of,
 * and works out once what every figure and table needs: status as of
 * as_of, the previous status of each follow-up, overdue days, whether the
 * item was reported on in the period, and the indicator's latest value,
 * progress and trajectory (its disaggregated series: review_series.c).
 * Only validated follow-ups and measurements
 * (and those recorded before review states existed) count: a submission
 * awaiting validation is counted as pending and shown as the item's
 * self-reported status, a returned one is left out. Pointers borrow from
 * the input; nothing is copied.
 */
#include "review_lineage.h"
#include "review_series.h"

#include "rt_reference.h"
#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fu_ref {
  const Rectrack__V1__FollowUp *fu;
  rt_review_item_t *item;
  uint32_t as_of; /* YYYYMMDD, for sorting (the date is checked valid) */
} fu_ref_t;

static uint32_t date_number(const char *date) {
  uint32_t n = 0;
  for (const char *p = date; *p; p++)
    if (*p >= '0' && *p <= '9')
      n = n * 10 + (uint32_t)(*p - '0');
  return n;
}

typedef struct meas_ref {
  const Rectrack__V1__Measurement *m;
  rt_review_item_t *item;
} meas_ref_t;

static int normal_status(int status) {
  return status >= RECTRACK__V1__STATUS__STATUS_NO_INFORMATION &&
                 status <= RECTRACK__V1__STATUS__STATUS_WITHDRAWN
             ? status
             : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
}

/* Counts towards the review: validated, or from before review states. */
bool rt_review_is_official(int review_state) {
  return review_state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED ||
         review_state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_UNSPECIFIED;
}

static bool is_pending(int review_state) {
  return review_state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
}

static bool valid_date(const char *s) {
  long days;
  return s != NULL && rt_date_to_days(s, &days) == 0;
}

static int read_dates(rt_review_model_t *m, const rt_review_input_t *in,
                      rt_error_t *err) {
  const char *from = in->from_date ? in->from_date : "";
  const char *to = in->to_date ? in->to_date : "";
  const char *as_of = in->as_of && in->as_of[0] ? in->as_of : to;
  if (!valid_date(to))
    return rt_error_set(err, RT_EINVAL, "to_date",
                        "to_date must be a date YYYY-MM-DD, got \"%.20s\"", to);
  if (from[0] && !valid_date(from))
    return rt_error_set(err, RT_EINVAL, "from_date",
                        "from_date must be empty or a date YYYY-MM-DD, got "
                        "\"%.20s\"",
                        from);
  if (!valid_date(as_of))
    return rt_error_set(err, RT_EINVAL, "as_of",
                        "as_of must be a date YYYY-MM-DD, got \"%.20s\"",
                        as_of);
  if (from[0] && strcmp(from, to) > 0)
    return rt_error_set(err, RT_EINVAL, "from_date",
                        "from_date %s is after to_date %s", from, to);
  snprintf(m->from, sizeof m->from, "%s", from);
  snprintf(m->to, sizeof m->to, "%s", to);
  snprintf(m->as_of, sizeof m->as_of, "%s", as_of);
  rt_date_to_days(m->as_of, &m->as_of_days);
  return 0;
}

bool rt_review_in_period(const rt_review_model_t *m, const char *date) {
  return (m->from[0] == '\0' || strcmp(date, m->from) >= 0) &&
         strcmp(date, m->to) <= 0;
}

/* 'R' or 'C' << 56 | the number of a server id ("R12"); 0 otherwise. */
static uint64_t id_key_of(const char *id) {
  if (id == NULL || (id[0] != 'R' && id[0] != 'C') || id[1] < '1' ||
      id[1] > '9')
    return 0;
  uint64_t number = 0;
  for (const char *p = id + 1; *p; p++) {
    if (*p < '0' || *p > '9' || p - id > 15)
      return 0;
    number = number * 10 + (uint64_t)(*p - '0');
  }
  return (uint64_t)(unsigned char)id[0] << 56 | number;
}

int rt_review_item_compare_ids(const rt_review_item_t *x,
                               const rt_review_item_t *y) {
  if (x->id_key != 0 && y->id_key != 0 && x->id_key != y->id_key)
    return x->id_key < y->id_key ? -1 : 1;
  return rt_review_natcmp(x->id, y->id);
}

/* Recommendations by theme (an empty theme last), then id. */
static int compare_recs(const void *a, const void *b) {
  const rt_review_item_t *x = a, *y = b;
  if (x->theme_rank != y->theme_rank)
    return x->theme_rank < y->theme_rank ? -1 : 1;
  return rt_review_item_compare_ids(x, y);
}

static int compare_coms(const void *a, const void *b) {
  return rt_review_item_compare_ids(a, b);
}

/* The lookup order: id keys, then the id's bytes. */
static int compare_lookup(const rt_review_item_t *x,
                          const rt_review_item_t *y) {
  if (x->id_key != y->id_key)
    return x->id_key < y->id_key ? -1 : 1;
  return x->id_key ? 0 : strcmp(x->id, y->id);
}

static int compare_by_id(const void *a, const void *b) {
  return compare_lookup(*(rt_review_item_t *const *)a,
                        *(rt_review_item_t *const *)b);
}

static int compare_theme_pointers(const void *a, const void *b) {
  const char *x = **(const char *const *const *)a;
  const char *y = **(const char *const *const *)b;
  if ((x[0] == '\0') != (y[0] == '\0'))
    return x[0] == '\0' ? 1 : -1;
  return rt_review_natcmp(x, y);
}

static int compare_item_themes(const void *a, const void *b) {
  const rt_review_item_t *x = *(rt_review_item_t *const *)a;
  const rt_review_item_t *y = *(rt_review_item_t *const *)b;
  return strcmp(x->rec->theme, y->rec->theme);
}

/* Sets each recommendation's theme_rank: distinct themes are found by
 * sorting on bytes, then put in natural order (an empty theme last). */
static int rank_themes(rt_review_model_t *m) {
  rt_review_item_t **by_theme = calloc(m->rec_count + 1, sizeof *by_theme);
  const char ***themes = calloc(m->rec_count + 1, sizeof *themes);
  uint32_t *group_rank = calloc(m->rec_count + 1, sizeof *group_rank);
  size_t *group_of = calloc(m->rec_count + 1, sizeof *group_of);
  if (!by_theme || !themes || !group_rank || !group_of) {
    free(by_theme);
    free(themes);
    free(group_rank);
    free(group_of);
    return RT_ENOMEM;
  }
  for (size_t i = 0; i < m->rec_count; i++)
    by_theme[i] = &m->recs[i];
  qsort(by_theme, m->rec_count, sizeof *by_theme, compare_item_themes);
  size_t groups = 0;
  const char **names = calloc(m->rec_count + 1, sizeof *names);
  if (names == NULL) {
    free(by_theme);
    free(themes);
    free(group_rank);
    free(group_of);
    return RT_ENOMEM;
  }
  for (size_t i = 0; i < m->rec_count; i++) {
    if (i == 0 ||
        strcmp(by_theme[i]->rec->theme, by_theme[i - 1]->rec->theme) != 0)
      names[groups++] = by_theme[i]->rec->theme;
    group_of[i] = groups - 1;
  }
  for (size_t g = 0; g < groups; g++)
    themes[g] = &names[g];
  qsort(themes, groups, sizeof *themes, compare_theme_pointers);
  for (size_t r = 0; r < groups; r++)
    group_rank[themes[r] - names] = (uint32_t)r;
  for (size_t i = 0; i < m->rec_count; i++)
    by_theme[i]->theme_rank = group_rank[group_of[i]];
  free(names);
  free(by_theme);
  free(themes);
  free(group_rank);
  free(group_of);
  return 0;
}

/* Pledges that a matching pledge answers: those whose matched_by the
 * source filled in (a stream's window holds one subject), and those a
 * matching pledge of this model names. */
static void mark_matched(rt_review_model_t *m) {
  for (size_t i = 0; i < m->com_count; i++) {
    const Rectrack__V1__Commitment *c = m->coms[i].com;
    if (c->n_matched_by > 0)
      m->coms[i].matched = true;
    rt_review_item_t *target =
        c->matches_commitment_id && c->matches_commitment_id[0]
            ? rt_review_model_find(m, c->matches_commitment_id)
            : NULL;
    if (target != NULL && target->com != NULL)
      target->matched = true;
  }
}

static int collect_items(rt_review_model_t *m, const rt_review_input_t *in) {
  m->recs = calloc(in->recommendation_count + 1, sizeof *m->recs);
  m->coms = calloc(in->commitment_count + 1, sizeof *m->coms);
  m->by_id = calloc(in->recommendation_count + in->commitment_count + 1,
                    sizeof *m->by_id);
  if (!m->recs || !m->coms || !m->by_id)
    return RT_ENOMEM;
  for (size_t i = 0; i < in->recommendation_count; i++) {
    const Rectrack__V1__Recommendation *r = in->recommendations[i];
    if (r == NULL || r->archived || r->id == NULL || r->id[0] == '\0')
      continue;
    rt_review_item_t *it = &m->recs[m->rec_count++];
    it->rec = r;
    it->id = r->id;
    it->title = r->title;
    it->id_key = id_key_of(r->id);
    it->subject_type = RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_RECOMMENDATION;
  }
  for (size_t i = 0; i < in->commitment_count; i++) {
    const Rectrack__V1__Commitment *c = in->commitments[i];
    if (c == NULL || c->archived || c->id == NULL || c->id[0] == '\0')
      continue;
    rt_review_item_t *it = &m->coms[m->com_count++];
    it->com = c;
    it->id = c->id;
    it->title = c->title;
    it->id_key = id_key_of(c->id);
    it->subject_type = RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_COMMITMENT;
    it->has_indicator = c->indicator != NULL;
  }
  if (rank_themes(m) != 0)
    return RT_ENOMEM;
  qsort(m->recs, m->rec_count, sizeof *m->recs, compare_recs);
  qsort(m->coms, m->com_count, sizeof *m->coms, compare_coms);
  for (size_t i = 0; i < m->rec_count; i++)
    m->by_id[m->by_id_count++] = &m->recs[i];
  for (size_t i = 0; i < m->com_count; i++)
    m->by_id[m->by_id_count++] = &m->coms[i];
  qsort(m->by_id, m->by_id_count, sizeof *m->by_id, compare_by_id);
  mark_matched(m);
  return 0;
}

rt_review_item_t *rt_review_model_find(const rt_review_model_t *m,
                                       const char *id) {
  if (id == NULL)
    return NULL;
  rt_review_item_t key = {.id = id, .id_key = id_key_of(id)}, *keyp = &key;
  rt_review_item_t **found =
      bsearch(&keyp, m->by_id, m->by_id_count, sizeof *m->by_id, compare_by_id);
  return found ? *found : NULL;
}

static int compare_fu_refs(const void *a, const void *b) {
  const fu_ref_t *x = a, *y = b;
  int c = compare_lookup(x->item, y->item);
  if (c == 0 && x->as_of != y->as_of)
    c = x->as_of < y->as_of ? -1 : 1;
  if (c == 0 && x->fu->revision != y->fu->revision)
    c = x->fu->revision < y->fu->revision ? -1 : 1;
  if (c == 0 && x->fu->recorded_ms != y->fu->recorded_ms)
    c = x->fu->recorded_ms < y->fu->recorded_ms ? -1 : 1;
  return c;
}

static bool names_partner(const Rectrack__V1__FollowUp *fu) {
  return fu->partner_id != NULL && fu->partner_id[0] != '\0';
}

static bool same_part(const Rectrack__V1__FollowUp *a,
                      const Rectrack__V1__FollowUp *b) {
  return names_partner(a)
             ? names_partner(b) && strcmp(a->partner_id, b->partner_id) == 0
             : !names_partner(b);
}

/* The status of the report before follow-up k on the same part of its
 * item (a partner's reports follow on from that partner's own). */
static int previous_of_part(const rt_review_model_t *m,
                            const rt_review_item_t *it, size_t k) {
  for (size_t j = k; j > it->fu_first; j--)
    if (same_part(m->follow_ups[j - 1], m->follow_ups[k]))
      return normal_status(m->follow_ups[j - 1]->status);
  return RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
}

/* Walks one item's follow-ups in order: previous statuses, status as of
 * the review date, reported in the period. A joint pledge's status is
 * the lead's part, the reports that name no partner (as the server
 * keeps it); its partners' reports still count as reported. */
static void apply_follow_ups(rt_review_model_t *m, rt_review_item_t *it) {
  int previous = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  it->status = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  for (size_t k = it->fu_first; k < it->fu_first + it->fu_count; k++) {
    const Rectrack__V1__FollowUp *fu = m->follow_ups[k];
    if (rt_review_in_period(m, fu->as_of))
      it->reported_in_period = true;
    if (names_partner(fu)) {
      m->previous_status[k] = previous_of_part(m, it, k);
      continue;
    }
    m->previous_status[k] = previous;
    previous = normal_status(fu->status);
    if (strcmp(fu->as_of, m->as_of) <= 0) {
      it->latest = fu;
      it->status = previous;
    }
  }
}

int rt_review_part_status(const rt_review_model_t *m,
                          const rt_review_item_t *it, const char *partner_id,
                          const Rectrack__V1__FollowUp **latest) {
  *latest = NULL;
  if (partner_id == NULL || partner_id[0] == '\0') {
    *latest = it->latest;
    return it->status;
  }
  int status = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  for (size_t k = it->fu_first; k < it->fu_first + it->fu_count; k++) {
    const Rectrack__V1__FollowUp *fu = m->follow_ups[k];
    if (names_partner(fu) && strcmp(fu->partner_id, partner_id) == 0 &&
        strcmp(fu->as_of, m->as_of) <= 0) {
      *latest = fu;
      status = normal_status(fu->status);
    }
  }
  return status;
}

/* A follow-up awaiting validation: pending, and the item's self-reported
 * status when it is the latest such one as of the review's date. */
static void note_submission(rt_review_model_t *m, rt_review_item_t *it,
                            const Rectrack__V1__FollowUp *fu) {
  m->pending_count++;
  /* A partner's submission is its part's, not the pledge's own. */
  if (strcmp(fu->as_of, m->as_of) > 0 || names_partner(fu))
    return;
  const Rectrack__V1__FollowUp *best = it->reported;
  int c = best ? strcmp(fu->as_of, best->as_of) : 1;
  if (c > 0 || (c == 0 && fu->revision > best->revision))
    it->reported = fu;
}

int rt_review_reported_status(const rt_review_item_t *it) {
  if (it->reported == NULL)
    return 0;
  int status = normal_status(it->reported->status);
  return status == it->status ? 0 : status;
}

static int index_follow_ups(rt_review_model_t *m, const rt_review_input_t *in) {
  fu_ref_t *refs = calloc(in->follow_up_count + 1, sizeof *refs);
  m->follow_ups = calloc(in->follow_up_count + 1, sizeof *m->follow_ups);
  m->fu_subject = calloc(in->follow_up_count + 1, sizeof *m->fu_subject);
  m->previous_status =
      calloc(in->follow_up_count + 1, sizeof *m->previous_status);
  if (!refs || !m->follow_ups || !m->fu_subject || !m->previous_status) {
    free(refs);
    return RT_ENOMEM;
  }
  size_t n = 0;
  for (size_t i = 0; i < in->follow_up_count; i++) {
    const Rectrack__V1__FollowUp *fu = in->follow_ups[i];
    rt_review_item_t *it = fu ? rt_review_model_find(m, fu->subject_id) : NULL;
    if (it == NULL || !valid_date(fu->as_of))
      continue;
    if (rt_review_is_official(fu->review_state))
      refs[n++] = (fu_ref_t){fu, it, date_number(fu->as_of)};
    else if (is_pending(fu->review_state))
      note_submission(m, it, fu);
  }
  qsort(refs, n, sizeof *refs, compare_fu_refs);
  for (size_t k = 0; k < n; k++) {
    m->follow_ups[k] = refs[k].fu;
    m->fu_subject[k] = refs[k].item;
    if (k == 0 || refs[k - 1].item != refs[k].item)
      refs[k].item->fu_first = k;
    refs[k].item->fu_count++;
  }
  m->follow_up_count = n;
  free(refs);
  for (size_t i = 0; i < m->by_id_count; i++)
    apply_follow_ups(m, m->by_id[i]);
  return 0;
}

/* A follow-up in the period, with the keys it is ordered by (qsort has no
 * user pointer, so the keys travel with the index). */
typedef struct period_ref {
  const Rectrack__V1__FollowUp *fu;
  const char *subject_id;
  size_t index;
} period_ref_t;

static int compare_period(const void *a, const void *b) {
  const period_ref_t *x = a, *y = b;
  int c = strcmp(x->fu->as_of, y->fu->as_of);
  if (c == 0 && x->fu->revision != y->fu->revision)
    c = x->fu->revision < y->fu->revision ? -1 : 1;
  if (c == 0)
    c = rt_review_natcmp(x->subject_id, y->subject_id);
  return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

static int index_period(rt_review_model_t *m) {
  period_ref_t *refs = calloc(m->follow_up_count + 1, sizeof *refs);
  m->period_order = calloc(m->follow_up_count + 1, sizeof *m->period_order);
  if (refs == NULL || m->period_order == NULL) {
    free(refs);
    return RT_ENOMEM;
  }
  size_t n = 0;
  for (size_t k = 0; k < m->follow_up_count; k++)
    if (rt_review_in_period(m, m->follow_ups[k]->as_of))
      refs[n++] = (period_ref_t){m->follow_ups[k], m->fu_subject[k]->id, k};
  qsort(refs, n, sizeof *refs, compare_period);
  for (size_t i = 0; i < n; i++)
    m->period_order[i] = refs[i].index;
  m->period_count = n;
  free(refs);
  return 0;
}

static int compare_meas_refs(const void *a, const void *b) {
  const meas_ref_t *x = a, *y = b;
  int c = compare_lookup(x->item, y->item);
  if (c == 0)
    c = strcmp(x->m->as_of, y->m->as_of);
  if (c == 0 && x->m->revision != y->m->revision)
    c = x->m->revision < y->m->revision ? -1 : 1;
  return c;
}

static int index_measurements(rt_review_model_t *m,
                              const rt_review_input_t *in) {
  meas_ref_t *refs = calloc(in->measurement_count + 1, sizeof *refs);
  m->measurements = calloc(in->measurement_count + 1, sizeof *m->measurements);
  m->meas_subject = calloc(in->measurement_count + 1, sizeof *m->meas_subject);
  if (!refs || !m->measurements || !m->meas_subject) {
    free(refs);
    return RT_ENOMEM;
  }
  size_t n = 0;
  for (size_t i = 0; i < in->measurement_count; i++) {
    const Rectrack__V1__Measurement *x = in->measurements[i];
    rt_review_item_t *it = x ? rt_review_model_find(m, x->commitment_id) : NULL;
    if (it != NULL && it->com != NULL && is_pending(x->review_state))
      m->pending_count++;
    /* A measurement with dimensions belongs to a series, not to the
     * overall figure the review's value, trajectory and chart show. */
    if (it != NULL && it->com != NULL && valid_date(x->as_of) &&
        strcmp(x->as_of, m->as_of) <= 0 && isfinite(x->value) &&
        rt_review_is_official(x->review_state) && x->n_dimensions == 0)
      refs[n++] = (meas_ref_t){x, it};
  }
  qsort(refs, n, sizeof *refs, compare_meas_refs);
  for (size_t k = 0; k < n; k++) {
    m->measurements[k] = refs[k].m;
    m->meas_subject[k] = refs[k].item;
    if (k == 0 || refs[k - 1].item != refs[k].item)
      refs[k].item->meas_first = k;
    refs[k].item->meas_count++;
  }
  m->measurement_count = n;
  free(refs);
  return 0;
}

bool rt_review_indicator_decreases(const Rectrack__V1__Indicator *ind) {
  if (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_DECREASE)
    return true;
  if (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_INCREASE)
    return false;
  return ind->target_value < ind->baseline_value;
}

double rt_review_expected_value(const Rectrack__V1__Indicator *ind, long days) {
  long base_days, target_days;
  if (rt_date_to_days(ind->baseline_date, &base_days) != 0 ||
      rt_date_to_days(ind->target_date, &target_days) != 0 ||
      target_days <= base_days)
    return ind->baseline_value; /* no path: hold the baseline */
  double t = (double)(days - base_days) / (double)(target_days - base_days);
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  return ind->baseline_value + (ind->target_value - ind->baseline_value) * t;
}

int rt_review_trajectory_of(const Rectrack__V1__Indicator *ind, double v,
                            const char *as_of, double *progress) {
  double base = ind->baseline_value, target = ind->target_value;
  double tol = 1e-9 * fmax(1.0, fmax(fabs(base), fabs(target)));
  bool decreases = rt_review_indicator_decreases(ind);
  bool reached = decreases ? v <= target + tol : v >= target - tol;
  if (!isfinite(base) || !isfinite(target)) {
    /* No target to measure against: no progress, no trajectory. */
    *progress = NAN;
    return RECTRACK__V1__TRAJECTORY__TRAJECTORY_NO_DATA;
  }
  *progress = target != base ? (v - base) / (target - base) : reached;
  long days = 0;
  rt_date_to_days(as_of, &days);
  double expected = rt_review_expected_value(ind, days);
  bool good = decreases ? v <= expected + tol : v >= expected - tol;
  return reached ? RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED
         : good  ? RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK
                 : RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK;
}

static void evaluate_indicator(const rt_review_model_t *m,
                               rt_review_item_t *it) {
  it->trajectory = RECTRACK__V1__TRAJECTORY__TRAJECTORY_NO_DATA;
  if (it->meas_count == 0)
    return;
  const Rectrack__V1__Measurement *latest =
      m->measurements[it->meas_first + it->meas_count - 1];
  it->has_latest = true;
  it->latest_value = latest->value;
  it->latest_as_of = latest->as_of;
  it->trajectory = rt_review_trajectory_of(it->com->indicator, latest->value,
                                           latest->as_of, &it->progress);
}

static void evaluate_items(rt_review_model_t *m) {
  for (size_t i = 0; i < m->by_id_count; i++) {
    rt_review_item_t *it = m->by_id[i];
    const char *due = it->rec ? it->rec->due_date : it->com->due_date;
    long due_days;
    if (due && rt_date_to_days(due, &due_days) == 0 &&
        due_days < m->as_of_days &&
        it->status != RECTRACK__V1__STATUS__STATUS_IMPLEMENTED &&
        it->status != RECTRACK__V1__STATUS__STATUS_WITHDRAWN)
      it->days_overdue = m->as_of_days - due_days;
    if (it->has_indicator)
      evaluate_indicator(m, it);
  }
}

static int compare_actors(const void *a, const void *b) {
  const Rectrack__V1__Actor *x = *(const Rectrack__V1__Actor *const *)a;
  const Rectrack__V1__Actor *y = *(const Rectrack__V1__Actor *const *)b;
  return strcmp(x->id, y->id);
}

static int index_actors(rt_review_model_t *m, const rt_review_input_t *in) {
  m->actors = calloc(in->actor_count + 1, sizeof *m->actors);
  if (m->actors == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < in->actor_count; i++)
    if (in->actors[i] && in->actors[i]->id)
      m->actors[m->actor_count++] = in->actors[i];
  qsort(m->actors, m->actor_count, sizeof *m->actors, compare_actors);
  return 0;
}

const char *rt_review_actor_name(const rt_review_model_t *m, const char *id) {
  if (id == NULL)
    return "";
  Rectrack__V1__Actor key = RECTRACK__V1__ACTOR__INIT;
  key.id = (char *)id;
  const Rectrack__V1__Actor *keyp = &key;
  const Rectrack__V1__Actor **found = bsearch(
      &keyp, m->actors, m->actor_count, sizeof *m->actors, compare_actors);
  return found && (*found)->name && (*found)->name[0] ? (*found)->name : id;
}

static int compare_sources(const void *a, const void *b) {
  const Rectrack__V1__Source *x = *(const Rectrack__V1__Source *const *)a;
  const Rectrack__V1__Source *y = *(const Rectrack__V1__Source *const *)b;
  return strcmp(x->id, y->id);
}

static int index_sources(rt_review_model_t *m, const rt_review_input_t *in) {
  m->sources = calloc(in->source_count + 1, sizeof *m->sources);
  if (m->sources == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < in->source_count; i++)
    if (in->sources[i] && in->sources[i]->id)
      m->sources[m->source_count++] = in->sources[i];
  qsort(m->sources, m->source_count, sizeof *m->sources, compare_sources);
  return 0;
}

const Rectrack__V1__Source *rt_review_source(const rt_review_model_t *m,
                                             const char *id) {
  if (id == NULL || id[0] == '\0')
    return NULL;
  Rectrack__V1__Source key = RECTRACK__V1__SOURCE__INIT;
  key.id = (char *)id;
  const Rectrack__V1__Source *keyp = &key;
  const Rectrack__V1__Source **found = bsearch(
      &keyp, m->sources, m->source_count, sizeof *m->sources, compare_sources);
  return found ? *found : NULL;
}

const char *rt_review_source_label(const rt_review_model_t *m, const char *id,
                                   char *out, size_t size) {
  const Rectrack__V1__Source *source = rt_review_source(m, id);
  if (source == NULL || source->title == NULL || source->title[0] == '\0')
    return id ? id : "";
  if (source->date != NULL && source->date[0] != '\0')
    snprintf(out, size, "%s (%s)", source->title, source->date);
  else
    snprintf(out, size, "%s", source->title);
  return out;
}

const char *rt_review_theme_title(const rt_review_model_t *m, const char *id) {
  if (id == NULL || id[0] == '\0')
    return "";
  const rt_theme_t *theme = rt_theme(id);
  if (theme != NULL)
    return theme->title;
  for (size_t i = 0; i < m->in->theme_count; i++) {
    const Rectrack__V1__Theme *added = m->in->themes[i];
    if (added && added->id && strcmp(added->id, id) == 0 && added->title &&
        added->title[0] != '\0')
      return added->title;
  }
  return id;
}

const char *rt_review_gcm_title(int objective) {
  const rt_gcm_objective_t *o = rt_gcm_objective(objective);
  return o ? o->title : "";
}

const char *rt_review_sdg_label(const char *target) {
  const rt_sdg_target_t *t = rt_sdg_target(target ? target : "");
  return t ? t->label : "";
}

const char *rt_review_key_label(const rt_review_model_t *m,
                                rt_review_key_kind_t kind, const char *key,
                                char *out, size_t size) {
  key = key ? key : "";
  switch (kind) {
  case RT_REVIEW_KEY_ACTOR:
    return rt_review_actor_name(m, key);
  case RT_REVIEW_KEY_SDG:
    if (rt_review_sdg_label(key)[0] == '\0')
      return key;
    snprintf(out, size, "%s: %s", key, rt_review_sdg_label(key));
    return out;
  case RT_REVIEW_KEY_GCM: {
    const char *title = rt_review_gcm_title((int)strtol(key, NULL, 10));
    if (title[0] == '\0')
      return key;
    snprintf(out, size, "%s: %s", key, title);
    return out;
  }
  default:
    return key[0] ? rt_review_theme_title(m, key) : "(no theme)";
  }
}

bool rt_review_lacks_information(const rt_review_item_t *it) {
  return !it->folded && !it->reported_in_period &&
         it->status != RECTRACK__V1__STATUS__STATUS_IMPLEMENTED &&
         it->status != RECTRACK__V1__STATUS__STATUS_WITHDRAWN;
}

int rt_review_model_init(rt_review_model_t *m, const rt_review_input_t *in,
                         rt_error_t *err) {
  memset(m, 0, sizeof *m);
  m->in = in;
  int rc = read_dates(m, in, err);
  if (rc != 0)
    return rc;
  if ((rc = collect_items(m, in)) != 0 || (rc = index_follow_ups(m, in)) ||
      (rc = index_period(m)) || (rc = index_measurements(m, in)) ||
      (rc = index_actors(m, in)) || (rc = index_sources(m, in)))
    goto fail;
  evaluate_items(m);
  if ((rc = rt_review_series_build(m)) != 0)
    goto fail;
  if ((rc = rt_review_lineage_build(
           (const Rectrack__V1__Recommendation *const *)in->recommendations,
           in->recommendation_count, &m->own_lineage)) != 0)
    goto fail;
  m->lineage = m->own_lineage;
  rt_review_lineage_mark(m);
  return 0;
fail:
  rt_review_model_close(m);
  return rt_error_set(err, rc, NULL, "out of memory building the review");
}

void rt_review_model_close(rt_review_model_t *m) {
  free(m->recs);
  free(m->coms);
  free(m->by_id);
  free(m->follow_ups);
  free(m->previous_status);
  free(m->fu_subject);
  free(m->period_order);
  free(m->measurements);
  free(m->meas_subject);
  free(m->actors);
  free(m->sources);
  rt_review_lineage_free(m->own_lineage);
  rt_review_series_free(m);
  memset(m, 0, sizeof *m);
}
