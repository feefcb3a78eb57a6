/*
 * tracker_arena: blocks of growing size, newest first. The arena's
 * header and its first block are one malloc, sized by the caller for
 * what a typical request needs, so that a small read costs one malloc and
 * one free whatever its request holds. Later blocks double in size up to
 * ARENA_MAX_BLOCK (a request of a few megabytes takes a few blocks, not
 * hundreds); an allocation larger than that gets a block of its own.
 */
#include "tracker_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_MAX_BLOCK (1u << 20)

typedef struct arena_block {
  struct arena_block *previous; /* NULL: the first block */
  size_t size;                  /* bytes in data */
  alignas(max_align_t) unsigned char data[];
} arena_block_t;

struct tracker_arena {
  ProtobufCAllocator allocator; /* allocator_data is the arena */
  arena_block_t *current;       /* where allocations go */
  size_t used;                  /* bytes of current->data handed out */
};

/* The arena's header, padded so that the first block after it is
 * aligned. */
#define ARENA_HEADER                                                           \
  ((sizeof(tracker_arena_t) + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN)

static void *allocator_alloc(void *data, size_t size) {
  return tracker_arena_alloc(data, size);
}

static void allocator_free(void *data, void *pointer) {
  (void)data;
  (void)pointer;
}

tracker_arena_t *tracker_arena_new(size_t first_block) {
  if (first_block > SIZE_MAX - ARENA_HEADER - sizeof(arena_block_t))
    return NULL;
  tracker_arena_t *arena =
      malloc(ARENA_HEADER + sizeof(arena_block_t) + first_block);
  if (arena == NULL)
    return NULL;
  arena_block_t *block = (arena_block_t *)((char *)arena + ARENA_HEADER);
  block->previous = NULL;
  block->size = first_block;
  arena->allocator.alloc = allocator_alloc;
  arena->allocator.free = allocator_free;
  arena->allocator.allocator_data = arena;
  arena->current = block;
  arena->used = 0;
  return arena;
}

/* Adds a block with room for at least size bytes. */
static int add_block(tracker_arena_t *arena, size_t size) {
  size_t block_size = arena->current->size * 2;
  if (block_size > ARENA_MAX_BLOCK)
    block_size = ARENA_MAX_BLOCK;
  if (block_size < size)
    block_size = size;
  if (block_size > SIZE_MAX - sizeof(arena_block_t))
    return -1;
  arena_block_t *block = malloc(sizeof(arena_block_t) + block_size);
  if (block == NULL)
    return -1;
  block->previous = arena->current;
  block->size = block_size;
  arena->current = block;
  arena->used = 0;
  return 0;
}

void *tracker_arena_alloc(tracker_arena_t *arena, size_t size) {
  if (size > SIZE_MAX - ARENA_ALIGN)
    return NULL;
  size = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
  if (size > arena->current->size - arena->used && add_block(arena, size) != 0)
    return NULL;
  void *pointer = arena->current->data + arena->used;
  arena->used += size;
  return pointer;
}

char *tracker_arena_strdup(tracker_arena_t *arena, const char *text) {
  size_t len = strlen(text) + 1;
  char *copy = tracker_arena_alloc(arena, len);
  if (copy != NULL)
    memcpy(copy, text, len);
  return copy;
}

ProtobufCAllocator *tracker_arena_allocator(tracker_arena_t *arena) {
  return &arena->allocator;
}

void tracker_arena_free(tracker_arena_t *arena) {
  if (arena == NULL)
    return;
  arena_block_t *block = arena->current;
  while (block->previous != NULL) {
    arena_block_t *previous = block->previous;
    free(block);
    block = previous;
  }
  free(arena);
}
