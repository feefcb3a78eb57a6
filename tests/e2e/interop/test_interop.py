#!/usr/bin/python3
"""Interoperability: rectrackd and the transport driven by clients other
than the grpcio used elsewhere.

  cpp_health, cpp_reflection, cpp_tracker
      the stock gRPC C++ client (interop_client.cc, Debian libgrpc++)
      against rectrackd on a free port with a fresh data directory.
  raw_h2
      a hand-written HTTP/2 client on a plain socket against
      rt_test_server: frame-level behaviour stock clients rely on (PING,
      a client that grants window one slice at a time, RST_STREAM in the
      middle of a request, request trailers, a request split into
      one-byte DATA frames, HEADERS + CONTINUATION, no "te" header, a
      reflection client that asks without reading).
  nghttp
      nghttp (nghttp2-client) header-level checks: content-type variants,
      HEAD/GET, unknown paths, grpc-timeout forms, compressed requests
      (gzip, deflate, unsupported, corrupt, a compression bomb).

Every server comes from rtharness and must exit 0 on SIGTERM (so an ASan
report fails the test). Exit status 77 means skipped (a client is not
installed).

usage: test_interop.py CASE (the environment as rtharness.py says)
"""
import argparse
import gzip
import socket
import struct
import sys
import zlib

import rtharness
from rtharness import PATIENCE, grpc_frame, nghttp, transport_server

TEST = "/rectrack.test.Test/"
ACCEPT_ENCODING = "identity,deflate,gzip"

# HTTP/2 frame types and flags (RFC 9113).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


# ---- the C++ client ---------------------------------------------------------

def run_cpp(case):
    """interop_client ADDRESS CASE against rectrackd."""
    with rtharness.Server() as server:
        result = rtharness.run("interop_client", server.address, case,
                               timeout=PATIENCE * 3)
        sys.stdout.write(result.out)
        sys.stderr.write(result.err)
        assert result.code == 0, "interop_client %s failed" % case


# ---- a minimal HTTP/2 client ------------------------------------------------

def hpack_literal(name, value):
    """One header as "literal without indexing, new name", no Huffman:
    any HPACK decoder must accept it."""
    def string(text):
        data = text.encode()
        assert len(data) < 127, "long strings need a multi-byte length"
        return bytes([len(data)]) + data
    return b"\x00" + string(name) + string(value)


def request_block(path, extra=()):
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path),
              (":authority", "interop"), ("content-type", "application/grpc"),
              *extra]
    return b"".join(hpack_literal(name, value) for name, value in fields)


class H2:
    """Frames on a socket. Only what the cases need: no HPACK decoding
    (nghttp checks header values), so responses are checked by frame."""

    def __init__(self, port, initial_window=None):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(PATIENCE)
        self.buffer = b""
        settings = b""
        if initial_window is not None:
            settings = struct.pack(">HI", 4, initial_window)
        self.sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        self.send(SETTINGS, 0, 0, settings)

    def send(self, kind, flags, stream_id, payload=b""):
        self.sock.sendall(struct.pack(">I", len(payload))[1:] +
                          bytes([kind, flags]) +
                          struct.pack(">I", stream_id) + payload)

    def recv(self):
        """The next frame as (type, flags, stream_id, payload); SETTINGS
        are acknowledged on the way."""
        while True:
            while len(self.buffer) < 9 or \
                    len(self.buffer) < 9 + int.from_bytes(self.buffer[:3],
                                                          "big"):
                chunk = self.sock.recv(65536)
                assert chunk, "connection closed by the server"
                self.buffer += chunk
            length = int.from_bytes(self.buffer[:3], "big")
            kind, flags = self.buffer[3], self.buffer[4]
            stream_id = int.from_bytes(self.buffer[5:9], "big") & 0x7fffffff
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                self.send(SETTINGS, ACK, 0)
                continue
            return kind, flags, stream_id, payload

    def response(self, stream_id):
        """Reads until stream_id ends: (DATA bytes, header frame count,
        RST_STREAM error code or None)."""
        data, header_frames = b"", 0
        while True:
            kind, flags, sid, payload = self.recv()
            assert kind != GOAWAY, "GOAWAY: %r" % payload
            if sid != stream_id:
                continue
            if kind == DATA:
                data += payload
            elif kind == HEADERS:
                header_frames += 1
            elif kind == RST_STREAM:
                return data, header_frames, int.from_bytes(payload, "big")
            if kind in (DATA, HEADERS) and flags & END_STREAM:
                return data, header_frames, None

    def close(self):
        self.sock.close()


def echo_works(h2, stream_id, payload=b"still here"):
    h2.send(HEADERS, END_HEADERS, stream_id, request_block(TEST + "Echo"))
    h2.send(DATA, END_STREAM, stream_id, grpc_frame(payload))
    data, header_frames, reset = h2.response(stream_id)
    assert reset is None and header_frames == 2, (header_frames, reset)
    assert data == grpc_frame(payload), data


def raw_ping(h2):
    h2.send(PING, 0, 0, b"interop!")
    while True:
        kind, flags, _, payload = h2.recv()
        if kind == PING:
            assert flags & ACK and payload == b"interop!", (flags, payload)
            return


def raw_slow_window(server):
    """Stream windows start at 0 and open 700 bytes at a time, only after
    everything granted so far has arrived: the server must never send
    more than granted, and must finish once the window allows."""
    h2 = H2(server.port, initial_window=0)
    count, size, granted, received, data = 3, 1000, 0, 0, b""
    h2.send(HEADERS, END_HEADERS, 1, request_block(TEST + "Stream"))
    h2.send(DATA, END_STREAM, 1, grpc_frame(b"%d %d" % (count, size)))
    while True:
        if received == granted:
            h2.send(WINDOW_UPDATE, 0, 1, struct.pack(">I", 700))
            granted += 700
        kind, flags, sid, payload = h2.recv()
        if sid != 1:
            continue
        assert kind != RST_STREAM, "stream reset"
        if kind == DATA:
            received += len(payload)
            data += payload
            assert received <= granted, "sent %d with %d granted" % (
                received, granted)
        if kind in (DATA, HEADERS) and flags & END_STREAM:
            break
    assert len(data) == count * (5 + size), len(data)
    h2.close()


def raw_slow_connection_window(server):
    """The same at the connection level: streams may take 1 MiB but the
    connection window stays at its initial 65535 bytes until all of it
    has arrived, then opens 10000 bytes at a time."""
    h2 = H2(server.port, initial_window=1 << 20)
    count, size, granted, received, data = 3, 40000, 65535, 0, b""
    h2.send(HEADERS, END_HEADERS, 1, request_block(TEST + "Stream"))
    h2.send(DATA, END_STREAM, 1, grpc_frame(b"%d %d" % (count, size)))
    while True:
        if received == granted:
            h2.send(WINDOW_UPDATE, 0, 0, struct.pack(">I", 10000))
            granted += 10000
        kind, flags, sid, payload = h2.recv()
        if sid != 1:
            continue
        assert kind != RST_STREAM, "stream reset"
        if kind == DATA:
            received += len(payload)
            data += payload
            assert received <= granted, "sent %d with %d granted" % (
                received, granted)
        if kind in (DATA, HEADERS) and flags & END_STREAM:
            break
    assert len(data) == count * (5 + size), len(data)
    h2.close()


def raw_reflection_flood(server):
    """4000 reflection requests (about 100 KB) without reading a byte of
    the answers (windows at 0) must not make the server queue all the
    answers (tens of MB): the stream ends, RESOURCE_EXHAUSTED, after a
    bounded amount."""
    h2 = H2(server.port, initial_window=0)
    symbol = b"rectrack.v1.Tracker"
    request = grpc_frame(b"\x22" + bytes([len(symbol)]) + symbol)
    h2.send(HEADERS, END_HEADERS, 1, request_block(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"))
    for _ in range(40):
        h2.send(DATA, 0, 1, request * 100)
    raw_ping(h2)  # the server has read every request by now
    h2.send(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 30))
    h2.send(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1 << 30))
    received = 0
    while True:
        kind, flags, sid, payload = h2.recv()
        if sid != 1:
            continue
        assert kind != RST_STREAM, "stream reset"
        if kind == DATA:
            received += len(payload)
            assert received < 8 << 20, "the server queued %d bytes" % received
        if kind in (DATA, HEADERS) and flags & END_STREAM:
            break
    h2.close()


def raw_reset_mid_request(server):
    """A client cancels while its request is half sent (RST_STREAM
    CANCEL): the call is logged CANCELLED and the connection goes on."""
    h2 = H2(server.port)
    h2.send(HEADERS, END_HEADERS, 1, request_block(TEST + "Echo"))
    h2.send(DATA, 0, 1, grpc_frame(b"x" * 100)[:50])
    h2.send(RST_STREAM, 0, 1, struct.pack(">I", 8))  # CANCEL
    echo_works(h2, 3)
    raw_ping(h2)
    h2.close()


def raw_request_shapes(server):
    h2 = H2(server.port)
    # Request trailers after the message end the stream.
    h2.send(HEADERS, END_HEADERS, 1, request_block(TEST + "Echo"))
    h2.send(DATA, 0, 1, grpc_frame(b"with trailers"))
    h2.send(HEADERS, END_STREAM | END_HEADERS, 1,
            hpack_literal("x-client-trailer", "1"))
    data, _, reset = h2.response(1)
    assert reset is None and data == grpc_frame(b"with trailers"), data
    # One message in one-byte DATA frames, END_STREAM on an empty frame.
    h2.send(HEADERS, END_HEADERS, 3, request_block(TEST + "Echo"))
    for byte in grpc_frame(b"bytewise"):
        h2.send(DATA, 0, 3, bytes([byte]))
    h2.send(DATA, END_STREAM, 3)
    data, _, reset = h2.response(3)
    assert reset is None and data == grpc_frame(b"bytewise"), data
    # The header block split across HEADERS and two CONTINUATIONs.
    block = request_block(TEST + "Echo", [("x-pad", "p" * 100)])
    h2.send(HEADERS, 0, 5, block[:7])
    h2.send(CONTINUATION, 0, 5, block[7:40])
    h2.send(CONTINUATION, END_HEADERS, 5, block[40:])
    h2.send(DATA, END_STREAM, 5, grpc_frame(b"continued"))
    data, _, reset = h2.response(5)
    assert reset is None and data == grpc_frame(b"continued"), data
    # No "te: trailers" and the +proto content-type: served.
    block = b"".join(hpack_literal(n, v) for n, v in [
        (":method", "POST"), (":scheme", "http"), (":path", TEST + "Echo"),
        (":authority", "interop"),
        ("content-type", "application/grpc+proto")])
    h2.send(HEADERS, END_HEADERS, 7, block)
    h2.send(DATA, END_STREAM, 7, grpc_frame(b"no te"))
    data, header_frames, reset = h2.response(7)
    assert reset is None and data == grpc_frame(b"no te"), data
    assert header_frames == 2, header_frames
    # A unary request with no message: trailers-only (one HEADERS frame).
    h2.send(HEADERS, END_STREAM | END_HEADERS, 9, request_block(TEST + "Echo"))
    data, header_frames, reset = h2.response(9)
    assert data == b"" and header_frames == 1, (data, header_frames)
    # Many concurrent streams on one connection, answered in any order.
    streams = list(range(11, 11 + 2 * 50, 2))
    for sid in streams:
        h2.send(HEADERS, END_HEADERS, sid, request_block(TEST + "Echo"))
        h2.send(DATA, END_STREAM, sid, grpc_frame(b"%d" % sid))
    done = {}
    while len(done) < len(streams):
        kind, flags, sid, payload = h2.recv()
        if kind == DATA:
            done.setdefault(sid, b"")
            done[sid] += payload
    assert all(done[sid] == grpc_frame(b"%d" % sid) for sid in streams)
    # A polite goodbye: the server closes the connection.
    h2.send(GOAWAY, 0, 0, struct.pack(">II", 0, 0))
    h2.close()


def case_raw_h2():
    with transport_server() as server:
        h2 = H2(server.port)
        raw_ping(h2)
        echo_works(h2, 1)
        h2.close()
        raw_slow_window(server)
        raw_slow_connection_window(server)
        raw_reflection_flood(server)
        raw_reset_mid_request(server)
        raw_request_shapes(server)
        server.stop()
        log = server.log()
        assert "call %sEcho CANCELLED" % TEST in log, log
        assert "ServerReflectionInfo RESOURCE_EXHAUSTED" in log, log


# ---- nghttp -----------------------------------------------------------------

def check_compression(server, grpc_ct):
    """What a client configured to compress sends (grpc-js with
    grpc.default_compression_algorithm, grpc-go UseCompressor, ...)."""
    echo, text = TEST + "Echo", b"compressed hello " * 20

    def send(payload, encoding, flag=1):
        return nghttp(server, echo, grpc_frame(payload, compressed=flag),
                      grpc_ct + ["grpc-encoding: " + encoding])

    for encoding, packed in (("gzip", gzip.compress(text)),
                             ("deflate", zlib.compress(text))):
        fields = send(packed, encoding)
        assert fields.get("grpc-status") == "0", (encoding, fields)
        assert fields["grpc-accept-encoding"] == ACCEPT_ENCODING, fields
    # The reply itself: Echo returns the decompressed bytes.
    h2 = H2(server.port)
    packed = gzip.compress(text)
    h2.send(HEADERS, END_HEADERS, 1, request_block(
        echo, [("grpc-encoding", "gzip")]))
    h2.send(DATA, END_STREAM, 1, grpc_frame(packed, compressed=True))
    data, _, reset = h2.response(1)
    assert reset is None and data == grpc_frame(text), data
    h2.close()
    # An uncompressed message under a grpc-encoding header is fine.
    assert send(text, "gzip", flag=0).get("grpc-status") == "0"
    assert send(text[:20], "gzip").get("grpc-status") == "13"  # not gzip
    assert send(gzip.compress(text)[:-12], "gzip").get(
        "grpc-status") == "13"  # truncated
    assert send(text, "identity").get("grpc-status") == "13"
    fields = send(text, "snappy")
    assert fields.get("grpc-status") == "12", fields
    assert fields["grpc-accept-encoding"] == ACCEPT_ENCODING, fields
    # 5 MiB of zeros is 5 KB of gzip: still over the 4 MiB message limit.
    fields = send(gzip.compress(bytes(5 << 20)), "gzip")
    assert fields.get("grpc-status") == "8", fields


def case_nghttp():
    if not rtharness.have_nghttp():
        print("nghttp (nghttp2-client) not installed: skipped")
        return rtharness.SKIP
    echo, hello = TEST + "Echo", grpc_frame(b"hello")
    with transport_server() as server:
        for content_type in ("application/grpc", "application/grpc+proto",
                             "application/grpc;charset=utf-8",
                             "application/grpc+proto; charset=utf-8",
                             "APPLICATION/GRPC"):
            fields = nghttp(server, echo, hello,
                            ["content-type: " + content_type])
            assert fields.get("grpc-status") == "0", (content_type, fields)
            assert fields["content-type"] == "application/grpc", fields
        for content_type in ("application/json", "application/grpc+json",
                             "application/grpc-web", "text/plain"):
            fields = nghttp(server, echo, hello,
                            ["content-type: " + content_type])
            assert fields[":status"] == "415", (content_type, fields)
        for method in ("GET", "HEAD"):
            fields = nghttp(server, echo, b"", [], method=method)
            assert fields[":status"] == "405", (method, fields)
        grpc_ct = ["content-type: application/grpc"]
        for path in ("/", "/no.such.Service/Method", "/rectrack.test.Test/"):
            fields = nghttp(server, path, hello, grpc_ct)
            assert fields == {":status": "200",
                              "content-type": "application/grpc",
                              "grpc-accept-encoding": ACCEPT_ENCODING,
                              "grpc-status": "12",
                              "grpc-message": "unknown method " + path}, fields
        for timeout in ("1H", "1M", "30S", "20000m", "99999999u", "99999999n",
                        "99999999H"):
            fields = nghttp(server, echo, hello,
                            grpc_ct + ["grpc-timeout: " + timeout])
            assert fields.get("grpc-status") == "0", (timeout, fields)
        for timeout in ("1", "m", "123456789S", "-1S", "1.5S", "1s"):
            fields = nghttp(server, echo, hello,
                            grpc_ct + ["grpc-timeout: " + timeout])
            assert fields.get("grpc-status") == "13", (timeout, fields)
        check_compression(server, grpc_ct)
        fields = nghttp(server, TEST + "Sleep", grpc_frame(b"600000"),
                        grpc_ct + ["grpc-timeout: 50m"])
        assert fields.get("grpc-status") == "4", fields
        assert fields.get("content-type") == "application/grpc", fields


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    args = parser.parse_args()
    if args.case.startswith("cpp_"):
        return run_cpp(args.case[4:])
    return globals()["case_" + args.case]()


if __name__ == "__main__":
    sys.exit(main() or 0)
