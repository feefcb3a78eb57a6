/*
 * store_query: the list engine shared by the per-entity listings (private
 * to the storage module). A list states its filter as conditions the
 * indexes can answer (a key set, a key range, a word prefix); the engine
 * picks the condition with the
 * fewest entries to drive the walk, resumes it at the page token's
 * position, checks the other conditions on each candidate, and cuts the
 * page. The cost of a page is bounded by the driving index's entries
 * from the token's position on, and by a work budget per call. Functions
 * that can fail return 0 or a negative RT_E* code, listed at each.
 */
#ifndef RT_STORE_QUERY_H
#define RT_STORE_QUERY_H

#include "store_internal.h"
#include "store_words.h"

/* Candidates one call examines at most: past it the page is cut short,
 * and its next_page_token resumes the walk where it stopped. */
#define STORE_LIST_BUDGET 20000
/* A driving index with at most this many entries is walked whole to make
 * total_size exact when no index count gives it. */
#define STORE_EXACT_COUNT_BOUND 2000
/* Distinct keys a range condition counts before it estimates; words a
 * prefix term may stand for before it can no longer drive the walk. */
#define STORE_RANGE_KEYS_MAX 4096
#define STORE_WORD_EXPANSION_MAX 256
#define STORE_MAX_CONDITIONS 16

typedef enum store_cond_kind {
  /* The record is under one of keys (tag + value; never the archived
   * bit, which the engine adds for archived candidates). */
  STORE_COND_KEYS,
  /* The record is under a key of tag whose value v has lo <= v < hi (hi
   * empty: no upper bound). Walked in value order, then id order. */
  STORE_COND_RANGE,
  /* The record has a word (store_words.h) that begins with term. */
  STORE_COND_WORD,
} store_cond_kind_t;

typedef struct store_cond {
  store_cond_kind_t kind;
  store_keyset_t keys;       /* KEYS */
  uint8_t tag;               /* RANGE */
  store_key_t lo, hi;        /* RANGE: values, without the tag */
  char term[STORE_WORD_MAX]; /* WORD: a folded word, or its beginning */
  size_t term_len;
} store_cond_t;

typedef struct store_list {
  rt_store_t *store;
  rt_entity_t entity;
  bool include_archived;
  /* Every filter as conditions (the engine adds "every record"). */
  store_cond_t conds[STORE_MAX_CONDITIONS];
  size_t n_conds;
  size_t page_size;
  const char *page_token;
  uint8_t digest[32]; /* of the request's filters */
  size_t budget;      /* 0: STORE_LIST_BUDGET */
} store_list_t;

typedef struct store_list_result {
  ProtobufCMessage **items; /* unpacked records of the page */
  size_t n;
  int32_t total;          /* all matching records (see total_is_estimate) */
  bool total_is_estimate; /* total extrapolated, not counted */
  char *next_token;       /* malloc'd, NULL on the last page */
} store_list_result_t;

/* Conditions: each adds one to list (RT_ETOOBIG past
 * STORE_MAX_CONDITIONS or for a key over STORE_MAX_KEY, RT_ENOMEM).
 * store_list_keys takes values of one tag, any of which matches
 * (values of 1 byte for enums); store_list_range takes [lo, hi). */
int store_list_key(store_list_t *list, uint8_t tag, const void *value,
                   size_t len);
int store_list_keys(store_list_t *list, uint8_t tag, const int *values,
                    size_t n);
int store_list_range(store_list_t *list, uint8_t tag, const void *lo,
                     size_t lo_len, const void *hi, size_t hi_len);
/* One WORD condition per term of the query (store_words_of_query);
 * RT_EINVAL (field "query") when it holds no word. */
int store_list_query(store_list_t *list, const char *query, rt_error_t *err);
/* Frees the conditions' memory. */
void store_list_free(store_list_t *list);

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

/* Page tokens: base64url of a version byte, the number of the driving
 * condition, a MAC binding the token to the filter digest, and the
 * position (a key suffix and a primary key) the walk resumes after. */
#define STORE_TOKEN_VERSION 2
typedef struct store_position {
  uint8_t driver;
  store_key_t suffix; /* RANGE drivers: the value of the key */
  store_key_t pk;
} store_position_t;
/* A malloc'd token string, NULL when out of memory. */
char *store_token_encode(const uint8_t digest[32], const store_position_t *at);
/* *has_position false for an empty token. Returns 0 or RT_EINVAL
 * (malformed, of another version, or made for other filters). */
int store_token_decode(const char *token, const uint8_t digest[32],
                       store_position_t *at, bool *has_position,
                       rt_error_t *err);

/* Allocates a List...Response (descriptor) holding a page: items and n
 * go to its one repeated message field, total to total_size and the
 * estimate flag to total_size_is_estimate (when it has them), next_token
 * (may be NULL) to next_page_token. The memory moves to the response,
 * freed with it. Returns 0, or RT_ENOMEM with nothing taken. */
int store_list_response(const ProtobufCMessageDescriptor *descriptor,
                        ProtobufCMessage **items, size_t n, int32_t total,
                        bool estimate, char *next_token, void **out);
/* LMDB's default key order: memcmp, then the shorter first. */
int store_key_compare(const uint8_t *a, size_t a_len, const uint8_t *b,
                      size_t b_len);

#endif /* RT_STORE_QUERY_H */
