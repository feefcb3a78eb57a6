/*
 * The review's tables, defined once for every format: each table is a list
 * of typed columns and a function that fills one row's cells from the
 * model or the summary. HTML and Markdown show the columns flagged
 * RT_COL_DOC; CSV, JSON and XLSX show them all, typed (dates, numbers,
 * statuses, lists), so that the same row reads the same everywhere.
 */
#include "review_lineage.h"

#include "rt_reference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC RT_COL_DOC
#define PCT RT_COL_PERCENT
#define COLUMNS(a) a, sizeof a / sizeof a[0]

static const char *const gcm_names[] = {
    "",   "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10", "11",
    "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"};

/* The spellings are rt_enum's, the one table of them. */
static const char *slug_or_empty(const ProtobufCEnumDescriptor *type,
                                 int value) {
  const char *slug = rt_enum_slug(type, value);
  return slug ? slug : "";
}

const char *rt_review_subject_type_name(int type) {
  return slug_or_empty(&rectrack__v1__subject_type__descriptor, type);
}

const char *rt_review_direction_name(int direction) {
  return slug_or_empty(&rectrack__v1__direction__descriptor, direction);
}

const char *rt_review_commitment_kind_name(int kind) {
  return slug_or_empty(&rectrack__v1__commitment_kind__descriptor, kind);
}

static void set_text(rt_review_cell_t *c, const char *s) {
  c->text = s ? s : "";
  c->empty = c->text[0] == '\0';
}

static void set_number(rt_review_cell_t *c, double v, bool present) {
  c->number = v;
  c->empty = !present || !isfinite(v); /* NaN/inf: no value in any format */
}

static void set_int(rt_review_cell_t *c, long v, bool present) {
  c->integer = v;
  c->empty = !present;
}

static void set_list(rt_review_cell_t *c, char *const *list, size_t n) {
  c->list = list;
  c->list_len = n;
  c->empty = n == 0;
}

static int set_gcm(rt_review_ctx_t *ctx, rt_review_cell_t *c,
                   const int32_t *objectives, size_t n) {
  if (n > ctx->gcm_cap) {
    char **bigger = realloc(ctx->gcm, n * sizeof *bigger);
    if (bigger == NULL)
      return RT_ENOMEM;
    ctx->gcm = bigger;
    ctx->gcm_cap = n;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (objectives[i] >= 1 && objectives[i] <= 23)
      ctx->gcm[k++] = (char *)gcm_names[objectives[i]];
  set_list(c, ctx->gcm, k);
  return 0;
}

static const char *latest_date(const rt_review_item_t *it) {
  return it->latest ? it->latest->as_of : "";
}

/* The names of the actors of ids, in ctx's scratch list. */
static int set_actor_names(rt_review_ctx_t *ctx, rt_review_cell_t *c,
                           char *const *ids, size_t n) {
  if (n > ctx->names_cap) {
    char **bigger = realloc(ctx->names, n * sizeof *bigger);
    if (bigger == NULL)
      return RT_ENOMEM;
    ctx->names = bigger;
    ctx->names_cap = n;
  }
  for (size_t i = 0; i < n; i++)
    ctx->names[i] = (char *)rt_review_actor_name(ctx->model, ids[i]);
  set_list(c, ctx->names, n);
  return 0;
}

static void set_actor(const rt_review_ctx_t *ctx, rt_review_cell_t *c,
                      const char *id) {
  set_text(c, id && id[0] ? rt_review_actor_name(ctx->model, id) : "");
}

static void set_source(rt_review_ctx_t *ctx, rt_review_cell_t *c,
                       const char *id) {
  set_text(c, rt_review_source_label(ctx->model, id, ctx->source_text,
                                     sizeof ctx->source_text));
}

/* ---- recommendations ---- */

/* The recommendations table of the documents is one table per theme,
 * under the theme's title: its theme columns are for the data formats. */
static const rt_review_column_t rec_columns[] = {
    {"id", "Id", RT_CELL_TEXT, DOC, 8},
    {"theme", "Theme id", RT_CELL_TEXT, 0, 16},
    {"theme_title", "Theme", RT_CELL_TEXT, 0, 30},
    {"title", "Title", RT_CELL_TEXT, DOC, 40},
    {"text", "Text", RT_CELL_TEXT, 0, 60},
    {"source_id", "Source id", RT_CELL_TEXT, 0, 16},
    {"source_title", "Source", RT_CELL_TEXT, DOC, 24},
    {"source_ref", "Reference", RT_CELL_TEXT, DOC, 12},
    {"sdg_targets", "SDG targets", RT_CELL_LIST, DOC, 14},
    {"gcm_objectives", "GCM objectives", RT_CELL_LIST, DOC, 14},
    {"addressed_to", "Addressed to (ids)", RT_CELL_LIST, 0, 20},
    {"addressed_to_names", "Addressed to", RT_CELL_LIST, 0, 30},
    {"lead_actor_id", "Lead id", RT_CELL_TEXT, 0, 14},
    {"lead_actor_name", "Lead", RT_CELL_TEXT, DOC, 20},
    {"due_date", "Due", RT_CELL_DATE, DOC, 12},
    {"status", "Status", RT_CELL_STATUS, DOC, 20},
    {"last_report", "Last report", RT_CELL_DATE, DOC, 12},
    {"days_overdue", "Days overdue", RT_CELL_INT, DOC, 10},
    {"self_reported", "Self-reported, awaiting validation", RT_CELL_STATUS, DOC,
     20},
    {"specificity", "Specificity", RT_CELL_TEXT, DOC, 12},
    {"specificity_gaps", "Lacks", RT_CELL_LIST, 0, 24},
    {"lineage", "Lineage", RT_CELL_TEXT, DOC, 60},
    {"counted_under", "Counted under", RT_CELL_TEXT, 0, 12},
};

/* The self-reported status, where it differs from the official one. */
static void set_reported(rt_review_cell_t *c, const rt_review_item_t *it) {
  int reported = rt_review_reported_status(it);
  set_int(c, reported, reported != 0);
}

static size_t rec_count(const rt_review_ctx_t *ctx) {
  return ctx->model->rec_count;
}

static int rec_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const rt_review_item_t *it = &ctx->model->recs[row];
  const Rectrack__V1__Recommendation *r = it->rec;
  set_text(&c[0], r->id);
  set_text(&c[1], r->theme);
  set_text(&c[2], rt_review_theme_title(ctx->model, r->theme));
  set_text(&c[3], r->title);
  set_text(&c[4], r->text);
  set_text(&c[5], r->source_id);
  set_source(ctx, &c[6], r->source_id);
  set_text(&c[7], r->source_ref);
  set_list(&c[8], r->sdg_targets, r->n_sdg_targets);
  set_list(&c[10], r->addressed_to, r->n_addressed_to);
  set_text(&c[12], r->lead_actor_id);
  set_actor(ctx, &c[13], r->lead_actor_id);
  set_text(&c[14], r->due_date);
  set_int(&c[15], it->status, true);
  set_text(&c[16], latest_date(it));
  set_int(&c[17], it->days_overdue, it->days_overdue > 0);
  set_reported(&c[18], it);
  set_text(&c[19], slug_or_empty(&rectrack__v1__specificity__descriptor,
                                 r->specificity));
  size_t n_gaps = 0;
  for (size_t k = 0; k < r->n_specificity_gaps && n_gaps < 8; k++) {
    const char *slug = slug_or_empty(&rectrack__v1__specificity_gap__descriptor,
                                     r->specificity_gaps[k]);
    if (slug[0] != '\0')
      ctx->gap_names[n_gaps++] = (char *)slug;
  }
  set_list(&c[20], ctx->gap_names, n_gaps);
  const char *latest = "";
  rt_review_buf_reset(&ctx->lineage_text);
  rt_review_lineage_text_of(ctx->model, ctx->model->lineage, r->id,
                            &ctx->lineage_text, &latest);
  if (ctx->lineage_text.failed)
    return RT_ENOMEM;
  set_text(&c[21], rt_review_buf_str(&ctx->lineage_text));
  set_text(&c[22], strcmp(latest, r->id) != 0 ? latest : "");
  int rc = set_actor_names(ctx, &c[11], r->addressed_to, r->n_addressed_to);
  return rc ? rc : set_gcm(ctx, &c[9], r->gcm_objectives, r->n_gcm_objectives);
}

const rt_review_table_t rt_review_table_recommendations = {
    "recommendations", "Recommendations by theme", COLUMNS(rec_columns),
    rec_count, rec_fill};

/* ---- commitments ---- */

static const rt_review_column_t com_columns[] = {
    {"id", "Id", RT_CELL_TEXT, DOC, 8},
    {"actor_id", "Actor id", RT_CELL_TEXT, 0, 14},
    {"actor_name", "Actor", RT_CELL_TEXT, DOC, 20},
    {"title", "Title", RT_CELL_TEXT, DOC, 40},
    {"text", "Text", RT_CELL_TEXT, 0, 60},
    {"kind", "Kind", RT_CELL_TEXT, DOC, 14},
    {"theme", "Theme id", RT_CELL_TEXT, 0, 14},
    {"theme_title", "Theme", RT_CELL_TEXT, DOC, 24},
    {"recommendation_ids", "Answers", RT_CELL_LIST, DOC, 12},
    {"source_id", "Source id", RT_CELL_TEXT, 0, 14},
    {"source_title", "Source", RT_CELL_TEXT, 0, 24},
    {"made_on", "Made on", RT_CELL_DATE, 0, 12},
    {"due_date", "Due", RT_CELL_DATE, DOC, 12},
    {"status", "Status", RT_CELL_STATUS, DOC, 20},
    {"sdg_targets", "SDG targets", RT_CELL_LIST, DOC, 14},
    {"gcm_objectives", "GCM objectives", RT_CELL_LIST, DOC, 14},
    {"indicator", "Indicator", RT_CELL_TEXT, 0, 24},
    {"unit", "Unit", RT_CELL_TEXT, 0, 10},
    {"direction", "Direction", RT_CELL_TEXT, 0, 10},
    {"baseline_value", "Baseline", RT_CELL_NUMBER, 0, 10},
    {"baseline_date", "Baseline date", RT_CELL_DATE, 0, 12},
    {"target_value", "Target", RT_CELL_NUMBER, 0, 10},
    {"target_date", "Target date", RT_CELL_DATE, 0, 12},
    {"latest_value", "Latest", RT_CELL_NUMBER, 0, 10},
    {"latest_as_of", "Latest as of", RT_CELL_DATE, 0, 12},
    {"progress", "Progress", RT_CELL_NUMBER, PCT, 10},
    {"trajectory", "Trajectory", RT_CELL_TRAJ, DOC, 12},
    {"last_report", "Last report", RT_CELL_DATE, 0, 12},
    {"days_overdue", "Days overdue", RT_CELL_INT, DOC, 10},
    {"self_reported", "Self-reported, awaiting validation", RT_CELL_STATUS, DOC,
     20},
};

/* Where the indicator's columns start in com_columns. */
#define COM_INDICATOR 16

static size_t com_count(const rt_review_ctx_t *ctx) {
  return ctx->model->com_count;
}

static void fill_indicator(const rt_review_item_t *it, rt_review_cell_t *c) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  bool has = ind != NULL;
  set_text(&c[0], has ? ind->name : "");
  set_text(&c[1], has ? ind->unit : "");
  set_text(&c[2], has ? rt_review_direction_name(ind->direction) : "");
  set_number(&c[3], has ? ind->baseline_value : 0, has);
  set_text(&c[4], has ? ind->baseline_date : "");
  set_number(&c[5], has ? ind->target_value : 0, has);
  set_text(&c[6], has ? ind->target_date : "");
  set_number(&c[7], it->latest_value, it->has_latest);
  set_text(&c[8], it->has_latest ? it->latest_as_of : "");
  set_number(&c[9], it->progress, it->has_latest);
  set_int(&c[10], it->trajectory, has);
}

static int com_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const rt_review_item_t *it = &ctx->model->coms[row];
  const Rectrack__V1__Commitment *m = it->com;
  set_text(&c[0], m->id);
  set_text(&c[1], m->actor_id);
  set_actor(ctx, &c[2], m->actor_id);
  set_text(&c[3], m->title);
  set_text(&c[4], m->text);
  set_text(&c[5], rt_review_commitment_kind_name(m->kind));
  set_text(&c[6], m->theme);
  set_text(&c[7], rt_review_theme_title(ctx->model, m->theme));
  set_list(&c[8], m->recommendation_ids, m->n_recommendation_ids);
  set_text(&c[9], m->source_id);
  set_source(ctx, &c[10], m->source_id);
  set_text(&c[11], m->made_on);
  set_text(&c[12], m->due_date);
  set_int(&c[13], it->status, true);
  set_list(&c[14], m->sdg_targets, m->n_sdg_targets);
  fill_indicator(it, &c[COM_INDICATOR]);
  set_text(&c[27], latest_date(it));
  set_int(&c[28], it->days_overdue, it->days_overdue > 0);
  set_reported(&c[29], it);
  return set_gcm(ctx, &c[15], m->gcm_objectives, m->n_gcm_objectives);
}

const rt_review_table_t rt_review_table_commitments = {
    "commitments", "Commitments", COLUMNS(com_columns), com_count, com_fill};

/* ---- follow-ups dated in the period ---- */

static const rt_review_column_t fu_columns[] = {
    {"as_of", "As of", RT_CELL_DATE, DOC, 12},
    {"subject_id", "Subject", RT_CELL_TEXT, DOC, 10},
    {"subject_type", "Type", RT_CELL_TEXT, 0, 14},
    {"subject_title", "Title", RT_CELL_TEXT, DOC, 40},
    {"previous_status", "From", RT_CELL_STATUS, DOC, 20},
    {"status", "Status", RT_CELL_STATUS, DOC, 20},
    {"reported_by", "Reported by (id)", RT_CELL_TEXT, 0, 14},
    {"reported_by_name", "Reported by", RT_CELL_TEXT, DOC, 20},
    {"partner_id", "For partner (id)", RT_CELL_TEXT, 0, 14},
    {"partner_name", "For partner", RT_CELL_TEXT, DOC, 20},
    {"note", "Note", RT_CELL_TEXT, DOC, 50},
    {"evidence", "Evidence", RT_CELL_LIST, DOC, 30},
    {"recorded_by", "Recorded by", RT_CELL_TEXT, 0, 14},
    {"revision", "Revision", RT_CELL_INT, 0, 10},
    {"validated_by", "Validated by", RT_CELL_TEXT, 0, 14},
};

static size_t fu_count(const rt_review_ctx_t *ctx) {
  return ctx->model->period_count;
}

static int fu_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const rt_review_model_t *m = ctx->model;
  size_t k = m->period_order[row];
  const Rectrack__V1__FollowUp *fu = m->follow_ups[k];
  const rt_review_item_t *it = m->fu_subject[k];
  set_text(&c[0], fu->as_of);
  set_text(&c[1], it->id);
  set_text(&c[2], rt_review_subject_type_name(it->subject_type));
  set_text(&c[3], it->title);
  set_int(&c[4], m->previous_status[k], true);
  set_int(&c[5], fu->status, true);
  set_text(&c[6], fu->reported_by);
  set_actor(ctx, &c[7], fu->reported_by);
  set_text(&c[8], fu->partner_id);
  set_actor(ctx, &c[9], fu->partner_id);
  set_text(&c[10], fu->note);
  set_list(&c[11], fu->evidence, fu->n_evidence);
  set_text(&c[12], fu->recorded_by);
  set_int(&c[13], (long)fu->revision, fu->revision != 0);
  set_text(&c[14], fu->reviewed_by);
  return 0;
}

const rt_review_table_t rt_review_table_follow_ups = {
    "follow-ups", "Follow-up reports in the period", COLUMNS(fu_columns),
    fu_count, fu_fill};

/* ---- measurements up to as_of ---- */

static const rt_review_column_t meas_columns[] = {
    {"commitment_id", "Commitment", RT_CELL_TEXT, DOC, 12},
    {"indicator", "Indicator", RT_CELL_TEXT, DOC, 30},
    {"unit", "Unit", RT_CELL_TEXT, DOC, 10},
    {"as_of", "As of", RT_CELL_DATE, DOC, 12},
    {"value", "Value", RT_CELL_NUMBER, DOC, 10},
    {"source", "Source", RT_CELL_TEXT, DOC, 30},
    {"note", "Note", RT_CELL_TEXT, 0, 30},
    {"recorded_by", "Recorded by", RT_CELL_TEXT, 0, 14},
    {"revision", "Revision", RT_CELL_INT, 0, 10},
    {"reported_by", "Reported by (id)", RT_CELL_TEXT, 0, 14},
    {"reported_by_name", "Reported by", RT_CELL_TEXT, 0, 20},
    {"validated_by", "Validated by", RT_CELL_TEXT, 0, 14},
};

static size_t meas_count(const rt_review_ctx_t *ctx) {
  return ctx->model->measurement_count;
}

static int meas_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__Measurement *x = ctx->model->measurements[row];
  const rt_review_item_t *it = ctx->model->meas_subject[row];
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  set_text(&c[0], it->id);
  set_text(&c[1], ind ? ind->name : "");
  set_text(&c[2], ind ? ind->unit : "");
  set_text(&c[3], x->as_of);
  set_number(&c[4], x->value, true);
  set_text(&c[5], x->source);
  set_text(&c[6], x->note);
  set_text(&c[7], x->recorded_by);
  set_int(&c[8], (long)x->revision, x->revision != 0);
  set_text(&c[9], x->reported_by);
  set_actor(ctx, &c[10], x->reported_by);
  set_text(&c[11], x->reviewed_by);
  return 0;
}

const rt_review_table_t rt_review_table_measurements = {
    "measurements", "Measurements", COLUMNS(meas_columns), meas_count,
    meas_fill};

/* ---- status changes in the period (summary) ---- */

static const rt_review_column_t change_columns[] = {
    {"as_of", "As of", RT_CELL_DATE, DOC, 12},
    {"subject_id", "Subject", RT_CELL_TEXT, DOC, 10},
    {"subject_type", "Type", RT_CELL_TEXT, DOC, 14},
    {"title", "Title", RT_CELL_TEXT, DOC, 40},
    {"from_status", "From", RT_CELL_STATUS, DOC, 20},
    {"to_status", "To", RT_CELL_STATUS, DOC, 20},
    {"reported_by", "Reported by (id)", RT_CELL_TEXT, 0, 14},
    {"reported_by_name", "Reported by", RT_CELL_TEXT, DOC, 20},
    {"partner_id", "For partner (id)", RT_CELL_TEXT, 0, 14},
    {"partner_name", "For partner", RT_CELL_TEXT, DOC, 20},
    {"note", "Note", RT_CELL_TEXT, DOC, 50},
    {"evidence", "Evidence", RT_CELL_LIST, DOC, 30},
};

static size_t change_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_changes;
}

static int change_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__StatusChange *ch = ctx->summary->changes[row];
  const Rectrack__V1__FollowUp *fu = ch->follow_up;
  set_text(&c[0], fu ? fu->as_of : "");
  set_text(&c[1], ch->subject_id);
  set_text(&c[2], rt_review_subject_type_name(ch->subject_type));
  set_text(&c[3], ch->title);
  set_int(&c[4], ch->from_status, true);
  set_int(&c[5], ch->to_status, true);
  set_text(&c[6], fu ? fu->reported_by : "");
  set_actor(ctx, &c[7], fu ? fu->reported_by : "");
  set_text(&c[8], fu ? fu->partner_id : "");
  set_actor(ctx, &c[9], fu ? fu->partner_id : "");
  set_text(&c[10], fu ? fu->note : "");
  set_list(&c[11], fu ? fu->evidence : NULL, fu ? fu->n_evidence : 0);
  return 0;
}

const rt_review_table_t rt_review_table_changes = {
    "changes", "Status changes in the period", COLUMNS(change_columns),
    change_count, change_fill};

/* ---- overdue (summary) ---- */

static const rt_review_column_t overdue_columns[] = {
    {"subject_id", "Subject", RT_CELL_TEXT, DOC, 10},
    {"subject_type", "Type", RT_CELL_TEXT, DOC, 14},
    {"title", "Title", RT_CELL_TEXT, DOC, 40},
    {"due_date", "Due", RT_CELL_DATE, DOC, 12},
    {"days_overdue", "Days overdue", RT_CELL_INT, DOC, 10},
    {"status", "Status", RT_CELL_STATUS, DOC, 20},
    {"lead_actor_id", "Lead id", RT_CELL_TEXT, 0, 14},
    {"lead_actor_name", "Lead", RT_CELL_TEXT, DOC, 20},
};

static size_t overdue_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_overdue;
}

static int overdue_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__OverdueItem *o = ctx->summary->overdue[row];
  set_text(&c[0], o->subject_id);
  set_text(&c[1], rt_review_subject_type_name(o->subject_type));
  set_text(&c[2], o->title);
  set_text(&c[3], o->due_date);
  set_int(&c[4], o->days_overdue, true);
  set_int(&c[5], o->status, true);
  set_text(&c[6], o->lead_actor_id);
  set_actor(ctx, &c[7], o->lead_actor_id);
  return 0;
}

const rt_review_table_t rt_review_table_overdue = {"overdue", "Overdue",
                                                   COLUMNS(overdue_columns),
                                                   overdue_count, overdue_fill};

/* ---- indicators (summary) ---- */

static const rt_review_column_t indicator_columns[] = {
    {"commitment_id", "Commitment", RT_CELL_TEXT, DOC, 12},
    {"title", "Title", RT_CELL_TEXT, DOC, 36},
    {"actor_id", "Actor id", RT_CELL_TEXT, 0, 14},
    {"actor_name", "Actor", RT_CELL_TEXT, DOC, 20},
    {"indicator", "Indicator", RT_CELL_TEXT, DOC, 30},
    {"unit", "Unit", RT_CELL_TEXT, DOC, 10},
    {"baseline_date", "Baseline date", RT_CELL_DATE, DOC, 12},
    {"target_date", "Target date", RT_CELL_DATE, DOC, 12},
    {"baseline_value", "Baseline", RT_CELL_NUMBER, DOC, 10},
    {"target_value", "Target", RT_CELL_NUMBER, DOC, 10},
    {"latest_as_of", "Latest as of", RT_CELL_DATE, DOC, 12},
    {"latest_value", "Latest", RT_CELL_NUMBER, DOC, 10},
    {"progress", "Progress", RT_CELL_NUMBER, DOC | PCT, 10},
    {"trajectory", "Trajectory", RT_CELL_TRAJ, DOC, 12},
};

static size_t indicator_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_indicators;
}

static int indicator_fill(rt_review_ctx_t *ctx, size_t row,
                          rt_review_cell_t *c) {
  const Rectrack__V1__IndicatorProgress *p = ctx->summary->indicators[row];
  const Rectrack__V1__Indicator *ind = p->indicator;
  bool has = ind != NULL, latest = p->latest_as_of[0] != '\0';
  set_text(&c[0], p->commitment_id);
  set_text(&c[1], p->title);
  set_text(&c[2], p->actor_id);
  set_actor(ctx, &c[3], p->actor_id);
  set_text(&c[4], has ? ind->name : "");
  set_text(&c[5], has ? ind->unit : "");
  set_text(&c[6], has ? ind->baseline_date : "");
  set_text(&c[7], has ? ind->target_date : "");
  set_number(&c[8], has ? ind->baseline_value : 0, has);
  set_number(&c[9], has ? ind->target_value : 0, has);
  set_text(&c[10], p->latest_as_of);
  set_number(&c[11], p->latest_value, latest);
  set_number(&c[12], p->progress, latest);
  set_int(&c[13], p->trajectory, true);
  return 0;
}

const rt_review_table_t rt_review_table_indicators = {
    "indicators", "Quantified commitments", COLUMNS(indicator_columns),
    indicator_count, indicator_fill};

/* ---- SDG targets and GCM objectives (summary + model) ---- */

/* After the key, its title and the items: one column per status, the
 * items of each status as of the review's date. */
#define STATUS_COLUMNS                                                         \
  {"no_information", "No information", RT_CELL_INT, DOC, 10},                  \
      {"not_started", "Not started", RT_CELL_INT, DOC, 10},                    \
      {"in_progress", "In progress", RT_CELL_INT, DOC, 10},                    \
      {"partially_implemented", "Partially implemented", RT_CELL_INT, DOC,     \
       12},                                                                    \
      {"implemented", "Implemented", RT_CELL_INT, DOC, 10},                    \
      {"stalled", "Stalled", RT_CELL_INT, DOC, 10}, {                          \
    "withdrawn", "Withdrawn", RT_CELL_INT, DOC, 10                             \
  }

static const rt_review_column_t sdg_columns[] = {
    {"sdg_target", "SDG target", RT_CELL_TEXT, DOC, 10},
    {"label", "Target", RT_CELL_TEXT, DOC, 40},
    {"count", "Items", RT_CELL_INT, DOC, 8},
    STATUS_COLUMNS,
};

static const rt_review_column_t gcm_columns[] = {
    {"gcm_objective", "GCM objective", RT_CELL_INT, DOC, 10},
    {"title", "Objective", RT_CELL_TEXT, DOC, 50},
    {"count", "Items", RT_CELL_INT, DOC, 8},
    STATUS_COLUMNS,
};

#define BREAKDOWN_FIRST 3

static size_t sdg_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_by_sdg_target;
}

static size_t gcm_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_by_gcm_objective;
}

/* The row of key among the summary's keys (sorted or not), or -1. */
static long key_row(Rectrack__V1__KeyCount *const *keys, size_t n,
                    const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(keys[i]->key, key) == 0)
      return (long)i;
  return -1;
}

/* Counts each item once under each distinct tag it carries. The SDG rows
 * are found through a table of the reference targets (tags outside it
 * are looked up among the summary's keys). */
static int compute_breakdowns(rt_review_ctx_t *ctx) {
  const Rectrack__V1__ReviewSummary *s = ctx->summary;
  const rt_review_model_t *m = ctx->model;
  ctx->sdg_breakdown =
      calloc(s->n_by_sdg_target + 1, sizeof *ctx->sdg_breakdown);
  ctx->gcm_breakdown =
      calloc(s->n_by_gcm_objective + 1, sizeof *ctx->gcm_breakdown);
  size_t targets = rt_sdg_target_count();
  long *sdg_rows = malloc((targets + 1) * sizeof *sdg_rows);
  long gcm_rows[24];
  if (ctx->sdg_breakdown == NULL || ctx->gcm_breakdown == NULL ||
      sdg_rows == NULL) {
    free(sdg_rows);
    return RT_ENOMEM;
  }
  for (size_t t = 0; t < targets; t++)
    sdg_rows[t] = key_row(s->by_sdg_target, s->n_by_sdg_target,
                          rt_sdg_target_at(t)->code);
  for (int g = 0; g < 24; g++) {
    char key[8];
    snprintf(key, sizeof key, "%d", g);
    gcm_rows[g] = key_row(s->by_gcm_objective, s->n_by_gcm_objective, key);
  }
  for (size_t i = 0; i < m->by_id_count; i++) {
    const rt_review_item_t *it = m->by_id[i];
    char *const *sdg = it->rec ? it->rec->sdg_targets : it->com->sdg_targets;
    size_t n_sdg = it->rec ? it->rec->n_sdg_targets : it->com->n_sdg_targets;
    const int32_t *gcm =
        it->rec ? it->rec->gcm_objectives : it->com->gcm_objectives;
    size_t n_gcm =
        it->rec ? it->rec->n_gcm_objectives : it->com->n_gcm_objectives;
    int status = it->status >= 0 && it->status < RT_REVIEW_STATUS_COUNT
                     ? it->status
                     : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
    for (size_t k = 0; k < n_sdg; k++) {
      bool again = false;
      for (size_t j = 0; j < k; j++)
        again |= strcmp(sdg[j], sdg[k]) == 0;
      if (again)
        continue;
      const rt_sdg_target_t *ref = rt_sdg_target(sdg[k]);
      long row = -1;
      for (size_t t = 0; ref != NULL && t < targets; t++)
        if (rt_sdg_target_at(t) == ref) {
          row = sdg_rows[t];
          break;
        }
      if (ref == NULL)
        row = key_row(s->by_sdg_target, s->n_by_sdg_target, sdg[k]);
      if (row >= 0)
        ctx->sdg_breakdown[row].counts[status]++;
    }
    uint32_t seen = 0;
    for (size_t k = 0; k < n_gcm; k++) {
      int g = gcm[k];
      if (g < 1 || g > 23 || (seen & (1u << g)))
        continue;
      seen |= 1u << g;
      if (gcm_rows[g] >= 0)
        ctx->gcm_breakdown[gcm_rows[g]].counts[status]++;
    }
  }
  free(sdg_rows);
  return 0;
}

const rt_review_breakdown_t *rt_review_breakdown(rt_review_ctx_t *ctx, bool gcm,
                                                 size_t row) {
  if (ctx->sdg_breakdown == NULL && compute_breakdowns(ctx) != 0) {
    free(ctx->sdg_breakdown);
    free(ctx->gcm_breakdown);
    ctx->sdg_breakdown = ctx->gcm_breakdown = NULL;
    return NULL;
  }
  return gcm ? &ctx->gcm_breakdown[row] : &ctx->sdg_breakdown[row];
}

int rt_review_breakdown_counts(rt_review_ctx_t *ctx, bool gcm,
                               Rectrack__V1__StatusCount ***out, size_t *n) {
  const Rectrack__V1__ReviewSummary *s = ctx->summary;
  size_t rows = gcm ? s->n_by_gcm_objective : s->n_by_sdg_target;
  Rectrack__V1__KeyCount *const *keys =
      gcm ? s->by_gcm_objective : s->by_sdg_target;
  *out = NULL;
  *n = 0;
  size_t cap = rows * RT_REVIEW_STATUS_COUNT;
  /* The pointers, then the messages they point at: one block. */
  Rectrack__V1__StatusCount **counts =
      malloc((cap ? cap : 1) * (sizeof *counts + sizeof **counts));
  if (counts == NULL)
    return RT_ENOMEM;
  Rectrack__V1__StatusCount *cells = (void *)(counts + (cap ? cap : 1));
  for (size_t r = 0; r < rows; r++) {
    const rt_review_breakdown_t *b = rt_review_breakdown(ctx, gcm, r);
    if (b == NULL) {
      free(counts);
      return RT_ENOMEM;
    }
    for (int status = 0; status < RT_REVIEW_STATUS_COUNT; status++) {
      if (b->counts[status] == 0)
        continue;
      Rectrack__V1__StatusCount *c = &cells[*n];
      rectrack__v1__status_count__init(c);
      c->key = keys[r]->key;
      c->status = (Rectrack__V1__Status)status;
      c->count = b->counts[status];
      counts[(*n)++] = c;
    }
  }
  *out = counts;
  return 0;
}

static int fill_breakdown(rt_review_ctx_t *ctx, bool gcm, size_t row,
                          rt_review_cell_t *c) {
  const rt_review_breakdown_t *b = rt_review_breakdown(ctx, gcm, row);
  if (b == NULL)
    return RT_ENOMEM;
  for (int status = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
       status < RT_REVIEW_STATUS_COUNT; status++)
    set_int(&c[BREAKDOWN_FIRST + status -
               RECTRACK__V1__STATUS__STATUS_NO_INFORMATION],
            b->counts[status], true);
  return 0;
}

static int sdg_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__KeyCount *k = ctx->summary->by_sdg_target[row];
  set_text(&c[0], k->key);
  set_text(&c[1], rt_review_sdg_label(k->key));
  set_int(&c[2], k->count, true);
  return fill_breakdown(ctx, false, row, c);
}

static int gcm_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__KeyCount *k = ctx->summary->by_gcm_objective[row];
  long objective = strtol(k->key, NULL, 10);
  set_int(&c[0], objective, true);
  set_text(&c[1], rt_review_gcm_title((int)objective));
  set_int(&c[2], k->count, true);
  return fill_breakdown(ctx, true, row, c);
}

const rt_review_table_t rt_review_table_sdg = {
    "sdg_targets", "Items per SDG target", COLUMNS(sdg_columns), sdg_count,
    sdg_fill};

const rt_review_table_t rt_review_table_gcm = {
    "gcm_objectives", "Items per GCM objective", COLUMNS(gcm_columns),
    gcm_count, gcm_fill};

/* ---- no information in the period (summary + model) ---- */

static const rt_review_column_t noinfo_columns[] = {
    {"id", "Id", RT_CELL_TEXT, DOC, 10},
    {"subject_type", "Type", RT_CELL_TEXT, DOC, 14},
    {"title", "Title", RT_CELL_TEXT, DOC, 40},
    {"status", "Status", RT_CELL_STATUS, DOC, 20},
    {"last_report", "Last report", RT_CELL_DATE, DOC, 12},
};

static size_t noinfo_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_no_information_ids;
}

static int noinfo_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const char *id = ctx->summary->no_information_ids[row];
  const rt_review_item_t *it = rt_review_model_find(ctx->model, id);
  set_text(&c[0], id);
  set_text(&c[1], it ? rt_review_subject_type_name(it->subject_type) : "");
  set_text(&c[2], it ? it->title : "");
  set_int(&c[3], it ? it->status : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION,
          true);
  set_text(&c[4], it ? latest_date(it) : "");
  return 0;
}

const rt_review_table_t rt_review_table_no_information = {
    "no_information", "No information in the period", COLUMNS(noinfo_columns),
    noinfo_count, noinfo_fill};

/* ---- actors: id to name (model) ---- */

static const rt_review_column_t actor_columns[] = {
    {"id", "Id", RT_CELL_TEXT, DOC, 16},
    {"name", "Name", RT_CELL_TEXT, DOC, 40},
    {"kind", "Kind", RT_CELL_TEXT, DOC, 16},
    {"country", "Country", RT_CELL_TEXT, DOC, 10},
};

static size_t actor_count(const rt_review_ctx_t *ctx) {
  return ctx->model->actor_count;
}

static int actor_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__Actor *a = ctx->model->actors[row];
  set_text(&c[0], a->id);
  set_text(&c[1], a->name);
  set_text(&c[2],
           slug_or_empty(&rectrack__v1__actor_kind__descriptor, (int)a->kind));
  set_text(&c[3], a->country);
  return 0;
}

const rt_review_table_t rt_review_table_actors = {
    "actors", "Actors", COLUMNS(actor_columns), actor_count, actor_fill};

/* ---- lines of follow-up ---- */

static const rt_review_column_t line_columns[] = {
    {"latest_id", "Counted under", RT_CELL_TEXT, DOC, 12},
    {"status", "Status", RT_CELL_STATUS, DOC, 20},
    {"recommendation_ids", "Recommendations", RT_CELL_LIST, DOC, 24},
    {"lineage", "Lineage", RT_CELL_TEXT, DOC, 80},
};

static size_t line_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_lines;
}

static int line_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__LineOfFollowUp *l = ctx->summary->lines[row];
  set_text(&c[0], l->latest_id);
  set_int(&c[1], l->status, true);
  set_list(&c[2], l->recommendation_ids, l->n_recommendation_ids);
  set_text(&c[3], l->lineage);
  return 0;
}

const rt_review_table_t rt_review_table_lines = {
    "lines", "Lines of follow-up: each counted once, under its latest",
    COLUMNS(line_columns), line_count, line_fill};

/* ---- specificity ---- */

static const rt_review_column_t spec_columns[] = {
    {"measure", "Measure", RT_CELL_TEXT, 0, 12},
    {"key", "Key", RT_CELL_TEXT, 0, 20},
    {"label", "Recommendations", RT_CELL_TEXT, DOC, 40},
    {"count", "Count", RT_CELL_INT, DOC, 8},
    {"recommendation_ids", "First ids", RT_CELL_LIST, DOC, 40},
};

static size_t spec_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_by_specificity + ctx->summary->n_by_specificity_gap;
}

static const char *const gap_labels[] = {
    "", "Addressed to nobody or without a lead actor", "Without a due date",
    "Without a commitment with an indicator answering it",
    "Without an SDG target or GCM objective"};

static int spec_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__ReviewSummary *s = ctx->summary;
  set_list(&c[4], NULL, 0);
  if (row < s->n_by_specificity) {
    const Rectrack__V1__SpecificityCount *x = s->by_specificity[row];
    set_text(&c[0], "level");
    set_text(&c[1], slug_or_empty(&rectrack__v1__specificity__descriptor,
                                  x->specificity));
    snprintf(
        ctx->source_text, sizeof ctx->source_text, "Specificity %s",
        rt_enum_label(&rectrack__v1__specificity__descriptor, x->specificity));
    set_text(&c[2], ctx->source_text);
    set_int(&c[3], x->count, true);
    return 0;
  }
  const Rectrack__V1__SpecificityGapCount *g =
      s->by_specificity_gap[row - s->n_by_specificity];
  set_text(&c[0], "gap");
  rt_review_buf_reset(&ctx->lineage_text);
  for (size_t k = 0; k < g->n_gaps; k++)
    rt_review_buf_printf(
        &ctx->lineage_text, "%s%s", k ? "+" : "",
        slug_or_empty(&rectrack__v1__specificity_gap__descriptor, g->gaps[k]));
  if (ctx->lineage_text.failed)
    return RT_ENOMEM;
  set_text(&c[1], rt_review_buf_str(&ctx->lineage_text));
  if (g->n_gaps == 1 && g->gaps[0] >= 1 && g->gaps[0] <= 4)
    set_text(&c[2], gap_labels[g->gaps[0]]);
  else
    set_text(&c[2], "With no addressee and no due date");
  set_int(&c[3], g->count, true);
  set_list(&c[4], g->recommendation_ids, g->n_recommendation_ids);
  return 0;
}

const rt_review_table_t rt_review_table_specificity = {
    "specificity", "How specific the recommendations are",
    COLUMNS(spec_columns), spec_count, spec_fill};

/* ---- joint and matching pledges (summary) ---- */

static const rt_review_column_t pledge_columns[] = {
    {"commitment_id", "Pledge", RT_CELL_TEXT, DOC, 10},
    {"title", "Title", RT_CELL_TEXT, DOC, 40},
    {"pledge_type", "Type", RT_CELL_TEXT, DOC, 12},
    {"actor_id", "Lead id", RT_CELL_TEXT, 0, 14},
    {"actor_name", "Lead", RT_CELL_TEXT, DOC, 24},
    {"status", "Lead's part", RT_CELL_STATUS, DOC, 20},
    {"last_follow_up_as_of", "Lead's last report", RT_CELL_DATE, 0, 12},
    {"partners", "Partners", RT_CELL_LIST, DOC, 50},
    {"partner_ids", "Partner ids", RT_CELL_LIST, 0, 20},
    {"partner_statuses", "Partner statuses", RT_CELL_LIST, 0, 24},
    {"partner_last_follow_up_as_of", "Partners' last reports", RT_CELL_LIST, 0,
     24},
    {"matched_by", "Matching pledges", RT_CELL_LIST, DOC, 40},
    {"matching_commitment_ids", "Matching pledge ids", RT_CELL_LIST, 0, 20},
    {"matching_statuses", "Matching pledge statuses", RT_CELL_LIST, 0, 24},
};

static size_t pledge_count(const rt_review_ctx_t *ctx) {
  return ctx->summary->n_pledge_groups;
}

/* "Name: Status label (YYYY-MM-DD)" into ctx->pledge_text; its offset. */
static size_t put_part_label(rt_review_ctx_t *ctx, const char *name, int status,
                             const char *as_of) {
  size_t at = ctx->pledge_text.len;
  rt_review_buf_printf(&ctx->pledge_text, "%s: %s", name,
                       rt_review_status_label(status));
  if (as_of && as_of[0])
    rt_review_buf_printf(&ctx->pledge_text, " (%s)", as_of);
  rt_review_buf_append(&ctx->pledge_text, "", 1); /* keeps the NUL */
  return at;
}

static int pledge_fill(rt_review_ctx_t *ctx, size_t row, rt_review_cell_t *c) {
  const Rectrack__V1__PledgeGroup *g = ctx->summary->pledge_groups[row];
  size_t np = g->n_partners, nm = g->n_matched_by, need = 4 * np + 3 * nm;
  if (need > ctx->pledge_lists_cap) {
    char **bigger = realloc(ctx->pledge_lists, need * sizeof *bigger);
    if (bigger == NULL)
      return RT_ENOMEM;
    ctx->pledge_lists = bigger;
    ctx->pledge_lists_cap = need;
  }
  /* The lists, one after the other: labels, ids, statuses and dates of
   * the partners, then labels, ids and statuses of the matching pledges.
   * Labels are offsets into the text until it stops growing. */
  char **partner_labels = ctx->pledge_lists, **ids = partner_labels + np,
       **statuses = ids + np, **dates = statuses + np,
       **match_labels = dates + np, **match_ids = match_labels + nm,
       **match_statuses = match_ids + nm;
  size_t *offsets = calloc(np + nm + 1, sizeof *offsets);
  if (offsets == NULL)
    return RT_ENOMEM;
  rt_review_buf_reset(&ctx->pledge_text);
  for (size_t i = 0; i < np; i++) {
    const Rectrack__V1__PartnerStatus *p = g->partners[i];
    offsets[i] =
        put_part_label(ctx, rt_review_actor_name(ctx->model, p->actor_id),
                       p->status, p->last_follow_up_as_of);
    ids[i] = p->actor_id;
    statuses[i] = (char *)rt_review_status_name(p->status);
    dates[i] = p->last_follow_up_as_of;
  }
  for (size_t i = 0; i < nm; i++) {
    const Rectrack__V1__PledgeMatch *x = g->matched_by[i];
    char name[160];
    snprintf(name, sizeof name, "%s %s", x->commitment_id,
             rt_review_actor_name(ctx->model, x->actor_id));
    offsets[np + i] =
        put_part_label(ctx, name, x->status, x->last_follow_up_as_of);
    match_ids[i] = x->commitment_id;
    match_statuses[i] = (char *)rt_review_status_name(x->status);
  }
  if (ctx->pledge_text.failed) {
    free(offsets);
    return RT_ENOMEM;
  }
  for (size_t i = 0; i < np; i++)
    partner_labels[i] = ctx->pledge_text.data + offsets[i];
  for (size_t i = 0; i < nm; i++)
    match_labels[i] = ctx->pledge_text.data + offsets[np + i];
  free(offsets);
  set_text(&c[0], g->commitment_id);
  set_text(&c[1], g->title);
  set_text(&c[2], slug_or_empty(&rectrack__v1__pledge_type__descriptor,
                                g->pledge_type));
  set_text(&c[3], g->actor_id);
  set_actor(ctx, &c[4], g->actor_id);
  set_int(&c[5], g->status, true);
  set_text(&c[6], g->last_follow_up_as_of);
  set_list(&c[7], partner_labels, np);
  set_list(&c[8], ids, np);
  set_list(&c[9], statuses, np);
  set_list(&c[10], dates, np);
  set_list(&c[11], match_labels, nm);
  set_list(&c[12], match_ids, nm);
  set_list(&c[13], match_statuses, nm);
  return 0;
}

const rt_review_table_t rt_review_table_pledges = {
    "pledges", "Joint and matching pledges", COLUMNS(pledge_columns),
    pledge_count, pledge_fill};

void rt_review_ctx_close(rt_review_ctx_t *ctx) {
  rt_review_buf_free(&ctx->lineage_text);
  rt_review_buf_free(&ctx->pledge_text);
  free(ctx->pledge_lists);
  ctx->pledge_lists = NULL;
  ctx->pledge_lists_cap = 0;
  free(ctx->gcm);
  ctx->gcm = NULL;
  ctx->gcm_cap = 0;
  free(ctx->names);
  ctx->names = NULL;
  ctx->names_cap = 0;
  free(ctx->sdg_breakdown);
  free(ctx->gcm_breakdown);
  ctx->sdg_breakdown = ctx->gcm_breakdown = NULL;
}

void rt_review_cell_text(const rt_review_column_t *col,
                         const rt_review_cell_t *cell, const char *separator,
                         rt_review_buf_t *b) {
  char number[32];
  if (cell->empty)
    return;
  switch (col->kind) {
  case RT_CELL_NUMBER:
    rt_review_format_number(cell->number, number);
    rt_review_buf_puts(b, number);
    break;
  case RT_CELL_INT:
    rt_review_buf_printf(b, "%ld", cell->integer);
    break;
  case RT_CELL_STATUS:
    rt_review_buf_puts(b, rt_review_status_name((int)cell->integer));
    break;
  case RT_CELL_TRAJ:
    rt_review_buf_puts(b, rt_review_trajectory_name((int)cell->integer));
    break;
  case RT_CELL_BOOL:
    rt_review_buf_puts(b, cell->integer ? "true" : "false");
    break;
  case RT_CELL_LIST:
    for (size_t i = 0; i < cell->list_len; i++) {
      if (i > 0)
        rt_review_buf_puts(b, separator);
      rt_review_buf_puts(b, cell->list[i] ? cell->list[i] : "");
    }
    break;
  default:
    rt_review_buf_puts(b, cell->text);
    break;
  }
}

/* The theme of the recommendation just filled, when it starts a new
 * group (the first row, or another theme than the row before). */
static const char *new_theme(rt_review_doc_t *doc) {
  const rt_review_model_t *m = doc->ctx.model;
  const char *theme = m->recs[doc->fill_row].rec->theme;
  if (doc->row > 0 && strcmp(rt_review_buf_str(&doc->group_key), theme) == 0)
    return NULL;
  rt_review_buf_reset(&doc->group_key);
  rt_review_buf_puts(&doc->group_key, theme);
  return theme;
}

int rt_review_table_step(rt_review_doc_t *doc, const rt_review_table_t *t,
                         bool by_theme, const rt_review_table_style_t *style) {
  if (doc->row == 0) {
    style->heading(doc, t);
    if (rt_review_table_rows(doc, t) == 0) {
      rt_review_buf_puts(doc->out, style->none);
      return 1;
    }
    if (!by_theme)
      style->open(doc, t);
  }
  for (size_t i = 0; i < style->rows_per_step; i++, doc->row++) {
    int rc = rt_review_next_row(doc, t);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      rt_review_buf_puts(doc->out, style->table_end);
      doc->row = 0;
      return 1;
    }
    const char *theme = by_theme ? new_theme(doc) : NULL;
    if (theme != NULL)
      style->group(doc, t, theme);
    rt_review_buf_puts(doc->out, style->row_start);
    for (size_t c = 0; c < t->column_count; c++)
      if (t->columns[c].flags & RT_COL_DOC)
        style->cell(doc, &t->columns[c], &doc->cells[c]);
    rt_review_buf_puts(doc->out, style->row_end);
  }
  return 0;
}
