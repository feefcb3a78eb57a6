"""A commitment's page with what the pledging platform and SDG 10.c ask
of it: the pledge type, the lead actor and each partner with where its
own part stands (its latest validated report, and that report's date),
the pledge a matching pledge answers and those answering it, both ways
as links; and the disaggregated series as a table, the series beyond
the indicator's per-series bound said in words and counted in a
sentence ("2 of 3 corridors above 5 per cent"), "below" a floor for an
indicator that rises.

One rectrackd with a tokens file (a secretariat, reporters for the lead
and for one partner) and its HTTP listener. The pages are parsed with
html.parser. What awaits validation (a partner's report, a measurement
of a new corridor) and an unpublished matching pledge must not show; a
partner whose name is markup shows it as text.
"""

import html.parser
import json
import unittest

import rtharness
from rtharness import bearer, pb, res

SECRETARIAT = "secretariat-token-3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b"
MOI_BGD = "moi-bgd-token-5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d"
MOI_PHL = "moi-phl-token-7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f"

HOSTILE = '<script>alert("ken")</script> & Kenya\'s "ministry"'
HIDDEN_TITLE = "Hushhush matching pledge"
S = res.Status


class Page(html.parser.HTMLParser):
    """What a test reads off a page: the facts (dt: dd text and links),
    the tables (caption, rows of cell texts, each row's links), the
    paragraphs by class, and every link."""

    def __init__(self, body):
        super().__init__(convert_charrefs=True)
        self.facts, self.fact_links = {}, {}
        self.tables, self.paragraphs, self.links = [], {}, []
        self._stack = []      # open elements we collect text for
        self._text = None     # text of the innermost collected element
        self._dt = None
        self._href = None
        self._table = None
        self._row = None
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = {"caption": "", "rows": [], "links": [],
                           "classes": []}
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table["links"].append([])
            self._table["classes"].append(attrs.get("class") or "")
        elif tag == "br":
            self.handle_data(" ")
        elif tag == "a":
            self._href = attrs.get("href")
            self._link_text = ""
        if tag in ("dt", "dd", "th", "td", "caption", "p"):
            self._stack.append((tag, attrs.get("class") or "", ""))
            if tag == "dd":
                self.fact_links[self._dt] = []

    def handle_data(self, data):
        if self._stack:
            tag, cls, text = self._stack[-1]
            self._stack[-1] = (tag, cls, text + data)
        if self._href is not None:
            self._link_text += data

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            link = (self._href, self._link_text)
            self.links.append(link)
            if self._stack and self._stack[-1][0] == "dd":
                self.fact_links[self._dt].append(link)
            if self._row is not None:
                self._table["links"][-1].append(link)
            self._href = None
        if self._stack and self._stack[-1][0] == tag:
            _, cls, text = self._stack.pop()
            text = " ".join(text.split())
            if tag == "dt":
                self._dt = text
            elif tag == "dd":
                self.facts[self._dt] = text
            elif tag in ("th", "td") and self._row is not None:
                self._row.append(text)
            elif tag == "caption" and self._table is not None:
                self._table["caption"] = text
            elif tag == "p":
                self.paragraphs.setdefault(cls, []).append(text)
            if self._stack:  # text of a child belongs to its parent too
                ptag, pcls, ptext = self._stack[-1]
                self._stack[-1] = (ptag, pcls, ptext + " " + text)
        if tag == "tr" and self._row is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def table(self, caption):
        found = [t for t in self.tables if t["caption"] == caption]
        assert len(found) == 1, [t["caption"] for t in self.tables]
        return found[0]


class Pledges(rtharness.ServerTestCase):
    server_http = True
    server_tokens = [
        (SECRETARIAT, "secretariat", "secretariat"),
        (MOI_BGD, "moi-bgd", "reporter bgd"),
        (MOI_PHL, "moi-phl", "reporter phl"),
    ]

    @classmethod
    def call(cls, token, method, request):
        return getattr(cls.stub, method)(request, metadata=bearer(token))

    @classmethod
    def create(cls, **fields):
        fields.setdefault("kind", res.COMMITMENT_KIND_QUANTIFIED_TARGET)
        return cls.call(SECRETARIAT, "CreateCommitment",
                        pb.CreateCommitmentRequest(
                            commitment=res.Commitment(**fields)))

    @classmethod
    def report(cls, token, status, as_of, partner=""):
        return cls.call(token, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=cls.joint, status=status,
                                   as_of=as_of, partner_id=partner)))

    @classmethod
    def measure(cls, cid, value, as_of, *dims, token=SECRETARIAT):
        argv = ["measure", cid, "--value", str(value), "--as-of", as_of]
        for d in dims:
            argv += ["--dim", d]
        result = cls.server.cli(*argv,
                                env=rtharness.cli_env(RECTRACK_TOKEN=token))
        assert result.code == 0, result

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for actor, name in (("bgd", "Bangladesh"), ("phl", "Philippines"),
                            ("ken", HOSTILE), ("iom", "IOM")):
            cls.call(SECRETARIAT, "CreateActor", pb.CreateActorRequest(
                actor=res.Actor(id=actor, name=name,
                                kind=res.ACTOR_KIND_MEMBER_STATE)))
        cls.joint = cls.create(
            actor_id="bgd", partner_ids=["phl", "ken"],
            pledge_type=res.PLEDGE_TYPE_PARTNERSHIP,
            title="Remittance costs down in every corridor",
            indicator=res.Indicator(
                name="cost of sending 200 USD", unit="per cent",
                baseline_value=7, baseline_date="2020-01-01",
                target_value=3, target_date="2030-12-31",
                direction=res.DIRECTION_DECREASE,
                series_ceiling=res.SeriesCeiling(value=5))).id
        # The lead's report is the pledge's own status; phl's two reports
        # decide phl's part (the later as_of wins); ken has none.
        cls.report(SECRETARIAT, S.STATUS_IN_PROGRESS, "2025-05-01")
        cls.report(SECRETARIAT, S.STATUS_IN_PROGRESS, "2025-06-30", "phl")
        cls.report(SECRETARIAT, S.STATUS_NOT_STARTED, "2025-01-31", "phl")
        # phl's own reporter: a submission, not shown until validated
        cls.report(MOI_PHL, S.STATUS_IMPLEMENTED, "2025-09-30", "phl")
        cls.matching = cls.create(
            actor_id="iom", matches_commitment_id=cls.joint,
            kind=res.COMMITMENT_KIND_FUNDING,
            title="Matching support for the corridors").id
        cls.hidden = cls.create(
            actor_id="iom", matches_commitment_id=cls.joint,
            kind=res.COMMITMENT_KIND_FUNDING, title=HIDDEN_TITLE,
            publication=res.PUBLICATION_UNPUBLISHED).id
        cls.measure(cls.joint, 6.0, "2024-06-30")
        cls.measure(cls.joint, 7.2, "2024-06-30", "corridor=GBR-NGA")
        cls.measure(cls.joint, 6.1, "2025-06-30", "corridor=GBR-NGA")
        cls.measure(cls.joint, 4.0, "2025-06-30", "corridor=GBR-IND")
        cls.measure(cls.joint, 8.4, "2025-03-31", "corridor=GBR-CHN")
        # the lead's reporter: a new corridor awaiting validation
        cls.measure(cls.joint, 9.9, "2025-06-30", "corridor=GBR-PAK",
                    token=MOI_BGD)
        # A rising indicator: its per-series bound is a floor.
        cls.rising = cls.create(
            actor_id="phl", title="More women in the diaspora survey",
            indicator=res.Indicator(
                name="share of women answering", unit="per cent",
                baseline_value=30, baseline_date="2024-01-01",
                target_value=50, target_date="2027-12-31",
                direction=res.DIRECTION_INCREASE,
                series_ceiling=res.SeriesCeiling(value=40))).id
        cls.measure(cls.rising, 35, "2025-06-30", "sex=female")
        cls.measure(cls.rising, 45, "2025-06-30", "sex=male")

    def page(self, path):
        answer = self.server.http_get(path)
        self.assertEqual(answer.status, 200, (path, answer.body[:300]))
        body = answer.body.decode()
        self.assertNotIn("<script", body)
        return body, Page(body)

    def href(self, cid):
        return "/commitments/" + cid

    def test_pledge_type_lead_and_partners(self):
        body, page = self.page(self.href(self.joint))
        self.assertEqual(page.facts["Pledge type"], "Partnership")
        self.assertEqual(page.facts["Lead actor"], "Bangladesh")
        self.assertEqual(page.fact_links["Lead actor"],
                         [("/actors/bgd", "Bangladesh")])
        # The pledge's own status is the lead's report's.
        self.assertTrue(page.facts["Status"].startswith("In progress"))
        partners = page.table("Where each partner's part stands")
        self.assertEqual(partners["rows"], [
            ["Partner", "Status", "As of (the deciding report)"],
            ["Philippines", "In progress", "2025-06-30"],
            [HOSTILE, "No information", "no validated report"],
        ])
        self.assertEqual(partners["links"][1], [("/actors/phl",
                                                 "Philippines")])
        self.assertEqual(partners["links"][2], [("/actors/ken", HOSTILE)])
        # The history says whose part a partner's report is of.
        history = [row for t in page.tables if t["caption"] == ""
                   for row in t["rows"][1:]]
        # (previous_status is the part's status when a report was recorded)
        self.assertIn(["2025-06-30", "No information \u2192 In progress "
                       "part of Philippines", "none", "", ""], history)
        self.assertIn(["2025-01-31", "In progress \u2192 Not started "
                       "part of Philippines", "none", "", ""], history)
        self.assertIn(["2025-05-01", "No information \u2192 In progress",
                       "none", "", ""], history)
        # phl's submission awaits validation: not on the page.
        self.assertNotIn("2025-09-30", body)
        self.assertNotIn("Implemented", partners["rows"][1])

    def test_a_hostile_actor_name_is_escaped(self):
        body, _ = self.page(self.href(self.joint))
        self.assertNotIn(HOSTILE, body)
        self.assertIn("&lt;script&gt;alert(&quot;ken&quot;)&lt;/script&gt; "
                      "&amp; Kenya&#39;s &quot;ministry&quot;", body)

    def test_matching_links_go_both_ways(self):
        _, joint = self.page(self.href(self.joint))
        self.assertEqual(joint.fact_links["Matched by"], [
            (self.href(self.matching),
             self.matching + ": Matching support for the corridors")])
        self.assertNotIn("Matches", joint.facts)
        _, matching = self.page(self.href(self.matching))
        self.assertEqual(matching.facts["Pledge type"], "Matching")
        self.assertEqual(matching.facts["Made by"], "IOM")
        self.assertEqual(matching.fact_links["Matches"], [
            (self.href(self.joint),
             self.joint + ": Remittance costs down in every corridor")])
        self.assertNotIn("Matched by", matching.facts)

    def test_an_unpublished_matching_pledge_is_not_linked(self):
        grpc_view = self.call(SECRETARIAT, "GetCommitment",
                              pb.GetCommitmentRequest(id=self.joint))
        self.assertIn(self.hidden, grpc_view.matched_by)
        body, page = self.page(self.href(self.joint))
        self.assertNotIn(HIDDEN_TITLE, body)
        self.assertNotIn(self.href(self.hidden), [h for h, _ in page.links])
        api = json.loads(self.server.http_get(
            "/api/v1/commitments/" + self.joint).body)
        self.assertEqual(api["matchedBy"], [self.matching])
        self.assertEqual(self.server.http_get(
            self.href(self.hidden)).status, 404)

    def test_series_table_and_the_ceiling(self):
        body, page = self.page(self.href(self.joint))
        self.assertEqual(page.paragraphs["ceiling"], [
            "2 of 3 corridors above 5 per cent, the ceiling each must keep "
            "to."])
        series = page.table("Disaggregated series")
        self.assertEqual(series["rows"][0], [
            "Series", "Latest", "As of", "Trajectory", "Measurements",
            "Ceiling"])
        rows = {row[0]: row for row in series["rows"][1:]}
        self.assertEqual(sorted(rows), ["corridor GBR-CHN",
                                        "corridor GBR-IND",
                                        "corridor GBR-NGA"])
        self.assertEqual(rows["corridor GBR-NGA"][1:3],
                         ["6.1 per cent", "2025-06-30"])
        self.assertEqual(rows["corridor GBR-NGA"][4:],
                         ["2", "Above the ceiling"])
        self.assertEqual(rows["corridor GBR-CHN"][1:],
                         ["8.4 per cent", "2025-03-31",
                          rows["corridor GBR-CHN"][3], "1",
                          "Above the ceiling"])
        self.assertEqual(rows["corridor GBR-IND"][1:3],
                         ["4 per cent", "2025-06-30"])
        self.assertEqual(rows["corridor GBR-IND"][4:],
                         ["1", "Within the ceiling"])
        for row in rows.values():
            self.assertTrue(row[3])  # a trajectory, in words
        # Each validated measurement says which series it is of.
        measured = page.table("Validated measurements")
        self.assertEqual(measured["rows"][0][:3], ["As of", "Series", "Value"])
        self.assertIn(["2024-06-30", "overall", "6"],
                      [row[:3] for row in measured["rows"]])
        self.assertIn(["2025-06-30", "corridor GBR-NGA", "6.1"],
                      [row[:3] for row in measured["rows"]])
        # The corridor awaiting validation is no series of the public's.
        self.assertNotIn("GBR-PAK", body)
        self.assertNotIn("9.9", body)

    def test_the_api_counts_the_public_series(self):
        grpc_view = self.call(SECRETARIAT, "GetCommitment",
                              pb.GetCommitmentRequest(id=self.joint))
        self.assertEqual(grpc_view.series_count, 4)  # GBR-PAK, pending
        api = json.loads(self.server.http_get(
            "/api/v1/commitments/" + self.joint).body)
        self.assertEqual(api["seriesCount"], 3)
        self.assertEqual(api["seriesAboveCeilingCount"], 2)
        self.assertEqual(
            [[d["value"] for d in s["dimensions"]] for s in api["series"]],
            [["GBR-CHN"], ["GBR-IND"], ["GBR-NGA"]])
        self.assertEqual([s["measurementCount"] for s in api["series"]],
                         [1, 1, 2])
        parts = {p["actorId"]: p for p in api["partnerStatuses"]}
        self.assertEqual(parts["phl"]["status"], "STATUS_IN_PROGRESS")
        self.assertEqual(parts["phl"]["lastFollowUpAsOf"], "2025-06-30")
        self.assertNotIn("reportedStatus", parts["phl"])
        listed = json.loads(self.server.http_get(
            "/api/v1/commitments?actor=bgd").body)["commitments"]
        self.assertEqual([c["seriesCount"] for c in listed], [3])

    def test_a_floor_for_a_rising_indicator(self):
        _, page = self.page(self.href(self.rising))
        self.assertEqual(page.paragraphs["ceiling"], [
            "1 of 2 sexes below 40 per cent, the floor each must keep to."])
        series = page.table("Disaggregated series")
        self.assertEqual(series["rows"][0][-1], "Floor")
        rows = {row[0]: row for row in series["rows"][1:]}
        self.assertEqual(rows["sex female"][-1], "Below the floor")
        self.assertEqual(rows["sex male"][-1], "Within the floor")

    def test_the_list_shows_the_pledge_type(self):
        body, page = self.page("/commitments")
        table = page.tables[0]
        by_id = {row[0]: row for row in table["rows"][1:]}
        self.assertIn("Partnership pledge", by_id[self.joint][3])
        self.assertIn("Matching pledge", by_id[self.matching][3])
        self.assertNotIn("pledge", by_id[self.rising][3])
        self.assertNotIn(self.hidden, by_id)


if __name__ == "__main__":
    unittest.main()
