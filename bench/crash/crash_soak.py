#!/usr/bin/python3
"""The crash soak of bench/run-crash-soak.sh: tests/e2e/crash/crashsoak.py
for as many cycles as asked, a summary on stdout and, with --readme, the
figures written into that file between <!-- crash:begin --> and
<!-- crash:end -->.

    crash_soak.py --cycles N [--seed S] [--writers W] [--window K]
                  [--kill-after MIN MAX] [--readme bench/README.md]

The environment is rtharness's (RT_BUILD_DIR names the build; PYTHONPATH
the harness, crashsoak and the generated stubs). Exits 1 if any write
was lost, half written or duplicated, or verify failed.
"""

import argparse
import os
import platform
import random
import re
import subprocess
import sys
import time

import crashsoak


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def section(args, soak, elapsed):
    tally = soak.tally
    acked = sum(tally.acked.values())
    cut = tally.unacked_present + tally.unacked_absent
    lost = len(tally.lost) + len(tally.partial) + len(tally.phantom)
    return """<!-- crash:begin (written by bench/run-crash-soak.sh) -->
## Crash soak

Produced by `bench/run-crash-soak.sh {cycles}` (Release build, no
sanitizers) on {date}. Machine: {cpus} CPUs ({cpu}); rectrackd, its data
directory and the Python grpcio writers on the same host, over loopback.
Seed {seed} (`RT_CRASH_SEED={seed}` replays the kill moments and the
write mix).

Each cycle: {writers} writer threads with {window} calls each in flight
send CreateRecommendation, RecordFollowUp and RecordMeasurement (each
with a request_id); {kill_min:.2f} to {kill_max:.2f} s after the cycle's
first acknowledgment rectrackd is SIGKILLed; `rectrack-admin verify`
runs on the directory as the kill left it; rectrackd restarts on it and
every write of the cycle is checked. After the last cycle every
acknowledged write of the run is checked again, and the directory is
verified after a graceful stop too (tests/e2e/crash/crashsoak.py).

| figure | value |
| --- | ---: |
| kill cycles | {cycles} |
| acknowledged writes | {acked:,} ({create:,} creates, {follow_up:,} follow-ups, {measurement:,} measurements) |
| acknowledged writes lost or changed | {lost_acked} |
| writes cut by a kill (sent, never answered) | {cut:,} |
| ... of them committed, found whole | {present:,} |
| ... of them absent | {absent:,} |
| half-written, duplicated or unexplained records | {bad} |
| `rectrack-admin verify` runs, all sound | {verified} |
| wall time | {elapsed:.0f} s ({rate:.2f} cycles/s, {wps:,.0f} acknowledged writes/s) |

Read the rate as this machine's: a cycle is mostly the restart, the
checks and the Python clients; what is asserted is the zero.
<!-- crash:end -->
""".format(cycles=args.cycles, date=time.strftime("%Y-%m-%dT%H:%MZ",
                                                   time.gmtime()),
           cpus=os.cpu_count(), cpu=cpu_name(), seed=soak.seed,
           writers=soak.writers, window=soak.window,
           kill_min=soak.kill_after_s[0], kill_max=soak.kill_after_s[1],
           acked=acked, create=tally.acked["create"],
           follow_up=tally.acked["follow_up"],
           measurement=tally.acked["measurement"],
           lost_acked=len(tally.lost), cut=cut,
           present=tally.unacked_present, absent=tally.unacked_absent,
           bad=len(tally.partial) + len(tally.phantom),
           verified=tally.verified, elapsed=elapsed,
           rate=args.cycles / elapsed, wps=acked / elapsed) if lost == 0 \
        else None


def write_readme(path, text):
    with open(path) as f:
        readme = f.read()
    pattern = re.compile(r"<!-- crash:begin.*?<!-- crash:end -->\n", re.S)
    if pattern.search(readme):
        readme = pattern.sub(lambda m: text, readme)
    else:
        readme = readme.rstrip("\n") + "\n\n" + text
    with open(path, "w") as f:
        f.write(readme)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, required=True)
    parser.add_argument("--seed", type=int,
                        default=random.SystemRandom().getrandbits(32))
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--kill-after", type=float, nargs=2,
                        default=(0.1, 1.5), metavar=("MIN", "MAX"))
    parser.add_argument("--readme")
    args = parser.parse_args()
    # Per-call log lines would cost the server more than the calls.
    soak = crashsoak.Soak(args.seed, writers=args.writers, window=args.window,
                          kill_after_s=tuple(args.kill_after),
                          log=lambda line: print(line, flush=True),
                          server_flags=("--log-level", "warn"))
    try:
        elapsed = soak.run(args.cycles)
    except crashsoak.SoakFailure as failure:
        print("crash soak FAILED (seed %d): %s" % (args.seed, failure))
        return 1
    finally:
        soak.close()
    text = section(args, soak, elapsed)
    if text is None:
        print("crash soak FAILED: writes lost")
        return 1
    print(text)
    if args.readme:
        write_readme(args.readme, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
