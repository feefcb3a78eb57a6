/*
 * rt_pbjson: any protobuf-c message as JSON in the canonical proto3 JSON
 * mapping (https://protobuf.dev/programming-guides/proto3/#json), for
 * clients that read the API without gRPC.
 *
 * Owns: the mapping of every field type the API uses. Field names in
 * lowerCamelCase; int64, uint64 and their fixed/sint kinds as decimal
 * strings (JSON numbers lose precision past 2^53); int32 and uint32 as
 * numbers; double and float as numbers, or "NaN", "Infinity",
 * "-Infinity"; bool; string; bytes as standard base64 with padding;
 * enums by value name ("STATUS_IN_PROGRESS"), an unknown value as its
 * number; repeated fields as arrays; messages as objects. Fields holding
 * their default value (0, "", false, empty list, unset message) are left
 * out, as the mapping allows. Calls protobuf-c, jansson and libsodium
 * (base64). Thread-safe.
 */
#ifndef RT_PBJSON_H
#define RT_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* message as a new JSON object (json_decref it), or NULL when out of
 * memory. */
json_t *rt_pbjson_from_message(const ProtobufCMessage *message);

/* "subject_id" -> "subjectId" into out (size bytes, always terminated);
 * the JSON name of a field. */
void rt_pbjson_field_name(const char *proto_name, char *out, size_t size);

#endif /* RT_PBJSON_H */
