/*
 * rt_client_tls: the TLS side of the CLI's gRPC client, on OpenSSL 3.
 * Private to rt_client.c.
 *
 * Like the server, the client never gives OpenSSL its socket: an SSL
 * object sits between two memory BIOs, rt_client feeds it what recv()
 * returned (client_tls_feed) and writes what it produced
 * (client_tls_take_output), so one poll() loop drives the handshake and
 * the HTTP/2 session alike, under the call's deadline and cancel flag.
 *
 * Policy: TLS 1.2 or 1.3, ALPN "h2", SNI with the host name, and the
 * server's certificate verified against the system trust store or a CA
 * file, host name (or IP address) included. A failed handshake is
 * explained in words a user can act on: which check failed and what to
 * try (--ca-file, https://, the right port).
 */
#ifndef RT_CLIENT_TLS_H
#define RT_CLIENT_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A context verifying servers against ca_file (PEM, one or more CA
 * certificates), or the system trust store when ca_file is NULL. *out is
 * released with SSL_CTX_free. Returns 0, or -1 with *message (malloc'd,
 * caller frees) saying why (the CA file cannot be read or holds no
 * certificate). */
int client_tls_context_new(SSL_CTX **out, const char *ca_file, char **message);

typedef struct client_tls {
  SSL *ssl;
  BIO *in, *out;    /* owned by ssl */
  uint8_t first[5]; /* the first bytes the server sent, to tell what it is */
  size_t first_len;
  bool ca_file; /* verified against a CA file (for the hints) */
} client_tls_t;

/* Starts a client session to host (SNI and the name the certificate must
 * have; an IP literal is checked as an address and sent without SNI).
 * Returns 0 or -1 (out of memory). */
int client_tls_open(client_tls_t *tls, SSL_CTX *ctx, const char *host,
                    bool ca_file);

/* Frees the session. Safe on a zeroed struct. */
void client_tls_close(client_tls_t *tls);

/* Gives the session len bytes received from the server. Returns 0 or -1
 * (out of memory). */
int client_tls_feed(client_tls_t *tls, const uint8_t *data, size_t len);

/* How a handshake step ended. */
typedef enum client_tls_step {
  CLIENT_TLS_DONE = 0,     /* the handshake is over and h2 agreed */
  CLIENT_TLS_WANT = 1,     /* it needs more from the server */
  CLIENT_TLS_FAILED = -1,  /* it failed (see *message) */
  CLIENT_TLS_REJECTED = -2 /* the server's certificate was not accepted */
} client_tls_step_t;

/* Advances the handshake with what was fed. On FAILED or REJECTED,
 * *message (malloc'd, caller frees) explains it for target ("HOST:PORT");
 * eof says the server closed the connection meanwhile. */
client_tls_step_t client_tls_handshake(client_tls_t *tls, const char *target,
                                       bool eof, char **message);

/* Decrypts into plain (cap bytes). Returns the byte count (> 0), 0 when
 * more input is needed, -1 when the server closed the TLS session, -2 on
 * a TLS error (*message, malloc'd, says which). */
int client_tls_read(client_tls_t *tls, uint8_t *plain, size_t cap,
                    char **message);

/* Encrypts len bytes into the output. Returns 0 or -1. */
int client_tls_write(client_tls_t *tls, const uint8_t *plain, size_t len);

/* Bytes of ciphertext waiting to be sent, and taking them (up to cap into
 * buf; returns how many). */
size_t client_tls_output_len(const client_tls_t *tls);
size_t client_tls_take_output(client_tls_t *tls, uint8_t *buf, size_t cap);

#endif /* RT_CLIENT_TLS_H */
