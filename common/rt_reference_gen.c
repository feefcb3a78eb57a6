/*
 * rt_reference_gen: the build step that turns data/reference.json (format
 * "rectrack-reference/2", described in data/README.md) into the constant
 * C tables of rt_reference_tables.h.
 *
 *     rt_reference_gen data/reference.json OUT.c
 *
 * The file is checked whole before anything is written, and every problem
 * is printed with its JSON path: an unknown member, a goal or objective
 * out of sequence, a target numbered out of order ("10.8" before "10.7",
 * a number after a letter, a gap), an empty title, a theme id that is not
 * a slug or is used twice. "dimension_keys" is rt_dimensions_gen's. A reference
 * file that does not hold together therefore fails the build, never a request.
 * The output is written to a temporary file and renamed into place, so that a
 * failed run leaves no half-written table for the next build to trust.
 *
 * Why tables and not the JSON embedded and parsed at start-up: rt_common
 * sits under every module, the gRPC framing and the log included, and
 * stays free of jansson; lookups need no lock, no allocation and no
 * start-up order; and a bad file is caught by the build.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "rectrack-reference/2"
#define MAX_TEXT 300 /* bytes: titles and labels are names, not prose */
#define MAX_ID 64
#define PATH_SIZE 96

typedef struct gen {
  const char *file;
  int problems;
} gen_t;

static void problem(gen_t *g, const char *path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(gen_t *g, const char *path, const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "%s: %s: ", g->file, path[0] ? path : "document");
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  g->problems++;
}

/* Writes a JSON path into out; paths are built from this file's member
 * names and indexes, so PATH_SIZE holds them (a longer one is cut). */
static void format_path(char out[PATH_SIZE], const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void format_path(char out[PATH_SIZE], const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(out, PATH_SIZE, format, args);
  va_end(args);
}

static const char *path_of(char out[PATH_SIZE], const char *list, size_t i) {
  format_path(out, "%s[%zu]", list, i);
  return out;
}

static void check_members(gen_t *g, json_t *obj, const char *path,
                          const char *const *allowed) {
  const char *name;
  json_t *value;
  json_object_foreach(obj, name, value) {
    bool known = false;
    for (size_t i = 0; allowed[i] != NULL && !known; i++)
      known = strcmp(allowed[i], name) == 0;
    if (!known)
      problem(g, path, "unknown member \"%s\"", name);
  }
}

/* A required string of 1..MAX_TEXT bytes without control characters;
 * NULL when it is not one (reported). Points into obj. */
static const char *get_text(gen_t *g, json_t *obj, const char *path,
                            const char *name) {
  const char *value = json_string_value(json_object_get(obj, name));
  size_t len = value ? strlen(value) : 0;
  if (value == NULL || len == 0 || len > MAX_TEXT) {
    problem(g, path, "\"%s\" must be a string of 1..%d bytes", name, MAX_TEXT);
    return NULL;
  }
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)value[i] < 0x20) {
      problem(g, path, "\"%s\" contains a control character", name);
      return NULL;
    }
  return value;
}

/* The integer member name, which must equal expected. */
static void check_number(gen_t *g, json_t *obj, const char *path,
                         const char *name, json_int_t expected) {
  json_t *value = json_object_get(obj, name);
  if (!json_is_integer(value) || json_integer_value(value) != expected)
    problem(g, path, "\"%s\" must be %lld (the list is numbered 1, 2, ...)",
            name, (long long)expected);
}

static json_t *get_array(gen_t *g, json_t *obj, const char *path,
                         const char *name) {
  json_t *value = json_object_get(obj, name);
  if (json_is_array(value) && json_array_size(value) > 0)
    return value;
  problem(g, path, "\"%s\" must be a non-empty array", name);
  return NULL;
}

static bool is_slug(const char *s) {
  size_t len = strlen(s);
  if (len == 0 || len > MAX_ID || s[0] == '-' || s[len - 1] == '-')
    return false;
  for (size_t i = 0; i < len; i++) {
    bool ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-';
    if (!ok || (s[i] == '-' && s[i + 1] == '-'))
      return false;
  }
  return true;
}

/* Targets of goal: numbered ones "G.1", "G.2", ... first, then lettered
 * ones "G.a", "G.b", ..., nothing skipped, at least one numbered. */
static void check_targets(gen_t *g, json_t *targets, int goal,
                          const char *goal_path) {
  static const char *const members[] = {"target", "label", NULL};
  int numbered = 0, lettered = 0;
  char base[PATH_SIZE], path[PATH_SIZE];
  format_path(base, "%s.targets", goal_path);
  for (size_t i = 0; i < json_array_size(targets); i++) {
    json_t *target = json_array_get(targets, i);
    path_of(path, base, i);
    if (!json_is_object(target)) {
      problem(g, path, "must be an object");
      continue;
    }
    check_members(g, target, path, members);
    get_text(g, target, path, "label");
    const char *code = get_text(g, target, path, "target");
    if (code == NULL)
      continue;
    char next_number[32], next_letter[32];
    snprintf(next_number, sizeof next_number, "%d.%d", goal, numbered + 1);
    snprintf(next_letter, sizeof next_letter, "%d.%c", goal, 'a' + lettered);
    if (lettered == 0 && strcmp(code, next_number) == 0)
      numbered++;
    else if (numbered > 0 && lettered < 26 && strcmp(code, next_letter) == 0)
      lettered++;
    else if (lettered == 0)
      problem(g, path, "target \"%s\" is out of order: expected \"%s\"%s%s%s",
              code, next_number, numbered > 0 ? " or \"" : "",
              numbered > 0 ? next_letter : "", numbered > 0 ? "\"" : "");
    else
      problem(g, path, "target \"%s\" is out of order: expected \"%s\"", code,
              next_letter);
  }
}

static void check_goals(gen_t *g, json_t *goals) {
  static const char *const members[] = {"goal", "short_title", "title",
                                        "targets", NULL};
  char path[PATH_SIZE];
  for (size_t i = 0; i < json_array_size(goals); i++) {
    json_t *goal = json_array_get(goals, i);
    path_of(path, "sdg_goals", i);
    if (!json_is_object(goal)) {
      problem(g, path, "must be an object");
      continue;
    }
    check_members(g, goal, path, members);
    check_number(g, goal, path, "goal", (json_int_t)i + 1);
    get_text(g, goal, path, "short_title");
    get_text(g, goal, path, "title");
    json_t *targets = get_array(g, goal, path, "targets");
    if (targets != NULL)
      check_targets(g, targets, (int)i + 1, path);
  }
}

static void check_objectives(gen_t *g, json_t *objectives) {
  static const char *const members[] = {"number", "title", NULL};
  char path[PATH_SIZE];
  for (size_t i = 0; i < json_array_size(objectives); i++) {
    json_t *objective = json_array_get(objectives, i);
    path_of(path, "gcm_objectives", i);
    if (!json_is_object(objective)) {
      problem(g, path, "must be an object");
      continue;
    }
    check_members(g, objective, path, members);
    check_number(g, objective, path, "number", (json_int_t)i + 1);
    get_text(g, objective, path, "title");
  }
}

static void check_themes(gen_t *g, json_t *themes) {
  static const char *const members[] = {"id", "title", "source_ref", NULL};
  char path[PATH_SIZE];
  for (size_t i = 0; i < json_array_size(themes); i++) {
    json_t *theme = json_array_get(themes, i);
    path_of(path, "themes", i);
    if (!json_is_object(theme)) {
      problem(g, path, "must be an object");
      continue;
    }
    check_members(g, theme, path, members);
    get_text(g, theme, path, "title");
    get_text(g, theme, path, "source_ref");
    const char *id = get_text(g, theme, path, "id");
    if (id != NULL && !is_slug(id))
      problem(g, path, "id \"%s\" is not a slug (a-z, 0-9, '-')", id);
    for (size_t j = 0; id != NULL && j < i; j++) {
      const char *earlier =
          json_string_value(json_object_get(json_array_get(themes, j), "id"));
      if (earlier != NULL && strcmp(earlier, id) == 0)
        problem(g, path, "id \"%s\" is already used by themes[%zu]", id, j);
    }
  }
}

/* ---- output ---------------------------------------------------------- */

/* A C string literal of s: quotes, backslashes and '?' (no trigraphs)
 * escaped, bytes beyond ASCII as three-digit octal escapes. */
static void write_literal(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\' || *p == '?')
      fprintf(out, "\\%c", *p);
    else if (*p >= 0x7f)
      fprintf(out, "\\%03o", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

static const char *member_text(json_t *obj, const char *name) {
  return json_string_value(json_object_get(obj, name));
}

static void write_tables(FILE *out, json_t *root) {
  json_t *goals = json_object_get(root, "sdg_goals");
  json_t *objectives = json_object_get(root, "gcm_objectives");
  json_t *themes = json_object_get(root, "themes");
  fprintf(out, "/* Generated by rt_reference_gen from data/reference.json. "
               "Do not edit. */\n#include \"rt_reference_tables.h\"\n\n"
               "const rt_sdg_target_t rt_reference_targets[] = {\n");
  size_t total = 0;
  for (size_t i = 0; i < json_array_size(goals); i++) {
    json_t *targets = json_object_get(json_array_get(goals, i), "targets");
    for (size_t j = 0; j < json_array_size(targets); j++, total++) {
      json_t *target = json_array_get(targets, j);
      fprintf(out, "    {");
      write_literal(out, member_text(target, "target"));
      fprintf(out, ", %zu, ", i + 1);
      write_literal(out, member_text(target, "label"));
      fprintf(out, "},\n");
    }
  }
  fprintf(out,
          "};\nconst size_t rt_reference_target_count = %zu;\n\n"
          "const rt_sdg_goal_t rt_reference_goals[] = {\n",
          total);
  size_t first = 0;
  for (size_t i = 0; i < json_array_size(goals); i++) {
    json_t *goal = json_array_get(goals, i);
    size_t count = json_array_size(json_object_get(goal, "targets"));
    fprintf(out, "    {%zu, ", i + 1);
    write_literal(out, member_text(goal, "short_title"));
    fprintf(out, ", ");
    write_literal(out, member_text(goal, "title"));
    fprintf(out, ", &rt_reference_targets[%zu], %zu},\n", first, count);
    first += count;
  }
  fprintf(out,
          "};\nconst size_t rt_reference_goal_count = %zu;\n\n"
          "const rt_gcm_objective_t rt_reference_objectives[] = {\n",
          json_array_size(goals));
  for (size_t i = 0; i < json_array_size(objectives); i++) {
    fprintf(out, "    {%zu, ", i + 1);
    write_literal(out, member_text(json_array_get(objectives, i), "title"));
    fprintf(out, "},\n");
  }
  fprintf(out,
          "};\nconst size_t rt_reference_objective_count = %zu;\n\n"
          "const rt_theme_t rt_reference_themes[] = {\n",
          json_array_size(objectives));
  for (size_t i = 0; i < json_array_size(themes); i++) {
    json_t *theme = json_array_get(themes, i);
    fprintf(out, "    {");
    write_literal(out, member_text(theme, "id"));
    fprintf(out, ", ");
    write_literal(out, member_text(theme, "title"));
    fprintf(out, ", ");
    write_literal(out, member_text(theme, "source_ref"));
    fprintf(out, "},\n");
  }
  fprintf(out, "};\nconst size_t rt_reference_theme_count = %zu;\n",
          json_array_size(themes));
}

static int write_output(const char *path, json_t *root) {
  size_t len = strlen(path) + sizeof ".tmp";
  char *temporary = malloc(len);
  if (temporary == NULL) {
    fprintf(stderr, "rt_reference_gen: out of memory\n");
    return 1;
  }
  snprintf(temporary, len, "%s.tmp", path);
  int status = 1;
  FILE *out = fopen(temporary, "w");
  if (out == NULL) {
    perror(temporary);
    goto fail;
  }
  write_tables(out, root);
  bool written = !ferror(out);
  if (fclose(out) != 0 || !written) {
    perror(temporary);
    remove(temporary);
    goto fail;
  }
  if (rename(temporary, path) != 0) {
    perror(path);
    remove(temporary);
    goto fail;
  }
  status = 0;
fail:
  free(temporary);
  return status;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: rt_reference_gen REFERENCE.json OUT.c\n");
    return 2;
  }
  gen_t g = {.file = argv[1]};
  json_error_t error;
  json_t *root = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &error);
  if (root == NULL) {
    fprintf(stderr, "%s:%d:%d: %s\n", argv[1], error.line, error.column,
            error.text);
    return 1;
  }
  static const char *const members[] = {"format",         "sdg_goals",
                                        "gcm_objectives", "themes",
                                        "dimension_keys", NULL};
  json_t *goals = NULL, *objectives = NULL, *themes = NULL;
  if (!json_is_object(root)) {
    problem(&g, "", "must be a JSON object");
  } else {
    check_members(&g, root, "", members);
    const char *format = member_text(root, "format");
    if (format == NULL || strcmp(format, FORMAT) != 0)
      problem(&g, "format", "must be \"%s\"", FORMAT);
    goals = get_array(&g, root, "", "sdg_goals");
    objectives = get_array(&g, root, "", "gcm_objectives");
    themes = get_array(&g, root, "", "themes");
  }
  if (goals != NULL)
    check_goals(&g, goals);
  if (objectives != NULL)
    check_objectives(&g, objectives);
  if (themes != NULL)
    check_themes(&g, themes);
  int status = 1;
  if (g.problems > 0)
    fprintf(stderr, "%s: %d problem%s, no tables written\n", argv[1],
            g.problems, g.problems == 1 ? "" : "s");
  else
    status = write_output(argv[2], root);
  json_decref(root);
  return status;
}
