/*
 * rt_auth: the tokens file and the bearer-token check of rectrackd.
 *
 * The file holds only SHA-256 hashes of tokens, so that a copy of it (a
 * backup, a config repository) grants nothing. A presented token is
 * hashed with libsodium's crypto_hash_sha256 and compared with every
 * stored hash using sodium_memcmp, without stopping at a match, so the
 * time a check takes depends on the number of tokens only. Tokens are
 * 32 random bytes: hashing without a salt or a slow KDF is enough,
 * there is nothing to guess.
 *
 * A file is parsed into a fresh table first and swapped in only when all
 * of it is valid, so a reload that finds a mistake keeps the old tokens.
 * The parser does not stop at the first bad line: whoever fixes the file
 * learns of every mistake in it at once (problems_t).
 */
#include "rt_auth.h"

#include "rt_validate.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct token {
  uint8_t hash[RT_AUTH_HASH_BYTES];
  char principal[RT_AUTH_MAX_PRINCIPAL_LEN + 1];
  rt_auth_role_t role;
  unsigned line;
  /* A reporter's actors: one malloc'd block holding the pointer array and
   * the ids it points at; NULL for other roles. */
  char **actors;
  size_t n_actors;
} token_t;

typedef struct token_table {
  token_t *tokens;
  size_t count;
  size_t cap;
} token_table_t;

struct rt_auth {
  char *path;
  token_table_t table;
};

_Static_assert(
    sodium_base64_ENCODED_LEN(RT_AUTH_TOKEN_BYTES,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
        RT_AUTH_TOKEN_LEN + 1,
    "RT_AUTH_TOKEN_LEN is the base64url length of the token");

static const char *const role_names[] = {"none", "reader", "reporter",
                                         "secretariat", "admin"};

const char *rt_auth_role_name(rt_auth_role_t role) {
  if ((unsigned)role >= sizeof role_names / sizeof role_names[0])
    return "none";
  return role_names[role];
}

int rt_auth_role_parse(const char *name, rt_auth_role_t *role) {
  for (size_t i = 1; i < sizeof role_names / sizeof role_names[0]; i++)
    if (strcmp(name, role_names[i]) == 0) {
      *role = (rt_auth_role_t)i;
      return 0;
    }
  /* Files written before reporters existed: their writers were what the
   * secretariat is now. */
  if (strcmp(name, "writer") == 0) {
    *role = RT_AUTH_ROLE_SECRETARIAT;
    return 0;
  }
  return RT_EINVAL;
}

bool rt_auth_actor_is_valid(const char *id) {
  return rt_validate_slug(id, "actor", NULL) == 0;
}

bool rt_auth_principal_is_valid(const char *name) {
  size_t len = strlen(name);
  if (len < 1 || len > RT_AUTH_MAX_PRINCIPAL_LEN)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr("._@+-", c) != NULL))
      return false;
  }
  return true;
}

static void table_free(token_table_t *table) {
  for (size_t i = 0; i < table->count; i++)
    free(table->tokens[i].actors);
  if (table->tokens != NULL)
    sodium_memzero(table->tokens, table->cap * sizeof *table->tokens);
  free(table->tokens);
  memset(table, 0, sizeof *table);
}

static token_t *table_push(token_table_t *table) {
  if (table->count == table->cap) {
    size_t cap = table->cap ? 2 * table->cap : 16;
    token_t *grown = realloc(table->tokens, cap * sizeof *grown);
    if (grown == NULL)
      return NULL;
    table->tokens = grown;
    table->cap = cap;
  }
  token_t *token = &table->tokens[table->count++];
  memset(token, 0, sizeof *token);
  return token;
}

/* Splits line into at most max whitespace-separated fields (a '#' ends
 * the line); returns how many there were, max + 1 meaning "more". */
static size_t split_fields(char *line, char **fields, size_t max) {
  char *comment = strchr(line, '#');
  char *save = NULL;
  size_t count = 0;
  if (comment != NULL)
    *comment = '\0';
  for (char *field = strtok_r(line, " \t\r\n", &save); field != NULL;
       field = strtok_r(NULL, " \t\r\n", &save)) {
    if (count == max)
      return max + 1;
    fields[count++] = field;
  }
  return count;
}

static int parse_hash(const char *hex, uint8_t hash[RT_AUTH_HASH_BYTES]) {
  size_t bin_len = 0;
  const char *end = NULL;
  if (strlen(hex) != RT_AUTH_HASH_HEX_LEN)
    return RT_EINVAL;
  if (sodium_hex2bin(hash, RT_AUTH_HASH_BYTES, hex, RT_AUTH_HASH_HEX_LEN, NULL,
                     &bin_len, &end) != 0 ||
      bin_len != RT_AUTH_HASH_BYTES || *end != '\0')
    return RT_EINVAL;
  return 0;
}

/* ---- bad lines --------------------------------------------------------- */

/* The bad lines of one file. The first is told in full (err); the others
 * by number and kind, as many as the message holds, so that one attempt
 * to load the file names every mistake in it. */
typedef struct problems {
  const char *path;
  rt_error_t *err;
  size_t count;
  char others[180]; /* "5 (unknown role), 9 (duplicate hash)" */
  size_t others_len;
  bool others_cut;
} problems_t;

/* Records the bad line line_number: kind is a few words ("unknown role"),
 * format the full sentence. Returns RT_EINVAL. */
static int bad_line(problems_t *problems, unsigned line_number,
                    const char *kind, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_line(problems_t *problems, unsigned line_number,
                    const char *kind, const char *format, ...) {
  if (problems->count++ == 0) {
    char sentence[200];
    va_list args;
    va_start(args, format);
    vsnprintf(sentence, sizeof sentence, format, args);
    va_end(args);
    rt_error_set(problems->err, RT_EINVAL, "tokens-file", "%.100s:%u: %s",
                 problems->path, line_number, sentence);
    return RT_EINVAL;
  }
  size_t room = sizeof problems->others - problems->others_len;
  int n = snprintf(problems->others + problems->others_len, room, "%s%u (%s)",
                   problems->others_len ? ", " : "", line_number, kind);
  if (n < 0 || (size_t)n >= room) {
    problems->others[problems->others_len] = '\0';
    problems->others_cut = true;
  } else {
    problems->others_len += (size_t)n;
  }
  return RT_EINVAL;
}

/* Adds the other bad lines to the first one's message, shortening the
 * first one's sentence if need be so that every line number fits. */
static void finish_problems(const problems_t *problems) {
  if (problems->count < 2 || problems->err == NULL)
    return;
  char first[sizeof problems->err->message], suffix[224];
  snprintf(first, sizeof first, "%s", problems->err->message);
  snprintf(suffix, sizeof suffix, "; %zu more bad line%s: %s%s",
           problems->count - 1, problems->count == 2 ? "" : "s",
           problems->others, problems->others_cut ? ", ..." : "");
  size_t room = sizeof problems->err->message - 1 - strlen(suffix);
  size_t keep = strlen(first) < room ? strlen(first) : room;
  rt_error_set(problems->err, RT_EINVAL, "tokens-file", "%.*s%s", (int)keep,
               first, suffix);
}

/* ---- one line ---------------------------------------------------------- */

/* The actor list of a reporter line ("phl,ken") into token->actors.
 * Returns 0, RT_EINVAL (reported) or RT_ENOMEM. */
static int parse_actors(problems_t *problems, unsigned line_number,
                        const char *list, token_t *token) {
  size_t n = 1, len = strlen(list);
  for (size_t i = 0; i < len; i++)
    n += list[i] == ',';
  char **actors = malloc(n * sizeof *actors + len + 1);
  if (actors == NULL)
    return RT_ENOMEM;
  char *ids = (char *)(actors + n);
  memcpy(ids, list, len + 1);
  size_t count = 0;
  for (char *id = ids;; id++) {
    char *comma = strchr(id, ',');
    if (comma != NULL)
      *comma = '\0';
    int rc = 0;
    if (!rt_auth_actor_is_valid(id))
      rc = bad_line(problems, line_number, "bad actor id",
                    "actor id \"%.64s\" must be 1 to 64 of a-z, 0-9 and "
                    "'-' (no leading, trailing or doubled '-'), and actor "
                    "ids are separated by commas alone",
                    id);
    for (size_t i = 0; i < count && rc == 0; i++)
      if (strcmp(actors[i], id) == 0)
        rc = bad_line(problems, line_number, "repeated actor",
                      "actor %.64s is named twice", id);
    if (rc != 0) {
      free(actors);
      return rc;
    }
    actors[count++] = id;
    if (comma == NULL)
      break;
    id = comma;
  }
  token->actors = actors;
  token->n_actors = count;
  return 0;
}

/* Checks the role field and, for a reporter, its actors. */
static int parse_role(problems_t *problems, unsigned line_number, char **fields,
                      size_t count, token_t *token) {
  if (rt_auth_role_parse(fields[2], &token->role) != 0)
    return bad_line(problems, line_number, "unknown role",
                    "role \"%.32s\" is not reader, reporter, secretariat "
                    "(or writer, its old name) or admin",
                    fields[2]);
  if (token->role == RT_AUTH_ROLE_REPORTER && count < 4)
    return bad_line(problems, line_number, "reporter without actor",
                    "a reporter speaks for at least one actor: add the "
                    "actor ids after the role, e.g. \"reporter bgd\" or "
                    "\"reporter phl,ken\"");
  if (token->role != RT_AUTH_ROLE_REPORTER && count == 4)
    return bad_line(problems, line_number, "actors on a non-reporter line",
                    "only a reporter line names actors; a %s speaks for no "
                    "actor in particular (remove \"%.64s\")",
                    rt_auth_role_name(token->role), fields[3]);
  return count == 4 ? parse_actors(problems, line_number, fields[3], token) : 0;
}

/* Parses one line of the file into table (blank and comment lines add
 * nothing). A bad line is recorded in problems and returns RT_EINVAL;
 * the caller goes on with the next line. */
static int parse_line(token_table_t *table, char *line, unsigned line_number,
                      problems_t *problems) {
  char *fields[4];
  token_t parsed = {.line = line_number};
  size_t count = split_fields(line, fields, 4);

  if (count == 0)
    return 0;
  if (count < 3 || count > 4)
    return bad_line(problems, line_number, "malformed",
                    "expected \"<sha256-hex-of-token> <principal> <role> "
                    "[<actor-id>[,<actor-id>...]]\"");
  if (parse_hash(fields[0], parsed.hash) != 0)
    return bad_line(problems, line_number, "bad hash",
                    "the token hash must be 64 hex digits (the SHA-256 of "
                    "the token)");
  if (!rt_auth_principal_is_valid(fields[1]))
    return bad_line(problems, line_number, "bad principal",
                    "principal \"%.64s\" must be 1 to %d letters, digits "
                    "and . _ @ + -",
                    fields[1], RT_AUTH_MAX_PRINCIPAL_LEN);
  for (size_t i = 0; i < table->count; i++)
    if (memcmp(table->tokens[i].hash, parsed.hash, sizeof parsed.hash) == 0)
      return bad_line(problems, line_number, "duplicate hash",
                      "the same token hash as line %u", table->tokens[i].line);
  int rc = parse_role(problems, line_number, fields, count, &parsed);
  if (rc != 0)
    return rc;
  token_t *token = table_push(table);
  if (token == NULL) {
    free(parsed.actors);
    return RT_ENOMEM;
  }
  memcpy(token->principal, fields[1], strlen(fields[1]) + 1);
  memcpy(token->hash, parsed.hash, sizeof parsed.hash);
  token->role = parsed.role;
  token->line = line_number;
  token->actors = parsed.actors;
  token->n_actors = parsed.n_actors;
  return 0;
}

/* Opens path for reading after checking that it is a regular file that
 * only its owner can change. */
static int open_checked(const char *path, FILE **out, rt_error_t *err) {
  struct stat info;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return rt_error_set(err, RT_EIO, "tokens-file",
                        "cannot read the tokens file %.100s: %s", path,
                        strerror(errno));
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return rt_error_set(err, RT_EINVAL, "tokens-file",
                        "the tokens file %.100s is not a regular file", path);
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    close(fd);
    return rt_error_set(err, RT_EINVAL, "tokens-file",
                        "the tokens file %.100s is writable by group or "
                        "others; run chmod go-w on it",
                        path);
  }
  *out = fdopen(fd, "r");
  if (*out == NULL) {
    close(fd);
    return rt_error_set(err, RT_ENOMEM, "tokens-file", "out of memory");
  }
  return 0;
}

/* Reads every line of the file: a bad line does not stop the reading, so
 * that the error names them all; only running out of memory does. */
static int read_table(const char *path, token_table_t *table, rt_error_t *err) {
  FILE *file = NULL;
  char *line = NULL;
  size_t cap = 0;
  unsigned line_number = 0;
  problems_t problems = {.path = path, .err = err};
  int rc = open_checked(path, &file, err);

  memset(table, 0, sizeof *table);
  while (rc == 0 && getline(&line, &cap, file) >= 0)
    if (parse_line(table, line, ++line_number, &problems) == RT_ENOMEM)
      rc = rt_error_set(err, RT_ENOMEM, "tokens-file", "out of memory");
  if (rc == 0 && ferror(file))
    rc = rt_error_set(err, RT_EIO, "tokens-file",
                      "cannot read the tokens file %.100s", path);
  if (rc == 0 && problems.count > 0) {
    finish_problems(&problems);
    rc = RT_EINVAL;
  }
  free(line);
  if (file != NULL)
    fclose(file);
  if (rc != 0)
    table_free(table);
  return rc;
}

int rt_auth_load(rt_auth_t **out, const char *path, rt_error_t *err) {
  rt_auth_t *auth;
  int rc;

  *out = NULL;
  if (sodium_init() < 0)
    return rt_error_set(err, RT_EIO, NULL, "libsodium failed to initialise");
  auth = calloc(1, sizeof *auth);
  if (auth == NULL || (auth->path = strdup(path)) == NULL) {
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    goto fail;
  }
  rc = read_table(path, &auth->table, err);
  if (rc != 0)
    goto fail;
  *out = auth;
  return 0;

fail:
  rt_auth_free(auth);
  return rc;
}

int rt_auth_reload(rt_auth_t *auth, rt_error_t *err) {
  token_table_t fresh;
  int rc = read_table(auth->path, &fresh, err);
  if (rc != 0)
    return rc;
  table_free(&auth->table);
  auth->table = fresh;
  return 0;
}

void rt_auth_free(rt_auth_t *auth) {
  if (auth == NULL)
    return;
  table_free(&auth->table);
  free(auth->path);
  free(auth);
}

const char *rt_auth_path(const rt_auth_t *auth) { return auth->path; }

size_t rt_auth_count(const rt_auth_t *auth) { return auth->table.count; }

void rt_auth_entry(const rt_auth_t *auth, size_t index, rt_auth_entry_t *out) {
  const token_t *token = &auth->table.tokens[index];
  out->principal = token->principal;
  out->role = token->role;
  out->actors = (const char *const *)token->actors;
  out->n_actors = token->n_actors;
  out->line = token->line;
  sodium_bin2hex(out->hash_hex, sizeof out->hash_hex, token->hash,
                 sizeof token->hash);
}

/* The token of an `authorization: Bearer <token>` value (RFC 6750 2.1;
 * the scheme is case-insensitive, RFC 7235 2.1), or NULL. */
static const char *bearer_token(const char *header, size_t *len) {
  static const char scheme[] = "bearer";
  size_t length;

  if (header == NULL)
    return NULL;
  while (*header == ' ' || *header == '\t')
    header++;
  if (strncasecmp(header, scheme, sizeof scheme - 1) != 0)
    return NULL;
  header += sizeof scheme - 1;
  if (*header != ' ' && *header != '\t')
    return NULL;
  while (*header == ' ' || *header == '\t')
    header++;
  length = strlen(header);
  while (length > 0 &&
         (header[length - 1] == ' ' || header[length - 1] == '\t'))
    length--;
  if (length == 0)
    return NULL;
  *len = length;
  return header;
}

int rt_auth_authenticate(const rt_auth_t *auth, const char *authorization,
                         rt_auth_principal_t *principal, rt_error_t *err) {
  uint8_t digest[RT_AUTH_HASH_BYTES];
  size_t len = 0;
  size_t found = SIZE_MAX;
  const char *token = bearer_token(authorization, &len);

  if (token == NULL)
    return rt_error_set(err, RT_EUNAUTH, "authorization",
                        "missing bearer token");
  crypto_hash_sha256(digest, (const unsigned char *)token, len);
  for (size_t i = 0; i < auth->table.count; i++)
    if (sodium_memcmp(auth->table.tokens[i].hash, digest, sizeof digest) == 0)
      found = i;
  sodium_memzero(digest, sizeof digest);
  if (found == SIZE_MAX)
    return rt_error_set(err, RT_EUNAUTH, "authorization", "unknown token");
  const token_t *match = &auth->table.tokens[found];
  principal->name = match->principal;
  principal->role = match->role;
  principal->actors = (const char *const *)match->actors;
  principal->n_actors = match->n_actors;
  return 0;
}

int rt_auth_authorize(const rt_auth_principal_t *principal,
                      rt_auth_role_t required, const char *method,
                      rt_error_t *err) {
  if (principal->role >= required)
    return 0;
  return rt_error_set(err, RT_EPERM, "authorization",
                      "%.80s needs the %s role; %.64s has the %s role", method,
                      rt_auth_role_name(required), principal->name,
                      rt_auth_role_name(principal->role));
}

int rt_auth_token_new(char token[RT_AUTH_TOKEN_LEN + 1]) {
  unsigned char random[RT_AUTH_TOKEN_BYTES];

  if (sodium_init() < 0)
    return RT_EIO;
  randombytes_buf(random, sizeof random);
  sodium_bin2base64(token, RT_AUTH_TOKEN_LEN + 1, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random, sizeof random);
  return 0;
}

void rt_auth_token_hash_hex(const char *token, size_t len,
                            char hex[RT_AUTH_HASH_HEX_LEN + 1]) {
  uint8_t digest[RT_AUTH_HASH_BYTES];
  crypto_hash_sha256(digest, (const unsigned char *)token, len);
  sodium_bin2hex(hex, RT_AUTH_HASH_HEX_LEN + 1, digest, sizeof digest);
}
