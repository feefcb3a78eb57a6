"""Disaggregated series in the review, end to end: a real rectrackd holds
a remittance-cost commitment (to decrease, no corridor above 5 per cent)
with corridors measured through `rectrack measure --dim`, two of them
above the ceiling and one below, and a share to increase with a floor
of 60 per cent that one series falls below. GetReviewSummary reports the
series beyond their bound, and every export format, read back by an
independent reader (json, csv, html.parser, openpyxl or zipfile with
xml.etree), names the corridors above the ceiling.
"""

import csv
import html.parser
import io
import json
import unittest
import xml.etree.ElementTree as ET
import zipfile

import rtharness
from rtharness import pb

try:
    import openpyxl
except ImportError:  # the zip's XML is read instead
    openpyxl = None

PERIOD = dict(from_date="2025-01-01", to_date="2025-12-31",
              as_of="2025-12-31")
SENTENCE = ("%s: 2 corridors above 5 per cent: FRA-SEN (5.4, 2025-03-31), "
            "GBR-NGA (6.1, 2025-06-30).")


class TextOf(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.tables = []
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(dict(attrs).get("class", ""))
        if tag == "svg":
            self.svgs += 1

    def handle_data(self, data):
        self.parts.append(data)


def xlsx_rows(path, sheet):
    """The rows of a sheet as lists of text, by openpyxl or from the XML."""
    if openpyxl is not None:
        wb = openpyxl.load_workbook(path)
        return [["" if v is None else str(v) for v in row]
                for row in wb[sheet].iter_rows(values_only=True)]
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/"
               "relationships"}
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        rid = [s.get("{%s}id" % ns["r"]) for s in book.iter(
            "{%s}sheet" % ns["m"]) if s.get("name") == sheet][0]
        target = [r.get("Target") for r in rels if r.get("Id") == rid][0]
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")):
                shared.append("".join(t.text or "" for t in si.iter(
                    "{%s}t" % ns["m"])))
        data = ET.fromstring(z.read("xl/" + target.lstrip("/")
                                    .replace("xl/", "")))
        rows = []
        for row in data.iter("{%s}row" % ns["m"]):
            cells = []
            for c in row.findall("m:c", ns):
                v = c.find("m:v", ns)
                text = "" if v is None else v.text
                if c.get("t") == "s":
                    text = shared[int(text)]
                elif c.get("t") == "inlineStr":
                    text = "".join(t.text or "" for t in c.iter(
                        "{%s}t" % ns["m"]))
                elif c.get("t") == "b":
                    text = "True" if text == "1" else "False"
                cells.append(text)
            rows.append(cells)
        return rows


class SeriesReviewTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        run = cls.server.cli

        def ok(*args):
            result = run(*args)
            assert result.code == 0, repr(result)
            return result

        ok("actor", "add", "gbr", "--name", "United Kingdom", "--kind",
           "member-state")

        def commit(title, *indicator):
            return ok("--output", "json", "commit", "add", "--actor", "gbr",
                      "--title", title, "--kind", "quantified-target",
                      *indicator).json()["id"]

        cls.cost = commit("Remittance costs below 3 per cent",
                          "--indicator", "average cost of sending 200 USD",
                          "--unit", "per cent", "--baseline", "7",
                          "--baseline-date", "2020-01-01", "--target", "3",
                          "--target-date", "2030-12-31", "--direction",
                          "decrease", "--series-ceiling", "5")
        cls.share = commit("More migrants with papers",
                           "--indicator", "share with a residence permit",
                           "--unit", "per cent", "--baseline", "50",
                           "--baseline-date", "2020-01-01", "--target", "80",
                           "--target-date", "2030-12-31", "--direction",
                           "increase", "--series-ceiling", "60")

        def measure(cid, value, as_of, *dims):
            argv = ["measure", cid, "--value", str(value), "--as-of", as_of]
            for d in dims:
                argv += ["--dim", d]
            ok(*argv)

        measure(cls.cost, 6.0, "2025-06-30")  # the overall figure
        measure(cls.cost, 6.5, "2024-01-31", "corridor=GBR-NGA")
        measure(cls.cost, 6.1, "2025-06-30", "corridor=GBR-NGA")
        measure(cls.cost, 4.2, "2025-06-30", "corridor=USA-MEX")
        measure(cls.cost, 5.4, "2025-03-31", "corridor=FRA-SEN")
        measure(cls.cost, 9.9, "2026-03-31", "corridor=USA-MEX")  # after
        measure(cls.share, 55, "2025-06-30", "sex=female")
        measure(cls.share, 65, "2025-06-30", "sex=male")
        cls.sentence = SENTENCE % cls.cost

    def export(self, fmt, table=""):
        request = pb.ExportReviewRequest(
            format=getattr(pb, "EXPORT_FORMAT_" + fmt), table=table, **PERIOD)
        return b"".join(c.data for c in self.stub.ExportReview(
            request, timeout=rtharness.PATIENCE))

    def test_summary_reports_the_series_beyond_their_bound(self):
        s = self.stub.GetReviewSummary(pb.GetReviewSummaryRequest(**PERIOD),
                                       timeout=rtharness.PATIENCE)
        self.assertEqual(s.series_count, 5)
        self.assertEqual(s.series_ceiling_count, 2)
        self.assertEqual(s.series_above_ceiling_count, 3)
        reports = {r.commitment_id: r for r in s.series_ceilings}
        cost = reports[self.cost]
        self.assertEqual(cost.ceiling, 5)
        self.assertEqual(list(cost.dimension_keys), ["corridor"])
        self.assertEqual([(a.dimensions[0].value, a.latest_value)
                          for a in cost.above],
                         [("FRA-SEN", 5.4), ("GBR-NGA", 6.1)])
        self.assertEqual(cost.sentence, self.sentence)
        self.assertEqual(reports[self.share].sentence,
                         "%s: 1 series below 60 per cent: sex=female "
                         "(55, 2025-06-30)." % self.share)
        # The overall figure stays the measurement without dimensions.
        overall = [i for i in s.indicators if i.commitment_id == self.cost]
        self.assertEqual(overall[0].latest_value, 6.0)

    def test_every_format_names_the_corridors_above_the_ceiling(self):
        doc = json.loads(self.export("JSON"))
        summary = doc["summary"]
        self.assertEqual(summary["series_above_ceiling_count"], 3)
        cost = [r for r in summary["series_ceilings"]
                if r["commitment_id"] == self.cost][0]
        self.assertEqual(cost["direction"], "decrease")
        self.assertEqual([a["dimensions"]["corridor"] for a in cost["above"]],
                         ["FRA-SEN", "GBR-NGA"])
        rows = {(r["commitment_id"], r["dimensions"]): r
                for r in doc["series"]}
        self.assertEqual(len(rows), 5)
        self.assertTrue(rows[(self.cost, "corridor=GBR-NGA")]["above_ceiling"])
        self.assertFalse(
            rows[(self.cost, "corridor=USA-MEX")]["above_ceiling"])
        self.assertEqual(rows[(self.cost, "corridor=USA-MEX")]["latest_value"],
                         4.2)

        for raw in (self.export("CSV", "series"),
                    self.ok("review", "--from", PERIOD["from_date"], "--to",
                            PERIOD["to_date"], "--format", "csv", "--table",
                            "series", "-o", "-").out.encode("utf-8")):
            reader = csv.DictReader(io.StringIO(raw.decode("utf-8"),
                                                newline=""))
            above = sorted(r["dimensions"] for r in reader
                           if r["above_ceiling"] == "true")
            self.assertEqual(above, ["corridor=FRA-SEN", "corridor=GBR-NGA",
                                     "sex=female"])

        text = TextOf()
        text.feed(self.export("HTML").decode("utf-8"))
        text.close()
        body = "".join(text.parts)
        self.assertIn(self.sentence, body)
        self.assertIn("t-series", text.tables)
        self.assertIn("GBR-NGA: above the ceiling", body)
        self.assertIn("sex=female: below the floor", body)
        self.assertIn("Disaggregated series", body)

        md = self.export("MARKDOWN").decode("utf-8")
        self.assertIn("2 corridors above 5 per cent", md)
        self.assertIn("corridor=GBR-NGA", md)

        path = self.path("review.xlsx")
        with open(path, "wb") as f:
            f.write(self.export("XLSX"))
        rows = xlsx_rows(path, "Series")
        head = rows[0]
        col, flag = head.index("Series"), head.index("Beyond it")
        above = sorted(r[col] for r in rows[1:] if r[flag] == "True")
        self.assertEqual(above, ["corridor=FRA-SEN", "corridor=GBR-NGA",
                                 "sex=female"])
        summary_text = " ".join(" ".join(r) for r in xlsx_rows(path,
                                                                "Summary"))
        self.assertIn(self.sentence, summary_text)


if __name__ == "__main__":
    unittest.main()
