"""Tracker end-to-end: WatchChanges delivers every commit exactly once and
in revision order, first the backlog, then live changes as they commit."""

import queue
import threading

import rtharness
from rtharness import pb, res, make_source, recommendation


class WatchTest(rtharness.ServerTestCase):

    def collect(self, from_revision):
        """Starts a watch in a thread; returns (events queue, stream)."""
        stream = self.stub.WatchChanges(pb.WatchChangesRequest(
            from_revision=from_revision))
        events = queue.Queue()

        def pump():
            try:
                for event in stream:
                    events.put(event)
            except Exception:  # noqa: BLE001 (cancelled at the end)
                pass

        threading.Thread(target=pump, daemon=True).start()
        return events, stream

    def take(self, events, count):
        return [events.get(timeout=60) for _ in range(count)]

    def test_backlog_then_live_each_exactly_once_in_order(self):
        source = make_source(self.stub)               # revision 1
        backlog = [self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(source.id, title="Backlog %d" % i)))
            for i in range(300)]                      # 2..301
        events, stream = self.collect(1)
        first = self.take(events, 301)
        self.assertEqual([e.revision for e in first], list(range(1, 302)))
        self.assertEqual(first[0].subject_id, source.id)
        self.assertEqual(first[0].kind, res.CHANGE_KIND_CREATED)
        self.assertEqual([e.subject_id for e in first[1:]],
                         [r.id for r in backlog])
        self.assertEqual(first[5].recommendation.title, "Backlog 4")
        self.assertEqual(len(first[5].hash), 32)

        # Live: concurrent writes, each seen once, in revision order.
        futures = [self.stub.RecordFollowUp.future(pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=r.id, status=res.STATUS_IN_PROGRESS)))
            for r in backlog[:200]]
        written = sorted(f.result().revision for f in futures)
        live = self.take(events, 200)
        self.assertEqual([e.revision for e in live], written)
        self.assertEqual(written, list(range(302, 502)))
        self.assertTrue(all(e.kind == res.CHANGE_KIND_FOLLOW_UP_RECORDED
                            for e in live))
        self.assertTrue(events.empty())
        stream.cancel()

    def test_from_revision_zero_starts_at_the_next_commit(self):
        source = make_source(self.stub)
        before = self.stub.GetServerInfo(pb.GetServerInfoRequest()).revision
        events, stream = self.collect(0)
        # The watch starts when the server gets it, which the client cannot
        # observe: write until the first event shows up.
        created = []
        event = None
        while event is None and len(created) < 1000:
            created.append(self.stub.CreateRecommendation(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id))))
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                pass
        self.assertIsNotNone(event)
        self.assertGreater(event.revision, before)  # nothing old replayed
        revisions = [r.revision for r in created]
        self.assertIn(event.revision, revisions)
        # From there on, every later write arrives, in order.
        rest = self.take(events, revisions[-1] - event.revision)
        self.assertEqual([e.revision for e in rest],
                         list(range(event.revision + 1, revisions[-1] + 1)))
        stream.cancel()

    def test_two_watchers_see_the_same_sequence(self):
        source = make_source(self.stub)
        start = self.stub.GetServerInfo(pb.GetServerInfoRequest()).revision
        a_events, a = self.collect(start)
        b_events, b = self.collect(start)
        for i in range(50):
            self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
                recommendation=recommendation(source.id)))
        seq_a = [e.revision for e in self.take(a_events, 51)]
        seq_b = [e.revision for e in self.take(b_events, 51)]
        self.assertEqual(seq_a, list(range(start, start + 51)))
        self.assertEqual(seq_a, seq_b)
        a.cancel()
        b.cancel()


if __name__ == "__main__":
    rtharness.main()
