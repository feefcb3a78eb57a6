"""Tracker end-to-end under concurrency: revision conflicts between two
clients, idempotent creates, many concurrent creates (group commit) read
back through pagination, and 16 threads of mixed calls with every reply
checked."""

import threading

import grpc

import rtharness
from rtharness import pb, pb_grpc, res, make_source, make_actor, recommendation


class ConcurrencyTest(rtharness.ServerTestCase):

    def test_two_clients_racing_on_one_revision(self):
        source = make_source(self.stub)
        rec = self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(source.id)))
        other_channel = self.server.channel()
        try:
            other = pb_grpc.TrackerStub(other_channel)
            seen_a = self.stub.GetRecommendation(
                pb.GetRecommendationRequest(id=rec.id))
            seen_b = other.GetRecommendation(
                pb.GetRecommendationRequest(id=rec.id))
            self.assertEqual(seen_a.revision, seen_b.revision)
            self.stub.UpdateRecommendation(pb.UpdateRecommendationRequest(
                recommendation=res.Recommendation(id=rec.id, theme="data"),
                update_mask=["theme"], expected_revision=seen_a.revision))
            self.assert_rpc_error(
                grpc.StatusCode.ABORTED, None, other.UpdateRecommendation,
                pb.UpdateRecommendationRequest(
                    recommendation=res.Recommendation(id=rec.id,
                                                      theme="health"),
                    update_mask=["theme"],
                    expected_revision=seen_b.revision))
            # B re-reads and retries: now it goes through.
            fresh = other.GetRecommendation(
                pb.GetRecommendationRequest(id=rec.id))
            self.assertEqual(fresh.theme, "data")
            retried = other.UpdateRecommendation(
                pb.UpdateRecommendationRequest(
                    recommendation=res.Recommendation(id=rec.id,
                                                      theme="health"),
                    update_mask=["theme"], expected_revision=fresh.revision))
            self.assertEqual(retried.theme, "health")
        finally:
            other_channel.close()

    def test_create_with_request_id_is_idempotent(self):
        source = make_source(self.stub)
        request = pb.CreateRecommendationRequest(
            recommendation=recommendation(source.id),
            request_id="import-2024-row-17")
        first = self.stub.CreateRecommendation(request)
        second = self.stub.CreateRecommendation(request)
        self.assertEqual(first.id, second.id)
        self.assertEqual(first.revision, second.revision)
        listed = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            source_id=source.id))
        self.assertEqual(listed.total_size, 1)

    def test_concurrent_idempotent_creates_make_one_record(self):
        source = make_source(self.stub)
        request = pb.CreateRecommendationRequest(
            recommendation=recommendation(source.id), request_id="same-key")
        futures = [self.stub.CreateRecommendation.future(request)
                   for _ in range(20)]
        ids = {f.result().id for f in futures}
        self.assertEqual(len(ids), 1)

    def test_thousand_concurrent_creates_page_back_exactly(self):
        source = make_source(self.stub)
        futures = [
            self.stub.CreateRecommendation.future(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id,
                                                  title="Item %04d" % i)))
            for i in range(1000)]
        created = {f.result().id: f.result().title for f in futures}
        self.assertEqual(len(created), 1000)
        seen = {}
        token = ""
        pages = 0
        while True:
            page = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
                source_id=source.id, page_size=64, page_token=token))
            pages += 1
            self.assertEqual(page.total_size, 1000)
            for rec in page.recommendations:
                self.assertNotIn(rec.id, seen, "listed twice")
                seen[rec.id] = rec.title
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(seen, created)
        self.assertEqual(pages, 16)  # 15 full pages of 64 and one of 40

    def test_sixteen_threads_of_mixed_calls(self):
        source = make_source(self.stub)
        actor = make_actor(self.stub)
        failures = []

        def worker(n):
            try:
                for i in range(200 // 4):
                    title = "Thread %d call %d" % (n, i)
                    rec = self.stub.CreateRecommendation(
                        pb.CreateRecommendationRequest(
                            recommendation=recommendation(
                                source.id, title=title,
                                addressed_to=[actor.id])),
                        metadata=[("x-rectrack-user", "worker-%d" % n)])
                    assert rec.title == title and rec.id.startswith("R")
                    assert rec.updated_by == "worker-%d" % n
                    got = self.stub.GetRecommendation(
                        pb.GetRecommendationRequest(id=rec.id))
                    assert got == rec, (got, rec)
                    report = self.stub.RecordFollowUp(pb.RecordFollowUpRequest(
                        follow_up=res.FollowUp(
                            subject_id=rec.id, status=res.STATUS_NOT_STARTED,
                            as_of="2024-01-%02d" % (1 + i % 28)),
                        expected_revision=rec.revision))
                    assert report.subject_id == rec.id
                    assert report.status == res.STATUS_NOT_STARTED
                    history = self.stub.ListFollowUps(
                        pb.ListFollowUpsRequest(subject_id=rec.id))
                    assert [f.revision for f in history.follow_ups] == \
                        [report.revision]
            except Exception as error:  # noqa: BLE001 (reported below)
                failures.append("thread %d: %r" % (n, error))

        threads = [threading.Thread(target=worker, args=(n,))
                   for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        listed = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            source_id=source.id, page_size=1))
        self.assertEqual(listed.total_size, 16 * 50)


if __name__ == "__main__":
    rtharness.main()
