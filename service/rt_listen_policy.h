/*
 * rt_listen_policy: whether rectrackd may serve where it was told to.
 *
 * Owns one rule: without a tokens file the Tracker API is open (anyone
 * who connects reads and writes), so rectrackd serves it on loopback
 * addresses only, unless the operator says, with --insecure-no-auth,
 * that the open API on another address is meant; rectrackd then warns at
 * every start. Health and reflection are open either way. Calls
 * rt_server (address parsing), rt_error and libc.
 */
#ifndef RT_LISTEN_POLICY_H
#define RT_LISTEN_POLICY_H

#include "rt_error.h"

#include <stdbool.h>

/* Whether the listen address HOST:PORT (rt_server_parse_address's form)
 * is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. A host
 * name counts by the address it resolves to. Returns 0 with *loopback
 * set, or RT_EINVAL (err names the address). */
int rt_listen_is_loopback(const char *listen, bool *loopback, rt_error_t *err);

/* Checks the rule above. has_tokens: a tokens file is configured.
 * *warn_open is set when the open API is served beyond loopback (the
 * caller logs the warning). Returns 0, or RT_EINVAL: the address is bad,
 * or is not loopback while there are no tokens and no --insecure-no-auth
 * (err's message says so and what to do). */
int rt_listen_policy_check(const char *listen, bool has_tokens,
                           bool insecure_no_auth, bool *warn_open,
                           rt_error_t *err);

#endif /* RT_LISTEN_POLICY_H */
