"""CLI end-to-end: the rectrack CLI against a rectrackd that requires
bearer tokens (--tokens-file). --token and RECTRACK_TOKEN are sent as
`authorization: Bearer`; a missing or unknown token and a reader's write
exit 6; the writer's principal is who the change is recorded as."""

import rtharness
from rtharness import cli_env

READER = "cli-reader-token-0123456789abcdef0123456789"
WRITER = "cli-writer-token-0123456789abcdef0123456789"


class AuthCliTest(rtharness.ServerTestCase):

    server_tokens = [(READER, "partner", "reader"),
                     (WRITER, "secretariat", "writer")]

    def test_a_writer_token_works_and_names_who_changed_it(self):
        self.ok("--token", WRITER, "source", "add", "auth-src", "--title",
                "Dialogue", "--kind", "dialogue", "--date", "2023-03-30")
        added = self.ok("--token", WRITER, "--output", "json", "rec", "add",
                        "--source", "auth-src", "--title", "Tokens")
        self.assertEqual(added.json()["updated_by"], "secretariat")
        shown = self.ok("source", "show", "auth-src",
                        env=cli_env(RECTRACK_TOKEN=READER))
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
    rtharness.main()
