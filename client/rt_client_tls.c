/*
 * rt_client_tls: OpenSSL behind the CLI's client. Everything here works
 * on memory BIOs (see the header); what is worth a comment is how a
 * failed handshake is told apart: a certificate the client refused (the
 * verify result says which check failed), a server that answered
 * something that is not TLS at all (its first bytes are not a TLS record:
 * a cleartext port), a server that refused us (its alert, say
 * no_application_protocol), or one that just closed.
 */
#include "rt_client_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *message_new(const char *format, ...)
    __attribute__((format(printf, 1, 2)));
static char *message_new(const char *format, ...) {
  va_list ap;
  char *text = NULL;

  va_start(ap, format);
  if (vasprintf(&text, format, ap) < 0)
    text = NULL;
  va_end(ap);
  return text;
}

/* The reason of OpenSSL's latest error, or fallback; clears the queue. */
static const char *openssl_reason(const char *fallback) {
  unsigned long code = ERR_peek_last_error();
  const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

  ERR_clear_error();
  return reason != NULL ? reason : fallback;
}

int client_tls_context_new(SSL_CTX **out, const char *ca_file, char **message) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  FILE *file;

  *out = NULL;
  *message = NULL;
  if (ctx == NULL) {
    *message = message_new("cannot create a TLS context");
    return -1;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  /* SSL_CTX_set_alpn_protos returns 0 on success. */
  if (SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x02h2", 3) != 0) {
    *message = message_new("cannot set up ALPN");
    goto fail;
  }
  if (ca_file == NULL) {
    SSL_CTX_set_default_verify_paths(ctx);
  } else {
    file = fopen(ca_file, "r");
    if (file == NULL) {
      *message = message_new("--ca-file %s: %s", ca_file, strerror(errno));
      goto fail;
    }
    fclose(file);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
      *message = message_new("--ca-file %s holds no PEM certificate (%s)",
                             ca_file, openssl_reason("unreadable"));
      goto fail;
    }
  }
  ERR_clear_error();
  *out = ctx;
  return 0;
fail:
  SSL_CTX_free(ctx);
  return -1;
}

int client_tls_open(client_tls_t *tls, SSL_CTX *ctx, const char *host,
                    bool ca_file) {
  uint8_t address[16];
  bool is_ip = inet_pton(AF_INET, host, address) == 1 ||
               inet_pton(AF_INET6, host, address) == 1;

  memset(tls, 0, sizeof(*tls));
  tls->ca_file = ca_file;
  tls->ssl = SSL_new(ctx);
  tls->in = BIO_new(BIO_s_mem());
  tls->out = BIO_new(BIO_s_mem());
  if (tls->ssl == NULL || tls->in == NULL || tls->out == NULL) {
    BIO_free(tls->in);
    BIO_free(tls->out);
    SSL_free(tls->ssl);
    memset(tls, 0, sizeof(*tls));
    return -1;
  }
  BIO_set_mem_eof_return(tls->in, -1);
  BIO_set_mem_eof_return(tls->out, -1);
  SSL_set_bio(tls->ssl, tls->in, tls->out);
  SSL_set_connect_state(tls->ssl);
  SSL_set_hostflags(tls->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  /* RFC 6066 section 3: SNI carries host names, never IP literals. */
  if (is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls->ssl), host) != 1)
      return -1;
  } else if (SSL_set_tlsext_host_name(tls->ssl, host) != 1 ||
             SSL_set1_host(tls->ssl, host) != 1) {
    return -1;
  }
  return 0;
}

void client_tls_close(client_tls_t *tls) {
  if (tls->ssl != NULL)
    SSL_free(tls->ssl);
  memset(tls, 0, sizeof(*tls));
}

int client_tls_feed(client_tls_t *tls, const uint8_t *data, size_t len) {
  if (tls->first_len < sizeof(tls->first)) {
    size_t take = sizeof(tls->first) - tls->first_len;
    take = take < len ? take : len;
    memcpy(tls->first + tls->first_len, data, take);
    tls->first_len += take;
  }
  return BIO_write(tls->in, data, (int)len) == (int)len ? 0 : -1;
}

/* A TLS record starts with its type (20 to 23) and a 3.x version. */
static bool first_bytes_are_tls(const client_tls_t *tls) {
  if (tls->first_len == 0)
    return true;
  if (tls->first[0] < 20 || tls->first[0] > 23)
    return false;
  return tls->first_len < 2 || tls->first[1] == 3;
}

static const char *verify_hint(const client_tls_t *tls, long result) {
  switch (result) {
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    return tls->ca_file ? "; is --ca-file the CA that signed it?"
                        : "; use --ca-file with the CA that signed it";
  case X509_V_ERR_HOSTNAME_MISMATCH:
    return "; the certificate is not for this host name";
  case X509_V_ERR_IP_ADDRESS_MISMATCH:
    return "; the certificate is not for this address";
  case X509_V_ERR_CERT_HAS_EXPIRED:
    return "; the server's certificate must be renewed";
  default:
    return "";
  }
}

client_tls_step_t client_tls_handshake(client_tls_t *tls, const char *target,
                                       bool eof, char **message) {
  const unsigned char *alpn = NULL;
  unsigned int alpn_len = 0;
  long verify;
  int rc, error;

  *message = NULL;
  ERR_clear_error();
  rc = SSL_do_handshake(tls->ssl);
  if (rc == 1) {
    SSL_get0_alpn_selected(tls->ssl, &alpn, &alpn_len);
    if (alpn_len == 2 && memcmp(alpn, "h2", 2) == 0)
      return CLIENT_TLS_DONE;
    *message = message_new("TLS with %s: the server did not agree to HTTP/2 "
                           "(ALPN h2); is it a gRPC server?",
                           target);
    return CLIENT_TLS_FAILED;
  }
  error = SSL_get_error(tls->ssl, rc);
  if ((error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) && !eof) {
    ERR_clear_error();
    return CLIENT_TLS_WANT;
  }
  verify = SSL_get_verify_result(tls->ssl);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    *message = message_new("certificate verify failed: %s%s",
                           X509_verify_cert_error_string(verify),
                           verify_hint(tls, verify));
    return CLIENT_TLS_REJECTED;
  }
  if (!first_bytes_are_tls(tls)) {
    ERR_clear_error();
    *message = message_new("TLS handshake with %s failed: the server does not "
                           "speak TLS (wrong port, or use http://)",
                           target);
  } else if (eof) {
    ERR_clear_error();
    *message = message_new("TLS handshake with %s failed: the server closed "
                           "the connection (is it a TLS port?)",
                           target);
  } else {
    *message = message_new("TLS handshake with %s failed: %s", target,
                           openssl_reason("unknown error"));
  }
  return CLIENT_TLS_FAILED;
}

int client_tls_read(client_tls_t *tls, uint8_t *plain, size_t cap,
                    char **message) {
  int n, error;

  *message = NULL;
  ERR_clear_error();
  n = SSL_read(tls->ssl, plain, (int)cap);
  if (n > 0)
    return n;
  error = SSL_get_error(tls->ssl, n);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return 0;
  }
  if (error == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return -1;
  }
  *message = message_new("TLS error: %s", openssl_reason("unknown error"));
  return -2;
}

int client_tls_write(client_tls_t *tls, const uint8_t *plain, size_t len) {
  int n;

  if (len == 0)
    return 0;
  ERR_clear_error();
  n = SSL_write(tls->ssl, plain, (int)len);
  ERR_clear_error();
  return n == (int)len ? 0 : -1;
}

size_t client_tls_output_len(const client_tls_t *tls) {
  return BIO_ctrl_pending(tls->out);
}

size_t client_tls_take_output(client_tls_t *tls, uint8_t *buf, size_t cap) {
  int n = BIO_read(tls->out, buf, (int)cap);

  return n > 0 ? (size_t)n : 0;
}
