"""End-to-end: rec link / rec unlink, the links and their inverse in
rec show, and rec list --related-to, against a real rectrackd; links in
the import format (JSON, JSON Lines, CSV), bad ones refused naming the
item or line with nothing written, and the demo's links."""

import json

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


def by_title(server, title):
    result = server.cli("--output", "json", "rec", "list", "--query", title,
                        "--include-archived")
    assert result.code == 0, repr(result)
    return [r for r in result.json()["recommendations"]
            if r["title"] == title]


class LinkImport(rtharness.ServerTestCase):

    def rec_count(self):
        info = self.ok("--output", "json", "status").json()["info"]
        return info["recommendation_count"]

    def document(self, recommendations):
        return json.dumps({
            "format": "rectrack-import/1",
            "sources": [{"id": "imp-2016", "title": "Workshop 2016",
                         "kind": "workshop", "date": "2016-10-24"}],
            "recommendations": recommendations})

    def test_json_links_by_key_and_server_id(self):
        self.ok("import", self.write("first.json", self.document([
            {"key": "base", "source_id": "imp-2016",
             "title": "Quokka base recommendation"}])))
        base = by_title(self.server, "Quokka base recommendation")[0]["id"]
        path = self.write("links.json", self.document([
            {"key": "early", "source_id": "imp-2016",
             "title": "Quokka early data"},
            {"key": "late", "source_id": "imp-2016",
             "title": "Quokka late data",
             "links": [{"kind": "echoes", "recommendation": "early"},
                       {"kind": "builds-on", "recommendation": base}]}]))
        self.ok("import", path)
        early = by_title(self.server, "Quokka early data")[0]
        late = by_title(self.server, "Quokka late data")[0]
        self.assertEqual(late["links"], [
            {"kind": "echoes", "recommendation_id": early["id"]},
            {"kind": "builds-on", "recommendation_id": base}])
        self.assertEqual(early["linked_from"], [
            {"kind": "echoes", "recommendation_id": late["id"]}])
        again = self.ok("--output", "json", "import", path).json()
        self.assertEqual(again["created"], 0)
        exported = self.ok("export", "-").out
        mine = [r for r in json.loads(exported)["recommendations"]
                if r["key"] == late["id"]][0]
        self.assertEqual(mine["links"], [
            {"kind": "echoes", "recommendation": early["id"]},
            {"kind": "builds-on", "recommendation": base}])

    def test_bad_links_are_named_and_nothing_is_written(self):
        before = self.rec_count()
        path = self.write("bad.json", self.document([
            {"key": "a", "source_id": "imp-2016", "title": "A",
             "links": [{"kind": "copies", "recommendation": "b"}]},
            {"key": "b", "source_id": "imp-2016", "title": "B",
             "links": [{"kind": "echoes", "recommendation": "a"},
                       {"kind": "related", "recommendation": "a"},
                       {"kind": "echoes"},
                       {"kind": "echoes", "recommendation": "nowhere"}]},
            {"key": "c", "source_id": "imp-2016", "title": "C",
             "links": "a"}]))
        result = self.fails(4, "import", path)
        for says in ("recommendations[0].links[0].kind",
                     "recommendations[0].links[0].recommendation",
                     "recommendations[1].links[1].recommendation",
                     "recommendations[1].links[2].recommendation",
                     "recommendations[1].links[3].recommendation",
                     "recommendations[2].links"):
            self.assertIn(says, result.err)
        self.assertIn("nothing was written", result.err)
        self.assertEqual(self.rec_count(), before)
        lines = self.write("bad.jsonl", "\n".join([
            '{"format": "rectrack-import-lines/1"}',
            '{"source": {"id": "imp-lines", "title": "L", "kind": "workshop",'
            ' "date": "2016-10-24"}}',
            '{"recommendation": {"key": "x", "source_id": "imp-lines",'
            ' "title": "X", "links": [{"kind": "supersedes",'
            ' "recommendation": "missing"}]}}', ""]))
        result = self.fails(4, "import", lines)
        self.assertIn("line 3: links[0]: recommendation", result.err)
        self.assertEqual(self.rec_count(), before)

    def test_csv_links_column(self):
        self.ok("import", self.write("src.json", self.document([
            {"key": "csv-base", "source_id": "imp-2016",
             "title": "Quokka CSV base"}])))
        base = by_title(self.server, "Quokka CSV base")[0]["id"]
        header = "source_id,title,links\n"
        before = self.rec_count()
        bad = self.write("bad.csv", header +
                         "imp-2016,Fine,echoes:%s\n" % base +
                         "imp-2016,Bad kind,copies:%s\n" % base +
                         "imp-2016,Bad id,echoes:C3\n")
        result = self.fails(4, "import", bad)
        self.assertIn(bad + ":3:", result.err)
        self.assertIn(bad + ":4:", result.err)
        self.assertNotIn(bad + ":2:", result.err)
        # Checked on the server before anything is written.
        unknown = self.write("unknown.csv", header +
                             "imp-2016,Fine,echoes:%s\n" % base +
                             "imp-2016,Unknown,related:R99999\n")
        result = self.fails(4, "import", unknown)
        self.assertIn(unknown + ":3:", result.err)
        self.assertIn("R99999", result.err)
        self.assertEqual(self.rec_count(), before)
        good = self.write("good.csv", header +
                          'imp-2016,Quokka CSV echo,"echoes:%s; related:%s"\n'
                          % (base, base))
        result = self.fails(4, "import", good)
        self.assertIn("linked twice", result.err)
        good = self.write("good.csv", header +
                          "imp-2016,Quokka CSV echo,echoes:%s\n" % base)
        self.ok("import", good)
        echo = by_title(self.server, "Quokka CSV echo")[0]
        self.assertEqual(echo["links"], [
            {"kind": "echoes", "recommendation_id": base}])


class DemoLinks(rtharness.ServerTestCase):
    server_http = True

    def test_the_demo_links_later_forums_to_earlier_ones(self):
        self.ok("import", rtharness.DEMO_JSON)
        later = by_title(self.server, "Data support matched to each "
                         "country's capacity")[0]
        earlier = by_title(self.server, "Data capacity to answer "
                           "misinformation about migration")[0]
        self.assertEqual(later["links"], [
            {"kind": "builds-on", "recommendation_id": earlier["id"]}])
        shown = self.ok("rec", "show", earlier["id"]).out
        self.assertRegex(shown, r"built_on_by:\s+%s\n" % later["id"])
        echoing = self.ok("--output", "json", "rec", "list", "--link-kind",
                          "echoes", "--related-to", by_title(
                              self.server, "Benchmarking tools to track "
                              "migration policy progress")[0]["id"]).json()
        self.assertEqual([r["source_id"] for r in
                          echoing["recommendations"]], ["idm-2023-ny"])
        # The public page of each end links the other.
        page = self.server.http_get("/recommendations/" + earlier["id"])
        self.assertEqual(page.status, 200)
        body = page.body.decode("utf-8")
        self.assertIn("<dt>Built on by</dt>", body)
        self.assertIn('href="/recommendations/%s"' % later["id"], body)
        page = self.server.http_get("/recommendations/" + later["id"])
        body = page.body.decode("utf-8")
        self.assertIn("<dt>Builds on</dt>", body)
        self.assertIn('<dt>Specificity</dt><dd>Medium <span class="muted">'
                      'lacks: Indicator</span></dd>', body)
        self.assertIn('href="/recommendations/%s"' % earlier["id"], body)
        api = self.server.http_get("/api/v1/recommendations/" + earlier["id"])
        self.assertEqual(json.loads(api.body)["linkedFrom"], [
            {"kind": "LINK_KIND_BUILDS_ON", "recommendationId": later["id"]}])


if __name__ == "__main__":
    rtharness.main()
