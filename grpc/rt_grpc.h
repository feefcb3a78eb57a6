/*
 * rt_grpc: the gRPC-over-HTTP/2 wire pieces that a server and a client
 * share, independent of any HTTP/2 library or event loop.
 *
 * Owns: the 5-byte length-prefixed message framing (encoder and an
 * incremental decoder that reassembles messages from arbitrary chunks),
 * grpc-message percent-encoding, grpc-timeout parsing and formatting, and
 * the status code <-> name table, and decompression of compressed
 * request messages (gzip, deflate). Calls only libc, zlib and rt_common
 * (RT_E* codes). Reference: grpc/doc/PROTOCOL-HTTP2.md,
 * grpc/doc/statuscodes.md.
 *
 * Status codes are plain ints here (0 = OK ... 16 = UNAUTHENTICATED) so
 * that this module does not depend on the server's rt_server.h, which names
 * the same values rt_grpc_status_t.
 */
#ifndef RT_GRPC_H
#define RT_GRPC_H

#include <stddef.h>
#include <stdint.h>

/* Length of the message prefix: 1 byte compressed flag, 4 bytes length. */
#define RT_GRPC_PREFIX_LEN 5

/* Default limit on one message, as gRPC's own default receive limit. */
#define RT_GRPC_DEFAULT_MAX_MESSAGE (4u * 1024u * 1024u)

/* Number of gRPC status codes (0..16). */
#define RT_GRPC_STATUS_COUNT 17

/* The message encodings a server can decompress, for grpc-accept-encoding
 * (identity is always accepted). */
#define RT_GRPC_ACCEPT_ENCODING "identity,deflate,gzip"

/* ---- framing ----------------------------------------------------------- */

/* Writes the 5-byte prefix for a message of len bytes into out.
 * Returns 0, or RT_ETOOBIG when len does not fit in 32 bits. */
int rt_grpc_prefix_encode(uint8_t out[RT_GRPC_PREFIX_LEN], size_t len,
                          int compressed);

/* Frames one uncompressed message: *out receives a malloc'd buffer of
 * *out_len = len + 5 bytes, which the caller frees with free().
 * Returns 0, RT_ETOOBIG (len over 32 bits) or RT_ENOMEM. */
int rt_grpc_frame_encode(const uint8_t *message, size_t len, uint8_t **out,
                         size_t *out_len);

/* One message as the decoder yields it. data points either into the
 * caller's input or into the decoder's buffer; it stays valid until the
 * next call on the decoder or until the input it was fed is gone. */
typedef struct rt_grpc_message {
  const uint8_t *data;
  size_t len;
  int compressed; /* the flag byte was 1 */
} rt_grpc_message_t;

/* Incremental decoder: feed it the bytes of DATA frames as they come, in
 * any chunking, and take complete messages out. The fields are private;
 * the struct is public so that it can be embedded in a stream. */
typedef struct rt_grpc_decoder {
  size_t max_message_bytes;
  uint8_t prefix[RT_GRPC_PREFIX_LEN];
  size_t prefix_have;
  uint8_t *buffer; /* partial message body, malloc'd */
  size_t buffer_cap;
  size_t body_have;
  size_t body_len; /* declared length of the message being read */
  int compressed;
  int failed; /* a limit was hit; the decoder yields nothing more */
} rt_grpc_decoder_t;

/* Prepares a decoder that rejects messages over max_message_bytes. */
void rt_grpc_decoder_init(rt_grpc_decoder_t *decoder, size_t max_message_bytes);

/* Releases the decoder's buffer. The decoder may be re-initialised. */
void rt_grpc_decoder_free(rt_grpc_decoder_t *decoder);

/* Consumes bytes of (data, len), advancing both, until one message is
 * complete. Returns 1 with *message filled, 0 when all input was consumed
 * without completing a message, RT_ETOOBIG when a message declares more
 * than the limit (rt_grpc_decoder_declared_len says how much; the decoder
 * stays failed), or RT_ENOMEM. Call again with the remaining input to
 * take the next message. */
int rt_grpc_decoder_next(rt_grpc_decoder_t *decoder, const uint8_t **data,
                         size_t *len, rt_grpc_message_t *message);

/* 1 when the decoder sits between messages (no partial prefix or body):
 * the stream may end here without truncating a message. */
int rt_grpc_decoder_at_boundary(const rt_grpc_decoder_t *decoder);

/* The length the last prefix declared (for error messages). */
size_t rt_grpc_decoder_declared_len(const rt_grpc_decoder_t *decoder);

/* ---- grpc-message percent-encoding -------------------------------------- */

/* Percent-encodes text for the grpc-message trailer: bytes outside
 * 0x20..0x7E and '%' become %XX (upper-case hex). *out receives a malloc'd
 * NUL-terminated string (free()). Returns 0 or RT_ENOMEM. */
int rt_grpc_percent_encode(const char *text, size_t len, char **out);

/* Decodes a grpc-message value. Per the spec, a malformed %-sequence is
 * never an error: it is kept as it is. *out receives a malloc'd
 * NUL-terminated string (free()); *out_len (may be NULL) its length, which
 * may be shorter than strlen when a %00 was decoded. Returns 0 or
 * RT_ENOMEM. */
int rt_grpc_percent_decode(const char *value, size_t len, char **out,
                           size_t *out_len);

/* ---- grpc-timeout ------------------------------------------------------ */

/* Big enough for any value rt_grpc_timeout_format writes: 8 digits, a
 * unit, NUL. */
#define RT_GRPC_TIMEOUT_BUFSZ 10

/* Parses a grpc-timeout value: 1 to 8 ASCII digits and a unit (H hours,
 * M minutes, S seconds, m milliseconds, u microseconds, n nanoseconds)
 * into microseconds, rounding nanoseconds up. Returns 0 or RT_EINVAL. */
int rt_grpc_timeout_parse(const char *value, size_t len, uint64_t *timeout_us);

/* Formats a timeout of timeout_us microseconds in the finest unit whose
 * value fits in 8 digits, rounding up (never shortening the deadline).
 * Writes a NUL-terminated string into out. */
void rt_grpc_timeout_format(uint64_t timeout_us,
                            char out[RT_GRPC_TIMEOUT_BUFSZ]);

/* ---- status codes ------------------------------------------------------ */

/* "OK", "CANCELLED", ... "UNAUTHENTICATED"; "UNKNOWN" for out-of-range
 * codes. Static strings. */
const char *rt_grpc_status_name(int status);

/* Looks a name up (exact, upper case). Returns 0 with *status set, or
 * RT_ENOTFOUND. */
int rt_grpc_status_from_name(const char *name, int *status);

/* Parses a grpc-status trailer value (decimal). Out-of-range or malformed
 * values map to UNKNOWN (2) as the spec asks. */
int rt_grpc_status_parse(const char *value, size_t len);

/* ---- compression -------------------------------------------------------- */

/* 1 when rt_grpc_inflate can decompress messages of this grpc-encoding
 * ("gzip", "deflate"), else 0 (NULL and "identity" included). */
int rt_grpc_encoding_supported(const char *encoding);

/* Decompresses one message body of encoding. *out receives a malloc'd
 * buffer of *out_len bytes (the caller frees it; for an empty result it
 * may be NULL). Returns 0, RT_EINVAL (encoding not supported),
 * RT_ETOOBIG (the result would exceed max_len bytes), RT_ECORRUPT (the
 * input is not a complete stream of that encoding) or RT_ENOMEM. */
int rt_grpc_inflate(const char *encoding, const uint8_t *in, size_t in_len,
                    size_t max_len, uint8_t **out, size_t *out_len);

#endif /* RT_GRPC_H */
