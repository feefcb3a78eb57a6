/*
 * The HTML review: one self-contained, printable file (inline CSS, inline
 * SVG, no scripts, fonts, images or links to fetch) that opens offline.
 * It is produced section by section (head and key figures, the charts, one
 * chart per quantified commitment, then each table a few dozen rows at a
 * time) so that a review of any size streams in bounded memory. User text
 * is always escaped and sits in dir="auto" cells, so right-to-left text
 * displays correctly without disturbing the layout.
 */
#include "review_internal.h"

#include <stdio.h>
#include <string.h>

#define ROWS_PER_STEP 64

enum {
  S_HEAD,
  S_CHART_THEME,
  S_CHART_ACTOR,
  S_CHART_INDICATORS,
  S_CHANGES,
  S_OVERDUE,
  S_INDICATORS,
  S_RECOMMENDATIONS,
  S_COMMITMENTS,
  S_SDG,
  S_GCM,
  S_NO_INFORMATION,
  S_END,
};

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
    "sans-serif;color:#222;line-height:1.4;max-width:1200px;margin:1.5em "
    "auto;padding:0 1em}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:"
    "1px solid #bbb;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em}\n"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em;"
    "font-size:.88em}\n"
    "th,td{border:1px solid #c8c8c8;padding:.25em .45em;text-align:left;"
    "vertical-align:top}thead th{background:#eeeeee}\n"
    "tbody tr:nth-child(even){background:#f8f8f8}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.t{white-space:pre-line}td.s{white-space:nowrap}\n"
    ".sw{display:inline-block;width:.85em;height:.85em;margin-right:.35em;"
    "border:1px solid #555;vertical-align:-.1em}\n"
    ".s0{background:#DDDDDD}.s1{background:#999999}.s2{background:#E69F00}"
    ".s3{background:#56B4E9}.s4{background:#F0E442}.s5{background:#009E73}"
    ".s6{background:#D55E00}.s7{background:#CC79A7}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:.4em 1.2em;margin:.5em 0}"
    ".legend span{white-space:nowrap}\n"
    ".figures{display:flex;flex-wrap:wrap;gap:.6em;margin:1em 0}.figures div"
    "{border:1px solid #c8c8c8;padding:.4em .9em}.figures b{display:block;"
    "font-size:1.4em}\n"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}figcaption{font-size:"
    ".85em;color:#555}\n"
    "@media print{body{max-width:none;margin:0;font-size:10pt}h2,h3{break-"
    "after:avoid}thead{display:table-header-group}tr,figure{break-inside:"
    "avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static void put_figure(rt_review_buf_t *b, const char *label, size_t value) {
  rt_review_buf_printf(b, "<div><b>%zu</b>%s</div>", value, label);
}

static void put_legend(rt_review_buf_t *b) {
  rt_review_buf_puts(b, "<p class=\"legend\" aria-label=\"Status colours\">");
  for (int s = 1; s < RT_REVIEW_STATUS_COUNT; s++)
    rt_review_buf_printf(b, "<span><span class=\"sw s%d\"></span>%s</span>", s,
                         rt_review_status_label(s));
  rt_review_buf_puts(b, "</p>\n");
}

static void html_head(rt_review_doc_t *doc) {
  rt_review_buf_t *b = doc->out;
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  const rt_review_model_t *m = doc->ctx.model;
  rt_review_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                        "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
                        "content=\"width=device-width, initial-scale=1\">\n"
                        "<title>Follow-up review ");
  rt_review_buf_printf(b, "%s to %s</title>\n<style>\n%s</style>\n</head>\n",
                       m->from[0] ? m->from : "start", m->to, style);
  rt_review_buf_printf(b,
                       "<body>\n<h1>Follow-up review</h1>\n<p>Period: "
                       "<b>%s</b> to <b>%s</b>; status as of <b>%s</b>; "
                       "data at revision %llu.</p>\n",
                       m->from[0] ? m->from : "start", m->to, m->as_of,
                       (unsigned long long)s->revision);
  rt_review_buf_puts(b, "<div class=\"figures\">");
  put_figure(b, "recommendations", (size_t)s->recommendation_count);
  put_figure(b, "commitments", (size_t)s->commitment_count);
  put_figure(b, "status changes in the period", s->n_changes);
  put_figure(b, "overdue", s->n_overdue);
  put_figure(b, "without information in the period", s->n_no_information_ids);
  rt_review_buf_puts(b, "</div>\n<h2>Status of all items</h2>\n"
                        "<table class=\"t-status\"><thead><tr><th>Status</th>"
                        "<th>Items</th></tr></thead><tbody>\n");
  for (size_t i = 0; i < s->n_by_status; i++)
    rt_review_buf_printf(b,
                         "<tr><td class=\"s\"><span class=\"sw s%d\"></span>"
                         "%s</td><td class=\"n\">%d</td></tr>\n",
                         s->by_status[i]->status,
                         rt_review_status_label(s->by_status[i]->status),
                         s->by_status[i]->count);
  rt_review_buf_puts(b, "</tbody></table>\n");
  put_legend(b);
}

static void html_cell(rt_review_doc_t *doc, const rt_review_column_t *col,
                      const rt_review_cell_t *cell) {
  rt_review_buf_t *b = doc->out;
  char number[32];
  if (cell->empty) {
    rt_review_buf_puts(b, "<td></td>");
    return;
  }
  switch (col->kind) {
  case RT_CELL_STATUS:
    rt_review_buf_printf(b,
                         "<td class=\"s\"><span class=\"sw s%ld\"></span>%s"
                         "</td>",
                         cell->integer,
                         rt_review_status_label((int)cell->integer));
    return;
  case RT_CELL_NUMBER:
    if (col->flags & RT_COL_PERCENT) {
      rt_review_buf_printf(b, "<td class=\"n\">%.0f%%</td>",
                           cell->number * 100);
      return;
    }
    rt_review_format_number(cell->number, number);
    rt_review_buf_printf(b, "<td class=\"n\">%s</td>", number);
    return;
  case RT_CELL_INT:
  case RT_CELL_TRAJ:
    rt_review_buf_puts(b,
                       col->kind == RT_CELL_INT ? "<td class=\"n\">" : "<td>");
    rt_review_cell_text(col, cell, "; ", b);
    rt_review_buf_puts(b, "</td>");
    return;
  default:
    rt_review_buf_reset(&doc->scratch);
    rt_review_cell_text(col, cell, "; ", &doc->scratch);
    rt_review_buf_puts(b, "<td class=\"t\" dir=\"auto\">");
    rt_review_put_html(b, rt_review_buf_str(&doc->scratch));
    rt_review_buf_puts(b, "</td>");
  }
}

static void open_table(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_buf_printf(doc->out, "<table class=\"t-%s\"><thead><tr>", t->key);
  for (size_t c = 0; c < t->column_count; c++)
    if (t->columns[c].flags & RT_COL_DOC)
      rt_review_buf_printf(doc->out, "<th scope=\"col\">%s</th>",
                           t->columns[c].label);
  rt_review_buf_puts(doc->out, "</tr></thead><tbody>\n");
}

/* Recommendations come in one table per theme, under its own heading. */
static void open_theme_group(rt_review_doc_t *doc, const rt_review_table_t *t) {
  const rt_review_model_t *m = doc->ctx.model;
  const char *theme = m->recs[doc->row].rec->theme;
  if (doc->row > 0) {
    if (strcmp(theme, m->recs[doc->row - 1].rec->theme) == 0)
      return;
    rt_review_buf_puts(doc->out, "</tbody></table>\n");
  }
  rt_review_buf_puts(doc->out, "<h3 dir=\"auto\">Theme: ");
  rt_review_put_html(doc->out, theme[0] ? theme : "(no theme)");
  rt_review_buf_puts(doc->out, "</h3>\n");
  open_table(doc, t);
}

/* Emits the next rows of a table; 1 when it is finished, 0 when more
 * rows remain, RT_ENOMEM. */
static int html_table(rt_review_doc_t *doc, const rt_review_table_t *t,
                      bool by_theme) {
  size_t n = t->row_count(&doc->ctx);
  if (doc->row == 0) {
    rt_review_buf_printf(doc->out, "<h2>%s</h2>\n", t->title);
    if (n == 0) {
      rt_review_buf_puts(doc->out, "<p>None.</p>\n");
      return 1;
    }
    if (!by_theme)
      open_table(doc, t);
  }
  size_t end = doc->row + ROWS_PER_STEP < n ? doc->row + ROWS_PER_STEP : n;
  for (; doc->row < end; doc->row++) {
    if (t->fill(&doc->ctx, doc->row, doc->cells) != 0)
      return RT_ENOMEM;
    if (by_theme)
      open_theme_group(doc, t);
    rt_review_buf_puts(doc->out, "<tr>");
    for (size_t c = 0; c < t->column_count; c++)
      if (t->columns[c].flags & RT_COL_DOC)
        html_cell(doc, &t->columns[c], &doc->cells[c]);
    rt_review_buf_puts(doc->out, "</tr>\n");
  }
  if (doc->row < n)
    return 0;
  rt_review_buf_puts(doc->out, "</tbody></table>\n");
  doc->row = 0;
  return 1;
}

/* One indicator chart per step; 1 when all are drawn. */
static int html_indicator_chart(rt_review_doc_t *doc) {
  const rt_review_model_t *m = doc->ctx.model;
  if (doc->row == 0)
    rt_review_buf_puts(doc->out,
                       "<h2>Indicators: measurements against the path "
                       "to target</h2>\n");
  while (doc->row < m->com_count && !m->coms[doc->row].has_indicator)
    doc->row++;
  if (doc->row == m->com_count) {
    doc->row = 0;
    return 1;
  }
  rt_review_svg_indicator(doc->out, &doc->scratch, &m->coms[doc->row++], m);
  return 0;
}

static int html_charts(rt_review_doc_t *doc) {
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  if (doc->section == S_CHART_THEME) {
    rt_review_buf_puts(doc->out, "<h2>Status by theme</h2>\n");
    rt_review_svg_status_bars(doc->out, doc->ctx.model, s->by_theme,
                              s->n_by_theme,
                              "Status of recommendations by theme",
                              "Number of recommendations", "Theme", false);
  } else {
    rt_review_buf_puts(doc->out, "<h2>Status by actor</h2>\n");
    rt_review_svg_status_bars(
        doc->out, doc->ctx.model, s->by_actor, s->n_by_actor,
        "Status of recommendations and commitments by actor",
        "Number of recommendations addressed to or led by the actor, and "
        "commitments it made",
        "Actor", true);
  }
  return 1;
}

int rt_review_html_step(rt_review_doc_t *doc) {
  int rc = 1;
  switch (doc->section) {
  case S_HEAD:
    html_head(doc);
    break;
  case S_CHART_THEME:
  case S_CHART_ACTOR:
    rc = html_charts(doc);
    break;
  case S_CHART_INDICATORS:
    rc = html_indicator_chart(doc);
    break;
  case S_CHANGES:
    rc = html_table(doc, &rt_review_table_changes, false);
    break;
  case S_OVERDUE:
    rc = html_table(doc, &rt_review_table_overdue, false);
    break;
  case S_INDICATORS:
    rc = html_table(doc, &rt_review_table_indicators, false);
    break;
  case S_RECOMMENDATIONS:
    rc = html_table(doc, &rt_review_table_recommendations, true);
    break;
  case S_COMMITMENTS:
    rc = html_table(doc, &rt_review_table_commitments, false);
    break;
  case S_SDG:
    rc = html_table(doc, &rt_review_table_sdg, false);
    break;
  case S_GCM:
    rc = html_table(doc, &rt_review_table_gcm, false);
    break;
  case S_NO_INFORMATION:
    rc = html_table(doc, &rt_review_table_no_information, false);
    break;
  default:
    rt_review_buf_puts(doc->out, "<footer><p>Produced by rectrack.</p>"
                                 "</footer>\n</body>\n</html>\n");
    doc->done = true;
    return 0;
  }
  if (rc < 0)
    return rc;
  if (rc == 1)
    doc->section++;
  return 0;
}
