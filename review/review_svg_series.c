/*
 * The charts of a commitment's disaggregated series in the HTML review,
 * as inline SVG like the other charts (review_svg.c): each series' values
 * over time against the indicator's straight path from baseline to target
 * (the line its trajectory is judged by) and the per-series ceiling. Up
 * to RT_REVIEW_SERIES_APART series get a chart each; more are drawn as
 * small multiples, one grid of small panels on the same scales so that
 * the series compare at a glance. A series beyond the ceiling has its
 * panel title in bold with "above the ceiling" ("below the floor" for an
 * indicator that increases). Every piece of user text
 * (series names, indicator name, unit) goes through the HTML escaper.
 */
#include "review_series.h"

#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BIG_W 560
#define BIG_H 250
#define SMALL_COLS 4
#define SMALL_W 210
#define SMALL_H 130
#define MEASURED "#D55E00"
#define PATH "#0072B2"
#define CEILING "#000000"

/* Where a panel is and what range it shows. */
typedef struct panel {
  double x, y, w, h; /* the plot area */
  long day0, day1;
  double v0, v1, step;
} panel_t;

static double px(const panel_t *p, long day) {
  return p->x + p->w * (double)(day - p->day0) / (double)(p->day1 - p->day0);
}

static double py(const panel_t *p, double v) {
  return p->y + p->h - p->h * (v - p->v0) / (p->v1 - p->v0);
}

static void widen(panel_t *p, bool *any, long day, double v) {
  if (!isfinite(v))
    return;
  if (!*any) {
    p->day0 = p->day1 = day;
    p->v0 = p->v1 = v;
    *any = true;
    return;
  }
  p->day0 = day < p->day0 ? day : p->day0;
  p->day1 = day > p->day1 ? day : p->day1;
  p->v0 = v < p->v0 ? v : p->v0;
  p->v1 = v > p->v1 ? v : p->v1;
}

/* The range of series [first, first + n) of m: their measurements, the
 * ceiling and the path over those dates, rounded out to whole ticks. */
static bool frame_of(const rt_review_model_t *m, const rt_review_item_t *it,
                     size_t first, size_t n, panel_t *p) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  bool any = false;
  for (size_t i = first; i < first + n; i++) {
    const rt_review_series_t *s = &m->series[i];
    for (size_t k = s->meas_first; k < s->meas_first + s->meas_count; k++) {
      long day;
      if (rt_date_to_days(m->series_measurements[k]->as_of, &day) == 0)
        widen(p, &any, day, m->series_measurements[k]->value);
    }
  }
  if (!any)
    return false;
  if (p->day1 - p->day0 < 60) { /* one date: half a year either side */
    p->day0 -= 182;
    p->day1 += 182;
  }
  long span = p->day1 - p->day0;
  p->day0 -= span / 20;
  p->day1 += span / 20;
  if (ind->series_ceiling != NULL)
    widen(p, &any, p->day0, ind->series_ceiling->value);
  if (isfinite(ind->baseline_value) && isfinite(ind->target_value)) {
    widen(p, &any, p->day0, rt_review_expected_value(ind, p->day0));
    widen(p, &any, p->day1, rt_review_expected_value(ind, p->day1));
  }
  double range = p->v1 - p->v0;
  if (range <= 0)
    range = fabs(p->v0) > 0 ? fabs(p->v0) * 0.5 : 1;
  p->step = rt_review_svg_nice_step(range);
  bool non_negative = p->v0 >= 0;
  p->v0 = floor(p->v0 / p->step) * p->step;
  p->v1 = ceil(p->v1 / p->step) * p->step;
  if (p->v1 - p->v0 < p->step / 2)
    p->v1 += p->step;
  if (non_negative && p->v0 < 0)
    p->v0 = 0;
  return true;
}

/* The value ticks (all of them when detailed, else the two ends), the
 * frame and the first and last date. */
static void draw_axes(rt_review_buf_t *b, const panel_t *p, bool detailed) {
  double step = detailed ? p->step : p->v1 - p->v0;
  for (double v = p->v0; v <= p->v1 + step / 2; v += step) {
    rt_review_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\" stroke=\"#e5e5e5\"/><text x=\"%.1f\" "
                         "y=\"%.1f\" text-anchor=\"end\" font-size=\"%d\">",
                         p->x, py(p, v), p->x + p->w, py(p, v), p->x - 4,
                         py(p, v) + 4, detailed ? 11 : 9);
    rt_review_svg_put_number(b, v);
    rt_review_buf_puts(b, "</text>");
  }
  char d0[11], d1[11];
  rt_date_from_days(p->day0, d0);
  rt_date_from_days(p->day1, d1);
  rt_review_buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"none\" stroke=\"#999999\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\">%s</text>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                       "font-size=\"%d\">%s</text>\n",
                       p->x, p->y, p->w, p->h, p->x, p->y + p->h + 13,
                       detailed ? 11 : 9, d0, p->x + p->w, p->y + p->h + 13,
                       detailed ? 11 : 9, d1);
}

/* The straight path over the panel's dates (with its bends where the
 * baseline or target date falls inside) and the ceiling. */
static void draw_bounds(rt_review_buf_t *b, const panel_t *p,
                        const Rectrack__V1__Indicator *ind) {
  if (isfinite(ind->baseline_value) && isfinite(ind->target_value)) {
    long days[4] = {p->day0, 0, 0, p->day1}, base = 0, target = 0;
    size_t n = 1;
    if (rt_date_to_days(ind->baseline_date, &base) == 0 && base > p->day0 &&
        base < p->day1)
      days[n++] = base;
    if (rt_date_to_days(ind->target_date, &target) == 0 && target > p->day0 &&
        target < p->day1 && (n == 1 || target > base))
      days[n++] = target;
    days[n++] = p->day1;
    rt_review_buf_puts(b, "<polyline fill=\"none\" stroke=\"" PATH
                          "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" "
                          "points=\"");
    for (size_t i = 0; i < n; i++)
      rt_review_buf_printf(b, "%s%.1f,%.1f", i ? " " : "", px(p, days[i]),
                           py(p, rt_review_expected_value(ind, days[i])));
    rt_review_buf_puts(b, "\"><title>Straight path from baseline to "
                          "target</title></polyline>");
  }
  if (ind->series_ceiling != NULL) {
    double y = py(p, ind->series_ceiling->value);
    rt_review_buf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\" stroke=\"" CEILING "\" "
                         "stroke-width=\"1.5\"><title>%s ",
                         p->x, y, p->x + p->w, y,
                         rt_review_indicator_decreases(ind) ? "Ceiling"
                                                            : "Floor");
    rt_review_svg_put_number(b, ind->series_ceiling->value);
    /* Its value at the right end, where no value tick is. */
    rt_review_buf_printf(b,
                         "</title></line><text x=\"%.1f\" y=\"%.1f\" "
                         "font-size=\"9\">",
                         p->x + p->w + 2, y + 3);
    rt_review_svg_put_number(b, ind->series_ceiling->value);
    rt_review_buf_puts(b, "</text>\n");
  }
}

/* One series' values: the line, a point per measurement (with its date
 * and value as a tooltip) and the latest value written beside it. */
static void draw_values(rt_review_buf_t *b, const panel_t *p,
                        const rt_review_model_t *m, const rt_review_series_t *s,
                        bool detailed) {
  rt_review_buf_puts(b, "<polyline fill=\"none\" stroke=\"" MEASURED
                        "\" stroke-width=\"2\" points=\"");
  double x = 0, y = 0;
  for (size_t k = 0; k < s->meas_count; k++) {
    const Rectrack__V1__Measurement *v =
        m->series_measurements[s->meas_first + k];
    long day = 0;
    rt_date_to_days(v->as_of, &day);
    x = px(p, day);
    y = py(p, v->value);
    rt_review_buf_printf(b, "%s%.1f,%.1f", k ? " " : "", x, y);
  }
  rt_review_buf_puts(b, "\"/>");
  for (size_t k = 0; k < s->meas_count; k++) {
    const Rectrack__V1__Measurement *v =
        m->series_measurements[s->meas_first + k];
    long day = 0;
    rt_date_to_days(v->as_of, &day);
    rt_review_buf_printf(b,
                         "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" "
                         "fill=\"" MEASURED "\"><title>",
                         px(p, day), py(p, v->value), detailed ? 4 : 3);
    rt_review_put_html(b, v->as_of);
    rt_review_buf_puts(b, ": ");
    rt_review_svg_put_number(b, v->value);
    rt_review_buf_puts(b, "</title></circle>");
  }
  bool right = x > p->x + p->w - 40;
  rt_review_buf_printf(b,
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" "
                       "font-weight=\"bold\" fill=\"#A33B00\" "
                       "text-anchor=\"%s\">",
                       right ? x - 6 : x + 6, y > p->y + 14 ? y - 6 : y + 14,
                       detailed ? 12 : 10, right ? "end" : "start");
  rt_review_svg_put_number(b, s->latest_value);
  rt_review_buf_puts(b, "</text>\n");
}

/* The panel's heading: the series, and whether it is beyond the ceiling
 * (above it, or below the floor of an indicator that increases). */
static void draw_heading(rt_review_buf_t *b, double x, double y,
                         const rt_review_series_t *s, size_t max_chars) {
  bool decreases = rt_review_indicator_decreases(s->item->com->indicator);
  rt_review_buf_printf(
      b,
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\"%s "
      "style=\"unicode-bidi:isolate\">",
      x, y,
      s->above_ceiling ? " font-weight=\"bold\" fill=\"" MEASURED "\"" : "");
  rt_review_put_html_short(b, s->label, max_chars);
  if (s->above_ceiling)
    rt_review_buf_puts(b,
                       decreases ? ": above the ceiling" : ": below the floor");
  rt_review_buf_puts(b, "</text>");
}

/* "C7: Remittance cost (per cent), by series" into scratch. */
static const char *chart_title(rt_review_buf_t *scratch,
                               const rt_review_item_t *it,
                               const rt_review_series_t *one) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  rt_review_buf_reset(scratch);
  rt_review_buf_printf(scratch, "%s: %s", it->id,
                       ind->name[0] ? ind->name : it->title);
  if (ind->unit[0])
    rt_review_buf_printf(scratch, " (%s)", ind->unit);
  if (one != NULL)
    rt_review_buf_printf(scratch, ", %s", one->label);
  else
    rt_review_buf_puts(scratch, ", by series");
  return rt_review_buf_str(scratch);
}

static void draw_legend(rt_review_buf_t *b, int x, int y, bool ceiling,
                        bool decreases) {
  rt_review_buf_printf(
      b,
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"" MEASURED
      "\" stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">"
      "Measured</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
      "stroke=\"" PATH "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
      "<text x=\"%d\" y=\"%d\" font-size=\"11\">Straight path to the "
      "target</text>",
      x, y - 4, x + 24, y - 4, x + 30, y, x + 100, y - 4, x + 124, y - 4,
      x + 130, y);
  if (ceiling)
    rt_review_buf_printf(b,
                         "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                         "stroke=\"" CEILING "\" stroke-width=\"1.5\"/>"
                         "<text x=\"%d\" y=\"%d\" font-size=\"11\">"
                         "Per-series %s</text>",
                         x + 300, y - 4, x + 324, y - 4, x + 330, y,
                         decreases ? "ceiling" : "floor");
  rt_review_buf_puts(b, "\n");
}

/* A chart of its own for series i. */
static void chart_one(rt_review_buf_t *b, rt_review_buf_t *scratch,
                      const rt_review_item_t *it, const rt_review_model_t *m,
                      size_t i) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  const rt_review_series_t *s = &m->series[i];
  panel_t p = {.x = 56, .y = 30, .w = BIG_W - 56 - 20, .h = BIG_H - 30 - 56};
  rt_review_svg_open(b, BIG_W, BIG_H, chart_title(scratch, it, s), false);
  draw_heading(b, 8, 18, s, 60);
  if (frame_of(m, it, i, 1, &p)) {
    draw_axes(b, &p, true);
    draw_bounds(b, &p, ind);
    draw_values(b, &p, m, s, true);
  }
  draw_legend(b, 56, BIG_H - 10, ind->series_ceiling != NULL,
              rt_review_indicator_decreases(ind));
  rt_review_svg_close(b, NULL);
}

/* Small multiples: every series of it in one grid on shared scales. */
static void chart_grid(rt_review_buf_t *b, rt_review_buf_t *scratch,
                       const rt_review_item_t *it, const rt_review_model_t *m) {
  const Rectrack__V1__Indicator *ind = it->com->indicator;
  size_t n = it->series_count;
  size_t rows = (n + SMALL_COLS - 1) / SMALL_COLS;
  int width = SMALL_COLS * SMALL_W, height = (int)rows * SMALL_H + 30;
  panel_t shared = {0};
  bool drawn = frame_of(m, it, it->series_first, n, &shared);
  rt_review_svg_open(b, width, height, chart_title(scratch, it, NULL), false);
  for (size_t k = 0; k < n && drawn; k++) {
    const rt_review_series_t *s = &m->series[it->series_first + k];
    panel_t p = shared;
    p.x = (double)(k % SMALL_COLS) * SMALL_W + 40;
    p.y = (double)(k / SMALL_COLS) * SMALL_H + 22;
    p.w = SMALL_W - 52;
    p.h = SMALL_H - 44;
    rt_review_buf_puts(b, "<g>");
    draw_heading(b, p.x - 32, p.y - 8, s, 22);
    draw_axes(b, &p, false);
    draw_bounds(b, &p, ind);
    draw_values(b, &p, m, s, false);
    rt_review_buf_puts(b, "</g>\n");
  }
  draw_legend(b, 40, height - 8, ind->series_ceiling != NULL,
              rt_review_indicator_decreases(ind));
  rt_review_svg_close(b, "Small multiples: every series on the same scales.");
}

void rt_review_svg_series(rt_review_buf_t *b, rt_review_buf_t *scratch,
                          const rt_review_item_t *it,
                          const rt_review_model_t *m) {
  if (it->series_count > RT_REVIEW_SERIES_APART) {
    chart_grid(b, scratch, it, m);
    return;
  }
  for (size_t i = 0; i < it->series_count; i++)
    chart_one(b, scratch, it, m, it->series_first + i);
}
