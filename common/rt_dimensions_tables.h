/*
 * rt_dimensions_tables: the tables rt_dimensions_gen writes into the
 * build tree (rt_dimensions_data.c). Private to common/: everything else
 * goes through rt_dimensions.h. The generator guarantees distinct keys,
 * known rules, values for "list" keys only, and alpha-3 codes sorted.
 */
#ifndef RT_DIMENSIONS_TABLES_H
#define RT_DIMENSIONS_TABLES_H

#include "rt_dimensions.h"

extern const rt_dimension_key_t rt_dimension_keys[];
extern const size_t rt_dimension_key_total;
extern const rt_iso3_country_t rt_iso3_countries[];
extern const size_t rt_iso3_country_count;

#endif /* RT_DIMENSIONS_TABLES_H */
