"""End-to-end: the JSON Lines form of the import format.

A generated data set (bench_scale lines) goes in with `rectrack import`
(twice: the second creates nothing) and comes out with `rectrack export
FILE.jsonl`, which a fresh server imports into the same counts. A file
with bad lines is refused as a whole, every bad line named. `rectrack-admin load` of a file four times as large takes
about the same memory: the file is read in segments. Memory is read from
the children's rusage (ru_maxrss); under AddressSanitizer its quarantine
is turned off for the measured runs, so that freed segments count as
freed."""

import os
import subprocess
import unittest

import rtharness


def generate(path, recommendations):
    subprocess.run([rtharness.bench_scale(), "lines", "--out", path,
                    "--recommendations", str(recommendations)], check=True)
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f) - 1


def max_rss_kib(args):
    """Runs args to the end; returns (exit code, stderr, max RSS in KiB)."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = rtharness.asan_without_quarantine()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err, usage.ru_maxrss


class LinesImport(rtharness.ServerTestCase):

    def test_import_twice_then_export_into_a_fresh_server(self):
        source = self.path("generated.jsonl")
        items = generate(source, 300)
        first = self.ok("--output", "json", "import", source)
        self.assertEqual(first.json()["created"], items)
        again = self.ok("--output", "json", "import", source)
        self.assertEqual(again.json()["created"], 0)
        self.assertEqual(again.json()["already_present"], items)
        exported = self.path("export.jsonl")
        wrote = self.ok("export", exported)
        self.assertIn("300 recommendations", wrote.out)
        with open(exported, encoding="utf-8") as f:
            self.assertEqual(f.readline().strip(),
                             '{"format":"rectrack-import-lines/1"}')
            self.assertEqual(sum(1 for _ in f), items)
        with rtharness.Server() as fresh:
            copied = fresh.cli("--output", "json", "import", exported)
            self.assertEqual(copied.code, 0, repr(copied))
            self.assertEqual(copied.json()["created"], items)
            mine = self.ok("--output", "json", "status").json()["info"]
            theirs = fresh.cli("--output", "json", "status").json()["info"]
            for key in ("recommendation_count", "commitment_count",
                        "follow_up_count", "measurement_count"):
                self.assertEqual(mine[key], theirs[key], key)

    def test_bad_lines_are_named_and_nothing_is_written(self):
        path = self.write("bad.jsonl", "\n".join([
            '{"format": "rectrack-import-lines/1"}',
            '{"actor": {"id": "lines-a", "name": "A", "kind": "youth"}}',
            '{"actor": {"id": "lines-b", "name": "B", "kind": "nope"}}',
            '{"follow_up": {"subject": "missing", "status": "stalled",'
            ' "as_of": "2024-01-01"}}',
            ""]))
        result = self.fails(4, "import", path)
        self.assertIn("line 3: kind", result.err)
        self.assertIn("line 4: subject", result.err)
        self.assertIn("2 problem(s); nothing was written", result.err)
        listed = self.ok("--output", "json", "actor", "list")
        self.assertNotIn("lines-a", listed.out)


class LinesLoadMemory(unittest.TestCase):
    """rectrack-admin load reads a file in segments: four times the file,
    about the same memory."""

    def test_load_memory_does_not_grow_with_the_file(self):
        with rtharness.Server() as scratch:
            small, large = scratch.path("small.jsonl"), scratch.path(
                "large.jsonl")
            generate(small, 1000)
            generate(large, 4000)
            admin = rtharness.program("rectrack-admin")
            rss = []
            for name, path in (("small", small), ("large", large)):
                code, err, kib = max_rss_kib(
                    [admin, "load", "--data-dir",
                     scratch.path("data-" + name), path])
                self.assertEqual(code, 0, err)
                rss.append(kib)
            self.assertLess(rss[1], rss[0] * 1.6 + 8192,
                            "load RSS grew with the file: %r KiB" % rss)


if __name__ == "__main__":
    rtharness.main()
