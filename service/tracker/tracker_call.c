/*
 * tracker_call: what every Tracker handler does with its call: fail
 * through the status map, pack and reply, and bracket a read with the
 * loop thread's snapshot. The handler files (reads, writes, watch,
 * review) and the dispatch call these; nothing here calls them back.
 */
#include "tracker_call.h"

#include "tracker_status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void tracker_fail(rt_call_t *call, int code, const rt_error_t *err) {
  rt_call_fail(call, rt_status_from_error(code), rt_status_message(code, err));
}

void tracker_reply_message(rt_call_t *call, const ProtobufCMessage *msg) {
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

int tracker_begin_read(rt_tracker_t *tracker, rt_call_t *call) {
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_reader_renew(tracker->reader, &err);
  if (rc != 0 && call != NULL)
    tracker_fail(call, rc, &err);
  return rc;
}

void tracker_end_read(rt_tracker_t *tracker) {
  rt_store_reader_reset(tracker->reader);
}

size_t tracker_list_page(const ProtobufCMessage *response,
                         ProtobufCMessage *const **records,
                         const char **next_page_token) {
  const ProtobufCMessageDescriptor *desc = response->descriptor;
  const char *base = (const char *)response;
  size_t count = 0;
  bool found = false;
  if (records != NULL)
    *records = NULL;
  if (next_page_token != NULL)
    *next_page_token = "";
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *field = &desc->fields[i];
    if (!found && field->label == PROTOBUF_C_LABEL_REPEATED &&
        field->type == PROTOBUF_C_TYPE_MESSAGE) {
      found = true;
      count = *(const size_t *)(base + field->quantifier_offset);
      if (records != NULL)
        *records = *(ProtobufCMessage *const *const *)(base + field->offset);
    } else if (next_page_token != NULL &&
               field->type == PROTOBUF_C_TYPE_STRING &&
               strcmp(field->name, "next_page_token") == 0) {
      const char *token = *(const char *const *)(base + field->offset);
      *next_page_token = token != NULL ? token : "";
    }
  }
  return count;
}

void tracker_today(char out[11]) {
  time_t now = time(NULL);
  struct tm utc;
  gmtime_r(&now, &utc);
  if (strftime(out, 11, "%Y-%m-%d", &utc) != 10)
    memcpy(out, "1970-01-01", 11);
}
