/*
 * rt_review: the follow-up review. Computes the figures of a review period
 * (GetReviewSummary) and renders the review as a document people read
 * (ExportReview): HTML with inline SVG charts, Markdown, CSV, JSON, XLSX;
 * and draws any one of those charts alone, for a web page.
 *
 * Owns: the review semantics (status as of a date, changes in a period,
 * overdue, indicator progress and trajectory, "no information") and the
 * five renderers. Calls only rt_proto (rectrack.v1 messages, rt_enum),
 * rt_error, rt_validate, rt_reference, jansson and libxlsxwriter. It knows
 * nothing of storage or the network: the caller reads the data set in one
 * consistent snapshot and hands it over as arrays of messages, or as a
 * source (callbacks over that snapshot, see rt_review_stream_new) that the
 * renderer reads as it goes, and sends the chunks it gets back.
 *
 * Typical use by the service (one export):
 *
 *   rt_review_input_t in = {from, to, as_of, revision, recs, n, ...};
 *   rt_review_renderer_t *r;
 *   if (rt_review_renderer_new(&in, NULL, RT_REVIEW_HTML, NULL, &r, &err))
 *     -> INVALID_ARGUMENT / INTERNAL from err.code
 *   each loop turn:
 *     rc = rt_review_renderer_next(r, &data, &len);
 *     rc == 1: send data[0..len) if len > 0, then call again next turn
 *     rc == 0: finished, send trailers; rc < 0: error
 *   rt_review_renderer_free(r); then free the input arrays.
 *
 * Semantics (docs/review.md has the long form):
 *  - Archived recommendations and commitments are left out of everything,
 *    and so are their follow-ups and measurements.
 *  - Only validated follow-ups and measurements count (review_state
 *    VALIDATED, or UNSPECIFIED: recorded before review states existed).
 *    A submission awaiting validation counts towards pending_count and,
 *    when it is the item's latest one dated <= as_of, shows as the item's
 *    self-reported status where that differs from the official one; a
 *    returned one counts for nothing.
 *  - Status as of D: the status of the subject's latest follow-up whose
 *    as_of <= D (ties on as_of broken by the higher revision);
 *    NO_INFORMATION when there is none. The stored status field of a
 *    Recommendation/Commitment is NOT used: the review is reproducible for
 *    any past as_of.
 *  - Changed in the period: a follow-up with from <= as_of <= to whose status
 *    differs from the status of the subject's follow-up before it (in
 *    (as_of, revision) order; NO_INFORMATION before the first).
 *  - Overdue: due_date set, due_date < as_of and status as of as_of not
 *    IMPLEMENTED/WITHDRAWN; days_overdue = as_of - due_date.
 *  - Indicator (a commitment with an indicator): latest = the measurement
 *    with the latest as_of <= review as_of; progress = (latest - baseline) /
 *    (target - baseline), unclamped (negative: moved away from the target);
 *    trajectory ACHIEVED (latest at or beyond the target in the indicator's
 *    direction), ON_TRACK (at least as good as the straight line from
 *    (baseline_date, baseline) to (target_date, target) at the latest's
 *    date), OFF_TRACK, or NO_DATA (no measurement). Direction UNSPECIFIED
 *    is taken from the sign of target - baseline (higher is better when
 *    they are equal). A baseline or target that is not finite gives
 *    progress NaN and NO_DATA. Measurements after as_of are ignored.
 *    Only measurements without dimensions make this overall figure.
 *  - Series: a commitment's measurements with the same set of dimensions
 *    are one series, with its latest value and trajectory by the rule
 *    above, and beyond the indicator's series_ceiling when its latest
 *    value is (greater for a decreasing indicator, smaller otherwise).
 *  - CSV text cells starting with = + - @ TAB CR get a leading ' (OWASP
 *    CSV injection); numbers are left alone.
 *  - No information: an active item, neither implemented nor withdrawn
 *    as of as_of, with no follow-up dated in the period.
 *  - Names: every document shows names beside or instead of ids (theme
 *    titles from common/rt_reference.h and the input's added themes,
 *    actor names, source titles with dates, SDG target labels, GCM
 *    objective titles); CSV, JSON and XLSX keep the ids and add columns.
 *  - Lists are sorted deterministically; ids compare "naturally" (R2 < R10).
 */
#ifndef RT_REVIEW_H
#define RT_REVIEW_H

#include "rt_error.h"

#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest chunk rt_review_renderer_next() hands out (64 KiB). */
#define RT_REVIEW_CHUNK_MAX 65536

/* Output formats; the values are those of rectrack.v1.ExportFormat. */
typedef enum rt_review_format {
  RT_REVIEW_HTML = RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_HTML,
  RT_REVIEW_MARKDOWN = RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_MARKDOWN,
  RT_REVIEW_CSV = RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_CSV,
  RT_REVIEW_JSON = RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_JSON,
  RT_REVIEW_XLSX = RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_XLSX,
} rt_review_format_t;

/*
 * The review's data set, borrowed: rt_review never frees or modifies any of
 * it, and it must stay valid and unchanged while a summary is computed or a
 * renderer that was given it is alive. Arrays may be NULL when their count
 * is 0. Give ALL records (archived ones are skipped here), ALL follow-ups
 * (every date: history before the period decides the "from" status of a
 * change) and ALL measurements (each with commitment_id set).
 * Dates are YYYY-MM-DD. to_date is required; from_date may be "" or NULL
 * (no lower bound); as_of may be "" or NULL (= to_date).
 */
typedef struct rt_review_input {
  const char *from_date;
  const char *to_date;
  const char *as_of;
  uint64_t revision; /* snapshot revision, copied into the summary */
  Rectrack__V1__Recommendation *const *recommendations;
  size_t recommendation_count;
  Rectrack__V1__Commitment *const *commitments;
  size_t commitment_count;
  Rectrack__V1__FollowUp *const *follow_ups;
  size_t follow_up_count;
  Rectrack__V1__Measurement *const *measurements;
  size_t measurement_count;
  Rectrack__V1__Actor *const *actors; /* names for charts and tables */
  size_t actor_count;
  Rectrack__V1__Source *const *sources;
  size_t source_count;
  /* Themes added at run time, for their titles (those of the reference
   * lists are compiled in); may be empty. */
  Rectrack__V1__Theme *const *themes;
  size_t theme_count;
  /* The summary's lists (changes, overdue, indicators, no-information
   * ids, and the actors of by_actor) hold at most this many entries,
   * the first in their documented order; their *_count fields count them
   * all. 0: every entry (what an export renders). */
  size_t max_list_items;
} rt_review_input_t;

/*
 * Computes the review figures. On success *out is a new ReviewSummary that
 * owns all its memory (it shares nothing with in): pack it as the reply and
 * release it with rt_review_summary_free(). Returns 0, RT_EINVAL (a bad
 * from_date/to_date/as_of, or from_date > to_date; err->field names it) or
 * RT_ENOMEM. Runs in O(n log n) of the input size and does no I/O.
 */
int rt_review_compute(const rt_review_input_t *in,
                      Rectrack__V1__ReviewSummary **out, rt_error_t *err);

/* Frees a summary from rt_review_compute(). NULL is a no-op. */
void rt_review_summary_free(Rectrack__V1__ReviewSummary *summary);

/* A document being produced piece by piece. */
typedef struct rt_review_renderer rt_review_renderer_t;

/*
 * Starts an export. summary may be NULL (the renderer computes its own) or
 * a summary from rt_review_compute() for the same input, which is then
 * borrowed and must outlive the renderer. table names the CSV table:
 * "recommendations" (default when NULL or ""), "commitments",
 * "follow-ups", "measurements" or "series" (disaggregated series); it
 * must be NULL or "" for other formats.
 * For XLSX the workbook is built in a temporary file (in $TMPDIR or /tmp)
 * that is unlinked as soon as it is complete.
 * Returns 0 with *out set (free it with rt_review_renderer_free()),
 * RT_EINVAL (bad format, table or dates; err->field says which),
 * RT_ENOMEM or RT_EIO (temporary file).
 */
int rt_review_renderer_new(const rt_review_input_t *in,
                           const Rectrack__V1__ReviewSummary *summary,
                           rt_review_format_t format, const char *table,
                           rt_review_renderer_t **out, rt_error_t *err);

/*
 * Produces the next piece of the document, doing a bounded amount of work
 * (about one chunk of output, or a batch of XLSX rows), so that the caller
 * can call it once per loop turn without holding the loop for long.
 * Returns 1 with *chunk and *len set: 0 < len <= RT_REVIEW_CHUNK_MAX bytes to
 * send, or len == 0 (XLSX only, while the workbook is being built: nothing
 * to send yet, call again). Returns 0 when the document is complete
 * (*len = 0), or a negative RT_E* code (RT_ENOMEM, RT_EIO) after which the
 * document is unusable. The bytes belong to the renderer and stay valid
 * until the next call or rt_review_renderer_free().
 */
int rt_review_renderer_next(rt_review_renderer_t *r, const uint8_t **chunk,
                            size_t *len);

/* ---- streaming: the data set read as the document is rendered ----------
 *
 * Instead of arrays, the caller may hand the renderer a source: callbacks
 * over one read snapshot that the caller holds for the renderer's life.
 * The renderer then walks the records in the order the document lists
 * them, asks for each subject's follow-ups and measurements when it
 * reaches it, works out that subject's figures (the same code as for
 * arrays, on a data set of one subject) and writes its rows, so that its
 * memory is one subject's records plus one chunk of output, whatever the
 * size of the data set. The figures that head the document come from a
 * first pass over the same source (when rt_review_stream_new() is
 * called; a CSV table has none), which keeps the distinct keys (themes,
 * actors with their names, SDG targets, GCM objectives), never the
 * records. The document is byte for byte the one the arrays of the same
 * snapshot give, in every format.
 */

/* What the renderer asks a source to walk. */
typedef enum rt_review_walk_kind {
  /* Recommendations whose theme is walk.theme, in id order (R2 before
   * R10); theme "": those without a theme. */
  RT_REVIEW_WALK_THEME = 1,
  /* Every commitment, in id order. */
  RT_REVIEW_WALK_COMMITMENTS,
  /* Follow-ups whose as_of lies in [walk.from_date, walk.to_date]
   * (from_date "": no lower bound), by as_of then revision. */
  RT_REVIEW_WALK_PERIOD,
  /* Every recommendation, in id order. */
  RT_REVIEW_WALK_RECOMMENDATIONS,
  /* Recommendations and commitments whose due date is before
   * walk.before, by due date; on the same date recommendations first,
   * each kind in id order. */
  RT_REVIEW_WALK_DUE,
  /* Every actor, by id (byte order); every source, in an order of the
   * source's that stays the same for the snapshot. Record: an Actor or a
   * Source. */
  RT_REVIEW_WALK_ACTORS,
  RT_REVIEW_WALK_SOURCES,
  /* The themes added at run time (Theme), for their titles; any order. */
  RT_REVIEW_WALK_ADDED_THEMES,
  /* The recommendations that make or receive an echoes or supersedes
   * link (lines of follow-up, docs/review.md), in any order; a superset
   * will do (the others are dropped), at the cost of the memory of each
   * one handed out, which the renderer copies until the walk ends. */
  RT_REVIEW_WALK_LINKED,
} rt_review_walk_kind_t;

typedef struct rt_review_walk {
  rt_review_walk_kind_t kind;
  const char *theme;
  const char *from_date, *to_date;
  const char *before;
} rt_review_walk_t;

/*
 * A data source, implemented by the caller over one consistent snapshot.
 * Walks may include archived records (the renderer skips them). Every
 * follow-up has subject_id set and every measurement commitment_id.
 * Callbacks return 0 (or 1 where said) on success and a negative RT_E*
 * code on failure, which the renderer returns as it is. Everything a
 * callback hands out stays valid and unchanged until the next release();
 * the renderer calls release() after each subject, so that a source may
 * free what it handed out then (an arena reset).
 */
typedef struct rt_review_source {
  void *data; /* passed to every callback */
  /* The distinct themes of the recommendations, any order; "" among them
   * when some have no theme (or when the source cannot tell: then the
   * walk of "" may be empty). */
  int (*themes)(void *data, const char *const **themes, size_t *n);
  /* Starts a walk, ending the one before. */
  int (*open)(void *data, const rt_review_walk_t *walk);
  /* The next record of the walk: 1 with *record set (a Recommendation,
   * Commitment, FollowUp, Actor, Source or Theme as the walk says), 0 at
   * its end. */
  int (*next)(void *data, const ProtobufCMessage **record);
  /* One subject's follow-ups (every date, any order). */
  int (*follow_ups)(void *data, const char *subject_id,
                    Rectrack__V1__FollowUp *const **follow_ups, size_t *n);
  /* One commitment's measurements (every date, any order). */
  int (*measurements)(void *data, const char *commitment_id,
                      Rectrack__V1__Measurement *const **measurements,
                      size_t *n);
  /* The recommendation or commitment with id: *record set, or NULL when
   * there is none. */
  int (*subject)(void *data, const char *id, const ProtobufCMessage **record);
  /* Everything handed out so far may be freed. */
  void (*release)(void *data);
} rt_review_source_t;

/* The period of a streamed review and its source (borrowed: it must stay
 * valid while the renderer is alive). Dates as in rt_review_input_t. */
typedef struct rt_review_stream_input {
  const char *from_date;
  const char *to_date;
  const char *as_of;
  uint64_t revision;
  const rt_review_source_t *source;
} rt_review_stream_input_t;

/*
 * Starts an export rendered from a source, and runs its first pass (the
 * figures; O(subjects) time, so call it where a long step is fine: the
 * service calls it on a worker). Returns 0 with *out set (use it as any
 * renderer: rt_review_renderer_next, rt_review_renderer_free), RT_EINVAL
 * (bad format, table or dates; err->field says which), RT_ENOMEM or the
 * source's error code.
 */
int rt_review_stream_new(const rt_review_stream_input_t *in,
                         rt_review_format_t format, const char *table,
                         rt_review_renderer_t **out, rt_error_t *err);

/*
 * rt_review_compute() from a source: the same summary, byte for byte,
 * with at most max_list_items entries per list (0: all; see
 * rt_review_input_t). A first pass over the subjects gives the figures
 * (its memory: the distinct themes, actors, SDG targets and GCM
 * objectives), then each list is walked in its order until it is full.
 * Returns 0 with *out (free with rt_review_summary_free), RT_EINVAL (bad
 * dates), RT_ENOMEM, or the source's error.
 */
int rt_review_compute_stream(const rt_review_stream_input_t *in,
                             size_t max_list_items,
                             Rectrack__V1__ReviewSummary **out,
                             rt_error_t *err);

/* Frees the renderer, its buffers and any temporary file. NULL is a no-op. */
void rt_review_renderer_free(rt_review_renderer_t *r);

/* The MIME type of a format ("text/html; charset=utf-8"); static string,
 * NULL for an unknown format. */
const char *rt_review_content_type(rt_review_format_t format);

/* The tables a CSV export can be, as a reader sees them listed. */
#define RT_REVIEW_CSV_TABLES                                                   \
  "recommendations, commitments, follow-ups, measurements, pledges or "        \
  "series"
/* The name of the CSV table called name (a static string), or NULL when
 * there is no such table. NULL or "" is the first, recommendations. */
const char *rt_review_csv_table(const char *name);

/*
 * Writes the suggested file name, e.g. "review-2024-01-01-2024-12-31.html"
 * or "review-commitments-...csv" for CSV, into out (size bytes, always
 * NUL-terminated). Returns 0 or RT_EINVAL (unknown format/table).
 */
int rt_review_filename(rt_review_format_t format, const char *table,
                       const char *from_date, const char *to_date, char *out,
                       size_t size);

/* The charts of the HTML review, each of which a page can show alone. */
typedef enum rt_review_chart {
  RT_REVIEW_CHART_STATUS,    /* all items by status, as one 100% bar */
  RT_REVIEW_CHART_THEMES,    /* recommendations by theme and status */
  RT_REVIEW_CHART_ACTORS,    /* items by actor and status, the top 20 */
  RT_REVIEW_CHART_INDICATOR, /* one commitment's measurements vs its path */
} rt_review_chart_t;

/*
 * Draws one chart of the review of in, exactly as the HTML export draws
 * it: a <figure> holding an inline <svg role="img"> with a <title>, its
 * only style attribute "unicode-bidi:isolate", and no script. summary may
 * be NULL (computed here) or rt_review_compute()'s for the same input.
 * commitment_id names the commitment of RT_REVIEW_CHART_INDICATOR (NULL
 * for the others). On success *svg is a new NUL-terminated string of *len
 * bytes the caller frees with free(). Returns 0, RT_ENOTFOUND (no such
 * commitment, or it has no indicator), RT_EINVAL (bad dates, unknown
 * chart) or RT_ENOMEM.
 */
int rt_review_chart_svg(const rt_review_input_t *in,
                        const Rectrack__V1__ReviewSummary *summary,
                        rt_review_chart_t chart, const char *commitment_id,
                        char **svg, size_t *len, rt_error_t *err);

#endif /* RT_REVIEW_H */
