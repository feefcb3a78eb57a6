"""Tracker end-to-end: every kind of bad request gets the right gRPC
status and a message that names the field."""

import grpc

import rtharness
from rtharness import pb, res, unique, make_source, make_actor, recommendation

INVALID = grpc.StatusCode.INVALID_ARGUMENT


class ErrorsTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = make_source(cls.stub)

    def create_rec(self, **fields):
        return self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(self.source.id, **fields)))

    def test_bad_sdg_target(self):
        self.assert_rpc_error(INVALID, "recommendation.sdg_targets[1]",
                              self.create_rec, sdg_targets=["10.7", "18.1"])

    def test_bad_gcm_objective(self):
        self.assert_rpc_error(INVALID, "recommendation.gcm_objectives[0]",
                              self.create_rec, gcm_objectives=[24])

    def test_bad_date(self):
        self.assert_rpc_error(INVALID, "recommendation.due_date",
                              self.create_rec, due_date="2023-02-30")

    def test_bad_country(self):
        self.assert_rpc_error(INVALID, "actor.country", make_actor,
                              self.stub, country="XYZ")

    def test_missing_title(self):
        self.assert_rpc_error(INVALID, "recommendation.title is required",
                              self.create_rec, title="")

    def test_missing_message(self):
        self.assert_rpc_error(INVALID, "recommendation is required",
                              self.stub.CreateRecommendation,
                              pb.CreateRecommendationRequest())

    def test_unknown_source_is_not_found(self):
        self.assert_rpc_error(
            grpc.StatusCode.NOT_FOUND, "source_id",
            self.stub.CreateRecommendation, pb.CreateRecommendationRequest(
                recommendation=recommendation("no-such-source")))

    def test_unknown_id_is_not_found(self):
        self.assert_rpc_error(grpc.StatusCode.NOT_FOUND, None,
                              self.stub.GetRecommendation,
                              pb.GetRecommendationRequest(id="R999999"))
        self.assert_rpc_error(grpc.StatusCode.NOT_FOUND, None,
                              self.stub.GetSource,
                              pb.GetSourceRequest(id="no-such-source"))

    def test_missing_id_on_get(self):
        self.assert_rpc_error(INVALID, "id is required",
                              self.stub.GetActor, pb.GetActorRequest())

    def test_duplicate_slug_already_exists(self):
        slug = unique("dup")
        make_source(self.stub, slug)
        self.assert_rpc_error(grpc.StatusCode.ALREADY_EXISTS, slug,
                              make_source, self.stub, slug)

    def test_stale_expected_revision_is_aborted(self):
        rec = self.create_rec()
        self.stub.UpdateRecommendation(pb.UpdateRecommendationRequest(
            recommendation=res.Recommendation(id=rec.id, title="First edit"),
            update_mask=["title"], expected_revision=rec.revision))
        self.assert_rpc_error(
            grpc.StatusCode.ABORTED, None, self.stub.UpdateRecommendation,
            pb.UpdateRecommendationRequest(
                recommendation=res.Recommendation(id=rec.id,
                                                  title="Second edit"),
                update_mask=["title"], expected_revision=rec.revision))
        self.assertEqual(self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=rec.id)).title, "First edit")

    def test_request_that_does_not_decode(self):
        raw = self.chan.unary_unary(
            "/rectrack.v1.Tracker/GetRecommendation",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b)
        self.assert_rpc_error(
            INVALID, "request is not a valid "
            "rectrack.v1.GetRecommendationRequest", raw, b"\x0a\xff\xff")

    def test_bad_principal_header(self):
        self.assert_rpc_error(
            INVALID, "x-rectrack-user", self.stub.CreateRecommendation,
            pb.CreateRecommendationRequest(
                recommendation=recommendation(self.source.id)),
            metadata=[("x-rectrack-user", "bad user; drop table")])

    def test_bad_page_token(self):
        self.assert_rpc_error(INVALID, None, self.stub.ListRecommendations,
                              pb.ListRecommendationsRequest(
                                  page_token="not-a-token"))

    def test_measurement_subject_mismatch(self):
        self.assert_rpc_error(
            INVALID, "commitment_id", self.stub.RecordMeasurement,
            pb.RecordMeasurementRequest(
                commitment_id="C1", measurement=res.Measurement(
                    commitment_id="C2", value=1, as_of="2024-01-01")))

    def test_bad_follow_up_subject(self):
        self.assert_rpc_error(
            INVALID, "follow_up.subject_id", self.stub.RecordFollowUp,
            pb.RecordFollowUpRequest(follow_up=res.FollowUp(
                subject_id="X1", status=res.STATUS_IN_PROGRESS)))

    def test_review_with_a_bad_date_or_no_format(self):
        try:
            self.stub.GetReviewSummary(pb.GetReviewSummaryRequest(
                to_date="2024-12-31"))
        except grpc.RpcError as error:  # built without the review module
            self.assertEqual(error.code(), grpc.StatusCode.UNIMPLEMENTED)
            return
        self.assert_rpc_error(INVALID, "from_date",
                              self.stub.GetReviewSummary,
                              pb.GetReviewSummaryRequest(
                                  from_date="2024-13-01",
                                  to_date="2024-12-31"))
        self.assert_rpc_error(INVALID, "format", lambda: list(
            self.stub.ExportReview(pb.ExportReviewRequest(
                to_date="2024-12-31"))))


if __name__ == "__main__":
    rtharness.main()
