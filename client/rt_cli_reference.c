/*
 * The reference lists: `ref sdg` (the SDG goals and targets with their
 * labels), `ref gcm` (the 23 GCM objectives with their official titles),
 * `ref themes` (the thematic areas, compiled and added), all read from
 * the server (ListReference) so that the themes the secretariat added
 * show too; and `ref theme add` (CreateTheme), the secretariat's way to
 * give a new dialogue's themes without a release.
 *
 * Tables wrap long titles rather than cut them: a reference list is read
 * for its words. JSON is the response's lists; CSV is one row per target,
 * objective or theme.
 */
#include "rt_cli.h"

#include "rectrack/v1/tracker.pb-c.h"
#include "rt_dimensions.h"
#include "rt_validate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int fetch_reference(rt_cli_t *cli,
                           Rectrack__V1__ListReferenceResponse **out) {
  Rectrack__V1__ListReferenceRequest request =
      RECTRACK__V1__LIST_REFERENCE_REQUEST__INIT;
  ProtobufCMessage *response = NULL;
  int rc = rt_cli_call(cli, "ListReference", "reference lists", &request.base,
                       &rectrack__v1__list_reference_response__descriptor,
                       &response);
  *out = (void *)response;
  return rc;
}

/* "KEY  text", text wrapped under itself past the key's column. */
static void print_entry(rt_cli_t *cli, const char *key, size_t key_width,
                        const char *text) {
  fprintf(cli->out, "%-*s  ", (int)key_width, key);
  rt_cli_print_wrapped(cli->out, text, key_width + 2, (size_t)cli->width);
}

static void print_json_list(rt_cli_t *cli, const char *key,
                            ProtobufCMessage *const *items, size_t count) {
  json_t *array = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(array, rt_cli_message_to_json(items[i]));
  json_t *doc = json_object();
  json_object_set_new(doc, key, array);
  rt_cli_print_json(cli, doc, false);
}

static void csv_row(rt_cli_t *cli, const char *const *cells, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (i > 0)
      fputc(',', cli->out);
    rt_cli_csv_field(cli->out, cells[i] ? cells[i] : "");
  }
  fputs("\r\n", cli->out);
}

/* ---- ref sdg ---------------------------------------------------------- */

static int run_sdg(rt_cli_t *cli, const rt_args_t *args) {
  const char *goal_text = rt_args_get(args, "goal");
  uint64_t goal = 0;
  if (goal_text != NULL &&
      (rt_cli_parse_uint(goal_text, &goal) != 0 || goal < 1 || goal > 17))
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                       "--goal: \"%s\" is not an SDG (1..17)", goal_text);
  Rectrack__V1__ListReferenceResponse *ref = NULL;
  int rc = fetch_reference(cli, &ref);
  if (rc != 0)
    return rc;
  Rectrack__V1__SdgGoal **goals = ref->sdg_goals;
  size_t n = ref->n_sdg_goals;
  if (goal != 0) {
    goals = goal <= n ? &ref->sdg_goals[goal - 1] : NULL;
    n = goals ? 1 : 0;
  }
  if (cli->format == RT_CLI_FORMAT_JSON) {
    print_json_list(cli, "sdg_goals", (ProtobufCMessage *const *)goals, n);
  } else if (cli->format == RT_CLI_FORMAT_CSV) {
    const char *header[] = {"goal", "goal_title", "target", "label"};
    csv_row(cli, header, 4);
    for (size_t g = 0; g < n; g++)
      for (size_t t = 0; t < goals[g]->n_targets; t++) {
        char number[8];
        snprintf(number, sizeof number, "%d", goals[g]->number);
        const char *cells[] = {number, goals[g]->short_title,
                               goals[g]->targets[t]->code,
                               goals[g]->targets[t]->label};
        csv_row(cli, cells, 4);
      }
  } else {
    for (size_t g = 0; g < n; g++) {
      char heading[400];
      snprintf(heading, sizeof heading, "Goal %d. %s: %s", goals[g]->number,
               goals[g]->short_title, goals[g]->title);
      fprintf(cli->out, "%s", g > 0 ? "\n" : "");
      rt_cli_print_wrapped(cli->out, heading, 2, (size_t)cli->width);
      for (size_t t = 0; t < goals[g]->n_targets; t++)
        print_entry(cli, goals[g]->targets[t]->code, 6,
                    goals[g]->targets[t]->label);
    }
  }
  protobuf_c_message_free_unpacked(&ref->base, NULL);
  return 0;
}

/* ---- ref gcm ---------------------------------------------------------- */

static int run_gcm(rt_cli_t *cli, const rt_args_t *args) {
  (void)args;
  Rectrack__V1__ListReferenceResponse *ref = NULL;
  int rc = fetch_reference(cli, &ref);
  if (rc != 0)
    return rc;
  if (cli->format == RT_CLI_FORMAT_JSON) {
    print_json_list(cli, "gcm_objectives",
                    (ProtobufCMessage *const *)ref->gcm_objectives,
                    ref->n_gcm_objectives);
  } else {
    if (cli->format == RT_CLI_FORMAT_CSV) {
      const char *header[] = {"objective", "title"};
      csv_row(cli, header, 2);
    } else {
      fprintf(cli->out, "Objectives of the Global Compact for Safe, Orderly "
                        "and Regular Migration (A/RES/73/195)\n");
    }
    for (size_t i = 0; i < ref->n_gcm_objectives; i++) {
      char number[8];
      snprintf(number, sizeof number, "%d", ref->gcm_objectives[i]->number);
      if (cli->format == RT_CLI_FORMAT_CSV) {
        const char *cells[] = {number, ref->gcm_objectives[i]->title};
        csv_row(cli, cells, 2);
      } else {
        print_entry(cli, number, 2, ref->gcm_objectives[i]->title);
      }
    }
  }
  protobuf_c_message_free_unpacked(&ref->base, NULL);
  return 0;
}

/* ---- ref themes ------------------------------------------------------- */

static int run_themes(rt_cli_t *cli, const rt_args_t *args) {
  (void)args;
  Rectrack__V1__ListReferenceResponse *ref = NULL;
  int rc = fetch_reference(cli, &ref);
  if (rc != 0)
    return rc;
  if (cli->format == RT_CLI_FORMAT_JSON) {
    print_json_list(cli, "themes", (ProtobufCMessage *const *)ref->themes,
                    ref->n_themes);
  } else if (cli->format == RT_CLI_FORMAT_CSV) {
    const char *header[] = {"id", "title", "source_ref", "added", "created_by"};
    csv_row(cli, header, 5);
    for (size_t i = 0; i < ref->n_themes; i++) {
      const Rectrack__V1__Theme *t = ref->themes[i];
      const char *cells[] = {t->id, t->title, t->source_ref,
                             t->added ? "true" : "false", t->created_by};
      csv_row(cli, cells, 5);
    }
  } else {
    size_t width = 2, added = 0;
    for (size_t i = 0; i < ref->n_themes; i++) {
      size_t len = strlen(ref->themes[i]->id);
      width = len > width ? len : width;
      added += ref->themes[i]->added ? 1 : 0;
    }
    for (size_t i = 0; i < ref->n_themes; i++) {
      const Rectrack__V1__Theme *t = ref->themes[i];
      char *text = NULL;
      if (asprintf(&text, "%s%s", t->title, t->added ? " (added)" : "") < 0)
        text = NULL;
      print_entry(cli, t->id, width, text ? text : t->title);
      free(text);
    }
    fprintf(cli->out, "%zu themes: %zu of the reference lists, %zu added\n",
            ref->n_themes, ref->n_themes - added, added);
  }
  protobuf_c_message_free_unpacked(&ref->base, NULL);
  return 0;
}

/* ---- ref theme add ---------------------------------------------------- */

static int run_theme(rt_cli_t *cli, const rt_args_t *args) {
  if (strcmp(args->positional[0], "add") != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "unknown verb \"%s\": rectrack ref theme add ID "
                       "--title TEXT",
                       args->positional[0]);
  const char *id = args->positional[1];
  const char *title = rt_args_get(args, "title");
  const char *source_ref = rt_args_get(args, "source-ref");
  rt_error_t err = {0};
  if (title == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "ref theme add needs --title TEXT (see --help)");
  if (rt_validate_slug(id, "theme id", &err) != 0 ||
      rt_validate_text(title, RT_MAX_SHORT_LEN, true, "--title", &err) != 0 ||
      (source_ref != NULL && rt_validate_text(source_ref, RT_MAX_SHORT_LEN,
                                              false, "--source-ref", &err)))
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  Rectrack__V1__Theme theme = RECTRACK__V1__THEME__INIT;
  theme.id = (char *)id;
  theme.title = (char *)title;
  theme.source_ref = (char *)(source_ref ? source_ref : "");
  Rectrack__V1__CreateThemeRequest request =
      RECTRACK__V1__CREATE_THEME_REQUEST__INIT;
  request.theme = &theme;
  const char *request_id = rt_args_get(args, "request-id");
  request.request_id = (char *)(request_id ? request_id : "");
  ProtobufCMessage *created = NULL;
  char what[96];
  snprintf(what, sizeof what, "add theme %s", id);
  int rc = rt_cli_call(cli, "CreateTheme", what, &request.base,
                       &rectrack__v1__theme__descriptor, &created);
  if (rc == 0)
    rt_cli_print_record(cli, created);
  if (created != NULL)
    protobuf_c_message_free_unpacked(created, NULL);
  return rc;
}

/* ---- ref dimensions / ref dimension add ------------------------------ */

/* "iso3-pair", or "list: female, male, other". malloc'd. */
static char *rule_text(const Rectrack__V1__DimensionKey *k) {
  size_t len = strlen(k->value_rule) + 3;
  for (size_t i = 0; i < k->n_values; i++)
    len += strlen(k->values[i]) + 2;
  char *text = malloc(len);
  if (text == NULL)
    return NULL;
  strcpy(text, k->value_rule);
  for (size_t i = 0; i < k->n_values; i++) {
    strcat(text, i ? ", " : ": ");
    strcat(text, k->values[i]);
  }
  return text;
}

static int run_dimensions(rt_cli_t *cli, const rt_args_t *args) {
  (void)args;
  Rectrack__V1__ListReferenceResponse *ref = NULL;
  int rc = fetch_reference(cli, &ref);
  if (rc != 0)
    return rc;
  if (cli->format == RT_CLI_FORMAT_JSON) {
    print_json_list(cli, "dimension_keys",
                    (ProtobufCMessage *const *)ref->dimension_keys,
                    ref->n_dimension_keys);
  } else {
    size_t width = 3, added = 0;
    if (cli->format == RT_CLI_FORMAT_CSV) {
      const char *header[] = {"key",    "title",      "value_rule",
                              "values", "source_ref", "added"};
      csv_row(cli, header, 6);
    }
    for (size_t i = 0; i < ref->n_dimension_keys; i++) {
      size_t len = strlen(ref->dimension_keys[i]->key);
      width = len > width ? len : width;
      added += ref->dimension_keys[i]->added ? 1 : 0;
    }
    for (size_t i = 0; i < ref->n_dimension_keys; i++) {
      const Rectrack__V1__DimensionKey *k = ref->dimension_keys[i];
      char *rule = rule_text(k);
      if (cli->format == RT_CLI_FORMAT_CSV) {
        const char *values = rule ? rule + strlen(k->value_rule) : "";
        const char *cells[] = {k->key,        k->title,
                               k->value_rule, values[0] ? values + 2 : "",
                               k->source_ref, k->added ? "true" : "false"};
        csv_row(cli, cells, 6);
      } else {
        char *text = NULL;
        if (asprintf(&text, "%s (%s)%s", k->title, rule ? rule : k->value_rule,
                     k->added ? " (added)" : "") < 0)
          text = NULL;
        print_entry(cli, k->key, width, text ? text : k->title);
        free(text);
      }
      free(rule);
    }
    if (cli->format != RT_CLI_FORMAT_CSV)
      fprintf(cli->out,
              "%zu dimension keys: %zu of the reference lists, %zu added\n",
              ref->n_dimension_keys, ref->n_dimension_keys - added, added);
  }
  protobuf_c_message_free_unpacked(&ref->base, NULL);
  return 0;
}

static int run_dimension(rt_cli_t *cli, const rt_args_t *args) {
  if (strcmp(args->positional[0], "add") != 0)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "unknown verb \"%s\": rectrack ref dimension add KEY "
                       "--title TEXT --rule RULE [--value V ...]",
                       args->positional[0]);
  const char *key = args->positional[1];
  const char *title = rt_args_get(args, "title");
  const char *rule = rt_args_get(args, "rule");
  const char *source_ref = rt_args_get(args, "source-ref");
  if (title == NULL || rule == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_USAGE,
                       "ref dimension add needs --title TEXT and --rule RULE "
                       "(see --help)");
  size_t n = rt_args_count(args, "value");
  char **values = calloc(n ? n : 1, sizeof *values);
  if (values == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "out of memory");
  for (size_t i = 0; i < n; i++)
    values[i] = (char *)rt_args_value(args, "value", i);
  rt_error_t err = {0};
  if (rt_dimension_check_key_name(key, "key", &err) != 0 ||
      rt_validate_text(title, RT_MAX_SHORT_LEN, true, "--title", &err) != 0 ||
      rt_dimension_check_rule(rule, (const char *const *)values, n, "--rule",
                              &err) != 0) {
    free(values);
    return rt_cli_fail(cli, RT_CLI_EXIT_INVALID, "%s", err.message);
  }
  Rectrack__V1__DimensionKey k = RECTRACK__V1__DIMENSION_KEY__INIT;
  k.key = (char *)key;
  k.title = (char *)title;
  k.value_rule = (char *)rule;
  k.values = values;
  k.n_values = n;
  k.source_ref = (char *)(source_ref ? source_ref : "");
  Rectrack__V1__CreateDimensionKeyRequest request =
      RECTRACK__V1__CREATE_DIMENSION_KEY_REQUEST__INIT;
  request.dimension_key = &k;
  const char *request_id = rt_args_get(args, "request-id");
  request.request_id = (char *)(request_id ? request_id : "");
  ProtobufCMessage *created = NULL;
  char what[96];
  snprintf(what, sizeof what, "add dimension key %s", key);
  int rc = rt_cli_call(cli, "CreateDimensionKey", what, &request.base,
                       &rectrack__v1__dimension_key__descriptor, &created);
  if (rc == 0)
    rt_cli_print_record(cli, created);
  if (created != NULL)
    protobuf_c_message_free_unpacked(created, NULL);
  free(values);
  return rc;
}

static const rt_arg_spec_t dimension_specs[] = {
    {"title", 0, RT_ARG_VALUE, "TEXT", "the key's title (required)"},
    {"rule", 0, RT_ARG_VALUE, "RULE",
     "what a value must look like: iso3-pair, iso3, age-range, list or text "
     "(required)"},
    {"value", 0, RT_ARG_MULTI, "V", "an allowed value of a list key"},
    {"source-ref", 0, RT_ARG_VALUE, "REF", "where the seeds ask for it"},
    {"request-id", 0, RT_ARG_VALUE, "ID", "makes the call idempotent"},
    {NULL, 0, 0, NULL, NULL},
};

static const rt_arg_spec_t no_specs[] = {{NULL, 0, 0, NULL, NULL}};
static const rt_arg_spec_t sdg_specs[] = {
    {"goal", 0, RT_ARG_VALUE, "N", "only the targets of goal N (1..17)"},
    {NULL, 0, 0, NULL, NULL},
};
static const rt_arg_spec_t theme_specs[] = {
    {"title", 0, RT_ARG_VALUE, "TEXT", "the theme's title (required)"},
    {"source-ref", 0, RT_ARG_VALUE, "REF",
     "where the dialogues treat it, e.g. \"GFMD 2024, RT 2.1\""},
    {"request-id", 0, RT_ARG_VALUE, "ID", "makes the call idempotent"},
    {NULL, 0, 0, NULL, NULL},
};

const rt_cli_command_t rt_cli_reference_commands[] = {
    {"ref", "sdg", run_sdg, sdg_specs, "[--goal N]",
     "List the SDG goals and targets, with their labels",
     "rectrack ref sdg --goal 10", 0, 0},
    {"ref", "gcm", run_gcm, no_specs, "",
     "List the GCM objectives with their official titles", "rectrack ref gcm",
     0, 0},
    {"ref", "themes", run_themes, no_specs, "",
     "List the thematic areas, those of the reference lists and those added",
     "rectrack ref themes", 0, 0},
    {"ref", "theme", run_theme, theme_specs,
     "add ID --title TEXT [--source-ref REF]",
     "Add a thematic area records may be tagged with (secretariat)",
     "rectrack ref theme add labour-mobility --title \"Labour mobility and "
     "skills\" --source-ref \"GFMD 2024, RT 2.1\"",
     2, 2},
    {"ref", "dimensions", run_dimensions, no_specs, "",
     "List the dimension keys measurements may carry, with their value rules",
     "rectrack ref dimensions", 0, 0},
    {"ref", "dimension", run_dimension, dimension_specs,
     "add KEY --title TEXT --rule RULE [--value V ...]",
     "Add a dimension key measurements may carry (secretariat)",
     "rectrack ref dimension add residence --title \"Urban or rural\" --rule "
     "list --value urban --value rural",
     2, 2},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};
