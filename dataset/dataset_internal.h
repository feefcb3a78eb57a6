/*
 * dataset_internal: what the readers of the two forms of the import
 * format share (private to dataset/): the dataset and parser structs, the
 * item parsers of rt_dataset.c, problems, request ids, and the "retired"
 * entries by which the JSON Lines reader (rt_dataset_lines.c) remembers
 * the items of segments it has let go.
 */
#ifndef DATASET_INTERNAL_H
#define DATASET_INTERNAL_H

#include "rt_dataset.h"

#include <jansson.h>

/* Paths are built only from section and field names the parsers define,
 * line numbers and indexes, so they have a known bound. */
#define DATASET_PATH_LEN 160

struct rt_dataset {
  rt_dataset_item_t *items;
  size_t len, cap;
};

typedef struct parser {
  rt_dataset_t *dataset;
  rt_dataset_errors_t *errors;
  bool oom;
  /* key -> item index (json integer) in dataset, or, for an item of an
   * earlier segment of a JSON Lines file, a retired entry (json string,
   * see dataset_retired_t) */
  json_t *keys;              /* recommendation and commitment keys */
  json_t *source_ids;        /* source ids, to catch duplicates */
  json_t *actor_ids;         /* actor ids */
  json_t *theme_ids;         /* theme ids; made by the first theme item */
  json_t *dimension_key_ids; /* added dimension keys; made by the first */
} parser_t;

/* Problems, as rt_dataset_errors_t collects them. */
void dataset_add_problem_message(parser_t *p, const char *path,
                                 const char *message);
void dataset_add_problem(parser_t *p, const char *path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses obj as an item of kind named path, appending it to p->dataset
 * and registering its key; problems go to p->errors. */
void dataset_parse_kind(parser_t *p, rt_dataset_kind_t kind, json_t *obj,
                        const char *path);

/* SHA-256 over an item's kind, key and content (its request id before
 * the rank), and the request id of an item of that content and rank.
 * 0 or RT_ENOMEM. */
int dataset_digest_item(const rt_dataset_item_t *item, uint8_t *out);
int dataset_set_request_id(rt_dataset_item_t *item, const uint8_t *content,
                           unsigned long rank);

/* Releases the parser's maps and dataset. */
void dataset_parser_close(parser_t *p);

/* An item of a segment already let go: what later lines may ask of it. */
typedef struct dataset_retired {
  rt_dataset_kind_t kind;
  bool has_indicator; /* commitments: a measurement may name it */
  char server_id[64]; /* "" when it was not (or not yet) written */
  char path[DATASET_PATH_LEN];
} dataset_retired_t;
void dataset_read_retired(const json_t *entry, dataset_retired_t *out);

#endif /* DATASET_INTERNAL_H */
