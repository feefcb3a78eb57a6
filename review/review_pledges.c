/*
 * Joint and matching pledges in the review (review_pledges.h): the tally
 * of the pledges that take part, and the groups the summary lists.
 */
#include "review_pledges.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct part_copy {
  char *actor_id;
  int status;
  char as_of[11];
} part_copy_t;

struct rt_review_pledge_entry {
  char *id, *title, *actor_id;
  char *matches; /* matching pledges: the id they answer; else NULL */
  int type;      /* UNSPECIFIED read as INDIVIDUAL */
  int status;    /* the lead's part */
  char as_of[11];
  part_copy_t *partners;
  size_t n_partners;
  bool joint;
};

static char *copy_text(const char *s, bool *failed) {
  char *copy = strdup(s ? s : "");
  if (copy == NULL)
    *failed = true;
  return copy;
}

static void set_as_of(char out[11], const Rectrack__V1__FollowUp *fu) {
  snprintf(out, 11, "%s", fu && fu->as_of ? fu->as_of : "");
}

static void free_entry(rt_review_pledge_entry_t *e) {
  free(e->id);
  free(e->title);
  free(e->actor_id);
  free(e->matches);
  for (size_t i = 0; i < e->n_partners; i++)
    free(e->partners[i].actor_id);
  free(e->partners);
}

static bool is_joint(const Rectrack__V1__Commitment *c) {
  return c->pledge_type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_COMMON ||
         c->pledge_type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP ||
         c->n_partner_ids > 0;
}

static bool is_matching(const Rectrack__V1__Commitment *c) {
  return c->pledge_type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING &&
         c->matches_commitment_id != NULL && c->matches_commitment_id[0];
}

static int copy_partners(rt_review_pledge_entry_t *e,
                         const rt_review_model_t *m, const rt_review_item_t *it,
                         bool *failed) {
  const Rectrack__V1__Commitment *c = it->com;
  if (c->n_partner_ids == 0)
    return 0;
  e->partners = calloc(c->n_partner_ids, sizeof *e->partners);
  if (e->partners == NULL)
    return *failed = true, RT_ENOMEM;
  e->n_partners = c->n_partner_ids;
  for (size_t i = 0; i < c->n_partner_ids; i++) {
    const Rectrack__V1__FollowUp *latest;
    part_copy_t *p = &e->partners[i];
    p->actor_id = copy_text(c->partner_ids[i], failed);
    p->status = rt_review_part_status(m, it, c->partner_ids[i], &latest);
    set_as_of(p->as_of, latest);
  }
  return *failed ? RT_ENOMEM : 0;
}

void rt_review_pledges_add(rt_review_pledges_t *t, const rt_review_model_t *m,
                           const rt_review_item_t *it) {
  const Rectrack__V1__Commitment *c = it->com;
  if (c == NULL || t->failed)
    return;
  bool joint = is_joint(c), matching = is_matching(c);
  if (!joint && !matching && !it->matched)
    return;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    rt_review_pledge_entry_t *grown = realloc(t->entries, cap * sizeof *grown);
    if (grown == NULL) {
      t->failed = true;
      return;
    }
    t->entries = grown;
    t->cap = cap;
  }
  rt_review_pledge_entry_t *e = &t->entries[t->n++];
  memset(e, 0, sizeof *e);
  bool failed = false;
  e->id = copy_text(c->id, &failed);
  e->title = copy_text(c->title, &failed);
  e->actor_id = copy_text(c->actor_id, &failed);
  if (matching)
    e->matches = copy_text(c->matches_commitment_id, &failed);
  e->type = c->pledge_type ? (int)c->pledge_type
                           : RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL;
  e->joint = joint;
  e->status = it->status;
  set_as_of(e->as_of, it->latest);
  copy_partners(e, m, it, &failed);
  if (failed)
    t->failed = true;
}

static int compare_entries(const void *a, const void *b) {
  const rt_review_pledge_entry_t *x = a, *y = b;
  return rt_review_natcmp(x->id, y->id);
}

/* The entry of id in the sorted tally, or SIZE_MAX. */
static size_t find_entry(const rt_review_pledges_t *t, const char *id) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = rt_review_natcmp(id, t->entries[mid].id);
    if (c == 0)
      return mid;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return SIZE_MAX;
}

static Rectrack__V1__PledgeMatch *new_match(const rt_review_pledge_entry_t *e,
                                            bool *failed) {
  Rectrack__V1__PledgeMatch *x = malloc(sizeof *x);
  if (x == NULL)
    return *failed = true, NULL;
  rectrack__v1__pledge_match__init(x);
  x->commitment_id = copy_text(e->id, failed);
  x->title = copy_text(e->title, failed);
  x->actor_id = copy_text(e->actor_id, failed);
  x->status = e->status;
  x->last_follow_up_as_of = copy_text(e->as_of, failed);
  return x;
}

static Rectrack__V1__PledgeGroup *new_group(const rt_review_pledge_entry_t *e,
                                            size_t n_matches, bool *failed) {
  Rectrack__V1__PledgeGroup *g = malloc(sizeof *g);
  if (g == NULL)
    return *failed = true, NULL;
  rectrack__v1__pledge_group__init(g);
  g->commitment_id = copy_text(e->id, failed);
  g->title = copy_text(e->title, failed);
  g->pledge_type = e->type;
  g->actor_id = copy_text(e->actor_id, failed);
  g->status = e->status;
  g->last_follow_up_as_of = copy_text(e->as_of, failed);
  g->partners = calloc(e->n_partners + 1, sizeof *g->partners);
  g->matched_by = calloc(n_matches + 1, sizeof *g->matched_by);
  if (g->partners == NULL || g->matched_by == NULL)
    return *failed = true, g;
  for (size_t i = 0; i < e->n_partners; i++) {
    Rectrack__V1__PartnerStatus *p = malloc(sizeof *p);
    if (p == NULL)
      return *failed = true, g;
    rectrack__v1__partner_status__init(p);
    g->partners[g->n_partners++] = p;
    p->actor_id = copy_text(e->partners[i].actor_id, failed);
    p->status = e->partners[i].status;
    p->last_follow_up_as_of = copy_text(e->partners[i].as_of, failed);
  }
  return g;
}

int rt_review_pledges_summarise(Rectrack__V1__ReviewSummary *s,
                                rt_review_pledges_t *t, size_t max_groups) {
  if (t->failed)
    return RT_ENOMEM;
  if (t->n > 1)
    qsort(t->entries, t->n, sizeof *t->entries, compare_entries);
  /* target[i]: the entry matching pledge i answers; matches[j]: how many
   * answer entry j. */
  size_t *target = calloc(t->n + 1, sizeof *target);
  size_t *matches = calloc(t->n + 1, sizeof *matches);
  size_t groups = 0;
  bool failed = target == NULL || matches == NULL;
  for (size_t i = 0; i < t->n && !failed; i++) {
    target[i] =
        t->entries[i].matches ? find_entry(t, t->entries[i].matches) : SIZE_MAX;
    if (target[i] != SIZE_MAX && target[i] != i)
      matches[target[i]]++;
    else
      target[i] = SIZE_MAX;
    s->matching_pledge_count += t->entries[i].matches != NULL;
    s->joint_pledge_count += t->entries[i].joint;
  }
  /* The matching pledges by the entry they answer, in id order within
   * each (a counting sort keeps the tally's order): entry j's are
   * by_target[first[j] .. first[j] + matches[j]). */
  size_t *first = calloc(t->n + 1, sizeof *first);
  size_t *by_target = calloc(t->n + 1, sizeof *by_target);
  failed = failed || first == NULL || by_target == NULL;
  for (size_t j = 0, at = 0; j < t->n && !failed; j++) {
    first[j] = at;
    at += matches[j];
    groups += t->entries[j].joint || matches[j] > 0;
  }
  size_t *placed = calloc(t->n + 1, sizeof *placed);
  failed = failed || placed == NULL;
  for (size_t i = 0; i < t->n && !failed; i++)
    if (target[i] != SIZE_MAX)
      by_target[first[target[i]] + placed[target[i]]++] = i;
  free(placed);
  size_t listed = max_groups == 0 || groups < max_groups ? groups : max_groups;
  s->pledge_group_count = (int32_t)groups;
  s->pledge_groups = calloc(listed + 1, sizeof *s->pledge_groups);
  failed = failed || s->pledge_groups == NULL;
  for (size_t j = 0; j < t->n && !failed && s->n_pledge_groups < listed; j++) {
    if (!t->entries[j].joint && matches[j] == 0)
      continue;
    Rectrack__V1__PledgeGroup *g =
        new_group(&t->entries[j], matches[j], &failed);
    if (g == NULL)
      break;
    s->pledge_groups[s->n_pledge_groups++] = g;
    for (size_t k = 0; k < matches[j] && !failed && g->matched_by; k++) {
      Rectrack__V1__PledgeMatch *x =
          new_match(&t->entries[by_target[first[j] + k]], &failed);
      if (x != NULL)
        g->matched_by[g->n_matched_by++] = x;
    }
  }
  free(target);
  free(matches);
  free(first);
  free(by_target);
  return failed ? RT_ENOMEM : 0;
}

void rt_review_pledges_free(rt_review_pledges_t *t) {
  for (size_t i = 0; i < t->n; i++)
    free_entry(&t->entries[i]);
  free(t->entries);
  *t = (rt_review_pledges_t){0};
}

void rt_review_pledges_headline(const Rectrack__V1__ReviewSummary *s,
                                rt_review_buf_t *b) {
  int joint = s->joint_pledge_count, matching = s->matching_pledge_count;
  if (joint == 0 && matching == 0)
    return;
  rt_review_buf_printf(b,
                       "%d joint %s (common or partnership) and %d "
                       "matching %s. ",
                       joint, joint == 1 ? "pledge" : "pledges", matching,
                       matching == 1 ? "pledge" : "pledges");
  rt_review_buf_printf(b,
                       "Each partner's part has its own status as of %s, "
                       "from the reports filed for it; a pledge's own "
                       "status is its lead's part. Matching pledges are "
                       "listed beside the pledge they answer.",
                       s->as_of);
  if (s->pledge_group_count > (int32_t)s->n_pledge_groups)
    rt_review_buf_printf(b, " The first %zu of %d pledges are listed.",
                         s->n_pledge_groups, s->pledge_group_count);
}
