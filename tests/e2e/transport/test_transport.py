#!/usr/bin/python3
"""End-to-end tests of rectrackd's gRPC transport (service/rt_server).

Each case gets rt_test_server (the transport with test methods, health
and reflection) from rtharness, on a free port, drives it with stock
clients (grpcio generic calls, the generated health and reflection
messages, nghttp for raw HTTP/2 requests), and requires it to exit 0 on
SIGTERM at the end (which under AddressSanitizer also means no leaks).
The daemon case does the same with rectrackd itself.

usage: test_transport.py CASE (the environment as rtharness.py says)
"""
import argparse
import gzip
import os
import socket
import struct
import sys
import threading

import grpc

import rtharness
from rtharness import PATIENCE, grpc_frame, nghttp, rpc_error, \
    transport_server, wait_for

TEST = "/rectrack.test.Test/"


def unary(channel, method, request, timeout=PATIENCE):
    return channel.unary_unary(TEST + method)(request, timeout=timeout)


def stats(channel):
    text = unary(channel, "Stats", b"").decode()
    return dict(part.split("=") for part in text.split())


# ---- cases ----------------------------------------------------------------

def case_echo():
    with transport_server() as server, server.channel() as channel:
        assert unary(channel, "Echo", b"hello") == b"hello"
        assert unary(channel, "Echo", b"") == b""
        big = os.urandom(1024 * 1024)
        assert unary(channel, "Echo", big) == big
        # grpc-message is percent-encoded on the wire, decoded by grpcio.
        message = "caf\u00e9 100% sure\nline two"
        error = rpc_error(grpc.StatusCode.INVALID_ARGUMENT, unary,
                          channel, "Echo", b"fail:" + message.encode())
        assert error.details() == message, repr(error.details())


def case_bidi():
    with transport_server() as server, server.channel() as channel:
        call = channel.stream_stream(TEST + "Bidi")
        requests = [b"one", b"", b"three" * 1000]
        assert list(call(iter(requests), timeout=PATIENCE)) == requests
        assert list(call(iter([]), timeout=PATIENCE)) == []


def case_unknown_method():
    with transport_server() as server, server.channel() as channel:
        error = rpc_error(grpc.StatusCode.UNIMPLEMENTED, unary, channel,
                          "Nope", b"x")
        assert "/rectrack.test.Test/Nope" in error.details()
        rpc_error(grpc.StatusCode.UNIMPLEMENTED,
                  channel.unary_unary("/other.Service/Echo"), b"x",
                  timeout=PATIENCE)
        assert unary(channel, "Echo", b"still fine") == b"still fine"


def case_too_big():
    with transport_server() as server, server.channel() as channel:
        error = rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, unary,
                          channel, "Echo", b"x" * (5 * 1024 * 1024))
        assert "exceeds the limit" in error.details(), error.details()
        assert unary(channel, "Echo", b"after") == b"after"
    # A lower limit from the command line applies too.
    with transport_server("--max-message-bytes", "1000") as server, \
            server.channel() as channel:
        assert unary(channel, "Echo", b"x" * 1000) == b"x" * 1000
        rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, unary, channel,
                  "Echo", b"x" * 1001)


def case_deadline():
    with transport_server() as server, server.channel() as channel:
        rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, unary, channel,
                  "Sleep", b"600000", timeout=0.3)
        # The server saw it too: the handler was cancelled, nothing leaks.
        wait_for(lambda: stats(channel) == {"cancelled": "1", "active": "0"},
                 "the Sleep handler to be cancelled")
        assert unary(channel, "Sleep", b"1") == b"slept"


def case_cancel():
    with transport_server() as server, server.channel() as channel:
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


def case_slow_reader():
    """A client that stops reading stalls only its own stream."""
    with transport_server() as server:
        slow = server.channel()
        fast = server.channel()
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


def case_concurrency():
    with transport_server("--log-level", "warn") as server:
        channels = [server.channel() for _ in range(4)]
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


def health_stubs(channel):
    health = rtharness.load_generated("grpc/health/v1/health_pb2.py")
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health.HealthCheckRequest.SerializeToString,
        response_deserializer=health.HealthCheckResponse.FromString)
    watch = channel.unary_stream(
        "/grpc.health.v1.Health/Watch",
        request_serializer=health.HealthCheckRequest.SerializeToString,
        response_deserializer=health.HealthCheckResponse.FromString)
    return health, check, watch


def case_health():
    with transport_server() as server, server.channel() as channel:
        health, check, watch = health_stubs(channel)
        serving = health.HealthCheckResponse.SERVING
        for name in ("", "rectrack.test.Test"):
            response = check(health.HealthCheckRequest(service=name),
                             timeout=PATIENCE)
            assert response.status == serving
        rpc_error(grpc.StatusCode.NOT_FOUND, check,
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
        server.terminate()
        assert next(updates).status == health.HealthCheckResponse.NOT_SERVING
        try:
            next(updates)
            raise AssertionError("Watch should end on shutdown")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error.code()
        assert server.stop() == 0


def case_reflection():
    from google.protobuf import descriptor_pb2
    with transport_server() as server, server.channel() as channel:
        for version in ("v1alpha", "v1"):
            reflection = rtharness.load_generated(
                "grpc/reflection/%s/reflection_pb2.py" % version)
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


def case_shutdown():
    with transport_server() as server, server.channel() as channel:
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
        server.terminate()
        thread.join(PATIENCE)
        assert result.get("reply") == b"slept", result
        assert server.stop() == 0
    # With no grace at all, the call in flight is cancelled, still exit 0.
    with transport_server("--shutdown-grace", "0") as server, \
            server.channel() as channel:
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


def case_limits():
    with transport_server("--max-connections", "2") as server:
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
        with server.channel() as channel:
            wait_for(lambda: _echo_ok(channel), "a slot to free up")
    with transport_server("--max-concurrent-streams", "7") as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.settimeout(PATIENCE)
        settings = _read_settings(sock)
        sock.close()
        assert settings.get(3) == 7, settings  # MAX_CONCURRENT_STREAMS
        assert settings.get(6) == 16384, settings  # MAX_HEADER_LIST_SIZE
    with transport_server("--idle-timeout", "1") as server:
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


def case_http():
    if not rtharness.have_nghttp():
        print("nghttp (nghttp2-client) not installed: skipped")
        return rtharness.SKIP
    grpc_headers = ["content-type: application/grpc", "te: trailers"]
    with transport_server() as server:
        echo = TEST + "Echo"
        fields = nghttp(server, echo, grpc_frame(b"hi"), grpc_headers)
        assert fields[":status"] == "200" and fields["grpc-status"] == "0"
        assert fields["content-type"] == "application/grpc"
        fields = nghttp(server, echo, grpc_frame(b"hi"),
                        ["content-type: application/json", "te: trailers"])
        assert fields[":status"] == "415", fields
        # No "te: trailers" (some proxies strip it): accepted, like grpc-go.
        fields = nghttp(server, echo, grpc_frame(b"hi"),
                        ["content-type: application/grpc"])
        assert fields["grpc-status"] == "0", fields
        for content_type in ("application/grpc+proto",
                             "application/grpc; charset=utf-8",
                             "Application/gRPC"):
            fields = nghttp(server, echo, grpc_frame(b"hi"),
                            ["content-type: " + content_type, "te: trailers"])
            assert fields["grpc-status"] == "0", (content_type, fields)
        # Trailers-only responses carry content-type and the status.
        fields = nghttp(server, TEST + "Sleep", grpc_frame(b"600000"),
                        grpc_headers + ["grpc-timeout: 100m"])
        assert fields == {":status": "200",
                          "content-type": "application/grpc",
                          "grpc-accept-encoding": "identity,deflate,gzip",
                          "grpc-status": "4",
                          "grpc-message": "deadline exceeded"}, fields
        fields = nghttp(server, echo, grpc_frame(b"hi", 1),
                        grpc_headers + ["grpc-encoding: snappy"])
        assert fields["grpc-status"] == "12", fields
        assert fields["grpc-accept-encoding"] == "identity,deflate,gzip"
        fields = nghttp(server, echo, grpc_frame(gzip.compress(b"hi"), 1),
                        grpc_headers + ["grpc-encoding: gzip"])
        assert fields["grpc-status"] == "0", fields
        fields = nghttp(server, echo, grpc_frame(b"a") + grpc_frame(b"b"),
                        grpc_headers)
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, b"", grpc_headers)
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, grpc_frame(b"abc")[:6], grpc_headers)
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, grpc_frame(b"hi"),
                        grpc_headers + ["grpc-timeout: 1x"])
        assert fields["grpc-status"] == "13", fields
        fields = nghttp(server, echo, grpc_frame(b"hi"),
                        grpc_headers + ["x-big: " + "y" * 20000])
        assert fields["grpc-status"] == "8", fields
        fields = nghttp(server, echo, grpc_frame(b"hi"),
                        grpc_headers + ["x-fits: " + "y" * 8000])
        assert fields["grpc-status"] == "0", fields


def case_daemon():
    """rectrackd itself: flags, a config file, health, exit 0."""
    version = rtharness.run("rectrackd", "--version", timeout=PATIENCE)
    assert version.code == 0 and version.out.startswith("rectrackd ")
    bad = rtharness.run("rectrackd", "--max-connections", "many",
                        timeout=PATIENCE)
    assert bad.code == 2 and "--max-connections" in bad.err
    server = rtharness.Server(data_dir=False)  # the config names it
    data_dir = server.path("data")
    config = server.path("rectrackd.conf")
    with open(config, "w") as out:
        out.write("# test config\nmax-connections = 8\n"
                  "data-dir = %s\n" % data_dir)
    server.flags += ["--config", config]
    with server, server.channel() as channel:
        health, check, _ = health_stubs(channel)
        response = check(health.HealthCheckRequest(
            service="rectrack.v1.Tracker"), timeout=PATIENCE)
        assert response.status == health.HealthCheckResponse.SERVING
        info = rtharness.pb_grpc.TrackerStub(channel).GetServerInfo(
            rtharness.pb.GetServerInfoRequest(), timeout=PATIENCE)
        assert info.data_dir == data_dir, info.data_dir
        rpc_error(grpc.StatusCode.UNIMPLEMENTED,
                  channel.unary_unary("/rectrack.v1.Tracker/Nope"), b"",
                  timeout=PATIENCE)


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    if CASES[args.case]() == rtharness.SKIP:
        return rtharness.SKIP
    print("ok", args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
