/*
 * The renderer object behind ExportReview: it owns the model of the data
 * set (and a summary when the caller gave none), or for a document read
 * from a source the stream (review_stream.c) with the figures of its
 * first pass; asks the format's step function for the next unit of the
 * document until about one chunk of output is pending, and hands that
 * output out in pieces of at most RT_REVIEW_CHUNK_MAX bytes. The step
 * functions reach the rows of a table through rt_review_next_row(), the
 * same for both kinds. Memory stays bounded by one unit plus one
 * chunk, whatever the size of the review. XLSX is the exception by nature:
 * libxlsxwriter builds the workbook in a temporary file (a batch of rows
 * per call), and the file is then read back chunk by chunk.
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_review_renderer {
  rt_review_format_t format;
  rt_review_model_t model;
  Rectrack__V1__ReviewSummary *own_summary;
  rt_review_doc_t doc;
  rt_review_buf_t out;
  size_t sent; /* bytes at the start of out already handed out */
  rt_review_xlsx_t *xlsx;
  bool xlsx_complete;
  uint8_t *file_chunk;
  rt_review_stream_t *stream; /* rendered from a source */
};

const char *rt_review_content_type(rt_review_format_t format) {
  switch (format) {
  case RT_REVIEW_HTML:
    return "text/html; charset=utf-8";
  case RT_REVIEW_MARKDOWN:
    return "text/markdown; charset=utf-8";
  case RT_REVIEW_CSV:
    return "text/csv; charset=utf-8; header=present";
  case RT_REVIEW_JSON:
    return "application/json";
  case RT_REVIEW_XLSX:
    return "application/"
           "vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  default:
    return NULL;
  }
}

static const rt_review_table_t *csv_table(const char *name) {
  static const rt_review_table_t *const tables[] = {
      &rt_review_table_recommendations, &rt_review_table_commitments,
      &rt_review_table_follow_ups,      &rt_review_table_measurements,
      &rt_review_table_pledges,         &rt_review_table_series};
  if (name == NULL || name[0] == '\0')
    return tables[0];
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
    if (strcmp(name, tables[i]->key) == 0)
      return tables[i];
  return NULL;
}

const char *rt_review_csv_table(const char *name) {
  const rt_review_table_t *t = csv_table(name);
  return t ? t->key : NULL;
}

static const char *format_extension(rt_review_format_t format) {
  switch (format) {
  case RT_REVIEW_HTML:
    return "html";
  case RT_REVIEW_MARKDOWN:
    return "md";
  case RT_REVIEW_CSV:
    return "csv";
  case RT_REVIEW_JSON:
    return "json";
  case RT_REVIEW_XLSX:
    return "xlsx";
  default:
    return NULL;
  }
}

/* A date for a file name: YYYY-MM-DD as given, anything else "start". */
static const char *name_date(const char *date, const char *fallback) {
  if (date == NULL || strlen(date) != 10 || strspn(date, "0123456789-") != 10)
    return fallback;
  return date;
}

int rt_review_filename(rt_review_format_t format, const char *table,
                       const char *from_date, const char *to_date, char *out,
                       size_t size) {
  const char *ext = format_extension(format);
  const rt_review_table_t *t = csv_table(table);
  if (ext == NULL || (format == RT_REVIEW_CSV && t == NULL) || size == 0)
    return RT_EINVAL;
  const char *from = name_date(from_date, "start");
  const char *to = name_date(to_date, "end");
  if (format == RT_REVIEW_CSV)
    snprintf(out, size, "review-%s-%s-%s.%s", t->key, from, to, ext);
  else
    snprintf(out, size, "review-%s-%s.%s", from, to, ext);
  return 0;
}

static int check_format(rt_review_format_t format, const char *table,
                        rt_error_t *err) {
  if (format_extension(format) == NULL)
    return rt_error_set(err, RT_EINVAL, "format",
                        "format must be HTML, MARKDOWN, CSV, JSON or XLSX");
  if (format == RT_REVIEW_CSV && csv_table(table) == NULL)
    return rt_error_set(err, RT_EINVAL, "table",
                        "table must be " RT_REVIEW_CSV_TABLES ", got \"%.40s\"",
                        table);
  if (format != RT_REVIEW_CSV && table != NULL && table[0] != '\0')
    return rt_error_set(err, RT_EINVAL, "table",
                        "table applies to CSV exports only");
  return 0;
}

static int start_document(rt_review_renderer_t *r, const char *table,
                          rt_error_t *err) {
  rt_review_doc_t *doc = &r->doc;
  doc->ctx.model = &r->model;
  doc->out = &r->out;
  doc->table = csv_table(table);
  static const rt_review_table_t *const tables[] = {
      &rt_review_table_recommendations,
      &rt_review_table_commitments,
      &rt_review_table_follow_ups,
      &rt_review_table_measurements,
      &rt_review_table_changes,
      &rt_review_table_overdue,
      &rt_review_table_indicators,
      &rt_review_table_sdg,
      &rt_review_table_gcm,
      &rt_review_table_no_information,
      &rt_review_table_lines,
      &rt_review_table_specificity,
      &rt_review_table_pledges,
      &rt_review_table_series,
  };
  size_t widest = 0;
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
    if (tables[i]->column_count > widest)
      widest = tables[i]->column_count;
  doc->cells = calloc(widest, sizeof *doc->cells);
  if (doc->cells == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (r->format == RT_REVIEW_XLSX)
    return rt_review_xlsx_new(doc, &r->xlsx, err);
  return 0;
}

int rt_review_renderer_new(const rt_review_input_t *in,
                           const Rectrack__V1__ReviewSummary *summary,
                           rt_review_format_t format, const char *table,
                           rt_review_renderer_t **out, rt_error_t *err) {
  *out = NULL;
  int rc = check_format(format, table, err);
  if (rc != 0)
    return rc;
  rt_review_renderer_t *r = calloc(1, sizeof *r);
  if (r == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  r->format = format;
  if ((rc = rt_review_model_init(&r->model, in, err)) != 0) {
    free(r);
    return rc;
  }
  if (summary == NULL) {
    r->own_summary = rt_review_summary_from_model(&r->model);
    if (r->own_summary == NULL) {
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
      goto fail;
    }
    summary = r->own_summary;
  }
  r->doc.ctx.summary = summary;
  r->doc.summary = summary;
  rt_review_totals_of(&r->model, summary, &r->doc.totals);
  if ((rc = start_document(r, table, err)) != 0)
    goto fail;
  *out = r;
  return 0;
fail:
  rt_review_renderer_free(r);
  return rc;
}

int rt_review_stream_new(const rt_review_stream_input_t *in,
                         rt_review_format_t format, const char *table,
                         rt_review_renderer_t **out, rt_error_t *err) {
  *out = NULL;
  int rc = check_format(format, table, err);
  if (rc != 0)
    return rc;
  rt_review_renderer_t *r = calloc(1, sizeof *r);
  if (r == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  r->format = format;
  /* The model of no records: the dates, and the actors' names once the
   * first pass has read them, for the parts of the document that are not
   * a subject's rows. */
  rt_review_input_t dates = {.from_date = in->from_date,
                             .to_date = in->to_date,
                             .as_of = in->as_of,
                             .revision = in->revision};
  if ((rc = rt_review_model_init(&r->model, &dates, err)) != 0) {
    free(r);
    return rc;
  }
  r->model.in = NULL; /* dates was on the stack */
  free(r->model.actors);
  r->model.actors = NULL;
  if ((rc = rt_review_stream_open(in, &r->stream, err)) != 0)
    goto fail;
  Rectrack__V1__ReviewSummary *summary = NULL;
  rt_review_breakdown_t *breakdowns[2] = {NULL, NULL};
  /* A CSV table of rows from the summary needs the first pass too. */
  bool figures =
      format != RT_REVIEW_CSV || csv_table(table) == &rt_review_table_pledges;
  rc = rt_review_stream_figures(r->stream, &r->model, figures, &summary,
                                &r->doc.totals, breakdowns);
  /* The ctx's from now on: its close frees them. */
  r->doc.ctx.sdg_breakdown = breakdowns[0];
  r->doc.ctx.gcm_breakdown = breakdowns[1];
  if (rc != 0) {
    rc = rt_error_set(err, rc, NULL, "cannot read the review's figures");
    goto fail;
  }
  r->doc.ctx.summary = summary; /* the stream's */
  r->doc.summary = summary;
  r->doc.stream = r->stream;
  if ((rc = start_document(r, table, err)) != 0)
    goto fail;
  *out = r;
  return 0;
fail:
  rt_review_renderer_free(r);
  return rc;
}

int rt_review_next_row(rt_review_doc_t *doc, const rt_review_table_t *t) {
  if (doc->stream != NULL)
    return rt_review_stream_row(doc, t);
  if (doc->row >= t->row_count(&doc->ctx))
    return 0;
  doc->fill_row = doc->row;
  return t->fill(&doc->ctx, doc->row, doc->cells) == 0 ? 1 : RT_ENOMEM;
}

size_t rt_review_table_rows(const rt_review_doc_t *doc,
                            const rt_review_table_t *t) {
  const rt_review_totals_t *n = &doc->totals;
  const Rectrack__V1__ReviewSummary *s = doc->summary;
  if (t == &rt_review_table_recommendations)
    return (size_t)s->recommendation_count;
  if (t == &rt_review_table_commitments)
    return (size_t)s->commitment_count;
  if (t == &rt_review_table_follow_ups)
    return n->follow_ups;
  if (t == &rt_review_table_measurements)
    return n->measurements;
  if (t == &rt_review_table_series)
    return n->series;
  if (t == &rt_review_table_changes)
    return n->changes;
  if (t == &rt_review_table_overdue)
    return n->overdue;
  if (t == &rt_review_table_indicators)
    return n->indicators;
  if (t == &rt_review_table_no_information)
    return n->no_information;
  if (t == &rt_review_table_sdg)
    return s->n_by_sdg_target;
  if (t == &rt_review_table_lines)
    return s->n_lines;
  if (t == &rt_review_table_specificity)
    return s->n_by_specificity + s->n_by_specificity_gap;
  if (t == &rt_review_table_pledges)
    return s->n_pledge_groups;
  return s->n_by_gcm_objective;
}

int rt_review_next_indicator(rt_review_doc_t *doc,
                             const rt_review_item_t **item,
                             const rt_review_model_t **model) {
  if (doc->stream != NULL)
    return rt_review_stream_indicator(doc, item, model);
  const rt_review_model_t *m = doc->ctx.model;
  while (doc->row < m->com_count && !m->coms[doc->row].has_indicator)
    doc->row++;
  if (doc->row == m->com_count)
    return 0;
  *item = &m->coms[doc->row++];
  *model = m;
  return 1;
}

int rt_review_next_listed(rt_review_doc_t *doc, int kind,
                          const ProtobufCMessage **record) {
  if (doc->stream != NULL)
    return rt_review_stream_listed(doc, kind, record);
  const rt_review_model_t *m = doc->ctx.model;
  if (kind == RT_REVIEW_WALK_ACTORS) {
    if (doc->row >= m->actor_count)
      return 0;
    *record = &m->actors[doc->row]->base;
    return 1;
  }
  if (doc->row >= m->in->source_count)
    return 0;
  *record = m->in->sources[doc->row] ? &m->in->sources[doc->row]->base : NULL;
  return 1;
}

void rt_review_totals_of(const rt_review_model_t *m,
                         const Rectrack__V1__ReviewSummary *s,
                         rt_review_totals_t *out) {
  memset(out, 0, sizeof *out);
  out->changes = s->n_changes;
  out->overdue = s->n_overdue;
  out->indicators = s->n_indicators;
  out->no_information = s->n_no_information_ids;
  out->follow_ups = m->period_count;
  out->measurements = m->measurement_count;
  out->series = m->series_count;
  for (size_t i = 0; i < s->n_indicators; i++) {
    const Rectrack__V1__IndicatorProgress *p = s->indicators[i];
    if (p->trajectory >= 0 && p->trajectory < 5)
      out->trajectories[p->trajectory]++;
    if (out->n_charts == RT_REVIEW_MAX_CHARTS)
      continue;
    const rt_review_item_t *it = rt_review_model_find(m, p->commitment_id);
    out->charts[out->n_charts++] = (rt_review_charted_t){
        p, it ? it->meas_first : 0, it ? it->meas_count : 0};
  }
}

static int step(rt_review_renderer_t *r) {
  switch (r->format) {
  case RT_REVIEW_HTML:
    return rt_review_html_step(&r->doc);
  case RT_REVIEW_MARKDOWN:
    return rt_review_md_step(&r->doc);
  case RT_REVIEW_CSV:
    return rt_review_csv_step(&r->doc);
  case RT_REVIEW_JSON:
    return rt_review_json_step(&r->doc);
  default:
    return RT_EINVAL;
  }
}

static int next_xlsx(rt_review_renderer_t *r, const uint8_t **chunk,
                     size_t *len) {
  if (!r->xlsx_complete) {
    int rc = rt_review_xlsx_step(r->xlsx, &r->xlsx_complete);
    if (rc != 0)
      return rc;
    return 1; /* nothing to send yet */
  }
  if (r->file_chunk == NULL && !(r->file_chunk = malloc(RT_REVIEW_CHUNK_MAX)))
    return RT_ENOMEM;
  int rc =
      rt_review_xlsx_read(r->xlsx, r->file_chunk, RT_REVIEW_CHUNK_MAX, len);
  if (rc != 0)
    return rc;
  *chunk = r->file_chunk;
  return *len > 0 ? 1 : 0;
}

int rt_review_renderer_next(rt_review_renderer_t *r, const uint8_t **chunk,
                            size_t *len) {
  *chunk = NULL;
  *len = 0;
  if (r->format == RT_REVIEW_XLSX)
    return next_xlsx(r, chunk, len);
  if (r->out.len - r->sent < RT_REVIEW_CHUNK_MAX && !r->doc.done) {
    /* Less than a chunk pending: compact (cheap) and render more. */
    rt_review_buf_consume(&r->out, r->sent);
    r->sent = 0;
    while (r->out.len < RT_REVIEW_CHUNK_MAX && !r->doc.done) {
      int rc = step(r);
      if (rc != 0)
        return rc;
      if (r->out.failed || r->doc.scratch.failed)
        return RT_ENOMEM;
    }
  }
  size_t pending = r->out.len - r->sent;
  if (pending == 0)
    return 0;
  *chunk = (const uint8_t *)r->out.data + r->sent;
  *len = pending < RT_REVIEW_CHUNK_MAX ? pending : RT_REVIEW_CHUNK_MAX;
  r->sent += *len;
  return 1;
}

void rt_review_renderer_free(rt_review_renderer_t *r) {
  if (r == NULL)
    return;
  rt_review_xlsx_free(r->xlsx);
  free(r->file_chunk);
  free(r->doc.cells);
  rt_review_buf_free(&r->doc.scratch);
  rt_review_ctx_close(&r->doc.ctx);
  rt_review_buf_free(&r->out);
  rt_review_buf_free(&r->doc.group_key);
  rt_review_summary_free(r->own_summary);
  rt_review_stream_free(r->stream); /* before the model: it lends actors */
  rt_review_model_close(&r->model);
  for (size_t i = 0; r->stream != NULL && i < r->doc.totals.n_charts; i++)
    protobuf_c_message_free_unpacked(
        (ProtobufCMessage *)&r->doc.totals.charts[i].progress->base, NULL);
  free(r);
}
