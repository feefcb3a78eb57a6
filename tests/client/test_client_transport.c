/*
 * Unit tests of rt_client's failure paths, without a gRPC server: nothing
 * listening (UNAVAILABLE naming the address), a server that accepts and
 * never answers (DEADLINE_EXCEEDED), a server that speaks something other
 * than HTTP/2 (an error, not a hang), and targets that are not HOST:PORT.
 * Then a scripted HTTP/2 server (nghttp2, one connection on a thread)
 * answers with hostile or broken responses: a huge length prefix, a
 * message cut short, no grpc-status, a grpc-status that is not a number,
 * HTTP 503, a connection reset mid-message, headers and then silence.
 * Each must end the call with a clear status, never a crash or a hang.
 * And the TLS mismatches, from the first bytes a server sends: a cleartext
 * client answered in TLS, in HTTP/1.1 or with rectrackd's GOAWAY
 * INADEQUATE_SECURITY, and a TLS client answered in cleartext HTTP/2 or
 * not at all, each end at once with a message saying what to try.
 * The successful paths are covered end to end (tests/e2e/cli, tests/e2e/tls).
 */
#include "rt_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* A loopback listening socket on a free port; its "127.0.0.1:PORT". */
static int listen_any(char target[32]) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(addr);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
  assert_int_equal(listen(fd, 4), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  snprintf(target, 32, "127.0.0.1:%d", ntohs(addr.sin_port));
  return fd;
}

static void test_nothing_listening_is_unavailable(void **state) {
  (void)state;
  char target[32];
  int fd = listen_any(target);
  close(fd); /* the port is now (almost certainly) closed */
  rt_client_t *client = rt_client_new(target);
  rt_client_status_t status;
  uint8_t *reply = NULL;
  size_t reply_len = 0;
  int code = rt_client_unary(client, "/x.Y/Z", (const uint8_t *)"", 0, 5000,
                             &reply, &reply_len, &status);
  assert_int_equal(code, 14);
  assert_int_equal(status.code, 14);
  assert_non_null(strstr(status.message, target));
  assert_null(reply);
  rt_client_status_clear(&status);
  rt_client_free(client);
}

static void test_every_call_of_a_failed_batch_gets_the_reason(void **state) {
  (void)state;
  char target[32];
  int fd = listen_any(target);
  close(fd);
  rt_client_t *client = rt_client_new(target);
  rt_client_request_t requests[3] = {
      {.path = "/x.Y/A", .request = (const uint8_t *)"a", .request_len = 1},
      {.path = "/x.Y/B", .request = (const uint8_t *)"", .request_len = 0},
      {.path = "/x.Y/C", .request = (const uint8_t *)"cc", .request_len = 2},
  };
  assert_int_equal(rt_client_unary_batch(client, requests, 3, 5000), 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(requests[i].status.code, 14);
    assert_non_null(strstr(requests[i].status.message, target));
    assert_null(requests[i].response);
    rt_client_status_clear(&requests[i].status);
  }
  rt_client_free(client);
}

static void test_silent_server_hits_the_deadline(void **state) {
  (void)state;
  char target[32];
  int fd = listen_any(target); /* the kernel accepts; nobody answers */
  rt_client_t *client = rt_client_new(target);
  rt_client_status_t status;
  uint8_t *reply = NULL;
  size_t reply_len = 0;
  int code = rt_client_unary(client, "/x.Y/Z", (const uint8_t *)"", 0, 200,
                             &reply, &reply_len, &status);
  assert_int_equal(code, 4);
  assert_non_null(strstr(status.message, "deadline"));
  rt_client_status_clear(&status);
  rt_client_free(client);
  close(fd);
}

static void *answer_http1(void *arg) {
  int listener = *(int *)arg;
  int fd = accept(listener, NULL, NULL);
  if (fd >= 0) {
    const char reply[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    ssize_t n = write(fd, reply, sizeof(reply) - 1);
    (void)n;
    close(fd);
  }
  return NULL;
}

static void test_non_http2_server_is_an_error_not_a_hang(void **state) {
  (void)state;
  char target[32];
  int fd = listen_any(target);
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, answer_http1, &fd), 0);
  rt_client_t *client = rt_client_new(target);
  rt_client_status_t status;
  uint8_t *reply = NULL;
  size_t reply_len = 0;
  int code = rt_client_unary(client, "/x.Y/Z", (const uint8_t *)"", 0, 60000,
                             &reply, &reply_len, &status);
  assert_true(code == 13 || code == 14);
  assert_non_null(strstr(status.message, target));
  rt_client_status_clear(&status);
  rt_client_free(client);
  pthread_join(thread, NULL);
  close(fd);
}

/* ---- a scripted HTTP/2 server ----------------------------------------- */

typedef struct fake {
  int listener;
  const char *http_status;  /* ":status" */
  const char *content_type; /* NULL: none */
  const uint8_t *body;      /* DATA bytes, sent as they are */
  size_t body_len;
  size_t body_sent;
  const char *trailer_status; /* grpc-status trailer; NULL: none */
  bool reset_after_body;      /* RST the TCP connection after the body */
  bool headers_only;          /* send headers, then nothing */
  bool responded;
} fake_t;

static ssize_t read_script(nghttp2_session *session, int32_t stream_id,
                           uint8_t *buf, size_t length, uint32_t *flags,
                           nghttp2_data_source *source, void *user_data) {
  (void)source;
  fake_t *fake = user_data;
  size_t left = fake->body_len - fake->body_sent;
  size_t n = left < length ? left : length;
  memcpy(buf, fake->body + fake->body_sent, n);
  fake->body_sent += n;
  if (fake->body_sent < fake->body_len)
    return (ssize_t)n;
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (fake->trailer_status != NULL) {
    nghttp2_nv trailer = {(uint8_t *)"grpc-status",
                          (uint8_t *)fake->trailer_status, 11,
                          strlen(fake->trailer_status), NGHTTP2_NV_FLAG_NONE};
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    nghttp2_submit_trailer(session, stream_id, &trailer, 1);
  } else if (fake->reset_after_body) {
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
  return (ssize_t)n;
}

static void respond(nghttp2_session *session, fake_t *fake, int32_t id) {
  nghttp2_nv headers[2] = {
      {(uint8_t *)":status", (uint8_t *)fake->http_status, 7,
       strlen(fake->http_status), NGHTTP2_NV_FLAG_NONE},
  };
  size_t count = 1;
  if (fake->content_type != NULL)
    headers[count++] =
        (nghttp2_nv){(uint8_t *)"content-type", (uint8_t *)fake->content_type,
                     12, strlen(fake->content_type), NGHTTP2_NV_FLAG_NONE};
  fake->responded = true;
  if (fake->headers_only) {
    nghttp2_submit_headers(session, NGHTTP2_FLAG_NONE, id, NULL, headers, count,
                           NULL);
    return;
  }
  nghttp2_data_provider provider = {.read_callback = read_script};
  nghttp2_submit_response(session, id, headers, count, &provider);
}

static int on_request_frame(nghttp2_session *session,
                            const nghttp2_frame *frame, void *user_data) {
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    respond(session, user_data, frame->hd.stream_id);
  return 0;
}

static bool flush(nghttp2_session *session, int fd) {
  const uint8_t *data;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(session, &data)) > 0) {
    if (write(fd, data, (size_t)n) != n)
      return false;
  }
  return n == 0;
}

/* Serves one connection until the client goes away (or, with
 * reset_after_body, resets it once the body is out). */
static void *serve(void *arg) {
  fake_t *fake = arg;
  int fd = accept(fake->listener, NULL, NULL);
  nghttp2_session_callbacks *callbacks;
  nghttp2_session *session;
  if (fd < 0)
    return NULL;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
                                                       on_request_frame);
  nghttp2_session_server_new(&session, callbacks, fake);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, NULL, 0);
  uint8_t buffer[16384];
  while (flush(session, fd)) {
    if (fake->reset_after_body && fake->responded &&
        fake->body_sent == fake->body_len) {
      struct linger hard = {.l_onoff = 1, .l_linger = 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
      break;
    }
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0 || nghttp2_session_mem_recv(session, buffer, (size_t)n) < 0)
      break;
  }
  nghttp2_session_del(session);
  close(fd);
  return NULL;
}

/* Runs one unary call against the scripted server; returns its code and
 * leaves the message in status (caller clears). */
static int call_fake(fake_t *fake, int64_t timeout_ms,
                     rt_client_status_t *status) {
  char target[32];
  pthread_t thread;
  fake->listener = listen_any(target);
  assert_int_equal(pthread_create(&thread, NULL, serve, fake), 0);
  rt_client_t *client = rt_client_new(target);
  uint8_t *reply = NULL;
  size_t reply_len = 0;
  int code = rt_client_unary(client, "/x.Y/Z", (const uint8_t *)"q", 1,
                             timeout_ms, &reply, &reply_len, status);
  assert_null(reply);
  rt_client_free(client);
  pthread_join(thread, NULL);
  close(fake->listener);
  return code;
}

/* The hostile responses run without a deadline: a call that fails to end
 * by itself then hangs, and ctest's TIMEOUT for this test reports it,
 * rather than a deadline quietly ending it with the expected code. */
#define NO_DEADLINE 0

static void expect_status(fake_t *fake, int64_t timeout_ms, int code,
                          const char *text) {
  rt_client_status_t status;
  assert_int_equal(call_fake(fake, timeout_ms, &status), code);
  assert_int_equal(status.code, code);
  if (strstr(status.message, text) == NULL)
    fail_msg("status message '%s' does not mention '%s'", status.message, text);
  rt_client_status_clear(&status);
}

static void test_huge_length_prefix_is_resource_exhausted(void **state) {
  (void)state;
  static const uint8_t body[] = {0, 0x7f, 0xff, 0xff, 0xff, 'x'};
  fake_t fake = {.http_status = "200",
                 .content_type = "application/grpc",
                 .body = body,
                 .body_len = sizeof(body),
                 .trailer_status = "0"};
  expect_status(&fake, NO_DEADLINE, 8, "exceeds");
}

static void test_message_cut_short_is_internal(void **state) {
  (void)state;
  static const uint8_t body[] = {0, 0, 0, 0, 10, 'a', 'b', 'c'};
  fake_t fake = {.http_status = "200",
                 .content_type = "application/grpc",
                 .body = body,
                 .body_len = sizeof(body),
                 .trailer_status = "0"};
  expect_status(&fake, NO_DEADLINE, 13, "middle of a message");
}

static void test_missing_grpc_status_is_unknown(void **state) {
  (void)state;
  static const uint8_t body[] = {0, 0, 0, 0, 1, 'a'};
  fake_t fake = {.http_status = "200",
                 .content_type = "application/grpc",
                 .body = body,
                 .body_len = sizeof(body)};
  expect_status(&fake, NO_DEADLINE, 2, "without a grpc-status");
}

static void test_non_numeric_grpc_status_is_named(void **state) {
  (void)state;
  static const uint8_t body[] = {0, 0, 0, 0, 1, 'a'};
  fake_t fake = {.http_status = "200",
                 .content_type = "application/grpc",
                 .body = body,
                 .body_len = sizeof(body),
                 .trailer_status = "ok"};
  expect_status(&fake, NO_DEADLINE, 2, "malformed grpc-status 'ok'");
}

static void test_http_503_is_unavailable(void **state) {
  (void)state;
  static const uint8_t body[] = "overloaded";
  fake_t fake = {.http_status = "503",
                 .content_type = "text/plain",
                 .body = body,
                 .body_len = sizeof(body) - 1};
  expect_status(&fake, NO_DEADLINE, 14, "HTTP 503");
}

static void test_connection_reset_mid_message_is_unavailable(void **state) {
  (void)state;
  static const uint8_t body[] = {0, 0, 0, 0, 100, 'p', 'a', 'r', 't'};
  fake_t fake = {.http_status = "200",
                 .content_type = "application/grpc",
                 .body = body,
                 .body_len = sizeof(body),
                 .reset_after_body = true};
  expect_status(&fake, NO_DEADLINE, 14, "127.0.0.1");
}

static void test_headers_then_silence_hits_the_deadline(void **state) {
  (void)state;
  fake_t fake = {.http_status = "200",
                 .content_type = "application/grpc",
                 .headers_only = true};
  expect_status(&fake, 300, 4, "deadline");
}

static void test_targets_must_be_host_and_port(void **state) {
  (void)state;
  const char *bad[] = {"localhost", "localhost:", ":50051", "::1:50051",
                       "[::1]50051"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_null(rt_client_new(bad[i]));
  const char *good[] = {"localhost:50051", "[::1]:50051", "10.0.0.1:1"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    rt_client_t *client = rt_client_new(good[i]);
    assert_non_null(client);
    rt_client_free(client);
  }
}

static void test_targets_may_carry_a_scheme(void **state) {
  (void)state;
  const char *bad[] = {"ftp://localhost:1", "http://localhost",
                       "https://localhost:1/path", "http://:1", "https://"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_null(rt_client_new(bad[i]));
  /* A TLS front listens on 443: https:// may leave it out. */
  const char *front[][2] = {
      {"https://rectrack.example.org", "rectrack.example.org:443"},
      {"https://[2001:db8::1]", "[2001:db8::1]:443"}};
  for (size_t i = 0; i < 2; i++) {
    rt_client_t *client = rt_client_new(front[i][0]);
    assert_non_null(client);
    assert_string_equal(rt_client_target(client), front[i][1]);
    rt_client_free(client);
  }
  rt_client_t *client = rt_client_new("https://[::1]:50051");
  assert_non_null(client);
  assert_true(rt_client_is_tls(client));
  assert_string_equal(rt_client_target(client), "[::1]:50051");
  rt_client_free(client);
  client = rt_client_new("http://localhost:50051");
  assert_false(rt_client_is_tls(client));
  char *message = NULL;
  /* --tls and an explicit http:// contradict each other. */
  assert_int_equal(rt_client_use_tls(client, 1, NULL, &message), -1);
  assert_non_null(strstr(message, "http://"));
  free(message);
  rt_client_free(client);
  client = rt_client_new("localhost:50051");
  assert_int_equal(
      rt_client_use_tls(client, 1, "/nonexistent/ca.pem", &message), -1);
  assert_non_null(strstr(message, "/nonexistent/ca.pem"));
  free(message);
  assert_true(rt_client_is_tls(client));
  rt_client_free(client);
  /* A CA file does not turn TLS on by itself. */
  client = rt_client_new("localhost:50051");
  assert_int_equal(
      rt_client_use_tls(client, 0, "/nonexistent/ca.pem", &message), 0);
  assert_false(rt_client_is_tls(client));
  rt_client_free(client);
}

/* A server that answers whatever connects with fixed bytes, then closes. */
typedef struct canned {
  int listener;
  const uint8_t *bytes;
  size_t len;
} canned_t;

static void *answer_canned(void *arg) {
  canned_t *canned = arg;
  int fd = accept(canned->listener, NULL, NULL);
  if (fd >= 0) {
    uint8_t hello[512];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    /* Wait for the client to speak first (a preface, a ClientHello). */
    if (poll(&pfd, 1, 5000) == 1) {
      ssize_t n = read(fd, hello, sizeof(hello));
      (void)n;
    }
    if (canned->len > 0) {
      ssize_t n = write(fd, canned->bytes, canned->len);
      (void)n;
    }
    close(fd);
  }
  return NULL;
}

/* One call of target against a server answering bytes; returns the status
 * (which the caller clears). */
static rt_client_status_t call_canned(const char *scheme, const uint8_t *bytes,
                                      size_t len, char target[32]) {
  canned_t canned = {.bytes = bytes, .len = len};
  canned.listener = listen_any(target);
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, answer_canned, &canned), 0);
  char url[48];
  snprintf(url, sizeof(url), "%s%s", scheme, target);
  rt_client_t *client = rt_client_new(url);
  assert_non_null(client);
  rt_client_status_t status;
  uint8_t *reply = NULL;
  size_t reply_len = 0;
  rt_client_unary(client, "/x.Y/Z", (const uint8_t *)"", 0, 60000, &reply,
                  &reply_len, &status);
  assert_null(reply);
  rt_client_free(client);
  pthread_join(thread, NULL);
  close(canned.listener);
  return status;
}

static void test_tls_answer_to_cleartext_says_try_https(void **state) {
  (void)state;
  /* A fatal TLS alert record: what a TLS server says to a preface. */
  static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46};
  char target[32], https[48];
  rt_client_status_t status = call_canned("", alert, sizeof(alert), target);
  assert_int_equal(status.code, 14);
  assert_int_equal(status.failure, RT_CLIENT_FAILURE_PROTOCOL);
  snprintf(https, sizeof(https), "try https://%s", target);
  assert_non_null(strstr(status.message, https));
  rt_client_status_clear(&status);
}

static void test_http1_answer_says_so(void **state) {
  (void)state;
  static const char reply[] =
      "HTTP/1.1 400 Bad Request\r\n\r\nThe plain HTTP request was sent to "
      "HTTPS port";
  char target[32];
  rt_client_status_t status =
      call_canned("", (const uint8_t *)reply, sizeof(reply) - 1, target);
  assert_int_equal(status.code, 14);
  assert_int_equal(status.failure, RT_CLIENT_FAILURE_PROTOCOL);
  assert_non_null(strstr(status.message, "HTTP/1.x"));
  assert_non_null(strstr(status.message, "https://"));
  rt_client_status_clear(&status);
}

static void test_rectrackd_tls_port_goaway_is_explained(void **state) {
  (void)state;
  static const char said[] = "this port speaks TLS: use https://";
  uint8_t goaway[9 + 8 + sizeof(said) - 1] = {0};
  goaway[2] = (uint8_t)(8 + sizeof(said) - 1);
  goaway[3] = NGHTTP2_GOAWAY;
  goaway[9 + 7] = NGHTTP2_INADEQUATE_SECURITY;
  memcpy(goaway + 17, said, sizeof(said) - 1);
  char target[32];
  rt_client_status_t status = call_canned("", goaway, sizeof(goaway), target);
  assert_int_equal(status.code, 14);
  assert_int_equal(status.failure, RT_CLIENT_FAILURE_PROTOCOL);
  assert_non_null(strstr(status.message, "is it a TLS port?"));
  assert_non_null(strstr(status.message, "(it said: this port speaks TLS"));
  rt_client_status_clear(&status);
}

static void test_tls_client_on_a_cleartext_port_says_so(void **state) {
  (void)state;
  /* An empty SETTINGS frame: what rectrackd's cleartext port sends. */
  static const uint8_t settings[9] = {0, 0, 0, NGHTTP2_SETTINGS};
  char target[32];
  rt_client_status_t status =
      call_canned("https://", settings, sizeof(settings), target);
  assert_int_equal(status.code, 14);
  assert_int_equal(status.failure, RT_CLIENT_FAILURE_PROTOCOL);
  assert_non_null(strstr(status.message, "does not speak TLS"));
  assert_non_null(strstr(status.message, target));
  rt_client_status_clear(&status);
  /* Nothing at all, then the end: said so too, not a verify failure. */
  status = call_canned("https://", NULL, 0, target);
  assert_int_equal(status.code, 14);
  assert_non_null(strstr(status.message, "closed the connection"));
  rt_client_status_clear(&status);
}

static void test_status_names(void **state) {
  (void)state;
  assert_string_equal(rt_client_status_name(0), "OK");
  assert_string_equal(rt_client_status_name(14), "UNAVAILABLE");
  assert_string_equal(rt_client_status_name(16), "UNAUTHENTICATED");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_listening_is_unavailable),
      cmocka_unit_test(test_every_call_of_a_failed_batch_gets_the_reason),
      cmocka_unit_test(test_silent_server_hits_the_deadline),
      cmocka_unit_test(test_non_http2_server_is_an_error_not_a_hang),
      cmocka_unit_test(test_huge_length_prefix_is_resource_exhausted),
      cmocka_unit_test(test_message_cut_short_is_internal),
      cmocka_unit_test(test_missing_grpc_status_is_unknown),
      cmocka_unit_test(test_non_numeric_grpc_status_is_named),
      cmocka_unit_test(test_http_503_is_unavailable),
      cmocka_unit_test(test_connection_reset_mid_message_is_unavailable),
      cmocka_unit_test(test_headers_then_silence_hits_the_deadline),
      cmocka_unit_test(test_targets_must_be_host_and_port),
      cmocka_unit_test(test_targets_may_carry_a_scheme),
      cmocka_unit_test(test_tls_answer_to_cleartext_says_try_https),
      cmocka_unit_test(test_http1_answer_says_so),
      cmocka_unit_test(test_rectrackd_tls_port_goaway_is_explained),
      cmocka_unit_test(test_tls_client_on_a_cleartext_port_says_so),
      cmocka_unit_test(test_status_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
