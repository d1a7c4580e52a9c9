"""HTTP/1.1 over keep-alive connections to one server: a request out in one write, the answer read back.

The sink's calls are small JSON requests to one origin, thousands a second: urllib3 spent about 300 µs of CPU on
each and http.client (whose header parsing goes through the email package) about 150; this does the same work
in about 70. It speaks exactly what OpenMetadata's API needs: a body sent with ``Content-Length``, answers with
``Content-Length``, chunked or read to the end, 1xx answers skipped, ``Connection: close`` honoured. It never
follows redirects, and adds no proxy. Errors are ``OSError`` (socket, TLS, timeout) or ``ProtocolError``: the
client sorts them (``client.py``); none of them carries the request, whose headers hold the token.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import BinaryIO

_MAX_LINE = 65536
_MAX_HEADERS = 100
_MAX_ANSWER = 64 << 20
"""The largest answer body read (OpenMetadata's largest, a table with thousands of columns, is a few MiB): a
server that sends more, or announces more, is broken, and must not take the process's memory with it."""
_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.x as it should be (a bad status line, a header too long, cut short)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    data: bytes


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file: BinaryIO = sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def idle_and_open(self) -> bool:
        """True when nothing is waiting to be read: the server has not closed it (or sent junk) while idle."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return False
        try:
            if hasattr(select, "poll"):  # poll has no FD_SETSIZE limit (librdkafka's sockets count too)
                poller = select.poll()
                poller.register(self.sock, select.POLLIN)
                return not poller.poll(0)
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable


class Connections:
    """Keep-alive connections to ``host:port`` (TLS when ``tls`` is given), one per calling thread at a time."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, connect_timeout: float,
                 read_timeout: float) -> None:
        self.host, self.port = host, port
        self._tls = tls
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

    def exchange(self, request: bytes) -> Answer:
        """Send one whole request (request line, headers, body) and read its answer."""
        connection = self._take()
        try:
            connection.sock.sendall(request)
            answer, reusable = _read_answer(connection.file)
        except BaseException:
            connection.close()
            raise
        if reusable:
            with self._lock:
                self._idle.append(connection)
        else:
            connection.close()
        return answer

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self) -> _Connection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._open()
            if connection.idle_and_open():
                return connection
            connection.close()

    def _open(self) -> _Connection:
        sock = socket.create_connection((self.host, self.port), timeout=self._connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(self._read_timeout)
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)


def _read_answer(file: BinaryIO) -> tuple[Answer, bool]:
    """The answer and whether the connection may carry another request (RFC 9112 §6.3, §9.3)."""
    while True:
        line = _line(file)
        if not line:
            raise ProtocolError("the server closed the connection without answering")
        version, _, rest = line.partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {line[:80]!r}")
        status = int(code)
        headers = _headers(file)
        if not 100 <= status < 200:  # 1xx: informational, the real answer follows
            break
    keep = version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if status in (204, 304):
        return Answer(status, headers, b""), keep
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Answer(status, headers, _chunked(file)), keep
    length = headers.get("content-length")
    if length is None:  # the body ends with the connection
        data = file.read(_MAX_ANSWER + 1)
        if len(data) > _MAX_ANSWER:
            raise ProtocolError(f"the answer is longer than {_MAX_ANSWER} bytes")
        return Answer(status, headers, data), False
    if not (length.isascii() and length.isdigit()):
        raise ProtocolError(f"bad Content-Length: {length[:40]!r}")
    if int(length) > _MAX_ANSWER:
        raise ProtocolError(f"the answer announces {length} bytes, over {_MAX_ANSWER}")
    data = file.read(int(length))
    if len(data) != int(length):
        raise ProtocolError(f"the answer was cut short ({len(data)} of {length} bytes)")
    return Answer(status, headers, data), keep


def _line(file: BinaryIO) -> bytes:
    line = file.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise ProtocolError("a line of the answer is longer than 64 KiB")
    return line


def _headers(file: BinaryIO) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS + 1):
        line = _line(file)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise ProtocolError("the server closed the connection in the middle of the headers")
        name, colon, value = line.partition(b":")
        if colon:
            headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    raise ProtocolError(f"more than {_MAX_HEADERS} header lines")


def _chunked(file: BinaryIO) -> bytes:
    chunks = []
    total = 0
    while True:
        size_line = _line(file).split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_line):
            raise ProtocolError(f"bad chunk size: {size_line[:40]!r}")
        size = int(size_line, 16)
        if size == 0:
            break
        total += size
        if total > _MAX_ANSWER:
            raise ProtocolError(f"the answer is longer than {_MAX_ANSWER} bytes")
        chunk = file.read(size)
        if len(chunk) != size or _line(file) not in (b"\r\n", b"\n"):
            raise ProtocolError("a chunk of the answer was cut short")
        chunks.append(chunk)
    while _line(file) not in (b"\r\n", b"\n", b""):  # trailer fields, up to the empty line
        pass
    return b"".join(chunks)
