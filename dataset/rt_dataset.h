/*
 * rt_dataset: rectrack's JSON import format ("rectrack-import/1", described
 * in data/README.md), read into ready-to-send rectrack.v1 requests and
 * written back from records, plus the lower-case spellings of the enums
 * that the format and the CLI share.
 *
 * Owns: parsing and validating an import file, the file-local keys and the
 * references between items, deterministic request ids, the writer, the
 * enum <-> name tables. Calls: jansson, libsodium (SHA-256), protobuf-c
 * (rectrack.v1 messages), common/ (rt_error, rt_validate).
 * Knows nothing of storage or the network: the CLI sends the items over
 * gRPC, rectrack-admin applies them to a store.
 *
 * Using a parsed dataset: walk the items in order; an item may refer to
 * items before it (a commitment to recommendations, a follow-up to its
 * subject). Before sending item i call rt_dataset_resolve(ds, i) to write
 * the server ids of the items it refers to into its request; after the
 * server created it, call rt_dataset_set_server_id(ds, i, "R12").
 * rt_dataset_load.h does that walk in batches for a writer.
 */
#ifndef RT_DATASET_H
#define RT_DATASET_H

#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"
#include "rt_error.h"

#include <stdbool.h>
#include <stddef.h>

/* The value of the "format" member every import file carries. */
#define RT_DATASET_FORMAT "rectrack-import/1"
/* The format of the JSON Lines form (the header line's "format"). */
#define RT_DATASET_LINES_FORMAT "rectrack-import-lines/1"

/* At most this many problems are kept in an rt_dataset_errors_t (all are
 * counted). */
#define RT_DATASET_MAX_ERRORS 1000

/* Enum values are written and read as their slugs ("in-progress",
 * "side-event"; rt_enum.h). */

/* True when id has the shape of a server-assigned id: prefix ('R' or 'C')
 * followed by a positive decimal number without leading zero ("R12"). */
bool rt_dataset_is_server_id(const char *id, char prefix);

/* ---- problems found in a file ----------------------------------------- */

typedef struct rt_dataset_problem {
  char *path;    /* JSON path, e.g. "recommendations[12].sdg_targets[0]";
                    "" for the file as a whole */
  char *message; /* full sentence starting with the path */
} rt_dataset_problem_t;

typedef struct rt_dataset_errors {
  rt_dataset_problem_t *problems; /* in the order found (file order) */
  size_t problems_len;            /* kept: at most RT_DATASET_MAX_ERRORS */
  size_t count;                   /* found in total */
} rt_dataset_errors_t;

/* Frees the problems and resets the struct; safe on a zeroed struct. */
void rt_dataset_errors_free(rt_dataset_errors_t *errors);

/* ---- parsed datasets -------------------------------------------------- */

typedef enum rt_dataset_kind {
  RT_DATASET_SOURCE = 1,     /* request: CreateSourceRequest */
  RT_DATASET_ACTOR,          /* request: CreateActorRequest */
  RT_DATASET_RECOMMENDATION, /* request: CreateRecommendationRequest */
  RT_DATASET_COMMITMENT,     /* request: CreateCommitmentRequest */
  RT_DATASET_FOLLOW_UP,      /* request: RecordFollowUpRequest */
  RT_DATASET_MEASUREMENT,    /* request: RecordMeasurementRequest */
  /* A theme the secretariat added at run time (request: CreateThemeRequest).
   * Applied before every other kind: records may be tagged with it. */
  RT_DATASET_THEME,
  /* A dimension key the secretariat added (request:
   * CreateDimensionKeyRequest). Applied with the themes, before every
   * record: measurements may carry it. */
  RT_DATASET_DIMENSION_KEY,
} rt_dataset_kind_t;

/* The last kind, for tables indexed by kind. */
#define RT_DATASET_KIND_LAST RT_DATASET_DIMENSION_KEY

/* Whether items of kind are reference-list entries (themes, dimension
 * keys): created under their own name before any record that uses them. */
bool rt_dataset_is_reference_kind(rt_dataset_kind_t kind);

/* "source", "actor", "recommendation", "commitment", "follow-up",
 * "measurement", "theme", "dimension key" (static string; "unknown"
 * otherwise). */
const char *rt_dataset_kind_name(rt_dataset_kind_t kind);

/* Marks a reference whose key is an existing server id (no item). */
#define RT_DATASET_NO_ITEM ((size_t)-1)

/* A reference from one item to another one's server id. */
typedef struct rt_dataset_ref {
  char *key;     /* as written: a file-local key or a server id ("R12") */
  char *path;    /* where it was written, e.g. "follow_ups[3].subject" */
  size_t target; /* index of the item it names, or RT_DATASET_NO_ITEM */
} rt_dataset_ref_t;

/* One thing to create or record. Read-only for callers, except through
 * the functions below. */
typedef struct rt_dataset_item {
  rt_dataset_kind_t kind;
  /* The request to send, owned by the dataset. Its type follows kind;
   * use the typed pointer that matches. request_id is already set. */
  union {
    ProtobufCMessage *message;
    Rectrack__V1__CreateSourceRequest *source;
    Rectrack__V1__CreateActorRequest *actor;
    Rectrack__V1__CreateRecommendationRequest *recommendation;
    Rectrack__V1__CreateCommitmentRequest *commitment;
    Rectrack__V1__RecordFollowUpRequest *follow_up;
    Rectrack__V1__RecordMeasurementRequest *measurement;
    Rectrack__V1__CreateThemeRequest *theme;
    Rectrack__V1__CreateDimensionKeyRequest *dimension_key;
  } request;
  /* File-local key: the id of a theme, source or actor, the "key" of a
   * recommendation or commitment; NULL for follow-ups and measurements. */
  char *key;
  char *path; /* e.g. "recommendations[12]" */
  /* "import:" + 64 hex digits: SHA-256 over the kind, key and content of
   * the item as written (references as keys, not ids), and its rank
   * among identical items. The same file always yields the same ids, so
   * re-running an import creates nothing new. */
  char *request_id;
  rt_dataset_ref_t *refs; /* the items this one refers to */
  size_t refs_len;
  char *server_id; /* set by rt_dataset_set_server_id, else NULL */
} rt_dataset_item_t;

typedef struct rt_dataset rt_dataset_t;

/* Parses and validates a whole import document. Every problem is
 * collected into errors (which the caller frees with
 * rt_dataset_errors_free) with its JSON path; nothing is returned unless
 * the whole document is valid.
 * name labels syntax errors ("demo.json:12:5: ..."); may be NULL.
 * On success *out owns the items; free with rt_dataset_free.
 * Errors: RT_EINVAL (see errors), RT_ENOMEM, RT_EIO (file unreadable; err
 * says why). */
int rt_dataset_parse_buffer(const char *data, size_t len, const char *name,
                            rt_dataset_t **out, rt_dataset_errors_t *errors,
                            rt_error_t *err);
int rt_dataset_parse_file(const char *path, rt_dataset_t **out,
                          rt_dataset_errors_t *errors, rt_error_t *err);

/* Frees the dataset and every item's request. NULL is a no-op. */
void rt_dataset_free(rt_dataset_t *dataset);

/* Items in the order they must be applied: themes and dimension keys
 * (records are tagged with them, measurements carry them), actors, sources (a
 * source names its organisers), recommendations, commitments (each in file
 * order), then follow-ups and measurements in file order. */
size_t rt_dataset_count(const rt_dataset_t *dataset);
size_t rt_dataset_count_kind(const rt_dataset_t *dataset,
                             rt_dataset_kind_t kind);
/* Borrowed pointer, valid until rt_dataset_free; NULL past the end. */
rt_dataset_item_t *rt_dataset_item(rt_dataset_t *dataset, size_t index);

/* True when every item that item index refers to has a server id (so
 * rt_dataset_resolve will succeed). */
bool rt_dataset_is_ready(const rt_dataset_t *dataset, size_t index);

/* Writes the server ids of the items that item index refers to into its
 * request (recommendation_ids, subject_id, commitment_id). Can be called
 * again. Errors: RT_ENOTFOUND (a referenced item has no server id yet;
 * err names the path and key), RT_ENOMEM, RT_EINVAL (bad index). */
int rt_dataset_resolve(rt_dataset_t *dataset, size_t index, rt_error_t *err);

/* Records the server id item index was created under (copied).
 * Errors: RT_EINVAL (bad index or empty id), RT_ENOMEM. */
int rt_dataset_set_server_id(rt_dataset_t *dataset, size_t index,
                             const char *server_id, rt_error_t *err);

/* Checks the themes of dataset against the added themes a server or
 * store holds already (existing, borrowed, n of them): a theme item whose
 * id is there with the same title and source_ref will count as already
 * present; one whose title or source_ref differs is a problem naming the
 * item ("themes[0].title: theme \"x\" exists already with the title
 * ..."), appended to errors (which the caller frees). Returns 0, RT_EINVAL
 * (problems found) or RT_ENOMEM. */
int rt_dataset_check_existing_themes(const rt_dataset_t *dataset,
                                     Rectrack__V1__Theme *const *existing,
                                     size_t n, rt_dataset_errors_t *errors,
                                     rt_error_t *err);

/* The same for dimension keys: an item whose key an added key already has
 * must agree with it in title, value rule, values and source_ref
 * ("dimension_keys[0].title: dimension key \"route\" exists already with
 * the title ..."). Returns as rt_dataset_check_existing_themes. */
int rt_dataset_check_existing_dimension_keys(
    const rt_dataset_t *dataset, Rectrack__V1__DimensionKey *const *existing,
    size_t n, rt_dataset_errors_t *errors, rt_error_t *err);

/* ---- the JSON Lines form, read record by record ------------------------ */

/*
 * A JSON Lines import file (data/README.md): a header line, then one item
 * per line, each referring only to items on lines before it. It is read
 * in segments, each a dataset of its own that the caller loads (with
 * rt_dataset_load) and frees before it asks for the next, so that memory
 * does not grow with the file:
 *
 *   rt_dataset_check_lines(path, &n, &errors, &err);   every problem, or 0
 *   rt_dataset_stream_open(path, &s, &err);
 *   while (rt_dataset_stream_next(s, 4096, &segment, &errors, &err) == 0 &&
 *          segment != NULL) {
 *     load segment; rt_dataset_stream_retire(s, segment);
 *     rt_dataset_free(segment);
 *   }
 *   rt_dataset_stream_close(s);
 *
 * Paths in problems name the line: "line 12: sdg_targets[0]: ...".
 * Request ids are those the document form gives the same items.
 */
typedef struct rt_dataset_stream rt_dataset_stream_t;

/* True when path starts with the JSON Lines header. */
bool rt_dataset_is_lines_file(const char *path);

/* Reads the whole file once and checks every line, keeping only what
 * later lines may refer to. *items counts the items. Returns 0, RT_EINVAL
 * (problems in errors, which the caller frees), RT_EIO or RT_ENOMEM. */
int rt_dataset_check_lines(const char *path, size_t *items,
                           rt_dataset_errors_t *errors, rt_error_t *err);

/* Opens path for reading in segments; close with rt_dataset_stream_close.
 * Errors: RT_EIO, RT_ENOMEM. */
int rt_dataset_stream_open(const char *path, rt_dataset_stream_t **out,
                           rt_error_t *err);

/* Reads up to max_items items into *segment (the caller frees it with
 * rt_dataset_free, after rt_dataset_stream_retire), NULL at the end.
 * References to items of earlier segments name the server ids those
 * segments' loads gave them. Returns 0, RT_EINVAL (a line has a problem:
 * errors has it; nothing is returned), RT_EIO or RT_ENOMEM. */
int rt_dataset_stream_next(rt_dataset_stream_t *s, size_t max_items,
                           rt_dataset_t **segment, rt_dataset_errors_t *errors,
                           rt_error_t *err);

/* Remembers what later lines may ask of segment's items (their keys,
 * server ids and lines) before the segment is freed. */
void rt_dataset_stream_retire(rt_dataset_stream_t *s,
                              const rt_dataset_t *segment);

/* Lines read so far. */
size_t rt_dataset_stream_lines(const rt_dataset_stream_t *s);

void rt_dataset_stream_close(rt_dataset_stream_t *s);

/* ---- writing ---------------------------------------------------------- */

/* Records to write, borrowed. Recommendations and commitments are keyed by
 * their server ids; a measurement names its commitment in commitment_id.
 * Server-filled fields (revision, status, timestamps, ...) are not part
 * of the format and are left out. Any list may be empty. */
typedef struct rt_dataset_records {
  Rectrack__V1__Source *const *sources;
  size_t sources_len;
  Rectrack__V1__Actor *const *actors;
  size_t actors_len;
  Rectrack__V1__Recommendation *const *recommendations;
  size_t recommendations_len;
  Rectrack__V1__Commitment *const *commitments;
  size_t commitments_len;
  Rectrack__V1__FollowUp *const *follow_ups;
  size_t follow_ups_len;
  Rectrack__V1__Measurement *const *measurements;
  size_t measurements_len;
  /* Themes added at run time (compiled ones are every server's already);
   * the "themes" section is written only when there is one. */
  Rectrack__V1__Theme *const *themes;
  size_t themes_len;
  /* Dimension keys added at run time; the "dimension_keys" section is
   * written only when there is one. */
  Rectrack__V1__DimensionKey *const *dimension_keys;
  size_t dimension_keys_len;
} rt_dataset_records_t;

/* Writes records as an import document (UTF-8, 2-space indented, ends in
 * a newline). Empty optional fields are left out. Numbers are written so
 * that they read back as the same doubles. On success *out is a
 * NUL-terminated string of *out_len bytes the caller frees with free().
 * Errors: RT_EINVAL (a record has a value the format cannot express, e.g.
 * an UNSPECIFIED enum; err names it), RT_ENOMEM. */
int rt_dataset_write(const rt_dataset_records_t *records, char **out,
                     size_t *out_len, rt_error_t *err);

/* The JSON Lines form, one line at a time: the header, then one record
 * (a message of the kind's record type: Source, Actor, Recommendation,
 * Commitment, FollowUp, Measurement with commitment_id set, Theme,
 * DimensionKey) per line; themes and dimension keys go first.
 * *out is a NUL-terminated line ending in a newline, freed by the caller.
 * Errors: RT_EINVAL (as rt_dataset_write, or an unknown kind), RT_ENOMEM. */
int rt_dataset_write_lines_header(char **out, size_t *out_len, rt_error_t *err);
int rt_dataset_write_line(rt_dataset_kind_t kind,
                          const ProtobufCMessage *record, char **out,
                          size_t *out_len, rt_error_t *err);

#endif /* RT_DATASET_H */
