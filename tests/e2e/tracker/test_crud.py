"""Tracker end-to-end: the success path of every RPC, through the stock
grpcio client against a real rectrackd."""

import grpc

import rtharness
from rtharness import pb, res, unique, make_source, make_actor, recommendation


class CrudTest(rtharness.ServerTestCase):

    def test_source_create_get_list_update(self):
        slug = unique("idm")
        created = make_source(self.stub, slug, url="https://example.org/idm")
        self.assertEqual(created.id, slug)
        self.assertGreater(created.revision, 0)
        self.assertGreater(created.created_ms, 0)
        got = self.stub.GetSource(pb.GetSourceRequest(id=slug))
        self.assertEqual(got, created)
        listed = self.stub.ListSources(pb.ListSourcesRequest(page_size=1000))
        self.assertIn(slug, [s.id for s in listed.sources])
        updated = self.stub.UpdateSource(pb.UpdateSourceRequest(
            source=res.Source(id=slug, title="Renamed session"),
            update_mask=["title"], expected_revision=created.revision))
        self.assertEqual(updated.title, "Renamed session")
        self.assertEqual(updated.location, "New York")  # not in the mask
        self.assertGreater(updated.revision, created.revision)

    def test_actor_create_get_list_update(self):
        slug = unique("bgd")
        created = make_actor(self.stub, slug)
        self.assertEqual(created.country, "BGD")
        self.assertEqual(self.stub.GetActor(pb.GetActorRequest(id=slug)),
                         created)
        listed = self.stub.ListActors(pb.ListActorsRequest(
            page_size=1000, country="BGD"))
        self.assertIn(slug, [a.id for a in listed.actors])
        updated = self.stub.UpdateActor(pb.UpdateActorRequest(
            actor=res.Actor(id=slug, name="People's Republic of Bangladesh"),
            update_mask=["name"]))
        self.assertEqual(updated.name, "People's Republic of Bangladesh")

    def test_recommendation_create_get_update_list(self):
        source = make_source(self.stub)
        actor = make_actor(self.stub)
        created = self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(
                source.id, addressed_to=[actor.id], lead_actor_id=actor.id,
                due_date="2030-12-31")))
        self.assertTrue(created.id.startswith("R"), created.id)
        self.assertEqual(list(created.sdg_targets), ["10.c"])
        self.assertEqual(list(created.gcm_objectives), [20])
        self.assertEqual(created.updated_by, "anonymous")
        got = self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=created.id))
        self.assertEqual(got, created)
        updated = self.stub.UpdateRecommendation(
            pb.UpdateRecommendationRequest(
                recommendation=res.Recommendation(
                    id=created.id, title="Cut remittance costs"),
                update_mask=["title"], expected_revision=created.revision))
        self.assertEqual(updated.title, "Cut remittance costs")
        self.assertEqual(updated.source_id, source.id)
        listed = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            source_id=source.id))
        self.assertEqual([r.id for r in listed.recommendations], [created.id])
        self.assertEqual(listed.total_size, 1)
        self.assertEqual(listed.recommendations[0].title,
                         "Cut remittance costs")

    def test_principal_header_is_recorded(self):
        source = make_source(self.stub)
        created = self.stub.CreateRecommendation(
            pb.CreateRecommendationRequest(
                recommendation=recommendation(source.id)),
            metadata=[("x-rectrack-user", "alice@secretariat")])
        self.assertEqual(created.updated_by, "alice@secretariat")

    def test_commitment_measurement_and_follow_up(self):
        source = make_source(self.stub)
        actor = make_actor(self.stub)
        rec = self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(source.id)))
        indicator = res.Indicator(
            name="Average remittance cost", unit="per cent",
            baseline_value=6.5, baseline_date="2020-01-01", target_value=3.0,
            target_date="2030-01-01", direction=res.DIRECTION_DECREASE)
        created = self.stub.CreateCommitment(pb.CreateCommitmentRequest(
            commitment=res.Commitment(
                actor_id=actor.id, recommendation_ids=[rec.id],
                source_id=source.id, title="Remittances below 3 per cent",
                kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET,
                made_on="2023-05-16", due_date="2030-01-01",
                indicator=indicator)))
        self.assertTrue(created.id.startswith("C"), created.id)
        self.assertEqual(self.stub.GetCommitment(
            pb.GetCommitmentRequest(id=created.id)), created)
        updated = self.stub.UpdateCommitment(pb.UpdateCommitmentRequest(
            commitment=res.Commitment(id=created.id, text="Through fintech."),
            update_mask=["text"]))
        self.assertEqual(updated.text, "Through fintech.")
        listed = self.stub.ListCommitments(pb.ListCommitmentsRequest(
            actor_id=actor.id))
        self.assertEqual([c.id for c in listed.commitments], [created.id])

        measured = self.stub.RecordMeasurement(pb.RecordMeasurementRequest(
            commitment_id=created.id,
            measurement=res.Measurement(value=5.0, as_of="2024-01-01",
                                        source="World Bank RPW")))
        self.assertEqual(measured.id, created.id)
        self.assertEqual(measured.latest_value, 5.0)
        self.assertEqual(measured.latest_as_of, "2024-01-01")
        measurements = self.stub.ListMeasurements(
            pb.ListMeasurementsRequest(commitment_id=created.id))
        self.assertEqual([m.value for m in measurements.measurements], [5.0])

        follow_up = self.stub.RecordFollowUp(pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=rec.id, status=res.STATUS_IN_PROGRESS,
                                   note="Pilot corridor launched",
                                   reported_by=actor.id, as_of="2024-03-01")))
        self.assertEqual(follow_up.subject_id, rec.id)
        self.assertEqual(follow_up.status, res.STATUS_IN_PROGRESS)
        self.assertGreater(follow_up.revision, 0)
        self.assertEqual(self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=rec.id)).status, res.STATUS_IN_PROGRESS)
        history = self.stub.ListFollowUps(
            pb.ListFollowUpsRequest(subject_id=rec.id))
        self.assertEqual([f.note for f in history.follow_ups],
                         ["Pilot corridor launched"])
        period = self.stub.ListFollowUps(pb.ListFollowUpsRequest(
            from_date="2024-03-01", to_date="2024-03-31", page_size=1000))
        self.assertIn(follow_up.revision,
                      [f.revision for f in period.follow_ups])
        before = self.stub.ListFollowUps(pb.ListFollowUpsRequest(
            from_date="2024-01-01", to_date="2024-02-29", page_size=1000))
        self.assertNotIn(follow_up.revision,
                         [f.revision for f in before.follow_ups])

    def test_server_info_reports_version_revision_and_counts(self):
        make_source(self.stub)
        info = self.stub.GetServerInfo(pb.GetServerInfoRequest())
        self.assertRegex(info.version, r"^\d+\.\d+\.\d+")
        self.assertGreater(info.revision, 0)
        self.assertGreaterEqual(info.source_count, 1)
        self.assertGreater(info.started_ms, 0)
        self.assertEqual(info.data_dir, self.server.data_dir)

    def test_review_summary_and_export(self):
        source = make_source(self.stub)
        self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(source.id)))
        try:
            summary = self.stub.GetReviewSummary(pb.GetReviewSummaryRequest(
                from_date="2000-01-01", to_date="2100-01-01"))
        except grpc.RpcError as error:
            # Built without the review module: the documented answer.
            self.assertEqual(error.code(), grpc.StatusCode.UNIMPLEMENTED)
            self.assertIn("not available", error.details())
            return
        self.assertGreaterEqual(summary.recommendation_count, 1)
        chunks = list(self.stub.ExportReview(pb.ExportReviewRequest(
            from_date="2000-01-01", to_date="2100-01-01",
            format=pb.EXPORT_FORMAT_CSV, table="recommendations")))
        self.assertGreater(len(chunks), 0)
        self.assertTrue(chunks[0].content_type.startswith("text/csv"))
        self.assertTrue(chunks[0].filename.endswith(".csv"))
        body = b"".join(c.data for c in chunks).decode()
        self.assertIn("Lower remittance costs", body)


if __name__ == "__main__":
    rtharness.main()
