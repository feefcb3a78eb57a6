/*
 * The rectrack CLI's front: global options and where their defaults come
 * from (flag, then environment, then the config file, then built-in),
 * command dispatch, --help at every level, the exit-code contract, and the
 * call helpers every command uses (unary calls with the error printed the
 * same way everywhere, and List calls paged to the end).
 *
 * Global options may also follow the command (`rectrack rec list
 * --output json`), since people type them wherever they remember them;
 * no command option has the name of a global one.
 */
#include "rt_cli.h"

#include <errno.h>
#include <jansson.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DEFAULT_SERVER "127.0.0.1:50051"
#define DEFAULT_TIMEOUT_MS 30000

const rt_arg_spec_t rt_cli_global_specs[] = {
    {"server", 's', RT_ARG_VALUE, "HOST:PORT",
     "server address, https://HOST:PORT for TLS (RECTRACK_SERVER; "
     "default " DEFAULT_SERVER ")"},
    {"tls", 0, RT_ARG_FLAG, NULL,
     "speak TLS to a bare HOST:PORT (as https:// does)"},
    {"ca-file", 0, RT_ARG_VALUE, "FILE",
     "verify the TLS server against the CAs in FILE instead of the "
     "system's (RECTRACK_CA_FILE)"},
    {"token", 0, RT_ARG_VALUE, "TOKEN",
     "bearer token sent as authorization (RECTRACK_TOKEN)"},
    {"user", 0, RT_ARG_VALUE, "NAME",
     "who records the change, sent as x-rectrack-user (RECTRACK_USER)"},
    {"timeout", 0, RT_ARG_VALUE, "DUR",
     "deadline of each call: 500ms, 30s, 2m (default 30s)"},
    {"output", 0, RT_ARG_VALUE, "FORMAT", "table, json or csv (default table)"},
    {"version", 0, RT_ARG_FLAG, NULL, "print the version and exit"},
    {NULL, 0, 0, NULL, NULL},
};

const rt_cli_command_t *const rt_cli_command_tables[] = {
    rt_cli_records_commands,
    rt_cli_followup_commands,
    rt_cli_import_commands,
    rt_cli_misc_commands,
    rt_cli_reference_commands,
    rt_cli_completion_commands,
    NULL,
};

static const char exit_code_help[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  other error\n"
    "  2  usage error (bad command line, config file)\n"
    "  3  not found\n"
    "  4  invalid argument (a bad value, also FAILED_PRECONDITION, "
    "OUT_OF_RANGE)\n"
    "  5  conflict: the record changed meanwhile (ABORTED) or already "
    "exists\n"
    "  6  not authenticated or not allowed\n"
    "  7  server unavailable, deadline exceeded, or TLS failed (certificate\n"
    "     not accepted, TLS against cleartext)\n";

int rt_cli_fail(rt_cli_t *cli, int code, const char *format, ...) {
  va_list ap;
  fprintf(cli->err, "%s: ", cli->program);
  va_start(ap, format);
  vfprintf(cli->err, format, ap);
  va_end(ap);
  fputc('\n', cli->err);
  return code;
}

int rt_cli_exit_code_for_status(int grpc_status) {
  switch (grpc_status) {
  case 0:
    return RT_CLI_EXIT_OK;
  case 5: /* NOT_FOUND */
    return RT_CLI_EXIT_NOTFOUND;
  case 3:  /* INVALID_ARGUMENT */
  case 9:  /* FAILED_PRECONDITION */
  case 11: /* OUT_OF_RANGE */
    return RT_CLI_EXIT_INVALID;
  case 6:  /* ALREADY_EXISTS */
  case 10: /* ABORTED */
    return RT_CLI_EXIT_CONFLICT;
  case 7:  /* PERMISSION_DENIED */
  case 16: /* UNAUTHENTICATED */
    return RT_CLI_EXIT_AUTH;
  case 4:  /* DEADLINE_EXCEEDED */
  case 14: /* UNAVAILABLE */
    return RT_CLI_EXIT_UNAVAILABLE;
  default:
    return RT_CLI_EXIT_ERROR;
  }
}

/* ---- calls ------------------------------------------------------------------
 */

int rt_cli_call_quiet(rt_cli_t *cli, const char *method,
                      const ProtobufCMessage *request,
                      const ProtobufCMessageDescriptor *response_descriptor,
                      ProtobufCMessage **response, rt_client_status_t *status) {
  char *path = NULL;
  size_t len = protobuf_c_message_get_packed_size(request);
  uint8_t *bytes = malloc(len + 1);
  uint8_t *reply = NULL;
  size_t reply_len = 0;
  *response = NULL;
  memset(status, 0, sizeof(*status));
  if (bytes == NULL ||
      asprintf(&path, "%s%s", method[0] == '/' ? "" : "/rectrack.v1.Tracker/",
               method) < 0) {
    free(bytes);
    status->code = 8;
    status->message = strdup("out of memory");
    return status->code;
  }
  protobuf_c_message_pack(request, bytes);
  int code = rt_client_unary(cli->client, path, bytes, len, cli->timeout_ms,
                             &reply, &reply_len, status);
  if (code == 0) {
    *response =
        protobuf_c_message_unpack(response_descriptor, NULL, reply_len, reply);
    if (*response == NULL) {
      free(status->message);
      status->code = 13;
      status->message = strdup("cannot decode the server's response");
      code = status->code;
    }
  }
  free(reply);
  free(bytes);
  free(path);
  return code;
}

int rt_cli_call(rt_cli_t *cli, const char *method, const char *what,
                const ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *response_descriptor,
                ProtobufCMessage **response) {
  rt_client_status_t status;
  int code = rt_cli_call_quiet(cli, method, request, response_descriptor,
                               response, &status);
  if (code != 0) {
    const char *message = status.message && status.message[0]
                              ? status.message
                              : rt_client_status_name(code);
    rt_cli_fail(cli, 0, "%s: %s (%s)", what, message,
                rt_client_status_name(code));
    /* A refused certificate or a TLS mismatch says what to do itself. */
    if (code == 14 && status.failure == RT_CLIENT_FAILURE_CONNECT)
      fprintf(cli->err,
              "hint: is rectrackd running at %s? Set --server, "
              "RECTRACK_SERVER or the config file.\n",
              cli->server);
    else if (code == 4)
      fprintf(cli->err,
              "hint: the call took longer than --timeout allows (%lld ms).\n",
              (long long)cli->timeout_ms);
  }
  rt_client_status_clear(&status);
  return rt_cli_exit_code_for_status(code);
}

/* Puts page_token back to the empty default (freeing a copy we made). */
static void reset_page_token(ProtobufCMessage *request) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(request->descriptor,
                                                      "page_token");
  char **slot = (char **)((char *)request + f->offset);
  if (*slot != NULL && *slot != protobuf_c_empty_string)
    free(*slot);
  *slot = (char *)protobuf_c_empty_string;
}

static int set_page_token(ProtobufCMessage *request, const char *token) {
  char *error = NULL;
  int rc = rt_cli_set_field(request, "page_token", token, &error);
  free(error);
  return rc;
}

int rt_cli_list_all(rt_cli_t *cli, const char *method, const char *what,
                    ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_descriptor,
                    const char *items_field, size_t limit,
                    rt_cli_list_t *list) {
  const ProtobufCFieldDescriptor *items =
      protobuf_c_message_descriptor_get_field_by_name(response_descriptor,
                                                      items_field);
  const ProtobufCFieldDescriptor *next =
      protobuf_c_message_descriptor_get_field_by_name(response_descriptor,
                                                      "next_page_token");
  memset(list, 0, sizeof(*list));
  int rc = 0;
  for (;;) {
    ProtobufCMessage *page = NULL;
    rc = rt_cli_call(cli, method, what, request, response_descriptor, &page);
    if (rc != 0)
      break;
    ProtobufCMessage **pages =
        realloc(list->pages, (list->page_count + 1) * sizeof(*pages));
    if (pages == NULL) {
      protobuf_c_message_free_unpacked(page, NULL);
      rc = RT_CLI_EXIT_ERROR;
      break;
    }
    list->pages = pages;
    list->pages[list->page_count++] = page;
    size_t count = *(size_t *)((char *)page + items->quantifier_offset);
    ProtobufCMessage **array =
        *(ProtobufCMessage ***)((char *)page + items->offset);
    const ProtobufCMessage **all =
        realloc(list->items, (list->item_count + count + 1) * sizeof(*all));
    if (all == NULL) {
      rc = RT_CLI_EXIT_ERROR;
      break;
    }
    list->items = all;
    for (size_t i = 0; i < count && (limit == 0 || list->item_count < limit);
         i++)
      list->items[list->item_count++] = array[i];
    const char *token = *(char **)((char *)page + next->offset);
    if (token == NULL || token[0] == '\0' ||
        (limit > 0 && list->item_count >= limit))
      break;
    if (set_page_token(request, token) != 0) {
      rc = RT_CLI_EXIT_ERROR;
      break;
    }
  }
  reset_page_token(request);
  return rc;
}

void rt_cli_list_free(rt_cli_list_t *list) {
  for (size_t i = 0; i < list->page_count; i++)
    protobuf_c_message_free_unpacked(list->pages[i], NULL);
  free(list->pages);
  free(list->items);
  memset(list, 0, sizeof(*list));
}

/* ---- configuration ----------------------------------------------------------
 */

static char *config_path(void) {
  const char *override = getenv("RECTRACK_CONFIG");
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  char *path = NULL;
  if (override != NULL && override[0] != '\0')
    return strdup(override);
  if (xdg != NULL && xdg[0] != '\0') {
    if (asprintf(&path, "%s/rectrack/config", xdg) < 0)
      return NULL;
  } else if (home != NULL && home[0] != '\0') {
    if (asprintf(&path, "%s/.config/rectrack/config", home) < 0)
      return NULL;
  }
  return path;
}

static char *trim(char *text) {
  while (*text == ' ' || *text == '\t')
    text++;
  size_t len = strlen(text);
  while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
    text[--len] = '\0';
  return text;
}

/* Applies one "key = value" line; values already set win. */
static int apply_config_line(rt_cli_t *cli, char *line, const char *path,
                             int number) {
  char *text = trim(line);
  if (text[0] == '\0' || text[0] == '#')
    return 0;
  char *eq = strchr(text, '=');
  if (eq == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "%s:%d: expected \"key = value\"", path, number);
  *eq = '\0';
  char *key = trim(text), *value = trim(eq + 1);
  char **slot = strcmp(key, "server") == 0    ? &cli->server
                : strcmp(key, "ca-file") == 0 ? &cli->ca_file
                : strcmp(key, "token") == 0   ? &cli->token
                : strcmp(key, "user") == 0    ? &cli->user
                                              : NULL;
  if (slot == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "%s:%d: unknown key \"%s\" (known: server, ca-file, "
                       "token, user)",
                       path, number, key);
  if (*slot == NULL)
    *slot = strdup(value);
  return 0;
}

static int read_config(rt_cli_t *cli) {
  char *path = config_path();
  if (path == NULL)
    return 0;
  FILE *file = fopen(path, "r");
  if (file == NULL) {
    bool explicit_path = getenv("RECTRACK_CONFIG") != NULL;
    int rc = explicit_path && errno != 0
                 ? rt_cli_fail(cli, RT_CLI_EXIT_USAGE, "config %s: %s", path,
                               strerror(errno))
                 : 0;
    free(path);
    return rc;
  }
  char *line = NULL;
  size_t cap = 0;
  int number = 0, rc = 0;
  while (rc == 0 && getline(&line, &cap, file) >= 0)
    rc = apply_config_line(cli, line, path, ++number);
  free(line);
  fclose(file);
  free(path);
  return rc;
}

/* ---- global options ---------------------------------------------------------
 */

static void take_env(char **slot, const char *name) {
  const char *value = getenv(name);
  if (*slot == NULL && value != NULL && value[0] != '\0')
    *slot = strdup(value);
}

static void take_flag(char **slot, const rt_args_t *args, const char *name) {
  const char *value = rt_args_get(args, name);
  if (value != NULL) {
    free(*slot);
    *slot = strdup(value);
  }
}

static int apply_output(rt_cli_t *cli, const char *value) {
  if (strcmp(value, "table") == 0)
    cli->format = RT_CLI_FORMAT_TABLE;
  else if (strcmp(value, "json") == 0)
    cli->format = RT_CLI_FORMAT_JSON;
  else if (strcmp(value, "csv") == 0)
    cli->format = RT_CLI_FORMAT_CSV;
  else
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "--output: unknown format \"%s\" (valid: table, json, "
                       "csv)",
                       value);
  return 0;
}

/* Options given on the command line (before or after the command). */
static int apply_flags(rt_cli_t *cli, const rt_args_t *args) {
  take_flag(&cli->server, args, "server");
  take_flag(&cli->ca_file, args, "ca-file");
  if (rt_args_count(args, "tls") > 0)
    cli->tls = true;
  take_flag(&cli->token, args, "token");
  take_flag(&cli->user, args, "user");
  const char *timeout = rt_args_get(args, "timeout");
  if (timeout != NULL && rt_cli_parse_duration(timeout, &cli->timeout_ms) != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "--timeout: \"%s\" is not a duration (e.g. 500ms, "
                       "30s, 2m)",
                       timeout);
  const char *output = rt_args_get(args, "output");
  return output != NULL ? apply_output(cli, output) : 0;
}

static int terminal_width(void) {
  const char *columns = getenv("COLUMNS");
  uint64_t value = 0;
  if (columns != NULL && rt_cli_parse_uint(columns, &value) == 0 &&
      value >= 20 && value <= 1000)
    return (int)value;
  struct winsize ws;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
      ws.ws_col >= 20)
    return ws.ws_col;
  return 80;
}

/* Environment and config fill what the flags left unset, then the
 * client is created (no I/O yet). */
static int finish_setup(rt_cli_t *cli) {
  take_env(&cli->server, "RECTRACK_SERVER");
  take_env(&cli->ca_file, "RECTRACK_CA_FILE");
  take_env(&cli->token, "RECTRACK_TOKEN");
  take_env(&cli->user, "RECTRACK_USER");
  int rc = read_config(cli);
  if (rc != 0)
    return rc;
  if (cli->server == NULL)
    cli->server = strdup(DEFAULT_SERVER);
  cli->client = rt_client_new(cli->server);
  if (cli->client == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "--server: \"%s\" is not HOST:PORT, http://HOST:PORT "
                       "or https://HOST:PORT (use [ADDR]:PORT for IPv6)",
                       cli->server);
  char *message = NULL;
  if (rt_client_use_tls(cli->client, cli->tls, cli->ca_file, &message) != 0) {
    rc = rt_cli_fail(cli, RT_CLI_EXIT_USAGE, "%s",
                     message ? message : "cannot set up TLS");
    free(message);
    return rc;
  }
  char *bearer = NULL;
  if (cli->token != NULL && asprintf(&bearer, "Bearer %s", cli->token) >= 0)
    rt_client_add_metadata(cli->client, "authorization", bearer);
  free(bearer);
  if (cli->user != NULL)
    rt_client_add_metadata(cli->client, "x-rectrack-user", cli->user);
  return 0;
}

/* ---- help
 * -------------------------------------------------------------------- */

static void print_options(FILE *out, const rt_arg_spec_t *specs) {
  for (size_t i = 0; specs[i].name != NULL; i++) {
    char left[64], letter[8] = "    ";
    if (specs[i].short_name)
      snprintf(letter, sizeof(letter), "-%c, ", specs[i].short_name);
    snprintf(left, sizeof(left), "%s--%s%s%s", letter, specs[i].name,
             specs[i].metavar ? " " : "",
             specs[i].metavar ? specs[i].metavar : "");
    fprintf(out, "  %-28s %s%s\n", left, specs[i].help ? specs[i].help : "",
            specs[i].kind == RT_ARG_MULTI ? " (repeatable)" : "");
  }
}

static void print_main_help(rt_cli_t *cli) {
  FILE *out = cli->out;
  fprintf(out, "rectrack: record and follow up recommendations and "
               "commitments.\n\nUsage: rectrack [global options] <command> "
               "[options]\n\nCommands:\n");
  for (size_t t = 0; rt_cli_command_tables[t] != NULL; t++) {
    for (const rt_cli_command_t *c = rt_cli_command_tables[t]; c->name; c++) {
      char words[48];
      snprintf(words, sizeof(words), "%s%s%s", c->name, c->sub ? " " : "",
               c->sub ? c->sub : "");
      fprintf(out, "  %-20s %s\n", words, c->summary);
    }
  }
  fprintf(out, "\nGlobal options:\n");
  print_options(out, rt_cli_global_specs);
  fprintf(out,
          "\nConfig file: $RECTRACK_CONFIG, else "
          "$XDG_CONFIG_HOME/rectrack/config,\nelse ~/.config/rectrack/config "
          "with lines \"server = HOST:PORT\" (or https://HOST:PORT),\n"
          "\"ca-file = FILE\", \"token = T\", \"user = NAME\". Flags win "
          "over environment,\nenvironment over the file.\n\n"
          "%s\nExample:\n  rectrack --server 127.0.0.1:50051 rec list "
          "--status in-progress\n\nRun 'rectrack <command> --help' for the "
          "options of a command.\n",
          exit_code_help);
}

static void print_group_help(rt_cli_t *cli, const char *name) {
  fprintf(cli->out,
          "Usage: rectrack %s <subcommand> [options]\n\nSubcommands:\n", name);
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1)
      fprintf(cli->out, "\nExamples:\n");
    for (size_t t = 0; rt_cli_command_tables[t] != NULL; t++) {
      for (const rt_cli_command_t *c = rt_cli_command_tables[t]; c->name; c++) {
        if (strcmp(c->name, name) != 0 || c->sub == NULL)
          continue;
        if (pass == 0)
          fprintf(cli->out, "  %-10s %s\n", c->sub, c->summary);
        else
          fprintf(cli->out, "  %s\n", c->example);
      }
    }
  }
  fprintf(cli->out,
          "\nRun 'rectrack %s <subcommand> --help' for its options.\n", name);
}

static void print_command_help(rt_cli_t *cli, const rt_cli_command_t *c) {
  fprintf(cli->out, "Usage: rectrack %s%s%s %s\n\n%s.\n\nOptions:\n", c->name,
          c->sub ? " " : "", c->sub ? c->sub : "", c->usage, c->summary);
  print_options(cli->out, c->specs);
  fprintf(cli->out,
          "  -h, --help                   show this help\n\n"
          "Global options (--server, --tls, --ca-file, --token, --user, "
          "--timeout, --output) may also be given here.\n\nExample:\n  "
          "%s\n\n%s",
          c->example, exit_code_help);
}

/* ---- dispatch
 * ---------------------------------------------------------------- */

static const rt_cli_command_t *find_command(const char *name, const char *sub,
                                            bool *group) {
  *group = false;
  for (size_t t = 0; rt_cli_command_tables[t] != NULL; t++) {
    for (const rt_cli_command_t *c = rt_cli_command_tables[t]; c->name; c++) {
      if (strcmp(c->name, name) != 0)
        continue;
      if (c->sub == NULL)
        return c;
      *group = true;
      if (sub != NULL && strcmp(c->sub, sub) == 0)
        return c;
    }
  }
  return NULL;
}

/* The command's options followed by the global ones. */
static rt_arg_spec_t *merge_specs(const rt_arg_spec_t *specs) {
  size_t n = 0, g = 0;
  while (specs[n].name != NULL)
    n++;
  while (rt_cli_global_specs[g].name != NULL)
    g++;
  rt_arg_spec_t *all = calloc(n + g + 1, sizeof(*all));
  if (all != NULL) {
    memcpy(all, specs, n * sizeof(*all));
    memcpy(all + n, rt_cli_global_specs, g * sizeof(*all));
  }
  return all;
}

static int run_command(rt_cli_t *cli, const rt_cli_command_t *command, int argc,
                       char **argv) {
  rt_args_t args;
  char *message = NULL;
  rt_arg_spec_t *specs = merge_specs(command->specs);
  if (specs == NULL)
    return RT_CLI_EXIT_ERROR;
  int rc = rt_args_parse(specs, argc, argv, false, &args, &message);
  if (rc != 0) {
    rt_cli_fail(cli, rc, "%s (see 'rectrack %s%s%s --help')",
                message ? message : "bad arguments", command->name,
                command->sub ? " " : "", command->sub ? command->sub : "");
  } else if (args.help) {
    print_command_help(cli, command);
  } else if (args.positional_count < command->min_positional ||
             args.positional_count > command->max_positional) {
    rc = rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                     "usage: rectrack %s%s%s %s (see --help)", command->name,
                     command->sub ? " " : "", command->sub ? command->sub : "",
                     command->usage);
  } else if ((rc = apply_flags(cli, &args)) == 0 &&
             (rc = finish_setup(cli)) == 0) {
    rc = command->run(cli, &args);
  }
  free(message);
  rt_args_free(&args);
  free(specs);
  return rc;
}

static int dispatch(rt_cli_t *cli, const rt_args_t *global) {
  const char *name = global->positional[0];
  const char *sub = global->positional_count > 1 ? global->positional[1] : NULL;
  bool group = false;
  if (strcmp(name, "help") == 0) {
    print_main_help(cli);
    return 0;
  }
  const rt_cli_command_t *command = find_command(name, sub, &group);
  if (command == NULL && group) {
    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
      if (sub == NULL)
        cli->out = cli->err; /* a usage error: help goes to stderr */
      print_group_help(cli, name);
      return sub == NULL ? RT_CLI_EXIT_USAGE : 0;
    }
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "unknown subcommand \"%s %s\" (see 'rectrack %s "
                       "--help')",
                       name, sub, name);
  }
  if (command == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "unknown command \"%s\" (see 'rectrack --help')", name);
  size_t words = command->sub ? 2 : 1;
  return run_command(cli, command, (int)(global->positional_count - words),
                     (char **)global->positional + words);
}

static void cli_free(rt_cli_t *cli) {
  rt_cli_names_free(cli);
  rt_client_free(cli->client);
  free(cli->server);
  free(cli->ca_file);
  free(cli->token);
  free(cli->user);
}

int rt_cli_main(int argc, char **argv) {
  rt_cli_t cli = {.timeout_ms = DEFAULT_TIMEOUT_MS,
                  .out = stdout,
                  .err = stderr,
                  .program = "rectrack"};
  const char *no_color = getenv("NO_COLOR");
  cli.color = isatty(STDOUT_FILENO) && (no_color == NULL || !no_color[0]);
  cli.err_is_tty = isatty(STDERR_FILENO);
  cli.width = terminal_width();
  setlocale(LC_CTYPE, "C.UTF-8");
  rt_args_t global;
  char *message = NULL;
  int rc = rt_args_parse(rt_cli_global_specs, argc - 1, argv + 1, true, &global,
                         &message);
  if (rc != 0) {
    rt_cli_fail(&cli, rc, "%s (see 'rectrack --help')",
                message ? message : "bad arguments");
  } else if (rt_args_count(&global, "version") > 0) {
    fprintf(cli.out, "rectrack %s\n", RT_VERSION);
  } else if (global.help || global.positional_count == 0) {
    if (!global.help)
      cli.out = cli.err; /* a usage error: help goes to stderr */
    print_main_help(&cli);
    rc = global.help ? 0 : RT_CLI_EXIT_USAGE;
  } else if ((rc = apply_flags(&cli, &global)) == 0) {
    rc = dispatch(&cli, &global);
  }
  free(message);
  rt_args_free(&global);
  fflush(cli.out);
  cli_free(&cli);
  return rc;
}
