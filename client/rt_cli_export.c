/*
 * `export FILE`: the whole database as an import-format JSON document.
 *
 * Pages through every List call (archived records included), then asks
 * for each recommendation's and commitment's follow-ups (in the order
 * they were recorded, which an import replays) and each commitment's
 * measurements, and hands everything to rt_dataset_write. The file is
 * written to FILE.part and renamed when complete; "-" writes to stdout.
 * Also holds the command table of import and export.
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"
#include "rt_dataset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct export {
  rt_cli_list_t sources, actors, recommendations, commitments;
  rt_cli_list_t *histories; /* one per subject */
  size_t history_count;
  const ProtobufCMessage **follow_ups;
  size_t follow_up_count;
  const ProtobufCMessage **measurements;
  size_t measurement_count;
}
export_t;

static void export_free(export_t *e) {
  rt_cli_list_free(&e->sources);
  rt_cli_list_free(&e->actors);
  rt_cli_list_free(&e->recommendations);
  rt_cli_list_free(&e->commitments);
  for (size_t i = 0; i < e->history_count; i++)
    rt_cli_list_free(&e->histories[i]);
  free(e->histories);
  free(e->follow_ups);
  free(e->measurements);
}

static int list_everything(rt_cli_t *cli, const char *method,
                           const ProtobufCMessageDescriptor *request_d,
                           const ProtobufCMessageDescriptor *response_d,
                           const char *field, rt_cli_list_t *list) {
  ProtobufCMessage *request = malloc(request_d->sizeof_message);
  char *error = NULL, what[64];
  int rc = RT_CLI_EXIT_ERROR;
  if (request == NULL)
    return rc;
  request_d->message_init(request);
  snprintf(what, sizeof(what), "export %s", field);
  if (rt_cli_set_field(request, "include_archived", "true", &error) == 0 &&
      rt_cli_set_field(request, "page_size", "500", &error) == 0)
    rc =
        rt_cli_list_all(cli, method, what, request, response_d, field, 0, list);
  free(error);
  protobuf_c_message_free_unpacked(request, NULL);
  return rc;
}

/* Appends the items of list to *all. */
static int append_items(const rt_cli_list_t *list,
                        const ProtobufCMessage ***all, size_t *count) {
  const ProtobufCMessage **grown =
      realloc(*all, (*count + list->item_count + 1) * sizeof(**all));
  if (grown == NULL)
    return -1;
  *all = grown;
  memcpy(grown + *count, list->items, list->item_count * sizeof(*grown));
  *count += list->item_count;
  return 0;
}

/* Follow-ups (and for a commitment, measurements) of subject id. */
static int subject_history(rt_cli_t *cli, export_t *e, const char *id,
                           bool commitment) {
  rt_cli_list_t *grown =
      realloc(e->histories, (e->history_count + 2) * sizeof(*grown));
  if (grown == NULL)
    return RT_CLI_EXIT_ERROR;
  e->histories = grown;
  Rectrack__V1__ListFollowUpsRequest follow_ups =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  follow_ups.subject_id = (char *)id;
  follow_ups.page_size = 500;
  rt_cli_list_t *list = &e->histories[e->history_count++];
  int rc = rt_cli_list_all(cli, "ListFollowUps", "export follow-ups",
                           &follow_ups.base,
                           &rectrack__v1__list_follow_ups_response__descriptor,
                           "follow_ups", 0, list);
  if (rc == 0)
    rc = append_items(list, &e->follow_ups, &e->follow_up_count) ? 1 : 0;
  if (rc != 0 || !commitment)
    return rc;
  Rectrack__V1__ListMeasurementsRequest measurements =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  measurements.commitment_id = (char *)id;
  measurements.page_size = 500;
  list = &e->histories[e->history_count++];
  rc = rt_cli_list_all(cli, "ListMeasurements", "export measurements",
                       &measurements.base,
                       &rectrack__v1__list_measurements_response__descriptor,
                       "measurements", 0, list);
  for (size_t k = 0; rc == 0 && k < list->item_count; k++) {
    /* The writer needs the commitment of each measurement. */
    Rectrack__V1__Measurement *m = (Rectrack__V1__Measurement *)list->items[k];
    char *copy = m->commitment_id[0] == '\0' ? strdup(id) : NULL;
    if (copy != NULL)
      m->commitment_id = copy;
  }
  if (rc == 0)
    rc = append_items(list, &e->measurements, &e->measurement_count) ? 1 : 0;
  return rc;
}

static int collect(rt_cli_t *cli, export_t *e) {
  int rc = list_everything(
      cli, "ListSources", &rectrack__v1__list_sources_request__descriptor,
      &rectrack__v1__list_sources_response__descriptor, "sources", &e->sources);
  if (rc == 0)
    rc = list_everything(
        cli, "ListActors", &rectrack__v1__list_actors_request__descriptor,
        &rectrack__v1__list_actors_response__descriptor, "actors", &e->actors);
  if (rc == 0)
    rc = list_everything(
        cli, "ListRecommendations",
        &rectrack__v1__list_recommendations_request__descriptor,
        &rectrack__v1__list_recommendations_response__descriptor,
        "recommendations", &e->recommendations);
  if (rc == 0)
    rc = list_everything(cli, "ListCommitments",
                         &rectrack__v1__list_commitments_request__descriptor,
                         &rectrack__v1__list_commitments_response__descriptor,
                         "commitments", &e->commitments);
  for (size_t i = 0; rc == 0 && i < e->recommendations.item_count; i++)
    rc = subject_history(
        cli, e,
        ((const Rectrack__V1__Recommendation *)e->recommendations.items[i])->id,
        false);
  for (size_t i = 0; rc == 0 && i < e->commitments.item_count; i++)
    rc = subject_history(
        cli, e, ((const Rectrack__V1__Commitment *)e->commitments.items[i])->id,
        true);
  return rc;
}

static int write_output(rt_cli_t *cli, const char *path, const char *text,
                        size_t len) {
  if (strcmp(path, "-") == 0)
    return fwrite(text, 1, len, cli->out) == len ? 0 : RT_CLI_EXIT_ERROR;
  char *partial = NULL;
  if (asprintf(&partial, "%s.part", path) < 0)
    return RT_CLI_EXIT_ERROR;
  FILE *file = fopen(partial, "wb");
  int rc = 0;
  if (file == NULL ||
      (fwrite(text, 1, len, file) != len) | (fclose(file) != 0) ||
      rename(partial, path) != 0) {
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: cannot write %s: %s",
                     path, strerror(errno));
    remove(partial);
  }
  free(partial);
  return rc;
}

static int run_export(rt_cli_t *cli, const rt_args_t *args) {
  const char *path = args->positional[0];
  export_t e = {0};
  rt_error_t err = {0};
  char *text = NULL;
  size_t len = 0;
  int rc = collect(cli, &e);
  rt_dataset_records_t records = {
      (Rectrack__V1__Source *const *)e.sources.items,
      e.sources.item_count,
      (Rectrack__V1__Actor *const *)e.actors.items,
      e.actors.item_count,
      (Rectrack__V1__Recommendation *const *)e.recommendations.items,
      e.recommendations.item_count,
      (Rectrack__V1__Commitment *const *)e.commitments.items,
      e.commitments.item_count,
      (Rectrack__V1__FollowUp *const *)e.follow_ups,
      e.follow_up_count,
      (Rectrack__V1__Measurement *const *)e.measurements,
      e.measurement_count};
  if (rc == 0 && rt_dataset_write(&records, &text, &len, &err) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: %s", err.message);
  if (rc == 0)
    rc = write_output(cli, path, text, len);
  if (rc == 0 && strcmp(path, "-") != 0)
    fprintf(cli->out,
            "Wrote %s: %zu sources, %zu actors, %zu recommendations, %zu "
            "commitments, %zu follow-ups, %zu measurements\n",
            path, e.sources.item_count, e.actors.item_count,
            e.recommendations.item_count, e.commitments.item_count,
            e.follow_up_count, e.measurement_count);
  free(text);
  export_free(&e);
  return rc;
}

static const rt_arg_spec_t import_specs[] = {
    {"dry-run", 0, RT_ARG_FLAG, NULL, "validate only, write nothing"},
    {"format", 0, RT_ARG_VALUE, "FMT",
     "json or csv (default: from the file name)"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t export_specs[] = {{NULL, 0, 0, NULL, NULL}};

const rt_cli_command_t rt_cli_import_commands[] = {
    {"import", NULL, rt_cli_run_import, import_specs, "FILE [--dry-run]",
     "Import a JSON dataset or a CSV file of recommendations",
     "rectrack import data/demo.json", 1, 1},
    {"export", NULL, run_export, export_specs, "FILE",
     "Export the whole database as import-format JSON",
     "rectrack export backup.json", 1, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};
