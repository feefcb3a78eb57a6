/*
 * tracker_review_source: the review's data source over one snapshot (see
 * the header). Each callback turns a storage read into unpacked messages
 * in the source's arena: a recommendation, commitment or follow-up of the
 * current walk, one subject's follow-ups or measurements, a subject by
 * id. The arena is dropped and a new one started on release(), which the
 * renderer calls after each subject, so the source's memory is that of
 * one subject's records. A follow-up or measurement whose stored message
 * lacks the id of what it belongs to gets it from its key, as the whole
 * data set's reading does.
 */
#include "tracker_review_source.h"

#include "tracker_arena.h"

#include <stdlib.h>
#include <string.h>

/* The arena's first block: a subject's records fit in it. */
#define SOURCE_BLOCK (16 * 1024)

struct tracker_review_source {
  rt_review_source_t api;
  rt_store_reader_t *reader;
  tracker_arena_t *arena;
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
};

static int fail(tracker_review_source_t *s, int rc) {
  if (s->err.code == 0)
    rt_error_set(&s->err, rc, NULL, "%s", rt_strerror(rc));
  return rc;
}

/* Unpacks stored bytes into the arena; NULL when they do not decode (or
 * no memory: then s->collect_rc says which). */
static ProtobufCMessage *unpack(tracker_review_source_t *s,
                                const ProtobufCMessageDescriptor *d,
                                const void *packed, size_t len) {
  ProtobufCMessage *m = protobuf_c_message_unpack(
      d, tracker_arena_allocator(s->arena), len, packed);
  if (m == NULL)
    rt_error_set(&s->err, RT_ECORRUPT, NULL,
                 "storage: a stored %s does not decode", d->short_name);
  return m;
}

/* Sets *owner (a follow-up's subject_id, a measurement's commitment_id)
 * from the key's id when the stored message has none. */
static int set_owner(tracker_review_source_t *s, char **owner, const char *id) {
  if (*owner != NULL && (*owner)[0] != '\0')
    return 0;
  if (id == NULL || id[0] == '\0')
    return 0;
  *owner = tracker_arena_strdup(s->arena, id);
  return *owner ? 0 : RT_ENOMEM;
}

static int push(tracker_review_source_t *s, void *item) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    void **items = tracker_arena_alloc(s->arena, cap * sizeof *items);
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

static int theme_visit(const char *theme, size_t count, void *data) {
  tracker_review_source_t *s = data;
  (void)count;
  char *copy = tracker_arena_strdup(s->arena, theme);
  return copy ? push(s, copy) : RT_ENOMEM;
}

static int src_themes(void *data, const char *const **themes, size_t *n) {
  tracker_review_source_t *s = data;
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
  tracker_review_source_t *s = data;
  rt_store_cursor_close(s->cursor);
  rt_store_cursor_close(s->com_cursor);
  s->cursor = s->com_cursor = NULL;
  s->themeless = s->due = s->walking_themes = false;
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
static int next_due(tracker_review_source_t *s,
                    const ProtobufCMessage **record) {
  rt_store_cursor_t *cursors[2] = {s->cursor, s->com_cursor};
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
  ProtobufCMessage *m =
      unpack(s,
             pick == 0 ? &rectrack__v1__recommendation__descriptor
                       : &rectrack__v1__commitment__descriptor,
             p->packed, p->len);
  p->packed = NULL;
  if (m == NULL)
    return fail(s, RT_ECORRUPT);
  *record = m;
  return 1;
}

static int src_next(void *data, const ProtobufCMessage **record) {
  tracker_review_source_t *s = data;
  *record = NULL;
  if (s->due)
    return next_due(s, record);
  if (s->walking_themes) {
    if (s->theme_at == s->n_themes)
      return 0;
    *record = &s->themes[s->theme_at++]->base;
    return 1;
  }
  for (;;) {
    const void *packed;
    size_t len;
    char owner[24];
    int rc = rt_store_cursor_next(s->cursor, &packed, &len, owner, &s->err);
    if (rc <= 0)
      return rc < 0 ? fail(s, rc) : 0;
    ProtobufCMessage *m = unpack(s, s->walked, packed, len);
    if (m == NULL)
      return fail(s, RT_ECORRUPT);
    if (s->themeless &&
        ((Rectrack__V1__Recommendation *)(void *)m)->theme[0] != '\0')
      continue; /* walked through the theme index */
    if (s->walked == &rectrack__v1__follow_up__descriptor &&
        set_owner(s, &((Rectrack__V1__FollowUp *)(void *)m)->subject_id,
                  owner) != 0)
      return fail(s, RT_ENOMEM);
    *record = m;
    return 1;
  }
}

static int collect(const void *packed, size_t len, const char *owner_id,
                   void *data) {
  tracker_review_source_t *s = data;
  ProtobufCMessage *m = unpack(s, s->collecting, packed, len);
  if (m == NULL)
    return s->collect_rc = RT_ECORRUPT;
  char **owner = s->collecting == &rectrack__v1__follow_up__descriptor
                     ? &((Rectrack__V1__FollowUp *)(void *)m)->subject_id
                     : &((Rectrack__V1__Measurement *)(void *)m)->commitment_id;
  if (set_owner(s, owner, owner_id) != 0 || push(s, m) != 0)
    return s->collect_rc = RT_ENOMEM;
  return 0;
}

/* One subject's history into s->items. */
static int collect_history(tracker_review_source_t *s, const char *id,
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
  tracker_review_source_t *s = data;
  int rc = collect_history(s, subject_id, false);
  *out = rc ? NULL : (Rectrack__V1__FollowUp *const *)s->items;
  *n = rc ? 0 : s->n;
  return rc;
}

static int src_measurements(void *data, const char *commitment_id,
                            Rectrack__V1__Measurement *const **out, size_t *n) {
  tracker_review_source_t *s = data;
  int rc = collect_history(s, commitment_id, true);
  *out = rc ? NULL : (Rectrack__V1__Measurement *const *)s->items;
  *n = rc ? 0 : s->n;
  return rc;
}

static int src_subject(void *data, const char *id,
                       const ProtobufCMessage **record) {
  tracker_review_source_t *s = data;
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
  *record = unpack(s,
                   is_rec ? &rectrack__v1__recommendation__descriptor
                          : &rectrack__v1__commitment__descriptor,
                   packed, len);
  return *record ? 0 : fail(s, RT_ECORRUPT);
}

static void src_release(void *data) {
  tracker_review_source_t *s = data;
  tracker_arena_t *fresh = tracker_arena_new(SOURCE_BLOCK);
  if (fresh == NULL)
    return; /* keep the old one: memory grows, nothing breaks */
  tracker_arena_free(s->arena);
  s->arena = fresh;
  s->items = NULL;
  s->n = s->cap = 0;
}

/* ---- the object ------------------------------------------------------ */

int tracker_review_source_new(rt_store_reader_t *reader,
                              tracker_review_source_t **out) {
  *out = NULL;
  tracker_review_source_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return RT_ENOMEM;
  s->arena = tracker_arena_new(SOURCE_BLOCK);
  if (s->arena == NULL) {
    free(s);
    return RT_ENOMEM;
  }
  s->reader = reader;
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

const rt_review_source_t *
tracker_review_source_get(tracker_review_source_t *source) {
  return &source->api;
}

const rt_error_t *tracker_review_source_error(tracker_review_source_t *source) {
  return &source->err;
}

void tracker_review_source_free(tracker_review_source_t *source) {
  if (source == NULL)
    return;
  rt_store_cursor_close(source->cursor);
  rt_store_cursor_close(source->com_cursor);
  rt_store_themes_free(source->themes, source->n_themes);
  tracker_arena_free(source->arena);
  free(source);
}
