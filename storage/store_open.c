/*
 * store_open: opening a data directory. A new directory gets the current
 * schema version; an older one is upgraded (store_upgrade.c) in the same
 * write transaction that opened its databases, so nothing reads the old
 * layout through this build; a newer one is refused. rt_store_upgrade
 * runs the same upgrade on request, with a dry run that reports and rolls
 * back.
 */
#include "store_upgrade.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int refuse_newer(const char *dir, uint64_t version, rt_error_t *err) {
  return rt_error_set(err, RT_EVERSION, NULL,
                      "data directory %s has storage schema version %llu, "
                      "written by a newer rectrack; this build reads "
                      "versions up to %d (run the newer build, or restore a "
                      "backup made by this one)",
                      dir, (unsigned long long)version,
                      RT_STORE_SCHEMA_VERSION);
}

/* Brings the schema record of an open directory to the current version:
 * writes it for a new directory, upgrades an older one. */
static int settle_version(rt_store_t *store, MDB_txn *txn, const char *dir,
                          uint64_t version, bool refuse_upgrade,
                          rt_store_upgrade_report_t *report, rt_error_t *err) {
  report->from_version = version == 0 ? RT_STORE_SCHEMA_VERSION : version;
  report->to_version = RT_STORE_SCHEMA_VERSION;
  if (version > RT_STORE_SCHEMA_VERSION)
    return refuse_newer(dir, version, err);
  if (version == RT_STORE_SCHEMA_VERSION)
    return 0;
  if (version != 0 && refuse_upgrade)
    return rt_error_set(err, RT_EVERSION, NULL,
                        "data directory %s has storage schema version %llu "
                        "and needs an upgrade to version %d (rectrack-admin "
                        "upgrade --data-dir %s)",
                        dir, (unsigned long long)version,
                        RT_STORE_SCHEMA_VERSION, dir);
  int rc = 0;
  if (version != 0)
    rc = store_upgrade_run(store, txn, version, report, err);
  if (rc == 0)
    rc = store_meta_put_u64(txn, store, "schema_version",
                            RT_STORE_SCHEMA_VERSION, err);
  return rc;
}

/* Opens dir and settles its version; commit: keep the result, else roll
 * it back (a dry run). On success with commit, *out is the open store. */
static int open_and_settle(const char *dir, const rt_store_options_t *options,
                           bool refuse_upgrade, bool commit,
                           rt_store_upgrade_report_t *report, rt_store_t **out,
                           rt_error_t *err) {
  rt_store_options_t opts = options ? *options : (rt_store_options_t){0};
  for (int attempt = 0;; attempt++) {
    rt_store_t *store = NULL;
    MDB_txn *txn = NULL;
    uint64_t version = 0;
    int rc = store_env_open(dir, &opts, &store, &txn, &version, err);
    if (rc != 0)
      return rc;
    rc = settle_version(store, txn, dir, version, refuse_upgrade, report, err);
    if (rc == 0 && commit)
      rc = store_mdb_error(mdb_txn_commit(txn), err,
                           version == 0 ? "initialising the data directory"
                                        : "upgrading the data directory");
    else
      mdb_txn_abort(txn);
    size_t map_size = store->map_size;
    if (rc == 0 && commit) {
      *out = store;
      return 0;
    }
    rt_store_close(store);
    if (rc != STORE_EMAPFULL)
      return rc;
    /* An upgrade outgrew the map: start over with a larger one. */
    size_t max_map = opts.max_map_bytes ? opts.max_map_bytes : (size_t)1 << 40;
    if (attempt >= 20 || map_size >= max_map)
      return rt_error_set(err, RT_ENOSPC, NULL,
                          "storage: upgrading %s needs a map larger than %zu "
                          "bytes (max_map_bytes)",
                          dir, map_size);
    rt_store_upgrade_report_free(report);
    opts.initial_map_bytes = map_size * 2 < max_map ? map_size * 2 : max_map;
  }
}

int rt_store_open(rt_store_t **out, const char *dir,
                  const rt_store_options_t *options, rt_error_t *err) {
  *out = NULL;
  rt_store_upgrade_report_t report = {0};
  int rc = open_and_settle(dir, options, options && options->refuse_upgrade,
                           true, &report, out, err);
  if (rc == 0 && options != NULL && options->upgrade_notice != NULL)
    for (size_t i = 0; i < report.lines_len; i++)
      options->upgrade_notice(report.lines[i], options->upgrade_notice_data);
  rt_store_upgrade_report_free(&report);
  return rc;
}

int rt_store_upgrade(const char *dir, const rt_store_options_t *options,
                     bool dry_run, rt_store_upgrade_report_t *report,
                     rt_error_t *err) {
  *report = (rt_store_upgrade_report_t){0};
  struct stat st;
  char data_file[4096];
  snprintf(data_file, sizeof data_file, "%s/data.mdb", dir);
  if (stat(data_file, &st) != 0)
    return rt_error_set(err, RT_ENOTFOUND, NULL,
                        "%s holds no rectrack data (no data.mdb): %s", dir,
                        strerror(errno));
  rt_store_t *store = NULL;
  int rc = open_and_settle(dir, options, false, !dry_run, report, &store, err);
  rt_store_close(store);
  return rc;
}

void rt_store_upgrade_report_free(rt_store_upgrade_report_t *report) {
  if (report == NULL)
    return;
  for (size_t i = 0; i < report->lines_len; i++)
    free(report->lines[i]);
  free(report->lines);
  report->lines = NULL;
  report->lines_len = 0;
}
