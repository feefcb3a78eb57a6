/*
 * rt_cli_pledges: the CLI's view of joint and matching pledges, printed
 * after `commit show`: what kind of pledge it is, where each partner's
 * part stands by its own reports, and the pledges it matches or that
 * match it. The record view above it shows the raw fields; this says it
 * in sentences a secretariat reads at a glance.
 */
#include "rt_cli.h"

#include "rectrack/v1/resources.pb-c.h"

#include <stdio.h>
#include <string.h>

/* "in-progress as of 2025-03-01", or "no information"; a submission
 * awaiting validation is added in brackets. */
static void print_part(rt_cli_t *cli, const Rectrack__V1__PartnerStatus *p) {
  const char *status =
      rt_cli_enum_text(&rectrack__v1__status__descriptor, p->status);
  if (p->last_follow_up_as_of[0] != '\0')
    fprintf(cli->out, "%s as of %s", status, p->last_follow_up_as_of);
  else
    fputs("no information", cli->out);
  if (p->reported_status != RECTRACK__V1__STATUS__STATUS_UNSPECIFIED)
    fprintf(
        cli->out, " (reported %s as of %s, awaiting validation)",
        rt_cli_enum_text(&rectrack__v1__status__descriptor, p->reported_status),
        p->reported_as_of);
}

/* "Partnership", "Matching", ... */
static void print_type(rt_cli_t *cli, const Rectrack__V1__Commitment *c) {
  const char *type =
      rt_cli_enum_text(&rectrack__v1__pledge_type__descriptor, c->pledge_type);
  if (type[0] == '\0')
    type = "individual";
  fprintf(cli->out, "%c%s", type[0] - 'a' + 'A', type + 1);
}

void rt_cli_print_pledge_summary(rt_cli_t *cli,
                                 const ProtobufCMessage *record) {
  if (cli->format != RT_CLI_FORMAT_TABLE ||
      record->descriptor != &rectrack__v1__commitment__descriptor)
    return;
  const Rectrack__V1__Commitment *c = (const void *)record;
  if (c->n_partner_statuses == 0 && c->matches_commitment_id[0] == '\0' &&
      c->n_matched_by == 0)
    return;
  fputc('\n', cli->out);
  print_type(cli, c);
  fprintf(cli->out, " pledge of %s", rt_cli_actor_name(cli, c->actor_id));
  if (c->matches_commitment_id[0] != '\0')
    fprintf(cli->out, ", answering %s", c->matches_commitment_id);
  if (c->n_partner_statuses > 0)
    fprintf(cli->out, ", with %zu partner%s", c->n_partner_statuses,
            c->n_partner_statuses == 1 ? "" : "s");
  fputs(".\n", cli->out);
  if (c->n_partner_statuses > 0) {
    /* The lead's row: the pledge's own status. */
    Rectrack__V1__PartnerStatus whole = RECTRACK__V1__PARTNER_STATUS__INIT;
    whole.status = c->status;
    whole.last_follow_up_as_of = c->last_follow_up_as_of;
    whole.reported_status = c->reported_status;
    whole.reported_as_of = c->reported_as_of;
    fprintf(cli->out, "  %-20s lead     ", c->actor_id);
    print_part(cli, &whole);
    fputc('\n', cli->out);
  }
  for (size_t i = 0; i < c->n_partner_statuses; i++) {
    fprintf(cli->out, "  %-20s partner  ", c->partner_statuses[i]->actor_id);
    print_part(cli, c->partner_statuses[i]);
    fputc('\n', cli->out);
  }
  if (c->n_matched_by > 0) {
    fputs("Matched by", cli->out);
    for (size_t i = 0; i < c->n_matched_by; i++)
      fprintf(cli->out, "%s %s", i ? "," : "", c->matched_by[i]);
    fputs(".\n", cli->out);
  }
}
