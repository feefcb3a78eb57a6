/*
 * http_tls: the certificate and key of the HTTPS listener, handed to
 * GnuTLS (libmicrohttpd's TLS library) through a certificate callback, so
 * that SIGHUP can swap the pair without restarting the listener: each new
 * handshake takes the pair in force, and handshakes under way keep the
 * one they started with.
 *
 * GnuTLS's callback has no user pointer, so the pair in force is one
 * per process (rectrackd has one HTTP listener; a second TLS listener is
 * refused). Replaced pairs are kept until the listener is freed: a
 * handshake that took one may still be reading it, and reloads are rare
 * (a certificate renewal), so what they hold is bounded in practice.
 */
#include "http_internal.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 16

typedef struct tls_pair {
  gnutls_pcert_st chain[MAX_CHAIN];
  unsigned chain_len;
  gnutls_privkey_t key;
  struct tls_pair *older;
} tls_pair_t;

struct http_tls {
  char *cert_file, *key_file;
  tls_pair_t *pairs; /* newest first; the first is in force */
};

static _Atomic(tls_pair_t *) in_force;
static atomic_bool taken;

static void pair_free(tls_pair_t *pair) {
  for (unsigned i = 0; i < pair->chain_len; i++)
    gnutls_pcert_deinit(&pair->chain[i]);
  if (pair->key != NULL)
    gnutls_privkey_deinit(pair->key);
  free(pair);
}

static int read_file(const char *path, const char *flag, gnutls_datum_t *out,
                     rt_error_t *err) {
  int rc = gnutls_load_file(path, out);
  if (rc < 0)
    return rt_error_set(err, RT_EIO, flag, "--%s: cannot read %.200s: %s", flag,
                        path, gnutls_strerror(rc));
  return 0;
}

/* Loads and checks a pair: the certificates parse, the key parses, and
 * the key belongs to the first certificate. */
static int pair_load(const char *cert_file, const char *key_file,
                     tls_pair_t **out, rt_error_t *err) {
  gnutls_datum_t cert = {0}, key = {0};
  gnutls_certificate_credentials_t check = NULL;
  tls_pair_t *pair = calloc(1, sizeof *pair);
  int rc = pair ? 0 : rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = read_file(cert_file, "tls-cert", &cert, err);
  if (rc == 0)
    rc = read_file(key_file, "tls-key", &key, err);
  if (rc == 0) {
    pair->chain_len = MAX_CHAIN;
    int g = gnutls_pcert_list_import_x509_raw(pair->chain, &pair->chain_len,
                                              &cert, GNUTLS_X509_FMT_PEM, 0);
    if (g < 0 || pair->chain_len == 0) {
      pair->chain_len = 0;
      rc = rt_error_set(err, RT_EINVAL, "tls-cert",
                        "--tls-cert: %.200s holds no usable PEM "
                        "certificate: %s",
                        cert_file, gnutls_strerror(g));
    }
  }
  if (rc == 0) {
    int g = gnutls_privkey_init(&pair->key);
    if (g >= 0)
      g = gnutls_privkey_import_x509_raw(pair->key, &key, GNUTLS_X509_FMT_PEM,
                                         NULL, 0);
    if (g < 0)
      rc = rt_error_set(err, RT_EINVAL, "tls-key",
                        "--tls-key: %.200s holds no usable unencrypted PEM "
                        "key: %s",
                        key_file, gnutls_strerror(g));
  }
  if (rc == 0) {
    /* the credentials check that the key matches the certificate */
    int g = gnutls_certificate_allocate_credentials(&check);
    if (g >= 0)
      g = gnutls_certificate_set_x509_key_mem2(check, &cert, &key,
                                               GNUTLS_X509_FMT_PEM, NULL, 0);
    if (g < 0)
      rc = rt_error_set(err, RT_EINVAL, "tls-key",
                        "--tls-key: %.200s and %.200s do not make a pair: %s",
                        key_file, cert_file, gnutls_strerror(g));
  }
  if (check != NULL)
    gnutls_certificate_free_credentials(check);
  gnutls_free(cert.data);
  gnutls_free(key.data);
  if (rc != 0) {
    if (pair != NULL)
      pair_free(pair);
    return rc;
  }
  *out = pair;
  return 0;
}

static int on_certificate(gnutls_session_t session,
                          const gnutls_datum_t *req_ca_dn, int n_req,
                          const gnutls_pk_algorithm_t *algorithms,
                          int n_algorithms, gnutls_pcert_st **chain,
                          unsigned int *chain_len, gnutls_privkey_t *key) {
  (void)session;
  (void)req_ca_dn;
  (void)n_req;
  (void)algorithms;
  (void)n_algorithms;
  tls_pair_t *pair = atomic_load(&in_force);
  if (pair == NULL)
    return -1;
  *chain = pair->chain;
  *chain_len = pair->chain_len;
  *key = pair->key;
  return 0;
}

void *http_tls_callback(void) { return (void *)on_certificate; }

int http_tls_new(struct http_tls **out, const char *cert_file,
                 const char *key_file, rt_error_t *err) {
  *out = NULL;
  if (atomic_exchange(&taken, true))
    return rt_error_set(err, RT_EINVAL, "tls-cert",
                        "only one HTTPS listener per process");
  struct http_tls *tls = calloc(1, sizeof *tls);
  int rc = tls ? 0 : rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0 && ((tls->cert_file = strdup(cert_file)) == NULL ||
                  (tls->key_file = strdup(key_file)) == NULL))
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = pair_load(cert_file, key_file, &tls->pairs, err);
  if (rc != 0) {
    http_tls_free(tls);
    atomic_store(&taken, false);
    return rc;
  }
  atomic_store(&in_force, tls->pairs);
  *out = tls;
  return 0;
}

int http_tls_reload(struct http_tls *tls, rt_error_t *err) {
  tls_pair_t *pair = NULL;
  int rc = pair_load(tls->cert_file, tls->key_file, &pair, err);
  if (rc != 0)
    return rc;
  pair->older = tls->pairs;
  tls->pairs = pair;
  atomic_store(&in_force, pair);
  return 0;
}

void http_tls_free(struct http_tls *tls) {
  if (tls == NULL)
    return;
  if (tls->pairs != NULL) {
    atomic_store(&in_force, NULL);
    atomic_store(&taken, false);
  }
  for (tls_pair_t *pair = tls->pairs, *next; pair != NULL; pair = next) {
    next = pair->older;
    pair_free(pair);
  }
  free(tls->cert_file);
  free(tls->key_file);
  free(tls);
}
