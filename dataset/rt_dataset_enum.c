/*
 * rt_dataset_enum: the lower-case names of rectrack's enums as they appear
 * in import files and on the CLI's command line and output. One table per
 * enum, indexed by value; the name of value v is table[v]. Keeping them in
 * one place is what makes an exported file re-import and a status typed on
 * the command line match the one printed.
 */
#include "rt_dataset.h"

#include <string.h>

typedef struct enum_table {
  const char *const *names; /* names[value], NULL for UNSPECIFIED */
  int count;
  const char *choices; /* the names joined with '|' */
} enum_table_t;

static const char *const status_names[] = {
    NULL,
    "no-information",
    "not-started",
    "in-progress",
    "partially-implemented",
    "implemented",
    "stalled",
    "withdrawn",
};
static const enum_table_t status_table = {
    status_names, sizeof status_names / sizeof status_names[0],
    "no-information|not-started|in-progress|partially-implemented|"
    "implemented|stalled|withdrawn"};

static const char *const source_kind_names[] = {
    NULL,         "dialogue", "workshop",   "side-event",
    "conference", "report",   "resolution", "other",
};
static const enum_table_t source_kind_table = {
    source_kind_names, sizeof source_kind_names / sizeof source_kind_names[0],
    "dialogue|workshop|side-event|conference|report|resolution|other"};

static const char *const actor_kind_names[] = {
    NULL,
    "member-state",
    "local-government",
    "regional-process",
    "un-entity",
    "civil-society",
    "private-sector",
    "academia",
    "diaspora",
    "youth",
    "other",
};
static const enum_table_t actor_kind_table = {
    actor_kind_names, sizeof actor_kind_names / sizeof actor_kind_names[0],
    "member-state|local-government|regional-process|un-entity|civil-society|"
    "private-sector|academia|diaspora|youth|other"};

static const char *const commitment_kind_names[] = {
    NULL,      "policy", "legislation",       "programme",
    "funding", "data",   "quantified-target", "partnership",
};
static const enum_table_t commitment_kind_table = {
    commitment_kind_names,
    sizeof commitment_kind_names / sizeof commitment_kind_names[0],
    "policy|legislation|programme|funding|data|quantified-target|partnership"};

static const char *const direction_names[] = {NULL, "increase", "decrease"};
static const enum_table_t direction_table = {
    direction_names, sizeof direction_names / sizeof direction_names[0],
    "increase|decrease"};

static const char *const trajectory_names[] = {NULL, "no-data", "on-track",
                                               "off-track", "achieved"};
static const enum_table_t trajectory_table = {
    trajectory_names, sizeof trajectory_names / sizeof trajectory_names[0],
    "no-data|on-track|off-track|achieved"};

static const char *table_name(const enum_table_t *table, int value) {
  if (value <= 0 || value >= table->count)
    return NULL;
  return table->names[value];
}

static int table_parse(const enum_table_t *table, const char *name,
                       int *value) {
  if (name == NULL)
    return RT_EINVAL;
  for (int i = 1; i < table->count; i++) {
    if (strcmp(table->names[i], name) == 0) {
      *value = i;
      return 0;
    }
  }
  return RT_EINVAL;
}

/* Defines the three public functions of one enum. The parse function goes
 * through an int so that no pointer to an enum is type-punned. */
#define DEFINE_ENUM_NAMES(prefix, type, table)                                 \
  const char *prefix##_name(type value) {                                      \
    return table_name(&table, (int)value);                                     \
  }                                                                            \
  int prefix##_parse(const char *name, type *out) {                            \
    int value = 0;                                                             \
    int rc = table_parse(&table, name, &value);                                \
    if (rc == 0)                                                               \
      *out = (type)value;                                                      \
    return rc;                                                                 \
  }                                                                            \
  const char *prefix##_choices(void) { return table.choices; }

DEFINE_ENUM_NAMES(rt_dataset_status, Rectrack__V1__Status, status_table)
DEFINE_ENUM_NAMES(rt_dataset_source_kind, Rectrack__V1__SourceKind,
                  source_kind_table)
DEFINE_ENUM_NAMES(rt_dataset_actor_kind, Rectrack__V1__ActorKind,
                  actor_kind_table)
DEFINE_ENUM_NAMES(rt_dataset_commitment_kind, Rectrack__V1__CommitmentKind,
                  commitment_kind_table)
DEFINE_ENUM_NAMES(rt_dataset_direction, Rectrack__V1__Direction,
                  direction_table)
DEFINE_ENUM_NAMES(rt_dataset_trajectory, Rectrack__V1__Trajectory,
                  trajectory_table)

const char *rt_dataset_kind_name(rt_dataset_kind_t kind) {
  switch (kind) {
  case RT_DATASET_SOURCE:
    return "source";
  case RT_DATASET_ACTOR:
    return "actor";
  case RT_DATASET_RECOMMENDATION:
    return "recommendation";
  case RT_DATASET_COMMITMENT:
    return "commitment";
  case RT_DATASET_FOLLOW_UP:
    return "follow-up";
  case RT_DATASET_MEASUREMENT:
    return "measurement";
  }
  return "unknown";
}

bool rt_dataset_is_server_id(const char *id, char prefix) {
  if (id == NULL || id[0] != prefix || id[1] < '1' || id[1] > '9')
    return false;
  size_t len = strlen(id);
  if (len > 20)
    return false;
  for (size_t i = 2; i < len; i++)
    if (id[i] < '0' || id[i] > '9')
      return false;
  return true;
}
