"""Tracker end-to-end: bearer-token authentication (--tokens-file) and the
daemon's start and stop paths.

A real rectrackd with a tokens file: calls without a token or with an
unknown one are UNAUTHENTICATED, a reader calling a write RPC is
PERMISSION_DENIED, a writer's changes are recorded under the token's
principal (recorded_by, updated_by, WatchChanges' principal), Health
needs no token, SIGHUP reloads the file. rectrack-admin
makes the tokens. Also: without a tokens file the server warns that the
API is open; a burst of SIGTERMs during shutdown still ends with exit 0;
a data directory that cannot be opened, a bad tokens file, a port in use
each end the start with a one-line message and a non-zero status.
"""

import hashlib
import os
import shutil
import signal
import socket
import stat
import tempfile
import unittest

import grpc

import rtharness
from rtharness import bearer, pb, res, recommendation, token_line

READER_TOKEN = "reader-token-0123456789abcdef0123456789abcdef"
WRITER_TOKEN = "writer-token-0123456789abcdef0123456789abcdef"


def health_check(channel):
    """grpc.health.v1.Health/Check for the whole server, without stubs:
    the empty request, and SERVING is the bytes 08 01."""
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=None,
                                response_deserializer=None)
    return check(b"", timeout=30)


class AuthTest(rtharness.ServerTestCase):
    """One server with a reader and a writer token."""

    server_tokens = [(READER_TOKEN, "partner-reader", "reader"),
                     (WRITER_TOKEN, "secretariat", "writer")]

    def test_a_call_without_a_token_is_unauthenticated(self):
        self.assert_rpc_error(grpc.StatusCode.UNAUTHENTICATED,
                              "missing bearer token", self.stub.GetServerInfo,
                              pb.GetServerInfoRequest())
        self.assert_rpc_error(grpc.StatusCode.UNAUTHENTICATED,
                              "missing bearer token", self.stub.GetServerInfo,
                              pb.GetServerInfoRequest(),
                              metadata=(("authorization", "Basic eDp5"),))

    def test_an_unknown_token_is_unauthenticated(self):
        self.assert_rpc_error(grpc.StatusCode.UNAUTHENTICATED, "unknown token",
                              self.stub.ListSources, pb.ListSourcesRequest(),
                              metadata=bearer(WRITER_TOKEN + "x"))

    def test_a_reader_reads_but_may_not_write(self):
        info = self.stub.GetServerInfo(pb.GetServerInfoRequest(),
                                       metadata=bearer(READER_TOKEN))
        self.assertTrue(info.version)
        error = self.assert_rpc_error(
            grpc.StatusCode.PERMISSION_DENIED, "CreateSource",
            self.stub.CreateSource,
            pb.CreateSourceRequest(source=res.Source(id="src-denied",
                                                     title="No")),
            metadata=bearer(READER_TOKEN))
        self.assertIn("reader", error.details())
        self.assertIn("secretariat", error.details())
        self.assert_rpc_error(grpc.StatusCode.NOT_FOUND, None,
                              self.stub.GetSource,
                              pb.GetSourceRequest(id="src-denied"),
                              metadata=bearer(WRITER_TOKEN))

    def test_a_writer_is_recorded_as_the_tokens_principal(self):
        watch = self.stub.WatchChanges(pb.WatchChangesRequest(from_revision=1),
                                       metadata=bearer(READER_TOKEN))
        try:
            source = self.stub.CreateSource(pb.CreateSourceRequest(
                source=res.Source(id=rtharness.unique("src"),
                                  title="Dialogue")),
                metadata=bearer(WRITER_TOKEN))
            rec = self.stub.CreateRecommendation(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id)),
                metadata=bearer(WRITER_TOKEN))
            self.assertEqual(rec.updated_by, "secretariat")
            report = self.stub.RecordFollowUp(pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(subject_id=rec.id,
                                       status=res.STATUS_IN_PROGRESS)),
                metadata=bearer(WRITER_TOKEN))
            self.assertEqual(report.recorded_by, "secretariat")
            seen = {}
            for event in watch:
                seen[event.subject_id] = event.principal
                if rec.id in seen and event.revision >= report.revision:
                    break
            self.assertEqual(seen[source.id], "secretariat")
            self.assertEqual(seen[rec.id], "secretariat")
        finally:
            watch.cancel()

    def test_x_rectrack_user_must_match_the_token(self):
        metadata = bearer(WRITER_TOKEN) + (("x-rectrack-user", "mallory"),)
        error = self.assert_rpc_error(
            grpc.StatusCode.PERMISSION_DENIED, "mallory",
            self.stub.CreateSource,
            pb.CreateSourceRequest(source=res.Source(id=rtharness.unique("s"),
                                                     title="Spoofed")),
            metadata=metadata)
        self.assertIn("secretariat", error.details())
        same = bearer(WRITER_TOKEN) + (("x-rectrack-user", "secretariat"),)
        created = self.stub.CreateSource(
            pb.CreateSourceRequest(source=res.Source(id=rtharness.unique("s"),
                                                     title="Same")),
            metadata=same)
        self.assertEqual(created.title, "Same")

    def test_health_needs_no_token(self):
        self.assertEqual(health_check(self.chan), b"\x08\x01")

    def test_sighup_reloads_the_tokens_file(self):
        late = "late-token-0123456789abcdef0123456789abcdef"
        self.assert_rpc_error(grpc.StatusCode.UNAUTHENTICATED, "unknown token",
                              self.stub.GetServerInfo,
                              pb.GetServerInfoRequest(), metadata=bearer(late))
        self.server.add_token(late, "late-reader", "reader")
        self.server.signal(signal.SIGHUP)

        def accepted():
            try:
                self.stub.GetServerInfo(pb.GetServerInfoRequest(),
                                        metadata=bearer(late))
                return True
            except grpc.RpcError as error:
                self.assertEqual(error.code(),
                                 grpc.StatusCode.UNAUTHENTICATED)
                return False
        rtharness.wait_for(accepted, "the reloaded token")
        self.assertTrue(self.server.running)


class AdminTokenTest(unittest.TestCase):
    """rectrack-admin token add/list, and the server accepting its tokens."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rt-e2e-admin-token-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.tokens = os.path.join(self.tmp, "tokens")

    def admin(self, *args):
        return rtharness.admin("token", *args)

    def test_add_creates_a_private_file_and_prints_the_token_once(self):
        added = self.admin("add", "--tokens-file", self.tokens,
                           "--principal", "alice", "--role", "writer")
        self.assertEqual(added.code, 0, added.err)
        token = added.out.strip()
        self.assertEqual(len(token), 43)
        self.assertEqual(stat.S_IMODE(os.stat(self.tokens).st_mode), 0o600)
        with open(self.tokens) as f:
            content = f.read()
        self.assertNotIn(token, content)
        self.assertIn(hashlib.sha256(token.encode()).hexdigest() +
                      " alice secretariat\n", content)
        second = self.admin("add", "--tokens-file", self.tokens,
                            "--principal", "bob", "--role", "reader")
        self.assertEqual(second.code, 0, second.err)
        self.assertNotEqual(second.out.strip(), token)
        listed = self.admin("list", "--tokens-file", self.tokens)
        self.assertEqual(listed.code, 0, listed.err)
        self.assertRegex(listed.out, r"alice\s+secretariat")
        self.assertRegex(listed.out, r"bob\s+reader")
        self.assertNotIn(token, listed.out)
        self.assertNotIn(second.out.strip(), listed.out)

    def test_bad_arguments_are_usage_errors(self):
        for args in (["add", "--tokens-file", self.tokens, "--principal",
                      "a b", "--role", "writer"],
                     ["add", "--tokens-file", self.tokens, "--principal",
                      "alice", "--role", "boss"],
                     ["list"], ["remove", "--tokens-file", self.tokens]):
            result = self.admin(*args)
            self.assertEqual(result.code, 2, (args, result.err))
        self.assertFalse(os.path.exists(self.tokens))

    def test_the_server_accepts_a_token_made_by_admin(self):
        added = self.admin("add", "--tokens-file", self.tokens,
                           "--principal", "ops", "--role", "writer")
        self.assertEqual(added.code, 0, added.err)
        with rtharness.Server("--tokens-file", self.tokens) as server:
            stub = server.stub()
            token = bearer(added.out.strip())
            source = stub.CreateSource(pb.CreateSourceRequest(
                source=res.Source(id="admin-made", title="By ops")),
                metadata=token)
            rec = stub.CreateRecommendation(
                pb.CreateRecommendationRequest(
                    recommendation=recommendation(source.id)),
                metadata=token)
            self.assertEqual(rec.updated_by, "ops")


class DaemonLifecycleTest(unittest.TestCase):
    """Start and stop paths of rectrackd outside the Tracker's calls."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rt-e2e-daemon-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_an_open_server_warns_at_start(self):
        with rtharness.Server() as server:
            server.wait_for_log("API is open")

    def test_signals_during_shutdown_still_exit_zero(self):
        with rtharness.Server() as server:
            # Keep signalling until the process is gone: some of these
            # arrive while it tears down, after its signal handles closed.
            while server.signal(signal.SIGTERM):
                server.wait(0.001)
            self.assertEqual(server.stop(), 0)

    def assert_start_fails(self, args, fragment):
        """rectrackd with args must refuse to start: no readiness line,
        one "rectrackd: " line naming fragment, a non-zero status."""
        result = rtharness.run("rectrackd", "--listen", "127.0.0.1:0", *args)
        self.assertNotEqual(result.code, 0, result)
        self.assertNotIn("listening on", result.out)
        lines = result.err.strip().splitlines()
        self.assertEqual(len([l for l in lines if l.startswith("rectrackd: ")]),
                         1, result.err)
        self.assertIn(fragment, result.err)
        return result

    def test_a_data_dir_that_is_a_file_is_refused(self):
        path = os.path.join(self.tmp, "file")
        open(path, "w").close()
        self.assert_start_fails(["--data-dir", path],
                                "cannot open the data directory " + path)

    def test_a_data_dir_with_a_foreign_file_is_refused(self):
        path = os.path.join(self.tmp, "foreign")
        os.mkdir(path)
        with open(os.path.join(path, "data.mdb"), "wb") as f:
            f.write(b"not an LMDB file" * 512)
        self.assert_start_fails(["--data-dir", path],
                                "cannot open the data directory " + path)

    def test_a_bad_tokens_file_is_refused_naming_the_line(self):
        tokens = os.path.join(self.tmp, "tokens")
        with open(tokens, "w") as f:
            f.write(token_line(WRITER_TOKEN, "ok", "writer"))
            f.write(token_line(READER_TOKEN, "x", "boss"))
        os.chmod(tokens, 0o600)
        self.assert_start_fails(
            ["--data-dir", os.path.join(self.tmp, "d"), "--tokens-file",
             tokens], tokens + ":2: role \"boss\"")
        os.chmod(tokens, 0o622)
        self.assert_start_fails(
            ["--data-dir", os.path.join(self.tmp, "d"), "--tokens-file",
             tokens], "writable by group or others")
        self.assert_start_fails(
            ["--data-dir", os.path.join(self.tmp, "d"), "--tokens-file",
             tokens + ".missing"], "cannot read the tokens file")

    def test_a_port_in_use_is_refused(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            result = rtharness.run(
                "rectrackd", "--listen", "127.0.0.1:%d" % port,
                "--data-dir", os.path.join(self.tmp, "d"))
        self.assertEqual(result.code, 1, result)
        self.assertIn("cannot listen on 127.0.0.1:%d: address already in use"
                      % port, result.err)


if __name__ == "__main__":
    rtharness.main()
