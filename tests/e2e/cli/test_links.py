"""End-to-end: rec link / rec unlink, the links and their inverse in
rec show, and rec list --related-to, against a real rectrackd."""

import rtharness


class LinkCommands(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        result = cls.server.cli("source", "add", "idm-2016", "--title",
                                "IDM 2016 workshop", "--kind", "workshop")
        assert result.code == 0, repr(result)

    def add_rec(self, title):
        return self.ok("--output", "json", "rec", "add", "--source",
                       "idm-2016", "--title", title).json()["id"]

    def test_link_show_list_unlink(self):
        first = self.add_rec("Improve migration data")
        second = self.add_rec("Improve migration data, again")
        third = self.add_rec("A data strategy")
        linked = self.ok("--output", "json", "rec", "link", second,
                         "--echoes", first).json()
        self.assertEqual(linked["links"], [
            {"kind": "echoes", "recommendation_id": first}])
        self.ok("rec", "link", third, "--builds-on", first, "--related",
                second)
        shown = self.ok("rec", "show", first).out
        self.assertRegex(shown, r"echoed_by:\s+%s\n" % second)
        self.assertRegex(shown, r"built_on_by:\s+%s\n" % third)
        shown = self.ok("rec", "show", third).out
        self.assertRegex(shown, r"builds_on:\s+%s\n" % first)
        self.assertRegex(shown, r"related:\s+%s\n" % second)
        self.assertRegex(self.ok("rec", "show", second).out,
                         r"related:\s+%s\n" % third)
        listed = self.ok("--output", "json", "rec", "list", "--related-to",
                         first).json()
        self.assertEqual([r["id"] for r in listed["recommendations"]],
                         [second, third])
        echoing = self.ok("--output", "json", "rec", "list", "--related-to",
                          first, "--link-kind", "echoes").json()
        self.assertEqual([r["id"] for r in echoing["recommendations"]],
                         [second])
        # A link to one already linked takes the new kind.
        relinked = self.ok("--output", "json", "rec", "link", second,
                           "--supersedes", first).json()
        self.assertEqual([l["kind"] for l in relinked["links"]],
                         ["supersedes"])
        self.assertRegex(self.ok("rec", "show", first).out,
                         r"superseded_by:\s+%s\n" % second)
        self.ok("rec", "unlink", second, first)
        self.assertNotIn("superseded_by", self.ok("rec", "show", first).out)
        history = self.ok("--output", "json", "watch", "--from-revision",
                          str(linked["revision"]), "--count", "4").out
        self.assertEqual(history.count('"changed_fields":["links"]'), 4,
                         history)

    def test_refused_links_name_the_problem(self):
        one = self.add_rec("One")
        two = self.add_rec("Two")
        refused = self.fails(4, "rec", "link", one, "--echoes", "R99999")
        self.assertIn("recommendation.links[0].recommendation_id",
                      refused.err)
        self.assertIn("does not exist", refused.err)
        refused = self.fails(4, "rec", "link", one, "--echoes", one)
        self.assertIn("itself", refused.err)
        refused = self.fails(4, "rec", "link", one, "--echoes", "C3")
        self.assertIn("--echoes", refused.err)
        self.ok("rec", "link", two, "--supersedes", one)
        refused = self.fails(4, "rec", "link", one, "--supersedes", two)
        self.assertIn("cycle", refused.err)
        refused = self.fails(4, "rec", "unlink", one, two)
        self.assertIn("does not link to", refused.err)
        self.fails(2, "rec", "link", one)
        refused = self.fails(4, "rec", "list", "--link-kind", "echoes")
        self.assertIn("link_kind", refused.err)


if __name__ == "__main__":
    rtharness.main()
