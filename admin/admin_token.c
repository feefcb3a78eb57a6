/*
 * admin_token: `rectrack-admin token add` and `token list`.
 *
 * `add` makes a token from 32 random bytes (libsodium randombytes, shown
 * as base64url), appends the line `<sha256-hex> <principal> <role>` (and,
 * for a reporter, the comma-separated actors it speaks for, one --actor
 * each) to the tokens file (created with mode 0600 and a header comment
 * if missing) and prints the token on stdout, once: only its hash is
 * kept.
 * The file is checked first with rt_auth_load, the same parser rectrackd
 * uses, so a token is never appended to a file the server would reject.
 * `list` shows each token's principal, role, actors, line and the start
 * of its hash (enough to find the line to delete when revoking), never a
 * token.
 * rectrackd picks up changes on SIGHUP.
 */
#include "admin_token.h"

#include "rt_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define HASH_PREFIX_LEN 12
#define MAX_ACTORS 64

static const char *program = "rectrack-admin token";

static const char header_comment[] =
    "# rectrackd tokens file:\n"
    "#   <sha256-hex-of-token> <principal> <role> [<actor-id>,...]\n"
    "# roles: reader (queries, review, watch), reporter (also follow-ups\n"
    "# and measurements on the subjects of its actors, for validation),\n"
    "# secretariat (every change, validation; 'writer' is its old name),\n"
    "# admin (also backups). Only a reporter line names actors.\n"
    "# Managed with 'rectrack-admin token add'; after editing, send\n"
    "# rectrackd SIGHUP. Delete a line to revoke its token.\n";

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: rectrack-admin token add --tokens-file FILE "
          "--principal NAME --role ROLE\n"
          "                                [--actor ACTOR]...\n"
          "       rectrack-admin token list --tokens-file FILE\n"
          "\n"
          "add   creates a random token, appends its SHA-256 to FILE (made "
          "with mode 0600\n"
          "      if missing) and prints the token once on stdout\n"
          "list  shows the principal, role and actors of each token (never "
          "the token)\n"
          "\n"
          "ROLE is reader, reporter, secretariat or admin (writer: the old "
          "name of\n"
          "secretariat). A reporter speaks for the actors given with "
          "--actor (at least\n"
          "one): it records follow-ups and measurements on their subjects "
          "only, and\n"
          "the secretariat validates them. Example:\n"
          "  rectrack-admin token add --tokens-file FILE --principal moi-phl "
          "\\\n"
          "      --role reporter --actor phl\n"
          "After a change, send rectrackd SIGHUP to reload the file.\n");
}

static int usage_error(const char *message) {
  fprintf(stderr, "%s: %s\n", program, message);
  fprintf(stderr, "Try 'rectrack-admin token --help'.\n");
  return EXIT_USAGE;
}

typedef struct token_options {
  const char *tokens_file;
  const char *principal;
  const char *role;
  const char *actors[MAX_ACTORS];
  size_t n_actors;
} token_options_t;

enum { OPT_TOKENS_FILE = 1000, OPT_PRINCIPAL, OPT_ROLE, OPT_ACTOR };

/* Parses the options after `token add|list`; *help set for --help. */
static int parse_token_options(int argc, char **argv, token_options_t *opts,
                               int *help) {
  static const struct option long_options[] = {
      {"tokens-file", required_argument, NULL, OPT_TOKENS_FILE},
      {"principal", required_argument, NULL, OPT_PRINCIPAL},
      {"role", required_argument, NULL, OPT_ROLE},
      {"actor", required_argument, NULL, OPT_ACTOR},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int c;

  memset(opts, 0, sizeof *opts);
  *help = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
    if (c == 'h')
      *help = 1;
    else if (c == OPT_TOKENS_FILE)
      opts->tokens_file = optarg;
    else if (c == OPT_PRINCIPAL)
      opts->principal = optarg;
    else if (c == OPT_ROLE)
      opts->role = optarg;
    else if (c == OPT_ACTOR && opts->n_actors == MAX_ACTORS)
      return usage_error("--actor: at most 64 actors per token");
    else if (c == OPT_ACTOR)
      opts->actors[opts->n_actors++] = optarg;
    else {
      char message[200];
      snprintf(message, sizeof message, "unknown or incomplete option '%s'",
               argv[optind - 1]);
      return usage_error(message);
    }
  }
  if (*help)
    return 0;
  if (optind != argc)
    return usage_error("takes no arguments");
  if (opts->tokens_file == NULL || opts->tokens_file[0] == '\0')
    return usage_error("--tokens-file FILE is required");
  return 0;
}

/* Checks the existing file (if any) with the server's parser; *exists
 * and *needs_newline tell how to append to it. */
static int check_existing(const char *path, int *exists, int *needs_newline) {
  rt_error_t err = {0};
  rt_auth_t *auth = NULL;
  struct stat info;
  char last = '\n';

  *exists = stat(path, &info) == 0;
  *needs_newline = 0;
  if (!*exists)
    return 0;
  if (rt_auth_load(&auth, path, &err) != 0) {
    fprintf(stderr, "%s: %s\n", program, err.message);
    return 1;
  }
  rt_auth_free(auth);
  FILE *file = fopen(path, "r");
  if (file != NULL && info.st_size > 0 && fseek(file, -1, SEEK_END) == 0 &&
      fread(&last, 1, 1, file) == 1)
    *needs_newline = last != '\n';
  if (file != NULL)
    fclose(file);
  return 0;
}

/* Appends text to path in one write (O_APPEND), creating it 0600, and
 * syncs it. */
static int append_text(const char *path, const char *text, size_t len) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  ssize_t written;

  if (fd < 0) {
    fprintf(stderr, "%s: cannot open %s: %s\n", program, path, strerror(errno));
    return 1;
  }
  written = write(fd, text, len);
  if (written != (ssize_t)len || fsync(fd) != 0) {
    fprintf(stderr, "%s: cannot write %s: %s\n", program, path,
            strerror(errno));
    close(fd);
    return 1;
  }
  return close(fd) == 0 ? 0 : 1;
}

/* The --actor values as the tokens file writes them: " phl,ken" (with
 * the separating space), or "" for no actor. Checks them as the server's
 * parser would; returns 0 or EXIT_USAGE (said why). */
static int actors_field(const token_options_t *opts, rt_auth_role_t role,
                        char *out, size_t out_len) {
  size_t used = 0;
  out[0] = '\0';
  if (role != RT_AUTH_ROLE_REPORTER && opts->n_actors > 0)
    return usage_error("--actor is for --role reporter only: the other "
                       "roles speak for no actor in particular");
  if (role == RT_AUTH_ROLE_REPORTER && opts->n_actors == 0)
    return usage_error("--role reporter needs --actor ACTOR (one for each "
                       "actor the token speaks for)");
  for (size_t i = 0; i < opts->n_actors; i++) {
    char message[200];
    if (!rt_auth_actor_is_valid(opts->actors[i])) {
      snprintf(message, sizeof message,
               "--actor \"%.64s\" is not an actor id (1 to 64 of a-z, 0-9 "
               "and '-')",
               opts->actors[i]);
      return usage_error(message);
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(opts->actors[i], opts->actors[j]) == 0) {
        snprintf(message, sizeof message, "--actor %.64s is given twice",
                 opts->actors[i]);
        return usage_error(message);
      }
    int n = snprintf(out + used, out_len - used, "%c%s", i ? ',' : ' ',
                     opts->actors[i]);
    if (n < 0 || (size_t)n >= out_len - used)
      return usage_error("--actor: too many actors");
    used += (size_t)n;
  }
  return 0;
}

static int command_add(const token_options_t *opts) {
  char token[RT_AUTH_TOKEN_LEN + 1];
  char hash[RT_AUTH_HASH_HEX_LEN + 1];
  char actors[MAX_ACTORS * 66 + 2];
  char *text = NULL;
  rt_auth_role_t role;
  int exists, needs_newline, rc;

  if (opts->principal == NULL || !rt_auth_principal_is_valid(opts->principal))
    return usage_error("--principal NAME is required: 1 to 64 letters, "
                       "digits and . _ @ + -");
  if (opts->role == NULL || rt_auth_role_parse(opts->role, &role) != 0)
    return usage_error("--role must be reader, reporter, secretariat (or "
                       "writer) or admin");
  if ((rc = actors_field(opts, role, actors, sizeof actors)) != 0)
    return rc;
  if (check_existing(opts->tokens_file, &exists, &needs_newline) != 0)
    return 1;
  if (rt_auth_token_new(token) != 0) {
    fprintf(stderr, "%s: libsodium failed to initialise\n", program);
    return 1;
  }
  rt_auth_token_hash_hex(token, strlen(token), hash);
  if (asprintf(&text, "%s%s%s %s %s%s\n", exists ? "" : header_comment,
               needs_newline ? "\n" : "", hash, opts->principal,
               rt_auth_role_name(role), actors) < 0) {
    sodium_memzero(token, sizeof token);
    fprintf(stderr, "%s: out of memory\n", program);
    return 1;
  }
  rc = append_text(opts->tokens_file, text, strlen(text));
  free(text);
  if (rc == 0) {
    printf("%s\n", token);
    fflush(stdout);
    fprintf(stderr,
            "Added a %s token for %s%s%s to %s. It is shown only this once; "
            "send rectrackd SIGHUP to use it.\n",
            rt_auth_role_name(role), opts->principal,
            actors[0] ? ", speaking for" : "", actors, opts->tokens_file);
  }
  sodium_memzero(token, sizeof token);
  return rc;
}

static int command_list(const token_options_t *opts) {
  rt_error_t err = {0};
  rt_auth_t *auth = NULL;

  if (opts->principal != NULL || opts->role != NULL || opts->n_actors > 0)
    return usage_error("list takes only --tokens-file");
  if (rt_auth_load(&auth, opts->tokens_file, &err) != 0) {
    fprintf(stderr, "%s: %s\n", program, err.message);
    return 1;
  }
  printf("%-24s %-11s %6s  %-15s  %s\n", "PRINCIPAL", "ROLE", "LINE", "HASH",
         "ACTORS");
  for (size_t i = 0; i < rt_auth_count(auth); i++) {
    rt_auth_entry_t entry;
    rt_auth_entry(auth, i, &entry);
    printf("%-24s %-11s %6u  %.*s...  ", entry.principal,
           rt_auth_role_name(entry.role), entry.line, HASH_PREFIX_LEN,
           entry.hash_hex);
    for (size_t a = 0; a < entry.n_actors; a++)
      printf("%s%s", a ? "," : "", entry.actors[a]);
    printf("%s\n", entry.n_actors ? "" : "-");
  }
  printf("%zu tokens in %s\n", rt_auth_count(auth), opts->tokens_file);
  rt_auth_free(auth);
  return 0;
}

int admin_token_command(int argc, char **argv) {
  token_options_t opts;
  int help = 0;
  int rc;

  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : 0;
  }
  if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0) {
    fprintf(stderr, "%s: unknown subcommand '%s'\n", program, argv[1]);
    print_usage(stderr);
    return EXIT_USAGE;
  }
  rc = parse_token_options(argc - 1, argv + 1, &opts, &help);
  if (rc != 0 || help) {
    if (help)
      print_usage(stdout);
    return rc;
  }
  return strcmp(argv[1], "add") == 0 ? command_add(&opts) : command_list(&opts);
}
