/*
 * The import loader: plans the batches in which a parsed dataset is
 * written and books what the writer answered, for rectrack-admin (a
 * store) and the CLI (a server) alike.
 *
 * A batch is a run of items in file order, so that the order the file
 * gives is the order of writing. It ends before an item that is not ready
 * (it refers to an item whose server id the writer has not given yet:
 * one in the batch itself, or one that failed) and at max_batch. When the
 * policy keeps two reports on one subject apart (a writer that runs a
 * batch's writes concurrently), a report whose subject is in the batch
 * already is passed over instead, and the batch is filled from the
 * reports after it (up to LOOKAHEAD batches ahead) whose subjects are not
 * taken: reports on one subject keep their file order, reports on
 * different subjects need none, and a file that lists its follow-ups
 * subject by subject still fills every batch. Creates stay in file order.
 * The caller books every slot before it asks for the next batch; so when
 * the next item is not ready at the start of a batch, nothing in flight
 * can make it ready, and it is skipped. Replies are read with protobuf-c:
 * they are the records of the rectrack.v1 API, whoever wrote them.
 */
#include "rt_dataset_load.h"

#include "rectrack/v1/resources.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define KIND_SLOTS (RT_DATASET_KIND_LAST + 1)
/* How far past the first unplanned item a batch looks for reports, in
 * batches. */
#define LOOKAHEAD 16

struct rt_dataset_load {
  rt_dataset_t *dataset;
  rt_dataset_load_policy_t policy;
  size_t next;      /* first item not planned yet */
  bool *planned;    /* per item, for batches planned out of order */
  size_t *batch;    /* dataset indexes, policy.max_batch slots */
  bool *booked;     /* per slot of batch */
  size_t batch_len; /* slots in use */
  size_t unbooked;  /* slots of batch not booked yet */
  rt_dataset_tally_t tally[KIND_SLOTS];
};

/* The record each kind of write answers with. */
static const ProtobufCMessageDescriptor *const reply_types[KIND_SLOTS] = {
    [RT_DATASET_SOURCE] = &rectrack__v1__source__descriptor,
    [RT_DATASET_ACTOR] = &rectrack__v1__actor__descriptor,
    [RT_DATASET_RECOMMENDATION] = &rectrack__v1__recommendation__descriptor,
    [RT_DATASET_COMMITMENT] = &rectrack__v1__commitment__descriptor,
    [RT_DATASET_FOLLOW_UP] = &rectrack__v1__follow_up__descriptor,
    [RT_DATASET_MEASUREMENT] = &rectrack__v1__commitment__descriptor,
    [RT_DATASET_THEME] = &rectrack__v1__theme__descriptor,
    [RT_DATASET_DIMENSION_KEY] = &rectrack__v1__dimension_key__descriptor,
};

int rt_dataset_load_new(rt_dataset_t *dataset,
                        const rt_dataset_load_policy_t *policy,
                        rt_dataset_load_t **out, rt_error_t *err) {
  *out = NULL;
  if (dataset == NULL || policy == NULL || policy->max_batch == 0)
    return rt_error_set(err, RT_EINVAL, NULL,
                        "a load needs a dataset and a batch size of at "
                        "least 1");
  rt_dataset_load_t *load = calloc(1, sizeof *load);
  if (load == NULL)
    goto fail;
  load->dataset = dataset;
  load->policy = *policy;
  load->batch = calloc(policy->max_batch, sizeof *load->batch);
  load->booked = calloc(policy->max_batch, sizeof *load->booked);
  load->planned = calloc(rt_dataset_count(dataset) + 1, sizeof *load->planned);
  if (load->batch == NULL || load->booked == NULL || load->planned == NULL)
    goto fail;
  *out = load;
  return 0;
fail:
  rt_dataset_load_free(load);
  return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
}

void rt_dataset_load_free(rt_dataset_load_t *load) {
  if (load == NULL)
    return;
  free(load->booked);
  free(load->batch);
  free(load->planned);
  free(load);
}

/* The server id of the subject a follow-up or measurement reports on;
 * NULL for other items. Only for a ready item (its subject has an id). */
static const char *subject_of(rt_dataset_t *dataset,
                              const rt_dataset_item_t *item) {
  if ((item->kind != RT_DATASET_FOLLOW_UP &&
       item->kind != RT_DATASET_MEASUREMENT) ||
      item->refs_len == 0)
    return NULL;
  const rt_dataset_ref_t *ref = &item->refs[0];
  if (ref->target == RT_DATASET_NO_ITEM)
    return ref->key;
  return rt_dataset_item(dataset, ref->target)->server_id;
}

/* True when item index reports on a subject a report in the batch is on.
 * Compared by server id, so that a file key and the id it was created
 * under name the same subject. */
static bool shares_subject(const rt_dataset_load_t *load, size_t index) {
  const char *subject =
      subject_of(load->dataset, rt_dataset_item(load->dataset, index));
  for (size_t slot = 0; subject != NULL && slot < load->batch_len; slot++) {
    const char *other = subject_of(
        load->dataset, rt_dataset_item(load->dataset, load->batch[slot]));
    if (other != NULL && strcmp(other, subject) == 0)
      return true;
  }
  return false;
}

/* A theme or dimension key is not referred to by key: records name it in
 * their theme field or a measurement's dimensions, which the writer
 * checks. So that they exist before a record that names one is written, a
 * concurrent writer's batch holds reference entries only or none at all. */
static bool kind_breaks_batch(const rt_dataset_load_t *load,
                              const rt_dataset_item_t *item) {
  if (load->batch_len == 0)
    return false;
  const rt_dataset_item_t *first =
      rt_dataset_item(load->dataset, load->batch[0]);
  return rt_dataset_is_reference_kind(first->kind) !=
         rt_dataset_is_reference_kind(item->kind);
}

static bool is_report(const rt_dataset_item_t *item) {
  return item->kind == RT_DATASET_FOLLOW_UP ||
         item->kind == RT_DATASET_MEASUREMENT;
}

/* Whether a report on subject comes before index among the items from
 * load->next that are not planned yet (it must be written first). */
static bool earlier_report_waits(const rt_dataset_load_t *load, size_t index,
                                 const char *subject) {
  for (size_t i = load->next; i < index; i++) {
    if (load->planned[i])
      continue;
    const rt_dataset_item_t *item = rt_dataset_item(load->dataset, i);
    if (!is_report(item))
      continue;
    const char *other = rt_dataset_is_ready(load->dataset, i)
                            ? subject_of(load->dataset, item)
                            : NULL;
    if (other == NULL || strcmp(other, subject) == 0)
      return true; /* an unready report may be on the same subject */
  }
  return false;
}

static void advance_next(rt_dataset_load_t *load) {
  size_t count = rt_dataset_count(load->dataset);
  while (load->next < count && load->planned[load->next])
    load->next++;
}

/* Skips item index, which can never be written: step->reason says which
 * reference has no server id. */
static int skip_item(rt_dataset_load_t *load, size_t index,
                     rt_dataset_step_t *step, rt_error_t *err) {
  int rc = rt_dataset_resolve(load->dataset, index, &step->reason);
  if (rc != RT_ENOTFOUND) /* resolving ran out of memory */
    return rt_error_set(err, rc ? rc : RT_EINVAL, NULL, "%s",
                        step->reason.message);
  load->tally[rt_dataset_item(load->dataset, index)->kind].failed++;
  load->planned[index] = true;
  advance_next(load);
  step->kind = RT_DATASET_STEP_SKIP;
  step->item = index;
  return 0;
}

static int finish_batch(rt_dataset_load_t *load, rt_dataset_step_t *step) {
  load->unbooked = load->batch_len;
  step->kind =
      load->batch_len > 0 ? RT_DATASET_STEP_BATCH : RT_DATASET_STEP_DONE;
  step->items = load->batch;
  step->len = load->batch_len;
  return 0;
}

/* Plans a batch for a writer that keeps reports on one subject apart
 * (see the top of this file). */
static int plan_pipelined(rt_dataset_load_t *load, rt_dataset_step_t *step,
                          rt_error_t *err) {
  size_t count = rt_dataset_count(load->dataset);
  size_t horizon = load->next + LOOKAHEAD * load->policy.max_batch;
  bool in_order = true; /* every item before i is planned */
  for (size_t i = load->next;
       i < count && i < horizon && load->batch_len < load->policy.max_batch;
       i++) {
    if (load->planned[i])
      continue;
    rt_dataset_item_t *item = rt_dataset_item(load->dataset, i);
    bool ready = rt_dataset_is_ready(load->dataset, i);
    if (!ready && load->batch_len == 0 && i == load->next)
      return skip_item(load, i, step, err);
    if (kind_breaks_batch(load, item))
      break;
    bool take =
        ready &&
        (is_report(item) ? !shares_subject(load, i) &&
                               !earlier_report_waits(
                                   load, i, subject_of(load->dataset, item))
                         : in_order);
    if (!take) {
      in_order = false;
      if (!is_report(item))
        break; /* creates keep their order: nothing after it is taken */
      continue;
    }
    int rc = rt_dataset_resolve(load->dataset, i, err);
    if (rc != 0) { /* plan this batch again on the next call */
      for (size_t slot = 0; slot < load->batch_len; slot++)
        load->planned[load->batch[slot]] = false;
      load->batch_len = 0;
      return rc;
    }
    load->booked[load->batch_len] = false;
    load->batch[load->batch_len++] = i;
    load->planned[i] = true;
  }
  advance_next(load);
  return finish_batch(load, step);
}

int rt_dataset_load_next(rt_dataset_load_t *load, rt_dataset_step_t *step,
                         rt_error_t *err) {
  memset(step, 0, sizeof *step);
  if (load->unbooked > 0)
    return rt_error_set(err, RT_EINVAL, NULL,
                        "%zu item(s) of the last batch are not booked yet",
                        load->unbooked);
  size_t count = rt_dataset_count(load->dataset);
  load->batch_len = 0;
  if (!load->policy.same_subject_in_batch)
    return plan_pipelined(load, step, err);
  while (load->next < count && load->batch_len < load->policy.max_batch) {
    size_t index = load->next;
    if (!rt_dataset_is_ready(load->dataset, index)) {
      if (load->batch_len > 0)
        break;
      return skip_item(load, index, step, err);
    }
    int rc = rt_dataset_resolve(load->dataset, index, err);
    if (rc != 0) { /* plan this batch again on the next call */
      for (size_t slot = 0; slot < load->batch_len; slot++)
        load->planned[load->batch[slot]] = false;
      load->next -= load->batch_len;
      load->batch_len = 0;
      return rc;
    }
    load->booked[load->batch_len] = false;
    load->batch[load->batch_len++] = index;
    load->planned[index] = true;
    load->next++;
  }
  return finish_batch(load, step);
}

/* Themes, dimension keys, sources and actors carry their own ids; the
 * others get one from the server, or have none. */
static bool is_named(const rt_dataset_item_t *item) {
  return item->kind == RT_DATASET_SOURCE || item->kind == RT_DATASET_ACTOR ||
         rt_dataset_is_reference_kind(item->kind);
}

/* The address of a field of record by name; NULL if it has none. */
static const void *record_field(const ProtobufCMessage *record,
                                const char *name) {
  const ProtobufCFieldDescriptor *field =
      protobuf_c_message_descriptor_get_field_by_name(record->descriptor, name);
  return field ? (const char *)record + field->offset : NULL;
}

/* Books a write that succeeded: what it counts as, and the server id of a
 * keyed item, both read from the reply when the answer needs it. */
static int take_reply(rt_dataset_load_t *load, size_t index,
                      rt_dataset_answer_t answer, const uint8_t *reply,
                      size_t reply_len, rt_dataset_outcome_t *outcome,
                      rt_error_t *err) {
  rt_dataset_item_t *item = rt_dataset_item(load->dataset, index);
  bool keyed = item->key != NULL;
  *outcome = answer == RT_DATASET_ANSWER_NEW ? RT_DATASET_CREATED
                                             : RT_DATASET_REPLAYED;
  if (!keyed && answer != RT_DATASET_ANSWER_WRITTEN)
    return 0;
  const ProtobufCMessageDescriptor *type = reply_types[item->kind];
  ProtobufCMessage *record =
      reply ? protobuf_c_message_unpack(type, NULL, reply_len, reply) : NULL;
  if (record == NULL)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "%s: the reply is not a %s record", item->path,
                        type->short_name);
  const uint64_t *revision = record_field(record, "revision");
  if (answer == RT_DATASET_ANSWER_WRITTEN && revision != NULL &&
      *revision > load->policy.start_revision)
    *outcome = RT_DATASET_CREATED;
  int rc = 0;
  if (keyed) {
    char *const *id = record_field(
        record, item->kind == RT_DATASET_DIMENSION_KEY ? "key" : "id");
    if (id == NULL || *id == NULL || (*id)[0] == '\0')
      rc = rt_error_set(err, RT_ECORRUPT, NULL, "%s: the reply carries no id",
                        item->path);
    else
      rc = rt_dataset_set_server_id(load->dataset, index, *id, err);
  }
  protobuf_c_message_free_unpacked(record, NULL);
  return rc;
}

int rt_dataset_load_book(rt_dataset_load_t *load, size_t slot,
                         rt_dataset_answer_t answer, const uint8_t *reply,
                         size_t reply_len, rt_dataset_outcome_t *outcome,
                         rt_error_t *err) {
  if (slot >= load->batch_len || load->booked[slot])
    return rt_error_set(
        err, RT_EINVAL, NULL, "slot %zu of the batch is %s", slot,
        slot >= load->batch_len ? "not planned" : "booked already");
  if (answer < RT_DATASET_ANSWER_NEW || answer > RT_DATASET_ANSWER_FAILED)
    return rt_error_set(err, RT_EINVAL, NULL,
                        "answer %d is not one of "
                        "rt_dataset_answer_t",
                        (int)answer);
  size_t index = load->batch[slot];
  rt_dataset_item_t *item = rt_dataset_item(load->dataset, index);
  rt_dataset_outcome_t verdict = RT_DATASET_FAILED;
  int rc = 0;
  if (answer == RT_DATASET_ANSWER_EXISTS) {
    if (is_named(item) && load->policy.existing_counts_as_present) {
      verdict = RT_DATASET_PRESENT;
      rc = rt_dataset_set_server_id(load->dataset, index, item->key, err);
    }
  } else if (answer != RT_DATASET_ANSWER_FAILED) {
    rc = take_reply(load, index, answer, reply, reply_len, &verdict, err);
  }
  load->booked[slot] = true;
  load->unbooked--;
  rt_dataset_tally_t *tally = &load->tally[item->kind];
  tally->created += verdict == RT_DATASET_CREATED;
  tally->present += verdict == RT_DATASET_PRESENT;
  tally->replayed += verdict == RT_DATASET_REPLAYED;
  tally->failed += verdict == RT_DATASET_FAILED;
  if (outcome != NULL)
    *outcome = verdict;
  return rc;
}

rt_dataset_tally_t rt_dataset_load_tally(const rt_dataset_load_t *load,
                                         rt_dataset_kind_t kind) {
  rt_dataset_tally_t none = {0};
  if (kind < RT_DATASET_SOURCE || kind > RT_DATASET_KIND_LAST)
    return none;
  return load->tally[kind];
}

rt_dataset_tally_t rt_dataset_load_total(const rt_dataset_load_t *load) {
  rt_dataset_tally_t total = {0};
  for (int kind = RT_DATASET_SOURCE; kind <= RT_DATASET_KIND_LAST; kind++) {
    total.created += load->tally[kind].created;
    total.present += load->tally[kind].present;
    total.replayed += load->tally[kind].replayed;
    total.failed += load->tally[kind].failed;
  }
  return total;
}
