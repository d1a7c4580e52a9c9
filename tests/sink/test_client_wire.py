"""The sink's HTTP client on the wire: answers as servers really send them (chunked, closing, slow, cut short,
over TLS), keep-alive reuse, and every failure sorted as the sink expects — with the token never in a reason."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ol_om_core.contract.sinks import SinkError
from ol_om_sink import transport
from ol_om_sink.client import Client, Rejected, Transient
from ol_om_sink.config import SinkConfig

TOKEN = "wire-token-SECRET"
Answerer = Callable[[bytes], bytes | None]
"""The request's bytes in, the raw answer out (None: close without a word)."""


class RawServer:
    """An HTTP server on loopback that answers each request with exactly the bytes it is given."""

    def __init__(self, answer: Answerer, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.close_after_answer = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            file = conn.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = file.readline()
                    if not line:
                        return
                    head += line
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = head + file.read(length)
                self.requests.append(request)
                raw = self.answer(request)
                if raw is None:
                    return
                conn.sendall(raw)
                if self.close_after_answer:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Answerer, tls: ssl.SSLContext | None = None) -> RawServer:
        servers.append(RawServer(answer, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def client(server: RawServer, scheme: str = "http", **settings: object) -> Client:
    config = SinkConfig(hostPort=f"{scheme}://127.0.0.1:{server.port}/api", securityConfig={"jwtToken": TOKEN},
                        **settings)
    return Client(config)


def ok(body: bytes = b'{"a": 1}', *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_a_request_carries_its_headers_and_body_and_the_connection_is_kept(serve):
    server = serve(lambda request: ok())
    c = client(server)
    for _ in range(3):
        assert c.call("PUT", "/v1/lineage", {"x": "é"}).body == {"a": 1}
    assert server.connections == 1  # keep-alive: one connection for the three calls
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"PUT /api/v1/lineage HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}".encode() in lines
    assert f"Authorization: Bearer {TOKEN}".encode() in lines
    assert f"Content-Length: {len(body)}".encode() in lines
    assert body == '{"x":"é"}'.encode()
    c.close()


def test_a_target_is_percent_encoded_where_it_must_be(serve):
    server = serve(lambda request: ok())
    client(server).call("GET", "/v1/tables/name/a b.ü", params={"fields": "columns,tags"})
    assert server.requests[0].startswith(b"GET /api/v1/tables/name/a%20b.%C3%BC?fields=columns%2Ctags HTTP/1.1\r\n")
    assert b"Content-Length" not in server.requests[0]  # a GET without a body says nothing of one


def test_chunked_answers_with_extensions_and_trailers_are_read_whole(serve):
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b'4;ext=1\r\n{"a"\r\n3\r\n: 2\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n')
    server = serve(lambda request: chunked)
    c = client(server)
    assert c.call("GET", "/v1/x").body == {"a": 2}
    assert c.call("GET", "/v1/x").body == {"a": 2}
    assert server.connections == 1


def test_informational_answers_are_skipped_and_close_is_honoured(serve):
    server = serve(lambda request: b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"{}", "Connection: close"))
    c = client(server)
    assert c.call("GET", "/v1/x").status == 200
    assert c.call("GET", "/v1/x").status == 200
    assert server.connections == 2  # the server said close: a new connection for the next call


def test_an_answer_without_length_ends_with_the_connection(serve):
    server = serve(lambda request: b'HTTP/1.0 200 OK\r\n\r\n{"b": 3}')
    server.close_after_answer = True
    c = client(server)
    assert c.call("GET", "/v1/x").body == {"b": 3}
    assert c.call("GET", "/v1/x").body == {"b": 3}
    assert server.connections == 2


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed(serve):
    server = serve(lambda request: ok())
    c = client(server)
    c.call("GET", "/v1/x")
    # The server hangs up the idle connection (as a keep-alive timeout does): the next call opens a new one.
    for conn in list(c._connections._idle):
        conn.sock.shutdown(socket.SHUT_RD)  # stands for the server's FIN: the socket reads as closed
    assert c.call("GET", "/v1/x").status == 200
    assert server.connections == 2


@pytest.mark.parametrize(("raw", "reason"), [
    (None, "ProtocolError: the server closed the connection without answering"),
    (b"SSH-2.0-OpenSSH\r\n\r\n", "ProtocolError: not an HTTP/1.x status line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}", "ProtocolError: the answer was cut short (2 of 50 bytes)"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "ProtocolError: bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", "ProtocolError: bad chunk size"),
    (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 70_000 + b"\r\n\r\n", "ProtocolError: a line of the answer is longer"),
    (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", "503 (no body)"),
], ids=["closed", "not-http", "cut-short", "bad-length", "bad-chunk", "long-line", "503"])
def test_broken_answers_are_transient_with_a_reason_and_no_token(serve, raw, reason):
    server = serve(lambda request: raw)
    server.close_after_answer = True  # a cut-short answer is known as such when the connection ends
    with pytest.raises(Transient) as error:
        client(server).call("PUT", "/v1/lineage", {"edge": 1})
    assert error.value.reason.startswith("PUT /v1/lineage: ")
    assert reason in error.value.reason
    assert TOKEN not in error.value.reason


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000,
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n"
    + b"c01\r\n" + b"x" * 3073 + b"\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 5000,
], ids=["length", "chunked", "to-the-close"])
def test_an_answer_over_the_limit_is_not_read(serve, raw, monkeypatch):
    monkeypatch.setattr(transport, "_MAX_ANSWER", 4096)
    server = serve(lambda request: raw)
    server.close_after_answer = True
    with pytest.raises(Transient, match=r"over 4096|longer than 4096"):
        client(server).call("GET", "/v1/tables/name/x")


def test_a_refusal_is_rejected_with_the_servers_message_and_retry_after_is_read(serve):
    server = serve(lambda request: b'HTTP/1.1 400 Bad Request\r\nContent-Length: 16\r\n\r\n{"message":"no"}')
    with pytest.raises(Rejected, match="400: no"):
        client(server).call("PUT", "/v1/lineage", {})
    server.answer = lambda request: b"HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n"
    with pytest.raises(Transient) as error:
        client(server).call("PUT", "/v1/lineage", {})
    assert error.value.retry_after == 7


def test_a_server_too_slow_times_out_into_transient(serve):
    server = serve(lambda request: (threading.Event().wait(2), ok())[1])
    with pytest.raises(Transient, match="TimeoutError: no answer in time"):
        client(server, timeout=0.2).call("GET", "/v1/x")


def test_nobody_listening_is_transient():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    c = Client(SinkConfig(hostPort=f"http://127.0.0.1:{port}/api", authProvider="no-auth"))
    with pytest.raises(Transient, match="ConnectionRefusedError"):
        c.call("GET", "/v1/system/version")


# -- TLS ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509  # a test dependency (moto, for tests/kinesis, brings it)
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "ol-om test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(serve, certificate) -> RawServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return serve(lambda request: ok(), context)


def test_tls_is_verified_against_the_configured_authority(tls_server, certificate):
    c = client(tls_server, "https", sslConfig={"caCertificate": str(certificate[0])})
    assert c.call("GET", "/v1/x").body == {"a": 1}
    assert c.call("GET", "/v1/x").status == 200
    assert tls_server.connections == 1
    pem = certificate[0].read_text()
    assert client(tls_server, "https", sslConfig={"caCertificate": pem}).call("GET", "/v1/x").status == 200


def test_an_unknown_certificate_is_refused_unless_told_to_ignore(tls_server):
    with pytest.raises(Transient, match="SSLCertVerificationError"):
        client(tls_server, "https").call("GET", "/v1/x")
    assert client(tls_server, "https", verifySSL="ignore").call("GET", "/v1/x").status == 200


def test_unusable_certificate_settings_are_said_at_once_without_the_key(tls_server, tmp_path):
    missing = tmp_path / "absent.pem"
    with pytest.raises(SinkError, match=r"sslConfig\.caCertificate cannot be used"):
        client(tls_server, "https", sslConfig={"caCertificate": str(missing)})
    with pytest.raises(SinkError, match=r"sslConfig\.sslCertificate / sslKey cannot be used") as error:
        client(tls_server, "https", verifySSL="ignore",
               sslConfig={"sslCertificate": str(missing), "sslKey": "key-SECRET-path"})
    assert "SECRET" not in str(error.value)
