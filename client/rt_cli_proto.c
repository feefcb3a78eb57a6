/*
 * Generic protobuf-c helpers the rectrack commands are built from: set a
 * message field by its proto name from command-line text, turn a field or
 * a whole message into table/CSV text or JSON, and make unary
 * and paged List calls through rt_client.
 *
 * Working from the descriptors keeps every command's code down to a table
 * of flags -> field names, and makes new proto fields show up in JSON and
 * CSV output without touching the CLI. Enum values are read and written
 * as their slugs (rt_enum: "in-progress"), like the import format.
 */
#include "rt_cli.h"
#include "rt_enum.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *rt_cli_enum_text(const ProtobufCEnumDescriptor *type, int value) {
  const char *slug = rt_enum_slug(type, value);
  return slug != NULL ? slug : "";
}

/* ---- setting fields --------------------------------------------------------
 */

static char *message_printf(const char *format, ...)
    __attribute__((format(printf, 1, 2)));
static char *message_printf(const char *format, ...) {
  char *text = NULL;
  va_list ap;
  va_start(ap, format);
  if (vasprintf(&text, format, ap) < 0)
    text = NULL;
  va_end(ap);
  return text;
}

/* Where the value of field f lives: the field itself, or a new slot at
 * the end of its repeated array. */
static void *value_slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        size_t element_size) {
  char *base = (char *)m;
  if (f->label != PROTOBUF_C_LABEL_REPEATED)
    return base + f->offset;
  size_t *count = (size_t *)(base + f->quantifier_offset);
  void **array = (void **)(base + f->offset);
  char *grown = realloc(*array, (*count + 1) * element_size);
  if (grown == NULL)
    return NULL;
  *array = grown;
  memset(grown + *count * element_size, 0, element_size);
  return grown + (*count)++ * element_size;
}

static int parse_integer(const char *text, long long min, long long max,
                         long long *out) {
  errno = 0;
  char *end = NULL;
  long long value = strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
    return -1;
  *out = value;
  return 0;
}

static int parse_bool(const char *text, protobuf_c_boolean *out) {
  if (strcmp(text, "true") == 0 || strcmp(text, "yes") == 0 ||
      strcmp(text, "1") == 0 || text[0] == '\0')
    *out = 1;
  else if (strcmp(text, "false") == 0 || strcmp(text, "no") == 0 ||
           strcmp(text, "0") == 0)
    *out = 0;
  else
    return -1;
  return 0;
}

static size_t element_size(const ProtobufCFieldDescriptor *f) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE:
    return sizeof(void *);
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
    return 8;
  case PROTOBUF_C_TYPE_DOUBLE:
    return sizeof(double);
  case PROTOBUF_C_TYPE_BOOL:
    return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_BYTES:
    return sizeof(ProtobufCBinaryData);
  default:
    return 4;
  }
}

static int set_string(const ProtobufCFieldDescriptor *f, char **target,
                      const char *text) {
  char *copy = strdup(text);
  if (copy == NULL)
    return -1;
  if (*target != NULL && *target != (char *)f->default_value &&
      *target != protobuf_c_empty_string)
    free(*target);
  *target = copy;
  return 0;
}

/* A finite number ("nan" and "inf" are no measurement). */
static int set_real(const ProtobufCFieldDescriptor *f, void *slot,
                    const char *text) {
  char *end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !isfinite(value))
    return -1;
  if (f->type == PROTOBUF_C_TYPE_DOUBLE)
    *(double *)slot = value;
  else
    *(float *)slot = (float)value;
  return 0;
}

/* Integer fields other than uint64 (rt_cli_parse_uint covers those): the
 * range each type accepts. */
static const struct integer_type {
  ProtobufCType type;
  long long min, max;
} integer_types[] = {
    {PROTOBUF_C_TYPE_INT32, INT32_MIN, INT32_MAX},
    {PROTOBUF_C_TYPE_SINT32, INT32_MIN, INT32_MAX},
    {PROTOBUF_C_TYPE_SFIXED32, INT32_MIN, INT32_MAX},
    {PROTOBUF_C_TYPE_UINT32, 0, UINT32_MAX},
    {PROTOBUF_C_TYPE_FIXED32, 0, UINT32_MAX},
    {PROTOBUF_C_TYPE_INT64, INT64_MIN, INT64_MAX},
    {PROTOBUF_C_TYPE_SINT64, INT64_MIN, INT64_MAX},
    {PROTOBUF_C_TYPE_SFIXED64, INT64_MIN, INT64_MAX},
};

static int set_integer(const ProtobufCFieldDescriptor *f, void *slot,
                       const char *text) {
  for (size_t i = 0; i < sizeof integer_types / sizeof *integer_types; i++) {
    const struct integer_type *t = &integer_types[i];
    long long integer = 0;
    if (t->type != f->type)
      continue;
    if (parse_integer(text, t->min, t->max, &integer) != 0)
      return -1;
    if (t->max == INT64_MAX)
      *(int64_t *)slot = integer;
    else if (t->min < 0)
      *(int32_t *)slot = (int32_t)integer;
    else
      *(uint32_t *)slot = (uint32_t)integer;
    return 0;
  }
  return -1;
}

static int set_scalar(const ProtobufCFieldDescriptor *f, void *slot,
                      const char *text) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING:
    return set_string(f, slot, text);
  case PROTOBUF_C_TYPE_ENUM: {
    int value = 0;
    if (!rt_enum_parse(f->descriptor, text, &value))
      return -1;
    *(int *)slot = value;
    return 0;
  }
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    return set_integer(f, slot, text);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: {
    uint64_t value = 0;
    if (rt_cli_parse_uint(text, &value) != 0)
      return -1;
    *(uint64_t *)slot = value;
    return 0;
  }
  case PROTOBUF_C_TYPE_DOUBLE:
  case PROTOBUF_C_TYPE_FLOAT:
    return set_real(f, slot, text);
  case PROTOBUF_C_TYPE_BOOL:
    return parse_bool(text, slot);
  default:
    return -1;
  }
}

static ProtobufCMessage *sub_message(ProtobufCMessage *m,
                                     const ProtobufCFieldDescriptor *f) {
  ProtobufCMessage **slot = (ProtobufCMessage **)((char *)m + f->offset);
  if (*slot == NULL) {
    const ProtobufCMessageDescriptor *d = f->descriptor;
    *slot = malloc(d->sizeof_message);
    if (*slot != NULL)
      d->message_init(*slot);
  }
  return *slot;
}

static char *bad_value_message(const ProtobufCFieldDescriptor *f,
                               const char *text) {
  if (f->type == PROTOBUF_C_TYPE_ENUM) {
    return message_printf("%s: unknown value \"%s\" (valid: %s)", f->name, text,
                          rt_enum_choices(f->descriptor));
  }
  return message_printf("%s: \"%s\" is not a valid %s", f->name, text,
                        f->type == PROTOBUF_C_TYPE_BOOL ? "true/false"
                                                        : "number");
}

int rt_cli_set_field(ProtobufCMessage *message, const char *name,
                     const char *text, char **error) {
  const char *dot = strchr(name, '.');
  char *head = dot ? strndup(name, (size_t)(dot - name)) : NULL;
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(message->descriptor,
                                                      dot ? head : name);
  free(head);
  *error = NULL;
  if (f == NULL) {
    *error = message_printf("no field %s in %s", name,
                            message->descriptor->short_name);
    return -1;
  }
  if (dot != NULL) {
    ProtobufCMessage *sub =
        f->type == PROTOBUF_C_TYPE_MESSAGE ? sub_message(message, f) : NULL;
    if (sub == NULL) {
      *error = message_printf("cannot set %s", name);
      return -1;
    }
    return rt_cli_set_field(sub, dot + 1, text, error);
  }
  void *slot = value_slot(message, f, element_size(f));
  if (slot == NULL || set_scalar(f, slot, text) != 0) {
    if (slot != NULL && f->label == PROTOBUF_C_LABEL_REPEATED)
      (*(size_t *)((char *)message + f->quantifier_offset))--;
    *error = bad_value_message(f, text);
    return -1;
  }
  return 0;
}

/* ---- reading fields --------------------------------------------------------
 */

/* Finds a possibly dotted field; *owner gets the message holding it. */
static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessage *message, const char *name,
           const ProtobufCMessage **owner) {
  const char *dot = strchr(name, '.');
  char *head = dot ? strndup(name, (size_t)(dot - name)) : NULL;
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(message->descriptor,
                                                      dot ? head : name);
  free(head);
  if (f == NULL || dot == NULL) {
    *owner = message;
    return f;
  }
  if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
      f->label == PROTOBUF_C_LABEL_REPEATED)
    return NULL;
  const ProtobufCMessage *sub =
      *(const ProtobufCMessage *const *)((const char *)message + f->offset);
  if (sub == NULL)
    return NULL;
  return find_field(sub, dot + 1, owner);
}

static bool is_instant(const ProtobufCFieldDescriptor *f) {
  size_t len = strlen(f->name);
  return f->type == PROTOBUF_C_TYPE_INT64 && len > 3 &&
         strcmp(f->name + len - 3, "_ms") == 0;
}

static void append_instant(FILE *out, int64_t ms) {
  if (ms == 0)
    return;
  time_t seconds = (time_t)(ms / 1000);
  struct tm tm;
  char text[32];
  gmtime_r(&seconds, &tm);
  strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%SZ", &tm);
  fputs(text, out);
}

/* People read 6 significant digits; programs get the shortest text that
 * reads back as the same double. */
static void append_double(FILE *out, double value, bool machine) {
  char text[40];
  snprintf(text, sizeof(text), "%.*g", machine ? 15 : 6, value);
  if (machine && strtod(text, NULL) != value)
    snprintf(text, sizeof(text), "%.17g", value);
  fputs(text, out);
}

static void append_value(FILE *out, const ProtobufCFieldDescriptor *f,
                         const void *value, bool machine) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING:
    fputs(*(char *const *)value ? *(char *const *)value : "", out);
    break;
  case PROTOBUF_C_TYPE_ENUM: {
    int v = *(const int *)value;
    fputs(rt_cli_enum_text(f->descriptor, v), out);
    break;
  }
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    fprintf(out, "%d", *(const int32_t *)value);
    break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    fprintf(out, "%u", *(const uint32_t *)value);
    break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    if (!machine && is_instant(f))
      append_instant(out, *(const int64_t *)value);
    else
      fprintf(out, "%lld", (long long)*(const int64_t *)value);
    break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    fprintf(out, "%llu", (unsigned long long)*(const uint64_t *)value);
    break;
  case PROTOBUF_C_TYPE_DOUBLE:
    append_double(out, *(const double *)value, machine);
    break;
  case PROTOBUF_C_TYPE_FLOAT:
    fprintf(out, "%g", (double)*(const float *)value);
    break;
  case PROTOBUF_C_TYPE_BOOL:
    fputs(*(const protobuf_c_boolean *)value ? (machine ? "true" : "yes")
                                             : (machine ? "false" : ""),
          out);
    break;
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = value;
    for (size_t i = 0; i < b->len; i++)
      fprintf(out, "%02x", b->data[i]);
    break;
  }
  default:
    break;
  }
}

char *rt_cli_field_text(const ProtobufCMessage *message, const char *name,
                        bool machine) {
  const ProtobufCMessage *owner = NULL;
  const ProtobufCFieldDescriptor *f = find_field(message, name, &owner);
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  if (out == NULL)
    return NULL;
  if (f != NULL && f->type != PROTOBUF_C_TYPE_MESSAGE) {
    const char *base = (const char *)owner + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t count =
          *(const size_t *)((const char *)owner + f->quantifier_offset);
      const char *array = *(const char *const *)base;
      for (size_t i = 0; i < count; i++) {
        if (i > 0)
          fputs(machine ? ";" : ", ", out);
        append_value(out, f, array + i * element_size(f), machine);
      }
    } else {
      append_value(out, f, base, machine);
    }
  }
  fclose(out);
  return text;
}

/* ---- JSON ------------------------------------------------------------------
 */

static json_t *value_to_json(const ProtobufCFieldDescriptor *f,
                             const void *value) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING:
    return json_string(*(char *const *)value ? *(char *const *)value : "");
  case PROTOBUF_C_TYPE_ENUM:
    return json_string(rt_cli_enum_text(f->descriptor, *(const int *)value));
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
    return json_integer((json_int_t) * (const int64_t *)value);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    return json_integer((json_int_t) * (const uint64_t *)value);
  case PROTOBUF_C_TYPE_DOUBLE:
    return json_real(*(const double *)value);
  case PROTOBUF_C_TYPE_FLOAT:
    return json_real((double)*(const float *)value);
  case PROTOBUF_C_TYPE_BOOL:
    return json_boolean(*(const protobuf_c_boolean *)value);
  case PROTOBUF_C_TYPE_MESSAGE:
    return *(void *const *)value
               ? rt_cli_message_to_json(*(const ProtobufCMessage *const *)value)
               : json_null();
  case PROTOBUF_C_TYPE_BYTES: {
    char *hex = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&hex, &size);
    if (out == NULL)
      return NULL;
    append_value(out, f, value, true);
    fclose(out);
    json_t *string = json_string(hex);
    free(hex);
    return string;
  }
  default:
    return json_null();
  }
}

void *rt_cli_message_to_json(const ProtobufCMessage *message) {
  const ProtobufCMessageDescriptor *d = message->descriptor;
  json_t *object = json_object();
  for (unsigned i = 0; object != NULL && i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const char *base = (const char *)message + f->offset;
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
      if (f->type == PROTOBUF_C_TYPE_MESSAGE && *(void *const *)base == NULL)
        continue;
      json_object_set_new(object, f->name, value_to_json(f, base));
      continue;
    }
    json_t *array = json_array();
    size_t count =
        *(const size_t *)((const char *)message + f->quantifier_offset);
    const char *items = *(const char *const *)base;
    for (size_t k = 0; k < count; k++)
      json_array_append_new(array,
                            value_to_json(f, items + k * element_size(f)));
    json_object_set_new(object, f->name, array);
  }
  return object;
}
