/*
 * damage_store: deliberately damages a data directory so that the admin
 * tests can check that `rectrack-admin verify` notices and exits 1.
 *   damage_store DIR log REVISION   flips a byte of a change-log entry
 *   damage_store DIR index R-ID     adds an index entry for a missing record
 */
#include "rt_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: damage_store DIR log REVISION | DIR index R-ID\n");
    return 2;
  }
  rt_store_t *store = NULL;
  rt_error_t err;
  int rc = rt_store_open(&store, argv[1], NULL, &err);
  if (rc != 0) {
    fprintf(stderr, "damage_store: %s\n", err.message);
    return 1;
  }
  if (strcmp(argv[2], "log") == 0)
    rc = rt_store_test_corrupt_log_entry(store, strtoull(argv[3], NULL, 10));
  else if (strcmp(argv[2], "index") == 0)
    rc = rt_store_test_add_dangling_index(store, argv[3]);
  else
    rc = RT_EINVAL;
  rt_store_close(store);
  if (rc != 0)
    fprintf(stderr, "damage_store: %s\n", rt_strerror(rc));
  return rc == 0 ? 0 : 1;
}
