/*
 * store_walk: the list engine (store_query.h). A listing is a set of
 * conditions, each of which an index can answer; "every record"
 * (IDX_ALL) is always one of them. Each condition resolves to sources:
 * one index key, whose entries come in primary-key order, or a range of
 * keys of one tag, whose entries come in key then primary-key order; a
 * listing that includes archived records gets each source twice, once
 * with the archived bit in the tag. The condition whose sources hold the
 * fewest entries (LMDB counts a dupsort key's entries in O(1)) drives:
 * its sources are merged by position (a small heap of cursors), resumed
 * after the page token's position, and each candidate is checked against
 * the other conditions (an index lookup per key, the word list for a
 * term) and, for ranges, the two or three fields they need, read from
 * the stored bytes without unpacking the record. So a page
 * costs the driving entries walked from the token on, never a scan from
 * the start, and a call stops after its budget of candidates with a short
 * page whose token resumes the walk.
 *
 * total_size: exact from index counts when the listing is one condition
 * (or none) whose count is exact; exact by walking when the driving index
 * holds at most STORE_EXACT_COUNT_BOUND entries; otherwise estimated from
 * this call's walk (the driving count times the share of candidates that
 * matched) and flagged as such.
 */
#include "store_query.h"

#include <stdlib.h>
#include <string.h>

/* ---- sources and streams ---------------------------------------------- */

/* One source of a condition: a key, or keys in [key, hi) of key's tag. */
typedef struct source {
  store_key_t key; /* tag (with the archived bit as needed) + value */
  store_key_t hi;  /* range: upper bound key; len 0: none */
  bool range, archived;
  MDB_dbi dbi;
} source_t;

/* A condition resolved against the snapshot. */
typedef struct resolved {
  source_t *sources;
  size_t n_sources;
  size_t count;    /* entries under the sources (see exact) */
  bool exact;      /* count is the number of matching records */
  bool can_drive;  /* false: too many sources to merge */
  bool truncated;  /* a range with too many keys to count */
  bool range;      /* walked in key order */
  uint64_t weight; /* count used to choose the driver */
} resolved_t;

/* A cursor over one source, at its current entry. */
typedef struct stream {
  const source_t *source;
  MDB_cursor *cursor;
  MDB_val key, pk;
} stream_t;

static bool in_source(const source_t *s, const MDB_val *key) {
  const uint8_t *k = key->mv_data;
  if (!s->range)
    return key->mv_size == s->key.len &&
           memcmp(k, s->key.data, s->key.len) == 0;
  if (key->mv_size < 1 || k[0] != s->key.data[0])
    return false;
  return s->hi.len == 0 ||
         store_key_compare(k, key->mv_size, s->hi.data, s->hi.len) < 0;
}

/* 0: the stream has an entry; RT_ENOTFOUND: it is exhausted. The entry
 * is read back with MDB_GET_CURRENT, since some positioning operations
 * leave the key the caller passed in place of the stored one. */
static int stream_check(stream_t *st, int mdb_rc, rt_error_t *err) {
  if (mdb_rc == 0)
    mdb_rc = mdb_cursor_get(st->cursor, &st->key, &st->pk, MDB_GET_CURRENT);
  int rc = store_mdb_error(mdb_rc, err, "walking an index");
  if (rc == 0 && !in_source(st->source, &st->key))
    rc = RT_ENOTFOUND;
  return rc;
}

static int stream_first(stream_t *st, rt_error_t *err) {
  const source_t *s = st->source;
  st->key = (MDB_val){s->key.len, (void *)s->key.data};
  return stream_check(st,
                      mdb_cursor_get(st->cursor, &st->key, &st->pk,
                                     s->range ? MDB_SET_RANGE : MDB_SET_KEY),
                      err);
}

static bool same_val(const MDB_val *v, const store_key_t *k) {
  return v->mv_size == k->len && memcmp(v->mv_data, k->data, k->len) == 0;
}

/* Positions the stream on its first entry after at. */
static int stream_seek(stream_t *st, const store_position_t *at,
                       rt_error_t *err) {
  const source_t *s = st->source;
  store_key_t key = s->key;
  if (s->range) {
    key.data[0] = s->key.data[0];
    memcpy(key.data + 1, at->suffix.data, at->suffix.len);
    key.len = at->suffix.len + 1;
    if (store_key_compare(key.data, key.len, s->key.data, s->key.len) < 0)
      return stream_first(st, err);
  }
  st->key = (MDB_val){key.len, key.data};
  st->pk = (MDB_val){at->pk.len, (void *)at->pk.data};
  int mdb_rc =
      mdb_cursor_get(st->cursor, &st->key, &st->pk, MDB_GET_BOTH_RANGE);
  if (mdb_rc == 0 && same_val(&st->pk, &at->pk))
    mdb_rc = mdb_cursor_get(st->cursor, &st->key, &st->pk,
                            s->range ? MDB_NEXT : MDB_NEXT_DUP);
  else if (mdb_rc == MDB_NOTFOUND && s->range) {
    /* every entry of that key is before at: go to the next key */
    st->key = (MDB_val){key.len, key.data};
    mdb_rc = mdb_cursor_get(st->cursor, &st->key, &st->pk, MDB_SET_RANGE);
    if (mdb_rc == 0 && same_val(&st->key, &key))
      mdb_rc = mdb_cursor_get(st->cursor, &st->key, &st->pk, MDB_NEXT_NODUP);
  }
  return stream_check(st, mdb_rc, err);
}

static int stream_next(stream_t *st, rt_error_t *err) {
  return stream_check(
      st,
      mdb_cursor_get(st->cursor, &st->key, &st->pk,
                     st->source->range ? MDB_NEXT : MDB_NEXT_DUP),
      err);
}

/* Position order: (key value, primary key) for ranges, primary key for
 * key sets. */
static int stream_compare(const stream_t *a, const stream_t *b, bool range) {
  if (range) {
    int c = store_key_compare(
        (const uint8_t *)a->key.mv_data + 1, a->key.mv_size - 1,
        (const uint8_t *)b->key.mv_data + 1, b->key.mv_size - 1);
    if (c != 0)
      return c;
  }
  return store_key_compare(a->pk.mv_data, a->pk.mv_size, b->pk.mv_data,
                           b->pk.mv_size);
}

/* ---- the merge: a min-heap of streams --------------------------------- */

typedef struct merge {
  stream_t *streams;
  size_t n_streams;
  stream_t **heap;
  size_t heap_len;
  bool range;
} merge_t;

static void heap_down(merge_t *m, size_t i) {
  for (;;) {
    size_t least = i, l = 2 * i + 1, r = l + 1;
    if (l < m->heap_len &&
        stream_compare(m->heap[l], m->heap[least], m->range) < 0)
      least = l;
    if (r < m->heap_len &&
        stream_compare(m->heap[r], m->heap[least], m->range) < 0)
      least = r;
    if (least == i)
      return;
    stream_t *t = m->heap[i];
    m->heap[i] = m->heap[least];
    m->heap[least] = t;
    i = least;
  }
}

static void merge_close(merge_t *m) {
  for (size_t i = 0; i < m->n_streams; i++)
    if (m->streams[i].cursor)
      mdb_cursor_close(m->streams[i].cursor);
  free(m->streams);
  free(m->heap);
  *m = (merge_t){0};
}

/* Opens a stream per source, each at its first entry after at (NULL: at
 * its first entry). */
static int merge_open(MDB_txn *txn, const resolved_t *driver,
                      const store_position_t *at, merge_t *m, rt_error_t *err) {
  *m = (merge_t){.range = driver->range};
  m->streams =
      calloc(driver->n_sources ? driver->n_sources : 1, sizeof *m->streams);
  m->heap = calloc(driver->n_sources ? driver->n_sources : 1, sizeof *m->heap);
  if (m->streams == NULL || m->heap == NULL) {
    merge_close(m);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  m->n_streams = driver->n_sources;
  for (size_t i = 0; i < driver->n_sources; i++) {
    stream_t *st = &m->streams[i];
    st->source = &driver->sources[i];
    int rc = store_mdb_error(mdb_cursor_open(txn, st->source->dbi, &st->cursor),
                             err, "opening an index");
    if (rc == 0)
      rc = at ? stream_seek(st, at, err) : stream_first(st, err);
    if (rc == 0)
      m->heap[m->heap_len++] = st;
    else if (rc != RT_ENOTFOUND) {
      merge_close(m);
      return rc;
    }
  }
  for (size_t i = m->heap_len / 2; i-- > 0;)
    heap_down(m, i);
  return 0;
}

/* The stream at the least position, or NULL when all are exhausted. */
static stream_t *merge_peek(merge_t *m) {
  return m->heap_len ? m->heap[0] : NULL;
}

/* Moves the least stream on. */
static int merge_advance(merge_t *m, rt_error_t *err) {
  int rc = stream_next(m->heap[0], err);
  if (rc == RT_ENOTFOUND) {
    m->heap[0] = m->heap[--m->heap_len];
    rc = 0;
  }
  if (rc == 0 && m->heap_len)
    heap_down(m, 0);
  return rc;
}

/* ---- resolving conditions ---------------------------------------------- */

static void resolved_free(resolved_t *r) {
  free(r->sources);
  *r = (resolved_t){0};
}

static int add_source(resolved_t *r, const source_t *s, size_t *cap) {
  if (r->n_sources == *cap) {
    size_t n = *cap ? *cap * 2 : 4;
    source_t *sources = realloc(r->sources, n * sizeof *sources);
    if (sources == NULL)
      return RT_ENOMEM;
    r->sources = sources;
    *cap = n;
  }
  r->sources[r->n_sources++] = *s;
  return 0;
}

/* Entries under one key (0 when absent). */
static int count_key(MDB_cursor *cursor, const store_key_t *key, size_t *count,
                     rt_error_t *err) {
  MDB_val k = {key->len, (void *)key->data}, v;
  *count = 0;
  int rc = store_mdb_error(mdb_cursor_get(cursor, &k, &v, MDB_SET), err,
                           "counting an index");
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_count(cursor, count), err,
                         "counting an index");
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* Entries under the keys of a range, counted key by key up to
 * STORE_RANGE_KEYS_MAX keys, or until past limit (beyond which the count
 * makes no difference); *complete false when it stopped early. */
static int count_range(MDB_cursor *cursor, const source_t *s, size_t limit,
                       size_t *count, bool *complete, rt_error_t *err) {
  MDB_val k = {s->key.len, (void *)s->key.data}, v;
  *count = 0;
  *complete = true;
  int rc = store_mdb_error(mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE), err,
                           "counting an index");
  for (size_t keys = 0; rc == 0 && in_source(s, &k); keys++) {
    if (keys == STORE_RANGE_KEYS_MAX || *count > limit) {
      *complete = false;
      break;
    }
    size_t n = 0;
    rc =
        store_mdb_error(mdb_cursor_count(cursor, &n), err, "counting an index");
    *count += n;
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &k, &v, MDB_NEXT_NODUP), err,
                           "counting an index");
  }
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* Adds the word keys that begin with term (in one variant) as sources;
 * *words counts them. */
static int expand_term(MDB_cursor *cursor, const store_cond_t *c, bool archived,
                       MDB_dbi dbi, resolved_t *r, size_t *cap, size_t *words,
                       rt_error_t *err) {
  store_key_t prefix;
  store_word_key(c->term, c->term_len, archived, &prefix);
  MDB_val k = {prefix.len, prefix.data}, v;
  int rc = store_mdb_error(mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE), err,
                           "reading the word index");
  while (rc == 0 && k.mv_size >= prefix.len && k.mv_size <= STORE_MAX_KEY &&
         memcmp(k.mv_data, prefix.data, prefix.len) == 0) {
    if (++*words > STORE_WORD_EXPANSION_MAX) {
      r->can_drive = false;
      return 0;
    }
    source_t s = {.archived = archived, .dbi = dbi};
    memcpy(s.key.data, k.mv_data, k.mv_size);
    s.key.len = k.mv_size;
    size_t n = 0;
    rc = store_mdb_error(mdb_cursor_count(cursor, &n), err,
                         "reading the word index");
    if (rc == 0 && (rc = add_source(r, &s, cap)) != 0)
      return rt_error_set(err, rc, NULL, "out of memory");
    r->count += n;
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &k, &v, MDB_NEXT_NODUP), err,
                           "reading the word index");
  }
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* Resolves c into sources for one or both variants and counts them. */
static int resolve(MDB_txn *txn, const store_list_t *list,
                   const store_cond_t *c, size_t limit, resolved_t *r,
                   rt_error_t *err) {
  *r = (resolved_t){
      .exact = true, .can_drive = true, .range = c->kind == STORE_COND_RANGE};
  MDB_dbi index = store_entity_index(list->store, list->entity);
  MDB_dbi words = store_word_index(list->store, list->entity);
  MDB_cursor *cursor = NULL;
  int rc = store_mdb_error(
      mdb_cursor_open(txn, c->kind == STORE_COND_WORD ? words : index, &cursor),
      err, "opening an index");
  size_t cap = 0, most_words = 0;
  for (int variant = 0; rc == 0 && variant < (list->include_archived ? 2 : 1);
       variant++) {
    bool archived = variant == 1;
    uint8_t bit = archived ? IDX_ARCHIVED : 0;
    if (c->kind == STORE_COND_WORD) {
      size_t n_words = 0; /* a record is under one variant only */
      rc = expand_term(cursor, c, archived, words, r, &cap, &n_words, err);
      most_words = n_words > most_words ? n_words : most_words;
      continue;
    }
    if (c->kind == STORE_COND_KEYS) {
      for (size_t i = 0; rc == 0 && i < c->keys.n; i++) {
        source_t s = {
            .key = c->keys.keys[i], .archived = archived, .dbi = index};
        s.key.data[0] |= bit;
        size_t n = 0;
        rc = count_key(cursor, &s.key, &n, err);
        r->count += n;
        if (rc == 0 && n > 0 && add_source(r, &s, &cap) != 0)
          rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
      }
      continue;
    }
    source_t s = {.range = true, .archived = archived, .dbi = index};
    s.key.data[0] = c->tag | bit;
    memcpy(s.key.data + 1, c->lo.data, c->lo.len);
    s.key.len = c->lo.len + 1;
    if (c->hi.len) {
      s.hi.data[0] = c->tag | bit;
      memcpy(s.hi.data + 1, c->hi.data, c->hi.len);
      s.hi.len = c->hi.len + 1;
    }
    size_t n = 0;
    bool complete = true;
    rc = count_range(cursor, &s, limit, &n, &complete, err);
    r->count += n;
    r->exact = r->exact && complete;
    r->truncated = r->truncated || !complete;
    if (rc == 0 && add_source(r, &s, &cap) != 0)
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  if (cursor)
    mdb_cursor_close(cursor);
  /* Several words of one term may hold the same record: their sum is an
   * upper bound, exact for one word only. */
  if (c->kind == STORE_COND_WORD && most_words > 1)
    r->exact = false;
  r->weight = r->can_drive ? r->count : UINT64_MAX;
  if (rc != 0)
    resolved_free(r);
  return rc;
}

/* ---- candidates -------------------------------------------------------- */

/* What a walk keeps while it checks candidates. */
typedef struct checker {
  MDB_txn *txn;
  const store_list_t *list;
  const store_cond_t *conds; /* all conditions; [0] is "every record" */
  size_t n_conds;
  size_t driver;
  MDB_cursor *index;
  bool range_checks; /* a range condition is checked on the record */
} checker_t;

static bool under_key(checker_t *ck, const store_key_t *key, bool archived,
                      const MDB_val *pk, int *rc, rt_error_t *err) {
  store_key_t k = *key;
  if (archived)
    k.data[0] |= IDX_ARCHIVED;
  MDB_val kv = {k.len, k.data}, v = *pk;
  *rc = store_mdb_error(mdb_cursor_get(ck->index, &kv, &v, MDB_GET_BOTH), err,
                        "reading an index");
  if (*rc == RT_ENOTFOUND) {
    *rc = 0;
    return false;
  }
  return *rc == 0;
}

/* Whether the candidate at pk passes every condition but the driver's
 * and the record-level match. *rc gets a failure of the read. */
static bool passes(checker_t *ck, const MDB_val *pk, bool archived, int *rc,
                   rt_error_t *err) {
  MDB_val list = {0, NULL};
  bool have_list = false;
  *rc = 0;
  for (size_t i = 1; i < ck->n_conds; i++) {
    const store_cond_t *c = &ck->conds[i];
    if (i == ck->driver || c->kind == STORE_COND_RANGE)
      continue; /* ranges: checked on the record (check_candidate) */
    if (c->kind == STORE_COND_KEYS) {
      bool any = false;
      for (size_t j = 0; !any && *rc == 0 && j < c->keys.n; j++)
        any = under_key(ck, &c->keys.keys[j], archived, pk, rc, err);
      if (!any)
        return false;
      continue;
    }
    if (!have_list) {
      *rc = store_mdb_error(
          mdb_get(ck->txn, store_word_lists(ck->list->store, ck->list->entity),
                  (MDB_val *)pk, &list),
          err, "reading a word list");
      if (*rc == RT_ENOTFOUND) {
        *rc = 0;
        return false; /* no words at all */
      }
      if (*rc != 0)
        return false;
      have_list = true;
    }
    if (!store_words_have_prefix(list.mv_data, list.mv_size, c->term,
                                 c->term_len))
      return false;
  }
  return true;
}

/* ---- range checks on the stored bytes --------------------------------- */

/* Reads a varint at *p (before end). Returns false when malformed. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t byte = *(*p)++;
    value |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = value;
      return true;
    }
  }
  return false;
}

/* The last occurrence of top-level field number in a packed message (the
 * one protobuf keeps): its varint, or its bytes. Returns 1 found, 0
 * absent (the field has its default), RT_ECORRUPT malformed. A range
 * check reads the two or three fields it needs this way instead of
 * unpacking the record. */
static int peek_field(const uint8_t *p, size_t len, uint32_t number,
                      uint64_t *varint, const uint8_t **bytes,
                      size_t *bytes_len) {
  const uint8_t *end = p + len;
  int found = 0;
  while (p < end) {
    uint64_t key, n;
    if (!read_varint(&p, end, &key))
      return RT_ECORRUPT;
    uint32_t wire = key & 7;
    bool wanted = (key >> 3) == number;
    if (wire == 0) {
      if (!read_varint(&p, end, &n))
        return RT_ECORRUPT;
      if (wanted) {
        *varint = n;
        found = 1;
      }
    } else if (wire == 2) {
      if (!read_varint(&p, end, &n) || n > (uint64_t)(end - p))
        return RT_ECORRUPT;
      if (wanted) {
        *bytes = p;
        *bytes_len = (size_t)n;
        found = 1;
      }
      p += n;
    } else if (wire == 1 || wire == 5) {
      size_t skip = wire == 1 ? 8 : 4;
      if (skip > (size_t)(end - p))
        return RT_ECORRUPT;
      p += skip;
    } else {
      return RT_ECORRUPT;
    }
  }
  return found;
}

/* Field numbers of what range conditions look at (resources.proto). */
typedef struct range_fields {
  uint32_t status, due_date, revision;
} range_fields_t;

static range_fields_t fields_of(rt_entity_t entity) {
  return entity == RT_ENTITY_RECOMMENDATION ? (range_fields_t){12, 11, 14}
                                            : (range_fields_t){10, 9, 17};
}

/* Whether the stored record (value) lies in range condition c. */
static int in_range(rt_entity_t entity, const store_cond_t *c,
                    const MDB_val *value, bool *inside) {
  range_fields_t f = fields_of(entity);
  const uint8_t *data = value->mv_data, *bytes = NULL;
  size_t len = 0;
  uint64_t number = 0;
  uint8_t be[8];
  int rc;
  *inside = false;
  if (c->tag == IDX_REVISION) {
    rc = peek_field(data, value->mv_size, f.revision, &number, &bytes, &len);
    store_put_u64(be, number);
    bytes = be;
    len = 8;
  } else {
    rc = peek_field(data, value->mv_size, f.due_date, &number, &bytes, &len);
    if (rc == 1 && c->tag == IDX_OPEN_DUE) {
      uint64_t status = 0;
      rc = peek_field(data, value->mv_size, f.status, &status, &bytes, &len);
      if (status == RECTRACK__V1__STATUS__STATUS_IMPLEMENTED ||
          status == RECTRACK__V1__STATUS__STATUS_WITHDRAWN)
        return 0;
    }
  }
  if (rc < 0)
    return rc;
  if (rc == 0 && c->tag != IDX_REVISION)
    return 0; /* no due date */
  *inside = len > 0 &&
            store_key_compare(bytes, len, c->lo.data, c->lo.len) >= 0 &&
            (c->hi.len == 0 ||
             store_key_compare(bytes, len, c->hi.data, c->hi.len) < 0);
  return 0;
}

/* Checks a candidate fully: 1 matches, 0 not, negative on failure. With
 * keep, a match is also unpacked for the caller into *out. The record is
 * read only when a range condition other than the driver must be checked
 * on it, or it is kept. */
static int check_candidate(checker_t *ck, const MDB_val *pk, bool archived,
                           bool keep, ProtobufCMessage **out, rt_error_t *err) {
  int rc;
  if (!passes(ck, pk, archived, &rc, err))
    return rc;
  if (!keep && !ck->range_checks)
    return 1;
  rt_store_t *store = ck->list->store;
  rt_entity_t entity = ck->list->entity;
  MDB_val value;
  rc = store_mdb_error(
      mdb_get(ck->txn, store_entity_dbi(store, entity), (MDB_val *)pk, &value),
      err, "reading a record");
  if (rc == RT_ENOTFOUND) /* dangling entry: the verifier reports it */
    return 0;
  if (rc != 0)
    return rc;
  for (size_t i = 1; ck->range_checks && i < ck->n_conds; i++) {
    bool inside;
    if (i == ck->driver || ck->conds[i].kind != STORE_COND_RANGE)
      continue;
    if (in_range(entity, &ck->conds[i], &value, &inside) != 0)
      return rt_error_set(err, RT_ECORRUPT, NULL,
                          "storage: a stored %s does not decode",
                          store_entity_name(entity));
    if (!inside)
      return 0;
  }
  if (keep) {
    *out = protobuf_c_message_unpack(store_entity_descriptor(entity), NULL,
                                     value.mv_size, value.mv_data);
    if (*out == NULL)
      return rt_error_set(err, RT_ECORRUPT, NULL,
                          "storage: a stored %s does not decode",
                          store_entity_name(entity));
  }
  return 1;
}

/* ---- the walk ---------------------------------------------------------- */

static void position_of(const stream_t *st, bool range, size_t driver,
                        store_position_t *at) {
  at->driver = (uint8_t)driver;
  at->suffix.len = 0;
  if (range) {
    at->suffix.len = st->key.mv_size - 1;
    memcpy(at->suffix.data, (const uint8_t *)st->key.mv_data + 1,
           at->suffix.len);
  }
  at->pk.len = st->pk.mv_size;
  memcpy(at->pk.data, st->pk.mv_data, st->pk.mv_size);
}

typedef struct walk_state {
  size_t examined, matched;
  bool more;       /* a match follows the page */
  bool cut;        /* the budget ran out first */
  bool has_resume; /* resume is where the next page starts after */
  store_position_t resume;
} walk_state_t;

/* Walks the driver from at (NULL: the start), filling result up to
 * page_size (0: only counting, to the end). */
static int walk(checker_t *ck, const resolved_t *driver,
                const store_position_t *at, size_t page_size, size_t budget,
                store_list_result_t *result, walk_state_t *ws,
                rt_error_t *err) {
  merge_t m;
  int rc = merge_open(ck->txn, driver, at, &m, err);
  if (rc != 0)
    return rc;
  store_key_t previous = {.len = 0};
  stream_t *st;
  while (rc == 0 && (st = merge_peek(&m)) != NULL) {
    if (!m.range && same_val(&st->pk, &previous)) {
      rc = merge_advance(&m, err); /* one record under two words */
      continue;
    }
    if (page_size && ws->examined == budget) {
      ws->cut = true;
      break;
    }
    ws->examined++;
    ProtobufCMessage *item = NULL;
    bool keep = page_size && result->n < page_size;
    rc = check_candidate(ck, &st->pk, st->source->archived, keep, &item, err);
    if (rc < 0)
      break;
    if (rc == 1 && page_size && !keep) {
      ws->more = true;
      rc = 0;
      break;
    }
    ws->matched += (size_t)rc;
    if (rc == 1 && keep)
      result->items[result->n++] = item;
    if (page_size) {
      position_of(st, m.range, ck->driver, &ws->resume);
      ws->has_resume = true;
    }
    memcpy(previous.data, st->pk.mv_data, st->pk.mv_size);
    previous.len = st->pk.mv_size;
    rc = merge_advance(&m, err);
  }
  merge_close(&m);
  return rc < 0 ? rc : 0;
}

static int32_t clamp_total(uint64_t total) {
  return total > INT32_MAX ? INT32_MAX : (int32_t)total;
}

/* Sets result->total (see the top of this file). */
static int settle_total(checker_t *ck, const resolved_t *driver,
                        const walk_state_t *ws, bool from_start,
                        store_list_result_t *result, rt_error_t *err) {
  size_t real_conds = ck->n_conds - 1; /* beyond "every record" */
  if (driver->exact && (real_conds == 0 || (real_conds == 1 && ck->driver))) {
    result->total = clamp_total(driver->count);
    return 0;
  }
  if (from_start && !ws->more && !ws->cut) {
    result->total = clamp_total(ws->matched);
    return 0;
  }
  if (driver->count <= STORE_EXACT_COUNT_BOUND) {
    walk_state_t counting = {0};
    int rc = walk(ck, driver, NULL, 0, SIZE_MAX, result, &counting, err);
    if (rc == 0)
      result->total = clamp_total(counting.matched);
    return rc;
  }
  uint64_t matched = ws->matched + (ws->more ? 1 : 0);
  uint64_t estimate =
      ws->examined ? (uint64_t)driver->count * matched / ws->examined : 0;
  if (estimate < result->n)
    estimate = result->n;
  result->total = clamp_total(estimate);
  result->total_is_estimate = true;
  return 0;
}

void store_list_result_free(store_list_result_t *result) {
  for (size_t i = 0; i < result->n; i++)
    protobuf_c_message_free_unpacked(result->items[i], NULL);
  free(result->items);
  free(result->next_token);
  memset(result, 0, sizeof *result);
}

/* The condition with the fewest entries; any condition narrows "every
 * record", so it drives when it is no larger. */
static void choose_driver(checker_t *ck, const resolved_t *resolved) {
  ck->driver = 0;
  for (size_t i = 1; i < ck->n_conds; i++)
    if (resolved[i].weight < resolved[ck->driver].weight ||
        (ck->driver == 0 && resolved[i].weight <= resolved[0].weight &&
         resolved[i].can_drive))
      ck->driver = i;
}

/* Resolves every condition; the one to drive is the token's, else the
 * one with the fewest entries. */
static int resolve_all(checker_t *ck, resolved_t *resolved,
                       const store_position_t *at, bool has_at,
                       rt_error_t *err) {
  /* Key sets and words first: a range need only be counted as far as
   * the smallest of them, since past it it cannot drive. */
  int rc = 0;
  size_t smallest = SIZE_MAX;
  for (int ranges = 0; ranges < 2; ranges++)
    for (size_t i = 0; rc == 0 && i < ck->n_conds; i++) {
      if ((ck->conds[i].kind == STORE_COND_RANGE) != (ranges == 1))
        continue;
      rc = resolve(ck->txn, ck->list, &ck->conds[i], smallest, &resolved[i],
                   err);
      if (rc == 0 && resolved[i].can_drive && resolved[i].count < smallest)
        smallest = resolved[i].count;
    }
  if (rc != 0)
    return rc;
  /* A range too large to count may hold every record. */
  for (size_t i = 1; i < ck->n_conds; i++)
    if (resolved[i].truncated && resolved[i].count < resolved[0].count)
      resolved[i].weight = resolved[i].count = resolved[0].count;
  if (has_at) {
    if (at->driver >= ck->n_conds || !resolved[at->driver].can_drive ||
        (!resolved[at->driver].range && at->suffix.len != 0))
      return rt_error_set(err, RT_EINVAL, "page_token",
                          "page_token: not a token of this query");
    ck->driver = at->driver;
  } else {
    choose_driver(ck, resolved);
  }
  for (size_t i = 1; i < ck->n_conds; i++)
    if (i != ck->driver && ck->conds[i].kind == STORE_COND_RANGE)
      ck->range_checks = true;
  return 0;
}

int store_list_run(rt_store_reader_t *reader, store_list_t *list,
                   store_list_result_t *result, rt_error_t *err) {
  memset(result, 0, sizeof *result);
  store_position_t at;
  bool has_at = false;
  int rc =
      store_token_decode(list->page_token, list->digest, &at, &has_at, err);
  if (rc != 0)
    return rc;
  store_cond_t conds[STORE_MAX_CONDITIONS + 1];
  memset(&conds[0], 0, sizeof conds[0]);
  conds[0].kind = STORE_COND_KEYS;
  store_keyset_t all = {0};
  if (store_keyset_add(&all, IDX_ALL, "", 0) != 0)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  conds[0].keys = all;
  memcpy(&conds[1], list->conds, list->n_conds * sizeof *list->conds);
  checker_t ck = {.txn = reader->txn,
                  .list = list,
                  .conds = conds,
                  .n_conds = list->n_conds + 1};
  resolved_t resolved[STORE_MAX_CONDITIONS + 1];
  memset(resolved, 0, sizeof resolved);
  result->items = calloc(list->page_size, sizeof *result->items);
  if (result->items == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = store_mdb_error(
        mdb_cursor_open(reader->txn,
                        store_entity_index(list->store, list->entity),
                        &ck.index),
        err, "opening an index");
  if (rc == 0)
    rc = resolve_all(&ck, resolved, &at, has_at, err);
  walk_state_t ws = {0};
  if (rc == 0)
    rc =
        walk(&ck, &resolved[ck.driver], has_at ? &at : NULL, list->page_size,
             list->budget ? list->budget : STORE_LIST_BUDGET, result, &ws, err);
  if (rc == 0)
    rc = settle_total(&ck, &resolved[ck.driver], &ws, !has_at, result, err);
  if (rc == 0 && (ws.more || ws.cut) && ws.has_resume &&
      (result->next_token = store_token_encode(list->digest, &ws.resume)) ==
          NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < ck.n_conds; i++)
    resolved_free(&resolved[i]);
  if (ck.index)
    mdb_cursor_close(ck.index);
  store_keyset_free(&all);
  if (rc != 0)
    store_list_result_free(result);
  return rc;
}
