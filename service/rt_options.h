/*
 * rt_options: rectrackd's settings from its command line and an optional
 * config file.
 *
 * Owns: rt_options_t and its parsing. Calls rt_server (option defaults),
 * rt_http (the base path's check), rt_log (level names) and libc. The config
 * file holds `key = value` lines whose keys are the long flag names without
 * "--" (`listen = 127.0.0.1:50051`); '#' starts a comment. Flags given on the
 * command line override the file.
 */
#ifndef RT_OPTIONS_H
#define RT_OPTIONS_H

#include <stdint.h>

#include "rt_error.h"
#include "rt_log.h"
#include "rt_server.h"

#define RT_DEFAULT_LISTEN "127.0.0.1:50051"
#define RT_DEFAULT_DATA_DIR "./rectrack-data"

typedef struct rt_options {
  char *listen;      /* "HOST:PORT", malloc'd */
  char *data_dir;    /* malloc'd */
  char *config;      /* the config file read, or NULL */
  char *tokens_file; /* --tokens-file (rt_auth.h), malloc'd; NULL: open */
  /* --tls-cert, --tls-key, --trusted-proxy: malloc'd or NULL; the
   * server options below point at them. */
  char *tls_cert;
  char *tls_key;
  char *trusted_proxy;
  rt_server_options_t server;
  /* The HTTP listener (rt_http.h): --http-listen HOST:PORT (malloc'd;
   * NULL: off, the default), --http-base-path (malloc'd or NULL), and its
   * bounds (0: rt_http's defaults). --tls-cert and --tls-key apply to it
   * too. */
  char *http_listen;
  char *http_base_path;
  uint32_t http_threads;
  uint32_t http_max_connections;
  uint32_t http_max_connections_per_address;
  uint32_t http_timeout_s;
  uint32_t http_max_downloads;
  rt_log_level_t log_level;
  uint64_t shutdown_grace_ms; /* --shutdown-grace seconds; default 10 s */
  /* --insecure-no-auth (config: insecure-no-auth = true): serve the open
   * API, without a tokens file, on an address other than loopback
   * (rt_listen_policy.h). */
  int insecure_no_auth;
  int show_help;
  int show_version;
} rt_options_t;

/* Fills the defaults. Returns 0 or RT_ENOMEM. */
int rt_options_init(rt_options_t *options);

/* Parses argv (argv[0] is the program). Reads --config FILE first, then
 * applies the other flags over it, then checks the settings against each
 * other (rt_options_check). Returns 0, RT_EINVAL (unknown flag, missing or
 * bad value: err names the flag, or the file and line) or RT_EIO (the
 * config file cannot be read). */
int rt_options_parse(rt_options_t *options, int argc, char **argv,
                     rt_error_t *err);

/* Applies one `key = value` setting (the long flag name without "--").
 * Returns 0 or RT_EINVAL. */
int rt_options_set(rt_options_t *options, const char *key, const char *value,
                   rt_error_t *err);

/* Reads a config file (see above). Returns 0, RT_EINVAL or RT_EIO. */
int rt_options_load_file(rt_options_t *options, const char *path,
                         rt_error_t *err);

/* Checks what no single setting can: --tls-cert and --tls-key come
 * together, --max-pending-bytes is not below
 * --max-pending-bytes-per-connection, --http-base-path needs
 * --http-listen. Returns 0 or RT_EINVAL (err names
 * the flag). */
int rt_options_check(const rt_options_t *options, rt_error_t *err);

/* The --help text. */
const char *rt_options_usage(void);

void rt_options_free(rt_options_t *options);

#endif /* RT_OPTIONS_H */
