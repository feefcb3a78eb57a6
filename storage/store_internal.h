/*
 * store_internal: the ground floor of the storage engine, shared by every
 * .c file of storage/ and seen by nobody else: the environment struct, the
 * named databases, key encodings, index key sets, the one conversion of
 * LMDB results to RT_E* codes (store_codec.c), the environment's counters
 * and lookups (store_env.c) and per-request memory (store_arena.c). Not a
 * public header.
 *
 * The engine's floors, each calling only the floors below it:
 *   store_apply.c      rt_store_apply: batches, child transactions, map
 *                      growth, dispatch by op kind
 *   store_records.c, store_followups.c, store_measurements.c,
 *   store_submissions.c, store_replay.c
 *                      the operations (store_ops.h)
 *   store_trajectory.c a subject's derived fields: the status rule, a
 *                      commitment's trajectory (store_trajectory.h)
 *   store_parties.c    what a reporter may record (store_parties.h)
 *   store_write.c, store_log.c
 *                      the write primitives: fetch and put records, index
 *                      entries, revisions, the log, the reply (store_write.h)
 *   store_validate.c   field and reference checks (store_validate.h), for
 *                      the operations and the list filters alike
 *   store_codec.c, store_env.c, store_arena.c
 *                      this header
 * The reads (store_query.c, store_lists.c, store_history.c, store_verify.c)
 * stand on this header and on store_validate.h, never on the write floors.
 *
 * Errors: every function here that can fail returns 0 or a negative RT_E*
 * code, and says which.
 *
 * Memory: one rule for the memory of a request. Everything a write op
 * works with (records unpacked from storage, the copies it changes, log
 * entries, packed history entries, ids, field lists) comes from the op's
 * arena (store_wctx_t.arena), released at once when the op's child
 * transaction ends, committed or aborted. Nothing in an arena is freed on
 * its own, so a message in it may point at anything that outlives the op
 * (the arena, the op's inputs, which rt_store_apply borrows for the call,
 * static strings): setting a field is an assignment, and nothing borrowed
 * is ever given back. The one thing an op hands out is its reply, malloc'd
 * and owned by the op (rt_write_op_t.reply). Likewise a read that looks
 * at stored messages without returning them unpacks them into an arena
 * of its own, reset after each; what a read returns is the caller's, in
 * protobuf-c's default allocator (protobuf_c_message_free_unpacked, as
 * rt_store.h says). Messages built on the stack (a change event, a
 * request with its page fields cleared) follow the arena's rule: only
 * packed, never freed.
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
#define STORE_DB_COUNT 20

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
  /* The word index (store_words.h): dupsort, dupfixed: IDX_WORD (with
   * the archived bit) + folded word -> u64be number; and each record's
   * word list: u64be number -> " w1 w2 ...". */
  MDB_dbi rec_words, com_words;
  MDB_dbi rec_word_lists, com_word_lists;
  MDB_dbi themes;   /* slug -> packed Theme (added at run time) */
  MDB_dbi dim_keys; /* key -> packed DimensionKey (added at run time) */
  /* The grow gate: open snapshots are counted (snapshots, under
   * gate_lock), and map growth waits until none is open, since
   * mdb_env_set_mapsize needs no open transaction in this process. A
   * count, not a read-write lock, because a snapshot may end on another
   * thread than the one that began it (a review export's steps run on
   * whichever worker is free), which a pthread_rwlock_t does not allow. */
  pthread_mutex_t gate_lock;
  pthread_cond_t gate_free; /* signalled when snapshots drops to 0 */
  unsigned snapshots;
  size_t map_size;
  size_t max_map_size;
  size_t list_budget; /* rt_store_options_t.list_budget; 0: default */
};

struct rt_store_reader {
  rt_store_t *store;
  MDB_txn *txn;
  bool active; /* snapshot open (and counted in the grow gate) */
};

/* Index tags: the first byte of an index key, then the value. The keys
 * of an archived record carry the tag with IDX_ARCHIVED set, so that a
 * listing of active records walks, and counts, active entries only. */
enum {
  IDX_ARCHIVED = 0x80,   /* or'ed into the tag of an archived record */
  IDX_ALL = 'v',         /* no value: every record (the unfiltered list) */
  IDX_OPEN_DUE = 'D',    /* YYYY-MM-DD: due, and not implemented/withdrawn */
  IDX_REVISION = 'u',    /* u64be revision of the last change (recs, coms) */
  IDX_WORD = 'w',        /* folded word (the word index, store_words.h) */
  IDX_STATUS = 's',      /* 1 byte: Status */
  IDX_SOURCE = 'o',      /* source id */
  IDX_ACTOR = 'a',       /* addressed_to and lead (recs), actor_id (coms) */
  IDX_SDG = 't',         /* SDG target */
  IDX_GCM = 'g',         /* 1 byte: objective */
  IDX_THEME = 'h',       /* theme slug */
  IDX_DUE = 'd',         /* YYYY-MM-DD, only when set */
  IDX_REC = 'r',         /* commitments: recommendation id (u64be) */
  IDX_KIND = 'k',        /* 1 byte: kind enum (all entities) */
  IDX_TRAJECTORY = 'j',  /* commitments: 1 byte */
  IDX_COUNTRY = 'c',     /* actors: ISO alpha-3 */
  IDX_PENDING = 'p',     /* 1 byte, 1: submissions await validation (recs,
                            coms); absent otherwise */
  IDX_PUBLICATION = 'b', /* commitments: 1 byte, PUBLISHED or UNPUBLISHED
                            (rt_store_commitment_is_published) */
  IDX_LINK = 'l',        /* recommendations: u64be number of the one linked
                            to + 1 byte LinkKind (store_links.h) */
  IDX_SPECIFICITY = 'y', /* recommendations: 1 byte Specificity, computed
                            from the record and the commitments answering
                            it (store_specificity.h) */
  IDX_PLEDGE = 'q',      /* commitments: 1 byte PledgeType as read
                            (store_pledge_type: UNSPECIFIED is INDIVIDUAL) */
  IDX_PARTNER = 'n',     /* commitments: a partner's actor id */
  IDX_MATCHES = 'm',     /* commitments: u64be number of the pledge it
                            matches (store_pledges.h) */
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

/* ---- store_arena.c: per-request memory -------------------------------- */

typedef struct store_arena_block store_arena_block_t;

/* Bump allocation in blocks, released all at once (see Memory above). */
typedef struct store_arena {
  /* Allocates from the arena; its free does nothing. Pass &allocator to
   * protobuf_c_message_unpack. */
  ProtobufCAllocator allocator;
  store_arena_block_t *blocks; /* newest first */
  size_t used;                 /* bytes taken from the newest block */
  bool failed;                 /* an allocation failed since the reset */
} store_arena_t;

void store_arena_init(store_arena_t *arena);
/* size bytes aligned for any type, valid until the next reset; NULL (and
 * arena->failed set) when out of memory. */
void *store_arena_alloc(store_arena_t *arena, size_t size);
void *store_arena_memdup(store_arena_t *arena, const void *data, size_t size);
char *store_arena_strdup(store_arena_t *arena, const char *text); /* NULL: "" */
/* Releases every allocation; keeps one block for the next request. */
void store_arena_reset(store_arena_t *arena);
/* Releases everything; the arena may be initialised again. */
void store_arena_free(store_arena_t *arena);

/* ---- store_codec.c: keys, ids, conversions --------------------------- */
void store_put_u64(uint8_t out[8], uint64_t value);
uint64_t store_get_u64(const uint8_t in[8]);
/* Parses "R12" (prefix 'R') into 12; 0 when malformed. */
uint64_t store_parse_number_id(const char *id, char prefix);
/* Writes "R12" into the arena; NULL when out of memory. */
char *store_format_number_id(store_arena_t *arena, char prefix,
                             uint64_t number);
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
char *store_strdup(const char *value);    /* NULL -> ""; NULL: no memory */
/* "phl, bgd": ids joined for a sentence into out, cut to fit out_len. */
void store_join_ids(char *const *ids, size_t n, char *out, size_t out_len);
/* Primary key of a record id for an entity. Returns 0 or RT_EINVAL
 * (malformed id, field "id"). */
int store_primary_key(rt_entity_t entity, const char *id, store_key_t *key,
                      rt_error_t *err);
/* Key of a request id in the requests database: the principal that sent
 * it ("anonymous" when NULL or empty), a NUL byte, then the request id,
 * so that one principal's ids never answer another's. False (nothing
 * written) when request_id is NULL or empty, or the key would not fit. */
bool store_request_key(const char *principal, const char *request_id,
                       store_key_t *key);
/* The record id a primary key stands for ("R12", "iom"), for sentences;
 * truncated to out_len. */
void store_describe_key(rt_entity_t entity, const void *pk, size_t pk_len,
                        char *out, size_t out_len);
MDB_dbi store_entity_dbi(rt_store_t *store, rt_entity_t entity);
MDB_dbi store_entity_index(rt_store_t *store, rt_entity_t entity);
const ProtobufCMessageDescriptor *store_entity_descriptor(rt_entity_t entity);
/* "source", "actor", "recommendation", "commitment". */
const char *store_entity_name(rt_entity_t entity);
/* The SubjectType of a change to an entity's record, and back. */
Rectrack__V1__SubjectType store_subject_type(rt_entity_t entity);
rt_entity_t store_subject_entity(Rectrack__V1__SubjectType type);
/* The entity of a follow-up subject id: R.. or C.. (already validated). */
rt_entity_t store_subject_of_id(const char *id);
/* Whether a follow-up or measurement in this review state is official
 * (counts towards status, latest value and trajectory): VALIDATED, and
 * UNSPECIFIED, the state of everything recorded before review states
 * existed. */
bool store_review_is_official(int review_state);
int64_t store_now_ms(void);
void store_date_of_ms(int64_t ms, char out[11]);

/* Packs a message into the arena, or (arena NULL) into a malloc'd buffer
 * the caller frees: its known fields only (rt_pbwire_known_only), so that
 * nothing is stored, or replied, that this schema could not read back.
 * Returns 0 or RT_ENOMEM. */
int store_pack(store_arena_t *arena, const ProtobufCMessage *message,
               uint8_t **out, size_t *len, rt_error_t *err);
/* Unpacks stored bytes into the arena (see Memory above). Returns 0,
 * RT_ENOMEM or RT_ECORRUPT ("storage: a stored <type> does not decode",
 * which callers that know the record's id may make more precise). */
int store_unpack(store_arena_t *arena,
                 const ProtobufCMessageDescriptor *descriptor, const void *data,
                 size_t len, ProtobufCMessage **out, rt_error_t *err);
/* The archived field of a record (a message of the entity's type). */
bool store_record_archived(rt_entity_t entity, const ProtobufCMessage *record);
/* The revision field of a record (a message of the entity's type). */
uint64_t store_record_revision(rt_entity_t entity,
                               const ProtobufCMessage *record);

/* Key sets. store_keyset_add* return 0, RT_ETOOBIG (key over
 * STORE_MAX_KEY) or RT_ENOMEM, without touching any rt_error_t. */
void store_keyset_free(store_keyset_t *set);
int store_keyset_add(store_keyset_t *set, uint8_t tag, const void *value,
                     size_t len);
int store_keyset_add_str(store_keyset_t *set, uint8_t tag, const char *value);
int store_keyset_add_byte(store_keyset_t *set, uint8_t tag, int value);
/* The index keys of a record (a message of the entity's type): the one
 * definition used by writes, lists and the verifier. Returns 0,
 * RT_ETOOBIG or RT_ENOMEM. */
int store_index_keys(rt_entity_t entity, const ProtobufCMessage *record,
                     store_keyset_t *out);
bool store_keyset_contains(const store_keyset_t *set, const void *key,
                           size_t len);

/* ---- store_env.c ----------------------------------------------------- */
/* Looks key up in dbi. Returns 0 (*out points into the transaction's
 * pages), RT_ENOTFOUND (err untouched: the caller names what is missing)
 * or a store_mdb_error code with err set. */
int store_fetch(MDB_txn *txn, MDB_dbi dbi, const store_key_t *key, MDB_val *out,
                rt_error_t *err, const char *what);
/* Opens dir's environment into a new store, begins a write transaction
 * and opens the named databases in it (creating missing ones). *version
 * is the directory's schema version, 0 for a new, empty directory. On
 * success the caller owns *store and *txn (commit or abort it, then
 * rt_store_close on failure). Returns 0, RT_ECORRUPT (records but no
 * version), RT_ENOSPC (map too small), RT_EBUSY, RT_ENOMEM or an LMDB
 * code; then nothing is left open. */
int store_env_open(const char *dir, const rt_store_options_t *options,
                   rt_store_t **store, MDB_txn **txn, uint64_t *version,
                   rt_error_t *err);
/* A u64 counter in meta; an absent counter reads as 0. Returns 0,
 * RT_ECORRUPT (not 8 bytes) or a store_mdb_error code. */
int store_meta_get_u64(MDB_txn *txn, rt_store_t *store, const char *name,
                       uint64_t *out, rt_error_t *err);
/* Returns 0 or a store_mdb_error code (STORE_EMAPFULL among them). */
int store_meta_put_u64(MDB_txn *txn, rt_store_t *store, const char *name,
                       uint64_t value, rt_error_t *err);
/* Doubles the map (up to the maximum) once open snapshots have ended.
 * Returns 0, RT_ENOSPC (the maximum is reached) or a store_mdb_error
 * code. */
int store_grow_map(rt_store_t *store, rt_error_t *err);
/* Doubles the map ahead of need when more than half of it is in use and
 * no snapshot is open at that moment; otherwise does nothing. The writer
 * calls it after each commit, so that a long snapshot (a review export)
 * finds room for the writes made while it is open, rather than the writer
 * waiting for it to end. Best effort: errors are dropped (the next full
 * map grows the ordinary way). */
void store_grow_map_early(rt_store_t *store);
/* Counts a snapshot in (waiting while the map grows) and out. */
void store_gate_enter(rt_store_t *store);
void store_gate_leave(rt_store_t *store);
/* Takes over a map size another process set (after STORE_EMAPRESIZED).
 * Returns 0 or a store_mdb_error code. */
int store_adopt_map_size(rt_store_t *store, rt_error_t *err);

#endif /* RT_STORE_INTERNAL_H */
