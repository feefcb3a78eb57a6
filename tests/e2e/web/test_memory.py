"""The memory of the web pages built on the review, end to end: a real
rectrackd with its HTTP listener serves the overview and the review's
downloads from a generated data set (bench_scale load: the demo's
proportions) of 1,000 and then of 8,000 recommendations, and the
server's anonymous memory (RssAnon: the heap, not the data file's pages
that LMDB maps) is sampled while each answer is read.

Checked:
 - every answer is 200 and whole, and the downloads of the larger data
   set are several times the size of the smaller one's;
 - the largest growth of the server's anonymous memory over an overview
   or a download is about the same for both data sets (reading the data
   set into memory would take tens of MiB more at 8,000), and small;
 - a second overview of the same revision is served from the summary
   cache: rectrack_http_review_cache_hits_total rises by one and
   _misses_total does not.
Under AddressSanitizer the server's quarantine is turned off, so that
memory an answer frees counts as freed. Bounds, not times: the test
passes on a loaded machine.
"""

import re
import unittest

import rtharness

PERIOD = "from=2023-01-01&to=2024-12-31"
DOWNLOADS = ["review.html", "review.md", "review.csv?table=recommendations",
             "review.csv?table=follow-ups", "review.json", "review.xlsx"]
MIB = 1024 * 1024


def get_growth(server, path):
    """Reads one answer in pieces; returns (status, bytes, largest RssAnon
    growth while it was built and read)."""
    size = 0
    connection = server.http_connection(timeout=600)
    try:
        with rtharness.RssAnonPeak(server.pid) as peak:
            connection.request("GET", path)
            response = connection.getresponse()
            while True:
                piece = response.read(64 * 1024)
                if not piece:
                    break
                size += len(piece)
            status = response.status
    finally:
        connection.close()
    return status, size, peak.growth


def cache_counts(server):
    """(hits, misses) of the web summary cache, from /metrics."""
    text = server.http_get("/metrics").body.decode()
    counts = []
    for name in ("hits", "misses"):
        match = re.search(r"^rectrack_http_review_cache_%s_total (\d+)$" %
                          name, text, re.M)
        counts.append(int(match.group(1)) if match else -1)
    return tuple(counts)


class WebMemoryTest(unittest.TestCase):

    def measure(self, recommendations):
        """Largest growth over the overview and every download, on a fresh
        data set; the download sizes."""
        data = rtharness.load_scale_data_dir(self, recommendations,
                                             "rt-e2e-web-memory-")
        env = {"ASAN_OPTIONS": rtharness.asan_without_quarantine()}
        server = rtharness.Server(data_dir=data, env=env, http=True)
        self.addCleanup(server.close)
        server.start()
        # What every answer shares (the listener's threads, their readers
        # and buffers) is warmed first, by a summary of another period
        # and a small download, so that it does not count as growth.
        status, _, _ = get_growth(server, "/api/v1/summary?" + PERIOD)
        self.assertEqual(status, 200)
        status, _, _ = get_growth(server, "/downloads/review.csv?table="
                                  "commitments&" + PERIOD)
        self.assertEqual(status, 200)

        hits, misses = cache_counts(server)
        status, size, worst = get_growth(server, "/")
        self.assertEqual(status, 200)
        self.assertGreater(size, 0)
        print("%d recommendations: overview: %d bytes, RssAnon +%.1f MiB" %
              (recommendations, size, worst / MIB), flush=True)
        self.assertEqual(cache_counts(server), (hits, misses + 1))
        status, again, _ = get_growth(server, "/")
        self.assertEqual((status, again), (200, size))
        self.assertEqual(cache_counts(server), (hits + 1, misses + 1),
                         "the second overview of the revision is cached")

        sizes = {}
        for name in DOWNLOADS:
            path = "/downloads/" + name + ("&" if "?" in name else "?") + \
                PERIOD
            status, size, growth = get_growth(server, path)
            self.assertEqual(status, 200, name)
            self.assertGreater(size, 0, name)
            sizes[name] = size
            worst = max(worst, growth)
            print("%d recommendations: %s: %d bytes, RssAnon +%.1f MiB" %
                  (recommendations, name, size, growth / MIB), flush=True)
        server.stop()
        return worst, sizes

    def test_web_memory_does_not_grow_with_the_data_set(self):
        small, small_sizes = self.measure(1000)
        large, large_sizes = self.measure(8000)
        for key, size in large_sizes.items():
            self.assertGreater(size, 4 * small_sizes[key], key)
        self.assertLess(large, 32 * MIB)
        self.assertLess(large, small + 12 * MIB)


if __name__ == "__main__":
    unittest.main(verbosity=2)
