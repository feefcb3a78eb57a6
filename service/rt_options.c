/*
 * rt_options: one table of settings drives both the command line and the
 * config file, so that every flag has a config key of the same name and
 * the two cannot drift apart. Numbers are checked for range and trailing
 * garbage; an error names the flag (or the file and line) and the value.
 */
#include "rt_options.h"

#include "rt_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum setting_kind {
  SETTING_STRING,
  SETTING_SIZE,    /* bytes, size_t */
  SETTING_COUNT32, /* uint32 */
  SETTING_SECONDS, /* stored as ms */
  SETTING_LEVEL,
  SETTING_SWITCH, /* on the command line without a value; true/false */
} setting_kind_t;

typedef struct setting {
  const char *name;
  setting_kind_t kind;
  uint64_t min, max;
} setting_t;

static const setting_t settings[] = {
    {"listen", SETTING_STRING, 0, 0},
    {"data-dir", SETTING_STRING, 0, 0},
    {"tokens-file", SETTING_STRING, 0, 0},
    {"tls-cert", SETTING_STRING, 0, 0},
    {"tls-key", SETTING_STRING, 0, 0},
    {"trusted-proxy", SETTING_STRING, 0, 0},
    {"max-message-bytes", SETTING_SIZE, 1, UINT32_MAX},
    {"max-connections", SETTING_COUNT32, 1, 1000000},
    {"max-connections-per-address", SETTING_COUNT32, 1, 1000000},
    {"max-concurrent-streams", SETTING_COUNT32, 1, 1u << 30},
    {"max-pending-bytes-per-connection", SETTING_SIZE, 16384, 1ull << 40},
    {"max-pending-bytes", SETTING_SIZE, 16384, 1ull << 40},
    {"idle-timeout", SETTING_SECONDS, 0, 365ull * 86400},
    {"handshake-timeout", SETTING_SECONDS, 1, 3600},
    {"stall-timeout", SETTING_SECONDS, 1, 86400},
    {"shutdown-grace", SETTING_SECONDS, 0, 3600},
    {"log-level", SETTING_LEVEL, 0, 0},
    {"insecure-no-auth", SETTING_SWITCH, 0, 0},
    {"http-listen", SETTING_STRING, 0, 0},
    {"http-base-path", SETTING_STRING, 0, 0},
    {"http-threads", SETTING_COUNT32, 1, 64},
    {"http-max-connections", SETTING_COUNT32, 1, 100000},
    {"http-max-connections-per-address", SETTING_COUNT32, 1, 100000},
    {"http-timeout", SETTING_COUNT32, 1, 3600},
    {"http-max-downloads", SETTING_COUNT32, 1, 64},
};

int rt_options_init(rt_options_t *options) {
  memset(options, 0, sizeof(*options));
  rt_server_options_init(&options->server);
  options->log_level = RT_LOG_INFO;
  options->shutdown_grace_ms = 10000;
  options->listen = strdup(RT_DEFAULT_LISTEN);
  options->data_dir = strdup(RT_DEFAULT_DATA_DIR);
  if (options->listen == NULL || options->data_dir == NULL) {
    rt_options_free(options);
    return RT_ENOMEM;
  }
  return 0;
}

void rt_options_free(rt_options_t *options) {
  free(options->listen);
  free(options->data_dir);
  free(options->config);
  free(options->tokens_file);
  free(options->tls_cert);
  free(options->tls_key);
  free(options->trusted_proxy);
  free(options->http_listen);
  free(options->http_base_path);
  options->http_listen = options->http_base_path = NULL;
  options->listen = options->data_dir = options->config = NULL;
  options->tokens_file = options->tls_cert = options->tls_key = NULL;
  options->trusted_proxy = NULL;
  options->server.tls_cert_file = options->server.tls_key_file = NULL;
  options->server.trusted_proxies = NULL;
}

static const setting_t *find_setting(const char *name) {
  size_t i;

  for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
    if (strcmp(settings[i].name, name) == 0)
      return &settings[i];
  }
  return NULL;
}

static int parse_number(const setting_t *setting, const char *value,
                        uint64_t *out, rt_error_t *err) {
  char *end;
  unsigned long long number;

  errno = 0;
  if (value[0] < '0' || value[0] > '9')
    goto bad;
  number = strtoull(value, &end, 10);
  if (errno != 0 || *end != '\0' || number < setting->min ||
      number > setting->max)
    goto bad;
  *out = number;
  return 0;
bad:
  return rt_error_set(err, RT_EINVAL, setting->name,
                      "--%s must be a whole number from %llu to %llu, not "
                      "\"%.64s\"",
                      setting->name, (unsigned long long)setting->min,
                      (unsigned long long)setting->max, value);
}

static int set_string(char **slot, const char *name, const char *value,
                      rt_error_t *err) {
  char *copy;

  if (value[0] == '\0')
    return rt_error_set(err, RT_EINVAL, name, "--%s must not be empty", name);
  copy = strdup(value);
  if (copy == NULL)
    return rt_error_set(err, RT_ENOMEM, name, "out of memory");
  free(*slot);
  *slot = copy;
  return 0;
}

static char **string_slot(rt_options_t *options, const char *key) {
  if (strcmp(key, "listen") == 0)
    return &options->listen;
  if (strcmp(key, "tokens-file") == 0)
    return &options->tokens_file;
  if (strcmp(key, "tls-cert") == 0)
    return &options->tls_cert;
  if (strcmp(key, "tls-key") == 0)
    return &options->tls_key;
  if (strcmp(key, "trusted-proxy") == 0)
    return &options->trusted_proxy;
  if (strcmp(key, "http-listen") == 0)
    return &options->http_listen;
  if (strcmp(key, "http-base-path") == 0)
    return &options->http_base_path;
  return &options->data_dir;
}

/* Sets a string setting; the server options point at the copies. */
static int set_string_setting(rt_options_t *options, const char *key,
                              const char *value, rt_error_t *err) {
  int rc;

  if (strcmp(key, "trusted-proxy") == 0) {
    rc = rt_server_check_networks(value, err);
    if (rc != 0)
      return rc;
  }
  if (strcmp(key, "http-base-path") == 0 &&
      (rc = rt_http_check_base_path(value, err)) != 0)
    return rc;
  rc = set_string(string_slot(options, key), key, value, err);
  options->server.tls_cert_file = options->tls_cert;
  options->server.tls_key_file = options->tls_key;
  options->server.trusted_proxies = options->trusted_proxy;
  return rc;
}

/* Stores a number already checked against its setting's range. */
static void set_number(rt_options_t *options, const char *key,
                       uint64_t number) {
  rt_server_options_t *server = &options->server;

  if (strcmp(key, "max-message-bytes") == 0)
    server->max_message_bytes = (size_t)number;
  else if (strcmp(key, "max-connections") == 0)
    server->max_connections = (uint32_t)number;
  else if (strcmp(key, "max-connections-per-address") == 0)
    server->max_connections_per_address = (uint32_t)number;
  else if (strcmp(key, "max-concurrent-streams") == 0)
    server->max_concurrent_streams = (uint32_t)number;
  else if (strcmp(key, "max-pending-bytes-per-connection") == 0)
    server->max_pending_bytes_per_connection = (size_t)number;
  else if (strcmp(key, "max-pending-bytes") == 0)
    server->max_pending_bytes = (size_t)number;
  else if (strcmp(key, "idle-timeout") == 0)
    server->idle_timeout_ms = number * 1000;
  else if (strcmp(key, "handshake-timeout") == 0)
    server->handshake_timeout_ms = number * 1000;
  else if (strcmp(key, "stall-timeout") == 0)
    server->stall_timeout_ms = number * 1000;
  else if (strcmp(key, "http-threads") == 0)
    options->http_threads = (uint32_t)number;
  else if (strcmp(key, "http-max-connections") == 0)
    options->http_max_connections = (uint32_t)number;
  else if (strcmp(key, "http-max-connections-per-address") == 0)
    options->http_max_connections_per_address = (uint32_t)number;
  else if (strcmp(key, "http-timeout") == 0)
    options->http_timeout_s = (uint32_t)number;
  else if (strcmp(key, "http-max-downloads") == 0)
    options->http_max_downloads = (uint32_t)number;
  else
    options->shutdown_grace_ms = number * 1000;
}

int rt_options_set(rt_options_t *options, const char *key, const char *value,
                   rt_error_t *err) {
  const setting_t *setting = find_setting(key);
  uint64_t number = 0;
  int rc;

  if (setting == NULL)
    return rt_error_set(err, RT_EINVAL, key, "unknown option \"%.64s\"", key);
  if (setting->kind == SETTING_STRING)
    return set_string_setting(options, key, value, err);
  if (setting->kind == SETTING_SWITCH) {
    if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
      return rt_error_set(err, RT_EINVAL, key,
                          "--%s takes no value on the command line, and true "
                          "or false in a config file, not \"%.64s\"",
                          key, value);
    options->insecure_no_auth = strcmp(value, "true") == 0;
    return 0;
  }
  if (setting->kind == SETTING_LEVEL) {
    if (rt_log_level_parse(value, &options->log_level) != 0)
      return rt_error_set(err, RT_EINVAL, key,
                          "--log-level must be error, warn, info or debug, "
                          "not \"%.64s\"",
                          value);
    return 0;
  }
  rc = parse_number(setting, value, &number, err);
  if (rc != 0)
    return rc;
  set_number(options, key, number);
  return 0;
}

static char *trim(char *text) {
  char *end;

  while (*text == ' ' || *text == '\t')
    text++;
  end = text + strlen(text);
  while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
                        end[-1] == '\r'))
    *--end = '\0';
  return text;
}

/* Applies one line; blank lines and comments are skipped. */
static int apply_line(rt_options_t *options, char *line, const char *path,
                      unsigned line_number, rt_error_t *err) {
  char *hash = strchr(line, '#');
  char *equals;
  char *key;
  int rc;

  if (hash != NULL)
    *hash = '\0';
  key = trim(line);
  if (*key == '\0')
    return 0;
  equals = strchr(key, '=');
  if (equals == NULL)
    return rt_error_set(err, RT_EINVAL, "config",
                        "%.100s:%u: expected \"key = value\"", path,
                        line_number);
  *equals = '\0';
  key = trim(key);
  rc = rt_options_set(options, key, trim(equals + 1), err);
  if (rc != 0 && err != NULL) {
    char detail[sizeof(err->message)];
    snprintf(detail, sizeof(detail), "%s", err->message);
    rt_error_set(err, rc, err->field, "%.100s:%u: %s", path, line_number,
                 detail);
  }
  return rc;
}

int rt_options_load_file(rt_options_t *options, const char *path,
                         rt_error_t *err) {
  FILE *file = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  unsigned line_number = 0;
  int rc = 0;

  if (file == NULL)
    return rt_error_set(err, RT_EIO, "config", "cannot read %s: %s", path,
                        strerror(errno));
  while (rc == 0 && getline(&line, &cap, file) >= 0)
    rc = apply_line(options, line, path, ++line_number, err);
  free(line);
  fclose(file);
  return rc;
}

/* "--name=value" or "--name value": the flag's value, advancing *index. */
static int flag_value(int argc, char **argv, int *index, const char *name,
                      const char **value, rt_error_t *err) {
  const char *arg = argv[*index] + 2;
  size_t len = strlen(name);

  if (arg[len] == '=') {
    *value = arg + len + 1;
    return 0;
  }
  if (*index + 1 >= argc)
    return rt_error_set(err, RT_EINVAL, name, "--%s needs a value", name);
  *value = argv[++*index];
  return 0;
}

/* The flag's name without "--" and without "=value", into name. */
static int flag_name(const char *arg, char *name, size_t name_len) {
  size_t len;

  if (strncmp(arg, "--", 2) != 0)
    return RT_EINVAL;
  len = strcspn(arg + 2, "=");
  if (len == 0 || len >= name_len)
    return RT_EINVAL;
  memcpy(name, arg + 2, len);
  name[len] = '\0';
  return 0;
}

static int apply_flags(rt_options_t *options, int argc, char **argv,
                       int config_only, rt_error_t *err) {
  char name[64];
  const char *value = NULL;
  int i, rc;

  for (i = 1; i < argc; i++) {
    if (flag_name(argv[i], name, sizeof(name)) != 0)
      return rt_error_set(err, RT_EINVAL, "argv",
                          "unexpected argument \"%.64s\"", argv[i]);
    if (strcmp(name, "help") == 0 || strcmp(name, "version") == 0) {
      if (strcmp(name, "help") == 0)
        options->show_help = 1;
      else
        options->show_version = 1;
      continue;
    }
    const setting_t *setting = find_setting(name);
    if (setting == NULL && strcmp(name, "config") != 0)
      return rt_error_set(err, RT_EINVAL, name, "unknown option --%.60s", name);
    if (setting != NULL && setting->kind == SETTING_SWITCH &&
        strchr(argv[i], '=') == NULL)
      value = "true"; /* a switch takes no value of its own */
    else if ((rc = flag_value(argc, argv, &i, name, &value, err)) != 0)
      return rc;
    if (strcmp(name, "config") == 0) {
      if (config_only)
        return set_string(&options->config, name, value, err);
    } else if (!config_only) {
      rc = rt_options_set(options, name, value, err);
      if (rc != 0)
        return rc;
    }
  }
  return 0;
}

int rt_options_parse(rt_options_t *options, int argc, char **argv,
                     rt_error_t *err) {
  int rc = apply_flags(options, argc, argv, 1, err);

  if (rc != 0 || options->show_help || options->show_version)
    return rc;
  if (options->config != NULL) {
    rc = rt_options_load_file(options, options->config, err);
    if (rc != 0)
      return rc;
  }
  rc = apply_flags(options, argc, argv, 0, err);
  return rc == 0 ? rt_options_check(options, err) : rc;
}

int rt_options_check(const rt_options_t *options, rt_error_t *err) {
  const rt_server_options_t *server = &options->server;

  if (options->tls_cert != NULL && options->tls_key == NULL)
    return rt_error_set(err, RT_EINVAL, "tls-key",
                        "--tls-cert needs --tls-key (the certificate's "
                        "private key)");
  if (options->tls_key != NULL && options->tls_cert == NULL)
    return rt_error_set(err, RT_EINVAL, "tls-cert",
                        "--tls-key needs --tls-cert (the certificate it "
                        "belongs to)");
  if (server->max_pending_bytes < server->max_pending_bytes_per_connection)
    return rt_error_set(err, RT_EINVAL, "max-pending-bytes",
                        "--max-pending-bytes (%zu) must not be below "
                        "--max-pending-bytes-per-connection (%zu)",
                        server->max_pending_bytes,
                        server->max_pending_bytes_per_connection);
  if (options->http_base_path != NULL && options->http_listen == NULL)
    return rt_error_set(err, RT_EINVAL, "http-base-path",
                        "--http-base-path needs --http-listen (the HTTP "
                        "listener it is for)");
  return 0;
}

const char *rt_options_usage(void) {
  return "Usage: rectrackd [options]\n"
         "Serves the rectrack.v1.Tracker gRPC API (HTTP/2, cleartext or "
         "TLS), with\n"
         "grpc.health.v1.Health and server reflection.\n"
         "\n"
         "  --listen HOST:PORT            address to listen on "
         "(default " RT_DEFAULT_LISTEN ";\n"
         "                                port 0 picks a free port; IPv6 as "
         "[::1]:PORT)\n"
         "  --data-dir DIR                data directory "
         "(default " RT_DEFAULT_DATA_DIR ")\n"
         "  --tokens-file FILE            require bearer tokens listed (as "
         "SHA-256\n"
         "                                hashes) in FILE; without it the API "
         "is open\n"
         "                                and served on loopback addresses "
         "only\n"
         "  --insecure-no-auth            serve the open API (no "
         "--tokens-file) "
         "on an\n"
         "                                address other than loopback; warned "
         "at start\n"
         "  --config FILE                 read `key = value` settings (same "
         "names as\n"
         "                                the long flags); flags override "
         "it\n"
         "  --tls-cert FILE               serve TLS 1.2/1.3 (ALPN h2) with "
         "this PEM\n"
         "                                certificate, then its chain; "
         "needs --tls-key;\n"
         "                                SIGHUP reloads both\n"
         "  --tls-key FILE                the certificate's PEM private key "
         "(unencrypted)\n"
         "  --trusted-proxy ADDRS         proxies (ADDR or ADDR/BITS, "
         "comma-separated)\n"
         "                                whose x-forwarded-for names the "
         "client in the\n"
         "                                log; exempt from the per-address "
         "limit (default\n"
         "                                none)\n"
         "  --max-message-bytes N         largest request/response message "
         "(default 4194304)\n"
         "  --max-connections N           open connections (default 1024)\n"
         "  --max-connections-per-address N\n"
         "                                open connections from one IPv4 "
         "address or IPv6\n"
         "                                /64 (default 64)\n"
         "  --max-concurrent-streams N    calls per connection (default "
         "100)\n"
         "  --max-pending-bytes-per-connection N\n"
         "                                response bytes a connection may "
         "leave unread\n"
         "                                before its new calls wait "
         "(default 4194304)\n"
         "  --max-pending-bytes N         the same over all connections "
         "(default 268435456)\n"
         "  --idle-timeout SECONDS        close idle connections (default "
         "300, 0 = never)\n"
         "  --handshake-timeout SECONDS   time to finish TLS and the HTTP/2 "
         "preface\n"
         "                                (default 10)\n"
         "  --stall-timeout SECONDS       reset a call whose response has "
         "not moved for\n"
         "                                this long (default 30)\n"
         "  --shutdown-grace SECONDS      on SIGTERM, time given to calls in "
         "flight\n"
         "                                (default 10)\n"
         "  --http-listen HOST:PORT       also serve the public web pages, "
         "the JSON\n"
         "                                read API, /metrics and /healthz "
         "over HTTP/1.1\n"
         "                                (HTTPS with --tls-cert); default "
         "off\n"
         "  --http-base-path PATH         the pages live under PATH behind a "
         "proxy\n"
         "                                (e.g. /tracker); links carry it\n"
         "  --http-threads N              HTTP threads (default 4)\n"
         "  --http-max-connections N      open HTTP connections (default "
         "256)\n"
         "  --http-max-connections-per-address N\n"
         "                                open HTTP connections from one "
         "address\n"
         "                                (default 32)\n"
         "  --http-timeout SECONDS        close an idle HTTP connection "
         "(default 30)\n"
         "  --http-max-downloads N        review downloads at once; more "
         "are 429\n"
         "                                (default 2)\n"
         "  --log-level LEVEL             error, warn, info (default) or "
         "debug\n"
         "  --version                     print the version and exit\n"
         "  --help                        print this help and exit\n";
}
