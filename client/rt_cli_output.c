/*
 * Output of the rectrack CLI in its three formats: tables sized to the
 * terminal, one JSON document (jansson), and RFC 4180 CSV with a header.
 *
 * Tables measure text in terminal columns, not bytes: UTF-8 is decoded
 * here and East Asian wide characters count two columns, combining marks
 * none (a small table of Unicode ranges, so the result does not depend on
 * the locale the CLI runs under). When the natural widths do not fit, the
 * widest column gives up a column at a time, and cut cells end in "…".
 * Status cells are coloured only when the caller says so (stdout is a
 * terminal and NO_COLOR is unset).
 */
#include "rt_cli.h"

#include "rectrack/v1/resources.pb-c.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- text width ------------------------------------------------------------
 */

typedef struct range {
  uint32_t first;
  uint32_t last;
} range_t;

static const range_t wide_ranges[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},
    {0x23E9, 0x23EC},   {0x23F0, 0x23F0},   {0x23F3, 0x23F3},
    {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},
    {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},
    {0x26F2, 0x26F3},   {0x26F5, 0x26F5},   {0x26FA, 0x26FA},
    {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},
    {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},
    {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
    {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x18AFF},
    {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251},
    {0x1F300, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C},
    {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
    {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
    {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
    {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A},
    {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
    {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
    {0x1F6D5, 0x1F6D7}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD},
    {0x30000, 0x3FFFD},
};

static const range_t zero_ranges[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},   {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A},   {0x0E47, 0x0E4E},
    {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},   {0x20D0, 0x20FF},
    {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xE0100, 0xE01EF},
};

static bool in_ranges(uint32_t cp, const range_t *ranges, size_t count) {
  size_t low = 0, high = count;
  while (low < high) {
    size_t mid = (low + high) / 2;
    if (cp < ranges[mid].first)
      high = mid;
    else if (cp > ranges[mid].last)
      low = mid + 1;
    else
      return true;
  }
  return false;
}

static size_t code_point_width(uint32_t cp) {
  if (in_ranges(cp, zero_ranges, sizeof(zero_ranges) / sizeof(range_t)))
    return 0;
  if (in_ranges(cp, wide_ranges, sizeof(wide_ranges) / sizeof(range_t)))
    return 2;
  return 1;
}

/* Decodes one UTF-8 sequence at s; invalid bytes decode as U+FFFD of
 * length 1. Returns the length in bytes. */
static size_t decode_utf8(const unsigned char *s, uint32_t *cp) {
  size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
  if (s[0] >= 0x80 && (s[0] < 0xC2 || s[0] > 0xF4)) {
    *cp = 0xFFFD;
    return 1;
  }
  uint32_t value = len == 1 ? s[0] : s[0] & (0x3F >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      *cp = 0xFFFD;
      return 1;
    }
    value = (value << 6) | (s[i] & 0x3F);
  }
  *cp = value;
  return len;
}

size_t rt_cli_text_width(const char *text) {
  size_t width = 0;
  const unsigned char *p = (const unsigned char *)text;
  while (*p != '\0') {
    uint32_t cp;
    p += decode_utf8(p, &cp);
    width += code_point_width(cp);
  }
  return width;
}

char *rt_cli_text_fit(const char *text, size_t width) {
  size_t total = rt_cli_text_width(text);
  size_t budget = total <= width ? width : (width > 0 ? width - 1 : 0);
  size_t len = strlen(text);
  char *out = malloc(len + 4);
  size_t used = 0, at = 0, out_len = 0;
  const unsigned char *p = (const unsigned char *)text;
  if (out == NULL)
    return NULL;
  while (p[at] != '\0') {
    uint32_t cp;
    size_t n = decode_utf8(p + at, &cp);
    size_t w = code_point_width(cp);
    if (used + w > budget)
      break;
    if (cp < 0x20 || cp == 0x7F || cp == 0xFFFD) {
      out[out_len++] = cp == 0xFFFD ? '?' : ' '; /* keep the grid intact */
    } else {
      memcpy(out + out_len, p + at, n);
      out_len += n;
    }
    used += w;
    at += n;
  }
  if (total > width && width > 0) {
    memcpy(out + out_len, "\xE2\x80\xA6", 3); /* U+2026 */
    out_len += 3;
  }
  out[out_len] = '\0';
  return out;
}

/* ---- CSV -------------------------------------------------------------------
 */

void rt_cli_csv_field(FILE *out, const char *text) {
  size_t len = strlen(text);
  bool quote = strpbrk(text, ",\"\r\n") != NULL ||
               (len > 0 && (text[0] == ' ' || text[len - 1] == ' '));
  if (!quote) {
    fputs(text, out);
    return;
  }
  fputc('"', out);
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '"')
      fputc('"', out);
    fputc(*p, out);
  }
  fputc('"', out);
}

/* ---- tables ----------------------------------------------------------------
 */

struct rt_cli_table {
  size_t column_count;
  char **headers;
  char ***rows;
  size_t row_count;
  size_t status_column; /* SIZE_MAX: none */
};

rt_cli_table_t *rt_cli_table_new(size_t column_count,
                                 const char *const *headers) {
  rt_cli_table_t *table = calloc(1, sizeof(*table));
  if (table == NULL)
    return NULL;
  table->column_count = column_count;
  table->status_column = SIZE_MAX;
  table->headers = calloc(column_count, sizeof(char *));
  for (size_t i = 0; table->headers != NULL && i < column_count; i++)
    table->headers[i] = strdup(headers[i]);
  return table;
}

void rt_cli_table_add_row(rt_cli_table_t *table, const char *const *cells) {
  char ***grown =
      realloc(table->rows, (table->row_count + 1) * sizeof(*table->rows));
  if (grown == NULL)
    return;
  table->rows = grown;
  char **row = calloc(table->column_count, sizeof(char *));
  for (size_t i = 0; row != NULL && i < table->column_count; i++)
    row[i] = strdup(cells[i] ? cells[i] : "");
  table->rows[table->row_count++] = row;
}

void rt_cli_table_set_status_column(rt_cli_table_t *table, size_t column) {
  table->status_column = column;
}

void rt_cli_table_free(rt_cli_table_t *table) {
  if (table == NULL)
    return;
  for (size_t r = 0; r < table->row_count; r++) {
    for (size_t c = 0; table->rows[r] && c < table->column_count; c++)
      free(table->rows[r][c]);
    free(table->rows[r]);
  }
  for (size_t c = 0; table->headers && c < table->column_count; c++)
    free(table->headers[c]);
  free(table->headers);
  free(table->rows);
  free(table);
}

/* Natural widths, then the widest column shrinks until the row fits. */
static void fit_columns(const rt_cli_table_t *table, size_t width,
                        size_t *widths) {
  size_t total = 0;
  for (size_t c = 0; c < table->column_count; c++) {
    widths[c] = rt_cli_text_width(table->headers[c]);
    for (size_t r = 0; r < table->row_count; r++) {
      size_t w = rt_cli_text_width(table->rows[r][c]);
      widths[c] = w > widths[c] ? w : widths[c];
    }
    total += widths[c] + (c > 0 ? 2 : 0);
  }
  /* The last column holds free text (title, note): it gives way first,
   * down to a readable minimum; then the widest column does. */
  size_t last = table->column_count - 1;
  while (total > width && widths[last] > 24) {
    widths[last]--;
    total--;
  }
  /* Then the widest column other than the status column (statuses are
   * short and what people scan for), then any column. */
  for (size_t floor = 8, phase = 0; phase < 2; phase++, floor = 4) {
    while (total > width) {
      size_t widest = SIZE_MAX;
      for (size_t c = 0; c < table->column_count; c++) {
        if ((phase == 0 && c == table->status_column) || widths[c] <= floor)
          continue;
        if (widest == SIZE_MAX || widths[c] > widths[widest])
          widest = c;
      }
      if (widest == SIZE_MAX)
        break;
      widths[widest]--;
      total--;
    }
  }
}

static void print_cell(FILE *out, const char *text, size_t width, bool last,
                       const char *color) {
  char *fitted = rt_cli_text_fit(text, width);
  size_t used = fitted ? rt_cli_text_width(fitted) : 0;
  if (color != NULL)
    fprintf(out, "%s%s\x1b[0m", color, fitted ? fitted : "");
  else
    fputs(fitted ? fitted : "", out);
  for (size_t i = used; !last && i < width; i++)
    fputc(' ', out);
  free(fitted);
}

void rt_cli_table_print(const rt_cli_table_t *table, FILE *out, size_t width,
                        bool color) {
  size_t *widths = calloc(table->column_count + 1, sizeof(size_t));
  if (widths == NULL)
    return;
  fit_columns(table, width, widths);
  for (size_t r = 0; r <= table->row_count; r++) {
    char **cells = r == 0 ? table->headers : table->rows[r - 1];
    for (size_t c = 0; cells != NULL && c < table->column_count; c++) {
      const char *tint = NULL;
      if (color && r > 0 && c == table->status_column)
        tint = rt_cli_status_color(cells[c]);
      if (c > 0)
        fputs("  ", out);
      print_cell(out, cells[c], widths[c], c + 1 == table->column_count, tint);
    }
    fputc('\n', out);
  }
  free(widths);
}

const char *rt_cli_status_color(const char *status_name) {
  static const struct {
    const char *name;
    const char *color;
  } colors[] = {
      {"implemented", "\x1b[32m"},
      {"achieved", "\x1b[32m"},
      {"on-track", "\x1b[32m"},
      {"in-progress", "\x1b[33m"},
      {"partially-implemented", "\x1b[33m"},
      {"stalled", "\x1b[31m"},
      {"off-track", "\x1b[31m"},
      {"withdrawn", "\x1b[2m"},
  };
  for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++) {
    if (strcmp(colors[i].name, status_name) == 0)
      return colors[i].color;
  }
  return NULL;
}

/* ---- records in the three formats
 * -------------------------------------------- */

void rt_cli_print_json(rt_cli_t *cli, void *json, bool one_line) {
  size_t flags = one_line ? JSON_COMPACT : JSON_INDENT(2);
  char *text = json_dumps(json, flags);
  if (text != NULL) {
    fputs(text, cli->out);
    fputc('\n', cli->out);
    free(text);
  }
  json_decref(json);
}

/* The CSV columns of a message type: every scalar or repeated scalar
 * field, with single sub-messages flattened as "indicator.unit". */
static void csv_columns(const ProtobufCMessageDescriptor *d, const char *prefix,
                        char ***names, size_t *count) {
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    char *name = NULL;
    if (asprintf(&name, "%s%s", prefix, f->name) < 0)
      return;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
      if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        char *sub_prefix = NULL;
        if (asprintf(&sub_prefix, "%s.", name) >= 0)
          csv_columns(f->descriptor, sub_prefix, names, count);
        free(sub_prefix);
      }
      free(name);
      continue;
    }
    char **grown = realloc(*names, (*count + 1) * sizeof(char *));
    if (grown == NULL) {
      free(name);
      return;
    }
    *names = grown;
    (*names)[(*count)++] = name;
  }
}

static void print_csv(rt_cli_t *cli, const ProtobufCMessage *const *items,
                      size_t count, const ProtobufCMessageDescriptor *d) {
  char **names = NULL;
  size_t column_count = 0;
  csv_columns(d, "", &names, &column_count);
  for (size_t c = 0; c < column_count; c++) {
    if (c > 0)
      fputc(',', cli->out);
    rt_cli_csv_field(cli->out, names[c]);
  }
  fputs("\r\n", cli->out);
  for (size_t r = 0; r < count; r++) {
    for (size_t c = 0; c < column_count; c++) {
      char *text = rt_cli_field_text(items[r], names[c], true);
      if (c > 0)
        fputc(',', cli->out);
      rt_cli_csv_field(cli->out, text ? text : "");
      free(text);
    }
    fputs("\r\n", cli->out);
  }
  for (size_t c = 0; c < column_count; c++)
    free(names[c]);
  free(names);
}

/* Fields that hold one actor's id. */
static bool is_actor_field(const char *field) {
  return strcmp(field, "actor_id") == 0 ||
         strcmp(field, "lead_actor_id") == 0 ||
         strcmp(field, "reported_by") == 0;
}

static void print_table(rt_cli_t *cli, const ProtobufCMessage *const *items,
                        size_t count, const rt_cli_column_t *columns,
                        size_t column_count) {
  const char **cells = calloc(column_count + 1, sizeof(char *));
  const char **headers = calloc(column_count + 1, sizeof(char *));
  rt_cli_table_t *table = NULL;
  if (cells == NULL || headers == NULL)
    goto done;
  for (size_t c = 0; c < column_count; c++)
    headers[c] = columns[c].header;
  table = rt_cli_table_new(column_count, headers);
  if (table == NULL)
    goto done;
  for (size_t c = 0; c < column_count; c++) {
    const char *field = columns[c].field;
    if (strcmp(field, "status") == 0 || strcmp(field, "to_status") == 0 ||
        strcmp(field, "trajectory") == 0)
      rt_cli_table_set_status_column(table, c);
  }
  for (size_t r = 0; r < count; r++) {
    for (size_t c = 0; c < column_count; c++) {
      cells[c] = rt_cli_field_text(items[r], columns[c].field, false);
      /* A person reads the actor's name; JSON and CSV keep the id. */
      if (is_actor_field(columns[c].field))
        cells[c] = rt_cli_named_actor(cli, (char *)cells[c]);
    }
    rt_cli_table_add_row(table, cells);
    for (size_t c = 0; c < column_count; c++)
      free((char *)cells[c]);
  }
  rt_cli_table_print(table, cli->out, (size_t)cli->width, cli->color);
done:
  rt_cli_table_free(table);
  free(cells);
  free(headers);
}

void rt_cli_print_list(rt_cli_t *cli, const ProtobufCMessage *const *items,
                       size_t count, const rt_cli_column_t *columns,
                       size_t column_count, const char *json_key,
                       const ProtobufCMessageDescriptor *descriptor) {
  if (cli->format == RT_CLI_FORMAT_JSON) {
    json_t *array = json_array();
    for (size_t i = 0; i < count; i++)
      json_array_append_new(array, rt_cli_message_to_json(items[i]));
    json_t *doc = json_object();
    json_object_set_new(doc, json_key, array);
    rt_cli_print_json(cli, doc, false);
  } else if (cli->format == RT_CLI_FORMAT_CSV) {
    print_csv(cli, items, count, descriptor);
  } else {
    print_table(cli, items, count, columns, column_count);
  }
}

/* The "label: value" lines of a record view. */
typedef struct field_lines {
  char **labels;
  char **values;
  size_t count;
} field_lines_t;

static void add_line(field_lines_t *lines, char *label, char *value) {
  char **labels = realloc(lines->labels, (lines->count + 1) * sizeof(char *));
  char **values =
      labels ? realloc(lines->values, (lines->count + 1) * sizeof(char *))
             : NULL;
  if (labels != NULL)
    lines->labels = labels;
  if (values == NULL) {
    free(label);
    free(value);
    return;
  }
  lines->values = values;
  lines->labels[lines->count] = label;
  lines->values[lines->count++] = value;
}

/* A recommendation's links and their inverse, one line per kind with the
 * ids ("echoes: R3, R9", "echoed_by: R40"). "related" is one line both
 * ways: a related link reads the same from either end. */
static void collect_links(const Rectrack__V1__Recommendation *rec,
                          field_lines_t *lines) {
  static const char *const out_labels[] = {NULL, "echoes", "builds_on",
                                           "supersedes", "related"};
  static const char *const in_labels[] = {NULL, "echoed_by", "built_on_by",
                                          "superseded_by", "related"};
  for (int kind = 1; kind <= 4; kind++)
    for (int inverse = 0; inverse < 2; inverse++) {
      bool related = kind == RECTRACK__V1__LINK_KIND__LINK_KIND_RELATED;
      if (related && inverse)
        continue; /* written with the outgoing ones */
      char *value = NULL;
      size_t len = 0;
      FILE *text = open_memstream(&value, &len);
      if (text == NULL)
        return;
      for (int side = 0; side < 2; side++) {
        if (side != inverse && !related)
          continue;
        size_t n = side ? rec->n_linked_from : rec->n_links;
        Rectrack__V1__RecommendationLink **links =
            side ? rec->linked_from : rec->links;
        for (size_t i = 0; i < n; i++)
          if ((int)links[i]->kind == kind)
            fprintf(text, "%s%s", ftell(text) > 0 ? ", " : "",
                    links[i]->recommendation_id);
      }
      fclose(text);
      char *label =
          len > 0 ? strdup(inverse ? in_labels[kind] : out_labels[kind]) : NULL;
      if (label != NULL)
        add_line(lines, label, value);
      else
        free(value);
    }
}

/* Every non-empty field, sub-messages flattened as "indicator.unit". */
static void collect_fields(const ProtobufCMessage *message, const char *prefix,
                           field_lines_t *lines) {
  const ProtobufCMessageDescriptor *d = message->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    char *label = NULL;
    if (asprintf(&label, "%s%s", prefix, f->name) < 0)
      return;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
      const ProtobufCMessage *sub =
          *(const ProtobufCMessage *const *)((const char *)message + f->offset);
      char *sub_prefix = NULL;
      if (f->label != PROTOBUF_C_LABEL_REPEATED && sub != NULL &&
          asprintf(&sub_prefix, "%s.", label) >= 0)
        collect_fields(sub, sub_prefix, lines);
      if (d == &rectrack__v1__recommendation__descriptor &&
          strcmp(f->name, "links") == 0)
        collect_links((const void *)message, lines);
      free(sub_prefix);
      free(label);
      continue;
    }
    char *text = rt_cli_field_text(message, f->name, false);
    if (text != NULL && text[0] != '\0') {
      add_line(lines, label, text);
    } else {
      free(label);
      free(text);
    }
  }
}

void rt_cli_print_wrapped(FILE *out, const char *text, size_t indent,
                          size_t width) {
  size_t room = width > indent + 20 ? width - indent : 20, used = 0;
  const char *p = text;
  while (*p != '\0') {
    size_t len = strcspn(p, " \n");
    char *word = strndup(p, len);
    size_t w = word ? rt_cli_text_width(word) : len;
    if (used > 0 && used + 1 + w > room) {
      fprintf(out, "\n%*s", (int)indent, "");
      used = 0;
    } else if (used > 0) {
      fputc(' ', out);
      used++;
    }
    fputs(word ? word : "", out);
    used += w;
    free(word);
    p += len;
    if (*p == '\n' && p[1] != '\0') {
      fprintf(out, "\n%*s", (int)indent, "");
      used = 0;
    }
    if (*p != '\0')
      p++;
  }
  fputc('\n', out);
}

static void print_fields(rt_cli_t *cli, const ProtobufCMessage *message) {
  field_lines_t lines = {0};
  size_t label_width = 0;
  collect_fields(message, "", &lines);
  /* Names beside the codes of the record's own fields (a person reads
   * this view; JSON and CSV keep the codes alone). */
  for (size_t i = 0; i < lines.count; i++) {
    char *named = strchr(lines.labels[i], '.')
                      ? NULL
                      : rt_cli_named_field(cli, message, lines.labels[i]);
    if (named != NULL) {
      free(lines.values[i]);
      lines.values[i] = named;
    }
  }
  for (size_t i = 0; i < lines.count; i++) {
    size_t len = strlen(lines.labels[i]) + 1;
    label_width = len > label_width ? len : label_width;
  }
  for (size_t i = 0; i < lines.count; i++) {
    const char *tint = cli->color && strcmp(lines.labels[i], "status") == 0
                           ? rt_cli_status_color(lines.values[i])
                           : NULL;
    fprintf(cli->out, "%s:%*s ", lines.labels[i],
            (int)(label_width - strlen(lines.labels[i]) - 1), "");
    if (tint != NULL)
      fprintf(cli->out, "%s%s\x1b[0m\n", tint, lines.values[i]);
    else
      rt_cli_print_wrapped(cli->out, lines.values[i], label_width + 1,
                           (size_t)cli->width);
    free(lines.labels[i]);
    free(lines.values[i]);
  }
  free(lines.labels);
  free(lines.values);
}

void rt_cli_print_record(rt_cli_t *cli, const ProtobufCMessage *message) {
  if (cli->format == RT_CLI_FORMAT_JSON)
    rt_cli_print_json(cli, rt_cli_message_to_json(message), false);
  else if (cli->format == RT_CLI_FORMAT_CSV)
    print_csv(cli, &message, 1, message->descriptor);
  else
    print_fields(cli, message);
}
