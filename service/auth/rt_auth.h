/*
 * rt_auth: bearer-token authentication of rectrackd's callers.
 *
 * Owns: the tokens file (parsing, reloading), the hashing of tokens, the
 * constant-time lookup of a presented token, the principals (who a call
 * is made by) and their roles and what they allow, and the generation of
 * new tokens for rectrack-admin. Calls libsodium, rt_error and libc;
 * knows nothing of gRPC or of the network (the Tracker's dispatch maps
 * RT_EUNAUTH and RT_EPERM to UNAUTHENTICATED and PERMISSION_DENIED).
 *
 * The tokens file holds one token per line, never the token itself:
 *
 *   # <sha256-hex-of-token> <principal> <role> [<actor-id>[,<actor-id>...]]
 *   9f86d0...0f00a08 alice secretariat
 *   2c26b4...8e7ae9a moi-phl reporter phl
 *
 * Fields are separated by spaces or tabs; '#' starts a comment; blank
 * lines are skipped. The hash is the SHA-256 of the token's text (as sent
 * in `authorization: Bearer <token>`), 64 hex digits. The principal is 1
 * to 64 letters, digits and `. _ @ + -` (the same rule as x-rectrack-user);
 * it is what the change log records. The role is reader, reporter,
 * secretariat (writer is accepted as its old name) or admin. A reporter
 * line names the actors the principal speaks for, comma-separated actor
 * ids (at least one, each once); no other line names actors. A principal
 * may have several tokens (rotation). The file must be a regular file not
 * writable by group or others (whoever can write it can grant themselves
 * access). A file with a bad line is refused whole, and the error names
 * every bad line with its number.
 *
 * Not thread-safe: one thread (rectrackd's loop thread) uses an rt_auth_t.
 */
#ifndef RT_AUTH_H
#define RT_AUTH_H

#include "rt_error.h"

#include <stdbool.h>
#include <stddef.h>

#define RT_AUTH_HASH_BYTES 32 /* SHA-256 */
#define RT_AUTH_HASH_HEX_LEN (2 * RT_AUTH_HASH_BYTES)
#define RT_AUTH_MAX_PRINCIPAL_LEN 64
#define RT_AUTH_TOKEN_BYTES 32 /* random bytes in a generated token */
/* A generated token: the random bytes in base64url without padding. */
#define RT_AUTH_TOKEN_LEN 43

/* What a caller may do. Roles are ordered: each allows what the ones
 * below it allow (a reporter's writes are further limited to the subjects
 * of its actors, which the storage engine checks inside the write). */
typedef enum rt_auth_role {
  RT_AUTH_ROLE_NONE = 0,        /* not a role: "nothing" */
  RT_AUTH_ROLE_READER = 1,      /* Get*, List*, Summary, Export, Watch, Info */
  RT_AUTH_ROLE_REPORTER = 2,    /* also RecordFollowUp, RecordMeasurement on
                                   the subjects of its actors, as submissions */
  RT_AUTH_ROLE_SECRETARIAT = 3, /* every write, and ValidateSubmission */
  RT_AUTH_ROLE_ADMIN = 4,       /* also Backup */
} rt_auth_role_t;

/* Who a call is made by: what the Tracker's dispatch hands each handler
 * and what the change log records. actors: whom a reporter speaks for
 * (n_actors >= 1 for a reporter, 0 for every other role). Everything is
 * borrowed from the rt_auth_t (or the caller, for the open API). */
typedef struct rt_auth_principal {
  const char *name; /* see rt_auth_principal_is_valid */
  rt_auth_role_t role;
  const char *const *actors; /* actor ids */
  size_t n_actors;
} rt_auth_principal_t;

typedef struct rt_auth rt_auth_t;

/* One token of the file, without its secret (for `token list`). */
typedef struct rt_auth_entry {
  const char *principal; /* borrowed from the rt_auth_t */
  rt_auth_role_t role;
  const char *const *actors; /* a reporter's actors; borrowed */
  size_t n_actors;
  unsigned line;                           /* line number in the file */
  char hash_hex[RT_AUTH_HASH_HEX_LEN + 1]; /* the stored hash, lower case */
} rt_auth_entry_t;

/* Reads the tokens file at path into a new rt_auth_t (*out; free with
 * rt_auth_free). path is copied and kept for rt_auth_reload. An empty
 * file (no tokens) is valid: every call is then refused. Errors: RT_EIO
 * (cannot open or read it), RT_EINVAL (not a regular file, writable by
 * group or others, or bad lines: a malformed line or hash, a bad
 * principal, an unknown role, a reporter without actors, a bad or
 * repeated actor id, actors on a line that is not a reporter's, a hash
 * already on an earlier line; err's message is "<file>:<line>: <what>"
 * for the first bad line, followed by the number and kind of every other
 * bad line), RT_ENOMEM. */
int rt_auth_load(rt_auth_t **out, const char *path, rt_error_t *err);

/* Reads the file again and, only if all of it is valid, replaces the
 * tokens: on error the previous tokens stay in force. Principals returned
 * by rt_auth_authenticate before the reload become invalid. Errors as
 * rt_auth_load. */
int rt_auth_reload(rt_auth_t *auth, rt_error_t *err);

/* Frees auth. NULL is a no-op. */
void rt_auth_free(rt_auth_t *auth);

/* The file read, as given to rt_auth_load. */
const char *rt_auth_path(const rt_auth_t *auth);

/* The number of tokens, and the index-th of them (0 <= index < count) in
 * file order. */
size_t rt_auth_count(const rt_auth_t *auth);
void rt_auth_entry(const rt_auth_t *auth, size_t index, rt_auth_entry_t *out);

/* Authenticates the value of a request's `authorization` header
 * (`Bearer <token>`, the scheme in any case; NULL when absent). On
 * success fills *principal (its name is borrowed: valid until the next
 * rt_auth_reload or rt_auth_free) and returns 0; on error *principal is
 * left as it was. The presented token is hashed and compared with every
 * stored hash in constant time. Errors: RT_EUNAUTH with message "missing
 * bearer token" (no header, another scheme, no token) or "unknown
 * token". */
int rt_auth_authenticate(const rt_auth_t *auth, const char *authorization,
                         rt_auth_principal_t *principal, rt_error_t *err);

/* 0 if principal's role allows what required needs, else RT_EPERM with a
 * message naming the method, the principal, their role and the role
 * needed. */
int rt_auth_authorize(const rt_auth_principal_t *principal,
                      rt_auth_role_t required, const char *method,
                      rt_error_t *err);

/* "reader", "reporter", "secretariat", "admin" ("none" for
 * RT_AUTH_ROLE_NONE). */
const char *rt_auth_role_name(rt_auth_role_t role);

/* Parses a role name into *role: those above, and "writer" as
 * secretariat (its name before reporters existed). Returns 0 or
 * RT_EINVAL. */
int rt_auth_role_parse(const char *name, rt_auth_role_t *role);

/* Whether id may name an actor in a tokens file: the actor id rule of the
 * API (1 to 64 of a-z, 0-9 and '-', no leading, trailing or doubled '-').
 * rectrack-admin checks --actor with it before writing a line. */
bool rt_auth_actor_is_valid(const char *id);

/* Whether name is a valid principal (see above). */
bool rt_auth_principal_is_valid(const char *name);

/* Writes a new random token (RT_AUTH_TOKEN_BYTES from randombytes, in
 * base64url without padding, NUL-terminated) into token. Returns 0 or
 * RT_EIO (libsodium could not be initialised). The caller should wipe it
 * (sodium_memzero) once shown. */
int rt_auth_token_new(char token[RT_AUTH_TOKEN_LEN + 1]);

/* The SHA-256 of the len bytes at token, in lower-case hex. */
void rt_auth_token_hash_hex(const char *token, size_t len,
                            char hex[RT_AUTH_HASH_HEX_LEN + 1]);

#endif /* RT_AUTH_H */
