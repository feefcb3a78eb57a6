/*
 * Tests for server_peers, the transport's view of who its clients are:
 * the host an address stands for (an IPv4 address, an IPv6 /64), the
 * per-host connection counts behind --max-connections-per-address, and
 * the trusted-proxy networks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_peers.h"

static struct sockaddr_storage address(const char *text, int port) {
  struct sockaddr_storage addr;
  memset(&addr, 0, sizeof(addr));
  if (strchr(text, ':') != NULL) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
  } else {
    struct sockaddr_in *in4 = (struct sockaddr_in *)&addr;
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, text, &in4->sin_addr), 1);
  }
  return addr;
}

static server_peer_key_t key_of(const char *text, int port) {
  struct sockaddr_storage addr = address(text, port);
  server_peer_key_t key;
  server_peer_key(&addr, &key);
  return key;
}

static int same_host(const char *a, const char *b) {
  server_peer_key_t ka = key_of(a, 1000), kb = key_of(b, 2000);
  return memcmp(&ka, &kb, sizeof(ka)) == 0;
}

static void test_a_host_is_an_ipv4_address_or_an_ipv6_slash_64(void **state) {
  (void)state;
  assert_true(same_host("192.0.2.7", "192.0.2.7"));
  assert_false(same_host("192.0.2.7", "192.0.2.8"));
  assert_true(same_host("192.0.2.7", "::ffff:192.0.2.7"));
  assert_true(same_host("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"));
  assert_false(same_host("2001:db8:1:2::1", "2001:db8:1:3::1"));
  assert_false(same_host("::ffff:192.0.2.7", "::ffff:192.0.2.8"));
}

static void test_connections_are_counted_up_to_the_limit(void **state) {
  server_peers_t peers = {0};
  server_peer_key_t key = key_of("192.0.2.7", 1);
  server_peer_key_t other = key_of("192.0.2.8", 1);
  (void)state;
  for (int i = 0; i < 3; i++)
    assert_int_equal(server_peers_add(&peers, &key, 3), 0);
  assert_int_equal(server_peers_add(&peers, &key, 3), RT_ETOOBIG);
  assert_int_equal(server_peers_add(&peers, &other, 3), 0);
  server_peers_remove(&peers, &key);
  assert_int_equal(server_peers_add(&peers, &key, 3), 0);
  assert_int_equal(server_peers_add(&peers, &key, 3), RT_ETOOBIG);
  for (int i = 0; i < 3; i++)
    server_peers_remove(&peers, &key);
  server_peers_remove(&peers, &other);
  assert_int_equal(peers.entry_count, 0);
  /* A removal of what was never added is ignored. */
  server_peers_remove(&peers, &key);
  server_peers_free(&peers);
}

static void test_many_hosts_keep_their_counts_as_the_table_grows(void **state) {
  server_peers_t peers = {0};
  char text[32];
  (void)state;
  for (int i = 0; i < 3000; i++) {
    snprintf(text, sizeof(text), "10.%d.%d.1", i / 250, i % 250);
    server_peer_key_t key = key_of(text, 1);
    assert_int_equal(server_peers_add(&peers, &key, 2), 0);
    assert_int_equal(server_peers_add(&peers, &key, 2), 0);
  }
  assert_int_equal(peers.entry_count, 3000);
  assert_true(peers.bucket_count >= 3000);
  for (int i = 0; i < 3000; i++) {
    snprintf(text, sizeof(text), "10.%d.%d.1", i / 250, i % 250);
    server_peer_key_t key = key_of(text, 1);
    assert_int_equal(server_peers_add(&peers, &key, 2), RT_ETOOBIG);
  }
  server_peers_free(&peers);
  assert_null(peers.buckets);
}

static void test_networks_match_by_prefix(void **state) {
  server_network_t *nets = NULL;
  size_t count = 0;
  rt_error_t err = {0};
  (void)state;
  assert_int_equal(server_networks_parse(" 127.0.0.1 , 10.0.0.0/8,fd00::/8",
                                         &nets, &count, &err),
                   0);
  assert_int_equal(count, 3);
  struct sockaddr_storage a;
  a = address("127.0.0.1", 5);
  assert_true(server_networks_match(nets, count, &a));
  a = address("127.0.0.2", 5);
  assert_false(server_networks_match(nets, count, &a));
  a = address("10.200.3.4", 5);
  assert_true(server_networks_match(nets, count, &a));
  a = address("11.0.0.1", 5);
  assert_false(server_networks_match(nets, count, &a));
  a = address("::ffff:10.1.1.1", 5);
  assert_true(server_networks_match(nets, count, &a));
  a = address("fdab::1", 5);
  assert_true(server_networks_match(nets, count, &a));
  a = address("fe80::1", 5);
  assert_false(server_networks_match(nets, count, &a));
  free(nets);
}

static void test_odd_prefix_lengths_cut_inside_a_byte(void **state) {
  server_network_t *nets = NULL;
  size_t count = 0;
  rt_error_t err = {0};
  struct sockaddr_storage a;
  (void)state;
  assert_int_equal(server_networks_parse("192.168.0.0/23", &nets, &count, &err),
                   0);
  a = address("192.168.1.255", 5);
  assert_true(server_networks_match(nets, count, &a));
  a = address("192.168.2.0", 5);
  assert_false(server_networks_match(nets, count, &a));
  free(nets);
  assert_int_equal(server_networks_parse("0.0.0.0/0", &nets, &count, &err), 0);
  a = address("203.0.113.1", 5);
  assert_true(server_networks_match(nets, count, &a));
  free(nets);
}

static void test_bad_networks_are_named(void **state) {
  const char *bad[] = {"",         "localhost", "10.0.0.0/33",
                       "::1/129",  "10.0.0.1/", "10.0.0.1/x",
                       "1.2.3.4,", ",1.2.3.4",  "1.2.3"};
  size_t count;
  (void)state;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    rt_error_t err = {0};
    assert_int_equal(server_networks_parse(bad[i], NULL, &count, &err),
                     RT_EINVAL);
    assert_non_null(strstr(err.message, "--trusted-proxy"));
  }
}

static void test_forwarded_addresses_must_be_bare_ips(void **state) {
  (void)state;
  assert_true(server_peer_text_is_address("203.0.113.9"));
  assert_true(server_peer_text_is_address("2001:db8::1"));
  assert_false(server_peer_text_is_address("203.0.113.9:443"));
  assert_false(server_peer_text_is_address("[2001:db8::1]"));
  assert_false(server_peer_text_is_address("unknown"));
  assert_false(server_peer_text_is_address(""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_host_is_an_ipv4_address_or_an_ipv6_slash_64),
      cmocka_unit_test(test_connections_are_counted_up_to_the_limit),
      cmocka_unit_test(test_many_hosts_keep_their_counts_as_the_table_grows),
      cmocka_unit_test(test_networks_match_by_prefix),
      cmocka_unit_test(test_odd_prefix_lengths_cut_inside_a_byte),
      cmocka_unit_test(test_bad_networks_are_named),
      cmocka_unit_test(test_forwarded_addresses_must_be_bare_ips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
