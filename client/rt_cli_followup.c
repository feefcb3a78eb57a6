/*
 * Follow-up commands: `follow-up` (record a status report on a
 * recommendation or commitment), `measure` (a value of a quantified
 * commitment), `history` (the reports on one subject, in order, with
 * their review state and who recorded and validated each, and the
 * measurements of a commitment), `overdue` (what is past due and not
 * implemented or withdrawn), and the secretariat's validation: `pending`
 * (what reporters submitted and awaits a decision), `validate` and
 * `return` (the decision on one submission).
 *
 * Values are checked before any call. A report that names the revision it
 * expects (--expect-revision) and loses a race gets ABORTED; the subject is
 * then re-read to tell the user who changed it.
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"
#include "rt_dataset.h"
#include "rt_enum.h"
#include "rt_validate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static ProtobufCMessage *message_new(const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *message = malloc(d->sizeof_message);
  if (message != NULL)
    d->message_init(message);
  return message;
}

static void free_message(void *message) {
  if (message != NULL)
    protobuf_c_message_free_unpacked(message, NULL);
}

static bool is_subject(const char *id) {
  return rt_dataset_is_server_id(id, 'R') || rt_dataset_is_server_id(id, 'C');
}

static int check_subject(rt_cli_t *cli, const char *id) {
  if (is_subject(id))
    return 0;
  return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "\"%s\" is not a recommendation or commitment id (like "
                     "R12 or C3)",
                     id);
}

static int check_date(rt_cli_t *cli, const rt_args_t *args, const char *flag) {
  const char *value = rt_args_get(args, flag);
  rt_error_t err = {0};
  char name[64];
  snprintf(name, sizeof(name), "--%s", flag);
  if (value != NULL && rt_validate_date(value, name, &err) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  return 0;
}

static int check_text(rt_cli_t *cli, const rt_args_t *args, const char *flag,
                      size_t max_len) {
  const char *value = rt_args_get(args, flag);
  rt_error_t err = {0};
  char name[64];
  snprintf(name, sizeof(name), "--%s", flag);
  if (value != NULL && rt_validate_text(value, max_len, false, name, &err) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  return 0;
}

/* ---- follow-up
 * ----------------------------------------------------------------- */

static int parse_status(rt_cli_t *cli, const char *name,
                        Rectrack__V1__Status *status) {
  int value = 0;
  if (rt_enum_parse(&rectrack__v1__status__descriptor, name, &value)) {
    *status = (Rectrack__V1__Status)value;
    return 0;
  }
  return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "--status: unknown value \"%s\" (valid: %s)", name,
                     rt_enum_choices(&rectrack__v1__status__descriptor));
}

static int check_follow_up(rt_cli_t *cli, const rt_args_t *args,
                           Rectrack__V1__Status *status) {
  const char *name = rt_args_get(args, "status");
  rt_error_t err = {0};
  if (name == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "follow-up needs --status STATUS (see --help)");
  int rc = check_subject(cli, args->positional[0]);
  if (rc == 0)
    rc = parse_status(cli, name, status);
  if (rc == 0)
    rc = check_date(cli, args, "as-of");
  if (rc == 0)
    rc = check_text(cli, args, "note", RT_MAX_TEXT_LEN);
  const char *reporter = rt_args_get(args, "reported-by");
  if (rc == 0 && reporter != NULL &&
      rt_validate_slug(reporter, "--reported-by", &err) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  const char *partner = rt_args_get(args, "partner");
  if (rc == 0 && partner != NULL &&
      rt_validate_slug(partner, "--partner", &err) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  for (size_t i = 0; rc == 0 && i < rt_args_count(args, "evidence"); i++) {
    const char *url = rt_args_value(args, "evidence", i);
    if (rt_validate_evidence(url, "--evidence", &err) != 0)
      rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  }
  return rc;
}

static int set_text(ProtobufCMessage *message, const char *field,
                    const char *value) {
  char *error = NULL;
  int rc = value ? rt_cli_set_field(message, field, value, &error) : 0;
  free(error);
  return rc;
}

static int build_follow_up(const rt_args_t *args, Rectrack__V1__Status status,
                           Rectrack__V1__RecordFollowUpRequest *request) {
  Rectrack__V1__FollowUp *report =
      (void *)message_new(&rectrack__v1__follow_up__descriptor);
  if (report == NULL)
    return -1;
  request->follow_up = report;
  report->status = status;
  int rc =
      set_text(&report->base, "subject_id", args->positional[0]) |
      set_text(&report->base, "note", rt_args_get(args, "note")) |
      set_text(&report->base, "reported_by", rt_args_get(args, "reported-by")) |
      set_text(&report->base, "partner_id", rt_args_get(args, "partner")) |
      set_text(&report->base, "as_of", rt_args_get(args, "as-of")) |
      set_text(&request->base, "request_id", rt_args_get(args, "request-id"));
  for (size_t i = 0; i < rt_args_count(args, "evidence"); i++)
    rc |=
        set_text(&report->base, "evidence", rt_args_value(args, "evidence", i));
  const char *revision = rt_args_get(args, "expect-revision");
  if (revision != NULL &&
      rt_cli_parse_uint(revision, &request->expected_revision) != 0)
    rc = 1;
  return rc;
}

/* Who changed the subject since the revision the user expected. */
static int report_conflict(rt_cli_t *cli, const char *id, uint64_t expected) {
  bool rec = id[0] == 'R';
  Rectrack__V1__GetRecommendationRequest request =
      RECTRACK__V1__GET_RECOMMENDATION_REQUEST__INIT;
  request.id = (char *)id;
  ProtobufCMessage *subject = NULL;
  int rc = rt_cli_call(cli, rec ? "GetRecommendation" : "GetCommitment", id,
                       &request.base,
                       rec ? &rectrack__v1__recommendation__descriptor
                           : &rectrack__v1__commitment__descriptor,
                       &subject);
  if (rc == 0) {
    char *by = rt_cli_field_text(subject, "updated_by", false);
    char *revision = rt_cli_field_text(subject, "revision", false);
    rt_cli_fail(cli, 0,
                "%s was changed by %s (now at revision %s, you expected "
                "%llu); nothing was recorded. Check 'rectrack %s show %s' "
                "and re-run.",
                id, by && by[0] ? by : "someone else",
                revision ? revision : "?", (unsigned long long)expected,
                rec ? "rec" : "commit", id);
    free(by);
    free(revision);
  }
  free_message(subject);
  return RT_CLI_EXIT_CONFLICT;
}

static int run_follow_up(rt_cli_t *cli, const rt_args_t *args) {
  Rectrack__V1__Status status = 0;
  Rectrack__V1__RecordFollowUpRequest *request =
      (void *)message_new(&rectrack__v1__record_follow_up_request__descriptor);
  ProtobufCMessage *recorded = NULL;
  rt_client_status_t call_status = {0};
  int rc = request ? check_follow_up(cli, args, &status) : RT_CLI_EXIT_ERROR;
  if (rc == 0 && build_follow_up(args, status, request) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "--expect-revision: not a revision number");
  if (rc == 0) {
    int code = rt_cli_call_quiet(cli, "RecordFollowUp", &request->base,
                                 &rectrack__v1__follow_up__descriptor,
                                 &recorded, &call_status);
    rc = rt_cli_exit_code_for_status(code);
    if (code == 10)
      report_conflict(cli, args->positional[0], request->expected_revision);
    else if (code != 0)
      rt_cli_fail(cli, 0, "follow-up on %s: %s (%s)", args->positional[0],
                  call_status.message, rt_client_status_name(code));
    else
      rt_cli_print_record(cli, recorded);
  }
  rt_client_status_clear(&call_status);
  free_message(recorded);
  free_message(request);
  return rc;
}

/* ---- measure
 * ------------------------------------------------------------------- */

static int run_measure(rt_cli_t *cli, const rt_args_t *args) {
  const char *id = args->positional[0];
  const char *value = rt_args_get(args, "value");
  if (value == NULL || rt_args_get(args, "as-of") == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "measure needs --value V and --as-of DATE");
  if (!rt_dataset_is_server_id(id, 'C'))
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "\"%s\" is not a commitment id (like C3)", id);
  int rc = check_date(cli, args, "as-of");
  if (rc == 0)
    rc = check_text(cli, args, "note", RT_MAX_TEXT_LEN);
  if (rc == 0)
    rc = check_text(cli, args, "source", RT_MAX_URL_LEN);
  rt_error_t err = {0};
  const char *reporter = rt_args_get(args, "reported-by");
  if (rc == 0 && reporter != NULL &&
      rt_validate_slug(reporter, "--reported-by", &err) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  if (rc != 0)
    return rc;
  Rectrack__V1__RecordMeasurementRequest *request = (void *)message_new(
      &rectrack__v1__record_measurement_request__descriptor);
  ProtobufCMessage *measurement =
      message_new(&rectrack__v1__measurement__descriptor);
  ProtobufCMessage *commitment = NULL;
  char *error = NULL;
  request->measurement = (Rectrack__V1__Measurement *)measurement;
  rt_cli_dims_t dims = {0};
  if (rt_cli_parse_dims(cli, args, &dims) != 0) {
    rc = RT_CLI_EXIT_INVALID;
  } else if (rt_cli_set_field(measurement, "value", value, &error) != 0) {
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "--value: \"%s\" is not a number", value);
  } else if (set_text(measurement, "as_of", rt_args_get(args, "as-of")) |
             set_text(measurement, "source", rt_args_get(args, "source")) |
             set_text(measurement, "note", rt_args_get(args, "note")) |
             set_text(measurement, "reported_by",
                      rt_args_get(args, "reported-by")) |
             set_text(&request->base, "commitment_id", id) |
             set_text(&request->base, "request_id",
                      rt_args_get(args, "request-id"))) {
    rc = RT_CLI_EXIT_ERROR;
  } else {
    char what[96];
    snprintf(what, sizeof(what), "measure %s", id);
    request->measurement->dimensions = dims.items;
    request->measurement->n_dimensions = dims.n;
    rc = rt_cli_call(cli, "RecordMeasurement", what, &request->base,
                     &rectrack__v1__commitment__descriptor, &commitment);
    request->measurement->dimensions = NULL;
    request->measurement->n_dimensions = 0;
  }
  if (rc == 0)
    rt_cli_print_record(cli, commitment);
  rt_cli_dims_free(&dims);
  free(error);
  free_message(commitment);
  free_message(request);
  return rc;
}

/* ---- history
 * ------------------------------------------------------------------- */

/* The history tables: each report or measurement with its state, who
 * reported it (BY, an actor) and who recorded it (a principal). Who
 * validated or returned it is in the state, when that is someone else
 * than who recorded it ("validated (secretariat)"); the secretariat's own
 * reports are validated at once, by whoever recorded them. Folding it in
 * keeps the table within a terminal's width; JSON and CSV carry every
 * field instead. */
static const char *const history_headers[] = {
    "REV", "AS OF", "STATUS", "STATE", "BY", "RECORDED", "NOTE"};
#define HISTORY_COLUMNS 7

/* "validated (secretariat)", "submitted", or the state alone when its
 * recorder decided it. malloc'd. */
static char *state_and_reviewer(const ProtobufCMessage *item) {
  char *state = rt_cli_field_text(item, "review_state", false);
  char *recorded = rt_cli_field_text(item, "recorded_by", false);
  char *reviewed = rt_cli_field_text(item, "reviewed_by", false);
  char *text = NULL;
  if (state != NULL && recorded != NULL && reviewed != NULL &&
      reviewed[0] != '\0' && strcmp(recorded, reviewed) != 0 &&
      asprintf(&text, "%s (%s)", state, reviewed) >= 0) {
    free(state);
    state = text;
  }
  free(recorded);
  free(reviewed);
  return state;
}

/* A measurement's last column: its dimensions, if any, then its source
 * ("corridor=GBR-NGA; World Bank RPW"). malloc'd. */
static char *series_and_source(const ProtobufCMessage *item) {
  const Rectrack__V1__Measurement *m = (const void *)item;
  char *source = rt_cli_field_text(item, "source", false);
  if (m->n_dimensions == 0 || source == NULL)
    return source;
  size_t len = strlen(source) + 3;
  for (size_t i = 0; i < m->n_dimensions; i++)
    len += strlen(m->dimensions[i]->key) + strlen(m->dimensions[i]->value) + 2;
  char *text = malloc(len);
  if (text != NULL) {
    text[0] = '\0';
    for (size_t i = 0; i < m->n_dimensions; i++) {
      strcat(text, i ? " " : "");
      strcat(text, m->dimensions[i]->key);
      strcat(text, "=");
      strcat(text, m->dimensions[i]->value);
    }
    if (source[0]) {
      strcat(text, "; ");
      strcat(text, source);
    }
  }
  free(source);
  return text;
}

static void print_history_table(rt_cli_t *cli, const rt_cli_list_t *list,
                                bool measurements) {
  rt_cli_table_t *table = rt_cli_table_new(HISTORY_COLUMNS, history_headers);
  if (table == NULL)
    return;
  if (!measurements)
    rt_cli_table_set_status_column(table, 2);
  for (size_t i = 0; i < list->item_count; i++) {
    const ProtobufCMessage *item = list->items[i];
    char *cells[HISTORY_COLUMNS] = {
        rt_cli_field_text(item, "revision", false),
        rt_cli_field_text(item, "as_of", false),
        rt_cli_field_text(item, measurements ? "value" : "status", false),
        state_and_reviewer(item),
        rt_cli_named_actor(cli, rt_cli_field_text(item, "reported_by", false)),
        rt_cli_field_text(item, "recorded_by", false),
        measurements ? series_and_source(item)
                     : rt_cli_field_text(item, "note", false)};
    rt_cli_table_add_row(table, (const char *const *)cells);
    for (size_t c = 0; c < HISTORY_COLUMNS; c++)
      free(cells[c]);
  }
  rt_cli_table_print(table, cli->out, (size_t)cli->width, cli->color);
  rt_cli_table_free(table);
}

/* A history list in the CLI's output format. */
static void print_history_list(rt_cli_t *cli, const rt_cli_list_t *list,
                               bool measurements) {
  if (cli->format == RT_CLI_FORMAT_TABLE) {
    print_history_table(cli, list, measurements);
    return;
  }
  rt_cli_print_list(cli, list->items, list->item_count, NULL, 0,
                    measurements ? "measurements" : "follow_ups",
                    measurements ? &rectrack__v1__measurement__descriptor
                                 : &rectrack__v1__follow_up__descriptor);
}

/* The measurements of commitment id, only those of the --dim series
 * (every dimension given, and with --exact-series no other). */
static int list_measurements(rt_cli_t *cli, const rt_args_t *args,
                             const char *id, rt_cli_list_t *list) {
  Rectrack__V1__ListMeasurementsRequest *request =
      (void *)message_new(&rectrack__v1__list_measurements_request__descriptor);
  rt_cli_dims_t dims = {0};
  int rc = rt_cli_parse_dims(cli, args, &dims);
  if (rc == 0 &&
      (request == NULL || set_text(&request->base, "commitment_id", id) != 0))
    rc = RT_CLI_EXIT_ERROR;
  if (rc == 0) {
    request->page_size = 500;
    request->dimensions = dims.items;
    request->n_dimensions = dims.n;
    request->exact_series = rt_args_count(args, "exact-series") > 0;
    rc = rt_cli_list_all(cli, "ListMeasurements", "list measurements",
                         &request->base,
                         &rectrack__v1__list_measurements_response__descriptor,
                         "measurements", 0, list);
    request->dimensions = NULL;
    request->n_dimensions = 0;
  }
  rt_cli_dims_free(&dims);
  free_message(request);
  return rc;
}

static void print_history(rt_cli_t *cli, const rt_cli_list_t *follow_ups,
                          const rt_cli_list_t *measurements, bool commitment) {
  if (cli->format == RT_CLI_FORMAT_JSON) {
    json_t *doc = json_object(), *reports = json_array(),
           *values = json_array();
    for (size_t i = 0; i < follow_ups->item_count; i++)
      json_array_append_new(reports,
                            rt_cli_message_to_json(follow_ups->items[i]));
    for (size_t i = 0; i < measurements->item_count; i++)
      json_array_append_new(values,
                            rt_cli_message_to_json(measurements->items[i]));
    json_object_set_new(doc, "follow_ups", reports);
    if (commitment)
      json_object_set_new(doc, "measurements", values);
    else
      json_decref(values);
    rt_cli_print_json(cli, doc, false);
    return;
  }
  if (cli->format == RT_CLI_FORMAT_TABLE)
    fprintf(cli->out, "Follow-ups (%zu):\n", follow_ups->item_count);
  print_history_list(cli, follow_ups, false);
  if (commitment && cli->format == RT_CLI_FORMAT_TABLE) {
    fprintf(cli->out, "\nMeasurements (%zu):\n", measurements->item_count);
    print_history_list(cli, measurements, true);
  }
}

/* measurements_only: `rectrack measurements`, or history with --dim. */
static int show_history(rt_cli_t *cli, const rt_args_t *args,
                        bool measurements_only) {
  const char *id = args->positional[0];
  rt_cli_list_t follow_ups = {0}, measurements = {0};
  int rc = check_subject(cli, id);
  if (rc != 0)
    return rc;
  bool commitment = id[0] == 'C';
  bool only_measurements =
      measurements_only || rt_args_count(args, "measurements") > 0 ||
      rt_args_count(args, "dim") > 0 || rt_args_count(args, "exact-series") > 0;
  if (!commitment && only_measurements)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "--measurements, --dim: %s is not a commitment", id);
  Rectrack__V1__ListFollowUpsRequest *request =
      (void *)message_new(&rectrack__v1__list_follow_ups_request__descriptor);
  if (request == NULL || set_text(&request->base, "subject_id", id) != 0)
    rc = RT_CLI_EXIT_ERROR;
  if (rc == 0) {
    request->page_size = 500;
    rc = rt_cli_list_all(cli, "ListFollowUps", "history", &request->base,
                         &rectrack__v1__list_follow_ups_response__descriptor,
                         "follow_ups", 0, &follow_ups);
  }
  if (rc == 0 && commitment)
    rc = list_measurements(cli, args, id, &measurements);
  if (rc == 0 && only_measurements)
    print_history_list(cli, &measurements, true);
  else if (rc == 0)
    print_history(cli, &follow_ups, &measurements, commitment);
  rt_cli_list_free(&follow_ups);
  rt_cli_list_free(&measurements);
  free_message(request);
  return rc;
}

static int run_history(rt_cli_t *cli, const rt_args_t *args) {
  return show_history(cli, args, false);
}

static int run_measurements(rt_cli_t *cli, const rt_args_t *args) {
  return show_history(cli, args, true);
}

/* ---- overdue
 * ------------------------------------------------------------------- */

static void today(char out[11]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

static int list_overdue(rt_cli_t *cli, const char *as_of, bool commitments,
                        rt_cli_list_t *list) {
  const ProtobufCMessageDescriptor *d =
      commitments ? &rectrack__v1__list_commitments_request__descriptor
                  : &rectrack__v1__list_recommendations_request__descriptor;
  ProtobufCMessage *request = message_new(d);
  int rc = RT_CLI_EXIT_ERROR;
  if (request != NULL && set_text(request, "as_of", as_of) == 0 &&
      set_text(request, "overdue_only", "true") == 0 &&
      set_text(request, "page_size", "500") == 0)
    rc = rt_cli_list_all(
        cli, commitments ? "ListCommitments" : "ListRecommendations",
        "list overdue", request,
        commitments ? &rectrack__v1__list_commitments_response__descriptor
                    : &rectrack__v1__list_recommendations_response__descriptor,
        commitments ? "commitments" : "recommendations", 0, list);
  free_message(request);
  return rc;
}

static const char *const overdue_headers[] = {"ID",   "STATUS", "DUE",
                                              "DAYS", "ACTOR",  "TITLE"};

/* Days from the item's due date to as_of; -1 without a due date. */
static long days_overdue(const ProtobufCMessage *item, const char *as_of) {
  char *due_text = rt_cli_field_text(item, "due_date", false);
  long due = 0, now = 0, days = -1;
  if (due_text && rt_date_to_days(due_text, &due) == 0 &&
      rt_date_to_days(as_of, &now) == 0)
    days = now - due;
  free(due_text);
  return days;
}

static void overdue_row(rt_cli_t *cli, rt_cli_table_t *table,
                        const ProtobufCMessage *item, const char *as_of) {
  const char *actor_field =
      item->descriptor == &rectrack__v1__commitment__descriptor
          ? "actor_id"
          : "lead_actor_id";
  char *cells[6] = {rt_cli_field_text(item, "id", false),
                    rt_cli_field_text(item, "status", false),
                    rt_cli_field_text(item, "due_date", false),
                    NULL,
                    rt_cli_field_text(item, actor_field, false),
                    rt_cli_field_text(item, "title", false)};
  long days = days_overdue(item, as_of);
  if (days >= 0 && asprintf(&cells[3], "%ld", days) < 0)
    cells[3] = NULL;
  /* The table names the actor; CSV keeps the id, as the record does. */
  if (cli->format == RT_CLI_FORMAT_TABLE)
    cells[4] = rt_cli_named_actor(cli, cells[4]);
  if (cli->format == RT_CLI_FORMAT_CSV) {
    for (size_t c = 0; c < 6; c++) {
      if (c > 0)
        fputc(',', cli->out);
      rt_cli_csv_field(cli->out, cells[c] ? cells[c] : "");
    }
    fputs("\r\n", cli->out);
  } else {
    rt_cli_table_add_row(table, (const char *const *)cells);
  }
  for (size_t c = 0; c < 6; c++)
    free(cells[c]);
}

static void print_overdue(rt_cli_t *cli, const rt_cli_list_t *lists,
                          const char *as_of) {
  if (cli->format == RT_CLI_FORMAT_JSON) {
    json_t *doc = json_pack("{s:s}", "as_of", as_of);
    const char *keys[2] = {"recommendations", "commitments"};
    for (size_t l = 0; l < 2; l++) {
      json_t *array = json_array();
      for (size_t i = 0; i < lists[l].item_count; i++) {
        json_t *item = rt_cli_message_to_json(lists[l].items[i]);
        long days = days_overdue(lists[l].items[i], as_of);
        if (json_is_object(item) && days >= 0)
          json_object_set_new(item, "days_overdue", json_integer(days));
        json_array_append_new(array, item);
      }
      json_object_set_new(doc, keys[l], array);
    }
    rt_cli_print_json(cli, doc, false);
    return;
  }
  rt_cli_table_t *table = rt_cli_table_new(6, overdue_headers);
  rt_cli_table_set_status_column(table, 1);
  if (cli->format == RT_CLI_FORMAT_CSV)
    fputs("id,status,due_date,days_overdue,actor,title\r\n", cli->out);
  for (size_t l = 0; l < 2; l++) {
    for (size_t i = 0; i < lists[l].item_count; i++)
      overdue_row(cli, table, lists[l].items[i], as_of);
  }
  if (cli->format == RT_CLI_FORMAT_TABLE) {
    fprintf(cli->out,
            "Overdue as of %s: %zu recommendation(s), %zu "
            "commitment(s)\n",
            as_of, lists[0].item_count, lists[1].item_count);
    if (lists[0].item_count + lists[1].item_count > 0)
      rt_cli_table_print(table, cli->out, (size_t)cli->width, cli->color);
  }
  rt_cli_table_free(table);
}

static int run_overdue(rt_cli_t *cli, const rt_args_t *args) {
  char as_of[11];
  rt_cli_list_t lists[2] = {{0}, {0}};
  int rc = check_date(cli, args, "as-of");
  if (rc != 0)
    return rc;
  if (rt_args_get(args, "as-of") != NULL)
    snprintf(as_of, sizeof(as_of), "%s", rt_args_get(args, "as-of"));
  else
    today(as_of);
  rc = list_overdue(cli, as_of, false, &lists[0]);
  if (rc == 0)
    rc = list_overdue(cli, as_of, true, &lists[1]);
  if (rc == 0)
    print_overdue(cli, lists, as_of);
  rt_cli_list_free(&lists[0]);
  rt_cli_list_free(&lists[1]);
  return rc;
}

/* ---- pending, validate, return
 * ----------------------------------------------------------- */

/* What the pending listing collects: every page it read (for the items'
 * memory) and the submissions found, each with its subject. */
typedef struct pending {
  rt_cli_list_t *lists;
  size_t list_count;
  struct submission {
    const ProtobufCMessage *subject; /* Recommendation or Commitment */
    const ProtobufCMessage *item;    /* FollowUp or Measurement */
  } * rows;
  size_t row_count;
} pending_t;

static void pending_free(pending_t *p) {
  for (size_t i = 0; i < p->list_count; i++)
    rt_cli_list_free(&p->lists[i]);
  free(p->lists);
  free(p->rows);
  memset(p, 0, sizeof *p);
}

/* A new list slot in p, or NULL when out of memory. */
static rt_cli_list_t *pending_list(pending_t *p) {
  rt_cli_list_t *lists = realloc(p->lists, (p->list_count + 1) * sizeof *lists);
  if (lists == NULL)
    return NULL;
  p->lists = lists;
  memset(&lists[p->list_count], 0, sizeof *lists);
  return &lists[p->list_count++];
}

static bool is_submitted(const ProtobufCMessage *item) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(item->descriptor,
                                                      "review_state");
  return *(const int *)((const char *)item + f->offset) ==
         RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
}

/* Lists method's records of subject (follow-ups or measurements) and
 * keeps those awaiting validation. */
static int collect_submissions(rt_cli_t *cli, pending_t *p,
                               const ProtobufCMessage *subject,
                               bool measurements) {
  const ProtobufCMessageDescriptor *d =
      measurements ? &rectrack__v1__list_measurements_request__descriptor
                   : &rectrack__v1__list_follow_ups_request__descriptor;
  ProtobufCMessage *request = message_new(d);
  rt_cli_list_t *list = pending_list(p);
  char *id = rt_cli_field_text(subject, "id", true);
  int rc = RT_CLI_EXIT_ERROR;
  if (request != NULL && list != NULL && id != NULL &&
      set_text(request, measurements ? "commitment_id" : "subject_id", id) ==
          0 &&
      set_text(request, "page_size", "500") == 0)
    rc = rt_cli_list_all(
        cli, measurements ? "ListMeasurements" : "ListFollowUps",
        "list submissions", request,
        measurements ? &rectrack__v1__list_measurements_response__descriptor
                     : &rectrack__v1__list_follow_ups_response__descriptor,
        measurements ? "measurements" : "follow_ups", 0, list);
  for (size_t i = 0; rc == 0 && list && i < list->item_count; i++) {
    if (!is_submitted(list->items[i]))
      continue;
    struct submission *rows =
        realloc(p->rows, (p->row_count + 1) * sizeof *rows);
    if (rows == NULL) {
      rc = RT_CLI_EXIT_ERROR;
      break;
    }
    p->rows = rows;
    rows[p->row_count++] = (struct submission){subject, list->items[i]};
  }
  free(id);
  free_message(request);
  return rc;
}

/* The subjects with submissions awaiting validation (of actor, when not
 * NULL), recommendations or commitments, and their submissions. */
static int collect_pending(rt_cli_t *cli, pending_t *p, const char *actor,
                           bool commitments) {
  const ProtobufCMessageDescriptor *d =
      commitments ? &rectrack__v1__list_commitments_request__descriptor
                  : &rectrack__v1__list_recommendations_request__descriptor;
  ProtobufCMessage *request = message_new(d);
  rt_cli_list_t *subjects = pending_list(p);
  int rc = RT_CLI_EXIT_ERROR;
  if (request != NULL && subjects != NULL &&
      set_text(request, "pending_validation", "true") == 0 &&
      set_text(request, "include_archived", "true") == 0 &&
      set_text(request, "page_size", "500") == 0 &&
      set_text(request, "actor_id", actor) == 0)
    rc = rt_cli_list_all(
        cli, commitments ? "ListCommitments" : "ListRecommendations",
        "list pending", request,
        commitments ? &rectrack__v1__list_commitments_response__descriptor
                    : &rectrack__v1__list_recommendations_response__descriptor,
        commitments ? "commitments" : "recommendations", 0, subjects);
  free_message(request);
  /* subjects may move when p->lists grows: keep its items, not it. */
  size_t count = rc == 0 ? subjects->item_count : 0;
  const ProtobufCMessage **items = count ? subjects->items : NULL;
  for (size_t i = 0; rc == 0 && i < count; i++) {
    rc = collect_submissions(cli, p, items[i], false);
    if (rc == 0 && commitments)
      rc = collect_submissions(cli, p, items[i], true);
  }
  return rc;
}

static const char *const pending_headers[] = {
    "SUBJECT", "REV", "KIND", "AS OF", "REPORTS", "BY", "RECORDED BY", "NOTE"};
#define PENDING_COLUMNS 8

/* The cells of one submission (malloc'd; free each). */
static void pending_cells(const struct submission *row, char **cells) {
  bool measurement =
      row->item->descriptor == &rectrack__v1__measurement__descriptor;
  cells[0] = rt_cli_field_text(row->subject, "id", false);
  cells[1] = rt_cli_field_text(row->item, "revision", false);
  cells[2] = strdup(measurement ? "measurement" : "follow-up");
  cells[3] = rt_cli_field_text(row->item, "as_of", false);
  cells[4] =
      rt_cli_field_text(row->item, measurement ? "value" : "status", false);
  cells[5] = rt_cli_field_text(row->item, "reported_by", false);
  cells[6] = rt_cli_field_text(row->item, "recorded_by", false);
  cells[7] = rt_cli_field_text(row->item, "note", false);
}

static void print_pending(rt_cli_t *cli, const pending_t *p) {
  if (cli->format == RT_CLI_FORMAT_JSON) {
    json_t *array = json_array();
    for (size_t i = 0; i < p->row_count; i++) {
      const struct submission *row = &p->rows[i];
      bool measurement =
          row->item->descriptor == &rectrack__v1__measurement__descriptor;
      char *id = rt_cli_field_text(row->subject, "id", true);
      json_array_append_new(
          array, json_pack("{s:s, s:s, s:o}", "subject_id", id ? id : "",
                           "kind", measurement ? "measurement" : "follow-up",
                           measurement ? "measurement" : "follow_up",
                           rt_cli_message_to_json(row->item)));
      free(id);
    }
    json_t *doc = json_object();
    json_object_set_new(doc, "submissions", array);
    rt_cli_print_json(cli, doc, false);
    return;
  }
  rt_cli_table_t *table = rt_cli_table_new(PENDING_COLUMNS, pending_headers);
  if (cli->format == RT_CLI_FORMAT_CSV)
    fputs("subject_id,revision,kind,as_of,reports,reported_by,recorded_by,"
          "note\r\n",
          cli->out);
  for (size_t i = 0; i < p->row_count; i++) {
    char *cells[PENDING_COLUMNS];
    pending_cells(&p->rows[i], cells);
    if (cli->format == RT_CLI_FORMAT_CSV) {
      for (size_t c = 0; c < PENDING_COLUMNS; c++) {
        if (c > 0)
          fputc(',', cli->out);
        rt_cli_csv_field(cli->out, cells[c] ? cells[c] : "");
      }
      fputs("\r\n", cli->out);
    } else {
      cells[5] = rt_cli_named_actor(cli, cells[5]); /* BY: a name */
      rt_cli_table_add_row(table, (const char *const *)cells);
    }
    for (size_t c = 0; c < PENDING_COLUMNS; c++)
      free(cells[c]);
  }
  if (cli->format == RT_CLI_FORMAT_TABLE) {
    fprintf(cli->out, "Awaiting validation: %zu submission(s)\n", p->row_count);
    if (p->row_count > 0) {
      rt_cli_table_print(table, cli->out, (size_t)cli->width, cli->color);
      fprintf(cli->out, "Decide with 'rectrack validate SUBJECT --revision "
                        "REV' or 'rectrack return SUBJECT --revision REV "
                        "--note WHY'.\n");
    }
  }
  rt_cli_table_free(table);
}

static int run_pending(rt_cli_t *cli, const rt_args_t *args) {
  const char *actor = rt_args_get(args, "actor");
  rt_error_t err = {0};
  if (actor != NULL && rt_validate_slug(actor, "--actor", &err) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  pending_t p = {0};
  int rc = collect_pending(cli, &p, actor, false);
  if (rc == 0)
    rc = collect_pending(cli, &p, actor, true);
  if (rc == 0)
    print_pending(cli, &p);
  pending_free(&p);
  return rc;
}

/* "R3: the follow-up recorded at revision 12 is validated; R3 is now
 * implemented (by sec-a, revision 14)." */
static void print_decision(rt_cli_t *cli,
                           const Rectrack__V1__ValidateSubmissionResponse *r) {
  if (cli->format != RT_CLI_FORMAT_TABLE) {
    rt_cli_print_record(cli, &r->base);
    return;
  }
  const ProtobufCMessage *item = r->follow_up
                                     ? &r->follow_up->base
                                     : (const ProtobufCMessage *)r->measurement;
  const ProtobufCMessage *subject =
      r->recommendation ? &r->recommendation->base
                        : (const ProtobufCMessage *)r->commitment;
  if (item == NULL || subject == NULL)
    return;
  char *id = rt_cli_field_text(subject, "id", false);
  char *revision = rt_cli_field_text(item, "revision", false);
  char *state = rt_cli_field_text(item, "review_state", false);
  char *by = rt_cli_field_text(item, "reviewed_by", false);
  char *status = rt_cli_field_text(subject, "status", false);
  fprintf(cli->out,
          "%s: the %s recorded at revision %s is %s by %s; %s is "
          "%s.\n",
          id, r->follow_up ? "follow-up" : "measurement", revision, state, by,
          id, status);
  if (r->commitment != NULL && r->measurement != NULL) {
    char *latest = rt_cli_field_text(subject, "latest_value", false);
    char *trajectory = rt_cli_field_text(subject, "trajectory", false);
    fprintf(cli->out, "Latest value %s, %s.\n", latest, trajectory);
    free(latest);
    free(trajectory);
  }
  free(id);
  free(revision);
  free(state);
  free(by);
  free(status);
}

/* validate and return: the decision on one submission. */
static int run_decision(rt_cli_t *cli, const rt_args_t *args,
                        Rectrack__V1__ReviewState decision) {
  const char *id = args->positional[0];
  const char *revision = rt_args_get(args, "revision");
  const char *note = rt_args_get(args, "note");
  bool returning =
      decision == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED;
  int rc = check_subject(cli, id);
  if (rc != 0)
    return rc;
  if (revision == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "--revision N is required: the REV of the submission "
                       "in 'rectrack pending' or 'rectrack history %s'",
                       id);
  if (returning && (note == NULL || note[0] == '\0'))
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "--note TEXT is required: say why the submission is "
                       "returned, so that the reporter can correct it");
  if ((rc = check_text(cli, args, "note", RT_MAX_TEXT_LEN)) != 0)
    return rc;
  Rectrack__V1__ValidateSubmissionRequest request =
      RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
  if (rt_cli_parse_uint(revision, &request.revision) != 0 ||
      request.revision == 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--revision: \"%s\" is not a revision number", revision);
  request.subject_id = (char *)id;
  request.decision = decision;
  request.note = (char *)(note ? note : "");
  request.request_id =
      (char *)(rt_args_get(args, "request-id") ? rt_args_get(args, "request-id")
                                               : "");
  char what[96];
  snprintf(what, sizeof(what), "%s %s", returning ? "return" : "validate", id);
  ProtobufCMessage *response = NULL;
  rc = rt_cli_call(cli, "ValidateSubmission", what, &request.base,
                   &rectrack__v1__validate_submission_response__descriptor,
                   &response);
  if (rc == 0)
    print_decision(cli, (const void *)response);
  free_message(response);
  return rc;
}

static int run_validate(rt_cli_t *cli, const rt_args_t *args) {
  return run_decision(cli, args,
                      RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED);
}

static int run_return(rt_cli_t *cli, const rt_args_t *args) {
  return run_decision(cli, args,
                      RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED);
}

/* ---- command table
 * --------------------------------------------------------------- */

static const rt_arg_spec_t follow_up_specs[] = {
    {"status", 0, RT_ARG_VALUE, "STATUS",
     "new status: no-information, not-started, in-progress, "
     "partially-implemented, implemented, stalled, withdrawn (required)"},
    {"note", 0, RT_ARG_VALUE, "TEXT", "what happened"},
    {"evidence", 0, RT_ARG_MULTI, "URL", "link to evidence"},
    {"reported-by", 0, RT_ARG_VALUE, "ACTOR", "actor id of the reporter"},
    {"partner", 0, RT_ARG_VALUE, "ACTOR",
     "the partner of a joint pledge whose part this reports (a partner's "
     "reporter: its own by default)"},
    {"as-of", 0, RT_ARG_VALUE, "DATE", "date the report speaks of"},
    {"expect-revision", 0, RT_ARG_VALUE, "N",
     "fail unless the subject is at revision N"},
    {"request-id", 0, RT_ARG_VALUE, "ID", "makes the call idempotent"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t measure_specs[] = {
    {"value", 0, RT_ARG_VALUE, "V", "the measured value (required)"},
    {"as-of", 0, RT_ARG_VALUE, "DATE", "date the value speaks of (required)"},
    {"source", 0, RT_ARG_VALUE, "TEXT", "where the figure comes from"},
    {"note", 0, RT_ARG_VALUE, "TEXT", "remark"},
    {"reported-by", 0, RT_ARG_VALUE, "ACTOR",
     "actor id of the reporter (a reporter's own actor by default)"},
    {"dim", 0, RT_ARG_MULTI, "KEY=VALUE",
     "a dimension of the value's series, e.g. corridor=GBR-NGA (rectrack "
     "ref dimensions lists the keys)"},
    {"request-id", 0, RT_ARG_VALUE, "ID", "makes the call idempotent"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t history_specs[] = {
    {"measurements", 0, RT_ARG_FLAG, NULL,
     "only the measurements of a commitment (e.g. for --output csv)"},
    {"dim", 0, RT_ARG_MULTI, "KEY=VALUE",
     "only measurements carrying this dimension (implies --measurements)"},
    {"exact-series", 0, RT_ARG_FLAG, NULL,
     "only measurements with exactly the --dim dimensions (none: the "
     "overall figure)"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t overdue_specs[] = {
    {"as-of", 0, RT_ARG_VALUE, "DATE", "judge on this day (default: today)"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t pending_specs[] = {
    {"actor", 0, RT_ARG_VALUE, "ACTOR",
     "only subjects addressed to, led by or pledged by this actor"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t validate_specs[] = {
    {"revision", 0, RT_ARG_VALUE, "N",
     "the revision the submission was recorded at (required)"},
    {"note", 0, RT_ARG_VALUE, "TEXT", "what was checked"},
    {"request-id", 0, RT_ARG_VALUE, "ID", "makes the call idempotent"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t return_specs[] = {
    {"revision", 0, RT_ARG_VALUE, "N",
     "the revision the submission was recorded at (required)"},
    {"note", 0, RT_ARG_VALUE, "TEXT", "why it is returned (required)"},
    {"request-id", 0, RT_ARG_VALUE, "ID", "makes the call idempotent"},
    {NULL, 0, 0, NULL, NULL},
};

const rt_cli_command_t rt_cli_followup_commands[] = {
    {"follow-up", NULL, run_follow_up, follow_up_specs,
     "SUBJECT --status STATUS [options]",
     "Record a follow-up report on a recommendation or commitment",
     "rectrack follow-up R3 --status in-progress --note \"Bill tabled\" "
     "--evidence https://example.org/bill --reported-by bgd --as-of "
     "2024-05-01",
     1, 1},
    {"measure", NULL, run_measure, measure_specs,
     "COMMITMENT --value V --as-of DATE [options]",
     "Record a measurement of a quantified commitment",
     "rectrack measure C1 --value 5.1 --as-of 2024-06-30 --source \"World "
     "Bank RPW\"",
     1, 1},
    {"measurements", NULL, run_measurements, history_specs,
     "COMMITMENT [--dim KEY=VALUE ...] [--exact-series]",
     "List the measurements of a commitment, or of one series",
     "rectrack measurements C1 --dim corridor=GBR-NGA", 1, 1},
    {"history", NULL, run_history, history_specs, "SUBJECT",
     "Show the follow-ups (and measurements) of a subject in order, with "
     "their state and who recorded and validated each",
     "rectrack history C1", 1, 1},
    {"overdue", NULL, run_overdue, overdue_specs, "[--as-of DATE]",
     "List overdue recommendations and commitments",
     "rectrack overdue --as-of 2025-01-01", 0, 0},
    {"pending", NULL, run_pending, pending_specs, "[--actor ACTOR]",
     "List the reports and measurements awaiting validation",
     "rectrack pending --actor phl", 0, 0},
    {"validate", NULL, run_validate, validate_specs,
     "SUBJECT --revision N [--note TEXT]",
     "Validate a submission: it becomes official",
     "rectrack validate C4 --revision 112 --note \"Matches the gazette\"", 1,
     1},
    {"return", NULL, run_return, return_specs,
     "SUBJECT --revision N --note TEXT",
     "Return a submission to its reporter: it never counts",
     "rectrack return C4 --revision 112 --note \"Figure is for 2023, not "
     "2024\"",
     1, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};
