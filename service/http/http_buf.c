/*
 * http_buf: the growable buffer every answer of the HTTP listener is
 * written into, and the escaping that keeps what a record or a query
 * string holds from ever becoming markup: HTML text and attribute values
 * (& < > " ' as character references), URL components (percent-encoding
 * of everything but the unreserved characters of RFC 3986 section 2.3).
 * A failed allocation marks the buffer failed once; the server then
 * answers 500 instead of a truncated page.
 */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(http_buf_t *b, size_t more) {
  if (b->failed)
    return false;
  if (b->len + more + 1 <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more + 1) {
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

void http_buf_append(http_buf_t *b, const void *data, size_t len) {
  if (len == 0 || !reserve(b, len))
    return;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void http_buf_puts(http_buf_t *b, const char *text) {
  if (text != NULL)
    http_buf_append(b, text, strlen(text));
}

void http_buf_printf(http_buf_t *b, const char *format, ...) {
  va_list args;
  va_start(args, format);
  char small[256];
  int n = vsnprintf(small, sizeof small, format, args);
  va_end(args);
  if (n < 0) {
    b->failed = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    http_buf_append(b, small, (size_t)n);
    return;
  }
  if (!reserve(b, (size_t)n))
    return;
  va_start(args, format);
  vsnprintf(b->data + b->len, (size_t)n + 1, format, args);
  va_end(args);
  b->len += (size_t)n;
}

void http_buf_html(http_buf_t *b, const char *text) {
  if (text == NULL)
    return;
  const char *run = text;
  for (const char *p = text; *p != '\0'; p++) {
    const char *entity = NULL;
    switch (*p) {
    case '&':
      entity = "&amp;";
      break;
    case '<':
      entity = "&lt;";
      break;
    case '>':
      entity = "&gt;";
      break;
    case '"':
      entity = "&quot;";
      break;
    case '\'':
      entity = "&#39;";
      break;
    default:
      continue;
    }
    http_buf_append(b, run, (size_t)(p - run));
    http_buf_puts(b, entity);
    run = p + 1;
  }
  http_buf_puts(b, run);
}

static bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

void http_buf_url(http_buf_t *b, const char *text) {
  static const char hex[] = "0123456789ABCDEF";
  if (text == NULL)
    return;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (unreserved(*p)) {
      http_buf_append(b, p, 1);
      continue;
    }
    char escaped[3] = {'%', hex[*p >> 4], hex[*p & 15]};
    http_buf_append(b, escaped, 3);
  }
}

char *http_buf_take(http_buf_t *b, size_t *len) {
  char *data = b->data;
  *len = b->len;
  *b = (http_buf_t){0};
  return data;
}

void http_buf_free(http_buf_t *b) {
  free(b->data);
  *b = (http_buf_t){0};
}
