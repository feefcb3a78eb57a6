/*
 * Unit tests of rt_client's failure paths, without a gRPC server: nothing
 * listening (UNAVAILABLE naming the address), a server that accepts and
 * never answers (DEADLINE_EXCEEDED), a server that speaks something other
 * than HTTP/2 (an error, not a hang), and targets that are not HOST:PORT.
 * The successful paths are covered end to end (tests/e2e/cli).
 */
#include "rt_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
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
      cmocka_unit_test(test_targets_must_be_host_and_port),
      cmocka_unit_test(test_status_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
