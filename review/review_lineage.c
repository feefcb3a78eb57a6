/*
 * Lines of follow-up and the specificity summary (review_lineage.h).
 *
 * Building: each kept recommendation is a node, sorted by id; each echoes
 * or supersedes link between two kept ones is an edge from the later
 * (the one that links) to the earlier. Nodes without an edge are dropped,
 * a union-find joins the rest into lines, and each line's members are
 * put in order, the first made first: a member comes after every member
 * it links to (Kahn's order, ties and echo cycles broken by id). Time
 * O(k log k) for k linked recommendations.
 */
#include "review_lineage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line's text names at most this many members, then "and N more". */
#define LINEAGE_TEXT_MEMBERS 12

typedef struct node {
  char *id, *source_id, *source_ref;
  size_t line;   /* index into lines */
  int joined_by; /* how it joins earlier members: ECHOES, SUPERSEDES; 0 */
  bool superseded, linked;
  size_t parent;   /* union-find */
  size_t out_left; /* links to members not yet placed (ordering) */
} node_t;

typedef struct edge {
  size_t from, to; /* node indexes: from links to to */
  int kind;
} edge_t;

typedef struct line {
  size_t *members; /* node indexes, first made first */
  size_t n;
  size_t latest; /* node index */
  int status;    /* the latest's status, once a model met it */
} line_t;

struct rt_review_lineage {
  node_t *nodes;
  size_t n;
  edge_t *edges; /* by to, then from */
  size_t n_edges;
  line_t *lines; /* by the latest's id, natural order */
  size_t n_lines;
  size_t folded, superseded;
};

static int compare_nodes(const void *a, const void *b) {
  return strcmp(((const node_t *)a)->id, ((const node_t *)b)->id);
}

static node_t *find_node(const rt_review_lineage_t *l, const char *id) {
  if (id == NULL || l == NULL || l->n == 0)
    return NULL;
  node_t key = {.id = (char *)id};
  return bsearch(&key, l->nodes, l->n, sizeof *l->nodes, compare_nodes);
}

static size_t find_root(node_t *nodes, size_t i) {
  while (nodes[i].parent != i) {
    nodes[i].parent = nodes[nodes[i].parent].parent;
    i = nodes[i].parent;
  }
  return i;
}

static bool joins_line(int kind) {
  return kind == RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES ||
         kind == RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES;
}

static int compare_edges(const void *a, const void *b) {
  const edge_t *x = a, *y = b;
  if (x->to != y->to)
    return x->to < y->to ? -1 : 1;
  return (x->from > y->from) - (x->from < y->from);
}

/* Natural order of two nodes' ids, then bytes. */
static int natural(const node_t *nodes, size_t a, size_t b) {
  int c = rt_review_natcmp(nodes[a].id, nodes[b].id);
  return c ? c : strcmp(nodes[a].id, nodes[b].id);
}

/* ---- a small min-heap of node indexes in natural id order ---- */

typedef struct heap {
  size_t *items, n;
  const node_t *nodes;
} heap_t;

static void heap_push(heap_t *h, size_t v) {
  size_t i = h->n++;
  h->items[i] = v;
  while (i > 0 && natural(h->nodes, h->items[i], h->items[(i - 1) / 2]) < 0) {
    size_t p = (i - 1) / 2, t = h->items[p];
    h->items[p] = h->items[i];
    h->items[i] = t;
    i = p;
  }
}

static size_t heap_pop(heap_t *h) {
  size_t top = h->items[0];
  h->items[0] = h->items[--h->n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && natural(h->nodes, h->items[l], h->items[m]) < 0)
      m = l;
    if (r < h->n && natural(h->nodes, h->items[r], h->items[m]) < 0)
      m = r;
    if (m == i)
      break;
    size_t t = h->items[m];
    h->items[m] = h->items[i];
    h->items[i] = t;
    i = m;
  }
  return top;
}

/* The edges that end at node `to` (edges sorted by to): [*first, end). */
static size_t edges_to(const rt_review_lineage_t *l, size_t to, size_t *first) {
  size_t lo = 0, hi = l->n_edges;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (l->edges[mid].to < to)
      lo = mid + 1;
    else
      hi = mid;
  }
  *first = lo;
  while (hi < l->n_edges && l->edges[hi].to == to)
    hi++;
  return hi;
}

/* Puts a line's members (given in id order) first made first. */
static int order_line(rt_review_lineage_t *l, line_t *line) {
  node_t *nodes = l->nodes;
  size_t *sorted = malloc(line->n * sizeof *sorted);
  heap_t h = {malloc(line->n * sizeof *h.items), 0, nodes};
  bool *placed = calloc(line->n, sizeof *placed);
  if (sorted == NULL || h.items == NULL || placed == NULL) {
    free(sorted);
    free(h.items);
    free(placed);
    return RT_ENOMEM;
  }
  memcpy(sorted, line->members, line->n * sizeof *sorted);
  /* members are indexes into nodes; placed[] is indexed by the position
   * in sorted, found by a scan of node->line-local rank below. */
  for (size_t i = 0; i < line->n; i++) {
    nodes[sorted[i]].parent = i; /* reused: rank within the line */
    if (nodes[sorted[i]].out_left == 0)
      heap_push(&h, sorted[i]);
  }
  size_t next_forced = 0, out = 0;
  while (out < line->n) {
    size_t v;
    if (h.n > 0) {
      v = heap_pop(&h);
      if (placed[nodes[v].parent])
        continue;
    } else { /* an echo cycle: the lowest id not placed yet */
      while (placed[nodes[sorted[next_forced]].parent])
        next_forced++;
      v = sorted[next_forced];
    }
    placed[nodes[v].parent] = true;
    line->members[out++] = v;
    size_t first, end = edges_to(l, v, &first);
    for (size_t e = first; e < end; e++) {
      node_t *from = &nodes[l->edges[e].from];
      if (from->out_left > 0 && --from->out_left == 0 && !placed[from->parent])
        heap_push(&h, l->edges[e].from);
    }
  }
  free(sorted);
  free(h.items);
  free(placed);
  return 0;
}

/* The nodes the two compares below see (qsort has no context). */
static _Thread_local node_t *sort_nodes_for_lines;

static int compare_line_latest(const void *a, const void *b) {
  const line_t *x = a, *y = b;
  return natural(sort_nodes_for_lines, x->latest, y->latest);
}

static int compare_size_natural(const void *a, const void *b) {
  return natural(sort_nodes_for_lines, *(const size_t *)a, *(const size_t *)b);
}

static char *dup_str(const char *s, bool *failed) {
  char *copy = strdup(s ? s : "");
  if (copy == NULL)
    *failed = true;
  return copy;
}

void rt_review_lineage_free(rt_review_lineage_t *l) {
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->nodes[i].id);
    free(l->nodes[i].source_id);
    free(l->nodes[i].source_ref);
  }
  for (size_t i = 0; i < l->n_lines; i++)
    free(l->lines[i].members);
  free(l->nodes);
  free(l->edges);
  free(l->lines);
  free(l);
}

/* The nodes: the active recommendations with an id, once each. */
static int collect_nodes(rt_review_lineage_t *l,
                         const Rectrack__V1__Recommendation *const *recs,
                         size_t n) {
  bool failed = false;
  l->nodes = calloc(n + 1, sizeof *l->nodes);
  if (l->nodes == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < n && !failed; i++) {
    const Rectrack__V1__Recommendation *r = recs[i];
    if (r == NULL || r->archived || r->id == NULL || r->id[0] == '\0')
      continue;
    node_t *x = &l->nodes[l->n++];
    x->id = dup_str(r->id, &failed);
    x->source_id = dup_str(r->source_id, &failed);
    x->source_ref = dup_str(r->source_ref, &failed);
  }
  if (failed)
    return RT_ENOMEM;
  if (l->n > 1)
    qsort(l->nodes, l->n, sizeof *l->nodes, compare_nodes);
  size_t kept = 0; /* a record handed out twice counts once */
  for (size_t i = 0; i < l->n; i++) {
    if (kept > 0 && strcmp(l->nodes[kept - 1].id, l->nodes[i].id) == 0) {
      free(l->nodes[i].id);
      free(l->nodes[i].source_id);
      free(l->nodes[i].source_ref);
      continue;
    }
    l->nodes[kept++] = l->nodes[i];
  }
  l->n = kept;
  for (size_t i = 0; i < l->n; i++)
    l->nodes[i].parent = i;
  return 0;
}

static int collect_edges(rt_review_lineage_t *l,
                         const Rectrack__V1__Recommendation *const *recs,
                         size_t n) {
  size_t cap = 0;
  for (size_t i = 0; i < n; i++) {
    const Rectrack__V1__Recommendation *r = recs[i];
    node_t *from = r && !r->archived ? find_node(l, r->id) : NULL;
    if (from == NULL)
      continue;
    for (size_t k = 0; k < r->n_links; k++) {
      const Rectrack__V1__RecommendationLink *link = r->links[k];
      if (link == NULL || !joins_line(link->kind))
        continue;
      node_t *to = find_node(l, link->recommendation_id);
      if (to == NULL || to == from)
        continue;
      if (l->n_edges == cap) {
        cap = cap ? 2 * cap : 16;
        edge_t *bigger = realloc(l->edges, cap * sizeof *bigger);
        if (bigger == NULL)
          return RT_ENOMEM;
        l->edges = bigger;
      }
      l->edges[l->n_edges++] = (edge_t){(size_t)(from - l->nodes),
                                        (size_t)(to - l->nodes), link->kind};
    }
  }
  if (l->n_edges > 1)
    qsort(l->edges, l->n_edges, sizeof *l->edges, compare_edges);
  /* The same record handed out twice: one edge. */
  size_t kept = 0;
  for (size_t i = 0; i < l->n_edges; i++)
    if (kept == 0 || compare_edges(&l->edges[kept - 1], &l->edges[i]) != 0 ||
        l->edges[kept - 1].kind != l->edges[i].kind)
      l->edges[kept++] = l->edges[i];
  l->n_edges = kept;
  return 0;
}

static int make_lines(rt_review_lineage_t *l) {
  node_t *nodes = l->nodes;
  for (size_t e = 0; e < l->n_edges; e++) {
    const edge_t *x = &l->edges[e];
    nodes[x->from].linked = nodes[x->to].linked = true;
    nodes[x->from].out_left++;
    if (x->kind == RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES) {
      nodes[x->to].superseded = true;
      nodes[x->from].joined_by = x->kind;
    } else if (nodes[x->from].joined_by == 0) {
      nodes[x->from].joined_by = x->kind;
    }
    size_t a = find_root(nodes, x->from), b = find_root(nodes, x->to);
    if (a != b)
      nodes[a > b ? a : b].parent = a > b ? b : a;
  }
  /* One line per root of a linked node: roots get their line index. */
  size_t *line_of_root = malloc((l->n + 1) * sizeof *line_of_root);
  if (line_of_root == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < l->n; i++)
    line_of_root[i] = SIZE_MAX;
  size_t *roots = malloc((l->n + 1) * sizeof *roots);
  if (roots == NULL) {
    free(line_of_root);
    return RT_ENOMEM;
  }
  for (size_t i = 0; i < l->n; i++)
    roots[i] = nodes[i].linked ? find_root(nodes, i) : SIZE_MAX;
  for (size_t i = 0; i < l->n; i++)
    if (roots[i] != SIZE_MAX && line_of_root[roots[i]] == SIZE_MAX)
      line_of_root[roots[i]] = l->n_lines++;
  l->lines = calloc(l->n_lines + 1, sizeof *l->lines);
  int rc = l->lines ? 0 : RT_ENOMEM;
  for (size_t i = 0; i < l->n && rc == 0; i++)
    if (roots[i] != SIZE_MAX)
      l->lines[line_of_root[roots[i]]].n++;
  for (size_t i = 0; i < l->n_lines && rc == 0; i++) {
    l->lines[i].members = malloc(l->lines[i].n * sizeof(size_t));
    l->lines[i].status = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
    if (l->lines[i].members == NULL)
      rc = RT_ENOMEM;
    l->lines[i].n = 0;
  }
  for (size_t i = 0; i < l->n && rc == 0; i++)
    if (roots[i] != SIZE_MAX) {
      line_t *line = &l->lines[line_of_root[roots[i]]];
      nodes[i].line = line_of_root[roots[i]];
      line->members[line->n++] = i;
    }
  free(roots);
  free(line_of_root);
  sort_nodes_for_lines = nodes;
  for (size_t i = 0; i < l->n_lines && rc == 0; i++) {
    line_t *line = &l->lines[i];
    qsort(line->members, line->n, sizeof *line->members, compare_size_natural);
    /* Latest: the highest id among those nothing in the line links to;
     * in a cycle with none, the highest id. */
    size_t latest = line->members[line->n - 1];
    for (size_t k = line->n; k-- > 0;) {
      size_t first;
      if (edges_to(l, line->members[k], &first) == first) {
        latest = line->members[k];
        break;
      }
    }
    line->latest = latest;
    rc = order_line(l, line);
  }
  if (rc == 0)
    qsort(l->lines, l->n_lines, sizeof *l->lines, compare_line_latest);
  for (size_t i = 0; i < l->n_lines; i++) {
    for (size_t k = 0; k < l->lines[i].n; k++)
      nodes[l->lines[i].members[k]].line = i;
    l->folded += l->lines[i].n - 1;
  }
  for (size_t i = 0; i < l->n; i++)
    l->superseded += nodes[i].linked && nodes[i].superseded;
  return rc;
}

int rt_review_lineage_build(const Rectrack__V1__Recommendation *const *recs,
                            size_t n, rt_review_lineage_t **out) {
  *out = NULL;
  rt_review_lineage_t *l = calloc(1, sizeof *l);
  if (l == NULL)
    return RT_ENOMEM;
  int rc = collect_nodes(l, recs, n);
  if (rc == 0)
    rc = collect_edges(l, recs, n);
  if (rc == 0)
    rc = make_lines(l);
  if (rc != 0) {
    rt_review_lineage_free(l);
    return RT_ENOMEM;
  }
  *out = l;
  return 0;
}

/* The node of id when it is in a line. */
static const node_t *line_node(const rt_review_lineage_t *l, const char *id) {
  const node_t *x = find_node(l, id);
  return x != NULL && x->linked ? x : NULL;
}

void rt_review_lineage_mark(rt_review_model_t *m) {
  rt_review_lineage_t *l = m->lineage;
  for (size_t i = 0; i < m->rec_count; i++) {
    rt_review_item_t *it = &m->recs[i];
    const node_t *x = line_node(l, it->id);
    if (x == NULL)
      continue;
    line_t *line = &l->lines[x->line];
    it->superseded = x->superseded;
    it->folded = &l->nodes[line->latest] != x;
    if (it->folded)
      it->days_overdue = 0; /* followed up under the latest */
    else
      line->status = it->status;
  }
}

void rt_review_model_use_lineage(rt_review_model_t *m, rt_review_lineage_t *l) {
  rt_review_lineage_free(m->own_lineage);
  m->own_lineage = NULL;
  m->lineage = l;
  rt_review_lineage_mark(m);
}

/* "Title (date) §ref" of a node's source. */
static void put_source(const rt_review_model_t *m, const node_t *x,
                       rt_review_buf_t *out) {
  char label[640];
  const char *text =
      x->source_id[0]
          ? rt_review_source_label(m, x->source_id, label, sizeof label)
          : "an unnamed source";
  rt_review_buf_puts(out, text);
  if (x->source_ref[0] != '\0')
    rt_review_buf_printf(out, " %s%s", strstr(x->source_ref, "§") ? "" : "§",
                         x->source_ref);
}

static void line_text(const rt_review_model_t *m, const rt_review_lineage_t *l,
                      const line_t *line, rt_review_buf_t *out) {
  for (size_t k = 0; k < line->n && k < LINEAGE_TEXT_MEMBERS; k++) {
    const node_t *x = &l->nodes[line->members[k]];
    const char *verb =
        k == 0 ? "first made at"
        : x->joined_by == RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES
            ? "superseded at"
            : "echoed at";
    rt_review_buf_printf(out, "%s%s %s ", k ? "; " : "", x->id, verb);
    put_source(m, x, out);
  }
  if (line->n > LINEAGE_TEXT_MEMBERS)
    rt_review_buf_printf(out, "; and %zu more", line->n - LINEAGE_TEXT_MEMBERS);
}

void rt_review_lineage_text_of(const rt_review_model_t *m,
                               const rt_review_lineage_t *l, const char *id,
                               rt_review_buf_t *out, const char **latest_id) {
  if (latest_id != NULL)
    *latest_id = "";
  const node_t *x = line_node(l, id);
  if (x == NULL)
    return;
  const line_t *line = &l->lines[x->line];
  if (latest_id != NULL)
    *latest_id = l->nodes[line->latest].id;
  line_text(m, l, line, out);
}

/* ---- specificity ---- */

static void tally_id(rt_review_spec_tally_t *t, int slot, const char *id) {
  t->gaps[slot]++;
  if (t->n_ids[slot] == RT_REVIEW_GAP_IDS)
    return;
  char *copy = strdup(id);
  if (copy == NULL)
    t->failed = true;
  else
    t->ids[slot][t->n_ids[slot]++] = copy;
}

void rt_review_spec_tally_add(rt_review_spec_tally_t *t,
                              const rt_review_item_t *it) {
  if (it->rec == NULL || it->folded)
    return;
  const Rectrack__V1__Recommendation *r = it->rec;
  int level = r->specificity;
  if (level >= 1 && level <= 3)
    t->levels[level]++;
  bool addressee = false, due = false;
  for (size_t k = 0; k < r->n_specificity_gaps; k++) {
    int g = r->specificity_gaps[k];
    if (g < 1 || g > 4)
      continue;
    tally_id(t, g, r->id);
    addressee |= g == RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_ADDRESSEE;
    due |= g == RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_DUE_DATE;
  }
  if (addressee && due)
    tally_id(t, 5, r->id);
}

void rt_review_spec_tally_free(rt_review_spec_tally_t *t) {
  for (int g = 0; g < 6; g++) {
    for (size_t k = 0; k < t->n_ids[g]; k++)
      free(t->ids[g][k]);
    t->n_ids[g] = 0;
  }
}

static void *push_new(void ***array, size_t *n, size_t size,
                      void (*init)(void *), bool *failed) {
  void **bigger = realloc(*array, (*n + 1) * sizeof *bigger);
  void *m = bigger ? malloc(size) : NULL;
  if (bigger != NULL)
    *array = bigger;
  if (m == NULL) {
    *failed = true;
    return NULL;
  }
  init(m);
  (*array)[(*n)++] = m;
  return m;
}

static void init_line(void *m) { rectrack__v1__line_of_follow_up__init(m); }
static void init_level(void *m) { rectrack__v1__specificity_count__init(m); }
static void init_gap(void *m) { rectrack__v1__specificity_gap_count__init(m); }

static void add_lines(Rectrack__V1__ReviewSummary *s,
                      const rt_review_model_t *m, const rt_review_lineage_t *l,
                      size_t max_lines, bool *failed) {
  rt_review_buf_t text = {0};
  for (size_t i = 0; i < l->n_lines && !*failed; i++) {
    if (max_lines != 0 && i == max_lines)
      break;
    const line_t *line = &l->lines[i];
    Rectrack__V1__LineOfFollowUp *o = push_new((void ***)&s->lines, &s->n_lines,
                                               sizeof *o, init_line, failed);
    if (o == NULL)
      break;
    o->latest_id = dup_str(l->nodes[line->latest].id, failed);
    o->status = line->status;
    o->recommendation_ids = calloc(line->n, sizeof(char *));
    if (o->recommendation_ids == NULL) {
      *failed = true;
      break;
    }
    for (size_t k = 0; k < line->n; k++)
      o->recommendation_ids[o->n_recommendation_ids++] =
          dup_str(l->nodes[line->members[k]].id, failed);
    rt_review_buf_reset(&text);
    line_text(m, l, line, &text);
    o->lineage = dup_str(rt_review_buf_str(&text), failed);
  }
  rt_review_buf_free(&text);
}

int rt_review_lineage_summarise(Rectrack__V1__ReviewSummary *s,
                                const rt_review_model_t *m,
                                const rt_review_lineage_t *l,
                                rt_review_spec_tally_t *t, size_t rec_count,
                                size_t max_lines) {
  bool failed = t->failed;
  size_t folded = l ? l->folded : 0;
  s->counted_recommendation_count = (int32_t)(rec_count - folded);
  s->line_count = (int32_t)(l ? l->n_lines : 0);
  s->folded_count = (int32_t)folded;
  s->superseded_count = (int32_t)(l ? l->superseded : 0);
  if (l != NULL)
    add_lines(s, m, l, max_lines, &failed);
  for (int level = 1; level <= 3 && !failed; level++) {
    if (t->levels[level] == 0)
      continue;
    Rectrack__V1__SpecificityCount *c =
        push_new((void ***)&s->by_specificity, &s->n_by_specificity, sizeof *c,
                 init_level, &failed);
    if (c != NULL) {
      c->specificity = level;
      c->count = t->levels[level];
    }
  }
  for (int g = 1; g <= 5 && !failed; g++) {
    Rectrack__V1__SpecificityGapCount *c =
        push_new((void ***)&s->by_specificity_gap, &s->n_by_specificity_gap,
                 sizeof *c, init_gap, &failed);
    if (c == NULL)
      break;
    c->gaps = calloc(2, sizeof *c->gaps);
    c->recommendation_ids = calloc(t->n_ids[g] + 1, sizeof(char *));
    if (c->gaps == NULL || c->recommendation_ids == NULL) {
      failed = true;
      break;
    }
    if (g < 5) {
      c->gaps[c->n_gaps++] = g;
    } else {
      c->gaps[c->n_gaps++] =
          RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_ADDRESSEE;
      c->gaps[c->n_gaps++] =
          RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_DUE_DATE;
    }
    c->count = t->gaps[g];
    for (size_t k = 0; k < t->n_ids[g]; k++) /* taken over */
      c->recommendation_ids[c->n_recommendation_ids++] = t->ids[g][k];
    t->n_ids[g] = 0;
  }
  rt_review_spec_tally_free(t);
  return failed ? RT_ENOMEM : 0;
}

void rt_review_lineage_headline(const Rectrack__V1__ReviewSummary *s,
                                rt_review_buf_t *out) {
  if (s->line_count > 0)
    rt_review_buf_printf(
        out,
        "%d recommendations make %d lines of follow-up, each counted once "
        "under its latest recommendation: the figures count %d "
        "recommendations (%d counted under a later one, %d of them "
        "superseded). ",
        s->folded_count + s->line_count, s->line_count,
        s->counted_recommendation_count, s->folded_count, s->superseded_count);
  for (size_t i = 0; i < s->n_by_specificity_gap; i++) {
    const Rectrack__V1__SpecificityGapCount *g = s->by_specificity_gap[i];
    if (g->n_gaps == 2)
      rt_review_buf_printf(out,
                           "%d recommendation%s no addressee and no due "
                           "date.",
                           g->count, g->count == 1 ? " has" : "s have");
  }
}
