"""The HTTP listener's own setup and bounds: HTTPS with the gRPC
certificate (--tls-cert/--tls-key) and its reload on SIGHUP,
`http-listen` from the config file, the connection limit per address,
the idle timeout, and the request-size bound (a request line or headers
beyond what a connection may hold are 414 or 431).
"""

import http.client
import importlib.util
import os
import re
import shutil
import signal
import socket
import ssl
import tempfile
import unittest

import rtharness


def served_certificate(port, ca):
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=rtharness.PATIENCE) as sock:
        with context.wrap_socket(sock, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class Tls(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="rt-e2e-web-tls-")
        self.addCleanup(shutil.rmtree, self.directory, True)
        self.ca = rtharness.TestCA(self.directory)

    def install(self, pair, cert_path, key_path):
        for source, target in zip(pair, (cert_path, key_path)):
            shutil.copyfile(source, target + ".new")
            os.replace(target + ".new", target)

    def test_https_with_the_grpc_certificate_and_its_reload(self):
        cert_path = os.path.join(self.directory, "live.pem")
        key_path = os.path.join(self.directory, "live.key")
        first = self.ca.issue("first")
        self.install(first, cert_path, key_path)
        with rtharness.Server(tls=(cert_path, key_path, self.ca.cert),
                              http=True) as server:
            answer = server.http_get("/recommendations")  # over HTTPS
            self.assertEqual(answer.status, 200)
            self.assertIn("Strict-Transport-Security", answer.headers)
            self.assertEqual(served_certificate(server.http_port,
                                                self.ca.cert),
                             der_of(first[0]))
            # gRPC over TLS on its own port, with the same pair
            self.assertEqual(server.cli("status").code, 0)
            # cleartext on the HTTPS port gets no page
            with socket.create_connection(("127.0.0.1", server.http_port),
                                          timeout=rtharness.PATIENCE) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                self.assertNotIn(b"<html", data)
            second = self.ca.issue("second")
            self.install(second, cert_path, key_path)
            server.signal(signal.SIGHUP)
            server.wait_for_log("SIGHUP: reloaded the HTTPS certificate")
            self.assertEqual(served_certificate(server.http_port,
                                                self.ca.cert),
                             der_of(second[0]))
            # a key of another certificate: refused, the pair in force stays
            third = self.ca.issue("third")
            self.install((third[0], second[1]), cert_path, key_path)
            server.signal(signal.SIGHUP)
            server.wait_for_log("keeping the HTTPS certificate in force")
            self.assertEqual(served_certificate(server.http_port,
                                                self.ca.cert),
                             der_of(second[0]))
            self.assertEqual(server.http_get("/healthz").status, 200)


def tls_test_module():
    """tests/e2e/tls/test_tls.py, for its nginx front (class Nginx)."""
    path = os.path.join(rtharness.SOURCE_DIR, "tests", "e2e", "tls",
                        "test_tls.py")
    spec = importlib.util.spec_from_file_location("rt_test_tls", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@unittest.skipUnless(os.access(NGINX, os.X_OK), "Debian nginx")
class BehindNginx(unittest.TestCase):
    """deploy/nginx-rectrack.conf in front of the HTTP listener: the pages
    under /tracker/ over nginx's HTTPS, their links under it too, and
    /tracker/metrics for loopback only."""

    def test_the_pages_under_tracker_through_nginx(self):
        tls = tls_test_module()
        directory = tempfile.mkdtemp(prefix="rt-e2e-web-nginx-")
        self.addCleanup(shutil.rmtree, directory, True)
        ca = rtharness.TestCA(directory)
        cert, key = ca.issue("front")
        with rtharness.Server("--http-base-path", "/tracker",
                              http=True) as server:
            self.assertEqual(server.cli("import", rtharness.DEMO_JSON).code,
                             0)
            with open(tls.NGINX_CONF) as f:
                site = f.read()
            conf = os.path.join(directory, "nginx-rectrack.conf")
            with open(conf, "w") as f:
                f.write(tls.substitute(site, "server 127.0.0.1:8080;",
                                       "server %s;" % server.http_address))
            tls.NGINX_CONF = conf
            front = tls.Nginx(NGINX, directory, server.address, cert, key)
            try:
                front.start()
                context = ssl.create_default_context(cafile=ca.cert)

                def get(path):
                    c = http.client.HTTPSConnection(
                        "localhost", front.port, context=context,
                        timeout=rtharness.PATIENCE)
                    try:
                        c.request("GET", path)
                        r = c.getresponse()
                        return r.status, r.headers, r.read().decode()
                    finally:
                        c.close()

                status, headers, body = get(
                    "/tracker/recommendations?sdg=10.c")
                self.assertEqual(status, 200, body[:300])
                self.assertIn("default-src 'self'",
                              headers["Content-Security-Policy"])
                links = [l for l in re.findall(r'href="([^"]*)"', body)
                         if l.startswith("/")]
                self.assertTrue(links)
                for link in links:
                    self.assertTrue(link.startswith("/tracker/"), link)
                status, _, body = get(links[-1])
                self.assertEqual(status, 200, links[-1])
                status, _, body = get("/tracker/api/v1/recommendations/R12")
                self.assertEqual(status, 200)
                self.assertEqual(json_id(body), "R12")
                status, _, body = get("/tracker/metrics")  # from loopback
                self.assertEqual(status, 200)
                self.assertIn("rectrack_http_requests_total", body)
            finally:
                front.stop()


def json_id(body):
    import json
    return json.loads(body)["id"]


class Config(unittest.TestCase):
    def test_http_listen_from_the_config_file(self):
        directory = tempfile.mkdtemp(prefix="rt-e2e-web-config-")
        self.addCleanup(shutil.rmtree, directory, True)
        config = os.path.join(directory, "rectrackd.conf")
        with open(config, "w") as f:
            f.write("http-listen = 127.0.0.1:0\n"
                    "http-base-path = /tracker\n"
                    "http-timeout = 5\n")
        with rtharness.Server("--config", config) as server:
            self.assertIsNotNone(server.http_address,
                                 "the config file's http-listen")
            self.assertEqual(server.http_get("/tracker/sdg").status, 200)
        with open(config, "w") as f:
            f.write("http-timeout = 0\nhttp-listen = 127.0.0.1:0\n")
        result = rtharness.run("rectrackd", "--config", config,
                               "--data-dir", os.path.join(directory, "d"))
        self.assertEqual(result.code, 2, result)
        self.assertIn("http-timeout", result.err)


class PerAddress(rtharness.ServerTestCase):
    """The bound on connections from one address, with an idle timeout
    long enough that a loaded machine does not close the held ones."""
    server_http = True
    server_flags = ("--http-max-connections-per-address", "2",
                    "--http-timeout", "60")

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.server.http_port),
                                        timeout=rtharness.PATIENCE)

    def answered_connection(self):
        """A connection whose request was answered 200, kept open. A slot
        that a closed connection held may be freed a moment late: a
        connection refused for it is tried again."""
        kept = []

        def answered():
            s = self.connect()
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                data = s.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if b"200 OK" in data:
                kept.append(s)
                return True
            s.close()
            return False
        rtharness.wait_for(answered, "a connection to be answered")
        return kept[0]

    def test_connections_per_address_are_bounded(self):
        held = [self.answered_connection(), self.answered_connection()]
        try:
            third = self.connect()
            try:
                try:
                    third.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    data = third.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    data = b""
                self.assertEqual(data, b"", "the third connection refused")
            finally:
                third.close()
        finally:
            for s in held:
                s.close()
        # Once they are closed, a new connection is answered again.
        self.answered_connection().close()


class Bounds(rtharness.ServerTestCase):
    server_http = True
    server_flags = ("--http-max-connections-per-address", "2",
                    "--http-timeout", "1")

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.server.http_port),
                                        timeout=rtharness.PATIENCE)

    def test_an_idle_connection_is_closed(self):
        with self.connect() as s:
            s.settimeout(rtharness.PATIENCE)
            # nothing sent: closed by the server after --http-timeout
            self.assertEqual(s.recv(4096), b"")

    def wait_answered(self):
        """Until /healthz is 200: the connections a test closed may still
        hold their slots (--http-max-connections-per-address 2) for a
        moment."""
        def answered():
            try:
                return self.server.http_get("/healthz").status == 200
            except OSError:  # refused while the slots are taken
                return False
        rtharness.wait_for(answered, "a connection slot to be free again")

    def raw(self, request):
        """Sends request on a new connection; what came back before the
        server closed it (a reset, after an early answer to a request it
        did not read whole, may lose that answer: b"")."""
        with self.connect() as s:
            try:
                s.sendall(request)
            except (BrokenPipeError, ConnectionResetError):
                pass
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
            return data

    def test_request_size_is_bounded(self):
        """What a connection may hold of a request is bounded (256 KiB):
        a longer request line is 414, longer headers 431, and neither
        reaches a page."""
        answer = self.raw(b"GET /" + b"a" * (300 << 10) +
                          b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(answer == b"" or answer.startswith(
            b"HTTP/1.1 414"), answer[:100])
        answer = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                          b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 4000)
                                   for i in range(80)) + b"\r\n")
        self.assertTrue(answer == b"" or answer.startswith(
            b"HTTP/1.1 431"), answer[:100])
        # the listener goes on
        self.wait_answered()

if __name__ == "__main__":
    unittest.main()
