/*
 * store_records: create and update of sources, actors, recommendations and
 * commitments. Both work on a copy of a message struct in the op's arena:
 * create copies the caller's message and overwrites the server-owned
 * fields; update copies the stored record and replaces the fields named
 * in the update mask with the caller's, found through the protobuf-c
 * descriptors so that one routine serves every entity. The copy shares
 * pointers with both sides, which is safe because nothing in an arena is
 * freed field by field (store_internal.h). Each change rewrites the
 * record's index entries and appends to the log.
 */
#include "store_links.h"
#include "store_ops.h"
#include "store_pledges.h"
#include "store_specificity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields the server owns: never taken from the caller. */
static bool is_server_owned(rt_entity_t entity, const char *name) {
  static const char *const common[] = {"id", "revision", "created_ms",
                                       "updated_ms", "updated_by"};
  static const char *const derived[] = {"status",
                                        "last_follow_up_as_of",
                                        "latest_value",
                                        "trajectory",
                                        "latest_as_of",
                                        "progress",
                                        "measurement_count",
                                        "reported_status",
                                        "reported_as_of",
                                        "pending_count",
                                        "linked_from",
                                        "specificity",
                                        "specificity_gaps",
                                        "series",
                                        "series_count",
                                        "series_above_ceiling_count",
                                        "partner_statuses",
                                        "matched_by"};
  for (size_t i = 0; i < sizeof common / sizeof *common; i++)
    if (strcmp(name, common[i]) == 0)
      return true;
  if (entity != RT_ENTITY_RECOMMENDATION && entity != RT_ENTITY_COMMITMENT)
    return false;
  for (size_t i = 0; i < sizeof derived / sizeof *derived; i++)
    if (strcmp(name, derived[i]) == 0)
      return true;
  return false;
}

static size_t scalar_size(ProtobufCType type) {
  switch (type) {
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE:
    return 8;
  case PROTOBUF_C_TYPE_BOOL:
    return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE:
    return sizeof(void *);
  case PROTOBUF_C_TYPE_BYTES:
    return sizeof(ProtobufCBinaryData);
  default:
    return 4;
  }
}

static void copy_field(void *dst, const void *src,
                       const ProtobufCFieldDescriptor *fd) {
  if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
    memcpy((char *)dst + fd->quantifier_offset,
           (const char *)src + fd->quantifier_offset, sizeof(size_t));
    memcpy((char *)dst + fd->offset, (const char *)src + fd->offset,
           sizeof(void *));
    return;
  }
  memcpy((char *)dst + fd->offset, (const char *)src + fd->offset,
         scalar_size(fd->type));
}

/* Equal when packed alike; a pack that finds no memory says "differs",
 * which only costs a write. */
static bool messages_equal(const ProtobufCMessage *a, const ProtobufCMessage *b,
                           store_arena_t *arena) {
  if (a == NULL || b == NULL)
    return a == b;
  size_t len_a = protobuf_c_message_get_packed_size(a);
  size_t len_b = protobuf_c_message_get_packed_size(b);
  if (len_a != len_b)
    return false;
  uint8_t *pa = store_arena_alloc(arena, len_a);
  uint8_t *pb = store_arena_alloc(arena, len_b);
  if (pa == NULL || pb == NULL)
    return false;
  protobuf_c_message_pack(a, pa);
  protobuf_c_message_pack(b, pb);
  return memcmp(pa, pb, len_a) == 0;
}

static bool values_equal(const void *a, const void *b, ProtobufCType type,
                         store_arena_t *arena) {
  if (type == PROTOBUF_C_TYPE_STRING)
    return strcmp(store_str(*(char *const *)a), store_str(*(char *const *)b)) ==
           0;
  if (type == PROTOBUF_C_TYPE_MESSAGE)
    return messages_equal(*(ProtobufCMessage *const *)a,
                          *(ProtobufCMessage *const *)b, arena);
  return memcmp(a, b, scalar_size(type)) == 0;
}

static bool field_equal(const void *a, const void *b,
                        const ProtobufCFieldDescriptor *fd,
                        store_arena_t *arena) {
  const char *ma = (const char *)a + fd->offset;
  const char *mb = (const char *)b + fd->offset;
  if (fd->label != PROTOBUF_C_LABEL_REPEATED)
    return values_equal(ma, mb, fd->type, arena);
  size_t na, nb;
  memcpy(&na, (const char *)a + fd->quantifier_offset, sizeof na);
  memcpy(&nb, (const char *)b + fd->quantifier_offset, sizeof nb);
  if (na != nb)
    return false;
  const char *ea = *(const char *const *)ma, *eb = *(const char *const *)mb;
  size_t size = scalar_size(fd->type);
  for (size_t i = 0; i < na; i++)
    if (!values_equal(ea + i * size, eb + i * size, fd->type, arena))
      return false;
  return true;
}

/* ---- server-owned fields --------------------------------------------- */

typedef struct stamp {
  const char *id;
  uint64_t revision;
  int64_t now_ms;
  const char *principal;
  bool created;
} stamp_t;

/* Sets the field called name from value (a scalar of the field's type),
 * when the record's type has such a field. */
static void set_field(ProtobufCMessage *record, const char *name,
                      const void *value) {
  const ProtobufCFieldDescriptor *fd =
      protobuf_c_message_descriptor_get_field_by_name(record->descriptor, name);
  if (fd != NULL)
    memcpy((char *)record + fd->offset, value, scalar_size(fd->type));
}

/* Writes the server-owned fields. One routine serves every entity: a
 * field the entity does not have (a source has no status) is skipped. */
static void stamp_record(ProtobufCMessage *record, const stamp_t *stamp) {
  static const uint8_t zero[8] = {0}; /* 0 or false, whatever the type */
  const int no_information = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  const char *id = stamp->id, *principal = stamp->principal, *empty = "";
  set_field(record, "revision", &stamp->revision);
  set_field(record, "updated_ms", &stamp->now_ms);
  set_field(record, "updated_by", &principal);
  if (!stamp->created)
    return;
  set_field(record, "id", &id);
  set_field(record, "created_ms", &stamp->now_ms);
  set_field(record, "archived", zero);
  set_field(record, "status", &no_information);
  set_field(record, "last_follow_up_as_of", &empty);
  set_field(record, "measurement_count", zero);
  set_field(record, "reported_status", zero);
  set_field(record, "reported_as_of", &empty);
  set_field(record, "pending_count", zero);
}

static int validate_record(rt_entity_t entity, const ProtobufCMessage *record,
                           rt_error_t *err) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    return store_validate_source((const void *)record, err);
  case RT_ENTITY_ACTOR:
    return store_validate_actor((const void *)record, err);
  case RT_ENTITY_RECOMMENDATION:
    return store_validate_recommendation((const void *)record, err);
  default:
    return store_validate_commitment((const void *)record, err);
  }
}

static void event_set_snapshot(Rectrack__V1__ChangeEvent *event,
                               rt_entity_t entity, ProtobufCMessage *record) {
  switch (entity) {
  case RT_ENTITY_SOURCE:
    event->source = (void *)record;
    break;
  case RT_ENTITY_ACTOR:
    event->actor = (void *)record;
    break;
  case RT_ENTITY_RECOMMENDATION:
    event->recommendation = (void *)record;
    break;
  default:
    event->commitment = (void *)record;
  }
}

/* The specificity index entries a write can move (store_specificity.h):
 * a recommendation's own, and those of every recommendation a
 * commitment answers before (old) and after the change. */
static int rerate(store_wctx_t *ctx, rt_entity_t entity,
                  const ProtobufCMessage *old, const ProtobufCMessage *record,
                  const store_key_t *pk) {
  if (entity == RT_ENTITY_RECOMMENDATION)
    return store_specificity_reindex(ctx->txn, ctx->store,
                                     store_get_u64(pk->data), ctx->err);
  if (entity != RT_ENTITY_COMMITMENT)
    return 0;
  const Rectrack__V1__Commitment *sides[2] = {(const void *)old,
                                              (const void *)record};
  int rc = 0;
  for (size_t s = 0; s < 2; s++)
    for (size_t i = 0;
         rc == 0 && sides[s] && i < sides[s]->n_recommendation_ids; i++) {
      uint64_t number =
          store_parse_number_id(sides[s]->recommendation_ids[i], 'R');
      if (number != 0)
        rc = store_specificity_reindex(ctx->txn, ctx->store, number, ctx->err);
    }
  return rc;
}

/* Stores record under pk, indexes it (moving the entries of old, the
 * record before an update), logs the change and sets the reply. */
static int write_record(store_wctx_t *ctx, rt_entity_t entity,
                        const ProtobufCMessage *old, ProtobufCMessage *record,
                        const store_key_t *pk, Rectrack__V1__ChangeEvent *event,
                        unsigned put_flags) {
  int rc = store_put_record(ctx, entity, pk, old, record, put_flags, true);
  if (rc == 0)
    rc = rerate(ctx, entity, old, record, pk);
  if (rc == 0) {
    event_set_snapshot(event, entity, record);
    rc = store_log_append(ctx, event);
  }
  return rc;
}

/* Assigns the next R/C number (or takes the slug) as the record's key;
 * *id_out is the id, in the op's arena or the caller's message. */
static int assign_id(store_wctx_t *ctx, rt_entity_t entity,
                     const ProtobufCMessage *input, store_key_t *pk,
                     const char **id_out) {
  *id_out = NULL;
  if (entity == RT_ENTITY_SOURCE || entity == RT_ENTITY_ACTOR) {
    const ProtobufCFieldDescriptor *id_fd =
        protobuf_c_message_descriptor_get_field_by_name(input->descriptor,
                                                        "id");
    *id_out = store_str(*(char *const *)((const char *)input + id_fd->offset));
    return store_primary_key(entity, *id_out, pk, ctx->err);
  }
  const char *counter = entity == RT_ENTITY_RECOMMENDATION
                            ? "next_recommendation"
                            : "next_commitment";
  uint64_t next = 0;
  int rc = store_meta_get_u64(ctx->txn, ctx->store, counter, &next, ctx->err);
  if (rc == 0)
    rc = store_meta_put_u64(ctx->txn, ctx->store, counter,
                            (next ? next : 1) + 1, ctx->err);
  if (rc != 0)
    return rc;
  next = next ? next : 1;
  store_put_u64(pk->data, next);
  pk->len = 8;
  *id_out = store_format_number_id(
      ctx->arena, entity == RT_ENTITY_RECOMMENDATION ? 'R' : 'C', next);
  return *id_out ? 0 : rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
}

/* The pledge fields of commitment c (numbered self; 0 for a new one),
 * once its type is settled. */
static int check_pledge_fields(store_wctx_t *ctx, uint64_t self,
                               const Rectrack__V1__Commitment *c) {
  int rc = store_validate_pledge(c, ctx->err);
  if (rc == 0)
    rc = store_check_pledge_references(ctx->txn, ctx->store, self, c, ctx->err);
  return rc;
}

int store_op_create(store_wctx_t *ctx, rt_entity_t entity) {
  const ProtobufCMessage *input = ctx->op->message;
  const char *id = NULL;
  store_key_t pk;
  uint64_t revision = 0;
  int rc = validate_record(entity, input, ctx->err);
  if (rc == 0)
    rc = store_check_references(ctx->txn, ctx->store, entity, input, ctx->err);
  if (rc == 0 && entity == RT_ENTITY_RECOMMENDATION)
    rc = store_check_links(ctx->txn, ctx->store, 0, (const void *)input,
                           ctx->err);
  if (rc == 0)
    rc = assign_id(ctx, entity, input, &pk, &id);
  if (rc == 0)
    rc = store_next_revision(ctx, &revision);
  if (rc != 0)
    return rc;
  ProtobufCMessage *record =
      store_arena_memdup(ctx->arena, input, input->descriptor->sizeof_message);
  if (record == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  stamp_t stamp = {id, revision, ctx->now_ms, ctx->principal, true};
  stamp_record(record, &stamp);
  if (entity == RT_ENTITY_RECOMMENDATION) { /* computed fields: never stored */
    Rectrack__V1__Recommendation *r = (void *)record;
    r->n_linked_from = 0;
    r->linked_from = NULL;
    r->specificity = 0;
    r->n_specificity_gaps = 0;
    r->specificity_gaps = NULL;
  }
  if (entity == RT_ENTITY_COMMITMENT) {
    Rectrack__V1__Commitment *c = (void *)record;
    c->latest_value = 0;
    c->latest_as_of = (char *)"";
    c->trajectory = store_trajectory(c->indicator, false, 0, "", &c->progress);
    if (c->publication == RECTRACK__V1__PUBLICATION__PUBLICATION_UNSPECIFIED)
      c->publication = RECTRACK__V1__PUBLICATION__PUBLICATION_PUBLISHED;
    c->n_series = 0; /* computed on Get: never stored */
    c->series = NULL;
    c->series_count = 0;
    c->series_above_ceiling_count = 0;
    c->n_matched_by = 0;
    c->matched_by = NULL;
    store_pledge_infer_type(c);
    rc = check_pledge_fields(ctx, 0, c);
    if (rc == 0)
      rc = store_pledge_statuses(ctx, &pk, c);
    if (rc != 0)
      return rc;
  }
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_CREATED;
  event.subject_id = (char *)id;
  event.subject_type = store_subject_type(entity);
  return write_record(ctx, entity, NULL, record, &pk, &event, MDB_NOOVERWRITE);
}

/* ---- update ---------------------------------------------------------- */

/* Checks the mask; *fields gets the descriptors of the fields to copy. */
static int resolve_mask(store_wctx_t *ctx, rt_entity_t entity,
                        const ProtobufCFieldDescriptor **fields,
                        size_t *n_fields) {
  const ProtobufCMessageDescriptor *desc = store_entity_descriptor(entity);
  *n_fields = 0;
  if (ctx->op->update_mask_len == 0) {
    for (unsigned i = 0; i < desc->n_fields; i++)
      if (!is_server_owned(entity, desc->fields[i].name))
        fields[(*n_fields)++] = &desc->fields[i];
    return 0;
  }
  for (size_t i = 0; i < ctx->op->update_mask_len; i++) {
    const char *name = store_str(ctx->op->update_mask[i]);
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(desc, name);
    char field[64];
    snprintf(field, sizeof field, "update_mask[%zu]", i);
    if (fd == NULL)
      return rt_error_set(ctx->err, RT_EINVAL, field,
                          "%s: '%.60s' is not a field of %s", field, name,
                          store_entity_name(entity));
    if (is_server_owned(entity, name))
      return rt_error_set(ctx->err, RT_EINVAL, field,
                          "%s: '%.60s' is set by the server and cannot be "
                          "updated%s",
                          field, name,
                          strcmp(name, "status") == 0
                              ? " (status changes through follow-ups)"
                              : "");
    fields[(*n_fields)++] = fd;
  }
  return 0;
}

static Rectrack__V1__ChangeKind archive_kind(rt_entity_t entity,
                                             const ProtobufCMessage *old,
                                             const ProtobufCMessage *merged) {
  const ProtobufCFieldDescriptor *fd =
      protobuf_c_message_descriptor_get_field_by_name(
          store_entity_descriptor(entity), "archived");
  protobuf_c_boolean was, is;
  memcpy(&was, (const char *)old + fd->offset, sizeof was);
  memcpy(&is, (const char *)merged + fd->offset, sizeof is);
  if (was == is)
    return RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_UPDATED;
  return is ? RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_ARCHIVED
            : RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_UNARCHIVED;
}

/* The merged record is validated, re-indexed and logged. */
static int commit_update(store_wctx_t *ctx, rt_entity_t entity,
                         ProtobufCMessage *old, ProtobufCMessage *merged,
                         const store_key_t *pk, const char *id, char **changed,
                         size_t n_changed) {
  int rc = validate_record(entity, merged, ctx->err);
  if (rc == 0)
    rc = store_check_references(ctx->txn, ctx->store, entity, merged, ctx->err);
  if (rc == 0 && entity == RT_ENTITY_RECOMMENDATION)
    rc = store_check_links(ctx->txn, ctx->store, store_get_u64(pk->data),
                           (const void *)merged, ctx->err);
  if (rc == 0 && entity == RT_ENTITY_COMMITMENT)
    rc =
        check_pledge_fields(ctx, store_get_u64(pk->data), (const void *)merged);
  uint64_t revision = 0;
  if (rc == 0)
    rc = store_next_revision(ctx, &revision);
  if (rc != 0)
    return rc;
  stamp_t stamp = {id, revision, ctx->now_ms, ctx->principal, false};
  stamp_record(merged, &stamp);
  if (entity == RT_ENTITY_COMMITMENT) {
    rc = store_commitment_recompute(ctx, store_get_u64(pk->data),
                                    (void *)merged);
    /* The partners' statuses change with their reports, which an update
     * does not touch: only new partners need them read again. */
    if (rc == 0 &&
        !store_pledge_same_partners((const void *)old, (const void *)merged))
      rc = store_pledge_statuses(ctx, pk, (void *)merged);
    if (rc != 0)
      return rc;
  }
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = archive_kind(entity, old, merged);
  event.subject_id = (char *)id;
  event.subject_type = store_subject_type(entity);
  event.changed_fields = changed;
  event.n_changed_fields = n_changed;
  return write_record(ctx, entity, old, merged, pk, &event, 0);
}

/* Copies the fields to update from the op's message into merged (a copy
 * of old); *changed gets the names of those whose value differs. */
static void merge_fields(store_wctx_t *ctx, const ProtobufCMessage *old,
                         ProtobufCMessage *merged,
                         const ProtobufCFieldDescriptor **fields,
                         size_t n_fields, char **changed, size_t *n_changed) {
  *n_changed = 0;
  for (size_t i = 0; i < n_fields; i++) {
    copy_field(merged, ctx->op->message, fields[i]);
    bool seen = false;
    for (size_t j = 0; j < *n_changed; j++)
      seen = seen || strcmp(changed[j], fields[i]->name) == 0;
    if (!seen && !field_equal(old, merged, fields[i], ctx->arena))
      changed[(*n_changed)++] = (char *)fields[i]->name;
  }
}

/* Takes name off the list of changed fields. */
static void unchanged(const char *name, char **changed, size_t *n_changed) {
  size_t kept = 0;
  for (size_t i = 0; i < *n_changed; i++)
    if (strcmp(changed[i], name) != 0)
      changed[kept++] = changed[i];
  *n_changed = kept;
}

/* A commitment's publication or pledge type left UNSPECIFIED by an update
 * keeps the value it had: a client that does not know the field and
 * replaces every field must neither publish a pledge kept unpublished nor
 * make a joint pledge an individual one. */
static void keep_unset_enums(const Rectrack__V1__Commitment *old,
                             Rectrack__V1__Commitment *merged, char **changed,
                             size_t *n_changed) {
  if (merged->publication ==
      RECTRACK__V1__PUBLICATION__PUBLICATION_UNSPECIFIED) {
    merged->publication = old->publication;
    unchanged("publication", changed, n_changed);
  }
  if (merged->pledge_type ==
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_UNSPECIFIED) {
    merged->pledge_type = old->pledge_type;
    unchanged("pledge_type", changed, n_changed);
  }
}

int store_op_update(store_wctx_t *ctx, rt_entity_t entity) {
  const ProtobufCMessage *input = ctx->op->message;
  const ProtobufCMessageDescriptor *desc = store_entity_descriptor(entity);
  const ProtobufCFieldDescriptor *id_fd =
      protobuf_c_message_descriptor_get_field_by_name(desc, "id");
  const char *id = *(char *const *)((const char *)input + id_fd->offset);
  char field[32];
  snprintf(field, sizeof field, "%s.id", store_entity_name(entity));
  ProtobufCMessage *old = NULL;
  store_key_t pk;
  int rc = store_fetch_record(ctx, entity, id, field, &old, &pk);
  if (rc == 0)
    rc = store_check_expected(ctx, store_entity_name(entity), id,
                              store_record_revision(entity, old));
  if (rc != 0)
    return rc;
  const ProtobufCFieldDescriptor **fields = store_arena_alloc(
      ctx->arena, (desc->n_fields + ctx->op->update_mask_len) * sizeof *fields);
  char **changed =
      store_arena_alloc(ctx->arena, desc->n_fields * sizeof *changed);
  ProtobufCMessage *merged =
      store_arena_memdup(ctx->arena, old, desc->sizeof_message);
  if (!fields || !changed || !merged)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  size_t n_fields = 0, n_changed = 0;
  rc = resolve_mask(ctx, entity, fields, &n_fields);
  if (rc != 0)
    return rc;
  merge_fields(ctx, old, merged, fields, n_fields, changed, &n_changed);
  if (entity == RT_ENTITY_COMMITMENT)
    keep_unset_enums((const void *)old, (void *)merged, changed, &n_changed);
  if (n_changed == 0) { /* nothing to change: the record as it is */
    ctx->op->revision = store_record_revision(entity, old);
    return store_set_reply(ctx, old);
  }
  return commit_update(ctx, entity, old, merged, &pk, id, changed, n_changed);
}
