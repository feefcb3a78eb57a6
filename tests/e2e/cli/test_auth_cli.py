"""CLI end-to-end: the rectrack CLI against a rectrackd that requires
bearer tokens (--tokens-file). --token and RECTRACK_TOKEN are sent as
`authorization: Bearer`; a missing or unknown token and a reader's write
exit 6; the writer's principal is who the change is recorded as."""

import hashlib
import os
import subprocess
import threading

import clitest
from clitest import CliTestCase, clean_env

READER = "cli-reader-token-0123456789abcdef0123456789"
WRITER = "cli-writer-token-0123456789abcdef0123456789"


class TokenServer(clitest.Server):
    """clitest.Server with --tokens-file FILE."""

    def __init__(self, tokens_file):
        super().__init__()
        self.tokens_file = tokens_file

    def start(self):
        self.proc = subprocess.Popen(
            [clitest.RECTRACKD, "--listen", "127.0.0.1:0", "--data-dir",
             os.path.join(self.data_dir, "data"), "--tokens-file",
             self.tokens_file],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found = threading.Event()

        def read_output():
            for line in self.proc.stdout:
                self.output.append(line)
                match = clitest.PORT_PATTERN.search(line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                    found.set()
            found.set()

        threading.Thread(target=read_output, daemon=True).start()
        if not found.wait(clitest.START_TIMEOUT_S) or self.port is None:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("rectrackd did not start:\n" +
                               "".join(self.output))
        return self


class AuthCliTest(CliTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = clitest.tempfile.mkdtemp(prefix="rt-e2e-cli-auth-")
        tokens = os.path.join(cls.tmp, "tokens")
        with open(tokens, "w") as f:
            for token, principal, role in ((READER, "partner", "reader"),
                                           (WRITER, "secretariat", "writer")):
                f.write("%s %s %s\n" % (hashlib.sha256(
                    token.encode()).hexdigest(), principal, role))
        os.chmod(tokens, 0o600)
        cls.server = TokenServer(tokens).start()

    def test_a_writer_token_works_and_names_who_changed_it(self):
        self.ok("--token", WRITER, "source", "add", "auth-src", "--title",
                "Dialogue", "--kind", "dialogue", "--date", "2023-03-30")
        added = self.ok("--token", WRITER, "--output", "json", "rec", "add",
                        "--source", "auth-src", "--title", "Tokens")
        self.assertEqual(added.json()["updated_by"], "secretariat")
        shown = self.ok("source", "show", "auth-src",
                        env=clean_env(RECTRACK_TOKEN=READER))
        self.assertIn("Dialogue", shown.out)

    def test_a_missing_or_unknown_token_exits_6(self):
        result = self.fails(6, "source", "list")
        self.assertIn("missing bearer token", result.err)
        result = self.fails(6, "--token", WRITER + "x", "source", "list")
        self.assertIn("unknown token", result.err)
        self.assertIn("UNAUTHENTICATED", result.err)

    def test_a_reader_may_not_write(self):
        result = self.fails(6, "--token", READER, "source", "add", "nope",
                            "--title", "No", "--kind", "dialogue")
        self.assertIn("PERMISSION_DENIED", result.err)
        self.assertIn("reader", result.err)


if __name__ == "__main__":
    clitest.main()
