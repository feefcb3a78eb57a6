/*
 * store_query: the list engine shared by the per-entity listings (private
 * to the storage module). A list names the entity, the index keys that may
 * drive the walk, a match function for the full filter, the page size and
 * token; the engine walks, counts and cuts the page. Functions that can
 * fail return 0 or a negative RT_E* code, listed at each.
 */
#ifndef RT_STORE_QUERY_H
#define RT_STORE_QUERY_H

#include "store_internal.h"

typedef bool (*store_match_fn)(const ProtobufCMessage *record,
                               const void *filter);

typedef struct store_list {
  rt_store_t *store;
  rt_entity_t entity;
  store_keyset_t drivers; /* equality filters that have an index */
  store_match_fn match;   /* every filter, including the drivers' */
  const void *filter;
  size_t page_size;
  const char *page_token;
  uint8_t digest[32]; /* of the request's filters */
  store_key_t after;  /* from the token */
  bool has_after;
} store_list_t;

typedef struct store_list_result {
  ProtobufCMessage **items; /* unpacked records of the page */
  size_t n;
  int32_t total; /* all matching records */
  bool more;     /* a matching record follows the page */
  store_key_t last;
  char *next_token; /* malloc'd, NULL on the last page */
} store_list_result_t;

/* Runs the list in the reader's snapshot; *result holds the page, freed
 * with store_list_result_free. Returns 0, RT_EINVAL (a token of another
 * query), RT_ECORRUPT (a record does not decode), RT_ENOMEM or a
 * store_mdb_error code; on failure *result holds nothing. */
int store_list_run(rt_store_reader_t *reader, store_list_t *list,
                   store_list_result_t *result, rt_error_t *err);
void store_list_result_free(store_list_result_t *result);

/* The page size to use: 0 means 50, above 1000 is 1000. Returns 0 or
 * RT_EINVAL (negative). */
int store_page_size(int32_t requested, size_t *out, rt_error_t *err);
/* Digest of a list request with its page fields cleared by the caller. */
void store_filter_digest(const ProtobufCMessage *request, int tag,
                         const char *today, uint8_t digest[32]);
/* The page token resuming after key: a malloc'd string the caller frees,
 * NULL when out of memory. */
char *store_token_encode(const uint8_t digest[32], const uint8_t *key,
                         size_t key_len);
/* *has_key false for an empty token, else *key is the key it resumes
 * after. Returns 0 or RT_EINVAL (malformed, or made for other filters). */
int store_token_decode(const char *token, const uint8_t digest[32],
                       store_key_t *key, bool *has_key, rt_error_t *err);
/* Allocates a List...Response (descriptor) holding a page: items and n
 * go to its one repeated message field, total to total_size (when it has
 * one), next_token (may be NULL) to next_page_token. The memory moves to
 * the response, freed with it. Returns 0, or RT_ENOMEM with nothing
 * taken. */
int store_list_response(const ProtobufCMessageDescriptor *descriptor,
                        ProtobufCMessage **items, size_t n, int32_t total,
                        char *next_token, void **out);
/* LMDB's default key order: memcmp, then the shorter first. */
int store_key_compare(const uint8_t *a, size_t a_len, const uint8_t *b,
                      size_t b_len);

#endif /* RT_STORE_QUERY_H */
