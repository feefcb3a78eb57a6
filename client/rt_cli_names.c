/*
 * The names a person reads in a table instead of ids: actor names, read
 * from the server (ListActors, every page) the first time a table needs
 * one and kept for the rest of the command. A lookup that cannot be made
 * (the call fails, an id the server does not know) gives the id itself,
 * so a table is never lost for want of a name; a failed call is said once
 * and not repeated.
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"

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
