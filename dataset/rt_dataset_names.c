/*
 * rt_dataset_names: the names of the import format's record kinds and the
 * shape of server-assigned ids, shared by the parser, the writer and the
 * tools that report on an import.
 */
#include "rt_dataset.h"

#include <string.h>

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
  case RT_DATASET_THEME:
    return "theme";
  case RT_DATASET_DIMENSION_KEY:
    return "dimension key";
  }
  return "unknown";
}

bool rt_dataset_is_reference_kind(rt_dataset_kind_t kind) {
  return kind == RT_DATASET_THEME || kind == RT_DATASET_DIMENSION_KEY;
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
