/*
 * pbjson_dump TYPE < message.bin: prints the message (a packed
 * rectrack.v1 TYPE read from stdin) in the proto3 JSON mapping through
 * rt_pbjson, for check_pbjson.py to compare with protobuf's own
 * json_format.
 */
#include "rt_pbjson.h"

#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ProtobufCMessageDescriptor *const types[] = {
    &rectrack__v1__recommendation__descriptor,
    &rectrack__v1__commitment__descriptor,
    &rectrack__v1__follow_up__descriptor,
    &rectrack__v1__change_event__descriptor,
    &rectrack__v1__list_recommendations_response__descriptor,
    &rectrack__v1__review_summary__descriptor,
};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: pbjson_dump TYPE < message.bin\n");
    return 2;
  }
  const ProtobufCMessageDescriptor *type = NULL;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(types[i]->short_name, argv[1]) == 0)
      type = types[i];
  if (type == NULL) {
    fprintf(stderr, "pbjson_dump: unknown type %s\n", argv[1]);
    return 2;
  }
  size_t cap = 1 << 16, len = 0, n;
  unsigned char *data = malloc(cap);
  while (data != NULL && (n = fread(data + len, 1, cap - len, stdin)) > 0) {
    len += n;
    if (len == cap) {
      unsigned char *bigger = realloc(data, cap *= 2);
      if (bigger == NULL)
        free(data);
      data = bigger;
    }
  }
  if (data == NULL)
    return 1;
  ProtobufCMessage *message = protobuf_c_message_unpack(type, NULL, len, data);
  free(data);
  if (message == NULL) {
    fprintf(stderr, "pbjson_dump: the input is not a %s\n", argv[1]);
    return 1;
  }
  json_t *json = rt_pbjson_from_message(message);
  protobuf_c_message_free_unpacked(message, NULL);
  if (json == NULL)
    return 1;
  char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(json);
  if (text == NULL)
    return 1;
  puts(text);
  free(text);
  return 0;
}
