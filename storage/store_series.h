/*
 * store_series: the disaggregated series of a quantified commitment.
 * Each distinct set of dimensions among its measurements is a series with
 * its own latest official value, progress and trajectory (store_trajectory
 * applied to it), and whether that value is beyond the indicator's
 * series_ceiling. The measurements with no dimension are the overall
 * figure, which stays the commitment's own latest_value and trajectory.
 * Series are worked out from the commitment's own measurements (keyed
 * commitment + as_of + revision), never from another's; the commitment
 * record keeps series_count and series_above_ceiling_count, recomputed
 * with its trajectory, and the series themselves are computed on Get.
 * Also the dimension checks shared by recording and listing. Not a public
 * header.
 */
#ifndef RT_STORE_SERIES_H
#define RT_STORE_SERIES_H

#include "store_internal.h"

/* The series of commitment number in txn, in dimension order (keys in
 * key order, then values), unpacked into arena: *out an array of *n (NULL
 * when none), *above how many are above ceiling. ind may be NULL (no
 * trajectory, no ceiling). Returns 0, RT_ECORRUPT, RT_ENOMEM or an LMDB
 * code. */
int store_series_collect(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                         uint64_t number, const Rectrack__V1__Indicator *ind,
                         Rectrack__V1__MeasurementSeries ***out, size_t *n,
                         uint32_t *above, rt_error_t *err);

/* Whether a series of value is beyond ceiling under ind's direction
 * (decrease: greater than the ceiling; increase: smaller). */
bool store_series_above(const Rectrack__V1__Indicator *ind, double value);

/* The n dimensions of list (field name for messages, e.g.
 * "measurement.dimensions") each name a compiled or added key, no key
 * twice, and, with check_values, each value is valid under its key's
 * rule. Returns 0 or RT_EINVAL naming the dimension. */
int store_dimensions_known_keys(MDB_txn *txn, rt_store_t *store,
                                store_arena_t *arena,
                                Rectrack__V1__Dimension **dims, size_t n,
                                bool check_values, const char *list,
                                rt_error_t *err);

/* Whether measurement m matches a ListMeasurements dimension filter: it
 * carries every one of want (subset), and with exact only those. */
bool store_dimensions_match(const Rectrack__V1__Measurement *m,
                            Rectrack__V1__Dimension *const *want, size_t n,
                            bool exact);

#endif /* RT_STORE_SERIES_H */
