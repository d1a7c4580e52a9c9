"""The ``http`` source: a receiver for OpenLineage's HTTP transport, so producers need no broker.

Airflow, Spark, dbt… post events to ``POST /api/v1/lineage`` (``OPENLINEAGE_URL=http://host:5000``). Each
event is checked with :func:`ol_om_core.parse.parse`, and the valid ones are appended to a spool on disk
(:mod:`ol_om.sources._spool`) *before* the answer, so an event acknowledged to a producer survives a crash.
The runner reads the spool as its stream; acknowledged lines are checkpointed and their segments deleted.

Answers (JSON): ``201 {"accepted": n, "rejected": []}`` when every event was spooled; ``400`` with the same shape
when some were not, each rejected one named by its index in the request (0 for a body that is one object), the
JSON path and the reason — the others in the same request are accepted all the same. A producer's client treats
400 as final (it does not retry), so accepted events are not sent twice. ``401`` without the configured bearer
token, ``413`` over ``maxBodyBytes`` (compressed or not), ``503`` if the spool cannot be written.
``GET /healthz`` and ``GET /metrics`` (Prometheus text) need no token: they reveal no event content.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ol_om._metrics import metric, runner_metrics, sink_metrics
from ol_om._runner import Progress
from ol_om.sources._spool import SEGMENT_BYTES, Spool, SpoolUnavailable
from ol_om_core.contract.sources import Record
from ol_om_core.errors import ConfigError, InvalidEvent
from ol_om_core.parse import parse

log = logging.getLogger("ol_om.http")

LINEAGE_PATH = "/api/v1/lineage"
TOKEN_ENV = "OL_OM_HTTP_TOKEN"
MiB = 1024 * 1024
IDLE_WAIT = 0.5
"""Seconds an idle source waits for a first event before it yields an empty batch (the runner then
acknowledges what it has delivered)."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


# setting -> (attribute, valid?, what it must be)
_SETTINGS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    "host": ("host", _text, "a host name or address to listen on"),
    "port": ("port", lambda v: _whole(v) and 0 <= v <= 65535, "a port number (0 to 65535; 0 picks a free one)"),
    "token": ("token", _text, "a non-empty string"),
    "maxBodyBytes": ("max_body_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
    "spoolDir": ("spool_dir", _text, "the path of a directory"),
    "batchSize": ("batch_size", lambda v: _whole(v) and v > 0, "a positive whole number"),
    "batchWait": ("batch_wait", lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 0,
                  "a number of seconds (0 or more)"),
    "segmentBytes": ("segment_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
}


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 5000
    token: str | None = field(default=None, repr=False)
    max_body_bytes: int = 16 * MiB
    spool_dir: str = "ol-om-spool"
    batch_size: int = 500
    batch_wait: float = 1.0
    """Producers post one event a request (Airflow, dbt-ol): a second's linger lets a run's events share one
    status write (the recorded Airflow and dbt runs: 0.29 status writes an event at 0.2 s, 0.21 at 1 s)."""
    segment_bytes: int = SEGMENT_BYTES

    @classmethod
    def load(cls, section: Mapping[str, Any]) -> HttpSettings:
        """The ``source`` section (``{type: http, port: 5000, …}``); ``OL_OM_HTTP_TOKEN`` overrides ``token``."""
        values: dict[str, Any] = {}
        for key, value in section.items():
            if key == "type":
                continue
            if key not in _SETTINGS:
                raise ConfigError(f"source.{key}", f"unknown key; expected one of {', '.join(_SETTINGS)}")
            attribute, valid, expected = _SETTINGS[key]
            if not valid(value):
                shown = type(value).__name__ if key == "token" else repr(value)  # a secret is never printed
                raise ConfigError(f"source.{key}", f"must be {expected}, not {shown}")
            values[attribute] = value
        token = os.environ.get(TOKEN_ENV) or values.get("token")
        return cls(**{**values, "token": token or None})


class HttpSource:
    """The ``http`` entry point of ``ol_om.sources``: listens from construction until :meth:`close`."""

    def __init__(self, settings: HttpSettings, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        self.spool = Spool(settings.spool_dir, settings.segment_bytes)
        self.progress: Progress | None = None
        self._sink_counters: Callable[[], Mapping[str, int]] | None = None
        self._lock = threading.Lock()
        self._answers: Counter[int] = Counter()
        self._accepted = self._rejected = 0
        try:
            self._server = _Server(self, settings.host, settings.port)
        except OSError as exc:
            self.spool.close()
            raise ConfigError("source.port", f"cannot listen on {settings.host}:{settings.port}: "
                                             f"{exc.strerror or exc}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="ol-om-http", daemon=True)
        self._thread.start()
        log.info("receiving OpenLineage events at %s%s (%s), spool %s", self.url, LINEAGE_PATH,
                 "bearer token required" if settings.token else "no token required", settings.spool_dir)

    @classmethod
    def from_config(cls, section: Mapping[str, Any], stop: threading.Event) -> HttpSource:
        return cls(HttpSettings.load(section), stop)

    def __repr__(self) -> str:
        return f"HttpSource({self.url!r}, spool={self.settings.spool_dir!r})"

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]  # the port chosen when the setting is 0
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    # -- the source contract (the runner's thread) -------------------------------------------------------------

    def batches(self) -> Iterator[Sequence[Record]]:
        while not self.stop.is_set():
            yield self._gather()

    def _gather(self) -> list[Record]:
        """The next batch: what the spool holds, gathered for up to ``batchWait`` seconds after the first event
        (a backlog fills a batch at once); empty after ``IDLE_WAIT`` without events."""
        size = self.settings.batch_size
        records = self.spool.read(size)
        if not records:
            self.spool.wait(IDLE_WAIT)
            records = self.spool.read(size)
            if not records:
                return records
        deadline = time.monotonic() + self.settings.batch_wait
        while len(records) < size and not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self.spool.wait(left)
            records += self.spool.read(size - len(records))
        return records

    def acknowledge(self, records: Sequence[Record]) -> None:
        if records:
            self.spool.acknowledge(records[-1], len(records))

    def hold(self, seconds: float) -> bool:
        """OpenMetadata is away: wait. Producers are still answered; their events queue up in the spool."""
        return self.stop.wait(seconds)

    def lag(self) -> int:
        """Events spooled and not yet acknowledged."""
        return self.spool.pending

    def attach_progress(self, progress: Progress) -> None:
        """Show the runner's counters on ``/metrics`` as well."""
        self.progress = progress

    def attach_sink_counters(self, snapshot: Callable[[], Mapping[str, int]]) -> None:
        """Show the sink's counters on ``/metrics`` too: calls by kind, cache hits and misses, retries."""
        self._sink_counters = snapshot

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.spool.close()

    # -- the HTTP side (one thread per connection) -------------------------------------------------------------

    def receive(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """Spool the valid events of a request body; the answer's status and JSON."""
        lines, rejected = split_events(body)
        if lines:
            try:
                self.spool.append(lines)
            except (OSError, SpoolUnavailable) as exc:
                log.error("cannot spool %d events: %s", len(lines), exc)
                return 503, {"accepted": 0, "error": f"the events cannot be stored: {exc}"}
        with self._lock:
            self._accepted += len(lines)
            self._rejected += len(rejected)
        for item in rejected:
            log.warning("rejected event %d of a request: %s: %s", item["index"], item["path"], item["reason"])
        return (400 if rejected else 201), {"accepted": len(lines), "rejected": rejected}

    def answered(self, status: int) -> None:
        with self._lock:
            self._answers[status] += 1

    def metrics(self) -> str:
        """The counters in Prometheus' text format."""
        with self._lock:
            answers, accepted, rejected = sorted(self._answers.items()), self._accepted, self._rejected
        lines = metric("ol_om_http_requests_total", "counter", "HTTP requests answered, by status code.",
                        [(f'{{code="{code}"}}', count) for code, count in answers])
        for name, kind, text, value in (
            ("ol_om_http_events_accepted_total", "counter", "Events accepted and spooled.", accepted),
            ("ol_om_http_events_rejected_total", "counter", "Events rejected as not usable OpenLineage.", rejected),
            ("ol_om_spool_written_bytes_total", "counter", "Bytes appended to the spool.", self.spool.written_bytes),
            ("ol_om_spool_acknowledged_total", "counter", "Spooled events delivered or dead-lettered.",
             self.spool.acknowledged),
            ("ol_om_spool_pending_events", "gauge", "Spooled events not yet acknowledged.", self.spool.pending),
            ("ol_om_spool_disk_bytes", "gauge", "Bytes the spool's segments hold on disk.", self.spool.disk_bytes()),
        ):
            lines += metric(name, kind, text, [("", value)])
        if self.progress is not None:
            lines += runner_metrics(self.progress)
        if self._sink_counters is not None:
            lines += sink_metrics(self._sink_counters())
        return "\n".join(lines) + "\n"


_ARRAY = re.compile(rb"\s*\[")


def split_events(body: bytes) -> tuple[list[bytes], list[dict[str, Any]]]:
    """The valid events of a body (one JSON object, or an array of them) as one-line JSON, and the rejected:
    ``{"index": i, "path": "$.eventTime", "reason": "…"}``."""
    if not _ARRAY.match(body):
        try:
            parse(body)
        except InvalidEvent as exc:
            return [], [_rejection(0, exc)]
        # Valid JSON has no raw line break inside a string: every break is whitespace, and a space does as well.
        return [body.replace(b"\r", b" ").replace(b"\n", b" ").strip()], []
    try:
        items = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return [], [{"index": 0, "path": "$", "reason": f"not JSON: {exc}"}]
    lines, rejected = [], []
    for index, item in enumerate(items):
        line = _one_line(item)
        try:
            parse(line)
        except InvalidEvent as exc:
            rejected.append(_rejection(index, exc))
        else:
            lines.append(line)
    return lines, rejected


def _one_line(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate: keep it escaped, for parse to say where it is
        return json.dumps(value, separators=(",", ":")).encode()


def _rejection(index: int, error: InvalidEvent) -> dict[str, Any]:
    return {"index": index, "path": error.path, "reason": error.reason}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, source: HttpSource, host: str, port: int) -> None:
        self.source = source
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)  # mostly clients that went away


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: producers post event after event on one connection
    server_version = "ol-om"
    timeout = 60  # an idle or stalled connection gives its thread back
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait for a delayed ACK between
    server: _Server

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._json(200, {"status": "ok"})
        elif path == "/metrics":
            self._send(200, self.server.source.metrics().encode(), "text/plain; version=0.0.4; charset=utf-8")
        elif path == LINEAGE_PATH:
            self._json(405, {"error": f"POST OpenLineage events to {LINEAGE_PATH}"}, ("Allow", "POST"))
        else:
            self._json(404, {"error": f"no such path; events go to POST {LINEAGE_PATH}"})

    def do_POST(self) -> None:
        try:
            if urlsplit(self.path).path != LINEAGE_PATH:
                raise _Refused(404, f"no such path; events go to POST {LINEAGE_PATH}")
            self._authorize()
            body = self._body()
        except _Refused as exc:
            self.close_connection = True  # the body may be unread: this connection cannot carry another request
            extra = ("WWW-Authenticate", 'Bearer realm="ol-om"') if exc.status == 401 else None
            self._json(exc.status, {"error": exc.message}, extra, close=True)
            return
        status, answer = self.server.source.receive(body)
        self._json(status, answer)

    def _authorize(self) -> None:
        token = self.server.source.settings.token
        if token is None:
            return
        scheme, _, given = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            log.warning("refused a request from %s: no bearer token", self.client_address[0])
            raise _Refused(401, "a bearer token is required (Authorization: Bearer …)")
        # Headers arrive as latin-1 text: compare the bytes that were sent, in constant time.
        if not hmac.compare_digest(given.strip().encode("latin-1"), token.encode()):
            log.warning("refused a request from %s: wrong bearer token", self.client_address[0])
            raise _Refused(401, "the bearer token is not the configured one")

    def _body(self) -> bytes:
        limit = self.server.source.settings.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = self._chunked(limit)  # the Java client sends compressed bodies this way
        else:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                raise _Refused(411, "a Content-Length (or chunked transfer encoding) is required") from None
            if length > limit:
                raise _Refused(413, f"the body is over the limit of {limit} bytes")
            body = self.rfile.read(length)
            if len(body) < length:
                raise _Refused(400, "the body ended before its Content-Length")
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "gzip":
            return _gunzip(body, limit)
        if encoding not in ("", "identity"):
            raise _Refused(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none")
        return body

    def _chunked(self, limit: int) -> bytes:
        parts, size = [], 0
        while True:
            try:
                length = int(self.rfile.readline(1024).split(b";")[0], 16)
            except ValueError:
                raise _Refused(400, "a chunk of the body has no valid size") from None
            if length == 0:
                break
            size += length
            if size > limit:
                raise _Refused(413, f"the body is over the limit of {limit} bytes")
            parts.append(self.rfile.read(length))
            self.rfile.readline()  # the line break after each chunk
        while self.rfile.readline(1024).strip():
            pass  # trailer fields, up to the blank line
        return b"".join(parts)

    def _json(self, status: int, answer: Mapping[str, Any], extra: tuple[str, str] | None = None,
              close: bool = False) -> None:
        self._send(status, json.dumps(answer, ensure_ascii=False).encode(), "application/json", extra, close)

    def _send(self, status: int, body: bytes, content_type: str, extra: tuple[str, str] | None = None,
              close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if extra is not None:
            self.send_header(*extra)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.server.source.answered(status)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line and status only: headers (the bearer token) are never logged.
        log.debug("%s %s", self.client_address[0], format % args)


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress every gzip member of ``data``, refusing more than ``limit`` bytes of output (a gzip bomb)."""
    out = bytearray()
    try:
        while data:
            member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += member.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise _Refused(413, f"the decompressed body is over the limit of {limit} bytes")
            if not member.eof:
                raise _Refused(400, "the gzip body is cut short")
            data = member.unused_data
    except zlib.error as exc:
        raise _Refused(400, f"the body is not valid gzip: {exc}") from None
    return bytes(out)
