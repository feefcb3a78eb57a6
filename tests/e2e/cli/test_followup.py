"""End-to-end: follow-up, measure, history, overdue, watch, review and
status of the rectrack CLI against a real rectrackd."""

import csv
import io
import json
import os
import select
import signal
import subprocess

import rtharness
from rtharness import cli_env


class FollowUps(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        run = cls.server.cli
        for args in (("actor", "add", "bgd", "--name", "Bangladesh"),
                     ("source", "add", "src", "--title", "Source")):
            assert run(*args).code == 0
        rec = run("--output", "json", "rec", "add", "--source", "src",
                  "--title", "Late one", "--lead", "bgd", "--due",
                  "2024-01-31")
        assert rec.code == 0, repr(rec)
        cls.rec = rec.json()
        commit = run("--output", "json", "commit", "add", "--actor", "bgd",
                     "--title", "Halve costs", "--kind", "quantified-target",
                     "--indicator", "cost", "--unit", "per cent",
                     "--baseline", "6", "--baseline-date", "2022-01-01",
                     "--target", "3", "--target-date", "2030-12-31",
                     "--direction", "decrease", "--due", "2024-06-30")
        assert commit.code == 0, repr(commit)
        cls.commit = commit.json()

    def test_follow_up_then_history_in_order(self):
        rec = self.rec["id"]
        first = self.ok("--output", "json", "follow-up", rec, "--status",
                        "in-progress", "--note", "Bill tabled", "--evidence",
                        "https://example.org/a", "--evidence",
                        "https://example.org/b", "--reported-by", "bgd",
                        "--as-of", "2024-03-01").json()
        self.assertEqual(first["status"], "in-progress")
        self.assertEqual(first["evidence"], ["https://example.org/a",
                                             "https://example.org/b"])
        self.ok("follow-up", rec, "--status", "partially-implemented",
                "--as-of", "2024-06-01")
        history = self.ok("--output", "json", "history", rec).json()
        statuses = [f["status"] for f in history["follow_ups"]]
        self.assertEqual(statuses[-2:], ["in-progress",
                                         "partially-implemented"])
        self.assertEqual(history["follow_ups"][-1]["previous_status"],
                         "in-progress")
        table = self.ok("history", rec)
        self.assertIn("partially-implemented", table.out)
        wide = self.ok("history", rec, env=cli_env(COLUMNS="200"))
        self.assertIn("Bangladesh", wide.out)  # BY: the reporter's name
        rows = list(csv.reader(io.StringIO(
            self.ok("--output", "csv", "history", rec).out)))
        self.assertEqual(rows[0][0], "subject_id")
        self.assertEqual(len(rows), 1 + len(statuses))

    def test_follow_up_conflict_and_bad_values(self):
        rec = self.rec["id"]
        result = self.fails(5, "follow-up", rec, "--status", "stalled",
                            "--expect-revision", "1")
        self.assertIn("re-run", result.err)
        bad = self.fails(4, "follow-up", rec, "--status", "done")
        self.assertIn("partially-implemented", bad.err)
        self.fails(4, "follow-up", "X1", "--status", "stalled")
        self.fails(4, "follow-up", rec, "--status", "stalled", "--as-of",
                   "2024-1-1")
        self.fails(2, "follow-up", rec)
        self.fails(3, "follow-up", "R99999", "--status", "stalled")

    def test_measure_and_commitment_history(self):
        cid = self.commit["id"]
        updated = self.ok("--output", "json", "measure", cid, "--value",
                          "5.2", "--as-of", "2024-06-30", "--source",
                          "RPW").json()
        self.assertEqual(updated["latest_value"], 5.2)
        self.ok("measure", cid, "--value", "4.9", "--as-of", "2025-06-30")
        history = self.ok("--output", "json", "history", cid).json()
        self.assertEqual([m["value"] for m in history["measurements"]],
                         [5.2, 4.9])
        table = self.ok("history", cid)
        self.assertIn("Measurements (2)", table.out)
        rows = list(csv.reader(io.StringIO(self.ok(
            "--output", "csv", "history", cid, "--measurements").out)))
        self.assertEqual([r[rows[0].index("value")] for r in rows[1:]],
                         ["5.2", "4.9"])
        self.fails(2, "history", self.rec["id"], "--measurements")
        self.fails(4, "measure", cid, "--value", "lots", "--as-of",
                   "2024-01-01")
        self.fails(2, "measure", cid, "--value", "1")
        self.fails(4, "measure", "R1", "--value", "1", "--as-of", "2024-01-01")

    def test_overdue_in_every_format(self):
        data = self.ok("--output", "json", "overdue", "--as-of",
                       "2025-01-01").json()
        self.assertEqual(data["as_of"], "2025-01-01")
        self.assertIn(self.rec["id"],
                      [r["id"] for r in data["recommendations"]])
        self.assertIn(self.commit["id"],
                      [c["id"] for c in data["commitments"]])
        # the days overdue, as the table gives them; the id kept
        late = {r["id"]: r for r in data["recommendations"]}[self.rec["id"]]
        self.assertEqual(late["days_overdue"], 336)
        self.assertEqual(late["lead_actor_id"], "bgd")
        table = self.ok("overdue", "--as-of", "2025-01-01")
        self.assertIn("Overdue as of 2025-01-01", table.out)
        # the table names the actor
        self.assertRegex(table.out, r"%s\s+\S+\s+2024-01-31\s+336\s+"
                         r"Bangladesh\s" % self.rec["id"])
        listed = self.ok("rec", "list")
        self.assertRegex(listed.out, r"%s\s.*Bangladesh" % self.rec["id"])
        rows = list(csv.reader(io.StringIO(self.ok(
            "--output", "csv", "overdue", "--as-of", "2025-01-01").out)))
        self.assertEqual(rows[0], ["id", "status", "due_date", "days_overdue",
                                   "actor", "title"])
        early = self.ok("--output", "json", "overdue", "--as-of",
                        "2023-01-01").json()
        self.assertEqual(early["recommendations"], [])

    def test_every_read_command_in_every_format(self):
        rec, cid = self.rec["id"], self.commit["id"]
        commands = [("source", "list"), ("source", "show", "src"),
                    ("actor", "list"), ("actor", "show", "bgd"),
                    ("rec", "list"), ("rec", "show", rec),
                    ("commit", "list"), ("commit", "show", cid),
                    ("history", rec), ("history", cid),
                    ("overdue", "--as-of", "2025-01-01"), ("status",)]
        for command in commands:
            table = self.ok(*command)
            self.assertTrue(table.out.strip(), command)
            as_json = self.ok("--output", "json", *command)
            self.assertIsInstance(as_json.json(), dict, command)
            as_csv = self.ok("--output", "csv", *command)
            rows = list(csv.reader(io.StringIO(as_csv.out)))
            self.assertGreaterEqual(len(rows), 1, command)
            self.assertTrue(all(len(r) == len(rows[0]) for r in rows),
                            command)

    def test_status(self):
        table = self.ok("status")
        self.assertIn("SERVING", table.out)
        info = self.ok("--output", "json", "status").json()
        self.assertEqual(info["health"], "SERVING")
        self.assertGreaterEqual(info["info"]["recommendation_count"], 1)

    def test_review_writes_a_file(self):
        out = self.path("review.md")
        result = self.cli("review", "--from", "2024-01-01", "--to",
                          "2025-12-31", "--format", "md", "-o", out)
        if result.code == 1 and "UNIMPLEMENTED" in result.err:
            self.skipTest("this rectrackd has no review renderer")
        self.assertEqual(result.code, 0, repr(result))
        self.assertIn(out, result.out)
        self.assertGreater(os.path.getsize(out), 0)
        self.assertFalse(os.path.exists(out + ".part"))
        self.fails(4, "review", "--from", "2024-01-01", "--to", "2024-12-31",
                   "--format", "pdf")
        self.fails(2, "review", "--from", "2024-01-01")
        self.fails(4, "review", "--from", "2024-01-01", "--to", "2024-12-31",
                   "--table", "recommendations")

    def test_review_default_file_name(self):
        result = self.cli("review", "--from", "2024-01-01", "--to",
                          "2024-12-31", "--format", "json", cwd=self.tmp)
        if result.code == 1 and "UNIMPLEMENTED" in result.err:
            self.skipTest("this rectrackd has no review renderer")
        self.assertEqual(result.code, 0, result.err)
        name = os.path.join(self.tmp, "review-2024-01-01-2024-12-31.json")
        with open(name, encoding="utf-8") as f:
            json.load(f)

    def test_watch_prints_changes_and_stops(self):
        revision = self.ok("--output", "json", "status").json()["info"][
            "revision"]
        lines = self.ok("--output", "json", "watch", "--from-revision", "1",
                        "--count", "3").out.splitlines()
        self.assertEqual([json.loads(l)["revision"] for l in lines],
                         [1, 2, 3])
        text = self.ok("watch", "--from-revision", str(revision),
                       "--count", "1").out
        self.assertRegex(text, r"^%d " % revision)
        rows = list(csv.reader(io.StringIO(self.ok(
            "--output", "csv", "watch", "--from-revision", "1", "--count",
            "2").out)))
        self.assertEqual(rows[0][0], "revision")
        self.assertEqual(len(rows), 3)

    def test_watch_sees_live_changes_and_exits_0_on_sigint(self):
        proc = subprocess.Popen(
            self.server.cli_argv("--output", "json", "watch"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=cli_env())
        try:
            # Keep making changes until the watcher has shown one: the
            # watch call may not be registered when the first one lands.
            line = None
            for attempt in range(600):
                self.ok("actor", "add", "live-%d" % attempt, "--name", "Live")
                ready, _, _ = select.select([proc.stdout], [], [], 0.1)
                if ready:
                    line = proc.stdout.readline()
                    break
            self.assertIsNotNone(line)
            self.assertTrue(json.loads(line)["subject_id"].startswith("live-"))
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(60), 0, proc.stderr.read())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()


if __name__ == "__main__":
    rtharness.main()
