/*
 * Command-line argument parsing for rectrack: long options (--as-of DATE,
 * --as-of=DATE), short aliases (-o FILE), flags, repeatable options and
 * positional arguments in any order, plus the small value parsers
 * (durations like "1m30s", counts) that the global options need.
 *
 * getopt_long was not used because each command has its own option table
 * that also drives --help and the completion scripts, repeatable options
 * must keep every value, and the global options stop at the command word.
 */
#include "rt_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *format_message(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

static char *format_message(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int len = vsnprintf(NULL, 0, format, ap);
  va_end(ap);
  char *text = malloc((size_t)len + 1);
  if (text == NULL)
    return NULL;
  va_start(ap, format);
  vsnprintf(text, (size_t)len + 1, format, ap);
  va_end(ap);
  return text;
}

static const rt_arg_spec_t *find_long(const rt_args_t *args, const char *name,
                                      size_t name_len, size_t *index) {
  for (size_t i = 0; i < args->spec_count; i++) {
    const char *spec_name = args->specs[i].name;
    if (strlen(spec_name) == name_len &&
        strncmp(spec_name, name, name_len) == 0) {
      *index = i;
      return &args->specs[i];
    }
  }
  return NULL;
}

static const rt_arg_spec_t *find_short(const rt_args_t *args, char letter,
                                       size_t *index) {
  for (size_t i = 0; i < args->spec_count; i++) {
    if (letter != 0 && args->specs[i].short_name == letter) {
      *index = i;
      return &args->specs[i];
    }
  }
  return NULL;
}

static int add_value(rt_args_t *args, size_t index, const char *value) {
  rt_arg_slot_t *slot = &args->slots[index];
  const char **grown =
      realloc(slot->values, (slot->count + 1) * sizeof(*slot->values));
  if (grown == NULL)
    return -1;
  slot->values = grown;
  slot->values[slot->count++] = value;
  return 0;
}

static int add_positional(rt_args_t *args, const char *value) {
  const char **grown =
      realloc(args->positional, (args->positional_count + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  args->positional = grown;
  args->positional[args->positional_count++] = value;
  return 0;
}

/* Handles argv[*i], an option; advances *i past its value. */
static int parse_option(rt_args_t *args, int argc, char **argv, int *i,
                        char **message) {
  const char *arg = argv[*i];
  const rt_arg_spec_t *spec;
  const char *inline_value = NULL;
  size_t index = 0;
  if (arg[1] == '-') {
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
    inline_value = eq ? eq + 1 : NULL;
    spec = find_long(args, name, name_len, &index);
  } else {
    spec = arg[2] == '\0' ? find_short(args, arg[1], &index) : NULL;
  }
  if (spec == NULL) {
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      args->help = true;
      return 0;
    }
    *message = format_message("unknown option %s", arg);
    return RT_CLI_EXIT_USAGE;
  }
  if (spec->kind == RT_ARG_FLAG) {
    if (inline_value != NULL) {
      *message = format_message("option --%s takes no value", spec->name);
      return RT_CLI_EXIT_USAGE;
    }
    return add_value(args, index, "") == 0 ? 0 : RT_CLI_EXIT_ERROR;
  }
  if (inline_value == NULL) {
    if (*i + 1 >= argc) {
      *message = format_message("option --%s needs a value (%s)", spec->name,
                                spec->metavar ? spec->metavar : "VALUE");
      return RT_CLI_EXIT_USAGE;
    }
    inline_value = argv[++*i];
  }
  if (spec->kind == RT_ARG_VALUE && args->slots[index].count > 0)
    args->slots[index].count = 0; /* last one wins */
  return add_value(args, index, inline_value) == 0 ? 0 : RT_CLI_EXIT_ERROR;
}

int rt_args_parse(const rt_arg_spec_t *specs, int argc, char **argv,
                  bool stop_at_positional, rt_args_t *args, char **message) {
  memset(args, 0, sizeof(*args));
  *message = NULL;
  args->specs = specs;
  while (specs[args->spec_count].name != NULL)
    args->spec_count++;
  args->slots = calloc(args->spec_count + 1, sizeof(*args->slots));
  if (args->slots == NULL)
    return RT_CLI_EXIT_ERROR;
  bool options_done = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    bool is_option = !options_done && arg[0] == '-' && arg[1] != '\0';
    if (is_option && strcmp(arg, "--") == 0) {
      options_done = true;
      continue;
    }
    if (!is_option) {
      if (stop_at_positional)
        options_done = true;
      if (add_positional(args, arg) != 0)
        return RT_CLI_EXIT_ERROR;
      continue;
    }
    int rc = parse_option(args, argc, argv, &i, message);
    if (rc != 0)
      return rc;
  }
  return 0;
}

void rt_args_free(rt_args_t *args) {
  if (args->slots != NULL) {
    for (size_t i = 0; i < args->spec_count; i++)
      free(args->slots[i].values);
  }
  free(args->slots);
  free(args->positional);
  memset(args, 0, sizeof(*args));
}

static const rt_arg_slot_t *slot_for(const rt_args_t *args, const char *name) {
  for (size_t i = 0; i < args->spec_count; i++) {
    if (strcmp(args->specs[i].name, name) == 0)
      return &args->slots[i];
  }
  return NULL;
}

const char *rt_args_get(const rt_args_t *args, const char *name) {
  const rt_arg_slot_t *slot = slot_for(args, name);
  if (slot == NULL || slot->count == 0)
    return NULL;
  return slot->values[slot->count - 1];
}

size_t rt_args_count(const rt_args_t *args, const char *name) {
  const rt_arg_slot_t *slot = slot_for(args, name);
  return slot == NULL ? 0 : slot->count;
}

const char *rt_args_value(const rt_args_t *args, const char *name,
                          size_t index) {
  const rt_arg_slot_t *slot = slot_for(args, name);
  if (slot == NULL || index >= slot->count)
    return NULL;
  return slot->values[index];
}

int rt_cli_parse_uint(const char *text, uint64_t *out) {
  if (text == NULL || *text < '0' || *text > '9')
    return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = value;
  return 0;
}

/* Milliseconds per unit for a duration suffix, 0 if unknown; *len gets
 * the suffix length. */
static int64_t unit_ms(const char *unit, size_t *len) {
  static const struct {
    const char *name;
    int64_t ms;
  } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    size_t n = strlen(units[i].name);
    if (strncmp(unit, units[i].name, n) == 0 &&
        (n == 2 || unit[1] == '\0' || (unit[1] >= '0' && unit[1] <= '9'))) {
      *len = n;
      return units[i].ms;
    }
  }
  return 0;
}

int rt_cli_parse_duration(const char *text, int64_t *ms_out) {
  const int64_t limit = INT64_C(1) << 50;
  int64_t total = 0;
  const char *p = text;
  if (text == NULL || *text == '\0')
    return -1;
  while (*p != '\0') {
    if (*p < '0' || *p > '9')
      return -1;
    int64_t number = 0;
    while (*p >= '0' && *p <= '9') {
      number = number * 10 + (*p++ - '0');
      if (number > limit)
        return -1;
    }
    size_t suffix_len = 0;
    int64_t scale = 1000; /* a bare number is seconds */
    if (*p != '\0') {
      scale = unit_ms(p, &suffix_len);
      if (scale == 0)
        return -1;
    } else if (total != 0) {
      return -1; /* "1m30": a trailing bare number is ambiguous */
    }
    total += number * scale;
    if (total > limit)
      return -1;
    p += suffix_len;
  }
  if (total <= 0)
    return -1;
  *ms_out = total;
  return 0;
}
