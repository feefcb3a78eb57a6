#!/usr/bin/python3
"""End-to-end tests of rectrackd's gRPC transport (service/rt_server).

Each case starts rt_test_server (the transport with test methods, health
and reflection) on 127.0.0.1:0, reads the real port from its first line of
stdout, drives it with stock clients (grpcio generic calls, the generated
health and reflection messages, nghttp for raw HTTP/2 requests) and stops
it with SIGTERM at the end whatever happens, requiring exit code 0 (which
under AddressSanitizer also means no leaks).

usage: test_transport.py --server PATH --gen PYTHON_GEN_DIR
                         [--daemon RECTRACKD] CASE
"""
import argparse
import gzip
import importlib.util
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import grpc

SKIP = 77  # ctest SKIP_RETURN_CODE
TEST = "/rectrack.test.Test/"
PATIENCE = 60.0  # upper bound for anything we wait for; never a pass condition


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Server:
    """rt_test_server on a free port; stopped (SIGTERM, exit 0) on exit."""

    def __init__(self, path, *args):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [path, "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=self.stderr)
        ready, _, _ = select.select([self.proc.stdout], [], [], PATIENCE)
        line = self.proc.stdout.readline().decode() if ready else ""
        if "listening on" not in line:
            self.proc.kill()
            raise AssertionError("server did not start: %r\n%s" %
                                 (line, self.log()))
        self.address = line.split()[-1]
        self.port = int(self.address.rsplit(":", 1)[1])
        self.stopped = False

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, then the exit code must be 0."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not stop on SIGTERM")
        return code

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        try:
            code = self.stop()
        finally:
            if kind is not None or self.proc.returncode != 0:
                sys.stderr.write("--- server log ---\n" + self.log()[-8000:])
        if kind is None and code != 0:
            raise AssertionError("server exited with %d" % code)


def unary(channel, method, request, timeout=PATIENCE):
    return channel.unary_unary(TEST + method)(request, timeout=timeout)


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except grpc.RpcError as error:
        assert error.code() == code, "%s: %s" % (error.code(), error.details())
        return error
    raise AssertionError("expected %s, call succeeded" % code)


def stats(channel):
    text = unary(channel, "Stats", b"").decode()
    return dict(part.split("=") for part in text.split())


def wait_for(condition, what):
    """Polls condition() until true; fails only after PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


# ---- cases ----------------------------------------------------------------

def case_echo(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        assert unary(channel, "Echo", b"hello") == b"hello"
        assert unary(channel, "Echo", b"") == b""
        big = os.urandom(1024 * 1024)
        assert unary(channel, "Echo", big) == big
        # grpc-message is percent-encoded on the wire, decoded by grpcio.
        message = "caf\u00e9 100% sure\nline two"
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, unary,
                             channel, "Echo", b"fail:" + message.encode())
        assert error.details() == message, repr(error.details())


def case_bidi(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        call = channel.stream_stream(TEST + "Bidi")
        requests = [b"one", b"", b"three" * 1000]
        assert list(call(iter(requests), timeout=PATIENCE)) == requests
        assert list(call(iter([]), timeout=PATIENCE)) == []


def case_unknown_method(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        error = expect_error(grpc.StatusCode.UNIMPLEMENTED, unary, channel,
                             "Nope", b"x")
        assert "/rectrack.test.Test/Nope" in error.details()
        expect_error(grpc.StatusCode.UNIMPLEMENTED,
                     channel.unary_unary("/other.Service/Echo"), b"x",
                     timeout=PATIENCE)
        assert unary(channel, "Echo", b"still fine") == b"still fine"


def case_too_big(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        error = expect_error(grpc.StatusCode.RESOURCE_EXHAUSTED, unary,
                             channel, "Echo", b"x" * (5 * 1024 * 1024))
        assert "exceeds the limit" in error.details(), error.details()
        assert unary(channel, "Echo", b"after") == b"after"
    # A lower limit from the command line applies too.
    with Server(args.server, "--max-message-bytes", "1000") as server, \
            grpc.insecure_channel(server.address) as channel:
        assert unary(channel, "Echo", b"x" * 1000) == b"x" * 1000
        expect_error(grpc.StatusCode.RESOURCE_EXHAUSTED, unary, channel,
                     "Echo", b"x" * 1001)


def case_deadline(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        expect_error(grpc.StatusCode.DEADLINE_EXCEEDED, unary, channel,
                     "Sleep", b"600000", timeout=0.3)
        # The server saw it too: the handler was cancelled, nothing leaks.
        wait_for(lambda: stats(channel) == {"cancelled": "1", "active": "0"},
                 "the Sleep handler to be cancelled")
        assert unary(channel, "Sleep", b"1") == b"slept"


def case_cancel(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        call = channel.unary_stream(TEST + "Stream")(b"1000000 1024",
                                                     timeout=PATIENCE)
        for index, message in enumerate(call):
            assert message.startswith(str(index).encode() + b".")
            if index == 10:
                break
        call.cancel()
        wait_for(lambda: stats(channel) == {"cancelled": "1", "active": "0"},
                 "the Stream handler to be cancelled")
        assert unary(channel, "Echo", b"alive") == b"alive"
        full = list(channel.unary_stream(TEST + "Stream")(b"300 100",
                                                          timeout=PATIENCE))
        assert len(full) == 300 and full[299].startswith(b"299.")


def case_slow_reader(args):
    """A client that stops reading stalls only its own stream."""
    with Server(args.server) as server:
        slow = grpc.insecure_channel(server.address)
        fast = grpc.insecure_channel(server.address)
        try:
            call = slow.unary_stream(TEST + "Stream")(b"100000 65536",
                                                      timeout=PATIENCE)
            next(call)  # started, then never read again
            for i in range(50):
                payload = b"%d" % i
                assert unary(fast, "Echo", payload) == payload
            assert stats(fast)["active"] == "1"
            call.cancel()
            wait_for(lambda: stats(fast)["active"] == "0",
                     "the stalled stream to be cancelled")
        finally:
            slow.close()
            fast.close()


def case_concurrency(args):
    with Server(args.server, "--log-level", "warn") as server:
        channels = [grpc.insecure_channel(server.address) for _ in range(4)]
        failures = []

        def worker(number):
            channel = channels[number % len(channels)]
            try:
                for i in range(200):
                    payload = b"%d-%d-" % (number, i) + b"x" * (i * 7)
                    if unary(channel, "Echo", payload) != payload:
                        failures.append((number, i, "wrong reply"))
            except grpc.RpcError as error:
                failures.append((number, error.code(), error.details()))

        threads = [threading.Thread(target=worker, args=(n,))
                   for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for channel in channels:
            channel.close()
        assert failures == [], failures[:5]


def health_stubs(args, channel):
    health = load_module(
        "health_pb2", os.path.join(args.gen, "grpc/health/v1/health_pb2.py"))
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health.HealthCheckRequest.SerializeToString,
        response_deserializer=health.HealthCheckResponse.FromString)
    watch = channel.unary_stream(
        "/grpc.health.v1.Health/Watch",
        request_serializer=health.HealthCheckRequest.SerializeToString,
        response_deserializer=health.HealthCheckResponse.FromString)
    return health, check, watch


def case_health(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        health, check, watch = health_stubs(args, channel)
        serving = health.HealthCheckResponse.SERVING
        for name in ("", "rectrack.test.Test"):
            response = check(health.HealthCheckRequest(service=name),
                             timeout=PATIENCE)
            assert response.status == serving
        expect_error(grpc.StatusCode.NOT_FOUND, check,
                     health.HealthCheckRequest(service="nope"),
                     timeout=PATIENCE)
        unknown = watch(health.HealthCheckRequest(service="nope"),
                        timeout=PATIENCE)
        assert next(unknown).status == health.HealthCheckResponse.SERVICE_UNKNOWN
        unknown.cancel()
        updates = watch(health.HealthCheckRequest(service=""),
                        timeout=PATIENCE)
        assert next(updates).status == serving
        # Draining turns it NOT_SERVING, then the stream ends.
        server.proc.send_signal(signal.SIGTERM)
        assert next(updates).status == health.HealthCheckResponse.NOT_SERVING
        try:
            next(updates)
            raise AssertionError("Watch should end on shutdown")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error.code()
        server.stopped = True
        assert server.proc.wait(timeout=PATIENCE) == 0


def case_reflection(args):
    from google.protobuf import descriptor_pb2
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        for version in ("v1alpha", "v1"):
            reflection = load_module(
                "reflection_%s_pb2" % version,
                os.path.join(args.gen, "grpc/reflection/%s/reflection_pb2.py"
                             % version))
            info = channel.stream_stream(
                "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo"
                % version,
                request_serializer=(
                    reflection.ServerReflectionRequest.SerializeToString),
                response_deserializer=(
                    reflection.ServerReflectionResponse.FromString))
            request = reflection.ServerReflectionRequest
            replies = list(info(iter([
                request(list_services=""),
                request(file_containing_symbol="grpc.health.v1.Health"),
                request(file_by_filename="rectrack/v1/tracker.proto"),
                request(file_containing_symbol="no.such.Symbol"),
            ]), timeout=PATIENCE))
            assert len(replies) == 4
            names = {s.name for s in
                     replies[0].list_services_response.service}
            assert names == {"rectrack.test.Test", "grpc.health.v1.Health",
                             "grpc.reflection.v1alpha.ServerReflection",
                             "grpc.reflection.v1.ServerReflection"}, names
            assert replies[0].original_request.HasField("list_services")
            files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in
                     replies[1].file_descriptor_response.file_descriptor_proto]
            assert files[0].name == "grpc/health/v1/health.proto"
            assert files[0].service[0].name == "Health"
            files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in
                     replies[2].file_descriptor_response.file_descriptor_proto]
            assert [f.name for f in files] == [
                "rectrack/v1/tracker.proto", "rectrack/v1/resources.proto"]
            assert replies[3].error_response.error_code == 5


def case_shutdown(args):
    with Server(args.server) as server, \
            grpc.insecure_channel(server.address) as channel:
        result = {}

        def sleeper():
            try:
                result["reply"] = unary(channel, "Sleep", b"1500")
            except grpc.RpcError as error:
                result["error"] = error

        thread = threading.Thread(target=sleeper)
        thread.start()
        wait_for(lambda: stats(channel)["active"] == "1",
                 "the Sleep call to start")
        server.proc.send_signal(signal.SIGTERM)
        thread.join(PATIENCE)
        assert result.get("reply") == b"slept", result
        server.stopped = True
        assert server.proc.wait(timeout=PATIENCE) == 0
    # With no grace at all, the call in flight is cancelled, still exit 0.
    with Server(args.server, "--shutdown-grace", "0") as server, \
            grpc.insecure_channel(server.address) as channel:
        future = channel.unary_unary(TEST + "Sleep").future(
            b"600000", timeout=PATIENCE)
        wait_for(lambda: stats(channel)["active"] == "1",
                 "the Sleep call to start")
        assert server.stop() == 0
        assert future.exception() is not None


def raw_preface():
    settings = struct.pack(">I", 0)[1:] + bytes([4, 0]) + struct.pack(">I", 0)
    return b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings


def read_until_closed(sock):
    data = b""
    sock.settimeout(PATIENCE)
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def case_limits(args):
    with Server(args.server, "--max-connections", "2") as server:
        kept = [socket.create_connection(("127.0.0.1", server.port))
                for _ in range(2)]
        for sock in kept:
            sock.settimeout(PATIENCE)
            assert sock.recv(9)[3] == 4  # the server's SETTINGS frame
        extra = socket.create_connection(("127.0.0.1", server.port))
        assert read_until_closed(extra) == b""
        extra.close()
        for sock in kept:
            sock.close()
        with grpc.insecure_channel(server.address) as channel:
            wait_for(lambda: _echo_ok(channel), "a slot to free up")
    with Server(args.server, "--max-concurrent-streams", "7") as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.settimeout(PATIENCE)
        settings = _read_settings(sock)
        sock.close()
        assert settings.get(3) == 7, settings  # MAX_CONCURRENT_STREAMS
        assert settings.get(6) == 16384, settings  # MAX_HEADER_LIST_SIZE
    with Server(args.server, "--idle-timeout", "1") as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(raw_preface())
        data = read_until_closed(sock)
        sock.close()
        assert _has_frame(data, 7), "no GOAWAY before the idle close"


def _read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


def _read_settings(sock):
    """The server's first frame, which must be SETTINGS, as {id: value}."""
    header = _read_exactly(sock, 9)
    assert header[3] == 4, "first frame is not SETTINGS"
    payload = _read_exactly(sock, int.from_bytes(header[:3], "big"))
    return {int.from_bytes(payload[i:i + 2], "big"):
            int.from_bytes(payload[i + 2:i + 6], "big")
            for i in range(0, len(payload), 6)}


def _echo_ok(channel):
    try:
        return unary(channel, "Echo", b"x", timeout=5) == b"x"
    except grpc.RpcError:
        return False


def _has_frame(data, frame_type):
    offset = 0
    while offset + 9 <= len(data):
        length = int.from_bytes(data[offset:offset + 3], "big")
        if data[offset + 3] == frame_type:
            return True
        offset += 9 + length
    return False


def nghttp(server, path, body, headers):
    """One raw request; returns the response header and trailer fields."""
    with tempfile.NamedTemporaryFile() as data:
        data.write(body)
        data.flush()
        command = ["nghttp", "-v", "-d", data.name]
        for header in headers:
            command += ["-H", header]
        command.append("http://%s%s" % (server.address, path))
        output = subprocess.run(command, capture_output=True, text=True,
                                timeout=PATIENCE).stdout
    fields = {}
    for line in output.splitlines():
        if "recv (stream_id=" in line:
            name, _, value = line.split(") ", 1)[1].partition(": ")
            fields[name] = value
    return fields


def frame(payload, compressed=0):
    return struct.pack(">BI", compressed, len(payload)) + payload


def case_http(args):
    if shutil.which("nghttp") is None:
        print("nghttp (nghttp2-client) not installed: skipped")
        return SKIP
    grpc_headers = ["content-type: application/grpc", "te: trailers"]
    with Server(args.server) as server:
        echo = TEST + "Echo"
        fields = nghttp(server, echo, frame(b"hi"), grpc_headers)
        assert fields[":status"] == "200" and fields["grpc-status"] == "0"
        assert fields["content-type"] == "application/grpc"
        fields = nghttp(server, echo, frame(b"hi"),
                        ["content-type: application/json", "te: trailers"])
        assert fields[":status"] == "415", fields
        # No "te: trailers" (some proxies strip it): accepted, like grpc-go.
        fields = nghttp(server, echo, frame(b"hi"),
                        ["content-type: application/grpc"])
        assert fields["grpc-status"] == "0", fields
        for content_type in ("application/grpc+proto",
                             "application/grpc; charset=utf-8",
                             "Application/gRPC"):
            fields = nghttp(server, echo, frame(b"hi"),
                            ["content-type: " + content_type, "te: trailers"])
            assert fields["grpc-status"] == "0", (content_type, fields)
        # Trailers-only responses carry content-type and the status.
        fields = nghttp(server, TEST + "Sleep", frame(b"600000"),
                        grpc_headers + ["grpc-timeout: 100m"])
        assert fields == {":status": "200",
                          "content-type": "application/grpc",
                          "grpc-accept-encoding": "identity,deflate,gzip",
                          "grpc-status": "4",
                          "grpc-message": "deadline exceeded"}, fields
        fields = nghttp(server, echo, frame(b"hi", 1),
                        grpc_headers + ["grpc-encoding: snappy"])
        assert fields["grpc-status"] == "12", fields
        assert fields["grpc-accept-encoding"] == "identity,deflate,gzip"
        fields = nghttp(server, echo, frame(gzip.compress(b"hi"), 1),
                        grpc_headers + ["grpc-encoding: gzip"])
        assert fields["grpc-status"] == "0", fields
        fields = nghttp(server, echo, frame(b"a") + frame(b"b"), grpc_headers)
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, b"", grpc_headers)
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, frame(b"abc")[:6], grpc_headers)
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, frame(b"hi"),
                        grpc_headers + ["grpc-timeout: 1x"])
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, frame(b"hi"),
                        grpc_headers + ["x-big: " + "y" * 20000])
        assert fields["grpc-status"] == "8", fields
        fields = nghttp(server, echo, frame(b"hi"),
                        grpc_headers + ["x-fits: " + "y" * 8000])
        assert fields["grpc-status"] == "0", fields


def case_daemon(args):
    """rectrackd itself: flags, readiness line, health, reflection, exit 0."""
    version = subprocess.run([args.daemon, "--version"], capture_output=True,
                             text=True, timeout=PATIENCE)
    assert version.returncode == 0 and version.stdout.startswith("rectrackd ")
    bad = subprocess.run([args.daemon, "--max-connections", "many"],
                         capture_output=True, text=True, timeout=PATIENCE)
    assert bad.returncode == 2 and "--max-connections" in bad.stderr
    with tempfile.TemporaryDirectory() as data_dir:
        config = os.path.join(data_dir, "rectrackd.conf")
        with open(config, "w") as out:
            out.write("# test config\nmax-connections = 8\n"
                      "data-dir = %s\n" % os.path.join(data_dir, "data"))
        with Server(args.daemon, "--config", config) as server, \
                grpc.insecure_channel(server.address) as channel:
            health, check, _ = health_stubs(args, channel)
            response = check(health.HealthCheckRequest(
                service="rectrack.v1.Tracker"), timeout=PATIENCE)
            assert response.status == health.HealthCheckResponse.SERVING
            expect_error(grpc.StatusCode.UNIMPLEMENTED,
                         channel.unary_unary("/rectrack.v1.Tracker/Nope"),
                         b"", timeout=PATIENCE)


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--gen", required=True)
    parser.add_argument("--daemon", help="rectrackd, for the daemon case")
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    result = CASES[args.case](args)
    if result == SKIP:
        return SKIP
    print("ok", args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
