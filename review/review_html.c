/*
 * The HTML review: one self-contained, printable file (inline CSS, inline
 * SVG, no scripts, fonts, images or links to fetch) that opens offline.
 * It opens with the headline figures a follow-up meeting starts from
 * (recommendations, implemented, changes in the period, overdue, targets
 * on and off track, items without news) and a status overview, then the
 * charts, then the tables. It is produced section by section (head and
 * figures, the charts, one chart per quantified commitment, then each
 * table a few dozen rows at a time) so that a review of any size streams
 * in bounded memory. The print CSS (A4 landscape) keeps figures, charts
 * and rows whole and repeats table headers. User text is always escaped
 * and sits in dir="auto" cells, so right-to-left text displays correctly
 * without disturbing the layout.
 */
#include "review_lineage.h"
#include "review_pledges.h"
#include "review_series.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_PER_STEP 64

enum {
  S_HEAD,
  S_CHART_THEME,
  S_CHART_ACTOR,
  S_CHART_INDICATORS,
  S_CHART_SERIES,
  S_CHANGES,
  S_OVERDUE,
  S_INDICATORS,
  S_SERIES,
  S_RECOMMENDATIONS,
  S_COMMITMENTS,
  S_SDG,
  S_GCM,
  S_NO_INFORMATION,
  S_LINES,
  S_SPECIFICITY,
  S_PLEDGES,
  S_END,
};

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
    "sans-serif;color:#1a1a1a;line-height:1.4;max-width:1200px;margin:1.5em "
    "auto;padding:0 1em}\n"
    "h1{font-size:1.7em;margin:0 0 .15em}h2{font-size:1.3em;border-bottom:"
    "2px solid #0072B2;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em;"
    "margin:1.2em 0 .3em}.sub{color:#444;margin:0 0 1em}\n"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em;"
    "font-size:.88em}\n"
    "th,td{border:1px solid #c8c8c8;padding:.25em .45em;text-align:left;"
    "vertical-align:top}thead th{background:#e8eef4}\n"
    "tbody tr:nth-child(even){background:#f7f7f7}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.t{white-space:pre-line}td.s,td.d{white-space:nowrap}table.t-"
    "indicators,table.t-commitments,table.t-recommendations{font-size:.8em}"
    "table.t-indicators td.t{overflow-wrap:break-word}td.u{white-space:"
    "nowrap}\n"
    "nav.toc{border:1px solid #c8c8c8;background:#fbfbfb;padding:.4em 1em;"
    "margin:1em 0}nav.toc ol{margin:.3em 0;padding-left:1.4em;columns:2}"
    "a{color:#005a8c}td a{overflow-wrap:anywhere}\n"
    ".sw{display:inline-block;width:.85em;height:.85em;margin-right:.35em;"
    "border:1px solid #555;vertical-align:-.1em}\n"
    ".s0{background:#DDDDDD}.s1{background:#999999}.s2{background:#E69F00}"
    ".s3{background:#56B4E9}.s4{background:#F0E442}.s5{background:#009E73}"
    ".s6{background:#D55E00}.s7{background:#CC79A7}\n"
    ".tj{display:inline-block;padding:0 .4em;border-radius:.6em;"
    "white-space:nowrap;font-weight:600;border:1px solid}"
    ".tj1{color:#555;border-color:#999}.tj2{color:#005a8c;border-color:"
    "#0072B2}.tj3{color:#a33b00;border-color:#D55E00}.tj4{color:#006b4f;"
    "border-color:#009E73}\n"
    ".figures{display:grid;grid-template-columns:repeat(auto-fit,minmax("
    "8.5em,1fr));gap:.5em;margin:1em 0}.figures div{border:1px solid "
    "#c8c8c8;border-top:4px solid #0072B2;padding:.45em .8em;background:"
    "#fbfbfb}.figures b{display:block;font-size:1.9em;line-height:1.1}"
    ".figures small{display:block;color:#444}.figures .warn{border-top-color:"
    "#D55E00}.figures .ok{border-top-color:#009E73}\n"
    "table.t-status{width:auto;min-width:22em}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax("
    "520px,1fr));gap:0 1.5em}\n"
    "figure{margin:.5em 0 1.2em}svg{max-width:100%;height:auto}figcaption{"
    "font-size:.85em;color:#444}\n"
    "@page{size:A4 landscape;margin:12mm}\n"
    "@media print{body{max-width:none;margin:0;font-size:9.5pt}h2,h3{break-"
    "after:avoid}h2{break-before:auto}thead{display:table-header-group}tr,"
    "figure,.figures,.ind,.chart{break-inside:"
    "avoid}nav.toc{display:none}.charts{grid-template-columns:"
    "1fr 1fr}*{-webkit-"
    "print-color-adjust:exact;print-color-adjust:exact}}\n";

static const char *const trajectory_labels[] = {"", "No data", "On track",
                                                "Off track", "Achieved"};

static const char *trajectory_label(long t) {
  return t >= 0 && t <= 4 ? trajectory_labels[t] : "";
}

static void put_figure(rt_review_buf_t *b, const char *kind, size_t value,
                       const char *label, const char *detail) {
  rt_review_buf_printf(b, "<div class=\"%s\"><b>%zu</b>%s", kind, value, label);
  if (detail != NULL)
    rt_review_buf_printf(b, "<small>%s</small>", detail);
  rt_review_buf_puts(b, "</div>");
}

/* Items per status, and how many of them have that status. */
static size_t status_total(const Rectrack__V1__ReviewSummary *s, int status) {
  size_t n = 0;
  for (size_t i = 0; i < s->n_by_status; i++)
    if (status < 0 || (int)s->by_status[i]->status == status)
      n += (size_t)s->by_status[i]->count;
  return n;
}

/* The headline: the figures a follow-up meeting starts from. */
static void html_figures(rt_review_buf_t *b,
                         const Rectrack__V1__ReviewSummary *s,
                         const rt_review_totals_t *n) {
  size_t items = status_total(s, -1);
  size_t done = status_total(s, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
  const size_t *traj = n->trajectories;
  char detail[160];
  rt_review_buf_puts(b, "<div class=\"figures\">");
  snprintf(detail, sizeof detail, "and %d commitments", s->commitment_count);
  put_figure(b, "", (size_t)s->recommendation_count, "recommendations", detail);
  snprintf(detail, sizeof detail, "%.0f%% of %zu items",
           items ? 100.0 * (double)done / (double)items : 0.0, items);
  put_figure(b, "ok", done, "implemented", detail);
  put_figure(b, "", n->changes, "status changes", "reported in the period");
  put_figure(b, "warn", n->overdue, "overdue",
             "past due, not implemented or withdrawn");
  put_figure(b, "", (size_t)s->pending_count, "awaiting validation",
             "reports and measurements submitted, not yet official");
  snprintf(detail, sizeof detail, "of %zu quantified targets (%zu achieved)",
           n->indicators, traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED]);
  put_figure(b, "ok",
             traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK] +
                 traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED],
             "on track or achieved", detail);
  snprintf(detail, sizeof detail, "and %zu without a measurement",
           traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_NO_DATA]);
  put_figure(b, "warn", traj[RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK],
             "targets off track", detail);
  put_figure(b, "", n->no_information, "without news",
             "no report dated in the period");
  rt_review_buf_puts(b, "</div>\n");
}

/* The sections in the order they come, with the ids they carry. */
static const struct {
  const char *id, *title;
} contents[] = {
    {"status", "Status of all items"},
    {"chart-themes", "Recommendations by theme"},
    {"chart-actors", "Recommendations and commitments by actor"},
    {"indicator-charts", "Quantified targets: measurements"},
    {"series-charts", "Disaggregated series: charts"},
    {"changes", "Status changes in the period"},
    {"overdue", "Overdue"},
    {"indicators", "Quantified commitments"},
    {"series", "Disaggregated series"},
    {"recommendations", "Recommendations by theme"},
    {"commitments", "Commitments"},
    {"sdg_targets", "Items per SDG target"},
    {"gcm_objectives", "Items per GCM objective"},
    {"no_information", "No information in the period"},
    {"lines", "Lines of follow-up"},
    {"specificity", "How specific the recommendations are"},
    {"pledges", "Joint and matching pledges"},
};

/* The table of contents: links within the document only. */
static void html_contents(rt_review_buf_t *b) {
  rt_review_buf_puts(b, "<nav class=\"toc\" aria-label=\"Contents\"><b>"
                        "Contents</b><ol>\n");
  for (size_t i = 0; i < sizeof contents / sizeof *contents; i++)
    rt_review_buf_printf(b, "<li><a href=\"#%s\">%s</a></li>\n", contents[i].id,
                         contents[i].title);
  rt_review_buf_puts(b, "</ol></nav>\n");
}

/* Whether entry is an absolute http or https URL (what the server takes
 * as evidence, besides DOIs). */
static bool is_web_address(const char *entry) {
  return strncmp(entry, "https://", 8) == 0 ||
         strncmp(entry, "http://", 7) == 0;
}

/* Evidence entries as links: a URL to itself, a DOI to its resolver;
 * anything else (written before evidence was checked) as text. */
static void html_evidence(rt_review_buf_t *b, const rt_review_cell_t *cell) {
  rt_review_buf_puts(b, "<td class=\"t\">");
  for (size_t i = 0; i < cell->list_len; i++) {
    const char *entry = cell->list[i] ? cell->list[i] : "";
    if (i > 0)
      rt_review_buf_puts(b, "<br>");
    bool doi = strncmp(entry, "doi:", 4) == 0 && entry[4] != '\0';
    if (!is_web_address(entry) && !doi) {
      rt_review_put_html(b, entry);
      continue;
    }
    rt_review_buf_puts(b, "<a rel=\"noopener noreferrer\" href=\"");
    if (doi) {
      rt_review_buf_puts(b, "https://doi.org/");
      rt_review_put_html(b, entry + 4);
    } else {
      rt_review_put_html(b, entry);
    }
    rt_review_buf_puts(b, "\">");
    rt_review_put_html(b, entry);
    rt_review_buf_puts(b, "</a>");
  }
  rt_review_buf_puts(b, "</td>");
}

static void html_head(rt_review_doc_t *doc) {
  rt_review_buf_t *b = doc->out;
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  const rt_review_model_t *m = doc->ctx.model;
  const char *from = m->from[0] ? m->from : "the start";
  rt_review_buf_printf(b,
                       "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                       "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
                       "content=\"width=device-width, initial-scale=1\">\n"
                       "<title>Follow-up review %s to %s</title>\n<style>\n"
                       "%s</style>\n</head>\n",
                       from, m->to, style);
  rt_review_buf_printf(b,
                       "<body>\n<h1>Follow-up review, %s to %s</h1>\n<p "
                       "class=\"sub\">Status of every recommendation and "
                       "commitment as of <b>%s</b>; changes reported between "
                       "<b>%s</b> and <b>%s</b>. Data at revision %llu.</p>\n",
                       from, m->to, m->as_of, from, m->to,
                       (unsigned long long)s->revision);
  html_figures(b, s, &doc->totals);
  rt_review_buf_t headline = {0};
  rt_review_lineage_headline(s, &headline);
  if (headline.len > 0) {
    rt_review_buf_puts(b, "<p class=\"lines\">");
    rt_review_put_html(b, rt_review_buf_str(&headline));
    rt_review_buf_puts(b, "</p>\n");
  }
  rt_review_buf_free(&headline);
  for (size_t i = 0; i < s->n_series_ceilings; i++) {
    rt_review_buf_puts(b, "<p class=\"series\" dir=\"auto\">");
    rt_review_put_html(b, s->series_ceilings[i]->sentence);
    rt_review_buf_puts(b, "</p>\n");
  }
  html_contents(b);
  rt_review_buf_puts(b, "<h2 id=\"status\">Status of all items</h2>\n");
  rt_review_svg_status_overview(b, s->by_status, s->n_by_status);
  rt_review_buf_puts(b, "<table class=\"t-status\"><thead><tr><th>Status</th>"
                        "<th>Items</th><th>Share</th></tr></thead><tbody>\n");
  size_t items = status_total(s, -1);
  for (size_t i = 0; i < s->n_by_status; i++)
    rt_review_buf_printf(
        b,
        "<tr><td class=\"s\"><span class=\"sw s%d\"></span>%s</td><td "
        "class=\"n\">%d</td><td class=\"n\">%.0f%%</td></tr>\n",
        s->by_status[i]->status,
        rt_review_status_label(s->by_status[i]->status), s->by_status[i]->count,
        items ? 100.0 * s->by_status[i]->count / (double)items : 0.0);
  rt_review_buf_puts(b, "</tbody></table>\n");
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
    rt_review_buf_puts(b, "<td class=\"n\">");
    rt_review_cell_text(col, cell, "; ", b);
    rt_review_buf_puts(b, "</td>");
    return;
  case RT_CELL_TRAJ:
    rt_review_buf_printf(b,
                         "<td class=\"s\"><span class=\"tj tj%ld\">%s"
                         "</span></td>",
                         cell->integer, trajectory_label(cell->integer));
    return;
  case RT_CELL_BOOL:
    rt_review_buf_puts(b, cell->integer ? "<td class=\"s\"><b>yes</b></td>"
                                        : "<td class=\"s\">no</td>");
    return;
  case RT_CELL_DATE:
    rt_review_buf_puts(b, "<td class=\"d\">");
    rt_review_put_html(b, cell->text);
    rt_review_buf_puts(b, "</td>");
    return;
  case RT_CELL_LIST:
    if (strcmp(col->key, "evidence") == 0) {
      html_evidence(b, cell);
      return;
    }
    /* fall through */
  default:
    rt_review_buf_reset(&doc->scratch);
    rt_review_cell_text(col, cell, "; ", &doc->scratch);
    /* A unit ("per cent", "USD million") is read whole. */
    rt_review_buf_puts(b, strcmp(col->key, "unit") == 0
                              ? "<td class=\"t u\" dir=\"auto\">"
                              : "<td class=\"t\" dir=\"auto\">");
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
static void open_theme_group(rt_review_doc_t *doc, const rt_review_table_t *t,
                             const char *theme) {
  if (doc->row > 0)
    rt_review_buf_puts(doc->out, "</tbody></table>\n");
  rt_review_buf_puts(doc->out, "<h3 dir=\"auto\">Theme: ");
  rt_review_put_html(
      doc->out,
      rt_review_key_label(doc->ctx.model, RT_REVIEW_KEY_THEME, theme, NULL, 0));
  rt_review_buf_puts(doc->out, "</h3>\n");
  open_table(doc, t);
}

/* SDG targets beyond this many are summed up under the chart. */
#define MAX_SDG_BARS 25

/* The chart of the SDG or GCM section: items per target or objective,
 * by status, labelled with the target's label or objective's title. */
static void html_tag_chart(rt_review_doc_t *doc, bool gcm) {
  Rectrack__V1__StatusCount **counts = NULL;
  size_t n = 0;
  if (rt_review_breakdown_counts(&doc->ctx, gcm, &counts, &n) != 0) {
    doc->out->failed = true;
    return;
  }
  if (gcm)
    rt_review_svg_status_bars(
        doc->out, doc->ctx.model, counts, n, SIZE_MAX,
        "Status of the items tagged with each objective of the Global "
        "Compact for Safe, Orderly and Regular Migration",
        "Number of items", "GCM objective", RT_REVIEW_KEY_GCM);
  else
    rt_review_svg_status_bars(
        doc->out, doc->ctx.model, counts, n, MAX_SDG_BARS,
        "Status of the items tagged with each target of the Sustainable "
        "Development Goals",
        "Number of items", "SDG target", RT_REVIEW_KEY_SDG);
  free(counts);
}

static void html_heading(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_buf_printf(doc->out, "<h2 id=\"%s\">%s</h2>\n", t->key, t->title);
  if ((t == &rt_review_table_sdg || t == &rt_review_table_gcm) &&
      t->row_count(&doc->ctx) > 0)
    html_tag_chart(doc, t == &rt_review_table_gcm);
  if (t != &rt_review_table_pledges)
    return;
  rt_review_buf_t text = {0};
  rt_review_pledges_headline(doc->ctx.summary, &text);
  if (text.len > 0) {
    rt_review_buf_puts(doc->out, "<p>");
    rt_review_put_html(doc->out, rt_review_buf_str(&text));
    rt_review_buf_puts(doc->out, "</p>\n");
  }
  rt_review_buf_free(&text);
}

static const rt_review_table_style_t html_style = {
    .heading = html_heading,
    .none = "<p>None.</p>\n",
    .open = open_table,
    .group = open_theme_group,
    .cell = html_cell,
    .row_start = "<tr>",
    .row_end = "</tr>\n",
    .table_end = "</tbody></table>\n",
    .rows_per_step = ROWS_PER_STEP,
};

/* Writes before, the escaped date and after, when the date is set. */
static void put_date(rt_review_buf_t *b, const char *before, const char *date,
                     const char *after) {
  if (date == NULL || date[0] == '\0')
    return;
  rt_review_buf_puts(b, before);
  rt_review_put_html(b, date);
  rt_review_buf_puts(b, after);
}

/* The heading of an indicator chart: what it measures, who promised it,
 * whether it is on track, and the figures the chart shows. */
static void indicator_heading(rt_review_doc_t *doc,
                              const rt_review_item_t *it) {
  rt_review_buf_t *b = doc->out;
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  char v[32];
  rt_review_buf_puts(b, "<div class=\"ind\"><h3 dir=\"auto\">");
  rt_review_put_html(b, it->id);
  rt_review_buf_puts(b, ": ");
  rt_review_put_html(b, ind->name[0] ? ind->name : it->title);
  rt_review_buf_printf(b, " <span class=\"tj tj%d\">%s</span></h3>\n",
                       it->trajectory, trajectory_label(it->trajectory));
  rt_review_buf_puts(b, "<p class=\"sub\" dir=\"auto\">");
  rt_review_put_html(b,
                     rt_review_actor_name(doc->ctx.model, it->com->actor_id));
  rt_review_format_number(ind->baseline_value, v);
  rt_review_buf_printf(b, ". Baseline %s", v);
  put_date(b, " (", ind->baseline_date, ")");
  rt_review_format_number(ind->target_value, v);
  rt_review_buf_printf(b, ", target %s", v);
  put_date(b, " by ", ind->target_date, "");
  if (it->has_latest) {
    rt_review_format_number(it->latest_value, v);
    rt_review_buf_printf(b, "; latest %s", v);
    put_date(b, " on ", it->latest_as_of, "");
    if (isfinite(it->progress))
      rt_review_buf_printf(b, ", %.0f%% of the way.", it->progress * 100);
    else
      rt_review_buf_puts(b, ".");
  } else {
    rt_review_buf_puts(b, "; no measurement yet.");
  }
  rt_review_buf_puts(b, " Unit: ");
  rt_review_put_html(b, ind->unit[0] ? ind->unit : "none given");
  rt_review_buf_puts(b, ".</p>\n");
}

/* One indicator chart per step; 1 when all are drawn. */
static int html_indicator_chart(rt_review_doc_t *doc) {
  if (doc->row == 0)
    rt_review_buf_puts(doc->out,
                       "<h2 id=\"indicator-charts\">Quantified targets: "
                       "measurements against the "
                       "straight path to the target</h2>\n<div "
                       "class=\"charts\">\n");
  const rt_review_item_t *it = NULL;
  const rt_review_model_t *m = NULL;
  int rc = rt_review_next_indicator(doc, &it, &m);
  if (rc < 0)
    return rc;
  if (rc == 0) {
    rt_review_buf_puts(doc->out, "</div>\n");
    doc->row = 0;
    return 1;
  }
  indicator_heading(doc, it);
  rt_review_svg_indicator(doc->out, &doc->scratch, it, m);
  rt_review_buf_puts(doc->out, "</div>\n");
  return 0;
}

/* The sentence of a commitment's ceiling report, when the summary has
 * one for it. */
static const char *series_sentence(const Rectrack__V1__ReviewSummary *s,
                                   const char *id) {
  for (size_t i = 0; i < s->n_series_ceilings; i++)
    if (strcmp(s->series_ceilings[i]->commitment_id, id) == 0)
      return s->series_ceilings[i]->sentence;
  return NULL;
}

/* The charts of one commitment's series per step; 1 when all are drawn
 * (at once when no commitment has any). */
static int html_series_charts(rt_review_doc_t *doc) {
  if (doc->row == 0) {
    rt_review_buf_puts(doc->out,
                       "<h2 id=\"series-charts\">Disaggregated series: each "
                       "against the straight path and the per-series "
                       "ceiling</h2>\n");
    if (doc->totals.series == 0) {
      rt_review_buf_puts(doc->out, "<p>None.</p>\n");
      return 1;
    }
  }
  const rt_review_item_t *it = NULL;
  const rt_review_model_t *m = NULL;
  int rc = rt_review_next_indicator(doc, &it, &m);
  if (rc < 0)
    return rc;
  if (rc == 0) {
    doc->row = 0;
    return 1;
  }
  if (it->series_count == 0)
    return 0;
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  rt_review_buf_puts(doc->out, "<div class=\"ind\"><h3 dir=\"auto\">");
  rt_review_put_html(doc->out, it->id);
  rt_review_buf_puts(doc->out, ": ");
  rt_review_put_html(doc->out, ind->name[0] ? ind->name : it->title);
  rt_review_buf_printf(doc->out, ", %zu series</h3>\n", it->series_count);
  const char *sentence = series_sentence(doc->summary, it->id);
  if (sentence != NULL) {
    rt_review_buf_puts(doc->out, "<p class=\"sub\" dir=\"auto\">");
    rt_review_put_html(doc->out, sentence);
    rt_review_buf_puts(doc->out, "</p>\n");
  }
  if (it->series_count > RT_REVIEW_SERIES_APART)
    rt_review_svg_series(doc->out, &doc->scratch, it, m);
  else {
    rt_review_buf_puts(doc->out, "<div class=\"charts\">\n");
    rt_review_svg_series(doc->out, &doc->scratch, it, m);
    rt_review_buf_puts(doc->out, "</div>\n");
  }
  rt_review_buf_puts(doc->out, "</div>\n");
  return 0;
}

/* Actors beyond this many are summed up under the chart. */
#define MAX_ACTOR_BARS 20

static int html_charts(rt_review_doc_t *doc) {
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  if (doc->section == S_CHART_THEME) {
    rt_review_buf_puts(doc->out, "<section class=\"chart\"><h2 "
                                 "id=\"chart-themes\">Recommendations by "
                                 "theme</h2>\n");
    rt_review_svg_status_bars(
        doc->out, doc->ctx.model, s->by_theme, s->n_by_theme, SIZE_MAX,
        "Status of recommendations by theme", "Number of recommendations",
        "Theme", RT_REVIEW_KEY_THEME);
  } else {
    rt_review_buf_puts(doc->out, "<section class=\"chart\"><h2 "
                                 "id=\"chart-actors\">Recommendations and "
                                 "commitments by actor</h2>\n");
    rt_review_svg_status_bars(
        doc->out, doc->ctx.model, s->by_actor, s->n_by_actor, MAX_ACTOR_BARS,
        "Status by actor: recommendations the actor leads or is addressed by, "
        "and commitments it made.",
        "Number of items", "Actor", RT_REVIEW_KEY_ACTOR);
  }
  rt_review_buf_puts(doc->out, "</section>\n");
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
  case S_CHART_SERIES:
    rc = html_series_charts(doc);
    break;
  case S_SERIES:
    rc = rt_review_table_step(doc, &rt_review_table_series, false, &html_style);
    break;
  case S_CHANGES:
    rc =
        rt_review_table_step(doc, &rt_review_table_changes, false, &html_style);
    break;
  case S_OVERDUE:
    rc =
        rt_review_table_step(doc, &rt_review_table_overdue, false, &html_style);
    break;
  case S_INDICATORS:
    rc = rt_review_table_step(doc, &rt_review_table_indicators, false,
                              &html_style);
    break;
  case S_RECOMMENDATIONS:
    rc = rt_review_table_step(doc, &rt_review_table_recommendations, true,
                              &html_style);
    break;
  case S_COMMITMENTS:
    rc = rt_review_table_step(doc, &rt_review_table_commitments, false,
                              &html_style);
    break;
  case S_SDG:
    rc = rt_review_table_step(doc, &rt_review_table_sdg, false, &html_style);
    break;
  case S_GCM:
    rc = rt_review_table_step(doc, &rt_review_table_gcm, false, &html_style);
    break;
  case S_NO_INFORMATION:
    rc = rt_review_table_step(doc, &rt_review_table_no_information, false,
                              &html_style);
    break;
  case S_LINES:
    rc = rt_review_table_step(doc, &rt_review_table_lines, false, &html_style);
    break;
  case S_SPECIFICITY:
    rc = rt_review_table_step(doc, &rt_review_table_specificity, false,
                              &html_style);
    break;
  case S_PLEDGES:
    rc =
        rt_review_table_step(doc, &rt_review_table_pledges, false, &html_style);
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
