"""Joint and matching pledges end-to-end, with a stock gRPC client and the
CLI: a partnership whose partners report their own part, a partner's
reporter allowed on its part and denied on another's (and on another
actor's pledge), the lead's reporter on any part, the secretariat's
validation moving one partner's status and never the pledge's own, a
matching pledge and its matched_by, the partner and pledge-type filters,
the refusals with the field they name, and the import of each new field
with bad values refused and the row named.
"""

import json
import os
import unittest

import grpc

import rtharness
from rtharness import bearer, pb, res

MOI_BGD = "moi-bgd-token-4c1e8a2f6b0d3e5a7c9f2b4d6e8a0c1f"
MOI_PHL = "moi-phl-token-7b3d5f7a9c0e2a4c6e8b0d2f4a6c8e0c"
MOI_KEN = "moi-ken-token-2a4c6e8b0d2f4a6c8e0b1d3f5a7c9e1d"
MOI_IOM = "moi-iom-token-9e1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e"
SECRETARIAT = "secretariat-token-6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c"

DENIED = grpc.StatusCode.PERMISSION_DENIED
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
S = res.Status


class Pledges(rtharness.ServerTestCase):
    server_tokens = [
        (MOI_BGD, "moi-bgd", "reporter bgd"),
        (MOI_PHL, "moi-phl", "reporter phl"),
        (MOI_KEN, "moi-ken", "reporter ken"),
        (MOI_IOM, "moi-iom", "reporter iom"),
        (SECRETARIAT, "secretariat", "secretariat"),
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sec = bearer(SECRETARIAT)
        for actor in ("bgd", "phl", "ken", "iom"):
            cls.stub.CreateActor(pb.CreateActorRequest(actor=res.Actor(
                id=actor, name=actor.upper() + " ministry",
                kind=res.ACTOR_KIND_MEMBER_STATE)), metadata=sec)

    def call(self, token, method, request):
        return getattr(self.stub, method)(request, metadata=bearer(token))

    def fails(self, code, token, method, request):
        return rtharness.rpc_error(code, getattr(self.stub, method), request,
                                   metadata=bearer(token)).details()

    def create(self, **fields):
        fields.setdefault("title", "Data on migrant children")
        fields.setdefault("kind", res.COMMITMENT_KIND_DATA)
        return self.call(SECRETARIAT, "CreateCommitment",
                         pb.CreateCommitmentRequest(
                             commitment=res.Commitment(**fields)))

    def report(self, token, subject, status, as_of, partner=""):
        return self.call(token, "RecordFollowUp", pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id=subject, status=status,
                                   as_of=as_of, partner_id=partner)))

    def get(self, cid):
        return self.call(SECRETARIAT, "GetCommitment",
                         pb.GetCommitmentRequest(id=cid))

    def parts(self, commitment):
        return {p.actor_id: p for p in commitment.partner_statuses}

    def test_each_partner_reports_its_own_part(self):
        joint = self.create(actor_id="bgd", partner_ids=["phl", "ken"],
                            pledge_type=res.PLEDGE_TYPE_PARTNERSHIP)
        self.assertEqual([p.actor_id for p in joint.partner_statuses],
                         ["phl", "ken"])
        # phl's reporter: its part, filled in for it.
        mine = self.report(MOI_PHL, joint.id, S.STATUS_IN_PROGRESS,
                           "2025-03-01")
        self.assertEqual(mine.partner_id, "phl")
        self.assertEqual(mine.review_state, res.REVIEW_STATE_SUBMITTED)
        # ... not ken's, and nothing of another actor's pledge.
        self.assertEqual(
            self.fails(DENIED, MOI_PHL, "RecordFollowUp",
                       pb.RecordFollowUpRequest(follow_up=res.FollowUp(
                           subject_id=joint.id, partner_id="ken",
                           status=S.STATUS_STALLED, as_of="2025-03-01"))),
            "reporter moi-phl speaks for phl; the part of ken in %s is that "
            "partner's to report (or the lead's, bgd)" % joint.id)
        self.assertIn("with partners phl, ken", self.fails(
            DENIED, MOI_IOM, "RecordFollowUp", pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(subject_id=joint.id,
                                       status=S.STATUS_STALLED,
                                       as_of="2025-03-01"))))
        # The lead's reporter files ken's part.
        kens = self.report(MOI_BGD, joint.id, S.STATUS_STALLED, "2025-04-01",
                           partner="ken")
        # The secretariat validates phl's: phl's part is official, the
        # pledge's own status is untouched.
        self.call(SECRETARIAT, "ValidateSubmission",
                  pb.ValidateSubmissionRequest(
                      subject_id=joint.id, revision=mine.revision,
                      decision=res.REVIEW_STATE_VALIDATED))
        now = self.get(joint.id)
        parts = self.parts(now)
        self.assertEqual(now.status, S.STATUS_NO_INFORMATION)
        self.assertEqual(parts["phl"].status, S.STATUS_IN_PROGRESS)
        self.assertEqual(parts["phl"].last_follow_up_as_of, "2025-03-01")
        self.assertEqual(parts["ken"].status, S.STATUS_NO_INFORMATION)
        self.assertEqual(parts["ken"].reported_status, S.STATUS_STALLED)
        self.assertEqual(now.pending_count, 1)
        # A late, back-dated report of phl's part leaves it as it is.
        self.report(SECRETARIAT, joint.id, S.STATUS_NOT_STARTED, "2025-01-15",
                    partner="phl")
        self.assertEqual(self.parts(self.get(joint.id))["phl"].status,
                         S.STATUS_IN_PROGRESS)
        # The lead's whole-pledge report moves the pledge's own status only.
        self.report(SECRETARIAT, joint.id, S.STATUS_IMPLEMENTED, "2025-06-30")
        now = self.get(joint.id)
        self.assertEqual(now.status, S.STATUS_IMPLEMENTED)
        self.assertEqual(self.parts(now)["phl"].status, S.STATUS_IN_PROGRESS)
        del kens

    def test_matching_pledges_and_filters(self):
        joint = self.create(actor_id="bgd", partner_ids=["ken"],
                            pledge_type=res.PLEDGE_TYPE_COMMON)
        match = self.create(actor_id="iom", matches_commitment_id=joint.id)
        self.assertEqual(match.pledge_type, res.PLEDGE_TYPE_MATCHING)
        self.assertEqual(list(self.get(joint.id).matched_by), [match.id])
        listed = self.call(SECRETARIAT, "ListCommitments",
                           pb.ListCommitmentsRequest(partner_id="ken",
                                                     page_size=100))
        self.assertIn(joint.id, [c.id for c in listed.commitments])
        self.assertNotIn(match.id, [c.id for c in listed.commitments])
        self.assertEqual(listed.total_size, len(listed.commitments))
        matching = self.call(SECRETARIAT, "ListCommitments",
                             pb.ListCommitmentsRequest(
                                 pledge_type=res.PLEDGE_TYPE_MATCHING))
        ids = [c.id for c in matching.commitments]
        self.assertIn(match.id, ids)
        self.assertNotIn(joint.id, ids)
        self.assertTrue(all(c.pledge_type == res.PLEDGE_TYPE_MATCHING
                            for c in matching.commitments))
        # Archived, it no longer matches.
        self.call(SECRETARIAT, "UpdateCommitment", pb.UpdateCommitmentRequest(
            commitment=res.Commitment(id=match.id, archived=True),
            update_mask=["archived"]))
        self.assertEqual(list(self.get(joint.id).matched_by), [])

    def test_refusals_name_the_field(self):
        cases = [
            (dict(actor_id="bgd", pledge_type=res.PLEDGE_TYPE_PARTNERSHIP),
             INVALID, "commitment.partner_ids: a partnership pledge names "
             "at least one partner"),
            (dict(actor_id="bgd", pledge_type=res.PLEDGE_TYPE_INDIVIDUAL,
                  partner_ids=["phl"]),
             INVALID, "commitment.partner_ids: an individual pledge has no "
             "partners"),
            (dict(actor_id="bgd", partner_ids=["bgd"]), INVALID,
             "commitment.partner_ids[0]: 'bgd' is the lead actor"),
            (dict(actor_id="bgd", partner_ids=["nobody"]), NOT_FOUND,
             "nobody"),
            (dict(actor_id="bgd", pledge_type=res.PLEDGE_TYPE_MATCHING),
             INVALID, "commitment.matches_commitment_id: a matching pledge "
             "names the pledge it matches"),
            (dict(actor_id="bgd", matches_commitment_id="C999"), NOT_FOUND,
             "C999"),
            (dict(actor_id="bgd", pledge_type=7), INVALID,
             "commitment.pledge_type: 7 is not a known PledgeType"),
        ]
        for fields, code, words in cases:
            with self.subTest(fields=fields):
                message = self.fails(code, SECRETARIAT, "CreateCommitment",
                                     pb.CreateCommitmentRequest(
                                         commitment=res.Commitment(
                                             title="Bad pledge", **fields)))
                self.assertIn(words, message)
        plain = self.create(actor_id="bgd")
        self.assertIn("'phl' is not a partner of %s, which has no partners" %
                      plain.id, self.fails(
                          INVALID, SECRETARIAT, "RecordFollowUp",
                          pb.RecordFollowUpRequest(follow_up=res.FollowUp(
                              subject_id=plain.id, partner_id="phl",
                              status=S.STATUS_IN_PROGRESS))))
        # A cycle of matches, made by an update.
        first = self.create(actor_id="bgd")
        second = self.create(actor_id="iom", matches_commitment_id=first.id)
        self.assertIn("cannot form a cycle", self.fails(
            INVALID, SECRETARIAT, "UpdateCommitment",
            pb.UpdateCommitmentRequest(
                commitment=res.Commitment(
                    id=first.id, pledge_type=res.PLEDGE_TYPE_MATCHING,
                    matches_commitment_id=second.id),
                update_mask=["pledge_type", "matches_commitment_id"])))

    def test_cli_shows_and_reports_parts(self):
        env = rtharness.cli_env(RECTRACK_TOKEN=SECRETARIAT)
        made = self.cli("commit", "add", "--actor", "bgd", "--title",
                        "Joint pledge", "--kind", "data", "--partner", "phl", "--partner",
                        "ken", "--pledge-type", "common", "--output", "json",
                        env=env)
        self.assertEqual(made.code, 0, made)
        cid = made.json()["id"]
        phl = rtharness.cli_env(RECTRACK_TOKEN=MOI_PHL)
        done = self.cli("follow-up", cid, "--status", "in-progress",
                        "--as-of", "2025-05-01", env=phl)
        self.assertEqual(done.code, 0, done)
        refused = self.cli("follow-up", cid, "--status", "stalled",
                           "--partner", "ken", env=phl)
        self.assertEqual(refused.code, 6, refused)
        self.assertIn("the part of ken in %s" % cid, refused.err)
        bad = self.cli("follow-up", cid, "--status", "stalled", "--partner",
                       "Not A Slug", env=env)
        self.assertEqual(bad.code, 4, bad)
        self.assertIn("--partner", bad.err)
        shown = self.cli("commit", "show", cid, env=env)
        self.assertEqual(shown.code, 0, shown)
        self.assertIn("Common pledge of BGD ministry, with 2 partners.",
                      shown.out)
        self.assertRegex(shown.out, r"phl +partner +no information \(reported "
                         r"in-progress as of 2025-05-01, awaiting validation\)")
        listed = self.cli("commit", "list", "--partner", "ken", "--output",
                          "json", env=env)
        self.assertEqual(listed.code, 0, listed)
        self.assertIn(cid, [c["id"] for c in listed.json()["commitments"]])

    def test_import_carries_pledges_and_names_bad_rows(self):
        env = rtharness.cli_env(RECTRACK_TOKEN=SECRETARIAT)
        good = {
            "format": "rectrack-import/1",
            "commitments": [
                {"key": "joint", "actor_id": "bgd", "title": "Imported partnership",
                 "kind": "data", "pledge_type": "partnership",
                 "partner_ids": ["phl"]},
                {"key": "answer", "actor_id": "iom", "title": "Answer",
                 "kind": "funding", "matches": "joint"},
            ],
            "follow_ups": [
                {"subject": "joint", "partner": "phl", "status": "stalled",
                 "as_of": "2025-02-01"},
            ],
        }
        path = os.path.join(self.tmp, "pledges.json")
        with open(path, "w") as f:
            json.dump(good, f)
        done = self.cli("import", path, env=env)
        self.assertEqual(done.code, 0, done)
        listed = self.call(SECRETARIAT, "ListCommitments",
                           pb.ListCommitmentsRequest(partner_id="phl",
                                                     query="imported"))
        self.assertEqual(len(listed.commitments), 1)
        joint = self.get(listed.commitments[0].id)
        self.assertEqual(self.parts(joint)["phl"].status, S.STATUS_STALLED)
        self.assertEqual(len(joint.matched_by), 1)
        answer = self.get(joint.matched_by[0])
        self.assertEqual(answer.matches_commitment_id, joint.id)
        # The export carries them back.
        out = os.path.join(self.tmp, "back.json")
        exported = self.cli("export", out, env=env)
        self.assertEqual(exported.code, 0, exported)
        with open(out) as f:
            back = json.load(f)
        rows = {c["key"]: c for c in back["commitments"]}
        self.assertEqual(rows[joint.id]["partner_ids"], ["phl"])
        self.assertEqual(rows[joint.id]["pledge_type"], "partnership")
        self.assertEqual(rows[answer.id]["matches"], joint.id)
        self.assertIn({"subject": joint.id, "partner": "phl"},
                      [{k: f[k] for k in ("subject", "partner") if k in f}
                       for f in back["follow_ups"]])
        # Bad spellings are refused when the file is read, with the row.
        bad = {"format": "rectrack-import/1", "commitments": [
            {"key": "x", "actor_id": "bgd", "title": "X", "kind": "data",
             "pledge_type": "joint"},
            {"key": "y", "actor_id": "bgd", "title": "Y", "kind": "data",
             "matches": "nowhere"}]}
        with open(path, "w") as f:
            json.dump(bad, f)
        refused = self.cli("import", path, env=env)
        self.assertNotEqual(refused.code, 0)
        self.assertIn('commitments[0].pledge_type: "joint" is not one of',
                      refused.err)
        self.assertIn('commitments[1].matches: no commitment has key '
                      '"nowhere"', refused.err)
        # A rule the server checks is refused with the row named.
        bad = {"format": "rectrack-import/1", "commitments": [
            {"key": "z", "actor_id": "bgd", "title": "Z", "kind": "data",
             "pledge_type": "individual", "partner_ids": ["ken"]}]}
        with open(path, "w") as f:
            json.dump(bad, f)
        refused = self.cli("import", path, env=env)
        self.assertNotEqual(refused.code, 0)
        self.assertIn("commitments[0]", refused.err)
        self.assertIn("an individual pledge has no partners", refused.err)


if __name__ == "__main__":
    unittest.main()
