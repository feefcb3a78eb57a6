"""End-to-end: the reference lists served by rectrackd (ListReference,
CreateTheme) and read by `rectrack ref sdg|gcm|themes` and `rectrack ref
theme add`, in every output format; a theme added at run time is accepted
on records from then on, and a theme outside both lists is refused with
its closest value."""

import csv
import io

import grpc

import rtharness
from rtharness import cli_env, pb, res

GCM_23 = ("Strengthen international cooperation and global partnerships "
          "for safe, orderly and regular migration")


class ReferenceCommands(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for args in (
                ("actor", "add", "iom", "--name", "IOM", "--kind",
                 "un-entity"),
                ("source", "add", "gfmd-2024", "--title", "GFMD 2024",
                 "--kind", "dialogue", "--date", "2024-01-23",
                 "--organizer", "iom")):
            result = cls.server.cli(*args)
            assert result.code == 0, repr(result)

    def test_sdg_lists_every_goal_and_target_with_labels(self):
        everything = self.ok("--output", "json", "ref", "sdg").json()
        goals = everything["sdg_goals"]
        self.assertEqual([g["number"] for g in goals], list(range(1, 18)))
        self.assertEqual(sum(len(g["targets"]) for g in goals), 169)
        goal10 = self.ok("--output", "json", "ref", "sdg", "--goal",
                         "10").json()["sdg_goals"]
        self.assertEqual(len(goal10), 1)
        codes = [t["code"] for t in goal10[0]["targets"]]
        self.assertEqual(codes, ["10.1", "10.2", "10.3", "10.4", "10.5",
                                 "10.6", "10.7", "10.a", "10.b", "10.c"])
        self.assertTrue(all(t["label"] for t in goal10[0]["targets"]))
        table = self.ok("ref", "sdg", "--goal", "10").out
        self.assertIn("Goal 10. Reduced inequalities", table)
        self.assertRegex(table, r"(?m)^10\.c\s+\S")
        rows = list(csv.reader(io.StringIO(
            self.ok("--output", "csv", "ref", "sdg", "--goal", "10").out)))
        self.assertEqual(rows[0], ["goal", "goal_title", "target", "label"])
        self.assertEqual(len(rows), 11)
        result = self.fails(4, "ref", "sdg", "--goal", "18")
        self.assertIn("--goal", result.err)

    def test_gcm_lists_the_23_objectives_as_adopted(self):
        objectives = self.ok("--output", "json", "ref",
                             "gcm").json()["gcm_objectives"]
        self.assertEqual([o["number"] for o in objectives],
                         list(range(1, 24)))
        self.assertEqual(objectives[22]["title"], GCM_23)
        table = self.ok("ref", "gcm", env=cli_env(COLUMNS="300")).out
        self.assertIn("A/RES/73/195", table)
        self.assertIn("23  " + GCM_23, table)
        rows = list(csv.reader(io.StringIO(
            self.ok("--output", "csv", "ref", "gcm").out)))
        self.assertEqual(rows[0], ["objective", "title"])
        self.assertEqual(rows[23], ["23", GCM_23])

    def test_a_theme_added_at_run_time_is_listed_and_accepted(self):
        refused = self.fails(4, "rec", "add", "--source", "gfmd-2024",
                             "--title", "Skills partnerships", "--theme",
                             "labour-mobility")
        self.assertIn("labour-mobility", refused.err)
        added = self.ok("--output", "json", "ref", "theme", "add",
                        "labour-mobility", "--title",
                        "Labour mobility and skills", "--source-ref",
                        "GFMD 2024, RT 2.1").json()
        self.assertEqual(added["id"], "labour-mobility")
        self.assertTrue(added["added"])
        self.assertGreater(int(added["revision"]), 0)

        themes = self.ok("--output", "json", "ref",
                         "themes").json()["themes"]
        ids = [t["id"] for t in themes]
        self.assertEqual(ids[-1], "labour-mobility")
        self.assertIn("remittances", ids)
        compiled = [t for t in themes if not t.get("added")]
        self.assertEqual(len(compiled), len(ids) - 1)
        table = self.ok("ref", "themes").out
        self.assertIn("Labour mobility and skills (added)", table)
        self.assertIn("1 added", table)
        rows = list(csv.reader(io.StringIO(
            self.ok("--output", "csv", "ref", "themes").out)))
        self.assertEqual(rows[0], ["id", "title", "source_ref", "added",
                                   "created_by"])
        self.assertEqual(rows[-1][:4], ["labour-mobility",
                                        "Labour mobility and skills",
                                        "GFMD 2024, RT 2.1", "true"])
        self.assertTrue(rows[-1][4], rows[-1])

        rec = self.ok("--output", "json", "rec", "add", "--source",
                      "gfmd-2024", "--title", "Skills partnerships",
                      "--theme", "labour-mobility").json()
        self.assertEqual(rec["theme"], "labour-mobility")
        # The review reads the added theme's title with its data set.
        period = ("review", "--from", "2024-01-01", "--to", "2030-12-31")
        review = self.ok(*period, "--format", "csv", "-o", "-").out
        rows = {r["id"]: r for r in csv.DictReader(io.StringIO(review))}
        self.assertEqual(rows[rec["id"]]["theme_title"],
                         "Labour mobility and skills")
        html = self.ok(*period, "-o", "-").out
        self.assertIn("Theme: Labour mobility and skills", html)

        again = self.fails(5, "ref", "theme", "add", "labour-mobility",
                           "--title", "Again")
        self.assertIn("already exists", again.err)
        taken = self.fails(5, "ref", "theme", "add", "remittances",
                           "--title", "Money sent home")
        self.assertIn("reference lists already", taken.err)
        misspelt = self.fails(4, "rec", "add", "--source", "gfmd-2024",
                              "--title", "Misspelt", "--theme",
                              "labour-mobilty")
        self.assertIn('did you mean "labour-mobility"', misspelt.err)

    def test_theme_add_checks_its_arguments(self):
        self.fails(2, "ref", "theme", "add", "no-title")
        self.fails(2, "ref", "theme", "remove", "x", "--title", "X")
        result = self.fails(4, "ref", "theme", "add", "Not A Slug",
                            "--title", "Bad")
        self.assertIn("theme id", result.err)

    def test_list_reference_over_grpc(self):
        response = self.stub.ListReference(pb.ListReferenceRequest(),
                                           timeout=rtharness.PATIENCE)
        self.assertEqual(len(response.sdg_goals), 17)
        self.assertEqual(len(response.gcm_objectives), 23)
        self.assertEqual(response.gcm_objectives[22].title, GCM_23)
        self.assertTrue(any(t.id == "agenda-2030" and t.title
                            for t in response.themes))
        self.assert_rpc_error(
            grpc.StatusCode.INVALID_ARGUMENT, "theme.title",
            self.stub.CreateTheme,
            pb.CreateThemeRequest(theme=res.Theme(id="no-title")),
            timeout=rtharness.PATIENCE)


if __name__ == "__main__":
    rtharness.main()
