"""Lines of follow-up and the specificity summary, end to end: a real
rectrackd holds a recommendation first made at an IDM 2016 workshop,
echoed at IDM 2023 and then superseded, plus one that only builds on the
first. GetReviewSummary counts the line once under its latest, leaves the
folded (and the superseded) ones out of overdue, and names the
recommendations without addressee and due date; every export format,
read back by an independent reader (json, csv, html.parser, openpyxl),
carries the lineage in words and the new tables.
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


class TextOf(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


class LineageTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        stub = cls.stub
        def source(slug, title, date):
            return stub.CreateSource(pb.CreateSourceRequest(source=res.Source(
                id=slug, title=title, date=date,
                kind=res.SOURCE_KIND_DIALOGUE)))

        s16 = source("idm-2016-ws", "IDM 2016 workshop", "2016-04-11")
        s23 = source("idm-2023", "IDM 2023", "2023-05-17")

        def create(source, ref, **fields):
            rec = rtharness.recommendation(source.id, **fields)
            rec.source_ref = ref
            return stub.CreateRecommendation(
                pb.CreateRecommendationRequest(recommendation=rec)).id

        cls.first = create(s16, "3", title="Better migration data",
                           due_date="2020-01-01")
        cls.echo = create(s23, "4.5 #2", title="Better migration data again",
                          due_date="2021-01-01",
                          links=[res.RecommendationLink(
                              kind=res.LINK_KIND_ECHOES,
                              recommendation_id=cls.first)])
        cls.latest = create(s23, "5", title="Migration data, replaced",
                            links=[res.RecommendationLink(
                                kind=res.LINK_KIND_SUPERSEDES,
                                recommendation_id=cls.echo)])
        cls.apart = create(s23, "6", title="Builds on the data one",
                           links=[res.RecommendationLink(
                               kind=res.LINK_KIND_BUILDS_ON,
                               recommendation_id=cls.first)])
        cls.lineage = (
            "%s first made at IDM 2016 workshop (2016-04-11) §3; "
            "%s echoed at IDM 2023 (2023-05-17) §4.5 #2; "
            "%s superseded at IDM 2023 (2023-05-17) §5"
            % (cls.first, cls.echo, cls.latest))

    def export(self, fmt, table=""):
        request = pb.ExportReviewRequest(
            format=getattr(pb, "EXPORT_FORMAT_" + fmt), table=table, **PERIOD)
        return b"".join(c.data for c in self.stub.ExportReview(request))

    def test_summary_counts_the_line_once(self):
        s = self.stub.GetReviewSummary(pb.GetReviewSummaryRequest(**PERIOD))
        self.assertEqual(s.recommendation_count, 4)
        self.assertEqual(s.counted_recommendation_count, 2)
        self.assertEqual(s.line_count, 1)
        self.assertEqual(s.folded_count, 2)
        self.assertEqual(s.superseded_count, 1)
        self.assertEqual(sum(c.count for c in s.by_status), 2)
        self.assertEqual(len(s.lines), 1)
        line = s.lines[0]
        self.assertEqual(line.latest_id, self.latest)
        self.assertEqual(list(line.recommendation_ids),
                         [self.first, self.echo, self.latest])
        self.assertEqual(line.lineage, self.lineage)
        # The first two are past due, but folded: not overdue, and not
        # "no information" either.
        self.assertEqual(s.overdue_count, 0)
        self.assertEqual(sorted(s.no_information_ids),
                         sorted([self.latest, self.apart]))
        # None of the counted two has an addressee or a due date.
        both = [g for g in s.by_specificity_gap if len(g.gaps) == 2]
        self.assertEqual(len(both), 1)
        self.assertEqual(both[0].count, 2)
        self.assertEqual(sorted(both[0].recommendation_ids),
                         sorted([self.latest, self.apart]))
        self.assertEqual(sum(c.count for c in s.by_specificity), 2)

    def test_every_format_carries_the_lineage(self):
        doc = json.loads(self.export("JSON"))
        summary = doc["summary"]
        self.assertEqual(summary["line_count"], 1)
        self.assertEqual(summary["lines"][0]["lineage"], self.lineage)
        self.assertEqual(summary["lines"][0]["latest_id"], self.latest)
        rows = {r["id"]: r for r in doc["recommendations"]}
        self.assertEqual(rows[self.first]["lineage"], self.lineage)
        self.assertEqual(rows[self.first]["counted_under"], self.latest)
        self.assertEqual(rows[self.latest]["counted_under"], "")
        self.assertEqual(rows[self.apart]["lineage"], "")
        both = [r for r in summary["specificity"] if "+" in r["key"]]
        self.assertEqual(both[0]["count"], 2)

        reader = csv.DictReader(io.StringIO(
            self.export("CSV", "recommendations").decode("utf-8")))
        rows = {r["id"]: r for r in reader}
        self.assertEqual(rows[self.echo]["lineage"], self.lineage)
        self.assertEqual(rows[self.echo]["counted_under"], self.latest)
        self.assertIn(rows[self.apart]["specificity"], ("low", "medium"))

        text = TextOf()
        text.feed(self.export("HTML").decode("utf-8"))
        text.close()
        body = "".join(text.parts)
        self.assertIn(self.lineage, body)
        self.assertIn("Lines of follow-up", body)
        self.assertIn("2 recommendations have no addressee and no due date",
                      body)

        md = self.export("MARKDOWN").decode("utf-8")
        self.assertIn("first made at IDM 2016 workshop", md)
        self.assertIn("no addressee and no due date", md)

        path = self.tmp + "/review.xlsx"
        with open(path, "wb") as f:
            f.write(self.export("XLSX"))
        wb = openpyxl.load_workbook(path)
        lines = list(wb["Lines"].iter_rows(values_only=True))
        self.assertEqual(lines[1][0], self.latest)
        self.assertEqual(lines[1][3], self.lineage)
        recs = list(wb["Recommendations"].iter_rows(values_only=True))
        col = recs[0].index("Lineage")
        by_id = {r[0]: r for r in recs[1:]}
        self.assertEqual(by_id[self.first][col], self.lineage)


if __name__ == "__main__":
    unittest.main()
