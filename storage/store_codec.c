/*
 * store_codec: the byte-level encodings of the storage engine. Record keys
 * for server-numbered records are the number as a big-endian u64, so LMDB's
 * byte order is numeric order (R2 before R10) and a cursor walk is the
 * listing order. Index keys are one tag byte plus the value; the duplicate
 * data of an index key is the record's primary key. This file also maps
 * LMDB errors to RT_E* codes, names entities, and computes each record's
 * index key set, the one definition used by writes, lists and the
 * verifier alike.
 */
#include "rt_pbwire.h"
#include "rt_validate.h"
#include "store_internal.h"
#include "store_pledges.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void store_put_u64(uint8_t out[8], uint64_t value) {
  for (int i = 7; i >= 0; i--) {
    out[i] = (uint8_t)(value & 0xff);
    value >>= 8;
  }
}

uint64_t store_get_u64(const uint8_t in[8]) {
  uint64_t value = 0;
  for (int i = 0; i < 8; i++)
    value = (value << 8) | in[i];
  return value;
}

uint64_t store_parse_number_id(const char *id, char prefix) {
  if (id == NULL || id[0] != prefix || id[1] < '1' || id[1] > '9')
    return 0;
  uint64_t number = 0;
  for (const char *p = id + 1; *p; p++) {
    if (*p < '0' || *p > '9' || p - id > 18)
      return 0;
    number = number * 10 + (uint64_t)(*p - '0');
  }
  return number;
}

char *store_format_number_id(store_arena_t *arena, char prefix,
                             uint64_t number) {
  char buffer[32];
  snprintf(buffer, sizeof buffer, "%c%" PRIu64, prefix, number);
  return store_arena_strdup(arena, buffer);
}

/* The RT_E* code of an LMDB or errno result, and what it means in words
 * an operator can act on (mdb_strerror follows in the message). */
static int mdb_code(int mdb_rc, const char **meaning) {
  *meaning = NULL;
  switch (mdb_rc) {
  case MDB_MAP_FULL:
    *meaning = "the map is full";
    return STORE_EMAPFULL;
  case MDB_MAP_RESIZED:
    *meaning = "another process grew the map";
    return STORE_EMAPRESIZED;
  case ENOSPC:
    *meaning = "the disk is full";
    return RT_ENOSPC;
  case ENOMEM:
    return RT_ENOMEM;
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
  case MDB_INVALID:
  case MDB_PANIC:
    *meaning = "the data file is damaged; restore a backup";
    return RT_ECORRUPT;
  case MDB_VERSION_MISMATCH:
  case MDB_INCOMPATIBLE:
    *meaning = "the data file was written by an incompatible LMDB build";
    return RT_EVERSION;
  case MDB_READERS_FULL:
    *meaning = "every reader slot is taken (raise max_readers)";
    return RT_EBUSY;
  case EAGAIN:
  case EBUSY:
    return RT_EBUSY;
  case MDB_TXN_FULL:
  case MDB_BAD_VALSIZE:
    return RT_ETOOBIG;
  default: /* EIO, EACCES, MDB_BAD_TXN, ...: the system or LMDB failed */
    return RT_EIO;
  }
}

int store_mdb_error(int mdb_rc, rt_error_t *err, const char *what) {
  if (mdb_rc == 0)
    return 0;
  if (mdb_rc == MDB_NOTFOUND)
    return RT_ENOTFOUND; /* an answer: the caller says what is missing */
  if (mdb_rc == MDB_KEYEXIST)
    return RT_EEXIST; /* an answer: the caller says what exists */
  const char *meaning;
  int code = mdb_code(mdb_rc, &meaning);
  if (meaning)
    return rt_error_set(err, code, NULL, "storage: %s: %s (%s)", what, meaning,
                        mdb_strerror(mdb_rc));
  return rt_error_set(err, code, NULL, "storage: %s: %s", what,
                      mdb_strerror(mdb_rc));
}

const char *store_str(const char *value) { return value ? value : ""; }

void store_join_ids(char *const *ids, size_t n, char *out, size_t out_len) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && used + 1 < out_len; i++) {
    int len = snprintf(out + used, out_len - used, "%s%s", i ? ", " : "",
                       store_str(ids[i]));
    if (len < 0)
      break;
    used += (size_t)len < out_len - used ? (size_t)len : out_len - used - 1;
  }
}

char *store_strdup(const char *value) { return strdup(store_str(value)); }

bool store_request_key(const char *principal, const char *request_id,
                       store_key_t *key) {
  if (request_id == NULL || request_id[0] == '\0')
    return false;
  if (principal == NULL || principal[0] == '\0')
    principal = "anonymous";
  size_t principal_len = strlen(principal), id_len = strlen(request_id);
  if (principal_len + 1 + id_len > STORE_MAX_KEY)
    return false;
  memcpy(key->data, principal, principal_len);
  key->data[principal_len] = 0;
  memcpy(key->data + principal_len + 1, request_id, id_len);
  key->len = principal_len + 1 + id_len;
  return true;
}

int store_primary_key(rt_entity_t entity, const char *id, store_key_t *key,
                      rt_error_t *err) {
  id = store_str(id);
  if (entity == RT_ENTITY_RECOMMENDATION || entity == RT_ENTITY_COMMITMENT) {
    char prefix = entity == RT_ENTITY_RECOMMENDATION ? 'R' : 'C';
    uint64_t number = store_parse_number_id(id, prefix);
    if (number == 0)
      return rt_error_set(
          err, RT_EINVAL, "id", "id: '%.80s' is not a %s id (%c1, %c2, ...)",
          id, prefix == 'R' ? "recommendation" : "commitment", prefix, prefix);
    store_put_u64(key->data, number);
    key->len = 8;
    return 0;
  }
  size_t len = strlen(id);
  if (len == 0 || len > RT_MAX_ID_LEN)
    return rt_error_set(err, RT_EINVAL, "id", "id: '%.80s' is not a valid id",
                        id);
  memcpy(key->data, id, len);
  key->len = len;
  return 0;
}

void store_describe_key(rt_entity_t entity, const void *pk, size_t pk_len,
                        char *out, size_t out_len) {
  if ((entity == RT_ENTITY_RECOMMENDATION || entity == RT_ENTITY_COMMITMENT) &&
      pk_len == 8)
    snprintf(out, out_len, "%c%" PRIu64,
             entity == RT_ENTITY_RECOMMENDATION ? 'R' : 'C', store_get_u64(pk));
  else
    snprintf(out, out_len, "%.*s", (int)(pk_len > 80 ? 80 : pk_len),
             (const char *)pk);
}

const char *store_entity_name(rt_entity_t entity) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return "source";
  case RT_ENTITY_ACTOR:
    return "actor";
  case RT_ENTITY_RECOMMENDATION:
    return "recommendation";
  case RT_ENTITY_COMMITMENT:
    return "commitment";
  }
  return "record";
}

/* The SubjectType values are the rt_entity_t values, by design of the
 * proto (SOURCE = 1 ... COMMITMENT = 4). */
Rectrack__V1__SubjectType store_subject_type(rt_entity_t entity) {
  return (Rectrack__V1__SubjectType)entity;
}

rt_entity_t store_subject_entity(Rectrack__V1__SubjectType type) {
  switch (type) {
  case RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_SOURCE:
    return RT_ENTITY_SOURCE;
  case RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_ACTOR:
    return RT_ENTITY_ACTOR;
  case RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_RECOMMENDATION:
    return RT_ENTITY_RECOMMENDATION;
  default:
    return RT_ENTITY_COMMITMENT;
  }
}

rt_entity_t store_subject_of_id(const char *id) {
  return id && id[0] == 'R' ? RT_ENTITY_RECOMMENDATION : RT_ENTITY_COMMITMENT;
}

bool store_review_is_official(int review_state) {
  return review_state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED ||
         review_state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_UNSPECIFIED;
}

bool rt_store_review_is_official(int review_state) {
  return store_review_is_official(review_state);
}

bool rt_store_commitment_is_published(const Rectrack__V1__Commitment *c) {
  return c->publication != RECTRACK__V1__PUBLICATION__PUBLICATION_UNPUBLISHED;
}

MDB_dbi store_entity_dbi(rt_store_t *store, rt_entity_t entity) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return store->sources;
  case RT_ENTITY_ACTOR:
    return store->actors;
  case RT_ENTITY_RECOMMENDATION:
    return store->recs;
  default:
    return store->coms;
  }
}

MDB_dbi store_entity_index(rt_store_t *store, rt_entity_t entity) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return store->src_idx;
  case RT_ENTITY_ACTOR:
    return store->act_idx;
  case RT_ENTITY_RECOMMENDATION:
    return store->rec_idx;
  default:
    return store->com_idx;
  }
}

const ProtobufCMessageDescriptor *store_entity_descriptor(rt_entity_t entity) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return &rectrack__v1__source__descriptor;
  case RT_ENTITY_ACTOR:
    return &rectrack__v1__actor__descriptor;
  case RT_ENTITY_RECOMMENDATION:
    return &rectrack__v1__recommendation__descriptor;
  default:
    return &rectrack__v1__commitment__descriptor;
  }
}

int64_t store_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_date_of_ms(int64_t ms, char out[11]) {
  time_t seconds = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Unknown fields are dropped here, the one place that packs what is
 * stored: a request's record may carry fields of a newer schema, or
 * garbage protobuf-c accepted (field number 0, see rt_pbwire.h), and
 * bytes this schema cannot read back must never reach the store. */
int store_pack(store_arena_t *arena, const ProtobufCMessage *message,
               uint8_t **out, size_t *len, rt_error_t *err) {
  store_arena_t scratch; /* the copy without unknown fields, for a malloc'd
                            buffer */
  store_arena_t *copies = arena;
  int rc = 0;

  if (arena == NULL) {
    store_arena_init(&scratch);
    copies = &scratch;
  }
  const ProtobufCMessage *known =
      rt_pbwire_known_only(message, &copies->allocator);
  size_t size = known ? protobuf_c_message_get_packed_size(known) : 0;
  uint8_t *buffer = known == NULL ? NULL
                    : arena       ? store_arena_alloc(arena, size)
                                  : malloc(size ? size : 1);
  if (buffer == NULL) {
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory packing a record");
  } else {
    protobuf_c_message_pack(known, buffer);
    *out = buffer;
    *len = size;
  }
  if (arena == NULL)
    store_arena_free(&scratch);
  return rc;
}

int store_unpack(store_arena_t *arena,
                 const ProtobufCMessageDescriptor *descriptor, const void *data,
                 size_t len, ProtobufCMessage **out, rt_error_t *err) {
  bool failed_before = arena->failed;
  arena->failed = false;
  *out = protobuf_c_message_unpack(descriptor, &arena->allocator, len, data);
  bool out_of_memory = arena->failed;
  arena->failed = arena->failed || failed_before;
  if (*out != NULL)
    return 0;
  if (out_of_memory)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory reading a %s",
                        descriptor->short_name);
  return rt_error_set(err, RT_ECORRUPT, NULL,
                      "storage: a stored %s does not decode",
                      descriptor->short_name);
}

uint64_t store_record_revision(rt_entity_t entity,
                               const ProtobufCMessage *record) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return ((const Rectrack__V1__Source *)(const void *)record)->revision;
  case RT_ENTITY_ACTOR:
    return ((const Rectrack__V1__Actor *)(const void *)record)->revision;
  case RT_ENTITY_RECOMMENDATION:
    return ((const Rectrack__V1__Recommendation *)(const void *)record)
        ->revision;
  default:
    return ((const Rectrack__V1__Commitment *)(const void *)record)->revision;
  }
}

/* ---- index key sets -------------------------------------------------- */

void store_keyset_free(store_keyset_t *set) {
  free(set->keys);
  set->keys = NULL;
  set->n = set->cap = 0;
}

int store_keyset_add(store_keyset_t *set, uint8_t tag, const void *value,
                     size_t len) {
  if (len + 1 > STORE_MAX_KEY)
    return RT_ETOOBIG;
  for (size_t i = 0; i < set->n; i++)
    if (set->keys[i].len == len + 1 && set->keys[i].data[0] == tag &&
        memcmp(set->keys[i].data + 1, value, len) == 0)
      return 0;
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 16;
    store_key_t *keys = realloc(set->keys, cap * sizeof *keys);
    if (keys == NULL)
      return RT_ENOMEM;
    set->keys = keys;
    set->cap = cap;
  }
  store_key_t *key = &set->keys[set->n++];
  key->data[0] = tag;
  if (len)
    memcpy(key->data + 1, value, len);
  key->len = len + 1;
  return 0;
}

int store_keyset_add_str(store_keyset_t *set, uint8_t tag, const char *value) {
  if (value == NULL || value[0] == '\0')
    return 0;
  return store_keyset_add(set, tag, value, strlen(value));
}

int store_keyset_add_byte(store_keyset_t *set, uint8_t tag, int value) {
  uint8_t byte = (uint8_t)value;
  return store_keyset_add(set, tag, &byte, 1);
}

static int add_strings(store_keyset_t *set, uint8_t tag, char **values,
                       size_t n) {
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = store_keyset_add_str(set, tag, values[i]);
  return rc;
}

static int add_gcm(store_keyset_t *set, const int32_t *values, size_t n) {
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = store_keyset_add_byte(set, IDX_GCM, values[i]);
  return rc;
}

/* Open: not implemented, not withdrawn (what overdue looks for). */
static bool is_open(int status) {
  return status != RECTRACK__V1__STATUS__STATUS_IMPLEMENTED &&
         status != RECTRACK__V1__STATUS__STATUS_WITHDRAWN;
}

/* The keys every recommendation and commitment has besides its fields':
 * IDX_ALL, the revision of its last change, and its due date while it is
 * open. */
static int subject_keys(store_keyset_t *set, uint64_t revision, int status,
                        const char *due_date) {
  uint8_t number[8];
  store_put_u64(number, revision);
  int rc = store_keyset_add(set, IDX_ALL, "", 0);
  if (rc == 0)
    rc = store_keyset_add(set, IDX_REVISION, number, 8);
  if (rc == 0 && is_open(status))
    rc = store_keyset_add_str(set, IDX_OPEN_DUE, due_date);
  return rc;
}

static int recommendation_keys(const Rectrack__V1__Recommendation *rec,
                               store_keyset_t *set) {
  int rc = subject_keys(set, rec->revision, rec->status, rec->due_date);
  if (rc == 0)
    rc = store_keyset_add_byte(set, IDX_STATUS, rec->status);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_SOURCE, rec->source_id);
  if (rc == 0)
    rc = add_strings(set, IDX_ACTOR, rec->addressed_to, rec->n_addressed_to);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_ACTOR, rec->lead_actor_id);
  if (rc == 0)
    rc = add_strings(set, IDX_SDG, rec->sdg_targets, rec->n_sdg_targets);
  if (rc == 0)
    rc = add_gcm(set, rec->gcm_objectives, rec->n_gcm_objectives);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_THEME, rec->theme);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_DUE, rec->due_date);
  if (rc == 0 && rec->pending_count > 0)
    rc = store_keyset_add_byte(set, IDX_PENDING, 1);
  for (size_t i = 0; i < rec->n_links && rc == 0; i++) {
    uint8_t value[9];
    store_put_u64(value,
                  store_parse_number_id(rec->links[i]->recommendation_id, 'R'));
    value[8] = (uint8_t)rec->links[i]->kind;
    rc = store_keyset_add(set, IDX_LINK, value, sizeof value);
  }
  return rc;
}

static int commitment_keys(const Rectrack__V1__Commitment *com,
                           store_keyset_t *set) {
  int rc = subject_keys(set, com->revision, com->status, com->due_date);
  if (rc == 0)
    rc = store_keyset_add_byte(set, IDX_STATUS, com->status);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_SOURCE, com->source_id);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_ACTOR, com->actor_id);
  if (rc == 0)
    rc = add_strings(set, IDX_SDG, com->sdg_targets, com->n_sdg_targets);
  if (rc == 0)
    rc = add_gcm(set, com->gcm_objectives, com->n_gcm_objectives);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_THEME, com->theme);
  if (rc == 0)
    rc = store_keyset_add_str(set, IDX_DUE, com->due_date);
  if (rc == 0)
    rc = store_keyset_add_byte(set, IDX_KIND, com->kind);
  if (rc == 0)
    rc = store_keyset_add_byte(set, IDX_TRAJECTORY, com->trajectory);
  if (rc == 0)
    rc = store_keyset_add_byte(
        set, IDX_PUBLICATION,
        rt_store_commitment_is_published(com)
            ? RECTRACK__V1__PUBLICATION__PUBLICATION_PUBLISHED
            : RECTRACK__V1__PUBLICATION__PUBLICATION_UNPUBLISHED);
  if (rc == 0 && com->pending_count > 0)
    rc = store_keyset_add_byte(set, IDX_PENDING, 1);
  if (rc == 0)
    rc = store_keyset_add_byte(set, IDX_PLEDGE, store_pledge_type(com));
  if (rc == 0)
    rc = add_strings(set, IDX_PARTNER, com->partner_ids, com->n_partner_ids);
  uint64_t matches = store_parse_number_id(com->matches_commitment_id, 'C');
  if (rc == 0 && matches != 0) {
    uint8_t number[8];
    store_put_u64(number, matches);
    rc = store_keyset_add(set, IDX_MATCHES, number, 8);
  }
  for (size_t i = 0; i < com->n_recommendation_ids && rc == 0; i++) {
    uint8_t number[8];
    store_put_u64(number,
                  store_parse_number_id(com->recommendation_ids[i], 'R'));
    rc = store_keyset_add(set, IDX_REC, number, 8);
  }
  return rc;
}

static int field_keys(rt_entity_t entity, const ProtobufCMessage *record,
                      store_keyset_t *out) {
  switch (entity) {
  case RT_ENTITY_SOURCE: {
    const Rectrack__V1__Source *source = (const void *)record;
    int rc = store_keyset_add(out, IDX_ALL, "", 0);
    if (rc == 0)
      rc = store_keyset_add_byte(out, IDX_KIND, source->kind);
    return rc;
  }
  case RT_ENTITY_ACTOR: {
    const Rectrack__V1__Actor *actor = (const void *)record;
    int rc = store_keyset_add(out, IDX_ALL, "", 0);
    if (rc == 0)
      rc = store_keyset_add_byte(out, IDX_KIND, actor->kind);
    if (rc == 0)
      rc = store_keyset_add_str(out, IDX_COUNTRY, actor->country);
    return rc;
  }
  case RT_ENTITY_RECOMMENDATION:
    return recommendation_keys((const void *)record, out);
  default:
    return commitment_keys((const void *)record, out);
  }
}

bool store_record_archived(rt_entity_t entity, const ProtobufCMessage *record) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return ((const Rectrack__V1__Source *)(const void *)record)->archived;
  case RT_ENTITY_ACTOR:
    return ((const Rectrack__V1__Actor *)(const void *)record)->archived;
  case RT_ENTITY_RECOMMENDATION:
    return ((const Rectrack__V1__Recommendation *)(const void *)record)
        ->archived;
  default:
    return ((const Rectrack__V1__Commitment *)(const void *)record)->archived;
  }
}

int store_index_keys(rt_entity_t entity, const ProtobufCMessage *record,
                     store_keyset_t *out) {
  size_t first = out->n;
  int rc = field_keys(entity, record, out);
  if (rc == 0 && store_record_archived(entity, record))
    for (size_t i = first; i < out->n; i++)
      out->keys[i].data[0] |= IDX_ARCHIVED;
  return rc;
}

bool store_keyset_contains(const store_keyset_t *set, const void *key,
                           size_t len) {
  for (size_t i = 0; i < set->n; i++)
    if (set->keys[i].len == len && memcmp(set->keys[i].data, key, len) == 0)
      return true;
  return false;
}
