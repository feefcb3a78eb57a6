/*
 * `export FILE`: the whole database as an import-format JSON document, or
 * (FILE ending in .jsonl, or --format jsonl) in its JSON Lines form.
 *
 * Both forms start with the themes the secretariat added at run time
 * (ListReference, those marked added), so that an import into a fresh
 * server knows every theme a record is tagged with; the compiled themes
 * are every server's already and are not written.
 *
 * The JSON Lines form is written as it is read, one page at a time, so
 * that an export of any size takes flat memory: themes, actors, sources, then
 * each page of recommendations followed by their follow-ups (fetched for
 * the whole page at once, on concurrent streams), then each page of
 * commitments followed by their follow-ups and measurements. Every line
 * refers only to lines before it, which is what an import of the form
 * needs. The document form is built whole:
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

/* The themes and dimension keys the secretariat added on the server:
 * (*response) owns them, *themes and *keys point into it (free all:
 * protobuf_c_message_free_unpacked, free). */
typedef struct added_themes {
  Rectrack__V1__ListReferenceResponse *response;
  Rectrack__V1__Theme **themes;
  size_t count;
  Rectrack__V1__DimensionKey **keys;
  size_t key_count;
} added_themes_t;

static void added_themes_free(added_themes_t *added) {
  if (added->response != NULL)
    protobuf_c_message_free_unpacked(&added->response->base, NULL);
  free(added->themes);
  free(added->keys);
  memset(added, 0, sizeof *added);
}

static int fetch_added_themes(rt_cli_t *cli, added_themes_t *added) {
  Rectrack__V1__ListReferenceRequest request =
      RECTRACK__V1__LIST_REFERENCE_REQUEST__INIT;
  ProtobufCMessage *response = NULL;
  memset(added, 0, sizeof *added);
  int rc = rt_cli_call(cli, "ListReference", "export themes", &request.base,
                       &rectrack__v1__list_reference_response__descriptor,
                       &response);
  if (rc != 0)
    return rc;
  added->response = (Rectrack__V1__ListReferenceResponse *)response;
  added->themes = calloc(added->response->n_themes + 1, sizeof *added->themes);
  added->keys =
      calloc(added->response->n_dimension_keys + 1, sizeof *added->keys);
  if (added->themes == NULL || added->keys == NULL) {
    added_themes_free(added);
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: out of memory");
  }
  for (size_t i = 0; i < added->response->n_themes; i++)
    if (added->response->themes[i]->added)
      added->themes[added->count++] = added->response->themes[i];
  for (size_t i = 0; i < added->response->n_dimension_keys; i++)
    if (added->response->dimension_keys[i]->added)
      added->keys[added->key_count++] = added->response->dimension_keys[i];
  return 0;
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

/* ---- the JSON Lines form ---------------------------------------------- */

#define LINES_PAGE 500
#define LINES_CONCURRENT 64

typedef struct lines_out {
  rt_cli_t *cli;
  FILE *file;
  size_t counts[RT_DATASET_KIND_LAST + 1];
  int rc;
} lines_out_t;

static void put_line(lines_out_t *out, rt_dataset_kind_t kind,
                     const ProtobufCMessage *record) {
  char *line = NULL;
  size_t len = 0;
  rt_error_t err = {0};
  if (out->rc != 0)
    return;
  if (rt_dataset_write_line(kind, record, &line, &len, &err) != 0)
    out->rc =
        rt_cli_fail(out->cli, RT_CLI_EXIT_ERROR, "export: %s", err.message);
  else if (fwrite(line, 1, len, out->file) != len)
    out->rc =
        rt_cli_fail(out->cli, RT_CLI_EXIT_ERROR, "export: %s", strerror(errno));
  else
    out->counts[kind]++;
  free(line);
}

/* The follow-ups (or measurements) of ids[0..n), fetched on concurrent
 * streams, each subject's written in the order they were recorded. A
 * subject with more than one page of them is finished with more calls. */
static void put_histories(lines_out_t *out, char *const *ids, size_t n,
                          bool measurements) {
  rt_client_request_t requests[LINES_CONCURRENT];
  for (size_t first = 0; out->rc == 0 && first < n; first += LINES_CONCURRENT) {
    size_t count = n - first < LINES_CONCURRENT ? n - first : LINES_CONCURRENT;
    memset(requests, 0, sizeof requests);
    for (size_t i = 0; i < count; i++) {
      Rectrack__V1__ListFollowUpsRequest fu =
          RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
      Rectrack__V1__ListMeasurementsRequest m =
          RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
      fu.subject_id = m.commitment_id = ids[first + i];
      fu.page_size = m.page_size = 1000;
      const ProtobufCMessage *request = measurements ? &m.base : &fu.base;
      size_t len = protobuf_c_message_get_packed_size(request);
      uint8_t *bytes = malloc(len + 1);
      if (bytes == NULL) {
        out->rc = RT_CLI_EXIT_ERROR;
        count = i;
        break;
      }
      protobuf_c_message_pack(request, bytes);
      requests[i].path = measurements ? "/rectrack.v1.Tracker/ListMeasurements"
                                      : "/rectrack.v1.Tracker/ListFollowUps";
      requests[i].request = bytes;
      requests[i].request_len = len;
    }
    if (out->rc == 0)
      rt_client_unary_batch(out->cli->client, requests, count,
                            out->cli->timeout_ms);
    for (size_t i = 0; i < count; i++) {
      if (out->rc == 0 && requests[i].status.code != 0)
        out->rc = rt_cli_fail(
            out->cli, rt_cli_exit_code_for_status(requests[i].status.code),
            "export: history of %s: %s", ids[first + i],
            requests[i].status.message ? requests[i].status.message : "failed");
      ProtobufCMessage *page =
          out->rc == 0
              ? protobuf_c_message_unpack(
                    measurements
                        ? &rectrack__v1__list_measurements_response__descriptor
                        : &rectrack__v1__list_follow_ups_response__descriptor,
                    NULL, requests[i].response_len, requests[i].response)
              : NULL;
      if (page != NULL && measurements) {
        Rectrack__V1__ListMeasurementsResponse *r = (void *)page;
        for (size_t k = 0; k < r->n_measurements; k++) {
          if (r->measurements[k]->commitment_id[0] == '\0')
            r->measurements[k]->commitment_id = ids[first + i];
          put_line(out, RT_DATASET_MEASUREMENT, &r->measurements[k]->base);
          if (r->measurements[k]->commitment_id == ids[first + i])
            r->measurements[k]->commitment_id = (char *)protobuf_c_empty_string;
        }
        if (r->next_page_token[0] != '\0')
          out->rc = rt_cli_fail(out->cli, RT_CLI_EXIT_ERROR,
                                "export: %s has more than 1000 measurements; "
                                "use the document form",
                                ids[first + i]);
      } else if (page != NULL) {
        Rectrack__V1__ListFollowUpsResponse *r = (void *)page;
        for (size_t k = 0; k < r->n_follow_ups; k++)
          put_line(out, RT_DATASET_FOLLOW_UP, &r->follow_ups[k]->base);
        if (r->next_page_token[0] != '\0')
          out->rc = rt_cli_fail(out->cli, RT_CLI_EXIT_ERROR,
                                "export: %s has more than 1000 follow-ups; "
                                "use the document form",
                                ids[first + i]);
      }
      if (page != NULL)
        protobuf_c_message_free_unpacked(page, NULL);
      free((void *)requests[i].request);
      free(requests[i].response);
      rt_client_status_clear(&requests[i].status);
    }
  }
}

/* The records of a List response (its one repeated message field) and
 * its next_page_token ("" on the last page); both point into page. */
static size_t page_items(const ProtobufCMessage *page,
                         ProtobufCMessage *const **records, const char **next) {
  size_t count = 0;
  *records = NULL;
  *next = "";
  for (unsigned i = 0; i < page->descriptor->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &page->descriptor->fields[i];
    const char *at = (const char *)page + fd->offset;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED &&
        fd->type == PROTOBUF_C_TYPE_MESSAGE && *records == NULL) {
      memcpy(&count, (const char *)page + fd->quantifier_offset, sizeof count);
      memcpy(records, at, sizeof *records);
    } else if (strcmp(fd->name, "next_page_token") == 0) {
      const char *token;
      memcpy(&token, at, sizeof token);
      *next = token ? token : "";
    }
  }
  return count;
}

/* A record's id field. */
static char *record_id(const ProtobufCMessage *record) {
  const ProtobufCFieldDescriptor *fd =
      protobuf_c_message_descriptor_get_field_by_name(record->descriptor, "id");
  char *id = NULL;
  if (fd != NULL)
    memcpy(&id, (const char *)record + fd->offset, sizeof id);
  return id;
}

/* Pages through one list, writing each record, and (subjects) their
 * histories after each page. */
static void put_list(lines_out_t *out, const char *method,
                     const ProtobufCMessageDescriptor *request_d,
                     const ProtobufCMessageDescriptor *response_d,
                     rt_dataset_kind_t kind) {
  char *token = strdup("");
  while (out->rc == 0 && token != NULL) {
    ProtobufCMessage *request = malloc(request_d->sizeof_message);
    char *error = NULL;
    ProtobufCMessage *page = NULL;
    if (request == NULL)
      break;
    request_d->message_init(request);
    if (rt_cli_set_field(request, "include_archived", "true", &error) != 0 ||
        rt_cli_set_field(request, "page_size", "500", &error) != 0 ||
        (token[0] && rt_cli_set_field(request, "page_token", token, &error)))
      out->rc = rt_cli_fail(out->cli, RT_CLI_EXIT_ERROR, "export: %s", error);
    free(error);
    if (out->rc == 0)
      out->rc =
          rt_cli_call(out->cli, method, "export", request, response_d, &page);
    protobuf_c_message_free_unpacked(request, NULL);
    free(token);
    token = NULL;
    if (out->rc != 0)
      break;
    ProtobufCMessage *const *records;
    const char *next;
    size_t n = page_items(page, &records, &next);
    char **ids = calloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n && ids != NULL; i++) {
      put_line(out, kind, records[i]);
      ids[i] = record_id(records[i]);
    }
    if (ids != NULL &&
        (kind == RT_DATASET_RECOMMENDATION || kind == RT_DATASET_COMMITMENT)) {
      put_histories(out, ids, n, false);
      if (kind == RT_DATASET_COMMITMENT)
        put_histories(out, ids, n, true);
    }
    free(ids);
    if (next[0] != '\0')
      token = strdup(next);
    protobuf_c_message_free_unpacked(page, NULL);
  }
  free(token);
}

static int export_lines(rt_cli_t *cli, const char *path) {
  lines_out_t out = {.cli = cli};
  char *partial = NULL;
  bool to_stdout = strcmp(path, "-") == 0;
  if (!to_stdout && asprintf(&partial, "%s.part", path) < 0)
    return RT_CLI_EXIT_ERROR;
  out.file = to_stdout ? cli->out : fopen(partial, "wb");
  if (out.file == NULL) {
    int rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: cannot write %s: %s",
                         partial, strerror(errno));
    free(partial);
    return rc;
  }
  char *header = NULL;
  size_t len = 0;
  rt_error_t err = {0};
  if (rt_dataset_write_lines_header(&header, &len, &err) != 0 ||
      fwrite(header, 1, len, out.file) != len)
    out.rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: cannot write");
  free(header);
  added_themes_t added = {0};
  if (out.rc == 0)
    out.rc = fetch_added_themes(cli, &added);
  for (size_t i = 0; out.rc == 0 && i < added.count; i++)
    put_line(&out, RT_DATASET_THEME, &added.themes[i]->base);
  for (size_t i = 0; out.rc == 0 && i < added.key_count; i++)
    put_line(&out, RT_DATASET_DIMENSION_KEY, &added.keys[i]->base);
  added_themes_free(&added);
  put_list(&out, "ListActors", &rectrack__v1__list_actors_request__descriptor,
           &rectrack__v1__list_actors_response__descriptor, RT_DATASET_ACTOR);
  put_list(&out, "ListSources", &rectrack__v1__list_sources_request__descriptor,
           &rectrack__v1__list_sources_response__descriptor, RT_DATASET_SOURCE);
  put_list(&out, "ListRecommendations",
           &rectrack__v1__list_recommendations_request__descriptor,
           &rectrack__v1__list_recommendations_response__descriptor,
           RT_DATASET_RECOMMENDATION);
  put_list(&out, "ListCommitments",
           &rectrack__v1__list_commitments_request__descriptor,
           &rectrack__v1__list_commitments_response__descriptor,
           RT_DATASET_COMMITMENT);
  if (!to_stdout) {
    if (fclose(out.file) != 0 && out.rc == 0)
      out.rc =
          rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: %s", strerror(errno));
    if (out.rc == 0 && rename(partial, path) != 0)
      out.rc =
          rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: %s", strerror(errno));
    if (out.rc != 0)
      remove(partial);
  }
  free(partial);
  if (out.rc == 0 && !to_stdout)
    fprintf(cli->out,
            "Wrote %s: %zu sources, %zu actors, %zu recommendations, %zu "
            "commitments, %zu follow-ups, %zu measurements, %zu added "
            "theme%s, %zu added dimension key%s\n",
            path, out.counts[RT_DATASET_SOURCE], out.counts[RT_DATASET_ACTOR],
            out.counts[RT_DATASET_RECOMMENDATION],
            out.counts[RT_DATASET_COMMITMENT], out.counts[RT_DATASET_FOLLOW_UP],
            out.counts[RT_DATASET_MEASUREMENT], out.counts[RT_DATASET_THEME],
            out.counts[RT_DATASET_THEME] == 1 ? "" : "s",
            out.counts[RT_DATASET_DIMENSION_KEY],
            out.counts[RT_DATASET_DIMENSION_KEY] == 1 ? "" : "s");
  return out.rc;
}

static bool ends_with(const char *text, const char *suffix) {
  size_t len = strlen(text), n = strlen(suffix);
  return len >= n && strcmp(text + len - n, suffix) == 0;
}

static int run_export(rt_cli_t *cli, const rt_args_t *args) {
  const char *path = args->positional[0];
  const char *format = rt_args_get(args, "format");
  if (format != NULL && strcmp(format, "json") != 0 &&
      strcmp(format, "jsonl") != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--format: \"%s\" is not json or jsonl", format);
  if (format ? strcmp(format, "jsonl") == 0 : ends_with(path, ".jsonl"))
    return export_lines(cli, path);
  export_t e = {0};
  rt_error_t err = {0};
  char *text = NULL;
  size_t len = 0;
  added_themes_t added = {0};
  int rc = fetch_added_themes(cli, &added);
  if (rc == 0)
    rc = collect(cli, &e);
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
      e.measurement_count,
      added.themes,
      added.count,
      added.keys,
      added.key_count};
  if (rc == 0 && rt_dataset_write(&records, &text, &len, &err) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "export: %s", err.message);
  if (rc == 0)
    rc = write_output(cli, path, text, len);
  if (rc == 0 && strcmp(path, "-") != 0)
    fprintf(cli->out,
            "Wrote %s: %zu sources, %zu actors, %zu recommendations, %zu "
            "commitments, %zu follow-ups, %zu measurements, %zu added "
            "theme%s, %zu added dimension key%s\n",
            path, e.sources.item_count, e.actors.item_count,
            e.recommendations.item_count, e.commitments.item_count,
            e.follow_up_count, e.measurement_count, added.count,
            added.count == 1 ? "" : "s", added.key_count,
            added.key_count == 1 ? "" : "s");
  free(text);
  export_free(&e);
  added_themes_free(&added);
  return rc;
}

static const rt_arg_spec_t import_specs[] = {
    {"dry-run", 0, RT_ARG_FLAG, NULL, "validate only, write nothing"},
    {"format", 0, RT_ARG_VALUE, "FMT",
     "json or csv (default: from the file name)"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t export_specs[] = {
    {"format", 0, RT_ARG_VALUE, "FMT",
     "json (one document) or jsonl (one record per line, written as it is "
     "read: for large databases); default: from the file name"},
    {NULL, 0, 0, NULL, NULL},
};

const rt_cli_command_t rt_cli_import_commands[] = {
    {"import", NULL, rt_cli_run_import, import_specs, "FILE [--dry-run]",
     "Import a JSON dataset or a CSV file of recommendations",
     "rectrack import data/demo.json", 1, 1},
    {"export", NULL, run_export, export_specs, "FILE",
     "Export the whole database as import-format JSON (or JSON Lines)",
     "rectrack export backup.jsonl", 1, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};
