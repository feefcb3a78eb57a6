/*
 * http_pledges: the parts of a commitment's page that say how it was
 * pledged and how its figure breaks down (docs/web.md, "One commitment"):
 *  - its pledge type, its lead actor, the pledge it matches and the
 *    pledges that match it, each a link to its page;
 *  - its partners, each with where its own part stands (the status rule
 *    applied to the validated reports filed for that partner) and the
 *    date of the report that decided it;
 *  - its disaggregated series (one row per set of dimensions, such as a
 *    remittance corridor) with the series beyond the indicator's
 *    per-series bound said in words, and a sentence counting them.
 * The commitment comes through the public view (http_get_commitment):
 * its computed fields are there, and a pledge that may not be shown has
 * been left out of its links already.
 */
#include "http_internal.h"

#include "rt_enum.h"

#include <stdio.h>
#include <string.h>

#define LINK_TEXT_SIZE 600

/* A link to commitment id's page, its text "C5: title" (the id alone
 * when it cannot be read). */
static void commitment_link(http_request_t *req, const char *id) {
  Rectrack__V1__Commitment *c = NULL;
  char text[LINK_TEXT_SIZE];
  snprintf(text, sizeof text, "%s", id);
  if (rt_store_get_commitment(req->reader, id, &c, NULL) == 0) {
    if (c->title && c->title[0])
      snprintf(text, sizeof text, "%s: %s", id, c->title);
    protobuf_c_message_free_unpacked(&c->base, NULL);
  }
  http_link(req, "/commitments/", id, text);
}

const char *http_pledge_label(const Rectrack__V1__Commitment *c) {
  /* recorded before pledge types: read as individual (docs/api.md) */
  int type = c->pledge_type ? (int)c->pledge_type
                            : RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL;
  return rt_enum_label(&rectrack__v1__pledge_type__descriptor, type);
}

void http_pledge_facts(http_request_t *req, const Rectrack__V1__Commitment *c) {
  http_buf_t *b = &req->res.body;
  http_fact(b, "Pledge type");
  http_buf_html(b, http_pledge_label(c));
  http_buf_puts(b, "</dd>");
  http_fact(b, c->n_partner_ids > 0 ? "Lead actor" : "Made by");
  http_actor_link(req, c->actor_id);
  http_buf_puts(b, "</dd>");
  if (c->matches_commitment_id && c->matches_commitment_id[0]) {
    http_fact(b, "Matches");
    commitment_link(req, c->matches_commitment_id);
    http_buf_puts(b, "</dd>");
  }
  if (c->n_matched_by > 0) {
    http_fact(b, "Matched by");
    for (size_t i = 0; i < c->n_matched_by; i++) {
      if (i > 0)
        http_buf_puts(b, ", ");
      commitment_link(req, c->matched_by[i]);
    }
    http_buf_puts(b, "</dd>");
  }
}

static const Rectrack__V1__PartnerStatus *
partner_status(const Rectrack__V1__Commitment *c, const char *actor_id) {
  for (size_t i = 0; i < c->n_partner_statuses; i++)
    if (c->partner_statuses[i]->actor_id &&
        strcmp(c->partner_statuses[i]->actor_id, actor_id) == 0)
      return c->partner_statuses[i];
  return NULL;
}

void http_partners_section(http_request_t *req,
                           const Rectrack__V1__Commitment *c) {
  http_buf_t *b = &req->res.body;
  if (c->n_partner_ids == 0)
    return;
  http_buf_puts(b, "<h2>Partners</h2>\n<p>Each partner reports its own part; "
                   "the status of the pledge above is the lead's.</p>\n");
  http_buf_puts(b, "<table class=\"partners\">\n"
                   "<caption>Where each partner's part stands</caption>\n"
                   "<thead><tr><th scope=\"col\">Partner</th>"
                   "<th scope=\"col\">Status</th>"
                   "<th scope=\"col\">As of (the deciding report)</th>"
                   "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < c->n_partner_ids; i++) {
    const Rectrack__V1__PartnerStatus *ps =
        partner_status(c, c->partner_ids[i]);
    int status = ps && ps->status ? (int)ps->status
                                  : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
    http_buf_puts(b, "<tr><th scope=\"row\">");
    http_actor_link(req, c->partner_ids[i]);
    /* the badge's colour repeats its words; no link: the list of a
     * status is of the pledges' own statuses */
    http_buf_printf(b, "</th><td><span class=\"badge s%d\">%s</span></td>",
                    status,
                    rt_enum_label(&rectrack__v1__status__descriptor, status));
    if (ps && ps->last_follow_up_as_of && ps->last_follow_up_as_of[0])
      http_buf_printf(b, "<td><time>%.10s</time></td>",
                      ps->last_follow_up_as_of);
    else
      http_buf_puts(b, "<td class=\"muted\">no validated report</td>");
    http_buf_puts(b, "</tr>\n");
  }
  http_buf_puts(b, "</tbody>\n</table>\n");
}

/* ---- the series -------------------------------------------------------- */

/* Whether the indicator falls (its series bound is then a ceiling) or
 * rises (a floor), as the store decides above_ceiling. */
static bool indicator_decreases(const Rectrack__V1__Indicator *ind) {
  return ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_DECREASE ||
         (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_UNSPECIFIED &&
          ind->target_value < ind->baseline_value);
}

/* The one key every series is broken down by, or NULL when they differ
 * or have several: it names the series in the sentence ("corridors"). */
static const char *common_key(const Rectrack__V1__Commitment *c) {
  const char *key = NULL;
  for (size_t i = 0; i < c->n_series; i++) {
    const Rectrack__V1__MeasurementSeries *s = c->series[i];
    if (s->n_dimensions != 1 || s->dimensions[0]->key == NULL)
      return NULL;
    if (key != NULL && strcmp(key, s->dimensions[0]->key) != 0)
      return NULL;
    key = s->dimensions[0]->key;
  }
  return key;
}

/* "corridor"/"corridors" for a key (keys are lower-case words), or
 * "series" when the series have no common key. */
static void series_noun(http_buf_t *b, const char *key, size_t count) {
  if (key == NULL) {
    http_buf_puts(b, "series");
    return;
  }
  for (const char *p = key; *p; p++)
    http_buf_append(b, *p == '_' ? " " : p, 1);
  if (count == 1)
    return;
  size_t len = strlen(key);
  char last = len ? key[len - 1] : '\0';
  http_buf_puts(b, last == 's' || last == 'x' ? "es" : "s");
}

/* "2 of 3 corridors above 5 per cent, the ceiling each must keep to." */
static void ceiling_sentence(http_buf_t *b, const Rectrack__V1__Commitment *c,
                             size_t beyond) {
  const Rectrack__V1__Indicator *ind = c->indicator;
  bool decrease = indicator_decreases(ind);
  const char *key = common_key(c);
  http_buf_puts(b, "<p class=\"ceiling\">");
  if (beyond == 0) {
    http_buf_puts(b, "No ");
    series_noun(b, key, 1);
  } else {
    http_buf_printf(b, "%zu of %zu ", beyond, c->n_series);
    series_noun(b, key, c->n_series);
  }
  http_buf_printf(b, " %s %g ", decrease ? "above" : "below",
                  ind->series_ceiling->value);
  http_buf_html(b, ind->unit);
  http_buf_printf(b, ", the %s each must keep to.</p>\n",
                  decrease ? "ceiling" : "floor");
}

void http_dimensions_text(http_buf_t *b, Rectrack__V1__Dimension *const *dims,
                          size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      http_buf_puts(b, ", ");
    http_buf_html(b, dims[i]->key);
    http_buf_puts(b, " ");
    http_buf_html(b, dims[i]->value);
  }
}

static void series_row(http_request_t *req, const Rectrack__V1__Commitment *c,
                       const Rectrack__V1__MeasurementSeries *s) {
  http_buf_t *b = &req->res.body;
  const Rectrack__V1__Indicator *ind = c->indicator;
  http_buf_puts(b, s->above_ceiling ? "<tr class=\"beyond\"><th scope=\"row\">"
                                    : "<tr><th scope=\"row\">");
  http_dimensions_text(b, s->dimensions, s->n_dimensions);
  http_buf_puts(b, "</th>");
  if (s->latest_as_of && s->latest_as_of[0]) {
    http_buf_printf(b, "<td>%g ", s->latest_value);
    http_buf_html(b, ind->unit);
    http_buf_printf(b, "</td><td><time>%.10s</time></td>", s->latest_as_of);
  } else {
    http_buf_puts(b, "<td class=\"muted\">\xe2\x80\x94</td>"
                     "<td class=\"muted\">\xe2\x80\x94</td>");
  }
  http_buf_printf(
      b, "<td>%s</td><td>%u</td>",
      rt_enum_label(&rectrack__v1__trajectory__descriptor, s->trajectory),
      s->measurement_count);
  if (ind->series_ceiling != NULL) {
    bool decrease = indicator_decreases(ind);
    if (s->above_ceiling)
      http_buf_printf(b, "<td><strong>%s</strong></td>",
                      decrease ? "Above the ceiling" : "Below the floor");
    else
      http_buf_printf(b, "<td>%s</td>",
                      decrease ? "Within the ceiling" : "Within the floor");
  }
  http_buf_puts(b, "</tr>\n");
}

void http_series_section(http_request_t *req,
                         const Rectrack__V1__Commitment *c) {
  http_buf_t *b = &req->res.body;
  const Rectrack__V1__Indicator *ind = c->indicator;
  if (ind == NULL || c->n_series == 0)
    return;
  size_t beyond = 0;
  for (size_t i = 0; i < c->n_series; i++)
    beyond += c->series[i]->above_ceiling ? 1 : 0;
  http_buf_puts(b, "<h2>Series</h2>\n<p>The validated measurements broken "
                   "down by dimension, each set of dimensions a series of "
                   "its own; the figures above are the overall ones.</p>\n");
  if (ind->series_ceiling != NULL)
    ceiling_sentence(b, c, beyond);
  http_buf_puts(b, "<table class=\"series\">\n<caption>Disaggregated "
                   "series</caption>\n<thead><tr>"
                   "<th scope=\"col\">Series</th>"
                   "<th scope=\"col\">Latest</th>"
                   "<th scope=\"col\">As of</th>"
                   "<th scope=\"col\">Trajectory</th>"
                   "<th scope=\"col\">Measurements</th>");
  if (ind->series_ceiling != NULL)
    http_buf_printf(b, "<th scope=\"col\">%s</th>",
                    indicator_decreases(ind) ? "Ceiling" : "Floor");
  http_buf_puts(b, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < c->n_series; i++)
    series_row(req, c, c->series[i]);
  http_buf_puts(b, "</tbody>\n</table>\n");
}
