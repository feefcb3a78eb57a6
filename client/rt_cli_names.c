/*
 * The names a person reads in a table instead of ids: actor names, read
 * from the server (ListActors, every page) the first time a table needs
 * one and kept for the rest of the command. A lookup that cannot be made
 * (the call fails, an id the server does not know) gives the id itself,
 * so a table is never lost for want of a name; a failed call is said once
 * and not repeated. Record views also show the titles of the reference
 * lists (compiled in, common/rt_reference.h) and of the source (one
 * GetSource call).
 */
#include "rt_cli.h"

#include "rt_reference.h"

#include "rectrack/v1/tracker.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_cli_names {
  rt_cli_list_t actors; /* sorted by id in by_id */
  const Rectrack__V1__Actor **by_id;
  size_t count;
};

static int compare_actors(const void *a, const void *b) {
  const Rectrack__V1__Actor *x = *(const Rectrack__V1__Actor *const *)a;
  const Rectrack__V1__Actor *y = *(const Rectrack__V1__Actor *const *)b;
  return strcmp(x->id, y->id);
}

/* Reads every actor once; on failure the cache stays empty. */
static void load_actors(rt_cli_t *cli) {
  cli->names = calloc(1, sizeof *cli->names);
  if (cli->names == NULL)
    return;
  Rectrack__V1__ListActorsRequest request =
      RECTRACK__V1__LIST_ACTORS_REQUEST__INIT;
  request.page_size = 500;
  request.include_archived = true;
  /* A failure is said (on stderr) and the table shows ids. */
  int rc = rt_cli_list_all(cli, "ListActors", "read actor names", &request.base,
                           &rectrack__v1__list_actors_response__descriptor,
                           "actors", 0, &cli->names->actors);
  if (rc != 0)
    return;
  struct rt_cli_names *n = cli->names;
  n->by_id = calloc(n->actors.item_count + 1, sizeof *n->by_id);
  if (n->by_id == NULL)
    return;
  for (size_t i = 0; i < n->actors.item_count; i++)
    n->by_id[n->count++] = (const void *)n->actors.items[i];
  qsort(n->by_id, n->count, sizeof *n->by_id, compare_actors);
}

const char *rt_cli_actor_name(rt_cli_t *cli, const char *id) {
  if (id == NULL || id[0] == '\0')
    return "";
  if (cli->names == NULL)
    load_actors(cli);
  if (cli->names == NULL || cli->names->count == 0)
    return id;
  Rectrack__V1__Actor key = RECTRACK__V1__ACTOR__INIT;
  key.id = (char *)id;
  const Rectrack__V1__Actor *keyp = &key;
  const Rectrack__V1__Actor **found =
      bsearch(&keyp, cli->names->by_id, cli->names->count,
              sizeof *cli->names->by_id, compare_actors);
  return found && (*found)->name && (*found)->name[0] ? (*found)->name : id;
}

char *rt_cli_named_actor(rt_cli_t *cli, char *id) {
  if (id == NULL)
    return NULL;
  char *name = strdup(rt_cli_actor_name(cli, id));
  if (name == NULL)
    return id;
  free(id);
  return name;
}

void rt_cli_names_free(rt_cli_t *cli) {
  if (cli->names == NULL)
    return;
  rt_cli_list_free(&cli->names->actors);
  free(cli->names->by_id);
  free(cli->names);
  cli->names = NULL;
}

/* ---- record views ------------------------------------------------------ */

/* Appends text to the growing string *out (NULL on no memory). */
static void append(char **out, const char *separator, const char *text) {
  if (*out == NULL)
    return;
  char *longer = NULL;
  if (asprintf(&longer, "%s%s%s", *out, (*out)[0] ? separator : "", text) < 0)
    longer = NULL;
  free(*out);
  *out = longer;
}

/* "Name (id)", or the id alone when the server has no other name. */
static void append_actor(rt_cli_t *cli, char **out, const char *separator,
                         const char *id) {
  const char *name = rt_cli_actor_name(cli, id);
  char *text = NULL;
  if (strcmp(name, id) == 0)
    text = strdup(id);
  else if (asprintf(&text, "%s (%s)", name, id) < 0)
    text = NULL;
  append(out, separator, text ? text : id);
  free(text);
}

static void append_source(rt_cli_t *cli, char **out, const char *id) {
  Rectrack__V1__GetSourceRequest request =
      RECTRACK__V1__GET_SOURCE_REQUEST__INIT;
  request.id = (char *)id;
  ProtobufCMessage *response = NULL;
  rt_client_status_t status = {0};
  char *text = NULL;
  if (rt_cli_call_quiet(cli, "GetSource", &request.base,
                        &rectrack__v1__source__descriptor, &response,
                        &status) == 0) {
    const Rectrack__V1__Source *source = (const void *)response;
    if (source->title && source->title[0] &&
        asprintf(&text, "%s, %s (%s)", source->title,
                 source->date && source->date[0] ? source->date : "undated",
                 id) < 0)
      text = NULL;
  }
  rt_client_status_clear(&status);
  if (response != NULL)
    protobuf_c_message_free_unpacked(response, NULL);
  append(out, "", text ? text : id);
  free(text);
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessage *message,
                                                const char *name) {
  return protobuf_c_message_descriptor_get_field_by_name(message->descriptor,
                                                         name);
}

/* The elements of a repeated field: count and the array. */
static size_t repeated(const ProtobufCMessage *message,
                       const ProtobufCFieldDescriptor *f, const void **items) {
  *items = *(const void *const *)((const char *)message + f->offset);
  return *(const size_t *)((const char *)message + f->quantifier_offset);
}

char *rt_cli_named_field(rt_cli_t *cli, const ProtobufCMessage *message,
                         const char *field) {
  static const char *const actor_fields[] = {"actor_id", "lead_actor_id",
                                             "reported_by", "addressed_to"};
  const ProtobufCFieldDescriptor *f = field_of(message, field);
  if (f == NULL)
    return NULL;
  char *out = strdup("");
  bool actors = false;
  for (size_t i = 0; i < sizeof actor_fields / sizeof *actor_fields; i++)
    actors = actors || strcmp(field, actor_fields[i]) == 0;
  if (actors && f->type == PROTOBUF_C_TYPE_STRING) {
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      const void *items;
      size_t n = repeated(message, f, &items);
      for (size_t i = 0; i < n; i++)
        append_actor(cli, &out, ", ", ((char *const *)items)[i]);
    } else {
      const char *id = *(char *const *)((const char *)message + f->offset);
      if (id && id[0])
        append_actor(cli, &out, "", id);
    }
  } else if (strcmp(field, "theme") == 0 && f->type == PROTOBUF_C_TYPE_STRING) {
    const char *id = *(char *const *)((const char *)message + f->offset);
    const rt_theme_t *theme = id && id[0] ? rt_theme(id) : NULL;
    if (theme == NULL) { /* added at run time: `rectrack ref themes` */
      free(out);
      return NULL;
    }
    char *text = NULL;
    if (asprintf(&text, "%s (%s)", theme->title, id) < 0)
      text = NULL;
    append(&out, "", text ? text : id);
    free(text);
  } else if (strcmp(field, "source_id") == 0 &&
             f->type == PROTOBUF_C_TYPE_STRING) {
    const char *id = *(char *const *)((const char *)message + f->offset);
    if (id && id[0])
      append_source(cli, &out, id);
  } else if (strcmp(field, "sdg_targets") == 0 &&
             f->label == PROTOBUF_C_LABEL_REPEATED) {
    const void *items;
    size_t n = repeated(message, f, &items);
    for (size_t i = 0; i < n; i++) {
      const char *code = ((char *const *)items)[i];
      const rt_sdg_target_t *target = rt_sdg_target(code);
      char *text = NULL;
      if (target && asprintf(&text, "%s %s", code, target->label) < 0)
        text = NULL;
      append(&out, "\n", text ? text : code);
      free(text);
    }
  } else if (strcmp(field, "gcm_objectives") == 0 &&
             f->label == PROTOBUF_C_LABEL_REPEATED &&
             f->type == PROTOBUF_C_TYPE_INT32) {
    const void *items;
    size_t n = repeated(message, f, &items);
    for (size_t i = 0; i < n; i++) {
      int number = ((const int32_t *)items)[i];
      const rt_gcm_objective_t *objective = rt_gcm_objective(number);
      char *text = NULL;
      if (asprintf(&text, "%d %s", number, objective ? objective->title : "") <
          0)
        text = NULL;
      append(&out, "\n", text ? text : "?");
      free(text);
    }
  } else {
    free(out);
    return NULL;
  }
  if (out != NULL && out[0] == '\0') {
    free(out);
    return NULL;
  }
  return out;
}
