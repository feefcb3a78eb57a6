"""The HTTP listener as a client sees it, through http.client: every
status code it answers, the headers every answer carries, ETags and 304,
HEAD, CORS on the API, the base path behind a proxy, the download bound,
and hostile query strings, none of which may reach a page unescaped.

One rectrackd with the demo data set imported, its HTTP listener on a
free port; a second one for the base path.
"""

import json
import re
import socket
import unittest
import urllib.parse

import rtharness
from rtharness import pb, res

CSP = re.compile(r"default-src 'self'")


def query(**params):
    return urllib.parse.urlencode(params, doseq=True)


class Http(rtharness.ServerTestCase):
    server_http = True
    server_flags = ("--http-max-downloads", "1")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        result = cls.server.cli("import", rtharness.DEMO_JSON)
        assert result.code == 0, result

    def get(self, path, **headers):
        return self.server.http_get(path, headers=headers)

    def assert_error(self, path, status, grpc_code, field=None,
                     fragment=None):
        """An HTML error page and its JSON twin (the API path, or Accept:
        application/json on a page) with status, naming field."""
        page = self.get(path)
        self.assertEqual(page.status, status, (path, page.body[:300]))
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        self.assertIsNone(page.headers["ETag"])
        if not path.startswith("/api/"):
            self.assertIn("text/html", page.headers["Content-Type"])
            self.assertIn(b"<h1>", page.body)
            # The page says what is wrong, not only the code.
            self.assertNotIn(b"<p></p>", page.body)
            if field is not None:
                self.assertRegex(page.body.decode(),
                                 r"<p>[^<]*\b%s\b[^<]+</p>" % re.escape(field))
        api = (path if path.startswith("/api/")
               else "/api/v1" + path if path.startswith("/recommendations")
               else None)
        answers = [self.get(path, Accept="application/json")]
        if api is not None:
            answers.append(self.get(api))
        for answer in answers:
            self.assertEqual(answer.status, status, (path, answer.body))
            self.assertEqual(answer.headers["Content-Type"],
                             "application/json")
            error = json.loads(answer.body)["error"]
            self.assertEqual(error["code"], status)
            self.assertEqual(error["status"], grpc_code)
            if field is not None:
                self.assertEqual(error.get("field"), field, error)
                self.assertIn(field, error["message"])
            if fragment is not None:
                self.assertIn(fragment, error["message"])
        return page

    # -- what every answer carries --

    def test_pages_answer_with_the_security_headers(self):
        """Each kind of page: 200, HTML with lang, the CSP without inline
        script, nosniff, no framing, Cache-Control and an ETag."""
        for path in ["/", "/recommendations", "/recommendations/R12",
                     "/commitments", "/commitments/C3", "/sdg", "/sdg/10.c",
                     "/gcm", "/gcm/23", "/actors", "/actors/bgd", "/sources",
                     "/sources/idm-2023-ny", "/themes/remittances",
                     "/downloads"]:
            answer = self.get(path)
            self.assertEqual(answer.status, 200, path)
            h = answer.headers
            self.assertEqual(h["Content-Type"], "text/html; charset=utf-8")
            self.assertRegex(h["Content-Security-Policy"], CSP)
            self.assertIn("script-src 'none'", h["Content-Security-Policy"])
            self.assertNotIn("unsafe-inline", h["Content-Security-Policy"])
            self.assertEqual(h["X-Content-Type-Options"], "nosniff")
            self.assertEqual(h["X-Frame-Options"], "DENY")
            self.assertEqual(h["Cache-Control"], "no-cache")
            self.assertRegex(h["ETag"], r'^"r\d+-\d{8}-[0-9a-f]{16}"$')
            self.assertIsNone(h["Access-Control-Allow-Origin"])
            body = answer.body.decode()
            self.assertIn('<html lang="en">', body)
            self.assertNotIn("<script", body)
            self.assertNotIn("<style", body)
            # the one inline style the CSP allows by its hash
            for style in re.findall(r'style="([^"]*)"', body):
                self.assertEqual(style, "unicode-bidi:isolate", path)
            self.assertIn("Data as of revision", body)

    def test_the_stylesheet_and_healthz(self):
        css = self.get("/static/style.css")
        self.assertEqual(css.status, 200)
        self.assertEqual(css.headers["Content-Type"], "text/css; charset=utf-8")
        self.assertIn("max-age", css.headers["Cache-Control"])
        self.assertIn(b"@media print", css.body)
        health = self.get("/healthz")
        self.assertEqual(health.status, 200)
        self.assertRegex(health.body.decode(), r"^ok revision \d+\n$")
        self.assertEqual(self.get("/static/app.js").status, 404)

    def test_api_answers_json_with_cors(self):
        answer = self.get("/api/v1/recommendations?page_size=2")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.headers["Content-Type"], "application/json")
        self.assertEqual(answer.headers["Access-Control-Allow-Origin"], "*")
        self.assertEqual(answer.headers["X-Content-Type-Options"], "nosniff")
        body = json.loads(answer.body)
        self.assertEqual(len(body["recommendations"]), 2)
        self.assertIn("nextPageToken", body)
        self.assertIsInstance(body["recommendations"][0]["revision"], str)

    # -- ETags --

    def test_a_matching_etag_is_answered_304_until_the_data_changes(self):
        path = "/recommendations?sdg=10.c"
        first = self.get(path)
        etag = first.headers["ETag"]
        again = self.get(path, **{"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.headers["ETag"], etag)
        weak = self.get(path, **{"If-None-Match": '"x", W/' + etag})
        self.assertEqual(weak.status, 304)
        other = self.get("/recommendations?sdg=10.7",
                         **{"If-None-Match": etag})
        self.assertEqual(other.status, 200, "another URL, another tag")
        api = self.get("/api/v1/recommendations/R12")
        self.assertEqual(self.get("/api/v1/recommendations/R12", **{
            "If-None-Match": api.headers["ETag"]}).status, 304)
        # a change: every tag of the old revision is stale
        self.stub.RecordFollowUp(pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id="R30",
                                   status=res.STATUS_IN_PROGRESS,
                                   as_of="2026-01-15", note="etag test")))
        changed = self.get(path, **{"If-None-Match": etag})
        self.assertEqual(changed.status, 200)
        self.assertNotEqual(changed.headers["ETag"], etag)

    # -- statuses --

    def test_unknown_paths_and_records_are_404(self):
        self.assert_error("/nowhere", 404, "NOT_FOUND")
        self.assert_error("/api/v1/nowhere", 404, "NOT_FOUND")
        self.assert_error("/recommendations/R99999", 404, "NOT_FOUND",
                          fragment="there is no recommendation R99999")
        self.assert_error("/commitments/C99999", 404, "NOT_FOUND")
        self.assert_error("/commitments/not-an-id", 404, "NOT_FOUND")
        self.assert_error("/actors/nobody", 404, "NOT_FOUND")
        self.assert_error("/sdg/10.99", 404, "NOT_FOUND")
        self.assert_error("/gcm/24", 404, "NOT_FOUND")
        self.assert_error("/downloads/review.pdf", 404, "NOT_FOUND")
        self.assert_error("/recommendations/", 404, "NOT_FOUND")

    def test_other_methods_are_405(self):
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]:
            for path in ["/recommendations", "/api/v1/recommendations"]:
                answer = self.server.http_get(path, method=method,
                                              body=b"{}")
                self.assertEqual(answer.status, 405, (method, path))
                self.assertEqual(answer.headers["Allow"], "GET, HEAD")
        api = self.server.http_get("/api/v1/recommendations", method="POST")
        self.assertEqual(json.loads(api.body)["error"]["code"], 405)

    def test_head_has_the_headers_and_no_body(self):
        answer = self.server.http_get("/recommendations/R12", method="HEAD")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.body, b"")
        self.assertIsNotNone(answer.headers["ETag"])
        whole = self.get("/recommendations/R12")
        self.assertEqual(answer.headers["Content-Length"],
                         str(len(whole.body)))
        self.assertEqual(answer.headers["ETag"], whole.headers["ETag"])

    def test_bad_query_values_are_400_naming_the_parameter(self):
        cases = [
            ("sdg=10.99", "sdg"),
            ("gcm=24", "gcm"),
            ("gcm=abc", "gcm"),
            ("theme=no-such-theme", "theme"),
            ("status=finished", "status"),
            ("page_size=-1", "page_size"),
            ("page_size=1001", "page_size"),
            ("page_size=1e3", "page_size"),
            ("page_token=garbage", "page_token"),
            ("actor=../etc/passwd", "actor"),
            ("source=..%2F..%2Fetc", "source"),
            ("q=%C3%28", "q"),
            ("q=%FF%FE", "q"),
            ("q=a%00b", "q"),
            ("q=line%0Abreak", "q"),
            ("q=" + "x" * 300, "q"),
            ("sdg=10.c&sdg=10.7", "sdg"),
            ("colour=red", "query"),
            ("subject=R1", "query"),
            ("overdue=maybe", "overdue"),
        ]
        for text, field in cases:
            with self.subTest(text=text[:40]):
                self.assert_error("/recommendations?" + text, 400,
                                  "INVALID_ARGUMENT", field=field)

    def test_a_10_kb_query_string_is_400(self):
        self.assert_error("/recommendations?q=" + "a" * 10240, 400,
                          "INVALID_ARGUMENT", field="q")
        self.assert_error("/recommendations?page_token=" + "a" * 10240, 400,
                          "INVALID_ARGUMENT", field="page_token")
        many = "&".join("status=stalled" for _ in range(700))
        self.assert_error("/recommendations?" + many, 400,
                          "INVALID_ARGUMENT", field="status")

    def test_dot_segments_in_the_path_are_400(self):
        for path in ["/recommendations/../metrics", "/static/..%2Fetc",
                     "/sources/./idm-2023-ny"]:
            self.assert_error(path, 400, "INVALID_ARGUMENT", field="path")

    def test_api_resources_check_their_own_parameters(self):
        self.assert_error("/api/v1/follow-ups", 400, "INVALID_ARGUMENT",
                          field="subject")
        self.assert_error("/api/v1/follow-ups?subject=X1", 400,
                          "INVALID_ARGUMENT", field="subject")
        self.assert_error("/api/v1/follow-ups?from=2026-02-30&to=2026-03-01",
                          400, "INVALID_ARGUMENT", field="from")
        self.assert_error("/api/v1/measurements", 400, "INVALID_ARGUMENT",
                          field="commitment")
        self.assert_error("/downloads?from=2026-05-01&to=2026-01-01", 400,
                          "INVALID_ARGUMENT", field="from")
        self.assert_error("/downloads/review.md?table=commitments", 400,
                          "INVALID_ARGUMENT", field="table")

    def test_nothing_from_a_query_string_reaches_a_page_unescaped(self):
        hostile = "<script>alert(1)</script>\"'&<img src=x onerror=1>"
        page = self.get("/recommendations?" + query(q=hostile))
        self.assertEqual(page.status, 200)
        body = page.body.decode()
        self.assertNotIn("<script>", body)
        self.assertNotIn("<img", body)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;",
                      body)
        for path in ["/recommendations?" + query(sdg=hostile),
                     "/recommendations?" + query(actor=hostile),
                     "/recommendations?" + query(colour=hostile),
                     "/" + urllib.parse.quote(hostile),
                     "/recommendations/" + urllib.parse.quote(hostile)]:
            answer = self.get(path)
            self.assertIn(answer.status, (400, 404), path)
            self.assertNotIn(b"<script>", answer.body)
            self.assertNotIn(b"<img", answer.body)
            self.assertNotIn(b"\"'&<", answer.body)

    def test_too_many_downloads_at_once_are_429(self):
        """--http-max-downloads 1: a download held open by a client that
        reads slowly takes the one slot (the listener's fixed send buffer
        keeps the rest of it unsent); the next is 429 with Retry-After,
        and once the first is done the slot is free."""
        tag = self.get("/downloads/review.json").headers["ETag"]
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        slow.connect(("127.0.0.1", self.server.http_port))
        slow.sendall(b"GET /downloads/review.html HTTP/1.1\r\n"
                     b"Host: localhost\r\n\r\n")
        head = slow.recv(512)
        self.assertIn(b"200 OK", head)
        try:
            busy = self.get("/downloads/review.json")
            self.assertEqual(busy.status, 429, busy.body[:200])
            self.assertEqual(busy.headers["Retry-After"], "5")
            api_busy = self.get("/downloads/review.md",
                                Accept="application/json")
            self.assertEqual(api_busy.status, 429, api_busy)
            self.assertEqual(json.loads(api_busy.body)["error"]["status"],
                             "RESOURCE_EXHAUSTED")
            # a conditional GET with the current tag is 304 before any
            # rendering: it needs no slot
            cached = self.get("/downloads/review.json",
                              **{"If-None-Match": tag})
            self.assertEqual(cached.status, 304)
            self.assertEqual(cached.headers["ETag"], tag)
        finally:
            slow.settimeout(rtharness.PATIENCE)
            while slow.recv(65536):  # read it to its end
                pass
            slow.close()
        rtharness.wait_for(
            lambda: self.get("/downloads/review.json").status == 200,
            "the download slot to be free again")

    def test_downloads_name_their_file(self):
        answer = self.get("/downloads/review.csv?table=commitments&"
                          "from=2026-01-01&to=2026-06-30")
        self.assertEqual(answer.status, 200)
        self.assertIn("text/csv", answer.headers["Content-Type"])
        self.assertEqual(answer.headers["Content-Disposition"],
                         'attachment; filename="review-commitments-'
                         '2026-01-01-2026-06-30.csv"')
        self.assertTrue(answer.body.startswith(b"id,actor_id,"))
        xlsx = self.get("/downloads/review.xlsx")
        self.assertEqual(xlsx.status, 200)
        self.assertTrue(xlsx.body.startswith(b"PK"))

    def test_the_pager_walks_a_list_to_its_end(self):
        """The "Next page" links of a filtered list, followed as a browser
        would, give the API's list of the same filter, each record once;
        later pages link back to the first."""
        expected = [r["id"] for r in json.loads(self.get(
            "/api/v1/recommendations?theme=data&page_size=1000").body)[
                "recommendations"]]
        self.assertGreater(len(expected), 6)
        path, seen = "/recommendations?theme=data&page_size=3", []
        for page in range(100):
            body = self.get(path).body.decode()
            self.assertIn("%d records match" % len(expected), body)
            seen += re.findall(r'<th scope="row"><a href="/recommendations/'
                               r'(R\d+)"', body)
            if page > 0:
                self.assertIn(">First page</a>", body)
            nxt = re.search(r'<a rel="next" href="([^"]+)"', body)
            if nxt is None:
                break
            path = nxt.group(1).replace("&amp;", "&")
        self.assertEqual(seen, expected)

    def test_connections_are_kept_alive(self):
        connection = self.server.http_connection()
        try:
            for _ in range(3):
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                self.assertEqual(response.status, 200)
                self.assertNotEqual(response.headers["Connection"], "close")
        finally:
            connection.close()


class AddedTheme(rtharness.ServerTestCase):
    """A theme the secretariat adds at run time is a theme on the pages
    and in the API too: accepted as ?theme=, shown by its title, listed."""
    server_http = True

    def test_an_added_theme_is_known_to_the_pages_and_the_api(self):
        for args in (("source", "add", "gfmd-2024", "--title", "GFMD 2024",
                      "--kind", "dialogue"),
                     ("ref", "theme", "add", "labour-mobility", "--title",
                      "Labour mobility and skills"),
                     ("rec", "add", "--source", "gfmd-2024", "--title",
                      "Skills partnerships", "--theme", "labour-mobility")):
            result = self.server.cli(*args)
            self.assertEqual(result.code, 0, result)
        listed = self.server.http_get("/recommendations?theme=labour-mobility")
        self.assertEqual(listed.status, 200, listed.body[:300])
        self.assertIn(b"Skills partnerships", listed.body)
        self.assertIn(b"Labour mobility and skills", listed.body)
        page = self.server.http_get("/themes/labour-mobility")
        self.assertEqual(page.status, 200, page.body[:300])
        self.assertIn(b"<h1>Labour mobility and skills</h1>", page.body)
        api = self.server.http_get("/api/v1/reference/themes")
        themes = {t["id"]: t["title"] for t in json.loads(api.body)["themes"]}
        self.assertEqual(themes.get("labour-mobility"),
                         "Labour mobility and skills")
        self.assertIn("remittances", themes)
        found = self.server.http_get(
            "/api/v1/recommendations?theme=labour-mobility")
        self.assertEqual(
            [r["title"] for r in json.loads(found.body)["recommendations"]],
            ["Skills partnerships"])
        unknown = self.server.http_get("/recommendations?theme=labour-mobilty")
        self.assertEqual(unknown.status, 400)
        self.assertIn(b"labour-mobility", unknown.body)  # the valid ones
        self.assertEqual(
            self.server.http_get("/themes/no-such-theme").status, 404)


class BasePath(unittest.TestCase):
    """--http-base-path /tracker: the pages live under it, whether the
    proxy passes the prefix on or strips it, and every link carries it."""

    def test_links_carry_the_base_path(self):
        with rtharness.Server("--http-base-path", "/tracker",
                              http=True) as server:
            self.assertEqual(server.cli("import", rtharness.DEMO_JSON).code,
                             0)
            for path in ["/tracker/recommendations", "/recommendations"]:
                answer = server.http_get(path)
                self.assertEqual(answer.status, 200, path)
                body = answer.body.decode()
                links = re.findall(r'href="([^"]*)"', body)
                self.assertTrue(links)
                for link in links:
                    if link.startswith("#") or link.startswith("http"):
                        continue
                    self.assertTrue(link.startswith("/tracker/"), link)
                self.assertIn('href="/tracker/static/style.css"', body)
            self.assertEqual(server.http_get("/tracker").status, 200)
            self.assertEqual(server.http_get("/tracker/api/v1/sources")
                             .status, 200)
            self.assertEqual(server.http_get("/trackerx").status, 404)

    def test_a_bad_base_path_is_refused_at_start(self):
        result = rtharness.run("rectrackd", "--http-listen", "127.0.0.1:0",
                               "--http-base-path", "tracker/")
        self.assertEqual(result.code, 2, result)
        self.assertIn("--http-base-path", result.err)
        result = rtharness.run("rectrackd", "--http-base-path", "/tracker")
        self.assertEqual(result.code, 2, result)
        self.assertIn("needs --http-listen", result.err)


if __name__ == "__main__":
    rtharness.main()
