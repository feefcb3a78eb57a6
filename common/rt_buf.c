/* rt_buf: see rt_buf.h. */
#include "rt_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation: big enough for a table cell or a short page
 * part, small enough that the many scratch buffers of a review cost
 * little. */
enum { FIRST_CAPACITY = 256 };

void rt_buf_free(rt_buf_t *b) {
  free(b->data);
  *b = (rt_buf_t){0};
}

static bool reserve(rt_buf_t *b, size_t extra) {
  if (b->failed)
    return false;
  if (b->len + extra + 1 <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : FIRST_CAPACITY;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      b->failed = true;
      return false;
    }
    cap *= 2;
  }
  char *data = realloc(b->data, cap);
  if (data == NULL) {
    b->failed = true;
    return false;
  }
  b->data = data;
  b->cap = cap;
  return true;
}

void rt_buf_append(rt_buf_t *b, const void *s, size_t n) {
  if (!reserve(b, n))
    return;
  if (n > 0)
    memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void rt_buf_puts(rt_buf_t *b, const char *s) {
  if (s != NULL)
    rt_buf_append(b, s, strlen(s));
}

void rt_buf_printf(rt_buf_t *b, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(NULL, 0, format, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
    return;
  }
  if (!reserve(b, (size_t)n))
    return;
  va_start(ap, format);
  vsnprintf(b->data + b->len, (size_t)n + 1, format, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void rt_buf_reset(rt_buf_t *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

const char *rt_buf_str(const rt_buf_t *b) {
  return b->data == NULL || b->failed ? "" : b->data;
}

void rt_buf_consume(rt_buf_t *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
  } else {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
  }
  if (b->data)
    b->data[b->len] = '\0';
}

char *rt_buf_take(rt_buf_t *b, size_t *len) {
  char *data = b->data;
  *len = b->len;
  *b = (rt_buf_t){0};
  return data;
}

static const char *html_reference(char c) {
  switch (c) {
  case '&':
    return "&amp;";
  case '<':
    return "&lt;";
  case '>':
    return "&gt;";
  case '"':
    return "&quot;";
  case '\'':
    return "&#39;";
  default:
    return NULL;
  }
}

void rt_buf_put_html(rt_buf_t *b, const char *s) {
  if (s == NULL)
    return;
  const char *run = s;
  for (const char *p = s; *p != '\0'; p++) {
    const char *ref = html_reference(*p);
    if (ref == NULL)
      continue;
    rt_buf_append(b, run, (size_t)(p - run));
    rt_buf_puts(b, ref);
    run = p + 1;
  }
  rt_buf_puts(b, run);
}
