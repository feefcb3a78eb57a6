/*
 * The CSV export: one table per file (recommendations, commitments,
 * follow-ups or measurements), RFC 4180: a header row of column keys, CRLF
 * line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
 * doubled, multi-valued fields joined with ';'. UTF-8 without a byte-order
 * mark; statuses are the enum names, numbers unformatted, dates ISO.
 *
 * Text that a spreadsheet would take for a formula (a cell starting with
 * = + - @, tab or CR) gets a leading single quote, as OWASP's "CSV
 * Injection" guidance recommends, so that opening an export never runs
 * what someone typed into a title or note. Only text columns are guarded:
 * numbers (a negative progress, say) stay numbers.
 */
#include "review_internal.h"

#include <stdbool.h>
#include <string.h>

#define ROWS_PER_STEP 128

static void csv_header(rt_review_doc_t *doc) {
  const rt_review_table_t *t = doc->table;
  for (size_t c = 0; c < t->column_count; c++) {
    if (c > 0)
      rt_review_buf_puts(doc->out, ",");
    rt_review_put_csv(doc->out, t->columns[c].key);
  }
  rt_review_buf_puts(doc->out, "\r\n");
}

static bool is_text_kind(int kind) {
  return kind == RT_CELL_TEXT || kind == RT_CELL_LIST;
}

/* Appends one data cell; doc->scratch holds its text on return. */
static void csv_cell(rt_review_doc_t *doc, const rt_review_column_t *col,
                     const rt_review_cell_t *cell) {
  rt_review_buf_reset(&doc->scratch);
  rt_review_cell_text(col, cell, ";", &doc->scratch);
  const char *text = rt_review_buf_str(&doc->scratch);
  if (is_text_kind(col->kind) && text[0] != '\0' &&
      strchr("=+-@\t\r", text[0]) != NULL) {
    rt_review_buf_t guarded = {0};
    rt_review_buf_puts(&guarded, "'");
    rt_review_buf_puts(&guarded, text);
    rt_review_put_csv(doc->out, rt_review_buf_str(&guarded));
    doc->out->failed |= guarded.failed;
    rt_review_buf_free(&guarded);
    return;
  }
  rt_review_put_csv(doc->out, text);
}

int rt_review_csv_step(rt_review_doc_t *doc) {
  const rt_review_table_t *t = doc->table;
  if (doc->section == 0) {
    csv_header(doc);
    doc->section = 1;
    return 0;
  }
  for (size_t i = 0; i < ROWS_PER_STEP; i++, doc->row++) {
    int rc = rt_review_next_row(doc, t);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      doc->done = true;
      return 0;
    }
    for (size_t c = 0; c < t->column_count; c++) {
      if (c > 0)
        rt_review_buf_puts(doc->out, ",");
      csv_cell(doc, &t->columns[c], &doc->cells[c]);
    }
    rt_review_buf_puts(doc->out, "\r\n");
  }
  return 0;
}
