/*
 * http_pages: the HTML pages of records and lists. Lists of
 * recommendations and commitments take the same filters as the API
 * (through a GET form and plain links), page forward with the storage
 * engine's tokens, and say how many records match; a record's page shows
 * what it is, what it is tagged with (with titles), who it concerns (by
 * name), what answers it, and its history of validated reports with their
 * evidence. The pages of SDG targets, GCM objectives, themes, actors and
 * sources list what concerns them. Everything is read through the public
 * view (http_public.c).
 */
#include "http_internal.h"

#include "rt_enum.h"
#include "rt_reference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_SIZE 256
#define SECTION_ROWS 50
#define TITLE_SIZE 600 /* records listed on the page of a tag or actor */

static const char *label_of(const ProtobufCEnumDescriptor *d, int value) {
  return rt_enum_label(d, value);
}

/* ---- pieces ------------------------------------------------------------ */

void http_actor_link(http_request_t *req, const char *id) {
  char name[NAME_SIZE];
  if (id == NULL || id[0] == '\0') {
    http_buf_puts(&req->res.body, "<span class=\"muted\">none</span>");
    return;
  }
  http_link(req, "/actors/", id, http_actor_name(req, id, name, sizeof name));
}

static void actor_links(http_request_t *req, char *const *ids, size_t n) {
  if (n == 0)
    http_buf_puts(&req->res.body, "<span class=\"muted\">none</span>");
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      http_buf_puts(&req->res.body, ", ");
    http_actor_link(req, ids[i]);
  }
}

static void source_link(http_request_t *req, const char *id) {
  Rectrack__V1__Source *s = NULL;
  if (id == NULL || id[0] == '\0') {
    http_buf_puts(&req->res.body, "<span class=\"muted\">none</span>");
    return;
  }
  if (rt_store_get_source(req->reader, id, &s, NULL) != 0) {
    http_buf_html(&req->res.body, id);
    return;
  }
  http_link(req, "/sources/", id, s->title && s->title[0] ? s->title : id);
  protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void date_cell(http_buf_t *b, const char *date) {
  if (date == NULL || date[0] == '\0')
    http_buf_puts(b, "<td class=\"muted\">\xe2\x80\x94</td>");
  else
    http_buf_printf(b, "<td><time>%.10s</time></td>", date);
}

/* One evidence entry: a link when it is an http or https URL (the store
 * admits no other URL), else text. */
static void evidence_item(http_buf_t *b, const char *evidence) {
  if (strncmp(evidence, "https://", 8) == 0 ||
      strncmp(evidence, "http://", 7) == 0) {
    http_buf_puts(b, "<a rel=\"nofollow noopener\" href=\"");
    http_buf_html(b, evidence);
    http_buf_puts(b, "\">");
    http_buf_html(b, evidence);
    http_buf_puts(b, "</a>");
    return;
  }
  http_buf_html(b, evidence);
}

/* ---- tables ------------------------------------------------------------ */

static void recommendations_table(http_request_t *req,
                                  Rectrack__V1__Recommendation *const *recs,
                                  size_t n) {
  http_buf_t *b = &req->res.body;
  if (n == 0) {
    http_buf_puts(b, "<p class=\"muted\">No recommendation.</p>\n");
    return;
  }
  http_buf_puts(b, "<table>\n<thead><tr><th scope=\"col\">ID</th>"
                   "<th scope=\"col\">Recommendation</th>"
                   "<th scope=\"col\">Source</th>"
                   "<th scope=\"col\">Status</th>"
                   "<th scope=\"col\">Due</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < n; i++) {
    const Rectrack__V1__Recommendation *r = recs[i];
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_link(req, "/recommendations/", r->id, r->id);
    http_buf_puts(b, "</th><td>");
    http_link(req, "/recommendations/", r->id, r->title);
    http_tags(req, r->sdg_targets, r->n_sdg_targets, r->gcm_objectives,
              r->n_gcm_objectives, r->theme);
    http_buf_puts(b, "</td><td>");
    source_link(req, r->source_id);
    if (r->source_ref && r->source_ref[0]) {
      http_buf_puts(b, "<br><span class=\"muted\">");
      http_buf_html(b, r->source_ref);
      http_buf_puts(b, "</span>");
    }
    http_buf_puts(b, "</td><td>");
    http_status_badge(req, "/recommendations", r->status);
    http_buf_puts(b, "</td>");
    date_cell(b, r->due_date);
    http_buf_puts(b, "</tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
}

static void commitments_table(http_request_t *req,
                              Rectrack__V1__Commitment *const *coms, size_t n) {
  http_buf_t *b = &req->res.body;
  if (n == 0) {
    http_buf_puts(b, "<p class=\"muted\">No commitment.</p>\n");
    return;
  }
  http_buf_puts(b, "<table>\n<thead><tr><th scope=\"col\">ID</th>"
                   "<th scope=\"col\">Commitment</th>"
                   "<th scope=\"col\">Made by</th>"
                   "<th scope=\"col\">Kind</th>"
                   "<th scope=\"col\">Status</th>"
                   "<th scope=\"col\">Due</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < n; i++) {
    const Rectrack__V1__Commitment *c = coms[i];
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_link(req, "/commitments/", c->id, c->id);
    http_buf_puts(b, "</th><td>");
    http_link(req, "/commitments/", c->id, c->title);
    http_tags(req, c->sdg_targets, c->n_sdg_targets, c->gcm_objectives,
              c->n_gcm_objectives, c->theme);
    http_buf_puts(b, "</td><td>");
    http_actor_link(req, c->actor_id);
    http_buf_printf(
        b, "</td><td>%s",
        c->kind ? label_of(&rectrack__v1__commitment_kind__descriptor, c->kind)
                : "");
    if (c->pledge_type > RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL)
      http_buf_printf(b, "%s<span class=\"muted\">%s pledge</span>",
                      c->kind ? "<br>" : "", http_pledge_label(c));
    http_buf_puts(b, "</td><td>");
    http_status_badge(req, "/commitments", c->status);
    if (c->indicator != NULL && c->trajectory)
      http_buf_printf(
          b, "<br><span class=\"muted\">%s</span>",
          label_of(&rectrack__v1__trajectory__descriptor, c->trajectory));
    http_buf_puts(b, "</td>");
    date_cell(b, c->due_date);
    http_buf_puts(b, "</tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
}

static void follow_ups_table(http_request_t *req,
                             Rectrack__V1__FollowUp *const *fups, size_t n) {
  http_buf_t *b = &req->res.body;
  if (n == 0) {
    http_buf_puts(b, "<p class=\"muted\">No validated report yet.</p>\n");
    return;
  }
  http_buf_puts(b, "<table>\n<thead><tr><th scope=\"col\">As of</th>"
                   "<th scope=\"col\">Status</th>"
                   "<th scope=\"col\">Reported by</th>"
                   "<th scope=\"col\">Note</th>"
                   "<th scope=\"col\">Evidence</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < n; i++) {
    const Rectrack__V1__FollowUp *f = fups[i];
    http_buf_puts(b, "<tr>");
    date_cell(b, f->as_of);
    http_buf_puts(b, "<td>");
    if (f->previous_status && f->previous_status != f->status)
      http_buf_printf(
          b, "<span class=\"muted\">%s \xe2\x86\x92</span> ",
          label_of(&rectrack__v1__status__descriptor, f->previous_status));
    http_buf_puts(b, label_of(&rectrack__v1__status__descriptor, f->status));
    if (f->partner_id && f->partner_id[0]) {
      /* a partner's part: it moved that partner's status, not the pledge's */
      http_buf_puts(b, "<br><span class=\"muted\">part of ");
      http_actor_link(req, f->partner_id);
      http_buf_puts(b, "</span>");
    }
    http_buf_puts(b, "</td><td>");
    http_actor_link(req, f->reported_by);
    http_buf_puts(b, "</td><td class=\"text\">");
    http_buf_html(b, f->note);
    http_buf_puts(b, "</td><td>");
    for (size_t e = 0; e < f->n_evidence; e++) {
      if (e > 0)
        http_buf_puts(b, "<br>");
      evidence_item(b, f->evidence[e]);
    }
    http_buf_puts(b, "</td></tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
}

/* ---- the filter form ----------------------------------------------------- */

static void option(http_buf_t *b, const char *value, const char *label,
                   bool selected) {
  http_buf_puts(b, "<option value=\"");
  http_buf_html(b, value);
  http_buf_puts(b, selected ? "\" selected>" : "\">");
  http_buf_html(b, label);
  http_buf_puts(b, "</option>");
}

static void actor_options(http_request_t *req, const char *selected) {
  http_buf_t *b = &req->res.body;
  Rectrack__V1__ListActorsRequest request =
      RECTRACK__V1__LIST_ACTORS_REQUEST__INIT;
  request.page_size = 1000;
  Rectrack__V1__ListActorsResponse *list = NULL;
  if (rt_store_list_actors(req->reader, &request, &list, NULL) != 0)
    return;
  for (size_t i = 0; i < list->n_actors; i++)
    option(b, list->actors[i]->id,
           list->actors[i]->name && list->actors[i]->name[0]
               ? list->actors[i]->name
               : list->actors[i]->id,
           selected && strcmp(selected, list->actors[i]->id) == 0);
  protobuf_c_message_free_unpacked(&list->base, NULL);
}

static void source_options(http_request_t *req, const char *selected) {
  http_buf_t *b = &req->res.body;
  Rectrack__V1__ListSourcesRequest request =
      RECTRACK__V1__LIST_SOURCES_REQUEST__INIT;
  request.page_size = 1000;
  Rectrack__V1__ListSourcesResponse *list = NULL;
  if (rt_store_list_sources(req->reader, &request, &list, NULL) != 0)
    return;
  for (size_t i = 0; i < list->n_sources; i++)
    option(b, list->sources[i]->id,
           list->sources[i]->title && list->sources[i]->title[0]
               ? list->sources[i]->title
               : list->sources[i]->id,
           selected && strcmp(selected, list->sources[i]->id) == 0);
  protobuf_c_message_free_unpacked(&list->base, NULL);
}

static void filter_form(http_request_t *req, const char *action) {
  http_buf_t *b = &req->res.body;
  const http_params_t *p = &req->params;
  http_buf_puts(b, "<form class=\"filters\" method=\"get\" role=\"search\" "
                   "action=\"");
  http_href(req, action);
  http_buf_puts(b, "\">\n<label>Text<input type=\"search\" name=\"q\" "
                   "maxlength=\"200\" value=\"");
  http_buf_html(b, p->q);
  http_buf_puts(b, "\"></label>\n<label>Status<select name=\"status\">");
  option(b, "", "Any", false);
  for (int s = 1; s < rt_enum_bound(&rectrack__v1__status__descriptor); s++) {
    bool selected = p->n_statuses == 1 && (int)p->statuses[0] == s;
    option(b, rt_enum_slug(&rectrack__v1__status__descriptor, s),
           label_of(&rectrack__v1__status__descriptor, s), selected);
  }
  http_buf_puts(b, "</select></label>\n<label>Theme<select name=\"theme\">");
  option(b, "", "Any", false);
  for (size_t i = 0; i < rt_theme_count(); i++) {
    const rt_theme_t *t = rt_theme_at(i);
    option(b, t->id, t->title, p->theme && strcmp(p->theme, t->id) == 0);
  }
  size_t n_added;
  Rectrack__V1__Theme *const *added = http_added_themes(req, &n_added);
  for (size_t i = 0; i < n_added; i++)
    option(b, added[i]->id, http_theme_title(req, added[i]->id),
           p->theme && strcmp(p->theme, added[i]->id) == 0);
  http_buf_puts(b, "</select></label>\n<label>SDG target<input name=\"sdg\" "
                   "size=\"6\" maxlength=\"6\" placeholder=\"10.c\" value=\"");
  http_buf_html(b, p->sdg);
  http_buf_puts(b, "\"></label>\n<label>GCM objective<select name=\"gcm\">");
  option(b, "", "Any", false);
  for (size_t n = 1; n <= rt_gcm_objective_count(); n++) {
    char value[8], label[300];
    snprintf(value, sizeof value, "%zu", n);
    snprintf(label, sizeof label, "%zu. %.280s", n,
             rt_gcm_objective((int)n)->title);
    option(b, value, label, p->gcm == (int)n);
  }
  http_buf_puts(b, "</select></label>\n<label>Actor<select name=\"actor\">");
  option(b, "", "Any", false);
  actor_options(req, p->actor);
  http_buf_puts(b, "</select></label>\n<label>Source<select name=\"source\">");
  option(b, "", "Any", false);
  source_options(req, p->source);
  http_buf_puts(b, "</select></label>\n<button type=\"submit\">Filter</button>"
                   " <a href=\"");
  http_href(req, action);
  http_buf_puts(b, "\">Clear</a>\n</form>\n");
}

/* "123 records match; 50 shown on this page" ("About 12,000": the store
 * estimated a large total rather than count it) and the pager. */
static void pager(http_request_t *req, const char *list, size_t shown,
                  int32_t total, bool estimate, const char *next) {
  http_buf_t *b = &req->res.body;
  http_buf_printf(b, "<p>%s%d %s match%s; %zu shown on this page.</p>\n",
                  estimate ? "About " : "", total,
                  total == 1 ? "record" : "records", total == 1 ? "es" : "",
                  shown);
  bool first = req->params.page_token == NULL;
  if ((next == NULL || next[0] == '\0') && first)
    return;
  http_buf_puts(b, "<nav class=\"pager\" aria-label=\"Pages\">");
  if (!first) {
    http_params_t p = req->params;
    http_buf_puts(b, "<a href=\"");
    http_href(req, list);
    http_query_append(b, &p, NULL);
    http_buf_puts(b, "\">First page</a>");
  }
  if (next != NULL && next[0] != '\0') {
    http_buf_puts(b, "<a rel=\"next\" href=\"");
    http_href(req, list);
    http_query_append(b, &req->params, next);
    http_buf_puts(b, "\">Next page</a>");
  }
  http_buf_puts(b, "</nav>\n");
}

/* ---- lists --------------------------------------------------------------- */

int http_page_recommendations(http_request_t *req) {
  Rectrack__V1__ListRecommendationsRequest request;
  Rectrack__V1__ListRecommendationsResponse *list = NULL;
  http_recommendations_request(req, &request);
  int rc = http_list_recommendations(req, &request, &list);
  if (rc != 0)
    return rc;
  http_page_begin(req, "Recommendations", "/recommendations");
  filter_form(req, "/recommendations");
  pager(req, "/recommendations", list->n_recommendations, list->total_size,
        list->total_size_is_estimate, NULL);
  recommendations_table(req, list->recommendations, list->n_recommendations);
  pager(req, "/recommendations", list->n_recommendations, list->total_size,
        list->total_size_is_estimate, list->next_page_token);
  protobuf_c_message_free_unpacked(&list->base, NULL);
  http_page_end(req);
  return 0;
}

int http_page_commitments(http_request_t *req) {
  Rectrack__V1__ListCommitmentsRequest request;
  Rectrack__V1__ListCommitmentsResponse *list = NULL;
  http_commitments_request(req, &request);
  int rc = http_list_commitments(req, &request, &list);
  if (rc != 0)
    return rc;
  http_page_begin(req, "Commitments", "/commitments");
  filter_form(req, "/commitments");
  pager(req, "/commitments", list->n_commitments, list->total_size,
        list->total_size_is_estimate, NULL);
  commitments_table(req, list->commitments, list->n_commitments);
  pager(req, "/commitments", list->n_commitments, list->total_size,
        list->total_size_is_estimate, list->next_page_token);
  protobuf_c_message_free_unpacked(&list->base, NULL);
  http_page_end(req);
  return 0;
}

/* A section listing the recommendations and commitments of one filter
 * (the page of a tag, an actor or a source), with a link to the whole
 * list. */
static int filtered_sections(http_request_t *req, const char *query_name,
                             const char *query_value) {
  http_buf_t *b = &req->res.body;
  Rectrack__V1__ListRecommendationsRequest rr;
  Rectrack__V1__ListCommitmentsRequest cr;
  http_recommendations_request(req, &rr);
  http_commitments_request(req, &cr);
  rr.page_size = cr.page_size = SECTION_ROWS;
  Rectrack__V1__ListRecommendationsResponse *recs = NULL;
  Rectrack__V1__ListCommitmentsResponse *coms = NULL;
  int rc = http_list_recommendations(req, &rr, &recs);
  if (rc == 0)
    rc = http_list_commitments(req, &cr, &coms);
  if (rc == 0) {
    http_buf_printf(b, "<h2>Recommendations (%d)</h2>\n", recs->total_size);
    recommendations_table(req, recs->recommendations, recs->n_recommendations);
    if (recs->total_size > (int32_t)recs->n_recommendations) {
      http_buf_puts(b, "<p><a href=\"");
      http_href(req, "/recommendations");
      http_buf_printf(b, "?%s=", query_name);
      http_buf_url(b, query_value);
      http_buf_printf(b, "\">All %d recommendations</a></p>\n",
                      recs->total_size);
    }
    http_buf_printf(b, "<h2>Commitments (%d)</h2>\n", coms->total_size);
    commitments_table(req, coms->commitments, coms->n_commitments);
    if (coms->total_size > (int32_t)coms->n_commitments) {
      http_buf_puts(b, "<p><a href=\"");
      http_href(req, "/commitments");
      http_buf_printf(b, "?%s=", query_name);
      http_buf_url(b, query_value);
      http_buf_printf(b, "\">All %d commitments</a></p>\n", coms->total_size);
    }
  }
  if (recs != NULL)
    protobuf_c_message_free_unpacked(&recs->base, NULL);
  if (coms != NULL)
    protobuf_c_message_free_unpacked(&coms->base, NULL);
  return rc;
}

/* ---- one recommendation ----------------------------------------------------
 */

void http_fact(http_buf_t *b, const char *term) {
  http_buf_printf(b, "<dt>%s</dt><dd>", term);
}

static void tag_titles(http_request_t *req, char *const *sdg, size_t n_sdg,
                       const int32_t *gcm, size_t n_gcm) {
  http_buf_t *b = &req->res.body;
  if (n_sdg + n_gcm == 0)
    return;
  http_buf_puts(b, "<h2>Linked to</h2>\n<ul>\n");
  for (size_t i = 0; i < n_sdg; i++) {
    const rt_sdg_target_t *t = rt_sdg_target(sdg[i]);
    http_buf_puts(b, "<li>");
    char text[32];
    snprintf(text, sizeof text, "SDG target %.10s", sdg[i]);
    http_link(req, "/sdg/", sdg[i], text);
    if (t != NULL) {
      http_buf_puts(b, ": ");
      http_buf_html(b, t->label);
    }
    http_buf_puts(b, "</li>\n");
  }
  for (size_t i = 0; i < n_gcm; i++) {
    const rt_gcm_objective_t *o = rt_gcm_objective(gcm[i]);
    char number[8], text[32];
    snprintf(number, sizeof number, "%d", (int)gcm[i]);
    snprintf(text, sizeof text, "GCM objective %d", (int)gcm[i]);
    http_buf_puts(b, "<li>");
    http_link(req, "/gcm/", number, text);
    if (o != NULL) {
      http_buf_puts(b, ": ");
      http_buf_html(b, o->title);
    }
    http_buf_puts(b, "</li>\n");
  }
  http_buf_puts(b, "</ul>\n");
}

static int history_section(http_request_t *req, const char *subject) {
  Rectrack__V1__ListFollowUpsRequest request =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  request.subject_id = (char *)subject;
  request.page_size = 1000;
  Rectrack__V1__ListFollowUpsResponse *list = NULL;
  int rc = http_list_follow_ups(req, &request, &list);
  if (rc != 0)
    return rc;
  http_buf_printf(&req->res.body,
                  "<h2>History of validated reports (%zu)"
                  "</h2>\n",
                  list->n_follow_ups);
  follow_ups_table(req, list->follow_ups, list->n_follow_ups);
  protobuf_c_message_free_unpacked(&list->base, NULL);
  return 0;
}

/* Other recommendations sharing an SDG target or a GCM objective with r
 * (at most 10). */
static int related_section(http_request_t *req,
                           const Rectrack__V1__Recommendation *r) {
  Rectrack__V1__Recommendation *found[10];
  Rectrack__V1__ListRecommendationsResponse *lists[2] = {NULL, NULL};
  size_t n = 0;
  int rc = 0;
  for (int pass = 0; pass < 2 && rc == 0; pass++) {
    Rectrack__V1__ListRecommendationsRequest request =
        RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
    request.page_size = 11;
    if (pass == 0 && r->n_sdg_targets > 0)
      request.sdg_target = r->sdg_targets[0];
    else if (pass == 1 && r->n_gcm_objectives > 0)
      request.gcm_objective = r->gcm_objectives[0];
    else
      continue;
    rc = http_list_recommendations(req, &request, &lists[pass]);
    for (size_t i = 0; rc == 0 && i < lists[pass]->n_recommendations; i++) {
      Rectrack__V1__Recommendation *other = lists[pass]->recommendations[i];
      bool dup = strcmp(other->id, r->id) == 0;
      for (size_t k = 0; k < n && !dup; k++)
        dup = strcmp(found[k]->id, other->id) == 0;
      if (!dup && n < 10)
        found[n++] = other;
    }
  }
  if (rc == 0 && n > 0) {
    http_buf_puts(&req->res.body, "<h2>Related recommendations</h2>\n"
                                  "<p class=\"muted\">Sharing an SDG target "
                                  "or a GCM objective.</p>\n");
    recommendations_table(req, found, n);
  }
  for (int pass = 0; pass < 2; pass++)
    if (lists[pass] != NULL)
      protobuf_c_message_free_unpacked(&lists[pass]->base, NULL);
  return rc;
}

static int answering_section(http_request_t *req, const char *rec_id) {
  Rectrack__V1__ListCommitmentsRequest request =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  request.recommendation_id = (char *)rec_id;
  request.page_size = 1000;
  Rectrack__V1__ListCommitmentsResponse *list = NULL;
  int rc = http_list_commitments(req, &request, &list);
  if (rc != 0)
    return rc;
  http_buf_printf(&req->res.body, "<h2>Commitments answering it (%d)</h2>\n",
                  list->total_size);
  commitments_table(req, list->commitments, list->n_commitments);
  protobuf_c_message_free_unpacked(&list->base, NULL);
  return 0;
}

/* One fact per kind of link, each way: "Echoes R57", "Echoed by R70"
 * ("Related to" both ways), each id a link to its page. */
static void link_facts(http_request_t *req,
                       const Rectrack__V1__Recommendation *r) {
  static const char *const out_labels[] = {NULL, "Echoes", "Builds on",
                                           "Supersedes", "Related to"};
  static const char *const in_labels[] = {NULL, "Echoed by", "Built on by",
                                          "Superseded by", NULL};
  http_buf_t *b = &req->res.body;
  for (int kind = 1; kind <= 4; kind++)
    for (int inverse = 0; inverse < 2; inverse++) {
      bool related = kind == RECTRACK__V1__LINK_KIND__LINK_KIND_RELATED;
      if (related && inverse)
        continue; /* written with the outgoing ones */
      size_t shown = 0;
      for (int side = 0; side < 2; side++) {
        if (side != inverse && !related)
          continue;
        size_t n = side ? r->n_linked_from : r->n_links;
        Rectrack__V1__RecommendationLink *const *links =
            side ? r->linked_from : r->links;
        for (size_t i = 0; i < n; i++) {
          if ((int)links[i]->kind != kind)
            continue;
          if (shown++ == 0)
            http_fact(b, inverse ? in_labels[kind] : out_labels[kind]);
          else
            http_buf_puts(b, ", ");
          http_link(req, "/recommendations/", links[i]->recommendation_id,
                    links[i]->recommendation_id);
        }
      }
      if (shown > 0)
        http_buf_puts(b, "</dd>");
    }
}

static void recommendation_facts(http_request_t *req,
                                 const Rectrack__V1__Recommendation *r) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<dl class=\"facts\">");
  http_fact(b, "Status");
  http_status_badge(req, "/recommendations", r->status);
  if (r->last_follow_up_as_of && r->last_follow_up_as_of[0])
    http_buf_printf(b, " <span class=\"muted\">as of %.10s</span>",
                    r->last_follow_up_as_of);
  http_buf_puts(b, "</dd>");
  http_fact(b, "Source");
  source_link(req, r->source_id);
  http_buf_puts(b, "</dd>");
  if (r->source_ref && r->source_ref[0]) {
    http_fact(b, "Paragraph");
    http_buf_html(b, r->source_ref);
    http_buf_puts(b, "</dd>");
  }
  if (r->theme && r->theme[0]) {
    const char *title = http_theme_title(req, r->theme);
    http_fact(b, "Theme");
    http_link(req, "/themes/", r->theme, title ? title : r->theme);
    http_buf_puts(b, "</dd>");
  }
  http_fact(b, "Addressed to");
  actor_links(req, r->addressed_to, r->n_addressed_to);
  http_buf_puts(b, "</dd>");
  http_fact(b, "Lead actor");
  http_actor_link(req, r->lead_actor_id);
  http_buf_puts(b, "</dd>");
  http_fact(b, "Due");
  http_buf_html(b, r->due_date && r->due_date[0] ? r->due_date : "not set");
  http_buf_puts(b, "</dd>");
  link_facts(req, r);
  if (r->specificity) {
    /* Computed by the server (docs/api.md, "Specificity"). */
    http_fact(b, "Specificity");
    http_buf_html(b, rt_enum_label(&rectrack__v1__specificity__descriptor,
                                   r->specificity));
    for (size_t i = 0; i < r->n_specificity_gaps; i++) {
      http_buf_puts(b, i == 0 ? " <span class=\"muted\">lacks: " : ", ");
      http_buf_html(b, rt_enum_label(&rectrack__v1__specificity_gap__descriptor,
                                     r->specificity_gaps[i]));
    }
    http_buf_puts(b, r->n_specificity_gaps ? "</span></dd>" : "</dd>");
  }
  if (r->archived) {
    http_fact(b, "Archived");
    http_buf_puts(b, "yes: no longer followed up</dd>");
  }
  http_buf_puts(b, "</dl>\n");
}

int http_page_recommendation(http_request_t *req) {
  Rectrack__V1__Recommendation *r = NULL;
  int rc = http_get_recommendation(req, req->id, &r);
  if (rc != 0)
    return rc;
  char title[TITLE_SIZE];
  snprintf(title, sizeof title, "%s: %s", r->id, r->title);
  http_page_begin(req, title, "/recommendations");
  recommendation_facts(req, r);
  if (r->text && r->text[0]) {
    http_buf_puts(&req->res.body, "<h2>Text</h2>\n<p class=\"text\">");
    http_buf_html(&req->res.body, r->text);
    http_buf_puts(&req->res.body, "</p>\n");
  }
  tag_titles(req, r->sdg_targets, r->n_sdg_targets, r->gcm_objectives,
             r->n_gcm_objectives);
  rc = answering_section(req, r->id);
  if (rc == 0)
    rc = history_section(req, r->id);
  if (rc == 0)
    rc = related_section(req, r);
  protobuf_c_message_free_unpacked(&r->base, NULL);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

/* ---- one commitment --------------------------------------------------------
 */

static void indicator_section(http_request_t *req,
                              const Rectrack__V1__Commitment *c,
                              Rectrack__V1__Measurement *const *meas,
                              size_t n) {
  http_buf_t *b = &req->res.body;
  const Rectrack__V1__Indicator *ind = c->indicator;
  if (ind == NULL)
    return;
  http_buf_puts(b, "<h2>Indicator</h2>\n<dl class=\"facts\">");
  http_fact(b, "Indicator");
  http_buf_html(b, ind->name);
  http_buf_puts(b, "</dd>");
  http_fact(b, "Baseline");
  http_buf_printf(b, "%g ", ind->baseline_value);
  http_buf_html(b, ind->unit);
  http_buf_printf(b, " (%.10s)</dd>", ind->baseline_date);
  http_fact(b, "Target");
  http_buf_printf(b, "%g ", ind->target_value);
  http_buf_html(b, ind->unit);
  http_buf_printf(b, " by %.10s</dd>", ind->target_date);
  http_fact(b, "Latest");
  if (c->latest_as_of && c->latest_as_of[0]) {
    http_buf_printf(b, "%g ", c->latest_value);
    http_buf_html(b, ind->unit);
    http_buf_printf(b, " (%.10s), %.0f%% of the way</dd>", c->latest_as_of,
                    c->progress * 100);
  } else {
    http_buf_puts(b, "no measurement yet</dd>");
  }
  http_fact(b, "Trajectory");
  http_buf_printf(
      b, "%s</dd></dl>\n",
      label_of(&rectrack__v1__trajectory__descriptor, c->trajectory));
  http_indicator_chart(req, c, meas, n);
  if (n == 0)
    return;
  /* with disaggregated values, say which series each one is of */
  bool series = false;
  for (size_t i = 0; i < n && !series; i++)
    series = meas[i]->n_dimensions > 0;
  http_buf_puts(b, "<table>\n<caption>Validated measurements</caption>\n"
                   "<thead><tr><th scope=\"col\">As of</th>");
  if (series)
    http_buf_puts(b, "<th scope=\"col\">Series</th>");
  http_buf_puts(b, "<th scope=\"col\">Value</th><th scope=\"col\">Source</th>"
                   "<th scope=\"col\">Note</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < n; i++) {
    http_buf_puts(b, "<tr>");
    date_cell(b, meas[i]->as_of);
    if (series) {
      http_buf_puts(b, "<td>");
      if (meas[i]->n_dimensions == 0)
        http_buf_puts(b, "overall");
      http_dimensions_text(b, meas[i]->dimensions, meas[i]->n_dimensions);
      http_buf_puts(b, "</td>");
    }
    http_buf_printf(b, "<td>%g</td><td>", meas[i]->value);
    evidence_item(b, meas[i]->source);
    http_buf_puts(b, "</td><td class=\"text\">");
    http_buf_html(b, meas[i]->note);
    http_buf_puts(b, "</td></tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
}

static void commitment_facts(http_request_t *req,
                             const Rectrack__V1__Commitment *c) {
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<dl class=\"facts\">");
  http_fact(b, "Status");
  http_status_badge(req, "/commitments", c->status);
  if (c->last_follow_up_as_of && c->last_follow_up_as_of[0])
    http_buf_printf(b, " <span class=\"muted\">as of %.10s</span>",
                    c->last_follow_up_as_of);
  http_buf_puts(b, "</dd>");
  http_pledge_facts(req, c);
  if (c->kind) {
    http_fact(b, "Kind");
    http_buf_printf(
        b, "%s</dd>",
        label_of(&rectrack__v1__commitment_kind__descriptor, c->kind));
  }
  http_fact(b, "Answers");
  if (c->n_recommendation_ids == 0)
    http_buf_puts(b, "<span class=\"muted\">no recommendation</span>");
  for (size_t i = 0; i < c->n_recommendation_ids; i++) {
    if (i > 0)
      http_buf_puts(b, ", ");
    http_link(req, "/recommendations/", c->recommendation_ids[i],
              c->recommendation_ids[i]);
  }
  http_buf_puts(b, "</dd>");
  http_fact(b, "Source");
  source_link(req, c->source_id);
  http_buf_puts(b, "</dd>");
  http_fact(b, "Made on");
  http_buf_html(b, c->made_on && c->made_on[0] ? c->made_on : "not set");
  http_buf_puts(b, "</dd>");
  http_fact(b, "Due");
  http_buf_html(b, c->due_date && c->due_date[0] ? c->due_date : "not set");
  http_buf_puts(b, "</dd></dl>\n");
}

int http_page_commitment(http_request_t *req) {
  Rectrack__V1__Commitment *c = NULL;
  int rc = http_get_commitment(req, req->id, &c);
  if (rc != 0)
    return rc;
  Rectrack__V1__ListMeasurementsRequest mr =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  mr.commitment_id = c->id;
  mr.page_size = 1000;
  Rectrack__V1__ListMeasurementsResponse *meas = NULL;
  rc = http_list_measurements(req, &mr, &meas);
  if (rc != 0) {
    protobuf_c_message_free_unpacked(&c->base, NULL);
    return rc;
  }
  char title[TITLE_SIZE];
  snprintf(title, sizeof title, "%s: %s", c->id, c->title);
  http_page_begin(req, title, "/commitments");
  commitment_facts(req, c);
  if (c->text && c->text[0]) {
    http_buf_puts(&req->res.body, "<h2>Text</h2>\n<p class=\"text\">");
    http_buf_html(&req->res.body, c->text);
    http_buf_puts(&req->res.body, "</p>\n");
  }
  tag_titles(req, c->sdg_targets, c->n_sdg_targets, c->gcm_objectives,
             c->n_gcm_objectives);
  http_partners_section(req, c);
  indicator_section(req, c, meas->measurements, meas->n_measurements);
  http_series_section(req, c);
  rc = history_section(req, c->id);
  protobuf_c_message_free_unpacked(&meas->base, NULL);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

/* ---- tags, actors, sources --------------------------------------------------
 */

int http_page_sdg(http_request_t *req) {
  const rt_sdg_target_t *t = rt_sdg_target(req->id);
  if (t == NULL) {
    char excerpt[RT_EXCERPT_SIZE];
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no SDG target %s",
                     rt_quote_excerpt(req->id, excerpt));
  }
  const rt_sdg_goal_t *g = rt_sdg_goal(t->goal);
  char title[40];
  snprintf(title, sizeof title, "SDG target %s", t->code);
  req->params.sdg = t->code;
  http_page_begin(req, title, "/sdg");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<p>");
  http_buf_html(b, t->label);
  http_buf_printf(b, "</p>\n<p class=\"muted\">Goal %d: ", t->goal);
  http_buf_html(b, g ? g->title : "");
  http_buf_puts(b, "</p>\n");
  int rc = filtered_sections(req, "sdg", t->code);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

int http_page_gcm(http_request_t *req) {
  char *end = NULL;
  long n = strtol(req->id, &end, 10);
  const rt_gcm_objective_t *o =
      *end == '\0' && n > 0 && n < 100 ? rt_gcm_objective((int)n) : NULL;
  if (o == NULL) {
    char excerpt[RT_EXCERPT_SIZE];
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no GCM objective %s",
                     rt_quote_excerpt(req->id, excerpt));
  }
  char title[40], number[8];
  snprintf(title, sizeof title, "GCM objective %d", o->number);
  snprintf(number, sizeof number, "%d", o->number);
  req->params.gcm = o->number;
  http_page_begin(req, title, "/gcm");
  http_buf_puts(&req->res.body, "<p>");
  http_buf_html(&req->res.body, o->title);
  http_buf_puts(&req->res.body, "</p>\n");
  int rc = filtered_sections(req, "gcm", number);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

int http_page_theme(http_request_t *req) {
  const char *title = http_theme_title(req, req->id);
  if (title == NULL) {
    char excerpt[RT_EXCERPT_SIZE];
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no theme %s",
                     rt_quote_excerpt(req->id, excerpt));
  }
  req->params.theme = req->id;
  http_page_begin(req, title, "/recommendations");
  int rc = filtered_sections(req, "theme", req->id);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

int http_page_actor(http_request_t *req) {
  Rectrack__V1__Actor *a = NULL;
  int rc = http_get_actor(req, req->id, &a);
  if (rc != 0)
    return rc;
  http_page_begin(req, a->name && a->name[0] ? a->name : a->id, "/actors");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<dl class=\"facts\">");
  http_fact(b, "Identifier");
  http_buf_html(b, a->id);
  http_buf_puts(b, "</dd>");
  if (a->kind) {
    http_fact(b, "Kind");
    http_buf_printf(b, "%s</dd>",
                    label_of(&rectrack__v1__actor_kind__descriptor, a->kind));
  }
  if (a->country && a->country[0]) {
    http_fact(b, "Country");
    http_buf_html(b, a->country);
    http_buf_puts(b, "</dd>");
  }
  http_buf_puts(b, "</dl>\n<p class=\"muted\">Recommendations addressed to "
                   "or led by this actor, and commitments it made.</p>\n");
  req->params.actor = a->id;
  rc = filtered_sections(req, "actor", a->id);
  protobuf_c_message_free_unpacked(&a->base, NULL);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

int http_page_source(http_request_t *req) {
  Rectrack__V1__Source *s = NULL;
  int rc = http_get_source(req, req->id, &s);
  if (rc != 0)
    return rc;
  http_page_begin(req, s->title && s->title[0] ? s->title : s->id, "/sources");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<dl class=\"facts\">");
  http_fact(b, "Identifier");
  http_buf_html(b, s->id);
  http_buf_puts(b, "</dd>");
  if (s->kind) {
    http_fact(b, "Kind");
    http_buf_printf(b, "%s</dd>",
                    label_of(&rectrack__v1__source_kind__descriptor, s->kind));
  }
  if (s->date && s->date[0]) {
    http_fact(b, "Date");
    http_buf_html(b, s->date);
    if (s->end_date && s->end_date[0]) {
      http_buf_puts(b, " to ");
      http_buf_html(b, s->end_date);
    }
    http_buf_puts(b, "</dd>");
  }
  if (s->location && s->location[0]) {
    http_fact(b, "Place");
    http_buf_html(b, s->location);
    http_buf_puts(b, "</dd>");
  }
  if (s->n_organizer_ids > 0) {
    http_fact(b, "Organised by");
    actor_links(req, s->organizer_ids, s->n_organizer_ids);
    http_buf_puts(b, "</dd>");
  }
  if (s->url && s->url[0]) {
    http_fact(b, "Document");
    evidence_item(b, s->url);
    http_buf_puts(b, "</dd>");
  }
  http_buf_puts(b, "</dl>\n");
  if (s->description && s->description[0]) {
    http_buf_puts(b, "<p class=\"text\">");
    http_buf_html(b, s->description);
    http_buf_puts(b, "</p>\n");
  }
  req->params.source = s->id;
  rc = filtered_sections(req, "source", s->id);
  protobuf_c_message_free_unpacked(&s->base, NULL);
  if (rc != 0)
    return rc;
  http_page_end(req);
  return 0;
}

int http_page_actors(http_request_t *req) {
  Rectrack__V1__ListActorsRequest request =
      RECTRACK__V1__LIST_ACTORS_REQUEST__INIT;
  request.page_size = 1000;
  Rectrack__V1__ListActorsResponse *list = NULL;
  int rc = rt_store_list_actors(req->reader, &request, &list, &req->err);
  if (rc != 0)
    return rc;
  http_page_begin(req, "Actors", "/actors");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<table>\n<thead><tr><th scope=\"col\">Actor</th>"
                   "<th scope=\"col\">Kind</th><th scope=\"col\">Country</th>"
                   "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < list->n_actors; i++) {
    const Rectrack__V1__Actor *a = list->actors[i];
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_link(req, "/actors/", a->id, a->name && a->name[0] ? a->name : a->id);
    http_buf_printf(
        b, "</th><td>%s</td><td>",
        a->kind ? label_of(&rectrack__v1__actor_kind__descriptor, a->kind)
                : "");
    http_buf_html(b, a->country);
    http_buf_puts(b, "</td></tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
  protobuf_c_message_free_unpacked(&list->base, NULL);
  http_page_end(req);
  return 0;
}

int http_page_sources(http_request_t *req) {
  Rectrack__V1__ListSourcesRequest request =
      RECTRACK__V1__LIST_SOURCES_REQUEST__INIT;
  request.page_size = 1000;
  Rectrack__V1__ListSourcesResponse *list = NULL;
  int rc = rt_store_list_sources(req->reader, &request, &list, &req->err);
  if (rc != 0)
    return rc;
  http_page_begin(req, "Sources", "/sources");
  http_buf_t *b = &req->res.body;
  http_buf_puts(b, "<table>\n<thead><tr><th scope=\"col\">Source</th>"
                   "<th scope=\"col\">Kind</th><th scope=\"col\">Date</th>"
                   "<th scope=\"col\">Place</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < list->n_sources; i++) {
    const Rectrack__V1__Source *s = list->sources[i];
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_link(req, "/sources/", s->id,
              s->title && s->title[0] ? s->title : s->id);
    http_buf_printf(
        b, "</th><td>%s</td>",
        s->kind ? label_of(&rectrack__v1__source_kind__descriptor, s->kind)
                : "");
    date_cell(b, s->date);
    http_buf_puts(b, "<td>");
    http_buf_html(b, s->location);
    http_buf_puts(b, "</td></tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
  protobuf_c_message_free_unpacked(&list->base, NULL);
  http_page_end(req);
  return 0;
}
