"""End-to-end: the CLI's transport-level behaviour and the commands that
need no data: completion scripts load in bash, `version`, and the exit
codes of failures a real rectrackd cannot be made to produce on demand,
from a small stock grpcio server that answers every call with a chosen
status (UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED, a late reply),
which also shows what metadata the CLI sent."""

import os
import shutil
import subprocess
import tempfile
import threading
import unittest
from concurrent import futures

import grpc

import rtharness
from rtharness import cli_env, run_cli


class FakeServer(grpc.GenericRpcHandler):
    """Answers by method name; unknown methods get UNIMPLEMENTED."""

    def __init__(self):
        self.release = threading.Event()

    def service(self, details):
        method = details.method.rsplit("/", 1)[-1]
        metadata = dict(details.invocation_metadata)

        def unary(request, context):
            if method == "GetRecommendation":
                context.abort(grpc.StatusCode.UNAUTHENTICATED,
                              "token=%s user=%s" % (
                                  metadata.get("authorization"),
                                  metadata.get("x-rectrack-user")))
            if method == "GetActor":
                context.abort(grpc.StatusCode.PERMISSION_DENIED,
                              "not for you: d\u00e9j\u00e0 vu 100%")
            if method == "GetSource":
                self.release.wait(30)  # longer than the CLI's --timeout
                return b""
            context.abort(grpc.StatusCode.INTERNAL, "unexpected")

        if method in ("GetRecommendation", "GetActor", "GetSource",
                      "GetServerInfo"):
            return grpc.unary_unary_rpc_method_handler(unary)
        return None


class TransportFailures(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.handler = FakeServer()
        cls.grpc_server = grpc.server(futures.ThreadPoolExecutor(4))
        cls.grpc_server.add_generic_rpc_handlers((cls.handler,))
        cls.port = cls.grpc_server.add_insecure_port("127.0.0.1:0")
        cls.grpc_server.start()
        cls.address = "127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.handler.release.set()
        cls.grpc_server.stop(None)

    def test_unauthenticated_exits_6_and_metadata_is_sent(self):
        result = run_cli("--token", "s3cret", "--user", "erin", "rec",
                         "show", "R1", server=self.address)
        self.assertEqual(result.code, 6, repr(result))
        self.assertIn("token=Bearer s3cret user=erin", result.err)
        self.assertIn("UNAUTHENTICATED", result.err)
        env = cli_env(RECTRACK_TOKEN="from-env")
        result = run_cli("rec", "show", "R1", server=self.address, env=env)
        self.assertIn("token=Bearer from-env user=None", result.err)

    def test_permission_denied_exits_6_with_decoded_message(self):
        result = run_cli("actor", "show", "x", server=self.address)
        self.assertEqual(result.code, 6, repr(result))
        self.assertIn("not for you: d\u00e9j\u00e0 vu 100%", result.err)

    def test_unimplemented_review_is_said_clearly(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "review.html")
            result = run_cli("review", "--from", "2024-01-01", "--to",
                             "2024-12-31", "-o", out, server=self.address)
            self.assertEqual(result.code, 1, repr(result))
            self.assertIn("does not implement review export", result.err)
            self.assertEqual(os.listdir(tmp), [])

    def test_deadline_exits_7(self):
        result = run_cli("--timeout", "300ms", "source", "show", "x",
                         server=self.address)
        self.assertEqual(result.code, 7, repr(result))
        self.assertIn("deadline", result.err.lower())

    def test_nothing_listening_exits_7_naming_the_address(self):
        result = run_cli("status", server="127.0.0.1:1")
        self.assertEqual(result.code, 7, repr(result))
        self.assertIn("127.0.0.1:1", result.err)
        bad = run_cli("status", server="no-port")
        self.assertEqual(bad.code, 2, repr(bad))
        self.assertIn("--server", bad.err)


class Completion(unittest.TestCase):

    def test_bash_completion_loads_and_completes(self):
        bash = shutil.which("bash")
        if bash is None:
            self.skipTest("no bash")
        script = (
            'source <("$RT" completion bash) || exit 3\n'
            'complete -p rectrack >/dev/null || exit 4\n'
            'COMP_WORDS=(rectrack re); COMP_CWORD=1; _rectrack\n'
            'echo "top:${COMPREPLY[*]}"\n'
            'COMP_WORDS=(rectrack rec ""); COMP_CWORD=2; _rectrack\n'
            'echo "rec:${COMPREPLY[*]}"\n'
            'COMP_WORDS=(rectrack rec list --status in); COMP_CWORD=4;'
            ' _rectrack\n'
            'echo "status:${COMPREPLY[*]}"\n'
            'COMP_WORDS=(rectrack rec list --over); COMP_CWORD=3; _rectrack\n'
            'echo "flag:${COMPREPLY[*]}"\n'
            'COMP_WORDS=(rectrack follow-up R1 --st); COMP_CWORD=3;'
            ' _rectrack\n'
            'echo "single:${COMPREPLY[*]}"\n')
        env = cli_env(RT=rtharness.program("rectrack"))
        proc = subprocess.run([bash, "-c", script], capture_output=True,
                              text=True, env=env, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = dict(line.split(":", 1) for line in proc.stdout.splitlines())
        self.assertEqual(sorted(lines["top"].split()),
                         ["rec", "ref", "return", "review"])
        self.assertEqual(set(lines["rec"].split()),
                         {"add", "show", "list", "edit", "archive", "link",
                          "unlink"})
        self.assertEqual(lines["status"], "in-progress")
        self.assertEqual(lines["flag"], "--overdue")
        self.assertEqual(lines["single"], "--status")

    def test_zsh_script_and_unknown_shell(self):
        zsh = run_cli("completion", "zsh")
        self.assertEqual(zsh.code, 0, repr(zsh))
        self.assertIn("bashcompinit", zsh.out)
        self.assertIn("complete -F _rectrack_bash rectrack", zsh.out)
        # autoloaded by compinit, the file completes the first Tab too
        self.assertIn("_bash_complete -F _rectrack_bash", zsh.out)
        fish = run_cli("completion", "fish")
        self.assertEqual(fish.code, 2, repr(fish))

    def test_version(self):
        result = run_cli("version")
        self.assertEqual(result.code, 0)
        self.assertRegex(result.out, r"^rectrack \d+\.\d+\.\d+\n$")
        self.assertEqual(run_cli("--version").out, result.out)


if __name__ == "__main__":
    rtharness.main()
