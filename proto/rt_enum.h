/*
 * rt_enum: the one spelling of every rectrack.v1 enum value, derived from
 * the protobuf-c descriptors so that it cannot drift from the schema.
 *
 * Owns: three spellings per value and the parse back from the first.
 *  - slug: "in-progress", "quantified-target", "on-track". The value's API
 *    name without its enum's prefix, lower case, '_' as '-'. Used wherever
 *    a machine or a person types or reads a value as text: the CLI's
 *    arguments and output, the import format, the review's CSV and JSON.
 *  - label: "In progress", "UN entity". The slug as a phrase, for people:
 *    the review's HTML, Markdown and XLSX, CLI tables.
 *  - API name: "STATUS_IN_PROGRESS", as in the .proto file (and the
 *    protobuf JSON mapping).
 * Calls only protobuf-c. Every function is thread-safe: the spellings are
 * built once, on first use, and never change.
 *
 * An enum is one of the descriptors of resources.proto and tracker.proto
 * (rectrack__v1__status__descriptor, ...). Another descriptor, a value
 * the enum does not have, or the UNSPECIFIED value (0) gives NULL for the
 * slug and the API name, and "Unspecified" for the label.
 */
#ifndef RT_ENUM_H
#define RT_ENUM_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

/* "in-progress", or NULL (see above). Static storage. */
const char *rt_enum_slug(const ProtobufCEnumDescriptor *type, int value);

/* "In progress", or "Unspecified". Static storage, never NULL. */
const char *rt_enum_label(const ProtobufCEnumDescriptor *type, int value);

/* "STATUS_IN_PROGRESS", or NULL. Static storage. */
const char *rt_enum_api_name(const ProtobufCEnumDescriptor *type, int value);

/* Sets *value to the value whose slug is slug and returns true; false (and
 * *value untouched) when no value of type has that slug. The UNSPECIFIED
 * value has no slug, so it never parses. */
bool rt_enum_parse(const ProtobufCEnumDescriptor *type, const char *slug,
                   int *value);

/* Every slug of type in value order, joined by '|'
 * ("no-information|not-started|..."), for usage and error messages.
 * Static storage; "" for an unknown descriptor. */
const char *rt_enum_choices(const ProtobufCEnumDescriptor *type);

/* One more than the largest value of type (8 for Status): the size of an
 * array indexed by value. 0 for an unknown descriptor. */
int rt_enum_bound(const ProtobufCEnumDescriptor *type);

#endif /* RT_ENUM_H */
