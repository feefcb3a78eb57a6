"""The one harness of the end-to-end tests: built programs, servers, clients.

Every test under tests/e2e imports this module (`import rtharness`) and
gets its servers from it, so that all of them start, wait and stop the
same way:

- Server runs rectrackd (or rt_test_server) on 127.0.0.1:0 with a fresh
  temporary data directory, reads the real address from the line
  `rectrackd listening on HOST:PORT` it prints on stdout once it accepts
  connections, and keeps everything it prints (stdout and stderr, in
  order) as its log. stop() sends SIGTERM and requires exit status 0, so
  that a crash or a sanitizer report at shutdown fails the test. A server
  never outlives the test: the context manager, unittest class cleanups
  and an atexit hook stop or kill it, and the kernel kills it with SIGKILL
  if the test process itself dies (PR_SET_PDEATHSIG; the "parent" is the
  thread that started it, so start servers from the main thread).
- run(), run_cli() and admin() run the other programs and return a Result
  (code, out, err); the CLI gets an environment free of the user's
  rectrack settings (cli_env()).
- ServerTestCase gives a unittest class its own server, a grpcio Tracker
  stub and the CLI; the make_* helpers create Tracker test data.
- TestCA makes a certificate authority and server certificates with the
  openssl CLI; Server(tls=...) serves TLS with one, and its channel() and
  cli() then speak TLS and trust that CA.
- Server(http=True) also starts the HTTP listener (--http-listen
  127.0.0.1:0); its port comes from the line `rectrackd http listening
  on HOST:PORT`, printed before the gRPC one, and http_get() asks it
  (HTTPS trusting the test CA with tls).

Every wait is bounded (PATIENCE) and only a failure waits that long: the
tests run on loaded machines, and a slow machine must not fail them.

The environment, set by tests/e2e/CMakeLists.txt for every test:
  RT_RECTRACKD, RT_RECTRACK, RT_RECTRACK_ADMIN, RT_TEST_SERVER,
  RT_INTEROP_CLIENT   the built programs (or RT_BUILD_DIR: a build tree
                      to find them in, for running a test by hand)
  RT_PYTHON_GEN_DIR   the generated Python stubs (default
                      $RT_BUILD_DIR/gen/python); PYTHONPATH names it too
  RT_E2E_KEEP=1       keep every server's scratch directory (debugging)
By hand, from the source tree:
  PYTHONPATH=tests/e2e RT_BUILD_DIR=build-test \\
      /usr/bin/python3 tests/e2e/tracker/test_crud.py
"""

import atexit
import collections
import ctypes
import hashlib
import http.client
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

PATIENCE = 60.0  # seconds: the bound of every wait, never a pass condition
RUN_TIMEOUT_S = 120.0  # one CLI or admin command
SKIP = 77  # the exit status ctest counts as skipped (SKIP_RETURN_CODE)
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO_JSON = os.path.join(SOURCE_DIR, "data", "demo.json")

# Each program: the variable that names it, and where a build tree has it.
PROGRAMS = {
    "rectrackd": ("RT_RECTRACKD", "service/rectrackd"),
    "rectrack": ("RT_RECTRACK", "client/rectrack"),
    "rectrack-admin": ("RT_RECTRACK_ADMIN", "admin/rectrack-admin"),
    "rt_test_server": ("RT_TEST_SERVER", "tests/service/rt_test_server"),
    "interop_client": ("RT_INTEROP_CLIENT",
                       "tests/e2e/interop/interop_client"),
}


def program(name):
    """The path of a built program named in PROGRAMS; raises naming the
    variable to set when it is not known or not there."""
    variable, in_build = PROGRAMS[name]
    path = os.environ.get(variable)
    if not path and os.environ.get("RT_BUILD_DIR"):
        path = os.path.join(os.environ["RT_BUILD_DIR"], in_build)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("%s: set %s (or RT_BUILD_DIR) to the built "
                           "program, not %r" % (name, variable, path))
    return path


def _generated_dir():
    path = os.environ.get("RT_PYTHON_GEN_DIR")
    if not path and os.environ.get("RT_BUILD_DIR"):
        path = os.path.join(os.environ["RT_BUILD_DIR"], "gen", "python")
    return path


GEN_DIR = _generated_dir()
if GEN_DIR and GEN_DIR not in sys.path:
    sys.path.append(GEN_DIR)

import grpc  # noqa: E402 (grpcio: /usr/bin/python3 has it)

try:
    from rectrack.v1 import resources_pb2 as res
    from rectrack.v1 import tracker_pb2 as pb
    from rectrack.v1 import tracker_pb2_grpc as pb_grpc
except ImportError as error:
    raise ImportError("the generated rectrack.v1 stubs: set "
                      "RT_PYTHON_GEN_DIR or RT_BUILD_DIR (%s)" % error)


def load_generated(relative_path):
    """A generated module by its path under GEN_DIR, such as
    "grpc/health/v1/health_pb2.py": the generated `grpc` package cannot be
    imported by name, grpcio's own `grpc` shadows it."""
    path = os.path.join(GEN_DIR or "", relative_path)
    name = os.path.splitext(relative_path)[0].replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- running programs -------------------------------------------------------

class Result(collections.namedtuple("Result", "code out err")):
    """How a program ended: exit status, stdout and stderr (text)."""

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.code, self.out,
                                                      self.err)


def run(name_or_path, *args, env=None, input=None, cwd=None,
        timeout=RUN_TIMEOUT_S):
    """Runs a program (a PROGRAMS name or a path) to the end."""
    path = name_or_path if "/" in name_or_path else program(name_or_path)
    proc = subprocess.run([path, *args], capture_output=True, text=True,
                          errors="replace", env=env, input=input, cwd=cwd,
                          timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def cli_env(**extra):
    """The environment for the CLI: the test's own (sanitizer options
    included) less the user's rectrack settings, with no config file and
    an 80-column terminal; extra variables override."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RECTRACK_") and k not in ("NO_COLOR",
                                                           "COLUMNS")}
    env["RECTRACK_CONFIG"] = os.devnull
    env["COLUMNS"] = "80"
    env.update(extra)
    return env


def run_cli(*args, server=None, env=None, input=None, cwd=None,
            timeout=RUN_TIMEOUT_S):
    """rectrack ARGS (after --server SERVER when given) in cli_env() unless
    env is given."""
    prefix = ["--server", server] if server is not None else []
    return run("rectrack", *prefix, *args,
               env=env if env is not None else cli_env(), input=input,
               cwd=cwd, timeout=timeout)


def admin(*args, **kwargs):
    """rectrack-admin ARGS (keyword arguments as for run())."""
    return run("rectrack-admin", *args, **kwargs)


def token_line(token, principal, role):
    """A line of a tokens file: the token's SHA-256, principal, role."""
    return "%s %s %s\n" % (hashlib.sha256(token.encode()).hexdigest(),
                           principal, role)


def bearer(token):
    """gRPC metadata carrying a bearer token."""
    return (("authorization", "Bearer " + token),)


def wait_for(predicate, what, timeout=None):
    """Polls predicate() until true; fails naming what after timeout s
    (default PATIENCE)."""
    timeout = PATIENCE if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" %
                                 (timeout, what))
        time.sleep(0.02)


# ---- servers ----------------------------------------------------------------

# The bare readiness line; log lines start with a timestamp instead.
LISTENING = re.compile(r"^[\w-]+ listening on (\S+)$")
HTTP_LISTENING = re.compile(r"^rectrackd http listening on (\S+)$")
HttpResult = collections.namedtuple("HttpResult", "status headers body")
_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl
_open = set()  # servers not closed yet, for the atexit hook
_open_lock = threading.Lock()


def _die_with_parent(parent_pid):
    """In the child, before exec: SIGKILL when the test process dies (a
    ctest timeout kills it without running any cleanup); exit at once if
    it died already, before the request."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def _close_leftovers():
    """At exit (a test interrupted, a server a test forgot): kills what
    still runs and removes what is left."""
    with _open_lock:
        left = list(_open)
    for server in left:
        if server.running:
            sys.stderr.write("rtharness: killing %s left running at exit\n"
                             % server.name)
        server.kill()
        server.close()


atexit.register(_close_leftovers)


class Server:
    """One server process on a loopback port, with a scratch directory.

    Server(*flags, program="rectrackd", data_dir=None, tokens=None,
           env=None, keep=None, tls=None)
      flags     extra command-line flags, after --listen and --data-dir.
      program   a PROGRAMS name or a path: "rt_test_server" for the
                transport tests.
      data_dir  None: a fresh SCRATCH/data; a path: that directory;
                False: no --data-dir flag (rt_test_server, or a --config
                that names one).
      tokens    [(token, principal, role), ...]: written to a tokens
                file in the scratch directory, passed as --tokens-file.
      env       variables added to the test's environment for the server.
      keep      keep the scratch directory (default: RT_E2E_KEEP=1).
      tls       (cert, key, ca) paths: serve TLS (--tls-cert, --tls-key);
                channel() and cli() then use TLS and trust ca.
      http      also serve HTTP (--http-listen 127.0.0.1:0): http_address,
                http_get().
    Nothing runs until start() (or `with`). The scratch directory is
    removed by close() (and by __exit__), unless kept.
    """

    def __init__(self, *flags, program="rectrackd", data_dir=None,
                 tokens=None, env=None, keep=None, tls=None, http=False):
        self.program = program
        self.tls = tls
        self.http = http
        self.http_address = None
        self.name = os.path.basename(program)
        self.flags = list(flags)
        self.keep = (os.environ.get("RT_E2E_KEEP") == "1" if keep is None
                     else keep)
        self.env = dict(os.environ, **(env or {}))
        self.scratch = tempfile.mkdtemp(prefix="rt-e2e-%s-" % self.name)
        with _open_lock:
            _open.add(self)
        self.data_dir = (os.path.join(self.scratch, "data")
                         if data_dir is None else data_dir)
        self.tokens_file = None
        if tokens is not None:
            self.tokens_file = self.path("tokens")
            with open(self.tokens_file, "w") as f:
                f.write("# tokens of the test server\n")
            os.chmod(self.tokens_file, 0o600)
            for token in tokens:
                self.add_token(*token)
        self.address = None
        self.port = None
        self.last_status = None
        self._proc = None
        self._reader = None
        self._lines = []
        self._terminated = False
        self._channels = []
        self._stub = None

    # -- the process --

    def start(self):
        """Starts the server and waits until it prints its address; raises
        with its log if it exits first or says nothing for PATIENCE s."""
        if self.running or self.scratch is None:
            raise RuntimeError("%s is %s" % (
                self.name, "running" if self.running else "closed"))
        argv = [self.program if "/" in self.program
                else program(self.program), "--listen", "127.0.0.1:0"]
        if self.data_dir is not False:
            argv += ["--data-dir", self.data_dir]
        if self.tokens_file is not None:
            argv += ["--tokens-file", self.tokens_file]
        if self.tls is not None:
            argv += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.http:
            argv += ["--http-listen", "127.0.0.1:0"]
        self.http_address = None
        self._lines = []
        self._terminated = False
        self.address = self.port = None
        ready = threading.Event()
        parent_pid = os.getpid()
        self._proc = subprocess.Popen(
            argv + self.flags, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace", env=self.env,
            preexec_fn=lambda: _die_with_parent(parent_pid))
        self._reader = threading.Thread(target=self._read,
                                        args=(self._proc.stdout, ready),
                                        daemon=True)
        self._reader.start()
        if not ready.wait(PATIENCE) or self.address is None:
            status = self.kill()
            raise AssertionError(
                "%s did not say it was listening (%s):\n%s" % (
                    self.name, "exit status %s" % status
                    if ready.is_set() else "%.0f s" % PATIENCE,
                    self.log_tail()))
        self.port = int(self.address.rsplit(":", 1)[1])
        return self

    def _read(self, output, ready):
        """Drains the output (so the server never blocks on a full pipe)
        and finds the readiness line; sets ready then, or at EOF."""
        for line in output:
            self._lines.append(line)
            match = HTTP_LISTENING.match(line.rstrip("\n"))
            if match and self.http_address is None:
                self.http_address = match.group(1)
            match = LISTENING.match(line.rstrip("\n"))
            if match and self.address is None:
                self.address = match.group(1)
                ready.set()
        ready.set()

    @property
    def running(self):
        """True while the process started last has not exited."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self):
        return self._proc.pid if self._proc is not None else None

    def signal(self, signum):
        """Sends signum if the process still runs; returns whether it did.
        A SIGTERM sent here counts as stop()'s."""
        if not self.running:
            return False
        if signum == signal.SIGTERM:
            self._terminated = True
        self._proc.send_signal(signum)
        return True

    def terminate(self):
        """Sends SIGTERM once, without waiting: a graceful shutdown starts."""
        if not self._terminated:
            self.signal(signal.SIGTERM)

    def wait(self, timeout=None):
        """The exit status, or None if still running after timeout s
        (default PATIENCE)."""
        if self._proc is None:
            return self.last_status
        try:
            return self._proc.wait(PATIENCE if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, check=True):
        """SIGTERM (unless already sent), waits, returns the exit status,
        and with check requires it to be 0 (AssertionError with the log).
        A server still running PATIENCE s after SIGTERM is killed and the
        stop fails. Closes the channels made by channel(). Once stopped,
        returns the last status again."""
        if self._proc is None:
            return self.last_status
        self._close_channels()
        self.terminate()
        status = self.wait()
        hung = status is None
        if hung:
            self._proc.kill()
            status = self._proc.wait()
        self._finish()
        if hung:
            raise AssertionError("%s still running %.0f s after SIGTERM:\n%s"
                                 % (self.name, PATIENCE, self.log_tail()))
        if check and status != 0:
            raise AssertionError("%s exited with status %s:\n%s" % (
                self.name, status, self.log_tail()))
        return status

    def kill(self):
        """SIGKILL and wait; returns the exit status (no check)."""
        if self._proc is None:
            return None
        self._close_channels()
        if self._proc.poll() is None:
            self._proc.kill()
        status = self._proc.wait()
        self._finish()
        return status

    def restart(self):
        """stop() (exit 0 required), then start() again with the same
        flags on the same data directory; the port changes."""
        self.stop()
        return self.start()

    def _finish(self):
        """After the exit: collects the rest of the log, forgets the
        process (its exit status stays in last_status)."""
        self.last_status = self._proc.returncode
        self._reader.join(PATIENCE)
        self._proc.stdout.close()
        self._proc = None

    def close(self):
        """stop() if running (exit 0 required), then removes the scratch
        directory unless kept. Safe to call more than once."""
        try:
            if self._proc is not None:
                self.stop()
        finally:
            if self.scratch is not None:
                if self.keep:
                    sys.stderr.write("rtharness: kept %s\n" % self.scratch)
                else:
                    shutil.rmtree(self.scratch, ignore_errors=True)
                self.scratch = None
            with _open_lock:
                _open.discard(self)

    def __enter__(self):
        if not self.running:
            try:
                self.start()
            except BaseException:
                self.close()
                raise
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.close()
            return
        # The test failed already: stop without masking its error, and
        # show the log, which usually explains it.
        try:
            if self._proc is not None:
                self.stop(check=False)
            sys.stderr.write("--- %s log ---\n%s" % (self.name,
                                                     self.log_tail()))
        except AssertionError as error:  # hung: the message has the log
            sys.stderr.write("%s\n" % error)
        finally:
            self.close()

    # -- what it printed --

    def log(self):
        """Everything the current (or last) run printed, stdout and stderr
        in order."""
        return "".join(self._lines)

    def log_tail(self, limit=8000):
        return self.log()[-limit:]

    def wait_for_log(self, fragment, timeout=None):
        """Waits until the log contains fragment (at most timeout s,
        default PATIENCE)."""
        wait_for(lambda: fragment in self.log(),
                 "%r in the %s log" % (fragment, self.name), timeout)

    # -- files --

    def path(self, name):
        """A path in the scratch directory (removed with it)."""
        return os.path.join(self.scratch, name)

    def add_token(self, token, principal, role):
        """Appends a token to the tokens file (SIGHUP makes rectrackd
        read it again)."""
        with open(self.tokens_file, "a") as f:
            f.write(token_line(token, principal, role))

    # -- clients --

    @property
    def url(self):
        """What the CLI's --server takes: HOST:PORT, or https://localhost:PORT
        with TLS (the name the test certificates carry)."""
        if self.tls is None:
            return self.address
        return "https://localhost:%d" % self.port

    def channel(self, options=None):
        """A new grpcio channel to the server (TLS trusting the test CA
        with tls), closed by stop(); messages up to 16 MiB unless options
        say otherwise."""
        options = options or [("grpc.max_send_message_length", 16 << 20),
                              ("grpc.max_receive_message_length", 16 << 20)]
        if self.tls is not None:
            with open(self.tls[2], "rb") as ca:
                credentials = grpc.ssl_channel_credentials(ca.read())
            channel = grpc.secure_channel("localhost:%d" % self.port,
                                          credentials, options=options)
        else:
            channel = grpc.insecure_channel(self.address, options=options)
        self._channels.append(channel)
        return channel

    def stub(self):
        """A Tracker stub on the server's shared channel (a new one after
        a restart)."""
        if self._stub is None:
            self._stub = pb_grpc.TrackerStub(self.channel())
        return self._stub

    @property
    def http_port(self):
        return int(self.http_address.rsplit(":", 1)[1])

    def http_connection(self, timeout=PATIENCE):
        """A new http.client connection to the HTTP listener (HTTPS
        trusting the test CA, to "localhost", with tls)."""
        if self.http_address is None:
            raise RuntimeError("%s has no HTTP listener (http=True)"
                               % self.name)
        if self.tls is not None:
            import ssl
            context = ssl.create_default_context(cafile=self.tls[2])
            return http.client.HTTPSConnection("localhost", self.http_port,
                                               timeout=timeout,
                                               context=context)
        return http.client.HTTPConnection("127.0.0.1", self.http_port,
                                          timeout=timeout)

    def http_get(self, path, headers=None, method="GET", body=None):
        """One request on a new connection; the path is sent as given
        (no normalisation). Returns HttpResult(status, headers, body):
        headers an http.client.HTTPMessage, body bytes."""
        connection = self.http_connection()
        try:
            connection.request(method, path, body=body,
                               headers=headers or {})
            response = connection.getresponse()
            return HttpResult(response.status, response.headers,
                              response.read())
        finally:
            connection.close()

    def _close_channels(self):
        for channel in self._channels:
            channel.close()
        self._channels = []
        self._stub = None

    def cli(self, *args, env=None, input=None, cwd=None,
            timeout=RUN_TIMEOUT_S):
        """rectrack --server URL ARGS (and --ca-file with TLS), in cli_env()
        unless env is given; returns a Result (code, out, err)."""
        if self.tls is not None:
            args = ("--ca-file", self.tls[2]) + args
        return run_cli(*args, server=self.url, env=env, input=input,
                       cwd=cwd, timeout=timeout)

    def cli_argv(self, *args):
        """The command line of cli(), for a CLI that must run alongside the
        test (subprocess.Popen, with env=cli_env())."""
        if self.tls is not None:
            args = ("--ca-file", self.tls[2]) + args
        return [program("rectrack"), "--server", self.url, *args]

    def admin(self, command, *args, **kwargs):
        """rectrack-admin COMMAND --data-dir DATA_DIR ARGS (the storage
        commands: load, show, verify, backup)."""
        return admin(command, "--data-dir", self.data_dir, *args, **kwargs)


# ---- memory measurements (the scale tests) ------------------------------


def bench_scale():
    """The bench_scale generator (RT_BENCH_SCALE, or in RT_BUILD_DIR);
    skips the test when it is not built."""
    path = os.environ.get("RT_BENCH_SCALE")
    if not path and os.environ.get("RT_BUILD_DIR"):
        path = os.path.join(os.environ["RT_BUILD_DIR"], "bench",
                            "bench_scale")
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest("bench_scale is not built")
    return path


def load_scale_data_dir(test, recommendations, prefix="rt-e2e-scale-"):
    """A fresh data directory holding a generated data set of that many
    recommendations (the demo's proportions), removed after the test."""
    scratch = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, scratch, ignore_errors=True)
    data = os.path.join(scratch, "data")
    subprocess.run([bench_scale(), "load", "--dir", data,
                    "--recommendations", str(recommendations)],
                   check=True, stdout=subprocess.DEVNULL)
    return data


def asan_without_quarantine():
    """ASAN_OPTIONS for a measured process: with no quarantine, memory it
    frees counts as freed (a no-op outside AddressSanitizer)."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return (asan + ":" if asan else "") + \
        "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"


def rss_anon(pid):
    """A process's anonymous resident memory in bytes (the heap, not the
    data file's pages that LMDB maps)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


class RssAnonPeak:
    """Samples a process's RssAnon while the with-block runs; growth is
    then the largest rise over the value at entry."""

    def __init__(self, pid):
        self.pid = pid
        self.growth = 0

    def __enter__(self):
        self._before = rss_anon(self.pid)
        self._peak = self._before
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample)
        self._sampler.start()
        return self

    def _sample(self):
        while not self._done.is_set():
            self._peak = max(self._peak, rss_anon(self.pid))
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._done.set()
        self._sampler.join()
        self.growth = self._peak - self._before
        return False


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


class TestCA:
    """A certificate authority for the tests, made with the openssl CLI in
    directory (ca.pem, ca.key: EC P-256, valid two days). issue() signs
    server certificates; each gets a random serial."""

    def __init__(self, directory, name="rectrack test CA"):
        self.directory = directory
        self.cert = os.path.join(directory, "ca.pem")
        self.key = os.path.join(directory, "ca.key")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                      self.key, "-out", self.cert, "-days", "2", "-subj",
                      "/CN=" + name)

    def _openssl(self, *args):
        result = subprocess.run(["openssl", *args], capture_output=True,
                                text=True, timeout=PATIENCE)
        if result.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (args[0], result.stderr))

    def issue(self, stem, hosts=("localhost", "127.0.0.1"), days=2):
        """A server certificate for hosts (names and IP addresses) and its
        key: (cert_path, key_path) named after stem."""
        key = os.path.join(self.directory, stem + ".key")
        csr = os.path.join(self.directory, stem + ".csr")
        cert = os.path.join(self.directory, stem + ".pem")
        ext = os.path.join(self.directory, stem + ".ext")
        names = ",".join(("IP:" if _is_ip(h) else "DNS:") + h for h in hosts)
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % names)
        self._openssl("req", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                      key, "-out", csr, "-subj", "/CN=" + hosts[0])
        self._openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey",
                      self.key, "-set_serial", str(int.from_bytes(
                          os.urandom(8), "big")), "-days", str(days),
                      "-extfile", ext, "-out", cert)
        return cert, key

    def server_files(self, stem="server"):
        """(cert, key, ca) for Server(tls=...)."""
        return self.issue(stem) + (self.cert,)


def transport_server(*flags):
    """A Server of rt_test_server (the transport with test methods, health
    and reflection; no data directory), not started yet."""
    return Server(*flags, program="rt_test_server", data_dir=False)


# ---- raw HTTP/2 requests through nghttp -----------------------------------

def grpc_frame(payload, compressed=False):
    """One gRPC length-prefixed message."""
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def have_nghttp():
    return shutil.which("nghttp") is not None


def nghttp(server, path, body, headers, method=None):
    """One request by nghttp (nghttp2-client): POST body, or method with
    no body; returns the response's header and trailer fields (a later
    field of the same name wins)."""
    with tempfile.NamedTemporaryFile() as data:
        data.write(body)
        data.flush()
        command = ["nghttp", "-v"]
        if method is None:
            command += ["-d", data.name]
        else:
            command += ["-H", ":method: " + method]
        for header in headers:
            command += ["-H", header]
        command.append("http://%s%s" % (server.address, path))
        output = subprocess.run(command, capture_output=True,
                                timeout=PATIENCE).stdout
    fields = {}
    for line in output.decode(errors="replace").splitlines():
        if "recv (stream_id=" in line:
            name, _, value = line.split(") ", 1)[1].partition(": ")
            fields[name] = value
    return fields


# ---- Tracker tests ----------------------------------------------------------

def rpc_error(code, fn, *args, **kwargs):
    """Calls fn, which must fail with the gRPC status code; returns the
    error."""
    try:
        fn(*args, **kwargs)
    except grpc.RpcError as error:
        if error.code() != code:
            raise AssertionError("expected %s, got %s: %s" % (
                code, error.code(), error.details()))
        return error
    raise AssertionError("expected %s, the call succeeded" % code)


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
    """A valid Recommendation of source_id; fields override."""
    fields.setdefault("title", "Lower remittance costs")
    fields.setdefault("sdg_targets", ["10.c"])
    fields.setdefault("gcm_objectives", [20])
    fields.setdefault("text", "Bring costs below 3 per cent.")
    fields.setdefault("theme", "remittances")
    return res.Recommendation(source_id=source_id, source_ref="4.5 #2",
                              **fields)


class ServerTestCase(unittest.TestCase):
    """A test class with its own rectrackd, started before its first test
    and stopped (exit 0 required) after its last, whatever happens.

    Class attributes to set: server_flags (extra flags), server_tokens
    (as Server's tokens), server_http (start the HTTP listener). The class gets server, chan (a grpcio channel),
    stub (a Tracker stub) and tmp (a scratch directory for files).
    """

    server_flags = ()
    server_tokens = None
    server_http = False

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_flags, tokens=cls.server_tokens,
                            http=cls.server_http)
        # Class cleanups run even when setUpClass fails after this line
        # (tearDownClass would not): the server is always stopped.
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.chan = cls.server.channel()
        cls.stub = pb_grpc.TrackerStub(cls.chan)
        cls.tmp = cls.server.path("files")
        os.mkdir(cls.tmp)

    def assert_rpc_error(self, code, fragment, fn, *args, **kwargs):
        """Calls fn; checks the status code and that the message contains
        fragment (unless None). Returns the error."""
        error = rpc_error(code, fn, *args, **kwargs)
        if fragment is not None:
            self.assertIn(fragment, error.details() or "")
        return error

    def cli(self, *args, **kwargs):
        """rectrack against this class's server (see Server.cli)."""
        return self.server.cli(*args, **kwargs)

    def ok(self, *args, **kwargs):
        """cli(), which must exit 0."""
        result = self.cli(*args, **kwargs)
        self.assertEqual(result.code, 0, repr(result))
        return result

    def fails(self, code, *args, **kwargs):
        """cli(), which must exit with code and a "rectrack: " message."""
        result = self.cli(*args, **kwargs)
        self.assertEqual(result.code, code, repr(result))
        self.assertTrue(result.err.startswith("rectrack: "), repr(result))
        return result

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        """Writes a file into tmp; returns its path."""
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)


def main():
    """unittest.main for a test file. SIGTERM interrupts the run as Ctrl-C
    does, and the atexit hook then kills and removes the servers."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    unittest.main(verbosity=2)
