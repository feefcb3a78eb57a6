/*
 * rt_cli: the internals of the `rectrack` command-line client, shared by
 * its source files (argument parsing, output, the command tables).
 *
 * Owns: the command registry, global options, the exit-code contract, the
 * argument parser, output rendering (table, JSON, CSV) and the generic
 * protobuf-c helpers the commands are built from. May call rt_client (the
 * blocking gRPC transport), rt_dataset (import format, enum names),
 * rt_validate and the generated rectrack.v1 messages. Names people read
 * (actor names in tables, the reference lists of `ref`) come from the
 * server (rt_cli_names.c, rt_cli_reference.c). Not a public API: the
 * only consumer is the rectrack executable and its unit tests.
 */
#ifndef RT_CLI_H
#define RT_CLI_H

#include "rt_client.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes, documented in `rectrack --help` and README.md. */
enum {
  RT_CLI_EXIT_OK = 0,
  RT_CLI_EXIT_ERROR = 1,       /* anything else */
  RT_CLI_EXIT_USAGE = 2,       /* bad command line */
  RT_CLI_EXIT_NOTFOUND = 3,    /* NOT_FOUND */
  RT_CLI_EXIT_INVALID = 4,     /* bad value: INVALID_ARGUMENT, ... */
  RT_CLI_EXIT_CONFLICT = 5,    /* ABORTED, ALREADY_EXISTS */
  RT_CLI_EXIT_AUTH = 6,        /* UNAUTHENTICATED, PERMISSION_DENIED */
  RT_CLI_EXIT_UNAVAILABLE = 7, /* UNAVAILABLE, DEADLINE_EXCEEDED, TLS */
};

/* ---- argument parsing ------------------------------------------------ */

typedef enum rt_arg_kind {
  RT_ARG_FLAG = 0,  /* --overdue */
  RT_ARG_VALUE = 1, /* --as-of DATE (last one wins) */
  RT_ARG_MULTI = 2, /* --sdg 10.7 --sdg 10.c (every value kept) */
} rt_arg_kind_t;

typedef struct rt_arg_spec {
  const char *name; /* long name without dashes: "as-of" */
  char short_name;  /* 'o', or 0 */
  rt_arg_kind_t kind;
  const char *metavar; /* "DATE"; NULL for flags */
  const char *help;
} rt_arg_spec_t;

typedef struct rt_arg_slot {
  size_t count;
  const char **values; /* borrowed from argv */
} rt_arg_slot_t;

typedef struct rt_args {
  const rt_arg_spec_t *specs; /* terminated by a {NULL} entry */
  size_t spec_count;
  rt_arg_slot_t *slots; /* one per spec */
  const char **positional;
  size_t positional_count;
  bool help; /* -h or --help was given */
} rt_args_t;

/* Parses argv[0..argc) against specs (terminated by an entry with a NULL
 * name). Accepts --name VALUE, --name=VALUE, -x VALUE, flags, positional
 * arguments anywhere and `--`. When stop_at_positional is set, parsing
 * stops at the first positional argument and the rest is left in
 * positional (for the global options before the command). On error
 * returns RT_CLI_EXIT_USAGE and sets *message (malloc'd, caller frees).
 * Free args with rt_args_free in any case. */
int rt_args_parse(const rt_arg_spec_t *specs, int argc, char **argv,
                  bool stop_at_positional, rt_args_t *args, char **message);
void rt_args_free(rt_args_t *args);
/* The last value of option name, or NULL. */
const char *rt_args_get(const rt_args_t *args, const char *name);
/* How many times option name was given. */
size_t rt_args_count(const rt_args_t *args, const char *name);
/* The i-th value of a RT_ARG_MULTI option. */
const char *rt_args_value(const rt_args_t *args, const char *name,
                          size_t index);

/* Parses "30s", "500ms", "2m", "1h", "1m30s" or bare seconds "10" into
 * milliseconds. Returns 0, or -1 for anything else (including 0 and
 * overflow). */
int rt_cli_parse_duration(const char *text, int64_t *ms_out);

/* Parses a non-negative decimal integer into *out; -1 if not one. */
int rt_cli_parse_uint(const char *text, uint64_t *out);

/* ---- the running CLI ---------------------------------------------------- */

typedef enum rt_cli_format {
  RT_CLI_FORMAT_TABLE = 0,
  RT_CLI_FORMAT_JSON = 1,
  RT_CLI_FORMAT_CSV = 2,
} rt_cli_format_t;

typedef struct rt_cli {
  char *server;  /* HOST:PORT, http://HOST:PORT or https://HOST:PORT */
  char *ca_file; /* --ca-file: CAs to verify a TLS server by, or NULL */
  bool tls;      /* --tls: TLS to a bare HOST:PORT */
  char *token;   /* may be NULL */
  char *user;    /* may be NULL */
  int64_t timeout_ms;
  rt_cli_format_t format;
  FILE *out;
  FILE *err;
  bool color;                 /* colour status values in tables */
  int width;                  /* terminal columns for tables */
  bool err_is_tty;            /* progress bars */
  rt_client_t *client;        /* created on the first call */
  struct rt_cli_names *names; /* rt_cli_names.c: read on first use */
  const char *program;        /* "rectrack" */
} rt_cli_t;

/* A command: `rec add`, `status`. sub is NULL for one-word commands. */
typedef struct rt_cli_command {
  const char *name;
  const char *sub;
  int (*run)(rt_cli_t *cli, const rt_args_t *args);
  const rt_arg_spec_t *specs; /* terminated by {NULL} */
  const char *usage;          /* arguments after the command words */
  const char *summary;
  const char *example;
  size_t min_positional;
  size_t max_positional;
} rt_cli_command_t;

/* The command tables, each terminated by an entry with a NULL name. */
extern const rt_cli_command_t rt_cli_records_commands[];
extern const rt_cli_command_t rt_cli_followup_commands[];
extern const rt_cli_command_t rt_cli_import_commands[];
extern const rt_cli_command_t rt_cli_misc_commands[];
extern const rt_cli_command_t rt_cli_completion_commands[];
extern const rt_cli_command_t rt_cli_reference_commands[];

/* ---- rt_cli_series.c: --dim KEY=VALUE and the series of a commitment -- */
struct Rectrack__V1__Dimension;
typedef struct rt_cli_dims {
  struct Rectrack__V1__Dimension **items;
  size_t n;
} rt_cli_dims_t;
/* Parses every --dim of args into *out (free with rt_cli_dims_free);
 * 0, or an exit code after a message naming the bad option. */
int rt_cli_parse_dims(rt_cli_t *cli, const rt_args_t *args, rt_cli_dims_t *out);
void rt_cli_dims_free(rt_cli_dims_t *dims);
/* After `commit show` (table output): each series, and the line "3
 * corridors above 5 per cent: GBR-NGA 6.1, ..." when the indicator has a
 * series ceiling. Does nothing for other records or formats. */
void rt_cli_print_series_summary(rt_cli_t *cli, const ProtobufCMessage *record);

/* After `commit show` (table output) of a joint or matching pledge: its
 * type, each partner's status ("phl: in-progress as of 2025-03-01"), the
 * pledge it matches and those matching it. Does nothing for other records
 * or formats (rt_cli_pledges.c). */
void rt_cli_print_pledge_summary(rt_cli_t *cli, const ProtobufCMessage *record);

/* Every table, NULL-terminated (for dispatch, help and completion). */
extern const rt_cli_command_t *const rt_cli_command_tables[];

/* Global options (--server ...), for help and completion. */
extern const rt_arg_spec_t rt_cli_global_specs[];

/* `import FILE` (rt_cli_import.c; its table entry is in rt_cli_export.c). */
int rt_cli_run_import(rt_cli_t *cli, const rt_args_t *args);

/* Entry point of the program, after main(). */
int rt_cli_main(int argc, char **argv);

/* Prints "rectrack: <message>" on stderr; returns code. */
int rt_cli_fail(rt_cli_t *cli, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- calls ------------------------------------------------------------ */

/* Maps a gRPC status code to the exit code above. */
int rt_cli_exit_code_for_status(int grpc_status);

/* Makes the unary call /rectrack.v1.Tracker/<method> (or a full path
 * starting with '/'). On success stores the unpacked response (free with
 * protobuf_c_message_free_unpacked(resp, NULL)) and returns 0. On failure
 * prints "rectrack: <what>: <message>" and returns the exit code. */
int rt_cli_call(rt_cli_t *cli, const char *method, const char *what,
                const ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *response_descriptor,
                ProtobufCMessage **response);

/* Like rt_cli_call but does not print on failure: returns 0 or the gRPC
 * status code, and the server's message in status (caller frees). */
int rt_cli_call_quiet(rt_cli_t *cli, const char *method,
                      const ProtobufCMessage *request,
                      const ProtobufCMessageDescriptor *response_descriptor,
                      ProtobufCMessage **response, rt_client_status_t *status);

/* All the pages of a List call. items point into pages. */
typedef struct rt_cli_list {
  ProtobufCMessage **pages;
  size_t page_count;
  const ProtobufCMessage **items;
  size_t item_count;
} rt_cli_list_t;

/* Calls method with request again and again, following next_page_token,
 * collecting the repeated field items_field of each response, until the
 * last page or limit items (0 = all). request must have page_size and
 * page_token fields; its page_token is reset before returning. Returns 0
 * or an exit code (the error is printed). */
int rt_cli_list_all(rt_cli_t *cli, const char *method, const char *what,
                    ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_descriptor,
                    const char *items_field, size_t limit, rt_cli_list_t *list);
void rt_cli_list_free(rt_cli_list_t *list);

/* ---- message fields by name --------------------------------------------- */

/* Sets field `name` of message from text: strings are copied, enums take
 * their CLI name ("in-progress"), numbers and bools are parsed; a repeated
 * field gets the value appended. Nested "indicator.unit" creates the
 * sub-message. Returns 0 or -1 with *message set (malloc'd). Values
 * allocated here are freed by protobuf_c_message_free_unpacked. */
int rt_cli_set_field(ProtobufCMessage *message, const char *name,
                     const char *text, char **error);

/* The slug of an enum value as the CLI prints it ("in-progress",
 * rt_enum_slug), "" for UNSPECIFIED. Static storage. */
const char *rt_cli_enum_text(const ProtobufCEnumDescriptor *type, int value);

/* A message as a JSON object (jansson json_t *, as void * to keep jansson
 * out of this header); NULL when out of memory. */
void *rt_cli_message_to_json(const ProtobufCMessage *message);

/* The text of one field for a table (human) or CSV (machine) cell;
 * malloc'd. Repeated values are joined with ", " or ";". */
char *rt_cli_field_text(const ProtobufCMessage *message, const char *name,
                        bool machine);

/* ---- output ----------------------------------------------------------- */

/* Display width of UTF-8 text: East Asian wide characters count 2,
 * combining marks 0, other code points 1. Invalid bytes count 1. */
size_t rt_cli_text_width(const char *text);

/* Text cut to at most width columns, ending with "…" when cut; control
 * characters and newlines become spaces. malloc'd. */
char *rt_cli_text_fit(const char *text, size_t width);

/* Appends one RFC 4180 CSV field (quoted when it holds a comma, quote, CR
 * or LF, or starts/ends with a space) to out. */
void rt_cli_csv_field(FILE *out, const char *text);

/* One record of a CSV file: its fields and the line it starts on. */
typedef struct rt_cli_csv_row {
  char **fields;
  size_t count;
  int line;
} rt_cli_csv_row_t;

/* Parses RFC 4180 CSV (quoted fields with "" and line breaks, CRLF or LF,
 * an optional UTF-8 BOM); blank lines are skipped. Returns 0 with *rows
 * (free with rt_cli_csv_rows_free), or -1 with *error (malloc'd) naming
 * the line. */
int rt_cli_csv_parse(const char *data, size_t len, rt_cli_csv_row_t **rows,
                     size_t *row_count, char **error);
void rt_cli_csv_rows_free(rt_cli_csv_row_t *rows, size_t count);

/* A table being built; cells are copied. */
typedef struct rt_cli_table rt_cli_table_t;
rt_cli_table_t *rt_cli_table_new(size_t column_count,
                                 const char *const *headers);
void rt_cli_table_add_row(rt_cli_table_t *table, const char *const *cells);
/* Marks a column whose cells are status names (coloured on a terminal). */
void rt_cli_table_set_status_column(rt_cli_table_t *table, size_t column);
/* Prints with columns shrunk (widest first) to fit width. */
void rt_cli_table_print(const rt_cli_table_t *table, FILE *out, size_t width,
                        bool color);
void rt_cli_table_free(rt_cli_table_t *table);

/* A column of a listing: message field name and header. */
typedef struct rt_cli_column {
  const char *field;
  const char *header;
} rt_cli_column_t;

/* Prints messages in the CLI's output format: a table of columns, a JSON
 * document {json_key: [...]} or CSV of every field. */
void rt_cli_print_list(rt_cli_t *cli, const ProtobufCMessage *const *items,
                       size_t count, const rt_cli_column_t *columns,
                       size_t column_count, const char *json_key,
                       const ProtobufCMessageDescriptor *descriptor);

/* Prints text wrapped at width columns, at words; continuation lines are
 * indented by indent spaces (the first line is the caller's to start).
 * Ends with a newline. */
void rt_cli_print_wrapped(FILE *out, const char *text, size_t indent,
                          size_t width);

/* The name of actor id, read from the server with every actor the first
 * time a name is wanted (rt_cli_names.c); the id itself when the server
 * has no name for it. Valid until rt_cli_names_free, which the CLI's
 * exit calls. "" for NULL or "". */
const char *rt_cli_actor_name(rt_cli_t *cli, const char *id);
/* The same for a table cell: takes id (malloc'd, may be NULL) and returns
 * the name in a malloc'd string of its own (the caller frees it), or id
 * itself when no copy can be made. */
char *rt_cli_named_actor(rt_cli_t *cli, char *id);
void rt_cli_names_free(rt_cli_t *cli);
/* The value of field of message as a record view shows it, with names
 * beside the codes: "Bangladesh (bgd)" for an actor id, the theme's
 * title, the source's title and date, each SDG target's label and each
 * GCM objective's title (one per line). A malloc'd string the caller
 * frees, or NULL when the field is not one that names something (or is
 * empty): then the plain value is shown. */
char *rt_cli_named_field(rt_cli_t *cli, const ProtobufCMessage *message,
                         const char *field);

/* Prints one message: "field: value" lines, a JSON object, or CSV. */
void rt_cli_print_record(rt_cli_t *cli, const ProtobufCMessage *message);

/* Prints a JSON value (json_t *) with a newline; compact when
 * one_line. Steals the reference. */
void rt_cli_print_json(rt_cli_t *cli, void *json, bool one_line);

/* The ANSI colour sequence for a status or trajectory name, or NULL. */
const char *rt_cli_status_color(const char *status_name);

#endif /* RT_CLI_H */
