"""The pages in a real browser: Debian's headless Chromium loads the
overview, a filtered list, a recommendation, a commitment and an SDG
target page of the demo, and the test reads the DOM it rendered
(--dump-dom) for the names, figures and links it must show, the figures
taken from the JSON API. It follows a link of the rendered list to a
recommendation the way a browser resolves it. Chromium's console must
report no Content-Security-Policy violation: the pages need no inline
script or style that the policy would block.
"""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import rtharness

CHROMIUM = shutil.which("chromium")


@unittest.skipUnless(CHROMIUM, "Debian chromium")
class Browser(rtharness.ServerTestCase):
    server_http = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        result = cls.server.cli("import", rtharness.DEMO_JSON)
        assert result.code == 0, result
        cls.profile = tempfile.mkdtemp(prefix="rt-e2e-chromium-")
        cls.base = "http://%s" % cls.server.http_address

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.profile, ignore_errors=True)
        super().tearDownClass()

    def render(self, url):
        """The DOM Chromium renders for url, after checking its console."""
        run = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + self.profile, "--enable-logging=stderr",
             "--v=0", "--dump-dom", url],
            capture_output=True, text=True, errors="replace",
            timeout=3 * rtharness.PATIENCE)
        self.assertEqual(run.returncode, 0, run.stderr[-2000:])
        self.assertNotIn("Content Security Policy", run.stderr,
                         "a CSP violation on " + url)
        self.assertIn('<html lang="en">', run.stdout, url)
        return run.stdout

    def api(self, path):
        answer = self.server.http_get(path)
        self.assertEqual(answer.status, 200, path)
        return json.loads(answer.body)

    def text(self, dom):
        """The DOM's text, tags removed and entities decoded."""
        return html.unescape(re.sub(r"<[^>]+>", " ", dom))

    def test_the_overview(self):
        dom = self.render(self.base + "/")
        summary = self.api("/api/v1/summary")
        self.assertIn("<h1>Where follow-up stands</h1>", dom)
        self.assertIn("<strong>%d</strong>" % summary["recommendationCount"],
                      dom)
        self.assertIn("<strong>%d</strong>" % summary["commitmentCount"], dom)
        # the charts: inline SVG images with their text alternative
        charts = re.findall(r'<svg[^>]*role="img"[^>]*>\s*<title>([^<]+)',
                            dom)
        self.assertIn("All items by status, as shares of the total", charts)
        self.assertIn("Status of recommendations by theme", charts)
        self.assertIn('href="/recommendations?overdue=true"', dom)
        self.assertRegex(dom, r"Data as of revision <strong>%s</strong>" %
                         summary["revision"])

    def test_a_filtered_list(self):
        dom = self.render(self.base + "/recommendations?sdg=10.c&actor=bgd")
        expected = self.api("/api/v1/recommendations?sdg=10.c&actor=bgd")
        ids = [r["id"] for r in expected["recommendations"]]
        self.assertTrue(ids)
        for rec in expected["recommendations"]:
            self.assertIn('href="/recommendations/%s"' % rec["id"], dom)
            self.assertIn(html.escape(rec["title"], quote=False), dom)
        listed = re.findall(r'<th scope="row"><a href="/recommendations/'
                            r'(R\d+)"', dom)
        self.assertEqual(listed, ids)
        # the GET form keeps the filters it was asked with
        self.assertRegex(dom, r'<form[^>]*method="get"')
        self.assertRegex(dom, r'<input name="sdg"[^>]* value="10\.c"')
        self.assertRegex(dom, r'<input name="actor"[^>]* value="bgd"|'
                              r'<option value="bgd" selected')

    def test_following_a_link_from_the_list_to_a_recommendation(self):
        url = self.base + "/recommendations?theme=remittances"
        dom = self.render(url)
        href = re.search(r'<th scope="row"><a href="([^"]+)"', dom).group(1)
        target = urllib.parse.urljoin(url, html.unescape(href))
        rec_id = target.rsplit("/", 1)[1]
        page = self.render(target)
        rec = self.api("/api/v1/recommendations/" + rec_id)
        self.assertEqual(rec["theme"], "remittances")
        self.assertIn("<h1>%s: %s</h1>" % (rec_id, html.escape(
            rec["title"], quote=False)), page)

    def test_a_recommendation(self):
        dom = self.render(self.base + "/recommendations/R12")
        rec = self.api("/api/v1/recommendations/R12")
        text = self.text(dom)
        self.assertIn(rec["title"], text)
        self.assertIn(rec["text"], text)
        self.assertIn(rec["sourceRef"], text)
        source = self.api("/api/v1/sources/" + rec["sourceId"])
        self.assertIn(source["title"], text)
        for target in rec["sdgTargets"]:
            self.assertIn('href="/sdg/%s"' % target, dom)
        # commitments answering it, by their titles
        answering = self.api("/api/v1/commitments?recommendation=R12")
        self.assertTrue(answering["commitments"])
        for c in answering["commitments"]:
            self.assertIn('href="/commitments/%s"' % c["id"], dom)
        # its validated history
        history = self.api("/api/v1/follow-ups?subject=R12")
        for f in history.get("followUps", []):
            if f.get("note"):
                self.assertIn(f["note"], text)

    def test_a_commitment(self):
        dom = self.render(self.base + "/commitments/C3")
        c = self.api("/api/v1/commitments/C3")
        actor = self.api("/api/v1/actors/" + c["actorId"])
        text = self.text(dom)
        self.assertIn(c["title"], text)
        self.assertIn(actor["name"], text)
        self.assertIn("Partially implemented", text)
        chart = re.search(r'<svg[^>]*role="img"[^>]*>\s*<title>([^<]+)', dom)
        self.assertTrue(chart, "the indicator chart")
        self.assertIn("C3: " + c["indicator"]["name"], html.unescape(
            chart.group(1)))
        for m in self.api("/api/v1/measurements?commitment=C3")[
                "measurements"]:
            self.assertIn(m["asOf"], text)

    def test_an_sdg_target(self):
        dom = self.render(self.base + "/sdg/10.c")
        targets = self.api("/api/v1/reference/sdg-targets")
        entry = [t for t in targets["sdgTargets"] if t["code"] == "10.c"]
        self.assertEqual(len(entry), 1, targets.keys())
        text = self.text(dom)
        self.assertIn(entry[0]["label"], text)
        linked = self.api("/api/v1/recommendations?sdg=10.c")
        for rec in linked["recommendations"]:
            self.assertIn('href="/recommendations/%s"' % rec["id"], dom)


if __name__ == "__main__":
    unittest.main()
