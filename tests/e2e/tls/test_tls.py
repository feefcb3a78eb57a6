#!/usr/bin/python3
"""End-to-end tests of TLS: rectrackd serving TLS itself (--tls-cert,
--tls-key) and behind nginx, reached by grpcio's secure channel, the
rectrack CLI and raw TLS sockets. Every certificate is made for the test
by rtharness.TestCA (the openssl CLI); every server comes from rtharness.

usage: test_tls.py CASE (the environment as rtharness.py says)
"""
import argparse
import os
import signal
import socket
import ssl
import sys
import tempfile
import time

import grpc

import rtharness
from rtharness import PATIENCE, pb, pb_grpc, wait_for

# A mistake must be reported well before the CLI's own 30 s deadline: a
# mismatch that waited for it would count as a hang.
PROMPT_S = 10.0


def tls_server(ca, *flags, hosts=("localhost", "127.0.0.1")):
    cert, key = ca.issue("server", hosts=hosts)
    return rtharness.Server("--log-level", "debug", *flags,
                            tls=(cert, key, ca.cert))


def new_ca(directory, name="rectrack test CA"):
    os.makedirs(directory, exist_ok=True)
    return rtharness.TestCA(directory, name)


def scratch():
    """A temporary directory for certificates, removed at the end."""
    return tempfile.TemporaryDirectory(prefix="rt-e2e-tls-")


def server_info(channel):
    return pb_grpc.TrackerStub(channel).GetServerInfo(
        pb.GetServerInfoRequest(), timeout=PATIENCE)


def tls_socket(port, alpn=("h2",), ca=None, **context_settings):
    """A TLS client socket to localhost:port (raises ssl.SSLError when the
    server refuses the handshake)."""
    context = ssl.create_default_context(cafile=ca)
    if ca is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    for name, value in context_settings.items():
        setattr(context, name, value)
    if alpn:
        context.set_alpn_protocols(list(alpn))
    sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    try:
        return context.wrap_socket(sock, server_hostname="localhost")
    except BaseException:
        sock.close()
        raise


def served_certificate(port):
    """The DER certificate the server presents to a new connection."""
    with tls_socket(port) as sock:
        return sock.getpeercert(binary_form=True)


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def timed(fn, *args, **kwargs):
    began = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - began


# ---- cases ----------------------------------------------------------------

def case_grpcio():
    """grpcio's secure channel, trusting the test CA, calls every kind."""
    with scratch() as directory:
        ca = new_ca(directory)
        with tls_server(ca) as server, server.channel() as channel:
            server.wait_for_log("(TLS)")
            assert server_info(channel).version
            stub = pb_grpc.TrackerStub(channel)
            source = rtharness.make_source(stub)
            got = stub.GetSource(pb.GetSourceRequest(id=source.id),
                                 timeout=PATIENCE)
            assert got.title == source.title
            health = rtharness.load_generated("grpc/health/v1/health_pb2.py")
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health.HealthCheckRequest.SerializeToString,
                response_deserializer=health.HealthCheckResponse.FromString)
            assert check(health.HealthCheckRequest(),
                         timeout=PATIENCE).status == \
                health.HealthCheckResponse.SERVING
            # A streaming call, big enough to span many TLS records.
            for i in range(40):
                stub.CreateRecommendation(pb.CreateRecommendationRequest(
                    recommendation=rtharness.recommendation(
                        source.id, title="TLS %d" % i, text="t" * 5000)),
                    timeout=PATIENCE)
            page = stub.ListRecommendations(pb.ListRecommendationsRequest(
                page_size=100), timeout=PATIENCE)
            assert len(page.recommendations) == 40


def case_cli():
    """The CLI with https:// and --ca-file, RECTRACK_CA_FILE, the config
    file's ca-file key, and --tls with a bare HOST:PORT."""
    with scratch() as directory:
        ca = new_ca(directory)
        with tls_server(ca) as server:
            ok = server.cli("status")
            assert ok.code == 0 and "SERVING" in ok.out, repr(ok)
            url = "https://localhost:%d" % server.port
            env = rtharness.cli_env(RECTRACK_CA_FILE=ca.cert)
            result = rtharness.run_cli("status", server=url, env=env)
            assert result.code == 0, repr(result)
            result = rtharness.run_cli("--tls", "--ca-file", ca.cert,
                                       "status",
                                       server="localhost:%d" % server.port)
            assert result.code == 0, repr(result)
            config = server.path("cli.conf")
            with open(config, "w") as f:
                f.write("server = %s\nca-file = %s\n" % (url, ca.cert))
            result = rtharness.run("rectrack", "status",
                                   env=rtharness.cli_env(
                                       RECTRACK_CONFIG=config))
            assert result.code == 0, repr(result)
            # An IP address is verified against the certificate's IP names.
            result = rtharness.run_cli("--ca-file", ca.cert, "status",
                                       server="https://127.0.0.1:%d" %
                                       server.port)
            assert result.code == 0, repr(result)
            # A CA file that cannot be read is a usage error.
            result = rtharness.run_cli("--ca-file",
                                       os.path.join(directory, "nope.pem"),
                                       "status", server=url)
            assert result.code == 2 and "--ca-file" in result.err, repr(result)


def case_wrong_ca():
    """A certificate the CLI cannot verify: exit 7, a message naming the
    check that failed, never "is rectrackd running?"."""
    with scratch() as directory:
        ca = new_ca(directory)
        other = new_ca(os.path.join(directory, "other"), "another CA")
        with tls_server(ca, hosts=("localhost",)) as server:
            url = "https://localhost:%d" % server.port
            for extra in (("--ca-file", other.cert), ()):
                result = rtharness.run_cli(*extra, "status", server=url)
                assert result.code == 7, repr(result)
                assert "certificate verify failed" in result.err, repr(result)
                assert "--ca-file" in result.err, repr(result)
                assert "running" not in result.err, repr(result)
            # The name must match too: this certificate is only for
            # localhost.
            result = rtharness.run_cli("--ca-file", ca.cert, "status",
                                       server="https://127.0.0.1:%d" %
                                       server.port)
            assert result.code == 7, repr(result)
            assert "certificate verify failed" in result.err, repr(result)
            assert "not for this address" in result.err, repr(result)
            # grpcio refuses it as well.
            with open(other.cert, "rb") as f:
                credentials = grpc.ssl_channel_credentials(f.read())
            with grpc.secure_channel("localhost:%d" % server.port,
                                     credentials) as channel:
                rtharness.rpc_error(grpc.StatusCode.UNAVAILABLE, server_info,
                                    channel)
            assert "TLS handshake with" in server.log(), server.log_tail()


def case_mismatch():
    """Cleartext against the TLS port and TLS against a cleartext port:
    each side gets a clear error, fast."""
    with scratch() as directory:
        ca = new_ca(directory)
        with tls_server(ca) as tls, \
                rtharness.Server("--log-level", "debug") as clear:
            result, took = timed(rtharness.run_cli, "status",
                                 server="127.0.0.1:%d" % tls.port)
            assert result.code == 7, repr(result)
            assert "try https://" in result.err, repr(result)
            assert took < PROMPT_S, took
            result, took = timed(rtharness.run_cli, "--ca-file", ca.cert,
                                 "status",
                                 server="https://127.0.0.1:%d" % clear.port)
            assert result.code == 7, repr(result)
            assert "does not speak TLS" in result.err, repr(result)
            assert took < PROMPT_S, took
            # grpcio, both ways, fails at once rather than at its deadline.
            with grpc.insecure_channel(tls.address) as channel:
                error, took = timed(rtharness.rpc_error,
                                    grpc.StatusCode.UNAVAILABLE, server_info,
                                    channel)
                assert took < PROMPT_S, took
            with open(ca.cert, "rb") as f:
                credentials = grpc.ssl_channel_credentials(f.read())
            with grpc.secure_channel("localhost:%d" % clear.port,
                                     credentials) as channel:
                error, took = timed(rtharness.rpc_error,
                                    grpc.StatusCode.UNAVAILABLE, server_info,
                                    channel)
                assert took < PROMPT_S, took
            # A raw cleartext preface on the TLS port: the connection ends
            # promptly, and the server says why in its debug log.
            sock = socket.create_connection(("127.0.0.1", tls.port))
            sock.settimeout(PROMPT_S)
            sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            sock.close()
            assert data[3] == 7, data  # GOAWAY
            assert b"use https://" in data, data
            tls.wait_for_log("cleartext HTTP/2 from")
            clear.wait_for_log("TLS handshake from")


def case_reload():
    """SIGHUP: new connections get the new certificate, open ones keep
    working; a bad pair is refused and logged, the good one stays."""
    with scratch() as directory:
        ca = new_ca(directory)
        first = ca.issue("first")
        server_path = os.path.join(directory, "live.pem")
        key_path = os.path.join(directory, "live.key")
        _install(first, server_path, key_path)
        server = rtharness.Server("--log-level", "debug",
                                  tls=(server_path, key_path, ca.cert))
        with server, server.channel() as old_channel:
            assert served_certificate(server.port) == der_of(first[0])
            assert server_info(old_channel).version
            second = ca.issue("second")
            _install(second, server_path, key_path)
            server.signal(signal.SIGHUP)
            server.wait_for_log("SIGHUP: reloaded the TLS certificate")
            assert served_certificate(server.port) == der_of(second[0])
            assert server_info(old_channel).version  # still the old session
            # A key that does not belong to the certificate.
            third = ca.issue("third")
            _install((third[0], second[1]), server_path, key_path)
            server.signal(signal.SIGHUP)
            server.wait_for_log("keeping the TLS certificate in force")
            assert "does not belong to the certificate" in server.log()
            assert served_certificate(server.port) == der_of(second[0])
            # Not PEM at all.
            with open(server_path, "w") as f:
                f.write("not a certificate\n")
            server.signal(signal.SIGHUP)
            wait_for(lambda: server.log().count(
                "keeping the TLS certificate in force") == 2,
                "the second refused reload")
            assert served_certificate(server.port) == der_of(second[0])
            assert server.cli("status").code == 0


def _install(pair, cert_path, key_path):
    for source, target in zip(pair, (cert_path, key_path)):
        with open(source, "rb") as f, open(target + ".new", "wb") as out:
            out.write(f.read())
        os.replace(target + ".new", target)


def case_alpn():
    """ALPN: h2 only; a client offering something else, or nothing, gets
    a no_application_protocol alert."""
    with scratch() as directory:
        ca = new_ca(directory)
        with tls_server(ca) as server:
            with tls_socket(server.port, ca=ca.cert) as sock:
                assert sock.selected_alpn_protocol() == "h2"
                assert sock.version() in ("TLSv1.2", "TLSv1.3")
            for offer in (("http/1.1",), ()):
                try:
                    tls_socket(server.port, alpn=offer).close()
                    raise AssertionError("handshake with ALPN %r succeeded"
                                         % (offer,))
                except ssl.SSLError as error:
                    assert "NO_APPLICATION_PROTOCOL" in str(error).upper() \
                        .replace(" ", "_"), error
            server.wait_for_log('did not offer "h2"')
            server.wait_for_log("offered no ALPN")


def case_old_tls():
    """TLS 1.1 and older are refused; TLS 1.2 works with an ECDHE+AEAD
    suite, TLS 1.3 with its own."""
    with scratch() as directory:
        ca = new_ca(directory)
        with tls_server(ca) as server:
            try:
                sock = tls_socket(server.port,
                                  minimum_version=ssl.TLSVersion.TLSv1,
                                  maximum_version=ssl.TLSVersion.TLSv1_1,
                                  ciphers=None)
                sock.close()
                raise AssertionError("a TLS 1.1 handshake succeeded")
            except ssl.SSLError as error:
                text = str(error).upper()
                if "NO_PROTOCOLS_AVAILABLE" in text or \
                        "NO PROTOCOLS AVAILABLE" in text:
                    print("this OpenSSL cannot even offer TLS 1.1: skipped")
                else:
                    assert "PROTOCOL_VERSION" in text or \
                        "PROTOCOL VERSION" in text, error
                    server.wait_for_log("unsupported protocol")
            with tls_socket(server.port, ca=ca.cert,
                            maximum_version=ssl.TLSVersion.TLSv1_2) as sock:
                name, version, _ = sock.cipher()
                assert version == "TLSv1.2", version
                assert name.startswith("ECDHE-") and \
                    ("GCM" in name or "CHACHA20" in name), name
            with tls_socket(server.port, ca=ca.cert) as sock:
                assert sock.version() == "TLSv1.3", sock.version()


def case_bad_files():
    """Unusable TLS files stop the start with one clear line."""
    with scratch() as directory:
        ca = new_ca(directory)
        cert, key = ca.issue("good")
        other_cert, _ = ca.issue("other")
        data = os.path.join(directory, "data")
        cases = [
            (["--tls-cert", cert], 2, "--tls-cert needs --tls-key"),
            (["--tls-key", key], 2, "--tls-key needs --tls-cert"),
            (["--tls-cert", os.path.join(directory, "none.pem"),
              "--tls-key", key], 1,
             "cannot read the TLS certificate"),
            (["--tls-cert", key, "--tls-key", key], 1,
             "cannot be used"),
            (["--tls-cert", other_cert, "--tls-key", key], 1,
             "does not belong to the certificate"),
        ]
        for flags, code, message in cases:
            result = rtharness.run("rectrackd", "--listen", "127.0.0.1:0",
                                   "--data-dir", data, *flags,
                                   timeout=PATIENCE)
            assert result.code == code and message in result.err, \
                (flags, repr(result))


# ---- nginx ------------------------------------------------------------------

NGINX_CONF = os.path.join(rtharness.SOURCE_DIR, "deploy",
                          "nginx-rectrack.conf")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def substitute(text, old, new):
    """Replaces old (which must be in the shipped config: if it changed,
    this test must change with it)."""
    assert old in text, "%r is no longer in %s" % (old, NGINX_CONF)
    return text.replace(old, new)


class Nginx:
    """Debian's nginx as the test user, with deploy/nginx-rectrack.conf
    pointed at a free port, the test certificate and the test's
    rectrackd, and every path of its own in directory."""

    def __init__(self, binary, directory, upstream, cert, key):
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        with open(NGINX_CONF) as f:
            site = f.read()
        site = substitute(site, "server 127.0.0.1:50051;",
                          "server %s;" % upstream)
        site = substitute(site, "listen 443 ssl http2;",
                          "listen 127.0.0.1:%d ssl http2;" % self.port)
        site = substitute(site, "/etc/ssl/certs/rectrack.pem", cert)
        site = substitute(site, "/etc/ssl/private/rectrack.key", key)
        temp = "".join("    %s_temp_path %s;\n" % (kind, os.path.join(
            directory, kind)) for kind in ("client_body", "proxy",
                                             "fastcgi", "uwsgi", "scgi"))
        user = ""
        if os.geteuid() == 0:  # workers would otherwise drop to nobody
            import pwd
            user = "user %s;\n" % pwd.getpwuid(0).pw_name
        self.conf = os.path.join(directory, "nginx.conf")
        self.error_log = os.path.join(directory, "error.log")
        with open(self.conf, "w") as f:
            f.write("%sworker_processes 1;\ndaemon off;\npid %s;\n"
                    "error_log %s info;\nevents { worker_connections 128; }\n"
                    "http {\n    access_log %s;\n%s%s}\n" % (
                        user, os.path.join(directory, "nginx.pid"),
                        self.error_log, os.path.join(directory, "access.log"),
                        temp, site))
        self.proc = None

    def start(self):
        self.proc = rtharness.subprocess.Popen(
            [self.binary, "-p", self.directory, "-c", self.conf, "-e",
             self.error_log], stdin=rtharness.subprocess.DEVNULL)

        def listening():
            assert self.proc.poll() is None, "nginx exited: %s" % self.log()
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return True
            except OSError:
                return False

        wait_for(listening, "nginx on port %d" % self.port)
        return self

    def log(self):
        try:
            with open(self.error_log) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(PATIENCE)
            except rtharness.subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def h2_health_check(port, ca, source, headers=()):
    """One Health/Check over TLS with the h2 library, from a socket bound
    to source: a client whose address is not the proxy's. Returns the
    grpc-status."""
    import h2.connection
    import h2.events
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    raw = socket.socket()
    raw.bind((source, 0))
    raw.settimeout(PATIENCE)
    raw.connect(("127.0.0.1", port))
    with context.wrap_socket(raw, server_hostname="localhost") as sock:
        conn = h2.connection.H2Connection()
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [
            (":method", "POST"), (":scheme", "https"),
            (":path", "/grpc.health.v1.Health/Check"),
            (":authority", "localhost:%d" % port),
            ("content-type", "application/grpc"), ("te", "trailers"),
            *headers])
        conn.send_data(stream, rtharness.grpc_frame(b""), end_stream=True)
        sock.sendall(conn.data_to_send())
        fields = {}
        while True:
            data = sock.recv(65536)
            assert data, "nginx closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, (h2.events.ResponseReceived,
                                      h2.events.TrailersReceived)):
                    fields.update((k.decode(), v.decode())
                                  for k, v in event.headers)
                if isinstance(event, h2.events.StreamEnded):
                    return fields.get("grpc-status")
            sock.sendall(conn.data_to_send())


def case_nginx():
    """deploy/nginx-rectrack.conf in front of rectrackd: the CLI and
    grpcio through it, and the client's address in rectrackd's log."""
    import shutil
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        print("nginx not installed (deploy/install-deps.sh): skipped")
        return rtharness.SKIP
    with scratch() as directory:
        ca = new_ca(directory)
        cert, key = ca.issue("front")
        with rtharness.Server("--trusted-proxy", "127.0.0.1") as server:
            front = Nginx(binary, directory, server.address, cert, key)
            try:
                front.start()
                url = "https://localhost:%d" % front.port
                result = rtharness.run_cli("--ca-file", ca.cert, "status",
                                           server=url)
                assert result.code == 0 and "SERVING" in result.out, \
                    repr(result)
                with open(ca.cert, "rb") as f:
                    credentials = grpc.ssl_channel_credentials(f.read())
                with grpc.secure_channel("localhost:%d" % front.port,
                                         credentials) as channel:
                    stub = pb_grpc.TrackerStub(channel)
                    source = rtharness.make_source(stub)
                    assert stub.GetSource(pb.GetSourceRequest(id=source.id),
                                          timeout=PATIENCE).id == source.id
                # A client on another address, and one that claims to be
                # someone else: the log names what nginx saw.
                assert h2_health_check(front.port, ca.cert,
                                       "127.0.0.3") == "0"
                server.wait_for_log("peer 127.0.0.3 via 127.0.0.1:")
                assert h2_health_check(
                    front.port, ca.cert, "127.0.0.4",
                    [("x-forwarded-for", "203.0.113.9")]) == "0"
                server.wait_for_log("peer 127.0.0.4 via 127.0.0.1:")
                assert "203.0.113.9" not in server.log(), server.log_tail()
            finally:
                front.stop()
        # Without --trusted-proxy nobody's x-forwarded-for is believed.
        with rtharness.Server() as server, server.channel() as channel:
            pb_grpc.TrackerStub(channel).GetServerInfo(
                pb.GetServerInfoRequest(), timeout=PATIENCE,
                metadata=[("x-forwarded-for", "203.0.113.9")])
            server.wait_for_log("GetServerInfo OK")
            assert "203.0.113.9" not in server.log(), server.log_tail()
            assert "peer 127.0.0.1:" in server.log(), server.log_tail()


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
