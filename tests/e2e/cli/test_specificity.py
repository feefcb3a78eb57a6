"""End-to-end: how specific a recommendation is, computed by the server,
on GetRecommendation and ListRecommendations (grpcio) and in rec show,
following the commitments that answer it, and the specificity filter
(rec list --specificity)."""

import rtharness
from rtharness import pb, res


class Specificity(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for args in (("actor", "add", "iom", "--name", "IOM", "--kind",
                      "un-entity"),
                     ("source", "add", "idm-2023-ny", "--title", "IDM 2023",
                      "--kind", "dialogue", "--date", "2023-03-30")):
            result = cls.server.cli(*args)
            assert result.code == 0, repr(result)

    def add(self, *flags):
        return self.ok("--output", "json", "rec", "add", "--source",
                       "idm-2023-ny", "--title", "Quokka data", *flags
                       ).json()["id"]

    def get(self, rec_id):
        return self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=rec_id))

    def test_each_level_with_its_gaps(self):
        vague = self.add()
        rec = self.get(vague)
        self.assertEqual(rec.specificity, res.SPECIFICITY_LOW)
        self.assertEqual(list(rec.specificity_gaps), [
            res.SPECIFICITY_GAP_ADDRESSEE, res.SPECIFICITY_GAP_DUE_DATE,
            res.SPECIFICITY_GAP_INDICATOR, res.SPECIFICITY_GAP_TAGS])
        shown = self.ok("rec", "show", vague).out
        self.assertRegex(shown, r"specificity:\s+low\n")
        self.assertRegex(shown, r"specificity_gaps:\s+addressee, due-date, "
                                r"indicator, tags\n")
        specific = self.add("--to", "iom", "--lead", "iom", "--due",
                            "2030-12-31", "--sdg", "17.18")
        self.assertEqual(self.get(specific).specificity,
                         res.SPECIFICITY_MEDIUM)
        self.assertEqual(list(self.get(specific).specificity_gaps),
                         [res.SPECIFICITY_GAP_INDICATOR])
        # A commitment with an indicator answering it: all four marks.
        self.ok("commit", "add", "--actor", "iom", "--rec", specific,
                "--title", "Data pledge", "--kind", "data", "--indicator",
                "share of surveys with migration questions", "--unit",
                "per cent", "--baseline", "20", "--baseline-date",
                "2023-01-01", "--target", "80", "--target-date",
                "2030-01-01", "--direction", "increase")
        rec = self.get(specific)
        self.assertEqual(rec.specificity, res.SPECIFICITY_HIGH)
        self.assertEqual(list(rec.specificity_gaps), [])
        listed = self.stub.ListRecommendations(
            pb.ListRecommendationsRequest(page_size=1000))
        by_id = {r.id: r for r in listed.recommendations}
        self.assertEqual(by_id[vague].specificity, res.SPECIFICITY_LOW)
        self.assertEqual(by_id[specific].specificity, res.SPECIFICITY_HIGH)
        self.assertRegex(self.ok("rec", "show", specific).out,
                         r"specificity:\s+high\n")

    def test_the_filter_lists_the_vague_ones(self):
        vague = self.add("--title", "Quokka vague")
        middling = self.add("--due", "2031-01-01", "--gcm", "1")
        low = self.ok("--output", "json", "rec", "list", "--specificity",
                      "low").json()["recommendations"]
        self.assertIn(vague, [r["id"] for r in low])
        self.assertNotIn(middling, [r["id"] for r in low])
        self.assertTrue(all(r["specificity"] == "low" for r in low), low)
        medium = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            specificity=res.SPECIFICITY_MEDIUM, page_size=1000))
        self.assertIn(middling, [r.id for r in medium.recommendations])
        self.assertEqual(medium.total_size, len(medium.recommendations))
        refused = self.fails(4, "rec", "list", "--specificity", "vague")
        self.assertIn("--specificity", refused.err)


if __name__ == "__main__":
    rtharness.main()
