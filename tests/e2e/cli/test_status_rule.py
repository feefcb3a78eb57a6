"""End-to-end: one rule for status, seen through every output. A
subject's status is that of its validated follow-up with the latest
as_of; between two of one day, the later recorded one. Reports are
recorded in every order (back-dated ones arriving late, two of one day)
and after each one the stored status (`rec show`), the status index (`rec
list --status`), overdue (`overdue`) and the review (its JSON export)
must all say the same. A report dated after tomorrow (UTC) is refused,
naming the field, for follow-ups and measurements alike."""

import datetime
import itertools

import rtharness

CLOSED = {"implemented", "withdrawn"}


def utc_day(offset=0):
    day = datetime.datetime.now(datetime.timezone.utc).date()
    return (day + datetime.timedelta(days=offset)).isoformat()


class StatusRule(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for args in (("actor", "add", "moi", "--name", "Ministry"),
                     ("source", "add", "gfmd", "--title", "GFMD",
                      "--date", "2024-01-23")):
            result = cls.server.cli(*args)
            assert result.code == 0, repr(result)
        cls.count = 0

    def new_recommendation(self):
        type(self).count += 1
        return self.ok("--output", "json", "rec", "add", "--source", "gfmd",
                       "--title", "Reported out of order %d" % self.count,
                       "--lead", "moi", "--due", "2024-06-30").json()["id"]

    def listed(self, status, rec):
        page = self.ok("--output", "json", "rec", "list", "--status", status,
                       "--limit", "1000").json()
        return rec in [r["id"] for r in page["recommendations"]]

    def expect_everywhere(self, rec, status, as_of, statuses):
        shown = self.ok("--output", "json", "rec", "show", rec).json()
        self.assertEqual((shown["status"], shown.get("last_follow_up_as_of")),
                         (status, as_of), "rec show %s" % rec)
        for other in statuses:
            self.assertEqual(self.listed(other, rec), other == status,
                             "rec list --status %s and %s (%s)"
                             % (other, rec, status))
        overdue = self.ok("--output", "json", "overdue", "--as-of",
                          "2025-01-01").json()
        listed = {r["id"]: r for r in overdue["recommendations"]}
        self.assertEqual(rec in listed, status not in CLOSED,
                         "overdue %s (%s)" % (rec, status))
        if rec in listed:
            self.assertEqual(listed[rec]["days_overdue"], 185)
        review = self.ok("review", "--from", "2024-01-01", "--to",
                         "2024-12-31", "--as-of", utc_day(), "--format",
                         "json", "-o", "-").json()
        rows = {r["id"]: r for r in review["recommendations"]}
        self.assertEqual((rows[rec]["status"], rows[rec]["last_report"]),
                         (status, as_of), "review %s" % rec)

    def record_in_order(self, reports, order):
        rec = self.new_recommendation()
        statuses = sorted({s for s, _ in reports} | {"no-information"})
        latest = None
        for i in order:
            status, as_of = reports[i]
            self.ok("follow-up", rec, "--status", status, "--as-of", as_of)
            # The later as_of wins; on one day, the one recorded later.
            if latest is None or as_of >= latest[1]:
                latest = (status, as_of)
            self.expect_everywhere(rec, latest[0], latest[1], statuses)

    def test_back_dated_reports_in_every_order(self):
        reports = [("in-progress", "2024-03-01"), ("stalled", "2024-05-01"),
                   ("implemented", "2024-09-01")]
        for order in itertools.permutations(range(3)):
            with self.subTest(order=order):
                self.record_in_order(reports, order)

    def test_reports_of_one_day_in_every_order(self):
        reports = [("in-progress", "2024-05-01"), ("withdrawn", "2024-05-01"),
                   ("partially-implemented", "2024-02-01")]
        for order in itertools.permutations(range(3)):
            with self.subTest(order=order):
                self.record_in_order(reports, order)

    def test_a_report_dated_after_tomorrow_is_refused(self):
        rec = self.new_recommendation()
        refused = self.fails(4, "follow-up", rec, "--status", "in-progress",
                             "--as-of", utc_day(2))
        self.assertIn("follow_up.as_of", refused.err)
        self.assertIn("in the future", refused.err)
        self.fails(4, "follow-up", rec, "--status", "in-progress",
                   "--as-of", "2099-01-01")
        # Tomorrow is within the day of grace (a reporter east of UTC).
        self.ok("follow-up", rec, "--status", "in-progress", "--as-of",
                utc_day(1))
        commitment = self.ok(
            "--output", "json", "commit", "add", "--actor", "moi", "--title",
            "Halve costs", "--kind", "quantified-target", "--indicator",
            "cost", "--unit", "per cent", "--baseline", "6",
            "--baseline-date", "2022-01-01", "--target", "3",
            "--target-date", "2030-12-31", "--direction",
            "decrease").json()["id"]
        refused = self.fails(4, "measure", commitment, "--value", "5",
                             "--as-of", utc_day(2))
        self.assertIn("measurement.as_of", refused.err)
        self.ok("measure", commitment, "--value", "5", "--as-of", utc_day())


if __name__ == "__main__":
    rtharness.main()
