/*
 * store_upgrade: the steps that bring a data directory written by an
 * older build to RT_STORE_SCHEMA_VERSION. Each step takes the layout from
 * one version to the next inside the caller's write transaction and says
 * in sentences what it changed; store_open.c runs them, while opening or
 * on request (rt_store_upgrade, with a dry run). Not a public header.
 *
 * A step never drops a record and never rewrites the change log (its
 * entries are hash-chained). A step that must change a record appends a
 * log entry for it, like any other change, through the write primitives
 * (store_write.h), so that the verifier still finds every record as the
 * log left it.
 */
#ifndef RT_STORE_UPGRADE_H
#define RT_STORE_UPGRADE_H

#include "store_internal.h"

/* Runs the steps from version `from` up to RT_STORE_SCHEMA_VERSION in
 * txn, appending one sentence per change to report->lines. Returns 0,
 * RT_EVERSION (from is 0, or no step starts at a version on the way),
 * RT_ENOMEM, RT_ECORRUPT or an LMDB code (STORE_EMAPFULL: the caller
 * grows the map and runs the whole upgrade again). */
int store_upgrade_run(rt_store_t *store, MDB_txn *txn, uint64_t from,
                      rt_store_upgrade_report_t *report, rt_error_t *err);

#endif /* RT_STORE_UPGRADE_H */
