/*
 * tracker_reference: ListReference, the reference lists records are
 * tagged with, with the names people read: the 17 SDGs with their 169
 * targets and labels, the 23 GCM objectives with their official titles
 * (both compiled in, common/rt_reference.h), and the themes, compiled
 * ones first in the order of data/reference.json, then those the
 * secretariat added (CreateTheme, read from the store in the call's
 * snapshot). A client shows titles from it instead of codes.
 *
 * The response is built in the request's arena and points at the
 * compiled tables' strings, which outlive every call; it is packed into
 * the reply and nothing of it is freed on its own. The added themes are
 * the store's (rt_store_themes_free).
 */
#include "tracker_call.h"

#include "rt_dimensions.h"
#include "rt_reference.h"

#include <string.h>

/* An array of count message pointers in the arena, each pointing at an
 * initialised message of descriptor d laid out after the array. */
static void **new_messages(tracker_arena_t *arena,
                           const ProtobufCMessageDescriptor *d, size_t count) {
  void **array =
      tracker_arena_alloc(arena, (count ? count : 1) * sizeof *array);
  char *block =
      tracker_arena_alloc(arena, (count ? count : 1) * d->sizeof_message);
  if (array == NULL || block == NULL)
    return NULL;
  for (size_t i = 0; i < count; i++) {
    array[i] = block + i * d->sizeof_message;
    protobuf_c_message_init(d, array[i]);
  }
  return array;
}

static int add_sdg_goals(tracker_arena_t *arena,
                         Rectrack__V1__ListReferenceResponse *out) {
  size_t goals = rt_sdg_goal_count();
  out->sdg_goals =
      (void *)new_messages(arena, &rectrack__v1__sdg_goal__descriptor, goals);
  if (out->sdg_goals == NULL)
    return RT_ENOMEM;
  for (size_t g = 0; g < goals; g++) {
    const rt_sdg_goal_t *goal = rt_sdg_goal((int)g + 1);
    Rectrack__V1__SdgGoal *m = out->sdg_goals[g];
    m->number = goal->number;
    m->short_title = (char *)goal->short_title;
    m->title = (char *)goal->title;
    m->targets = (void *)new_messages(
        arena, &rectrack__v1__sdg_target__descriptor, goal->target_count);
    if (m->targets == NULL)
      return RT_ENOMEM;
    for (size_t t = 0; t < goal->target_count; t++) {
      m->targets[t]->code = (char *)goal->targets[t].code;
      m->targets[t]->goal = goal->targets[t].goal;
      m->targets[t]->label = (char *)goal->targets[t].label;
    }
    m->n_targets = goal->target_count;
  }
  out->n_sdg_goals = goals;
  return 0;
}

static int add_gcm_objectives(tracker_arena_t *arena,
                              Rectrack__V1__ListReferenceResponse *out) {
  size_t count = rt_gcm_objective_count();
  out->gcm_objectives = (void *)new_messages(
      arena, &rectrack__v1__gcm_objective__descriptor, count);
  if (out->gcm_objectives == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < count; i++) {
    const rt_gcm_objective_t *objective = rt_gcm_objective((int)i + 1);
    out->gcm_objectives[i]->number = objective->number;
    out->gcm_objectives[i]->title = (char *)objective->title;
  }
  out->n_gcm_objectives = count;
  return 0;
}

/* The compiled themes, then the added ones (borrowed from added). */
static int add_themes(tracker_arena_t *arena,
                      Rectrack__V1__ListReferenceResponse *out,
                      Rectrack__V1__Theme **added, size_t n_added) {
  size_t compiled = rt_theme_count();
  Rectrack__V1__Theme **themes =
      tracker_arena_alloc(arena, (compiled + n_added + 1) * sizeof *themes);
  Rectrack__V1__Theme **own =
      (void *)new_messages(arena, &rectrack__v1__theme__descriptor, compiled);
  if (themes == NULL || own == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < compiled; i++) {
    const rt_theme_t *theme = rt_theme_at(i);
    own[i]->id = (char *)theme->id;
    own[i]->title = (char *)theme->title;
    own[i]->source_ref = (char *)theme->source_ref;
    themes[i] = own[i];
  }
  for (size_t i = 0; i < n_added; i++)
    themes[compiled + i] = added[i];
  out->themes = themes;
  out->n_themes = compiled + n_added;
  return 0;
}

/* The compiled dimension keys, then the added ones (borrowed). */
static int add_dimension_keys(tracker_arena_t *arena,
                              Rectrack__V1__ListReferenceResponse *out,
                              Rectrack__V1__DimensionKey **added,
                              size_t n_added) {
  size_t compiled = rt_dimension_key_count();
  Rectrack__V1__DimensionKey **keys =
      tracker_arena_alloc(arena, (compiled + n_added + 1) * sizeof *keys);
  Rectrack__V1__DimensionKey **own = (void *)new_messages(
      arena, &rectrack__v1__dimension_key__descriptor, compiled);
  if (keys == NULL || own == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < compiled; i++) {
    const rt_dimension_key_t *key = rt_dimension_key_at(i);
    own[i]->key = (char *)key->key;
    own[i]->title = (char *)key->title;
    own[i]->value_rule = (char *)key->value_rule;
    own[i]->source_ref = (char *)key->source_ref;
    own[i]->values = (char **)key->values;
    own[i]->n_values = key->value_count;
    keys[i] = own[i];
  }
  for (size_t i = 0; i < n_added; i++)
    keys[compiled + i] = added[i];
  out->dimension_keys = keys;
  out->n_dimension_keys = compiled + n_added;
  return 0;
}

static void list_reference(rt_tracker_t *tracker, rt_call_t *call,
                           const rt_auth_principal_t *principal,
                           ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  (void)request;
  Rectrack__V1__Theme **added = NULL;
  size_t n_added = 0;
  rt_error_t err;
  rt_error_clear(&err);
  if (tracker_begin_read(tracker, call) != 0) {
    tracker_arena_free(arena);
    return;
  }
  Rectrack__V1__DimensionKey **added_keys = NULL;
  size_t n_added_keys = 0;
  int rc = rt_store_list_themes(tracker->reader, &added, &n_added, &err);
  if (rc == 0)
    rc = rt_store_list_dimension_keys(tracker->reader, &added_keys,
                                      &n_added_keys, &err);
  tracker_end_read(tracker);
  Rectrack__V1__ListReferenceResponse response =
      RECTRACK__V1__LIST_REFERENCE_RESPONSE__INIT;
  if (rc == 0 &&
      (add_sdg_goals(arena, &response) != 0 ||
       add_gcm_objectives(arena, &response) != 0 ||
       add_themes(arena, &response, added, n_added) != 0 ||
       add_dimension_keys(arena, &response, added_keys, n_added_keys) != 0))
    rc = rt_error_set(&err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    tracker_reply_message(call, &response.base);
  else
    tracker_fail(call, rc, &err);
  rt_store_themes_free(added, n_added);
  rt_store_dimension_keys_free(added_keys, n_added_keys);
  tracker_arena_free(arena);
}

/* Anyone who may read may read the lists. */
const tracker_route_t tracker_reference_routes[] = {
    {TRACKER_PATH("ListReference"), RT_METHOD_UNARY,
     &rectrack__v1__list_reference_request__descriptor, list_reference, NULL,
     RT_AUTH_ROLE_READER},
};
const size_t tracker_reference_route_count =
    sizeof tracker_reference_routes / sizeof tracker_reference_routes[0];
