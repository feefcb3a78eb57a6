"""The pages answer while a gRPC write load runs: two writer threads
record follow-ups without pause while the test asks for pages of every
kind; every page is 200 and complete, and the pages see the data move
(their revision rises between the first and the last), so they were
answered while writes were being committed, not before or after them.

Nothing here measures time: bench/run-web-bench.sh gives the figures.
"""

import re
import threading
import unittest

import rtharness
from rtharness import pb, res

PAGES = ["/", "/recommendations?sdg=10.c&actor=bgd",
         "/recommendations?q=data", "/recommendations/R12",
         "/commitments/C3", "/sdg/10.c", "/actors/bgd",
         "/api/v1/recommendations?page_size=20", "/api/v1/summary"]
REVISION = re.compile(rb'Data as of revision <strong>(\d+)</strong>'
                      rb'|"revision":"(\d+)"')


class PagesUnderWrites(rtharness.ServerTestCase):
    server_http = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        result = cls.server.cli("import", rtharness.DEMO_JSON)
        assert result.code == 0, result

    def test_pages_answer_while_writes_are_committed(self):
        stop = threading.Event()
        written = [0, 0]
        errors = []

        def write(slot):
            stub = rtharness.pb_grpc.TrackerStub(self.server.channel())
            n = 0
            while not stop.is_set():
                try:
                    stub.RecordFollowUp(pb.RecordFollowUpRequest(
                        follow_up=res.FollowUp(
                            subject_id="R%d" % (1 + (n % 60)),
                            status=res.STATUS_IN_PROGRESS,
                            as_of="2026-0%d-15" % (1 + n % 9),
                            note="load %d-%d" % (slot, n))))
                except Exception as error:  # reported below
                    errors.append(error)
                    return
                n += 1
                written[slot] = n

        writers = [threading.Thread(target=write, args=(i,)) for i in (0, 1)]
        for w in writers:
            w.start()
        revisions = []
        try:
            rtharness.wait_for(lambda: sum(written) >= 10 or errors,
                               "the writers to start")
            first_written = sum(written)
            for _ in range(4):
                for path in PAGES:
                    answer = self.server.http_get(path)
                    self.assertEqual(answer.status, 200, path)
                    body = answer.body
                    if path.startswith("/api/"):
                        self.assertTrue(body.rstrip().endswith(b"}"), path)
                    else:
                        self.assertTrue(body.rstrip().endswith(b"</html>"),
                                        path)
                    match = REVISION.search(body)
                    self.assertTrue(match, path)
                    revisions.append(int(match.group(1) or match.group(2)))
            last_written = sum(written)
        finally:
            stop.set()
            for w in writers:
                w.join(rtharness.PATIENCE)
        self.assertEqual(errors, [])
        self.assertGreater(last_written, first_written,
                           "writes went on while the pages were asked for")
        self.assertLess(revisions[0], revisions[-1],
                        "the pages saw the data move")
        # and the last answers reflect the writes, once they stop
        final = self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id="R12"))
        health = self.server.http_get("/healthz").body.decode()
        self.assertGreaterEqual(int(health.split()[-1]), final.revision)


if __name__ == "__main__":
    unittest.main()
