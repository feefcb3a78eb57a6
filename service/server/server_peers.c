/*
 * server_peers: per-host connection counts and trusted networks.
 *
 * The count table is a small chained hash table keyed by the 16-byte host
 * key; it grows by doubling when it holds more entries than buckets, and
 * an entry is freed as soon as its host has no connection left, so a scan
 * of many addresses costs memory only while their connections are open.
 * An IPv6 host is its /64: an attacker given one prefix holds 2^64
 * addresses, and counting each alone would make the limit meaningless.
 */
#include "server_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct server_peer_entry {
  server_peer_entry_t *next;
  server_peer_key_t key;
  uint32_t count;
};

/* ---- keys -------------------------------------------------------------------
 */

static int is_v4_mapped(const uint8_t bytes[16]) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

  return memcmp(bytes, prefix, sizeof(prefix)) == 0;
}

void server_peer_key(const struct sockaddr_storage *addr,
                     server_peer_key_t *key) {
  memset(key, 0, sizeof(*key));
  if (addr->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    const uint8_t *bytes = in6->sin6_addr.s6_addr;
    memcpy(key->bytes, bytes, is_v4_mapped(bytes) ? 16 : 8);
  } else {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
    key->bytes[10] = key->bytes[11] = 0xff;
    memcpy(key->bytes + 12, &in4->sin_addr, 4);
  }
}

/* ---- counts -----------------------------------------------------------------
 */

static size_t bucket_of(const server_peers_t *peers,
                        const server_peer_key_t *key) {
  uint64_t hash = 1469598103934665603ull; /* FNV-1a */
  size_t i;

  for (i = 0; i < sizeof(key->bytes); i++)
    hash = (hash ^ key->bytes[i]) * 1099511628211ull;
  return (size_t)(hash & (peers->bucket_count - 1));
}

/* Doubles the table (or creates it); on failure the table stays usable. */
static int grow(server_peers_t *peers) {
  size_t old_count = peers->bucket_count;
  size_t new_count = old_count ? old_count * 2 : 256;
  server_peer_entry_t **old = peers->buckets;
  server_peer_entry_t **buckets = calloc(new_count, sizeof(*buckets));
  size_t i;

  if (buckets == NULL)
    return old != NULL ? 0 : RT_ENOMEM;
  peers->buckets = buckets;
  peers->bucket_count = new_count;
  for (i = 0; i < old_count; i++) {
    server_peer_entry_t *entry = old[i], *next;
    for (; entry != NULL; entry = next) {
      size_t b = bucket_of(peers, &entry->key);
      next = entry->next;
      entry->next = buckets[b];
      buckets[b] = entry;
    }
  }
  free(old);
  return 0;
}

static server_peer_entry_t **find(server_peers_t *peers,
                                  const server_peer_key_t *key) {
  server_peer_entry_t **slot = &peers->buckets[bucket_of(peers, key)];

  while (*slot != NULL && memcmp(&(*slot)->key, key, sizeof(*key)) != 0)
    slot = &(*slot)->next;
  return slot;
}

int server_peers_add(server_peers_t *peers, const server_peer_key_t *key,
                     uint32_t limit) {
  server_peer_entry_t **slot;

  if (peers->buckets == NULL && grow(peers) != 0)
    return RT_ENOMEM;
  slot = find(peers, key);
  if (*slot != NULL) {
    if ((*slot)->count >= limit)
      return RT_ETOOBIG;
    (*slot)->count++;
    return 0;
  }
  if (limit == 0)
    return RT_ETOOBIG;
  *slot = calloc(1, sizeof(**slot));
  if (*slot == NULL)
    return RT_ENOMEM;
  (*slot)->key = *key;
  (*slot)->count = 1;
  if (++peers->entry_count > peers->bucket_count)
    grow(peers);
  return 0;
}

void server_peers_remove(server_peers_t *peers, const server_peer_key_t *key) {
  server_peer_entry_t **slot, *entry;

  if (peers->buckets == NULL)
    return;
  slot = find(peers, key);
  entry = *slot;
  if (entry == NULL)
    return;
  if (--entry->count == 0) {
    *slot = entry->next;
    free(entry);
    peers->entry_count--;
  }
}

void server_peers_free(server_peers_t *peers) {
  size_t i;

  for (i = 0; i < peers->bucket_count; i++) {
    server_peer_entry_t *entry = peers->buckets[i], *next;
    for (; entry != NULL; entry = next) {
      next = entry->next;
      free(entry);
    }
  }
  free(peers->buckets);
  peers->buckets = NULL;
  peers->bucket_count = peers->entry_count = 0;
}

/* ---- networks ---------------------------------------------------------------
 */

int server_peer_text_is_address(const char *text) {
  uint8_t bytes[16];

  return inet_pton(AF_INET, text, bytes) == 1 ||
         inet_pton(AF_INET6, text, bytes) == 1;
}

/* Parses one "ADDR" or "ADDR/BITS" of len bytes. */
static int parse_network(const char *text, size_t len, server_network_t *net,
                         rt_error_t *err) {
  char entry[INET6_ADDRSTRLEN + 8];
  char *slash, *end;
  unsigned long bits;
  unsigned max_bits;

  if (len == 0 || len >= sizeof(entry))
    goto bad;
  memcpy(entry, text, len);
  entry[len] = '\0';
  slash = strchr(entry, '/');
  if (slash != NULL)
    *slash = '\0';
  memset(net, 0, sizeof(*net));
  if (inet_pton(AF_INET, entry, net->bytes) == 1) {
    net->family = AF_INET;
    max_bits = 32;
  } else if (inet_pton(AF_INET6, entry, net->bytes) == 1) {
    net->family = AF_INET6;
    max_bits = 128;
  } else {
    goto bad;
  }
  net->prefix_bits = max_bits;
  if (slash != NULL) {
    if (slash[1] < '0' || slash[1] > '9')
      goto bad;
    bits = strtoul(slash + 1, &end, 10);
    if (*end != '\0' || bits > max_bits)
      goto bad;
    net->prefix_bits = (unsigned)bits;
  }
  return 0;
bad:
  return rt_error_set(err, RT_EINVAL, "trusted-proxy",
                      "--trusted-proxy: \"%.*s\" is not an IP address or a "
                      "network (ADDR/BITS)",
                      (int)(len > 64 ? 64 : len), text);
}

int server_networks_parse(const char *text, server_network_t **out,
                          size_t *count, rt_error_t *err) {
  server_network_t *networks = NULL;
  size_t n = 0, cap = 0;
  const char *p = text;
  int rc = 0;

  if (out != NULL)
    *out = NULL;
  *count = 0;
  while (rc == 0) {
    server_network_t net;
    size_t len;
    while (*p == ' ' || *p == '\t')
      p++;
    len = strcspn(p, ",");
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
      len--;
    rc = parse_network(p, len, &net, err);
    if (rc != 0)
      break;
    if (n == cap) {
      size_t grown_cap = cap ? cap * 2 : 4;
      server_network_t *grown =
          realloc(networks, grown_cap * sizeof(*networks));
      if (grown == NULL) {
        rc = rt_error_set(err, RT_ENOMEM, "trusted-proxy", "out of memory");
        break;
      }
      networks = grown;
      cap = grown_cap;
    }
    networks[n++] = net;
    p += strcspn(p, ",");
    if (*p != ',')
      break;
    p++;
  }
  if (rc != 0 || out == NULL) {
    free(networks);
    networks = NULL;
  }
  if (rc == 0) {
    *count = n;
    if (out != NULL)
      *out = networks;
  }
  return rc;
}

static int prefix_matches(const uint8_t *a, const uint8_t *b, unsigned bits) {
  unsigned whole = bits / 8, rest = bits % 8;

  if (memcmp(a, b, whole) != 0)
    return 0;
  if (rest == 0)
    return 1;
  return ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int server_networks_match(const server_network_t *networks, size_t count,
                          const struct sockaddr_storage *addr) {
  uint8_t v4[4], v6[16];
  int has_v4 = 0, has_v6 = 0;
  size_t i;

  if (addr->ss_family == AF_INET) {
    memcpy(v4, &((const struct sockaddr_in *)addr)->sin_addr, 4);
    has_v4 = 1;
  } else if (addr->ss_family == AF_INET6) {
    memcpy(v6, ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr, 16);
    has_v6 = 1;
    if (is_v4_mapped(v6)) {
      memcpy(v4, v6 + 12, 4);
      has_v4 = 1;
    }
  }
  for (i = 0; i < count; i++) {
    const server_network_t *net = &networks[i];
    if (net->family == AF_INET && has_v4 &&
        prefix_matches(net->bytes, v4, net->prefix_bits))
      return 1;
    if (net->family == AF_INET6 && has_v6 &&
        prefix_matches(net->bytes, v6, net->prefix_bits))
      return 1;
  }
  return 0;
}
