/*
 * store_arena: the memory of one request. An allocation is a bump of an
 * offset in the newest block; when a block is full the next one is twice
 * as large. Nothing is freed one by one: a reset drops every allocation
 * at once and keeps the newest (largest) block for the next request, so
 * a writer in steady state allocates no memory for its working messages
 * at all. The arena is also a ProtobufCAllocator, whose free does
 * nothing: messages unpacked through it live in it, and are dropped with
 * it. See the memory rule in store_internal.h.
 */
#include "store_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN (_Alignof(max_align_t))
#define ARENA_FIRST_BLOCK ((size_t)16 * 1024)
/* A reset keeps the newest block unless it grew past this: one huge
 * request must not pin its memory for the rest of the process. */
#define ARENA_KEEP_MAX ((size_t)1024 * 1024)

struct store_arena_block {
  store_arena_block_t *next; /* older blocks */
  size_t size;               /* bytes in data */
  max_align_t data[];
};

static void *allocator_alloc(void *arena, size_t size) {
  return store_arena_alloc(arena, size);
}

static void allocator_free(void *arena, void *pointer) {
  (void)arena;
  (void)pointer; /* released with the arena */
}

void store_arena_init(store_arena_t *arena) {
  memset(arena, 0, sizeof *arena);
  arena->allocator.alloc = allocator_alloc;
  arena->allocator.free = allocator_free;
  arena->allocator.allocator_data = arena;
}

/* Starts a block that holds at least need bytes. */
static bool add_block(store_arena_t *arena, size_t need) {
  size_t size = arena->blocks ? arena->blocks->size * 2 : ARENA_FIRST_BLOCK;
  if (size < need)
    size = need;
  if (size > SIZE_MAX - sizeof(store_arena_block_t))
    return false;
  store_arena_block_t *block = malloc(sizeof *block + size);
  if (block == NULL)
    return false;
  block->next = arena->blocks;
  block->size = size;
  arena->blocks = block;
  arena->used = 0;
  return true;
}

void *store_arena_alloc(store_arena_t *arena, size_t size) {
  size_t need = size ? size : 1;
  if (need > SIZE_MAX - ARENA_ALIGN)
    goto fail;
  need = (need + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
  if ((arena->blocks == NULL || arena->blocks->size - arena->used < need) &&
      !add_block(arena, need))
    goto fail;
  void *pointer = (unsigned char *)arena->blocks->data + arena->used;
  arena->used += need;
  return pointer;
fail:
  arena->failed = true;
  return NULL;
}

void *store_arena_memdup(store_arena_t *arena, const void *data, size_t size) {
  void *copy = store_arena_alloc(arena, size);
  if (copy && size)
    memcpy(copy, data, size);
  return copy;
}

char *store_arena_strdup(store_arena_t *arena, const char *text) {
  text = text ? text : "";
  return store_arena_memdup(arena, text, strlen(text) + 1);
}

static void free_blocks(store_arena_block_t *block) {
  while (block) {
    store_arena_block_t *next = block->next;
    free(block);
    block = next;
  }
}

void store_arena_reset(store_arena_t *arena) {
  store_arena_block_t *keep = arena->blocks;
  if (keep && keep->size > ARENA_KEEP_MAX) {
    free_blocks(keep);
    keep = NULL;
  } else if (keep) {
    free_blocks(keep->next);
    keep->next = NULL;
  }
  arena->blocks = keep;
  arena->used = 0;
  arena->failed = false;
}

void store_arena_free(store_arena_t *arena) {
  free_blocks(arena->blocks);
  arena->blocks = NULL;
  arena->used = 0;
  arena->failed = false;
}
