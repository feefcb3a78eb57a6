/*
 * rt_dimensions_gen: the build step that turns the "dimension_keys" of
 * data/reference.json and the ISO 3166-1 list of the iso-codes package
 * (/usr/share/iso-codes/json/iso_3166-1.json) into the constant C tables
 * of rt_dimensions_tables.h.
 *
 *     rt_dimensions_gen data/reference.json iso_3166-1.json OUT.c
 *
 * The keys are checked whole before anything is written, each problem
 * printed with its JSON path: an unknown member, a key that is not
 * lower-case letters, digits and '_', a key used twice, an unknown
 * value_rule, a "list" key without values or a value list on another
 * rule. The alpha-3 codes are written sorted, so that a lookup is a
 * binary search. As with rt_reference_gen, the output goes to a
 * temporary file renamed into place.
 *
 * Why the iso-codes file and not a list typed in: it is the list Debian
 * keeps current with the ISO 3166 maintenance agency's changes, already
 * installed on every build host, and read only at build time.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT 300
#define MAX_KEY 32
#define PATH_SIZE 96

static int problems;

static void problem(const char *file, const char *path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(const char *file, const char *path, const char *format,
                    ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "%s: %s: ", file, path);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  problems++;
}

static bool is_key(const char *s) {
  size_t len = strlen(s);
  if (len == 0 || len > MAX_KEY || !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '_'))
      return false;
  return true;
}

static bool is_rule(const char *s) {
  static const char *const rules[] = {"iso3-pair", "iso3", "age-range", "list",
                                      "text"};
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (strcmp(rules[i], s) == 0)
      return true;
  return false;
}

static const char *text(const char *file, json_t *obj, const char *path,
                        const char *name) {
  const char *value = json_string_value(json_object_get(obj, name));
  if (value == NULL || value[0] == '\0' || strlen(value) > MAX_TEXT) {
    problem(file, path, "\"%s\" must be a string of 1..%d bytes", name,
            MAX_TEXT);
    return NULL;
  }
  return value;
}

static void check_key(const char *file, json_t *keys, size_t i) {
  static const char *const members[] = {"key", "title", "value_rule", "values",
                                        "source_ref"};
  char path[PATH_SIZE];
  snprintf(path, sizeof path, "dimension_keys[%zu]", i);
  json_t *entry = json_array_get(keys, i);
  if (!json_is_object(entry)) {
    problem(file, path, "must be an object");
    return;
  }
  const char *name;
  json_t *value;
  json_object_foreach(entry, name, value) {
    bool known = false;
    for (size_t m = 0; m < sizeof members / sizeof members[0]; m++)
      known = known || strcmp(members[m], name) == 0;
    if (!known)
      problem(file, path, "unknown member \"%s\"", name);
  }
  const char *key = text(file, entry, path, "key");
  text(file, entry, path, "title");
  text(file, entry, path, "source_ref");
  const char *rule = text(file, entry, path, "value_rule");
  if (key != NULL && !is_key(key))
    problem(file, path, "key \"%s\" is not lower-case letters, digits, '_'",
            key);
  for (size_t j = 0; key != NULL && j < i; j++) {
    const char *earlier =
        json_string_value(json_object_get(json_array_get(keys, j), "key"));
    if (earlier != NULL && strcmp(earlier, key) == 0)
      problem(file, path, "key \"%s\" is already used by dimension_keys[%zu]",
              key, j);
  }
  if (rule != NULL && !is_rule(rule))
    problem(file, path,
            "value_rule \"%s\" is not one of iso3-pair, iso3, age-range, "
            "list, text",
            rule);
  json_t *values = json_object_get(entry, "values");
  bool is_list = rule != NULL && strcmp(rule, "list") == 0;
  if (is_list && (!json_is_array(values) || json_array_size(values) == 0))
    problem(file, path, "a \"list\" key needs a non-empty \"values\" array");
  if (!is_list && values != NULL)
    problem(file, path, "\"values\" belongs to a \"list\" key only");
  for (size_t v = 0; is_list && v < json_array_size(values); v++) {
    const char *s = json_string_value(json_array_get(values, v));
    if (s == NULL || s[0] == '\0' || strlen(s) > 64)
      problem(file, path, "values[%zu] must be a string of 1..64 bytes", v);
  }
}

static void write_literal(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\' || *p == '?')
      fprintf(out, "\\%c", *p);
    else if (*p >= 0x7f || *p < 0x20)
      fprintf(out, "\\%03o", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

static int compare_codes(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_tables(FILE *out, json_t *keys, const char **codes,
                         const char **names, size_t n_codes) {
  fprintf(out, "/* Generated by rt_dimensions_gen from data/reference.json "
               "and iso_3166-1.json. Do not edit. */\n"
               "#include \"rt_dimensions_tables.h\"\n\n");
  for (size_t i = 0; i < json_array_size(keys); i++) {
    json_t *values = json_object_get(json_array_get(keys, i), "values");
    fprintf(out, "static const char *const values_%zu[] = {", i);
    for (size_t v = 0; v < json_array_size(values); v++) {
      write_literal(out, json_string_value(json_array_get(values, v)));
      fprintf(out, ", ");
    }
    fprintf(out, "NULL};\n");
  }
  fprintf(out, "\nconst rt_dimension_key_t rt_dimension_keys[] = {\n");
  for (size_t i = 0; i < json_array_size(keys); i++) {
    json_t *entry = json_array_get(keys, i);
    fprintf(out, "    {");
    static const char *const fields[] = {"key", "title", "value_rule",
                                         "source_ref"};
    for (size_t f = 0; f < 4; f++) {
      write_literal(out, json_string_value(json_object_get(entry, fields[f])));
      fprintf(out, ", ");
    }
    fprintf(out, "values_%zu, %zu},\n", i,
            json_array_size(json_object_get(entry, "values")));
  }
  fprintf(out,
          "};\nconst size_t rt_dimension_key_total = %zu;\n\n"
          "const rt_iso3_country_t rt_iso3_countries[] = {\n",
          json_array_size(keys));
  for (size_t i = 0; i < n_codes; i++) {
    fprintf(out, "    {");
    write_literal(out, codes[i]);
    fprintf(out, ", ");
    write_literal(out, names[i]);
    fprintf(out, "},\n");
  }
  fprintf(out, "};\nconst size_t rt_iso3_country_count = %zu;\n", n_codes);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr,
            "usage: rt_dimensions_gen REFERENCE.json ISO_3166-1.json OUT.c\n");
    return 2;
  }
  json_error_t error;
  json_t *root = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &error);
  json_t *iso = json_load_file(argv[2], 0, &error);
  if (root == NULL || iso == NULL) {
    fprintf(stderr, "%s:%d:%d: %s\n", root ? argv[2] : argv[1], error.line,
            error.column, error.text);
    json_decref(root);
    json_decref(iso);
    return 1;
  }
  json_t *keys = json_object_get(root, "dimension_keys");
  if (!json_is_array(keys) || json_array_size(keys) == 0)
    problem(argv[1], "dimension_keys", "must be a non-empty array");
  for (size_t i = 0; json_is_array(keys) && i < json_array_size(keys); i++)
    check_key(argv[1], keys, i);
  json_t *list = json_object_get(iso, "3166-1");
  size_t n = json_array_size(list);
  if (n < 200)
    problem(argv[2], "3166-1", "holds %zu countries, not the full list", n);
  /* Codes and names point into iso, sorted together through an index. */
  const char **pairs = calloc(n ? 2 * n : 1, sizeof *pairs);
  const char **codes = calloc(n ? n : 1, sizeof *codes);
  const char **names = calloc(n ? n : 1, sizeof *names);
  for (size_t i = 0; pairs && i < n; i++) {
    json_t *entry = json_array_get(list, i);
    const char *code = json_string_value(json_object_get(entry, "alpha_3"));
    const char *name = json_string_value(json_object_get(entry, "name"));
    if (code == NULL || strlen(code) != 3 || name == NULL) {
      char path[PATH_SIZE];
      snprintf(path, sizeof path, "3166-1[%zu]", i);
      problem(argv[2], path, "has no alpha_3 code of three letters or name");
      continue;
    }
    pairs[2 * i] = code;
    pairs[2 * i + 1] = name;
  }
  int status = 1;
  if (pairs == NULL || codes == NULL || names == NULL) {
    fprintf(stderr, "rt_dimensions_gen: out of memory\n");
  } else if (problems > 0) {
    fprintf(stderr, "%d problem%s, no tables written\n", problems,
            problems == 1 ? "" : "s");
  } else {
    qsort(pairs, n, 2 * sizeof *pairs, compare_codes);
    for (size_t i = 0; i < n; i++) {
      codes[i] = pairs[2 * i];
      names[i] = pairs[2 * i + 1];
    }
    size_t len = strlen(argv[3]) + sizeof ".tmp";
    char *temporary = malloc(len);
    FILE *out = NULL;
    if (temporary != NULL) {
      snprintf(temporary, len, "%s.tmp", argv[3]);
      out = fopen(temporary, "w");
    }
    if (out != NULL) {
      write_tables(out, keys, codes, names, n);
      bool written = !ferror(out);
      if (fclose(out) == 0 && written && rename(temporary, argv[3]) == 0)
        status = 0;
      else
        remove(temporary);
    }
    if (status != 0)
      perror(argv[3]);
    free(temporary);
  }
  free(pairs);
  free(codes);
  free(names);
  json_decref(root);
  json_decref(iso);
  return status;
}
