/*
 * store_internal: what the storage engine's .c files share and nobody else
 * sees: the environment struct, the named databases, key encodings, the
 * index key sets and the per-op write context. Not a public header.
 */
#ifndef RT_STORE_INTERNAL_H
#define RT_STORE_INTERNAL_H

#include "rt_store.h"

#include <lmdb.h>
#include <pthread.h>

/* Internal codes in the RT_E* space (negative, beyond the public list).
 * STORE_EMAPFULL: the map is full; rt_store_apply grows it and retries the
 * batch. STORE_EMAPRESIZED: another process grew the map; the caller
 * adopts the new size and retries. Neither is returned to callers of
 * rt_store.h. */
#define STORE_EMAPFULL (-1000)
#define STORE_EMAPRESIZED (-1001)

/* Names of the LMDB databases (the on-disk layout, see docs/storage.md). */
#define STORE_DB_COUNT 14

struct rt_store {
  MDB_env *env;
  MDB_dbi meta;      /* "schema_version", "revision", "next_r", "next_c" */
  MDB_dbi sources;   /* slug -> packed Source */
  MDB_dbi actors;    /* slug -> packed Actor */
  MDB_dbi recs;      /* u64be number -> packed Recommendation */
  MDB_dbi coms;      /* u64be number -> packed Commitment */
  MDB_dbi fups;      /* subject key (9) + u64be revision -> FollowUp */
  MDB_dbi fup_dates; /* as_of (10) + u64be revision -> fups key (17) */
  MDB_dbi meas;      /* u64be commitment + as_of + u64be rev -> Measurement */
  MDB_dbi log;       /* u64be revision -> packed ChangeEvent */
  MDB_dbi requests;  /* request_id -> u64be revision */
  MDB_dbi src_idx;   /* dupsort: tag + value -> slug */
  MDB_dbi act_idx;   /* dupsort: tag + value -> slug */
  MDB_dbi rec_idx;   /* dupsort, dupfixed: tag + value -> u64be number */
  MDB_dbi com_idx;   /* dupsort, dupfixed: tag + value -> u64be number */
  /* Readers hold it shared while their snapshot is open; map growth holds
   * it exclusively, since mdb_env_set_mapsize needs no open transaction in
   * this process. */
  pthread_rwlock_t grow_lock;
  size_t map_size;
  size_t max_map_size;
};

struct rt_store_reader {
  rt_store_t *store;
  MDB_txn *txn;
  bool active; /* snapshot open (and grow_lock held shared) */
};

/* Index tags: the first byte of an index key, then the value. */
enum {
  IDX_STATUS = 's',     /* 1 byte: Status */
  IDX_SOURCE = 'o',     /* source id */
  IDX_ACTOR = 'a',      /* addressed_to and lead (recs), actor_id (coms) */
  IDX_SDG = 't',        /* SDG target */
  IDX_GCM = 'g',        /* 1 byte: objective */
  IDX_THEME = 'h',      /* theme slug */
  IDX_DUE = 'd',        /* YYYY-MM-DD, only when set */
  IDX_REC = 'r',        /* commitments: recommendation id (u64be) */
  IDX_KIND = 'k',       /* 1 byte: kind enum (all entities) */
  IDX_TRAJECTORY = 'j', /* commitments: 1 byte */
  IDX_COUNTRY = 'c',    /* actors: ISO alpha-3 */
};

#define STORE_MAX_KEY 511 /* LMDB's default key size limit */

typedef struct store_key {
  uint8_t data[STORE_MAX_KEY];
  size_t len;
} store_key_t;

/* The index keys one record has, duplicates removed. */
typedef struct store_keyset {
  store_key_t *keys;
  size_t n, cap;
} store_keyset_t;

/* The state one write op works with inside its child transaction. */
typedef struct store_wctx {
  rt_store_t *store;
  MDB_txn *txn;
  rt_write_op_t *op;
  const char *principal;
  int64_t now_ms;
  rt_error_t *err;
} store_wctx_t;

/* ---- store_codec.c: keys, ids, conversions --------------------------- */
void store_put_u64(uint8_t out[8], uint64_t value);
uint64_t store_get_u64(const uint8_t in[8]);
/* Parses "R12" (prefix 'R') into 12; 0 when malformed. */
uint64_t store_parse_number_id(const char *id, char prefix);
/* Writes "R12" into a malloc'd string; NULL on allocation failure. */
char *store_format_number_id(char prefix, uint64_t number);
/* The one conversion of an mdb_* result to the RT_E* space, applied at
 * every call: 0 stays 0; MDB_NOTFOUND becomes RT_ENOTFOUND and
 * MDB_KEYEXIST RT_EEXIST, leaving err alone (they are answers, and only
 * the caller knows which record was missing or present); every other
 * result sets err to "storage: <what>: <why>" and becomes RT_ENOSPC (disk
 * full), RT_ENOMEM, RT_ECORRUPT (damaged file), RT_EVERSION (another LMDB
 * format), RT_EBUSY (reader slots full, lock held), RT_ETOOBIG (key or
 * transaction too large), STORE_EMAPFULL, STORE_EMAPRESIZED or RT_EIO
 * (anything else). No raw LMDB code leaves the function that called
 * LMDB. */
int store_mdb_error(int mdb_rc, rt_error_t *err, const char *what);
const char *store_str(const char *value); /* NULL -> "" */
char *store_strdup(const char *value);
/* Primary key of a record id for an entity; RT_EINVAL when malformed. */
int store_primary_key(rt_entity_t entity, const char *id, store_key_t *key,
                      rt_error_t *err);
MDB_dbi store_entity_dbi(rt_store_t *store, rt_entity_t entity);
MDB_dbi store_entity_index(rt_store_t *store, rt_entity_t entity);
const ProtobufCMessageDescriptor *store_entity_descriptor(rt_entity_t entity);
int64_t store_now_ms(void);
void store_date_of_ms(int64_t ms, char out[11]);

void store_keyset_free(store_keyset_t *set);
int store_keyset_add(store_keyset_t *set, uint8_t tag, const void *value,
                     size_t len);
int store_keyset_add_str(store_keyset_t *set, uint8_t tag, const char *value);
int store_keyset_add_byte(store_keyset_t *set, uint8_t tag, int value);
/* The index keys of a record (a message of the entity's type). */
int store_index_keys(rt_entity_t entity, const ProtobufCMessage *record,
                     store_keyset_t *out);
/* Adds (add=true) or removes a record's index entries. */
int store_index_update(store_wctx_t *ctx, rt_entity_t entity,
                       const ProtobufCMessage *record, const store_key_t *pk,
                       bool add);

/* Moves a record's index entries from old_record's values to new_record's,
 * touching only the keys that differ. */
int store_index_replace(store_wctx_t *ctx, rt_entity_t entity,
                        const ProtobufCMessage *old_record,
                        const ProtobufCMessage *new_record,
                        const store_key_t *pk);

/* Packs a message into a malloc'd buffer. */
int store_pack(const ProtobufCMessage *message, uint8_t **out, size_t *len,
               rt_error_t *err);

/* ---- store_env.c ----------------------------------------------------- */
/* Looks key up in dbi. Returns 0 (*out points into the transaction's
 * pages), RT_ENOTFOUND (err untouched: the caller names what is missing)
 * or a store_mdb_error code with err set. */
int store_fetch(MDB_txn *txn, MDB_dbi dbi, const store_key_t *key, MDB_val *out,
                rt_error_t *err, const char *what);
/* A u64 counter in meta; an absent counter reads as 0. Returns 0,
 * RT_ECORRUPT (not 8 bytes) or a store_mdb_error code. */
int store_meta_get_u64(MDB_txn *txn, rt_store_t *store, const char *name,
                       uint64_t *out, rt_error_t *err);
/* Returns 0 or a store_mdb_error code (STORE_EMAPFULL among them). */
int store_meta_put_u64(MDB_txn *txn, rt_store_t *store, const char *name,
                       uint64_t value, rt_error_t *err);
/* Doubles the map (up to the maximum) once open snapshots have ended. */
int store_grow_map(rt_store_t *store, rt_error_t *err);
/* Takes over a map size another process set (after MDB_MAP_RESIZED). */
int store_adopt_map_size(rt_store_t *store, rt_error_t *err);

/* ---- store_validate.c ------------------------------------------------ */
int store_validate_source(const Rectrack__V1__Source *source, rt_error_t *err);
int store_validate_actor(const Rectrack__V1__Actor *actor, rt_error_t *err);
int store_validate_recommendation(const Rectrack__V1__Recommendation *rec,
                                  rt_error_t *err);
int store_validate_commitment(const Rectrack__V1__Commitment *com,
                              rt_error_t *err);
int store_validate_follow_up(const Rectrack__V1__FollowUp *follow_up,
                             rt_error_t *err);
int store_validate_measurement(const Rectrack__V1__Measurement *measurement,
                               rt_error_t *err);
int store_validate_enum(const ProtobufCEnumDescriptor *descriptor, int value,
                        bool allow_unspecified, const char *field,
                        rt_error_t *err);
/* Referential checks: every id a record names exists. */
int store_check_references(store_wctx_t *ctx, rt_entity_t entity,
                           const ProtobufCMessage *record);

/* ---- store_write.c --------------------------------------------------- */
/* Appends a change to the log: takes the next revision, chains the hash,
 * records the request id. event->revision and prev_hash are filled. */
int store_log_append(store_wctx_t *ctx, Rectrack__V1__ChangeEvent *event);
/* Peeks the revision the next change will get. */
int store_next_revision(store_wctx_t *ctx, uint64_t *out);
int store_set_reply(store_wctx_t *ctx, const ProtobufCMessage *message);
/* Makes *packed the op's reply (the op owns it now; *packed is NULL). */
void store_take_reply(store_wctx_t *ctx, uint8_t **packed, size_t packed_len);
/* RT_ECONFLICT naming who last changed the record when the op's
 * expected_revision is set and differs from current; what is the record's
 * kind ("recommendation") or NULL. */
int store_check_expected(store_wctx_t *ctx, const char *what, const char *id,
                         uint64_t current);
int store_fetch_unpacked(store_wctx_t *ctx, rt_entity_t entity, const char *id,
                         const char *field, ProtobufCMessage **out,
                         store_key_t *pk);

/* ---- store_records.c ------------------------------------------------- */
int store_op_create(store_wctx_t *ctx, rt_entity_t entity);
int store_op_update(store_wctx_t *ctx, rt_entity_t entity);
/* Fetches the principal of the change at revision (for conflict
 * messages); "unknown" when absent. Caller frees. */
char *store_principal_at(MDB_txn *txn, rt_store_t *store, uint64_t revision);

/* ---- store_followups.c ----------------------------------------------- */
int store_op_follow_up(store_wctx_t *ctx);
int store_op_measurement(store_wctx_t *ctx);
/* Recomputes latest_value, latest_as_of, progress and trajectory of a
 * commitment from its stored measurements. */
int store_commitment_recompute(MDB_txn *txn, rt_store_t *store, uint64_t number,
                               Rectrack__V1__Commitment *com,
                               char latest_as_of[11], rt_error_t *err);
/* Computes trajectory and progress of an indicator given its latest
 * measurement (has_latest false: NO_DATA). */
Rectrack__V1__Trajectory store_trajectory(const Rectrack__V1__Indicator *ind,
                                          bool has_latest, double latest,
                                          const char *latest_as_of,
                                          double *progress);

#endif /* RT_STORE_INTERNAL_H */
