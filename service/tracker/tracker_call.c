/*
 * tracker_call: what every Tracker handler does with its call: decode the
 * request with the right error, fail through the status map, pack and
 * reply, and bracket a read with the loop thread's snapshot. The handler
 * files (reads, writes, watch, review) call these; nothing here calls
 * them back.
 */
#include "tracker_internal.h"

#include "tracker_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

ProtobufCMessage *rt_tracker_decode(rt_call_t *call,
                                    const ProtobufCMessageDescriptor *desc,
                                    const uint8_t *request, size_t len) {
  ProtobufCMessage *message =
      protobuf_c_message_unpack(desc, NULL, len, request);
  if (message == NULL) {
    char text[160];
    snprintf(text, sizeof text, "request is not a valid %s", desc->name);
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, text);
  }
  return message;
}

void rt_tracker_fail(rt_call_t *call, int code, const rt_error_t *err) {
  rt_call_fail(call, rt_status_from_error(code), rt_status_message(code, err));
}

void rt_tracker_reply_message(rt_call_t *call, const ProtobufCMessage *msg) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t stack_buffer[1024];
  uint8_t *buffer = len <= sizeof stack_buffer ? stack_buffer : malloc(len);
  if (buffer == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  protobuf_c_message_pack(msg, buffer);
  rt_call_reply(call, buffer, len);
  if (buffer != stack_buffer)
    free(buffer);
}

int rt_tracker_begin_read(rt_tracker_t *tracker, rt_call_t *call) {
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_reader_renew(tracker->reader, &err);
  if (rc != 0 && call != NULL)
    rt_tracker_fail(call, rc, &err);
  return rc;
}

void rt_tracker_end_read(rt_tracker_t *tracker) {
  rt_store_reader_reset(tracker->reader);
}

void rt_tracker_today(char out[11]) {
  time_t now = time(NULL);
  struct tm utc;
  gmtime_r(&now, &utc);
  if (strftime(out, 11, "%Y-%m-%d", &utc) != 10)
    memcpy(out, "1970-01-01", 11);
}
