/*
 * Text plumbing for the renderers (their buffer is common/rt_buf.h): the
 * escapers for HTML, GitHub-flavoured Markdown and RFC 4180
 * CSV, a UTF-8 cleaner (user text is validated on the way in, but a review
 * must never emit bytes that break the file), the natural id order and the
 * number format and the spellings of status and trajectory values shared
 * by every format.
 */
#include "review_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when it is
 * malformed (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_sequence(const unsigned char *s) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned long cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

static bool is_dropped_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

const char *rt_review_clean(rt_review_buf_t *scratch, const char *s) {
  if (s == NULL)
    return "";
  const unsigned char *p = (const unsigned char *)s;
  bool clean = true;
  for (size_t n; *p; p += n) {
    n = utf8_sequence(p);
    if (n == 0 || is_dropped_control(*p)) {
      clean = false;
      break;
    }
  }
  if (clean)
    return s;
  rt_review_buf_reset(scratch);
  for (p = (const unsigned char *)s; *p;) {
    size_t n = utf8_sequence(p);
    if (n == 0) {
      rt_review_buf_puts(scratch, "\xEF\xBF\xBD");
      p++;
    } else {
      if (!is_dropped_control(*p))
        rt_review_buf_append(scratch, (const char *)p, n);
      p += n;
    }
  }
  rt_review_buf_append(scratch, "", 0);
  return scratch->failed ? "" : scratch->data;
}

void rt_review_put_html(rt_review_buf_t *b, const char *s) {
  rt_review_buf_t scratch = {0};
  rt_buf_put_html(b, rt_review_clean(&scratch, s));
  rt_review_buf_free(&scratch);
}

void rt_review_put_html_short(rt_review_buf_t *b, const char *s,
                              size_t max_chars) {
  rt_review_buf_t scratch = {0}, cut = {0};
  s = rt_review_clean(&scratch, s);
  const unsigned char *p = (const unsigned char *)s;
  size_t chars = 0;
  while (*p && chars < max_chars) {
    p += utf8_sequence(p);
    chars++;
  }
  if (*p == '\0') {
    rt_review_put_html(b, s);
  } else {
    rt_review_buf_append(&cut, s, (size_t)((const char *)p - s));
    rt_review_buf_puts(&cut, "\xE2\x80\xA6");
    rt_review_put_html(b, cut.failed ? "" : cut.data);
  }
  rt_review_buf_free(&cut);
  rt_review_buf_free(&scratch);
}

void rt_review_put_md(rt_review_buf_t *b, const char *s) {
  rt_review_buf_t scratch = {0};
  s = rt_review_clean(&scratch, s);
  for (const char *p = s; *p; p++) {
    switch (*p) {
    case '&':
      rt_review_buf_puts(b, "&amp;");
      break;
    case '<':
      rt_review_buf_puts(b, "&lt;");
      break;
    case '>':
      rt_review_buf_puts(b, "&gt;");
      break;
    case '"':
      rt_review_buf_puts(b, "&quot;");
      break;
    case '\r':
      rt_review_buf_puts(b, "<br>");
      if (p[1] == '\n')
        p++;
      break;
    case '\n':
      rt_review_buf_puts(b, "<br>");
      break;
    case '|':
    case '\\':
    case '`':
    case '*':
    case '_':
    case '[':
    case ']':
    case '~':
    case '#':
    case '!':
      rt_review_buf_append(b, "\\", 1);
      rt_review_buf_append(b, p, 1);
      break;
    default:
      rt_review_buf_append(b, p, 1);
      break;
    }
  }
  rt_review_buf_free(&scratch);
}

void rt_review_put_csv(rt_review_buf_t *b, const char *s) {
  rt_review_buf_t scratch = {0};
  s = rt_review_clean(&scratch, s);
  if (strpbrk(s, ",\"\r\n") == NULL) {
    rt_review_buf_puts(b, s);
  } else {
    rt_review_buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
      if (*p == '"')
        rt_review_buf_append(b, "\"", 1);
      rt_review_buf_append(b, p, 1);
    }
    rt_review_buf_append(b, "\"", 1);
  }
  rt_review_buf_free(&scratch);
}

void rt_review_format_number(double value, char out[32]) {
  if (!isfinite(value)) {
    snprintf(out, 32, "%s", "");
    return;
  }
  for (int precision = 10; precision <= 17; precision++) {
    snprintf(out, 32, "%.*g", precision, value);
    if (strtod(out, NULL) == value)
      return;
  }
}

/* Compares the digit runs at *a and *b as numbers and advances both. */
static int compare_digit_runs(const char **a, const char **b) {
  while (**a == '0' && isdigit((unsigned char)(*a)[1]))
    (*a)++;
  while (**b == '0' && isdigit((unsigned char)(*b)[1]))
    (*b)++;
  size_t la = 0, lb = 0;
  while (isdigit((unsigned char)(*a)[la]))
    la++;
  while (isdigit((unsigned char)(*b)[lb]))
    lb++;
  int result = la != lb ? (la < lb ? -1 : 1) : memcmp(*a, *b, la);
  *a += la;
  *b += lb;
  return result;
}

int rt_review_natcmp(const char *a, const char *b) {
  const char *sa = a, *sb = b;
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      int c = compare_digit_runs(&a, &b);
      if (c != 0)
        return c;
    } else if (*a != *b) {
      return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    } else {
      a++;
      b++;
    }
  }
  if (*a || *b)
    return *a ? 1 : -1;
  return strcmp(sa, sb); /* "R01" vs "R1": still a total order */
}

/* ---- enum spellings (rt_enum), for every renderer ---- */

const char *rt_review_status_name(int status) {
  const char *slug = rt_enum_slug(&rectrack__v1__status__descriptor, status);
  return slug != NULL ? slug : "";
}

const char *rt_review_status_label(int status) {
  return rt_enum_label(&rectrack__v1__status__descriptor, status);
}

const char *rt_review_trajectory_name(int trajectory) {
  const char *slug =
      rt_enum_slug(&rectrack__v1__trajectory__descriptor, trajectory);
  return slug != NULL ? slug : "";
}
