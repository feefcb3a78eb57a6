/*
 * Writes every export of the fixture review (review_fixture.c) into the
 * directory named by argv[1], for check_exports.py to read back with
 * independent parsers: review.html, review.md, review.json, review.xlsx
 * and review-<table>.csv for each CSV table. Exits non-zero on any error
 * or on a chunk larger than RT_REVIEW_CHUNK_MAX.
 */
#include "review_fixture.h"

#include <stdio.h>
#include <stdlib.h>

static int write_export(const rt_review_input_t *in, const char *dir,
                        rt_review_format_t format, const char *table,
                        const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  if (rt_review_renderer_new(in, NULL, format, table, &r, &err) != 0) {
    fprintf(stderr, "%s: %s\n", name, err.message);
    return 1;
  }
  FILE *out = fopen(path, "wb");
  const uint8_t *chunk;
  size_t len;
  int rc = out ? 1 : -1;
  while (rc == 1 && (rc = rt_review_renderer_next(r, &chunk, &len)) == 1) {
    if (len > RT_REVIEW_CHUNK_MAX ||
        (len > 0 && fwrite(chunk, 1, len, out) != len))
      rc = -1;
  }
  if (out && fclose(out) != 0)
    rc = -1;
  rt_review_renderer_free(r);
  if (rc != 0)
    fprintf(stderr, "%s: failed (%d)\n", name, rc);
  return rc != 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  review_fixture_t *f = malloc(sizeof *f);
  if (f == NULL)
    return 1;
  review_fixture_init(f);
  int failed = 0;
  failed |= write_export(&f->in, argv[1], RT_REVIEW_HTML, NULL, "review.html");
  failed |=
      write_export(&f->in, argv[1], RT_REVIEW_MARKDOWN, NULL, "review.md");
  failed |= write_export(&f->in, argv[1], RT_REVIEW_JSON, NULL, "review.json");
  failed |= write_export(&f->in, argv[1], RT_REVIEW_XLSX, NULL, "review.xlsx");
  const char *tables[] = {"recommendations", "commitments", "follow-ups",
                          "measurements"};
  for (int i = 0; i < 4; i++) {
    char name[64];
    snprintf(name, sizeof name, "review-%s.csv", tables[i]);
    failed |= write_export(&f->in, argv[1], RT_REVIEW_CSV, tables[i], name);
  }
  free(f);
  return failed;
}
