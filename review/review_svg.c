/*
 * The charts of the HTML review, drawn here as inline SVG so that the file
 * needs nothing outside itself: a stacked bar chart of status counts per
 * key (theme or actor), and for each quantified commitment a line chart of
 * its measurements against the straight path from baseline to target.
 * Every piece of user text goes through the HTML escaper, including the
 * <title> tooltips, and text elements are bidi-isolated so that a
 * right-to-left theme or actor name cannot reorder the labels around it.
 */
#include "review_internal.h"

#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BAR_LABEL_W 190
#define BAR_CHART_W 520
#define BAR_H 18
#define BAR_GAP 8
#define BAR_TOP 44

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
static double nice_step(double range) {
  double raw = range / 5.0, power = pow(10.0, floor(log10(raw)));
  double m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

static void put_number(rt_review_buf_t *b, double v) {
  char text[32];
  rt_review_format_number(fabs(v) < 1e-12 ? 0 : v, text);
  rt_review_buf_puts(b, text);
}

/* Opens a chart: an accessible <title> with the whole title and a
 * visible heading cut to fit the width. */
static void svg_open(rt_review_buf_t *b, int width, int height,
                     const char *title) {
  rt_review_buf_printf(b,
                       "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" "
                       "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                       "role=\"img\" font-family=\"sans-serif\"><title>",
                       width, height, width, height);
  rt_review_put_html(b, title);
  rt_review_buf_printf(b,
                       "</title><text x=\"%d\" y=\"22\" text-anchor=\"middle\" "
                       "font-size=\"15\" font-weight=\"bold\" "
                       "style=\"unicode-bidi:isolate\">",
                       width / 2);
  rt_review_put_html_short(b, title, (size_t)width / 9);
  rt_review_buf_puts(b, "</text>\n");
}

static void svg_close(rt_review_buf_t *b, const char *caption) {
  rt_review_buf_puts(b, "</svg><figcaption dir=\"auto\">");
  rt_review_put_html(b, caption);
  rt_review_buf_puts(b, "</figcaption></figure>\n");
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

static void bar_axes(rt_review_buf_t *b, int max_total, int bottom,
                     const char *axis_label, const char *key_label) {
  double step = nice_step(max_total > 0 ? max_total : 1);
  if (step < 1)
    step = 1; /* counts: whole ticks only */
  double scale = (double)BAR_CHART_W / (max_total > 0 ? max_total : 1);
  for (double t = 0; t <= max_total + 1e-9; t += step) {
    double x = BAR_LABEL_W + t * scale;
    rt_review_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                         "stroke=\"#dddddd\"/><text x=\"%.1f\" y=\"%d\" "
                         "text-anchor=\"middle\" font-size=\"11\">",
                         x, BAR_TOP - 4, x, bottom, x, bottom + 14);
    put_number(b, t);
    rt_review_buf_puts(b, "</text>");
  }
  rt_review_buf_printf(b,
                       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                       "stroke=\"#333333\"/><line x1=\"%d\" y1=\"%d\" "
                       "x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n",
                       BAR_LABEL_W, BAR_TOP - 4, BAR_LABEL_W, bottom,
                       BAR_LABEL_W, bottom, BAR_LABEL_W + BAR_CHART_W, bottom);
  rt_review_buf_printf(b,
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                       "font-size=\"12\">",
                       BAR_LABEL_W + BAR_CHART_W / 2, bottom + 32);
  rt_review_put_html(b, axis_label);
  rt_review_buf_printf(b,
                       "</text><text x=\"12\" y=\"%d\" font-size=\"12\" "
                       "font-weight=\"bold\">",
                       BAR_TOP - 8);
  rt_review_put_html(b, key_label);
  rt_review_buf_puts(b, "</text>\n");
}

static void bar_row(rt_review_buf_t *b, const rt_review_model_t *m,
                    Rectrack__V1__StatusCount *const *counts, size_t first,
                    size_t end, int y, double scale, bool keys_are_actors) {
  const char *key = counts[first]->key;
  const char *label = key[0] ? key : "(none)";
  if (keys_are_actors)
    label = rt_review_actor_name(m, key);
  rt_review_buf_printf(b,
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                       "font-size=\"12\" style=\"unicode-bidi:isolate\">",
                       BAR_LABEL_W - 6, y + 13);
  rt_review_put_html_short(b, label, 28);
  rt_review_buf_puts(b, "</text>");
  double x = BAR_LABEL_W;
  int total = 0;
  for (size_t j = first; j < end; j++) {
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
    total += c->count;
  }
  rt_review_buf_printf(b,
                       "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%d</text>\n",
                       x + 4, y + 13, total);
}

void rt_review_svg_status_bars(rt_review_buf_t *b, const rt_review_model_t *m,
                               Rectrack__V1__StatusCount *const *counts,
                               size_t count, const char *title,
                               const char *axis_label, const char *key_label,
                               bool keys_are_actors) {
  size_t groups = 0;
  int max_total = 0, total;
  for (size_t i = 0; i < count; i = group_end(counts, count, i, &total)) {
    group_end(counts, count, i, &total);
    groups++;
    if (total > max_total)
      max_total = total;
  }
  int bottom = BAR_TOP + (int)groups * (BAR_H + BAR_GAP);
  int width = BAR_LABEL_W + BAR_CHART_W + 50;
  svg_open(b, width, bottom + 44, title);
  bar_axes(b, max_total, bottom, axis_label, key_label);
  double scale = (double)BAR_CHART_W / (max_total > 0 ? max_total : 1);
  size_t row = 0;
  for (size_t i = 0, end; i < count; i = end, row++) {
    end = group_end(counts, count, i, &total);
    bar_row(b, m, counts, i, end,
            BAR_TOP + (int)row * (BAR_H + BAR_GAP) + BAR_GAP / 2, scale,
            keys_are_actors);
  }
  svg_close(b, title);
}

/* ---- indicator line chart ---- */

#define LINE_W 640
#define LINE_H 300
#define LINE_L 72
#define LINE_R 24
#define LINE_T 44
#define LINE_B 64

typedef struct frame {
  long day0, day1;
  double v0, v1;
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
    *f = (frame_t){day, day, v, v};
    *any = true;
    return;
  }
  f->day0 = day < f->day0 ? day : f->day0;
  f->day1 = day > f->day1 ? day : f->day1;
  f->v0 = v < f->v0 ? v : f->v0;
  f->v1 = v > f->v1 ? v : f->v1;
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
  if (f->day1 == f->day0)
    f->day1 = f->day0 + 1;
  double pad = (f->v1 - f->v0) * 0.08;
  if (pad <= 0)
    pad = fabs(f->v0) > 0 ? fabs(f->v0) * 0.1 : 1;
  f->v0 -= pad;
  f->v1 += pad;
  return true;
}

static void line_axes(rt_review_buf_t *b, const frame_t *f, const char *unit) {
  int bottom = LINE_H - LINE_B, right = LINE_W - LINE_R;
  rt_review_buf_printf(b,
                       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                       "stroke=\"#333333\"/><line x1=\"%d\" y1=\"%d\" "
                       "x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n",
                       LINE_L, LINE_T, LINE_L, bottom, LINE_L, bottom, right,
                       bottom);
  for (int i = 0; i <= 4; i++) {
    double v = f->v0 + (f->v1 - f->v0) * i / 4.0;
    rt_review_buf_printf(b,
                         "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                         "stroke=\"#e5e5e5\"/><text x=\"%d\" y=\"%.1f\" "
                         "text-anchor=\"end\" font-size=\"11\">",
                         LINE_L, fy(f, v), right, fy(f, v), LINE_L - 6,
                         fy(f, v) + 4);
    char text[32];
    snprintf(text, sizeof text, "%.3g", fabs(v) < 1e-12 ? 0 : v);
    rt_review_buf_puts(b, text);
    rt_review_buf_puts(b, "</text>");
  }
  for (int i = 0; i <= 2; i++) {
    long day = f->day0 + (f->day1 - f->day0) * i / 2;
    char date[11];
    rt_date_from_days(day, date);
    rt_review_buf_printf(b,
                         "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                         "font-size=\"11\">%s</text>",
                         fx(f, day), bottom + 16, date);
  }
  rt_review_buf_printf(b,
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                       "font-size=\"12\">Date</text><text x=\"14\" y=\"%d\" "
                       "font-size=\"12\" text-anchor=\"middle\" "
                       "transform=\"rotate(-90 14 %d)\" "
                       "style=\"unicode-bidi:isolate\">",
                       (LINE_L + right) / 2, bottom + 34, (LINE_T + bottom) / 2,
                       (LINE_T + bottom) / 2);
  rt_review_put_html_short(b, unit && unit[0] ? unit : "Value", 30);
  rt_review_buf_puts(b, "</text>\n");
}

static void line_path(rt_review_buf_t *b, const frame_t *f,
                      const Rectrack__V1__Indicator *ind) {
  long d0, d1;
  if (rt_date_to_days(ind->baseline_date, &d0) != 0 ||
      rt_date_to_days(ind->target_date, &d1) != 0)
    return;
  rt_review_buf_printf(b,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#0072B2\" stroke-width=\"2\" "
                       "stroke-dasharray=\"6 4\"><title>Straight path from "
                       "baseline to target</title></line>\n",
                       fx(f, d0), fy(f, ind->baseline_value), fx(f, d1),
                       fy(f, ind->target_value));
}

static void line_series(rt_review_buf_t *b, const frame_t *f,
                        const rt_review_item_t *it,
                        const rt_review_model_t *m) {
  if (it->meas_count == 0)
    return;
  rt_review_buf_puts(b, "<polyline fill=\"none\" stroke=\"#D55E00\" "
                        "stroke-width=\"2\" points=\"");
  for (size_t k = 0; k < it->meas_count; k++) {
    const Rectrack__V1__Measurement *x = m->measurements[it->meas_first + k];
    long day = 0;
    rt_date_to_days(x->as_of, &day);
    rt_review_buf_printf(b, "%s%.1f,%.1f", k ? " " : "", fx(f, day),
                         fy(f, x->value));
  }
  rt_review_buf_puts(b, "\"/>\n");
  for (size_t k = 0; k < it->meas_count; k++) {
    const Rectrack__V1__Measurement *x = m->measurements[it->meas_first + k];
    long day = 0;
    rt_date_to_days(x->as_of, &day);
    rt_review_buf_printf(b,
                         "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
                         "fill=\"#D55E00\"><title>%s: ",
                         fx(f, day), fy(f, x->value), x->as_of);
    put_number(b, x->value);
    rt_review_buf_puts(b, "</title></circle>");
  }
  rt_review_buf_puts(b, "\n");
}

static void line_legend(rt_review_buf_t *b) {
  int y = LINE_H - 14;
  rt_review_buf_printf(
      b,
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#D55E00\" "
      "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">"
      "Measured</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
      "stroke=\"#0072B2\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
      "<text x=\"%d\" y=\"%d\" font-size=\"11\">Straight path from "
      "baseline to target</text>\n",
      LINE_L, y - 4, LINE_L + 24, y - 4, LINE_L + 30, y, LINE_L + 110, y - 4,
      LINE_L + 134, y - 4, LINE_L + 140, y);
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
  svg_open(b, LINE_W, LINE_H, title);
  if (build_frame(it, m, &f)) {
    line_axes(b, &f, ind->unit);
    line_path(b, &f, ind);
    line_series(b, &f, it, m);
    line_legend(b);
  }
  svg_close(b, title);
}
