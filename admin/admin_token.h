/*
 * admin_token: `rectrack-admin token add|list`, the management of
 * rectrackd's tokens file (see service/auth/rt_auth.h). Private to admin/.
 */
#ifndef ADMIN_TOKEN_H
#define ADMIN_TOKEN_H

/* Runs `token ...`; argv[0] is "token". Returns the exit status: 0
 * success, 1 failure (message on stderr), 2 usage error. */
int admin_token_command(int argc, char **argv);

#endif /* ADMIN_TOKEN_H */
