/*
 * rt_buf: the growable byte buffer the review renderers and the web pages
 * write into, and the HTML escaping both need. A failed allocation marks
 * the buffer failed once and later appends are ignored, so that a writer
 * can append freely and check once per step (a renderer stops, the web
 * answers 500 instead of a truncated page).
 */
#ifndef RT_BUF_H
#define RT_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rt_buf {
  char *data; /* NUL-terminated once anything was appended */
  size_t len;
  size_t cap;
  bool failed; /* an allocation failed; later appends are ignored */
} rt_buf_t;

void rt_buf_free(rt_buf_t *b);
/* Appends n bytes (n may be 0: data is then allocated and terminated). */
void rt_buf_append(rt_buf_t *b, const void *s, size_t n);
/* Appends a string; NULL appends nothing. */
void rt_buf_puts(rt_buf_t *b, const char *s);
void rt_buf_printf(rt_buf_t *b, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Empties b, keeping its memory. */
void rt_buf_reset(rt_buf_t *b);
/* The contents as a string: "" when empty or after a failed append. */
const char *rt_buf_str(const rt_buf_t *b);
/* Drops the first n bytes. */
void rt_buf_consume(rt_buf_t *b, size_t n);
/* Hands the bytes to the caller (malloc'd, *len of them) and empties b. */
char *rt_buf_take(rt_buf_t *b, size_t *len);
/* Appends s with & < > " ' as character references: safe in HTML, SVG
 * and XML element content and quoted attribute values. NULL is "". The
 * bytes are copied as they are; callers that take text from records clean
 * it of malformed UTF-8 first. */
void rt_buf_put_html(rt_buf_t *b, const char *s);

#endif
