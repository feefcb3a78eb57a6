/*
 * rt_pbwire: what the protobuf-c runtime lets through when it decodes,
 * and the messages rectrack keeps. Owns two rules every decoded message
 * meets before it goes further:
 *
 * - Field number 0 does not exist (the protobuf encoding reserves it).
 *   protobuf-c 1.4 refuses it in its one-byte form but accepts the same
 *   tag written with a redundant continuation byte (80 00), keeps it as
 *   an unknown field, and packs it again in the one-byte form, which no
 *   parser (protobuf-c included) accepts. A message holding one is
 *   malformed: rt_pbwire_has_field_zero finds it, so that the caller
 *   refuses the message instead of storing or echoing bytes that cannot
 *   be read back.
 * - Unknown fields (from a newer client, or garbage) are never kept:
 *   rt_pbwire_known_only gives the message without them, so that what is
 *   packed from it is only what this schema knows and can read again.
 *
 * Calls protobuf-c only; knows nothing of the API's messages.
 */
#ifndef RT_PBWIRE_H
#define RT_PBWIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

/* Whether message, or a message inside it (set oneof members, repeated
 * items), holds an unknown field numbered 0. */
bool rt_pbwire_has_field_zero(const ProtobufCMessage *message);

/* Whether message, or a message inside it, holds any unknown field. */
bool rt_pbwire_has_unknown(const ProtobufCMessage *message);

/* message itself when it holds no unknown field anywhere; otherwise a
 * copy of it without them, allocated from allocator: the copy shares the
 * strings, bytes and scalar arrays of message (which must outlive it) and
 * copies only the message structs and the arrays of message pointers.
 * Free the copy by freeing what allocator handed out (an arena: reset
 * it), never with protobuf_c_message_free_unpacked. NULL when out of
 * memory. */
const ProtobufCMessage *rt_pbwire_known_only(const ProtobufCMessage *message,
                                             ProtobufCAllocator *allocator);

#endif /* RT_PBWIRE_H */
