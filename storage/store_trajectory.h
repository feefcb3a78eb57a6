/*
 * store_trajectory: the derived fields of a quantified commitment, from
 * its indicator and its stored measurements: latest value and date,
 * progress and trajectory. Used by the operations that change either
 * (store_measurements.c, store_records.c on an indicator update); stands
 * on the write primitives. Not a public header.
 */
#ifndef RT_STORE_TRAJECTORY_H
#define RT_STORE_TRAJECTORY_H

#include "store_write.h"

/* The trajectory of an indicator given its latest measurement (has_latest
 * false: NO_DATA; ind NULL: UNSPECIFIED), and in *progress the share of
 * the way from baseline to target. Cannot fail. */
Rectrack__V1__Trajectory store_trajectory(const Rectrack__V1__Indicator *ind,
                                          bool has_latest, double latest,
                                          const char *latest_as_of,
                                          double *progress);

/* Sets latest_value, latest_as_of, progress and trajectory of com (stored
 * as commitment number) from its measurements in the op's transaction;
 * com->latest_as_of points into the op's arena afterwards. Returns 0,
 * RT_ECORRUPT (a measurement does not decode), RT_ENOMEM or an LMDB
 * code. */
int store_commitment_recompute(store_wctx_t *ctx, uint64_t number,
                               Rectrack__V1__Commitment *com);

#endif /* RT_STORE_TRAJECTORY_H */
