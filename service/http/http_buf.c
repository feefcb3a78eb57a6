/*
 * http_buf: the URL half of the escaping that keeps what a record or a
 * query string holds from ever becoming markup or another address:
 * percent-encoding of everything but the unreserved characters of RFC
 * 3986 section 2.3. The buffer itself and HTML escaping are common/rt_buf.
 */
#include "http_internal.h"

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
