/*
 * server_tls: TLS for the server's connections, on OpenSSL 3, driven
 * entirely from the loop: no socket ever reaches OpenSSL. Each connection
 * gets an SSL object between two memory BIOs; the connection layer writes
 * the ciphertext it reads into one (server_tls_input), gets the plaintext
 * back through a callback, and hands plaintext to encrypt
 * (server_tls_encrypt) then takes the ciphertext to write out
 * (server_tls_take_output). The handshake, alerts, session tickets and
 * close_notify all travel the same two ways, as bytes arrive.
 *
 * The context (server_tls_context_new) holds the certificate chain and
 * key, the protocol policy (TLS 1.2 and 1.3, ECDHE with AEAD ciphers on
 * 1.2, no compression, no renegotiation) and ALPN: h2 only, and a client
 * that offers no h2 (or no ALPN at all) gets a no_application_protocol
 * alert. Contexts are reference counted by OpenSSL: a connection keeps the
 * one it started with, so a reload replaces the context for new
 * connections only.
 *
 * Private to service/server. Calls OpenSSL, rt_log and rt_common.
 */
#ifndef SERVER_TLS_H
#define SERVER_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_error.h"

/* Loads cert_file (PEM, the leaf first, then any intermediates) and
 * key_file (PEM, unencrypted) into a new context, checks that they match,
 * and logs what was loaded (subject, serial, expiry; a warning when the
 * certificate has expired or is not valid yet). *out is released with
 * SSL_CTX_free. Returns 0, RT_EIO (a file cannot be read, err names it) or
 * RT_EINVAL (a file is not what it should be, or the two do not match;
 * err says which and why). */
int server_tls_context_new(SSL_CTX **out, const char *cert_file,
                           const char *key_file, rt_error_t *err);

/* One connection's TLS state. */
typedef struct server_tls {
  SSL *ssl;
  BIO *in;  /* ciphertext from the peer, owned by ssl */
  BIO *out; /* ciphertext to the peer, owned by ssl */
  int handshake_done;
  int shutdown_sent;
  const char *why; /* why our callbacks refused the handshake, or NULL */
} server_tls_t;

/* Starts the server side of a connection on ctx (which the SSL object
 * references until server_tls_close). Returns 0 or RT_ENOMEM. */
int server_tls_open(server_tls_t *tls, SSL_CTX *ctx);

/* Releases what server_tls_open made. Safe on a zeroed struct. */
void server_tls_close(server_tls_t *tls);

/* What became of the bytes given to server_tls_input. */
typedef enum server_tls_result {
  SERVER_TLS_OK = 0,      /* all taken; more input may be needed */
  SERVER_TLS_CLOSED = 1,  /* the peer closed the TLS session (close_notify) */
  SERVER_TLS_STOPPED = 2, /* deliver() asked to stop */
  SERVER_TLS_FAILED = 3,  /* the handshake or the record layer failed */
} server_tls_result_t;

/* Where server_tls_input hands the plaintext it decrypted; returns 0, or
 * non-zero to stop (server_tls_input then returns SERVER_TLS_STOPPED). */
typedef int (*server_tls_deliver_fn)(void *arg, const uint8_t *plain,
                                     size_t len);

/* Feeds len bytes of ciphertext, advances the handshake and hands every
 * byte of plaintext that can be decrypted to deliver(arg, ...), in chunks
 * of up to plain_cap bytes through plain (a scratch buffer). Output (the
 * handshake's messages, alerts) may be waiting afterwards: see
 * server_tls_output_len. On SERVER_TLS_FAILED, *why says why (a string
 * from OpenSSL's tables or a static one) and an alert for the peer may be
 * waiting in the output. */
server_tls_result_t server_tls_input(server_tls_t *tls, const uint8_t *data,
                                     size_t len, uint8_t *plain,
                                     size_t plain_cap,
                                     server_tls_deliver_fn deliver, void *arg,
                                     const char **why);

/* Encrypts len bytes of plaintext (after the handshake) into the output.
 * Returns 0 or RT_EIO. */
int server_tls_encrypt(server_tls_t *tls, const uint8_t *plain, size_t len);

/* Queues a close_notify alert (once). */
void server_tls_shutdown(server_tls_t *tls);

/* Bytes of ciphertext waiting to be written. */
size_t server_tls_output_len(const server_tls_t *tls);

/* Moves up to cap bytes of waiting ciphertext into buf; returns how many. */
size_t server_tls_take_output(server_tls_t *tls, uint8_t *buf, size_t cap);

/* 1 when data begins like a cleartext HTTP/2 client preface ("PRI *
 * HTTP/2.0"), compared over its first len bytes (at least 4). */
int server_tls_looks_like_h2c(const uint8_t *data, size_t len);

/* 1 when data begins like a TLS handshake record (a ClientHello). */
int server_tls_looks_like_tls(const uint8_t *data, size_t len);

#endif /* SERVER_TLS_H */
