/*
 * rt_pbwire: the field-number-0 check and the copy without unknown
 * fields (rt_pbwire.h). Both walk a message by its descriptor: every
 * message-typed field, a oneof member only when its case is set (the
 * union may hold another member), every item of a repeated one.
 */
#include "rt_pbwire.h"

#include <string.h>

/* The message-typed field's value: its count and items (one item, or
 * none when unset, for a singular field). */
static size_t sub_messages(const ProtobufCMessage *message,
                           const ProtobufCFieldDescriptor *field,
                           ProtobufCMessage *const **items) {
  const char *base = (const char *)message;

  if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
      *(const uint32_t *)(base + field->quantifier_offset) != field->id)
    return 0;
  if (field->label == PROTOBUF_C_LABEL_REPEATED) {
    *items = *(ProtobufCMessage *const *const *)(base + field->offset);
    return *(const size_t *)(base + field->quantifier_offset);
  }
  *items = (ProtobufCMessage *const *)(base + field->offset);
  return **items != NULL ? 1 : 0;
}

typedef bool (*unknown_test_t)(const ProtobufCMessageUnknownField *field);

static bool any_unknown(const ProtobufCMessage *message, unknown_test_t test) {
  const ProtobufCMessageDescriptor *desc = message->descriptor;

  for (unsigned i = 0; i < message->n_unknown_fields; i++)
    if (test(&message->unknown_fields[i]))
      return true;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *field = &desc->fields[i];
    ProtobufCMessage *const *items;
    size_t count;

    if (field->type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    count = sub_messages(message, field, &items);
    for (size_t j = 0; j < count; j++)
      if (items[j] != NULL && any_unknown(items[j], test))
        return true;
  }
  return false;
}

static bool is_field_zero(const ProtobufCMessageUnknownField *field) {
  return field->tag == 0;
}

static bool is_any(const ProtobufCMessageUnknownField *field) {
  (void)field;
  return true;
}

bool rt_pbwire_has_field_zero(const ProtobufCMessage *message) {
  return any_unknown(message, is_field_zero);
}

bool rt_pbwire_has_unknown(const ProtobufCMessage *message) {
  return any_unknown(message, is_any);
}

static void *allocate(ProtobufCAllocator *allocator, size_t size) {
  return allocator->alloc(allocator->allocator_data, size ? size : 1);
}

/* A copy of message's struct without unknown fields, with its message
 * fields copied the same way; NULL when out of memory. */
static ProtobufCMessage *copy_known(const ProtobufCMessage *message,
                                    ProtobufCAllocator *allocator) {
  const ProtobufCMessageDescriptor *desc = message->descriptor;
  ProtobufCMessage *copy = allocate(allocator, desc->sizeof_message);

  if (copy == NULL)
    return NULL;
  memcpy(copy, message, desc->sizeof_message);
  copy->n_unknown_fields = 0;
  copy->unknown_fields = NULL;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *field = &desc->fields[i];
    char *member = (char *)copy + field->offset;
    ProtobufCMessage *const *items;
    size_t count;

    if (field->type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    count = sub_messages(message, field, &items);
    if (count == 0)
      continue;
    if (field->label == PROTOBUF_C_LABEL_REPEATED) {
      ProtobufCMessage **array = allocate(allocator, count * sizeof *array);
      if (array == NULL)
        return NULL;
      for (size_t j = 0; j < count; j++) {
        array[j] = items[j] != NULL ? copy_known(items[j], allocator) : NULL;
        if (items[j] != NULL && array[j] == NULL)
          return NULL;
      }
      *(ProtobufCMessage ***)member = array;
    } else {
      ProtobufCMessage *sub = copy_known(items[0], allocator);
      if (sub == NULL)
        return NULL;
      *(ProtobufCMessage **)member = sub;
    }
  }
  return copy;
}

const ProtobufCMessage *rt_pbwire_known_only(const ProtobufCMessage *message,
                                             ProtobufCAllocator *allocator) {
  if (!rt_pbwire_has_unknown(message))
    return message;
  return copy_known(message, allocator);
}
