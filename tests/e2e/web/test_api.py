"""The JSON read API against the gRPC API: the same query asked of
/api/v1/... and of the Tracker service gives the same records, in the
same order, in the protobuf JSON mapping (json_format.MessageToDict:
lowerCamelCase names, int64 as strings, enums by name), page after page.

Who wrote a record (updatedBy, recordedBy, reviewedBy: principals of the
tokens file) is left out of the public answers. The demo data set holds no commitment kept unpublished and no report
awaiting validation (test_public.py has those), so the public answer and
the gRPC one are the same data; gRPC lists of commitments are asked for
published ones, as the public API always is.
"""

import json
import unittest
import urllib.parse

from google.protobuf import json_format

import rtharness
from rtharness import pb, res


# Who wrote a record names a principal of the tokens file, which the
# public API leaves out.
PRINCIPALS = ("updatedBy", "recordedBy", "reviewedBy")


def public(value):
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items()
                if k not in PRINCIPALS}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def as_json(message):
    """The gRPC answer as the public API gives it."""
    return public(json_format.MessageToDict(message))


class Api(rtharness.ServerTestCase):
    server_http = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        result = cls.server.cli("import", rtharness.DEMO_JSON)
        assert result.code == 0, result

    def api(self, path, **params):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        answer = self.server.http_get(path)
        self.assertEqual(answer.status, 200, (path, answer.body[:300]))
        self.assertEqual(answer.headers["Content-Type"], "application/json")
        self.assertEqual(answer.headers["Access-Control-Allow-Origin"], "*")
        return json.loads(answer.body)

    def assert_same_pages(self, path, params, rpc, request, field):
        """Walks both lists to their end with page_size 4 and compares
        every page; returns the records seen."""
        params = dict(params, page_size=4)
        request.page_size = 4
        seen = []
        for _ in range(100):
            answer = self.api(path, **params)
            reply = as_json(rpc(request))
            self.assertEqual(answer.get(field, []), reply.get(field, []),
                             (path, params))
            self.assertEqual(answer.get("totalSize"), reply.get("totalSize"),
                             (path, params))
            self.assertEqual("nextPageToken" in answer,
                             "nextPageToken" in reply, (path, params))
            seen += answer.get(field, [])
            if "nextPageToken" not in answer:
                return seen
            params["page_token"] = answer["nextPageToken"]
            request.page_token = reply["nextPageToken"]
        self.fail("more than 100 pages of %s" % path)

    def test_lists_of_recommendations_match_grpc(self):
        cases = [
            ({}, {}),
            ({"sdg": "10.c"}, {"sdg_target": "10.c"}),
            ({"actor": "bgd"}, {"actor_id": "bgd"}),
            ({"q": "data"}, {"query": "data"}),
            ({"gcm": "23"}, {"gcm_objective": 23}),
            ({"theme": "remittances"}, {"theme": "remittances"}),
            ({"source": "idm-2023-ny"}, {"source_id": "idm-2023-ny"}),
            ({"status": "in-progress,stalled"},
             {"statuses": [res.STATUS_IN_PROGRESS, res.STATUS_STALLED]}),
            ({"sdg": "10.c", "actor": "bgd", "q": "remittances"},
             {"sdg_target": "10.c", "actor_id": "bgd",
              "query": "remittances"}),
        ]
        for params, fields in cases:
            with self.subTest(params=params):
                seen = self.assert_same_pages(
                    "/api/v1/recommendations", params,
                    self.stub.ListRecommendations,
                    pb.ListRecommendationsRequest(**fields),
                    "recommendations")
                if params:
                    self.assertTrue(seen, "the case selects something")

    def test_overdue_matches_grpc(self):
        seen = self.assert_same_pages(
            "/api/v1/recommendations", {"overdue": "true"},
            self.stub.ListRecommendations,
            pb.ListRecommendationsRequest(overdue_only=True),
            "recommendations")
        self.assertTrue(seen)

    def test_lists_of_commitments_match_grpc_published_ones(self):
        published = res.PUBLICATION_PUBLISHED
        cases = [
            ({}, {}),
            ({"actor": "zaf"}, {"actor_id": "zaf"}),
            ({"sdg": "17.18"}, {"sdg_target": "17.18"}),
            ({"recommendation": "R12"}, {"recommendation_id": "R12"}),
            ({"q": "survey"}, {"query": "survey"}),
        ]
        for params, fields in cases:
            with self.subTest(params=params):
                seen = self.assert_same_pages(
                    "/api/v1/commitments", params,
                    self.stub.ListCommitments,
                    pb.ListCommitmentsRequest(publication=published,
                                              **fields),
                    "commitments")
                self.assertTrue(seen)

    def test_one_record_matches_grpc(self):
        self.assertEqual(self.api("/api/v1/recommendations/R12"),
                         as_json(self.stub.GetRecommendation(
                             pb.GetRecommendationRequest(id="R12"))))
        self.assertEqual(self.api("/api/v1/commitments/C3"),
                         as_json(self.stub.GetCommitment(
                             pb.GetCommitmentRequest(id="C3"))))
        # Every commitment, with what the server computes on a read: the
        # demo's joint and matching pledges and its corridors.
        listed = self.stub.ListCommitments(pb.ListCommitmentsRequest(
            page_size=1000)).commitments
        self.assertTrue(any(c.pledge_type == res.PLEDGE_TYPE_MATCHING
                            for c in listed))
        computed = set()
        for c in listed:
            with self.subTest(commitment=c.id):
                full = self.stub.GetCommitment(pb.GetCommitmentRequest(
                    id=c.id))
                computed |= {f for f in ("matched_by", "series")
                             if getattr(full, f)}
                self.assertEqual(self.api("/api/v1/commitments/" + c.id),
                                 as_json(full))
        self.assertEqual(computed, {"matched_by", "series"})
        self.assertEqual(self.api("/api/v1/actors/bgd"),
                         as_json(self.stub.GetActor(
                             pb.GetActorRequest(id="bgd"))))
        self.assertEqual(self.api("/api/v1/sources/idm-2023-ny"),
                         as_json(self.stub.GetSource(
                             pb.GetSourceRequest(id="idm-2023-ny"))))

    def test_follow_ups_and_measurements_match_grpc(self):
        seen = self.assert_same_pages(
            "/api/v1/follow-ups", {"subject": "R12"},
            self.stub.ListFollowUps,
            pb.ListFollowUpsRequest(subject_id="R12"), "followUps")
        self.assertTrue(seen)
        seen = self.assert_same_pages(
            "/api/v1/measurements", {"commitment": "C3"},
            self.stub.ListMeasurements,
            pb.ListMeasurementsRequest(commitment_id="C3"), "measurements")
        self.assertEqual(len(seen), 3)
        self.assertIsInstance(seen[0]["revision"], str, "int64 as a string")
        for record in seen:
            for field in PRINCIPALS:
                self.assertNotIn(field, record)

    def test_actors_and_sources_match_grpc(self):
        actors = self.assert_same_pages(
            "/api/v1/actors", {}, self.stub.ListActors,
            pb.ListActorsRequest(), "actors")
        self.assertIn("bgd", [a["id"] for a in actors])
        sources = self.assert_same_pages(
            "/api/v1/sources", {}, self.stub.ListSources,
            pb.ListSourcesRequest(), "sources")
        self.assertIn("idm-2023-ny", [s["id"] for s in sources])

    def test_the_summary_matches_grpc(self):
        answer = self.api("/api/v1/summary", **{"from": "2024-01-01",
                                                "to": "2025-12-31"})
        reply = as_json(self.stub.GetReviewSummary(pb.GetReviewSummaryRequest(
            from_date="2024-01-01", to_date="2025-12-31")))
        self.assertEqual(answer, reply)
        self.assertGreater(answer["recommendationCount"], 0)


if __name__ == "__main__":
    unittest.main()
