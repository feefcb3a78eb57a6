/*
 * Tests for listen addresses: IPv4, bracketed IPv6, port 0, host names,
 * and malformed input rejected with RT_EINVAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "rt_server.h"

static void test_ipv4_with_port(void **state) {
  struct sockaddr_storage addr;
  struct sockaddr_in *in4 = (struct sockaddr_in *)&addr;
  (void)state;
  assert_int_equal(rt_server_parse_address("127.0.0.1:50051", &addr, NULL), 0);
  assert_int_equal(addr.ss_family, AF_INET);
  assert_int_equal(ntohs(in4->sin_port), 50051);
  assert_int_equal(ntohl(in4->sin_addr.s_addr), 0x7f000001);
}

static void test_bracketed_ipv6_and_port_zero(void **state) {
  struct sockaddr_storage addr;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
  (void)state;
  assert_int_equal(rt_server_parse_address("[::1]:0", &addr, NULL), 0);
  assert_int_equal(addr.ss_family, AF_INET6);
  assert_int_equal(ntohs(in6->sin6_port), 0);
  assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
}

static void test_wildcard_and_name(void **state) {
  struct sockaddr_storage addr;
  (void)state;
  assert_int_equal(rt_server_parse_address("0.0.0.0:8080", &addr, NULL), 0);
  assert_int_equal(rt_server_parse_address("localhost:1", &addr, NULL), 0);
}

static void test_malformed_addresses_are_rejected(void **state) {
  const char *bad[] = {
      "127.0.0.1",       "127.0.0.1:",   ":50051",      "::1:50051",
      "127.0.0.1:65536", "127.0.0.1:-1", "1.2.3.4:80x", "[::1]"};
  struct sockaddr_storage addr;
  rt_error_t err;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(&err, 0, sizeof(err));
    assert_int_equal(rt_server_parse_address(bad[i], &addr, &err), RT_EINVAL);
    assert_string_equal(err.field, "listen");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipv4_with_port),
      cmocka_unit_test(test_bracketed_ipv6_and_port_zero),
      cmocka_unit_test(test_wildcard_and_name),
      cmocka_unit_test(test_malformed_addresses_are_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
