/*
 * http_html: the frame every page shares and the pieces pages are made
 * of, and the one stylesheet (served at /static/style.css).
 *
 * A page is a plain HTML5 document that needs no script: lang="en", a
 * skip link, a header with the site's navigation (the current section
 * marked aria-current), <main> with one h1, then sections with h2/h3,
 * tables with <th scope>, charts as inline SVG with role="img" and a
 * <title>. The line under the h1 gives the time of the data (the
 * revision and when it was committed), and the footer the page's stable
 * link. Every text that comes from a record or a query string goes
 * through http_buf_html; every link through http_buf_url.
 *
 * The Content-Security-Policy allows nothing inline: no script at all,
 * styles only from the stylesheet, except the one presentation attribute
 * the review's charts put on their text (style="unicode-bidi:isolate", so
 * that a right-to-left name does not reorder its neighbours), allowed by
 * its hash.
 */
#include "http_internal.h"

#include "rt_enum.h"
#include "rt_reference.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char http_csp[] =
    "default-src 'self'; script-src 'none'; object-src 'none'; "
    "style-src 'self' 'unsafe-hashes' "
    "'sha256-FQP/R6wpXIh0lJil6G/1gqd2diz17gAipn/grrDPGIw='; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

const char http_stylesheet[] =
    ":root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--paper:#fff;"
    "--band:#f6f8fa;--accent:#0b5cad}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'Noto Sans',sans-serif;color:var(--ink);background:var(--paper)}"
    "\n"
    "a{color:var(--accent)}a:focus{outline:3px solid #f5a623;"
    "outline-offset:2px}\n"
    ".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;"
    "background:#fff;padding:4px 8px}\n"
    "header.site{background:#0d2c4f;color:#fff;padding:12px 24px}\n"
    "header.site a{color:#fff}\n"
    ".brand{margin:0 0 6px;font-size:20px;font-weight:700}"
    ".brand span{font-size:14px;font-weight:400;opacity:.85;margin-left:8px}"
    "\n"
    "nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;"
    "gap:4px 18px}\n"
    "nav a{text-decoration:none}nav a[aria-current]{text-decoration:"
    "underline;font-weight:700}\n"
    "main{max-width:1100px;margin:0 auto;padding:16px 24px 32px}\n"
    "h1{font-size:28px;margin:8px 0 4px}h2{font-size:21px;margin:28px 0 8px;"
    "border-bottom:1px solid var(--line)}h3{font-size:17px}\n"
    ".as-of{color:var(--muted);font-size:14px;margin:0 0 16px}\n"
    ".figures{display:flex;flex-wrap:wrap;gap:12px;padding:0;margin:0;"
    "list-style:none}\n"
    ".figures li{background:var(--band);border:1px solid var(--line);"
    "border-radius:6px;padding:10px 16px;min-width:150px}\n"
    ".figures strong{display:block;font-size:28px}\n"
    "table{border-collapse:collapse;width:100%;margin:8px 0 16px}\n"
    "th,td{text-align:left;vertical-align:top;padding:6px 8px;"
    "border-bottom:1px solid var(--line)}\n"
    "th{background:var(--band)}\n"
    ".badge{display:inline-block;padding:0 8px;border-radius:10px;"
    "font-size:14px;border:1px solid var(--line);background:var(--band);"
    "white-space:nowrap}\n"
    ".badge.s5{background:#d7f0e0}.badge.s3,.badge.s4{background:#fff1c9}"
    ".badge.s6,.badge.s7{background:#fde2e1}\n"
    ".tags{margin:4px 0;padding:0;list-style:none;display:flex;"
    "flex-wrap:wrap;gap:4px 8px;font-size:14px}\n"
    ".tags li{background:var(--band);border-radius:4px;padding:0 6px}\n"
    "form.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;"
    "background:var(--band);padding:12px;border-radius:6px}\n"
    "form.filters label{display:flex;flex-direction:column;font-size:14px}"
    "\n"
    "input,select,button{font:inherit;padding:4px 6px}\n"
    ".pager{display:flex;gap:16px}\n"
    ".muted{color:var(--muted)}\n"
    ".text{white-space:pre-wrap;max-width:75ch}\n"
    "figure{margin:12px 0;overflow-x:auto}svg{max-width:100%;height:auto}\n"
    "footer{border-top:1px solid var(--line);color:var(--muted);"
    "font-size:14px;padding:12px 24px;max-width:1100px;margin:0 auto}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:4px 16px}dl.facts dt{font-weight:700}dl.facts dd{margin:0}\n"
    "@media print{header.site nav,form.filters,.pager,.skip{display:none}"
    "header.site{background:none;color:#000;padding:0}header.site a{color:"
    "#000}main{max-width:none;padding:0}a{color:#000}"
    "main a[href^='/']::after{content:''}footer{max-width:none}}\n";
const size_t http_stylesheet_len = sizeof http_stylesheet - 1;

const char *http_time_text(int64_t ms, char *out, size_t size) {
  time_t seconds = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  snprintf(out, size, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
  return out;
}

void http_href(http_request_t *req, const char *path) {
  http_buf_html(&req->res.body, req->base);
  http_buf_html(&req->res.body, path);
}

void http_link(http_request_t *req, const char *prefix, const char *id,
               const char *text) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<a href=\"");
  http_href(req, prefix);
  http_buf_url(b, id);
  http_buf_puts(b, "\">");
  http_buf_html(b, text);
  http_buf_puts(b, "</a>");
}

void http_status_badge(http_request_t *req, const char *list, int status) {
  http_buf_t *b = &req->res.body;
  const char *slug = rt_enum_slug(&rectrack__v1__status__descriptor, status);
  const char *label = rt_enum_label(&rectrack__v1__status__descriptor, status);
  if (slug == NULL) {
    http_buf_printf(b, "<span class=\"badge\">%s</span>", label);
    return;
  }
  http_buf_printf(b, "<a class=\"badge s%d\" href=\"", status);
  http_href(req, list);
  http_buf_printf(b, "?status=%s\">%s</a>", slug, label);
}

void http_tags(http_request_t *req, char *const *sdg, size_t n_sdg,
               const int32_t *gcm, size_t n_gcm, const char *theme) {
  http_buf_t *b = &req->res.body;
  if (n_sdg == 0 && n_gcm == 0 && (theme == NULL || theme[0] == '\0'))
    return;
  http_buf_puts(b, "<ul class=\"tags\">");
  if (theme != NULL && theme[0] != '\0') {
    const char *title = http_theme_title(req, theme);
    http_buf_puts(b, "<li>Theme: ");
    http_link(req, "/themes/", theme, title ? title : theme);
    http_buf_puts(b, "</li>");
  }
  for (size_t i = 0; i < n_sdg; i++) {
    const rt_sdg_target_t *t = rt_sdg_target(sdg[i]);
    http_buf_puts(b, "<li><a href=\"");
    http_href(req, "/sdg/");
    http_buf_url(b, sdg[i]);
    http_buf_puts(b, "\" title=\"");
    http_buf_html(b, t ? t->label : "");
    http_buf_puts(b, "\">SDG ");
    http_buf_html(b, sdg[i]);
    http_buf_puts(b, "</a></li>");
  }
  for (size_t i = 0; i < n_gcm; i++) {
    const rt_gcm_objective_t *o = rt_gcm_objective(gcm[i]);
    http_buf_printf(b, "<li><a href=\"");
    http_href(req, "/gcm/");
    http_buf_printf(b, "%d\" title=\"", (int)gcm[i]);
    http_buf_html(b, o ? o->title : "");
    http_buf_printf(b, "\">GCM objective %d</a></li>", (int)gcm[i]);
  }
  http_buf_puts(b, "</ul>");
}

static const struct {
  const char *path;
  const char *label;
} sections[] = {
    {"/", "Overview"},
    {"/recommendations", "Recommendations"},
    {"/commitments", "Commitments"},
    {"/sdg", "SDG targets"},
    {"/gcm", "GCM objectives"},
    {"/actors", "Actors"},
    {"/sources", "Sources"},
    {"/downloads", "Downloads"},
    {"/api/v1", "JSON API"},
};

static void page_head(http_request_t *req, const char *title,
                      const char *current) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                   "<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\">\n<title>");
  http_buf_html(b, title);
  http_buf_puts(b, " \xe2\x80\x94 rectrack</title>\n"
                   "<link rel=\"stylesheet\" href=\"");
  http_href(req, "/static/style.css");
  http_buf_puts(b, "\">\n</head>\n<body>\n"
                   "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
                   "<header class=\"site\">\n<p class=\"brand\"><a href=\"");
  http_href(req, "/");
  http_buf_puts(b, "\">rectrack</a><span>Follow-up of the recommendations "
                   "and commitments of migration and development "
                   "dialogues</span></p>\n"
                   "<nav aria-label=\"Sections\"><ul>");
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
    http_buf_puts(b, "<li><a href=\"");
    http_href(req, sections[i].path);
    http_buf_puts(b, "\"");
    if (current != NULL && strcmp(current, sections[i].path) == 0)
      http_buf_puts(b, " aria-current=\"page\"");
    http_buf_printf(b, ">%s</a></li>", sections[i].label);
  }
  http_buf_puts(b, "</ul></nav>\n</header>\n");
}

void http_page_begin(http_request_t *req, const char *title,
                     const char *current) {
  http_buf_t *b = &req->res.body;
  page_head(req, title, current);
  http_buf_puts(b, "<main id=\"main\">\n<h1>");
  http_buf_html(b, title);
  http_buf_puts(b, "</h1>\n<p class=\"as-of\">");
  if (req->revision == 0) {
    http_buf_puts(b, "No data recorded yet.");
  } else {
    char when[40];
    http_buf_printf(b,
                    "Data as of revision <strong>%llu</strong>, recorded "
                    "<time datetime=\"",
                    (unsigned long long)req->revision);
    http_time_text(req->revision_ms, when, sizeof when);
    http_buf_printf(b, "%.10sT%.5sZ\">%s</time>.", when, when + 11, when);
  }
  http_buf_puts(b, " Only reports validated by the secretariat are "
                   "shown.</p>\n");
}

/* The page's own path and query, for citing it: the path escaped, the
 * query as http_query_append writes it (percent-encoded values, &amp;
 * between them), so the whole is safe inside and outside the attribute. */
static void stable_link(http_request_t *req) {
  http_buf_t *b = &req->res.body;
  http_buf_t url = {0};
  http_buf_html(&url, req->base);
  http_buf_html(&url, req->path);
  if (req->id == NULL && req->params.given != 0)
    http_query_append(&url, &req->params, req->params.page_token);
  http_buf_puts(b, "<a href=\"");
  http_buf_puts(b, url.data);
  http_buf_puts(b, "\">");
  http_buf_puts(b, url.data);
  http_buf_puts(b, "</a>");
  http_buf_free(&url);
}

void http_page_end(http_request_t *req) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "</main>\n<footer>\n<p>Stable link to this page: ");
  stable_link(req);
  http_buf_printf(b, " (retrieved %s).", req->today);
  http_buf_puts(b, " The same data as JSON: <a href=\"");
  http_href(req, "/api/v1");
  http_buf_puts(b, "\">the read API</a>.</p>\n</footer>\n</body>\n</html>\n");
  req->res.status = 200;
  req->res.content_type = "text/html; charset=utf-8";
  req->res.etag = true;
}

void http_error_page(http_request_t *req, int http_status,
                     const char *status_name) {
  http_buf_t *b = &req->res.body;
  const char *title = http_status == 404   ? "Not found"
                      : http_status == 400 ? "Bad request"
                      : http_status == 405 ? "Method not allowed"
                      : http_status == 429 ? "Too many requests"
                      : http_status == 503 ? "Unavailable"
                                           : "Server error";
  page_head(req, title, NULL);
  http_buf_printf(b, "<main id=\"main\">\n<h1>%s</h1>\n<p>", title);
  http_buf_html(b, req->err.message);
  http_buf_printf(b, "</p>\n<p class=\"muted\">HTTP %d, %s", http_status,
                  status_name);
  if (req->err.field[0] != '\0') {
    http_buf_puts(b, "; parameter <code>");
    http_buf_html(b, req->err.field);
    http_buf_puts(b, "</code>");
  }
  http_buf_puts(b, ".</p>\n<p><a href=\"");
  http_href(req, "/");
  http_buf_puts(b, "\">Back to the overview</a></p>\n</main>\n"
                   "</body>\n</html>\n");
}
