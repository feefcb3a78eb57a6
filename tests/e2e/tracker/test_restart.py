"""Tracker end-to-end: stop rectrackd (SIGTERM, exit 0) and start it again
on the same data directory; every record, follow-up and the revision are
still there, and writes continue from where they were."""

import unittest

import grpc

import rtserver
from rtserver import pb, pb_grpc, res, make_source, make_actor, recommendation


class RestartTest(unittest.TestCase):

    def test_everything_survives_a_restart(self):
        first = rtserver.RtServer().start()
        data_dir = first.data_dir
        try:
            channel = first.channel()
            stub = pb_grpc.TrackerStub(channel)
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
            channel.close()
            self.assertEqual(first.stop(), 0, "".join(first.output))

            second = rtserver.RtServer(data_dir=data_dir).start()
            try:
                channel = second.channel()
                stub = pb_grpc.TrackerStub(channel)
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
                channel.close()
            finally:
                self.assertEqual(second.stop(), 0, "".join(second.output))
        finally:
            first.stop()  # no-op when it was stopped above
            first.owns_dir = True
            first.cleanup()

    def test_every_acknowledged_write_survives_a_shutdown_under_load(self):
        first = rtserver.RtServer().start()
        data_dir = first.data_dir
        try:
            channel = first.channel()
            stub = pb_grpc.TrackerStub(channel)
            source = make_source(stub)
            pending = [stub.CreateRecommendation.future(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id,
                                                  title="Load %d" % i)))
                for i in range(500)]
            pending[0].result()  # the writes are flowing
            first.terminate()
            acknowledged = []
            for future in pending:
                try:
                    acknowledged.append(future.result())
                except grpc.RpcError as error:
                    # Refused or cut off by the shutdown, never corrupted.
                    self.assertIn(error.code(), (
                        grpc.StatusCode.UNAVAILABLE,
                        grpc.StatusCode.CANCELLED), error.details())
            channel.close()
            self.assertEqual(first.stop(), 0, "".join(first.output))
            self.assertGreater(len(acknowledged), 0)

            second = rtserver.RtServer(data_dir=data_dir).start()
            try:
                channel = second.channel()
                stub = pb_grpc.TrackerStub(channel)
                for rec in acknowledged:
                    self.assertEqual(stub.GetRecommendation(
                        pb.GetRecommendationRequest(id=rec.id)), rec)
                channel.close()
            finally:
                self.assertEqual(second.stop(), 0, "".join(second.output))
        finally:
            first.stop()
            first.owns_dir = True
            first.cleanup()


if __name__ == "__main__":
    rtserver.main()
