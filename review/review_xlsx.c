/*
 * The XLSX review, written with libxlsxwriter: sheets Summary,
 * Recommendations, Commitments, FollowUps, Measurements, Overdue, Changes,
 * SDG, GCM, Actors (id to name, for the id columns of the others), Lines,
 * Specificity and Series (the disaggregated series). Cells are
 * typed (dates are Excel dates with a date format, numbers are numbers,
 * progress a percentage), each data sheet has a frozen header row and an
 * autofilter, and the Summary carries one scatter chart per quantified
 * commitment (up to MAX_CHARTS): its measurements against the straight path
 * from baseline to target. The workbook is built in constant-memory mode
 * in a temporary file, a batch of rows per step, so the caller's loop is
 * never held for long; once closed, the file is unlinked and read back.
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define ROWS_PER_STEP 1000
#define MAX_CHARTS 32
#define XLSX_MAX_STRING 32767 /* characters in one cell */
#define SHEET_COUNT 13        /* data_sheets */

enum { X_SUMMARY, X_SHEETS, X_CLOSE, X_DONE };

struct rt_review_xlsx {
  rt_review_doc_t *doc;
  char *path;
  lxw_workbook *wb;
  lxw_worksheet *summary, *sheets[SHEET_COUNT];
  lxw_format *bold, *date, *integer, *percent, *wrap;
  FILE *file;
  int stage;
  size_t sheet; /* X_SHEETS: the one being written */
  size_t row;
  size_t indicator_row; /* Summary row of the first indicator */
  bool sheet_started;   /* the current sheet has its header */
};

static const struct {
  const char *name;
  const rt_review_table_t *table;
} data_sheets[] = {
    {"Recommendations", &rt_review_table_recommendations},
    {"Commitments", &rt_review_table_commitments},
    {"FollowUps", &rt_review_table_follow_ups},
    {"Measurements", &rt_review_table_measurements},
    {"Overdue", &rt_review_table_overdue},
    {"Changes", &rt_review_table_changes},
    {"SDG", &rt_review_table_sdg},
    {"GCM", &rt_review_table_gcm},
    {"Actors", &rt_review_table_actors},
    {"Lines", &rt_review_table_lines},
    {"Specificity", &rt_review_table_specificity},
    {"Pledges", &rt_review_table_pledges},
    {"Series", &rt_review_table_series},
};

_Static_assert(sizeof data_sheets / sizeof data_sheets[0] == SHEET_COUNT,
               "one worksheet per data sheet");

static int make_temp_path(rt_review_xlsx_t *x, rt_error_t *err) {
  const char *dir = getenv("TMPDIR");
  if (dir == NULL || dir[0] == '\0')
    dir = "/tmp";
  size_t size = strlen(dir) + 40;
  x->path = malloc(size);
  if (x->path == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  snprintf(x->path, size, "%s/rectrack-review-XXXXXX.xlsx", dir);
  int fd = mkstemps(x->path, 5);
  if (fd < 0) {
    x->path[0] = '\0';
    return rt_error_set(err, RT_EIO, NULL,
                        "cannot create a temporary file in %s", dir);
  }
  close(fd);
  return 0;
}

static void add_formats(rt_review_xlsx_t *x) {
  x->bold = workbook_add_format(x->wb);
  format_set_bold(x->bold);
  x->date = workbook_add_format(x->wb);
  format_set_num_format(x->date, "yyyy-mm-dd");
  x->integer = workbook_add_format(x->wb);
  format_set_num_format(x->integer, "0");
  x->percent = workbook_add_format(x->wb);
  format_set_num_format(x->percent, "0%");
  x->wrap = workbook_add_format(x->wb);
  format_set_text_wrap(x->wrap);
}

int rt_review_xlsx_new(rt_review_doc_t *doc, rt_review_xlsx_t **out,
                       rt_error_t *err) {
  rt_review_xlsx_t *x = calloc(1, sizeof *x);
  if (x == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  x->doc = doc;
  int rc = make_temp_path(x, err);
  if (rc != 0)
    goto fail;
  lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
  x->wb = workbook_new_opt(x->path, &options);
  if (x->wb == NULL) {
    rc = rt_error_set(err, RT_EIO, NULL, "cannot start the XLSX workbook");
    goto fail;
  }
  add_formats(x);
  x->summary = workbook_add_worksheet(x->wb, "Summary");
  for (size_t i = 0; i < SHEET_COUNT; i++)
    x->sheets[i] = workbook_add_worksheet(x->wb, data_sheets[i].name);
  *out = x;
  return 0;
fail:
  rt_review_xlsx_free(x);
  return rc;
}

/* Writes user text, cleaned of what XML cannot hold and cut to the cell
 * limit on a character boundary. */
static void write_text(rt_review_xlsx_t *x, lxw_worksheet *ws, size_t row,
                       int col, const char *s, lxw_format *format) {
  rt_review_buf_t *scratch = &x->doc->scratch;
  s = rt_review_clean(scratch, s);
  if (s[0] == '\0')
    return;
  size_t chars = 0, i = 0;
  while (s[i] && chars < XLSX_MAX_STRING) {
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      chars++;
    i++;
  }
  while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
    i++;
  if (s[i] != '\0') {
    rt_review_buf_t cut = {0};
    rt_review_buf_append(&cut, s, i);
    worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col,
                           rt_review_buf_str(&cut), format);
    rt_review_buf_free(&cut);
    return;
  }
  worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, format);
}

static void write_date(rt_review_xlsx_t *x, lxw_worksheet *ws, size_t row,
                       int col, const char *date) {
  int y, m, d;
  if (date == NULL || date[0] == '\0')
    return;
  if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3 && y >= 1900) {
    lxw_datetime dt = {y, m, d, 0, 0, 0};
    worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &dt, x->date);
  } else {
    write_text(x, ws, row, col, date, NULL);
  }
}

static void write_cell(rt_review_xlsx_t *x, lxw_worksheet *ws, size_t row,
                       int col, const rt_review_column_t *column,
                       const rt_review_cell_t *cell) {
  lxw_row_t r = (lxw_row_t)row;
  lxw_col_t c = (lxw_col_t)col;
  if (cell->empty)
    return;
  switch (column->kind) {
  case RT_CELL_DATE:
    write_date(x, ws, row, col, cell->text);
    break;
  case RT_CELL_NUMBER:
    worksheet_write_number(ws, r, c, cell->number,
                           column->flags & RT_COL_PERCENT ? x->percent : NULL);
    break;
  case RT_CELL_INT:
    worksheet_write_number(ws, r, c, (double)cell->integer, x->integer);
    break;
  case RT_CELL_STATUS:
    worksheet_write_string(ws, r, c, rt_review_status_label((int)cell->integer),
                           NULL);
    break;
  case RT_CELL_BOOL:
    worksheet_write_boolean(ws, r, c, cell->integer != 0, NULL);
    break;
  default: {
    rt_review_buf_t joined = {0};
    rt_review_cell_text(column, cell, "; ", &joined);
    write_text(x, ws, row, col, rt_review_buf_str(&joined), NULL);
    rt_review_buf_free(&joined);
  }
  }
}

static void write_header(rt_review_xlsx_t *x, lxw_worksheet *ws, size_t row,
                         const rt_review_table_t *t, bool set_widths) {
  for (size_t c = 0; c < t->column_count; c++) {
    worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)c,
                           t->columns[c].label, x->bold);
    if (set_widths)
      worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, t->columns[c].width,
                           NULL);
  }
}

/* Writes the next rows of t from sheet row first_row + *written on, at
 * most max of them; *ended when the table has no more. */
static int write_table_rows(rt_review_xlsx_t *x, lxw_worksheet *ws,
                            const rt_review_table_t *t, size_t first_row,
                            size_t *written, size_t max, bool *ended) {
  *ended = false;
  for (size_t i = 0; i < max; i++) {
    int rc = rt_review_next_row(x->doc, t);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      *ended = true;
      return 0;
    }
    for (size_t c = 0; c < t->column_count; c++)
      write_cell(x, ws, first_row + *written, (int)c, &t->columns[c],
                 &x->doc->cells[c]);
    (*written)++;
    x->doc->row++;
  }
  return 0;
}

static size_t summary_figures(rt_review_xlsx_t *x) {
  const Rectrack__V1__ReviewSummary *s = x->doc->ctx.summary;
  lxw_worksheet *ws = x->summary;
  worksheet_set_column(ws, 0, 0, 34, NULL);
  worksheet_set_column(ws, 1, 12, 14, NULL);
  worksheet_write_string(ws, 0, 0, "Follow-up review", x->bold);
  const char *labels[] = {"From", "To", "As of"};
  const char *dates[] = {s->from_date, s->to_date, s->as_of};
  for (int i = 0; i < 3; i++) {
    worksheet_write_string(ws, (lxw_row_t)(1 + i), 0, labels[i], NULL);
    write_date(x, ws, (size_t)(1 + i), 1, dates[i]);
  }
  const rt_review_totals_t *n = &x->doc->totals;
  double traj[5], implemented = 0;
  for (size_t i = 0; i < 5; i++)
    traj[i] = (double)n->trajectories[i];
  for (size_t i = 0; i < s->n_by_status; i++)
    if (s->by_status[i]->status == RECTRACK__V1__STATUS__STATUS_IMPLEMENTED)
      implemented += s->by_status[i]->count;
  const char *count_labels[] = {"Revision",
                                "Recommendations",
                                "Commitments",
                                "Implemented (items)",
                                "Status changes in the period",
                                "Overdue",
                                "Without information in the period",
                                "Quantified targets achieved or on track",
                                "Quantified targets off track",
                                "Quantified targets without a measurement",
                                "Awaiting validation",
                                "Recommendations counted (each line once)",
                                "Lines of follow-up",
                                "Counted under a later one of their line",
                                "Superseded",
                                "Disaggregated series",
                                "Commitments with a per-series ceiling",
                                "Series beyond their ceiling"};
  double counts[] = {(double)s->revision,
                     s->recommendation_count,
                     s->commitment_count,
                     implemented,
                     (double)n->changes,
                     (double)n->overdue,
                     (double)n->no_information,
                     traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED] +
                         traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK],
                     traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK],
                     traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_NO_DATA],
                     s->pending_count,
                     s->counted_recommendation_count,
                     s->line_count,
                     s->folded_count,
                     s->superseded_count,
                     s->series_count,
                     s->series_ceiling_count,
                     s->series_above_ceiling_count};
  size_t n_counts = sizeof counts / sizeof counts[0];
  for (size_t i = 0; i < n_counts; i++) {
    worksheet_write_string(ws, (lxw_row_t)(4 + i), 0, count_labels[i], NULL);
    worksheet_write_number(ws, (lxw_row_t)(4 + i), 1, counts[i], x->integer);
  }
  size_t row = 4 + n_counts + 1;
  worksheet_write_string(ws, (lxw_row_t)row, 0, "Status", x->bold);
  worksheet_write_string(ws, (lxw_row_t)row++, 1, "Items", x->bold);
  for (size_t i = 0; i < s->n_by_status; i++, row++) {
    worksheet_write_string(ws, (lxw_row_t)row, 0,
                           rt_review_status_label(s->by_status[i]->status),
                           NULL);
    worksheet_write_number(ws, (lxw_row_t)row, 1, s->by_status[i]->count,
                           x->integer);
  }
  if (s->n_series_ceilings == 0)
    return row + 1;
  worksheet_write_string(ws, (lxw_row_t)++row, 0, "Per-series ceilings",
                         x->bold);
  for (size_t i = 0; i < s->n_series_ceilings; i++)
    write_text(x, ws, ++row, 0, s->series_ceilings[i]->sentence, NULL);
  return row + 2;
}

static size_t summary_counts(rt_review_xlsx_t *x, size_t row, const char *title,
                             Rectrack__V1__StatusCount *const *counts,
                             size_t n) {
  lxw_worksheet *ws = x->summary;
  worksheet_write_string(ws, (lxw_row_t)row, 0, title, x->bold);
  worksheet_write_string(ws, (lxw_row_t)row, 1, "Status", x->bold);
  worksheet_write_string(ws, (lxw_row_t)row++, 2, "Items", x->bold);
  for (size_t i = 0; i < n; i++, row++) {
    write_text(x, ws, row, 0, counts[i]->key, NULL);
    worksheet_write_string(ws, (lxw_row_t)row, 1,
                           rt_review_status_label(counts[i]->status), NULL);
    worksheet_write_number(ws, (lxw_row_t)row, 2, counts[i]->count, x->integer);
  }
  return row + 1;
}

static void add_indicator_chart(rt_review_xlsx_t *x, size_t i,
                                lxw_row_t anchor) {
  const rt_review_charted_t *charted = &x->doc->totals.charts[i];
  const Rectrack__V1__IndicatorProgress *p = charted->progress;
  lxw_chart *chart =
      workbook_add_chart(x->wb, LXW_CHART_SCATTER_STRAIGHT_WITH_MARKERS);
  rt_review_buf_t title = {0};
  rt_review_buf_printf(
      &title, "%s: %s", p->commitment_id,
      p->indicator && p->indicator->name[0] ? p->indicator->name : p->title);
  chart_title_set_name(
      chart, rt_review_clean(&x->doc->scratch, rt_review_buf_str(&title)));
  rt_review_buf_free(&title);
  lxw_row_t r = (lxw_row_t)(x->indicator_row + i);
  lxw_chart_series *path = chart_add_series(chart, NULL, NULL);
  /* The indicators table's baseline and target dates, then values. */
  chart_series_set_categories(path, "Summary", r, 6, r, 7);
  chart_series_set_values(path, "Summary", r, 8, r, 9);
  chart_series_set_name(path, "Straight path to target");
  lxw_chart_line dashed = {
      .color = 0x0072B2, .width = 2, .dash_type = LXW_CHART_LINE_DASH_DASH};
  chart_series_set_line(path, &dashed);
  if (charted->meas_count > 0) {
    lxw_chart_series *measured = chart_add_series(chart, NULL, NULL);
    lxw_row_t first = (lxw_row_t)(charted->meas_first + 1);
    lxw_row_t last = (lxw_row_t)(charted->meas_first + charted->meas_count);
    chart_series_set_categories(measured, "Measurements", first, 3, last, 3);
    chart_series_set_values(measured, "Measurements", first, 4, last, 4);
    chart_series_set_name(measured, "Measured");
    lxw_chart_line solid = {.color = 0xD55E00, .width = 2.25};
    lxw_chart_fill fill = {.color = 0xD55E00};
    chart_series_set_line(measured, &solid);
    chart_series_set_marker_type(measured, LXW_CHART_MARKER_CIRCLE);
    chart_series_set_marker_size(measured, 6);
    chart_series_set_marker_fill(measured, &fill);
    chart_series_set_marker_line(measured, &solid);
  }
  chart_axis_set_num_format(chart->x_axis, "yyyy-mm-dd");
  chart_axis_set_name(chart->x_axis, "Date");
  chart_axis_set_name(
      chart->y_axis, p->indicator && p->indicator->unit[0]
                         ? rt_review_clean(&x->doc->scratch, p->indicator->unit)
                         : "Value");
  chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
  worksheet_insert_chart(x->summary, anchor, 15, chart);
}

static int write_summary(rt_review_xlsx_t *x) {
  const Rectrack__V1__ReviewSummary *s = x->doc->ctx.summary;
  const rt_review_table_t *t = &rt_review_table_indicators;
  worksheet_freeze_panes(x->summary, 1, 0);
  size_t row = summary_figures(x);
  worksheet_write_string(x->summary, (lxw_row_t)row++, 0,
                         "Quantified commitments", x->bold);
  write_header(x, x->summary, row++, t, false);
  x->indicator_row = row;
  size_t written = 0;
  bool ended = false;
  while (!ended) {
    int rc =
        write_table_rows(x, x->summary, t, row, &written, SIZE_MAX, &ended);
    if (rc != 0)
      return rc;
  }
  x->doc->row = 0;
  row += written + 1;
  row = summary_counts(x, row, "Theme", s->by_theme, s->n_by_theme);
  summary_counts(x, row, "Actor", s->by_actor, s->n_by_actor);
  for (size_t i = 0; i < x->doc->totals.n_charts && i < MAX_CHARTS; i++)
    add_indicator_chart(x, i, (lxw_row_t)(1 + i * 18));
  return 0;
}

/* The next batch of one data sheet; moves to the next sheet at its end. */
static int write_sheet_batch(rt_review_xlsx_t *x) {
  const rt_review_table_t *t = data_sheets[x->sheet].table;
  lxw_worksheet *ws = x->sheets[x->sheet];
  if (x->row == 0 && !x->sheet_started) {
    size_t n = rt_review_table_rows(x->doc, t);
    write_header(x, ws, 0, t, true);
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_autofilter(ws, 0, 0, (lxw_row_t)n,
                         (lxw_col_t)(t->column_count - 1));
    x->sheet_started = true;
  }
  bool ended = false;
  int rc = write_table_rows(x, ws, t, 1, &x->row, ROWS_PER_STEP, &ended);
  if (rc != 0)
    return rc;
  if (ended) {
    x->row = 0;
    x->doc->row = 0;
    x->sheet_started = false;
    if (++x->sheet == SHEET_COUNT)
      x->stage++;
  }
  return 0;
}

static int close_workbook(rt_review_xlsx_t *x) {
  lxw_error e = workbook_close(x->wb);
  x->wb = NULL;
  if (e != LXW_NO_ERROR)
    return RT_EIO;
  x->file = fopen(x->path, "rb");
  unlink(x->path);
  x->path[0] = '\0';
  return x->file ? 0 : RT_EIO;
}

int rt_review_xlsx_step(rt_review_xlsx_t *x, bool *complete) {
  int rc = 0;
  *complete = false;
  if (x->stage == X_SUMMARY) {
    rc = write_summary(x);
    x->stage++;
  } else if (x->stage == X_SHEETS) {
    rc = write_sheet_batch(x);
  } else if (x->stage == X_CLOSE) {
    rc = close_workbook(x);
    x->stage++;
  }
  if (rc == 0 && x->doc->scratch.failed)
    rc = RT_ENOMEM;
  *complete = rc == 0 && x->stage == X_DONE;
  return rc;
}

int rt_review_xlsx_read(rt_review_xlsx_t *x, uint8_t *dst, size_t cap,
                        size_t *len) {
  *len = fread(dst, 1, cap, x->file);
  return ferror(x->file) ? RT_EIO : 0;
}

void rt_review_xlsx_free(rt_review_xlsx_t *x) {
  if (x == NULL)
    return;
  if (x->wb != NULL)
    lxw_workbook_free(x->wb); /* abandoned before closing: nothing written */
  if (x->file != NULL)
    fclose(x->file);
  if (x->path != NULL && x->path[0] != '\0')
    unlink(x->path);
  free(x->path);
  free(x);
}
