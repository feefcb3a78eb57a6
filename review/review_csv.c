/*
 * The CSV export: one table per file (recommendations, commitments,
 * follow-ups or measurements), RFC 4180: a header row of column keys, CRLF
 * line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
 * doubled, multi-valued fields joined with ';'. UTF-8 without a byte-order
 * mark; statuses are the enum names, numbers unformatted, dates ISO.
 */
#include "review_internal.h"

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

int rt_review_csv_step(rt_review_doc_t *doc) {
  const rt_review_table_t *t = doc->table;
  if (doc->section == 0) {
    csv_header(doc);
    doc->section = 1;
    return 0;
  }
  size_t n = t->row_count(&doc->ctx);
  size_t end = doc->row + ROWS_PER_STEP < n ? doc->row + ROWS_PER_STEP : n;
  for (; doc->row < end; doc->row++) {
    if (t->fill(&doc->ctx, doc->row, doc->cells) != 0)
      return RT_ENOMEM;
    for (size_t c = 0; c < t->column_count; c++) {
      if (c > 0)
        rt_review_buf_puts(doc->out, ",");
      rt_review_buf_reset(&doc->scratch);
      rt_review_cell_text(&t->columns[c], &doc->cells[c], ";", &doc->scratch);
      rt_review_put_csv(doc->out, rt_review_buf_str(&doc->scratch));
    }
    rt_review_buf_puts(doc->out, "\r\n");
  }
  if (doc->row == n)
    doc->done = true;
  return 0;
}
