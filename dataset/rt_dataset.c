/*
 * rt_dataset: reads a "rectrack-import/1" document into an ordered list of
 * ready-to-send requests.
 *
 * The whole document is validated before anything is returned, and every
 * problem is collected with its JSON path, so that a person fixing a file
 * sees all of its mistakes in one run instead of one per run. Items are
 * built while validating (a bad value leaves an empty field behind); if
 * any problem was found the items are thrown away.
 *
 * Sections are read in dependency order whatever their order in the file:
 * themes (added at run time; records are tagged with them), actors, sources
 * (organisers are actors), recommendations, commitments, follow-ups,
 * measurements. Because a reference can only point at a section read earlier,
 * every key is known by the time a reference to it is read, and each reference
 * is tied to the index of the item it names at parse time. Requests keep the
 * file-local keys in their reference fields until rt_dataset_resolve puts
 * the server ids there.
 *
 * Request ids are hashed over the packed request as parsed (so key order,
 * spacing and 6 vs 6.0 do not matter) plus the item's kind and key, and
 * over the rank of the item among identical ones, so that two identical
 * follow-ups in one file are still two reports.
 */
#include "dataset_internal.h"
#include "rt_dimensions.h"
#include "rt_enum.h"
#include "rt_reference.h"
#include "rt_validate.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN DATASET_PATH_LEN

/* ---- problems --------------------------------------------------------- */

void rt_dataset_errors_free(rt_dataset_errors_t *errors) {
  if (errors == NULL)
    return;
  for (size_t i = 0; i < errors->problems_len; i++) {
    free(errors->problems[i].path);
    free(errors->problems[i].message);
  }
  free(errors->problems);
  memset(errors, 0, sizeof *errors);
}

/* Adds a problem whose message is already a full sentence. */
void dataset_add_problem_message(parser_t *p, const char *path,
                                 const char *message) {
  rt_dataset_errors_t *errors = p->errors;
  errors->count++;
  if (errors->problems_len >= RT_DATASET_MAX_ERRORS)
    return;
  if (errors->problems == NULL) {
    errors->problems = calloc(RT_DATASET_MAX_ERRORS, sizeof *errors->problems);
    if (errors->problems == NULL) {
      p->oom = true;
      return;
    }
  }
  rt_dataset_problem_t *problem = &errors->problems[errors->problems_len];
  problem->path = strdup(path);
  problem->message = strdup(message);
  if (problem->path == NULL || problem->message == NULL) {
    free(problem->path);
    free(problem->message);
    p->oom = true;
    return;
  }
  errors->problems_len++;
}

/* Adds "path: <formatted text>". */
#define add_problem_message dataset_add_problem_message
#define add_problem dataset_add_problem
void dataset_add_problem(parser_t *p, const char *path, const char *format,
                         ...) {
  char *text = NULL, *message = NULL;
  va_list args;
  va_start(args, format);
  int rc = vasprintf(&text, format, args);
  va_end(args);
  if (rc < 0 ||
      asprintf(&message, "%s: %s", path[0] ? path : "document", text) < 0) {
    if (rc >= 0)
      free(text);
    p->oom = true;
    return;
  }
  add_problem_message(p, path, message);
  free(text);
  free(message);
}

/* ---- small builders ---------------------------------------------------- */

/* Copies s for a message field. On allocation failure marks the parse as
 * failed and returns protobuf-c's empty string, which freeing a message
 * leaves alone, so that a half-built message stays safe to free. */
static char *dup_field(parser_t *p, const char *s) {
  char *copy = strdup(s);
  if (copy != NULL)
    return copy;
  p->oom = true;
  return (char *)protobuf_c_empty_string;
}

static void *alloc_zeroed(parser_t *p, size_t size) {
  void *memory = calloc(1, size);
  if (memory == NULL)
    p->oom = true;
  return memory;
}

/* Appends text to the path in out (used bytes long), cutting it at
 * PATH_LEN - 1 bytes. Paths are built from this file's section and field
 * names and from indexes, so by construction they fit: the longest, an
 * indicator field of an item with a 20-digit index, is under 80 bytes. */
static size_t append_path(char out[PATH_LEN], size_t used, const char *text) {
  size_t len = strlen(text);
  if (used + len > PATH_LEN - 1)
    len = PATH_LEN - 1 - used;
  memcpy(out + used, text, len);
  out[used + len] = '\0';
  return used + len;
}

/* A line of the JSON Lines form is named "line 12"; its fields follow
 * after a colon ("line 12: sdg_targets[0]"), others after a dot. */
static const char *separator(const char *base) {
  return strncmp(base, "line ", 5) == 0 ? ": " : ".";
}

static void join_path(char out[PATH_LEN], const char *base, const char *name) {
  size_t used = append_path(out, 0, base);
  used = append_path(out, used, separator(base));
  append_path(out, used, name);
}

/* "base.name[index]", or "base[index]" when name is NULL. */
static void index_path(char out[PATH_LEN], const char *base, const char *name,
                       size_t index) {
  char number[32];
  snprintf(number, sizeof number, "[%zu]", index);
  size_t used = append_path(out, 0, base);
  if (name != NULL) {
    used = append_path(out, used, separator(base));
    used = append_path(out, used, name);
  }
  append_path(out, used, number);
}

/* An item's "illustrative" member: the names of the fields whose values a
 * demonstration file invented (data/README.md), each a member the item
 * has or "indicator.NAME" for one of its indicator's, each once. It is
 * documentation for readers of the file and is not sent. */
static void check_illustrative(parser_t *p, json_t *obj, json_t *list,
                               const char *path) {
  char field[PATH_LEN], quoted[RT_EXCERPT_SIZE];
  if (!json_is_array(list)) {
    join_path(field, path, "illustrative");
    add_problem(p, field, "must be an array of field names");
    return;
  }
  for (size_t i = 0; i < json_array_size(list); i++) {
    const char *name = json_string_value(json_array_get(list, i));
    const char *dot = name ? strchr(name, '.') : NULL;
    json_t *owner =
        dot ? json_object_getn(obj, name, (size_t)(dot - name)) : obj;
    json_t *named = name ? json_object_get(owner, dot ? dot + 1 : name) : NULL;
    index_path(field, path, "illustrative", i);
    if (name == NULL)
      add_problem(p, field, "must be a field name (a string)");
    else if (named == NULL || json_is_null(named) || !json_is_object(owner) ||
             strcmp(name, "illustrative") == 0 || strcmp(name, "key") == 0)
      add_problem(p, field, "\"%s\" is not a field of this item",
                  rt_quote_excerpt(name, quoted));
    for (size_t j = 0; name != NULL && j < i; j++)
      if (json_equal(json_array_get(list, j), json_array_get(list, i)))
        add_problem(p, field, "repeats entry %zu", j);
  }
}

/* Reports every member of obj that is not in allowed (NULL-terminated).
 * An item of a section may also have an "illustrative" member. */
static void check_members(parser_t *p, json_t *obj, const char *path,
                          const char *const *allowed, bool item) {
  const char *name;
  json_t *value;
  json_object_foreach(obj, name, value) {
    bool known = false;
    for (size_t i = 0; allowed[i] != NULL && !known; i++)
      known = strcmp(allowed[i], name) == 0;
    if (item && strcmp(name, "illustrative") == 0) {
      check_illustrative(p, obj, value, path);
    } else if (!known) {
      char quoted[RT_EXCERPT_SIZE];
      add_problem(p, path, "unknown field \"%s\"",
                  rt_quote_excerpt(name, quoted));
    }
  }
}

/* The member name of obj, or NULL when absent or JSON null (both mean
 * "not given"). */
static json_t *member(json_t *obj, const char *name) {
  json_t *value = json_object_get(obj, name);
  return json_is_null(value) ? NULL : value;
}

/* ---- field readers ----------------------------------------------------- */

/* Reads a string member; NULL when absent or not a string (reported). */
static const char *read_string(parser_t *p, json_t *obj, const char *path,
                               const char *name, bool required) {
  char field[PATH_LEN];
  join_path(field, path, name);
  json_t *value = member(obj, name);
  if (value == NULL) {
    if (required)
      add_problem(p, field, "is required");
    return NULL;
  }
  if (!json_is_string(value)) {
    add_problem(p, field, "must be a string");
    return NULL;
  }
  return json_string_value(value);
}

/* Text of at most max_len bytes; returns an owned copy ("" when absent or
 * bad, the problem reported). */
static char *get_text(parser_t *p, json_t *obj, const char *path,
                      const char *name, size_t max_len, bool required) {
  const char *value = read_string(p, obj, path, name, required);
  if (value == NULL)
    return dup_field(p, "");
  char field[PATH_LEN];
  rt_error_t err;
  join_path(field, path, name);
  if (rt_validate_text(value, max_len, required, field, &err) != 0) {
    add_problem_message(p, field, err.message);
    return dup_field(p, "");
  }
  return dup_field(p, value);
}

typedef int (*string_check_fn)(const char *value, const char *field,
                               rt_error_t *err);

/* A string checked by check when non-empty. */
static char *get_checked(parser_t *p, json_t *obj, const char *path,
                         const char *name, bool required,
                         string_check_fn check) {
  const char *value = read_string(p, obj, path, name, required);
  char field[PATH_LEN];
  join_path(field, path, name);
  if (value == NULL)
    return dup_field(p, "");
  if (value[0] == '\0') {
    if (required)
      add_problem(p, field, "is required");
    return dup_field(p, "");
  }
  rt_error_t err;
  if (check(value, field, &err) != 0) {
    add_problem_message(p, field, err.message);
    return dup_field(p, "");
  }
  return dup_field(p, value);
}

static char *get_slug(parser_t *p, json_t *obj, const char *path,
                      const char *name, bool required) {
  return get_checked(p, obj, path, name, required, rt_validate_slug);
}

static char *get_date(parser_t *p, json_t *obj, const char *path,
                      const char *name, bool required) {
  return get_checked(p, obj, path, name, required, rt_validate_date);
}

/* An enum spelled as one of choices ("a|b|c"); returns its 1-based
 * position, 0 when absent or bad (reported). */
static int get_choice(parser_t *p, json_t *obj, const char *path,
                      const char *name, const ProtobufCEnumDescriptor *type) {
  const char *value = read_string(p, obj, path, name, true);
  if (value == NULL)
    return 0;
  int parsed = 0;
  if (rt_enum_parse(type, value, &parsed))
    return parsed;
  char field[PATH_LEN], quoted[RT_EXCERPT_SIZE];
  join_path(field, path, name);
  add_problem(p, field, "\"%s\" is not one of %s",
              rt_quote_excerpt(value, quoted), rt_enum_choices(type));
  return 0;
}

/* A JSON number (integer or real). Returns false when absent or bad. */
static bool get_number(parser_t *p, json_t *obj, const char *path,
                       const char *name, bool required, double *out) {
  char field[PATH_LEN];
  join_path(field, path, name);
  json_t *value = member(obj, name);
  *out = 0;
  if (value == NULL) {
    if (required)
      add_problem(p, field, "is required");
    return false;
  }
  if (!json_is_number(value)) {
    add_problem(p, field, "must be a number");
    return false;
  }
  *out = json_number_value(value);
  return true;
}

/* An array member of at most RT_MAX_LIST_LEN entries, or NULL (absent, or
 * reported as bad). */
static json_t *get_list(parser_t *p, json_t *obj, const char *path,
                        const char *name) {
  char field[PATH_LEN];
  join_path(field, path, name);
  json_t *value = member(obj, name);
  if (value == NULL)
    return NULL;
  if (!json_is_array(value)) {
    add_problem(p, field, "must be an array");
    return NULL;
  }
  if (json_array_size(value) > RT_MAX_LIST_LEN) {
    add_problem(p, field, "has %zu entries, the limit is %d",
                json_array_size(value), RT_MAX_LIST_LEN);
    return NULL;
  }
  return value;
}

typedef enum list_rule {
  LIST_SLUG,      /* actor ids */
  LIST_SDG,       /* SDG targets */
  LIST_URL,       /* evidence links */
  LIST_REFERENCE, /* keys or server ids, checked by the caller */
} list_rule_t;

static bool check_list_entry(parser_t *p, const char *value, list_rule_t rule,
                             const char *field) {
  rt_error_t err;
  int rc = 0;
  switch (rule) {
  case LIST_SLUG:
    rc = rt_validate_slug(value, field, &err);
    break;
  case LIST_SDG:
    rc = rt_validate_sdg_target(value, field, &err);
    break;
  case LIST_URL:
    rc = rt_validate_evidence(value, field, &err);
    break;
  case LIST_REFERENCE:
    rc = value[0] == '\0' ? rt_error_set(&err, RT_EINVAL, field,
                                         "%s: must not be empty", field)
                          : 0;
    break;
  }
  if (rc != 0)
    add_problem_message(p, field, err.message);
  return rc == 0;
}

/* A list of strings, each checked by rule, no duplicates. *out gets an
 * owned array of owned strings (bad entries are left empty). */
static void get_string_list(parser_t *p, json_t *obj, const char *path,
                            const char *name, list_rule_t rule, char ***out,
                            size_t *out_len) {
  json_t *list = get_list(p, obj, path, name);
  *out = NULL;
  *out_len = 0;
  if (list == NULL || json_array_size(list) == 0)
    return;
  size_t n = json_array_size(list);
  char **strings = alloc_zeroed(p, n * sizeof *strings);
  if (strings == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    char field[PATH_LEN];
    index_path(field, path, name, i);
    const char *value = json_string_value(json_array_get(list, i));
    bool ok = false;
    if (value == NULL)
      add_problem(p, field, "must be a string");
    else
      ok = check_list_entry(p, value, rule, field);
    for (size_t j = 0; ok && j < i; j++) {
      const char *earlier = json_string_value(json_array_get(list, j));
      if (earlier != NULL && strcmp(earlier, value) == 0) {
        add_problem(p, field, "repeats entry %zu", j);
        ok = false;
      }
    }
    /* Not dup_field: protobuf-c frees every entry of a repeated string,
     * so an entry must never be its shared empty string. */
    strings[i] = strdup(ok ? value : "");
    if (strings[i] == NULL)
      p->oom = true;
  }
  *out = strings;
  *out_len = n;
}

/* GCM objectives: integers 1..23, no duplicates. */
static void get_gcm_list(parser_t *p, json_t *obj, const char *path,
                         int32_t **out, size_t *out_len) {
  json_t *list = get_list(p, obj, path, "gcm_objectives");
  *out = NULL;
  *out_len = 0;
  if (list == NULL || json_array_size(list) == 0)
    return;
  size_t n = json_array_size(list);
  int32_t *objectives = alloc_zeroed(p, n * sizeof *objectives);
  if (objectives == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    char field[PATH_LEN];
    index_path(field, path, "gcm_objectives", i);
    json_t *entry = json_array_get(list, i);
    if (!json_is_integer(entry)) {
      add_problem(p, field, "must be an integer 1..23");
      continue;
    }
    json_int_t value = json_integer_value(entry);
    rt_error_t err;
    int checked = value < 0 || value > 1000 ? 0 : (int)value;
    if (rt_validate_gcm_objective(checked, field, &err) != 0) {
      add_problem(p, field, "%lld is not a GCM objective (1..23)",
                  (long long)value);
      continue;
    }
    for (size_t j = 0; j < i; j++)
      if (objectives[j] == checked)
        add_problem(p, field, "repeats objective %d", checked);
    objectives[i] = checked;
  }
  *out = objectives;
  *out_len = n;
}

/* ---- items ------------------------------------------------------------- */

/* Appends an item for request; the dataset owns request from here on,
 * even on failure (then it is freed and NULL returned). */
static rt_dataset_item_t *add_item(parser_t *p, rt_dataset_kind_t kind,
                                   ProtobufCMessage *request,
                                   const char *path) {
  rt_dataset_t *ds = p->dataset;
  if (ds->len == ds->cap) {
    size_t cap = ds->cap ? ds->cap * 2 : 64;
    rt_dataset_item_t *items = realloc(ds->items, cap * sizeof *items);
    if (items == NULL) {
      p->oom = true;
      protobuf_c_message_free_unpacked(request, NULL);
      return NULL;
    }
    ds->items = items;
    ds->cap = cap;
  }
  rt_dataset_item_t *item = &ds->items[ds->len++];
  memset(item, 0, sizeof *item);
  item->kind = kind;
  item->request.message = request;
  item->path = strdup(path);
  if (item->path == NULL)
    p->oom = true;
  return item;
}

/* Registers key in map (id -> index); reports a duplicate. */
static void register_key(parser_t *p, json_t *map, const char *key,
                         size_t index, const char *field, const char *what) {
  if (key[0] == '\0')
    return;
  json_t *existing = json_object_get(map, key);
  if (existing != NULL) {
    dataset_retired_t earlier;
    const char *first =
        json_is_string(existing)
            ? (dataset_read_retired(existing, &earlier), earlier.path)
            : p->dataset->items[json_integer_value(existing)].path;
    add_problem(p, field, "%s \"%s\" is already used by %s", what, key, first);
    return;
  }
  if (json_object_set_new(map, key, json_integer((json_int_t)index)) != 0)
    p->oom = true;
}

static void set_item_key(parser_t *p, rt_dataset_item_t *item,
                         const char *key) {
  item->key = strdup(key);
  if (item->key == NULL)
    p->oom = true;
}

/* Starts an item: checks obj's members against members, allocates a
 * request and the record it carries (the request's one field of the
 * record's type), both initialised and linked. Returns the request and
 * sets *record, or returns NULL, with nothing left allocated, when memory
 * runs out. */
static void *new_request(parser_t *p, json_t *obj, const char *path,
                         const char *const *members,
                         const ProtobufCMessageDescriptor *request_type,
                         const ProtobufCMessageDescriptor *record_type,
                         void **record) {
  ProtobufCMessage *request = alloc_zeroed(p, request_type->sizeof_message);
  ProtobufCMessage *inner = alloc_zeroed(p, record_type->sizeof_message);
  *record = NULL;
  if (request == NULL || inner == NULL) {
    free(request);
    free(inner);
    return NULL;
  }
  protobuf_c_message_init(request_type, request);
  protobuf_c_message_init(record_type, inner);
  for (unsigned i = 0; i < request_type->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &request_type->fields[i];
    if (fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor == record_type)
      *(ProtobufCMessage **)((char *)request + fd->offset) = inner;
  }
  *record = inner;
  check_members(p, obj, path, members, true);
  return request;
}

/* Adds a source or actor item and registers its slug in map, so that
 * later items can name it and a second item with the same slug is
 * reported. */
static void add_slug_item(parser_t *p, rt_dataset_kind_t kind,
                          ProtobufCMessage *request, json_t *map,
                          const char *id, const char *path, const char *label) {
  rt_dataset_item_t *item = add_item(p, kind, request, path);
  if (item == NULL)
    return;
  char field[PATH_LEN];
  join_path(field, path, "id");
  register_key(p, map, id, p->dataset->len - 1, field, label);
  set_item_key(p, item, id);
}

static const char *const source_members[] = {
    "id",       "title",         "kind", "date",        "end_date",
    "location", "organizer_ids", "url",  "description", NULL};

static void parse_source(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__Source *source;
  Rectrack__V1__CreateSourceRequest *request =
      new_request(p, obj, path, source_members,
                  &rectrack__v1__create_source_request__descriptor,
                  &rectrack__v1__source__descriptor, (void **)&source);
  if (request == NULL)
    return;
  source->id = get_slug(p, obj, path, "id", true);
  source->title = get_text(p, obj, path, "title", RT_MAX_TITLE_LEN, true);
  source->kind =
      get_choice(p, obj, path, "kind", &rectrack__v1__source_kind__descriptor);
  source->date = get_date(p, obj, path, "date", true);
  source->end_date = get_date(p, obj, path, "end_date", false);
  if (source->end_date[0] && source->date[0] &&
      strcmp(source->end_date, source->date) < 0) {
    char field[PATH_LEN];
    join_path(field, path, "end_date");
    add_problem(p, field, "%s is before date %s", source->end_date,
                source->date);
  }
  source->location =
      get_text(p, obj, path, "location", RT_MAX_SHORT_LEN, false);
  get_string_list(p, obj, path, "organizer_ids", LIST_SLUG,
                  &source->organizer_ids, &source->n_organizer_ids);
  source->url = get_text(p, obj, path, "url", RT_MAX_URL_LEN, false);
  source->description =
      get_text(p, obj, path, "description", RT_MAX_TEXT_LEN, false);
  add_slug_item(p, RT_DATASET_SOURCE, &request->base, p->source_ids, source->id,
                path, "source id");
}

static const char *const actor_members[] = {"id",      "name", "kind",
                                            "country", "url",  NULL};

static void parse_actor(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__Actor *actor;
  Rectrack__V1__CreateActorRequest *request =
      new_request(p, obj, path, actor_members,
                  &rectrack__v1__create_actor_request__descriptor,
                  &rectrack__v1__actor__descriptor, (void **)&actor);
  if (request == NULL)
    return;
  actor->id = get_slug(p, obj, path, "id", true);
  actor->name = get_text(p, obj, path, "name", RT_MAX_SHORT_LEN, true);
  actor->kind =
      get_choice(p, obj, path, "kind", &rectrack__v1__actor_kind__descriptor);
  actor->country =
      get_checked(p, obj, path, "country", false, rt_validate_country);
  actor->url = get_text(p, obj, path, "url", RT_MAX_URL_LEN, false);
  add_slug_item(p, RT_DATASET_ACTOR, &request->base, p->actor_ids, actor->id,
                path, "actor id");
}

static const char *const theme_members[] = {"id", "title", "source_ref", NULL};

/* A theme added at run time, checked as CreateTheme checks it: a slug
 * that is not the id of a compiled theme, a title. */
static void parse_theme(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__Theme *theme;
  Rectrack__V1__CreateThemeRequest *request =
      new_request(p, obj, path, theme_members,
                  &rectrack__v1__create_theme_request__descriptor,
                  &rectrack__v1__theme__descriptor, (void **)&theme);
  if (request == NULL)
    return;
  theme->id = get_slug(p, obj, path, "id", true);
  theme->title = get_text(p, obj, path, "title", RT_MAX_SHORT_LEN, true);
  theme->source_ref =
      get_text(p, obj, path, "source_ref", RT_MAX_SHORT_LEN, false);
  const rt_theme_t *compiled = theme->id[0] ? rt_theme(theme->id) : NULL;
  if (compiled != NULL) {
    char field[PATH_LEN];
    join_path(field, path, "id");
    add_problem(p, field,
                "\"%s\" is a theme of the reference lists already "
                "(\"%.80s\"); only added themes are imported",
                theme->id, compiled->title);
  }
  if (p->theme_ids == NULL && (p->theme_ids = json_object()) == NULL)
    p->oom = true;
  if (p->theme_ids != NULL)
    add_slug_item(p, RT_DATASET_THEME, &request->base, p->theme_ids, theme->id,
                  path, "theme id");
  else
    protobuf_c_message_free_unpacked(&request->base, NULL);
}

static const char *const dimension_key_members[] = {
    "key", "title", "value_rule", "values", "source_ref", NULL};

/* A dimension key added at run time, checked as CreateDimensionKey checks
 * it: a key name that no compiled key has, a title, a value rule that
 * fits its values. */
static void parse_dimension_key(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__DimensionKey *key;
  Rectrack__V1__CreateDimensionKeyRequest *request =
      new_request(p, obj, path, dimension_key_members,
                  &rectrack__v1__create_dimension_key_request__descriptor,
                  &rectrack__v1__dimension_key__descriptor, (void **)&key);
  if (request == NULL)
    return;
  char key_field[PATH_LEN], rule_field[PATH_LEN];
  rt_error_t err;
  join_path(key_field, path, "key");
  join_path(rule_field, path, "value_rule");
  key->key = get_text(p, obj, path, "key", RT_DIMENSION_KEY_MAX, true);
  if (key->key[0] != '\0' &&
      rt_dimension_check_key_name(key->key, key_field, &err) != 0)
    dataset_add_problem_message(p, key_field, err.message);
  const rt_dimension_key_t *compiled =
      key->key[0] ? rt_dimension_key(key->key) : NULL;
  if (compiled != NULL)
    add_problem(p, key_field,
                "\"%s\" is a dimension key of the reference lists already "
                "(\"%.80s\"); only added keys are imported",
                key->key, compiled->title);
  key->title = get_text(p, obj, path, "title", RT_MAX_SHORT_LEN, true);
  key->value_rule =
      get_text(p, obj, path, "value_rule", RT_MAX_SHORT_LEN, true);
  get_string_list(p, obj, path, "values", LIST_REFERENCE, &key->values,
                  &key->n_values);
  key->source_ref =
      get_text(p, obj, path, "source_ref", RT_MAX_SHORT_LEN, false);
  if (key->value_rule[0] != '\0' &&
      rt_dimension_check_rule(key->value_rule, (const char *const *)key->values,
                              key->n_values, rule_field, &err) != 0)
    dataset_add_problem_message(p, rule_field, err.message);
  if (p->dimension_key_ids == NULL &&
      (p->dimension_key_ids = json_object()) == NULL)
    p->oom = true;
  if (p->dimension_key_ids == NULL) {
    protobuf_c_message_free_unpacked(&request->base, NULL);
    return;
  }
  rt_dataset_item_t *item =
      add_item(p, RT_DATASET_DIMENSION_KEY, &request->base, path);
  if (item == NULL)
    return;
  register_key(p, p->dimension_key_ids, key->key, p->dataset->len - 1,
               key_field, "dimension key");
  set_item_key(p, item, key->key);
}

/* The "key" of a recommendation or commitment: a slug, or (in files that
 * rectrack exported) the record's server id with the given prefix. */
static char *get_item_key(parser_t *p, json_t *obj, const char *path,
                          char prefix) {
  const char *value = read_string(p, obj, path, "key", true);
  if (value == NULL)
    return NULL;
  char field[PATH_LEN];
  rt_error_t err;
  join_path(field, path, "key");
  if (!rt_dataset_is_server_id(value, prefix) &&
      rt_validate_slug(value, field, &err) != 0) {
    add_problem_message(p, field, err.message);
    return NULL;
  }
  char *key = strdup(value);
  if (key == NULL)
    p->oom = true;
  return key;
}

/* Finishes a recommendation or commitment item: its key is registered so
 * that later sections can refer to it. */
static void finish_keyed_item(parser_t *p, rt_dataset_item_t *item, char *key,
                              const char *path) {
  if (key == NULL)
    return;
  char field[PATH_LEN];
  join_path(field, path, "key");
  if (item == NULL) {
    free(key);
    return;
  }
  register_key(p, p->keys, key, p->dataset->len - 1, field, "key");
  item->key = key;
}

static const char *const recommendation_members[] = {"key",
                                                     "source_id",
                                                     "source_ref",
                                                     "title",
                                                     "text",
                                                     "theme",
                                                     "sdg_targets",
                                                     "gcm_objectives",
                                                     "addressed_to",
                                                     "lead_actor_id",
                                                     "due_date",
                                                     "links",
                                                     NULL};

static bool add_reference(parser_t *p, rt_dataset_item_t *item, const char *key,
                          const char *field, bool to_recommendation,
                          bool to_commitment);

static const char *const link_members[] = {"kind", "recommendation", NULL};

/* Reads "links" ([{"kind": "echoes", "recommendation": KEY}, ...]) into
 * rec->links, one reference per link (refs[i] is links[i]): a link names
 * a recommendation earlier in the file by its key, or an existing one by
 * its server id. Whether the ids exist on the server and the supersedes
 * links close no cycle is the server's to say. */
static void parse_links(parser_t *p, json_t *obj, const char *path,
                        Rectrack__V1__Recommendation *rec,
                        rt_dataset_item_t *item) {
  char field[PATH_LEN];
  join_path(field, path, "links");
  json_t *links = member(obj, "links");
  if (links == NULL)
    return;
  if (!json_is_array(links)) {
    add_problem(p, field, "must be an array of {\"kind\", \"recommendation\"}");
    return;
  }
  size_t n = json_array_size(links);
  if (n > RT_MAX_LIST_LEN) {
    add_problem(p, field, "%zu entries, at most %d allowed", n,
                RT_MAX_LIST_LEN);
    return;
  }
  rec->links = alloc_zeroed(p, (n ? n : 1) * sizeof *rec->links);
  if (rec->links == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    char at[PATH_LEN];
    index_path(at, path, "links", i);
    json_t *value = json_array_get(links, i);
    if (!json_is_object(value)) {
      add_problem(p, at, "must be an object {\"kind\", \"recommendation\"}");
      continue;
    }
    check_members(p, value, at, link_members, false);
    Rectrack__V1__RecommendationLink *link = alloc_zeroed(p, sizeof *link);
    if (link == NULL)
      return;
    rectrack__v1__recommendation_link__init(link);
    rec->links[rec->n_links++] = link;
    link->kind =
        get_choice(p, value, at, "kind", &rectrack__v1__link_kind__descriptor);
    const char *key = read_string(p, value, at, "recommendation", true);
    link->recommendation_id = dup_field(p, key ? key : "");
    char target[PATH_LEN];
    join_path(target, at, "recommendation");
    for (size_t j = 0; key != NULL && j + 1 < rec->n_links; j++)
      if (strcmp(rec->links[j]->recommendation_id, key) == 0) {
        add_problem(p, target,
                    "repeats links[%zu]: a recommendation links to "
                    "another once",
                    j);
        key = NULL;
      }
    /* A reference per link keeps refs[i] and links[i] together: a bad key
     * is reported, and the file is refused as a whole. */
    if (key != NULL && key[0] != '\0')
      add_reference(p, item, key, target, true, false);
    else if (key != NULL)
      add_problem(p, target, "is required");
  }
}

static void parse_recommendation(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__Recommendation *rec;
  Rectrack__V1__CreateRecommendationRequest *request =
      new_request(p, obj, path, recommendation_members,
                  &rectrack__v1__create_recommendation_request__descriptor,
                  &rectrack__v1__recommendation__descriptor, (void **)&rec);
  if (request == NULL)
    return;
  char *key = get_item_key(p, obj, path, 'R');
  rec->source_id = get_slug(p, obj, path, "source_id", true);
  rec->source_ref =
      get_text(p, obj, path, "source_ref", RT_MAX_SHORT_LEN, false);
  rec->title = get_text(p, obj, path, "title", RT_MAX_TITLE_LEN, true);
  rec->text = get_text(p, obj, path, "text", RT_MAX_TEXT_LEN, false);
  rec->theme = get_text(p, obj, path, "theme", RT_MAX_SHORT_LEN, false);
  get_string_list(p, obj, path, "sdg_targets", LIST_SDG, &rec->sdg_targets,
                  &rec->n_sdg_targets);
  get_gcm_list(p, obj, path, &rec->gcm_objectives, &rec->n_gcm_objectives);
  get_string_list(p, obj, path, "addressed_to", LIST_SLUG, &rec->addressed_to,
                  &rec->n_addressed_to);
  rec->lead_actor_id = get_slug(p, obj, path, "lead_actor_id", false);
  rec->due_date = get_date(p, obj, path, "due_date", false);
  rt_dataset_item_t *item =
      add_item(p, RT_DATASET_RECOMMENDATION, &request->base, path);
  parse_links(p, obj, path, rec, item);
  finish_keyed_item(p, item, key, path);
}

/* Ties a reference to the item it names. accept lists the kinds it may
 * name; a value shaped like a server id of an accepted kind that is not a
 * key in this file names an existing record. Returns false when reported
 * as bad. */
static bool add_reference(parser_t *p, rt_dataset_item_t *item, const char *key,
                          const char *field, bool to_recommendation,
                          bool to_commitment) {
  size_t target = RT_DATASET_NO_ITEM;
  char quoted[RT_EXCERPT_SIZE];
  const char *wanted = to_recommendation && to_commitment
                           ? "recommendation or commitment"
                       : to_recommendation ? "recommendation"
                                           : "commitment";
  json_t *found = json_object_get(p->keys, key);
  dataset_retired_t earlier = {0};
  if (found != NULL && json_is_string(found)) {
    /* an item of an earlier segment of a JSON Lines file: it has its
     * server id by now, or failed (then the write names the key) */
    dataset_read_retired(found, &earlier);
    if (earlier.server_id[0] != '\0')
      key = earlier.server_id;
  }
  if (found != NULL) {
    rt_dataset_kind_t kind = earlier.kind;
    if (!json_is_string(found)) {
      target = (size_t)json_integer_value(found);
      kind = p->dataset->items[target].kind;
    }
    if ((kind == RT_DATASET_RECOMMENDATION && !to_recommendation) ||
        (kind == RT_DATASET_COMMITMENT && !to_commitment)) {
      add_problem(p, field, "\"%s\" is a %s, expected a %s",
                  rt_quote_excerpt(key, quoted), rt_dataset_kind_name(kind),
                  wanted);
      return false;
    }
  } else if (!(to_recommendation && rt_dataset_is_server_id(key, 'R')) &&
             !(to_commitment && rt_dataset_is_server_id(key, 'C'))) {
    add_problem(p, field,
                "no %s has key \"%s\" in this file (an existing record is "
                "named by its server id, e.g. %s)",
                wanted, rt_quote_excerpt(key, quoted),
                to_recommendation ? "R12" : "C3");
    return false;
  }
  if (item == NULL)
    return true;
  rt_dataset_ref_t *refs =
      realloc(item->refs, (item->refs_len + 1) * sizeof *refs);
  if (refs == NULL) {
    p->oom = true;
    return false;
  }
  item->refs = refs;
  rt_dataset_ref_t *ref = &refs[item->refs_len++];
  ref->key = strdup(key);
  ref->path = strdup(field);
  ref->target = target;
  if (ref->key == NULL || ref->path == NULL)
    p->oom = true;
  return true;
}

static const char *const indicator_members[] = {
    "name",          "unit",           "baseline_value",
    "baseline_date", "target_value",   "target_date",
    "direction",     "series_ceiling", NULL};

/* The direction must agree with baseline and target, and the target date
 * come after the baseline date: otherwise no trajectory can be drawn. */
static void check_indicator(parser_t *p, const Rectrack__V1__Indicator *ind,
                            bool has_values, const char *path) {
  char field[PATH_LEN];
  if (ind->baseline_date[0] && ind->target_date[0] &&
      strcmp(ind->target_date, ind->baseline_date) <= 0) {
    join_path(field, path, "target_date");
    add_problem(p, field, "%s is not after baseline_date %s", ind->target_date,
                ind->baseline_date);
  }
  if (!has_values)
    return;
  join_path(field, path, "direction");
  if (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_INCREASE &&
      !(ind->target_value > ind->baseline_value))
    add_problem(p, field,
                "is increase but target_value %g is not above "
                "baseline_value %g",
                ind->target_value, ind->baseline_value);
  if (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_DECREASE &&
      !(ind->target_value < ind->baseline_value))
    add_problem(p, field,
                "is decrease but target_value %g is not below "
                "baseline_value %g",
                ind->target_value, ind->baseline_value);
}

static Rectrack__V1__Indicator *parse_indicator(parser_t *p, json_t *obj,
                                                const char *path) {
  char field[PATH_LEN];
  join_path(field, path, "indicator");
  json_t *value = member(obj, "indicator");
  if (value == NULL)
    return NULL;
  if (!json_is_object(value)) {
    add_problem(p, field, "must be an object");
    return NULL;
  }
  Rectrack__V1__Indicator *ind = alloc_zeroed(p, sizeof *ind);
  if (ind == NULL)
    return NULL;
  rectrack__v1__indicator__init(ind);
  check_members(p, value, field, indicator_members, false);
  ind->name = get_text(p, value, field, "name", RT_MAX_SHORT_LEN, true);
  ind->unit = get_text(p, value, field, "unit", RT_MAX_SHORT_LEN, false);
  bool has_baseline =
      get_number(p, value, field, "baseline_value", true, &ind->baseline_value);
  ind->baseline_date = get_date(p, value, field, "baseline_date", true);
  bool has_target =
      get_number(p, value, field, "target_value", true, &ind->target_value);
  ind->target_date = get_date(p, value, field, "target_date", true);
  ind->direction = get_choice(p, value, field, "direction",
                              &rectrack__v1__direction__descriptor);
  double ceiling = 0;
  if (get_number(p, value, field, "series_ceiling", false, &ceiling)) {
    ind->series_ceiling = alloc_zeroed(p, sizeof *ind->series_ceiling);
    if (ind->series_ceiling != NULL) {
      rectrack__v1__series_ceiling__init(ind->series_ceiling);
      ind->series_ceiling->value = ceiling;
    }
  }
  check_indicator(p, ind, has_baseline && has_target, field);
  return ind;
}

static const char *const commitment_members[] = {
    "key",       "actor_id",    "recommendations",
    "source_id", "title",       "text",
    "kind",      "made_on",     "due_date",
    "theme",     "sdg_targets", "gcm_objectives",
    "indicator", "pledge_type", "partner_ids",
    "matches",   NULL};

/* Reads "recommendations" into recommendation_ids and records one
 * reference per entry (refs[i] is recommendation_ids[i]). */
static void parse_commitment_references(parser_t *p, json_t *obj,
                                        const char *path,
                                        Rectrack__V1__Commitment *commitment,
                                        rt_dataset_item_t *item) {
  get_string_list(p, obj, path, "recommendations", LIST_REFERENCE,
                  &commitment->recommendation_ids,
                  &commitment->n_recommendation_ids);
  for (size_t i = 0; i < commitment->n_recommendation_ids; i++) {
    char field[PATH_LEN];
    index_path(field, path, "recommendations", i);
    const char *key = commitment->recommendation_ids[i];
    if (key[0] == '\0')
      continue;
    add_reference(p, item, key, field, true, false);
  }
}

/* Reads "matches", the pledge a matching pledge answers: a commitment
 * earlier in the file by its key, or an existing one by its server id;
 * its reference comes after those of "recommendations". */
static void parse_matches(parser_t *p, json_t *obj, const char *path,
                          Rectrack__V1__Commitment *commitment,
                          rt_dataset_item_t *item) {
  commitment->matches_commitment_id =
      get_text(p, obj, path, "matches", RT_MAX_ID_LEN, false);
  const char *key = commitment->matches_commitment_id;
  if (key == NULL || key[0] == '\0')
    return;
  char field[PATH_LEN];
  join_path(field, path, "matches");
  add_reference(p, item, key, field, false, true);
}

static void parse_commitment(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__Commitment *commitment;
  Rectrack__V1__CreateCommitmentRequest *request =
      new_request(p, obj, path, commitment_members,
                  &rectrack__v1__create_commitment_request__descriptor,
                  &rectrack__v1__commitment__descriptor, (void **)&commitment);
  if (request == NULL)
    return;
  char *key = get_item_key(p, obj, path, 'C');
  commitment->actor_id = get_slug(p, obj, path, "actor_id", true);
  commitment->source_id = get_slug(p, obj, path, "source_id", false);
  commitment->title = get_text(p, obj, path, "title", RT_MAX_TITLE_LEN, true);
  commitment->text = get_text(p, obj, path, "text", RT_MAX_TEXT_LEN, false);
  commitment->kind = get_choice(p, obj, path, "kind",
                                &rectrack__v1__commitment_kind__descriptor);
  commitment->made_on = get_date(p, obj, path, "made_on", false);
  commitment->due_date = get_date(p, obj, path, "due_date", false);
  commitment->theme = get_text(p, obj, path, "theme", RT_MAX_SHORT_LEN, false);
  get_string_list(p, obj, path, "sdg_targets", LIST_SDG,
                  &commitment->sdg_targets, &commitment->n_sdg_targets);
  get_gcm_list(p, obj, path, &commitment->gcm_objectives,
               &commitment->n_gcm_objectives);
  commitment->indicator = parse_indicator(p, obj, path);
  if (member(obj, "pledge_type") != NULL) /* absent: the server infers it */
    commitment->pledge_type = get_choice(
        p, obj, path, "pledge_type", &rectrack__v1__pledge_type__descriptor);
  get_string_list(p, obj, path, "partner_ids", LIST_SLUG,
                  &commitment->partner_ids, &commitment->n_partner_ids);
  if (commitment->kind ==
          RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET &&
      commitment->indicator == NULL && member(obj, "indicator") == NULL) {
    char field[PATH_LEN];
    join_path(field, path, "indicator");
    add_problem(p, field, "is required for a quantified-target commitment");
  }
  rt_dataset_item_t *item =
      add_item(p, RT_DATASET_COMMITMENT, &request->base, path);
  parse_commitment_references(p, obj, path, commitment, item);
  if (item != NULL)
    parse_matches(p, obj, path, commitment, item);
  finish_keyed_item(p, item, key, path);
}

static const char *const follow_up_members[] = {
    "subject",     "status", "note",    "evidence",
    "reported_by", "as_of",  "partner", NULL};

static void parse_follow_up(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__FollowUp *follow_up;
  Rectrack__V1__RecordFollowUpRequest *request =
      new_request(p, obj, path, follow_up_members,
                  &rectrack__v1__record_follow_up_request__descriptor,
                  &rectrack__v1__follow_up__descriptor, (void **)&follow_up);
  if (request == NULL)
    return;
  follow_up->subject_id =
      get_text(p, obj, path, "subject", RT_MAX_ID_LEN, true);
  follow_up->status =
      get_choice(p, obj, path, "status", &rectrack__v1__status__descriptor);
  follow_up->note = get_text(p, obj, path, "note", RT_MAX_TEXT_LEN, false);
  get_string_list(p, obj, path, "evidence", LIST_URL, &follow_up->evidence,
                  &follow_up->n_evidence);
  follow_up->reported_by = get_slug(p, obj, path, "reported_by", false);
  follow_up->partner_id = get_slug(p, obj, path, "partner", false);
  follow_up->as_of = get_date(p, obj, path, "as_of", true);
  rt_dataset_item_t *item =
      add_item(p, RT_DATASET_FOLLOW_UP, &request->base, path);
  if (follow_up->subject_id[0] != '\0') {
    char field[PATH_LEN];
    join_path(field, path, "subject");
    add_reference(p, item, follow_up->subject_id, field, true, true);
  }
}

static const char *const measurement_members[] = {
    "commitment", "value", "as_of", "source", "note", "dimensions", NULL};

static int compare_dimension_keys(const void *a, const void *b) {
  const Rectrack__V1__Dimension *x = *(Rectrack__V1__Dimension *const *)a;
  const Rectrack__V1__Dimension *y = *(Rectrack__V1__Dimension *const *)b;
  return strcmp(x->key, y->key);
}

/* "dimensions": {"corridor": "GBR-NGA", ...}, one value per key by the
 * shape of an object, stored in key order. A compiled key's value is
 * checked here, with the row named; a key the file does not find among
 * the compiled ones may have been added on the server, which checks it
 * when the measurement is recorded. */
static void parse_dimensions(parser_t *p, json_t *obj, const char *path,
                             Rectrack__V1__Measurement *m) {
  char field[PATH_LEN];
  join_path(field, path, "dimensions");
  json_t *value = member(obj, "dimensions");
  if (value == NULL)
    return;
  if (!json_is_object(value)) {
    add_problem(p, field,
                "must be an object of key and value, e.g. {\"corridor\": "
                "\"GBR-NGA\"}");
    return;
  }
  size_t n = json_object_size(value);
  if (n > RT_DIMENSION_MAX_PER_MEASUREMENT) {
    add_problem(p, field, "has %zu dimensions; at most %d", n,
                RT_DIMENSION_MAX_PER_MEASUREMENT);
    return;
  }
  if (n == 0)
    return;
  m->dimensions = alloc_zeroed(p, n * sizeof *m->dimensions);
  if (m->dimensions == NULL)
    return;
  const char *key;
  json_t *v;
  json_object_foreach(value, key, v) {
    char at[PATH_LEN];
    join_path(at, field, key);
    rt_error_t err;
    rt_error_clear(&err);
    const rt_dimension_key_t *known = rt_dimension_key(key);
    if (rt_dimension_check_key_name(key, at, &err) != 0) {
      add_problem_message(p, at, err.message);
      continue;
    }
    if (!json_is_string(v)) {
      add_problem(p, at, "must be a string");
      continue;
    }
    if (known != NULL &&
        rt_dimension_check_value(known, json_string_value(v), at, &err) != 0) {
      add_problem_message(p, at, err.message);
      continue;
    }
    Rectrack__V1__Dimension *d = alloc_zeroed(p, sizeof *d);
    if (d == NULL)
      return;
    rectrack__v1__dimension__init(d);
    d->key = dup_field(p, key);
    d->value = dup_field(p, json_string_value(v));
    m->dimensions[m->n_dimensions++] = d;
  }
  qsort(m->dimensions, m->n_dimensions, sizeof *m->dimensions,
        compare_dimension_keys);
}

/* A measurement needs an indicator to be measured against; when the
 * commitment is in this file, that can be checked now. */
static void check_measured_commitment(parser_t *p, const char *key,
                                      const char *field) {
  json_t *found = json_object_get(p->keys, key);
  if (found == NULL)
    return;
  if (json_is_string(found)) {
    dataset_retired_t earlier;
    dataset_read_retired(found, &earlier);
    if (earlier.kind == RT_DATASET_COMMITMENT && !earlier.has_indicator)
      add_problem(p, field,
                  "commitment \"%s\" (%s) has no indicator to measure", key,
                  earlier.path);
    return;
  }
  const rt_dataset_item_t *target =
      &p->dataset->items[json_integer_value(found)];
  if (target->kind == RT_DATASET_COMMITMENT &&
      target->request.commitment->commitment->indicator == NULL)
    add_problem(p, field, "commitment \"%s\" (%s) has no indicator to measure",
                key, target->path);
}

static void parse_measurement(parser_t *p, json_t *obj, const char *path) {
  Rectrack__V1__Measurement *measurement;
  Rectrack__V1__RecordMeasurementRequest *request = new_request(
      p, obj, path, measurement_members,
      &rectrack__v1__record_measurement_request__descriptor,
      &rectrack__v1__measurement__descriptor, (void **)&measurement);
  if (request == NULL)
    return;
  request->commitment_id =
      get_text(p, obj, path, "commitment", RT_MAX_ID_LEN, true);
  measurement->commitment_id = dup_field(p, request->commitment_id);
  get_number(p, obj, path, "value", true, &measurement->value);
  measurement->as_of = get_date(p, obj, path, "as_of", true);
  measurement->source =
      get_text(p, obj, path, "source", RT_MAX_TITLE_LEN, false);
  measurement->note = get_text(p, obj, path, "note", RT_MAX_TEXT_LEN, false);
  parse_dimensions(p, obj, path, measurement);
  rt_dataset_item_t *item =
      add_item(p, RT_DATASET_MEASUREMENT, &request->base, path);
  if (request->commitment_id[0] != '\0') {
    char field[PATH_LEN];
    join_path(field, path, "commitment");
    if (add_reference(p, item, request->commitment_id, field, false, true))
      check_measured_commitment(p, request->commitment_id, field);
  }
}

/* ---- the document ------------------------------------------------------ */

typedef void (*item_parser_fn)(parser_t *p, json_t *obj, const char *path);

typedef struct section {
  const char *name;
  item_parser_fn parse;
} section_t;

/* In the order items are applied: themes and dimension keys first,
 * because records are tagged with them and measurements carry them, then
 * actors, because a source names its organisers,
 * which the store checks exist. */
static const section_t sections[] = {
    {"themes", parse_theme},
    {"dimension_keys", parse_dimension_key},
    {"actors", parse_actor},
    {"sources", parse_source},
    {"recommendations", parse_recommendation},
    {"commitments", parse_commitment},
    {"follow_ups", parse_follow_up},
    {"measurements", parse_measurement},
};
#define SECTION_COUNT (sizeof sections / sizeof sections[0])

static void parse_section(parser_t *p, json_t *root, const section_t *section) {
  json_t *list = member(root, section->name);
  if (list == NULL)
    return;
  if (!json_is_array(list)) {
    add_problem(p, section->name, "must be an array");
    return;
  }
  for (size_t i = 0; i < json_array_size(list) && !p->oom; i++) {
    char path[PATH_LEN];
    index_path(path, section->name, NULL, i);
    json_t *obj = json_array_get(list, i);
    if (!json_is_object(obj)) {
      add_problem(p, path, "must be an object");
      continue;
    }
    section->parse(p, obj, path);
  }
}

static void parse_document(parser_t *p, json_t *root) {
  if (!json_is_object(root)) {
    add_problem(p, "", "must be a JSON object");
    return;
  }
  const char *name;
  json_t *value;
  json_object_foreach(root, name, value) {
    bool known = strcmp(name, "format") == 0;
    for (size_t i = 0; i < SECTION_COUNT && !known; i++)
      known = strcmp(sections[i].name, name) == 0;
    if (!known) {
      char quoted[RT_EXCERPT_SIZE];
      add_problem(p, "", "unknown top-level field \"%s\"",
                  rt_quote_excerpt(name, quoted));
    }
  }
  json_t *format = json_object_get(root, "format");
  if (format == NULL)
    add_problem(p, "format", "is required (\"%s\")", RT_DATASET_FORMAT);
  else if (!json_is_string(format) ||
           strcmp(json_string_value(format), RT_DATASET_FORMAT) != 0)
    add_problem(p, "format", "must be \"%s\"", RT_DATASET_FORMAT);
  for (size_t i = 0; i < SECTION_COUNT && !p->oom; i++)
    parse_section(p, root, &sections[i]);
}

void dataset_parse_kind(parser_t *p, rt_dataset_kind_t kind, json_t *obj,
                        const char *path) {
  static const item_parser_fn parsers[] = {
      [RT_DATASET_SOURCE] = parse_source,
      [RT_DATASET_ACTOR] = parse_actor,
      [RT_DATASET_RECOMMENDATION] = parse_recommendation,
      [RT_DATASET_COMMITMENT] = parse_commitment,
      [RT_DATASET_FOLLOW_UP] = parse_follow_up,
      [RT_DATASET_MEASUREMENT] = parse_measurement,
      [RT_DATASET_THEME] = parse_theme,
      [RT_DATASET_DIMENSION_KEY] = parse_dimension_key,
  };
  parsers[kind](p, obj, path);
}

/* ---- request ids -------------------------------------------------------- */

typedef struct digest_entry {
  uint8_t digest[crypto_hash_sha256_BYTES];
  size_t index;
} digest_entry_t;

static char **request_id_field(rt_dataset_item_t *item) {
  switch (item->kind) {
  case RT_DATASET_SOURCE:
    return &item->request.source->request_id;
  case RT_DATASET_ACTOR:
    return &item->request.actor->request_id;
  case RT_DATASET_RECOMMENDATION:
    return &item->request.recommendation->request_id;
  case RT_DATASET_COMMITMENT:
    return &item->request.commitment->request_id;
  case RT_DATASET_FOLLOW_UP:
    return &item->request.follow_up->request_id;
  case RT_DATASET_MEASUREMENT:
    return &item->request.measurement->request_id;
  case RT_DATASET_THEME:
    return &item->request.theme->request_id;
  case RT_DATASET_DIMENSION_KEY:
    return &item->request.dimension_key->request_id;
  }
  return NULL;
}

/* SHA-256 over the format name, kind, key and packed request (request_id
 * still empty, references still keys), each part NUL-separated. */
int dataset_digest_item(const rt_dataset_item_t *item, uint8_t *out) {
  const char *kind = rt_dataset_kind_name(item->kind);
  const char *key = item->key ? item->key : "";
  size_t len = protobuf_c_message_get_packed_size(item->request.message);
  uint8_t *packed = malloc(len ? len : 1);
  if (packed == NULL)
    return RT_ENOMEM;
  protobuf_c_message_pack(item->request.message, packed);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, (const uint8_t *)RT_DATASET_FORMAT,
                            sizeof RT_DATASET_FORMAT);
  crypto_hash_sha256_update(&state, (const uint8_t *)kind, strlen(kind) + 1);
  crypto_hash_sha256_update(&state, (const uint8_t *)key, strlen(key) + 1);
  crypto_hash_sha256_update(&state, packed, len);
  crypto_hash_sha256_final(&state, out);
  free(packed);
  return 0;
}

static int compare_digest_entries(const void *a, const void *b) {
  const digest_entry_t *left = a, *right = b;
  int order = memcmp(left->digest, right->digest, sizeof left->digest);
  if (order != 0)
    return order;
  return (left->index > right->index) - (left->index < right->index);
}

/* Gives item entry->index its request id; rank is its position among
 * items with the same content (0 for the first in file order). */
static int set_request_id(rt_dataset_t *ds, const digest_entry_t *entry,
                          unsigned long rank) {
  return dataset_set_request_id(&ds->items[entry->index], entry->digest, rank);
}

int dataset_set_request_id(rt_dataset_item_t *item, const uint8_t *content,
                           unsigned long rank) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  memcpy(digest, content, sizeof digest);
  if (rank > 0) {
    char suffix[32];
    int n = snprintf(suffix, sizeof suffix, "#%lu", rank);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, content, crypto_hash_sha256_BYTES);
    crypto_hash_sha256_update(&state, (const uint8_t *)suffix, (size_t)n);
    crypto_hash_sha256_final(&state, digest);
  }
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  char **field = request_id_field(item);
  if (asprintf(&item->request_id, "import:%s", hex) < 0) {
    item->request_id = NULL;
    return RT_ENOMEM;
  }
  char *copy = strdup(item->request_id);
  if (copy == NULL)
    return RT_ENOMEM;
  *field = copy; /* was protobuf-c's shared empty string */
  return 0;
}

static int assign_request_ids(rt_dataset_t *ds) {
  if (ds->len == 0)
    return 0;
  digest_entry_t *entries = calloc(ds->len, sizeof *entries);
  if (entries == NULL)
    return RT_ENOMEM;
  int rc = 0;
  for (size_t i = 0; i < ds->len && rc == 0; i++) {
    entries[i].index = i;
    rc = dataset_digest_item(&ds->items[i], entries[i].digest);
  }
  if (rc == 0)
    qsort(entries, ds->len, sizeof *entries, compare_digest_entries);
  unsigned long rank = 0;
  for (size_t i = 0; i < ds->len && rc == 0; i++) {
    bool same = i > 0 && memcmp(entries[i].digest, entries[i - 1].digest,
                                sizeof entries[i].digest) == 0;
    rank = same ? rank + 1 : 0;
    rc = set_request_id(ds, &entries[i], rank);
  }
  free(entries);
  return rc;
}

/* ---- public API ---------------------------------------------------------- */

void rt_dataset_free(rt_dataset_t *dataset) {
  if (dataset == NULL)
    return;
  for (size_t i = 0; i < dataset->len; i++) {
    rt_dataset_item_t *item = &dataset->items[i];
    if (item->request.message != NULL)
      protobuf_c_message_free_unpacked(item->request.message, NULL);
    for (size_t j = 0; j < item->refs_len; j++) {
      free(item->refs[j].key);
      free(item->refs[j].path);
    }
    free(item->refs);
    free(item->key);
    free(item->path);
    free(item->request_id);
    free(item->server_id);
  }
  free(dataset->items);
  free(dataset);
}

void dataset_parser_close(parser_t *p) {
  json_decref(p->keys);
  json_decref(p->source_ids);
  json_decref(p->actor_ids);
  json_decref(p->theme_ids);
  json_decref(p->dimension_key_ids);
  rt_dataset_free(p->dataset);
}

/* Runs the checks over a decoded document; on success hands the dataset
 * to *out. */
static int parse_root(json_t *root, const char *name, rt_dataset_t **out,
                      rt_dataset_errors_t *errors, rt_error_t *err) {
  parser_t p = {.errors = errors};
  p.dataset = calloc(1, sizeof *p.dataset);
  p.keys = json_object();
  p.source_ids = json_object();
  p.actor_ids = json_object();
  int rc = RT_ENOMEM;
  if (p.dataset == NULL || p.keys == NULL || p.source_ids == NULL ||
      p.actor_ids == NULL)
    goto fail;
  parse_document(&p, root);
  if (p.oom)
    goto fail;
  if (errors->count > 0) {
    rc = rt_error_set(err, RT_EINVAL, NULL, "%s: %zu problem%s, first: %s",
                      name, errors->count, errors->count == 1 ? "" : "s",
                      errors->problems_len ? errors->problems[0].message : "");
    dataset_parser_close(&p);
    return rc;
  }
  rc = assign_request_ids(p.dataset);
  if (rc != 0)
    goto fail;
  *out = p.dataset;
  p.dataset = NULL;
  dataset_parser_close(&p);
  return 0;
fail:
  dataset_parser_close(&p);
  return rt_error_set(err, RT_ENOMEM, NULL, "%s: out of memory", name);
}

int rt_dataset_parse_buffer(const char *data, size_t len, const char *name,
                            rt_dataset_t **out, rt_dataset_errors_t *errors,
                            rt_error_t *err) {
  rt_dataset_errors_t local_errors = {0};
  rt_dataset_errors_t *found = errors ? errors : &local_errors;
  memset(found, 0, sizeof *found);
  *out = NULL;
  if (sodium_init() < 0)
    return rt_error_set(err, RT_EIO, NULL, "libsodium failed to initialise");
  if (name == NULL)
    name = "input";
  json_error_t json_error;
  json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &json_error);
  int rc;
  if (root == NULL) {
    parser_t p = {.errors = found};
    char *message = NULL;
    if (asprintf(&message, "%s:%d:%d: %s", name, json_error.line,
                 json_error.column, json_error.text) < 0)
      return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    add_problem_message(&p, "", message);
    rc = rt_error_set(err, RT_EINVAL, NULL, "%s", message);
    free(message);
  } else {
    rc = parse_root(root, name, out, found, err);
    json_decref(root);
  }
  rt_dataset_errors_free(&local_errors);
  return rc;
}

/* Reads all of path into a NUL-terminated buffer the caller frees. */
static int read_whole_file(const char *path, char **out, size_t *out_len,
                           rt_error_t *err) {
  FILE *file = fopen(path, "rb");
  if (file == NULL)
    return rt_error_set(err, RT_EIO, NULL, "%s: %s", path, strerror(errno));
  size_t len = 0, cap = 0;
  char *buffer = NULL;
  int rc = 0;
  for (;;) {
    if (cap - len < 2) {
      size_t bigger_cap = cap ? cap * 2 : 64 * 1024;
      char *bigger = realloc(buffer, bigger_cap);
      if (bigger == NULL) {
        rc = rt_error_set(err, RT_ENOMEM, NULL, "%s: out of memory", path);
        goto fail;
      }
      buffer = bigger;
      cap = bigger_cap;
    }
    size_t n = fread(buffer + len, 1, cap - len - 1, file);
    len += n;
    if (n == 0)
      break;
  }
  if (ferror(file)) {
    rc = rt_error_set(err, RT_EIO, NULL, "%s: read failed", path);
    goto fail;
  }
  fclose(file);
  buffer[len] = '\0';
  *out = buffer;
  *out_len = len;
  return 0;
fail:
  free(buffer);
  fclose(file);
  return rc;
}

int rt_dataset_parse_file(const char *path, rt_dataset_t **out,
                          rt_dataset_errors_t *errors, rt_error_t *err) {
  char *data = NULL;
  size_t len = 0;
  *out = NULL;
  if (errors != NULL)
    memset(errors, 0, sizeof *errors);
  int rc = read_whole_file(path, &data, &len, err);
  if (rc != 0)
    return rc;
  rc = rt_dataset_parse_buffer(data, len, path, out, errors, err);
  free(data);
  return rc;
}

size_t rt_dataset_count(const rt_dataset_t *dataset) {
  return dataset ? dataset->len : 0;
}

size_t rt_dataset_count_kind(const rt_dataset_t *dataset,
                             rt_dataset_kind_t kind) {
  size_t n = 0;
  for (size_t i = 0; dataset != NULL && i < dataset->len; i++)
    n += dataset->items[i].kind == kind;
  return n;
}

rt_dataset_item_t *rt_dataset_item(rt_dataset_t *dataset, size_t index) {
  if (dataset == NULL || index >= dataset->len)
    return NULL;
  return &dataset->items[index];
}

bool rt_dataset_is_ready(const rt_dataset_t *dataset, size_t index) {
  if (dataset == NULL || index >= dataset->len)
    return false;
  const rt_dataset_item_t *item = &dataset->items[index];
  for (size_t i = 0; i < item->refs_len; i++) {
    size_t target = item->refs[i].target;
    if (target != RT_DATASET_NO_ITEM &&
        dataset->items[target].server_id == NULL)
      return false;
  }
  return true;
}

/* The request fields reference i of item is written to (the second may be
 * NULL). A valid dataset has one reference per link of a recommendation,
 * one per recommendations entry of a commitment then one for the pledge
 * it matches, and one for a follow-up's
 * or measurement's subject. */
static void reference_fields(rt_dataset_item_t *item, size_t i, char ***first,
                             char ***second) {
  *first = *second = NULL;
  switch (item->kind) {
  case RT_DATASET_COMMITMENT: {
    Rectrack__V1__Commitment *commitment = item->request.commitment->commitment;
    if (i < commitment->n_recommendation_ids)
      *first = &commitment->recommendation_ids[i];
    else if (i == commitment->n_recommendation_ids)
      *first = &commitment->matches_commitment_id;
    break;
  }
  case RT_DATASET_RECOMMENDATION: {
    Rectrack__V1__Recommendation *rec =
        item->request.recommendation->recommendation;
    if (i < rec->n_links)
      *first = &rec->links[i]->recommendation_id;
    break;
  }
  case RT_DATASET_FOLLOW_UP:
    *first = &item->request.follow_up->follow_up->subject_id;
    break;
  case RT_DATASET_MEASUREMENT:
    *first = &item->request.measurement->commitment_id;
    *second = &item->request.measurement->measurement->commitment_id;
    break;
  default:
    break;
  }
}

static int replace_field(char **field, const char *value) {
  char *copy = strdup(value);
  if (copy == NULL)
    return RT_ENOMEM;
  if (*field != protobuf_c_empty_string)
    free(*field);
  *field = copy;
  return 0;
}

int rt_dataset_resolve(rt_dataset_t *dataset, size_t index, rt_error_t *err) {
  if (dataset == NULL || index >= dataset->len)
    return rt_error_set(err, RT_EINVAL, NULL, "no item %zu", index);
  rt_dataset_item_t *item = &dataset->items[index];
  for (size_t i = 0; i < item->refs_len; i++) {
    const rt_dataset_ref_t *ref = &item->refs[i];
    /* No item: the key is a server id (or, in a JSON Lines file, the id
     * an earlier segment's item was created under). */
    const char *id = ref->key;
    if (ref->target != RT_DATASET_NO_ITEM) {
      const rt_dataset_item_t *target = &dataset->items[ref->target];
      if (target->server_id == NULL)
        return rt_error_set(err, RT_ENOTFOUND, ref->path,
                            "%s: \"%s\" (%s) has not been created yet",
                            ref->path, ref->key, target->path);
      id = target->server_id;
    }
    char **first, **second;
    reference_fields(item, i, &first, &second);
    if ((first != NULL && replace_field(first, id) != 0) ||
        (second != NULL && replace_field(second, id) != 0))
      return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  return 0;
}

int rt_dataset_set_server_id(rt_dataset_t *dataset, size_t index,
                             const char *server_id, rt_error_t *err) {
  if (dataset == NULL || index >= dataset->len)
    return rt_error_set(err, RT_EINVAL, NULL, "no item %zu", index);
  if (server_id == NULL || server_id[0] == '\0')
    return rt_error_set(err, RT_EINVAL, NULL, "empty server id");
  char *copy = strdup(server_id);
  if (copy == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  free(dataset->items[index].server_id);
  dataset->items[index].server_id = copy;
  return 0;
}
