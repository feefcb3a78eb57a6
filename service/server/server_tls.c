/*
 * server_tls: the OpenSSL side of the server's TLS listener.
 *
 * Policy, in one place (server_tls_context_new): TLS 1.2 and 1.3 only
 * (RFC 9113 section 9.2 forbids older versions for HTTP/2); OpenSSL's
 * defaults for the TLS 1.3 suites, and for TLS 1.2 only ECDHE key exchange
 * with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), which is also what
 * section 9.2.2 asks of HTTP/2; no compression (CRIME), no renegotiation
 * (HTTP/2 forbids it, section 9.2.1); session tickets stay on, so that a
 * client reconnecting skips a full handshake. Buffers are released while a
 * connection is idle (SSL_MODE_RELEASE_BUFFERS): a thousand idle TLS
 * connections should not hold 34 KiB of buffers each.
 *
 * ALPN: only "h2" is accepted. A client offering ALPN without h2 is
 * refused by the selection callback, and one offering no ALPN at all by
 * the ClientHello callback: either way OpenSSL ends the handshake with a
 * no_application_protocol alert, so that an HTTP/1.1 client learns at
 * once that it has the wrong server.
 *
 * The per-connection part is a pair of memory BIOs around an SSL object:
 * OpenSSL never sees the socket, the loop moves every byte.
 */
#include "server_tls.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rt_log.h"

/* TLS 1.2 suites: ECDHE and AEAD only; TLS 1.3 has its own list. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

/* ---- the context --------------------------------------------------------- */

/* A key protected by a passphrase cannot be unlocked by a daemon: fail
 * instead of letting OpenSSL prompt on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *userdata) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)userdata;
  return 0;
}

/* Remembers why the handshake of tls's connection was refused. */
static void refuse(SSL *ssl, const char *why) {
  server_tls_t *tls = SSL_get_app_data(ssl);

  if (tls != NULL)
    tls->why = why;
}

static int require_alpn(SSL *ssl, int *alert, void *arg) {
  const unsigned char *ext;
  size_t len;
  (void)arg;

  if (SSL_client_hello_get0_ext(
          ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
          &len) == 1)
    return SSL_CLIENT_HELLO_SUCCESS;
  refuse(ssl, "the client offered no ALPN protocol (HTTP/2 needs \"h2\")");
  *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
  return SSL_CLIENT_HELLO_ERROR;
}

/* Picks "h2" from the client's list (RFC 7301 section 3.1: a list of
 * length-prefixed names), or refuses with no_application_protocol. */
static int select_h2(SSL *ssl, const unsigned char **out,
                     unsigned char *out_len, const unsigned char *in,
                     unsigned int in_len, void *arg) {
  unsigned int i = 0;
  (void)arg;

  while (i < in_len) {
    unsigned int len = in[i];
    if (len == 0 || i + 1 + len > in_len)
      break;
    if (len == 2 && memcmp(in + i + 1, "h2", 2) == 0) {
      *out = in + i + 1;
      *out_len = 2;
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  refuse(ssl, "the client did not offer \"h2\" in ALPN");
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The reason of OpenSSL's latest error, or fallback; clears the queue. */
static const char *openssl_reason(const char *fallback) {
  unsigned long code = ERR_peek_last_error();
  const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

  ERR_clear_error();
  return reason != NULL ? reason : fallback;
}

static int check_readable(const char *path, const char *what, rt_error_t *err) {
  FILE *file = fopen(path, "r");

  if (file == NULL)
    return rt_error_set(err, RT_EIO, what, "cannot read the TLS %s %s: %s",
                        what, path, strerror(errno));
  fclose(file);
  return 0;
}

static void format_time(const ASN1_TIME *when, char *out, size_t out_len) {
  struct tm tm;

  if (ASN1_TIME_to_tm(when, &tm) != 1 ||
      strftime(out, out_len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
    snprintf(out, out_len, "?");
}

/* Logs the leaf certificate the context will present. */
static void log_certificate(SSL_CTX *ctx, const char *cert_file) {
  X509 *cert = SSL_CTX_get0_certificate(ctx);
  char subject[256], until[32];
  BIGNUM *serial_bn;
  char *serial = NULL;

  if (cert == NULL)
    return;
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
  format_time(X509_get0_notAfter(cert), until, sizeof(until));
  serial_bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  if (serial_bn != NULL)
    serial = BN_bn2hex(serial_bn);
  rt_log(RT_LOG_INFO, "TLS certificate %s: %s, serial %s, valid until %s",
         cert_file, subject, serial ? serial : "?", until);
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    rt_log(RT_LOG_WARN,
           "the TLS certificate in %s expired on %s: clients will refuse it",
           cert_file, until);
  else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
    rt_log(RT_LOG_WARN, "the TLS certificate in %s is not valid yet",
           cert_file);
  OPENSSL_free(serial);
  BN_free(serial_bn);
}

static int configure(SSL_CTX *ctx, rt_error_t *err) {
  static const unsigned char session_context[] = "rectrackd";

  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
      SSL_CTX_set_session_id_context(ctx, session_context,
                                     sizeof(session_context) - 1) != 1)
    return rt_error_set(err, RT_EINVAL, "tls", "cannot set the TLS policy: %s",
                        openssl_reason("unknown error"));
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
  SSL_CTX_set_client_hello_cb(ctx, require_alpn, NULL);
  SSL_CTX_set_alpn_select_cb(ctx, select_h2, NULL);
  return 0;
}

static int load_pair(SSL_CTX *ctx, const char *cert_file, const char *key_file,
                     rt_error_t *err) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
    return rt_error_set(err, RT_EINVAL, "tls-cert",
                        "the TLS certificate %s cannot be used: %s "
                        "(expected PEM: the certificate, then its chain)",
                        cert_file, openssl_reason("not a certificate"));
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
    unsigned long code = ERR_peek_last_error();
    if (ERR_GET_LIB(code) == ERR_LIB_X509 &&
        ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return rt_error_set(err, RT_EINVAL, "tls-key",
                          "the TLS key %s does not belong to the certificate "
                          "in %s",
                          key_file, cert_file);
    }
    return rt_error_set(err, RT_EINVAL, "tls-key",
                        "the TLS key %s cannot be used: %s (expected an "
                        "unencrypted PEM private key)",
                        key_file, openssl_reason("not a private key"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return rt_error_set(err, RT_EINVAL, "tls-key",
                        "the TLS key %s does not belong to the certificate "
                        "in %s",
                        key_file, cert_file);
  ERR_clear_error();
  return 0;
}

int server_tls_context_new(SSL_CTX **out, const char *cert_file,
                           const char *key_file, rt_error_t *err) {
  SSL_CTX *ctx;
  int rc;

  *out = NULL;
  rc = check_readable(cert_file, "certificate", err);
  if (rc == 0)
    rc = check_readable(key_file, "key", err);
  if (rc != 0)
    return rc;
  ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL)
    return rt_error_set(err, RT_ENOMEM, "tls", "cannot create a TLS context");
  rc = configure(ctx, err);
  if (rc == 0)
    rc = load_pair(ctx, cert_file, key_file, err);
  if (rc != 0) {
    SSL_CTX_free(ctx);
    return rc;
  }
  log_certificate(ctx, cert_file);
  *out = ctx;
  return 0;
}

/* ---- one connection --------------------------------------------------------
 */

int server_tls_open(server_tls_t *tls, SSL_CTX *ctx) {
  memset(tls, 0, sizeof(*tls));
  tls->ssl = SSL_new(ctx);
  tls->in = BIO_new(BIO_s_mem());
  tls->out = BIO_new(BIO_s_mem());
  if (tls->ssl == NULL || tls->in == NULL || tls->out == NULL) {
    BIO_free(tls->in);
    BIO_free(tls->out);
    SSL_free(tls->ssl);
    memset(tls, 0, sizeof(*tls));
    return RT_ENOMEM;
  }
  /* An empty BIO means "no more yet", not end of file. */
  BIO_set_mem_eof_return(tls->in, -1);
  BIO_set_mem_eof_return(tls->out, -1);
  SSL_set_bio(tls->ssl, tls->in, tls->out);
  SSL_set_app_data(tls->ssl, tls);
  SSL_set_accept_state(tls->ssl);
  return 0;
}

void server_tls_close(server_tls_t *tls) {
  if (tls->ssl != NULL)
    SSL_free(tls->ssl); /* and both BIOs */
  memset(tls, 0, sizeof(*tls));
}

/* After an SSL call returned rc <= 0: SERVER_TLS_OK when it only waits for
 * more input, else the failure and its reason. */
static server_tls_result_t failure(server_tls_t *tls, int rc,
                                   const char **why) {
  int error = SSL_get_error(tls->ssl, rc);

  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return SERVER_TLS_OK;
  }
  if (error == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return SERVER_TLS_CLOSED;
  }
  *why = tls->why != NULL ? tls->why : openssl_reason("TLS error");
  ERR_clear_error();
  return SERVER_TLS_FAILED;
}

server_tls_result_t server_tls_input(server_tls_t *tls, const uint8_t *data,
                                     size_t len, uint8_t *plain,
                                     size_t plain_cap,
                                     server_tls_deliver_fn deliver, void *arg,
                                     const char **why) {
  server_tls_result_t result;
  int rc;

  *why = NULL;
  if (len > 0 && BIO_write(tls->in, data, (int)len) != (int)len) {
    *why = "out of memory";
    return SERVER_TLS_FAILED;
  }
  ERR_clear_error();
  if (!tls->handshake_done) {
    rc = SSL_do_handshake(tls->ssl);
    if (rc != 1)
      return failure(tls, rc, why);
    tls->handshake_done = 1;
  }
  for (;;) {
    ERR_clear_error();
    rc = SSL_read(tls->ssl, plain, (int)plain_cap);
    if (rc <= 0) {
      result = failure(tls, rc, why);
      return result;
    }
    if (deliver(arg, plain, (size_t)rc) != 0)
      return SERVER_TLS_STOPPED;
  }
}

int server_tls_encrypt(server_tls_t *tls, const uint8_t *plain, size_t len) {
  int rc;

  if (len == 0)
    return 0;
  ERR_clear_error();
  rc = SSL_write(tls->ssl, plain, (int)len);
  ERR_clear_error();
  /* A memory BIO takes everything: anything short is a failure. */
  return rc == (int)len ? 0 : RT_EIO;
}

void server_tls_shutdown(server_tls_t *tls) {
  if (tls->shutdown_sent || !tls->handshake_done)
    return;
  tls->shutdown_sent = 1;
  ERR_clear_error();
  SSL_shutdown(tls->ssl);
  ERR_clear_error();
}

size_t server_tls_output_len(const server_tls_t *tls) {
  return BIO_ctrl_pending(tls->out);
}

size_t server_tls_take_output(server_tls_t *tls, uint8_t *buf, size_t cap) {
  int n = BIO_read(tls->out, buf, (int)cap);

  return n > 0 ? (size_t)n : 0;
}

int server_tls_looks_like_h2c(const uint8_t *data, size_t len) {
  static const char preface[] = "PRI * HTTP/2.0";
  size_t n = len < sizeof(preface) - 1 ? len : sizeof(preface) - 1;

  return n >= 4 && memcmp(data, preface, n) == 0;
}

int server_tls_looks_like_tls(const uint8_t *data, size_t len) {
  /* A handshake record (22) of TLS 1.x: 0x16 0x03 0x0N. */
  return len >= 3 && data[0] == 0x16 && data[1] == 0x03 && data[2] <= 0x04;
}
