"""Parties end-to-end: reporters who speak for their own actors, the
secretariat's validation, admin-only Backup, and the safe defaults.

One rectrackd with a tokens file holding a reader, two reporters (one for
bgd, one for phl and ken), a secretariat and an admin. The matrix of who
may call what, each denial's status code and message; a submitted
follow-up or measurement changes nothing official until it is validated,
and a returned one never does; request ids are scoped to the principal
that sent them; the review tells validated from self-reported status; the
CLI's pending, validate, return, history and backup. Also: rectrackd
refuses to serve the open API beyond loopback, and a data directory of
release 0.1.0 opens with its history intact.
"""

import csv
import io
import os
import shutil
import tempfile
import unittest

import grpc

import rtharness
from rtharness import bearer, pb, res

READER = "reader-token-3f1c9a0e5b7d4c2a8e6f1b3d5a7c9e0f"
MOI_BGD = "moi-bgd-token-8a2e4c6f0b1d3e5a7c9f2b4d6e8a0c1e"
MOI_PHL = "moi-phl-token-1b3d5f7a9c0e2a4c6e8b0d2f4a6c8e0b"
SECRETARIAT = "secretariat-token-5c7e9a1b3d5f7a9c1e3b5d7f9a1c3e5"
SECOND_DESK = "second-desk-token-9e1a3c5e7b9d1f3a5c7e9b1d3f5a7c9"
ADMIN = "admin-token-2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4"

DENIED = grpc.StatusCode.PERMISSION_DENIED
STATUS = res.Status
SUBMITTED, VALIDATED, RETURNED = (res.REVIEW_STATE_SUBMITTED,
                                  res.REVIEW_STATE_VALIDATED,
                                  res.REVIEW_STATE_RETURNED)
FIXTURE = os.path.join(rtharness.SOURCE_DIR, "tests", "fixtures",
                       "datadir-v1")


class Parties(rtharness.ServerTestCase):
    """Who may do what, and what becomes official when."""

    server_tokens = [
        (READER, "partner-reader", "reader"),
        (MOI_BGD, "moi-bgd", "reporter bgd"),
        (MOI_PHL, "moi-phl", "reporter phl,ken"),
        (SECRETARIAT, "secretariat", "secretariat"),
        (SECOND_DESK, "second-desk", "writer"),
        (ADMIN, "ops", "admin"),
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sec = bearer(SECRETARIAT)
        for actor in ("bgd", "phl", "ken", "iom"):
            cls.stub.CreateActor(pb.CreateActorRequest(actor=res.Actor(
                id=actor, name=actor.upper(),
                kind=res.ACTOR_KIND_MEMBER_STATE)), metadata=sec)
        cls.source = cls.stub.CreateSource(pb.CreateSourceRequest(
            source=res.Source(id="gfmd-2024", title="GFMD 2024")),
            metadata=sec).id

    # -- helpers --

    def call(self, token, method, request):
        return getattr(self.stub, method)(request, metadata=bearer(token))

    def denied(self, token, method, request, message):
        """The call must be PERMISSION_DENIED with exactly message."""
        error = rtharness.rpc_error(DENIED, getattr(self.stub, method),
                                    request, metadata=bearer(token))
        self.assertEqual(error.details(), message)

    def new_recommendation(self, addressed_to=(), lead=""):
        return self.call(SECRETARIAT, "CreateRecommendation",
                         pb.CreateRecommendationRequest(
                             recommendation=rtharness.recommendation(
                                 self.source, addressed_to=list(addressed_to),
                                 lead_actor_id=lead))).id

    def new_commitment(self, actor, indicator=True):
        commitment = res.Commitment(
            actor_id=actor, title="Halve remittance costs",
            kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET)
        if indicator:
            commitment.indicator.CopyFrom(res.Indicator(
                name="cost of sending 200 USD", unit="per cent",
                baseline_value=6, baseline_date="2020-01-01",
                target_value=3, target_date="2030-01-01",
                direction=res.DIRECTION_DECREASE))
        return self.call(SECRETARIAT, "CreateCommitment",
                         pb.CreateCommitmentRequest(commitment=commitment)).id

    def follow_up(self, token, subject, status, as_of, reported_by=""):
        return self.call(token, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=subject, status=status,
                                   as_of=as_of, reported_by=reported_by,
                                   note="Reported by the ministry")))

    def measure(self, token, commitment, value, as_of):
        return self.call(token, "RecordMeasurement",
                         pb.RecordMeasurementRequest(
                             commitment_id=commitment,
                             measurement=res.Measurement(value=value,
                                                         as_of=as_of)))

    def decide(self, token, subject, revision, decision, note=""):
        return self.call(token, "ValidateSubmission",
                         pb.ValidateSubmissionRequest(
                             subject_id=subject, revision=revision,
                             decision=decision, note=note))

    def rec(self, rec_id):
        return self.call(READER, "GetRecommendation",
                         pb.GetRecommendationRequest(id=rec_id))

    def commitment(self, com_id):
        return self.call(READER, "GetCommitment",
                         pb.GetCommitmentRequest(id=com_id))

    # -- who may call what --

    def test_who_may_call_what(self):
        """Each principal against a method of each role: let through (the
        empty request then fails on its content, never its caller) or
        refused naming the method and both roles."""
        principals = [(READER, "partner-reader", "reader"),
                      (MOI_BGD, "moi-bgd", "reporter"),
                      (SECRETARIAT, "secretariat", "secretariat"),
                      (ADMIN, "ops", "admin")]
        order = ["reader", "reporter", "secretariat", "admin"]
        methods = [
            ("GetServerInfo", pb.GetServerInfoRequest(), "reader"),
            ("ListRecommendations", pb.ListRecommendationsRequest(),
             "reader"),
            ("GetReviewSummary", pb.GetReviewSummaryRequest(), "reader"),
            ("RecordFollowUp", pb.RecordFollowUpRequest(), "reporter"),
            ("RecordMeasurement", pb.RecordMeasurementRequest(), "reporter"),
            ("CreateSource", pb.CreateSourceRequest(), "secretariat"),
            ("UpdateRecommendation", pb.UpdateRecommendationRequest(),
             "secretariat"),
            ("CreateCommitment", pb.CreateCommitmentRequest(),
             "secretariat"),
            ("ValidateSubmission", pb.ValidateSubmissionRequest(),
             "secretariat"),
            ("Backup", pb.BackupRequest(), "admin"),
        ]
        for token, name, role in principals:
            for method, request, needed in methods:
                with self.subTest(principal=name, method=method):
                    if order.index(role) >= order.index(needed):
                        try:
                            self.call(token, method, request)
                        except grpc.RpcError as error:
                            self.assertNotIn(error.code(), (
                                DENIED, grpc.StatusCode.UNAUTHENTICATED),
                                error.details())
                    else:
                        self.denied(token, method, request,
                                    "%s needs the %s role; %s has the %s "
                                    "role" % (method, needed, name, role))
        # A reader may stream the review and the change log.
        chunks = list(self.call(READER, "ExportReview",
                                pb.ExportReviewRequest(
                                    format=pb.EXPORT_FORMAT_CSV)))
        self.assertTrue(chunks)

    def test_a_reporter_filing_for_another_actor_is_denied(self):
        rec = self.new_recommendation(addressed_to=["phl"])
        self.denied(MOI_PHL, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=rec,
                                   status=STATUS.Value("STATUS_IMPLEMENTED"),
                                   reported_by="bgd")),
            "reporter moi-phl speaks for phl, ken; it cannot file a report "
            "by bgd")
        error = rtharness.rpc_error(
            grpc.StatusCode.INVALID_ARGUMENT, self.follow_up, MOI_PHL, rec,
            res.STATUS_IMPLEMENTED, "2024-06-30")
        self.assertIn("reporter moi-phl speaks for phl, ken; say which of "
                      "them reports", error.details())
        # Speaking for ken on phl's recommendation is allowed.
        report = self.follow_up(MOI_PHL, rec, res.STATUS_IMPLEMENTED,
                                "2024-06-30", reported_by="ken")
        self.assertEqual(report.reported_by, "ken")
        # One actor: reported_by is filled in.
        bgd_rec = self.new_recommendation(addressed_to=["bgd"])
        report = self.follow_up(MOI_BGD, bgd_rec, res.STATUS_IN_PROGRESS,
                                "2024-06-30")
        self.assertEqual(report.reported_by, "bgd")
        self.assertEqual(report.recorded_by, "moi-bgd")

    def test_a_reporter_filing_on_another_actors_subject_is_denied(self):
        com = self.new_commitment("bgd")
        self.denied(MOI_PHL, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=com,
                                   status=res.STATUS_IMPLEMENTED,
                                   reported_by="phl")),
            "reporter moi-phl speaks for phl, ken; %s is a commitment of bgd"
            % com)
        self.denied(MOI_PHL, "RecordMeasurement", pb.RecordMeasurementRequest(
            commitment_id=com, measurement=res.Measurement(
                value=4, as_of="2024-06-30", reported_by="phl")),
            "reporter moi-phl speaks for phl, ken; %s is a commitment of bgd"
            % com)
        rec = self.new_recommendation(addressed_to=["phl", "ken"], lead="iom")
        self.denied(MOI_BGD, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=rec,
                                   status=res.STATUS_IMPLEMENTED)),
            "reporter moi-bgd speaks for bgd; %s is addressed to phl, ken and "
            "led by iom" % rec)
        # Nor may a reporter change records.
        self.denied(MOI_BGD, "UpdateCommitment", pb.UpdateCommitmentRequest(
            commitment=res.Commitment(id=com, title="Mine now")),
            "UpdateCommitment needs the secretariat role; moi-bgd has the "
            "reporter role")

    def test_a_reporter_validating_its_own_submission_is_denied(self):
        rec = self.new_recommendation(addressed_to=["bgd"])
        report = self.follow_up(MOI_BGD, rec, res.STATUS_IMPLEMENTED,
                                "2024-06-30")
        self.assertEqual(report.review_state, SUBMITTED)
        self.denied(MOI_BGD, "ValidateSubmission",
                    pb.ValidateSubmissionRequest(
                        subject_id=rec, revision=report.revision,
                        decision=VALIDATED),
                    "ValidateSubmission needs the secretariat role; moi-bgd "
                    "has the reporter role")
        self.assertEqual(self.rec(rec).pending_count, 1)

    def test_a_reader_calling_backup_is_denied(self):
        target = os.path.join(self.tmp, "backup-by-api")
        request = pb.BackupRequest(dir=target)
        self.denied(READER, "Backup", request,
                    "Backup needs the admin role; partner-reader has the "
                    "reader role")
        self.denied(SECRETARIAT, "Backup", request,
                    "Backup needs the admin role; secretariat has the "
                    "secretariat role")
        self.assertFalse(os.path.exists(target))
        done = self.call(ADMIN, "Backup", request)
        self.assertEqual(done.dir, target)
        self.assertGreater(done.size_bytes, 0)
        verified = rtharness.admin("verify", "--data-dir", target)
        self.assertEqual(verified.code, 0, verified)
        error = rtharness.rpc_error(grpc.StatusCode.FAILED_PRECONDITION,
                                    self.call, ADMIN, "Backup", request)
        self.assertIn("exists and is not empty", error.details())
        error = rtharness.rpc_error(grpc.StatusCode.INVALID_ARGUMENT,
                                    self.call, ADMIN, "Backup",
                                    pb.BackupRequest(dir="relative/dir"))
        self.assertIn("is not an absolute path", error.details())

    # -- what becomes official --

    def test_a_submitted_follow_up_counts_once_validated(self):
        rec = self.new_recommendation(addressed_to=["bgd"])
        self.follow_up(SECRETARIAT, rec, res.STATUS_IN_PROGRESS, "2024-01-10",
                       reported_by="bgd")
        report = self.follow_up(MOI_BGD, rec, res.STATUS_IMPLEMENTED,
                                "2024-06-30")
        self.assertEqual(report.review_state, SUBMITTED)
        self.assertEqual(report.previous_status, res.STATUS_IN_PROGRESS)
        got = self.rec(rec)
        self.assertEqual(got.status, res.STATUS_IN_PROGRESS)
        self.assertEqual(got.reported_status, res.STATUS_IMPLEMENTED)
        self.assertEqual(got.reported_as_of, "2024-06-30")
        self.assertEqual(got.pending_count, 1)
        listed = self.call(READER, "ListRecommendations",
                           pb.ListRecommendationsRequest(
                               pending_validation=True, actor_id="bgd"))
        self.assertIn(rec, [r.id for r in listed.recommendations])

        decided = self.decide(SECRETARIAT, rec, report.revision, VALIDATED,
                              "Checked against the gazette")
        self.assertEqual(decided.follow_up.review_state, VALIDATED)
        self.assertEqual(decided.follow_up.reviewed_by, "secretariat")
        self.assertEqual(decided.recommendation.status,
                         res.STATUS_IMPLEMENTED)
        got = self.rec(rec)
        self.assertEqual(got.status, res.STATUS_IMPLEMENTED)
        self.assertEqual(got.reported_status, res.STATUS_UNSPECIFIED)
        self.assertEqual(got.pending_count, 0)
        history = self.call(READER, "ListFollowUps",
                            pb.ListFollowUpsRequest(subject_id=rec))
        last = history.follow_ups[-1]
        self.assertEqual((last.reported_by, last.recorded_by,
                          last.reviewed_by, last.review_note),
                         ("bgd", "moi-bgd", "secretariat",
                          "Checked against the gazette"))
        error = rtharness.rpc_error(grpc.StatusCode.FAILED_PRECONDITION,
                                    self.decide, SECOND_DESK, rec,
                                    report.revision, RETURNED, "Too late")
        self.assertIn("was already validated by secretariat",
                      error.details())

    def test_a_returned_follow_up_never_counts(self):
        rec = self.new_recommendation(addressed_to=["ken"])
        self.follow_up(SECRETARIAT, rec, res.STATUS_NOT_STARTED, "2024-01-10")
        report = self.follow_up(MOI_PHL, rec, res.STATUS_IMPLEMENTED,
                                "2024-06-30", reported_by="ken")
        error = rtharness.rpc_error(grpc.StatusCode.INVALID_ARGUMENT,
                                    self.decide, SECRETARIAT, rec,
                                    report.revision, RETURNED)
        self.assertIn("say why the submission is returned", error.details())
        decided = self.decide(SECRETARIAT, rec, report.revision, RETURNED,
                              "The law is not in force yet")
        self.assertEqual(decided.follow_up.review_state, RETURNED)
        got = self.rec(rec)
        self.assertEqual(got.status, res.STATUS_NOT_STARTED)
        self.assertEqual(got.pending_count, 0)
        self.assertEqual(got.reported_status, res.STATUS_UNSPECIFIED)
        error = rtharness.rpc_error(grpc.StatusCode.FAILED_PRECONDITION,
                                    self.decide, SECOND_DESK, rec,
                                    report.revision, VALIDATED)
        self.assertIn("was already returned by secretariat", error.details())

    def test_measurements_count_for_the_trajectory_once_validated(self):
        com = self.new_commitment("bgd")
        self.measure(SECRETARIAT, com, 5.9, "2024-01-01")
        before = self.commitment(com)
        self.assertEqual(before.trajectory, res.TRAJECTORY_OFF_TRACK)
        submitted = self.measure(MOI_BGD, com, 2.5, "2025-01-01")
        self.assertEqual(submitted.latest_value, 5.9)
        self.assertEqual(submitted.trajectory, res.TRAJECTORY_OFF_TRACK)
        self.assertEqual(submitted.pending_count, 1)
        values = self.call(READER, "ListMeasurements",
                           pb.ListMeasurementsRequest(commitment_id=com))
        pending = [m for m in values.measurements
                   if m.review_state == SUBMITTED]
        self.assertEqual(len(pending), 1)
        self.assertEqual(pending[0].reported_by, "bgd")
        decided = self.decide(SECRETARIAT, com, pending[0].revision,
                              VALIDATED)
        self.assertEqual(decided.commitment.latest_value, 2.5)
        self.assertEqual(decided.commitment.trajectory,
                         res.TRAJECTORY_ACHIEVED)
        later = self.measure(MOI_BGD, com, 9.0, "2025-06-30")
        values = self.call(READER, "ListMeasurements",
                           pb.ListMeasurementsRequest(commitment_id=com))
        revision = [m.revision for m in values.measurements
                    if m.review_state == SUBMITTED][0]
        self.decide(SECOND_DESK, com, revision, RETURNED, "Wrong unit")
        got = self.commitment(com)
        self.assertEqual(later.latest_value, 2.5)
        self.assertEqual((got.latest_value, got.latest_as_of, got.trajectory,
                          got.pending_count),
                         (2.5, "2025-01-01", res.TRAJECTORY_ACHIEVED, 0))

    def test_request_ids_are_scoped_to_their_principal(self):
        def create(token):
            return self.call(token, "CreateRecommendation",
                             pb.CreateRecommendationRequest(
                                 recommendation=rtharness.recommendation(
                                     self.source),
                                 request_id="shared-request-id")).id
        first = create(SECRETARIAT)
        other = create(SECOND_DESK)
        self.assertNotEqual(first, other)
        self.assertEqual(create(SECRETARIAT), first)
        self.assertEqual(create(SECOND_DESK), other)

    def test_the_review_tells_validated_from_self_reported(self):
        rec = self.new_recommendation(addressed_to=["bgd"])
        self.follow_up(SECRETARIAT, rec, res.STATUS_IN_PROGRESS, "2024-02-01")
        self.follow_up(MOI_BGD, rec, res.STATUS_IMPLEMENTED, "2024-03-01")
        summary = self.call(READER, "GetReviewSummary",
                            pb.GetReviewSummaryRequest(to_date="2024-12-31"))
        self.assertGreaterEqual(summary.pending_count, 1)
        data = b"".join(c.data for c in self.call(
            READER, "ExportReview", pb.ExportReviewRequest(
                to_date="2024-12-31", format=pb.EXPORT_FORMAT_CSV)))
        rows = {r["id"]: r for r in csv.DictReader(io.StringIO(
            data.decode("utf-8")))}
        self.assertEqual(rows[rec]["status"], "in-progress")
        self.assertEqual(rows[rec]["self_reported"], "implemented")
        html = b"".join(c.data for c in self.call(
            READER, "ExportReview", pb.ExportReviewRequest(
                to_date="2024-12-31", format=pb.EXPORT_FORMAT_HTML)))
        self.assertIn(b"awaiting validation", html)

    # -- the CLI --

    def cli_as(self, token, *args):
        return self.cli("--token", token, *args)

    def test_the_cli_lists_validates_and_returns(self):
        rec = self.new_recommendation(addressed_to=["phl"])
        com = self.new_commitment("ken")
        reported = self.cli_as(MOI_PHL, "--output", "json", "follow-up", rec,
                               "--status", "implemented", "--reported-by",
                               "phl", "--as-of", "2024-05-01")
        self.assertEqual(reported.code, 0, reported)
        self.assertEqual(reported.json()["review_state"], "submitted")
        measured = self.cli_as(MOI_PHL, "measure", com, "--value", "4",
                               "--as-of", "2024-05-01", "--reported-by",
                               "ken")
        self.assertEqual(measured.code, 0, measured)
        refused = self.cli_as(MOI_PHL, "measure", com, "--value", "4",
                              "--as-of", "2024-05-01", "--reported-by", "bgd")
        self.assertEqual(refused.code, 6, refused)
        self.assertIn("it cannot file a report by bgd", refused.err)

        listing = self.cli_as(SECRETARIAT, "--output", "json", "pending",
                              "--actor", "phl")
        self.assertEqual(listing.code, 0, listing)
        mine = [s for s in listing.json()["submissions"]
                if s["subject_id"] == rec]
        self.assertEqual(len(mine), 1)
        follow_up_rev = mine[0]["follow_up"]["revision"]
        table = self.cli_as(SECRETARIAT, "pending")
        self.assertIn("Awaiting validation", table.out)
        self.assertIn(com, table.out)
        values = self.cli_as(READER, "--output", "json", "pending", "--actor",
                             "ken").json()["submissions"]
        measurement_rev = [s["measurement"]["revision"] for s in values
                           if s["subject_id"] == com][0]

        own = self.cli_as(MOI_PHL, "validate", rec, "--revision",
                          str(follow_up_rev))
        self.assertEqual(own.code, 6, own)
        self.assertIn("needs the secretariat role", own.err)
        no_note = self.cli_as(SECRETARIAT, "return", com, "--revision",
                              str(measurement_rev))
        self.assertEqual(no_note.code, 2, no_note)
        validated = self.cli_as(SECRETARIAT, "validate", rec, "--revision",
                                str(follow_up_rev), "--note", "Seen")
        self.assertEqual(validated.code, 0, validated)
        self.assertIn("is validated by secretariat; %s is implemented" % rec,
                      validated.out)
        returned = self.cli_as(SECRETARIAT, "return", com, "--revision",
                               str(measurement_rev), "--note", "Source?")
        self.assertEqual(returned.code, 0, returned)
        again = self.cli_as(SECRETARIAT, "validate", com, "--revision",
                            str(measurement_rev))
        self.assertEqual(again.code, 4, again)
        self.assertIn("already returned", again.err)

        history = self.cli_as(READER, "history", rec)
        self.assertIn("RECORDED", history.out)
        self.assertIn("validated (secretariat)", history.out)
        self.assertIn("moi-phl", history.out)
        rows = list(csv.DictReader(io.StringIO(self.cli_as(
            READER, "--output", "csv", "history", com,
            "--measurements").out)))
        self.assertEqual([(r["review_state"], r["recorded_by"],
                           r["reviewed_by"]) for r in rows],
                         [("returned", "moi-phl", "secretariat")])
        rows = list(csv.DictReader(io.StringIO(self.cli_as(
            READER, "--output", "csv", "rec", "list", "--pending").out)))
        self.assertNotIn(rec, [r["id"] for r in rows])

    def test_the_cli_backup_is_the_admins(self):
        target = os.path.join(self.tmp, "backup-by-cli")
        denied = self.cli_as(READER, "backup", target)
        self.assertEqual(denied.code, 6, denied)
        self.assertIn("Backup needs the admin role", denied.err)
        relative = self.cli_as(ADMIN, "backup", "backup-here")
        self.assertEqual(relative.code, 4, relative)
        self.assertIn("is not an absolute path", relative.err)
        done = self.cli_as(ADMIN, "backup", target)
        self.assertEqual(done.code, 0, done)
        self.assertIn("Backup written on the server to " + target, done.out)
        self.assertTrue(os.path.exists(os.path.join(target, "data.mdb")))


class ReporterTokens(unittest.TestCase):
    """rectrack-admin writes and lists a reporter's actors, and refuses a
    reporter without actors or actors for another role."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rt-e2e-parties-tokens-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.tokens = os.path.join(self.tmp, "tokens")

    def token(self, *args):
        return rtharness.admin("token", *args)

    def test_reporter_tokens_name_their_actors(self):
        added = self.token("add", "--tokens-file", self.tokens, "--principal",
                           "moi-phl", "--role", "reporter", "--actor", "phl",
                           "--actor", "ken")
        self.assertEqual(added.code, 0, added)
        self.assertIn("speaking for phl,ken", added.err)
        with open(self.tokens) as f:
            lines = [l for l in f if not l.startswith("#")]
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].endswith(" moi-phl reporter phl,ken\n"),
                        lines[0])
        listed = self.token("list", "--tokens-file", self.tokens)
        self.assertEqual(listed.code, 0, listed)
        self.assertRegex(listed.out, r"moi-phl\s+reporter\s+\d+\s+\S+\s+"
                                     r"phl,ken")
        for args, fragment in (
                (["--role", "reporter"], "--role reporter needs --actor"),
                (["--role", "secretariat", "--actor", "bgd"],
                 "--actor is for --role reporter only"),
                (["--role", "reporter", "--actor", "BGD"],
                 "is not an actor id"),
                (["--role", "reporter", "--actor", "bgd", "--actor", "bgd"],
                 "--actor bgd is given twice")):
            refused = self.token("add", "--tokens-file", self.tokens,
                                 "--principal", "other", *args)
            self.assertEqual(refused.code, 2, (args, refused))
            self.assertIn(fragment, refused.err)


class SafeDefaults(unittest.TestCase):
    """Without a tokens file the open API stays on loopback."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rt-e2e-parties-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_a_non_loopback_listen_without_tokens_is_refused(self):
        for address in ("0.0.0.0:0", "[::]:0"):
            result = rtharness.run("rectrackd", "--listen", address,
                                   "--data-dir",
                                   os.path.join(self.tmp, "data"))
            self.assertEqual(result.code, 2, result)
            self.assertNotIn("listening on", result.out)
            self.assertIn("rectrackd: --listen %s is not a loopback address, "
                          "and without --tokens-file" % address, result.err)
            self.assertIn("--insecure-no-auth", result.err)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "data")))

    def test_insecure_no_auth_serves_the_open_api_with_a_warning(self):
        with rtharness.Server("--listen", "0.0.0.0:0",
                              "--insecure-no-auth") as server:
            server.wait_for_log("--insecure-no-auth: the Tracker API on "
                                "0.0.0.0:0 is open to anyone who can reach it")
            info = pb.GetServerInfoRequest()
            channel = grpc.insecure_channel("127.0.0.1:%d" % server.port)
            try:
                stub = rtharness.pb_grpc.TrackerStub(channel)
                self.assertTrue(stub.GetServerInfo(info, timeout=30).version)
            finally:
                channel.close()

    def test_loopback_without_tokens_starts_as_before(self):
        with rtharness.Server() as server:
            server.wait_for_log("API is open")
            self.assertNotIn("--insecure-no-auth", server.log())


class OldDataDirectory(unittest.TestCase):
    """A data directory written by release 0.1.0 opens with its history
    intact, its reports validated, and takes submissions."""

    def test_an_old_data_directory_opens_with_its_history_intact(self):
        tmp = tempfile.mkdtemp(prefix="rt-e2e-parties-old-")
        self.addCleanup(shutil.rmtree, tmp, True)
        data = os.path.join(tmp, "data")
        os.mkdir(data, 0o700)
        shutil.copy(os.path.join(FIXTURE, "data.mdb"), data)
        tokens = [(SECRETARIAT, "secretariat", "secretariat"),
                  (MOI_BGD, "moi-bgd", "reporter bgd")]
        with rtharness.Server(data_dir=data, tokens=tokens) as server:
            server.wait_for_log("schema 2 -> 3")
            server.wait_for_log("R72: status stalled -> implemented")
            stub = server.stub()
            sec = bearer(SECRETARIAT)
            info = stub.GetServerInfo(pb.GetServerInfoRequest(), metadata=sec)
            self.assertEqual((info.recommendation_count,
                              info.commitment_count, info.follow_up_count,
                              info.measurement_count), (73, 16, 88, 20))
            reports = stub.ListFollowUps(pb.ListFollowUpsRequest(
                page_size=1000), metadata=sec).follow_ups
            self.assertEqual(len(reports), 88)
            self.assertEqual({r.review_state for r in reports}, {VALIDATED})
            r72 = stub.GetRecommendation(pb.GetRecommendationRequest(
                id="R72"), metadata=sec)
            # Its report of the latest day, recorded before a report of
            # an earlier one, decides (schema 4).
            self.assertEqual(r72.status, res.STATUS_IMPLEMENTED)
            self.assertEqual(r72.pending_count, 0)
            pending = stub.ListRecommendations(pb.ListRecommendationsRequest(
                pending_validation=True, include_archived=True),
                metadata=sec)
            self.assertEqual(pending.total_size, 0)
            # The old data takes the new workflow.
            ours = [r.id for r in stub.ListRecommendations(
                pb.ListRecommendationsRequest(actor_id="bgd",
                                              page_size=1000),
                metadata=sec).recommendations]
            self.assertTrue(ours)
            before = stub.GetRecommendation(pb.GetRecommendationRequest(
                id=ours[0]), metadata=sec).status
            report = stub.RecordFollowUp(pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(subject_id=ours[0],
                                       status=res.STATUS_WITHDRAWN)),
                metadata=bearer(MOI_BGD))
            self.assertEqual(report.review_state, SUBMITTED)
            self.assertEqual(stub.GetRecommendation(
                pb.GetRecommendationRequest(id=ours[0]),
                metadata=sec).status, before)
            decided = stub.ValidateSubmission(pb.ValidateSubmissionRequest(
                subject_id=ours[0], revision=report.revision,
                decision=VALIDATED), metadata=sec)
            self.assertEqual(decided.recommendation.status,
                             res.STATUS_WITHDRAWN)
        verified = rtharness.admin("verify", "--data-dir", data)
        self.assertEqual(verified.code, 0, verified)


if __name__ == "__main__":
    rtharness.main()
