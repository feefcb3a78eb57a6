"""End-to-end: the record commands (source, actor, rec, commit) of the
rectrack CLI against a real rectrackd, in every output format, with their
error paths and exit codes, plus configuration (flags, environment,
config file) and table rendering of wide UTF-8 text."""

import csv
import io
import json
import os

import rtharness
from rtharness import cli_env, run_cli


class RecordCommands(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        run = cls.server.cli
        for args in (
                ("actor", "add", "bgd", "--name", "Bangladesh", "--kind",
                 "member-state", "--country", "BGD"),
                ("actor", "add", "iom", "--name", "IOM", "--kind",
                 "un-entity"),
                ("source", "add", "idm-2023-ny", "--title", "IDM 2023",
                 "--kind", "dialogue", "--date", "2023-03-30",
                 "--organizer", "iom")):
            result = run(*args)
            assert result.code == 0, repr(result)

    def add_rec(self, *extra):
        result = self.ok("--output", "json", "rec", "add", "--source",
                         "idm-2023-ny", "--title", "Cut remittance costs",
                         "--sdg", "10.c", "--sdg", "10.7", "--gcm", "20",
                         "--to", "bgd", "--to", "iom", "--lead", "iom",
                         "--due", "2030-12-31", "--ref", "4.5 #1", *extra)
        return result.json()

    def test_source_and_actor_show_and_list(self):
        shown = self.ok("source", "show", "idm-2023-ny")
        self.assertIn("title:", shown.out)
        self.assertIn("IDM 2023", shown.out)
        listed = self.ok("actor", "list")
        self.assertRegex(listed.out.splitlines()[0], r"^ID\s+KIND\s+COUNTRY")
        self.assertIn("bgd", listed.out)
        as_json = self.ok("actor", "list", "--output", "json").json()
        self.assertEqual({a["id"] for a in as_json["actors"]} >= {"bgd", "iom"},
                         True)
        kinds = self.ok("actor", "list", "--kind", "un-entity",
                        "--output", "json").json()
        self.assertEqual([a["id"] for a in kinds["actors"]], ["iom"])

    def test_rec_add_show_in_every_format(self):
        rec = self.add_rec()
        self.assertRegex(rec["id"], r"^R\d+$")
        self.assertEqual(rec["sdg_targets"], ["10.c", "10.7"])
        self.assertEqual(rec["gcm_objectives"], [20])
        self.assertEqual(rec["addressed_to"], ["bgd", "iom"])
        table = self.ok("rec", "show", rec["id"],
                        env=cli_env(COLUMNS="200")).out
        self.assertIn("sdg_targets:", table)
        # Names beside the codes: each target's label and objective's title
        # on a line of its own, actors and the source by name.
        self.assertRegex(table, r"sdg_targets: +10\.c Remittance costs below 3"
                                r" per cent")
        self.assertRegex(table, r"\n +10\.7 \S")
        self.assertIn("20 Promote faster, safer and cheaper transfer of "
                      "remittances and foster financial inclusion of "
                      "migrants", table)
        self.assertRegex(table, r"addressed_to: +Bangladesh \(bgd\), IOM "
                                r"\(iom\)\n")
        self.assertRegex(table, r"lead_actor_id: +IOM \(iom\)\n")
        self.assertRegex(table, r"source_id: +IDM 2023, 2023-03-30 "
                                r"\(idm-2023-ny\)\n")
        rows = list(csv.reader(io.StringIO(
            self.ok("--output", "csv", "rec", "show", rec["id"]).out)))
        self.assertEqual(len(rows), 2)
        record = dict(zip(rows[0], rows[1]))
        self.assertEqual(record["sdg_targets"], "10.c;10.7")
        self.assertEqual(record["id"], rec["id"])

    def test_request_id_makes_add_idempotent(self):
        first = self.add_rec("--request-id", "idem-1")
        second = self.add_rec("--request-id", "idem-1")
        self.assertEqual(first["id"], second["id"])

    def test_rec_list_filters_pages_and_limit(self):
        for i in range(7):
            self.ok("rec", "add", "--source", "idm-2023-ny", "--title",
                    "Paged %d" % i, "--theme", "cities", "--due",
                    "2020-01-0%d" % (i + 1))
        listed = self.ok("--output", "json", "rec", "list", "--theme",
                         "cities").json()["recommendations"]
        self.assertEqual(len(listed), 7)
        limited = self.ok("--output", "json", "rec", "list", "--theme",
                          "cities", "--limit", "3").json()["recommendations"]
        self.assertEqual(len(limited), 3)
        overdue = self.ok("--output", "json", "rec", "list", "--theme",
                          "cities", "--overdue", "--as-of",
                          "2020-01-04").json()["recommendations"]
        self.assertEqual(len(overdue), 3)
        due = self.ok("--output", "json", "rec", "list", "--theme", "cities",
                      "--due-before", "2020-01-03").json()["recommendations"]
        self.assertEqual(len(due), 2)
        by_status = self.ok("--output", "json", "rec", "list", "--theme",
                            "cities", "--status", "implemented",
                            "--status", "stalled").json()
        self.assertEqual(by_status["recommendations"], [])
        as_csv = list(csv.reader(io.StringIO(self.ok(
            "--output", "csv", "rec", "list", "--theme", "cities").out)))
        self.assertEqual(as_csv[0][0], "id")
        self.assertEqual(len(as_csv), 8)

    def test_edit_builds_the_mask_and_reads_the_revision(self):
        rec = self.add_rec()
        edited = self.ok("--user", "alice", "--output", "json", "rec", "edit",
                         rec["id"], "--due", "2031-06-30", "--to",
                         "bgd").json()
        self.assertEqual(edited["due_date"], "2031-06-30")
        self.assertEqual(edited["addressed_to"], ["bgd"])
        self.assertEqual(edited["title"], rec["title"])  # not in the mask
        self.assertEqual(edited["updated_by"], "alice")
        self.assertGreater(edited["revision"], rec["revision"])

    def test_stale_revision_is_a_conflict_naming_who_changed_it(self):
        rec = self.add_rec()
        self.ok("--user", "bob", "rec", "edit", rec["id"], "--title", "New")
        result = self.fails(5, "rec", "edit", rec["id"], "--title", "Mine",
                            "--expect-revision", str(rec["revision"]))
        self.assertIn("bob", result.err)
        self.assertIn("re-run", result.err)
        shown = self.ok("--output", "json", "rec", "show", rec["id"]).json()
        self.assertEqual(shown["title"], "New")

    def test_archive_hides_from_lists(self):
        rec = self.add_rec("--theme", "health")
        archived = self.ok("--output", "json", "rec", "archive",
                           rec["id"]).json()
        self.assertTrue(archived["archived"])
        plain = self.ok("--output", "json", "rec", "list", "--theme",
                        "health").json()["recommendations"]
        self.assertEqual(plain, [])
        everything = self.ok("--output", "json", "rec", "list", "--theme",
                             "health", "--include-archived").json()
        self.assertEqual(len(everything["recommendations"]), 1)

    def test_commitment_with_indicator(self):
        rec = self.add_rec()
        made = self.ok("--output", "json", "commit", "add", "--actor", "bgd",
                       "--rec", rec["id"], "--title", "Costs to 3%",
                       "--kind", "quantified-target", "--indicator",
                       "cost of sending $200", "--unit", "per cent",
                       "--baseline", "6.5", "--baseline-date", "2022-01-01",
                       "--target", "3", "--target-date", "2030-12-31",
                       "--direction", "decrease", "--due",
                       "2030-12-31").json()
        self.assertRegex(made["id"], r"^C\d+$")
        self.assertEqual(made["indicator"]["unit"], "per cent")
        self.assertEqual(made["indicator"]["direction"], "decrease")
        edited = self.ok("--output", "json", "commit", "edit", made["id"],
                         "--target", "2.5").json()
        self.assertEqual(edited["indicator"]["target_value"], 2.5)
        listed = self.ok("--output", "json", "commit", "list", "--actor",
                         "bgd", "--kind", "quantified-target").json()
        self.assertIn(made["id"],
                      [c["id"] for c in listed["commitments"]])
        table = self.ok("commit", "list", "--recommendation", rec["id"])
        self.assertIn(made["id"], table.out)

    def test_wide_utf8_titles_fit_the_terminal(self):
        title = "国际移民与发展对话：将汇款成本降至百分之三并改进数据" * 2
        self.ok("rec", "add", "--source", "idm-2023-ny", "--title", title,
                "--theme", "youth-climate")
        for columns in ("80", "50"):
            table = self.cli("rec", "list", "--theme", "youth-climate",
                             env=cli_env(COLUMNS=columns))
            self.assertEqual(table.code, 0, repr(table))
            lines = table.out.splitlines()
            self.assertEqual(len(lines), 2)
            row = lines[1]
            self.assertTrue(row.endswith("\u2026"), row)
            width = sum(2 if "\u4e00" <= ch <= "\u9fff" or
                        "\uff00" <= ch <= "\uff60" else 1 for ch in row)
            self.assertLessEqual(width, int(columns), row)
            self.assertGreater(width, int(columns) - 4, row)

    def test_bad_values_are_rejected_before_any_call(self):
        # A server that does not exist: the value check must come first.
        dead = run_cli("rec", "add", "--source", "s", "--title", "t",
                       "--sdg", "18.1", server="127.0.0.1:1")
        self.assertEqual(dead.code, 4, repr(dead))
        self.assertIn("--sdg", dead.err)
        status = run_cli("rec", "list", "--status", "done",
                         server="127.0.0.1:1")
        self.assertEqual(status.code, 4, repr(status))
        self.assertIn("in-progress", status.err)
        self.assertIn("partially-implemented", status.err)
        for args, flag in ((("--due", "2024-02-30"), "--due"),
                           (("--gcm", "24"), "--gcm"),
                           (("--lead", "Not A Slug"), "--lead")):
            result = run_cli("rec", "add", "--source", "s", "--title", "t",
                             *args, server="127.0.0.1:1")
            self.assertEqual(result.code, 4, repr(result))
            self.assertIn(flag, result.err)
        kind = run_cli("actor", "add", "x", "--name", "X", "--kind",
                       "country", server="127.0.0.1:1")
        self.assertEqual(kind.code, 4, repr(kind))
        self.assertIn("member-state", kind.err)

    def test_usage_errors_exit_2(self):
        self.fails(2, "rec", "add", "--title", "no source")
        self.fails(2, "rec", "frobnicate")
        self.fails(2, "frobnicate")
        self.fails(2, "rec", "show")
        self.fails(2, "rec", "list", "--colour")
        self.fails(2, "--output", "yaml", "rec", "list")
        self.fails(2, "--timeout", "soon", "rec", "list")
        self.fails(2, "rec", "edit", "R1")

    def test_not_found_and_server_errors(self):
        missing = self.fails(3, "rec", "show", "R99999")
        self.assertIn("R99999", missing.err)
        self.fails(3, "actor", "show", "nobody")
        dup = self.fails(5, "actor", "add", "bgd", "--name", "Again")
        self.assertIn("bgd", dup.err)
        bad_ref = self.cli("rec", "add", "--source", "no-such-source",
                           "--title", "x")
        self.assertIn(bad_ref.code, (3, 4), repr(bad_ref))

    def test_help_at_every_level(self):
        top = self.ok("--help")
        self.assertIn("Exit codes", top.out)
        self.assertIn("rec list", top.out)
        group = self.ok("rec", "--help")
        self.assertIn("archive", group.out)
        command = self.ok("rec", "list", "--help")
        self.assertIn("--due-before", command.out)
        self.assertIn("Example:", command.out)
        self.assertIn("rectrack ", self.ok("version").out)


class Configuration(rtharness.ServerTestCase):

    def test_env_config_and_flag_precedence(self):
        config = self.write("config", "# rectrack\nserver = %s\nuser = carol\n"
                            % self.server.address)
        env = cli_env(RECTRACK_CONFIG=config)
        made = run_cli("--output", "json", "actor", "add", "cfg", "--name",
                       "Configured", env=env)
        self.assertEqual(made.code, 0, repr(made))
        self.assertEqual(made.json()["id"], "cfg")
        # RECTRACK_SERVER beats the config file, --server beats both.
        env_dead = cli_env(RECTRACK_CONFIG=config,
                           RECTRACK_SERVER="127.0.0.1:1")
        self.assertEqual(run_cli("actor", "show", "cfg", env=env_dead).code,
                         7)
        self.assertEqual(run_cli("--server", self.server.address, "actor",
                                 "show", "cfg", env=env_dead).code, 0)

    def test_xdg_config_home_is_honoured(self):
        home = os.path.join(self.tmp, "xdg")
        os.makedirs(os.path.join(home, "rectrack"), exist_ok=True)
        with open(os.path.join(home, "rectrack", "config"), "w") as f:
            f.write("server = %s\n" % self.server.address)
        env = cli_env(XDG_CONFIG_HOME=home)
        del env["RECTRACK_CONFIG"]
        result = run_cli("status", env=env)
        self.assertEqual(result.code, 0, repr(result))

    def test_bad_config_line_is_a_usage_error(self):
        config = self.write("bad-config", "server 1.2.3.4\n")
        result = run_cli("status", env=cli_env(RECTRACK_CONFIG=config))
        self.assertEqual(result.code, 2, repr(result))
        self.assertIn("bad-config:1", result.err)

    def test_recorded_by_comes_from_user(self):
        env = cli_env(RECTRACK_USER="dave")
        made = self.cli("--output", "json", "actor", "add", "by-env",
                        "--name", "By env", env=env)
        self.assertEqual(made.code, 0, repr(made))
        revision = self.ok("--output", "json", "status").json()["info"][
            "revision"]
        shown = self.ok("--output", "json", "watch", "--from-revision", "1",
                        "--count", str(revision))
        events = [json.loads(line) for line in shown.out.splitlines()]
        self.assertEqual(len(events), revision)
        principals = {e["subject_id"]: e["principal"] for e in events}
        self.assertEqual(principals.get("by-env"), "dave")


if __name__ == "__main__":
    rtharness.main()
