"""The memory of an export, end to end: a real rectrackd exports the
review in every format from a generated data set (bench_scale load: the
demo's proportions) of 1,000 and then of 8,000 recommendations, and the
server's anonymous memory (RssAnon: the heap, not the data file's pages
that LMDB maps) is sampled while each export runs.

Checked: each export arrives whole, and the largest growth of the
server's anonymous memory over an export is about the same for both data
sets (the larger one would take tens of MiB more if the data set were
read into memory), and small. Under AddressSanitizer the server's
quarantine is turned off, so that memory an export frees counts as freed.
Bounds, not times: the test passes on a loaded machine.
"""

import unittest

import rtharness
from rtharness import pb, pb_grpc

FORMATS = [("HTML", None), ("MARKDOWN", None), ("CSV", "recommendations"),
           ("CSV", "follow-ups"), ("JSON", None), ("XLSX", None)]
PERIOD = dict(from_date="2023-01-01", to_date="2024-12-31")
MIB = 1024 * 1024


def export_growth(stub, pid, fmt, table):
    """Streams one export; returns (bytes, largest RssAnon growth)."""
    size = 0
    request = pb.ExportReviewRequest(
        format=getattr(pb, "EXPORT_FORMAT_" + fmt), table=table or "",
        **PERIOD)
    with rtharness.RssAnonPeak(pid) as peak:
        for chunk in stub.ExportReview(request, timeout=600):
            size += len(chunk.data)
    return size, peak.growth


class ExportMemoryTest(unittest.TestCase):

    def measure(self, recommendations):
        """Largest growth over every format, on a fresh data set."""
        data = rtharness.load_scale_data_dir(self, recommendations,
                                             "rt-e2e-export-memory-")
        env = {"ASAN_OPTIONS": rtharness.asan_without_quarantine()}
        server = rtharness.Server(data_dir=data, env=env)
        self.addCleanup(server.close)
        server.start()
        stub = pb_grpc.TrackerStub(server.channel())
        # A first export warms what every export shares (the thread pool,
        # the connection's buffers), so that it does not count as growth.
        export_growth(stub, server.pid, "CSV", "commitments")
        worst, sizes = 0, {}
        for fmt, table in FORMATS:
            size, growth = export_growth(stub, server.pid, fmt, table)
            self.assertGreater(size, 0, fmt)
            sizes[(fmt, table)] = size
            worst = max(worst, growth)
            print("%d recommendations: %s%s: %d bytes, RssAnon +%.1f MiB" %
                  (recommendations, fmt, " " + table if table else "", size,
                   growth / MIB), flush=True)
        server.stop()
        return worst, sizes

    def test_export_memory_does_not_grow_with_the_data_set(self):
        small, small_sizes = self.measure(1000)
        large, large_sizes = self.measure(8000)
        for key, size in large_sizes.items():
            self.assertGreater(size, 4 * small_sizes[key], key)
        self.assertLess(large, 32 * MIB)
        self.assertLess(large, small + 12 * MIB)


if __name__ == "__main__":
    unittest.main(verbosity=2)
