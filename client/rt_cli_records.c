/*
 * The record commands: `source`, `actor`, `rec` and `commit`, each with
 * add / show / list and (for recommendations and commitments) edit and
 * archive.
 *
 * The four record types differ only in data, so each is described once
 * (record_type_t: its messages, methods, the flags that set its fields,
 * the columns of its listing) and the verbs are written once against that
 * description. Every value given on the command line is checked here
 * (dates, SDG targets, GCM objectives, slugs, enum names) before any call
 * is made, so that a typo costs no round trip and names the flag.
 *
 * edit builds the update mask from the flags given; without
 * --expect-revision it reads the record first and sends the revision it
 * read, so a concurrent change is never overwritten silently. A conflict
 * (ABORTED) re-reads the record to tell who changed it.
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"
#include "rt_dataset.h"
#include "rt_validate.h"

#include <stdlib.h>
#include <string.h>

/* How a flag's value is checked before it goes into a field. */
typedef enum value_kind {
  V_TEXT = 0, /* short text */
  V_LONG,     /* long text (recommendation text) */
  V_TITLE,
  V_SLUG,
  V_DATE,
  V_SDG,
  V_GCM,
  V_ENUM,
  V_NUMBER,
  V_UINT,
  V_COUNTRY,
  V_URL,
  V_BOOL,      /* a flag without value: sets the field true */
  V_YES_NO,    /* "true" / "false" */
  V_SERVER_ID, /* "R12" */
} value_kind_t;

typedef struct field_flag {
  const char *flag;  /* without dashes */
  const char *field; /* in the record (or the list request) */
  value_kind_t kind;
} field_flag_t;

typedef struct record_type {
  const char *noun;   /* "recommendation" */
  const char *method; /* "Recommendation" */
  const char *plural; /* list field: "recommendations" */
  const ProtobufCMessageDescriptor *record;
  const ProtobufCMessageDescriptor *create_request;
  const ProtobufCMessageDescriptor *get_request;
  const ProtobufCMessageDescriptor *update_request;
  const ProtobufCMessageDescriptor *list_request;
  const ProtobufCMessageDescriptor *list_response;
  const field_flag_t *fields;  /* add / edit */
  const field_flag_t *filters; /* list */
  const char *const *required; /* flags add needs */
  const rt_cli_column_t *columns;
  size_t column_count;
  bool caller_chooses_id; /* sources and actors: add takes the id */
} record_type_t;

/* ---- value checks
 * ------------------------------------------------------------ */

static int check_value(rt_cli_t *cli, const field_flag_t *ff,
                       const char *value) {
  rt_error_t err = {0};
  char flag[64];
  uint64_t number = 0;
  int rc = 0;
  snprintf(flag, sizeof(flag), "--%s", ff->flag);
  switch (ff->kind) {
  case V_TEXT:
    rc = rt_validate_text(value, RT_MAX_SHORT_LEN, false, flag, &err);
    break;
  case V_LONG:
    rc = rt_validate_text(value, RT_MAX_TEXT_LEN, false, flag, &err);
    break;
  case V_TITLE:
    rc = rt_validate_text(value, RT_MAX_TITLE_LEN, true, flag, &err);
    break;
  case V_URL:
    rc = rt_validate_text(value, RT_MAX_URL_LEN, false, flag, &err);
    break;
  case V_SLUG:
    rc = rt_validate_slug(value, flag, &err);
    break;
  case V_DATE:
    rc = rt_validate_date(value, flag, &err);
    break;
  case V_SDG:
    rc = rt_validate_sdg_target(value, flag, &err);
    break;
  case V_COUNTRY:
    rc = rt_validate_country(value, flag, &err);
    break;
  case V_GCM:
    if (rt_cli_parse_uint(value, &number) != 0 || number > 23)
      return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                         "%s: \"%s\" is not a GCM objective (1..23)", flag,
                         value);
    rc = rt_validate_gcm_objective((int)number, flag, &err);
    break;
  case V_SERVER_ID:
    if (!rt_dataset_is_server_id(value, 'R'))
      return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                         "%s: \"%s\" is not a recommendation id (like R12)",
                         flag, value);
    break;
  case V_UINT:
    if (rt_cli_parse_uint(value, &number) != 0)
      return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                         "%s: \"%s\" is not a whole number", flag, value);
    break;
  default:
    break; /* enums, numbers, bools: checked when the field is set */
  }
  if (rc != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  return 0;
}

/* Checks value and stores it in field ff->field of message. */
static int apply_value(rt_cli_t *cli, ProtobufCMessage *message,
                       const field_flag_t *ff, const char *value) {
  int rc = check_value(cli, ff, value);
  if (rc != 0)
    return rc;
  char *error = NULL;
  if (rt_cli_set_field(message, ff->field, ff->kind == V_BOOL ? "true" : value,
                       &error) == 0)
    return 0;
  const char *detail = error ? strchr(error, ':') : NULL;
  rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "--%s%s", ff->flag,
                   detail ? detail : ": bad value");
  free(error);
  return rc;
}

static size_t *mask_count(ProtobufCMessage *request, char ***names) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(request->descriptor,
                                                      "update_mask");
  *names = *(char ***)((char *)request + f->offset);
  return (size_t *)((char *)request + f->quantifier_offset);
}

/* Adds the top-level field of path ("indicator" for "indicator.unit") to
 * the update mask once. */
static int add_to_mask(ProtobufCMessage *request, const char *path) {
  char **names = NULL;
  size_t count = *mask_count(request, &names);
  size_t len = strcspn(path, ".");
  for (size_t i = 0; i < count; i++) {
    if (strlen(names[i]) == len && strncmp(names[i], path, len) == 0)
      return 0;
  }
  char *top = strndup(path, len), *error = NULL;
  int rc = top ? rt_cli_set_field(request, "update_mask", top, &error) : -1;
  free(top);
  free(error);
  return rc;
}

/* Applies every flag of table that was given; names the fields set in
 * *mask (may be NULL). */
static int apply_flags(rt_cli_t *cli, const rt_args_t *args,
                       const field_flag_t *table, ProtobufCMessage *message,
                       ProtobufCMessage *mask_owner) {
  for (const field_flag_t *ff = table; ff->flag != NULL; ff++) {
    size_t count = rt_args_count(args, ff->flag);
    for (size_t i = 0; i < count; i++) {
      int rc = apply_value(cli, message, ff, rt_args_value(args, ff->flag, i));
      if (rc != 0)
        return rc;
    }
    if (count > 0 && mask_owner != NULL && add_to_mask(mask_owner, ff->field))
      return RT_CLI_EXIT_ERROR;
  }
  return 0;
}

static ProtobufCMessage *message_new(const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *message = malloc(d->sizeof_message);
  if (message != NULL)
    d->message_init(message);
  return message;
}

/* Puts record into request field `noun` (the request then owns it). */
static void attach(ProtobufCMessage *request, const char *noun,
                   ProtobufCMessage *record) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(request->descriptor,
                                                      noun);
  *(ProtobufCMessage **)((char *)request + f->offset) = record;
}

static void free_message(ProtobufCMessage *message) {
  if (message != NULL)
    protobuf_c_message_free_unpacked(message, NULL);
}

static uint64_t record_revision(const ProtobufCMessage *record) {
  char *text = rt_cli_field_text(record, "revision", true);
  uint64_t revision = 0;
  if (text != NULL)
    rt_cli_parse_uint(text, &revision);
  free(text);
  return revision;
}

/* ---- verbs
 * ------------------------------------------------------------------- */

static int get_record(rt_cli_t *cli, const record_type_t *type, const char *id,
                      ProtobufCMessage **record) {
  char method[64], what[128];
  ProtobufCMessage *request = message_new(type->get_request);
  char *error = NULL;
  int rc = RT_CLI_EXIT_ERROR;
  snprintf(method, sizeof(method), "Get%s", type->method);
  snprintf(what, sizeof(what), "%s %s", type->noun, id);
  if (request != NULL && rt_cli_set_field(request, "id", id, &error) == 0)
    rc = rt_cli_call(cli, method, what, request, type->record, record);
  free(error);
  free_message(request);
  return rc;
}

static int run_show(rt_cli_t *cli, const rt_args_t *args,
                    const record_type_t *type) {
  ProtobufCMessage *record = NULL;
  int rc = get_record(cli, type, args->positional[0], &record);
  if (rc == 0)
    rt_cli_print_record(cli, record);
  if (rc == 0)
    rt_cli_print_series_summary(cli, record);
  if (rc == 0)
    rt_cli_print_pledge_summary(cli, record);
  free_message(record);
  return rc;
}

static int check_required(rt_cli_t *cli, const rt_args_t *args,
                          const record_type_t *type, const char *verb) {
  for (size_t i = 0; type->required != NULL && type->required[i]; i++) {
    if (rt_args_get(args, type->required[i]) == NULL)
      return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                         "%s %s needs --%s (see --help)", type->noun, verb,
                         type->required[i]);
  }
  return 0;
}

static int run_add(rt_cli_t *cli, const rt_args_t *args,
                   const record_type_t *type) {
  char method[64], what[128];
  ProtobufCMessage *request = message_new(type->create_request);
  ProtobufCMessage *record = message_new(type->record);
  ProtobufCMessage *created = NULL;
  char *error = NULL;
  int rc = check_required(cli, args, type, "add");
  if (request == NULL || record == NULL)
    rc = RT_CLI_EXIT_ERROR;
  if (rc == 0 && type->caller_chooses_id) {
    field_flag_t id_flag = {"id", "id", V_SLUG};
    rc = apply_value(cli, record, &id_flag, args->positional[0]);
  }
  if (rc == 0)
    rc = apply_flags(cli, args, type->fields, record, NULL);
  const char *request_id = rt_args_get(args, "request-id");
  if (rc == 0 && request_id != NULL &&
      rt_cli_set_field(request, "request_id", request_id, &error) != 0)
    rc = RT_CLI_EXIT_ERROR;
  attach(request, type->noun, record);
  record = NULL;
  snprintf(method, sizeof(method), "Create%s", type->method);
  snprintf(what, sizeof(what), "add %s", type->noun);
  if (rc == 0)
    rc = rt_cli_call(cli, method, what, request, type->record, &created);
  if (rc == 0)
    rt_cli_print_record(cli, created);
  free(error);
  free_message(created);
  free_message(record);
  free_message(request);
  return rc;
}

/* After ABORTED: says who changed the record since it was read. */
static int report_conflict(rt_cli_t *cli, const record_type_t *type,
                           const char *id, uint64_t expected) {
  ProtobufCMessage *current = NULL;
  if (get_record(cli, type, id, &current) != 0)
    return RT_CLI_EXIT_CONFLICT;
  char *by = rt_cli_field_text(current, "updated_by", false);
  rt_cli_fail(cli, 0,
              "%s %s was changed by %s (now at revision %llu, you expected "
              "%llu); nothing was written.",
              type->noun, id, by && by[0] ? by : "someone else",
              (unsigned long long)record_revision(current),
              (unsigned long long)expected);
  fprintf(cli->err,
          "hint: check 'rectrack %s show %s', then re-run the "
          "command.\n",
          type->noun[0] == 'r'   ? "rec"
          : type->noun[0] == 'c' ? "commit"
                                 : type->noun,
          id);
  free(by);
  free_message(current);
  return RT_CLI_EXIT_CONFLICT;
}

/* The revision the update must expect: --expect-revision, or the one of
 * current (read now). */
static int expected_revision(rt_cli_t *cli, const rt_args_t *args,
                             const ProtobufCMessage *current,
                             uint64_t *revision) {
  const char *given = rt_args_get(args, "expect-revision");
  if (given != NULL && rt_cli_parse_uint(given, revision) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--expect-revision: \"%s\" is not a revision number",
                       given);
  if (given == NULL)
    *revision = record_revision(current);
  return 0;
}

static bool sets_sub_message(const rt_args_t *args, const field_flag_t *table) {
  for (const field_flag_t *ff = table; ff->flag != NULL; ff++) {
    if (strchr(ff->field, '.') != NULL && rt_args_count(args, ff->flag) > 0)
      return true;
  }
  return false;
}

/* The update mask names whole sub-messages ("indicator"): start them from
 * the current record so that --unit alone keeps the target, then apply
 * the dotted flags again on top. */
static int merge_sub_messages(rt_cli_t *cli, const rt_args_t *args,
                              const field_flag_t *table,
                              ProtobufCMessage *record,
                              const ProtobufCMessage *current) {
  const ProtobufCMessageDescriptor *d = record->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
        f->label == PROTOBUF_C_LABEL_REPEATED)
      continue;
    ProtobufCMessage **mine = (ProtobufCMessage **)((char *)record + f->offset);
    const ProtobufCMessage *theirs =
        *(ProtobufCMessage *const *)((const char *)current + f->offset);
    if (theirs == NULL)
      continue;
    size_t len = protobuf_c_message_get_packed_size(theirs);
    uint8_t *bytes = malloc(len + 1);
    if (bytes == NULL)
      return RT_CLI_EXIT_ERROR;
    protobuf_c_message_pack(theirs, bytes);
    free_message(*mine);
    *mine = protobuf_c_message_unpack(f->descriptor, NULL, len, bytes);
    free(bytes);
  }
  for (const field_flag_t *ff = table; ff->flag != NULL; ff++) {
    for (size_t k = 0;
         strchr(ff->field, '.') && k < rt_args_count(args, ff->flag); k++) {
      int rc = apply_value(cli, record, ff, rt_args_value(args, ff->flag, k));
      if (rc != 0)
        return rc;
    }
  }
  return 0;
}

static int send_update(rt_cli_t *cli, const record_type_t *type, const char *id,
                       ProtobufCMessage *request, uint64_t revision) {
  char method[64];
  ProtobufCMessage *updated = NULL;
  rt_client_status_t status;
  snprintf(method, sizeof(method), "Update%s", type->method);
  int code =
      rt_cli_call_quiet(cli, method, request, type->record, &updated, &status);
  int rc = rt_cli_exit_code_for_status(code);
  if (code == 10) {
    rc = report_conflict(cli, type, id, revision);
  } else if (code != 0) {
    rt_cli_fail(cli, 0, "edit %s %s: %s (%s)", type->noun, id,
                status.message && status.message[0] ? status.message : "failed",
                rt_client_status_name(code));
  } else {
    rt_cli_print_record(cli, updated);
  }
  rt_client_status_clear(&status);
  free_message(updated);
  return rc;
}

/* Sets the fields and the mask of an edit (or the archived flag). */
static int build_update(rt_cli_t *cli, const rt_args_t *args,
                        const record_type_t *type, bool archive,
                        ProtobufCMessage *request, ProtobufCMessage *record) {
  char **names = NULL, *error = NULL;
  int rc = 0;
  if (archive)
    rc = rt_cli_set_field(record, "archived", "true", &error) == 0 &&
                 add_to_mask(request, "archived") == 0
             ? 0
             : RT_CLI_EXIT_ERROR;
  else
    rc = apply_flags(cli, args, type->fields, record, request);
  if (rc == 0 && *mask_count(request, &names) == 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                     "edit: nothing to change (give at least one field flag)");
  if (rc == 0 && rt_cli_set_field(record, "id", args->positional[0], &error))
    rc = RT_CLI_EXIT_ERROR;
  free(error);
  return rc;
}

static int run_update(rt_cli_t *cli, const rt_args_t *args,
                      const record_type_t *type, bool archive) {
  const char *id = args->positional[0];
  ProtobufCMessage *request = message_new(type->update_request);
  ProtobufCMessage *record = message_new(type->record);
  ProtobufCMessage *current = NULL;
  uint64_t revision = 0;
  char text[32], *error = NULL;
  int rc = request && record ? 0 : RT_CLI_EXIT_ERROR;
  if (rc == 0)
    rc = build_update(cli, args, type, archive, request, record);
  bool merge = !archive && sets_sub_message(args, type->fields);
  if (rc == 0 && (merge || rt_args_get(args, "expect-revision") == NULL))
    rc = get_record(cli, type, id, &current);
  if (rc == 0 && merge)
    rc = merge_sub_messages(cli, args, type->fields, record, current);
  if (rc == 0)
    rc = expected_revision(cli, args, current, &revision);
  if (request != NULL)
    attach(request, type->noun, record);
  else
    free_message(record);
  snprintf(text, sizeof(text), "%llu", (unsigned long long)revision);
  if (rc == 0 &&
      rt_cli_set_field(request, "expected_revision", text, &error) != 0)
    rc = RT_CLI_EXIT_ERROR;
  if (rc == 0)
    rc = send_update(cli, type, id, request, revision);
  free(error);
  free_message(current);
  free_message(request);
  return rc;
}

static int run_list(rt_cli_t *cli, const rt_args_t *args,
                    const record_type_t *type) {
  char method[64], what[128], *error = NULL;
  uint64_t limit = 0;
  rt_cli_list_t list = {0};
  ProtobufCMessage *request = message_new(type->list_request);
  int rc = request ? 0 : RT_CLI_EXIT_ERROR;
  const char *limit_text = rt_args_get(args, "limit");
  if (limit_text != NULL && rt_cli_parse_uint(limit_text, &limit) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "--limit: \"%s\" is not a whole number", limit_text);
  if (rc == 0)
    rc = apply_flags(cli, args, type->filters, request, NULL);
  if (rc == 0)
    rc = rt_cli_set_field(request, "page_size",
                          limit > 0 && limit < 500 ? limit_text : "500",
                          &error) == 0
             ? 0
             : RT_CLI_EXIT_ERROR;
  snprintf(method, sizeof(method), "List%ss", type->method);
  snprintf(what, sizeof(what), "list %s", type->plural);
  if (rc == 0)
    rc = rt_cli_list_all(cli, method, what, request, type->list_response,
                         type->plural, (size_t)limit, &list);
  if (rc == 0)
    rt_cli_print_list(cli, list.items, list.item_count, type->columns,
                      type->column_count, type->plural, type->record);
  rt_cli_list_free(&list);
  free(error);
  free_message(request);
  return rc;
}

/* ---- the four record types ------------------------------------------------
 */

static const field_flag_t source_fields[] = {
    {"title", "title", V_TITLE},
    {"kind", "kind", V_ENUM},
    {"date", "date", V_DATE},
    {"end-date", "end_date", V_DATE},
    {"location", "location", V_TEXT},
    {"organizer", "organizer_ids", V_SLUG},
    {"url", "url", V_URL},
    {"description", "description", V_LONG},
    {NULL, NULL, 0},
};
static const field_flag_t source_filters[] = {
    {"kind", "kind", V_ENUM},
    {"include-archived", "include_archived", V_BOOL},
    {NULL, NULL, 0},
};
static const char *const source_required[] = {"title", NULL};
static const rt_cli_column_t source_columns[] = {
    {"id", "ID"}, {"kind", "KIND"}, {"date", "DATE"}, {"title", "TITLE"}};

static const field_flag_t actor_fields[] = {
    {"name", "name", V_TITLE},
    {"kind", "kind", V_ENUM},
    {"country", "country", V_COUNTRY},
    {"url", "url", V_URL},
    {NULL, NULL, 0},
};
static const field_flag_t actor_filters[] = {
    {"kind", "kind", V_ENUM},
    {"country", "country", V_COUNTRY},
    {"include-archived", "include_archived", V_BOOL},
    {NULL, NULL, 0},
};
static const char *const actor_required[] = {"name", NULL};
static const rt_cli_column_t actor_columns[] = {
    {"id", "ID"}, {"kind", "KIND"}, {"country", "COUNTRY"}, {"name", "NAME"}};

static const field_flag_t rec_fields[] = {
    {"source", "source_id", V_SLUG},    {"ref", "source_ref", V_TEXT},
    {"title", "title", V_TITLE},        {"text", "text", V_LONG},
    {"theme", "theme", V_SLUG},         {"sdg", "sdg_targets", V_SDG},
    {"gcm", "gcm_objectives", V_GCM},   {"to", "addressed_to", V_SLUG},
    {"lead", "lead_actor_id", V_SLUG},  {"due", "due_date", V_DATE},
    {"archived", "archived", V_YES_NO}, {NULL, NULL, 0},
};
static const field_flag_t rec_filters[] = {
    {"status", "statuses", V_ENUM},
    {"source", "source_id", V_SLUG},
    {"actor", "actor_id", V_SLUG},
    {"sdg", "sdg_target", V_SDG},
    {"gcm", "gcm_objective", V_GCM},
    {"theme", "theme", V_SLUG},
    {"query", "query", V_TEXT},
    {"due-before", "due_before", V_DATE},
    {"overdue", "overdue_only", V_BOOL},
    {"as-of", "as_of", V_DATE},
    {"updated-since", "updated_since_revision", V_UINT},
    {"include-archived", "include_archived", V_BOOL},
    {"pending", "pending_validation", V_BOOL},
    {"related-to", "related_to", V_SERVER_ID},
    {"link-kind", "link_kind", V_ENUM},
    {"specificity", "specificity", V_ENUM},
    {NULL, NULL, 0},
};
static const char *const rec_required[] = {"source", "title", NULL};
static const rt_cli_column_t rec_columns[] = {{"id", "ID"},
                                              {"status", "STATUS"},
                                              {"due_date", "DUE"},
                                              {"lead_actor_id", "LEAD"},
                                              {"title", "TITLE"}};

static const field_flag_t commit_fields[] = {
    {"actor", "actor_id", V_SLUG},
    {"rec", "recommendation_ids", V_SERVER_ID},
    {"source", "source_id", V_SLUG},
    {"title", "title", V_TITLE},
    {"text", "text", V_LONG},
    {"kind", "kind", V_ENUM},
    {"made-on", "made_on", V_DATE},
    {"due", "due_date", V_DATE},
    {"theme", "theme", V_SLUG},
    {"sdg", "sdg_targets", V_SDG},
    {"gcm", "gcm_objectives", V_GCM},
    {"indicator", "indicator.name", V_TEXT},
    {"unit", "indicator.unit", V_TEXT},
    {"baseline", "indicator.baseline_value", V_NUMBER},
    {"baseline-date", "indicator.baseline_date", V_DATE},
    {"target", "indicator.target_value", V_NUMBER},
    {"target-date", "indicator.target_date", V_DATE},
    {"direction", "indicator.direction", V_ENUM},
    {"series-ceiling", "indicator.series_ceiling.value", V_NUMBER},
    {"publication", "publication", V_ENUM},
    {"pledge-type", "pledge_type", V_ENUM},
    {"partner", "partner_ids", V_SLUG},
    {"matches", "matches_commitment_id", V_SERVER_ID},
    {"archived", "archived", V_YES_NO},
    {NULL, NULL, 0},
};
static const field_flag_t commit_filters[] = {
    {"status", "statuses", V_ENUM},
    {"actor", "actor_id", V_SLUG},
    {"source", "source_id", V_SLUG},
    {"recommendation", "recommendation_id", V_SERVER_ID},
    {"sdg", "sdg_target", V_SDG},
    {"gcm", "gcm_objective", V_GCM},
    {"theme", "theme", V_SLUG},
    {"kind", "kind", V_ENUM},
    {"trajectory", "trajectory", V_ENUM},
    {"publication", "publication", V_ENUM},
    {"partner", "partner_id", V_SLUG},
    {"pledge-type", "pledge_type", V_ENUM},
    {"query", "query", V_TEXT},
    {"due-before", "due_before", V_DATE},
    {"overdue", "overdue_only", V_BOOL},
    {"as-of", "as_of", V_DATE},
    {"include-archived", "include_archived", V_BOOL},
    {"pending", "pending_validation", V_BOOL},
    {NULL, NULL, 0},
};
static const char *const commit_required[] = {"actor", "title", NULL};
static const rt_cli_column_t commit_columns[] = {
    {"id", "ID"},        {"status", "STATUS"},         {"actor_id", "ACTOR"},
    {"due_date", "DUE"}, {"trajectory", "TRAJECTORY"}, {"title", "TITLE"}};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A record type named by its protobuf-c stem (recommendation), the stem
 * of its plural (recommendations), its table prefix (rec) and its RPC
 * noun (Recommendation): the descriptors follow from the names. */
#define RECORD_TYPE(stem, plural_stem, prefix, method, chooses_id)             \
  static const record_type_t prefix##_type = {                                 \
      #stem,                                                                   \
      method,                                                                  \
      #plural_stem,                                                            \
      &rectrack__v1__##stem##__descriptor,                                     \
      &rectrack__v1__create_##stem##_request__descriptor,                      \
      &rectrack__v1__get_##stem##_request__descriptor,                         \
      &rectrack__v1__update_##stem##_request__descriptor,                      \
      &rectrack__v1__list_##plural_stem##_request__descriptor,                 \
      &rectrack__v1__list_##plural_stem##_response__descriptor,                \
      prefix##_fields,                                                         \
      prefix##_filters,                                                        \
      prefix##_required,                                                       \
      prefix##_columns,                                                        \
      COUNT(prefix##_columns),                                                 \
      chooses_id}

RECORD_TYPE(source, sources, source, "Source", true);
RECORD_TYPE(actor, actors, actor, "Actor", true);
RECORD_TYPE(recommendation, recommendations, rec, "Recommendation", false);
RECORD_TYPE(commitment, commitments, commit, "Commitment", false);

/* ---- links between recommendations --------------------------------------
 */

/* The link flags of `rec link`, with the kind each sets. */
static const struct {
  const char *flag;
  Rectrack__V1__LinkKind kind;
} link_flags[] = {
    {"echoes", RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES},
    {"builds-on", RECTRACK__V1__LINK_KIND__LINK_KIND_BUILDS_ON},
    {"supersedes", RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES},
    {"related", RECTRACK__V1__LINK_KIND__LINK_KIND_RELATED},
};
#define MAX_LINKS 64 /* the server's limit of a list field */

/* The links of a recommendation being changed: borrowed from the record
 * read (current) or from the command line, never freed one by one. */
typedef struct link_edit {
  Rectrack__V1__RecommendationLink storage[MAX_LINKS];
  Rectrack__V1__RecommendationLink *links[MAX_LINKS];
  size_t n;
} link_edit_t;

static size_t find_link(const link_edit_t *edit, const char *target) {
  for (size_t i = 0; i < edit->n; i++)
    if (strcmp(edit->links[i]->recommendation_id, target) == 0)
      return i;
  return edit->n;
}

/* A link to target of kind: a new one, or the kind of the one there. */
static int put_link(rt_cli_t *cli, link_edit_t *edit, const char *target,
                    Rectrack__V1__LinkKind kind) {
  size_t at = find_link(edit, target);
  if (at == edit->n && edit->n == MAX_LINKS)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "rec link: at most %d links",
                       MAX_LINKS);
  if (at == edit->n) {
    rectrack__v1__recommendation_link__init(&edit->storage[at]);
    edit->links[edit->n++] = &edit->storage[at];
  }
  edit->links[at]->recommendation_id = (char *)target;
  edit->links[at]->kind = kind;
  return 0;
}

/* Applies the command line to the links of current: --echoes ... for
 * link, positional ids for unlink. */
static int edit_links(rt_cli_t *cli, const rt_args_t *args, bool unlink,
                      const Rectrack__V1__Recommendation *current,
                      link_edit_t *edit) {
  edit->n = 0;
  for (size_t i = 0; i < current->n_links && i < MAX_LINKS; i++) {
    edit->storage[i] = *current->links[i];
    edit->links[edit->n++] = &edit->storage[i];
  }
  const char *self = args->positional[0];
  if (unlink) {
    for (size_t i = 1; i < args->positional_count; i++) {
      const char *target = args->positional[i];
      size_t at = find_link(edit, target);
      if (at == edit->n)
        return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                           "rec unlink: %s does not link to %s", self, target);
      edit->links[at] = edit->links[--edit->n];
    }
    return 0;
  }
  size_t given = 0;
  for (size_t f = 0; f < COUNT(link_flags); f++)
    for (size_t i = 0; i < rt_args_count(args, link_flags[f].flag); i++) {
      const char *target = rt_args_value(args, link_flags[f].flag, i);
      field_flag_t check = {link_flags[f].flag, "", V_SERVER_ID};
      int rc = check_value(cli, &check, target);
      if (rc == 0 && strcmp(target, self) == 0)
        rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                         "--%s: a recommendation cannot link to itself",
                         link_flags[f].flag);
      if (rc == 0)
        rc = put_link(cli, edit, target, link_flags[f].kind);
      if (rc != 0)
        return rc;
      given++;
    }
  if (given == 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "rec link: give at least one of --echoes, --builds-on, "
                       "--supersedes or --related");
  return 0;
}

/* rec link / rec unlink: reads the recommendation, changes its links and
 * updates it with the revision it read (update_mask "links"), so that the
 * change is one log entry and a concurrent edit is never overwritten. */
static int run_link(rt_cli_t *cli, const rt_args_t *args, bool unlink) {
  const char *id = args->positional[0];
  if (unlink && args->positional_count < 2)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "rec unlink: name the recommendation and the ones to "
                       "unlink (rectrack rec unlink R40 R3)");
  ProtobufCMessage *current = NULL;
  int rc = get_record(cli, &rec_type, id, &current);
  if (rc != 0)
    return rc;
  link_edit_t *edit = malloc(sizeof *edit);
  uint64_t revision = 0;
  rc = edit ? 0 : rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "out of memory");
  if (rc == 0)
    rc = edit_links(cli, args, unlink, (const void *)current, edit);
  if (rc == 0)
    rc = expected_revision(cli, args, current, &revision);
  if (rc == 0) {
    Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
    rec.id = (char *)id;
    rec.links = edit->links;
    rec.n_links = edit->n;
    static char *mask[] = {"links"};
    Rectrack__V1__UpdateRecommendationRequest request =
        RECTRACK__V1__UPDATE_RECOMMENDATION_REQUEST__INIT;
    request.recommendation = &rec;
    request.update_mask = mask;
    request.n_update_mask = 1;
    request.expected_revision = revision;
    rc = send_update(cli, &rec_type, id, &request.base, revision);
  }
  free(edit);
  free_message(current);
  return rc;
}

/* One small entry point per (type, verb) for the command table. */
#define VERBS(prefix, type)                                                    \
  static int prefix##_add(rt_cli_t *cli, const rt_args_t *args) {              \
    return run_add(cli, args, &type);                                          \
  }                                                                            \
  static int prefix##_show(rt_cli_t *cli, const rt_args_t *args) {             \
    return run_show(cli, args, &type);                                         \
  }                                                                            \
  static int prefix##_list(rt_cli_t *cli, const rt_args_t *args) {             \
    return run_list(cli, args, &type);                                         \
  }
#define EDIT_VERBS(prefix, type)                                               \
  static int prefix##_edit(rt_cli_t *cli, const rt_args_t *args) {             \
    return run_update(cli, args, &type, false);                                \
  }                                                                            \
  static int prefix##_archive(rt_cli_t *cli, const rt_args_t *args) {          \
    return run_update(cli, args, &type, true);                                 \
  }

VERBS(source, source_type)
VERBS(actor, actor_type)
VERBS(rec, rec_type)
VERBS(commit, commit_type)
EDIT_VERBS(rec, rec_type)
EDIT_VERBS(commit, commit_type)

static int rec_link(rt_cli_t *cli, const rt_args_t *args) {
  return run_link(cli, args, false);
}
static int rec_unlink(rt_cli_t *cli, const rt_args_t *args) {
  return run_link(cli, args, true);
}

/* ---- option tables (help and completion)
 * -------------------------------------- */

#define OPT(name, metavar, help)                                               \
  { name, 0, RT_ARG_VALUE, metavar, help }
#define MULTI(name, metavar, help)                                             \
  { name, 0, RT_ARG_MULTI, metavar, help }
#define FLAG(name, help)                                                       \
  { name, 0, RT_ARG_FLAG, NULL, help }
#define END                                                                    \
  { NULL, 0, 0, NULL, NULL }

static const rt_arg_spec_t no_specs[] = {END};
static const rt_arg_spec_t edit_only[] = {
    OPT("expect-revision", "N", "fail unless the record is at revision N"),
    END};

static const rt_arg_spec_t source_add_specs[] = {
    OPT("title", "TEXT", "title of the document or meeting (required)"),
    OPT("kind", "KIND",
        "dialogue, workshop, side-event, conference, report, resolution, "
        "other"),
    OPT("date", "DATE", "YYYY-MM-DD"),
    OPT("end-date", "DATE", "last day of a multi-day meeting"),
    OPT("location", "TEXT", "where it took place"),
    MULTI("organizer", "ACTOR", "organising actor id"),
    OPT("url", "URL", "link to the document"),
    OPT("description", "TEXT", "longer description"),
    OPT("request-id", "ID", "makes the create idempotent"),
    END};
static const rt_arg_spec_t source_list_specs[] = {
    OPT("kind", "KIND", "only sources of this kind"),
    FLAG("include-archived", "include archived sources"),
    OPT("limit", "N", "stop after N records"), END};

static const rt_arg_spec_t actor_add_specs[] = {
    OPT("name", "TEXT", "name (required)"),
    OPT("kind", "KIND",
        "member-state, local-government, regional-process, un-entity, "
        "civil-society, private-sector, academia, diaspora, youth, other"),
    OPT("country", "ISO3", "ISO 3166-1 alpha-3 code, e.g. BGD"),
    OPT("url", "URL", "web site"),
    OPT("request-id", "ID", "makes the create idempotent"),
    END};
static const rt_arg_spec_t actor_list_specs[] = {
    OPT("kind", "KIND", "only actors of this kind"),
    OPT("country", "ISO3", "only actors of this country"),
    FLAG("include-archived", "include archived actors"),
    OPT("limit", "N", "stop after N records"), END};

#define REC_FIELD_SPECS                                                        \
  OPT("source", "SOURCE", "source id (required for add)"),                     \
      OPT("ref", "REF", "paragraph in the source, e.g. \"4.5 #1\""),           \
      OPT("title", "TEXT", "short title (required for add)"),                  \
      OPT("text", "TEXT", "full text"),                                        \
      OPT("theme", "THEME", "thematic area slug, e.g. remittances"),           \
      MULTI("sdg", "TARGET", "SDG target, e.g. 10.7 or 10.c"),                 \
      MULTI("gcm", "N", "GCM objective 1..23"),                                \
      MULTI("to", "ACTOR", "actor the recommendation is addressed to"),        \
      OPT("lead", "ACTOR", "lead actor id"),                                   \
      OPT("due", "DATE", "due date YYYY-MM-DD")

static const rt_arg_spec_t rec_add_specs[] = {
    REC_FIELD_SPECS, OPT("request-id", "ID", "makes the create idempotent"),
    END};
static const rt_arg_spec_t rec_edit_specs[] = {
    REC_FIELD_SPECS, OPT("archived", "BOOL", "true or false"),
    OPT("expect-revision", "N", "fail unless the record is at revision N"),
    END};
static const rt_arg_spec_t rec_list_specs[] = {
    MULTI("status", "STATUS",
          "no-information, not-started, in-progress, partially-implemented, "
          "implemented, stalled, withdrawn"),
    OPT("source", "SOURCE", "from this source"),
    OPT("actor", "ACTOR", "addressed to or led by this actor"),
    OPT("sdg", "TARGET", "linked to this SDG target"),
    OPT("gcm", "N", "linked to this GCM objective"),
    OPT("theme", "THEME", "in this thematic area"),
    OPT("query", "TEXT", "text in the title or text"),
    OPT("due-before", "DATE", "due before this date"),
    FLAG("overdue", "only overdue ones"),
    OPT("as-of", "DATE", "the day overdue is judged on (default: today)"),
    OPT("updated-since", "REV", "changed after this revision"),
    FLAG("include-archived", "include archived ones"),
    FLAG("pending", "only those with reports awaiting validation"),
    OPT("related-to", "ID",
        "only those that link to this recommendation (echo it, build on it, "
        "supersede it or are related to it)"),
    OPT("link-kind", "KIND",
        "with --related-to: echoes, builds-on, supersedes or related"),
    OPT("specificity", "LEVEL",
        "only those rated low, medium or high (see rec show)"),
    OPT("limit", "N", "stop after N records"),
    END};
static const rt_arg_spec_t rec_link_specs[] = {
    MULTI("echoes", "ID", "it restates this earlier recommendation"),
    MULTI("builds-on", "ID", "it takes this one further"),
    MULTI("supersedes", "ID",
          "it replaces this one, which is no longer followed up by itself"),
    MULTI("related", "ID", "it is related to this one"),
    OPT("expect-revision", "N", "fail unless the record is at revision N"),
    END};

#define COMMIT_FIELD_SPECS                                                     \
  OPT("actor", "ACTOR", "the actor who commits (required for add)"),           \
      MULTI("rec", "ID", "recommendation it answers, e.g. R3"),                \
      OPT("source", "SOURCE", "where it was made"),                            \
      OPT("title", "TEXT", "short title (required for add)"),                  \
      OPT("text", "TEXT", "full text"),                                        \
      OPT("kind", "KIND",                                                      \
          "policy, legislation, programme, funding, data, "                    \
          "quantified-target, partnership"),                                   \
      OPT("made-on", "DATE", "when it was made"),                              \
      OPT("due", "DATE", "due date"), OPT("theme", "THEME", "thematic area"),  \
      MULTI("sdg", "TARGET", "SDG target"),                                    \
      MULTI("gcm", "N", "GCM objective 1..23"),                                \
      OPT("indicator", "NAME", "indicator of a quantified target"),            \
      OPT("unit", "UNIT", "unit of the indicator, e.g. per cent"),             \
      OPT("baseline", "VALUE", "baseline value"),                              \
      OPT("baseline-date", "DATE", "date of the baseline"),                    \
      OPT("target", "VALUE", "target value"),                                  \
      OPT("target-date", "DATE", "date of the target"),                        \
      OPT("direction", "DIR", "increase or decrease"),                         \
      OPT("series-ceiling", "VALUE",                                           \
          "bound each disaggregated series must keep to, e.g. 5"),             \
      OPT("publication", "P",                                                  \
          "published, or unpublished: kept off the public web"),               \
      OPT("pledge-type", "TYPE",                                               \
          "individual, common, partnership or matching (inferred when "        \
          "left out)"),                                                        \
      MULTI("partner", "ACTOR",                                                \
            "a partner of a joint pledge besides --actor"),                    \
      OPT("matches", "ID", "the pledge a matching pledge answers, e.g. C4")

static const rt_arg_spec_t commit_add_specs[] = {
    COMMIT_FIELD_SPECS, OPT("request-id", "ID", "makes the create idempotent"),
    END};
static const rt_arg_spec_t commit_edit_specs[] = {
    COMMIT_FIELD_SPECS, OPT("archived", "BOOL", "true or false"),
    OPT("expect-revision", "N", "fail unless the record is at revision N"),
    END};
static const rt_arg_spec_t commit_list_specs[] = {
    MULTI("status", "STATUS", "any of these statuses"),
    OPT("actor", "ACTOR", "made by this actor"),
    OPT("source", "SOURCE", "from this source"),
    OPT("recommendation", "ID", "answering this recommendation"),
    OPT("sdg", "TARGET", "linked to this SDG target"),
    OPT("gcm", "N", "linked to this GCM objective"),
    OPT("theme", "THEME", "in this thematic area"),
    OPT("kind", "KIND", "of this kind"),
    OPT("trajectory", "T", "no-data, on-track, off-track, achieved"),
    OPT("publication", "P", "only published or only unpublished ones"),
    OPT("partner", "ACTOR", "of which this actor is a partner"),
    OPT("pledge-type", "TYPE", "individual, common, partnership, matching"),
    OPT("query", "TEXT", "text in the title or text"),
    OPT("due-before", "DATE", "due before this date"),
    FLAG("overdue", "only overdue ones"),
    OPT("as-of", "DATE", "the day overdue is judged on"),
    FLAG("include-archived", "include archived ones"),
    FLAG("pending", "only those with submissions awaiting validation"),
    OPT("limit", "N", "stop after N records"),
    END};

const rt_cli_command_t rt_cli_records_commands[] = {
    {"source", "add", source_add, source_add_specs, "ID --title TEXT [options]",
     "Add a source document or meeting",
     "rectrack source add idm-2023-ny --title \"IDM 2023, New York\" --kind "
     "dialogue --date 2023-03-29",
     1, 1},
    {"source", "show", source_show, no_specs, "ID", "Show one source",
     "rectrack source show idm-2023-ny", 1, 1},
    {"source", "list", source_list, source_list_specs, "[options]",
     "List sources", "rectrack source list --kind dialogue", 0, 0},
    {"actor", "add", actor_add, actor_add_specs, "ID --name TEXT [options]",
     "Add an actor (state, agency, group)",
     "rectrack actor add bgd --name Bangladesh --kind member-state --country "
     "BGD",
     1, 1},
    {"actor", "show", actor_show, no_specs, "ID", "Show one actor",
     "rectrack actor show bgd", 1, 1},
    {"actor", "list", actor_list, actor_list_specs, "[options]", "List actors",
     "rectrack actor list --kind un-entity", 0, 0},
    {"rec", "add", rec_add, rec_add_specs,
     "--source SOURCE --title TEXT [options]", "Add a recommendation",
     "rectrack rec add --source idm-2023-ny --ref \"4.5 #1\" --title \"Cut "
     "remittance costs\" --sdg 10.c --gcm 20 --to bgd --lead iom --due "
     "2030-12-31",
     0, 0},
    {"rec", "show", rec_show, no_specs, "ID", "Show one recommendation",
     "rectrack rec show R3", 1, 1},
    {"rec", "list", rec_list, rec_list_specs, "[filters]",
     "List recommendations (every page)",
     "rectrack rec list --status in-progress --sdg 10.c --limit 20", 0, 0},
    {"rec", "edit", rec_edit, rec_edit_specs, "ID [field flags]",
     "Change fields of a recommendation",
     "rectrack rec edit R3 --due 2031-06-30 --to iom --to bgd", 1, 1},
    {"rec", "archive", rec_archive, edit_only, "ID [--expect-revision N]",
     "Archive a recommendation", "rectrack rec archive R3", 1, 1},
    {"rec", "link", rec_link, rec_link_specs,
     "ID [--echoes ID] [--builds-on ID] [--supersedes ID] [--related ID]",
     "Link a recommendation to earlier ones (a link to one already linked "
     "takes the new kind)",
     "rectrack rec link R40 --echoes R3", 1, 1},
    {"rec", "unlink", rec_unlink, edit_only, "ID LINKED-ID...",
     "Remove links of a recommendation", "rectrack rec unlink R40 R3", 2, 64},
    {"commit", "add", commit_add, commit_add_specs,
     "--actor ACTOR --title TEXT [options]", "Add a commitment",
     "rectrack commit add --actor bgd --rec R3 --title \"Remittance costs to "
     "3%\" --kind quantified-target --indicator \"cost of sending $200\" "
     "--unit \"per cent\" --baseline 6.5 --baseline-date 2022-01-01 --target "
     "3 --target-date 2030-12-31 --direction decrease",
     0, 0},
    {"commit", "show", commit_show, no_specs, "ID", "Show one commitment",
     "rectrack commit show C1", 1, 1},
    {"commit", "list", commit_list, commit_list_specs, "[filters]",
     "List commitments (every page)",
     "rectrack commit list --actor bgd --kind quantified-target", 0, 0},
    {"commit", "edit", commit_edit, commit_edit_specs, "ID [field flags]",
     "Change fields of a commitment",
     "rectrack commit edit C1 --due 2031-12-31", 1, 1},
    {"commit", "archive", commit_archive, edit_only, "ID [--expect-revision N]",
     "Archive a commitment", "rectrack commit archive C1", 1, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};
