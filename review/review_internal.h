/*
 * Private to review/: the indexed model of a review's data set, the text
 * buffer and escapers, and the table definitions every renderer shares.
 * Not part of the module's API (see rt_review.h).
 */
#ifndef RT_REVIEW_INTERNAL_H
#define RT_REVIEW_INTERNAL_H

#include "rt_buf.h"
#include "rt_enum.h"
#include "rt_review.h"

#include <stdarg.h>
#include <stdbool.h>

/* Size of an array indexed by Status value (rt_enum_bound of the enum,
 * as a constant expression). */
#define RT_REVIEW_STATUS_COUNT (RECTRACK__V1__STATUS__STATUS_WITHDRAWN + 1)

/* Spellings of status and trajectory values (rt_enum): the slug that the
 * machine-readable formats (CSV, JSON) carry, "" for unspecified, and the
 * label people read (HTML, Markdown, XLSX). Static strings, never NULL. */
const char *rt_review_status_name(int status);
const char *rt_review_status_label(int status);
const char *rt_review_trajectory_name(int trajectory);

/* ---- growable byte buffer (common/rt_buf.h) ---- */

typedef rt_buf_t rt_review_buf_t;

static inline void rt_review_buf_free(rt_review_buf_t *b) { rt_buf_free(b); }
static inline void rt_review_buf_append(rt_review_buf_t *b, const char *s,
                                        size_t n) {
  rt_buf_append(b, s, n);
}
static inline void rt_review_buf_puts(rt_review_buf_t *b, const char *s) {
  rt_buf_puts(b, s);
}
#define rt_review_buf_printf rt_buf_printf
static inline void rt_review_buf_reset(rt_review_buf_t *b) { rt_buf_reset(b); }
static inline const char *rt_review_buf_str(const rt_review_buf_t *b) {
  return rt_buf_str(b);
}
static inline void rt_review_buf_consume(rt_review_buf_t *b, size_t n) {
  rt_buf_consume(b, n);
}

/* Returns s, or a copy in scratch with malformed UTF-8 replaced by U+FFFD
 * and control characters other than tab/LF/CR dropped. NULL -> "". */
const char *rt_review_clean(rt_review_buf_t *scratch, const char *s);
/* Appends s with & < > " ' as character references (HTML/SVG/XML). */
void rt_review_put_html(rt_review_buf_t *b, const char *s);
/* Appends s for a GFM table cell: HTML-significant characters as
 * references, | and Markdown punctuation backslash-escaped, line breaks
 * as <br>. */
void rt_review_put_md(rt_review_buf_t *b, const char *s);
/* Appends s as one RFC 4180 field (quoted when it holds , " CR or LF). */
void rt_review_put_csv(rt_review_buf_t *b, const char *s);
/* Appends at most max_chars characters of s (whole UTF-8 sequences) and an
 * ellipsis when cut, HTML-escaped. */
void rt_review_put_html_short(rt_review_buf_t *b, const char *s,
                              size_t max_chars);
/* Formats a double compactly and round-trippably ("3.5", "0.1"). */
void rt_review_format_number(double value, char out[32]);

/* Natural order of ids and keys: digit runs compare as numbers. */
int rt_review_natcmp(const char *a, const char *b);

/* ---- the model (review_model.c) ---- */

/* Lines of follow-up (review_lineage.h). */
typedef struct rt_review_lineage rt_review_lineage_t;
/* One disaggregated series of a commitment (review_series.h). */
typedef struct rt_review_series rt_review_series_t;

typedef struct rt_review_item {
  const Rectrack__V1__Recommendation *rec; /* exactly one of rec/com */
  const Rectrack__V1__Commitment *com;
  const char *id;
  const char *title;
  /* Sort keys: id_key is the id as a number ('R' or 'C' << 56 | the
   * number; 0 for an id of another shape), theme_rank the place of the
   * theme in the recommendations' order. Integer compares keep sorting
   * hundreds of thousands of items fast. */
  uint64_t id_key;
  uint32_t theme_rank;
  int subject_type;                     /* SUBJECT_TYPE_RECOMMENDATION... */
  int status;                           /* as of the review's as_of */
  const Rectrack__V1__FollowUp *latest; /* follow-up giving status, or NULL */
  /* The latest submission awaiting validation (as_of <= the review's
   * as_of), or NULL: the self-reported status beside the official one. */
  const Rectrack__V1__FollowUp *reported;
  size_t fu_first, fu_count;     /* range in model.follow_ups (all dates) */
  size_t meas_first, meas_count; /* range in model.measurements */
  long days_overdue;             /* 0 when not overdue */
  bool reported_in_period;
  /* Indicators only (com with an indicator). */
  bool has_indicator;
  bool has_latest;
  double latest_value;
  const char *latest_as_of;
  double progress;
  int trajectory;
  /* Its disaggregated series: a range of model.series. */
  size_t series_first, series_count;
  /* Recommendations in a line of follow-up (review_lineage.h): folded,
   * counted under a later one of the line (so never overdue and never
   * without information); superseded by an active one. */
  bool folded, superseded;
  /* Commitments only: an active matching pledge answers this one. */
  bool matched;
} rt_review_item_t;

typedef struct rt_review_model {
  const rt_review_input_t *in;
  char from[11], to[11], as_of[11]; /* from may be "" */
  long as_of_days;
  rt_review_item_t *recs; /* active, by theme then id */
  size_t rec_count;
  rt_review_item_t *coms; /* active, by id */
  size_t com_count;
  rt_review_item_t **by_id; /* every item, by strcmp of id */
  size_t by_id_count;
  const Rectrack__V1__FollowUp **follow_ups; /* validated ones of active
                                   subjects, by subject, as_of, revision */
  int *previous_status;                      /* parallel to follow_ups */
  rt_review_item_t **fu_subject;             /* parallel to follow_ups */
  size_t follow_up_count;
  size_t *period_order; /* indexes of follow-ups dated in the period, by
                           as_of, revision, subject */
  size_t period_count;
  const Rectrack__V1__Measurement **measurements; /* validated ones of
         active commitments, as_of <= review as_of, by commitment, as_of */
  rt_review_item_t **meas_subject;
  size_t measurement_count;
  const Rectrack__V1__Actor **actors; /* by id */
  size_t actor_count;
  const Rectrack__V1__Source **sources; /* by id */
  size_t source_count;
  /* Follow-ups and measurements of active subjects awaiting validation
   * (any date): they count for nothing else in the review. */
  size_t pending_count;
  /* The lines of follow-up: built from the input (own_lineage), or the
   * stream's (rt_review_model_use_lineage). */
  rt_review_lineage_t *lineage, *own_lineage;
  /* The disaggregated series of the commitments with an indicator, by
   * commitment then dimensions, and their measurements, by series then
   * as_of (review_series.h). */
  rt_review_series_t *series;
  size_t series_count;
  const Rectrack__V1__Measurement **series_measurements;
  size_t series_measurement_count;
} rt_review_model_t;

int rt_review_model_init(rt_review_model_t *m, const rt_review_input_t *in,
                         rt_error_t *err);
void rt_review_model_close(rt_review_model_t *m);
rt_review_item_t *rt_review_model_find(const rt_review_model_t *m,
                                       const char *id);
/* Natural order of two items' ids (the order rt_review_natcmp gives),
 * fast for server ids. */
int rt_review_item_compare_ids(const rt_review_item_t *a,
                               const rt_review_item_t *b);
/* The self-reported status of an item where it differs from the
 * official one (it), or 0 when there is none or they agree. */
int rt_review_reported_status(const rt_review_item_t *it);
/* The status of one part of a joint pledge as of the review's as_of:
 * partner_id's reports, or (NULL or "") the lead's, which is it->status.
 * *latest: the report deciding it, or NULL. */
int rt_review_part_status(const rt_review_model_t *m,
                          const rt_review_item_t *it, const char *partner_id,
                          const Rectrack__V1__FollowUp **latest);
/* Actor name for an id, or the id itself when unknown. */
const char *rt_review_actor_name(const rt_review_model_t *m, const char *id);
/* The source of an id, or NULL. */
const Rectrack__V1__Source *rt_review_source(const rt_review_model_t *m,
                                             const char *id);
/* "Title (YYYY-MM-DD)" of a source, written into out (size bytes); the
 * id itself when the source is unknown or has no title. */
const char *rt_review_source_label(const rt_review_model_t *m, const char *id,
                                   char *out, size_t size);
/* The title of a theme (the reference lists', then those added at run
 * time in the input); the id itself when unknown, "" for no theme. */
const char *rt_review_theme_title(const rt_review_model_t *m, const char *id);
/* The official title of GCM objective n, "" outside 1..23. */
const char *rt_review_gcm_title(int objective);
/* The short label of an SDG target, "" when it is not one. */
const char *rt_review_sdg_label(const char *target);
/* What the keys of a status count are, for the label a reader sees. */
typedef enum rt_review_key_kind {
  RT_REVIEW_KEY_THEME, /* a theme id: its title, "(no theme)" for "" */
  RT_REVIEW_KEY_ACTOR, /* an actor id: its name */
  RT_REVIEW_KEY_SDG,   /* an SDG target: "10.c: its label" */
  RT_REVIEW_KEY_GCM,   /* a GCM objective number: "23: its title" */
} rt_review_key_kind_t;
/* The label of key, written into out (size bytes) or a static or model
 * string; never NULL. */
const char *rt_review_key_label(const rt_review_model_t *m,
                                rt_review_key_kind_t kind, const char *key,
                                char *out, size_t size);
/* Whether an item belongs under "No information in the period": nothing
 * reported in the period, and not closed (implemented or withdrawn). */
bool rt_review_lacks_information(const rt_review_item_t *it);
bool rt_review_in_period(const rt_review_model_t *m, const char *date);
/* The summary of an initialised model (see rt_review_compute); NULL when
 * out of memory. Free with rt_review_summary_free(). */
Rectrack__V1__ReviewSummary *
rt_review_summary_from_model(const rt_review_model_t *m);

/* ---- tables (review_tables.c) ---- */

enum rt_review_cell_kind {
  RT_CELL_TEXT,
  RT_CELL_DATE,   /* text YYYY-MM-DD or empty */
  RT_CELL_NUMBER, /* number */
  RT_CELL_INT,    /* integer */
  RT_CELL_STATUS, /* integer: Status */
  RT_CELL_TRAJ,   /* integer: Trajectory */
  RT_CELL_LIST,   /* list of strings */
  RT_CELL_BOOL,   /* integer: 0 or 1 */
};

typedef struct rt_review_cell {
  bool empty; /* no value (JSON null, empty CSV field, blank cell) */
  const char *text;
  double number;
  long integer;
  char *const *list;
  size_t list_len;
} rt_review_cell_t;

/* Columns flagged RT_COL_DOC appear in HTML and Markdown; every column
 * appears in CSV, JSON and XLSX. */
#define RT_COL_DOC 1u
/* A share shown as a percentage in HTML, Markdown and XLSX. */
#define RT_COL_PERCENT 2u

typedef struct rt_review_column {
  const char *key;   /* CSV header, JSON member name */
  const char *label; /* HTML/Markdown/XLSX heading */
  int kind;
  unsigned flags;
  int width; /* XLSX column width */
} rt_review_column_t;

/* Per-status counts of the items tagged with one SDG target or GCM
 * objective (review_tables.c works them out on first use). */
typedef struct rt_review_breakdown {
  int counts[RT_REVIEW_STATUS_COUNT];
} rt_review_breakdown_t;

typedef struct rt_review_ctx {
  const rt_review_model_t *model;
  const Rectrack__V1__ReviewSummary *summary;
  char **gcm; /* scratch list for GCM objectives of one row */
  size_t gcm_cap;
  char **names; /* scratch list for the actor names of one row */
  size_t names_cap;
  char source_text[640]; /* the source label of one row */
  char number_text[32];
  rt_review_buf_t lineage_text; /* the lineage of one row */
  char *gap_names[8];           /* the specificity gaps of one row */
  /* The lists of one row of the pledges table, and their labels. */
  char **pledge_lists;
  size_t pledge_lists_cap;
  rt_review_buf_t pledge_text;
  /* Parallel to summary->by_sdg_target and by_gcm_objective; NULL until
   * the SDG or GCM table is first filled. */
  rt_review_breakdown_t *sdg_breakdown, *gcm_breakdown;
} rt_review_ctx_t;

typedef struct rt_review_table {
  const char *key; /* "recommendations", ... */
  const char *title;
  const rt_review_column_t *columns;
  size_t column_count;
  size_t (*row_count)(const rt_review_ctx_t *ctx);
  /* Fills column_count cells; pointers stay valid until the next call. */
  int (*fill)(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *cells);
} rt_review_table_t;

extern const rt_review_table_t rt_review_table_recommendations;
extern const rt_review_table_t rt_review_table_commitments;
extern const rt_review_table_t rt_review_table_follow_ups;
extern const rt_review_table_t rt_review_table_measurements;
extern const rt_review_table_t rt_review_table_changes;
extern const rt_review_table_t rt_review_table_overdue;
extern const rt_review_table_t rt_review_table_indicators;
extern const rt_review_table_t rt_review_table_sdg;
extern const rt_review_table_t rt_review_table_gcm;
extern const rt_review_table_t rt_review_table_no_information;
extern const rt_review_table_t rt_review_table_actors;
/* Lines of follow-up and the specificity summary (review_lineage.c's
 * figures, from the summary). */
extern const rt_review_table_t rt_review_table_lines;
extern const rt_review_table_t rt_review_table_specificity;
/* Joint pledges and pledges answered by matching ones (the summary's
 * pledge groups), one row per pledge with every part. */
extern const rt_review_table_t rt_review_table_pledges;
/* Disaggregated series, one row per series of each commitment with an
 * indicator (review_series.c). */
extern const rt_review_table_t rt_review_table_series;

void rt_review_ctx_close(rt_review_ctx_t *ctx);
/* The status breakdown of row of the SDG (gcm false) or GCM table of the
 * summary; NULL when out of memory. Valid until rt_review_ctx_close. */
const rt_review_breakdown_t *rt_review_breakdown(rt_review_ctx_t *ctx, bool gcm,
                                                 size_t row);
/* The same breakdowns as status counts sorted by key, as the charts take
 * them: a malloc'd array of *n pointers into the same block (free(*out)
 * frees all); keys point into the summary. 0 or RT_ENOMEM. */
int rt_review_breakdown_counts(rt_review_ctx_t *ctx, bool gcm,
                               Rectrack__V1__StatusCount ***out, size_t *n);
/* The cell as plain text (lists joined with separator) appended to b. */
void rt_review_cell_text(const rt_review_column_t *col,
                         const rt_review_cell_t *cell, const char *separator,
                         rt_review_buf_t *b);
const char *rt_review_subject_type_name(int type);
const char *rt_review_direction_name(int direction);
const char *rt_review_commitment_kind_name(int kind);

/* ---- indicators (review_model.c) ---- */

/* Straight-line value of the indicator at day `days`. */
double rt_review_expected_value(const Rectrack__V1__Indicator *ind, long days);
/* True when the indicator moves downwards to its target. */
bool rt_review_indicator_decreases(const Rectrack__V1__Indicator *ind);
/* The trajectory of value v measured on as_of against ind (docs above:
 * ACHIEVED, ON_TRACK, OFF_TRACK; NO_DATA when baseline or target is not
 * finite), and its *progress (NaN then). The overall figure's rule, the
 * same for every series. */
int rt_review_trajectory_of(const Rectrack__V1__Indicator *ind, double v,
                            const char *as_of, double *progress);
/* Whether a follow-up or measurement counts: validated, or recorded
 * before review states existed. */
bool rt_review_is_official(int review_state);

/* ---- renderers ---- */

typedef struct rt_review_stream rt_review_stream_t;

/* The XLSX summary charts this many indicators at most. */
#define RT_REVIEW_MAX_CHARTS 32

/* An indicator charted in the XLSX summary: its progress and where its
 * measurements are on the Measurements sheet (rows from 0). */
typedef struct rt_review_charted {
  const Rectrack__V1__IndicatorProgress *progress;
  size_t meas_first, meas_count;
} rt_review_charted_t;

/* How long the document's lists are, whether they are in the summary
 * (arrays) or walked from a source (streamed, where the summary carries
 * the figures but not the lists). */
typedef struct rt_review_totals {
  size_t changes, overdue, indicators, no_information;
  size_t follow_ups;      /* follow-up rows: counted, dated in the period */
  size_t measurements;    /* measurement rows */
  size_t series;          /* disaggregated series rows */
  size_t trajectories[5]; /* indicators by Trajectory */
  rt_review_charted_t charts[RT_REVIEW_MAX_CHARTS];
  size_t n_charts;
} rt_review_totals_t;

/* One renderer's shared state; each format keeps its position in it. */
typedef struct rt_review_doc {
  rt_review_ctx_t ctx;
  rt_review_buf_t *out;
  rt_review_buf_t scratch;
  const rt_review_table_t *table; /* CSV: the chosen table */
  int section;
  size_t row;
  rt_review_cell_t *cells; /* room for the widest table */
  bool done;
  /* Set when the rows come from a source (review_stream.c) rather than
   * the model of arrays: then, while a row is written, ctx.model is the
   * model of the row's subject and ctx.summary that subject's summary. */
  rt_review_stream_t *stream;
  const Rectrack__V1__ReviewSummary *summary; /* the document's */
  rt_review_totals_t totals;
  size_t fill_row;           /* the row index the last fill was given */
  rt_review_buf_t group_key; /* the theme of the last row written */
} rt_review_doc_t;

/* The rows table t has in the document. */
size_t rt_review_table_rows(const rt_review_doc_t *doc,
                            const rt_review_table_t *t);
/* The next commitment with an indicator (HTML charts): 1 with *item and
 * *model set, 0 after the last. doc->row is the position (arrays). */
int rt_review_next_indicator(rt_review_doc_t *doc,
                             const rt_review_item_t **item,
                             const rt_review_model_t **model);
/* The next actor (RT_REVIEW_WALK_ACTORS, by id) or source (_SOURCES) for
 * the JSON lists: 1 with *record, 0 after the last. doc->row is the
 * position (arrays). */
int rt_review_next_listed(rt_review_doc_t *doc, int kind,
                          const ProtobufCMessage **record);
/* The totals of a model and its summary (arrays). */
void rt_review_totals_of(const rt_review_model_t *m,
                         const Rectrack__V1__ReviewSummary *s,
                         rt_review_totals_t *out);

/* Fills doc->cells with the row of table t at doc->row (the caller then
 * advances doc->row), from the model or, for a streamed document, from
 * its source in order. Returns 1 (a row), 0 (no more rows) or a negative
 * RT_E* code. */
int rt_review_next_row(rt_review_doc_t *doc, const rt_review_table_t *t);

/* ---- streaming (review_stream.c) ---- */

/* A stream over in's source (copied; the source itself is borrowed). */
int rt_review_stream_open(const rt_review_stream_input_t *in,
                          rt_review_stream_t **out, rt_error_t *err);
/* The first pass: reads every subject once and works out the figures
 * at the head of the document (*summary, owned by the stream; its lists
 * of changes, overdue items, indicators and ids are left empty: they are
 * walked as the document is written) and *totals. Memory: the distinct
 * keys (themes, actors with their names, SDG targets, GCM objectives),
 * never the records. Sets base->actors to the actors' names (owned by the
 * stream). breakdowns (may be NULL): [0] and [1] set to the SDG and GCM
 * rows' per-status counts (malloc'd; rt_review_ctx_t.sdg_breakdown and
 * gcm_breakdown, which rt_review_ctx_close frees). read_figures false
 * (CSV: a table, no figures): only reads the names and makes base the
 * document's model; *summary stays NULL. */
int rt_review_stream_figures(rt_review_stream_t *st, rt_review_model_t *base,
                             bool read_figures,
                             Rectrack__V1__ReviewSummary **summary,
                             rt_review_totals_t *totals,
                             rt_review_breakdown_t **breakdowns);
/* The next row of table t in the document's order (see
 * rt_review_next_row); sets doc->ctx to the row's subject, and back to
 * the document's model and summary after the last row. */
int rt_review_stream_row(rt_review_doc_t *doc, const rt_review_table_t *t);
int rt_review_stream_indicator(rt_review_doc_t *doc,
                               const rt_review_item_t **item,
                               const rt_review_model_t **model);
int rt_review_stream_listed(rt_review_doc_t *doc, int kind,
                            const ProtobufCMessage **record);
void rt_review_stream_free(rt_review_stream_t *stream);

/* How a document format (HTML, Markdown) writes a table; the rows are
 * walked by rt_review_table_step(), the same for every format. */
typedef struct rt_review_table_style {
  /* The section heading of table t. */
  void (*heading)(rt_review_doc_t *doc, const rt_review_table_t *t);
  const char *none; /* written after the heading when t has no rows */
  /* Opens a table: its column headings. */
  void (*open)(rt_review_doc_t *doc, const rt_review_table_t *t);
  /* Called before the first row of each theme of a table grouped by theme
   * (recommendations): closes the previous group (when doc->row > 0) and
   * opens one for theme ("" for no theme). */
  void (*group)(rt_review_doc_t *doc, const rt_review_table_t *t,
                const char *theme);
  void (*cell)(rt_review_doc_t *doc, const rt_review_column_t *col,
               const rt_review_cell_t *cell);
  const char *row_start, *row_end, *table_end;
  size_t rows_per_step;
} rt_review_table_style_t;

/* Writes the next rows of table t in style (the heading first, at doc->row
 * 0), only the RT_COL_DOC columns. by_theme: t is the recommendations
 * table, written one table per theme. Returns 1 when the table is finished
 * (doc->row is then 0 again), 0 when rows remain, or RT_ENOMEM. */
int rt_review_table_step(rt_review_doc_t *doc, const rt_review_table_t *t,
                         bool by_theme, const rt_review_table_style_t *style);

/* Each appends the next unit of its document (a section head, a few rows,
 * a chart) to doc->out and sets doc->done at the end. 0 or RT_ENOMEM. */
int rt_review_html_step(rt_review_doc_t *doc);
int rt_review_md_step(rt_review_doc_t *doc);
int rt_review_csv_step(rt_review_doc_t *doc);
int rt_review_json_step(rt_review_doc_t *doc);

/* SVG charts (review_svg.c), appended to b. */
void rt_review_svg_status_bars(rt_review_buf_t *b, const rt_review_model_t *m,
                               Rectrack__V1__StatusCount *const *counts,
                               size_t count, size_t max_bars, const char *title,
                               const char *axis_label, const char *key_label,
                               rt_review_key_kind_t keys);
/* One 100% bar of all items by status (counts: by_status), with legend. */
void rt_review_svg_status_overview(rt_review_buf_t *b,
                                   Rectrack__V1__StatusCount *const *counts,
                                   size_t count);
void rt_review_svg_indicator(rt_review_buf_t *b, rt_review_buf_t *scratch,
                             const rt_review_item_t *item,
                             const rt_review_model_t *m);
/* The disaggregated series of a commitment (review_svg_series.c): a
 * chart per series, or small multiples (one grid of small charts on
 * shared scales) when it has more than RT_REVIEW_SERIES_APART. */
#define RT_REVIEW_SERIES_APART 4
void rt_review_svg_series(rt_review_buf_t *b, rt_review_buf_t *scratch,
                          const rt_review_item_t *item,
                          const rt_review_model_t *m);
/* Shared pieces of the charts (review_svg.c): a 1-2-5 tick step for about
 * five ticks over range; a number as the charts write it; a chart's
 * opening (<figure><svg> with an accessible <title>, and a visible
 * heading when heading is set) and its close, with an optional caption. */
double rt_review_svg_nice_step(double range);
void rt_review_svg_put_number(rt_review_buf_t *b, double v);
void rt_review_svg_open(rt_review_buf_t *b, int width, int height,
                        const char *title, bool heading);
void rt_review_svg_close(rt_review_buf_t *b, const char *caption);
/* Status colour (Okabe-Ito palette, safe for colour-blind readers). */
const char *rt_review_status_colour(int status);

/* XLSX (review_xlsx.c). */
typedef struct rt_review_xlsx rt_review_xlsx_t;
int rt_review_xlsx_new(rt_review_doc_t *doc, rt_review_xlsx_t **out,
                       rt_error_t *err);
/* Writes a batch of rows; sets *complete when the file is closed and
 * readable through rt_review_xlsx_read(). */
int rt_review_xlsx_step(rt_review_xlsx_t *x, bool *complete);
/* Reads up to cap bytes of the finished file; 0 at the end. */
int rt_review_xlsx_read(rt_review_xlsx_t *x, uint8_t *dst, size_t cap,
                        size_t *len);
void rt_review_xlsx_free(rt_review_xlsx_t *x);

#endif /* RT_REVIEW_INTERNAL_H */
