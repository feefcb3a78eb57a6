/*
 * The Markdown review: the content of the HTML review as GitHub-flavoured
 * Markdown tables (the charts become status-by-theme and status-by-actor
 * count tables). Cells are escaped so that no user text can end a cell,
 * break a row, or inject HTML: | and Markdown punctuation are backslash-
 * escaped, < > & " become character references and line breaks <br>.
 */
#include "review_lineage.h"
#include "review_pledges.h"

#include <string.h>

#define ROWS_PER_STEP 64

enum {
  S_HEAD,
  S_THEMES,
  S_ACTORS,
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

static void md_head(rt_review_doc_t *doc) {
  rt_review_buf_t *b = doc->out;
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  const rt_review_model_t *m = doc->ctx.model;
  rt_review_buf_printf(b,
                       "# Follow-up review\n\nPeriod: **%s** to **%s**; "
                       "status as of **%s**; data at revision %llu.\n\n",
                       m->from[0] ? m->from : "start", m->to, m->as_of,
                       (unsigned long long)s->revision);
  rt_review_buf_printf(b,
                       "- Recommendations: %d\n- Commitments: %d\n"
                       "- Status changes in the period: %zu\n"
                       "- Overdue: %zu\n- Without information in the "
                       "period: %zu\n- Awaiting validation: %d\n\n",
                       s->recommendation_count, s->commitment_count,
                       doc->totals.changes, doc->totals.overdue,
                       doc->totals.no_information, s->pending_count);
  rt_review_buf_t headline = {0};
  rt_review_lineage_headline(s, &headline);
  if (headline.len > 0) {
    rt_review_put_md(b, rt_review_buf_str(&headline));
    rt_review_buf_puts(b, "\n\n");
  }
  rt_review_buf_free(&headline);
  for (size_t i = 0; i < s->n_series_ceilings; i++) {
    rt_review_put_md(b, s->series_ceilings[i]->sentence);
    rt_review_buf_puts(b, "\n\n");
  }
  rt_review_buf_puts(b, "## Status of all items\n\n| Status | Items |\n"
                        "| --- | ---: |\n");
  for (size_t i = 0; i < s->n_by_status; i++)
    rt_review_buf_printf(b, "| %s | %d |\n",
                         rt_review_status_label(s->by_status[i]->status),
                         s->by_status[i]->count);
  rt_review_buf_puts(b, "\n");
}

/* A key x status table from sorted StatusCount entries. */
static void md_matrix(rt_review_doc_t *doc, const char *title,
                      const char *key_label,
                      Rectrack__V1__StatusCount *const *counts, size_t n,
                      rt_review_key_kind_t keys) {
  rt_review_buf_t *b = doc->out;
  rt_review_buf_printf(b, "## %s\n\n| %s |", title, key_label);
  for (int s = 1; s < RT_REVIEW_STATUS_COUNT; s++)
    rt_review_buf_printf(b, " %s |", rt_review_status_label(s));
  rt_review_buf_puts(b, " Total |\n| --- |");
  for (int s = 1; s <= RT_REVIEW_STATUS_COUNT; s++)
    rt_review_buf_puts(b, " ---: |");
  rt_review_buf_puts(b, "\n");
  for (size_t i = 0; i < n;) {
    int per_status[RT_REVIEW_STATUS_COUNT] = {0}, total = 0;
    size_t j = i;
    for (; j < n && strcmp(counts[j]->key, counts[i]->key) == 0; j++) {
      int st = counts[j]->status;
      if (st >= 0 && st < RT_REVIEW_STATUS_COUNT)
        per_status[st] += counts[j]->count;
      total += counts[j]->count;
    }
    const char *key = counts[i]->key;
    rt_review_buf_puts(b, "| ");
    char text[600];
    rt_review_put_md(
        b, rt_review_key_label(doc->ctx.model, keys, key, text, sizeof text));
    rt_review_buf_puts(b, " |");
    for (int s = 1; s < RT_REVIEW_STATUS_COUNT; s++)
      rt_review_buf_printf(b, " %d |", per_status[s]);
    rt_review_buf_printf(b, " %d |\n", total);
    i = j;
  }
  rt_review_buf_puts(b, "\n");
}

static void md_header(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_buf_t *b = doc->out;
  rt_review_buf_puts(b, "|");
  for (size_t c = 0; c < t->column_count; c++)
    if (t->columns[c].flags & RT_COL_DOC)
      rt_review_buf_printf(b, " %s |", t->columns[c].label);
  rt_review_buf_puts(b, "\n|");
  for (size_t c = 0; c < t->column_count; c++) {
    int kind = t->columns[c].kind;
    if (t->columns[c].flags & RT_COL_DOC)
      rt_review_buf_puts(b, kind == RT_CELL_NUMBER || kind == RT_CELL_INT
                                ? " ---: |"
                                : " --- |");
  }
  rt_review_buf_puts(b, "\n");
}

static void md_cell(rt_review_doc_t *doc, const rt_review_column_t *col,
                    const rt_review_cell_t *cell) {
  rt_review_buf_t *b = doc->out;
  rt_review_buf_puts(b, " ");
  if (cell->empty) {
  } else if (col->kind == RT_CELL_BOOL) {
    rt_review_buf_puts(b, cell->integer ? "**yes**" : "no");
  } else if (col->kind == RT_CELL_STATUS) {
    rt_review_buf_puts(b, rt_review_status_label((int)cell->integer));
  } else if (col->kind == RT_CELL_NUMBER && (col->flags & RT_COL_PERCENT)) {
    rt_review_buf_printf(b, "%.0f%%", cell->number * 100);
  } else {
    rt_review_buf_reset(&doc->scratch);
    rt_review_cell_text(col, cell, "; ", &doc->scratch);
    rt_review_put_md(b, rt_review_buf_str(&doc->scratch));
  }
  rt_review_buf_puts(b, " |");
}

static void md_theme_group(rt_review_doc_t *doc, const rt_review_table_t *t,
                           const char *theme) {
  rt_review_buf_puts(doc->out, doc->row > 0 ? "\n### Theme: " : "### Theme: ");
  rt_review_put_md(
      doc->out,
      rt_review_key_label(doc->ctx.model, RT_REVIEW_KEY_THEME, theme, NULL, 0));
  rt_review_buf_puts(doc->out, "\n\n");
  md_header(doc, t);
}

static void md_heading(rt_review_doc_t *doc, const rt_review_table_t *t) {
  rt_review_buf_printf(doc->out, "## %s\n\n", t->title);
  if (t != &rt_review_table_pledges)
    return;
  rt_review_buf_t text = {0};
  rt_review_pledges_headline(doc->ctx.summary, &text);
  if (text.len > 0) {
    rt_review_put_md(doc->out, rt_review_buf_str(&text));
    rt_review_buf_puts(doc->out, "\n\n");
  }
  rt_review_buf_free(&text);
}

static const rt_review_table_style_t md_style = {
    .heading = md_heading,
    .none = "None.\n\n",
    .open = md_header,
    .group = md_theme_group,
    .cell = md_cell,
    .row_start = "|",
    .row_end = "\n",
    .table_end = "\n",
    .rows_per_step = ROWS_PER_STEP,
};

static const rt_review_table_t *section_table(int section) {
  switch (section) {
  case S_CHANGES:
    return &rt_review_table_changes;
  case S_OVERDUE:
    return &rt_review_table_overdue;
  case S_INDICATORS:
    return &rt_review_table_indicators;
  case S_SERIES:
    return &rt_review_table_series;
  case S_RECOMMENDATIONS:
    return &rt_review_table_recommendations;
  case S_COMMITMENTS:
    return &rt_review_table_commitments;
  case S_SDG:
    return &rt_review_table_sdg;
  case S_GCM:
    return &rt_review_table_gcm;
  case S_NO_INFORMATION:
    return &rt_review_table_no_information;
  case S_LINES:
    return &rt_review_table_lines;
  case S_SPECIFICITY:
    return &rt_review_table_specificity;
  case S_PLEDGES:
    return &rt_review_table_pledges;
  default:
    return NULL;
  }
}

int rt_review_md_step(rt_review_doc_t *doc) {
  const Rectrack__V1__ReviewSummary *s = doc->ctx.summary;
  int rc = 1;
  if (doc->section == S_HEAD) {
    md_head(doc);
  } else if (doc->section == S_THEMES) {
    md_matrix(doc, "Recommendations by theme and status", "Theme", s->by_theme,
              s->n_by_theme, RT_REVIEW_KEY_THEME);
  } else if (doc->section == S_ACTORS) {
    md_matrix(doc, "Items by actor and status", "Actor", s->by_actor,
              s->n_by_actor, RT_REVIEW_KEY_ACTOR);
  } else if (doc->section < S_END) {
    rc = rt_review_table_step(doc, section_table(doc->section),
                              doc->section == S_RECOMMENDATIONS, &md_style);
  } else {
    doc->done = true;
    return 0;
  }
  if (rc < 0)
    return rc;
  if (rc == 1)
    doc->section++;
  return 0;
}
