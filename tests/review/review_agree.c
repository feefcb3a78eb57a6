/* Checks the review tests share (review_agree.h). */
#include "review_agree.h"
#include "review_source.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static uint8_t *packed(const Rectrack__V1__ReviewSummary *s, size_t *len) {
  *len = protobuf_c_message_get_packed_size(&s->base);
  uint8_t *p = malloc(*len + 1);
  assert_non_null(p);
  protobuf_c_message_pack(&s->base, p);
  return p;
}

Rectrack__V1__ReviewSummary *
review_expect_stream_agrees(const rt_review_input_t *in,
                            size_t max_list_items) {
  rt_review_input_t bounded = *in;
  bounded.max_list_items = max_list_items;
  Rectrack__V1__ReviewSummary *a = NULL, *b = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&bounded, &a, &err), 0);
  review_source_t *src = review_array_source_new(&bounded);
  assert_non_null(src);
  rt_review_stream_input_t sin = {.from_date = in->from_date,
                                  .to_date = in->to_date,
                                  .as_of = in->as_of,
                                  .revision = in->revision,
                                  .source = review_source_get(src)};
  assert_int_equal(rt_review_compute_stream(&sin, max_list_items, &b, &err), 0);
  review_source_free(src);
  size_t la, lb;
  uint8_t *pa = packed(a, &la), *pb = packed(b, &lb);
  assert_int_equal(la, lb);
  assert_memory_equal(pa, pb, la);
  free(pa);
  free(pb);
  rt_review_summary_free(a);
  return b;
}

char *review_drain(rt_review_renderer_t *r, size_t *len) {
  char *doc = calloc(1, 1);
  assert_non_null(doc);
  const uint8_t *chunk;
  size_t n;
  int rc;
  *len = 0;
  while ((rc = rt_review_renderer_next(r, &chunk, &n)) == 1) {
    if (n == 0)
      continue; /* XLSX: the workbook is being built */
    doc = realloc(doc, *len + n + 1);
    assert_non_null(doc);
    memcpy(doc + *len, chunk, n);
    *len += n;
    doc[*len] = '\0';
  }
  assert_int_equal(rc, 0);
  rt_review_renderer_free(r);
  return doc;
}
