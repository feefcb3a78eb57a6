/*
 * rt_grpc_inflate: decompresses a request message that a client sent with
 * the Compressed-Flag set, for the encodings gRPC implementations offer by
 * default ("gzip", and "deflate" which is zlib-wrapped deflate). zlib's
 * header detection (windowBits 15 + 32) accepts both wrappers for either
 * name, since implementations have not always agreed on which goes with
 * "deflate".
 *
 * The output is bounded by the caller's message limit and grows as zlib
 * produces it, so a small "compression bomb" costs at most that limit.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rt_error.h"
#include "rt_grpc.h"

int rt_grpc_encoding_supported(const char *encoding) {
  return encoding != NULL &&
         (strcmp(encoding, "gzip") == 0 || strcmp(encoding, "deflate") == 0);
}

/* Makes room for at least one more byte, up to limit + 1 (one byte past
 * the limit is how an oversized output is noticed). */
static int grow(uint8_t **buf, size_t *cap, size_t limit) {
  size_t want = *cap ? *cap * 2 : 4096;
  uint8_t *grown;

  if (want > limit + 1)
    want = limit + 1;
  grown = realloc(*buf, want);
  if (grown == NULL)
    return RT_ENOMEM;
  *buf = grown;
  *cap = want;
  return 0;
}

int rt_grpc_inflate(const char *encoding, const uint8_t *in, size_t in_len,
                    size_t max_len, uint8_t **out, size_t *out_len) {
  z_stream zs;
  uint8_t *buf = NULL;
  size_t cap = 0;
  int rc = 0, zrc = Z_OK;

  *out = NULL;
  *out_len = 0;
  if (!rt_grpc_encoding_supported(encoding))
    return RT_EINVAL;
  memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 + 32) != Z_OK)
    return RT_ENOMEM;
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)in_len;
  while (zrc != Z_STREAM_END) {
    if (zs.total_out == cap) {
      if (cap > max_len) {
        rc = RT_ETOOBIG;
        goto fail;
      }
      if ((rc = grow(&buf, &cap, max_len)) != 0)
        goto fail;
    }
    zs.next_out = buf + zs.total_out;
    zs.avail_out = (uInt)(cap - zs.total_out);
    zrc = inflate(&zs, Z_NO_FLUSH);
    if (zrc != Z_OK && zrc != Z_STREAM_END) {
      rc = zrc == Z_MEM_ERROR ? RT_ENOMEM : RT_ECORRUPT;
      goto fail;
    }
    if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out > 0) {
      rc = RT_ECORRUPT; /* the input ended inside the stream */
      goto fail;
    }
  }
  if (zs.total_out > max_len) {
    rc = RT_ETOOBIG;
    goto fail;
  }
  inflateEnd(&zs);
  *out = buf;
  *out_len = zs.total_out;
  return 0;
fail:
  inflateEnd(&zs);
  free(buf);
  return rc;
}
