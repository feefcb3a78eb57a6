"""Starts and stops a real rectrackd for the Tracker end-to-end tests.

RtServer runs the rectrackd binary (from --rectrackd PATH on the command
line or the RECTRACKD environment variable) on 127.0.0.1:0 with a fresh
temporary --data-dir, learns the port it printed on stdout, and always
stops it with SIGTERM, checking that it exits with status 0 (so that a
sanitizer report or a crash at shutdown fails the test), then removes the
directory. TrackerTestCase gives each test class its own server.
"""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

from rectrack.v1 import resources_pb2 as res  # noqa: F401 (re-exported)
from rectrack.v1 import tracker_pb2 as pb  # noqa: F401
from rectrack.v1 import tracker_pb2_grpc as pb_grpc

RECTRACKD = os.environ.get("RECTRACKD", "")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
# "127.0.0.1:41234", "[::1]:41234" or "port 41234" on a line of stdout.
PORT_PATTERN = re.compile(r"(?:127\.0\.0\.1|localhost|\]|port)[: ](\d+)\b")


def _die_with_parent():
    """In the child: SIGTERM it if the test process dies first (a ctest
    timeout kills the test with SIGKILL; the server must not outlive it)."""
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class RtServer:
    """One rectrackd process on a loopback port and a data directory."""

    def __init__(self, data_dir=None, extra_args=()):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="rt-e2e-tracker-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.terminated = False
        self.port = None
        self.output = []

    def start(self):
        if not RECTRACKD:
            raise RuntimeError("set RECTRACKD or pass --rectrackd PATH")
        self.proc = subprocess.Popen(
            [RECTRACKD, "--listen", "127.0.0.1:0", "--data-dir",
             self.data_dir] + self.extra_args,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=_die_with_parent)
        found = threading.Event()

        def read_output():
            for line in self.proc.stdout:
                self.output.append(line)
                match = PORT_PATTERN.search(line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                    found.set()
            found.set()

        self.reader = threading.Thread(target=read_output, daemon=True)
        self.reader.start()
        if not found.wait(START_TIMEOUT_S) or self.port is None:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("rectrackd did not print its port:\n" +
                               "".join(self.output))
        return self

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def channel(self):
        return grpc.insecure_channel(
            self.address,
            options=[("grpc.max_send_message_length", 16 << 20),
                     ("grpc.max_receive_message_length", 16 << 20)])

    def terminate(self):
        """Sends SIGTERM once (a graceful shutdown starts)."""
        if self.proc is not None and not self.terminated:
            self.terminated = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM, wait, return the exit status (None if not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.terminate()
        try:
            status = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.reader.join(5)
        self.proc.stdout.close()
        self.proc = None
        self.terminated = False
        return status

    def cleanup(self):
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


class TrackerTestCase(unittest.TestCase):
    """A server per test class; its cleanup asserts a clean exit."""

    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = RtServer().start()
        # A class cleanup runs even when a subclass's setUpClass fails
        # after this point (tearDownClass would not): the server is always
        # stopped and its directory removed.
        cls.addClassCleanup(cls.stop_server)
        cls.chan = cls.server.channel()
        cls.stub = pb_grpc.TrackerStub(cls.chan)

    @classmethod
    def stop_server(cls):
        if getattr(cls, "chan", None) is not None:
            cls.chan.close()
        status = cls.server.stop()
        output = "".join(cls.server.output)
        cls.server.cleanup()
        if status != 0:
            raise AssertionError("rectrackd exited with %r:\n%s" %
                                 (status, output[-4000:]))

    def assert_rpc_error(self, code, fragment, fn, *args, **kwargs):
        """Calls fn and checks the gRPC status code and message."""
        with self.assertRaises(grpc.RpcError) as caught:
            fn(*args, **kwargs)
        error = caught.exception
        self.assertEqual(error.code(), code, error.details())
        if fragment is not None:
            self.assertIn(fragment, error.details() or "")
        return error


_counter = [0]
_counter_lock = threading.Lock()


def unique(prefix):
    """A slug nobody else in this process used."""
    with _counter_lock:
        _counter[0] += 1
        return "%s-%d-%d" % (prefix, os.getpid() % 10000, _counter[0])


def make_source(stub, slug=None, **fields):
    source = res.Source(id=slug or unique("src"), title="Dialogue session",
                        kind=res.SOURCE_KIND_DIALOGUE, date="2023-05-16",
                        location="New York", **fields)
    return stub.CreateSource(pb.CreateSourceRequest(source=source))


def make_actor(stub, slug=None, **fields):
    fields.setdefault("country", "BGD")
    actor = res.Actor(id=slug or unique("act"), name="Bangladesh",
                      kind=res.ACTOR_KIND_MEMBER_STATE, **fields)
    return stub.CreateActor(pb.CreateActorRequest(actor=actor))


def recommendation(source_id, **fields):
    fields.setdefault("title", "Lower remittance costs")
    fields.setdefault("sdg_targets", ["10.c"])
    fields.setdefault("gcm_objectives", [20])
    fields.setdefault("text", "Bring costs below 3 per cent.")
    fields.setdefault("theme", "remittances")
    return res.Recommendation(source_id=source_id, source_ref="4.5 #2",
                              **fields)


def wait_for(predicate, timeout_s=60, what="condition"):
    """Polls predicate until true; generous timeout for loaded machines."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def main():
    """unittest.main, after taking --rectrackd PATH off the command line."""
    global RECTRACKD
    argv = list(sys.argv)
    if "--rectrackd" in argv:
        i = argv.index("--rectrackd")
        RECTRACKD = argv[i + 1]
        del argv[i:i + 2]
    unittest.main(argv=argv, verbosity=2)
