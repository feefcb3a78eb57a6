/*
 * Server-facing commands that are not about one record: `status` (health
 * check plus GetServerInfo), `watch` (the change log, live, one line per
 * change or JSON Lines), `review` (the follow-up review rendered by the
 * server, streamed into a file), `backup` (a hot copy of the data
 * directory, written by the server on its own machine) and `version`.
 *
 * watch runs without a deadline until the server ends the stream, --count
 * changes were shown, or SIGINT, which cancels the call and exits 0:
 * interrupting a watch is how it is meant to end. review writes to
 * FILE.part and renames it when the stream ended OK, so that a failed or
 * interrupted export never leaves a truncated file under the real name.
 */
#include "rt_cli.h"

#include "grpc/health/v1/health.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"
#include "rt_validate.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int signo) {
  (void)signo;
  interrupted = 1;
}

/* SIGINT/SIGTERM cancel the current call instead of killing the process. */
static void catch_interrupts(rt_cli_t *cli) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  interrupted = 0;
  rt_client_set_cancel_flag(cli->client, &interrupted);
}

static int check_date(rt_cli_t *cli, const rt_args_t *args, const char *flag,
                      bool required) {
  const char *value = rt_args_get(args, flag);
  rt_error_t err = {0};
  char name[64];
  snprintf(name, sizeof(name), "--%s", flag);
  if (value == NULL)
    return required ? rt_cli_fail(cli, RT_CLI_EXIT_USAGE, "%s DATE is required",
                                  name)
                    : 0;
  if (rt_validate_date(value, name, &err) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  return 0;
}

/* ---- status
 * ------------------------------------------------------------------ */

static const char *serving_name(int status) {
  static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                      "SERVICE_UNKNOWN"};
  return status >= 0 && status < 4 ? names[status] : "UNKNOWN";
}

static void print_status(rt_cli_t *cli, int serving,
                         const Rectrack__V1__ServerInfo *info) {
  if (cli->format == RT_CLI_FORMAT_JSON) {
    json_t *doc = json_pack("{s:s,s:s,s:o}", "server", cli->server, "health",
                            serving_name(serving), "info",
                            rt_cli_message_to_json(&info->base));
    rt_cli_print_json(cli, doc, false);
  } else if (cli->format == RT_CLI_FORMAT_CSV) {
    rt_cli_print_record(cli, &info->base);
  } else {
    /* aligned with the record view below: its longest label is
     * "recommendation_count:" */
    fprintf(cli->out, "%-21s %s\n%-21s %s\n", "server:", cli->server,
            "health:", serving_name(serving));
    rt_cli_print_record(cli, &info->base);
  }
}

static int run_status(rt_cli_t *cli, const rt_args_t *args) {
  (void)args;
  Grpc__Health__V1__HealthCheckRequest check =
      GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  Rectrack__V1__GetServerInfoRequest request =
      RECTRACK__V1__GET_SERVER_INFO_REQUEST__INIT;
  ProtobufCMessage *health = NULL, *info = NULL;
  int rc = rt_cli_call(
      cli, "/grpc.health.v1.Health/Check", "health check", &check.base,
      &grpc__health__v1__health_check_response__descriptor, &health);
  if (rc == 0)
    rc = rt_cli_call(cli, "GetServerInfo", "server info", &request.base,
                     &rectrack__v1__server_info__descriptor, &info);
  if (rc == 0) {
    int serving = ((Grpc__Health__V1__HealthCheckResponse *)health)->status;
    print_status(cli, serving, (Rectrack__V1__ServerInfo *)info);
    if (serving !=
        GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
      rc = RT_CLI_EXIT_UNAVAILABLE;
  }
  if (health != NULL)
    protobuf_c_message_free_unpacked(health, NULL);
  if (info != NULL)
    protobuf_c_message_free_unpacked(info, NULL);
  return rc;
}

/* ---- watch
 * ------------------------------------------------------------------- */

typedef struct watch {
  rt_cli_t *cli;
  uint64_t limit; /* 0 = no limit */
  uint64_t seen;
  bool bad_message;
} watch_t;

/* The record an event carries, for its title. */
static const ProtobufCMessage *
event_record(const Rectrack__V1__ChangeEvent *e) {
  if (e->recommendation)
    return &e->recommendation->base;
  if (e->commitment)
    return &e->commitment->base;
  if (e->source)
    return &e->source->base;
  if (e->actor)
    return &e->actor->base;
  return NULL;
}

static void print_event_line(rt_cli_t *cli,
                             const Rectrack__V1__ChangeEvent *e) {
  char when[32] = "";
  time_t seconds = (time_t)(e->time_ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  const char *kind =
      rt_cli_enum_text(&rectrack__v1__change_kind__descriptor, (int)e->kind);
  const ProtobufCMessage *record = event_record(e);
  char *detail = NULL;
  if (e->follow_up != NULL)
    detail = rt_cli_field_text(&e->follow_up->base, "status", false);
  else if (e->measurement != NULL)
    detail = rt_cli_field_text(&e->measurement->base, "value", false);
  else if (record != NULL)
    detail = rt_cli_field_text(
        record,
        record->descriptor == &rectrack__v1__actor__descriptor ? "name"
                                                               : "title",
        false);
  char *line = NULL;
  if (asprintf(&line, "%llu %s %s %s by %s: %s",
               (unsigned long long)e->revision, when, kind, e->subject_id,
               e->principal[0] ? e->principal : "-",
               detail ? detail : "") >= 0) {
    char *fitted = rt_cli_text_fit(line, (size_t)cli->width);
    fprintf(cli->out, "%s\n", fitted ? fitted : line);
    free(fitted);
  }
  free(line);
  free(detail);
}

static void print_event_csv(rt_cli_t *cli, const Rectrack__V1__ChangeEvent *e) {
  static const char *const fields[] = {
      "revision",     "time_ms",   "kind",       "subject_id",
      "subject_type", "principal", "request_id", "changed_fields"};
  for (size_t i = 0; i < 8; i++) {
    char *text = rt_cli_field_text(&e->base, fields[i], true);
    if (i > 0)
      fputc(',', cli->out);
    rt_cli_csv_field(cli->out, text ? text : "");
    free(text);
  }
  fputs("\r\n", cli->out);
}

static int on_event(void *data, const uint8_t *bytes, size_t len) {
  watch_t *watch = data;
  Rectrack__V1__ChangeEvent *event =
      rectrack__v1__change_event__unpack(NULL, len, bytes);
  if (event == NULL) {
    watch->bad_message = true;
    return 1;
  }
  if (watch->cli->format == RT_CLI_FORMAT_JSON)
    rt_cli_print_json(watch->cli, rt_cli_message_to_json(&event->base), true);
  else if (watch->cli->format == RT_CLI_FORMAT_CSV)
    print_event_csv(watch->cli, event);
  else
    print_event_line(watch->cli, event);
  fflush(watch->cli->out);
  rectrack__v1__change_event__free_unpacked(event, NULL);
  watch->seen++;
  return watch->limit > 0 && watch->seen >= watch->limit ? 1 : 0;
}

static int run_watch(rt_cli_t *cli, const rt_args_t *args) {
  Rectrack__V1__WatchChangesRequest request =
      RECTRACK__V1__WATCH_CHANGES_REQUEST__INIT;
  watch_t watch = {.cli = cli};
  const char *from = rt_args_get(args, "from-revision");
  const char *count = rt_args_get(args, "count");
  if (from != NULL && rt_cli_parse_uint(from, &request.from_revision) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--from-revision: \"%s\" is not a revision number",
                       from);
  if (count != NULL &&
      (rt_cli_parse_uint(count, &watch.limit) != 0 || watch.limit == 0))
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--count: \"%s\" is not a positive number", count);
  uint8_t bytes[16];
  size_t len = rectrack__v1__watch_changes_request__pack(&request, bytes);
  rt_client_status_t status;
  catch_interrupts(cli);
  if (cli->format == RT_CLI_FORMAT_CSV)
    fputs("revision,time_ms,kind,subject_id,subject_type,principal,"
          "request_id,changed_fields\r\n",
          cli->out);
  int code = rt_client_stream(cli->client, "/rectrack.v1.Tracker/WatchChanges",
                              bytes, len, 0, on_event, &watch, &status);
  bool stopped = code == 1 && (interrupted ||
                               (watch.limit > 0 && watch.seen >= watch.limit));
  int rc = 0;
  if (watch.bad_message)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR,
                     "watch: cannot decode a change event from the server");
  else if (code != 0 && !stopped)
    rc = rt_cli_fail(cli, rt_cli_exit_code_for_status(code), "watch: %s (%s)",
                     status.message, rt_client_status_name(code));
  rt_client_status_clear(&status);
  return rc;
}

/* ---- review
 * ------------------------------------------------------------------ */

typedef struct review {
  FILE *file;
  uint64_t bytes;
  bool write_failed;
} review_t;

static int on_chunk(void *data, const uint8_t *bytes, size_t len) {
  review_t *review = data;
  Rectrack__V1__ExportChunk *chunk =
      rectrack__v1__export_chunk__unpack(NULL, len, bytes);
  if (chunk == NULL)
    return 1;
  if (fwrite(chunk->data.data, 1, chunk->data.len, review->file) !=
      chunk->data.len)
    review->write_failed = true;
  review->bytes += chunk->data.len;
  rectrack__v1__export_chunk__free_unpacked(chunk, NULL);
  return review->write_failed ? 1 : 0;
}

static const struct {
  const char *name;
  const char *extension;
  Rectrack__V1__ExportFormat format;
} review_formats[] = {
    {"html", "html", RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_HTML},
    {"md", "md", RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_MARKDOWN},
    {"markdown", "md", RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_MARKDOWN},
    {"csv", "csv", RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_CSV},
    {"json", "json", RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_JSON},
    {"xlsx", "xlsx", RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_XLSX},
};

static int review_request(rt_cli_t *cli, const rt_args_t *args,
                          Rectrack__V1__ExportReviewRequest *request,
                          const char **extension) {
  const char *format = rt_args_get(args, "format");
  const char *table = rt_args_get(args, "table");
  int rc = check_date(cli, args, "from", true);
  if (rc == 0)
    rc = check_date(cli, args, "to", true);
  if (rc == 0)
    rc = check_date(cli, args, "as-of", false);
  if (rc != 0)
    return rc;
  format = format ? format : "html";
  for (size_t i = 0; i < sizeof(review_formats) / sizeof(review_formats[0]);
       i++) {
    if (strcmp(review_formats[i].name, format) == 0) {
      request->format = review_formats[i].format;
      *extension = review_formats[i].extension;
    }
  }
  if (request->format == 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--format: unknown format \"%s\" (valid: html, md, csv, "
                       "json, xlsx)",
                       format);
  /* The server names the tables it has (INVALID_ARGUMENT otherwise). */
  if (table != NULL &&
      request->format != RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_CSV)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--table: applies to --format csv only");
  request->from_date = (char *)rt_args_get(args, "from");
  request->to_date = (char *)rt_args_get(args, "to");
  if (rt_args_get(args, "as-of") != NULL)
    request->as_of = (char *)rt_args_get(args, "as-of");
  if (table != NULL)
    request->table = (char *)table;
  return 0;
}

static int stream_review(rt_cli_t *cli, const uint8_t *bytes, size_t len,
                         const char *path, review_t *review) {
  rt_client_status_t status;
  int code =
      rt_client_stream(cli->client, "/rectrack.v1.Tracker/ExportReview", bytes,
                       len, cli->timeout_ms, on_chunk, review, &status);
  int rc = 0;
  if (review->write_failed)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "review: cannot write %s: %s",
                     path, strerror(errno));
  else if (code == 12)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR,
                     "review: this server does not implement review export "
                     "(UNIMPLEMENTED): %s",
                     status.message);
  else if (code != 0)
    rc = rt_cli_fail(cli, rt_cli_exit_code_for_status(code), "review: %s (%s)",
                     status.message, rt_client_status_name(code));
  rt_client_status_clear(&status);
  return rc;
}

static int run_review(rt_cli_t *cli, const rt_args_t *args) {
  Rectrack__V1__ExportReviewRequest request =
      RECTRACK__V1__EXPORT_REVIEW_REQUEST__INIT;
  const char *extension = NULL;
  char *path = NULL, *partial = NULL;
  review_t review = {0};
  int rc = review_request(cli, args, &request, &extension);
  if (rc != 0)
    return rc;
  const char *output = rt_args_get(args, "output-file");
  bool to_stdout = output != NULL && strcmp(output, "-") == 0;
  if (output != NULL ? asprintf(&path, "%s", output) < 0
                     : asprintf(&path, "review-%s-%s.%s", request.from_date,
                                request.to_date, extension) < 0)
    return RT_CLI_EXIT_ERROR;
  size_t len = rectrack__v1__export_review_request__get_packed_size(&request);
  uint8_t *bytes = malloc(len + 1);
  if (bytes == NULL || asprintf(&partial, "%s.part", path) < 0) {
    rc = RT_CLI_EXIT_ERROR;
    goto done;
  }
  rectrack__v1__export_review_request__pack(&request, bytes);
  review.file = to_stdout ? cli->out : fopen(partial, "wb");
  if (review.file == NULL) {
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "review: cannot create %s: %s",
                     partial, strerror(errno));
    goto done;
  }
  rc = stream_review(cli, bytes, len, path, &review);
  if (!to_stdout && fclose(review.file) != 0 && rc == 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "review: cannot write %s", path);
  if (!to_stdout && rc == 0 && rename(partial, path) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "review: cannot rename to %s: %s",
                     path, strerror(errno));
  if (!to_stdout && rc != 0)
    remove(partial);
  if (!to_stdout && rc == 0)
    fprintf(cli->out, "Wrote %s (%llu bytes)\n", path,
            (unsigned long long)review.bytes);
done:
  free(bytes);
  free(partial);
  free(path);
  return rc;
}

/* ---- version
 * ----------------------------------------------------------------- */

static int run_version(rt_cli_t *cli, const rt_args_t *args) {
  (void)args;
  fprintf(cli->out, "rectrack %s\n", RT_VERSION);
  return 0;
}

/* ---- backup
 * ------------------------------------------------------------------ */

/* The copy is written by the server, on its machine: a relative path
 * would be relative to wherever rectrackd runs, so it is refused here,
 * before the call, with the reason. */
static int run_backup(rt_cli_t *cli, const rt_args_t *args) {
  const char *dir = args->positional[0];
  if (dir[0] != '/')
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "\"%s\" is not an absolute path: the backup is written "
                       "by the server, on its machine; give the directory as "
                       "a full path there (a new or empty directory)",
                       dir);
  Rectrack__V1__BackupRequest request = RECTRACK__V1__BACKUP_REQUEST__INIT;
  request.dir = (char *)dir;
  ProtobufCMessage *response = NULL;
  int rc = rt_cli_call(cli, "Backup", "backup", &request.base,
                       &rectrack__v1__backup_response__descriptor, &response);
  if (rc != 0)
    return rc;
  const Rectrack__V1__BackupResponse *r = (const void *)response;
  if (cli->format == RT_CLI_FORMAT_TABLE)
    fprintf(cli->out,
            "Backup written on the server to %s: every change up to "
            "revision %llu at least, %lld bytes, %lld ms.\n",
            r->dir, (unsigned long long)r->revision, (long long)r->size_bytes,
            (long long)r->duration_ms);
  else
    rt_cli_print_record(cli, response);
  protobuf_c_message_free_unpacked(response, NULL);
  return 0;
}

static const rt_arg_spec_t no_specs[] = {{NULL, 0, 0, NULL, NULL}};
static const rt_arg_spec_t watch_specs[] = {
    {"from-revision", 0, RT_ARG_VALUE, "N",
     "start at revision N (default: only changes from now on)"},
    {"count", 0, RT_ARG_VALUE, "N", "stop after N changes"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t review_specs[] = {
    {"from", 0, RT_ARG_VALUE, "DATE", "first day of the period (required)"},
    {"to", 0, RT_ARG_VALUE, "DATE", "last day of the period (required)"},
    {"as-of", 0, RT_ARG_VALUE, "DATE", "judge overdue on this day"},
    {"format", 0, RT_ARG_VALUE, "FMT", "html, md, csv, json or xlsx"},
    {"table", 0, RT_ARG_VALUE, "T",
     "csv only: recommendations, commitments, follow-ups, measurements, "
     "pledges, series"},
    {"output-file", 'o', RT_ARG_VALUE, "FILE",
     "where to write (default review-FROM-TO.EXT; - for stdout)"},
    {NULL, 0, 0, NULL, NULL},
};

const rt_cli_command_t rt_cli_misc_commands[] = {
    {"review", NULL, run_review, review_specs,
     "--from DATE --to DATE [options]",
     "Export the follow-up review of a period to a file",
     "rectrack review --from 2024-01-01 --to 2024-12-31 --format xlsx -o "
     "review.xlsx",
     0, 0},
    {"watch", NULL, run_watch, watch_specs, "[--from-revision N]",
     "Print changes as they happen (Ctrl-C to stop)",
     "rectrack watch --from-revision 0 --output json", 0, 0},
    {"status", NULL, run_status, no_specs, "",
     "Show server health, revision and record counts", "rectrack status", 0, 0},
    {"backup", NULL, run_backup, no_specs, "DIR",
     "Have the server write a hot copy of its data into DIR, on its machine "
     "(admin)",
     "rectrack backup /var/backups/rectrack/2026-12-01", 1, 1},
    {"version", NULL, run_version, no_specs, "", "Print the client version",
     "rectrack version", 0, 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};
