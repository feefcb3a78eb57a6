/*
 * server_peers: who the server's clients are, as far as limits and logs
 * care: the host an address stands for (one IPv4 address, or one IPv6 /64,
 * which is what a single machine is usually given), how many connections
 * each host holds (for --max-connections-per-address), and which
 * addresses are trusted proxies (--trusted-proxy) whose forwarded client
 * address is believed. Private to service/server. Calls libc and the
 * socket API only.
 */
#ifndef SERVER_PEERS_H
#define SERVER_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rt_error.h"

/* 16 bytes naming a host: an IPv4 address as IPv4-mapped IPv6, an IPv6
 * address cut to its /64. */
typedef struct server_peer_key {
  uint8_t bytes[16];
} server_peer_key_t;

/* The key of addr's host. IPv4-mapped IPv6 addresses count as IPv4. */
void server_peer_key(const struct sockaddr_storage *addr,
                     server_peer_key_t *key);

/* Connection counts per host: a hash table of chained entries, entries
 * freed when their count drops to zero. */
typedef struct server_peer_entry server_peer_entry_t;
typedef struct server_peers {
  server_peer_entry_t **buckets; /* NULL until the first add */
  size_t bucket_count;
  size_t entry_count; /* hosts with at least one connection */
} server_peers_t;

/* Adds one connection of key's host unless it already holds limit; returns
 * 0, RT_ETOOBIG (at the limit: nothing counted) or RT_ENOMEM. */
int server_peers_add(server_peers_t *peers, const server_peer_key_t *key,
                     uint32_t limit);

/* Removes one connection counted by server_peers_add. */
void server_peers_remove(server_peers_t *peers, const server_peer_key_t *key);

/* Frees the table (every count is forgotten). */
void server_peers_free(server_peers_t *peers);

/* A network: an address and how many of its leading bits must match. */
typedef struct server_network {
  int family; /* AF_INET or AF_INET6 */
  uint8_t bytes[16];
  unsigned prefix_bits;
} server_network_t;

/* Parses a comma-separated list of addresses or networks
 * ("127.0.0.1", "10.0.0.0/8,::1", "fd00::/8"); blanks around commas are
 * allowed. *out (malloc'd, caller frees; NULL when count is 0) and *count
 * receive them; out may be NULL to only check the text. Returns 0,
 * RT_EINVAL (err names the entry that is not an address or network) or
 * RT_ENOMEM. */
int server_networks_parse(const char *text, server_network_t **out,
                          size_t *count, rt_error_t *err);

/* 1 when addr lies in one of the count networks. */
int server_networks_match(const server_network_t *networks, size_t count,
                          const struct sockaddr_storage *addr);

/* 1 when text is a bare IPv4 or IPv6 address. */
int server_peer_text_is_address(const char *text);

#endif /* SERVER_PEERS_H */
