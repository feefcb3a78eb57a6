/*
 * The charts of the HTML review, drawn here as inline SVG so that the file
 * needs nothing outside itself: one 100% bar of all items by status, a
 * stacked bar chart of status counts per key (theme, or the actors with
 * the most items), each with its colour legend, and for each quantified
 * commitment a line chart of its measurements against the straight path
 * from baseline to target, with the target marked and the review date
 * drawn in.
 * Every piece of user text goes through the HTML escaper, including the
 * <title> tooltips, and text elements are bidi-isolated so that a
 * right-to-left theme or actor name cannot reorder the labels around it.
 */
#include "review_internal.h"

#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAR_LABEL_W 230
#define BAR_CHART_W 580
#define BAR_H 18
#define BAR_GAP 7

static const char *const status_colours[] = {
    "#DDDDDD", /* unspecified */
    "#999999", /* no information: grey */
    "#E69F00", /* not started: orange */
    "#56B4E9", /* in progress: sky blue */
    "#F0E442", /* partially implemented: yellow */
    "#009E73", /* implemented: bluish green */
    "#D55E00", /* stalled: vermillion */
    "#CC79A7", /* withdrawn: reddish purple */
};

const char *rt_review_status_colour(int status) {
  return status >= 0 && status < RT_REVIEW_STATUS_COUNT ? status_colours[status]
                                                        : status_colours[0];
}

/* 1, 2 or 5 times a power of ten, so that about five ticks fit. */
double rt_review_svg_nice_step(double range) {
  double raw = range / 5.0, power = pow(10.0, floor(log10(raw)));
  double m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

void rt_review_svg_put_number(rt_review_buf_t *b, double v) {
  char text[32];
  rt_review_format_number(fabs(v) < 1e-12 ? 0 : v, text);
  rt_review_buf_puts(b, text);
}

/* Opens a chart: an accessible <title> with the whole title and, when
 * heading is set, a visible heading cut to fit the width. */
void rt_review_svg_open(rt_review_buf_t *b, int width, int height,
                        const char *title, bool heading) {
  rt_review_buf_printf(b,
                       "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" "
                       "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                       "role=\"img\" font-family=\"sans-serif\"><title>",
                       width, height, width, height);
  rt_review_put_html(b, title);
  rt_review_buf_puts(b, "</title>");
  if (heading) {
    rt_review_buf_printf(b,
                         "<text x=\"%d\" y=\"20\" font-size=\"15\" "
                         "font-weight=\"bold\" "
                         "style=\"unicode-bidi:isolate\">",
                         8);
    rt_review_put_html_short(b, title, (size_t)width / 9);
    rt_review_buf_puts(b, "</text>");
  }
  rt_review_buf_puts(b, "\n");
}

void rt_review_svg_close(rt_review_buf_t *b, const char *caption) {
  rt_review_buf_puts(b, "</svg>");
  if (caption != NULL) {
    rt_review_buf_puts(b, "<figcaption dir=\"auto\">");
    rt_review_put_html(b, caption);
    rt_review_buf_puts(b, "</figcaption>");
  }
  rt_review_buf_puts(b, "</figure>\n");
}

/* Sums the counts of the group of entries sharing the key at `first`. */
static size_t group_end(Rectrack__V1__StatusCount *const *counts, size_t count,
                        size_t first, int *total) {
  size_t j = first;
  *total = 0;
  while (j < count && strcmp(counts[j]->key, counts[first]->key) == 0)
    *total += counts[j++]->count;
  return j;
}

/* The status colours with their names, in rows from (x0, y) that wrap at
 * width; returns the baseline of the last row. b NULL: only measures. */
static int status_legend(rt_review_buf_t *b, int x0, int y, int width) {
  static const int widths[] = {0, 108, 92, 88, 150, 102, 70, 88};
  int x = x0;
  for (int s = 1; s < RT_REVIEW_STATUS_COUNT; s++) {
    if (x + widths[s] > width) {
      x = x0;
      y += 18;
    }
    if (b != NULL)
      rt_review_buf_printf(
          b,
          "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
          "fill=\"%s\" stroke=\"#555555\" stroke-width=\"0.5\"/>"
          "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>",
          x, y - 10, rt_review_status_colour(s), x + 16, y,
          rt_review_status_label(s));
    x += widths[s];
  }
  return y;
}

#define OVERVIEW_W 860
#define OVERVIEW_BAR_H 30

void rt_review_svg_status_overview(rt_review_buf_t *b,
                                   Rectrack__V1__StatusCount *const *counts,
                                   size_t count) {
  int total = 0;
  for (size_t i = 0; i < count; i++)
    total += counts[i]->count;
  rt_review_svg_open(b, OVERVIEW_W, 78,
                     "All items by status, as shares of the total", false);
  double x = 0, scale = total > 0 ? (double)OVERVIEW_W / total : 0;
  for (size_t i = 0; i < count; i++) {
    const Rectrack__V1__StatusCount *c = counts[i];
    double w = c->count * scale;
    rt_review_buf_printf(
        b,
        "<rect x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"%d\" "
        "fill=\"%s\" stroke=\"#ffffff\"><title>%s: %d</title>"
        "</rect>",
        x, w, OVERVIEW_BAR_H, rt_review_status_colour(c->status),
        rt_review_status_label(c->status), c->count);
    if (w >= 34)
      rt_review_buf_printf(b,
                           "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                           "font-size=\"13\" font-weight=\"bold\">%d</text>",
                           x + w / 2, 4 + OVERVIEW_BAR_H / 2 + 5, c->count);
    x += w;
  }
  status_legend(b, 0, OVERVIEW_BAR_H + 26, OVERVIEW_W);
  rt_review_buf_puts(b, "\n");
  rt_review_svg_close(b, NULL);
}

/* One bar of the chart: where its entries are and their total. */
typedef struct bar_group {
  size_t first, end;
  int total;
} bar_group_t;

/* Most items first, then by key (the counts come sorted by key). */
static int group_cmp(const void *pa, const void *pb) {
  const bar_group_t *a = pa, *b = pb;
  if (a->total != b->total)
    return a->total > b->total ? -1 : 1;
  return a->first < b->first ? -1 : a->first > b->first;
}

static void bar_axes(rt_review_buf_t *b, int max_total, int top, int bottom,
                     const char *axis_label, const char *key_label) {
  double step = rt_review_svg_nice_step(max_total > 0 ? max_total : 1);
  if (step < 1)
    step = 1; /* counts: whole ticks only */
  double scale = (double)BAR_CHART_W / (max_total > 0 ? max_total : 1);
  for (double t = 0; t <= max_total + 1e-9; t += step) {
    double x = BAR_LABEL_W + t * scale;
    rt_review_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                         "stroke=\"#dddddd\"/><text x=\"%.1f\" y=\"%d\" "
                         "text-anchor=\"middle\" font-size=\"11\">",
                         x, top, x, bottom, x, bottom + 14);
    rt_review_svg_put_number(b, t);
    rt_review_buf_puts(b, "</text>");
  }
  rt_review_buf_printf(b,
                       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                       "stroke=\"#333333\"/><line x1=\"%d\" y1=\"%d\" "
                       "x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n",
                       BAR_LABEL_W, top, BAR_LABEL_W, bottom, BAR_LABEL_W,
                       bottom, BAR_LABEL_W + BAR_CHART_W, bottom);
  rt_review_buf_printf(b,
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                       "font-size=\"12\">",
                       BAR_LABEL_W + BAR_CHART_W / 2, bottom + 32);
  rt_review_put_html(b, axis_label);
  rt_review_buf_printf(b,
                       "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                       "font-size=\"12\" font-weight=\"bold\">",
                       BAR_LABEL_W - 6, top - 4);
  rt_review_put_html(b, key_label);
  rt_review_buf_puts(b, "</text>\n");
}

static void bar_row(rt_review_buf_t *b, const rt_review_model_t *m,
                    Rectrack__V1__StatusCount *const *counts,
                    const bar_group_t *g, int y, double scale,
                    rt_review_key_kind_t keys) {
  char text[600];
  const char *label =
      rt_review_key_label(m, keys, counts[g->first]->key, text, sizeof text);
  rt_review_buf_printf(
      b,
      "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
      "font-size=\"12\" style=\"unicode-bidi:isolate\"><title>",
      BAR_LABEL_W - 6, y + 13);
  rt_review_put_html(b, label);
  rt_review_buf_puts(b, "</title>");
  rt_review_put_html_short(b, label, 34);
  rt_review_buf_puts(b, "</text>");
  double x = BAR_LABEL_W;
  for (size_t j = g->first; j < g->end; j++) {
    const Rectrack__V1__StatusCount *c = counts[j];
    double w = c->count * scale;
    rt_review_buf_printf(b,
                         "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                         "height=\"%d\" fill=\"%s\" stroke=\"#ffffff\" "
                         "stroke-width=\"0.5\"><title>",
                         x, y, w, BAR_H, rt_review_status_colour(c->status));
    rt_review_put_html(b, label);
    rt_review_buf_printf(b, ": %s %d</title></rect>",
                         rt_review_status_label(c->status), c->count);
    x += w;
  }
  rt_review_buf_printf(b,
                       "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%d</text>\n",
                       x + 4, y + 13, g->total);
}

/* The bars, most items first when there are more than max_bars (the rest
 * are summed up in a note); in key order otherwise. */
static bar_group_t *bar_groups(Rectrack__V1__StatusCount *const *counts,
                               size_t count, size_t max_bars, size_t *n) {
  bar_group_t *groups = malloc((count ? count : 1) * sizeof *groups);
  *n = 0;
  if (groups == NULL)
    return NULL;
  for (size_t i = 0; i < count; (*n)++) {
    bar_group_t *g = &groups[*n];
    g->first = i;
    g->end = group_end(counts, count, i, &g->total);
    i = g->end;
  }
  if (*n > max_bars)
    qsort(groups, *n, sizeof *groups, group_cmp);
  return groups;
}

void rt_review_svg_status_bars(rt_review_buf_t *b, const rt_review_model_t *m,
                               Rectrack__V1__StatusCount *const *counts,
                               size_t count, size_t max_bars, const char *title,
                               const char *axis_label, const char *key_label,
                               rt_review_key_kind_t keys) {
  size_t n = 0;
  bar_group_t *groups = bar_groups(counts, count, max_bars, &n);
  if (groups == NULL) {
    b->failed = true;
    return;
  }
  size_t shown = n < max_bars ? n : max_bars;
  int max_total = 0, rest_items = 0;
  for (size_t i = 0; i < n; i++) {
    if (i < shown && groups[i].total > max_total)
      max_total = groups[i].total;
    if (i >= shown)
      rest_items += groups[i].total;
  }
  int width = BAR_LABEL_W + BAR_CHART_W + 50;
  int top = status_legend(NULL, 8, 20, width) + 26;
  int bottom = top + (int)shown * (BAR_H + BAR_GAP);
  rt_review_svg_open(b, width, bottom + 44, title, false);
  status_legend(b, 8, 20, width);
  rt_review_buf_puts(b, "\n");
  bar_axes(b, max_total, top, bottom, axis_label, key_label);
  double scale = (double)BAR_CHART_W / (max_total > 0 ? max_total : 1);
  for (size_t i = 0; i < shown; i++)
    bar_row(b, m, counts, &groups[i],
            top + (int)i * (BAR_H + BAR_GAP) + BAR_GAP / 2, scale, keys);
  free(groups);
  if (n > shown) {
    char note[480];
    snprintf(note, sizeof note,
             "%s The %zu with the most items are shown; the other %zu "
             "account for %d (all of them are in the XLSX and Markdown "
             "exports).",
             title, shown, n - shown, rest_items);
    rt_review_svg_close(b, note);
  } else {
    rt_review_svg_close(b, NULL);
  }
}

/* ---- indicator line chart ---- */

#define LINE_W 560
#define LINE_H 290
#define LINE_L 64
#define LINE_R 20
#define LINE_T 22
#define LINE_B 70

typedef struct frame {
  long day0, day1;
  double v0, v1, step;
} frame_t;

static double fx(const frame_t *f, long day) {
  return LINE_L + (double)(day - f->day0) / (double)(f->day1 - f->day0) *
                      (LINE_W - LINE_L - LINE_R);
}

static double fy(const frame_t *f, double v) {
  return LINE_H - LINE_B -
         (v - f->v0) / (f->v1 - f->v0) * (LINE_H - LINE_T - LINE_B);
}

static void frame_add(frame_t *f, bool *any, long day, double v) {
  if (!*any) {
    *f = (frame_t){day, day, v, v, 0};
    *any = true;
    return;
  }
  f->day0 = day < f->day0 ? day : f->day0;
  f->day1 = day > f->day1 ? day : f->day1;
  f->v0 = v < f->v0 ? v : f->v0;
  f->v1 = v > f->v1 ? v : f->v1;
}

/* Rounds the value range out to whole ticks of a 1-2-5 step, keeping 0 as
 * the floor of a range that has no negative values. */
static void frame_ticks(frame_t *f) {
  bool non_negative = f->v0 >= 0;
  double range = f->v1 - f->v0;
  if (range <= 0)
    range = fabs(f->v0) > 0 ? fabs(f->v0) * 0.5 : 1;
  f->step = rt_review_svg_nice_step(range);
  double lo = floor(f->v0 / f->step) * f->step;
  double hi = ceil(f->v1 / f->step) * f->step;
  if (lo == f->v0 && !(non_negative && lo == 0))
    lo -= f->step;
  if (hi == f->v1)
    hi += f->step;
  if (non_negative && lo < 0)
    lo = 0;
  f->v0 = lo;
  f->v1 = hi;
}

static bool build_frame(const rt_review_item_t *it, const rt_review_model_t *m,
                        frame_t *f) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  bool any = false;
  long day;
  if (rt_date_to_days(ind->baseline_date, &day) == 0)
    frame_add(f, &any, day, ind->baseline_value);
  if (rt_date_to_days(ind->target_date, &day) == 0)
    frame_add(f, &any, day, ind->target_value);
  for (size_t k = 0; k < it->meas_count; k++) {
    const Rectrack__V1__Measurement *x = m->measurements[it->meas_first + k];
    if (rt_date_to_days(x->as_of, &day) == 0)
      frame_add(f, &any, day, x->value);
  }
  if (!any)
    return false;
  long span = f->day1 - f->day0;
  f->day0 -= span / 40 + 1; /* room for the markers at the ends */
  f->day1 += span / 40 + 1;
  frame_ticks(f);
  return true;
}

/* Ticks on 1 January of every year (every 2nd, 5th... when many). */
static void x_ticks(rt_review_buf_t *b, const frame_t *f, int bottom) {
  char date[11];
  rt_date_from_days(f->day0, date);
  int first = atoi(date) + 1;
  rt_date_from_days(f->day1, date);
  int last = atoi(date);
  int every = last - first > 16 ? 5 : last - first > 7 ? 2 : 1;
  for (int year = first; year <= last; year++) {
    char jan1[24];
    long day;
    snprintf(jan1, sizeof jan1, "%04d-01-01", year);
    if (year % every != 0 || rt_date_to_days(jan1, &day) != 0)
      continue;
    double x = fx(f, day);
    rt_review_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                         "stroke=\"#eeeeee\"/><text x=\"%.1f\" y=\"%d\" "
                         "text-anchor=\"middle\" font-size=\"11\">%d</text>",
                         x, LINE_T, x, bottom + 4, x, bottom + 16, year);
  }
  if (first > last) { /* less than a year: the two ends */
    rt_date_from_days(f->day0, date);
    rt_review_buf_printf(b,
                         "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
                         LINE_L, bottom + 16, date);
    rt_date_from_days(f->day1, date);
    rt_review_buf_printf(b,
                         "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                         "font-size=\"11\">%s</text>",
                         LINE_W - LINE_R, bottom + 16, date);
  }
}

static void line_axes(rt_review_buf_t *b, const frame_t *f, const char *unit) {
  int bottom = LINE_H - LINE_B, right = LINE_W - LINE_R;
  for (double v = f->v0; v <= f->v1 + f->step / 2; v += f->step) {
    rt_review_buf_printf(b,
                         "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                         "stroke=\"#e5e5e5\"/><text x=\"%d\" y=\"%.1f\" "
                         "text-anchor=\"end\" font-size=\"11\">",
                         LINE_L, fy(f, v), right, fy(f, v), LINE_L - 6,
                         fy(f, v) + 4);
    rt_review_svg_put_number(b, v);
    rt_review_buf_puts(b, "</text>");
  }
  x_ticks(b, f, bottom);
  rt_review_buf_printf(b,
                       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                       "stroke=\"#333333\"/><line x1=\"%d\" y1=\"%d\" "
                       "x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n",
                       LINE_L, LINE_T, LINE_L, bottom, LINE_L, bottom, right,
                       bottom);
  rt_review_buf_printf(b,
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                       "font-size=\"12\">Year</text><text x=\"14\" y=\"%d\" "
                       "font-size=\"12\" text-anchor=\"middle\" "
                       "transform=\"rotate(-90 14 %d)\" "
                       "style=\"unicode-bidi:isolate\">",
                       (LINE_L + right) / 2, bottom + 32, (LINE_T + bottom) / 2,
                       (LINE_T + bottom) / 2);
  rt_review_put_html_short(b, unit && unit[0] ? unit : "Value", 30);
  rt_review_buf_puts(b, "</text>\n");
}

/* A dotted vertical line at the review's as_of date, if inside. */
static void line_as_of(rt_review_buf_t *b, const frame_t *f,
                       const rt_review_model_t *m) {
  if (m->as_of_days <= f->day0 || m->as_of_days >= f->day1)
    return;
  double x = fx(f, m->as_of_days);
  rt_review_buf_printf(b,
                       "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                       "stroke=\"#666666\" stroke-dasharray=\"2 3\"/><text "
                       "x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" "
                       "font-size=\"10\" fill=\"#444444\">as of %s</text>\n",
                       x, LINE_T + 4, x, LINE_H - LINE_B, x, LINE_T,
                       x > LINE_W - LINE_R - 40 ? "end" : "middle", m->as_of);
}

/* The dashed straight path from baseline to target, and the target. */
static void line_path(rt_review_buf_t *b, const frame_t *f,
                      const Rectrack__V1__Indicator *ind) {
  long d0, d1;
  bool has_base = rt_date_to_days(ind->baseline_date, &d0) == 0;
  if (rt_date_to_days(ind->target_date, &d1) != 0)
    return;
  if (has_base)
    rt_review_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\" stroke=\"#0072B2\" stroke-width=\"2\" "
                         "stroke-dasharray=\"7 4\"><title>Straight path from "
                         "baseline to target</title></line><circle "
                         "cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#ffffff\" "
                         "stroke=\"#0072B2\" stroke-width=\"2\"><title>"
                         "Baseline %s: ",
                         fx(f, d0), fy(f, ind->baseline_value), fx(f, d1),
                         fy(f, ind->target_value), fx(f, d0),
                         fy(f, ind->baseline_value), ind->baseline_date);
  if (has_base) {
    rt_review_svg_put_number(b, ind->baseline_value);
    rt_review_buf_puts(b, "</title></circle>\n");
  }
  double x = fx(f, d1), y = fy(f, ind->target_value);
  /* The label goes on the side of the marker away from the path: below
   * it when the path comes down to the target, and near the top edge. */
  bool label_below =
      y < LINE_T + 30 || (has_base && ind->baseline_value > ind->target_value &&
                          y < LINE_H - LINE_B - 30);
  rt_review_buf_printf(b,
                       "<path d=\"M%.1f %.1fl7 7-7 7-7-7z\" fill=\"#0072B2\">"
                       "<title>Target %s: ",
                       x, y - 7, ind->target_date);
  rt_review_svg_put_number(b, ind->target_value);
  rt_review_buf_printf(b,
                       "</title></path><text x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"end\" font-size=\"12\" "
                       "font-weight=\"bold\" fill=\"#0072B2\">target ",
                       x - 10, label_below ? y + 22 : y - 10);
  rt_review_svg_put_number(b, ind->target_value);
  rt_review_buf_puts(b, "</text>\n");
}

static void line_series(rt_review_buf_t *b, const frame_t *f,
                        const rt_review_item_t *it,
                        const rt_review_model_t *m) {
  if (it->meas_count == 0)
    return;
  rt_review_buf_puts(b, "<polyline fill=\"none\" stroke=\"#D55E00\" "
                        "stroke-width=\"2.5\" points=\"");
  double x = 0, y = 0;
  for (size_t k = 0; k < it->meas_count; k++) {
    const Rectrack__V1__Measurement *v = m->measurements[it->meas_first + k];
    long day = 0;
    rt_date_to_days(v->as_of, &day);
    x = fx(f, day);
    y = fy(f, v->value);
    rt_review_buf_printf(b, "%s%.1f,%.1f", k ? " " : "", x, y);
  }
  rt_review_buf_puts(b, "\"/>\n");
  for (size_t k = 0; k < it->meas_count; k++) {
    const Rectrack__V1__Measurement *v = m->measurements[it->meas_first + k];
    long day = 0;
    rt_date_to_days(v->as_of, &day);
    rt_review_buf_printf(b,
                         "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                         "fill=\"#D55E00\"><title>",
                         fx(f, day), fy(f, v->value));
    rt_review_put_html(b, v->as_of);
    rt_review_buf_puts(b, ": ");
    rt_review_svg_put_number(b, v->value);
    rt_review_buf_puts(b, "</title></circle>");
  }
  const Rectrack__V1__Measurement *last =
      m->measurements[it->meas_first + it->meas_count - 1];
  /* The latest value is written beside its point, below it when the
   * target's label (left of and above the target) would be in the way. */
  long target_day;
  double label_y = y - 8;
  if (rt_date_to_days(it->com->indicator->target_date, &target_day) == 0) {
    double tx = fx(f, target_day), ty = fy(f, it->com->indicator->target_value);
    if (fabs(tx - x) < 110 && fabs(ty - y) < 30)
      label_y = y + 18;
  }
  rt_review_buf_printf(b,
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                       "font-weight=\"bold\" fill=\"#A33B00\" "
                       "text-anchor=\"%s\">",
                       x > LINE_W - 120 ? x - 8 : x + 8, label_y,
                       x > LINE_W - 120 ? "end" : "start");
  rt_review_svg_put_number(b, last->value);
  rt_review_buf_puts(b, "</text>\n");
}

static void line_legend(rt_review_buf_t *b) {
  int y = LINE_H - 12, x = LINE_L;
  rt_review_buf_printf(
      b,
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#D55E00\" "
      "stroke-width=\"2.5\"/><circle cx=\"%d\" cy=\"%d\" r=\"4\" "
      "fill=\"#D55E00\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">"
      "Measured</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
      "stroke=\"#0072B2\" stroke-width=\"2\" stroke-dasharray=\"7 4\"/>"
      "<text x=\"%d\" y=\"%d\" font-size=\"11\">Straight path from "
      "baseline to target</text><path d=\"M%d %dl6 6-6 6-6-6z\" "
      "fill=\"#0072B2\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">"
      "Target</text>\n",
      x, y - 4, x + 26, y - 4, x + 13, y - 4, x + 32, y, x + 100, y - 4,
      x + 128, y - 4, x + 134, y, x + 330, y - 10, x + 340, y);
}

void rt_review_svg_indicator(rt_review_buf_t *b, rt_review_buf_t *scratch,
                             const rt_review_item_t *it,
                             const rt_review_model_t *m) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  frame_t f = {0};
  rt_review_buf_reset(scratch);
  rt_review_buf_puts(scratch, it->id);
  rt_review_buf_puts(scratch, ": ");
  rt_review_buf_puts(scratch, ind->name[0] ? ind->name : it->title);
  if (ind->unit[0]) {
    rt_review_buf_puts(scratch, " (");
    rt_review_buf_puts(scratch, ind->unit);
    rt_review_buf_puts(scratch, ")");
  }
  const char *title = rt_review_buf_str(scratch);
  rt_review_svg_open(b, LINE_W, LINE_H, title, false);
  if (isfinite(ind->baseline_value) && isfinite(ind->target_value) &&
      build_frame(it, m, &f)) {
    line_axes(b, &f, ind->unit);
    line_as_of(b, &f, m);
    line_path(b, &f, ind);
    line_series(b, &f, it, m);
    line_legend(b);
  }
  rt_review_svg_close(b, NULL);
}
