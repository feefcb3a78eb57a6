/*
 * rt_dataset_lines: the JSON Lines form of the import format, read record
 * by record. The first line is the header {"format":
 * "rectrack-import-lines/1"}; every other non-empty line is one object
 * with one member naming what it holds ("theme", "actor", "source",
 * "recommendation", "commitment", "follow_up", "measurement") whose value
 * is the item, with the same members and the same checks as in the
 * document form (rt_dataset.c parses both). A line may refer only to
 * items on lines before it.
 *
 * The file is read in segments of a few thousand items: each segment is a
 * dataset of its own, loaded and freed before the next is read, so the
 * memory of a load does not grow with the file. What later lines need of
 * earlier ones stays: each key, as a retired entry in the parser's maps
 * (kind, whether a commitment has an indicator, the server id it was
 * given, the line it is on), and, for follow-ups and measurements, an
 * 8-byte digest per distinct content, so that identical reports get ranks
 * (and request ids) as in the document form. Problems are reported per
 * line: "line 12: sdg_targets[0]: ...".
 */
#include "dataset_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line longer than this is refused without being held whole. */
#define LINE_MAX_BYTES (1u << 20)

/* How many identical reports came before: 8-byte digests, open
 * addressing. */
typedef struct rank_table {
  uint64_t *digests; /* 0: empty (a zero digest is stored as 1) */
  uint32_t *counts;
  size_t n, n_slots;
} rank_table_t;

struct rt_dataset_stream {
  FILE *file;
  char *name;
  char *line;
  size_t line_len, line_cap;
  size_t line_no;
  bool header_seen, at_end;
  parser_t parser;
  rank_table_t ranks;
};

static const struct {
  const char *member;
  rt_dataset_kind_t kind;
} line_kinds[] = {
    {"theme", RT_DATASET_THEME},
    {"dimension_key", RT_DATASET_DIMENSION_KEY},
    {"actor", RT_DATASET_ACTOR},
    {"source", RT_DATASET_SOURCE},
    {"recommendation", RT_DATASET_RECOMMENDATION},
    {"commitment", RT_DATASET_COMMITMENT},
    {"follow_up", RT_DATASET_FOLLOW_UP},
    {"measurement", RT_DATASET_MEASUREMENT},
};

/* ---- retired entries ---------------------------------------------------- */

void dataset_read_retired(const json_t *entry, dataset_retired_t *out) {
  const char *text = json_string_value(entry);
  memset(out, 0, sizeof *out);
  if (text == NULL || text[0] == '\0' || text[1] == '\0')
    return;
  out->kind = (rt_dataset_kind_t)(text[0] - '0');
  out->has_indicator = text[1] == '1';
  const char *tab = strchr(text + 2, '\t');
  size_t id_len = tab ? (size_t)(tab - text - 2) : strlen(text + 2);
  if (id_len >= sizeof out->server_id)
    id_len = sizeof out->server_id - 1;
  memcpy(out->server_id, text + 2, id_len);
  snprintf(out->path, sizeof out->path, "%s", tab ? tab + 1 : "");
}

static int retire_entry(json_t *map, const char *key,
                        const rt_dataset_item_t *item, bool has_indicator) {
  char *text = NULL;
  if (asprintf(&text, "%c%c%s\t%s", '0' + (int)item->kind,
               has_indicator ? '1' : '0',
               item->server_id ? item->server_id : "", item->path) < 0)
    return RT_ENOMEM;
  int rc =
      json_object_set_new(map, key, json_string(text)) == 0 ? 0 : RT_ENOMEM;
  free(text);
  return rc;
}

void rt_dataset_stream_retire(rt_dataset_stream_t *s,
                              const rt_dataset_t *segment) {
  parser_t *p = &s->parser;
  for (size_t i = 0; segment != NULL && i < segment->len; i++) {
    const rt_dataset_item_t *item = &segment->items[i];
    if (item->key == NULL)
      continue;
    json_t *map = item->kind == RT_DATASET_SOURCE  ? p->source_ids
                  : item->kind == RT_DATASET_ACTOR ? p->actor_ids
                  : item->kind == RT_DATASET_THEME ? p->theme_ids
                  : item->kind == RT_DATASET_DIMENSION_KEY
                      ? p->dimension_key_ids
                      : p->keys;
    bool indicator = item->kind == RT_DATASET_COMMITMENT &&
                     item->request.commitment->commitment->indicator != NULL;
    if (retire_entry(map, item->key, item, indicator) != 0)
      p->oom = true;
  }
}

/* ---- ranks of identical reports ---------------------------------------- */

static int ranks_grow(rank_table_t *t) {
  size_t n_slots = t->n_slots ? t->n_slots * 2 : 1024;
  uint64_t *digests = calloc(n_slots, sizeof *digests);
  uint32_t *counts = calloc(n_slots, sizeof *counts);
  if (digests == NULL || counts == NULL) {
    free(digests);
    free(counts);
    return RT_ENOMEM;
  }
  for (size_t i = 0; i < t->n_slots; i++) {
    if (t->digests[i] == 0)
      continue;
    size_t at = t->digests[i] & (n_slots - 1);
    while (digests[at] != 0)
      at = (at + 1) & (n_slots - 1);
    digests[at] = t->digests[i];
    counts[at] = t->counts[i];
  }
  free(t->digests);
  free(t->counts);
  t->digests = digests;
  t->counts = counts;
  t->n_slots = n_slots;
  return 0;
}

/* How many items of this content came before (and counts this one). */
static int ranks_take(rank_table_t *t, const uint8_t *digest,
                      unsigned long *rank) {
  if (2 * (t->n + 1) > t->n_slots && ranks_grow(t) != 0)
    return RT_ENOMEM;
  uint64_t d;
  memcpy(&d, digest, sizeof d);
  d = d ? d : 1;
  size_t at = d & (t->n_slots - 1);
  while (t->digests[at] != 0 && t->digests[at] != d)
    at = (at + 1) & (t->n_slots - 1);
  if (t->digests[at] == 0) {
    t->digests[at] = d;
    t->n++;
  }
  *rank = t->counts[at]++;
  return 0;
}

/* Request ids for a segment: keyed items are unique by key (rank 0);
 * identical reports are ranked across the whole file. */
static int assign_ids(rt_dataset_stream_t *s, rt_dataset_t *segment) {
  for (size_t i = 0; i < segment->len; i++) {
    rt_dataset_item_t *item = &segment->items[i];
    uint8_t digest[crypto_hash_sha256_BYTES];
    unsigned long rank = 0;
    int rc = dataset_digest_item(item, digest);
    if (rc == 0 && item->key == NULL)
      rc = ranks_take(&s->ranks, digest, &rank);
    if (rc == 0)
      rc = dataset_set_request_id(item, digest, rank);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* ---- lines --------------------------------------------------------------- */

/* Reads the next line into s->line (without its newline). Returns 1, 0 at
 * the end of the file, RT_ETOOBIG (the line was longer than
 * LINE_MAX_BYTES and was skipped) or RT_EIO. */
static int read_line(rt_dataset_stream_t *s) {
  s->line_len = 0;
  bool too_long = false, any = false;
  int c;
  while ((c = getc_unlocked(s->file)) != EOF) {
    any = true;
    if (c == '\n')
      break;
    if (s->line_len >= LINE_MAX_BYTES) {
      too_long = true;
      continue;
    }
    if (s->line_len + 1 >= s->line_cap) {
      size_t cap = s->line_cap ? s->line_cap * 2 : 4096;
      char *line = realloc(s->line, cap);
      if (line == NULL)
        return RT_ENOMEM;
      s->line = line;
      s->line_cap = cap;
    }
    s->line[s->line_len++] = (char)c;
  }
  if (ferror(s->file))
    return RT_EIO;
  if (!any)
    return 0;
  s->line_no++;
  if (s->line_len > 0 && s->line[s->line_len - 1] == '\r')
    s->line_len--;
  if (s->line != NULL)
    s->line[s->line_len] = '\0';
  return too_long ? RT_ETOOBIG : 1;
}

static bool blank(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (text[i] != ' ' && text[i] != '\t')
      return false;
  return true;
}

static void check_header(rt_dataset_stream_t *s, json_t *root,
                         const char *path) {
  json_t *format = json_is_object(root) ? json_object_get(root, "format") : 0;
  if (format == NULL || json_object_size(root) != 1 ||
      !json_is_string(format) ||
      strcmp(json_string_value(format), RT_DATASET_LINES_FORMAT) != 0)
    dataset_add_problem(&s->parser, path,
                        "the first line must be {\"format\": \"%s\"}",
                        RT_DATASET_LINES_FORMAT);
}

/* Parses one line of a record into the segment. */
static void parse_line(rt_dataset_stream_t *s, json_t *root, const char *path) {
  parser_t *p = &s->parser;
  const char *member = NULL;
  json_t *value = NULL;
  if (json_is_object(root) && json_object_size(root) == 1) {
    void *iter = json_object_iter(root);
    member = json_object_iter_key(iter);
    value = json_object_iter_value(iter);
  }
  for (size_t i = 0;
       member != NULL && i < sizeof line_kinds / sizeof *line_kinds; i++)
    if (strcmp(member, line_kinds[i].member) == 0) {
      if (!json_is_object(value)) {
        dataset_add_problem(p, path, "%s must be an object", member);
        return;
      }
      dataset_parse_kind(p, line_kinds[i].kind, value, path);
      return;
    }
  dataset_add_problem(p, path,
                      "must be one object with one member: theme, actor, "
                      "source, recommendation, commitment, follow_up or "
                      "measurement");
}

/* Reads and parses one line; false at the end of the file. */
static bool next_line(rt_dataset_stream_t *s, int *rc) {
  parser_t *p = &s->parser;
  char path[DATASET_PATH_LEN];
  int read = read_line(s);
  snprintf(path, sizeof path, "line %zu", s->line_no);
  if (read == 0 || read == RT_ENOMEM || read == RT_EIO) {
    *rc = read;
    return false;
  }
  if (read == RT_ETOOBIG) {
    dataset_add_problem(p, path, "is longer than %u bytes", LINE_MAX_BYTES);
    return true;
  }
  if (blank(s->line, s->line_len))
    return true;
  json_error_t error;
  json_t *root =
      json_loadb(s->line, s->line_len, JSON_REJECT_DUPLICATES, &error);
  if (root == NULL) {
    dataset_add_problem(p, path, "not JSON: %s (column %d)", error.text,
                        error.column);
  } else if (!s->header_seen) {
    check_header(s, root, path);
  } else {
    parse_line(s, root, path);
  }
  s->header_seen = true;
  json_decref(root);
  return true;
}

/* ---- the stream ---------------------------------------------------------- */

int rt_dataset_stream_open(const char *path, rt_dataset_stream_t **out,
                           rt_error_t *err) {
  *out = NULL;
  if (sodium_init() < 0)
    return rt_error_set(err, RT_EIO, NULL, "libsodium failed to initialise");
  rt_dataset_stream_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  s->file = fopen(path, "rb");
  if (s->file == NULL) {
    int saved = errno;
    free(s);
    return rt_error_set(err, RT_EIO, NULL, "%s: %s", path, strerror(saved));
  }
  s->name = strdup(path);
  s->parser.keys = json_object();
  s->parser.source_ids = json_object();
  s->parser.actor_ids = json_object();
  if (s->name == NULL || s->parser.keys == NULL ||
      s->parser.source_ids == NULL || s->parser.actor_ids == NULL) {
    rt_dataset_stream_close(s);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  *out = s;
  return 0;
}

int rt_dataset_stream_next(rt_dataset_stream_t *s, size_t max_items,
                           rt_dataset_t **segment, rt_dataset_errors_t *errors,
                           rt_error_t *err) {
  *segment = NULL;
  if (s->at_end)
    return 0;
  parser_t *p = &s->parser;
  p->errors = errors;
  p->dataset = calloc(1, sizeof *p->dataset);
  if (p->dataset == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  size_t problems = errors->count;
  int rc = 0;
  while (p->dataset->len < max_items && !p->oom) {
    if (!next_line(s, &rc)) {
      s->at_end = true;
      break;
    }
  }
  if (rc == 0 && s->at_end && !s->header_seen)
    dataset_add_problem(p, "line 1",
                        "the first line must be {\"format\": "
                        "\"%s\"}",
                        RT_DATASET_LINES_FORMAT);
  rt_dataset_t *ds = p->dataset;
  p->dataset = NULL;
  if (rc == 0 && p->oom)
    rc = RT_ENOMEM;
  if (rc == 0 && errors->count > problems)
    rc = rt_error_set(err, RT_EINVAL, NULL, "%s: %zu problem%s", s->name,
                      errors->count, errors->count == 1 ? "" : "s");
  else if (rc == RT_EIO || rc == RT_ENOMEM)
    rc = rt_error_set(err, rc, NULL, "%s: %s", s->name,
                      rc == RT_EIO ? strerror(errno) : "out of memory");
  if (rc == 0 && ds->len > 0)
    rc = assign_ids(s, ds);
  if (rc != 0 || ds->len == 0) {
    /* keys must not point into a dataset that goes */
    rt_dataset_stream_retire(s, ds);
    rt_dataset_free(ds);
    return rc;
  }
  *segment = ds;
  return 0;
}

size_t rt_dataset_stream_lines(const rt_dataset_stream_t *s) {
  return s->line_no;
}

void rt_dataset_stream_close(rt_dataset_stream_t *s) {
  if (s == NULL)
    return;
  if (s->file)
    fclose(s->file);
  free(s->name);
  free(s->line);
  free(s->ranks.digests);
  free(s->ranks.counts);
  dataset_parser_close(&s->parser);
  free(s);
}

int rt_dataset_check_lines(const char *path, size_t *items,
                           rt_dataset_errors_t *errors, rt_error_t *err) {
  rt_dataset_stream_t *s = NULL;
  memset(errors, 0, sizeof *errors);
  *items = 0;
  int rc = rt_dataset_stream_open(path, &s, err);
  while (rc == 0) {
    rt_dataset_t *segment = NULL;
    rc = rt_dataset_stream_next(s, 4096, &segment, errors, err);
    if (rc == RT_EINVAL)
      rc = 0; /* go on: every problem of the file is collected */
    if (segment == NULL && (s->at_end || rc != 0))
      break;
    *items += segment ? segment->len : 0;
    rt_dataset_stream_retire(s, segment);
    rt_dataset_free(segment);
  }
  rt_dataset_stream_close(s);
  if (rc == 0 && errors->count > 0)
    rc = rt_error_set(err, RT_EINVAL, NULL, "%s: %zu problem%s, first: %s",
                      path, errors->count, errors->count == 1 ? "" : "s",
                      errors->problems_len ? errors->problems[0].message : "");
  return rc;
}

bool rt_dataset_is_lines_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL)
    return false;
  char start[128];
  size_t n = fread(start, 1, sizeof start - 1, file);
  fclose(file);
  start[n] = '\0';
  char *newline = strchr(start, '\n');
  if (newline)
    *newline = '\0';
  return strstr(start, RT_DATASET_LINES_FORMAT) != NULL;
}
