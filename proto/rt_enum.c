/*
 * rt_enum: spellings of enum values derived from their descriptors.
 *
 * The first use of an enum builds its slugs, labels and choices string
 * into one allocation and publishes it in a small table; later lookups
 * read the table without a lock (entries are written once, before the
 * published count that makes them visible is raised). The allocations
 * live as long as the process, like the descriptors they describe.
 *
 * The prefix stripped from API names is the enum's own name in upper
 * snake case ("SourceKind" -> "SOURCE_KIND_"), which buf lint's
 * ENUM_VALUE_PREFIX rule guarantees every value carries.
 */
#include "rt_enum.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* More than the enums of the API will ever hold; past it, lookups fail
 * safe (NULL slug, "Unspecified" label) rather than allocate without
 * bound. */
#define MAX_ENUMS 64

typedef struct spelled_enum {
  const ProtobufCEnumDescriptor *type;
  int bound;           /* largest value + 1 */
  const char **slugs;  /* [bound], NULL where the enum has no such value */
  const char **labels; /* [bound], "Unspecified" likewise */
  const char **names;  /* [bound], the API names */
  const char *choices;
} spelled_enum_t;

static spelled_enum_t spelled[MAX_ENUMS];
static atomic_int spelled_count;
static pthread_mutex_t spelled_lock = PTHREAD_MUTEX_INITIALIZER;

/* Phrases a person reads for which "first letter up, '-' as ' '" is
 * wrong. */
static const struct {
  const char *slug;
  const char *label;
} label_exceptions[] = {
    {"un-entity", "UN entity"}, {"follow-up-recorded", "Follow-up recorded"},
    {"html", "HTML"},           {"csv", "CSV"},
    {"json", "JSON"},           {"xlsx", "XLSX"},
};

/* "SourceKind" -> "SOURCE_KIND_" into out (size out_len). */
static void prefix_of(const char *type_name, char *out, size_t out_len) {
  size_t n = 0;
  for (size_t i = 0; type_name[i] != '\0' && n + 3 < out_len; i++) {
    unsigned char c = (unsigned char)type_name[i];
    if (i > 0 && isupper(c))
      out[n++] = '_';
    out[n++] = (char)toupper(c);
  }
  out[n++] = '_';
  out[n] = '\0';
}

static const char *exception_label(const char *slug) {
  for (size_t i = 0; i < sizeof label_exceptions / sizeof label_exceptions[0];
       i++)
    if (strcmp(label_exceptions[i].slug, slug) == 0)
      return label_exceptions[i].label;
  return NULL;
}

/* Builds the spellings of type into *entry, in one allocation: the three
 * tables, the choices string, then each value's slug and label. False
 * when out of memory or the enum is implausibly large. */
static bool spell(const ProtobufCEnumDescriptor *type, spelled_enum_t *entry) {
  char prefix[96];
  prefix_of(type->short_name, prefix, sizeof prefix);
  size_t prefix_len = strlen(prefix);

  int bound = 0;
  size_t names_len = 0;
  for (unsigned i = 0; i < type->n_values; i++) {
    if (type->values[i].value >= bound)
      bound = type->values[i].value + 1;
    names_len += strlen(type->values[i].name) + 1;
  }
  if (bound <= 0 || bound > 4096)
    return false;
  size_t table_bytes = 3 * (size_t)bound * sizeof(char *);
  /* choices, slugs and labels: each at most the names' length */
  char *block = calloc(1, table_bytes + 3 * names_len + 1);
  if (block == NULL)
    return false;
  entry->type = type;
  entry->bound = bound;
  entry->slugs = (const char **)block;
  entry->labels = entry->slugs + bound;
  entry->names = entry->labels + bound;
  char *choices = block + table_bytes;
  char *text = choices + names_len + 1;
  for (int v = 0; v < bound; v++)
    entry->labels[v] = "Unspecified";

  for (unsigned i = 0; i < type->n_values; i++) {
    const ProtobufCEnumValue *value = &type->values[i];
    entry->names[value->value] = value->name;
    if (value->value == 0)
      continue;
    const char *rest = value->name;
    if (strncmp(rest, prefix, prefix_len) == 0)
      rest += prefix_len;
    size_t len = strlen(rest);
    char *slug = text;
    for (size_t k = 0; k < len; k++)
      slug[k] = rest[k] == '_' ? '-' : (char)tolower((unsigned char)rest[k]);
    slug[len] = '\0';
    text += len + 1;
    entry->slugs[value->value] = slug;

    const char *exception = exception_label(slug);
    if (exception != NULL) {
      entry->labels[value->value] = exception;
      continue;
    }
    char *label = text;
    for (size_t k = 0; k <= len; k++)
      label[k] = slug[k] == '-' ? ' ' : slug[k];
    label[0] = (char)toupper((unsigned char)label[0]);
    text += len + 1;
    entry->labels[value->value] = label;
  }
  /* in value order, whatever the descriptor's own order */
  size_t used = 0;
  for (int v = 1; v < bound; v++) {
    if (entry->slugs[v] == NULL)
      continue;
    size_t len = strlen(entry->slugs[v]);
    if (used > 0)
      choices[used++] = '|';
    memcpy(choices + used, entry->slugs[v], len);
    used += len;
  }
  choices[used] = '\0';
  entry->choices = choices;
  return true;
}

static const spelled_enum_t *find(const ProtobufCEnumDescriptor *type) {
  if (type == NULL || type->magic != PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC)
    return NULL;
  int count = atomic_load_explicit(&spelled_count, memory_order_acquire);
  for (int i = 0; i < count; i++)
    if (spelled[i].type == type)
      return &spelled[i];

  const spelled_enum_t *found = NULL;
  pthread_mutex_lock(&spelled_lock);
  count = atomic_load_explicit(&spelled_count, memory_order_relaxed);
  for (int i = 0; i < count && found == NULL; i++)
    if (spelled[i].type == type)
      found = &spelled[i];
  if (found == NULL && count < MAX_ENUMS && spell(type, &spelled[count])) {
    found = &spelled[count];
    atomic_store_explicit(&spelled_count, count + 1, memory_order_release);
  }
  pthread_mutex_unlock(&spelled_lock);
  return found;
}

const char *rt_enum_slug(const ProtobufCEnumDescriptor *type, int value) {
  const spelled_enum_t *e = find(type);
  return e != NULL && value > 0 && value < e->bound ? e->slugs[value] : NULL;
}

const char *rt_enum_label(const ProtobufCEnumDescriptor *type, int value) {
  const spelled_enum_t *e = find(type);
  return e != NULL && value >= 0 && value < e->bound ? e->labels[value]
                                                     : "Unspecified";
}

const char *rt_enum_api_name(const ProtobufCEnumDescriptor *type, int value) {
  const spelled_enum_t *e = find(type);
  return e != NULL && value > 0 && value < e->bound ? e->names[value] : NULL;
}

bool rt_enum_parse(const ProtobufCEnumDescriptor *type, const char *slug,
                   int *value) {
  const spelled_enum_t *e = find(type);
  if (e == NULL || slug == NULL)
    return false;
  for (int v = 1; v < e->bound; v++)
    if (e->slugs[v] != NULL && strcmp(e->slugs[v], slug) == 0) {
      *value = v;
      return true;
    }
  return false;
}

const char *rt_enum_choices(const ProtobufCEnumDescriptor *type) {
  const spelled_enum_t *e = find(type);
  return e != NULL ? e->choices : "";
}

int rt_enum_bound(const ProtobufCEnumDescriptor *type) {
  const spelled_enum_t *e = find(type);
  return e != NULL ? e->bound : 0;
}
