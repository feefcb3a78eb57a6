/*
 * store_query: reads. Gets are zero-copy lookups in the reader's snapshot.
 * This file also holds what the list engine (store_walk.c) is given and
 * gives back: the conditions a listing is made of, page sizes, page
 * tokens and the response a page is wrapped in.
 *
 * A page token is base64url(version || driver || MAC || position): the
 * position in the driving index the walk resumes after (a key value for
 * range walks, then a primary key), the number of the condition that
 * drove the walk (so every page of a listing walks the same index, in
 * the same order, whatever the counts do meanwhile), and a MAC, the first
 * 8 bytes of SHA-256(filter digest || the rest): a token from another
 * query, an edited one or one of another version fails the check and is
 * RT_EINVAL. Resuming "after the position" stays correct while records
 * are added: none present for the whole walk is skipped or listed twice.
 */
#include "store_query.h"
#include "store_links.h"
#include "store_specificity.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  int rc = get_unpacked(reader, RT_ENTITY_RECOMMENDATION, id,
                        (ProtobufCMessage **)out, err);
  if (rc == 0)
    rc = store_attach_computed(reader->txn, reader->store, *out, err);
  if (rc != 0 && *out != NULL) {
    protobuf_c_message_free_unpacked(&(*out)->base, NULL);
    *out = NULL;
  }
  return rc;
}

int rt_store_recommendation_computed_packed(rt_store_reader_t *reader,
                                            const char *id, uint8_t **out,
                                            size_t *len, rt_error_t *err) {
  *out = NULL;
  *len = 0;
  if (reader == NULL || !reader->active || store_parse_number_id(id, 'R') == 0)
    return rt_error_set(err, RT_EINVAL, "id",
                        "id: '%.80s' is not a recommendation id",
                        store_str(id));
  const void *data;
  size_t data_len;
  int rc = rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, id, &data,
                            &data_len, err);
  if (rc == 0)
    rc = store_computed_bytes(reader->txn, reader->store, data, data_len, out,
                              len, err);
  return rc;
}

int rt_store_get_commitment(rt_store_reader_t *reader, const char *id,
                            Rectrack__V1__Commitment **out, rt_error_t *err) {
  return get_unpacked(reader, RT_ENTITY_COMMITMENT, id,
                      (ProtobufCMessage **)out, err);
}

/* ---- page sizes and tokens ------------------------------------------- */

#define TOKEN_MAC_LEN 8
/* version, driver, MAC, suffix length, suffix, primary key */
#define TOKEN_MAX (2 + TOKEN_MAC_LEN + 1 + 2 * STORE_MAX_KEY)

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

/* The MAC of a token's bytes other than the MAC itself. */
static void token_mac(const uint8_t digest[32], const uint8_t *raw,
                      size_t raw_len, uint8_t mac[TOKEN_MAC_LEN]) {
  crypto_hash_sha256_state state;
  uint8_t full[32];
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, digest, 32);
  crypto_hash_sha256_update(&state, raw, 2);
  crypto_hash_sha256_update(&state, raw + 2 + TOKEN_MAC_LEN,
                            raw_len - 2 - TOKEN_MAC_LEN);
  crypto_hash_sha256_final(&state, full);
  memcpy(mac, full, TOKEN_MAC_LEN);
}

char *store_token_encode(const uint8_t digest[32], const store_position_t *at) {
  uint8_t raw[TOKEN_MAX];
  size_t len = 0;
  raw[len++] = STORE_TOKEN_VERSION;
  raw[len++] = at->driver;
  len += TOKEN_MAC_LEN;
  raw[len++] = (uint8_t)at->suffix.len;
  memcpy(raw + len, at->suffix.data, at->suffix.len);
  len += at->suffix.len;
  memcpy(raw + len, at->pk.data, at->pk.len);
  len += at->pk.len;
  token_mac(digest, raw, len, raw + 2);
  size_t size =
      sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *text = malloc(size);
  if (text != NULL)
    sodium_bin2base64(text, size, raw, len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

int store_token_decode(const char *token, const uint8_t digest[32],
                       store_position_t *at, bool *has_position,
                       rt_error_t *err) {
  *has_position = false;
  if (token == NULL || token[0] == '\0')
    return 0;
  uint8_t raw[TOKEN_MAX];
  size_t len = 0;
  uint8_t mac[TOKEN_MAC_LEN];
  if (strlen(token) >
          sodium_base64_ENCODED_LEN(sizeof raw,
                                    sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
      sodium_base642bin(raw, sizeof raw, token, strlen(token), NULL, &len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len < 3 + TOKEN_MAC_LEN || raw[0] != STORE_TOKEN_VERSION)
    goto bad;
  size_t suffix_len = raw[2 + TOKEN_MAC_LEN];
  size_t pk_at = 3 + TOKEN_MAC_LEN + suffix_len;
  if (pk_at > len || suffix_len > STORE_MAX_KEY ||
      len - pk_at > STORE_MAX_KEY || len == pk_at)
    goto bad;
  token_mac(digest, raw, len, mac);
  if (sodium_memcmp(mac, raw + 2, TOKEN_MAC_LEN) != 0)
    goto bad;
  at->driver = raw[1];
  at->suffix.len = suffix_len;
  memcpy(at->suffix.data, raw + 3 + TOKEN_MAC_LEN, suffix_len);
  at->pk.len = len - pk_at;
  memcpy(at->pk.data, raw + pk_at, at->pk.len);
  *has_position = true;
  return 0;
bad:
  return rt_error_set(err, RT_EINVAL, "page_token",
                      "page_token: not a token of this query (a token is "
                      "only valid with the filters that produced it; start "
                      "again without one)");
}

int store_list_response(const ProtobufCMessageDescriptor *descriptor,
                        ProtobufCMessage **items, size_t n, int32_t total,
                        bool estimate, char *next_token, void **out) {
  ProtobufCMessage *resp = malloc(descriptor->sizeof_message);
  if (resp == NULL)
    return RT_ENOMEM;
  protobuf_c_message_init(descriptor, resp);
  protobuf_c_boolean flag = estimate;
  for (unsigned i = 0; i < descriptor->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &descriptor->fields[i];
    char *at = (char *)resp + fd->offset;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED &&
        fd->type == PROTOBUF_C_TYPE_MESSAGE) {
      memcpy((char *)resp + fd->quantifier_offset, &n, sizeof n);
      memcpy(at, &items, sizeof items);
    } else if (strcmp(fd->name, "total_size") == 0) {
      memcpy(at, &total, sizeof total);
    } else if (strcmp(fd->name, "total_size_is_estimate") == 0) {
      memcpy(at, &flag, sizeof flag);
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

/* ---- conditions ------------------------------------------------------- */

static store_cond_t *new_cond(store_list_t *list, store_cond_kind_t kind) {
  if (list->n_conds == STORE_MAX_CONDITIONS)
    return NULL;
  store_cond_t *cond = &list->conds[list->n_conds++];
  memset(cond, 0, sizeof *cond);
  cond->kind = kind;
  return cond;
}

int store_list_key(store_list_t *list, uint8_t tag, const void *value,
                   size_t len) {
  store_cond_t *cond = new_cond(list, STORE_COND_KEYS);
  return cond ? store_keyset_add(&cond->keys, tag, value, len) : RT_ETOOBIG;
}

int store_list_keys(store_list_t *list, uint8_t tag, const int *values,
                    size_t n) {
  store_cond_t *cond = new_cond(list, STORE_COND_KEYS);
  int rc = cond ? 0 : RT_ETOOBIG;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = store_keyset_add_byte(&cond->keys, tag, values[i]);
  return rc;
}

int store_list_range(store_list_t *list, uint8_t tag, const void *lo,
                     size_t lo_len, const void *hi, size_t hi_len) {
  if (lo_len + 1 > STORE_MAX_KEY || hi_len + 1 > STORE_MAX_KEY)
    return RT_ETOOBIG;
  store_cond_t *cond = new_cond(list, STORE_COND_RANGE);
  if (cond == NULL)
    return RT_ETOOBIG;
  cond->tag = tag;
  memcpy(cond->lo.data, lo, lo_len);
  cond->lo.len = lo_len;
  memcpy(cond->hi.data, hi, hi_len);
  cond->hi.len = hi_len;
  return 0;
}

typedef struct term_adder {
  store_list_t *list;
  int rc;
} term_adder_t;

static int add_term(const char *word, size_t len, void *data) {
  term_adder_t *adder = data;
  store_cond_t *cond = new_cond(adder->list, STORE_COND_WORD);
  if (cond == NULL)
    return adder->rc = RT_ETOOBIG;
  memcpy(cond->term, word, len);
  cond->term_len = len;
  return 0;
}

int store_list_query(store_list_t *list, const char *query, rt_error_t *err) {
  store_words_t terms = {0};
  int rc = store_words_of_query(query, &terms);
  if (rc != 0)
    return rt_error_set(err, rc, "query", "query: cannot break it into words");
  if (terms.count == 0) {
    store_words_free(&terms);
    return rt_error_set(err, RT_EINVAL, "query",
                        "query: '%.80s' holds no word to search for", query);
  }
  term_adder_t adder = {list, 0};
  store_words_each(&terms, add_term, &adder);
  store_words_free(&terms);
  if (adder.rc != 0)
    return rt_error_set(err, adder.rc, "query",
                        "query: too many words (at most %d conditions in "
                        "all)",
                        STORE_MAX_CONDITIONS);
  return 0;
}

void store_list_free(store_list_t *list) {
  for (size_t i = 0; i < list->n_conds; i++)
    store_keyset_free(&list->conds[i].keys);
  list->n_conds = 0;
}
