/*
 * rt_cli_series: the CLI's side of disaggregated measurements. Parses
 * --dim KEY=VALUE options (repeatable) into Dimension messages for
 * `measure` and for the measurement listings, and prints the series line
 * of `commit show`: "3 corridors above 5 per cent: GBR-NGA 6.1, ...".
 * The server checks keys and values; the CLI checks only the shape, so
 * that a key the secretariat added needs no new client.
 */
#include "rt_cli.h"

#include "rectrack/v1/resources.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_cli_dims_free(rt_cli_dims_t *dims) {
  for (size_t i = 0; i < dims->n; i++) {
    free(dims->items[i]->key);
    free(dims->items[i]->value);
    free(dims->items[i]);
  }
  free(dims->items);
  dims->items = NULL;
  dims->n = 0;
}

int rt_cli_parse_dims(rt_cli_t *cli, const rt_args_t *args,
                      rt_cli_dims_t *out) {
  out->items = NULL;
  out->n = 0;
  size_t count = rt_args_count(args, "dim");
  if (count == 0)
    return 0;
  out->items = calloc(count, sizeof *out->items);
  if (out->items == NULL)
    return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "out of memory");
  for (size_t i = 0; i < count; i++) {
    const char *text = rt_args_value(args, "dim", i);
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text || eq[1] == '\0') {
      rt_cli_dims_free(out);
      return rt_cli_fail(cli, RT_CLI_EXIT_INVALID,
                         "--dim: \"%s\" is not KEY=VALUE (e.g. "
                         "corridor=GBR-NGA)",
                         text);
    }
    Rectrack__V1__Dimension *d = malloc(sizeof *d);
    if (d != NULL) {
      rectrack__v1__dimension__init(d);
      d->key = strndup(text, (size_t)(eq - text));
      d->value = strdup(eq + 1);
    }
    if (d == NULL || d->key == NULL || d->value == NULL) {
      if (d != NULL) {
        free(d->key);
        free(d->value);
      }
      free(d);
      rt_cli_dims_free(out);
      return rt_cli_fail(cli, RT_CLI_EXIT_ERROR, "out of memory");
    }
    out->items[out->n++] = d;
  }
  return 0;
}

/* "GBR-NGA" for one dimension, "sex=female age=15-24" for more. */
static void series_name(const Rectrack__V1__MeasurementSeries *s, char *out,
                        size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < s->n_dimensions && used < size; i++) {
    if (s->n_dimensions == 1)
      used += (size_t)snprintf(out + used, size - used, "%s",
                               s->dimensions[i]->value);
    else
      used += (size_t)snprintf(out + used, size - used, "%s%s=%s", i ? " " : "",
                               s->dimensions[i]->key, s->dimensions[i]->value);
  }
}

void rt_cli_print_series_summary(rt_cli_t *cli,
                                 const ProtobufCMessage *record) {
  if (cli->format != RT_CLI_FORMAT_TABLE ||
      record->descriptor != &rectrack__v1__commitment__descriptor)
    return;
  const Rectrack__V1__Commitment *c = (const void *)record;
  if (c->n_series == 0)
    return;
  const Rectrack__V1__Indicator *ind = c->indicator;
  fprintf(cli->out, "\nSeries (%zu):\n", c->n_series);
  for (size_t i = 0; i < c->n_series; i++) {
    const Rectrack__V1__MeasurementSeries *s = c->series[i];
    char name[256];
    series_name(s, name, sizeof name);
    if (s->latest_as_of[0] == '\0')
      fprintf(cli->out, "  %-24s no validated value (%u recorded)\n", name,
              s->measurement_count);
    else
      fprintf(cli->out, "  %-24s %g as of %s, %.0f%% of the way%s\n", name,
              s->latest_value, s->latest_as_of, s->progress * 100,
              s->above_ceiling ? ", above the ceiling" : "");
  }
  if (ind == NULL || ind->series_ceiling == NULL)
    return;
  /* "3 corridors above 5 per cent: GBR-NGA 6.1, ..." */
  bool corridors = c->series_above_ceiling_count > 0;
  for (size_t i = 0; i < c->n_series; i++)
    if (c->series[i]->above_ceiling)
      corridors = corridors && c->series[i]->n_dimensions == 1 &&
                  strcmp(c->series[i]->dimensions[0]->key, "corridor") == 0;
  const char *noun = !corridors                           ? "series"
                     : c->series_above_ceiling_count == 1 ? "corridor"
                                                          : "corridors";
  fprintf(cli->out, "%u %s above %g %s", c->series_above_ceiling_count, noun,
          ind->series_ceiling->value, ind->unit[0] ? ind->unit : "");
  const char *sep = ": ";
  for (size_t i = 0; i < c->n_series; i++) {
    if (!c->series[i]->above_ceiling)
      continue;
    char name[256];
    series_name(c->series[i], name, sizeof name);
    fprintf(cli->out, "%s%s %g", sep, name, c->series[i]->latest_value);
    sep = ", ";
  }
  fputc('\n', cli->out);
}
