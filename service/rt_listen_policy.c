/*
 * rt_listen_policy: the open API stays on loopback unless the operator
 * says otherwise (rt_listen_policy.h). The address is judged as the
 * listener will bind it: parsed and resolved by rt_server_parse_address,
 * so "localhost" is loopback and "0.0.0.0" is every interface.
 */
#include "rt_listen_policy.h"

#include "rt_server.h"

#include <netinet/in.h>
#include <string.h>

int rt_listen_is_loopback(const char *listen, bool *loopback, rt_error_t *err) {
  struct sockaddr_storage address;
  int rc = rt_server_parse_address(listen, &address, err);
  if (rc != 0)
    return rc;
  if (address.ss_family == AF_INET) {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)&address;
    *loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
    return 0;
  }
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&address;
  const uint8_t *bytes = in6->sin6_addr.s6_addr;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
              (memcmp(bytes, mapped, sizeof mapped) == 0 && bytes[12] == 127);
  return 0;
}

int rt_listen_policy_check(const char *listen, bool has_tokens,
                           bool insecure_no_auth, bool *warn_open,
                           rt_error_t *err) {
  bool loopback = false;
  *warn_open = false;
  int rc = rt_listen_is_loopback(listen, &loopback, err);
  if (rc != 0 || has_tokens || loopback)
    return rc;
  if (insecure_no_auth) {
    *warn_open = true;
    return 0;
  }
  return rt_error_set(err, RT_EINVAL, "listen",
                      "--listen %.80s is not a loopback address, and without "
                      "--tokens-file anyone who reaches it may change every "
                      "record; give --tokens-file FILE, listen on 127.0.0.1, "
                      "or add --insecure-no-auth to serve the open API there "
                      "anyway",
                      listen);
}
