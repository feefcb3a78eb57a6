/*
 * server_address: parsing of the listen address (rt_server_parse_address,
 * public) and formatting of bound and peer addresses. IPv6 literals are
 * written in brackets both ways, so that the port is never ambiguous.
 */
#include "server_address.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_server.h"

int rt_server_parse_address(const char *text, struct sockaddr_storage *out,
                            rt_error_t *err) {
  const char *colon = strrchr(text, ':');
  char host[256];
  size_t host_len;
  char *end;
  long port;
  struct addrinfo hints, *found = NULL;

  if (colon == NULL || colon[1] == '\0')
    goto bad;
  port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    goto bad;
  host_len = (size_t)(colon - text);
  if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
    text++;
    host_len -= 2;
  } else if (memchr(text, ':', host_len) != NULL) {
    goto bad; /* IPv6 without brackets is ambiguous */
  }
  if (host_len == 0 || host_len >= sizeof(host))
    goto bad;
  memcpy(host, text, host_len);
  host[host_len] = '\0';
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host, NULL, &hints, &found) != 0 || found == NULL)
    return rt_error_set(err, RT_EINVAL, "listen", "cannot resolve host \"%s\"",
                        host);
  memset(out, 0, sizeof(*out));
  memcpy(out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (out->ss_family == AF_INET)
    ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
  else
    ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
  return 0;
bad:
  return rt_error_set(err, RT_EINVAL, "listen",
                      "address \"%s\" is not HOST:PORT (IPv6 as [::1]:PORT)",
                      text);
}

void server_address_format(const struct sockaddr_storage *addr, char *out,
                           size_t out_len) {
  char ip[INET6_ADDRSTRLEN] = "?";

  if (addr->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    uv_ip6_name(in6, ip, sizeof(ip));
    snprintf(out, out_len, "[%s]:%u", ip, ntohs(in6->sin6_port));
  } else {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
    uv_ip4_name(in4, ip, sizeof(ip));
    snprintf(out, out_len, "%s:%u", ip, ntohs(in4->sin_port));
  }
}

int server_address_port(const struct sockaddr_storage *addr) {
  return ntohs(addr->ss_family == AF_INET6
                   ? ((const struct sockaddr_in6 *)addr)->sin6_port
                   : ((const struct sockaddr_in *)addr)->sin_port);
}
