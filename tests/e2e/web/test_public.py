"""What the public may see: a commitment kept unpublished and a report
awaiting validation appear nowhere in the public window, neither on a
page, in the JSON API, in a search, a count, a chart nor a download;
once published and validated they do.

One rectrackd with a tokens file (a secretariat, a reporter for bgd and
a reader) and the demo data set. setUpClass takes every answer of a set
of public URLs three times: before the hidden writes, after them, and
after the secretariat publishes the commitment and validates the
reports. Before and after must be the same answers (but for the
revision and time of the data); the third must show what was hidden, so
that the markers searched for are known to be visible when public.
"""

import json
import re
import unittest
import urllib.parse

import grpc

import rtharness
from rtharness import bearer, pb, res

SECRETARIAT = "secretariat-token-6b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a"
MOI_BGD = "moi-bgd-token-0c2e4a6c8e0b2d4f6a8c0e2b4d6f8a0c"
READER = "reader-token-4e6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e"

HIDDEN_TITLE = "Hushhush corridor pledge"
SUBMITTED_NOTE = "Zyzzyva ministry report"
SUBMITTED_VALUE = 4242.5
HIDDEN_FOLLOW_UP = "Quokka progress note"

# The line of a page saying the revision and time of its data, and the
# fields of a JSON answer that carry them: they change with any write.
# A record's own revision and update time change too when a report on it
# is submitted (the store counts it as pending there); what was
# submitted does not show.
AS_OF = re.compile(r'<p class="as-of">.*?</p>', re.S)
VOLATILE = ("revision", "updatedMs", "asOf", "toDate")


class Public(rtharness.ServerTestCase):
    server_http = True
    server_tokens = [
        (SECRETARIAT, "secretariat", "secretariat"),
        (MOI_BGD, "moi-bgd", "reporter bgd"),
        (READER, "partner", "reader"),
    ]

    @classmethod
    def call(cls, token, method, request):
        return getattr(cls.stub, method)(request, metadata=bearer(token))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = rtharness.cli_env(RECTRACK_TOKEN=SECRETARIAT)
        result = cls.server.cli("import", rtharness.DEMO_JSON, env=env)
        assert result.code == 0, result
        # a published commitment of bgd that the reporter measures
        cls.measured = cls.call(SECRETARIAT, "CreateCommitment",
                                pb.CreateCommitmentRequest(
                                    commitment=cls.commitment(
                                        "Public corridor pledge",
                                        res.PUBLICATION_PUBLISHED))).id
        cls.before = cls.snapshot()

        # the hidden writes
        cls.hidden = cls.call(SECRETARIAT, "CreateCommitment",
                              pb.CreateCommitmentRequest(
                                  commitment=cls.commitment(
                                      HIDDEN_TITLE,
                                      res.PUBLICATION_UNPUBLISHED))).id
        cls.call(SECRETARIAT, "RecordMeasurement", pb.RecordMeasurementRequest(
            commitment_id=cls.hidden, measurement=res.Measurement(
                value=4.5, as_of="2026-03-31", note="Quokka measurement")))
        cls.call(SECRETARIAT, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=cls.hidden,
                                   status=res.STATUS_IMPLEMENTED,
                                   as_of="2026-04-01",
                                   note=HIDDEN_FOLLOW_UP)))
        cls.submitted = cls.call(MOI_BGD, "RecordFollowUp",
                                 pb.RecordFollowUpRequest(
                                     follow_up=res.FollowUp(
                                         subject_id="R18",
                                         status=res.STATUS_IMPLEMENTED,
                                         as_of="2026-04-02",
                                         reported_by="bgd",
                                         note=SUBMITTED_NOTE))).revision
        cls.call(MOI_BGD, "RecordMeasurement", pb.RecordMeasurementRequest(
            commitment_id=cls.measured, measurement=res.Measurement(
                value=SUBMITTED_VALUE, as_of="2026-04-03",
                note=SUBMITTED_NOTE)))
        cls.submitted_measurement = [
            m.revision for m in cls.call(
                READER, "ListMeasurements", pb.ListMeasurementsRequest(
                    commitment_id=cls.measured)).measurements
            if m.value == SUBMITTED_VALUE][0]
        cls.after = cls.snapshot()

        # published and validated: now they may show
        cls.call(SECRETARIAT, "UpdateCommitment", pb.UpdateCommitmentRequest(
            commitment=res.Commitment(id=cls.hidden,
                                      publication=res.PUBLICATION_PUBLISHED),
            update_mask=["publication"]))
        for subject, revision in [("R18", cls.submitted),
                                  (cls.measured, cls.submitted_measurement)]:
            cls.call(SECRETARIAT, "ValidateSubmission",
                     pb.ValidateSubmissionRequest(
                         subject_id=subject, revision=revision,
                         decision=res.REVIEW_STATE_VALIDATED))
        cls.published = cls.snapshot()

    @classmethod
    def commitment(cls, title, publication):
        return res.Commitment(
            actor_id="bgd", title=title, text=title + ", in full.",
            kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET,
            recommendation_ids=["R18"], source_id="idm-2023-ny",
            sdg_targets=["10.c"], gcm_objectives=[20], theme="remittances",
            made_on="2024-01-01", due_date="2025-12-31",
            publication=publication,
            indicator=res.Indicator(
                name="cost of sending 200 USD", unit="per cent",
                baseline_value=6, baseline_date="2024-01-01",
                target_value=3, target_date="2027-01-01",
                direction=res.DIRECTION_DECREASE))

    @classmethod
    def urls(cls):
        measured = cls.measured
        return [
            "/", "/recommendations", "/recommendations?actor=bgd",
            "/recommendations?status=implemented",
            "/recommendations/R18", "/commitments", "/commitments?actor=bgd",
            "/commitments?recommendation=R18", "/commitments?q=Hushhush",
            "/commitments?status=implemented", "/commitments?overdue=true",
            "/commitments/" + measured, "/sdg", "/sdg/10.c", "/gcm",
            "/gcm/20", "/themes/remittances", "/actors", "/actors/bgd",
            "/sources", "/sources/idm-2023-ny", "/downloads",
            "/downloads/review.json", "/downloads/review.md",
            "/downloads/review.csv?table=commitments",
            "/downloads/review.csv?table=follow-ups",
            "/downloads/review.csv?table=measurements",
            "/api/v1/summary", "/api/v1/commitments",
            "/api/v1/commitments?actor=bgd", "/api/v1/commitments?q=Hushhush",
            "/api/v1/commitments?recommendation=R18",
            "/api/v1/commitments?sdg=10.c&page_size=1000",
            "/api/v1/recommendations/R18",
            "/api/v1/recommendations?actor=bgd&status=implemented",
            "/api/v1/follow-ups?subject=R18",
            "/api/v1/commitments/" + measured,
            "/api/v1/measurements?commitment=" + measured,
        ]

    @classmethod
    def snapshot(cls):
        answers = {}
        for url in cls.urls():
            answer = cls.server.http_get(url)
            assert answer.status == 200, (url, answer.status, answer.body)
            answers[url] = answer.body.decode("utf-8", "replace")
        return answers

    @staticmethod
    def stable(url, body):
        """The answer less the revision and time of its data."""
        if "/api/" in url or url.endswith(".json"):
            def strip(value):
                if isinstance(value, dict):
                    return {k: strip(v) for k, v in value.items()
                            if k not in VOLATILE}
                if isinstance(value, list):
                    return [strip(v) for v in value]
                return value
            return strip(json.loads(body))
        body = AS_OF.sub("", body)
        body = re.sub(r"(revision|Revision) \d+", r"\1 N", body)
        return body

    def markers(self):
        # (not "Hushhush" alone: a search for it is echoed in its form)
        return [self.hidden, HIDDEN_TITLE, HIDDEN_FOLLOW_UP, "Quokka",
                SUBMITTED_NOTE, "Zyzzyva", "4242.5", "moi-bgd"]

    def find(self, body, marker):
        if marker == self.hidden:  # C17, not C170
            return re.search(re.escape(marker) + r"(?![0-9])", body)
        return marker in body

    def test_hidden_records_appear_in_no_answer(self):
        for url, body in self.after.items():
            for marker in self.markers():
                with self.subTest(url=url, marker=marker):
                    self.assertFalse(self.find(body, marker))

    def test_answers_are_the_same_as_before_the_hidden_writes(self):
        """No count, chart, total or page boundary moved."""
        for url in self.urls():
            with self.subTest(url=url):
                self.assertEqual(self.stable(url, self.after[url]),
                                 self.stable(url, self.before[url]))

    def test_once_public_they_show(self):
        shown = {
            "/commitments": [self.hidden, HIDDEN_TITLE],
            "/commitments?q=Hushhush": [HIDDEN_TITLE],
            "/api/v1/commitments?q=Hushhush": [HIDDEN_TITLE],
            "/actors/bgd": [HIDDEN_TITLE],
            "/recommendations/R18": [HIDDEN_TITLE, SUBMITTED_NOTE],
            "/api/v1/follow-ups?subject=R18": [SUBMITTED_NOTE],
            "/api/v1/measurements?commitment=" + self.measured: ["4242.5"],
            "/downloads/review.csv?table=commitments": [HIDDEN_TITLE],
            "/downloads/review.csv?table=follow-ups": [HIDDEN_FOLLOW_UP,
                                                       SUBMITTED_NOTE],
        }
        for url, markers in shown.items():
            for marker in markers:
                with self.subTest(url=url, marker=marker):
                    self.assertTrue(self.find(self.published[url], marker))
        before = json.loads(self.before["/api/v1/summary"])
        now = json.loads(self.published["/api/v1/summary"])
        self.assertEqual(now["commitmentCount"],
                         before["commitmentCount"] + 1)

    def test_an_unpublished_commitment_is_404_like_a_missing_one(self):
        # published now; a second one, kept unpublished, for this test
        kept = self.call(SECRETARIAT, "CreateCommitment",
                         pb.CreateCommitmentRequest(
                             commitment=self.commitment(
                                 "Kept back", res.PUBLICATION_UNPUBLISHED))).id
        missing = "C99999"
        for path in ["/commitments/%s", "/api/v1/commitments/%s",
                     "/api/v1/measurements?commitment=%s",
                     "/api/v1/follow-ups?subject=%s"]:
            with self.subTest(path=path):
                hidden = self.server.http_get(path % kept)
                absent = self.server.http_get(path % missing)
                self.assertEqual(hidden.status, 404)
                self.assertEqual(absent.status, 404)
                self.assertEqual(hidden.body.replace(kept.encode(), b"X"),
                                 absent.body.replace(missing.encode(), b"X"))
        # the gRPC API still shows it to its callers
        got = self.call(READER, "GetCommitment",
                        pb.GetCommitmentRequest(id=kept))
        self.assertEqual(got.publication, res.PUBLICATION_UNPUBLISHED)


if __name__ == "__main__":
    unittest.main()
