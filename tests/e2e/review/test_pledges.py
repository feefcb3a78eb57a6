"""Joint and matching pledges in the review, end to end: a real rectrackd
holds a partnership (mycp leading, idac and ilo partners) whose partners
report their own parts, an individual pledge of undp and a matching
pledge of unicef that answers it. GetReviewSummary keeps the pledge's own
status the lead's (a partner's later "implemented" must not become the
pledge's), gives every part its status as of the review date (a report
dated after it counts for nothing), and lists the matching pledge beside
the one it answers; every export format, read back by an independent
reader (json, csv, html.parser, openpyxl), carries the same. A partner's
name full of markup comes back as text.
"""

import csv
import html.parser
import io
import json
import unittest

import openpyxl

import rtharness
from rtharness import pb, res

PERIOD = dict(from_date="2024-01-01", to_date="2024-12-31", as_of="2024-12-31")
S = res.Status
HOSTILE = "<b>IDAC</b> & \"co\""


class TextOf(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


class PledgeReviewTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        stub = cls.stub
        for actor, name in (("mycp", "MYCP"), ("idac", HOSTILE),
                            ("ilo", "ILO"), ("undp", "UNDP"),
                            ("unicef", "UNICEF")):
            stub.CreateActor(pb.CreateActorRequest(actor=res.Actor(
                id=actor, name=name, kind=res.ACTOR_KIND_UN_ENTITY)))

        def create(**fields):
            fields.setdefault("kind", res.COMMITMENT_KIND_DATA)
            return stub.CreateCommitment(pb.CreateCommitmentRequest(
                commitment=res.Commitment(**fields))).id

        def report(subject, status, as_of, partner=""):
            stub.RecordFollowUp(pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(subject_id=subject, status=status,
                                       as_of=as_of, partner_id=partner)))

        cls.joint = create(title="Youth employment data", actor_id="mycp",
                           partner_ids=["idac", "ilo"],
                           pledge_type=res.PLEDGE_TYPE_PARTNERSHIP)
        cls.single = create(title="Remittance price survey", actor_id="undp")
        cls.match = create(title="Support to the survey", actor_id="unicef",
                           pledge_type=res.PLEDGE_TYPE_MATCHING,
                           matches_commitment_id=cls.single)
        report(cls.joint, S.STATUS_IN_PROGRESS, "2024-02-01")
        report(cls.joint, S.STATUS_NOT_STARTED, "2024-01-10", "idac")
        report(cls.joint, S.STATUS_IMPLEMENTED, "2024-06-01", "idac")
        report(cls.joint, S.STATUS_IMPLEMENTED, "2025-03-01", "ilo")
        report(cls.match, S.STATUS_NOT_STARTED, "2024-04-01")

    def export(self, fmt, table=""):
        request = pb.ExportReviewRequest(
            format=getattr(pb, "EXPORT_FORMAT_" + fmt), table=table, **PERIOD)
        return b"".join(c.data for c in self.stub.ExportReview(request))

    def test_summary_keeps_each_part_apart(self):
        s = self.stub.GetReviewSummary(pb.GetReviewSummaryRequest(**PERIOD))
        self.assertEqual(s.joint_pledge_count, 1)
        self.assertEqual(s.matching_pledge_count, 1)
        self.assertEqual(s.pledge_group_count, 2)
        groups = {g.commitment_id: g for g in s.pledge_groups}
        joint = groups[self.joint]
        self.assertEqual(joint.status, S.STATUS_IN_PROGRESS)
        self.assertEqual(joint.last_follow_up_as_of, "2024-02-01")
        parts = {p.actor_id: p for p in joint.partners}
        self.assertEqual(list(parts), ["idac", "ilo"])
        self.assertEqual(parts["idac"].status, S.STATUS_IMPLEMENTED)
        self.assertEqual(parts["idac"].last_follow_up_as_of, "2024-06-01")
        self.assertEqual(parts["ilo"].status, S.STATUS_NO_INFORMATION)
        single = groups[self.single]
        self.assertEqual(single.pledge_type, res.PLEDGE_TYPE_INDIVIDUAL)
        self.assertEqual([m.commitment_id for m in single.matched_by],
                         [self.match])
        self.assertEqual(single.matched_by[0].status, S.STATUS_NOT_STARTED)
        # idac's change follows on from idac's own earlier report.
        idac = [c for c in s.changes if c.follow_up.partner_id == "idac"
                and c.follow_up.as_of == "2024-06-01"]
        self.assertEqual(len(idac), 1)
        self.assertEqual(idac[0].from_status, S.STATUS_NOT_STARTED)
        # The pledge counts once, as in progress (the lead's part).
        in_progress = [c.count for c in s.by_status
                       if c.status == S.STATUS_IN_PROGRESS]
        self.assertEqual(in_progress, [1])

    def test_json_and_csv(self):
        doc = json.loads(self.export("JSON"))
        summary = doc["summary"]
        self.assertEqual(summary["joint_pledge_count"], 1)
        self.assertEqual(summary["matching_pledge_count"], 1)
        rows = {r["commitment_id"]: r for r in summary["pledges"]}
        joint = rows[self.joint]
        self.assertEqual(joint["pledge_type"], "partnership")
        self.assertEqual(joint["status"], "in-progress")
        self.assertEqual(joint["partner_ids"], ["idac", "ilo"])
        self.assertEqual(joint["partner_statuses"],
                         ["implemented", "no-information"])
        self.assertEqual(rows[self.single]["matching_commitment_ids"],
                         [self.match])
        coms = {r["id"]: r for r in doc["commitments"]}
        self.assertEqual(coms[self.joint]["status"], "in-progress")
        fus = [r for r in doc["follow_ups"] if r["partner_id"] == "idac"]
        self.assertEqual(sorted(r["as_of"] for r in fus),
                         ["2024-01-10", "2024-06-01"])
        self.assertEqual({r["partner_name"] for r in fus}, {HOSTILE})

        reader = csv.DictReader(io.StringIO(
            self.export("CSV", "pledges").decode("utf-8")))
        rows = {r["commitment_id"]: r for r in reader}
        self.assertEqual(set(rows), {self.joint, self.single})
        self.assertEqual(rows[self.joint]["partner_ids"], "idac;ilo")
        self.assertEqual(rows[self.joint]["partner_statuses"],
                         "implemented;no-information")
        self.assertIn(HOSTILE + ": Implemented (2024-06-01)",
                      rows[self.joint]["partners"])
        self.assertEqual(rows[self.single]["matching_statuses"],
                         "not-started")
        reader = csv.DictReader(io.StringIO(
            self.export("CSV", "follow-ups").decode("utf-8")))
        parts = sorted((r["partner_id"], r["as_of"]) for r in reader
                       if r["subject_id"] == self.joint)
        self.assertEqual(parts, [("", "2024-02-01"), ("idac", "2024-01-10"),
                                 ("idac", "2024-06-01")])

    def test_html_markdown_xlsx(self):
        text = TextOf()
        text.feed(self.export("HTML").decode("utf-8"))
        text.close()
        body = "".join(text.parts)
        self.assertIn("Joint and matching pledges", body)
        self.assertIn("1 joint pledge (common or partnership) and 1 "
                      "matching pledge", body)
        self.assertIn(HOSTILE + ": Implemented (2024-06-01)", body)
        self.assertIn(self.match + " UNICEF: Not started (2024-04-01)", body)
        # The name's markup is text, never a tag of the document.
        self.assertNotIn("<b>IDAC</b>", self.export("HTML").decode("utf-8"))

        md = self.export("MARKDOWN").decode("utf-8")
        self.assertIn("## Joint and matching pledges", md)
        self.assertIn("ILO: No information", md)
        self.assertNotIn("<b>IDAC</b>", md)

        book = openpyxl.load_workbook(io.BytesIO(self.export("XLSX")),
                                      read_only=True)
        sheet = book["Pledges"]
        rows = list(sheet.iter_rows(values_only=True))
        header = list(rows[0])
        got = {r[header.index("Pledge")]: dict(zip(header, r))
               for r in rows[1:]}
        self.assertEqual(set(got), {self.joint, self.single})
        self.assertEqual(got[self.joint]["Type"], "partnership")
        self.assertIn("ILO: No information", got[self.joint]["Partners"])
        self.assertIn(self.match, got[self.single]["Matching pledge ids"])


if __name__ == "__main__":
    unittest.main()
