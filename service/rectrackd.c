/*
 * rectrackd: the rectrack server daemon. Parses its options, opens the
 * data directory, registers the Tracker, Health and Reflection services
 * with the gRPC transport, listens, and prints `rectrackd listening on
 * HOST:PORT` once ready (scripts and tests read the real port from it).
 *
 * SIGTERM or SIGINT starts a graceful shutdown: Health turns NOT_SERVING,
 * the server stops accepting and sends GOAWAY, calls in flight get up to
 * --shutdown-grace to finish, the Tracker commits and answers its queued
 * writes and stops its writer thread; then the store is closed and the
 * process exits 0. A second signal does not cut this short: the grace
 * period bounds it; once the signal handles are closed, SIGTERM and
 * SIGINT are ignored, so a late signal cannot kill the exiting process.
 *
 * With --tokens-file, Tracker calls need a bearer token (rt_auth.h) and
 * SIGHUP re-reads the file; without it the API is open (logged at start)
 * and served on loopback only, unless --insecure-no-auth says otherwise
 * (rt_listen_policy.h).
 * With --tls-cert and --tls-key the listener speaks TLS, and SIGHUP also
 * reads the certificate and key again (new connections get the new pair;
 * a pair that cannot be used is refused and the one in force stays).
 *
 * With --http-listen it also serves the public web pages, the JSON read
 * API, /metrics and /healthz over HTTP/1.1 (rt_http.h; HTTPS with the
 * same certificate, reloaded on SIGHUP too), and prints `rectrackd http
 * listening on HOST:PORT` before the gRPC line. The metrics registry is
 * the daemon's: the Tracker counts its calls and its writer's batches in
 * it, the transport's figures are copied in once a second on the loop
 * thread (rt_server_get_stats), and the HTTP listener renders it.
 * Shutdown stops the HTTP listener first: it reads the store, which is
 * closed last.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "rt_auth.h"
#include "rt_grpc_std.h"
#include "rt_http.h"
#include "rt_listen_policy.h"
#include "rt_log.h"
#include "rt_metrics.h"
#include "rt_options.h"
#include "rt_server.h"
#include "rt_store.h"
#include "rt_tracker.h"

typedef struct daemon {
  uv_loop_t loop;
  rt_options_t options;
  rt_server_t *server;
  rt_health_t *health;
  rt_reflection_t *reflection;
  rt_auth_t *auth;        /* NULL: no --tokens-file, the API is open */
  uv_signal_t signals[3]; /* SIGTERM, SIGINT, SIGHUP */
  int shutting_down;
  int server_done;
  rt_store_t *store;
  rt_tracker_t *tracker;
  int tracker_done;
  rt_metrics_t *metrics;
  rt_http_t *http; /* NULL: no --http-listen, or stopped */
  /* The transport's figures, copied into the registry once a second. */
  uv_timer_t stats_timer;
  int stats_timer_open;
  rt_server_stats_t last_stats;
  rt_gauge_t *connections, *streams, *pending_bytes;
  rt_counter_t *connections_refused, *streams_stalled, *calls_not_started;
} daemon_t;

/* Closes the signal handles so that the loop can end. Closing the last
 * handle of a signal restores its default action (terminate), so the
 * signals are blocked meanwhile and then ignored: a SIGTERM arriving
 * while the process tears down must not turn exit 0 into "killed". */
static void close_signals(daemon_t *daemon) {
  sigset_t stop_signals, previous;

  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  for (int i = 0; i < 3; i++)
    uv_close((uv_handle_t *)&daemon->signals[i], NULL);
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

static void finish_if_done(daemon_t *daemon) {
  if (!daemon->server_done || !daemon->tracker_done)
    return;
  close_signals(daemon);
  if (daemon->stats_timer_open) {
    uv_close((uv_handle_t *)&daemon->stats_timer, NULL);
    daemon->stats_timer_open = 0;
  }
  rt_log(RT_LOG_INFO, "shutdown complete");
}

static void on_server_done(rt_server_t *server, void *arg) {
  daemon_t *daemon = arg;
  (void)server;
  daemon->server_done = 1;
  finish_if_done(daemon);
}

static void on_tracker_drained(void *arg) {
  daemon_t *daemon = arg;
  daemon->tracker_done = 1;
  finish_if_done(daemon);
}

/* SIGHUP: read the TLS certificate and key again; a bad pair keeps the
 * one in force. */
static void reload_tls(daemon_t *daemon) {
  rt_error_t err = {0};

  if (daemon->http != NULL && rt_http_is_tls(daemon->http)) {
    if (rt_http_reload_tls(daemon->http, &err) != 0)
      rt_log(RT_LOG_ERROR, "SIGHUP: %s; keeping the HTTPS certificate in force",
             err.message);
    else
      rt_log(RT_LOG_INFO, "SIGHUP: reloaded the HTTPS certificate");
    rt_error_clear(&err);
  }
  if (!rt_server_is_tls(daemon->server))
    return;
  if (rt_server_reload_tls(daemon->server, &err) != 0) {
    rt_log(RT_LOG_ERROR, "SIGHUP: %s; keeping the TLS certificate in force",
           err.message);
    return;
  }
  rt_log(RT_LOG_INFO, "SIGHUP: reloaded the TLS certificate %s and key %s",
         daemon->options.tls_cert, daemon->options.tls_key);
}

/* SIGHUP: re-read the tokens file; a bad file keeps the tokens in force. */
static void reload_tokens(daemon_t *daemon) {
  rt_error_t err = {0};

  if (daemon->auth == NULL) {
    if (!rt_server_is_tls(daemon->server))
      rt_log(RT_LOG_INFO, "SIGHUP: no --tokens-file and no TLS, nothing to "
                          "reload");
    return;
  }
  if (rt_auth_reload(daemon->auth, &err) != 0) {
    rt_log(RT_LOG_ERROR, "SIGHUP: %s; keeping the previous tokens",
           err.message);
    return;
  }
  rt_log(RT_LOG_INFO, "SIGHUP: reloaded %s (%zu tokens)",
         rt_auth_path(daemon->auth), rt_auth_count(daemon->auth));
}

static void on_signal(uv_signal_t *handle, int signum) {
  daemon_t *daemon = handle->data;

  if (signum == SIGHUP) {
    reload_tls(daemon);
    reload_tokens(daemon);
    return;
  }
  if (daemon->shutting_down) {
    rt_log(RT_LOG_INFO, "signal %d: already shutting down", signum);
    return;
  }
  daemon->shutting_down = 1;
  rt_log(RT_LOG_INFO, "signal %d: shutting down (grace %llu ms)", signum,
         (unsigned long long)daemon->options.shutdown_grace_ms);
  rt_http_free(daemon->http); /* answers what it is answering, then stops */
  daemon->http = NULL;
  if (daemon->tracker != NULL)
    rt_tracker_drain(daemon->tracker, on_tracker_drained, daemon);
  rt_server_shutdown(daemon->server, daemon->options.shutdown_grace_ms,
                     on_server_done, daemon);
}

/* A data directory of an older release is upgraded as it is opened; the
 * log says what changed. */
static void log_upgrade(const char *line, void *data) {
  rt_log(RT_LOG_INFO, "data directory %s upgraded: %s", (const char *)data,
         line);
}

/* Opens --data-dir with rt_store_open and registers rectrack.v1.Tracker. */
static int register_tracker(daemon_t *daemon, rt_error_t *err) {
  rt_tracker_options_t tracker_options = {0};
  const rt_method_t *methods;
  size_t count;
  int rc;

  rt_store_options_t store_options = {
      .upgrade_notice = log_upgrade,
      .upgrade_notice_data = (void *)daemon->options.data_dir,
  };
  rc = rt_store_open(&daemon->store, daemon->options.data_dir, &store_options,
                     err);
  if (rc != 0) {
    char detail[sizeof err->message];
    snprintf(detail, sizeof detail, "%s",
             err->message[0] ? err->message : rt_strerror(rc));
    return rt_error_set(err, rc, "data-dir",
                        "cannot open the data directory %.100s: %s",
                        daemon->options.data_dir, detail);
  }
  tracker_options.data_dir = daemon->options.data_dir;
  tracker_options.auth = daemon->auth;
  tracker_options.max_reply_bytes = daemon->options.server.max_message_bytes;
  tracker_options.metrics = daemon->metrics;
  rc = rt_tracker_new(&daemon->tracker, &daemon->loop, daemon->store,
                      &tracker_options, err);
  if (rc != 0)
    return rc;
  methods = rt_tracker_methods(daemon->tracker, &count);
  rt_server_set_call_observer(daemon->server, rt_tracker_observe_call,
                              daemon->tracker);
  return rt_server_add_methods(daemon->server, methods, count, err);
}

/* The transport's figures into the registry (loop thread). */
static void copy_server_stats(uv_timer_t *timer) {
  daemon_t *daemon = timer->data;
  rt_server_stats_t now;
  rt_server_get_stats(daemon->server, &now);
  rt_gauge_set(daemon->connections, (double)now.connections);
  rt_gauge_set(daemon->streams, (double)now.streams);
  rt_gauge_set(daemon->pending_bytes, (double)now.pending_bytes);
  rt_counter_add(daemon->connections_refused,
                 now.connections_refused -
                     daemon->last_stats.connections_refused);
  rt_counter_add(daemon->streams_stalled,
                 now.streams_stalled - daemon->last_stats.streams_stalled);
  rt_counter_add(daemon->calls_not_started,
                 now.calls_not_started - daemon->last_stats.calls_not_started);
  daemon->last_stats = now;
}

/* The daemon's own series: the build, and the transport's. */
static int register_metrics(daemon_t *daemon, rt_error_t *err) {
  rt_metrics_t *m = rt_metrics_new();
  daemon->metrics = m;
  if (m == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  rt_gauge_t *info = rt_metrics_gauge(
      m, "rectrack_build_info", "The running rectrackd's version (always 1).",
      "version=\"" RT_VERSION "\"");
  rt_gauge_set(info, 1);
  daemon->connections = rt_metrics_gauge(
      m, "rectrack_grpc_connections", "gRPC (HTTP/2) connections open.", NULL);
  daemon->streams = rt_metrics_gauge(m, "rectrack_grpc_streams",
                                     "HTTP/2 streams (calls) open.", NULL);
  daemon->pending_bytes = rt_metrics_gauge(
      m, "rectrack_grpc_pending_response_bytes",
      "Response bytes queued for gRPC clients and not yet taken by their "
      "flow-control windows.",
      NULL);
  daemon->connections_refused = rt_metrics_counter(
      m, "rectrack_grpc_connections_refused_total",
      "gRPC connections closed as accepted: over a connection limit.", NULL);
  daemon->streams_stalled = rt_metrics_counter(
      m, "rectrack_grpc_streams_stalled_total",
      "Streams reset because their response did not move for the stall "
      "timeout.",
      NULL);
  daemon->calls_not_started = rt_metrics_counter(
      m, "rectrack_grpc_calls_not_started_total",
      "Calls ended RESOURCE_EXHAUSTED while waiting for their connection's "
      "unread responses to drain.",
      NULL);
  if (!info || !daemon->connections || !daemon->streams ||
      !daemon->pending_bytes || !daemon->connections_refused ||
      !daemon->streams_stalled || !daemon->calls_not_started)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  return 0;
}

/* --http-listen: the web pages, the JSON API and /metrics. */
static int start_http(daemon_t *daemon, rt_error_t *err) {
  const rt_options_t *o = &daemon->options;
  if (o->http_listen == NULL)
    return 0;
  rt_http_options_t http_options = {
      .listen = o->http_listen,
      .base_path = o->http_base_path,
      .tls_cert_file = o->tls_cert,
      .tls_key_file = o->tls_key,
      .threads = o->http_threads,
      .max_connections = o->http_max_connections,
      .max_connections_per_address = o->http_max_connections_per_address,
      .timeout_s = o->http_timeout_s,
      .max_downloads = o->http_max_downloads,
      .metrics = daemon->metrics,
      .store = daemon->store,
  };
  int rc = rt_http_new(&daemon->http, &http_options, err);
  if (rc != 0)
    return rc;
  printf("rectrackd http listening on %s\n", rt_http_address(daemon->http));
  rt_log(RT_LOG_INFO, "web pages, JSON API and /metrics on %s://%s%s/",
         rt_http_is_tls(daemon->http) ? "https" : "http",
         rt_http_address(daemon->http),
         o->http_base_path ? o->http_base_path : "");
  return 0;
}

static int register_standard_services(daemon_t *daemon, rt_error_t *err) {
  const rt_method_t *methods;
  size_t count;
  int rc;

  rc = rt_health_new(&daemon->health, err);
  if (rc == 0)
    rc = rt_health_add_service(daemon->health, "rectrack.v1.Tracker");
  if (rc == 0) {
    methods = rt_health_methods(daemon->health, &count);
    rc = rt_server_add_methods(daemon->server, methods, count, err);
  }
  if (rc == 0)
    rc = rt_server_add_drain_hook(daemon->server, rt_health_drain,
                                  daemon->health);
  if (rc == 0)
    rc = rt_reflection_new(&daemon->reflection, daemon->server,
                           rt_descriptor_set, rt_descriptor_set_len, err);
  if (rc == 0) {
    methods = rt_reflection_methods(daemon->reflection, &count);
    rc = rt_server_add_methods(daemon->server, methods, count, err);
  }
  return rc;
}

/* --tokens-file: load it (the open API is reported once listening). */
static int load_tokens(daemon_t *daemon, rt_error_t *err) {
  const char *path = daemon->options.tokens_file;
  int rc;

  if (path == NULL)
    return 0;
  rc = rt_auth_load(&daemon->auth, path, err);
  if (rc != 0)
    return rc;
  if (rt_auth_count(daemon->auth) == 0)
    rt_log(RT_LOG_WARN,
           "%s holds no tokens: every Tracker call will be "
           "refused until tokens are added (then SIGHUP)",
           path);
  else
    rt_log(RT_LOG_INFO, "bearer tokens required (%zu in %s)",
           rt_auth_count(daemon->auth), path);
  return 0;
}

static int start(daemon_t *daemon, rt_error_t *err) {
  int rc;
  int i;
  const int signums[3] = {SIGTERM, SIGINT, SIGHUP};

  rc = load_tokens(daemon, err);
  if (rc == 0)
    rc = register_metrics(daemon, err);
  if (rc == 0)
    rc = rt_server_new(&daemon->server, &daemon->loop, &daemon->options.server,
                       err);
  if (rc == 0)
    rc = register_tracker(daemon, err);
  if (rc == 0)
    rc = register_standard_services(daemon, err);
  if (rc == 0)
    rc = rt_server_listen(daemon->server, daemon->options.listen, err);
  if (rc == 0)
    rc = start_http(daemon, err);
  if (rc != 0)
    return rc;
  uv_timer_init(&daemon->loop, &daemon->stats_timer);
  daemon->stats_timer.data = daemon;
  daemon->stats_timer_open = 1;
  uv_timer_start(&daemon->stats_timer, copy_server_stats, 0, 1000);
  uv_unref((uv_handle_t *)&daemon->stats_timer);
  for (i = 0; i < 3; i++) {
    uv_signal_init(&daemon->loop, &daemon->signals[i]);
    daemon->signals[i].data = daemon;
    uv_signal_start(&daemon->signals[i], on_signal, signums[i]);
  }
  if (daemon->auth == NULL)
    rt_log(RT_LOG_WARN,
           "no --tokens-file: the Tracker API is open to anyone who can "
           "connect, and changes are recorded under the unchecked "
           "x-rectrack-user header");
  printf("rectrackd listening on %s\n", rt_server_address(daemon->server));
  fflush(stdout);
  rt_log(RT_LOG_INFO, "rectrackd %s listening on %s (%s)", RT_VERSION,
         rt_server_address(daemon->server),
         rt_server_is_tls(daemon->server) ? "TLS" : "cleartext HTTP/2");
  return 0;
}

/* Releases everything; the loop runs once more to close the handles. */
static void stop(daemon_t *daemon) {
  rt_http_free(daemon->http);
  daemon->http = NULL;
  if (daemon->stats_timer_open) {
    uv_close((uv_handle_t *)&daemon->stats_timer, NULL);
    daemon->stats_timer_open = 0;
  }
  rt_server_free(daemon->server);
  daemon->server = NULL;
  rt_tracker_free(daemon->tracker);
  rt_health_free(daemon->health);
  rt_reflection_free(daemon->reflection);
  uv_run(&daemon->loop, UV_RUN_DEFAULT);
  rt_store_close(daemon->store);
  rt_auth_free(daemon->auth);
  rt_metrics_free(daemon->metrics);
}

/* The open API (no tokens file) stays on loopback unless the operator
 * asked otherwise, and then hears about it at every start. Returns 0 or
 * the exit status 2, with the reason printed. */
static int check_listen_policy(daemon_t *daemon) {
  rt_error_t err = {0};
  bool warn_open = false;
  const rt_options_t *options = &daemon->options;
  if (rt_listen_policy_check(options->listen, options->tokens_file != NULL,
                             options->insecure_no_auth, &warn_open,
                             &err) != 0) {
    fprintf(stderr, "rectrackd: %s\n", err.message);
    return 2;
  }
  if (warn_open)
    rt_log(RT_LOG_WARN,
           "--insecure-no-auth: the Tracker API on %s is open to anyone who "
           "can reach it, without a token, and every change is recorded "
           "under the unchecked x-rectrack-user header",
           options->listen);
  else if (options->insecure_no_auth && options->tokens_file != NULL)
    rt_log(RT_LOG_WARN, "--insecure-no-auth has no effect: --tokens-file is "
                        "given, so every Tracker call needs a token");
  return 0;
}

static int parse_options(daemon_t *daemon, int argc, char **argv,
                         int *exit_now) {
  rt_error_t err = {0};
  int rc = rt_options_init(&daemon->options);

  *exit_now = 0;
  if (rc == 0)
    rc = rt_options_parse(&daemon->options, argc, argv, &err);
  if (rc != 0) {
    fprintf(stderr, "rectrackd: %s\n",
            err.message[0] ? err.message : rt_strerror(rc));
    fprintf(stderr, "Try 'rectrackd --help'.\n");
    return 2;
  }
  if (daemon->options.show_help || daemon->options.show_version) {
    if (daemon->options.show_help)
      fputs(rt_options_usage(), stdout);
    else
      printf("rectrackd %s\n", RT_VERSION);
    *exit_now = 1;
  }
  rt_log_set_level(daemon->options.log_level);
  return *exit_now ? 0 : check_listen_policy(daemon);
}

int main(int argc, char **argv) {
  daemon_t daemon = {0};
  rt_error_t err = {0};
  int exit_now;
  int code = parse_options(&daemon, argc, argv, &exit_now);

  if (code != 0 || exit_now) {
    rt_options_free(&daemon.options);
    return code;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Replies and their encodings are large and short-lived (a page of a
   * List is megabytes). glibc raises its mmap threshold to the size of
   * the largest block freed, after which such blocks come from the heap
   * and stay in the process when freed; a fixed threshold keeps them
   * mmapped, so memory a burst of clients took goes back to the system
   * once they leave. */
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  uv_loop_init(&daemon.loop);
  if (start(&daemon, &err) != 0) {
    fprintf(stderr, "rectrackd: %s\n",
            err.message[0] ? err.message : "cannot start");
    code = 1;
  } else {
    uv_run(&daemon.loop, UV_RUN_DEFAULT);
  }
  stop(&daemon);
  uv_loop_close(&daemon.loop);
  rt_options_free(&daemon.options);
  return code;
}
