/*
 * rt_reference_tables: the tables rt_reference_gen writes from
 * data/reference.json into the build tree (rt_reference_data.c). Private
 * to common/: everything else goes through rt_reference.h.
 *
 * The generator guarantees what the lookups rely on: goals are numbered
 * 1..goal_count in order and each goal's targets are a slice of the
 * target table, numbered ones from 1 up without gaps, then lettered ones
 * from 'a' up without gaps; objectives are numbered 1..objective_count in
 * order; theme ids are distinct slugs.
 */
#ifndef RT_REFERENCE_TABLES_H
#define RT_REFERENCE_TABLES_H

#include "rt_reference.h"

extern const rt_sdg_goal_t rt_reference_goals[];
extern const size_t rt_reference_goal_count;
extern const rt_sdg_target_t rt_reference_targets[];
extern const size_t rt_reference_target_count;
extern const rt_gcm_objective_t rt_reference_objectives[];
extern const size_t rt_reference_objective_count;
extern const rt_theme_t rt_reference_themes[];
extern const size_t rt_reference_theme_count;

#endif /* RT_REFERENCE_TABLES_H */
