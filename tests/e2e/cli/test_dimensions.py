"""End-to-end: disaggregated measurements. Dimension keys (compiled from
data/reference.json, added with CreateDimensionKey / `rectrack ref
dimension add`), measurements carrying dimensions (`measure --dim`), the
series of a commitment with their own latest value and trajectory, the
overall figure taken only from measurements without dimensions, the
per-series ceiling (SDG 10.c: no corridor above 5 per cent) and the
ListMeasurements dimension filters (`measurements --dim`)."""

import json
import os

import grpc

import rtharness
from rtharness import pb, res


def dims(**kv):
    return [res.Dimension(key=k, value=v) for k, v in kv.items()]


class Dimensions(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        run = cls.server.cli
        for args in (("actor", "add", "gbr", "--name", "United Kingdom",
                      "--kind", "member-state"),):
            assert run(*args).code == 0
        commit = run("--output", "json", "commit", "add", "--actor", "gbr",
                     "--title", "Remittance costs below 3 per cent",
                     "--kind", "quantified-target", "--indicator",
                     "average cost of sending 200 USD", "--unit", "per cent",
                     "--baseline", "7", "--baseline-date", "2020-01-01",
                     "--target", "3", "--target-date", "2030-12-31",
                     "--direction", "decrease", "--series-ceiling", "5")
        assert commit.code == 0, repr(commit)
        cls.cid = commit.json()["id"]

    def measure(self, value, as_of, *dims_args):
        argv = ["--output", "json", "measure", self.cid, "--value",
                str(value), "--as-of", as_of]
        for d in dims_args:
            argv += ["--dim", d]
        return self.ok(*argv).json()

    def get(self):
        return self.stub.GetCommitment(pb.GetCommitmentRequest(id=self.cid),
                                       timeout=rtharness.PATIENCE)

    def test_1_series_ceiling_and_overall_figure(self):
        self.assertEqual(self.get().indicator.series_ceiling.value, 5)
        self.measure(6.0, "2024-06-30")
        self.measure(7.2, "2024-06-30", "corridor=GBR-NGA")
        self.measure(6.1, "2025-06-30", "corridor=GBR-NGA")
        self.measure(4.0, "2025-06-30", "corridor=GBR-IND")
        self.measure(8.4, "2025-03-31", "corridor=GBR-CHN")
        # Two dimensions given out of key order are stored in key order.
        self.measure(5.5, "2025-06-30", "sex=female", "corridor=GBR-NGA")
        c = self.get()
        # The overall figure comes only from the measurement without
        # dimensions, even though later corridor values exist.
        self.assertEqual(c.latest_value, 6.0)
        self.assertEqual(c.latest_as_of, "2024-06-30")
        self.assertEqual(c.measurement_count, 6)
        self.assertEqual(c.series_count, 4)
        self.assertEqual(c.series_above_ceiling_count, 3)
        names = [[(d.key, d.value) for d in s.dimensions] for s in c.series]
        self.assertEqual(names, [
            [("corridor", "GBR-CHN")],
            [("corridor", "GBR-IND")],
            [("corridor", "GBR-NGA")],
            [("corridor", "GBR-NGA"), ("sex", "female")],
        ])
        by = {tuple((d.key, d.value) for d in s.dimensions): s
              for s in c.series}
        nga = by[(("corridor", "GBR-NGA"),)]
        self.assertEqual(nga.latest_value, 6.1)
        self.assertEqual(nga.latest_as_of, "2025-06-30")
        self.assertEqual(nga.measurement_count, 2)
        self.assertTrue(nga.above_ceiling)
        self.assertEqual(nga.trajectory, res.TRAJECTORY_OFF_TRACK)
        ind = by[(("corridor", "GBR-IND"),)]
        self.assertFalse(ind.above_ceiling)
        self.assertEqual(ind.trajectory, res.TRAJECTORY_ON_TRACK)
        self.assertGreater(ind.progress, nga.progress)
        # List carries the counts too.
        listed = self.stub.ListCommitments(pb.ListCommitmentsRequest(),
                                           timeout=rtharness.PATIENCE)
        mine = [x for x in listed.commitments if x.id == self.cid][0]
        self.assertEqual((mine.series_count, mine.series_above_ceiling_count),
                         (4, 3))
        # commit show names every series above the ceiling.
        shown = self.ok("commit", "show", self.cid).out
        self.assertIn("3 series above 5 per cent: GBR-CHN 8.4, GBR-NGA 6.1, "
                      "corridor=GBR-NGA sex=female 5.5", shown)

        # Lowering the ceiling by an update recomputes the flags.
        self.ok("commit", "edit", self.cid, "--series-ceiling", "4.5")
        self.assertEqual(self.get().series_above_ceiling_count, 3)
        self.ok("commit", "edit", self.cid, "--series-ceiling", "3.5")
        self.assertEqual(self.get().series_above_ceiling_count, 4)
        self.ok("commit", "edit", self.cid, "--series-ceiling", "5")
        # With only corridors above it, the line says corridors.
        self.ok("commit", "edit", self.cid, "--series-ceiling", "5.6")
        shown = self.ok("commit", "show", self.cid).out
        self.assertIn("2 corridors above 5.6 per cent: GBR-CHN 8.4, "
                      "GBR-NGA 6.1\n", shown)
        self.ok("commit", "edit", self.cid, "--series-ceiling", "5")

    def test_2_filters(self):
        def values(*argv):
            return [m["value"] for m in self.ok(
                "--output", "json", "measurements", self.cid,
                *argv).json()["measurements"]]
        self.assertEqual(sorted(values("--dim", "corridor=GBR-NGA")),
                         [5.5, 6.1, 7.2])
        self.assertEqual(sorted(values("--dim", "corridor=GBR-NGA",
                                       "--exact-series")), [6.1, 7.2])
        self.assertEqual(values("--exact-series"), [6.0])
        self.assertEqual(values("--dim", "sex=female"), [5.5])
        self.assertEqual(len(values()), 6)
        table = self.ok("measurements", self.cid, "--dim",
                        "corridor=GBR-CHN").out
        self.assertIn("corridor=GBR-CHN", table)
        self.assertIn("8.4", table)
        self.assert_rpc_error(
            grpc.StatusCode.INVALID_ARGUMENT, "not a dimension key",
            self.stub.ListMeasurements,
            pb.ListMeasurementsRequest(commitment_id=self.cid,
                                       dimensions=dims(colour="red")),
            timeout=rtharness.PATIENCE)

    def test_3_bad_dimensions_are_refused(self):
        cases = [
            ("corridor=GBR-XXX", "XXX\" is not an ISO 3166-1 alpha-3"),
            ("corridor=gbr-nga", "not an ISO 3166-1 alpha-3"),
            ("corridor=GBR", "two ISO 3166-1 alpha-3 codes"),
            ("corridor=NGA-NGA", "two different countries"),
            ("country=UK", "not an ISO 3166-1 alpha-3"),
            ("age=24-15", "an age range is FROM-TO"),
            ("age=15", "an age range is FROM-TO"),
            ("sex=unknown", "not one of female, male, other"),
            ("colour=red", "\"colour\" is not a dimension key"),
        ]
        before = self.get().measurement_count
        for dim, fragment in cases:
            result = self.fails(4, "measure", self.cid, "--value", "1",
                                "--as-of", "2025-01-01", "--dim", dim)
            self.assertIn(fragment, result.err, dim)
            self.assertIn("measurement.dimensions[0]", result.err, dim)
        twice = self.fails(4, "measure", self.cid, "--value", "1",
                           "--as-of", "2025-01-01", "--dim", "sex=female",
                           "--dim", "sex=male")
        self.assertIn("given twice", twice.err)
        self.fails(4, "measure", self.cid, "--value", "1", "--as-of",
                   "2025-01-01", "--dim", "novalue")
        self.assertEqual(self.get().measurement_count, before)
        # Valid ones of each compiled rule.
        for dim in ("age=15-24", "age=65+", "country=NGA",
                    "migratory_status=migrant", "disability=with-disability",
                    "income=low"):
            self.measure(3.0, "2025-01-01", dim)

    def test_4_dimension_keys(self):
        keys = self.ok("--output", "json", "ref",
                       "dimensions").json()["dimension_keys"]
        self.assertEqual([k["key"] for k in keys][:7],
                         ["corridor", "country", "sex", "age",
                          "migratory_status", "disability", "income"])
        self.assertEqual(keys[0]["value_rule"], "iso3-pair")
        added = self.ok("--output", "json", "ref", "dimension", "add",
                        "residence", "--title", "Urban or rural", "--rule",
                        "list", "--value", "urban", "--value", "rural",
                        "--source-ref", "SDG 17.18").json()
        self.assertTrue(added["added"])
        self.assertGreater(int(added["revision"]), 0)
        self.measure(4.2, "2025-06-30", "residence=urban")
        bad = self.fails(4, "measure", self.cid, "--value", "1", "--as-of",
                         "2025-01-01", "--dim", "residence=suburb")
        self.assertIn("not one of urban, rural", bad.err)
        table = self.ok("ref", "dimensions").out
        self.assertIn("Urban or rural (list: urban, rural) (added)", table)
        # Duplicates: a compiled key and an added one.
        self.assert_rpc_error(
            grpc.StatusCode.ALREADY_EXISTS, "reference lists already",
            self.stub.CreateDimensionKey,
            pb.CreateDimensionKeyRequest(dimension_key=res.DimensionKey(
                key="corridor", title="Again", value_rule="iso3-pair")),
            timeout=rtharness.PATIENCE)
        self.assert_rpc_error(
            grpc.StatusCode.ALREADY_EXISTS, "already exists",
            self.stub.CreateDimensionKey,
            pb.CreateDimensionKeyRequest(dimension_key=res.DimensionKey(
                key="residence", title="Again", value_rule="text")),
            timeout=rtharness.PATIENCE)
        # Bad rules and keys.
        for key, fragment in (
                (res.DimensionKey(key="x1", title="X", value_rule="regex"),
                 "is not one of iso3-pair"),
                (res.DimensionKey(key="x2", title="X", value_rule="list"),
                 "takes 1..64 values"),
                (res.DimensionKey(key="x3", title="X", value_rule="text",
                                  values=["a"]),
                 "only a \"list\" key takes values"),
                (res.DimensionKey(key="x4", title="X", value_rule="list",
                                  values=["a", "a"]), "listed twice"),
                (res.DimensionKey(key="Bad-Key", title="X",
                                  value_rule="text"), "not a dimension key"),
                (res.DimensionKey(key="x5", value_rule="text"),
                 "dimension_key.title")):
            self.assert_rpc_error(
                grpc.StatusCode.INVALID_ARGUMENT, fragment,
                self.stub.CreateDimensionKey,
                pb.CreateDimensionKeyRequest(dimension_key=key),
                timeout=rtharness.PATIENCE)
        self.fails(4, "ref", "dimension", "add", "y", "--title", "Y",
                   "--rule", "list")
        self.fails(2, "ref", "dimension", "add", "y", "--title", "Y")
        # The change log records the addition, with the key as snapshot.
        events = self.stub.WatchChanges(
            pb.WatchChangesRequest(from_revision=1),
            timeout=rtharness.PATIENCE)
        for event in events:
            if event.subject_type == res.SUBJECT_TYPE_DIMENSION_KEY:
                self.assertEqual(event.subject_id, "residence")
                self.assertEqual(list(event.dimension_key.values),
                                 ["urban", "rural"])
                events.cancel()
                break
        else:
            self.fail("no log entry for the added key")

    def test_5_reporter_cannot_add_keys(self):
        server = rtharness.Server(tokens=[
            ("sec-token", "secretariat", "secretariat"),
            ("rep-token", "moi-gbr", "reporter gbr")])
        self.addCleanup(server.close)
        server.start()
        stub = rtharness.pb_grpc.TrackerStub(server.channel())
        request = pb.CreateDimensionKeyRequest(dimension_key=res.DimensionKey(
            key="residence", title="Urban or rural", value_rule="text"))
        self.assert_rpc_error(
            grpc.StatusCode.PERMISSION_DENIED, "secretariat",
            stub.CreateDimensionKey, request,
            metadata=rtharness.bearer("rep-token"),
            timeout=rtharness.PATIENCE)
        made = stub.CreateDimensionKey(request,
                                       metadata=rtharness.bearer("sec-token"),
                                       timeout=rtharness.PATIENCE)
        self.assertEqual(made.created_by, "secretariat")


    def test_6_export_import_round_trip(self):
        """Dimensions and series_ceiling are written by export (JSON and
        JSON Lines) and read back by import into a fresh server, with the
        same series, the dimension keys added at run time with them."""
        expected = self.get()
        for name in ("export.json", "export.jsonl"):
            path = os.path.join(self.tmp, name)
            self.ok("export", path)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertIn('"series_ceiling": 5', text.replace(":5", ": 5"))
            self.assertIn('"corridor": "GBR-NGA"',
                          text.replace('":"', '": "'))
            # The key added at run time travels first, with its rule.
            self.assertIn('"residence"', text)
            self.assertLess(text.index('"residence"'), text.index('"actor'))
            with self.subTest(name=name), rtharness.Server() as fresh:
                result = fresh.cli("import", path)
                self.assertEqual(result.code, 0, repr(result))
                keys = fresh.stub().ListReference(
                    pb.ListReferenceRequest(), timeout=rtharness.PATIENCE)
                added = [k for k in keys.dimension_keys if k.added]
                self.assertEqual([(k.key, k.value_rule, list(k.values))
                                  for k in added],
                                 [("residence", "list", ["urban", "rural"])])
                again = fresh.cli("import", path)
                self.assertEqual(again.code, 0, repr(again))
                self.assertIn(" 0 created", again.out)
                # A receiving side whose key has another rule: a problem
                # naming the item, and nothing written.
                with rtharness.Server() as other:
                    other.cli("ref", "dimension", "add", "residence",
                              "--title", "Urban or rural", "--rule", "text")
                    refused = other.cli("import", path)
                    self.assertEqual(refused.code, 4, repr(refused))
                    self.assertIn('dimension key "residence" exists already '
                                  'with the value_rule "text", not "list"',
                                  refused.err)
                got = fresh.stub().GetCommitment(
                    pb.GetCommitmentRequest(id=self.cid),
                    timeout=rtharness.PATIENCE)
                self.assertEqual(got.indicator.series_ceiling.value, 5)
                self.assertEqual(got.series_count, expected.series_count)
                self.assertEqual(
                    [(list(map(str, s.dimensions)), s.latest_value)
                     for s in got.series],
                    [(list(map(str, s.dimensions)), s.latest_value)
                     for s in expected.series])
                self.assertEqual(got.latest_value, expected.latest_value)

    def test_7_import_refuses_bad_dimensions_naming_the_row(self):
        document = {
            "format": "rectrack-import/1",
            "actors": [{"id": "nga", "name": "Nigeria"}],
            "commitments": [{
                "key": "c", "actor_id": "nga", "title": "Costs",
                "kind": "quantified-target",
                "indicator": {"name": "cost", "unit": "per cent",
                              "baseline_value": 8,
                              "baseline_date": "2020-01-01",
                              "target_value": 3, "target_date": "2030-12-31",
                              "direction": "decrease",
                              "series_ceiling": "five"}}],
            "measurements": [
                {"commitment": "c", "value": 6, "as_of": "2024-01-01",
                 "dimensions": {"corridor": "NGA-XYZ"}},
                {"commitment": "c", "value": 6, "as_of": "2024-01-01",
                 "dimensions": {"Bad Key": "x"}},
                {"commitment": "c", "value": 6, "as_of": "2024-01-01",
                 "dimensions": ["corridor=GBR-NGA"]},
                {"commitment": "c", "value": 6, "as_of": "2024-01-01",
                 "dimensions": {"corridor": "GBR-NGA", "age": "15-24"}}]}
        path = os.path.join(self.tmp, "bad.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(document, f)
        with rtharness.Server() as fresh:
            result = fresh.cli("import", path)
            self.assertNotEqual(result.code, 0)
            err = result.err
            self.assertIn("commitments[0].indicator.series_ceiling: must be "
                          "a number", err)
            self.assertIn("measurements[0].dimensions.corridor", err)
            self.assertIn("XYZ\" is not an ISO 3166-1 alpha-3", err)
            self.assertIn("measurements[1].dimensions.Bad Key", err)
            self.assertIn("measurements[2].dimensions: must be an object",
                          err)
            self.assertNotIn("measurements[3]", err)
            # Nothing was written.
            listed = fresh.stub().ListCommitments(
                pb.ListCommitmentsRequest(), timeout=rtharness.PATIENCE)
            self.assertEqual(len(listed.commitments), 0)


if __name__ == "__main__":
    rtharness.main()
