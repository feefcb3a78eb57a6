"""Reads back every export of the fixture review with independent parsers.

Usage: check_exports.py RENDER_FIXTURE_BINARY

Runs the binary into a temporary directory, then checks: HTML with
html.parser (tags balanced, no script element, every table row present,
SVG charts present, hostile text comes back as text), Markdown tables
(every row has the header's column count), CSV with the csv module (RFC
4180 round trip), JSON with the json module, XLSX with openpyxl (sheets,
typed cells, frozen header rows, autofilter) plus the chart parts in the
zip. Exits non-zero with a message on the first failure.
"""

import csv
import datetime
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

HOSTILE = ("<script>alert('x')</script> \"q\", a|b & c\n"
           "\u05e9\u05dc\u05d5\u05dd \u0639\u0631\u0628\u064a *_`#")
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base",
        "wbr", "source"}
# by theme (the hostile theme sorts first), then id
REC_IDS = ["R6", "R2", "R3", "R5", "R1", "R10"]
COM_IDS = ["C1", "C2", "C3", "C4"]
# The names a reader looks for in every format, beside or instead of ids:
# an actor's name (mex), theme titles, a GCM objective's title and an SDG
# target's label, all from the reference lists.
THEME_TITLES = ["Remittance costs and financial inclusion",
                "Migration data for action, insight and foresight"]
GCM_20 = ("Promote faster, safer and cheaper transfer of remittances and "
          "foster financial inclusion of migrants")
SDG_10C = ("Remittance costs below 3 per cent on average; no remittance "
           "corridor above 5 per cent")
NAMES = ["Mexico", GCM_20, SDG_10C] + THEME_TITLES


def check_names(text, what):
    for name in NAMES:
        check(name in text, "%s lacks the name %r" % (what, name))


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class HtmlChecker(html.parser.HTMLParser):
    """Checks nesting and collects text, table rows and SVG elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.text = []
        self.rows = {}
        self.table_class = None
        self.svgs = 0
        self.cells = 0
        self.ids = set()
        self.fragments = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        check(tag != "script", "HTML has a script element")
        check(tag not in ("link", "img", "iframe", "object"),
              "HTML loads something: <%s>" % tag)
        check("src" not in attrs, "HTML has a src attribute")
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "href" in attrs:
            # links within the document (the contents) and evidence links
            # to the web, nothing else: no script, data or file URL
            href = attrs["href"]
            check(tag == "a", "HTML href on <%s>" % tag)
            if href.startswith("#"):
                self.fragments.append(href[1:])
            else:
                check(re.match(r"https?://", href) is not None,
                      "HTML link to %r" % href)
                check(attrs.get("rel") == "noopener noreferrer",
                      "HTML link without rel: %r" % href)
                self.links.append(href)
        if tag == "table":
            self.table_class = attrs.get("class")
        if tag == "tr" and "tbody" in self.stack:
            self.rows[self.table_class] = self.rows.get(self.table_class, 0) + 1
        if tag == "svg":
            self.svgs += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        check(tag != "script", "HTML has a script element")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        check(self.stack and self.stack[-1] == tag,
              "HTML </%s> closes <%s>" % (tag, self.stack[-1:]))
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    check(source.startswith("<!DOCTYPE html>"), "HTML doctype")
    check('<meta charset="utf-8">' in source, "HTML charset")
    parser = HtmlChecker()
    parser.feed(source)
    parser.close()
    check(parser.stack == [], "HTML unclosed tags: %s" % parser.stack)
    text = "".join(parser.text)
    check(HOSTILE.split("\n")[0] in text, "HTML hostile text not as text")
    check("@media print" in source, "HTML print CSS")
    # overview, theme and actor charts, one per quantified commitment, and
    # the SDG and GCM charts
    check(parser.svgs == 5 + len(COM_IDS), "HTML SVG count %d" % parser.svgs)
    check_names(text, "HTML")
    check(len(parser.fragments) >= 10, "HTML table of contents %s"
          % parser.fragments)
    for fragment in parser.fragments:
        check(fragment in parser.ids, "HTML contents link #%s goes nowhere"
              % fragment)
    # the evidence of R1's report: the URL a link, the hostile entry text
    check(parser.links == ["https://example.org/a,b"],
          "HTML evidence links %s" % parser.links)
    check("Theme: Remittance costs and financial inclusion" in text,
          "HTML theme heading without its title")
    # a theme's own table does not repeat the theme in a column
    section = source[source.index('id="recommendations"'):]
    section = section[:section.index('id="commitments"')]
    check("<th scope=\"col\">Theme</th>" not in section,
          "HTML theme table repeats its theme")
    check('<td class="t u" dir="auto">per cent</td>' in source,
          "HTML unit cell may break its words")
    check(parser.rows.get("t-recommendations") == len(REC_IDS),
          "HTML recommendation rows %s" % parser.rows)
    check(parser.rows.get("t-commitments") == len(COM_IDS),
          "HTML commitment rows")
    check(parser.rows.get("t-overdue") == 4, "HTML overdue rows")
    check(parser.rows.get("t-changes") == 3, "HTML change rows")
    check(parser.rows.get("t-indicators") == 4, "HTML indicator rows")
    check(parser.rows.get("t-no_information") == 6, "HTML no-info rows")
    for label in ("No information", "Implemented", "Withdrawn"):
        check(label in text, "HTML legend lacks " + label)
    # the headline figures: one of each trajectory in the fixture
    figures = re.search(r'<div class="figures">(.*?)</div>\n', source, re.S)
    check(figures is not None, "HTML key figures")
    figures = re.sub(r"<[^>]+>", " ", figures.group(1))
    for phrase in ("6 recommendations", "4 overdue", "3 status changes",
                   "2 on track or achieved", "of 4 quantified targets",
                   "1 targets off track", "1 without a measurement"):
        check(phrase in " ".join(figures.split()),
              "HTML key figures lack %r: %s" % (phrase, figures))
    # each indicator chart marks its target and the trajectory is in words
    check(text.count("target ") >= 4, "HTML indicator targets marked")
    for word in ("On track", "Off track", "Achieved", "No data"):
        check(word in text, "HTML trajectory label " + word)


def split_md_row(line):
    """Cells of a GFM table row: split on | not preceded by a backslash."""
    check(line.startswith("|") and line.endswith("|"), "MD row: " + line)
    return re.split(r"(?<!\\)\|", line[1:-1])


def check_markdown(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    check("<script" not in "\n".join(lines), "Markdown has raw <script")
    tables, i = 0, 0
    while i < len(lines):
        if lines[i].startswith("|"):
            check(i > 0 and lines[i - 1] == "", "MD table not after a blank")
            width = len(split_md_row(lines[i]))
            check(re.fullmatch(r"\|( -{3,}:? \|)+", lines[i + 1]) is not None,
                  "MD delimiter row: " + lines[i + 1])
            check(len(split_md_row(lines[i + 1])) == width, "MD delimiter")
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                check(len(split_md_row(lines[i])) == width,
                      "MD row has %d cells, header %d: %s"
                      % (len(split_md_row(lines[i])), width, lines[i]))
                i += 1
            tables += 1
        else:
            i += 1
    check(tables >= 10, "MD has %d tables" % tables)
    check_names("\n".join(lines), "Markdown")


def check_csv(directory):
    expected = {"recommendations": (REC_IDS, "id"),
                "commitments": (COM_IDS, "id"),
                "follow-ups": (["R2", "R1", "R10", "C1"], "subject_id"),
                "measurements": (["C1", "C1", "C2", "C3"], "commitment_id")}
    for table, (ids, column) in expected.items():
        path = os.path.join(directory, "review-%s.csv" % table)
        with open(path, "rb") as f:
            raw = f.read()
        check(raw.endswith(b"\r\n"), "CSV %s line ends" % table)
        check(raw.count(b"\r\n") == len(ids) + 1,
              "CSV %s: one CRLF per record" % table)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        check([r[column] for r in rows] == ids,
              "CSV %s ids %s" % (table, [r[column] for r in rows]))
    with open(os.path.join(directory, "review-recommendations.csv"),
              newline="", encoding="utf-8") as f:
        recs = {r["id"]: r for r in csv.DictReader(f)}
    check(recs["R1"]["title"] == HOSTILE, "CSV hostile title round trip")
    check(recs["R2"]["sdg_targets"] == "17.18;10.7", "CSV list joined by ;")
    check(recs["R10"]["days_overdue"] == "366", "CSV days overdue")
    check(recs["R1"]["status"] == "in-progress", "CSV status name")
    # name columns beside the id columns
    check(recs["R1"]["theme"] == "remittances" and
          recs["R1"]["theme_title"] == THEME_TITLES[0], "CSV theme title")
    check(recs["R2"]["lead_actor_id"] == "iom" and
          recs["R2"]["lead_actor_name"] == "IOM", "CSV lead name")
    check(recs["R3"]["addressed_to"] == "mex" and
          recs["R3"]["addressed_to_names"] == "Mexico", "CSV addressed names")
    check(recs["R1"]["source_title"] == HOSTILE + " (2024-03-26)",
          "CSV source title with its date")
    with open(os.path.join(directory, "review-commitments.csv"),
              newline="", encoding="utf-8") as f:
        coms = {r["id"]: r for r in csv.DictReader(f)}
    check(coms["C3"]["actor_id"] == "mex" and
          coms["C3"]["actor_name"] == "Mexico", "CSV commitment actor name")
    with open(os.path.join(directory, "review-follow-ups.csv"),
              newline="", encoding="utf-8") as f:
        fus = list(csv.DictReader(f))
    check(fus[0]["reported_by"] == "bgd" and
          fus[0]["reported_by_name"] == HOSTILE, "CSV reporter name")


def check_json(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    check(doc["format"] == "rectrack.review.v1", "JSON format")
    s = doc["summary"]
    check(s["recommendation_count"] == 6 and s["commitment_count"] == 4,
          "JSON counts")
    check([r["id"] for r in doc["recommendations"]] == REC_IDS,
          "JSON recommendation order")
    check(doc["recommendations"][4]["title"] == HOSTILE, "JSON hostile text")
    c1 = s["indicators"][0]
    check(c1["trajectory"] == "on-track" and c1["progress"] == 0.5,
          "JSON C1 indicator")
    check([m["value"] for m in c1["measurements"]] == [5.5, 4.5],
          "JSON C1 series")
    check([o["days_overdue"] for o in s["overdue"]] == [366, 335, 184, 30],
          "JSON overdue")
    check(s["no_information_ids"] == ["R3", "R5", "R6", "C2", "C3", "C4"],
          "JSON no information")
    check(len(doc["follow_ups"]) == 4 and len(doc["measurements"]) == 4,
          "JSON rows")
    check(doc["actors"][0]["name"] == HOSTILE, "JSON actor")
    # ids kept, names added
    r2 = doc["recommendations"][1]
    check(r2["lead_actor_id"] == "iom" and r2["lead_actor_name"] == "IOM",
          "JSON lead name")
    gcm = {g["gcm_objective"]: g for g in s["by_gcm_objective"]}
    check(gcm[20]["title"] == GCM_20 and gcm[20]["in_progress"] == 2,
          "JSON GCM title and breakdown %s" % gcm[20])
    sdg = {g["sdg_target"]: g for g in s["by_sdg_target"]}
    check(sdg["10.c"]["label"] == SDG_10C, "JSON SDG label")
    check(all(isinstance(a["kind"], (str, type(None))) for a in doc["actors"])
          and all(isinstance(x["kind"], (str, type(None)))
                  for x in doc["sources"]), "JSON kinds as slugs")
    check_names(json.dumps(doc, ensure_ascii=False), "JSON")


def check_xlsx(path):
    import openpyxl
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        charts = [n for n in names if n.startswith("xl/charts/chart")]
        check(len(charts) == 4, "XLSX charts %s" % charts)
        chart1 = z.read("xl/charts/chart1.xml").decode()
    refs = re.findall(r"<c:f>([^<]*)</c:f>", chart1)
    # C1's path (baseline/target cells of its Summary row) and its two
    # measurements (rows 2-3 of the Measurements sheet: dates, values)
    check(refs[2:] == ["Measurements!$D$2:$D$3", "Measurements!$E$2:$E$3"],
          "XLSX chart 1 series %s" % refs)
    path_row = int(re.match(r"Summary!\$G\$(\d+):", refs[0]).group(1))
    wb = openpyxl.load_workbook(path)
    check(wb.sheetnames == ["Summary", "Recommendations", "Commitments",
                            "FollowUps", "Measurements", "Overdue",
                            "Changes", "SDG", "GCM", "Actors", "Lines",
                            "Specificity", "Pledges", "Series"],
          "XLSX sheets %s" % wb.sheetnames)
    text = []
    for name in wb.sheetnames:
        for row in wb[name].iter_rows(values_only=True):
            text.extend(str(v) for v in row if v is not None)
    check_names("\n".join(text), "XLSX")
    check(wb["Overdue"].max_row == 1 + 4, "XLSX overdue rows")
    check(wb["Changes"].max_row == 1 + 3, "XLSX change rows")
    actors = {r[0]: r[1] for r in wb["Actors"].iter_rows(min_row=2,
                                                         values_only=True)}
    check(actors.get("mex") == "Mexico", "XLSX Actors sheet %s" % actors)
    for name in wb.sheetnames[1:]:
        ws = wb[name]
        check(ws.freeze_panes == "A2", "XLSX %s frozen %s"
              % (name, ws.freeze_panes))
        check(ws.auto_filter.ref is not None, "XLSX %s autofilter" % name)
    recs = wb["Recommendations"]
    header = [c.value for c in recs[1]]
    rows = {r[0]: dict(zip(header, r))
            for r in recs.iter_rows(min_row=2, values_only=True)}
    check(sorted(rows) == sorted(REC_IDS), "XLSX recommendation ids")
    check(isinstance(rows["R1"]["Due"], datetime.datetime) and
          rows["R1"]["Due"].date() == datetime.date(2024, 6, 30),
          "XLSX due date is a date: %r" % rows["R1"]["Due"])
    check(rows["R10"]["Days overdue"] == 366, "XLSX days overdue number")
    check(rows["R1"]["Title"] == HOSTILE, "XLSX hostile text")
    meas = wb["Measurements"]
    values = [r[4] for r in meas.iter_rows(min_row=2, values_only=True)]
    check(values == [5.5, 4.5, 30, 25], "XLSX measurement numbers %s" % values)
    summary = wb["Summary"]
    check(isinstance(summary["B2"].value, datetime.datetime), "XLSX from date")
    figures = {r[0]: r[1] for r in summary.iter_rows(min_row=5, max_row=14,
                                                     values_only=True)}
    check(figures.get("Quantified targets achieved or on track") == 2 and
          figures.get("Quantified targets off track") == 1 and
          figures.get("Quantified targets without a measurement") == 1 and
          figures.get("Overdue") == 4,
          "XLSX key figures %s" % figures)
    check(summary.cell(row=path_row, column=1).value == "C1" and
          summary.cell(row=path_row, column=9).value == 6 and
          summary.cell(row=path_row, column=10).value == 3,
          "XLSX chart 1 path row %d" % path_row)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([binary, directory], check=True)
        check_html(os.path.join(directory, "review.html"))
        check_markdown(os.path.join(directory, "review.md"))
        check_csv(directory)
        check_json(os.path.join(directory, "review.json"))
        check_xlsx(os.path.join(directory, "review.xlsx"))
    print("all exports read back")


if __name__ == "__main__":
    main()
