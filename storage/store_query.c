/*
 * store_query: reads. Gets are zero-copy lookups in the reader's snapshot.
 * Lists combine their filters with AND; when several filters have an index
 * (status, source, actor, SDG target, GCM objective, theme, kind, ...),
 * the one whose key has the fewest entries drives the walk and the others
 * are checked on each record; with none, the primary database is walked.
 * Either way records come in primary-key order, which is numeric for R/C
 * ids, so pages are stable.
 *
 * A page token is hex(MAC || last primary key), the MAC being the first 8
 * bytes of SHA-256(filter digest || key): a token from another query or an
 * edited one fails the check and is RT_EINVAL. Resuming "after the last
 * key" stays correct while records are added, since new R/C ids are larger
 * than every existing one and slugs land where they sort.
 */
#include "store_query.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAC_LEN 8

static const char *const entity_names[] = {"", "source", "actor",
                                           "recommendation", "commitment"};

static int require_active(rt_store_reader_t *reader, rt_error_t *err) {
  if (reader == NULL || !reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  return 0;
}

int rt_store_get_raw(rt_store_reader_t *reader, rt_entity_t entity,
                     const char *id, const void **data, size_t *len,
                     rt_error_t *err) {
  int rc = require_active(reader, err);
  if (rc != 0)
    return rc;
  if (entity < RT_ENTITY_SOURCE || entity > RT_ENTITY_COMMITMENT)
    return rt_error_set(err, RT_EINVAL, "entity", "entity: %d is not known",
                        (int)entity);
  store_key_t pk;
  rc = store_primary_key(entity, id, &pk, err);
  if (rc != 0)
    return rc;
  MDB_val value;
  rc = store_fetch(reader->txn, store_entity_dbi(reader->store, entity), &pk,
                   &value, err, "reading a record");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(err, RT_ENOTFOUND, "id", "%s '%.80s' does not exist",
                        entity_names[entity], id);
  if (rc != 0)
    return rc;
  *data = value.mv_data;
  *len = value.mv_size;
  return 0;
}

static int get_unpacked(rt_store_reader_t *reader, rt_entity_t entity,
                        const char *id, ProtobufCMessage **out,
                        rt_error_t *err) {
  *out = NULL;
  const void *data;
  size_t len;
  int rc = rt_store_get_raw(reader, entity, id, &data, &len, err);
  if (rc != 0)
    return rc;
  *out = protobuf_c_message_unpack(store_entity_descriptor(entity), NULL, len,
                                   data);
  if (*out == NULL)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: stored %s '%.80s' does not decode",
                        entity_names[entity], id);
  return 0;
}

int rt_store_get_source(rt_store_reader_t *reader, const char *id,
                        Rectrack__V1__Source **out, rt_error_t *err) {
  return get_unpacked(reader, RT_ENTITY_SOURCE, id, (ProtobufCMessage **)out,
                      err);
}

int rt_store_get_actor(rt_store_reader_t *reader, const char *id,
                       Rectrack__V1__Actor **out, rt_error_t *err) {
  return get_unpacked(reader, RT_ENTITY_ACTOR, id, (ProtobufCMessage **)out,
                      err);
}

int rt_store_get_recommendation(rt_store_reader_t *reader, const char *id,
                                Rectrack__V1__Recommendation **out,
                                rt_error_t *err) {
  return get_unpacked(reader, RT_ENTITY_RECOMMENDATION, id,
                      (ProtobufCMessage **)out, err);
}

int rt_store_get_commitment(rt_store_reader_t *reader, const char *id,
                            Rectrack__V1__Commitment **out, rt_error_t *err) {
  return get_unpacked(reader, RT_ENTITY_COMMITMENT, id,
                      (ProtobufCMessage **)out, err);
}

/* ---- page sizes and tokens ------------------------------------------- */

int store_page_size(int32_t requested, size_t *out, rt_error_t *err) {
  if (requested < 0)
    return rt_error_set(err, RT_EINVAL, "page_size",
                        "page_size: %d is negative", requested);
  *out = requested == 0 ? 50 : requested > 1000 ? 1000 : (size_t)requested;
  return 0;
}

void store_filter_digest(const ProtobufCMessage *request, int tag,
                         const char *today, uint8_t digest[32]) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  uint8_t tag_byte = (uint8_t)tag;
  crypto_hash_sha256_update(&state, &tag_byte, 1);
  size_t len = protobuf_c_message_get_packed_size(request);
  uint8_t *packed = malloc(len + 1);
  if (packed) {
    protobuf_c_message_pack(request, packed);
    crypto_hash_sha256_update(&state, packed, len);
    free(packed);
  }
  today = store_str(today);
  crypto_hash_sha256_update(&state, (const uint8_t *)today, strlen(today));
  crypto_hash_sha256_final(&state, digest);
}

static void token_mac(const uint8_t digest[32], const uint8_t *key,
                      size_t key_len, uint8_t mac[TOKEN_MAC_LEN]) {
  crypto_hash_sha256_state state;
  uint8_t full[32];
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, digest, 32);
  crypto_hash_sha256_update(&state, key, key_len);
  crypto_hash_sha256_final(&state, full);
  memcpy(mac, full, TOKEN_MAC_LEN);
}

char *store_token_encode(const uint8_t digest[32], const uint8_t *key,
                         size_t key_len) {
  uint8_t *raw = malloc(TOKEN_MAC_LEN + key_len);
  char *hex = malloc(2 * (TOKEN_MAC_LEN + key_len) + 1);
  if (raw && hex) {
    token_mac(digest, key, key_len, raw);
    memcpy(raw + TOKEN_MAC_LEN, key, key_len);
    sodium_bin2hex(hex, 2 * (TOKEN_MAC_LEN + key_len) + 1, raw,
                   TOKEN_MAC_LEN + key_len);
  } else {
    free(hex);
    hex = NULL;
  }
  free(raw);
  return hex;
}

int store_token_decode(const char *token, const uint8_t digest[32],
                       store_key_t *key, bool *has_key, rt_error_t *err) {
  *has_key = false;
  if (token == NULL || token[0] == '\0')
    return 0;
  size_t hex_len = strlen(token);
  uint8_t raw[TOKEN_MAC_LEN + STORE_MAX_KEY];
  size_t raw_len = 0;
  uint8_t mac[TOKEN_MAC_LEN];
  if (hex_len % 2 != 0 || hex_len / 2 <= TOKEN_MAC_LEN ||
      hex_len / 2 > sizeof raw ||
      sodium_hex2bin(raw, sizeof raw, token, hex_len, NULL, &raw_len, NULL) !=
          0 ||
      raw_len != hex_len / 2)
    goto bad;
  key->len = raw_len - TOKEN_MAC_LEN;
  memcpy(key->data, raw + TOKEN_MAC_LEN, key->len);
  token_mac(digest, key->data, key->len, mac);
  if (sodium_memcmp(mac, raw, TOKEN_MAC_LEN) != 0)
    goto bad;
  *has_key = true;
  return 0;
bad:
  return rt_error_set(err, RT_EINVAL, "page_token",
                      "page_token: not a token of this query (tokens are only "
                      "valid with the filters that produced them)");
}

int store_list_response(const ProtobufCMessageDescriptor *descriptor,
                        ProtobufCMessage **items, size_t n, int32_t total,
                        char *next_token, void **out) {
  ProtobufCMessage *resp = malloc(descriptor->sizeof_message);
  if (resp == NULL)
    return RT_ENOMEM;
  protobuf_c_message_init(descriptor, resp);
  for (unsigned i = 0; i < descriptor->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &descriptor->fields[i];
    char *at = (char *)resp + fd->offset;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED &&
        fd->type == PROTOBUF_C_TYPE_MESSAGE) {
      memcpy((char *)resp + fd->quantifier_offset, &n, sizeof n);
      memcpy(at, &items, sizeof items);
    } else if (strcmp(fd->name, "total_size") == 0) {
      memcpy(at, &total, sizeof total);
    } else if (strcmp(fd->name, "next_page_token") == 0 && next_token) {
      memcpy(at, &next_token, sizeof next_token);
    }
  }
  *out = resp;
  return 0;
}

int store_key_compare(const uint8_t *a, size_t a_len, const uint8_t *b,
                      size_t b_len) {
  int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
  if (c != 0)
    return c;
  return a_len < b_len ? -1 : a_len > b_len ? 1 : 0;
}

/* ---- the list engine ------------------------------------------------- */

/* Picks the driver with the fewest entries; *empty when one has none. */
static int choose_driver(MDB_cursor *cursor, const store_keyset_t *drivers,
                         const store_key_t **best, bool *empty,
                         rt_error_t *err) {
  size_t best_count = 0;
  *best = NULL;
  *empty = false;
  for (size_t i = 0; i < drivers->n; i++) {
    MDB_val key = {drivers->keys[i].len, drivers->keys[i].data}, data;
    int rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET), err,
                             "reading an index");
    size_t count = 0;
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_count(cursor, &count), err,
                           "reading an index");
    if (rc == RT_ENOTFOUND) {
      *empty = true;
      return 0;
    }
    if (rc != 0)
      return rc;
    if (*best == NULL || count < best_count) {
      *best = &drivers->keys[i];
      best_count = count;
    }
  }
  return 0;
}

/* Counts a matching candidate and keeps it when it belongs on the page.
 * Every candidate is visited, since total_size counts them all. */
static int visit_candidate(const store_list_t *list, const MDB_val *pk,
                           const MDB_val *value, store_list_result_t *result,
                           rt_error_t *err) {
  ProtobufCMessage *record =
      protobuf_c_message_unpack(store_entity_descriptor(list->entity), NULL,
                                value->mv_size, value->mv_data);
  if (record == NULL)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored %s does not decode",
                        entity_names[list->entity]);
  bool keep = false;
  if (list->match(record, list->filter)) {
    result->total++;
    bool after = !list->has_after ||
                 store_key_compare(pk->mv_data, pk->mv_size, list->after.data,
                                   list->after.len) > 0;
    if (after && result->n < list->page_size) {
      result->items[result->n++] = record;
      result->last.len = pk->mv_size;
      memcpy(result->last.data, pk->mv_data, pk->mv_size);
      keep = true;
    } else if (after) {
      result->more = true;
    }
  }
  if (!keep)
    protobuf_c_message_free_unpacked(record, NULL);
  return 0;
}

static int walk_driver(MDB_txn *txn, const store_list_t *list,
                       MDB_cursor *index, const store_key_t *driver,
                       store_list_result_t *result, rt_error_t *err) {
  const char *walking = "walking an index";
  MDB_dbi primary = store_entity_dbi(list->store, list->entity);
  MDB_val key = {driver->len, (void *)driver->data}, pk, value;
  int rc = store_mdb_error(mdb_cursor_get(index, &key, &pk, MDB_SET_KEY), err,
                           walking);
  while (rc == 0) {
    rc = store_mdb_error(mdb_get(txn, primary, &pk, &value), err,
                         "reading a record");
    if (rc == 0)
      rc = visit_candidate(list, &pk, &value, result, err);
    else if (rc == RT_ENOTFOUND) /* dangling entry: the verifier reports it */
      rc = 0;
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(index, &key, &pk, MDB_NEXT_DUP), err,
                           walking);
  }
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the key's entries */
}

static int walk_primary(MDB_txn *txn, const store_list_t *list,
                        store_list_result_t *result, rt_error_t *err) {
  const char *walking = "walking records";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(txn, store_entity_dbi(list->store, list->entity),
                      &cursor),
      err, walking);
  if (rc != 0)
    return rc;
  MDB_val pk, value;
  rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_FIRST), err,
                       walking);
  while (rc == 0) {
    rc = visit_candidate(list, &pk, &value, result, err);
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_NEXT), err,
                           walking);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the records */
}

void store_list_result_free(store_list_result_t *result) {
  for (size_t i = 0; i < result->n; i++)
    protobuf_c_message_free_unpacked(result->items[i], NULL);
  free(result->items);
  free(result->next_token);
  memset(result, 0, sizeof *result);
}

int store_list_run(rt_store_reader_t *reader, store_list_t *list,
                   store_list_result_t *result, rt_error_t *err) {
  memset(result, 0, sizeof *result);
  int rc = store_token_decode(list->page_token, list->digest, &list->after,
                              &list->has_after, err);
  if (rc != 0)
    return rc;
  result->items = calloc(list->page_size, sizeof *result->items);
  if (result->items == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  MDB_cursor *index = NULL;
  rc = store_mdb_error(
      mdb_cursor_open(reader->txn,
                      store_entity_index(list->store, list->entity), &index),
      err, "opening an index");
  if (rc != 0)
    goto fail;
  const store_key_t *driver = NULL;
  bool empty = false;
  rc = choose_driver(index, &list->drivers, &driver, &empty, err);
  if (rc == 0 && !empty)
    rc = driver ? walk_driver(reader->txn, list, index, driver, result, err)
                : walk_primary(reader->txn, list, result, err);
  mdb_cursor_close(index);
  if (rc == 0 && result->more) {
    result->next_token =
        store_token_encode(list->digest, result->last.data, result->last.len);
    if (result->next_token == NULL)
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  if (rc == 0)
    return 0;
fail:
  store_list_result_free(result);
  return rc;
}
