/*
 * server_address: "HOST:PORT" text to a socket address and back, for the
 * listener and for the peers of connections. Private to service/server.
 * Calls getaddrinfo and libuv's address formatting.
 */
#ifndef SERVER_ADDRESS_H
#define SERVER_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

/* Formats addr as "ip:port", or "[ip6]:port", into out (out_len bytes,
 * always NUL-terminated). */
void server_address_format(const struct sockaddr_storage *addr, char *out,
                           size_t out_len);

/* The port of addr (IPv4 or IPv6), in host order. */
int server_address_port(const struct sockaddr_storage *addr);

#endif /* SERVER_ADDRESS_H */
