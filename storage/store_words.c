/*
 * store_words: folding and word breaking with ICU, and the word index
 * entries of a record (see store_words.h). The whole text is folded
 * first (NFD, nonspacing marks dropped, NFKC_Casefold), then ICU's word
 * break iterator cuts the folded text; only segments its rules call
 * words (letters, numbers, kana, ideographs) are kept, so punctuation and
 * spaces never become words. One break iterator per thread is kept (a
 * thread-local, closed when the thread ends), because opening one costs
 * more than breaking a record's text.
 */
#include "store_words.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

/* ---- ICU: folding and breaking ---------------------------------------- */

static pthread_once_t breaker_once = PTHREAD_ONCE_INIT;
static pthread_key_t breaker_key;
static __thread UBreakIterator *thread_breaker;

static void close_breaker(void *breaker) { ubrk_close(breaker); }
static void make_breaker_key(void) {
  (void)pthread_key_create(&breaker_key, close_breaker);
}

/* This thread's word break iterator, NULL when ICU cannot make one. */
static UBreakIterator *word_breaker(void) {
  if (thread_breaker != NULL)
    return thread_breaker;
  pthread_once(&breaker_once, make_breaker_key);
  UErrorCode status = U_ZERO_ERROR;
  UBreakIterator *breaker = ubrk_open(UBRK_WORD, "", NULL, 0, &status);
  if (U_FAILURE(status))
    return NULL;
  thread_breaker = breaker;
  (void)pthread_setspecific(breaker_key, breaker);
  return breaker;
}

/* A UTF-16 buffer, grown as ICU asks. */
typedef struct ubuf {
  UChar *data;
  int32_t len;
} ubuf_t;

static int to_utf16(const char *text, ubuf_t *out) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t len = 0;
  u_strFromUTF8WithSub(NULL, 0, &len, text, -1, 0xFFFD, NULL, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
    return RT_EIO;
  out->data = malloc(((size_t)len + 1) * sizeof(UChar));
  if (out->data == NULL)
    return RT_ENOMEM;
  status = U_ZERO_ERROR;
  u_strFromUTF8WithSub(out->data, len + 1, &out->len, text, -1, 0xFFFD, NULL,
                       &status);
  return U_FAILURE(status) ? RT_EIO : 0;
}

/* Replaces in by its normalization under form. */
static int normalize(const UNormalizer2 *form, ubuf_t *in) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t len = unorm2_normalize(form, in->data, in->len, NULL, 0, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
    return RT_EIO;
  UChar *out = malloc(((size_t)len + 1) * sizeof(UChar));
  if (out == NULL)
    return RT_ENOMEM;
  status = U_ZERO_ERROR;
  len = unorm2_normalize(form, in->data, in->len, out, len + 1, &status);
  free(in->data);
  in->data = out;
  in->len = len;
  return U_FAILURE(status) ? RT_EIO : 0;
}

/* Drops nonspacing marks (general category Mn) in place. */
static void strip_marks(ubuf_t *text) {
  int32_t in = 0, out = 0;
  while (in < text->len) {
    int32_t start = in;
    UChar32 c;
    U16_NEXT(text->data, in, text->len, c);
    if (u_charType(c) == U_NON_SPACING_MARK)
      continue;
    while (start < in)
      text->data[out++] = text->data[start++];
  }
  text->len = out;
}

/* The folded UTF-16 form of text (see the top of this file). */
static int fold(const char *text, ubuf_t *out) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2 *nfd = unorm2_getNFDInstance(&status);
  const UNormalizer2 *casefold = unorm2_getNFKCCasefoldInstance(&status);
  if (U_FAILURE(status))
    return RT_EIO;
  int rc = to_utf16(text, out);
  if (rc == 0)
    rc = normalize(nfd, out);
  if (rc == 0) {
    strip_marks(out);
    rc = normalize(casefold, out);
  }
  return rc;
}

/* ---- word vectors ----------------------------------------------------- */

typedef struct word {
  char *text;
  size_t len;
} word_t;

typedef struct word_vec {
  word_t *items;
  size_t n, cap;
  size_t bytes; /* sum of lengths */
} word_vec_t;

static void word_vec_free(word_vec_t *vec) {
  for (size_t i = 0; i < vec->n; i++)
    free(vec->items[i].text);
  free(vec->items);
}

static int word_vec_push(word_vec_t *vec, const char *text, size_t len) {
  if (vec->n == vec->cap) {
    size_t cap = vec->cap ? vec->cap * 2 : 32;
    word_t *items = realloc(vec->items, cap * sizeof *items);
    if (items == NULL)
      return RT_ENOMEM;
    vec->items = items;
    vec->cap = cap;
  }
  char *copy = malloc(len + 1);
  if (copy == NULL)
    return RT_ENOMEM;
  memcpy(copy, text, len);
  copy[len] = '\0';
  vec->items[vec->n++] = (word_t){copy, len};
  vec->bytes += len;
  return 0;
}

/* Cuts a UTF-8 word to STORE_WORD_MAX bytes on a character boundary. */
static size_t cut_word(const char *word, size_t len) {
  if (len <= STORE_WORD_MAX)
    return len;
  len = STORE_WORD_MAX;
  while (len > 0 && ((unsigned char)word[len] & 0xC0) == 0x80)
    len--;
  return len;
}

/* Appends the words ICU finds in the folded text to vec. */
static int break_words(const ubuf_t *folded, word_vec_t *vec) {
  UBreakIterator *breaker = word_breaker();
  if (breaker == NULL)
    return RT_EIO;
  UErrorCode status = U_ZERO_ERROR;
  ubrk_setText(breaker, folded->data, folded->len, &status);
  if (U_FAILURE(status))
    return RT_EIO;
  char utf8[4 * STORE_WORD_MAX + 8];
  int rc = 0;
  int32_t start = ubrk_first(breaker);
  for (int32_t end = ubrk_next(breaker); rc == 0 && end != UBRK_DONE;
       start = end, end = ubrk_next(breaker)) {
    if (ubrk_getRuleStatus(breaker) < UBRK_WORD_NONE_LIMIT)
      continue; /* spaces, punctuation */
    int32_t units = end - start;
    if (units > STORE_WORD_MAX)
      units = STORE_WORD_MAX; /* enough for STORE_WORD_MAX bytes */
    if (units > 0 && U16_IS_LEAD(folded->data[start + units - 1]))
      units--; /* never split a surrogate pair */
    int32_t len = 0;
    status = U_ZERO_ERROR;
    u_strToUTF8WithSub(utf8, (int32_t)sizeof utf8, &len, folded->data + start,
                       units, 0xFFFD, NULL, &status);
    if (U_FAILURE(status))
      return RT_EIO;
    if (len > 0)
      rc = word_vec_push(vec, utf8, cut_word(utf8, (size_t)len));
  }
  ubrk_setText(breaker, NULL, 0, &status); /* drop the borrowed text */
  return rc;
}

static int add_text(const char *text, word_vec_t *vec) {
  if (text == NULL || text[0] == '\0')
    return 0;
  ubuf_t folded = {0};
  int rc = fold(text, &folded);
  if (rc == 0)
    rc = break_words(&folded, vec);
  free(folded.data);
  return rc;
}

static int compare_words(const void *a, const void *b) {
  const word_t *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->text, y->text, n);
  return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static bool same_word(const word_t *a, const word_t *b) {
  return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Joins vec into out, each word after a space: sorted and unique, or
 * (keep_order) in order with later duplicates dropped. */
static int join_words(word_vec_t *vec, bool keep_order, store_words_t *out) {
  *out = (store_words_t){0};
  if (!keep_order && vec->n > 1)
    qsort(vec->items, vec->n, sizeof *vec->items, compare_words);
  if (vec->n == 0)
    return 0;
  out->text = malloc(vec->bytes + vec->n + 1);
  if (out->text == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < vec->n; i++) {
    bool seen = false;
    if (!keep_order)
      seen = i > 0 && same_word(&vec->items[i], &vec->items[i - 1]);
    for (size_t j = 0; keep_order && !seen && j < i; j++)
      seen = same_word(&vec->items[i], &vec->items[j]);
    if (seen)
      continue;
    out->text[out->len++] = ' ';
    memcpy(out->text + out->len, vec->items[i].text, vec->items[i].len);
    out->len += vec->items[i].len;
    out->count++;
  }
  out->text[out->len] = '\0';
  return 0;
}

static int words_of(const char *const *texts, size_t n, bool keep_order,
                    store_words_t *out) {
  word_vec_t vec = {0};
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = add_text(texts[i], &vec);
  if (rc == 0)
    rc = join_words(&vec, keep_order, out);
  word_vec_free(&vec);
  return rc;
}

/* ---- public to the module --------------------------------------------- */

void store_words_free(store_words_t *words) {
  free(words->text);
  *words = (store_words_t){0};
}

int store_words_of_texts(const char *const *texts, size_t n,
                         store_words_t *out) {
  return words_of(texts, n, false, out);
}

int store_words_of_query(const char *query, store_words_t *out) {
  return words_of(&query, 1, true, out);
}

/* The fields words are taken from, and the archived flag. */
static void text_fields(rt_entity_t entity, const ProtobufCMessage *record,
                        const char *texts[2], bool *archived) {
  if (entity == RT_ENTITY_RECOMMENDATION) {
    const Rectrack__V1__Recommendation *r = (const void *)record;
    texts[0] = r->title;
    texts[1] = r->text;
    *archived = r->archived;
  } else {
    const Rectrack__V1__Commitment *c = (const void *)record;
    texts[0] = c->title;
    texts[1] = c->text;
    *archived = c->archived;
  }
}

int store_words_of_record(rt_entity_t entity, const ProtobufCMessage *record,
                          store_words_t *out) {
  const char *texts[2];
  bool archived;
  text_fields(entity, record, texts, &archived);
  return store_words_of_texts(texts, 2, out);
}

int store_words_each(const store_words_t *words,
                     int (*visit)(const char *word, size_t len, void *data),
                     void *data) {
  /* No words: text is NULL, and NULL + 0 is undefined in C. */
  if (words->text == NULL)
    return 0;
  const char *at = words->text, *end = words->text + words->len;
  while (at != NULL && at < end) { /* at is NULL after the last word */
    const char *word = at + 1;     /* after the space */
    const char *next = memchr(word, ' ', (size_t)(end - word));
    size_t len = (size_t)((next ? next : end) - word);
    int rc = visit(word, len, data);
    if (rc != 0)
      return rc;
    at = next;
  }
  return 0;
}

bool store_words_have_prefix(const void *list, size_t list_len,
                             const char *term, size_t term_len) {
  if (list == NULL)
    return false;
  const char *at = list, *end = (const char *)list + list_len;
  while (at < end) {
    const char *hit = memmem(at, (size_t)(end - at), term, term_len);
    if (hit == NULL)
      return false;
    if (hit > (const char *)list && hit[-1] == ' ')
      return true;
    at = hit + 1;
  }
  return false;
}

MDB_dbi store_word_index(rt_store_t *store, rt_entity_t entity) {
  return entity == RT_ENTITY_RECOMMENDATION ? store->rec_words
         : entity == RT_ENTITY_COMMITMENT   ? store->com_words
                                            : 0;
}

MDB_dbi store_word_lists(rt_store_t *store, rt_entity_t entity) {
  return entity == RT_ENTITY_RECOMMENDATION ? store->rec_word_lists
         : entity == RT_ENTITY_COMMITMENT   ? store->com_word_lists
                                            : 0;
}

void store_word_key(const char *word, size_t len, bool archived,
                    store_key_t *key) {
  key->data[0] = (uint8_t)(IDX_WORD | (archived ? IDX_ARCHIVED : 0));
  memcpy(key->data + 1, word, len);
  key->len = len + 1;
}

/* ---- index entries ---------------------------------------------------- */

typedef struct entry_writer {
  MDB_txn *txn;
  MDB_dbi dbi;
  const store_key_t *pk;
  bool archived, add;
  const store_words_t *skip; /* words to leave as they are, or NULL */
  rt_error_t *err;
} entry_writer_t;

static int write_entry(const char *word, size_t len, void *data) {
  entry_writer_t *w = data;
  if (w->skip != NULL && w->skip->text != NULL) {
    char spaced[STORE_WORD_MAX + 2];
    spaced[0] = ' ';
    memcpy(spaced + 1, word, len);
    /* in the other list as a whole word: followed by a space or the end */
    const char *at = w->skip->text, *end = at + w->skip->len;
    while (at < end) {
      const char *hit = memmem(at, (size_t)(end - at), spaced, len + 1);
      if (hit == NULL)
        break;
      if (hit + len + 1 == end || hit[len + 1] == ' ')
        return 0;
      at = hit + 1;
    }
  }
  store_key_t key;
  store_word_key(word, len, w->archived, &key);
  MDB_val k = {key.len, key.data}, v = {w->pk->len, (void *)w->pk->data};
  int rc =
      store_mdb_error(w->add ? mdb_put(w->txn, w->dbi, &k, &v, MDB_NODUPDATA)
                             : mdb_del(w->txn, w->dbi, &k, &v),
                      w->err, "updating the word index");
  return rc == (w->add ? RT_EEXIST : RT_ENOTFOUND) ? 0 : rc;
}

static int put_list(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                    const store_key_t *pk, const store_words_t *words,
                    rt_error_t *err) {
  MDB_val k = {pk->len, (void *)pk->data};
  MDB_val v = {words->len, words->text ? words->text : ""};
  MDB_dbi dbi = store_word_lists(store, entity);
  if (words->len == 0) {
    int rc = store_mdb_error(mdb_del(txn, dbi, &k, NULL), err,
                             "updating a word list");
    return rc == RT_ENOTFOUND ? 0 : rc;
  }
  return store_mdb_error(mdb_put(txn, dbi, &k, &v, 0), err,
                         "writing a word list");
}

static int move_words(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                      const ProtobufCMessage *old,
                      const ProtobufCMessage *record, const store_key_t *pk,
                      rt_error_t *err) {
  const char *old_texts[2] = {NULL, NULL}, *new_texts[2];
  bool old_archived = false, new_archived;
  text_fields(entity, record, new_texts, &new_archived);
  if (old != NULL) {
    text_fields(entity, old, old_texts, &old_archived);
    if (old_archived == new_archived &&
        strcmp(store_str(old_texts[0]), store_str(new_texts[0])) == 0 &&
        strcmp(store_str(old_texts[1]), store_str(new_texts[1])) == 0)
      return 0;
  }
  store_words_t before = {0}, after = {0};
  int rc = old ? store_words_of_texts(old_texts, 2, &before) : 0;
  if (rc == 0)
    rc = store_words_of_texts(new_texts, 2, &after);
  if (rc != 0) {
    rc = rt_error_set(err, rc, NULL, "storage: cannot break text into words");
    goto done;
  }
  bool moved = old_archived != new_archived;
  entry_writer_t w = {txn,   store_word_index(store, entity), pk, old_archived,
                      false, moved ? NULL : &after,           err};
  rc = store_words_each(&before, write_entry, &w);
  if (rc == 0) {
    w.archived = new_archived;
    w.add = true;
    w.skip = moved ? NULL : &before;
    rc = store_words_each(&after, write_entry, &w);
  }
  if (rc == 0)
    rc = put_list(txn, store, entity, pk, &after, err);
done:
  store_words_free(&before);
  store_words_free(&after);
  return rc;
}

int store_words_move(store_wctx_t *ctx, rt_entity_t entity,
                     const ProtobufCMessage *old,
                     const ProtobufCMessage *record, const store_key_t *pk) {
  if (entity != RT_ENTITY_RECOMMENDATION && entity != RT_ENTITY_COMMITMENT)
    return 0;
  return move_words(ctx->txn, ctx->store, entity, old, record, pk, ctx->err);
}

int store_words_put(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                    const ProtobufCMessage *record, const store_key_t *pk,
                    rt_error_t *err) {
  return move_words(txn, store, entity, NULL, record, pk, err);
}
