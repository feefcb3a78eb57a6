/*
 * store_write: the write primitives, the floor every operation stands on.
 * One write op runs in its own child transaction with a store_wctx_t; the
 * primitives fetch and put records with their index entries, take
 * revisions, append to the change log and set the op's reply. They call
 * store_internal.h and nothing above: no primitive knows of operations,
 * validation or the dispatcher. Not a public header.
 *
 * Implemented by store_write.c (records, indexes, history, replies) and
 * store_log.c (revisions, the hash-chained log and the request ids it
 * records); neither calls the other.
 *
 * Errors: each function returns 0 or a negative RT_E* code, listed at the
 * function, with ctx->err set. "An LMDB code" means any code
 * store_mdb_error returns (RT_EIO, RT_ENOSPC, RT_ECORRUPT, ...), of which
 * STORE_EMAPFULL sends the batch back to rt_store_apply to grow the map.
 */
#ifndef RT_STORE_WRITE_H
#define RT_STORE_WRITE_H

#include "store_internal.h"

/* The state one write op works with inside its child transaction. */
typedef struct store_wctx {
  rt_store_t *store;
  MDB_txn *txn; /* the op's child transaction */
  rt_write_op_t *op;
  const char *principal; /* never NULL */
  int64_t now_ms;
  store_arena_t *arena; /* the op's memory, released when its child
                           transaction ends (store_internal.h, Memory) */
  rt_error_t *err;      /* the op's error detail */
} store_wctx_t;

/* ---- store_write.c: records, indexes, history, replies --------------- */

/* Fetches the record id of entity, unpacked into the op's arena; field
 * names the request field that holds the id, for messages. *pk gets the
 * record's key. Returns 0,
 * RT_EINVAL (malformed id), RT_ENOTFOUND ("field: recommendation 'R9'
 * does not exist"), RT_ECORRUPT (does not decode), RT_ENOMEM or an LMDB code.
 */
int store_fetch_record(store_wctx_t *ctx, rt_entity_t entity, const char *id,
                       const char *field, ProtobufCMessage **out,
                       store_key_t *pk);

/* Writes record under pk with its index entries: all of them when old is
 * NULL (a new record), else only the keys that differ from old's, the
 * record as it was. flags are mdb_put's (MDB_NOOVERWRITE for creates).
 * as_reply: the packed record also becomes the op's reply. Returns 0,
 * RT_EEXIST ("source 'x' already exists", field "id"), RT_ETOOBIG (an
 * index key over STORE_MAX_KEY), RT_ENOMEM or an LMDB code. */
int store_put_record(store_wctx_t *ctx, rt_entity_t entity,
                     const store_key_t *pk, const ProtobufCMessage *old,
                     const ProtobufCMessage *record, unsigned flags,
                     bool as_reply);

/* Writes a history entry (follow-up, its date index entry, measurement)
 * under a key that ends in the change's revision, so is new. Returns 0,
 * RT_ECORRUPT (the key exists) or an LMDB code. */
int store_put_history(store_wctx_t *ctx, MDB_dbi dbi, const void *key,
                      size_t key_len, const void *value, size_t value_len);

/* Replaces the history entry under key, which must exist: the review
 * fields of a submission change when the secretariat decides on it (the
 * report itself never does; the log keeps both versions). Returns 0,
 * RT_ECORRUPT (no entry there) or an LMDB code. */
int store_replace_history(store_wctx_t *ctx, MDB_dbi dbi, const void *key,
                          size_t key_len, const ProtobufCMessage *value);

/* Packs message as the op's reply, or copies len bytes at data, replacing
 * any reply set before (the op owns it: rt_write_op_t.reply). Returns 0 or
 * RT_ENOMEM. */
int store_set_reply(store_wctx_t *ctx, const ProtobufCMessage *message);
int store_copy_reply(store_wctx_t *ctx, const void *data, size_t len);

/* Adds an entry of a reference list the secretariat extends (a theme, a
 * dimension key): message packed under name in dbi, never over one there
 * already, the change logged by event (kind, subject and record set by the
 * caller), and the stored bytes as the op's reply. what names the write
 * in an LMDB error ("writing a theme"). Returns 0, RT_EEXIST (name taken:
 * the caller words the error), RT_ENOMEM, RT_ECORRUPT or an LMDB code. */
int store_add_reference_entry(store_wctx_t *ctx, MDB_dbi dbi, const char *name,
                              const ProtobufCMessage *message,
                              Rectrack__V1__ChangeEvent *event,
                              const char *what);

/* ---- store_log.c: revisions, the change log, request ids ------------- */

/* The revision the op's change will get (the log's next). Returns 0,
 * RT_ECORRUPT (malformed counter) or an LMDB code. */
int store_next_revision(store_wctx_t *ctx, uint64_t *out);

/* When the op's expected_revision is set and differs from current, the
 * record's revision: RT_ECONFLICT naming who changed it last. what is the
 * record's kind ("recommendation") or NULL. Returns 0 or RT_ECONFLICT. */
int store_check_expected(store_wctx_t *ctx, const char *what, const char *id,
                         uint64_t current);

/* Appends a change to the log under the next revision: fills
 * event->revision, principal, time_ms, request_id and prev_hash (the
 * SHA-256 of the entry before), keeps the new entry's hash as the log
 * head, and remembers the op's request id with the revision. The event's
 * other fields are the caller's. Returns 0, RT_ECORRUPT (the entry before
 * is missing, or the revision is taken), RT_ENOMEM or an LMDB code. */
int store_log_append(store_wctx_t *ctx, Rectrack__V1__ChangeEvent *event);

/* Loads the log entry at revision into the op's arena. Returns 0,
 * RT_ECORRUPT (missing or does not decode), RT_ENOMEM or an LMDB code. */
int store_log_entry(store_wctx_t *ctx, uint64_t revision,
                    Rectrack__V1__ChangeEvent **out);

/* Who made the change at revision, for conflict messages: a string in
 * the op's arena, or "unknown" when the entry cannot be read. Never
 * NULL. */
const char *store_principal_at(store_wctx_t *ctx, uint64_t revision);

/* Looks the op's request id up. *seen false: no request id, or one not
 * used before; true: *revision is the change it made. Returns 0, RT_EINVAL
 * (too long, or used before for another kind of op), RT_ECORRUPT or an
 * LMDB code. */
int store_request_find(store_wctx_t *ctx, bool *seen, uint64_t *revision);

#endif /* RT_STORE_WRITE_H */
