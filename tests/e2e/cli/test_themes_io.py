"""End-to-end: themes the secretariat added at run time travel through
the import format. `rectrack export` writes them (both forms); `rectrack
import` into a fresh server and `rectrack-admin load` into a fresh data
directory create them before the records tagged with them, so those
records are accepted; a second import creates nothing; a theme the
receiving side holds with another title is a problem naming the item,
and nothing is written."""

import json
import os

import rtharness
from rtharness import pb

THEME = "labour-mobility"
TITLE = "Labour mobility and skills"
SOURCE_REF = "GFMD 2024, RT 2.1"


class ThemesTravel(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for args in (
                ("actor", "add", "iom", "--name", "IOM", "--kind",
                 "un-entity"),
                ("source", "add", "gfmd-2024", "--title", "GFMD 2024",
                 "--kind", "dialogue", "--date", "2024-01-23",
                 "--organizer", "iom"),
                ("ref", "theme", "add", THEME, "--title", TITLE,
                 "--source-ref", SOURCE_REF),
                ("rec", "add", "--source", "gfmd-2024", "--title",
                 "Skills partnerships", "--theme", THEME)):
            result = cls.server.cli(*args)
            assert result.code == 0, repr(result)
        cls.document = os.path.join(cls.tmp, "export.json")
        cls.lines = os.path.join(cls.tmp, "export.jsonl")
        for path in (cls.document, cls.lines):
            result = cls.server.cli("export", path)
            assert result.code == 0, repr(result)
            assert "1 added theme, 0 added dimension keys\n" in result.out, \
                repr(result)

    def check_restored(self, server):
        """The theme, with its title, and the record tagged with it."""
        stub = server.stub()
        reference = stub.ListReference(pb.ListReferenceRequest(),
                                       timeout=rtharness.PATIENCE)
        added = [t for t in reference.themes if t.added]
        self.assertEqual([(t.id, t.title, t.source_ref) for t in added],
                         [(THEME, TITLE, SOURCE_REF)])
        recs = stub.ListRecommendations(pb.ListRecommendationsRequest(),
                                        timeout=rtharness.PATIENCE)
        self.assertEqual([(r.title, r.theme) for r in recs.recommendations],
                         [("Skills partnerships", THEME)])
        table = server.cli("ref", "themes")
        self.assertIn(TITLE + " (added)", table.out)
        return added[0]

    def test_export_writes_the_added_themes_first(self):
        with open(self.document, encoding="utf-8") as f:
            text = f.read()
        document = json.loads(text)
        self.assertEqual(document["themes"],
                         [{"id": THEME, "title": TITLE,
                           "source_ref": SOURCE_REF}])
        self.assertLess(text.index('"themes"'), text.index('"sources"'))
        with open(self.lines, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(lines[1], {"theme": {"id": THEME, "title": TITLE,
                                              "source_ref": SOURCE_REF}})
        self.assertEqual(sum("theme" in line for line in lines), 1)

    def test_import_into_a_fresh_server_restores_themes_and_records(self):
        for path in (self.document, self.lines):
            with self.subTest(path=os.path.basename(path)):
                with rtharness.Server() as fresh:
                    first = fresh.cli("import", path)
                    self.assertEqual(first.code, 0, repr(first))
                    self.assertIn("4 created, 0 already present", first.out)
                    self.check_restored(fresh)
                    again = fresh.cli("import", path)
                    self.assertEqual(again.code, 0, repr(again))
                    self.assertIn("0 created, 4 already present", again.out)
                    self.check_restored(fresh)

    def test_admin_load_into_a_fresh_data_directory(self):
        for path in (self.document, self.lines):
            with self.subTest(path=os.path.basename(path)):
                fresh = rtharness.Server()
                self.addCleanup(fresh.close)
                first = fresh.admin("load", path)
                self.assertEqual(first.code, 0, repr(first))
                self.assertRegex(first.out, r"theme\s+1\s+0\s+0")
                again = fresh.admin("load", path)
                self.assertEqual(again.code, 0, repr(again))
                self.assertRegex(again.out, r"theme\s+0\s+1\s+0")
                self.assertRegex(again.out, r"recommendation\s+0\s+1\s+0")
                # Created as CreateTheme creates it: a revision of its
                # own, by the loading principal, in the change log, which
                # verify ties every stored theme to.
                verified = fresh.admin("verify")
                self.assertEqual(verified.code, 0, repr(verified))
                fresh.start()
                theme = self.check_restored(fresh)
                self.assertGreater(theme.revision, 0)
                self.assertTrue(theme.created_by)

    def test_a_theme_held_with_another_title_stops_the_import(self):
        with rtharness.Server() as other:
            held = other.cli("ref", "theme", "add", THEME, "--title",
                             "Something else")
            self.assertEqual(held.code, 0, repr(held))
            refused = other.cli("import", self.document)
            self.assertEqual(refused.code, 4, repr(refused))
            self.assertIn("themes[0].title", refused.err)
            self.assertIn('"Something else"', refused.err)
            refused = other.cli("import", self.lines)
            self.assertEqual(refused.code, 4, repr(refused))
            self.assertIn("line 2: title", refused.err)
            stub = other.stub()
            recs = stub.ListRecommendations(pb.ListRecommendationsRequest(),
                                            timeout=rtharness.PATIENCE)
            self.assertEqual(len(recs.recommendations), 0)
        fresh = rtharness.Server()
        self.addCleanup(fresh.close)
        fresh.start()
        fresh.cli("ref", "theme", "add", THEME, "--title", "Something else")
        fresh.stop()
        loaded = fresh.admin("load", self.document)
        self.assertEqual(loaded.code, 1, repr(loaded))
        self.assertIn("themes[0].title", loaded.err)


if __name__ == "__main__":
    rtharness.main()
