/*
 * store_words: the word index of recommendations and commitments (private
 * to the storage module). Text is folded with ICU: decomposed (NFD),
 * stripped of nonspacing marks (accents, Arabic harakat), then NFKC case
 * folded, and cut into words by ICU's word break rules, so that
 * "Migración" and "MIGRACION" are both the word "migracion", in any
 * script. A record's words (of its title and text) are kept twice, in the
 * same write transaction as the record: under each word in the entity's
 * word index (dupsort: word -> primary key, the tag byte carrying the
 * archived bit like every index key), and as the record's word list (its
 * words sorted, each after one space: " cost migracion remesas"), which
 * lets a list check a candidate against a query term without unpacking
 * it. Functions that can fail return 0 or a negative RT_E* code, listed
 * at each.
 */
#ifndef STORE_WORDS_H
#define STORE_WORDS_H

#include "store_write.h"

/* Longest word kept, in bytes of UTF-8 (longer ones are cut on a
 * character boundary, and so are query terms: a term still finds them). */
#define STORE_WORD_MAX 64

/* Folded words, sorted and unique (or, for a query, in query order and
 * unique), each after one space, in one malloc'd buffer. */
typedef struct store_words {
  char *text; /* " w1 w2 ...", NUL-terminated; NULL when empty */
  size_t len; /* bytes of text */
  size_t count;
} store_words_t;

void store_words_free(store_words_t *words);

/* The words of n UTF-8 strings (NULL entries are skipped), sorted and
 * unique. Malformed UTF-8 is replaced, not refused. Returns 0, RT_ENOMEM
 * or RT_EIO (ICU failed). */
int store_words_of_texts(const char *const *texts, size_t n,
                         store_words_t *out);

/* The words of a recommendation's or commitment's title and text. Same
 * codes. */
int store_words_of_record(rt_entity_t entity, const ProtobufCMessage *record,
                          store_words_t *out);

/* The terms of a query: its folded words in query order, duplicates
 * dropped. Same codes. */
int store_words_of_query(const char *query, store_words_t *out);

/* Calls visit(word, len, data) for each word of words, in order, until it
 * returns non-zero (that value is returned). */
int store_words_each(const store_words_t *words,
                     int (*visit)(const char *word, size_t len, void *data),
                     void *data);

/* Whether a stored word list (" w1 w2 ...") holds a word that begins with
 * term. */
bool store_words_have_prefix(const void *list, size_t list_len,
                             const char *term, size_t term_len);

/* The word index and the word lists of an entity (recommendations and
 * commitments; 0 for the others). */
MDB_dbi store_word_index(rt_store_t *store, rt_entity_t entity);
MDB_dbi store_word_lists(rt_store_t *store, rt_entity_t entity);

/* The word index key of word (tag IDX_WORD, archived bit as asked). */
void store_word_key(const char *word, size_t len, bool archived,
                    store_key_t *key);

/* Moves pk's word entries and word list from old's words (NULL: a new
 * record) to record's, inside the op's transaction. Nothing is done when
 * neither the title, the text nor the archived flag changed (a follow-up
 * or a measurement), so the writer tokenizes text only when text is
 * written. Returns 0, RT_ENOMEM, RT_EIO or an LMDB code, ctx->err set. */
int store_words_move(store_wctx_t *ctx, rt_entity_t entity,
                     const ProtobufCMessage *old,
                     const ProtobufCMessage *record, const store_key_t *pk);

/* Writes the word entries and list of a record that has none yet (the
 * upgrade that builds the index). Returns as store_words_move, err set. */
int store_words_put(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                    const ProtobufCMessage *record, const store_key_t *pk,
                    rt_error_t *err);

#endif /* STORE_WORDS_H */
