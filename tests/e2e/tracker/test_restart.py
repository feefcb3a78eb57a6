"""Tracker end-to-end: stop rectrackd (SIGTERM, exit 0) and start it again
on the same data directory; every record, follow-up and the revision are
still there, and writes continue from where they were. After a shutdown
under load, every acknowledged write is there and rectrack-admin verify
finds the store whole."""

import unittest

import grpc

import rtharness
from rtharness import pb, res, make_source, make_actor, recommendation


class RestartTest(unittest.TestCase):

    def test_everything_survives_a_restart(self):
        with rtharness.Server() as server:
            stub = server.stub()
            source = make_source(stub)
            actor = make_actor(stub)
            recs = [stub.CreateRecommendation.future(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id,
                                                  title="Kept %d" % i)))
                for i in range(100)]
            recs = [f.result() for f in recs]
            report = stub.RecordFollowUp(pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(subject_id=recs[0].id,
                                       status=res.STATUS_IMPLEMENTED)))
            before = stub.GetServerInfo(pb.GetServerInfoRequest())

            server.restart()  # SIGTERM, exit 0, start on the same data
            stub = server.stub()
            after = stub.GetServerInfo(pb.GetServerInfoRequest())
            for field in ("revision", "source_count", "actor_count",
                          "recommendation_count", "follow_up_count"):
                self.assertEqual(getattr(after, field),
                                 getattr(before, field), field)
            self.assertEqual(stub.GetActor(
                pb.GetActorRequest(id=actor.id)), actor)
            for rec in recs[1:]:
                self.assertEqual(stub.GetRecommendation(
                    pb.GetRecommendationRequest(id=rec.id)), rec)
            self.assertEqual(stub.GetRecommendation(
                pb.GetRecommendationRequest(id=recs[0].id)).status,
                res.STATUS_IMPLEMENTED)
            history = stub.ListFollowUps(
                pb.ListFollowUpsRequest(subject_id=recs[0].id))
            self.assertEqual(len(history.follow_ups), 1)
            listed = history.follow_ups[0]
            listed.ClearField("subject_title")  # filled in listings
            self.assertEqual(listed, report)
            more = stub.CreateRecommendation(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id)))
            self.assertEqual(more.revision, before.revision + 1)

    def test_every_acknowledged_write_survives_a_shutdown_under_load(self):
        with rtharness.Server() as server:
            stub = server.stub()
            source = make_source(stub)
            pending = [stub.CreateRecommendation.future(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id,
                                                  title="Load %d" % i)))
                for i in range(500)]
            pending[0].result()  # the writes are flowing
            server.terminate()
            acknowledged = []
            for future in pending:
                try:
                    acknowledged.append(future.result())
                except grpc.RpcError as error:
                    # Refused or cut off by the shutdown, never corrupted.
                    self.assertIn(error.code(), (
                        grpc.StatusCode.UNAVAILABLE,
                        grpc.StatusCode.CANCELLED), error.details())
            self.assertEqual(server.stop(), 0)
            self.assertGreater(len(acknowledged), 0)
            # The store the shutdown left is whole: change log and indexes.
            verified = server.admin("verify")
            self.assertEqual(verified.code, 0, repr(verified))

            server.start()  # the same data directory
            stub = server.stub()
            for rec in acknowledged:
                self.assertEqual(stub.GetRecommendation(
                    pb.GetRecommendationRequest(id=rec.id)), rec)


if __name__ == "__main__":
    rtharness.main()
