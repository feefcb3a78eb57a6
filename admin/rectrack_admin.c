/*
 * rectrack-admin: storage-level operations for operators, working on a
 * data directory directly rather than through the server: load an import
 * file, show what a store holds, verify it, back it up.
 *
 * It may run while rectrackd holds the same directory: LMDB serialises
 * writers across processes and readers never block. `load` validates the
 * whole file first (rt_dataset) and writes nothing if any value is bad;
 * then it applies the items in batches of up to 100 ops, one durable
 * commit per batch (rt_store_apply). rt_dataset_load plans the batches and
 * books the results; this file turns a batch into store ops and reports.
 * Every item carries a request id derived from its content, so running
 * the same load twice creates nothing new.
 * `token` manages rectrackd's tokens file (admin_token.c).
 *
 * Exit codes: 0 success, 1 failure (message on stderr), 2 usage error.
 */
#include "admin_token.h"
#include "rt_dataset.h"
#include "rt_dataset_load.h"
#include "rt_enum.h"
#include "rt_store.h"
#include "rt_validate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EXIT_USAGE 2
#define BATCH_SIZE 1000
#define DEFAULT_PRINCIPAL "rectrack-admin"

static const char *program = "rectrack-admin";

static void print_main_usage(FILE *out) {
  fprintf(out,
          "usage: %s COMMAND [OPTIONS]\n"
          "\n"
          "Storage-level operations on a rectrack data directory.\n"
          "\n"
          "commands:\n"
          "  load    --data-dir DIR FILE.json [--principal NAME]\n"
          "          validate an import file, then apply it\n"
          "  show    --data-dir DIR      summarise what the store holds\n"
          "  verify  --data-dir DIR      check the change log and indexes\n"
          "  backup  --data-dir DIR --to DIR2\n"
          "          write a compacted copy of the store into DIR2\n"
          "  upgrade --data-dir DIR [--dry-run]\n"
          "          bring a directory of an older release to this one's\n"
          "          layout (every command does it when it opens one)\n"
          "  token   add --tokens-file FILE --principal NAME --role ROLE\n"
          "          create a bearer token for rectrackd (shown once)\n"
          "  token   list --tokens-file FILE\n"
          "          show the principals and roles of the tokens\n"
          "\n"
          "Run '%s COMMAND --help' for a command's options.\n"
          "Exit status: 0 success, 1 failure, 2 usage error.\n",
          program, program);
}

static int usage_error(const char *command, const char *message) {
  fprintf(stderr, "%s %s: %s\n", program, command, message);
  fprintf(stderr, "Try '%s %s --help'.\n", program, command);
  return EXIT_USAGE;
}

/* Options shared by the commands; each accepts the ones it documents. */
typedef struct options {
  const char *data_dir;
  const char *to_dir;
  const char *principal;
  const char *file;
  bool help;
  bool dry_run;
} options_t;

enum { OPT_DATA_DIR = 1000, OPT_TO, OPT_PRINCIPAL, OPT_DRY_RUN };

/* Parses argv (argv[0] is the command name). allow_to / allow_principal /
 * file_arg say which options the command takes. Returns 0, or EXIT_USAGE
 * after printing why. */
static int parse_options(int argc, char **argv, options_t *opts, bool allow_to,
                         bool allow_principal, bool file_arg) {
  static const struct option long_options[] = {
      {"data-dir", required_argument, NULL, OPT_DATA_DIR},
      {"to", required_argument, NULL, OPT_TO},
      {"principal", required_argument, NULL, OPT_PRINCIPAL},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *command = argv[0];
  memset(opts, 0, sizeof *opts);
  opts->principal = DEFAULT_PRINCIPAL;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
    if (c == 'h') {
      opts->help = true;
      return 0;
    } else if (c == OPT_DATA_DIR) {
      opts->data_dir = optarg;
    } else if (c == OPT_TO && allow_to) {
      opts->to_dir = optarg;
    } else if (c == OPT_PRINCIPAL && allow_principal) {
      opts->principal = optarg;
    } else if (c == OPT_DRY_RUN && strcmp(command, "upgrade") == 0) {
      opts->dry_run = true;
    } else {
      char message[200];
      snprintf(message, sizeof message, "unknown or incomplete option '%s'",
               argv[optind - 1]);
      return usage_error(command, message);
    }
  }
  int positional = argc - optind;
  if (file_arg && positional != 1)
    return usage_error(command, "expects exactly one FILE.json");
  if (!file_arg && positional != 0)
    return usage_error(command, "takes no arguments");
  if (file_arg)
    opts->file = argv[optind];
  if (opts->data_dir == NULL || opts->data_dir[0] == '\0')
    return usage_error(command, "--data-dir DIR is required");
  if (allow_to && (opts->to_dir == NULL || opts->to_dir[0] == '\0'))
    return usage_error(command, "--to DIR2 is required");
  if (opts->principal[0] == '\0')
    return usage_error(command, "--principal must not be empty");
  return 0;
}

/* A directory of an older release is upgraded when a command opens it;
 * the operator is told what changed. */
static void print_upgrade_notice(const char *line, void *data) {
  (void)data;
  fprintf(stderr, "%s: upgraded: %s\n", program, line);
}

/* Opens the store in dir. Only `load` may create one: the other commands
 * on a mistyped path would otherwise report an empty store, or back one
 * up. */
static int open_store(const char *dir, bool create, rt_store_t **store) {
  if (!create) {
    char *data_file = NULL;
    struct stat info;
    if (asprintf(&data_file, "%s/data.mdb", dir) < 0) {
      fprintf(stderr, "%s: out of memory\n", program);
      return 1;
    }
    int missing = stat(data_file, &info) != 0;
    free(data_file);
    if (missing) {
      fprintf(stderr, "%s: %s holds no rectrack data directory\n", program,
              dir);
      return 1;
    }
  }
  rt_error_t err;
  rt_error_clear(&err);
  rt_store_options_t options = {.upgrade_notice = print_upgrade_notice};
  int rc = rt_store_open(store, dir, &options, &err);
  if (rc != 0) {
    fprintf(stderr, "%s: cannot open data directory %s: %s (%s)\n", program,
            dir, err.message[0] ? err.message : rt_strerror(rc),
            rt_err_name(rc));
    return 1;
  }
  return 0;
}

/* ---- load ------------------------------------------------------------ */

/* One store transaction applies a batch in order, each op seeing the ones
 * before it, so reports on one subject may share a batch. A source or
 * actor whose id the store already holds counts as present, as in the
 * CLI's import: request ids belong to the principal that sent them, so a
 * file loaded before under another principal is found by its ids. */
static const rt_dataset_load_policy_t load_policy = {
    .max_batch = BATCH_SIZE,
    .same_subject_in_batch = true,
    .existing_counts_as_present = true,
};

static rt_op_kind_t op_kind(rt_dataset_kind_t kind) {
  switch (kind) {
  case RT_DATASET_SOURCE:
    return RT_OP_CREATE_SOURCE;
  case RT_DATASET_ACTOR:
    return RT_OP_CREATE_ACTOR;
  case RT_DATASET_RECOMMENDATION:
    return RT_OP_CREATE_RECOMMENDATION;
  case RT_DATASET_COMMITMENT:
    return RT_OP_CREATE_COMMITMENT;
  case RT_DATASET_FOLLOW_UP:
    return RT_OP_RECORD_FOLLOW_UP;
  case RT_DATASET_THEME:
    return RT_OP_CREATE_THEME;
  case RT_DATASET_DIMENSION_KEY:
    return RT_OP_CREATE_DIMENSION_KEY;
  case RT_DATASET_MEASUREMENT:
    break;
  }
  return RT_OP_RECORD_MEASUREMENT;
}

/* The record the store writes for an item: the message inside its
 * request. */
static const ProtobufCMessage *op_message(const rt_dataset_item_t *item) {
  switch (item->kind) {
  case RT_DATASET_SOURCE:
    return &item->request.source->source->base;
  case RT_DATASET_ACTOR:
    return &item->request.actor->actor->base;
  case RT_DATASET_RECOMMENDATION:
    return &item->request.recommendation->recommendation->base;
  case RT_DATASET_COMMITMENT:
    return &item->request.commitment->commitment->base;
  case RT_DATASET_FOLLOW_UP:
    return &item->request.follow_up->follow_up->base;
  case RT_DATASET_THEME:
    return &item->request.theme->theme->base;
  case RT_DATASET_DIMENSION_KEY:
    return &item->request.dimension_key->dimension_key->base;
  case RT_DATASET_MEASUREMENT:
    break;
  }
  return &item->request.measurement->measurement->base;
}

static void fill_op(rt_write_op_t *op, const rt_dataset_item_t *item,
                    const char *principal) {
  memset(op, 0, sizeof *op);
  op->kind = op_kind(item->kind);
  op->principal = principal;
  op->request_id = item->request_id;
  op->message = op_message(item);
  if (item->kind == RT_DATASET_FOLLOW_UP)
    op->expected_revision = item->request.follow_up->expected_revision;
}

/* What the store's result for one op tells the loader. */
static rt_dataset_answer_t op_answer(const rt_write_op_t *op) {
  if (op->result == RT_EEXIST)
    return RT_DATASET_ANSWER_EXISTS;
  if (op->result != 0)
    return RT_DATASET_ANSWER_FAILED;
  return op->replayed ? RT_DATASET_ANSWER_REPLAYED : RT_DATASET_ANSWER_NEW;
}

/* Hands the store's results for a batch to the loader and reports every
 * item that failed, with its path. */
static void book_batch(rt_dataset_load_t *load, rt_dataset_t *ds,
                       const rt_dataset_step_t *step,
                       const rt_write_op_t *ops) {
  for (size_t slot = 0; slot < step->len; slot++) {
    const rt_write_op_t *op = &ops[slot];
    const char *path = rt_dataset_item(ds, step->items[slot])->path;
    rt_dataset_outcome_t outcome = RT_DATASET_FAILED;
    rt_error_t err;
    rt_error_clear(&err);
    if (rt_dataset_load_book(load, slot, op_answer(op), op->reply,
                             op->reply_len, &outcome, &err) != 0)
      fprintf(stderr, "%s: %s\n", program, err.message);
    if (outcome == RT_DATASET_FAILED && op->result != 0)
      fprintf(stderr, "%s: %s: %s (%s)\n", program, path,
              op->error.message[0] ? op->error.message
                                   : rt_strerror(op->result),
              rt_err_name(op->result));
  }
}

/* Writes the batches load plans, one durable commit each. Returns 0, or
 * 1 when it had to stop (a batch the store could not commit at all). */
static int apply_dataset(rt_store_t *store, rt_dataset_t *ds,
                         rt_dataset_load_t *load, const char *principal) {
  rt_write_op_t *ops = calloc(BATCH_SIZE, sizeof *ops);
  rt_dataset_step_t step;
  rt_error_t err;
  int status = 1;
  if (ops == NULL) {
    fprintf(stderr, "%s: out of memory\n", program);
    return 1;
  }
  for (;;) {
    rt_error_clear(&err);
    int rc = rt_dataset_load_next(load, &step, &err);
    if (rc != 0) {
      fprintf(stderr, "%s: %s\n", program, err.message);
      goto done;
    }
    if (step.kind == RT_DATASET_STEP_DONE)
      break;
    if (step.kind == RT_DATASET_STEP_SKIP) {
      fprintf(stderr, "%s: %s: skipped: %s\n", program,
              rt_dataset_item(ds, step.item)->path, step.reason.message);
      continue;
    }
    for (size_t slot = 0; slot < step.len; slot++)
      fill_op(&ops[slot], rt_dataset_item(ds, step.items[slot]), principal);
    rc = rt_store_apply(store, ops, step.len, &err);
    if (rc != 0) {
      fprintf(stderr,
              "%s: writing a batch failed, nothing of it was kept: %s"
              " (%s)\n",
              program, err.message[0] ? err.message : rt_strerror(rc),
              rt_err_name(rc));
      rt_write_ops_release(ops, step.len);
      goto done;
    }
    book_batch(load, ds, &step, ops);
    rt_write_ops_release(ops, step.len);
  }
  status = 0;
done:
  free(ops);
  return status;
}

/* Counts per kind, indexed by rt_dataset_kind_t. */
typedef struct load_tallies {
  rt_dataset_tally_t kind[RT_DATASET_THEME + 1];
} load_tallies_t;

static void add_tallies(load_tallies_t *sum, const rt_dataset_load_t *load) {
  for (int kind = RT_DATASET_SOURCE; kind <= RT_DATASET_THEME; kind++) {
    rt_dataset_tally_t t = rt_dataset_load_tally(load, kind);
    sum->kind[kind].created += t.created;
    sum->kind[kind].present += t.present;
    sum->kind[kind].replayed += t.replayed;
    sum->kind[kind].failed += t.failed;
  }
}

static void print_tallies(const load_tallies_t *sum, const char *file,
                          const char *dir) {
  printf("%s -> %s\n", file, dir);
  printf("  %-16s %8s %10s %7s\n", "kind", "created", "unchanged", "failed");
  for (int kind = RT_DATASET_SOURCE; kind <= RT_DATASET_THEME; kind++) {
    const rt_dataset_tally_t *t = &sum->kind[kind];
    printf("  %-16s %8zu %10zu %7zu\n", rt_dataset_kind_name(kind), t->created,
           t->replayed + t->present, t->failed);
  }
}

static size_t failed_items(const load_tallies_t *sum) {
  size_t failed = 0;
  for (int kind = RT_DATASET_SOURCE; kind <= RT_DATASET_THEME; kind++)
    failed += sum->kind[kind].failed;
  return failed;
}

static void print_load_stats(const rt_dataset_load_t *load, const char *file,
                             const char *dir) {
  load_tallies_t sum = {0};
  add_tallies(&sum, load);
  print_tallies(&sum, file, dir);
}

static void print_problems(const rt_dataset_errors_t *errors,
                           const char *file) {
  for (size_t i = 0; i < errors->problems_len; i++) {
    const char *message = errors->problems[i].message;
    /* Syntax errors already start with "FILE:line:column:". */
    if (strncmp(message, file, strlen(file)) == 0)
      fprintf(stderr, "%s\n", message);
    else
      fprintf(stderr, "%s: %s\n", file, message);
  }
  if (errors->count > errors->problems_len)
    fprintf(stderr, "%s: ... and %zu more\n", file,
            errors->count - errors->problems_len);
  fprintf(stderr, "%s: %zu problem%s, nothing was loaded\n", file,
          errors->count, errors->count == 1 ? "" : "s");
}

/* The themes and dimension keys of ds that the store holds already must
 * agree with it (a different title or rule is a problem, nothing of ds is
 * written); those that do count as present when their create is refused.
 * Returns 0 or 1. */
static int check_themes(rt_store_t *store, const rt_dataset_t *ds,
                        const char *file) {
  if (rt_dataset_count_kind(ds, RT_DATASET_THEME) == 0 &&
      rt_dataset_count_kind(ds, RT_DATASET_DIMENSION_KEY) == 0)
    return 0;
  rt_store_reader_t *reader = NULL;
  Rectrack__V1__Theme **themes = NULL;
  Rectrack__V1__DimensionKey **keys = NULL;
  size_t count = 0, key_count = 0;
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_reader_begin(store, &reader, &err);
  if (rc == 0)
    rc = rt_store_list_themes(reader, &themes, &count, &err);
  if (rc == 0)
    rc = rt_store_list_dimension_keys(reader, &keys, &key_count, &err);
  if (reader != NULL)
    rt_store_reader_end(reader);
  if (rc == 0)
    rc = rt_dataset_check_existing_themes(ds, themes, count, &errors, &err);
  if (rc == 0)
    rc = rt_dataset_check_existing_dimension_keys(ds, keys, key_count, &errors,
                                                  &err);
  if (rc == RT_EINVAL)
    print_problems(&errors, file);
  else if (rc != 0)
    fprintf(stderr, "%s: %s\n", program, err.message);
  rt_dataset_errors_free(&errors);
  rt_store_themes_free(themes, count);
  rt_store_dimension_keys_free(keys, key_count);
  return rc == 0 ? 0 : 1;
}

/* A JSON Lines file: checked whole first (nothing is written unless every
 * line is valid), then loaded segment by segment, each freed before the
 * next is read, so memory stays flat whatever the file's size. */
#define LINES_SEGMENT 4096

static int load_lines(const options_t *opts) {
  rt_dataset_errors_t errors;
  rt_error_t err;
  size_t items = 0;
  int rc = rt_dataset_check_lines(opts->file, &items, &errors, &err);
  if (rc == RT_EINVAL)
    print_problems(&errors, opts->file);
  else if (rc != 0)
    fprintf(stderr, "%s: %s\n", program, err.message);
  rt_dataset_errors_free(&errors);
  if (rc != 0)
    return 1;
  rt_store_t *store = NULL;
  rt_dataset_stream_t *stream = NULL;
  load_tallies_t sum = {0};
  int status = open_store(opts->data_dir, true, &store);
  if (status == 0 && rt_dataset_stream_open(opts->file, &stream, &err) != 0) {
    fprintf(stderr, "%s: %s\n", program, err.message);
    status = 1;
  }
  while (status == 0) {
    rt_dataset_t *segment = NULL;
    rt_dataset_load_t *load = NULL;
    rc = rt_dataset_stream_next(stream, LINES_SEGMENT, &segment, &errors, &err);
    rt_dataset_errors_free(&errors);
    if (rc != 0) {
      fprintf(stderr, "%s: %s\n", program, err.message);
      status = 1;
      break;
    }
    if (segment == NULL)
      break;
    if (check_themes(store, segment, opts->file) != 0) {
      status = 1;
    } else if (rt_dataset_load_new(segment, &load_policy, &load, &err) != 0) {
      fprintf(stderr, "%s: %s\n", program, err.message);
      status = 1;
    } else {
      status = apply_dataset(store, segment, load, opts->principal);
      add_tallies(&sum, load);
    }
    rt_dataset_stream_retire(stream, segment);
    rt_dataset_load_free(load);
    rt_dataset_free(segment);
  }
  if (stream != NULL)
    print_tallies(&sum, opts->file, opts->data_dir);
  if (failed_items(&sum) > 0)
    status = 1;
  rt_dataset_stream_close(stream);
  rt_store_close(store);
  return status;
}

static int command_load(int argc, char **argv) {
  options_t opts;
  int rc = parse_options(argc, argv, &opts, false, true, true);
  if (rc != 0)
    return rc;
  if (opts.help) {
    printf("usage: %s load --data-dir DIR FILE [--principal NAME]\n"
           "\n"
           "Validates every item of FILE (format rectrack-import/1, or its\n"
           "JSON Lines form rectrack-import-lines/1, read line by line) and,\n"
           "only if all are valid, applies them to the store in DIR\n"
           "(created if missing) in batches of %d. Running the same load\n"
           "again creates nothing new. Changes are recorded as made by\n"
           "NAME (default %s).\n",
           program, BATCH_SIZE, DEFAULT_PRINCIPAL);
    return 0;
  }
  if (rt_dataset_is_lines_file(opts.file))
    return load_lines(&opts);
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  rc = rt_dataset_parse_file(opts.file, &ds, &errors, &err);
  if (rc == RT_EINVAL) {
    print_problems(&errors, opts.file);
    rt_dataset_errors_free(&errors);
    return 1;
  }
  rt_dataset_errors_free(&errors);
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", program, err.message);
    return 1;
  }
  rt_store_t *store = NULL;
  rt_dataset_load_t *load = NULL;
  int status = open_store(opts.data_dir, true, &store);
  if (status == 0)
    status = check_themes(store, ds, opts.file);
  if (status == 0 && rt_dataset_load_new(ds, &load_policy, &load, &err) != 0) {
    fprintf(stderr, "%s: %s\n", program, err.message);
    status = 1;
  }
  if (load != NULL) {
    status = apply_dataset(store, ds, load, opts.principal);
    print_load_stats(load, opts.file, opts.data_dir);
    if (rt_dataset_load_total(load).failed > 0)
      status = 1;
  }
  rt_dataset_load_free(load);
  rt_store_close(store);
  rt_dataset_free(ds);
  return status;
}

/* ---- show ------------------------------------------------------------ */

/* A tally of recommendations per theme and status. */
typedef struct theme_count {
  char *theme;
  size_t by_status[8];
  size_t total;
} theme_count_t;

typedef struct summary {
  size_t by_status[8];
  size_t archived;
  theme_count_t *themes;
  size_t themes_len;
  size_t commitments_by_status[8];
} summary_t;

static theme_count_t *find_theme(summary_t *summary, const char *theme) {
  for (size_t i = 0; i < summary->themes_len; i++)
    if (strcmp(summary->themes[i].theme, theme) == 0)
      return &summary->themes[i];
  theme_count_t *themes = realloc(summary->themes, (summary->themes_len + 1) *
                                                       sizeof *summary->themes);
  if (themes == NULL)
    return NULL;
  summary->themes = themes;
  theme_count_t *entry = &themes[summary->themes_len];
  memset(entry, 0, sizeof *entry);
  entry->theme = strdup(theme);
  if (entry->theme == NULL)
    return NULL;
  summary->themes_len++;
  return entry;
}

static unsigned status_slot(int status) {
  return status >= 0 && status < 8 ? (unsigned)status : 0;
}

static void today(char out[11]) {
  rt_date_from_days((long)(time(NULL) / 86400), out);
}

static int tally_recommendations(rt_store_reader_t *reader, summary_t *summary,
                                 rt_error_t *err) {
  Rectrack__V1__ListRecommendationsRequest request =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  char date[11], *token = NULL;
  today(date);
  request.page_size = 1000;
  request.include_archived = true;
  int rc = 0;
  do {
    Rectrack__V1__ListRecommendationsResponse *page = NULL;
    request.page_token = token ? token : (char *)"";
    rc = rt_store_list_recommendations(reader, &request, date, &page, err);
    free(token);
    token = NULL;
    if (rc != 0)
      break;
    for (size_t i = 0; i < page->n_recommendations && rc == 0; i++) {
      const Rectrack__V1__Recommendation *rec = page->recommendations[i];
      if (rec->archived) {
        summary->archived++;
        continue;
      }
      theme_count_t *theme = find_theme(summary, rec->theme);
      if (theme == NULL) {
        rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
        break;
      }
      summary->by_status[status_slot(rec->status)]++;
      theme->by_status[status_slot(rec->status)]++;
      theme->total++;
    }
    if (rc == 0 && page->next_page_token && page->next_page_token[0] &&
        (token = strdup(page->next_page_token)) == NULL)
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    protobuf_c_message_free_unpacked(&page->base, NULL);
  } while (rc == 0 && token != NULL);
  free(token);
  return rc;
}

static int tally_commitments(rt_store_reader_t *reader, summary_t *summary,
                             rt_error_t *err) {
  Rectrack__V1__ListCommitmentsRequest request =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  char date[11], *token = NULL;
  today(date);
  request.page_size = 1000;
  int rc = 0;
  do {
    Rectrack__V1__ListCommitmentsResponse *page = NULL;
    request.page_token = token ? token : (char *)"";
    rc = rt_store_list_commitments(reader, &request, date, &page, err);
    free(token);
    token = NULL;
    if (rc != 0)
      break;
    for (size_t i = 0; i < page->n_commitments; i++)
      summary
          ->commitments_by_status[status_slot(page->commitments[i]->status)]++;
    if (page->next_page_token && page->next_page_token[0] &&
        (token = strdup(page->next_page_token)) == NULL)
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    protobuf_c_message_free_unpacked(&page->base, NULL);
  } while (rc == 0 && token != NULL);
  free(token);
  return rc;
}

static const char *status_label(unsigned status) {
  const char *name = rt_enum_slug(&rectrack__v1__status__descriptor, status);
  return name ? name : "unspecified";
}

static void print_status_counts(const size_t by_status[8]) {
  for (unsigned s = 0; s < 8; s++)
    if (by_status[s] > 0)
      printf("  %-24s %6zu\n", status_label(s), by_status[s]);
}

static int compare_themes(const void *a, const void *b) {
  const theme_count_t *left = a, *right = b;
  if (left->total != right->total)
    return left->total < right->total ? 1 : -1;
  return strcmp(left->theme, right->theme);
}

static void print_themes(summary_t *summary) {
  if (summary->themes_len > 1)
    qsort(summary->themes, summary->themes_len, sizeof *summary->themes,
          compare_themes);
  printf("Recommendations by theme:\n");
  printf("  %-24s %6s %6s %6s\n", "", "done", "active", "total");
  for (size_t i = 0; i < summary->themes_len; i++) {
    const theme_count_t *theme = &summary->themes[i];
    size_t under_way =
        theme->by_status[RECTRACK__V1__STATUS__STATUS_IN_PROGRESS] +
        theme->by_status[RECTRACK__V1__STATUS__STATUS_PARTIALLY_IMPLEMENTED];
    printf("  %-24s %6zu %6zu %6zu\n",
           theme->theme[0] ? theme->theme : "(no theme)",
           theme->by_status[RECTRACK__V1__STATUS__STATUS_IMPLEMENTED],
           under_way, theme->total);
  }
}

static void print_summary(const char *dir, const rt_store_counts_t *counts,
                          summary_t *summary, size_t map_size) {
  printf("Data directory %s\n", dir);
  printf("Revision %llu, map size %.1f MiB\n\n",
         (unsigned long long)counts->revision, map_size / 1048576.0);
  printf("Records:\n");
  printf("  %-24s %6lld\n", "sources", (long long)counts->sources);
  printf("  %-24s %6lld\n", "actors", (long long)counts->actors);
  printf("  %-24s %6lld\n", "recommendations",
         (long long)counts->recommendations);
  printf("  %-24s %6lld\n", "commitments", (long long)counts->commitments);
  printf("  %-24s %6lld\n", "follow-ups", (long long)counts->follow_ups);
  printf("  %-24s %6lld\n\n", "measurements", (long long)counts->measurements);
  printf("Recommendations by status%s:\n",
         summary->archived ? " (archived left out)" : "");
  print_status_counts(summary->by_status);
  if (summary->archived)
    printf("  %-24s %6zu\n", "(archived)", summary->archived);
  printf("\n");
  print_themes(summary);
  printf("\nCommitments by status:\n");
  print_status_counts(summary->commitments_by_status);
}

static int command_show(int argc, char **argv) {
  options_t opts;
  int rc = parse_options(argc, argv, &opts, false, false, false);
  if (rc != 0)
    return rc;
  if (opts.help) {
    printf("usage: %s show --data-dir DIR\n"
           "\n"
           "Prints what the store in DIR holds: record counts, the current\n"
           "revision, recommendations per status and per theme, and\n"
           "commitments per status, all from one consistent snapshot.\n",
           program);
    return 0;
  }
  rt_store_t *store = NULL;
  if (open_store(opts.data_dir, false, &store) != 0)
    return 1;
  rt_store_reader_t *reader = NULL;
  rt_store_counts_t counts;
  summary_t summary = {0};
  rt_error_t err;
  rt_error_clear(&err);
  rc = rt_store_reader_begin(store, &reader, &err);
  if (rc == 0)
    rc = rt_store_count(reader, &counts, &err);
  if (rc == 0)
    rc = tally_recommendations(reader, &summary, &err);
  if (rc == 0)
    rc = tally_commitments(reader, &summary, &err);
  rt_store_reader_end(reader);
  if (rc == 0)
    print_summary(opts.data_dir, &counts, &summary, rt_store_map_size(store));
  else
    fprintf(stderr, "%s: reading %s failed: %s (%s)\n", program, opts.data_dir,
            err.message[0] ? err.message : rt_strerror(rc), rt_err_name(rc));
  for (size_t i = 0; i < summary.themes_len; i++)
    free(summary.themes[i].theme);
  free(summary.themes);
  rt_store_close(store);
  return rc == 0 ? 0 : 1;
}

/* ---- verify and backup ---------------------------------------------- */

static int command_verify(int argc, char **argv) {
  options_t opts;
  int rc = parse_options(argc, argv, &opts, false, false, false);
  if (rc != 0)
    return rc;
  if (opts.help) {
    printf("usage: %s verify --data-dir DIR\n"
           "\n"
           "Walks the whole store in one snapshot: the change log's hash\n"
           "chain is intact and gap-free, every index entry points at a\n"
           "record with that value and every record is in its indexes.\n"
           "Exits 1 and lists the problems if any was found.\n"
           "Also lists, as notices, the records tagged with an SDG target,\n"
           "GCM objective or theme outside the reference lists: data to\n"
           "correct with rectrack rec edit or commit edit; they do not make\n"
           "the store unsound.\n",
           program);
    return 0;
  }
  rt_store_t *store = NULL;
  if (open_store(opts.data_dir, false, &store) != 0)
    return 1;
  rt_verify_report_t report;
  rt_error_t err;
  memset(&report, 0, sizeof report);
  rt_error_clear(&err);
  rc = rt_store_verify(store, &report, &err);
  int status = 0;
  if (rc != 0) {
    fprintf(stderr, "%s: verify could not run: %s (%s)\n", program,
            err.message[0] ? err.message : rt_strerror(rc), rt_err_name(rc));
    status = 1;
  } else {
    printf("checked %llu log entries, %llu records, %llu index entries\n",
           (unsigned long long)report.entries_checked,
           (unsigned long long)report.records_checked,
           (unsigned long long)report.index_entries_checked);
    for (size_t i = 0; i < report.problems_len; i++)
      fprintf(stderr, "%s: problem: %s\n", program, report.problems[i]);
    if (report.problem_count > report.problems_len)
      fprintf(stderr, "%s: ... and %zu more problems\n", program,
              report.problem_count - report.problems_len);
    for (size_t i = 0; i < report.notices_len; i++)
      printf("notice: %s\n", report.notices[i]);
    if (report.notice_count > report.notices_len)
      printf("... and %zu more notices\n",
             report.notice_count - report.notices_len);
    if (report.problem_count > 0) {
      fprintf(stderr, "%s: %s is NOT sound: %zu problem%s\n", program,
              opts.data_dir, report.problem_count,
              report.problem_count == 1 ? "" : "s");
      status = 1;
    } else {
      printf("%s is sound\n", opts.data_dir);
    }
    if (report.notice_count > 0)
      printf("%zu notice%s: data written before the rules that now refuse "
             "it, kept as it is, to correct\n",
             report.notice_count, report.notice_count == 1 ? "" : "s");
  }
  rt_verify_report_free(&report);
  rt_store_close(store);
  return status;
}

static int command_backup(int argc, char **argv) {
  options_t opts;
  int rc = parse_options(argc, argv, &opts, true, false, false);
  if (rc != 0)
    return rc;
  if (opts.help) {
    printf("usage: %s backup --data-dir DIR --to DIR2\n"
           "\n"
           "Writes a compacted, consistent copy of the store in DIR into\n"
           "DIR2 (created if missing; it must not hold a store already).\n"
           "Safe while rectrackd runs. The copy opens like any data\n"
           "directory: rectrackd --data-dir DIR2.\n",
           program);
    return 0;
  }
  rt_store_t *store = NULL;
  if (open_store(opts.data_dir, false, &store) != 0)
    return 1;
  rt_error_t err;
  rt_error_clear(&err);
  rc = rt_store_backup(store, opts.to_dir, &err);
  if (rc != 0)
    fprintf(stderr, "%s: backup to %s failed: %s (%s)\n", program, opts.to_dir,
            err.message[0] ? err.message : rt_strerror(rc), rt_err_name(rc));
  else
    printf("backed up %s to %s\n", opts.data_dir, opts.to_dir);
  rt_store_close(store);
  return rc == 0 ? 0 : 1;
}

static int command_upgrade(int argc, char **argv) {
  options_t opts;
  int rc = parse_options(argc, argv, &opts, false, false, false);
  if (rc != 0)
    return rc;
  if (opts.help) {
    printf("usage: %s upgrade --data-dir DIR [--dry-run]\n"
           "\n"
           "Brings a data directory written by an older release to the\n"
           "layout of this one (schema version %d), in one transaction,\n"
           "and says what changed. --dry-run does the same work, says what\n"
           "would change and leaves the directory as it was. rectrackd and\n"
           "every other command upgrade a directory when they open it;\n"
           "this command lets you look first. Stop rectrackd before\n"
           "upgrading its directory with another release's tools.\n",
           program, RT_STORE_SCHEMA_VERSION);
    return 0;
  }
  rt_store_upgrade_report_t report;
  rt_error_t err;
  rt_error_clear(&err);
  rc = rt_store_upgrade(opts.data_dir, NULL, opts.dry_run, &report, &err);
  if (rc != 0) {
    fprintf(stderr, "%s: upgrade of %s failed, nothing was changed: %s (%s)\n",
            program, opts.data_dir,
            err.message[0] ? err.message : rt_strerror(rc), rt_err_name(rc));
    return 1;
  }
  if (report.lines_len == 0)
    printf("%s: schema version %llu, nothing to upgrade\n", opts.data_dir,
           (unsigned long long)report.to_version);
  else
    printf("%s: schema version %llu -> %llu%s\n", opts.data_dir,
           (unsigned long long)report.from_version,
           (unsigned long long)report.to_version,
           opts.dry_run ? " (dry run: nothing was changed)" : "");
  for (size_t i = 0; i < report.lines_len; i++)
    printf("  %s\n", report.lines[i]);
  rt_store_upgrade_report_free(&report);
  return 0;
}

/* ---- main ------------------------------------------------------------ */

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
} command_t;

static const command_t commands[] = {
    {"load", command_load},       {"show", command_show},
    {"verify", command_verify},   {"backup", command_backup},
    {"upgrade", command_upgrade}, {"token", admin_token_command},
};

int main(int argc, char **argv) {
  if (argc < 2) {
    print_main_usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    print_main_usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("%s %s\n", program, RT_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "%s: unknown command '%s'\n", program, argv[1]);
  print_main_usage(stderr);
  return EXIT_USAGE;
}
