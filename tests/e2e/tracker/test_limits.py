"""Tracker end-to-end at the limits: a deadline too short for a large
list, an oversized request, a client that cancels WatchChanges in the
middle of its backlog. After each, the server still answers."""

import grpc

import rtharness
from rtharness import pb, res, make_source, recommendation


class LimitsTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = make_source(cls.stub)
        text = "Detailed recommendation text. " * 200
        futures = [
            cls.stub.CreateRecommendation.future(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(
                        cls.source.id, title="Large %d" % i, text=text)))
            for i in range(1000)]
        for f in futures:
            f.result()

    def assert_server_fine(self):
        info = self.stub.GetServerInfo(pb.GetServerInfoRequest(), timeout=60)
        self.assertGreaterEqual(info.recommendation_count, 1000)

    def test_tiny_deadline_on_a_large_list(self):
        self.assert_rpc_error(
            grpc.StatusCode.DEADLINE_EXCEEDED, None,
            self.stub.ListRecommendations,
            pb.ListRecommendationsRequest(source_id=self.source.id,
                                          page_size=1000),
            timeout=0.001)
        self.assert_server_fine()

    def test_a_page_too_large_for_one_reply_is_shortened(self):
        # 1000 records of ~6 KB do not fit the 4 MiB message limit: the
        # server answers a shorter page and the rest follows by token.
        seen = set()
        token = ""
        while True:
            page = self.stub.ListRecommendations(
                pb.ListRecommendationsRequest(source_id=self.source.id,
                                              page_size=1000,
                                              page_token=token), timeout=60)
            self.assertGreater(len(page.recommendations), 0)
            self.assertLess(page.ByteSize(), 4 << 20)
            seen.update(r.id for r in page.recommendations)
            token = page.next_page_token
            if not token:
                break
            self.assertLess(len(page.recommendations), 1000)
        self.assertEqual(len(seen), 1000)

    def test_five_mib_request_is_resource_exhausted(self):
        huge = recommendation(self.source.id, text="x" * (5 << 20))
        self.assert_rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, None,
                              self.stub.CreateRecommendation,
                              pb.CreateRecommendationRequest(
                                  recommendation=huge))
        self.assert_server_fine()

    def test_text_over_the_field_limit_is_invalid(self):
        self.assert_rpc_error(
            grpc.StatusCode.INVALID_ARGUMENT, "recommendation.text",
            self.stub.CreateRecommendation, pb.CreateRecommendationRequest(
                recommendation=recommendation(self.source.id,
                                              text="y" * 30000)))

    def test_cancel_watch_in_the_middle_of_the_backlog(self):
        stream = self.stub.WatchChanges(pb.WatchChangesRequest(
            from_revision=1))
        seen = 0
        for event in stream:
            seen += 1
            self.assertEqual(event.revision, seen)
            if seen == 100:
                break
        stream.cancel()
        self.assert_server_fine()
        # A new watcher still gets its backlog from the start.
        again = self.stub.WatchChanges(pb.WatchChangesRequest(
            from_revision=1))
        self.assertEqual(next(again).revision, 1)
        again.cancel()
        self.assert_server_fine()

    def test_writes_still_work_after_the_abuse(self):
        rec = self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(self.source.id)))
        self.stub.RecordFollowUp(pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=rec.id, status=res.STATUS_STALLED)))
        self.assertEqual(self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=rec.id)).status, res.STATUS_STALLED)


if __name__ == "__main__":
    rtharness.main()
