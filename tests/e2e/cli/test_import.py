"""End-to-end: `rectrack import` and `export` against a real rectrackd.

The demo dataset imported twice creates nothing the second time; a CSV
with bad rows is refused as a whole with every bad row reported by line;
an interrupted import (a subset file) finished by importing the whole
file creates only what was missing; export -> import into a fresh server
reproduces the same database."""

import copy
import json

import rtharness

CSV_HEADER = ("source_id,source_ref,title,text,theme,sdg_targets,"
              "gcm_objectives,addressed_to,lead_actor_id,due_date\n")


def counts(server):
    """What the server holds, by `rectrack status`."""
    result = server.cli("--output", "json", "status")
    assert result.code == 0, repr(result)
    info = result.json()["info"]
    return {k: info[k] for k in ("source_count", "actor_count",
                                 "recommendation_count", "commitment_count",
                                 "follow_up_count", "measurement_count")}


def demo():
    with open(rtharness.DEMO_JSON, encoding="utf-8") as f:
        return json.load(f)


def item_count(dataset):
    return sum(len(v) for v in dataset.values() if isinstance(v, list))


class DemoImport(rtharness.ServerTestCase):

    def test_demo_twice_creates_nothing_new(self):
        total = item_count(demo())
        first = self.ok("import", rtharness.DEMO_JSON)
        self.assertIn("%d created, 0 already present" % total, first.out)
        after_first = counts(self.server)
        self.assertEqual(after_first["recommendation_count"],
                         len(demo()["recommendations"]))
        second = self.ok("--output", "json", "import", rtharness.DEMO_JSON)
        summary = second.json()
        self.assertEqual(summary["created"], 0)
        self.assertEqual(summary["already_present"], total)
        self.assertEqual(counts(self.server), after_first)

        exported = self.path("export.json")
        self.ok("export", exported)
        with open(exported, encoding="utf-8") as f:
            first_export = json.load(f)
        self.assertEqual(first_export["format"], "rectrack-import/1")
        self.assertEqual(len(first_export["recommendations"]),
                         after_first["recommendation_count"])
        self.assertEqual(len(first_export["follow_ups"]),
                         after_first["follow_up_count"])
        self.assertEqual(len(first_export["measurements"]),
                         after_first["measurement_count"])

        # The export, imported into an empty server, is the same database.
        with rtharness.Server() as other:
            self.assertEqual(other.cli("import", exported).code, 0)
            self.assertEqual(counts(other), after_first)
            again = self.path("export-again.json")
            self.assertEqual(other.cli("export", again).code, 0)
            with open(again, encoding="utf-8") as f:
                self.assertEqual(json.load(f), first_export)

    def test_export_to_stdout(self):
        result = self.ok("export", "-")
        self.assertEqual(json.loads(result.out)["format"], "rectrack-import/1")


class InterruptedImport(rtharness.ServerTestCase):

    def test_subset_then_whole_file_creates_only_the_rest(self):
        full = demo()
        subset = {"format": full["format"], "sources": full["sources"],
                  "actors": full["actors"],
                  "recommendations": full["recommendations"][:10]}
        part = self.write("part.json", json.dumps(subset))
        self.ok("import", part)
        self.assertEqual(counts(self.server)["recommendation_count"], 10)
        done = self.ok("--output", "json", "import",
                       rtharness.DEMO_JSON).json()
        self.assertEqual(done["already_present"], item_count(subset))
        self.assertEqual(done["created"], item_count(full) - item_count(subset))
        self.assertEqual(counts(self.server)["recommendation_count"],
                         len(full["recommendations"]))


class CsvImport(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for args in (("actor", "add", "iom", "--name", "IOM"),
                     ("actor", "add", "bgd", "--name", "Bangladesh"),
                     ("source", "add", "idm-2023-ny", "--title", "IDM")):
            result = cls.server.cli(*args)
            assert result.code == 0, repr(result)

    def test_bad_rows_are_all_reported_and_nothing_is_written(self):
        path = self.write("bad.csv", CSV_HEADER +
                          'idm-2023-ny,1,"Good, quoted",x,data,10.7,1,iom,iom,'
                          '2030-01-01\n'
                          "idm-2023-ny,2,Bad SDG,,data,18.1,,,,\n"
                          'idm-2023-ny,3,"two\nlines",,,,,,,\n'
                          "idm-2023-ny,4,Bad GCM and date,,,,24,,,2030-02-30\n"
                          "Bad Source,5,,,,,,,,\n"
                          "idm-2023-ny,6,Too few fields\n")
        before = counts(self.server)
        result = self.fails(4, "import", path)
        for line in (":3:", ":6:", ":7:", ":8:"):
            self.assertIn(path + line, result.err)
        self.assertNotIn(path + ":2:", result.err)
        self.assertNotIn(path + ":4:", result.err)
        self.assertIn("sdg_targets", result.err)
        self.assertIn("gcm_objectives", result.err)
        self.assertIn("due_date", result.err)
        self.assertIn("nothing was written", result.err)
        self.assertEqual(counts(self.server), before)

    def test_unknown_reference_is_reported_before_writing(self):
        path = self.write("ref.csv", CSV_HEADER +
                          "idm-2023-ny,1,Fine,,,,,,,\n"
                          "idm-2023-ny,2,Unknown lead,,,,,,nobody,\n")
        before = counts(self.server)
        result = self.fails(4, "import", path)
        self.assertIn(path + ":3:", result.err)
        self.assertIn("nobody", result.err)
        self.assertEqual(counts(self.server), before)

    def test_rows_import_once_and_resume(self):
        rows = ["idm-2023-ny,r%d,Row %d,Text %d,partnerships,10.c;10.7,20;23,"
                "iom;bgd,iom,2031-01-01\n" % (i, i, i) for i in range(4)]
        part = self.write("part.csv", CSV_HEADER + "".join(rows[:2]))
        whole = self.write("whole.csv", CSV_HEADER + "".join(rows))
        dry = self.ok("import", "--dry-run", whole)
        self.assertIn("nothing written", dry.out)
        before = counts(self.server)["recommendation_count"]
        first = self.ok("--output", "json", "import", part).json()
        self.assertEqual((first["created"], first["already_present"]), (2, 0))
        second = self.ok("--output", "json", "import", whole).json()
        self.assertEqual((second["created"], second["already_present"]),
                         (2, 2))
        third = self.ok("import", whole)
        self.assertIn("0 created, 4 already present", third.out)
        self.assertEqual(counts(self.server)["recommendation_count"],
                         before + 4)
        listed = self.ok("--output", "json", "rec", "list", "--theme",
                         "partnerships").json()["recommendations"]
        self.assertEqual(sorted(r["title"] for r in listed),
                         ["Row 0", "Row 1", "Row 2", "Row 3"])
        self.assertEqual(listed[0]["sdg_targets"], ["10.c", "10.7"])
        self.assertEqual(listed[0]["gcm_objectives"], [20, 23])

    def test_bad_json_items_are_reported_with_their_path(self):
        bad = copy.deepcopy(demo())
        bad["recommendations"][2]["due_date"] = "2024-13-01"
        bad["follow_ups"][0]["status"] = "done"
        path = self.write("bad.json", json.dumps(bad))
        before = counts(self.server)
        result = self.fails(4, "import", path)
        self.assertIn("recommendations[2]", result.err)
        self.assertIn("follow_ups[0]", result.err)
        self.assertEqual(counts(self.server), before)
        missing = self.fails(1, "import", self.path("no-such-file.json"))
        self.assertIn("no-such-file.json", missing.err)


if __name__ == "__main__":
    rtharness.main()
