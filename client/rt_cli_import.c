/*
 * `import` and `export`: moving whole datasets in and out of a server.
 *
 * import reads the JSON import format (parsed and validated by
 * rt_dataset, which also derives the request ids and resolves file-local
 * keys to server ids), its JSON Lines form (read in segments, so that a
 * file of any size takes flat memory), or a CSV file of recommendations,
 * one column per field. Everything is validated before the first call; every
 * problem is reported with its JSON path or CSV line, and nothing is written if
 * there is one. Every create carries a request id derived from the content of
 * its item, so running the same import again, or a superset of an import
 * that was interrupted, creates nothing twice: the server answers a
 * repeated request id with the record it created the first time. Whether
 * an item was new is told from its revision: at or below the server's
 * revision when the import started means it was already there. The JSON
 * file's batches are planned, and the answers booked, by rt_dataset_load.
 *
 * export pages through every list (archived records included), fetches
 * each subject's follow-ups and each commitment's measurements, and writes
 * the import format with rt_dataset_write, so that export -> import
 * reproduces the records.
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"
#include "rt_dataset.h"
#include "rt_dataset_load.h"
#include "rt_enum.h"
#include "rt_validate.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- CSV reading
 * ----------------------------------------------------------------- */

void rt_cli_csv_rows_free(rt_cli_csv_row_t *rows, size_t count) {
  for (size_t r = 0; rows != NULL && r < count; r++) {
    for (size_t f = 0; f < rows[r].count; f++)
      free(rows[r].fields[f]);
    free(rows[r].fields);
  }
  free(rows);
}

typedef struct csv_parser {
  const char *data;
  size_t len;
  size_t at;
  int line;
  FILE *field; /* memstream of the field being read */
  char *field_text;
  size_t field_size;
} csv_parser_t;

static int push_field(rt_cli_csv_row_t *row, csv_parser_t *p) {
  fclose(p->field);
  p->field = NULL;
  char **grown = realloc(row->fields, (row->count + 1) * sizeof(char *));
  if (grown == NULL) {
    free(p->field_text);
    return -1;
  }
  row->fields = grown;
  row->fields[row->count++] = p->field_text;
  p->field_text = NULL;
  return 0;
}

/* Reads one field; returns the character that ended it (',', '\n' or 0
 * at the end), or -1 with *error set. */
static int read_field(csv_parser_t *p, char **error) {
  p->field = open_memstream(&p->field_text, &p->field_size);
  if (p->field == NULL)
    return -1;
  bool quoted = p->at < p->len && p->data[p->at] == '"';
  int start_line = p->line;
  p->at += quoted;
  while (p->at < p->len) {
    char c = p->data[p->at++];
    if (quoted && c == '"') {
      if (p->at < p->len && p->data[p->at] == '"') {
        fputc('"', p->field);
        p->at++;
        continue;
      }
      quoted = false;
      if (p->at < p->len && !strchr(",\r\n", p->data[p->at])) {
        if (asprintf(error, "line %d: unexpected text after a closing quote",
                     p->line) < 0)
          *error = NULL;
        return -1;
      }
      continue;
    }
    if (!quoted && (c == ',' || c == '\n'))
      return c;
    if (!quoted && c == '\r' && p->at < p->len && p->data[p->at] == '\n')
      continue;
    if (c == '\n')
      p->line++;
    fputc(c, p->field);
  }
  if (quoted) {
    if (asprintf(error, "line %d: quoted field never closed", start_line) < 0)
      *error = NULL;
    return -1;
  }
  return 0;
}

/* Ends the row being read: blank lines are skipped. */
static int end_row(rt_cli_csv_row_t *row, rt_cli_csv_row_t **rows,
                   size_t *row_count) {
  if (row->count == 1 && row->fields[0][0] == '\0') {
    free(row->fields[0]);
    free(row->fields);
  } else {
    rt_cli_csv_row_t *grown = realloc(*rows, (*row_count + 1) * sizeof(**rows));
    if (grown == NULL)
      return -1;
    *rows = grown;
    (*rows)[(*row_count)++] = *row;
  }
  memset(row, 0, sizeof(*row));
  return 0;
}

int rt_cli_csv_parse(const char *data, size_t len, rt_cli_csv_row_t **rows,
                     size_t *row_count, char **error) {
  csv_parser_t p = {.data = data, .len = len, .line = 1};
  rt_cli_csv_row_t row = {0};
  int end = 0;
  *rows = NULL;
  *row_count = 0;
  *error = NULL;
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
    p.at = 3;
  while (p.at < p.len) {
    if (row.count == 0)
      row.line = p.line;
    end = read_field(&p, error);
    if (end < 0 || push_field(&row, &p) != 0)
      goto fail;
    if (end == ',')
      continue;
    if (end_row(&row, rows, row_count) != 0)
      goto fail;
    p.line += end == '\n';
  }
  if (end == ',') { /* "a,b," at the very end: the last field is empty */
    p.field = open_memstream(&p.field_text, &p.field_size);
    if (p.field == NULL || push_field(&row, &p) != 0 ||
        end_row(&row, rows, row_count) != 0)
      goto fail;
  }
  return 0;
fail:
  if (p.field != NULL)
    fclose(p.field);
  free(p.field_text);
  for (size_t f = 0; f < row.count; f++)
    free(row.fields[f]);
  free(row.fields);
  rt_cli_csv_rows_free(*rows, *row_count);
  *rows = NULL;
  *row_count = 0;
  return -1;
}

/* ---- CSV rows -> CreateRecommendation requests
 * ----------------------------------- */

static const char *const csv_columns[] = {
    "source_id",     "source_ref",  "title",          "text",
    "theme",         "sdg_targets", "gcm_objectives", "addressed_to",
    "lead_actor_id", "due_date",    "links",
};
#define CSV_COLUMNS (sizeof(csv_columns) / sizeof(csv_columns[0]))

typedef struct problems {
  const char *file;
  size_t count;
  rt_cli_t *cli;
} problems_t;

static void problem(problems_t *problems, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(problems_t *problems, int line, const char *format, ...) {
  va_list ap;
  fprintf(problems->cli->err, "%s: %s:%d: ", problems->cli->program,
          problems->file, line);
  va_start(ap, format);
  vfprintf(problems->cli->err, format, ap);
  va_end(ap);
  fputc('\n', problems->cli->err);
  problems->count++;
}

/* Maps file columns to csv_columns; -1 entries for unknown ones. */
static int map_header(problems_t *problems, const rt_cli_csv_row_t *header,
                      int *column_of) {
  bool seen[CSV_COLUMNS] = {false};
  for (size_t f = 0; f < header->count; f++) {
    column_of[f] = -1;
    for (size_t c = 0; c < CSV_COLUMNS; c++) {
      if (strcmp(header->fields[f], csv_columns[c]) == 0 && !seen[c]) {
        column_of[f] = (int)c;
        seen[c] = true;
      }
    }
    if (column_of[f] < 0)
      problem(problems, header->line,
              "unknown or repeated column \"%s\" (known: source_id, "
              "source_ref, title, text, theme, sdg_targets, gcm_objectives, "
              "addressed_to, lead_actor_id, due_date, links)",
              header->fields[f]);
  }
  if (!seen[0] || !seen[2])
    problem(problems, header->line,
            "the header row needs the columns source_id and title");
  return 0;
}

static int check_cell(const char *column, const char *value, rt_error_t *err) {
  uint64_t number = 0;
  if (strcmp(column, "source_id") == 0)
    return rt_validate_slug(value, column, err);
  if (strcmp(column, "title") == 0)
    return rt_validate_text(value, RT_MAX_TITLE_LEN, true, column, err);
  if (strcmp(column, "text") == 0)
    return rt_validate_text(value, RT_MAX_TEXT_LEN, false, column, err);
  if (strcmp(column, "source_ref") == 0)
    return rt_validate_text(value, RT_MAX_SHORT_LEN, false, column, err);
  if (value[0] == '\0')
    return 0; /* the rest are optional */
  if (strcmp(column, "theme") == 0 || strcmp(column, "lead_actor_id") == 0 ||
      strcmp(column, "addressed_to") == 0)
    return rt_validate_slug(value, column, err);
  if (strcmp(column, "sdg_targets") == 0)
    return rt_validate_sdg_target(value, column, err);
  if (strcmp(column, "due_date") == 0)
    return rt_validate_date(value, column, err);
  if (rt_cli_parse_uint(value, &number) != 0 || number > 23)
    return rt_error_set(err, RT_EINVAL, column,
                        "%s: \"%s\" is not a GCM objective (1..23)", column,
                        value);
  return rt_validate_gcm_objective((int)number, column, err);
}

static bool is_multi(const char *column) {
  return strcmp(column, "sdg_targets") == 0 ||
         strcmp(column, "gcm_objectives") == 0 ||
         strcmp(column, "addressed_to") == 0 || strcmp(column, "links") == 0;
}

/* One value of the links column, "echoes:R3", appended to record (a
 * Recommendation) as a link to an existing recommendation. Returns 0, or
 * RT_EINVAL / RT_ENOMEM with err set. */
static int add_csv_link(const char *value, ProtobufCMessage *record,
                        rt_error_t *err) {
  Rectrack__V1__Recommendation *rec = (void *)record;
  const char *colon = strchr(value, ':');
  char kind_text[32];
  int kind = 0;
  size_t kind_len = colon ? (size_t)(colon - value) : 0;
  if (colon != NULL && kind_len < sizeof kind_text) {
    memcpy(kind_text, value, kind_len);
    kind_text[kind_len] = '\0';
  }
  if (colon == NULL || kind_len >= sizeof kind_text ||
      !rt_enum_parse(&rectrack__v1__link_kind__descriptor, kind_text, &kind))
    return rt_error_set(err, RT_EINVAL, "links",
                        "links: \"%.60s\" is not KIND:ID (KIND one of %s, "
                        "e.g. echoes:R3)",
                        value,
                        rt_enum_choices(&rectrack__v1__link_kind__descriptor));
  const char *target = colon + 1;
  uint64_t number = 0;
  if (target[0] != 'R' || rt_cli_parse_uint(target + 1, &number) != 0 ||
      number == 0)
    return rt_error_set(err, RT_EINVAL, "links",
                        "links: \"%.60s\" is not a recommendation id (R1, "
                        "R2, ...)",
                        target);
  for (size_t i = 0; i < rec->n_links; i++)
    if (strcmp(rec->links[i]->recommendation_id, target) == 0)
      return rt_error_set(err, RT_EINVAL, "links",
                          "links: %s is linked twice; a recommendation links "
                          "to another once",
                          target);
  Rectrack__V1__RecommendationLink **links =
      realloc(rec->links, (rec->n_links + 1) * sizeof *links);
  Rectrack__V1__RecommendationLink *link = malloc(sizeof *link);
  char *id = strdup(target);
  if (links != NULL)
    rec->links = links;
  if (links == NULL || link == NULL || id == NULL) {
    free(link);
    free(id);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  rectrack__v1__recommendation_link__init(link);
  link->kind = kind;
  link->recommendation_id = id;
  rec->links[rec->n_links++] = link;
  return 0;
}

/* Checks one cell (each ';'-separated value of a multi-valued column) and
 * sets it in record. */
static void apply_cell(problems_t *problems, int line, const char *column,
                       const char *cell, ProtobufCMessage *record) {
  char *copy = strdup(cell), *save = NULL, *error = NULL;
  bool multi = is_multi(column);
  for (char *value = multi ? strtok_r(copy, ";", &save) : copy; value != NULL;
       value = multi ? strtok_r(NULL, ";", &save) : NULL) {
    while (multi && *value == ' ')
      value++;
    size_t len = strlen(value);
    while (multi && len > 0 && value[len - 1] == ' ')
      value[--len] = '\0';
    if (multi && len == 0)
      continue;
    rt_error_t err = {0};
    if (strcmp(column, "links") == 0) {
      if (add_csv_link(value, record, &err) != 0)
        problem(problems, line, "%s", err.message);
    } else if (check_cell(column, value, &err) != 0)
      problem(problems, line, "%s", err.message);
    else if (value[0] != '\0' &&
             rt_cli_set_field(record, column, value, &error) != 0)
      problem(problems, line, "%s", error ? error : column);
    free(error);
    error = NULL;
  }
  free(copy);
}

/* "import:" + SHA-256 of the row's values in the canonical column order,
 * and of its rank among identical rows. */
static char *row_request_id(const rt_cli_csv_row_t *row, const int *column_of,
                            int rank) {
  crypto_hash_sha256_state state;
  unsigned char digest[crypto_hash_sha256_BYTES];
  char hex[2 * crypto_hash_sha256_BYTES + 1], rank_text[16];
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, (const unsigned char *)"csv-rec", 7);
  for (size_t c = 0; c < CSV_COLUMNS; c++) {
    const char *value = "";
    for (size_t f = 0; f < row->count; f++) {
      if (column_of[f] == (int)c)
        value = row->fields[f];
    }
    /* Columns added later count only when filled, so that a file without
     * them keeps the request ids it always had. */
    if (strcmp(csv_columns[c], "links") == 0 && value[0] == '\0')
      continue;
    crypto_hash_sha256_update(&state, (const unsigned char *)"\x1f", 1);
    crypto_hash_sha256_update(&state, (const unsigned char *)value,
                              strlen(value));
  }
  snprintf(rank_text, sizeof(rank_text), "\x1e%d", rank);
  crypto_hash_sha256_update(&state, (const unsigned char *)rank_text,
                            strlen(rank_text));
  crypto_hash_sha256_final(&state, digest);
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  char *id = NULL;
  return asprintf(&id, "import:%s", hex) < 0 ? NULL : id;
}

/* How many earlier rows have exactly the same fields. */
static int row_rank(const rt_cli_csv_row_t *rows, size_t index) {
  int rank = 0;
  for (size_t r = 1; r < index; r++) {
    bool same = rows[r].count == rows[index].count;
    for (size_t f = 0; same && f < rows[r].count; f++)
      same = strcmp(rows[r].fields[f], rows[index].fields[f]) == 0;
    rank += same;
  }
  return rank;
}

typedef struct csv_import {
  Rectrack__V1__CreateRecommendationRequest **requests;
  int *lines;
  size_t count;
} csv_import_t;

static void csv_import_free(csv_import_t *import) {
  for (size_t i = 0; i < import->count; i++) {
    if (import->requests[i] != NULL)
      protobuf_c_message_free_unpacked(&import->requests[i]->base, NULL);
  }
  free(import->requests);
  free(import->lines);
}

static Rectrack__V1__CreateRecommendationRequest *
build_row(problems_t *problems, const rt_cli_csv_row_t *rows, size_t index,
          const int *column_of, size_t column_count) {
  const rt_cli_csv_row_t *row = &rows[index];
  Rectrack__V1__CreateRecommendationRequest *request = malloc(sizeof(*request));
  Rectrack__V1__Recommendation *record = malloc(sizeof(*record));
  if (request == NULL || record == NULL) {
    free(request);
    free(record);
    return NULL;
  }
  rectrack__v1__create_recommendation_request__init(request);
  rectrack__v1__recommendation__init(record);
  request->recommendation = record;
  if (row->count != column_count)
    problem(problems, row->line, "expected %zu fields, found %zu", column_count,
            row->count);
  for (size_t f = 0; f < row->count && f < column_count; f++) {
    if (column_of[f] >= 0)
      apply_cell(problems, row->line, csv_columns[column_of[f]], row->fields[f],
                 &record->base);
  }
  request->request_id = row_request_id(row, column_of, row_rank(rows, index));
  return request;
}

/* Validates every row; fills import even when problems were found. */
static int csv_build(problems_t *problems, const rt_cli_csv_row_t *rows,
                     size_t row_count, csv_import_t *import) {
  if (row_count == 0) {
    problem(problems, 1, "empty file: a header row is required");
    return 0;
  }
  int *column_of = calloc(rows[0].count + 1, sizeof(int));
  import->requests = calloc(row_count, sizeof(*import->requests));
  import->lines = calloc(row_count, sizeof(int));
  if (column_of == NULL || import->requests == NULL || import->lines == NULL) {
    free(column_of);
    return -1;
  }
  map_header(problems, &rows[0], column_of);
  for (size_t r = 1; r < row_count; r++) {
    import->lines[import->count] = rows[r].line;
    import->requests[import->count++] =
        build_row(problems, rows, r, column_of, rows[0].count);
  }
  if (import->count == 0)
    problem(problems, rows[0].line, "no rows after the header");
  free(column_of);
  return 0;
}

/* ---- checking references on the server
 * -------------------------------------------- */

/* NOT_FOUND for a source or actor the rows name: reported per row. */
static int check_reference(rt_cli_t *cli, problems_t *problems,
                           const char *method, const char *id, int line,
                           const char *what) {
  Rectrack__V1__GetSourceRequest request =
      RECTRACK__V1__GET_SOURCE_REQUEST__INIT;
  ProtobufCMessage *found = NULL;
  rt_client_status_t status;
  request.id = (char *)id;
  int code = rt_cli_call_quiet(
      cli, method, &request.base,
      method[3] == 'S'   ? &rectrack__v1__source__descriptor
      : method[3] == 'R' ? &rectrack__v1__recommendation__descriptor
                         : &rectrack__v1__actor__descriptor,
      &found, &status);
  if (found != NULL)
    protobuf_c_message_free_unpacked(found, NULL);
  if (code == 5)
    problem(problems, line, "%s \"%s\" does not exist on the server", what, id);
  else if (code != 0)
    rt_cli_fail(cli, 0, "checking %s %s: %s (%s)", what, id, status.message,
                rt_client_status_name(code));
  rt_client_status_clear(&status);
  return code == 0 || code == 5 ? 0 : rt_cli_exit_code_for_status(code);
}

static int check_references(rt_cli_t *cli, problems_t *problems,
                            const csv_import_t *import) {
  for (size_t i = 0; i < import->count; i++) {
    const Rectrack__V1__Recommendation *r = import->requests[i]->recommendation;
    int line = import->lines[i];
    int rc = r->source_id[0] ? check_reference(cli, problems, "GetSource",
                                               r->source_id, line, "source")
                             : 0;
    if (rc == 0 && r->lead_actor_id[0])
      rc = check_reference(cli, problems, "GetActor", r->lead_actor_id, line,
                           "lead actor");
    for (size_t a = 0; rc == 0 && a < r->n_addressed_to; a++)
      rc = check_reference(cli, problems, "GetActor", r->addressed_to[a], line,
                           "actor");
    for (size_t k = 0; rc == 0 && k < r->n_links; k++)
      rc = check_reference(cli, problems, "GetRecommendation",
                           r->links[k]->recommendation_id, line,
                           "linked recommendation");
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* ---- writing
 * ------------------------------------------------------------------------ */

typedef struct progress {
  rt_cli_t *cli;
  size_t total;
  size_t done;
  uint64_t start_revision;
  size_t created;
  size_t present;
} progress_t;

static void progress_step(progress_t *progress) {
  progress->done++;
  if (!progress->cli->err_is_tty)
    return;
  size_t filled = progress->total ? progress->done * 30 / progress->total : 30;
  fprintf(progress->cli->err, "\rimporting [");
  for (size_t i = 0; i < 30; i++)
    fputc(i < filled ? '#' : '.', progress->cli->err);
  fprintf(progress->cli->err, "] %zu/%zu", progress->done, progress->total);
  if (progress->done == progress->total)
    fputs("\r\x1b[K", progress->cli->err);
  fflush(progress->cli->err);
}

static int server_revision(rt_cli_t *cli, uint64_t *revision) {
  Rectrack__V1__GetServerInfoRequest request =
      RECTRACK__V1__GET_SERVER_INFO_REQUEST__INIT;
  ProtobufCMessage *info = NULL;
  int rc = rt_cli_call(cli, "GetServerInfo", "server info", &request.base,
                       &rectrack__v1__server_info__descriptor, &info);
  if (rc == 0)
    *revision = ((Rectrack__V1__ServerInfo *)info)->revision;
  if (info != NULL)
    protobuf_c_message_free_unpacked(info, NULL);
  return rc;
}

/* Counts the answer to one write as created or already present. */
static void count_result(progress_t *progress, const ProtobufCMessage *reply) {
  char *text = reply ? rt_cli_field_text(reply, "revision", true) : NULL;
  uint64_t revision = 0;
  if (text != NULL && rt_cli_parse_uint(text, &revision) == 0 &&
      revision > progress->start_revision)
    progress->created++;
  else
    progress->present++;
  free(text);
  progress_step(progress);
}

static void print_summary(rt_cli_t *cli, const char *file,
                          const progress_t *progress, bool dry_run) {
  if (cli->format == RT_CLI_FORMAT_JSON) {
    json_t *doc = json_pack("{s:s,s:b,s:I,s:I,s:I}", "file", file, "dry_run",
                            dry_run, "items", (json_int_t)progress->total,
                            "created", (json_int_t)progress->created,
                            "already_present", (json_int_t)progress->present);
    rt_cli_print_json(cli, doc, false);
  } else if (dry_run) {
    fprintf(cli->out, "%s: %zu item(s) valid; nothing written (--dry-run)\n",
            file, progress->total);
  } else {
    fprintf(cli->out, "Imported %s: %zu created, %zu already present\n", file,
            progress->created, progress->present);
  }
}

static int write_failed(rt_cli_t *cli, const progress_t *progress,
                        const char *where, int code, const char *message) {
  rt_cli_fail(cli, 0, "import stopped at %s: %s (%s)", where, message,
              rt_client_status_name(code));
  fprintf(cli->err,
          "%zu of %zu item(s) were written. Re-run the same import to finish: "
          "nothing is created twice.\n",
          progress->created + progress->present, progress->total);
  return rt_cli_exit_code_for_status(code);
}

/* ---- batches of writes
 * ------------------------------------------------------- */

/* Up to this many writes are in flight at once: the server's writer
 * commits what is queued together, one fsync for the lot, instead of one
 * per item. Under the server's default limit of 100 streams. */
#define BATCH_MAX 64

typedef struct batch {
  rt_client_request_t requests[BATCH_MAX];
  size_t items[BATCH_MAX]; /* dataset index or CSV request index */
  size_t count;
  size_t first_failed; /* index into requests, or BATCH_MAX */
} batch_t;

static int batch_add(batch_t *batch, const char *path,
                     const ProtobufCMessage *message, size_t item) {
  size_t len = protobuf_c_message_get_packed_size(message);
  uint8_t *bytes = malloc(len + 1);
  if (bytes == NULL)
    return -1;
  protobuf_c_message_pack(message, bytes);
  rt_client_request_t *request = &batch->requests[batch->count];
  memset(request, 0, sizeof(*request));
  request->path = path;
  request->request = bytes;
  request->request_len = len;
  batch->items[batch->count++] = item;
  return 0;
}

static void batch_send(rt_cli_t *cli, batch_t *batch) {
  rt_client_unary_batch(cli->client, batch->requests, batch->count,
                        cli->timeout_ms);
  batch->first_failed = BATCH_MAX;
}

static void batch_clear(batch_t *batch) {
  for (size_t i = 0; i < batch->count; i++) {
    free((void *)batch->requests[i].request);
    free(batch->requests[i].response);
    rt_client_status_clear(&batch->requests[i].status);
  }
  batch->count = 0;
}

/* The reply to request i of the batch, decoded (NULL if it failed). */
static ProtobufCMessage *batch_reply(const batch_t *batch, size_t i,
                                     const ProtobufCMessageDescriptor *d) {
  const rt_client_request_t *request = &batch->requests[i];
  if (request->status.code != 0)
    return NULL;
  return protobuf_c_message_unpack(d, NULL, request->response_len,
                                   request->response);
}

static int csv_write(rt_cli_t *cli, const char *file, csv_import_t *import,
                     progress_t *progress) {
  static const char path[] = "/rectrack.v1.Tracker/CreateRecommendation";
  batch_t batch = {0};
  int rc = 0;
  for (size_t next = 0; rc == 0 && next < import->count;) {
    while (rc == 0 && batch.count < BATCH_MAX && next < import->count) {
      rc = batch_add(&batch, path, &import->requests[next]->base, next) == 0
               ? 0
               : RT_CLI_EXIT_ERROR;
      next++;
    }
    if (rc == 0)
      batch_send(cli, &batch);
    for (size_t i = 0; rc == 0 && i < batch.count; i++) {
      ProtobufCMessage *reply =
          batch_reply(&batch, i, &rectrack__v1__recommendation__descriptor);
      if (reply != NULL)
        count_result(progress, reply);
      else if (batch.first_failed == BATCH_MAX)
        batch.first_failed = i;
      if (reply != NULL)
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    if (rc == 0 && batch.first_failed != BATCH_MAX) {
      const rt_client_request_t *failed = &batch.requests[batch.first_failed];
      char where[256];
      snprintf(where, sizeof(where), "%s:%d", file,
               import->lines[batch.items[batch.first_failed]]);
      rc = write_failed(cli, progress, where, failed->status.code,
                        failed->status.message);
    }
    batch_clear(&batch);
  }
  batch_clear(&batch);
  return rc;
}

static int read_whole_file(rt_cli_t *cli, const char *path, char **data,
                           size_t *len) {
  FILE *file = fopen(path, "rb");
  if (file == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "cannot open %s: %s", path,
                       strerror(errno));
  FILE *copy = open_memstream(data, len);
  char buffer[65536];
  size_t n;
  while (copy != NULL && (n = fread(buffer, 1, sizeof(buffer), file)) > 0)
    fwrite(buffer, 1, n, copy);
  int failed = ferror(file);
  fclose(file);
  if (copy != NULL)
    fclose(copy);
  if (copy == NULL || failed)
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "cannot read %s", path);
  return 0;
}

static int import_csv(rt_cli_t *cli, const char *path, bool dry_run) {
  char *data = NULL, *error = NULL;
  size_t len = 0, row_count = 0;
  rt_cli_csv_row_t *rows = NULL;
  csv_import_t import = {0};
  problems_t problems = {.file = path, .cli = cli};
  progress_t progress = {.cli = cli};
  int rc = read_whole_file(cli, path, &data, &len);
  if (rc == 0 && rt_cli_csv_parse(data, len, &rows, &row_count, &error) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s: %s", path,
                     error ? error : "cannot parse CSV");
  if (rc == 0 && csv_build(&problems, rows, row_count, &import) != 0)
    rc = RT_CLI_EXIT_ERROR;
  if (rc == 0 && problems.count == 0 && !dry_run)
    rc = check_references(cli, &problems, &import);
  if (rc == 0 && problems.count > 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "%s: %zu problem(s); nothing was written", path,
                     problems.count);
  progress.total = import.count;
  if (rc == 0 && !dry_run)
    rc = server_revision(cli, &progress.start_revision);
  if (rc == 0 && !dry_run)
    rc = csv_write(cli, path, &import, &progress);
  if (rc == 0)
    print_summary(cli, path, &progress, dry_run);
  csv_import_free(&import);
  rt_cli_csv_rows_free(rows, row_count);
  free(error);
  free(data);
  return rc;
}

/* ---- JSON import
 * ------------------------------------------------------------------- */

static const char *const dataset_methods[] = {
    [RT_DATASET_SOURCE] = "/rectrack.v1.Tracker/CreateSource",
    [RT_DATASET_ACTOR] = "/rectrack.v1.Tracker/CreateActor",
    [RT_DATASET_RECOMMENDATION] = "/rectrack.v1.Tracker/CreateRecommendation",
    [RT_DATASET_COMMITMENT] = "/rectrack.v1.Tracker/CreateCommitment",
    [RT_DATASET_FOLLOW_UP] = "/rectrack.v1.Tracker/RecordFollowUp",
    [RT_DATASET_MEASUREMENT] = "/rectrack.v1.Tracker/RecordMeasurement",
    [RT_DATASET_THEME] = "/rectrack.v1.Tracker/CreateTheme",
    [RT_DATASET_DIMENSION_KEY] = "/rectrack.v1.Tracker/CreateDimensionKey",
};

static int report_problems(rt_cli_t *cli, const char *path,
                           const rt_dataset_errors_t *errors);

/* The themes and dimension keys of dataset that the server holds already
 * must agree with it (the same title, source_ref, value rule and values):
 * checked before any of it is written, so that records are not tagged
 * with a theme of another title, nor measurements checked by another
 * rule. Those that agree count as already present when their create is
 * refused. */
static int check_existing_themes(rt_cli_t *cli, const char *path,
                                 const rt_dataset_t *dataset) {
  if (rt_dataset_count_kind(dataset, RT_DATASET_THEME) == 0 &&
      rt_dataset_count_kind(dataset, RT_DATASET_DIMENSION_KEY) == 0)
    return 0;
  Rectrack__V1__ListReferenceRequest request =
      RECTRACK__V1__LIST_REFERENCE_REQUEST__INIT;
  ProtobufCMessage *response = NULL;
  int rc = rt_cli_call(cli, "ListReference", "checking themes", &request.base,
                       &rectrack__v1__list_reference_response__descriptor,
                       &response);
  if (rc != 0)
    return rc;
  Rectrack__V1__ListReferenceResponse *ref = (void *)response;
  rt_dataset_errors_t errors = {0};
  rt_error_t err = {0};
  int checked = rt_dataset_check_existing_themes(dataset, ref->themes,
                                                 ref->n_themes, &errors, &err);
  if (checked == 0)
    checked = rt_dataset_check_existing_dimension_keys(
        dataset, ref->dimension_keys, ref->n_dimension_keys, &errors, &err);
  if (checked == RT_EINVAL)
    rc = report_problems(cli, path, &errors);
  else if (checked != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s", err.message);
  rt_dataset_errors_free(&errors);
  protobuf_c_message_free_unpacked(response, NULL);
  return rc;
}

/* What the server's status for one call tells the loader. A reply does
 * not say whether it was a replay: the loader tells by its revision. */
static rt_dataset_answer_t call_answer(const rt_client_request_t *request) {
  if (request->status.code == 0)
    return RT_DATASET_ANSWER_WRITTEN;
  return request->status.code == 6 ? RT_DATASET_ANSWER_EXISTS
                                   : RT_DATASET_ANSWER_FAILED;
}

/* Hands the answers to the batch to the loader, notes the first call that
 * failed and moves the progress on. */
static int take_json_results(rt_cli_t *cli, rt_dataset_load_t *load,
                             batch_t *batch, progress_t *progress) {
  for (size_t i = 0; i < batch->count; i++) {
    const rt_client_request_t *request = &batch->requests[i];
    rt_dataset_outcome_t outcome = RT_DATASET_FAILED;
    rt_error_t err = {0};
    if (rt_dataset_load_book(load, i, call_answer(request), request->response,
                             request->response_len, &outcome, &err) != 0)
      return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "import stopped: %s",
                         err.message);
    if (outcome != RT_DATASET_FAILED)
      progress_step(progress);
    else if (batch->first_failed == BATCH_MAX)
      batch->first_failed = i;
  }
  rt_dataset_tally_t total = rt_dataset_load_total(load);
  progress->created = total.created;
  progress->present = total.present + total.replayed;
  return 0;
}

/* Sends the items of one planned batch, each on its own stream. */
static int send_json_batch(rt_cli_t *cli, rt_dataset_t *dataset,
                           const rt_dataset_step_t *step, batch_t *batch) {
  for (size_t slot = 0; slot < step->len; slot++) {
    const rt_dataset_item_t *item = rt_dataset_item(dataset, step->items[slot]);
    if (batch_add(batch, dataset_methods[item->kind], item->request.message,
                  step->items[slot]) != 0)
      return RT_CLI_EXIT_ERROR;
  }
  batch_send(cli, batch);
  return 0;
}

/* The server runs a batch's calls on concurrent streams, so two reports
 * on one subject could be recorded out of file order: they go in separate
 * batches, which the loader fills with reports on other subjects (a file
 * lists its follow-ups subject by subject). A source or actor made some
 * other way is there already, and the import goes on. */
static int json_write(rt_cli_t *cli, rt_dataset_t *dataset,
                      progress_t *progress) {
  rt_dataset_load_policy_t policy = {
      .max_batch = BATCH_MAX,
      .same_subject_in_batch = false,
      .existing_counts_as_present = true,
      .start_revision = progress->start_revision,
  };
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err = {0};
  batch_t batch = {0};
  if (rt_dataset_load_new(dataset, &policy, &load, &err) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s", err.message);
  int rc = 0;
  while (rc == 0) {
    if (rt_dataset_load_next(load, &step, &err) != 0)
      rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s", err.message);
    else if (step.kind == RT_DATASET_STEP_DONE)
      break;
    else if (step.kind == RT_DATASET_STEP_SKIP)
      rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR,
                       "%s: refers to an item that was not created",
                       rt_dataset_item(dataset, step.item)->path);
    else
      rc = send_json_batch(cli, dataset, &step, &batch);
    if (rc == 0)
      rc = take_json_results(cli, load, &batch, progress);
    if (rc == 0 && batch.first_failed != BATCH_MAX) {
      const rt_client_request_t *failed = &batch.requests[batch.first_failed];
      rc = write_failed(
          cli, progress,
          rt_dataset_item(dataset, batch.items[batch.first_failed])->path,
          failed->status.code, failed->status.message);
    }
    batch_clear(&batch);
  }
  rt_dataset_load_free(load);
  return rc;
}

static int import_json(rt_cli_t *cli, const char *path, bool dry_run) {
  rt_dataset_t *dataset = NULL;
  rt_dataset_errors_t errors = {0};
  rt_error_t err = {0};
  progress_t progress = {.cli = cli};
  int parsed = rt_dataset_parse_file(path, &dataset, &errors, &err);
  int rc = 0;
  if (parsed == RT_EINVAL) {
    for (size_t i = 0; i < errors.problems_len; i++)
      rt_cli_fail(cli, 0, "%s: %s", path, errors.problems[i].message);
    rc = rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "%s: %zu problem(s); nothing was written", path,
                     errors.count);
  } else if (parsed != 0) {
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s: %s", path,
                     err.message[0] ? err.message : rt_strerror(parsed));
  }
  progress.total = rc == 0 ? rt_dataset_count(dataset) : 0;
  if (rc == 0 && !dry_run)
    rc = check_existing_themes(cli, path, dataset);
  if (rc == 0 && !dry_run)
    rc = server_revision(cli, &progress.start_revision);
  if (rc == 0 && !dry_run)
    rc = json_write(cli, dataset, &progress);
  if (rc == 0)
    print_summary(cli, path, &progress, dry_run);
  rt_dataset_errors_free(&errors);
  rt_dataset_free(dataset);
  return rc;
}

/* The JSON Lines form: checked whole first (nothing is written unless
 * every line is valid), then written segment by segment, each freed
 * before the next is read, so memory stays flat whatever the file's
 * size. */
#define LINES_SEGMENT 4096

static int report_problems(rt_cli_t *cli, const char *path,
                           const rt_dataset_errors_t *errors) {
  for (size_t i = 0; i < errors->problems_len; i++)
    rt_cli_fail(cli, 0, "%s: %s", path, errors->problems[i].message);
  return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                     "%s: %zu problem(s); nothing was written", path,
                     errors->count);
}

static int import_lines(rt_cli_t *cli, const char *path, bool dry_run) {
  rt_dataset_errors_t errors = {0};
  rt_error_t err = {0};
  progress_t progress = {.cli = cli};
  int checked = rt_dataset_check_lines(path, &progress.total, &errors, &err);
  int rc = 0;
  if (checked == RT_EINVAL)
    rc = report_problems(cli, path, &errors);
  else if (checked != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s", err.message);
  rt_dataset_errors_free(&errors);
  if (rc == 0 && !dry_run)
    rc = server_revision(cli, &progress.start_revision);
  rt_dataset_stream_t *stream = NULL;
  if (rc == 0 && !dry_run && rt_dataset_stream_open(path, &stream, &err) != 0)
    rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s", err.message);
  size_t created = 0, present = 0;
  while (rc == 0 && stream != NULL) {
    rt_dataset_t *segment = NULL;
    int next =
        rt_dataset_stream_next(stream, LINES_SEGMENT, &segment, &errors, &err);
    if (next == RT_EINVAL)
      rc = report_problems(cli, path, &errors);
    else if (next != 0)
      rc = rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "%s", err.message);
    rt_dataset_errors_free(&errors);
    if (rc != 0 || segment == NULL)
      break;
    /* the loader counts per segment: carry the totals over */
    progress.created = progress.present = 0;
    rc = check_existing_themes(cli, path, segment);
    if (rc == 0)
      rc = json_write(cli, segment, &progress);
    created += progress.created;
    present += progress.present;
    rt_dataset_stream_retire(stream, segment);
    rt_dataset_free(segment);
  }
  rt_dataset_stream_close(stream);
  progress.created = created;
  progress.present = present;
  if (rc == 0)
    print_summary(cli, path, &progress, dry_run);
  return rc;
}

static bool has_suffix(const char *text, const char *suffix) {
  size_t len = strlen(text), n = strlen(suffix);
  return len >= n && strcasecmp(text + len - n, suffix) == 0;
}

int rt_cli_run_import(rt_cli_t *cli, const rt_args_t *args) {
  const char *path = args->positional[0];
  bool dry_run = rt_args_count(args, "dry-run") > 0;
  const char *format = rt_args_get(args, "format");
  if (format != NULL && strcmp(format, "csv") != 0 &&
      strcmp(format, "json") != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--format: \"%s\" is not csv or json", format);
  bool csv = format ? strcmp(format, "csv") == 0 : has_suffix(path, ".csv");
  if (sodium_init() < 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "cannot initialise libsodium");
  if (csv)
    return import_csv(cli, path, dry_run);
  if (rt_dataset_is_lines_file(path))
    return import_lines(cli, path, dry_run);
  return import_json(cli, path, dry_run);
}
