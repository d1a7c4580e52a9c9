"""A small, strict HTTP/1.1 server for the receiver: one I/O thread, a fixed pool of workers, bounded memory.

The I/O thread accepts connections (a real listen backlog), reads every request whole — head, then body — and
only then handles it, so a slow or idle client costs a buffer and a file descriptor, never a thread. Small
requests the handler takes ``inline`` (an event or a few, the usual post) are answered by the I/O thread itself,
all those that came whole in one turn of the selector together (``handle_many``: one spool write for them all);
the rest (large or compressed bodies, metrics) go to a fixed pool of workers. Handing each request to a worker
and back cost more CPU than handling it (thread switches under the GIL).
A connection carries one request at a time; idle keep-alive connections wait in the selector at no cost to the
others. What can be refused is refused before the body is read: malformed framing (a Content-Length that is
not a number, negative, or given twice with different values; Content-Length with Transfer-Encoding; a chunk
size that is not hex; a chunk not followed by CRLF), a body over the limit, and whatever ``screen`` refuses
(path, token, content type). Every body is counted against one in-flight budget shared by all connections as
its bytes arrive (decompressed bytes too, by the handler): when it is spent, requests are answered 503 with
Retry-After.
A request must arrive whole within ``request_timeout`` seconds of its first byte (slowloris), and one client
address may hold ``max_connections_per_client`` connections, so it cannot take all ``max_connections``.
An HTTP/1.1 request without a Host header, or any request with more than one, is answered 400 (RFC 9112 3.2).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import queue
import re
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ol_om_core.contract.logs import RepeatFilter

log = logging.getLogger("ol_om.http")
refusals = logging.getLogger("ol_om.http.refusals")
"""What the receiver refuses, said once per message per 30 s (a full disk, a looping producer or a client out of
connections would otherwise write a line per request); the access lines (``ol_om.http`` at DEBUG) stay one per
request."""
refusals.addFilter(RepeatFilter())

HEAD_BYTES = 32 * 1024
"""The largest request line plus headers (a JWT is a few kB)."""
_MAX_HEADERS = 100
_CHUNK_LINE = 1024
_TRAILER_BYTES = 8 * 1024
_RECV = 256 * 1024
INLINE_BYTES = 64 * 1024
"""The largest body the I/O thread handles itself (when ``inline`` takes it); larger ones go to a worker."""
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DIGITS = re.compile(rb"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_REASONS = {100: "Continue", 200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized",
            404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required",
            413: "Content Too Large", 415: "Unsupported Media Type", 417: "Expectation Failed",
            429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
            501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported"}


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = 16 * 1024 * 1024
    max_in_flight_bytes: int = 32 * 1024 * 1024
    """Bodies held at once by every connection together (read, queued, being handled)."""
    workers: int = 16
    max_connections: int = 1024
    max_connections_per_client: int = 64
    """Connections one peer address may hold at once (a slowloris from one address cannot take them all)."""
    backlog: int = 1024
    request_timeout: float = 30.0
    """Seconds from a request's first byte to its last."""
    idle_timeout: float = 60.0
    """Seconds a keep-alive connection may wait for its next request."""
    retry_after: int = 1
    """Seconds a client is told to wait (Retry-After) when the receiver is out of memory budget or connections."""


@dataclass(frozen=True, slots=True)
class Head:
    method: str
    target: str
    """As sent (query string included): never logged as is."""
    path: str
    headers: dict[str, str]
    """Lower-case names; a repeated header's values joined with ", " (Content-Length must agree with itself)."""
    client: str


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


class Budget:
    """Bytes of request bodies held at once, across every connection."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


class Refused(Exception):
    """An answer that ends the request (and, when raised before the body is read, the connection)."""

    def __init__(self, status: int, message: str, *headers: tuple[str, str]) -> None:
        super().__init__(message)
        self.answer = Answer(status, b'{"error": %s}' % _json_string(message), headers=headers, close=True)


Screen = Callable[[Head], Answer | None]
Handle = Callable[[Head, bytes, Budget], Answer]
HandleMany = Callable[[list[tuple[Head, bytes]]], list[Answer]]


def busy(limits: Limits, message: str, retry_after: int | None = None) -> Refused:
    """503 with Retry-After: the receiver is out of memory budget, connections or spool for now."""
    return Refused(503, message, ("Retry-After", str(retry_after or limits.retry_after)))


@dataclass(slots=True, eq=False)
class _Connection:
    sock: socket.socket
    client: str
    buffer: bytearray = field(default_factory=bytearray)
    deadline: float = 0.0
    head: Head | None = None
    keep_alive: bool = True
    length: int | None = None
    """Content-Length, or None for a chunked body."""
    chunk_left: int = -1
    """Chunked: bytes of the current chunk still to come (-1: a size line is next; -2: the trailer is next)."""
    body: bytearray = field(default_factory=bytearray)
    reserved: int = 0
    """Bytes of the budget this connection's request holds."""
    draining: bool = False
    drained: int = 0


class Server:
    """Listens from construction until :meth:`close`; ``screen`` may refuse a request from its head alone,
    ``handle`` answers a whole request on a worker thread; ``handle_many`` answers, on the I/O thread, the small
    requests ``inline`` takes (it must not block for long: a spool write is fine, a wait for OpenMetadata not)."""

    def __init__(self, host: str, port: int, limits: Limits, screen: Screen, handle: Handle, *,
                 handle_many: HandleMany | None = None, inline: Callable[[Head], bool] = lambda head: False,
                 answered: Callable[[int], None] = lambda status: None) -> None:
        self.limits = limits
        self._answered = answered
        self.budget = Budget(limits.max_in_flight_bytes)
        self._screen, self._handle = screen, handle
        self._handle_many, self._inline = handle_many, inline
        self._ready: list[tuple[_Connection, Head, bytes, int]] = []
        """Whole requests the I/O thread answers at the end of this turn of the selector."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=limits.backlog)
        self.socket.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.socket, selectors.EVENT_READ, "accept")
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._returned: queue.SimpleQueue[_Connection] = queue.SimpleQueue()
        self._work: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._connections: set[_Connection] = set()
        self._per_client: Counter[str] = Counter()
        """Open connections by peer address (an address is forgotten when its last one closes)."""
        self._closing = threading.Event()
        self._threads = [threading.Thread(target=self._serve, name="ol-om-http", daemon=True)]
        self._threads += [threading.Thread(target=self._work_loop, name=f"ol-om-http-{n}", daemon=True)
                          for n in range(limits.workers)]
        for thread in self._threads:
            thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    def close(self) -> None:
        """Stop accepting and reading; requests being handled are finished; every connection closed."""
        self._closing.set()
        self._wake()
        self._threads[0].join(10)
        for _ in self._threads[1:]:
            self._work.put(None)
        for thread in self._threads[1:]:
            thread.join(10)
        for connection in list(self._connections):
            self._drop(connection)
        self._selector.close()
        self.socket.close()
        self._wake_r.close()
        self._wake_w.close()

    # -- the I/O thread ---------------------------------------------------------------------------------------

    def _serve(self) -> None:
        next_sweep = 0.0
        while not self._closing.is_set():
            for key, _ in self._selector.select(0.25):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    self._take_back()
                else:
                    self._readable(key.data)
            while self._ready:  # answering may let a pipelined request through: it is answered too
                self._answer_ready()
            if (now := time.monotonic()) >= next_sweep:
                next_sweep = now + 0.25
                self._sweep(now)

    def _accept(self) -> None:
        for _ in range(64):  # a burst is taken in turns with the reading
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors: the backlog keeps the rest waiting
                log.warning("cannot accept a connection: %s", exc)
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(sock, str(address[0]), deadline=time.monotonic() + self.limits.idle_timeout)
            if self._per_client[connection.client] >= self.limits.max_connections_per_client:
                refusals.warning("refused a connection from %s: it holds %d already (maxConnectionsPerClient)",
                                 connection.client, self.limits.max_connections_per_client)
                self._refuse(connection, busy(self.limits, "too many connections from this address; "
                                                           "try again later").answer)
                continue
            if len(self._connections) >= self.limits.max_connections:
                refusals.warning("refused a connection from %s: %d are open (maxConnections)", connection.client,
                                 self.limits.max_connections)
                self._refuse(connection, busy(self.limits, "too many connections; try again later").answer)
                continue
            self._connections.add(connection)
            self._per_client[connection.client] += 1
            self._selector.register(sock, selectors.EVENT_READ, connection)

    def _readable(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(self._want(connection))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        if connection.draining:  # refused with its body unread: read it away so the answer is not reset
            connection.drained += len(data)
            if connection.drained > 4 * self.limits.max_body_bytes:
                self._drop(connection)
            return
        if not connection.buffer and connection.head is None:
            connection.deadline = time.monotonic() + self.limits.request_timeout  # the request's first byte
        connection.buffer += data
        self._advance(connection)

    def _want(self, connection: _Connection) -> int:
        """Read no more than the request needs: a client cannot park more than a head's worth unasked."""
        if connection.head is None:
            return max(1, HEAD_BYTES + 4 - len(connection.buffer))
        if connection.length is not None:
            return max(1, min(_RECV, connection.length - len(connection.body) - len(connection.buffer)))
        left = connection.chunk_left  # chunked: no further than the current chunk (and its CRLF)
        return min(_RECV, left + 2) if left > 0 else _CHUNK_LINE

    def _advance(self, connection: _Connection) -> None:
        """Parse what the buffer holds; hand a whole request to the workers, or refuse it."""
        try:
            if connection.head is None and not self._read_head(connection):
                return
            if not self._read_body(connection):
                return
        except Refused as refusal:
            self._refuse(connection, refusal.answer)
            return
        head = connection.head
        assert head is not None
        body, reserved = bytes(connection.body), connection.reserved
        connection.head, connection.body, connection.reserved, connection.length = None, bytearray(), 0, None
        connection.chunk_left = -1
        connection.deadline = float("inf")  # the handler's now
        if self._handle_many is not None and len(body) <= INLINE_BYTES and self._inline(head):
            self._ready.append((connection, head, body, reserved))  # read no further until it is answered
            return
        self._selector.unregister(connection.sock)
        self._work.put(functools.partial(self._answer, connection, head, body, reserved))

    def _read_head(self, connection: _Connection) -> bool:
        buffer = connection.buffer
        while buffer[:2] == b"\r\n":  # an empty line before a request is ignored (RFC 9112 2.2)
            del buffer[:2]
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > HEAD_BYTES:
                raise Refused(431, f"the request line and headers are over {HEAD_BYTES} bytes")
            return False
        raw = bytes(buffer[:end])
        del buffer[: end + 4]
        head = _parse_head(raw, connection.client)
        connection.head = head
        version_1_0 = raw.split(b"\r\n", 1)[0].endswith(b"HTTP/1.0")
        tokens = {t.strip().lower() for t in head.headers.get("connection", "").split(",")}
        connection.keep_alive = "close" not in tokens and (not version_1_0 or "keep-alive" in tokens)
        connection.length = _framing(head)
        if connection.length is not None and connection.length > self.limits.max_body_bytes:
            raise Refused(413, f"the body is over the limit of {self.limits.max_body_bytes} bytes")
        refusal = self._screen(head)
        if refusal is not None:
            raise _as_refusal(refusal)
        expect = head.headers.get("expect", "").lower()
        if expect and expect != "100-continue":
            raise Refused(417, f"Expect: {expect} is not supported")
        if expect and head.method == "POST" and (connection.length or connection.length is None) and not buffer:
            self._send_now(connection, b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def _keep(self, connection: _Connection, data: bytes | bytearray) -> None:
        """Add body bytes, taken from the budget as they arrive: a request holds what it sent, not what its head
        declared (four heads declaring 16 MiB each, sending nothing, would refuse everyone else)."""
        if data and not self.budget.take(len(data)):
            raise busy(self.limits, "the receiver holds as many request bodies as it may; try again later")
        connection.reserved += len(data)
        connection.body += data

    def _read_body(self, connection: _Connection) -> bool:
        buffer = connection.buffer
        if connection.length is not None:
            missing = connection.length - len(connection.body)
            self._keep(connection, buffer[:missing])
            del buffer[:missing]
            return len(connection.body) == connection.length
        while True:  # chunked
            if connection.chunk_left == -1:  # a chunk-size line
                end = buffer.find(b"\r\n", 0, _CHUNK_LINE)
                if end < 0:
                    if len(buffer) >= _CHUNK_LINE or b"\n" in buffer:
                        raise Refused(400, "a chunk size line is malformed (hex digits, then CRLF)")
                    return False
                size = bytes(buffer[:end]).split(b";", 1)[0].rstrip(b" \t")
                if not _HEX.fullmatch(size):
                    raise Refused(400, f"a chunk size is not a hexadecimal number: {_shown(size)}")
                del buffer[: end + 2]
                length = int(size, 16)
                if len(connection.body) + length > self.limits.max_body_bytes:
                    raise Refused(413, f"the body is over the limit of {self.limits.max_body_bytes} bytes")
                connection.chunk_left = length if length else -2
            elif connection.chunk_left == -2:  # the trailer: header lines up to an empty one
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > _TRAILER_BYTES:
                        raise Refused(400, "the chunked body's trailer is too long")
                    return False
                del buffer[: end + 2]
                if end == 0:
                    connection.chunk_left = -1
                    return True
            else:  # the chunk's data, then CRLF (chunk_left 0: only the CRLF is still to come)
                take = min(len(buffer), connection.chunk_left)
                self._keep(connection, buffer[:take])
                del buffer[:take]
                connection.chunk_left -= take
                if connection.chunk_left:
                    return False
                if buffer[:2] != b"\r\n"[: len(buffer)]:
                    raise Refused(400, "a chunk is not followed by CRLF (its size is wrong)")
                if len(buffer) < 2:
                    return False
                del buffer[:2]
                connection.chunk_left = -1

    def _sweep(self, now: float) -> None:
        for connection in list(self._connections):
            if now < connection.deadline:
                continue
            if connection.draining or (connection.head is None and not connection.buffer):
                self._drop(connection)  # idle keep-alive, or a refused body read long enough
            else:
                log.info("closed a connection from %s: its request did not arrive whole within %.0f s",
                         connection.client, self.limits.request_timeout)
                self._refuse(connection, Refused(408, "the request did not arrive whole in time").answer)

    def _refuse(self, connection: _Connection, answer: Answer) -> None:
        """Answer and close; a body left unread is read away for a moment, so the client sees the answer."""
        if connection.reserved:
            self.budget.give(connection.reserved)
            connection.reserved = 0
        unread = connection.head is not None or bool(connection.buffer)
        self.access(connection.head, answer.status, connection.client)
        self._send_now(connection, _render(answer, close=True))
        if not unread or connection not in self._connections:
            self._drop(connection)
            return
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_WR)
        connection.draining, connection.head, connection.buffer = True, None, bytearray()
        connection.body = bytearray()
        connection.deadline = time.monotonic() + 2.0

    def _send_now(self, connection: _Connection, data: bytes) -> None:
        """A short answer from the I/O thread: the socket's buffer is empty (one request at a time)."""
        try:
            sent = connection.sock.send(data)
        except OSError:
            sent = -1
        if sent != len(data):
            self._drop(connection)

    def _drop(self, connection: _Connection) -> None:
        if connection.reserved:
            self.budget.give(connection.reserved)
            connection.reserved = 0
        if connection in self._connections:
            self._connections.discard(connection)
            self._per_client[connection.client] -= 1
            if not self._per_client[connection.client]:
                del self._per_client[connection.client]
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(connection.sock)
        connection.sock.close()

    def _answer_ready(self) -> None:
        """Answer the whole requests of this turn (on the I/O thread), all in one call of ``handle_many``."""
        ready, self._ready = self._ready, []
        assert self._handle_many is not None
        try:
            answers = self._handle_many([(head, body) for _, head, body, _ in ready])
        except Exception:
            log.exception("answering %d requests failed", len(ready))
            answers = [Refused(500, "internal error; the events were not accepted").answer] * len(ready)
        finally:
            self.budget.give(sum(reserved for *_, reserved in ready))
        for (connection, head, _, _), answer in zip(ready, answers, strict=True):
            self.access(head, answer.status, connection.client)
            connection.keep_alive = connection.keep_alive and not answer.close and not self._closing.is_set()
            data = _render(answer, close=not connection.keep_alive)
            try:
                sent = connection.sock.send(data)
            except OSError:
                self._drop(connection)
                continue
            if sent < len(data):  # the client is not reading yet: a worker waits for it, not this thread
                self._selector.unregister(connection.sock)
                self._work.put(functools.partial(self._send_rest, connection, data[sent:]))
            elif not connection.keep_alive:
                self._drop(connection)
            else:
                connection.deadline = time.monotonic() + (self.limits.request_timeout if connection.buffer
                                                          else self.limits.idle_timeout)
                if connection.buffer:
                    self._advance(connection)

    def _take_back(self) -> None:
        """Connections whose answer a worker wrote: reading resumes (a pipelined request may be buffered)."""
        while True:
            try:
                connection = self._returned.get_nowait()
            except queue.Empty:
                return
            if connection not in self._connections:
                continue
            if not connection.keep_alive:
                self._drop(connection)
                continue
            connection.deadline = time.monotonic() + (self.limits.request_timeout if connection.buffer
                                                       else self.limits.idle_timeout)
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
            if connection.buffer:
                self._advance(connection)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # -- the workers ----------------------------------------------------------------------------------------

    def _work_loop(self) -> None:
        while (job := self._work.get()) is not None:
            job()

    def _answer(self, connection: _Connection, head: Head, body: bytes, reserved: int) -> None:
        try:
            answer = self._handle(head, body, self.budget)
        except Refused as refusal:
            answer = refusal.answer
        except Exception:
            log.exception("answering %s %s failed", head.method, head.path)
            answer = Refused(500, "internal error; the events were not accepted").answer
        finally:
            del body
            self.budget.give(reserved)
        self.access(head, answer.status, connection.client)
        connection.keep_alive = connection.keep_alive and not answer.close and not self._closing.is_set()
        self._send_rest(connection, _render(answer, close=not connection.keep_alive))

    def _send_rest(self, connection: _Connection, data: bytes) -> None:
        """Write (the rest of) an answer, waiting for a slow reader up to 10 s; then back to the selector."""
        try:
            _send_all(connection.sock, data)
        except OSError:
            connection.keep_alive = False
        if connection.keep_alive and not connection.buffer:  # the usual case: back to the selector from here
            connection.deadline = time.monotonic() + self.limits.idle_timeout
            try:
                self._selector.register(connection.sock, selectors.EVENT_READ, connection)
                return
            except (OSError, ValueError, KeyError):
                connection.keep_alive = False
        self._returned.put(connection)  # the I/O thread reads on (a pipelined request), or closes it
        self._wake()

    def access(self, head: Head | None, status: int, client: str) -> None:
        """Count the answer; the access line (DEBUG) shows no header and no query value."""
        self._answered(status)
        if log.isEnabledFor(logging.DEBUG):
            line = f"{head.method} {redacted(head.target)}" if head is not None else "-"
            log.debug("%s %s %d", client, line, status)


def _send_all(sock: socket.socket, data: bytes) -> None:
    """Write an answer on a non-blocking socket: at once in the usual case, else waiting up to 10 s."""
    try:
        sent = sock.send(data)
    except BlockingIOError:  # the rest of an answer the I/O thread could not write at once
        sent = 0
    if sent < len(data):
        sock.settimeout(10.0)
        try:
            sock.sendall(data[sent:])
        finally:
            sock.setblocking(False)


def _as_refusal(answer: Answer) -> Refused:
    refusal = Refused(answer.status, "")
    refusal.answer = Answer(answer.status, answer.body, answer.content_type, answer.headers, close=True)
    return refusal


def _parse_head(raw: bytes, client: str) -> Head:
    lines = raw.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise Refused(400, "the request line is malformed")
    method, target, version = parts
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise Refused(505, "only HTTP/1.1 and HTTP/1.0 are spoken here")
    if len(lines) - 1 > _MAX_HEADERS:
        raise Refused(431, f"more than {_MAX_HEADERS} header fields")
    headers: dict[str, str] = {}
    hosts = 0
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):  # also obs-fold (a line starting with a space): refused
            raise Refused(400, f"a header line is malformed: {_shown(line[:40])}")
        value = value.strip(b" \t")
        if _CONTROL.search(value):
            raise Refused(400, f"the {_shown(name)} header holds a control character")
        key = name.decode("ascii").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
        hosts += key == "host"
    if hosts > 1:
        raise Refused(400, "the request has more than one Host header")
    if not hosts and version == b"HTTP/1.1":  # HTTP/1.0 may omit it
        raise Refused(400, "an HTTP/1.1 request must have a Host header")
    text_target = target.decode("latin-1")
    return Head(method.decode("ascii"), text_target, text_target.split("?", 1)[0], headers, client)


def _framing(head: Head) -> int | None:
    """The body's Content-Length, None when chunked, 0 when there is none. Ambiguous framing is refused."""
    transfer = head.headers.get("transfer-encoding")
    length = head.headers.get("content-length")
    if transfer is not None:
        if length is not None:
            raise Refused(400, "Content-Length and Transfer-Encoding together are ambiguous")
        if transfer.strip().lower() != "chunked":
            raise Refused(501, f"Transfer-Encoding {_shown(transfer.encode('latin-1'))} is not supported; "
                               "use chunked or none")
        return None
    if length is None:
        if head.method == "POST":
            raise Refused(411, "a Content-Length (or chunked transfer encoding) is required")
        return 0
    values = {v.strip().encode("latin-1") for v in length.split(",")}
    if len(values) != 1:
        raise Refused(400, "Content-Length is given more than once, with different values")
    value = values.pop()
    if not _DIGITS.fullmatch(value):
        raise Refused(400, f"Content-Length is not a whole number of bytes: {_shown(value)}")
    return int(value)


def _render(answer: Answer, close: bool) -> bytes:
    lines = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Unknown')}", "Server: ol-om",
             f"Content-Type: {answer.content_type}", f"Content-Length: {len(answer.body)}"]
    lines += [f"{name}: {value}" for name, value in answer.headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body


def redacted(target: str) -> str:
    """A request target for a log line: query values hidden (``?api_key=…`` may carry a secret, and so may a bare
    ``?token``), control characters escaped (no forged log lines)."""
    path, question, query = target.partition("?")
    if question:
        path += "?" + "&".join(part.split("=", 1)[0] + "=***" if "=" in part else "***" for part in query.split("&"))
    return _printable(path)


def _printable(text: str) -> str:
    return "".join(c if " " <= c < "\x7f" else f"\\x{ord(c):02x}" for c in text)


def _shown(value: bytes) -> str:
    return repr(_printable(value[:60].decode("latin-1")))


def _json_string(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode()
