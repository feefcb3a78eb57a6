/*
 * review_source: the review's data source over one snapshot (see the
 * header). Each callback turns a storage read into unpacked messages in
 * the source's arena: a recommendation, commitment or follow-up of the
 * current walk, one subject's follow-ups or measurements, a subject by
 * id. The arena is dropped and a new one started on release(), which the
 * renderer calls after each subject, so the source's memory is that of
 * one subject's records. A follow-up or measurement whose stored message
 * lacks the id of what it belongs to gets it from its key, as the whole
 * data set's reading does.
 *
 * The public view filters where the records come out: next() skips
 * unpublished commitments and, in the period walk, reports that are not
 * official or whose subject is not public; a subject's history keeps its
 * official reports only; subject() does not find an unpublished
 * commitment. Every record handed out then gets its public fields.
 *
 * The arena is a small bump allocator of this module's own (the
 * tracker's per-request arena is private to the tracker): blocks of
 * growing size, all freed at once.
 */
#include "review_source.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arena's first block: a subject's records fit in it. */
#define SOURCE_BLOCK (16 * 1024)
#define ARENA_MAX_BLOCK (1u << 20)
#define ARENA_ALIGN alignof(max_align_t)

/* ---- the arena ------------------------------------------------------- */

typedef struct arena_block {
  struct arena_block *previous;
  size_t size, used;
  alignas(max_align_t) unsigned char data[];
} arena_block_t;

typedef struct arena {
  ProtobufCAllocator allocator; /* allocator_data is the arena */
  arena_block_t *current;
} arena_t;

static void *arena_alloc(arena_t *a, size_t size) {
  if (size > SIZE_MAX / 2)
    return NULL;
  size = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
  arena_block_t *b = a->current;
  if (b == NULL || size > b->size - b->used) {
    size_t grow = b ? b->size * 2 : SOURCE_BLOCK;
    if (grow > ARENA_MAX_BLOCK)
      grow = ARENA_MAX_BLOCK;
    if (grow < size)
      grow = size;
    arena_block_t *fresh = malloc(sizeof *fresh + grow);
    if (fresh == NULL)
      return NULL;
    *fresh = (arena_block_t){.previous = b, .size = grow};
    a->current = b = fresh;
  }
  void *p = b->data + b->used;
  b->used += size;
  return p;
}

static void *allocator_alloc(void *data, size_t size) {
  return arena_alloc(data, size);
}

static void allocator_free(void *data, void *pointer) {
  (void)data;
  (void)pointer; /* freed with the arena */
}

static void arena_init(arena_t *a) {
  *a = (arena_t){.allocator = {allocator_alloc, allocator_free, a}};
}

/* Frees every block but keeps the newest for what comes next. */
static void arena_reset(arena_t *a) {
  arena_block_t *b = a->current;
  if (b == NULL)
    return;
  while (b->previous != NULL) {
    arena_block_t *previous = b->previous;
    b->previous = previous->previous;
    free(previous);
  }
  b->used = 0;
}

static void arena_close(arena_t *a) {
  arena_reset(a);
  free(a->current);
  a->current = NULL;
}

static char *arena_strdup(arena_t *a, const char *text) {
  size_t len = strlen(text) + 1;
  char *copy = arena_alloc(a, len);
  if (copy != NULL)
    memcpy(copy, text, len);
  return copy;
}

/* ---- the public fields ------------------------------------------------ */

/* Empties a string field (protobuf-c frees only strings other than its
 * shared empty one). */
static void clear_string(char **field, bool owned) {
  if (owned && *field != NULL && *field != protobuf_c_empty_string)
    free(*field);
  *field = (char *)protobuf_c_empty_string;
}

void review_source_public_recommendation(Rectrack__V1__Recommendation *r,
                                         bool owned) {
  r->reported_status = RECTRACK__V1__STATUS__STATUS_UNSPECIFIED;
  clear_string(&r->reported_as_of, owned);
  clear_string(&r->updated_by, owned);
  r->pending_count = 0;
}

void review_source_public_commitment(Rectrack__V1__Commitment *c, bool owned) {
  c->reported_status = RECTRACK__V1__STATUS__STATUS_UNSPECIFIED;
  clear_string(&c->reported_as_of, owned);
  clear_string(&c->updated_by, owned);
  c->pending_count = 0;
  /* each partner's part, as the pledge's own status */
  for (size_t i = 0; i < c->n_partner_statuses; i++) {
    c->partner_statuses[i]->reported_status =
        RECTRACK__V1__STATUS__STATUS_UNSPECIFIED;
    clear_string(&c->partner_statuses[i]->reported_as_of, owned);
  }
}

void review_source_public_follow_up(Rectrack__V1__FollowUp *f, bool owned) {
  clear_string(&f->recorded_by, owned);
  clear_string(&f->reviewed_by, owned);
}

void review_source_public_measurement(Rectrack__V1__Measurement *m,
                                      bool owned) {
  clear_string(&m->recorded_by, owned);
  clear_string(&m->reviewed_by, owned);
}

/* ---- the source ------------------------------------------------------- */

struct review_source {
  rt_review_source_t api;
  rt_store_reader_t *reader;
  bool public_view;
  arena_t arena;
  rt_store_cursor_t *cursor;
  const ProtobufCMessageDescriptor *walked; /* what the cursor yields */
  bool themeless;                           /* skip records with a theme */
  /* The due walk merges two cursors (recommendations first on a date):
   * the cursor above and this one, each with its next entry, peeked. */
  bool due;
  rt_store_cursor_t *com_cursor;
  struct peek {
    const void *packed; /* NULL: none peeked */
    size_t len;
    char date[24];
    bool ended;
  } peek[2];
  rt_error_t err;
  /* The added-themes walk: the store's list, walked by index. */
  Rectrack__V1__Theme **themes;
  size_t n_themes, theme_at;
  bool walking_themes;
  /* What a scan collects into the arena. */
  void **items;
  size_t n, cap;
  const ProtobufCMessageDescriptor *collecting;
  int collect_rc;
  /* The walk of linked recommendations (rt_store_line_members). */
  uint64_t *linked;
  size_t n_linked, linked_at;
  bool walking_linked;
};

static int fail(review_source_t *s, int rc) {
  if (s->err.code == 0)
    rt_error_set(&s->err, rc, NULL, "%s", rt_strerror(rc));
  return rc;
}

/* Gives a recommendation its computed fields (specificity, gaps, the
 * inverse links), as a Get answers it: the review's specificity summary
 * reads them. They are unpacked apart into the arena and moved over. */
static int add_computed(review_source_t *s, Rectrack__V1__Recommendation *r) {
  uint8_t *extra = NULL;
  size_t len = 0;
  int rc = rt_store_recommendation_computed_packed(s->reader, r->id, &extra,
                                                   &len, &s->err);
  if (rc != 0)
    return rc;
  Rectrack__V1__Recommendation *c =
      rectrack__v1__recommendation__unpack(&s->arena.allocator, len, extra);
  free(extra);
  if (c == NULL)
    return RT_ECORRUPT;
  r->specificity = c->specificity;
  r->specificity_gaps = c->specificity_gaps;
  r->n_specificity_gaps = c->n_specificity_gaps;
  r->linked_from = c->linked_from;
  r->n_linked_from = c->n_linked_from;
  return 0;
}

/* Gives a commitment the pledges that match it (a computed field): the
 * review lists a matching pledge beside the pledge it answers, and a
 * stream reads one commitment at a time. */
static int add_matched_by(review_source_t *s, Rectrack__V1__Commitment *c) {
  uint8_t *extra = NULL;
  size_t len = 0;
  int rc = rt_store_commitment_computed_packed(s->reader, c->id, &extra, &len,
                                               &s->err);
  if (rc != 0 || len == 0)
    return rc;
  Rectrack__V1__Commitment *computed =
      rectrack__v1__commitment__unpack(&s->arena.allocator, len, extra);
  free(extra);
  if (computed == NULL)
    return RT_ECORRUPT;
  c->matched_by = computed->matched_by;
  c->n_matched_by = computed->n_matched_by;
  return 0;
}

/* Unpacks stored bytes into the arena; NULL when they do not decode (or
 * no memory: then s->collect_rc says which). */
static ProtobufCMessage *unpack(review_source_t *s,
                                const ProtobufCMessageDescriptor *d,
                                const void *packed, size_t len) {
  ProtobufCMessage *m =
      protobuf_c_message_unpack(d, &s->arena.allocator, len, packed);
  if (m == NULL) {
    rt_error_set(&s->err, RT_ECORRUPT, NULL,
                 "storage: a stored %s does not decode", d->short_name);
    return NULL;
  }
  if (d == &rectrack__v1__recommendation__descriptor &&
      add_computed(s, (Rectrack__V1__Recommendation *)(void *)m) != 0) {
    if (s->err.code == 0)
      rt_error_set(&s->err, RT_ECORRUPT, NULL,
                   "storage: the computed fields of a recommendation");
    return NULL;
  }
  if (d == &rectrack__v1__commitment__descriptor &&
      add_matched_by(s, (Rectrack__V1__Commitment *)(void *)m) != 0) {
    if (s->err.code == 0)
      rt_error_set(&s->err, RT_ECORRUPT, NULL,
                   "storage: the pledges matching a commitment");
    return NULL;
  }
  return m;
}

/* Sets *owner (a follow-up's subject_id, a measurement's commitment_id)
 * from the key's id when the stored message has none. */
static int set_owner(review_source_t *s, char **owner, const char *id) {
  if (*owner != NULL && (*owner)[0] != '\0')
    return 0;
  if (id == NULL || id[0] == '\0')
    return 0;
  *owner = arena_strdup(&s->arena, id);
  return *owner ? 0 : RT_ENOMEM;
}

static int push(review_source_t *s, void *item) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    void **items = arena_alloc(&s->arena, cap * sizeof *items);
    if (items == NULL)
      return RT_ENOMEM;
    if (s->n > 0)
      memcpy(items, s->items, s->n * sizeof *items);
    s->items = items;
    s->cap = cap;
  }
  s->items[s->n++] = item;
  return 0;
}

/* ---- callbacks ------------------------------------------------------- */

/* Whether m may be handed out in the source's view; in the public view
 * it gets its public fields. A report's subject is checked apart. */
static bool shown(review_source_t *s, ProtobufCMessage *m) {
  if (!s->public_view)
    return true;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (d == &rectrack__v1__recommendation__descriptor) {
    review_source_public_recommendation((void *)m, false);
  } else if (d == &rectrack__v1__commitment__descriptor) {
    if (!rt_store_commitment_is_published((void *)m))
      return false;
    review_source_public_commitment((void *)m, false);
  } else if (d == &rectrack__v1__follow_up__descriptor) {
    Rectrack__V1__FollowUp *f = (void *)m;
    if (!rt_store_review_is_official(f->review_state))
      return false;
    review_source_public_follow_up(f, false);
  } else if (d == &rectrack__v1__measurement__descriptor) {
    Rectrack__V1__Measurement *x = (void *)m;
    if (!rt_store_review_is_official(x->review_state))
      return false;
    review_source_public_measurement(x, false);
  }
  return true;
}

/* Where the arena stands, to give back what a record left out took. */
typedef struct mark {
  arena_block_t *block;
  size_t used;
} mark_t;

static mark_t arena_mark(review_source_t *s) {
  return (mark_t){s->arena.current,
                  s->arena.current ? s->arena.current->used : 0};
}

static void arena_back(review_source_t *s, mark_t m) {
  if (m.block != NULL && s->arena.current == m.block)
    m.block->used = m.used;
}

/* The public view: whether the subject of a period's report may be
 * shown (a recommendation, or a published commitment). */
static bool subject_public(review_source_t *s, const char *id) {
  if (id == NULL || (id[0] != 'R' && id[0] != 'C'))
    return false;
  const void *packed;
  size_t len;
  rt_entity_t entity =
      id[0] == 'R' ? RT_ENTITY_RECOMMENDATION : RT_ENTITY_COMMITMENT;
  if (rt_store_get_raw(s->reader, entity, id, &packed, &len, NULL) != 0)
    return false;
  if (entity == RT_ENTITY_RECOMMENDATION)
    return true;
  mark_t mark = arena_mark(s);
  Rectrack__V1__Commitment *c = (void *)protobuf_c_message_unpack(
      &rectrack__v1__commitment__descriptor, &s->arena.allocator, len, packed);
  bool published = c != NULL && rt_store_commitment_is_published(c);
  arena_back(s, mark);
  return published;
}

static int theme_visit(const char *theme, size_t count, void *data) {
  review_source_t *s = data;
  (void)count;
  char *copy = arena_strdup(&s->arena, theme);
  return copy ? push(s, copy) : RT_ENOMEM;
}

static int src_themes(void *data, const char *const **themes, size_t *n) {
  review_source_t *s = data;
  s->items = NULL;
  s->n = s->cap = 0;
  size_t without = 0;
  int rc = rt_store_themes(s->reader, RT_ENTITY_RECOMMENDATION, theme_visit, s,
                           &without, &s->err);
  if (rc == 0 && without > 0)
    rc = push(s, (char *)"");
  if (rc != 0)
    return fail(s, rc);
  *themes = (const char *const *)s->items;
  *n = s->n;
  return 0;
}

static int src_open(void *data, const rt_review_walk_t *walk) {
  review_source_t *s = data;
  rt_store_cursor_close(s->cursor);
  rt_store_cursor_close(s->com_cursor);
  s->cursor = s->com_cursor = NULL;
  s->themeless = s->due = s->walking_themes = s->walking_linked = false;
  memset(s->peek, 0, sizeof s->peek);
  int rc;
  switch (walk->kind) {
  case RT_REVIEW_WALK_ADDED_THEMES:
    rt_store_themes_free(s->themes, s->n_themes);
    s->themes = NULL;
    s->n_themes = s->theme_at = 0;
    s->walking_themes = true;
    rc = rt_store_list_themes(s->reader, &s->themes, &s->n_themes, &s->err);
    break;
  case RT_REVIEW_WALK_LINKED:
    free(s->linked);
    s->linked = NULL;
    s->n_linked = s->linked_at = 0;
    s->walking_linked = true;
    rc = rt_store_line_members(s->reader, &s->linked, &s->n_linked, &s->err);
    break;
  case RT_REVIEW_WALK_RECOMMENDATIONS:
    s->walked = &rectrack__v1__recommendation__descriptor;
    rc = rt_store_cursor_records(s->reader, RT_ENTITY_RECOMMENDATION,
                                 &s->cursor, &s->err);
    break;
  case RT_REVIEW_WALK_ACTORS:
    s->walked = &rectrack__v1__actor__descriptor;
    rc = rt_store_cursor_records(s->reader, RT_ENTITY_ACTOR, &s->cursor,
                                 &s->err);
    break;
  case RT_REVIEW_WALK_SOURCES:
    s->walked = &rectrack__v1__source__descriptor;
    rc = rt_store_cursor_records(s->reader, RT_ENTITY_SOURCE, &s->cursor,
                                 &s->err);
    break;
  case RT_REVIEW_WALK_DUE:
    s->due = true;
    rc = rt_store_cursor_due(s->reader, RT_ENTITY_RECOMMENDATION, walk->before,
                             &s->cursor, &s->err);
    if (rc == 0)
      rc = rt_store_cursor_due(s->reader, RT_ENTITY_COMMITMENT, walk->before,
                               &s->com_cursor, &s->err);
    break;
  case RT_REVIEW_WALK_THEME:
    s->walked = &rectrack__v1__recommendation__descriptor;
    s->themeless = walk->theme == NULL || walk->theme[0] == '\0';
    rc = s->themeless
             ? rt_store_cursor_records(s->reader, RT_ENTITY_RECOMMENDATION,
                                       &s->cursor, &s->err)
             : rt_store_cursor_theme(s->reader, RT_ENTITY_RECOMMENDATION,
                                     walk->theme, &s->cursor, &s->err);
    break;
  case RT_REVIEW_WALK_COMMITMENTS:
    s->walked = &rectrack__v1__commitment__descriptor;
    rc = rt_store_cursor_records(s->reader, RT_ENTITY_COMMITMENT, &s->cursor,
                                 &s->err);
    break;
  case RT_REVIEW_WALK_PERIOD:
    s->walked = &rectrack__v1__follow_up__descriptor;
    rc = rt_store_cursor_period(s->reader, walk->from_date, walk->to_date,
                                &s->cursor, &s->err);
    break;
  default:
    rc = rt_error_set(&s->err, RT_EINVAL, NULL, "unknown walk %d",
                      (int)walk->kind);
  }
  return rc ? fail(s, rc) : 0;
}

/* The due walk: the earlier of the two cursors' next entries. */
static int next_due(review_source_t *s, const ProtobufCMessage **record) {
  rt_store_cursor_t *cursors[2] = {s->cursor, s->com_cursor};
again:
  for (int i = 0; i < 2; i++) {
    struct peek *p = &s->peek[i];
    if (p->packed != NULL || p->ended)
      continue;
    int rc =
        rt_store_cursor_next(cursors[i], &p->packed, &p->len, p->date, &s->err);
    if (rc < 0)
      return fail(s, rc);
    p->ended = rc == 0;
  }
  int pick = s->peek[0].packed == NULL                       ? 1
             : s->peek[1].packed == NULL                     ? 0
             : strcmp(s->peek[0].date, s->peek[1].date) <= 0 ? 0
                                                             : 1;
  struct peek *p = &s->peek[pick];
  if (p->packed == NULL)
    return 0;
  mark_t mark = arena_mark(s);
  ProtobufCMessage *m =
      unpack(s,
             pick == 0 ? &rectrack__v1__recommendation__descriptor
                       : &rectrack__v1__commitment__descriptor,
             p->packed, p->len);
  p->packed = NULL;
  if (m == NULL)
    return fail(s, RT_ECORRUPT);
  if (!shown(s, m)) {
    arena_back(s, mark);
    goto again;
  }
  *record = m;
  return 1;
}

static int src_next(void *data, const ProtobufCMessage **record) {
  review_source_t *s = data;
  *record = NULL;
  if (s->due)
    return next_due(s, record);
  if (s->walking_themes) {
    if (s->theme_at == s->n_themes)
      return 0;
    *record = &s->themes[s->theme_at++]->base;
    return 1;
  }
  while (s->walking_linked && s->linked_at < s->n_linked) {
    char id[24];
    snprintf(id, sizeof id, "R%llu",
             (unsigned long long)s->linked[s->linked_at++]);
    const void *packed;
    size_t len;
    int rc = rt_store_get_raw(s->reader, RT_ENTITY_RECOMMENDATION, id, &packed,
                              &len, &s->err);
    if (rc == RT_ENOTFOUND)
      continue; /* the verifier reports a link to nothing */
    if (rc != 0)
      return fail(s, rc);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(&rectrack__v1__recommendation__descriptor,
                                  &s->arena.allocator, len, packed);
    if (m == NULL)
      return fail(s, RT_ECORRUPT);
    *record = m;
    return 1;
  }
  if (s->walking_linked)
    return 0;
  for (;;) {
    const void *packed;
    size_t len;
    char owner[24];
    int rc = rt_store_cursor_next(s->cursor, &packed, &len, owner, &s->err);
    if (rc <= 0)
      return rc < 0 ? fail(s, rc) : 0;
    mark_t mark = arena_mark(s);
    ProtobufCMessage *m = unpack(s, s->walked, packed, len);
    if (m == NULL)
      return fail(s, RT_ECORRUPT);
    if (s->themeless &&
        ((Rectrack__V1__Recommendation *)(void *)m)->theme[0] != '\0') {
      arena_back(s, mark);
      continue; /* walked through the theme index */
    }
    bool report = s->walked == &rectrack__v1__follow_up__descriptor;
    if (report &&
        set_owner(s, &((Rectrack__V1__FollowUp *)(void *)m)->subject_id,
                  owner) != 0)
      return fail(s, RT_ENOMEM);
    if (!shown(s, m) ||
        (s->public_view && report &&
         !subject_public(s,
                         ((Rectrack__V1__FollowUp *)(void *)m)->subject_id))) {
      arena_back(s, mark);
      continue;
    }
    *record = m;
    return 1;
  }
}

static int collect(const void *packed, size_t len, const char *owner_id,
                   void *data) {
  review_source_t *s = data;
  ProtobufCMessage *m = unpack(s, s->collecting, packed, len);
  if (m == NULL)
    return s->collect_rc = RT_ECORRUPT;
  char **owner = s->collecting == &rectrack__v1__follow_up__descriptor
                     ? &((Rectrack__V1__FollowUp *)(void *)m)->subject_id
                     : &((Rectrack__V1__Measurement *)(void *)m)->commitment_id;
  if (set_owner(s, owner, owner_id) != 0)
    return s->collect_rc = RT_ENOMEM;
  if (shown(s, m) && push(s, m) != 0)
    return s->collect_rc = RT_ENOMEM;
  return 0;
}

/* One subject's history into s->items. */
static int collect_history(review_source_t *s, const char *id,
                           bool measurements) {
  s->items = NULL;
  s->n = s->cap = 0;
  s->collect_rc = 0;
  s->collecting = measurements ? &rectrack__v1__measurement__descriptor
                               : &rectrack__v1__follow_up__descriptor;
  int rc = measurements ? rt_store_scan_commitment_measurements(
                              s->reader, id, collect, s, &s->err)
                        : rt_store_scan_subject_follow_ups(s->reader, id,
                                                           collect, s, &s->err);
  if (s->collect_rc != 0)
    rc = s->collect_rc;
  return rc ? fail(s, rc) : 0;
}

static int src_follow_ups(void *data, const char *subject_id,
                          Rectrack__V1__FollowUp *const **out, size_t *n) {
  review_source_t *s = data;
  int rc = collect_history(s, subject_id, false);
  *out = rc ? NULL : (Rectrack__V1__FollowUp *const *)s->items;
  *n = rc ? 0 : s->n;
  return rc;
}

static int src_measurements(void *data, const char *commitment_id,
                            Rectrack__V1__Measurement *const **out, size_t *n) {
  review_source_t *s = data;
  int rc = collect_history(s, commitment_id, true);
  *out = rc ? NULL : (Rectrack__V1__Measurement *const *)s->items;
  *n = rc ? 0 : s->n;
  return rc;
}

static int src_subject(void *data, const char *id,
                       const ProtobufCMessage **record) {
  review_source_t *s = data;
  *record = NULL;
  bool is_rec = id != NULL && id[0] == 'R';
  rt_entity_t entity = is_rec ? RT_ENTITY_RECOMMENDATION : RT_ENTITY_COMMITMENT;
  const void *packed;
  size_t len;
  rt_error_t ignored;
  int rc = rt_store_get_raw(s->reader, entity, id, &packed, &len, &ignored);
  if (rc == RT_ENOTFOUND || rc == RT_EINVAL)
    return 0; /* the verifier reports a follow-up without subject */
  if (rc != 0) {
    s->err = ignored;
    return fail(s, rc);
  }
  ProtobufCMessage *m =
      unpack(s,
             is_rec ? &rectrack__v1__recommendation__descriptor
                    : &rectrack__v1__commitment__descriptor,
             packed, len);
  if (m == NULL)
    return fail(s, RT_ECORRUPT);
  *record = shown(s, m) ? m : NULL; /* unpublished: as if there were none */
  return 0;
}

static void src_release(void *data) {
  review_source_t *s = data;
  arena_reset(&s->arena);
  s->items = NULL;
  s->n = s->cap = 0;
}

/* ---- the object ------------------------------------------------------ */

int review_source_new(rt_store_reader_t *reader, review_source_view_t view,
                      review_source_t **out) {
  *out = NULL;
  review_source_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return RT_ENOMEM;
  arena_init(&s->arena);
  s->reader = reader;
  s->public_view = view == REVIEW_SOURCE_PUBLIC;
  rt_error_clear(&s->err);
  s->api = (rt_review_source_t){.data = s,
                                .themes = src_themes,
                                .open = src_open,
                                .next = src_next,
                                .follow_ups = src_follow_ups,
                                .measurements = src_measurements,
                                .subject = src_subject,
                                .release = src_release};
  *out = s;
  return 0;
}

const rt_review_source_t *review_source_get(review_source_t *source) {
  return &source->api;
}

const rt_error_t *review_source_error(review_source_t *source) {
  return &source->err;
}

void review_source_free(review_source_t *source) {
  if (source == NULL)
    return;
  rt_store_cursor_close(source->cursor);
  rt_store_cursor_close(source->com_cursor);
  rt_store_themes_free(source->themes, source->n_themes);
  free(source->linked);
  arena_close(&source->arena);
  free(source);
}
