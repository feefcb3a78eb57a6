/*
 * tracker_arena: the memory of one request (see "Per-request memory" in
 * rt_tracker.h). A bump allocator over a list of blocks: allocation is a
 * pointer increment, and the whole request is released by one
 * tracker_arena_free. Private to service/tracker. Calls libc and
 * protobuf-c (its ProtobufCAllocator interface).
 *
 * Not thread-safe: at any time one thread uses an arena (the loop thread,
 * or the one worker step of a review that owns it then).
 */
#ifndef TRACKER_ARENA_H
#define TRACKER_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct tracker_arena tracker_arena_t;

/* A new arena whose first block holds first_block bytes (more blocks are
 * added as needed). Free with tracker_arena_free. NULL: out of memory. */
tracker_arena_t *tracker_arena_new(size_t first_block);

/* size bytes, aligned for any type, uninitialized; they live until
 * tracker_arena_free. NULL: out of memory. */
void *tracker_arena_alloc(tracker_arena_t *arena, size_t size);

/* A copy of text in the arena. NULL: out of memory. */
char *tracker_arena_strdup(tracker_arena_t *arena, const char *text);

/* The arena as a ProtobufCAllocator, for protobuf_c_message_unpack. Its
 * free() does nothing: a message unpacked with it is never given to
 * protobuf_c_message_free_unpacked; it goes with the arena. */
ProtobufCAllocator *tracker_arena_allocator(tracker_arena_t *arena);

/* Releases every block and the arena. NULL is a no-op. */
void tracker_arena_free(tracker_arena_t *arena);

#endif /* TRACKER_ARENA_H */
