/*
 * rt_dataset_load: the walk that applies a parsed import file (rt_dataset)
 * to a writer in batches, and the bookkeeping of what became of each item.
 * rectrack-admin's writer is a store, the CLI's is a server; both go
 * through this loader, so that both import a file the same way.
 *
 * Owns: which items go into the next batch (their references resolved to
 * server ids; an item that waits for an id the batch itself creates goes
 * to the next one; two reports on one subject together or not, as the
 * policy says), the items that can never be written (skipped), booking
 * what the writer answered (the server id of a created item, read from
 * its reply; the id of a named source or actor that already existed),
 * and the counts per kind: created, already present, replayed, failed.
 * Calls: rt_dataset (items, rt_dataset_resolve, rt_dataset_set_server_id),
 * protobuf-c (reading replies), common/ (rt_error). Knows nothing of
 * storage or the network: the caller turns a batch into writes, sends
 * them, and books every answer before it asks for the next batch.
 *
 *   rt_dataset_load_new(ds, &policy, &load, &err);
 *   while (rt_dataset_load_next(load, &step, &err) == 0 &&
 *          step.kind != RT_DATASET_STEP_DONE) {
 *     if (step.kind == RT_DATASET_STEP_SKIP)  report step.item, step.reason
 *     else  write step.items[0..step.len), then for each slot
 *           rt_dataset_load_book(load, slot, answer, reply, len, ...);
 *   }
 *   rt_dataset_load_tally(load, kind) / rt_dataset_load_total(load);
 *   rt_dataset_load_free(load);
 *
 * An item refers only to items before it (rt_dataset orders them so).
 * Hence an item that is not ready while nothing is in flight never will
 * be: the item it names failed or was skipped.
 */
#ifndef RT_DATASET_LOAD_H
#define RT_DATASET_LOAD_H

#include "rt_dataset.h"
#include "rt_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the caller's writer takes batches. */
typedef struct rt_dataset_load_policy {
  /* At most this many items in one batch (at least 1). */
  size_t max_batch;
  /* May two reports (follow-ups, measurements) on one subject share a
   * batch? Only if the writer applies a batch in order, each write seeing
   * the ones before it (one store transaction). A writer that runs a
   * batch's writes concurrently (a server's streams) says false: the
   * second report then goes to the next batch, so that reports on one
   * subject are recorded in file order. */
  bool same_subject_in_batch;
  /* A theme, source or actor refused because a record with its id exists
   * (made some other way): true, the record is there and the item counts
   * as already present; false, the item failed. (Whether an existing
   * theme has the same title is for the caller to check first:
   * rt_dataset_check_existing_themes.) */
  bool existing_counts_as_present;
  /* For writers that cannot tell a replayed write from a new one
   * (RT_DATASET_ANSWER_WRITTEN): the writer's revision before the load
   * began. A reply at or below it was a replay. */
  uint64_t start_revision;
} rt_dataset_load_policy_t;

typedef struct rt_dataset_load rt_dataset_load_t;

/* Starts a load of dataset (borrowed: it must outlive the load; the load
 * resolves its requests and sets its items' server ids). policy is
 * copied. On success *out is the load; free with rt_dataset_load_free.
 * Errors: RT_EINVAL (dataset NULL or policy->max_batch 0), RT_ENOMEM. */
int rt_dataset_load_new(rt_dataset_t *dataset,
                        const rt_dataset_load_policy_t *policy,
                        rt_dataset_load_t **out, rt_error_t *err);

/* Frees the load (not the dataset). NULL is a no-op. */
void rt_dataset_load_free(rt_dataset_load_t *load);

typedef enum rt_dataset_step_kind {
  RT_DATASET_STEP_DONE = 1, /* every item was planned: nothing left */
  RT_DATASET_STEP_BATCH,    /* write items[0..len), then book each */
  RT_DATASET_STEP_SKIP,     /* item can never be written, reason says why */
} rt_dataset_step_kind_t;

/* What to do next. */
typedef struct rt_dataset_step {
  rt_dataset_step_kind_t kind;
  /* BATCH: dataset indexes in file order, each request resolved (its
   * references hold server ids). Slot i of the batch is items[i].
   * Borrowed: valid until the next rt_dataset_load_next or free. */
  const size_t *items;
  size_t len;
  /* SKIP: the dataset index of the item, counted as failed; reason names
   * the reference that has no server id, e.g. "follow_ups[1].subject:
   * \"bad-1\" (recommendations[1]) has not been created yet". */
  size_t item;
  rt_error_t reason;
} rt_dataset_step_t;

/* Plans the next step from where the last one ended: the longest run of
 * items, in file order, that can be written together under the policy,
 * or one item to skip (only when no batch is in flight: then it can never
 * be written), or the end. Every slot of the previous batch must have
 * been booked. Errors: RT_EINVAL (a slot of the previous batch is not
 * booked; err says how many), RT_ENOMEM (resolving a request). */
int rt_dataset_load_next(rt_dataset_load_t *load, rt_dataset_step_t *step,
                         rt_error_t *err);

/* What the writer answered for one item. */
typedef enum rt_dataset_answer {
  RT_DATASET_ANSWER_NEW = 1,  /* written now */
  RT_DATASET_ANSWER_REPLAYED, /* its request id was known: nothing new */
  /* Succeeded, and the writer does not say whether it was new: the
   * reply's revision is compared with policy.start_revision. */
  RT_DATASET_ANSWER_WRITTEN,
  RT_DATASET_ANSWER_EXISTS, /* refused: a record with the item's id exists */
  RT_DATASET_ANSWER_FAILED, /* refused for any other reason */
} rt_dataset_answer_t;

/* What the loader counts an item as. */
typedef enum rt_dataset_outcome {
  RT_DATASET_CREATED = 1, /* written by this load */
  RT_DATASET_PRESENT,     /* a source or actor of that id existed already */
  RT_DATASET_REPLAYED,    /* written before, by an earlier run of the load */
  RT_DATASET_FAILED,      /* refused, or skipped */
} rt_dataset_outcome_t;

/* Books the writer's answer for slot (0..len-1) of the current batch.
 * reply is the packed record the writer answered with, for NEW, REPLAYED
 * and WRITTEN (the record's message: Source, Actor, Recommendation,
 * Commitment, FollowUp, Theme; a Commitment for a measurement); it is read
 * during the call only and may be NULL otherwise. A created or replayed
 * theme, source, actor, recommendation or commitment gets the id of its
 * reply as server id, so that later items can refer to it; an existing
 * theme, source or actor counted as present gets its own id. outcome (may be
 * NULL) receives what the item now counts as. Errors: RT_EINVAL (no such slot,
 * booked already, or a bad answer); RT_ECORRUPT (the reply does not decode, or
 * carries no id: the item still counts as the answer says, WRITTEN as replayed
 * when its revision cannot be read, but has no server id, so the items that
 * refer to it will be skipped); RT_ENOMEM. err names the item's path. */
int rt_dataset_load_book(rt_dataset_load_t *load, size_t slot,
                         rt_dataset_answer_t answer, const uint8_t *reply,
                         size_t reply_len, rt_dataset_outcome_t *outcome,
                         rt_error_t *err);

/* Items booked so far, by outcome. */
typedef struct rt_dataset_tally {
  size_t created, present, replayed, failed;
} rt_dataset_tally_t;

/* The counts of one kind, and of all kinds together. */
rt_dataset_tally_t rt_dataset_load_tally(const rt_dataset_load_t *load,
                                         rt_dataset_kind_t kind);
rt_dataset_tally_t rt_dataset_load_total(const rt_dataset_load_t *load);

#endif /* RT_DATASET_LOAD_H */
