/*
 * rt_reference: the official reference lists a recommendation or a
 * commitment is tagged with: the 17 Sustainable Development Goals and
 * their 169 targets, the 23 objectives of the Global Compact for Safe,
 * Orderly and Regular Migration with their titles as adopted
 * (A/RES/73/195, para. 16), and the thematic areas of the dialogues.
 *
 * Owns: the lists, compiled into the binaries from data/reference.json at
 * build time (rt_reference_gen checks the file and writes them as constant
 * C tables), lookups by code, iteration for listing, and the "closest
 * valid values" error messages quote. Calls only libc.
 *
 * Everything here is constant data and pure functions: safe from any
 * thread, nothing to initialise or free. Every pointer returned points
 * into the static tables and stays valid for the life of the process.
 */
#ifndef RT_REFERENCE_H
#define RT_REFERENCE_H

#include <stddef.h>

/* An SDG target. */
typedef struct rt_sdg_target {
  const char *code;  /* "10.c": the goal, '.', a number or a letter */
  int goal;          /* 10 */
  const char *label; /* a short paraphrase of the target */
} rt_sdg_target_t;

/* A Sustainable Development Goal and its targets. */
typedef struct rt_sdg_goal {
  int number;                     /* 1..17 */
  const char *short_title;        /* "Reduced inequalities" */
  const char *title;              /* "Reduce inequality within and among ..." */
  const rt_sdg_target_t *targets; /* numbered ones (10.1..10.7), then the
                                     lettered means of implementation */
  size_t target_count;
} rt_sdg_goal_t;

/* A Global Compact for Migration objective. */
typedef struct rt_gcm_objective {
  int number;        /* 1..23 */
  const char *title; /* the official title, verbatim */
} rt_gcm_objective_t;

/* A thematic area. */
typedef struct rt_theme {
  const char *id;         /* the slug records carry: "remittances" */
  const char *title;      /* "Remittance costs and financial inclusion" */
  const char *source_ref; /* where the seed documents treat it */
} rt_theme_t;

/* ---- SDGs ------------------------------------------------------------ */

/* Number of goals (17); goals are numbered 1..rt_sdg_goal_count(). */
size_t rt_sdg_goal_count(void);

/* The goal numbered number, or NULL when there is none. */
const rt_sdg_goal_t *rt_sdg_goal(int number);

/* The goal a target code starts with: "10.99" and "10.c" give goal 10,
 * "18.1", "10" and "abc" give NULL. For messages about a bad target. */
const rt_sdg_goal_t *rt_sdg_goal_of(const char *code);

/* Number of targets of all goals together (169). */
size_t rt_sdg_target_count(void);

/* The index-th target in goal order (1.1, ..., 1.b, 2.1, ...), or NULL
 * when index is past the end. */
const rt_sdg_target_t *rt_sdg_target_at(size_t index);

/* The target whose code is exactly code ("10.c"), or NULL. code may be
 * NULL. */
const rt_sdg_target_t *rt_sdg_target(const char *code);

/* Writes the targets of goal as a message lists them, into out (size
 * bytes, always NUL-terminated, cut with "..." when too small): numbered
 * ones as a range, lettered ones each, "10.1 ... 10.7, 10.a, 10.b, 10.c".
 * Returns out. */
const char *rt_sdg_goal_targets_text(const rt_sdg_goal_t *goal, char *out,
                                     size_t size);

/* ---- GCM objectives -------------------------------------------------- */

/* Number of objectives (23), numbered 1..rt_gcm_objective_count(). */
size_t rt_gcm_objective_count(void);

/* The objective numbered number, or NULL when there is none. */
const rt_gcm_objective_t *rt_gcm_objective(int number);

/* ---- themes ---------------------------------------------------------- */

/* Number of compiled-in themes. */
size_t rt_theme_count(void);

/* The index-th theme in the order of data/reference.json, or NULL past
 * the end. */
const rt_theme_t *rt_theme_at(size_t index);

/* The theme whose id is exactly id, or NULL. id may be NULL. */
const rt_theme_t *rt_theme(const char *id);

/* The theme id closest to value by edit distance (ASCII case ignored),
 * among the compiled-in themes and the added_count ids in added (themes
 * known besides them, e.g. added at run time; added may be NULL when
 * added_count is 0), or NULL when none is close enough to be a likely
 * misspelling (at most 2 edits, and fewer than a third of the longer
 * word). The result points into the tables or into added. */
const char *rt_theme_nearest(const char *value, const char *const *added,
                             size_t added_count);

/* Writes the ids of the compiled-in themes and then of added, separated
 * by ", ", into out (size bytes, always NUL-terminated, cut at an id
 * boundary with "..." when too small). Returns out. */
const char *rt_theme_ids_text(const char *const *added, size_t added_count,
                              char *out, size_t size);

#endif /* RT_REFERENCE_H */
