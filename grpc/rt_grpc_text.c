/*
 * rt_grpc_text: the textual header values of gRPC over HTTP/2.
 *
 * grpc-message carries arbitrary UTF-8 but HTTP/2 header values must stay
 * printable, so the spec percent-encodes every byte outside 0x20..0x7E and
 * '%' itself; the decoder must tolerate malformed input rather than lose
 * the message. grpc-timeout is at most 8 digits and a unit letter; we keep
 * timeouts in microseconds, which holds the largest value (99999999 hours)
 * without overflow. The status table gives the canonical names from
 * grpc/doc/statuscodes.md.
 */
#include "rt_grpc.h"

#include <stdlib.h>
#include <string.h>

#include "rt_error.h"

static const char *const status_names[RT_GRPC_STATUS_COUNT] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

static const char hex_digits[] = "0123456789ABCDEF";

static int needs_escape(unsigned char c) {
  return c < 0x20 || c > 0x7e || c == '%';
}

int rt_grpc_percent_encode(const char *text, size_t len, char **out) {
  size_t out_len = 0;
  size_t i;
  char *encoded;
  char *w;

  for (i = 0; i < len; i++)
    out_len += needs_escape((unsigned char)text[i]) ? 3 : 1;
  encoded = malloc(out_len + 1);
  if (encoded == NULL) {
    *out = NULL;
    return RT_ENOMEM;
  }
  w = encoded;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (needs_escape(c)) {
      *w++ = '%';
      *w++ = hex_digits[c >> 4];
      *w++ = hex_digits[c & 0xf];
    } else {
      *w++ = (char)c;
    }
  }
  *w = '\0';
  *out = encoded;
  return 0;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int rt_grpc_percent_decode(const char *value, size_t len, char **out,
                           size_t *out_len) {
  char *decoded = malloc(len + 1);
  size_t i = 0;
  size_t n = 0;

  *out = NULL;
  if (decoded == NULL)
    return RT_ENOMEM;
  while (i < len) {
    if (value[i] == '%' && len - i >= 3) {
      int high = hex_value(value[i + 1]);
      int low = hex_value(value[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded[n++] = (char)((high << 4) | low);
        i += 3;
        continue;
      }
    }
    decoded[n++] = value[i++];
  }
  decoded[n] = '\0';
  *out = decoded;
  if (out_len != NULL)
    *out_len = n;
  return 0;
}

/* Microseconds per unit; 0 marks nanoseconds, which divide instead. */
static int unit_to_us(char unit, uint64_t *per_unit) {
  switch (unit) {
  case 'H':
    *per_unit = 3600ull * 1000000ull;
    return 0;
  case 'M':
    *per_unit = 60ull * 1000000ull;
    return 0;
  case 'S':
    *per_unit = 1000000ull;
    return 0;
  case 'm':
    *per_unit = 1000ull;
    return 0;
  case 'u':
    *per_unit = 1ull;
    return 0;
  case 'n':
    *per_unit = 0;
    return 0;
  default:
    return RT_EINVAL;
  }
}

int rt_grpc_timeout_parse(const char *value, size_t len, uint64_t *timeout_us) {
  uint64_t amount = 0;
  uint64_t per_unit;
  size_t digits = len - 1;
  size_t i;

  if (len < 2 || digits > 8)
    return RT_EINVAL;
  for (i = 0; i < digits; i++) {
    if (value[i] < '0' || value[i] > '9')
      return RT_EINVAL;
    amount = amount * 10 + (uint64_t)(value[i] - '0');
  }
  if (unit_to_us(value[digits], &per_unit) != 0)
    return RT_EINVAL;
  *timeout_us = per_unit == 0 ? (amount + 999) / 1000 : amount * per_unit;
  return 0;
}

void rt_grpc_timeout_format(uint64_t timeout_us,
                            char out[RT_GRPC_TIMEOUT_BUFSZ]) {
  static const struct {
    char unit;
    uint64_t us;
  } units[] = {{'u', 1ull},
               {'m', 1000ull},
               {'S', 1000000ull},
               {'M', 60ull * 1000000ull},
               {'H', 3600ull * 1000000ull}};
  const uint64_t max_amount = 99999999ull;
  uint64_t amount = max_amount;
  char unit = 'H';
  size_t i;
  int pos;
  char digits[9];
  int n = 0;

  for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    uint64_t rounded =
        timeout_us / units[i].us + (timeout_us % units[i].us != 0 ? 1 : 0);
    if (rounded <= max_amount) {
      amount = rounded;
      unit = units[i].unit;
      break;
    }
  }
  do {
    digits[n++] = (char)('0' + amount % 10);
    amount /= 10;
  } while (amount > 0);
  for (pos = 0; pos < n; pos++)
    out[pos] = digits[n - 1 - pos];
  out[n] = unit;
  out[n + 1] = '\0';
}

const char *rt_grpc_status_name(int status) {
  if (status < 0 || status >= RT_GRPC_STATUS_COUNT)
    return "UNKNOWN";
  return status_names[status];
}

int rt_grpc_status_from_name(const char *name, int *status) {
  int i;

  for (i = 0; i < RT_GRPC_STATUS_COUNT; i++) {
    if (strcmp(name, status_names[i]) == 0) {
      *status = i;
      return 0;
    }
  }
  return RT_ENOTFOUND;
}

int rt_grpc_status_parse(const char *value, size_t len) {
  int status = 0;
  size_t i;

  if (len == 0 || len > 2)
    return 2;
  for (i = 0; i < len; i++) {
    if (value[i] < '0' || value[i] > '9')
      return 2;
    status = status * 10 + (value[i] - '0');
  }
  return status < RT_GRPC_STATUS_COUNT ? status : 2;
}
