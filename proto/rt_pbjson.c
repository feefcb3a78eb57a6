/*
 * rt_pbjson: the proto3 JSON mapping, driven by the protobuf-c
 * descriptors, so a field added to the schema shows up without code here.
 */
#include "rt_pbjson.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_pbjson_field_name(const char *proto_name, char *out, size_t size) {
  size_t n = 0;
  bool upper = false;
  for (const char *c = proto_name; *c != '\0' && n + 1 < size; c++) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    out[n++] = upper && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
    upper = false;
  }
  if (size > 0)
    out[n] = '\0';
}

static json_t *int64_string(int64_t value) {
  char text[24];
  snprintf(text, sizeof text, "%" PRId64, value);
  return json_string(text);
}

static json_t *uint64_string(uint64_t value) {
  char text[24];
  snprintf(text, sizeof text, "%" PRIu64, value);
  return json_string(text);
}

static json_t *real(double value) {
  if (isnan(value))
    return json_string("NaN");
  if (isinf(value))
    return json_string(value > 0 ? "Infinity" : "-Infinity");
  return json_real(value);
}

static json_t *base64(const ProtobufCBinaryData *data) {
  size_t size =
      sodium_base64_ENCODED_LEN(data->len, sodium_base64_VARIANT_ORIGINAL);
  char *text = malloc(size);
  if (text == NULL)
    return NULL;
  sodium_bin2base64(text, size, data->data, data->len,
                    sodium_base64_VARIANT_ORIGINAL);
  json_t *value = json_string(text);
  free(text);
  return value;
}

static json_t *enum_value(const ProtobufCEnumDescriptor *type, int value) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(type, value);
  return v != NULL ? json_string(v->name) : json_integer(value);
}

/* One value of a field (an element, for repeated fields). */
static json_t *scalar(const ProtobufCFieldDescriptor *field,
                      const void *value) {
  switch (field->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    return json_integer(*(const int32_t *)value);
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    return json_integer(*(const uint32_t *)value);
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    return int64_string(*(const int64_t *)value);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    return uint64_string(*(const uint64_t *)value);
  case PROTOBUF_C_TYPE_FLOAT:
    return real(*(const float *)value);
  case PROTOBUF_C_TYPE_DOUBLE:
    return real(*(const double *)value);
  case PROTOBUF_C_TYPE_BOOL:
    return json_boolean(*(const protobuf_c_boolean *)value);
  case PROTOBUF_C_TYPE_ENUM:
    return enum_value(field->descriptor, *(const int *)value);
  case PROTOBUF_C_TYPE_STRING: {
    const char *text = *(char *const *)value;
    return json_string(text != NULL ? text : "");
  }
  case PROTOBUF_C_TYPE_BYTES:
    return base64(value);
  case PROTOBUF_C_TYPE_MESSAGE: {
    const ProtobufCMessage *sub = *(ProtobufCMessage *const *)value;
    return sub != NULL ? rt_pbjson_from_message(sub) : json_object();
  }
  }
  return json_null();
}

static size_t element_size(const ProtobufCFieldDescriptor *field) {
  switch (field->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_ENUM:
    return 4;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    return 8;
  case PROTOBUF_C_TYPE_FLOAT:
    return 4;
  case PROTOBUF_C_TYPE_BOOL:
    return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE:
    return sizeof(void *);
  case PROTOBUF_C_TYPE_BYTES:
    return sizeof(ProtobufCBinaryData);
  }
  return 0;
}

/* True when a singular field holds its proto3 default. */
static bool is_default(const ProtobufCFieldDescriptor *field,
                       const void *value) {
  switch (field->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *text = *(char *const *)value;
    return text == NULL || text[0] == '\0';
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    return *(ProtobufCMessage *const *)value == NULL;
  case PROTOBUF_C_TYPE_BYTES:
    return ((const ProtobufCBinaryData *)value)->len == 0;
  case PROTOBUF_C_TYPE_DOUBLE:
    return *(const double *)value == 0 && !signbit(*(const double *)value);
  case PROTOBUF_C_TYPE_FLOAT:
    return *(const float *)value == 0 && !signbit(*(const float *)value);
  default: {
    static const uint8_t zero[8];
    return memcmp(value, zero, element_size(field)) == 0;
  }
  }
}

/* The value of field in message, or NULL to leave it out; *failed when
 * out of memory. */
static json_t *field_value(const ProtobufCMessage *message,
                           const ProtobufCFieldDescriptor *field,
                           bool *failed) {
  const char *base = (const char *)message;
  const void *slot = base + field->offset;
  if (field->label == PROTOBUF_C_LABEL_REPEATED) {
    size_t count = *(const size_t *)(base + field->quantifier_offset);
    if (count == 0)
      return NULL;
    json_t *array = json_array();
    const char *items = *(char *const *)slot;
    size_t size = element_size(field);
    for (size_t i = 0; array != NULL && i < count; i++)
      if (json_array_append_new(array, scalar(field, items + i * size)) != 0)
        *failed = true;
    if (array == NULL)
      *failed = true;
    return array;
  }
  if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
    uint32_t chosen = *(const uint32_t *)(base + field->quantifier_offset);
    if (chosen != field->id)
      return NULL;
  } else if (is_default(field, slot)) {
    return NULL;
  }
  json_t *value = scalar(field, slot);
  if (value == NULL)
    *failed = true;
  return value;
}

json_t *rt_pbjson_from_message(const ProtobufCMessage *message) {
  json_t *object = json_object();
  if (object == NULL)
    return NULL;
  const ProtobufCMessageDescriptor *desc = message->descriptor;
  bool failed = false;
  for (unsigned i = 0; i < desc->n_fields && !failed; i++) {
    const ProtobufCFieldDescriptor *field = &desc->fields[i];
    json_t *value = field_value(message, field, &failed);
    if (value == NULL)
      continue;
    char name[128];
    rt_pbjson_field_name(field->name, name, sizeof name);
    if (json_object_set_new(object, name, value) != 0)
      failed = true;
  }
  if (failed) {
    json_decref(object);
    return NULL;
  }
  return object;
}
