"""The gRPC side of the scale benchmark (bench/run-scale-bench.sh), run
with /usr/bin/python3 and PYTHONPATH pointing at the generated stubs.

  summary ADDR PID FROM TO     GetReviewSummary twice (cold, then from the
                               cache): seconds, reply bytes, counts, and the
                               server's anonymous memory before, after and
                               after the summary's memory was handed back
  export ADDR PID FROM TO      ExportReview in every format: seconds, bytes,
                               and the growth of the server's anonymous
                               memory (RssAnon, sampled every 20 ms while
                               the export runs)
  get-under-load ADDR PID N    GetRecommendation latency (p50, p99 of N
                               calls) alone, then while 4 other clients
                               page to the end, summarise and export
  lists ADDR                   first pages of page 50 over gRPC (p50/p99)

Every figure is printed as a Markdown table row with the load average.
"""

import multiprocessing
import os
import random
import sys
import threading
import time

import grpc

from rectrack.v1 import tracker_pb2 as pb
from rectrack.v1 import tracker_pb2_grpc as pb_grpc

MAX = 64 * 1024 * 1024


def stub_for(address):
    channel = grpc.insecure_channel(address, options=[
        ("grpc.max_receive_message_length", MAX)])
    return pb_grpc.TrackerStub(channel)


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def rss_anon_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(len(ordered) * p + 0.999) - 1))
    return ordered[index]


def summary(address, pid, from_date, to_date):
    stub = stub_for(address)
    before = rss_anon_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    rows = []
    for run in ("cold", "cached"):
        started = time.monotonic()
        reply = stub.GetReviewSummary(pb.GetReviewSummaryRequest(
            from_date=from_date, to_date=to_date), timeout=600)
        seconds = time.monotonic() - started
        rows.append((run, seconds, reply.ByteSize(), reply))
    done.set()
    sampler.join()
    time.sleep(1.0)
    after = rss_anon_kib(pid)
    print("| GetReviewSummary | time s | reply bytes | recommendations | "
          "changes (listed/all) | overdue (listed/all) | load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for run, seconds, size, reply in rows:
        print("| %s | %.3f | %d | %d | %d/%d | %d/%d | %s |" % (
            run, seconds, size, reply.recommendation_count,
            len(reply.changes), reply.change_count, len(reply.overdue),
            reply.overdue_count, load_average()))
    print()
    print("server RssAnon: before %.1f MiB, peak %.1f MiB, 1 s after %.1f "
          "MiB" % (before / 1024, peak[0] / 1024, after / 1024))


def export(address, pid, from_date, to_date):
    stub = stub_for(address)
    print("| ExportReview | time s | bytes | RssAnon before MiB | peak growth "
          "MiB | 1 s after MiB | load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    formats = [("HTML", pb.EXPORT_FORMAT_HTML, ""),
               ("Markdown", pb.EXPORT_FORMAT_MARKDOWN, ""),
               ("CSV recommendations", pb.EXPORT_FORMAT_CSV, ""),
               ("CSV follow-ups", pb.EXPORT_FORMAT_CSV, "follow-ups"),
               ("JSON", pb.EXPORT_FORMAT_JSON, ""),
               ("XLSX", pb.EXPORT_FORMAT_XLSX, "")]
    for name, fmt, table in formats:
        before = rss_anon_kib(pid)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_anon_kib(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        size = 0
        for chunk in stub.ExportReview(pb.ExportReviewRequest(
                from_date=from_date, to_date=to_date, format=fmt,
                table=table), timeout=1800):
            size += len(chunk.data)
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
        time.sleep(1.0)
        after = rss_anon_kib(pid)
        print("| %s | %.1f | %d | %.1f | %.1f | %.1f | %s |" % (
            name, seconds, size, before / 1024, (peak[0] - before) / 1024,
            after / 1024, load_average()))


def page_to_end(address, stop):
    stub = stub_for(address)
    while not stop.is_set():
        token = ""
        while not stop.is_set():
            reply = stub.ListRecommendations(pb.ListRecommendationsRequest(
                page_size=50, page_token=token), timeout=60)
            token = reply.next_page_token
            if not token:
                break


def summarise(address, stop, to_date):
    stub = stub_for(address)
    day = 1
    while not stop.is_set():
        # a new period each time: never from the cache
        stub.GetReviewSummary(pb.GetReviewSummaryRequest(
            from_date="2020-01-%02d" % (1 + day % 28), to_date=to_date),
            timeout=600)
        day += 1


def export_loop(address, stop, to_date):
    stub = stub_for(address)
    while not stop.is_set():
        for chunk in stub.ExportReview(pb.ExportReviewRequest(
                to_date=to_date, format=pb.EXPORT_FORMAT_CSV), timeout=1800):
            if stop.is_set():
                break


def get_latencies(address, count, n_recs):
    stub = stub_for(address)
    rng = random.Random(7)
    times = []
    for _ in range(count):
        request = pb.GetRecommendationRequest(
            id="R%d" % rng.randint(1, n_recs))
        started = time.monotonic()
        stub.GetRecommendation(request, timeout=10)
        times.append((time.monotonic() - started) * 1000)
    return times


def get_under_load(address, pid, count):
    n_recs = stub_for(address).GetServerInfo(
        pb.GetServerInfoRequest()).recommendation_count
    alone = get_latencies(address, count, n_recs)
    # Each other client is a process of its own, so that the measured
    # client never waits for their Python (one interpreter lock each).
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    others = [ctx.Process(target=page_to_end, args=(address, stop)),
              ctx.Process(target=page_to_end, args=(address, stop)),
              ctx.Process(target=summarise,
                          args=(address, stop, "2026-06-30")),
              ctx.Process(target=export_loop,
                          args=(address, stop, "2026-06-30"))]
    for p in others:
        p.daemon = True
        p.start()
    time.sleep(2.0)
    loaded = get_latencies(address, count, n_recs)
    load = load_average()
    stop.set()
    for p in others:
        p.terminate()
        p.join()
    print("| GetRecommendation | calls | p50 ms | p99 ms | max ms | load |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, times in (("alone", alone),
                        ("while 2 clients page, 1 summarises, 1 exports",
                         loaded)):
        print("| %s | %d | %.2f | %.2f | %.2f | %s |" % (
            name, len(times), percentile(times, 0.5),
            percentile(times, 0.99), max(times), load))
    del pid


def lists(address):
    stub = stub_for(address)
    scenarios = [
        ("no filter", {}),
        ("theme", {"theme": "data"}),
        ("actor_id", {"actor_id": "a-7"}),
        ("overdue_only", {"overdue_only": True, "as_of": "2026-06-01"}),
        ("theme + status", {"theme": "health", "statuses": [3]}),
        ("query", {"query": "remittance"}),
        ("query + theme", {"query": "digital inclusion", "theme": "data"}),
    ]
    print("| ListRecommendations over gRPC, page 50 | p50 ms | p99 ms | "
          "load |")
    print("| --- | ---: | ---: | --- |")
    for name, fields in scenarios:
        times = []
        for _ in range(200):
            started = time.monotonic()
            stub.ListRecommendations(pb.ListRecommendationsRequest(
                page_size=50, **fields), timeout=60)
            times.append((time.monotonic() - started) * 1000)
        print("| %s | %.2f | %.2f | %s |" % (
            name, percentile(times, 0.5), percentile(times, 0.99),
            load_average()))


def main(argv):
    command = argv[1]
    if command == "summary":
        summary(argv[2], int(argv[3]), argv[4], argv[5])
    elif command == "export":
        export(argv[2], int(argv[3]), argv[4], argv[5])
    elif command == "get-under-load":
        get_under_load(argv[2], int(argv[3]), int(argv[4]))
    elif command == "lists":
        lists(argv[2])
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
