"""The follow-up review under load, end to end: a real rectrackd holding
20,000 recommendations exports the review in every format (HTML, Markdown,
CSV, JSON, XLSX) while other clients keep calling GetRecommendation and
ListRecommendations.

Checked: every export arrives whole (each format read back by an
independent parser, with the expected number of recommendation rows),
no chunk is larger than 64 KiB, the first chunk names the content type and
file name, and every concurrent call succeeded with the right answer. The
worst latency a concurrent call saw is printed, not asserted: the test
must pass on a loaded machine. The server comes from tests/e2e/rtharness.py.
"""

import concurrent.futures
import csv
import html.parser
import io
import json
import os
import re
import tempfile
import threading
import time

import grpc

import rtharness
from rtharness import pb, res

RECOMMENDATIONS = int(os.environ.get("RT_E2E_REVIEW_RECOMMENDATIONS", 20000))
IN_FLIGHT = 256
CHUNK_MAX = 64 * 1024
THEMES = ["remittances", "data", "health", "pathways", "diaspora"]
FOLLOW_UPS = 500  # a few hundred status reports, so the figures move
PERIOD = dict(from_date="2026-01-01", to_date="2026-11-26",
              as_of="2026-11-26")
FORMATS = [("HTML", None), ("MARKDOWN", None), ("CSV", "recommendations"),
           ("JSON", None), ("XLSX", None)]


def run_windowed(submit, count, window=IN_FLIGHT):
    """Calls submit(i) -> future for i in range(count), at most window in
    flight; returns the results in order (raises the first error)."""
    results = [None] * count
    pending = {}
    i = 0
    while i < count or pending:
        while i < count and len(pending) < window:
            pending[submit(i)] = i
            i += 1
        done = next(iter(pending))
        results[pending.pop(done)] = done.result(timeout=300)
    return results


class RowCounter(html.parser.HTMLParser):
    """Counts body rows of the tables whose class is t-<key>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.table = None
        self.in_body = False
        self.rows = {}
        self.ended = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table = dict(attrs).get("class", "")
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows[self.table] = self.rows.get(self.table, 0) + 1

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag == "html":
            self.ended = True


def markdown_body_rows(text, section):
    """Body rows of the GFM tables under '## section' (and its '###'
    subsections): table lines less each table's header and separator."""
    lines = separators = 0
    inside = False
    for line in text.split("\n"):
        if line.startswith("## "):
            inside = line[3:].strip() == section
        elif inside and line.startswith("|"):
            lines += 1
            if re.match(r"^\|( *-+:? *\|)+$", line):
                separators += 1
    return lines - 2 * separators


class ExportUnderLoadTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        started = time.monotonic()
        cls.rec_ids = cls.load_dataset()
        print("created %d recommendations in %.1f s" %
              (len(cls.rec_ids), time.monotonic() - started), flush=True)

    @classmethod
    def load_dataset(cls):
        stub = cls.stub
        source = rtharness.make_source(stub, slug="gfmd-2026")
        actor = rtharness.make_actor(stub, slug="bgd")

        def create(i):
            rec = rtharness.recommendation(
                source.id, title="Recommendation %d" % i,
                theme=THEMES[i % len(THEMES)], lead_actor_id=actor.id,
                sdg_targets=["10.7", "10.c"][: 1 + i % 2],
                gcm_objectives=[1 + i % 23],
                due_date="2026-%02d-15" % (1 + i % 12))
            return stub.CreateRecommendation.future(
                pb.CreateRecommendationRequest(recommendation=rec),
                timeout=300)

        created = run_windowed(create, RECOMMENDATIONS)
        ids = [rec.id for rec in created]

        def report(i):
            statuses = [res.STATUS_IN_PROGRESS, res.STATUS_IMPLEMENTED, res.STATUS_STALLED]
            follow_up = res.FollowUp(
                subject_id=ids[i * 7], status=statuses[i % 3],
                as_of="2026-%02d-01" % (1 + i % 11), reported_by=actor.id,
                note="Report %d" % i)
            return stub.RecordFollowUp.future(
                pb.RecordFollowUpRequest(follow_up=follow_up), timeout=300)

        run_windowed(report, min(FOLLOW_UPS, len(ids) // 7))
        return ids

    def export(self, stub, fmt, table):
        """Streams one export; returns (bytes, chunk sizes, first chunk)."""
        request = pb.ExportReviewRequest(
            format=getattr(pb, "EXPORT_FORMAT_" + fmt), table=table or "", **PERIOD)
        data, sizes, first = bytearray(), [], None
        for chunk in stub.ExportReview(request, timeout=600):
            if first is None:
                first = chunk
            sizes.append(len(chunk.data))
            data += chunk.data
        return bytes(data), sizes, first

    def check_document(self, fmt, data):
        n = len(self.rec_ids)
        if fmt == "HTML":
            counter = RowCounter()
            counter.feed(data.decode("utf-8"))
            counter.close()
            self.assertTrue(counter.ended, "HTML ends with </html>")
            self.assertEqual(counter.rows.get("t-recommendations"), n)
        elif fmt == "MARKDOWN":
            text = data.decode("utf-8")
            self.assertEqual(
                markdown_body_rows(text, "Recommendations by theme"), n)
        elif fmt == "CSV":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"),
                                               newline="")))
            self.assertEqual(rows[0][0], "id")
            self.assertEqual(len(rows) - 1, n)
            self.assertEqual(sorted(r[0] for r in rows[1:]),
                             sorted(self.rec_ids))
        elif fmt == "JSON":
            doc = json.loads(data)
            self.assertEqual(doc["summary"]["recommendation_count"], n)
            self.assertEqual(len(doc["recommendations"]), n)
        elif fmt == "XLSX":
            import openpyxl
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
                f.write(data)
                f.flush()
                book = openpyxl.load_workbook(f.name, read_only=True)
                sheet = book["Recommendations"]
                rows = sum(1 for _ in sheet.iter_rows(values_only=True))
                book.close()
            self.assertEqual(rows - 1, n)

    def test_exports_while_others_call(self):
        stop = threading.Event()
        stats = {"calls": 0, "worst_ms": 0.0, "errors": []}
        lock = threading.Lock()

        def caller(seed):
            channel = self.server.channel()
            stub = rtharness.pb_grpc.TrackerStub(channel)
            i = seed
            try:
                while not stop.is_set():
                    i = (i * 7919 + 13) % len(self.rec_ids)
                    began = time.monotonic()
                    try:
                        if i % 2:
                            got = stub.GetRecommendation(
                                pb.GetRecommendationRequest(
                                    id=self.rec_ids[i]), timeout=120)
                            ok = got.id == self.rec_ids[i]
                        else:
                            got = stub.ListRecommendations(
                                pb.ListRecommendationsRequest(
                                    page_size=20, theme=THEMES[i % 5]),
                                timeout=120)
                            ok = (len(got.recommendations) == 20 and all(
                                r.theme == THEMES[i % 5]
                                for r in got.recommendations))
                    except grpc.RpcError as error:
                        ok = False
                        with lock:
                            stats["errors"].append(str(error.code()))
                    elapsed = (time.monotonic() - began) * 1000
                    with lock:
                        stats["calls"] += 1
                        stats["worst_ms"] = max(stats["worst_ms"], elapsed)
                        if not ok and len(stats["errors"]) < 10:
                            stats["errors"].append("wrong answer")
            finally:
                channel.close()

        callers = [threading.Thread(target=caller, args=(s,))
                   for s in range(4)]
        for t in callers:
            t.start()
        try:
            with concurrent.futures.ThreadPoolExecutor(len(FORMATS)) as pool:
                futures = {}
                for fmt, table in FORMATS:
                    started = time.monotonic()
                    futures[fmt] = (started, pool.submit(
                        self.export, self.stub, fmt, table))
                results = {}
                for fmt, (started, future) in futures.items():
                    results[fmt] = future.result(timeout=900)
                    print("%-8s %9d bytes in %4d chunks, done after %.2f s" %
                          (fmt, len(results[fmt][0]), len(results[fmt][1]),
                           time.monotonic() - started), flush=True)
        finally:
            stop.set()
            for t in callers:
                t.join(300)
        for fmt, (data, sizes, first) in results.items():
            with self.subTest(format=fmt):
                self.assertTrue(first.content_type, "content_type on chunk 1")
                self.assertTrue(first.filename.startswith("review-"))
                self.assertLessEqual(max(sizes), CHUNK_MAX)
                self.check_document(fmt, data)
        print("concurrent calls: %d, worst latency %.1f ms (not asserted)" %
              (stats["calls"], stats["worst_ms"]), flush=True)
        self.assertEqual(stats["errors"], [])
        self.assertGreater(stats["calls"], 0)

    def test_cancelled_exports_leave_the_server_well(self):
        """Clients that walk away mid-export (after the first chunk, or
        before any) do not disturb the server: it still answers, and
        exits cleanly (with the sanitizers, no use after free)."""
        for fmt, table in FORMATS:
            request = pb.ExportReviewRequest(
                format=getattr(pb, "EXPORT_FORMAT_" + fmt), table=table or "", **PERIOD)
            stream = self.stub.ExportReview(request, timeout=600)
            next(stream)
            stream.cancel()
            early = self.stub.ExportReview(request, timeout=600)
            early.cancel()
        got = self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=self.rec_ids[0]), timeout=120)
        self.assertEqual(got.id, self.rec_ids[0])


if __name__ == "__main__":
    rtharness.main()
