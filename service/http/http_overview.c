/*
 * http_overview: the pages built on the follow-up review (review/): the
 * overview (headline figures and the review's charts for the current
 * year), the indexes of SDG targets and GCM objectives with their counts,
 * the downloads page, and the downloads themselves, the review in every
 * export format streamed as the renderer produces it (as ExportReview
 * does over gRPC).
 *
 * The review reads the public view of the snapshot (service/review_source,
 * REVIEW_SOURCE_PUBLIC): published commitments, official reports only; so
 * no figure, chart or file can count what the public may not see. The
 * pages show the cached summary of their revision and period
 * (http_summary.c). A download takes the request's snapshot and holds it
 * until its document is complete; the streaming renderer (its first pass,
 * the figures, when the download starts; then one chunk per write of
 * libmicrohttpd's send buffer, on the listener's thread) reads the
 * records a subject at a time, so its memory is one subject's records and
 * one chunk whatever the data set. At most max_downloads run at once
 * (more are 429).
 */
#include "http_internal.h"

#include "review_source.h"

#include "rt_enum.h"
#include "rt_reference.h"
#include "rt_review.h"
#include "rt_validate.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_review_period(http_request_t *req, char from[11], char to[11]) {
  snprintf(to, 11, "%s", req->params.to ? req->params.to : req->today);
  if (req->params.from)
    snprintf(from, 11, "%s", req->params.from);
  else
    snprintf(from, 11, "%.4s-01-01", to);
  if (strcmp(from, to) > 0)
    return http_fail(req, RT_EINVAL, "from", "from: %s is after to (%s)", from,
                     to);
  return 0;
}

/* The summary of the request's period: from, to and *summary (free with
 * rt_review_summary_free). */
static int period_summary(http_request_t *req, char from[11], char to[11],
                          Rectrack__V1__ReviewSummary **summary) {
  *summary = NULL;
  int rc = http_review_period(req, from, to);
  return rc ? rc : http_review_summary(req, from, to, summary);
}

/* ---- the overview ------------------------------------------------------ */

static int count_status(const Rectrack__V1__ReviewSummary *s, int status) {
  int n = 0;
  for (size_t i = 0; i < s->n_by_status; i++)
    if ((int)s->by_status[i]->status == status)
      n += s->by_status[i]->count;
  return n;
}

static void figure(http_buf_t *b, int value, const char *label,
                   const char *href_base, const char *href) {
  http_buf_printf(b, "<li><strong>%d</strong>", value);
  if (href != NULL) {
    http_buf_puts(b, "<a href=\"");
    http_buf_html(b, href_base);
    http_buf_html(b, href);
    http_buf_printf(b, "\">%s</a></li>", label);
  } else {
    http_buf_printf(b, "%s</li>", label);
  }
}

static void headline(http_request_t *req,
                     const Rectrack__V1__ReviewSummary *s) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<h2>Headline figures</h2>\n<ul class=\"figures\">");
  figure(b, s->recommendation_count, "recommendations", req->base,
         "/recommendations");
  figure(b, s->commitment_count, "commitments", req->base, "/commitments");
  figure(b, count_status(s, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED),
         "implemented", req->base, "/recommendations?status=implemented");
  figure(
      b,
      count_status(s, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS) +
          count_status(s, RECTRACK__V1__STATUS__STATUS_PARTIALLY_IMPLEMENTED),
      "in progress or partly implemented", req->base,
      "/recommendations?status=in-progress,partially-implemented");
  figure(b, s->overdue_count, "overdue", req->base,
         "/recommendations?overdue=true");
  figure(b, s->change_count, "changes of status this period", NULL, NULL);
  http_buf_puts(b, "</ul>\n<p class=\"muted\">Recommendations and "
                   "commitments together by status; counts of both.</p>\n");
}

static void theme_table(http_request_t *req,
                        const Rectrack__V1__ReviewSummary *s) {
  http_buf_t *b = &req->res.body;
  int bound = rt_enum_bound(&rectrack__v1__status__descriptor);
  http_buf_puts(b, "<table>\n<caption>Recommendations and commitments by "
                   "theme and status</caption>\n<thead><tr>"
                   "<th scope=\"col\">Theme</th>");
  for (int st = 1; st < bound; st++)
    http_buf_printf(b, "<th scope=\"col\">%s</th>",
                    rt_enum_label(&rectrack__v1__status__descriptor, st));
  http_buf_puts(b, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < s->n_by_theme;) {
    const char *key = s->by_theme[i]->key;
    int counts[16] = {0};
    size_t j = i;
    for (; j < s->n_by_theme && strcmp(s->by_theme[j]->key, key) == 0; j++)
      if ((int)s->by_theme[j]->status < 16)
        counts[s->by_theme[j]->status] += s->by_theme[j]->count;
    const char *title = http_theme_title(req, key);
    http_buf_puts(b, "<tr><th scope=\"row\">");
    if (key[0] != '\0')
      http_link(req, "/themes/", key, title ? title : key);
    else
      http_buf_puts(b, "No theme");
    http_buf_puts(b, "</th>");
    for (int st = 1; st < bound && st < 16; st++)
      http_buf_printf(b, "<td>%d</td>", counts[st]);
    http_buf_puts(b, "</tr>\n");
    i = j;
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
}

static void overdue_list(http_request_t *req,
                         const Rectrack__V1__ReviewSummary *s) {
  http_buf_t *b = &req->res.body;
  if (s->n_overdue == 0)
    return;
  http_buf_printf(b, "<h2>Overdue (%d)</h2>\n<ul>\n", s->overdue_count);
  for (size_t i = 0; i < s->n_overdue && i < 10; i++) {
    const Rectrack__V1__OverdueItem *o = s->overdue[i];
    bool rec = o->subject_type ==
               RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_RECOMMENDATION;
    http_buf_puts(b, "<li>");
    http_link(req, rec ? "/recommendations/" : "/commitments/", o->subject_id,
              o->subject_id);
    http_buf_puts(b, " ");
    http_buf_html(b, o->title);
    http_buf_printf(b,
                    " <span class=\"muted\">due %.10s, %d days "
                    "overdue</span></li>\n",
                    o->due_date, o->days_overdue);
  }
  http_buf_puts(b, "</ul>\n");
  if (s->overdue_count > 10) {
    http_buf_puts(b, "<p><a href=\"");
    http_href(req, "/recommendations?overdue=true");
    http_buf_puts(b, "\">All overdue recommendations</a></p>\n");
  }
}

static void indicators_table(http_request_t *req,
                             const Rectrack__V1__ReviewSummary *s) {
  http_buf_t *b = &req->res.body;
  if (s->n_indicators == 0)
    return;
  http_buf_puts(b, "<h2>Quantified commitments</h2>\n<table>\n<thead><tr>"
                   "<th scope=\"col\">Commitment</th>"
                   "<th scope=\"col\">Indicator</th>"
                   "<th scope=\"col\">Latest</th><th scope=\"col\">Target</th>"
                   "<th scope=\"col\">Trajectory</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < s->n_indicators; i++) {
    const Rectrack__V1__IndicatorProgress *p = s->indicators[i];
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_link(req, "/commitments/", p->commitment_id, p->commitment_id);
    http_buf_puts(b, " ");
    http_buf_html(b, p->title);
    http_buf_puts(b, "</th><td>");
    if (p->indicator != NULL) {
      http_buf_html(b, p->indicator->name);
      http_buf_puts(b, " (");
      http_buf_html(b, p->indicator->unit);
      http_buf_puts(b, ")");
    }
    http_buf_puts(b, "</td><td>");
    if (p->latest_as_of && p->latest_as_of[0])
      http_buf_printf(b, "%g (%.10s)", p->latest_value, p->latest_as_of);
    else
      http_buf_puts(b, "<span class=\"muted\">none</span>");
    http_buf_puts(b, "</td><td>");
    if (p->indicator != NULL)
      http_buf_printf(b, "%g by %.10s", p->indicator->target_value,
                      p->indicator->target_date);
    http_buf_printf(
        b, "</td><td>%s</td></tr>\n",
        rt_enum_label(&rectrack__v1__trajectory__descriptor, p->trajectory));
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
  if (s->indicator_count > (int32_t)s->n_indicators) {
    http_buf_printf(b,
                    "<p class=\"muted\">The first %zu of %d; the "
                    "<a href=\"",
                    s->n_indicators, s->indicator_count);
    http_href(req, "/downloads");
    http_buf_puts(b, "\">review</a> lists them all.</p>\n");
  }
}

int http_page_overview(http_request_t *req) {
  char from[11], to[11];
  Rectrack__V1__ReviewSummary *summary;
  int rc = period_summary(req, from, to, &summary);
  if (rc != 0)
    return rc;
  http_page_begin(req, "Where follow-up stands", "/");
  http_buf_t *b = &req->res.body;
  http_buf_printf(b, "<p>The review of %.4s to date: from %s to %s. ", to, from,
                  to);
  http_buf_puts(b, "The whole review, in every format, is on the <a href=\"");
  http_href(req, "/downloads");
  http_buf_puts(b, "\">downloads</a> page.</p>\n");
  headline(req, summary);
  http_buf_puts(b, "<h2>By status</h2>\n");
  http_chart_status(req, summary);
  http_buf_puts(b, "<h2>By theme</h2>\n");
  http_chart_themes(req, summary);
  theme_table(req, summary);
  overdue_list(req, summary);
  indicators_table(req, summary);
  rt_review_summary_free(summary);
  http_page_end(req);
  return 0;
}

/* ---- indexes of the reference lists ------------------------------------ */

static const Rectrack__V1__KeyCount *key_count(Rectrack__V1__KeyCount **counts,
                                               size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(counts[i]->key, key) == 0)
      return counts[i];
  return NULL;
}

static void count_cells(http_buf_t *b, const Rectrack__V1__KeyCount *k) {
  http_buf_printf(b, "<td>%d</td><td>%d</td>", k ? k->count : 0,
                  k ? k->implemented : 0);
}

int http_page_sdg_index(http_request_t *req) {
  char from[11], to[11];
  Rectrack__V1__ReviewSummary *summary;
  int rc = period_summary(req, from, to, &summary);
  if (rc != 0)
    return rc;
  http_page_begin(req, "SDG targets", "/sdg");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<p>Recommendations and commitments linked to each target "
                   "of the Sustainable Development Goals.</p>\n");
  for (size_t g = 1; g <= rt_sdg_goal_count(); g++) {
    const rt_sdg_goal_t *goal = rt_sdg_goal((int)g);
    http_buf_printf(b, "<h2>Goal %zu: ", g);
    http_buf_html(b, goal->short_title);
    http_buf_puts(b, "</h2>\n<table>\n<thead><tr><th scope=\"col\">Target</th>"
                     "<th scope=\"col\">What it asks</th>"
                     "<th scope=\"col\">Linked</th>"
                     "<th scope=\"col\">Implemented</th></tr></thead>\n"
                     "<tbody>\n");
    for (size_t t = 0; t < goal->target_count; t++) {
      const rt_sdg_target_t *target = &goal->targets[t];
      http_buf_puts(b, "<tr><th scope=\"row\">");
      http_link(req, "/sdg/", target->code, target->code);
      http_buf_puts(b, "</th><td>");
      http_buf_html(b, target->label);
      http_buf_puts(b, "</td>");
      count_cells(b, key_count(summary->by_sdg_target, summary->n_by_sdg_target,
                               target->code));
      http_buf_puts(b, "</tr>\n");
    }
    http_buf_puts(b, "</tbody>\n</table>\n");
  }
  rt_review_summary_free(summary);
  http_page_end(req);
  return 0;
}

int http_page_gcm_index(http_request_t *req) {
  char from[11], to[11];
  Rectrack__V1__ReviewSummary *summary;
  int rc = period_summary(req, from, to, &summary);
  if (rc != 0)
    return rc;
  http_page_begin(req, "GCM objectives", "/gcm");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<p>Recommendations and commitments linked to each "
                   "objective of the Global Compact for Safe, Orderly and "
                   "Regular Migration.</p>\n<table>\n<thead><tr>"
                   "<th scope=\"col\">Objective</th>"
                   "<th scope=\"col\">Title</th><th scope=\"col\">Linked</th>"
                   "<th scope=\"col\">Implemented</th></tr></thead>\n"
                   "<tbody>\n");
  for (size_t n = 1; n <= rt_gcm_objective_count(); n++) {
    const rt_gcm_objective_t *o = rt_gcm_objective((int)n);
    char number[8];
    snprintf(number, sizeof number, "%zu", n);
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_link(req, "/gcm/", number, number);
    http_buf_puts(b, "</th><td>");
    http_buf_html(b, o->title);
    http_buf_puts(b, "</td>");
    count_cells(b, key_count(summary->by_gcm_objective,
                             summary->n_by_gcm_objective, number));
    http_buf_puts(b, "</tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
  rt_review_summary_free(summary);
  http_page_end(req);
  return 0;
}

/* ---- downloads ---------------------------------------------------------- */

static const struct {
  const char *name;
  rt_review_format_t format;
  const char *label;
} downloads[] = {
    {"review.html", RT_REVIEW_HTML, "HTML, with charts"},
    {"review.md", RT_REVIEW_MARKDOWN, "Markdown"},
    {"review.xlsx", RT_REVIEW_XLSX, "Excel workbook (XLSX)"},
    {"review.json", RT_REVIEW_JSON, "JSON"},
    {"review.csv", RT_REVIEW_CSV, "CSV"},
};
#define N_DOWNLOADS (sizeof downloads / sizeof downloads[0])

static void download_link(http_request_t *req, const char *name,
                          const char *from, const char *to, const char *table,
                          const char *label) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<li><a href=\"");
  http_href(req, "/downloads/");
  http_buf_printf(b, "%s?from=%s&amp;to=%s", name, from, to);
  if (table != NULL)
    http_buf_printf(b, "&amp;table=%s", table);
  http_buf_printf(b, "\">%s</a></li>\n", label);
}

int http_page_downloads(http_request_t *req) {
  char from[11], to[11];
  int rc = http_review_period(req, from, to);
  if (rc != 0)
    return rc;
  http_page_begin(req, "Downloads", "/downloads");
  http_buf_t *b = &req->res.body;
  http_buf_printf(b,
                  "<p>The follow-up review of the period from %s to %s, "
                  "computed from the validated reports at this "
                  "revision.</p>\n",
                  from, to);
  http_buf_puts(b, "<form class=\"filters\" method=\"get\" action=\"");
  http_href(req, "/downloads");
  http_buf_printf(b,
                  "\">\n<label>From<input type=\"date\" name=\"from\" "
                  "value=\"%s\"></label>\n<label>To<input type=\"date\" "
                  "name=\"to\" value=\"%s\"></label>\n<button "
                  "type=\"submit\">Change the period</button>\n</form>\n",
                  from, to);
  http_buf_puts(b, "<h2>The review</h2>\n<ul>\n");
  for (size_t i = 0; i + 1 < N_DOWNLOADS; i++)
    download_link(req, downloads[i].name, from, to, NULL, downloads[i].label);
  http_buf_puts(b, "</ul>\n<h2>Tables (CSV)</h2>\n<ul>\n");
  static const char *const tables[] = {"recommendations", "commitments",
                                       "follow-ups", "measurements"};
  for (size_t i = 0; i < 4; i++) {
    char label[64];
    snprintf(label, sizeof label, "%c%s", tables[i][0] - 32, tables[i] + 1);
    download_link(req, "review.csv", from, to, tables[i], label);
  }
  http_buf_puts(b, "</ul>\n");
  http_page_end(req);
  return 0;
}

typedef struct download {
  rt_http_t *http;
  struct MHD_Connection *conn;
  bool untimed; /* the idle timeout is off while nothing can be sent */
  rt_store_reader_t *reader; /* the snapshot, held until the end */
  review_source_t *source;   /* its public view, read by the renderer */
  char from[11], to[11];
  rt_review_stream_input_t in; /* borrowed by the renderer */
  rt_review_renderer_t *renderer;
  const uint8_t *chunk;
  size_t len, offset;
  bool done;
  bool slot_held; /* of http_download_begin, given back at the end */
} download_t;

/* Ends what the download holds: the renderer, the source, then the
 * snapshot they read. */
static void end_reading(download_t *d) {
  rt_review_renderer_free(d->renderer);
  d->renderer = NULL;
  review_source_free(d->source);
  d->source = NULL;
  if (d->reader != NULL)
    http_reader_give_back(d->http, d->reader);
  d->reader = NULL;
}

/* The slot is given back as soon as the last byte is rendered, before
 * libmicrohttpd sends the end of the body: a client that read the whole
 * download never finds its slot still taken. */
static void release_slot(download_t *d) {
  if (d->slot_held) {
    d->slot_held = false;
    http_download_end(d->http);
  }
}

static ssize_t download_read(void *cls, uint64_t pos, char *buf, size_t max) {
  download_t *d = cls;
  (void)pos;
  while (d->offset == d->len) {
    if (d->done)
      return MHD_CONTENT_READER_END_OF_STREAM;
    int rc = rt_review_renderer_next(d->renderer, &d->chunk, &d->len);
    d->offset = 0;
    if (rc < 0) {
      d->len = 0;
      end_reading(d);
      release_slot(d);
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (rc == 0) {
      d->done = true;
      d->len = 0;
      end_reading(d);
      release_slot(d);
    }
  }
  if (d->untimed) {
    /* the first bytes: from now on a client that does not read is idle
     * again (setting a timeout after none restarts its timer) */
    d->untimed = false;
    MHD_set_connection_option(d->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                              http_idle_timeout(d->http));
  }
  size_t n = d->len - d->offset < max ? d->len - d->offset : max;
  memcpy(buf, d->chunk + d->offset, n);
  d->offset += n;
  return (ssize_t)n;
}

static void download_free(void *cls) {
  download_t *d = cls;
  end_reading(d);
  release_slot(d);
  free(d);
}

/* The download's renderer over the public view of req's snapshot, which
 * it takes from the request. */
static int download_start(http_request_t *req, download_t *d,
                          rt_review_format_t format) {
  int rc = http_review_period(req, d->from, d->to);
  if (rc != 0)
    return rc;
  if (review_source_new(req->reader, REVIEW_SOURCE_PUBLIC, &d->source) != 0)
    return http_fail(req, RT_ENOMEM, NULL, "out of memory");
  d->in = (rt_review_stream_input_t){
      .from_date = d->from,
      .to_date = d->to,
      .as_of = d->to,
      .revision = req->revision,
      .source = review_source_get(d->source),
  };
  rc = rt_review_stream_new(&d->in, format, req->params.table, &d->renderer,
                            &req->err);
  if (rc != 0 && review_source_error(d->source)->code != 0)
    req->err = *review_source_error(d->source);
  if (rc == 0)
    d->reader = http_reader_take(req);
  return rc;
}

int http_page_download(http_request_t *req) {
  size_t i = 0;
  while (i < N_DOWNLOADS && strcmp(downloads[i].name, req->id) != 0)
    i++;
  if (i == N_DOWNLOADS) {
    char excerpt[RT_EXCERPT_SIZE];
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no download %s",
                     rt_quote_excerpt(req->id, excerpt));
  }
  if (req->params.table != NULL && downloads[i].format != RT_REVIEW_CSV)
    return http_fail(req, RT_EINVAL, "table",
                     "table: only the CSV download has tables");
  if (!http_download_begin(req->http)) {
    req->res.retry_after = 5;
    return http_fail(req, RT_ETOOBIG, NULL,
                     "too many downloads at once; try again in a few "
                     "seconds");
  }
  download_t *d = calloc(1, sizeof *d);
  if (d == NULL) {
    http_download_end(req->http);
    return http_fail(req, RT_ENOMEM, NULL, "out of memory");
  }
  d->http = req->http;
  d->slot_held = true;
  int rc = download_start(req, d, downloads[i].format);
  struct MHD_Response *response = NULL;
  if (rc == 0) {
    response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16 * 1024, download_read, d, download_free);
    if (response == NULL)
      rc = http_fail(req, RT_ENOMEM, NULL, "out of memory");
  }
  if (rc != 0) {
    download_free(d);
    return rc;
  }
  if (downloads[i].format == RT_REVIEW_XLSX && !req->head) {
    /* The workbook is complete before its first byte can be sent (its
     * build takes minutes at a few hundred thousand records); the
     * connection is not idle meanwhile, so the idle timeout must not end
     * it. It is back in force with the first bytes (a HEAD reads none,
     * so it keeps its timeout). */
    d->conn = req->conn;
    d->untimed = MHD_set_connection_option(
                     req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u) == MHD_YES;
  }
  req->res.stream = response;
  req->res.status = 200;
  req->res.content_type = rt_review_content_type(downloads[i].format);
  req->res.etag = true;
  rt_review_filename(downloads[i].format, req->params.table, d->from, d->to,
                     req->res.filename, sizeof req->res.filename);
  return 0;
}
