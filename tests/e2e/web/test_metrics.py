"""/metrics as Prometheus sees it: `promtool check metrics` passes on a
scrape taken after traffic, every family the operator needs is there,
and the counters rise by the calls made, gRPC and HTTP alike. Then a
real Prometheus server (Debian's) scrapes rectrackd and a rectrack
metric is read back through its query API.

Counters are compared before and after a known amount of traffic, so
nothing depends on how fast the machine is.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

import rtharness
from rtharness import pb, res

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")

# What the operator needs, by family name and type.
FAMILIES = {
    "rectrack_grpc_calls_total": "counter",
    "rectrack_grpc_call_duration_seconds": "histogram",
    "rectrack_writer_batches_total": "counter",
    "rectrack_writer_writes_total": "counter",
    "rectrack_writer_batch_size": "histogram",
    "rectrack_writer_commit_duration_seconds": "histogram",
    "rectrack_grpc_connections": "gauge",
    "rectrack_grpc_streams": "gauge",
    "rectrack_grpc_streams_stalled_total": "counter",
    "rectrack_grpc_pending_response_bytes": "gauge",
    "rectrack_store_used_bytes": "gauge",
    "rectrack_store_map_bytes": "gauge",
    "rectrack_store_revision": "gauge",
    "rectrack_export_jobs": "gauge",
    "rectrack_export_jobs_waiting": "gauge",
    "rectrack_http_requests_total": "counter",
    "rectrack_http_request_duration_seconds": "histogram",
    "rectrack_http_connections": "gauge",
}


def parse(text):
    """{(name, labels): value} of a scrape and {name: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, "not a sample line: %r" % line
            samples[(match.group(1), match.group(2) or "")] = float(
                match.group(3))
    return samples, types


class Metrics(rtharness.ServerTestCase):
    server_http = True

    def scrape(self):
        answer = self.server.http_get("/metrics")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.headers["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(answer.headers["Cache-Control"], "no-store")
        return answer.body.decode()

    def promtool(self, text):
        check = subprocess.run(["promtool", "check", "metrics"],
                               input=text, capture_output=True, text=True,
                               timeout=rtharness.PATIENCE)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(check.stdout + check.stderr, "",
                         "promtool has remarks")

    def test_promtool_passes_and_counters_rise_with_the_calls(self):
        source = self.stub.CreateSource(pb.CreateSourceRequest(
            source=res.Source(id="gfmd-2024", title="GFMD 2024"))).id
        before, _ = parse(self.scrape())
        for _ in range(5):
            self.stub.ListSources(pb.ListSourcesRequest())
        for i in range(3):
            self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
                recommendation=rtharness.recommendation(
                    source, title="Metric %d" % i)))
        with self.assertRaises(Exception):
            self.stub.GetRecommendation(pb.GetRecommendationRequest(
                id="R999"))
        for _ in range(4):
            self.assertEqual(self.server.http_get("/recommendations").status,
                             200)
        self.assertEqual(self.server.http_get("/nowhere").status, 404)
        self.assertEqual(
            self.server.http_get("/api/v1/recommendations?page_size=-1")
            .status, 400)
        text = self.scrape()
        self.promtool(text)
        after, types = parse(text)

        def rose(name, labels=""):
            return after[(name, labels)] - before.get((name, labels), 0)

        calls = "rectrack_grpc_calls_total"
        self.assertEqual(rose(calls, '{method="ListSources",code="OK"}'), 5)
        self.assertEqual(
            rose(calls, '{method="CreateRecommendation",code="OK"}'), 3)
        self.assertEqual(
            rose(calls, '{method="GetRecommendation",code="NOT_FOUND"}'), 1)
        self.assertEqual(rose("rectrack_grpc_call_duration_seconds_count",
                              '{method="ListSources"}'), 5)
        self.assertGreaterEqual(rose("rectrack_writer_batches_total"), 1)
        self.assertLessEqual(rose("rectrack_writer_batches_total"), 3)
        self.assertEqual(
            rose("rectrack_writer_writes_total", '{result="ok"}'), 3)
        self.assertEqual(rose("rectrack_writer_batch_size_sum"), 3)
        self.assertEqual(rose("rectrack_writer_commit_duration_seconds_count"),
                         rose("rectrack_writer_batches_total"))
        http = "rectrack_http_requests_total"
        self.assertEqual(rose(http, '{page="recommendations",code="200"}'), 4)
        self.assertEqual(rose(http, '{page="unknown",code="404"}'), 1)
        self.assertEqual(rose(http, '{page="api_recommendations",code="400"}'),
                         1)
        self.assertEqual(rose(http, '{page="metrics",code="200"}'), 1)
        revision = self.stub.ListSources(pb.ListSourcesRequest()).sources[0]
        self.assertGreaterEqual(after[("rectrack_store_revision", "")],
                                revision.revision + 3)
        self.assertGreater(after[("rectrack_store_used_bytes", "")], 0)
        self.assertGreaterEqual(after[("rectrack_store_map_bytes", "")],
                                after[("rectrack_store_used_bytes", "")])
        for via in ("grpc", "http"):
            self.assertEqual(after[("rectrack_export_jobs",
                                    '{via="%s"}' % via)], 0)
        # the transport's gauges are copied from the loop thread each second
        rtharness.wait_for(
            lambda: parse(self.scrape())[0][("rectrack_grpc_connections",
                                              "")] >= 1,
            "the open gRPC connection to show")
        for name, kind in FAMILIES.items():
            with self.subTest(family=name):
                self.assertEqual(types.get(name), kind)
        # histograms: cumulative buckets ending at +Inf == count
        buckets = sorted(
            (float(re.search(r'le="([^"]+)"', labels).group(1)), value)
            for (name, labels), value in after.items()
            if name == "rectrack_grpc_call_duration_seconds_bucket"
            and 'method="ListSources"' in labels)
        values = [value for _, value in buckets]
        self.assertEqual(values, sorted(values))
        self.assertEqual(buckets[-1][0], float("inf"))
        self.assertEqual(values[-1], after[(
            "rectrack_grpc_call_duration_seconds_count",
            '{method="ListSources"}')])

    def test_healthz_names_the_revision(self):
        answer = self.server.http_get("/healthz")
        self.assertEqual(answer.status, 200)
        self.assertRegex(answer.body.decode(), r"^ok revision \d+\n$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(shutil.which("prometheus"), "Debian prometheus")
class PrometheusScrape(unittest.TestCase):
    """Debian's prometheus server scrapes rectrackd every second; the
    test reads rectrack_store_revision back through the query API."""

    def test_prometheus_scrapes_rectrackd(self):
        scratch = tempfile.mkdtemp(prefix="rt-e2e-prometheus-")
        prometheus = None
        try:
            with rtharness.Server(http=True) as server:
                server.stub().CreateSource(pb.CreateSourceRequest(
                    source=res.Source(id="gfmd-2024", title="GFMD 2024")))
                revision = float(server.stub().ListSources(
                    pb.ListSourcesRequest()).sources[0].revision)
                config = os.path.join(scratch, "prometheus.yml")
                with open(config, "w") as f:
                    f.write("global:\n  scrape_interval: 1s\n"
                            "scrape_configs:\n"
                            "  - job_name: rectrack\n"
                            "    static_configs:\n"
                            "      - targets: ['%s']\n"
                            % server.http_address)
                port = free_port()
                log = open(os.path.join(scratch, "prometheus.log"), "w")
                prometheus = subprocess.Popen(
                    ["prometheus", "--config.file=" + config,
                     "--storage.tsdb.path=" + os.path.join(scratch, "tsdb"),
                     "--web.listen-address=127.0.0.1:%d" % port],
                    stdout=log, stderr=subprocess.STDOUT)
                url = ("http://127.0.0.1:%d/api/v1/query?" % port +
                       urllib.parse.urlencode(
                           {"query": 'rectrack_store_revision'
                                     '{job="rectrack"}'}))
                found = {}

                def scraped():
                    if prometheus.poll() is not None:
                        raise AssertionError("prometheus exited with %s" %
                                             prometheus.returncode)
                    try:
                        with urllib.request.urlopen(url, timeout=5) as r:
                            body = json.load(r)
                    except OSError:
                        return False
                    result = body["data"]["result"]
                    if not result:
                        return False
                    found["value"] = float(result[0]["value"][1])
                    return True

                rtharness.wait_for(scraped, "prometheus to scrape rectrackd",
                                   timeout=2 * rtharness.PATIENCE)
                self.assertEqual(found["value"], revision)
                up = ("http://127.0.0.1:%d/api/v1/targets" % port)
                with urllib.request.urlopen(up, timeout=5) as r:
                    targets = json.load(r)["data"]["activeTargets"]
                self.assertEqual([t["health"] for t in targets], ["up"])
        finally:
            if prometheus is not None:
                prometheus.terminate()
                try:
                    prometheus.wait(timeout=rtharness.PATIENCE)
                except subprocess.TimeoutExpired:
                    prometheus.kill()
                    prometheus.wait()
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
