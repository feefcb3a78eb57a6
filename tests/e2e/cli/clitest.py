"""Shared pieces of the rectrack CLI end-to-end tests.

Server runs the real rectrackd (--rectrackd PATH) on 127.0.0.1:0 with a
fresh temporary data directory, reads the port from its "listening on"
line, and always stops it with SIGTERM (checking it exits 0, so that a
sanitizer report at shutdown fails the test) and removes the directory.
CliTestCase gives each test class its own server and a `run` method that
runs the rectrack binary (--rectrack PATH) against it with a clean
environment (no user config, no colour, an 80-column terminal).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

RECTRACKD = ""
RECTRACK = ""
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
RUN_TIMEOUT_S = 120
PORT_PATTERN = re.compile(r"listening on \S*?:(\d+)")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
DEMO_JSON = os.path.join(ROOT, "data", "demo.json")


class Server:
    """One rectrackd process on a loopback port."""

    def __init__(self, data_dir=None, extra_args=()):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="rt-e2e-cli-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.output = []

    def start(self):
        self.proc = subprocess.Popen(
            [RECTRACKD, "--listen", "127.0.0.1:0", "--data-dir",
             os.path.join(self.data_dir, "data")] + self.extra_args,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found = threading.Event()

        def read_output():
            for line in self.proc.stdout:
                self.output.append(line)
                match = PORT_PATTERN.search(line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                    found.set()
            found.set()

        threading.Thread(target=read_output, daemon=True).start()
        if not found.wait(START_TIMEOUT_S) or self.port is None:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("rectrackd did not print its port:\n" +
                               "".join(self.output))
        return self

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        status = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                status = self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                status = "killed"
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        return status


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.code, self.out,
                                                      self.err)


def clean_env(**extra):
    """An environment without the user's rectrack settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RECTRACK_") and k not in ("NO_COLOR",
                                                           "COLUMNS")}
    env["RECTRACK_CONFIG"] = os.devnull
    env["COLUMNS"] = "80"
    env.update(extra)
    return env


def run_cli(args, server=None, env=None, input_text=None, timeout=None):
    argv = [RECTRACK]
    if server is not None:
        argv += ["--server", server]
    proc = subprocess.run(argv + list(args), capture_output=True, text=True,
                          env=env if env is not None else clean_env(),
                          input=input_text, timeout=timeout or RUN_TIMEOUT_S)
    return Result(proc)


class CliTestCase(unittest.TestCase):
    """A test class with its own server and scratch directory."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.tmp = tempfile.mkdtemp(prefix="rt-e2e-cli-files-")

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if status != 0:
            raise AssertionError("rectrackd exited with %s:\n%s" %
                                 (status, "".join(cls.server.output[-40:])))

    def run_cli(self, *args, env=None, **kwargs):
        return run_cli(args, server=self.server.address, env=env, **kwargs)

    def ok(self, *args, **kwargs):
        result = self.run_cli(*args, **kwargs)
        self.assertEqual(result.code, 0, repr(result))
        return result

    def fails(self, code, *args, **kwargs):
        result = self.run_cli(*args, **kwargs)
        self.assertEqual(result.code, code, repr(result))
        self.assertTrue(result.err.startswith("rectrack: "), repr(result))
        return result

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)


def main():
    global RECTRACKD, RECTRACK
    args = sys.argv[1:]
    rest = [sys.argv[0]]
    i = 0
    while i < len(args):
        if args[i] == "--rectrackd":
            RECTRACKD = args[i + 1]
            i += 2
        elif args[i] == "--rectrack":
            RECTRACK = args[i + 1]
            i += 2
        else:
            rest.append(args[i])
            i += 1
    RECTRACKD = RECTRACKD or os.environ.get("RECTRACKD", "")
    RECTRACK = RECTRACK or os.environ.get("RECTRACK", "")
    if not RECTRACKD or not RECTRACK:
        sys.exit("usage: test.py --rectrackd PATH --rectrack PATH")
    unittest.main(argv=rest, verbosity=2)
