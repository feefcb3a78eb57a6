"""Helper of bench/run-attacks.sh, run with /usr/bin/python3: the catalogue
of hostile clients (tests/e2e/attacks/hostile.py) at full length against
one build of rectrackd, with an honest client measuring its latencies and
a probe sampling the server's resident memory.

  run_attacks.py BUILD_DIR LABEL OUT.json [--seconds S] [-- SERVER_FLAGS]
  run_attacks.py report README.md COMMAND AFTER.json [BEFORE.json]

For each scenario, starts BUILD_DIR/service/rectrackd through rtharness
(a fresh data directory, 1,000 recommendations of about 3 KB loaded
through CreateRecommendation), runs it with a pause for the server to
settle before and after, and stops the server:

  baseline     the honest client alone
  stalled      5 connections x 100 ListRecommendations(page_size=1000)
               (3 MB each) with flow-control windows that never open
  rapid-reset  HEADERS + DATA + RST_STREAM of that call, S seconds
  half-open    1,100 connections that never finish the preface
  hpack-bomb   header blocks decoding to 1,000 times their size, S seconds
  unfinished   40 calls on one connection, each 3 MB into a 4 MB request
               it never finishes, held for S seconds

Attackers connect from 127.0.0.2, the honest client from 127.0.0.1.
Writes the figures of every scenario to OUT.json. `report` writes them
(and those of a build from before, if given) into README.md between the
attacks markers, with the machine they ran on and COMMAND.
"""

import datetime
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e", "attacks"))
# rtharness finds the build (programs, generated stubs) through RT_BUILD_DIR,
# the first argument, which must be known before it is imported.
if len(sys.argv) > 1 and sys.argv[1] != "report" and \
        not os.environ.get("RT_BUILD_DIR"):
    os.environ["RT_BUILD_DIR"] = os.path.abspath(sys.argv[1])

if len(sys.argv) < 2 or sys.argv[1] != "report":
    import rtharness  # noqa: E402
    import hostile  # noqa: E402
    from rtharness import pb  # noqa: E402

LIST = "/rectrack.v1.Tracker/ListRecommendations"


def load(stub, count=1000):
    source = rtharness.make_source(stub, slug="attack-source")
    futures = [stub.CreateRecommendation.future(pb.CreateRecommendationRequest(
        recommendation=rtharness.recommendation(
            source.id, title="Attack target %d" % i,
            text=hostile.big_text(3000, seed=i))), timeout=120)
        for i in range(count)]
    for future in futures:
        future.result()
    return source.id


def list_call(channel, timeout):
    rtharness.pb_grpc.TrackerStub(channel).ListRecommendations(
        pb.ListRecommendationsRequest(page_size=1000), timeout=timeout)


def get_call(channel, timeout):
    rtharness.pb_grpc.TrackerStub(channel).GetRecommendation(
        pb.GetRecommendationRequest(id="R1"), timeout=timeout)


def curve(probe, start_kib, step_s=1.0):
    """The RSS samples as [(seconds, MiB above the start)], one per step."""
    points, next_t = [], 0.0
    for t, kib in probe.samples:
        if t >= next_t:
            points.append((round(t, 1), round((kib - start_kib) / 1024, 1)))
            next_t += step_s
    return points


def scenario(server, name, attack, settle_s=3.0):
    """Runs attack(honest) with the probe around it; attack starts the
    honest client (an hostile.Honest) when it sees fit."""
    time.sleep(settle_s)
    # The data file's pages are mapped in by the first big read: have them
    # in the starting figure, so that growth is the attack's.
    list_call(server.channel(), 60)
    start_kib = hostile.rss_kib(server.pid)
    probe = hostile.RssProbe(server.pid).start()
    honest = hostile.Honest(server.address, get_call)
    began = time.monotonic()
    detail = attack(honest)
    attack_s = time.monotonic() - began
    honest.stop()
    time.sleep(settle_s)
    probe.stop()
    end_kib = hostile.rss_kib(server.pid)
    result = {"scenario": name, "attack_s": round(attack_s, 1),
              "rss_start_mib": round(start_kib / 1024, 1),
              "rss_peak_growth_mib": round(
                  (probe.peak_kib() - start_kib) / 1024, 1),
              "rss_end_growth_mib": round((end_kib - start_kib) / 1024, 1),
              "honest": honest.summary(),
              "honest_failures": sorted(set(honest.failures))[:5],
              "detail": detail, "rss_curve": curve(probe, start_kib)}
    print(json.dumps({k: v for k, v in result.items() if k != "rss_curve"}),
          flush=True)
    return result


def during(name, address, **arguments):
    """An attack of hostile.ATTACKS in a process of its own, with the
    honest client running throughout."""
    def run(honest):
        attack = hostile.Attack(name, address, **arguments).start()
        honest.start()
        try:
            seconds = arguments.get("duration_s", arguments.get("hold_s", 60))
            return attack.wait(timeout=seconds + 120)
        finally:
            attack.kill()
    return run


def half_open_attack(server, honest, hold_s):
    sockets, failed = hostile.half_open(server.address, 1100)
    try:
        # Then a new client from another address: its first call times
        # the way in, the rest run while the connections stay open.
        began = time.monotonic()
        try:
            channel = rtharness.grpc.insecure_channel(
                server.address,
                options=[("grpc.use_local_subchannel_pool", 1)])
            get_call(channel, 30)
            first_ms = round((time.monotonic() - began) * 1000, 1)
            channel.close()
        except rtharness.grpc.RpcError as error:
            first_ms = "failed: %s" % error.code()
        honest.start()
        time.sleep(hold_s)
        still_open = hostile.count_open(sockets)
    finally:
        for sock in sockets:
            sock.close()
    return {"opened": len(sockets), "connect_failed": failed,
            "still_open_after_hold": still_open,
            "new_client_first_call_ms": first_ms}


# ---- the report ---------------------------------------------------------------

BEGIN = "<!-- attacks:begin (written by bench/run-attacks.sh) -->"
END = "<!-- attacks:end -->"
BOUNDS = {
    "baseline": "(no attack: the honest client alone)",
    "stalled": "RSS grows by less than 64 MiB",
    "rapid-reset": "honest p99 < 50 ms",
    "half-open": "a new client from another address is answered at once",
    "hpack-bomb": "honest p99 < 100 ms",
    "unfinished": "(not in the issue's table: RSS stays bounded)",
}
WHAT = {
    "baseline": "baseline",
    "stalled": "5 connections x 100 stalled 3 MB responses",
    "rapid-reset": "rapid reset of ListRecommendations(page_size=1000)",
    "half-open": "1,100 half-open connections from one address",
    "hpack-bomb": "HPACK bomb (16,000 references to a 4 KB header)",
    "unfinished": "40 unfinished 4 MB requests on one connection, 3 MB sent "
                  "of each",
}


def machine():
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as loadavg:
        load = loadavg.read().split()[0]
    return "%d CPUs (%s), load average %s when the report was written" % (
        os.cpu_count(), model, load)


def cell(result):
    honest = result["honest"]
    text = "p50 %s / p99 %s / max %s ms, %d calls, %d failed" % (
        honest["p50_ms"], honest["p99_ms"], honest["max_ms"], honest["calls"],
        honest["failures"])
    if result["scenario"] != "baseline":
        text = "RSS +%s MiB peak, +%s MiB after; honest " % (
            result["rss_peak_growth_mib"], result["rss_end_growth_mib"]) + text
    detail = result.get("detail") or {}
    if result["scenario"] == "half-open":
        first = detail.get("new_client_first_call_ms")
        text = "first call of a new client: %s; %s of %s still open after " \
               "%s s; " % ("%s ms" % first if isinstance(first, float)
                           else first, detail.get("still_open_after_hold"),
                           detail.get("opened"), result["attack_s"]) + text
    return text


def curve_line(result):
    values = {point[1] for point in result["rss_curve"]}
    if len(values) == 1:
        return "flat at %+g" % values.pop()
    return ", ".join("%gs %+g" % tuple(point) for point in result["rss_curve"])


def report_section(command, after, before=None):
    runs = [run for run in (before, after) if run is not None]
    lines = [BEGIN, "## What one hostile client can take", "",
             "Produced by `%s` on %s. Release builds (no sanitizers); "
             "rectrackd, the attackers (raw HTTP/2 from 127.0.0.2, in a "
             "process of their own) and the honest client (grpcio from "
             "127.0.0.1, GetRecommendation in a closed loop) on the same "
             "host. Machine: %s. Each attack runs against a fresh server "
             "holding 1,000 recommendations of about 3 KB, for %s s." % (
                 command, datetime.datetime.now(datetime.timezone.utc)
                 .strftime("%Y-%m-%dT%H:%MZ"), machine(),
                 after["seconds"]), ""]
    header = "| attack | bound |" + "".join(
        " %s |" % run["label"] for run in runs)
    lines += [header, "| --- | --- |" + " --- |" * len(runs)]
    for i, result in enumerate(after["scenarios"]):
        name = result["scenario"]
        row = "| %s | %s |" % (WHAT[name], BOUNDS[name])
        for run in runs:
            row += " %s |" % cell(run["scenarios"][i])
        lines.append(row)
    lines += ["", "Server RSS over each attack, in MiB above its start "
              "(one sample a second; the attack ends %s s in, the last "
              "samples are the 3 s after it):" % after["seconds"], ""]
    for i, result in enumerate(after["scenarios"]):
        if result["scenario"] == "baseline":
            continue
        for run in runs:
            lines.append("- %s, %s: %s" % (result["scenario"], run["label"],
                                           curve_line(run["scenarios"][i])))
    hung = [(run["label"], r["scenario"]) for run in runs
            for r in run["scenarios"] if "still running" in r.get("stop", "")]
    if hung:
        lines += ["", "Servers that did not stop within 60 s of SIGTERM "
                  "after the attack (still working through its input): " +
                  "; ".join("%s, %s" % h for h in hung) + "."]
    failures = [(run["label"], r["scenario"], r["honest_failures"])
                for run in runs for r in run["scenarios"]
                if r["honest_failures"]]
    if failures:
        lines += ["", "The honest client's failures:", ""]
        lines += ["- %s, %s: %s" % (label, name, "; ".join(f))
                  for label, name, f in failures]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_report(readme, command, after_path, before_path=None):
    with open(after_path) as f:
        after = json.load(f)
    before = None
    if before_path:
        with open(before_path) as f:
            before = json.load(f)
    section = report_section(command, after, before)
    with open(readme) as f:
        text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(readme, "w") as f:
        f.write(text)


def main():
    args = sys.argv[1:]
    if args and args[0] == "report":
        write_report(*args[1:])
        return
    flags = []
    if "--" in args:
        flags = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    seconds = 15.0
    if "--seconds" in args:
        i = args.index("--seconds")
        seconds = float(args[i + 1])
        del args[i:i + 2]
    _, label, out_path = args
    request = pb.ListRecommendationsRequest(page_size=1000).SerializeToString()
    results = {"label": label, "flags": flags, "seconds": seconds,
               "scenarios": []}
    attacks = {
        "baseline": lambda server: lambda honest: (
            honest.start(), time.sleep(seconds))[-1],
        "stalled": lambda server: during(
            "stalled", server.address, path=LIST, request=request,
            connections=5, calls=100, hold_s=seconds),
        "rapid-reset": lambda server: during(
            "rapid-reset", server.address, path=LIST, request=request,
            duration_s=seconds),
        "half-open": lambda server: lambda honest: half_open_attack(
            server, honest, seconds),
        "hpack-bomb": lambda server: during(
            "hpack-bomb", server.address, duration_s=seconds),
        "unfinished": lambda server: during(
            "unfinished-requests", server.address, streams=40,
            size=3 << 20, hold_s=seconds),
    }
    # A fresh server for each attack: what one left behind (a backlog of
    # input still being worked through, say) must not count against the
    # next.
    for name, attack in attacks.items():
        server = rtharness.Server("--log-level", "warn", *flags)
        server.start()
        try:
            load(server.stub())
            result = scenario(server, name, attack(server))
        finally:
            try:
                server.close()
                stopped = "exit %s" % server.last_status
            except AssertionError:
                stopped = "still running 60 s after SIGTERM (killed)"
        result["stop"] = stopped
        results["scenarios"].append(result)
    with open(out_path, "w") as out:
        json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
