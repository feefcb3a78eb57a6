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
 */
#include "rt_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
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

static const char *const role_names[] = {"none", "reader", "writer"};

const char *rt_auth_role_name(rt_auth_role_t role) {
  if ((unsigned)role >= sizeof role_names / sizeof role_names[0])
    return "none";
  return role_names[role];
}

int rt_auth_role_parse(const char *name, rt_auth_role_t *role) {
  if (strcmp(name, "reader") == 0)
    *role = RT_AUTH_ROLE_READER;
  else if (strcmp(name, "writer") == 0)
    *role = RT_AUTH_ROLE_WRITER;
  else
    return RT_EINVAL;
  return 0;
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

/* Parses one line of the file into table (blank and comment lines add
 * nothing). Errors name the file and line. */
static int parse_line(token_table_t *table, char *line, const char *path,
                      unsigned line_number, rt_error_t *err) {
  char *fields[3];
  uint8_t hash[RT_AUTH_HASH_BYTES];
  rt_auth_role_t role;
  size_t count = split_fields(line, fields, 3);

  if (count == 0)
    return 0;
  if (count != 3)
    return rt_error_set(err, RT_EINVAL, "tokens-file",
                        "%.100s:%u: expected \"<sha256-hex-of-token> "
                        "<principal> <role>\"",
                        path, line_number);
  if (parse_hash(fields[0], hash) != 0)
    return rt_error_set(err, RT_EINVAL, "tokens-file",
                        "%.100s:%u: the token hash must be 64 hex digits "
                        "(the SHA-256 of the token)",
                        path, line_number);
  if (!rt_auth_principal_is_valid(fields[1]))
    return rt_error_set(err, RT_EINVAL, "tokens-file",
                        "%.100s:%u: principal \"%.64s\" must be 1 to %d "
                        "letters, digits and . _ @ + -",
                        path, line_number, fields[1],
                        RT_AUTH_MAX_PRINCIPAL_LEN);
  if (rt_auth_role_parse(fields[2], &role) != 0)
    return rt_error_set(err, RT_EINVAL, "tokens-file",
                        "%.100s:%u: role \"%.32s\" is not reader or writer",
                        path, line_number, fields[2]);
  for (size_t i = 0; i < table->count; i++)
    if (memcmp(table->tokens[i].hash, hash, sizeof hash) == 0)
      return rt_error_set(err, RT_EINVAL, "tokens-file",
                          "%.100s:%u: the same token hash as line %u", path,
                          line_number, table->tokens[i].line);
  token_t *token = table_push(table);
  if (token == NULL)
    return rt_error_set(err, RT_ENOMEM, "tokens-file", "out of memory");
  memcpy(token->hash, hash, sizeof hash);
  memcpy(token->principal, fields[1], strlen(fields[1]) + 1);
  token->role = role;
  token->line = line_number;
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

static int read_table(const char *path, token_table_t *table, rt_error_t *err) {
  FILE *file = NULL;
  char *line = NULL;
  size_t cap = 0;
  unsigned line_number = 0;
  int rc = open_checked(path, &file, err);

  memset(table, 0, sizeof *table);
  while (rc == 0 && getline(&line, &cap, file) >= 0)
    rc = parse_line(table, line, path, ++line_number, err);
  if (rc == 0 && ferror(file))
    rc = rt_error_set(err, RT_EIO, "tokens-file",
                      "cannot read the tokens file %.100s", path);
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
  principal->name = auth->table.tokens[found].principal;
  principal->role = auth->table.tokens[found].role;
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
