/*
 * rt_test_server: the gRPC transport with test methods, for the
 * end-to-end transport tests (tests/e2e/transport). Same flags as
 * rectrackd (rt_options); prints `rt_test_server listening on HOST:PORT`
 * when ready and shuts down gracefully on SIGTERM/SIGINT, exiting 0.
 *
 * Methods of rectrack.test.Test (requests and replies are raw bytes):
 *   Echo (unary)      replies with the request; a request "fail:TEXT"
 *                     fails with INVALID_ARGUMENT and message TEXT.
 *   Sleep (unary)     request: decimal milliseconds; replies "slept" after
 *                     a timer. cancel() stops the timer and counts.
 *   Stream (server)   request "COUNT SIZE": COUNT messages of SIZE bytes,
 *                     each starting with its decimal index; keeps at most
 *                     64 KiB queued (rt_call_on_drain).
 *   Bidi (bidi)       echoes each message, ends OK at half-close.
 *   Stats (unary)     replies "cancelled=N active=M" (Sleep and Stream).
 * Plus grpc.health.v1.Health (services "" and "rectrack.test.Test") and
 * server reflection.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "rt_grpc_std.h"
#include "rt_log.h"
#include "rt_options.h"
#include "rt_server.h"

#define STREAM_HIGH_WATER (64 * 1024)

typedef struct test_state {
  uv_loop_t *loop;
  unsigned cancelled;
  unsigned active;
} test_state_t;

static test_state_t state;

/* ---- Echo, Stats, Bidi -------------------------------------------------- */

static void handle_echo(rt_call_t *call, const uint8_t *request, size_t len) {
  char *text;

  if (len >= 5 && memcmp(request, "fail:", 5) == 0) {
    text = strndup((const char *)request + 5, len - 5);
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, text ? text : "");
    free(text);
    return;
  }
  rt_call_reply(call, request, len);
}

static void handle_stats(rt_call_t *call, const uint8_t *request, size_t len) {
  char text[64];
  int n = snprintf(text, sizeof(text), "cancelled=%u active=%u",
                   state.cancelled, state.active);
  (void)request;
  (void)len;
  rt_call_reply(call, (const uint8_t *)text, (size_t)n);
}

static void handle_bidi(rt_call_t *call, const uint8_t *request, size_t len) {
  if (request == NULL)
    rt_call_finish(call, RT_GRPC_OK, NULL);
  else if (rt_call_send(call, request, len) != 0)
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "too big");
}

/* ---- Sleep -------------------------------------------------------------- */

static void sleep_timer_closed(uv_handle_t *handle) { free(handle); }

static void on_slept(uv_timer_t *timer) {
  rt_call_t *call = timer->data;

  state.active--;
  rt_call_set_data(call, NULL);
  uv_close((uv_handle_t *)timer, sleep_timer_closed);
  rt_call_reply(call, (const uint8_t *)"slept", 5);
}

static void handle_sleep(rt_call_t *call, const uint8_t *request, size_t len) {
  char text[16];
  uv_timer_t *timer;

  if (len == 0 || len >= sizeof(text)) {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, "milliseconds expected");
    return;
  }
  memcpy(text, request, len);
  text[len] = '\0';
  timer = malloc(sizeof(*timer));
  if (timer == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  uv_timer_init(state.loop, timer);
  timer->data = call;
  rt_call_set_data(call, timer);
  state.active++;
  uv_timer_start(timer, on_slept, strtoull(text, NULL, 10), 0);
}

static void cancel_sleep(rt_call_t *call) {
  uv_timer_t *timer = rt_call_data(call);

  if (timer == NULL)
    return;
  state.active--;
  state.cancelled++;
  uv_close((uv_handle_t *)timer, sleep_timer_closed);
}

/* ---- Stream ------------------------------------------------------------- */

typedef struct stream_job {
  unsigned long next, count, size;
  uint8_t *buffer;
} stream_job_t;

static void stream_job_free(rt_call_t *call, stream_job_t *job) {
  rt_call_set_data(call, NULL);
  state.active--;
  free(job->buffer);
  free(job);
}

static void stream_more(rt_call_t *call) {
  stream_job_t *job = rt_call_data(call);

  while (job->next < job->count) {
    if (rt_call_pending_bytes(call) >= STREAM_HIGH_WATER) {
      rt_call_on_drain(call, stream_more);
      return;
    }
    char index[24];
    int digits = snprintf(index, sizeof(index), "%lu", job->next);
    memset(job->buffer, '.', job->size);
    memcpy(job->buffer, index, (size_t)digits);
    if (rt_call_send(call, job->buffer, job->size) != 0) {
      stream_job_free(call, job);
      rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "message too big");
      return;
    }
    job->next++;
  }
  stream_job_free(call, job);
  rt_call_finish(call, RT_GRPC_OK, NULL);
}

static void handle_stream(rt_call_t *call, const uint8_t *request, size_t len) {
  char text[64];
  stream_job_t *job = calloc(1, sizeof(*job));

  if (job == NULL || len >= sizeof(text)) {
    free(job);
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, "\"COUNT SIZE\" expected");
    return;
  }
  memcpy(text, request, len);
  text[len] = '\0';
  if (sscanf(text, "%lu %lu", &job->count, &job->size) != 2 || job->size < 16 ||
      (job->buffer = malloc(job->size)) == NULL) {
    free(job);
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, "\"COUNT SIZE\" expected");
    return;
  }
  state.active++;
  rt_call_set_data(call, job);
  stream_more(call);
}

static void cancel_stream(rt_call_t *call) {
  stream_job_t *job = rt_call_data(call);

  if (job == NULL)
    return;
  state.cancelled++;
  stream_job_free(call, job);
}

static const rt_method_t test_methods[] = {
    {"/rectrack.test.Test/Echo", RT_METHOD_UNARY, handle_echo, NULL, NULL},
    {"/rectrack.test.Test/Sleep", RT_METHOD_UNARY, handle_sleep, cancel_sleep,
     NULL},
    {"/rectrack.test.Test/Stream", RT_METHOD_SERVER_STREAMING, handle_stream,
     cancel_stream, NULL},
    {"/rectrack.test.Test/Bidi", RT_METHOD_BIDI_STREAMING, handle_bidi, NULL,
     NULL},
    {"/rectrack.test.Test/Stats", RT_METHOD_UNARY, handle_stats, NULL, NULL},
};

/* ---- main --------------------------------------------------------------- */

typedef struct server_main {
  rt_options_t options;
  rt_server_t *server;
  rt_health_t *health;
  rt_reflection_t *reflection;
  uv_signal_t signals[2];
} server_main_t;

static void on_done(rt_server_t *server, void *arg) {
  server_main_t *main_state = arg;
  (void)server;
  uv_close((uv_handle_t *)&main_state->signals[0], NULL);
  uv_close((uv_handle_t *)&main_state->signals[1], NULL);
}

static void on_signal(uv_signal_t *handle, int signum) {
  server_main_t *main_state = handle->data;
  (void)signum;
  rt_server_shutdown(main_state->server, main_state->options.shutdown_grace_ms,
                     on_done, main_state);
}

static int start(server_main_t *m, uv_loop_t *loop, rt_error_t *err) {
  const rt_method_t *methods;
  size_t count;
  int rc;

  rc = rt_server_new(&m->server, loop, &m->options.server, err);
  if (rc == 0)
    rc = rt_server_add_methods(m->server, test_methods,
                               sizeof(test_methods) / sizeof(test_methods[0]),
                               err);
  if (rc == 0)
    rc = rt_health_new(&m->health, err);
  if (rc == 0)
    rc = rt_health_add_service(m->health, "rectrack.test.Test");
  if (rc == 0) {
    methods = rt_health_methods(m->health, &count);
    rc = rt_server_add_methods(m->server, methods, count, err);
  }
  if (rc == 0)
    rc = rt_server_add_drain_hook(m->server, rt_health_drain, m->health);
  if (rc == 0)
    rc = rt_reflection_new(&m->reflection, m->server, rt_descriptor_set,
                           rt_descriptor_set_len, err);
  if (rc == 0) {
    methods = rt_reflection_methods(m->reflection, &count);
    rc = rt_server_add_methods(m->server, methods, count, err);
  }
  if (rc == 0)
    rc = rt_server_listen(m->server, m->options.listen, err);
  return rc;
}

int main(int argc, char **argv) {
  server_main_t m = {0};
  rt_error_t err = {0};
  uv_loop_t loop;
  int code = 0;

  if (rt_options_init(&m.options) != 0 ||
      rt_options_parse(&m.options, argc, argv, &err) != 0) {
    fprintf(stderr, "rt_test_server: %s\n", err.message);
    rt_options_free(&m.options);
    return 2;
  }
  rt_log_set_level(m.options.log_level);
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&loop);
  state.loop = &loop;
  if (start(&m, &loop, &err) != 0) {
    fprintf(stderr, "rt_test_server: %s\n", err.message);
    code = 1;
  } else {
    m.signals[0].data = m.signals[1].data = &m;
    uv_signal_init(&loop, &m.signals[0]);
    uv_signal_init(&loop, &m.signals[1]);
    uv_signal_start(&m.signals[0], on_signal, SIGTERM);
    uv_signal_start(&m.signals[1], on_signal, SIGINT);
    printf("rt_test_server listening on %s\n", rt_server_address(m.server));
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  rt_server_free(m.server);
  rt_health_free(m.health);
  rt_reflection_free(m.reflection);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  rt_options_free(&m.options);
  return code;
}
