"""The ``http`` source: a receiver for OpenLineage's HTTP transport, so producers need no broker.

Airflow, Spark, dbt… post events to ``POST /api/v1/lineage`` (``OPENLINEAGE_URL=http://host:5000``). Each
event is checked with :func:`ol_om_core.parse.parse`, and the valid ones are appended to a spool on disk
(:mod:`ol_om.sources._spool`) *before* the answer, so an event acknowledged to a producer survives a crash.
The runner reads the spool as its stream; acknowledged lines are checkpointed and their segments deleted.

Answers (JSON): ``201 {"accepted": n, "rejected": []}`` when every event was spooled; ``400`` with the same shape
when some were not, each rejected one named by its index in the request (0 for a body that is one object), the
JSON path and the reason — the others in the same request are accepted all the same. A producer's client treats
400 as final (it does not retry), so accepted events are not sent twice; the rejected ones are spooled too, for
the runner to put in the dead letters with their reason (nothing a producer sent is dropped unseen).
``401`` without the configured bearer token, ``413`` over ``maxBodyBytes`` (compressed or not), ``415`` for a
content type or encoding other than JSON and gzip, ``503`` + ``Retry-After`` when the spool cannot be written
(disk full, ``maxSpoolBytes`` reached) or the receiver holds ``maxInFlightBytes`` of bodies already.
``GET /healthz`` and ``GET /metrics`` (Prometheus text) need no token: they reveal no event content.
The HTTP side (framing, limits, the worker pool) is :mod:`ol_om.sources._server`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ol_om._metrics import metric, runner_metrics, sink_metrics
from ol_om._runner import Progress
from ol_om.sources._server import Answer, Budget, Head, Limits, Refused, Server, busy, refusals
from ol_om.sources._spool import SEGMENT_BYTES, Spool, SpoolFull, SpoolUnavailable
from ol_om_core.contract.sources import Record
from ol_om_core.errors import ConfigError, InvalidEvent
from ol_om_core.model import Event
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


def _seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


# setting -> (attribute, valid?, what it must be)
_SETTINGS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    "host": ("host", _text, "a host name or address to listen on"),
    "port": ("port", lambda v: _whole(v) and 0 <= v <= 65535, "a port number (0 to 65535; 0 picks a free one)"),
    "token": ("token", _text, "a non-empty string"),
    "maxBodyBytes": ("max_body_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
    "spoolDir": ("spool_dir", _text, "the path of a directory"),
    "batchSize": ("batch_size", lambda v: _whole(v) and v > 0, "a positive whole number"),
    "batchBytes": ("batch_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
    "batchWait": ("batch_wait", lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 0,
                  "a number of seconds (0 or more)"),
    "segmentBytes": ("segment_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
    "maxSpoolBytes": ("max_spool_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
    "maxInFlightBytes": ("max_in_flight_bytes", lambda v: _whole(v) and v > 0, "a positive whole number of bytes"),
    "workers": ("workers", lambda v: _whole(v) and 0 < v <= 256, "a number of threads from 1 to 256"),
    "maxConnections": ("max_connections", lambda v: _whole(v) and v > 0, "a positive whole number"),
    "maxConnectionsPerClient": ("max_connections_per_client", lambda v: _whole(v) and v > 0,
                                "a positive whole number"),
    "backlog": ("backlog", lambda v: _whole(v) and v > 0, "a positive whole number"),
    "requestTimeout": ("request_timeout", _seconds, "a positive number of seconds"),
}


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 5000
    token: str | None = field(default=None, repr=False)
    max_body_bytes: int = 16 * MiB
    spool_dir: str = "ol-om-spool"
    batch_size: int = 500
    batch_bytes: int = 8 * MiB
    """The most bytes of events in one batch (at least one event): a backlog of large events is delivered a few
    at a time, not ``batchSize`` of them parsed into memory at once."""
    batch_wait: float = 1.0
    """Producers post one event a request (Airflow, dbt-ol): a second's linger lets a run's events share one
    status write (the recorded Airflow and dbt runs: 0.29 status writes an event at 0.2 s, 0.21 at 1 s)."""
    segment_bytes: int = SEGMENT_BYTES
    max_spool_bytes: int | None = None
    """The most bytes the spool holds not yet delivered; then 503 + Retry-After (None: the disk is the limit)."""
    max_in_flight_bytes: int = 32 * MiB
    """Request bodies held in memory at once, over every connection (decompressed ones too)."""
    workers: int = 16
    max_connections: int = 1024
    max_connections_per_client: int = 64
    """A producer host needs one connection per process posting at once; behind a proxy every client is the
    proxy's address, so raise it to ``max_connections`` there."""
    backlog: int = 1024
    request_timeout: float = 30.0

    @property
    def limits(self) -> Limits:
        return Limits(self.max_body_bytes, max(self.max_in_flight_bytes, self.max_body_bytes), self.workers,
                      self.max_connections, self.max_connections_per_client, self.backlog, self.request_timeout)

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
        self.spool = Spool(settings.spool_dir, settings.segment_bytes, settings.max_spool_bytes)
        self.progress: Progress | None = None
        self._sink_counters: Callable[[], Mapping[str, int]] | None = None
        self._lock = threading.Lock()
        self._large = threading.Lock()
        """Held while a large body is checked: its parsed objects are many times its bytes (a 14 MiB event of small
        objects is some 200 MB of them), which the in-flight budget, counting bytes, cannot see."""
        self._answers: Counter[int] = Counter()
        self._accepted = self._rejected = 0
        try:
            handlers = _Handlers(self)
            self._server = Server(settings.host, settings.port, settings.limits, handlers.screen, handlers.handle,
                                  handle_many=handlers.handle_many, inline=handlers.inline, answered=self.answered)
        except OSError as exc:
            self.spool.close()
            raise ConfigError("source.port", f"cannot listen on {settings.host}:{settings.port}: "
                                             f"{exc.strerror or exc}") from None
        log.info("receiving OpenLineage events at %s%s (%s), spool %s", self.url, LINEAGE_PATH,
                 "bearer token required" if settings.token else "no token required", settings.spool_dir)
        if settings.token is None and not _loopback(settings.host):
            log.warning("ol-om serve listens on %s without a token: anyone who can reach port %d can write "
                        "lineage into OpenMetadata. Set source.token (or OL_OM_HTTP_TOKEN), or listen on "
                        "127.0.0.1 behind a proxy", settings.host, self._server.address[1])

    @classmethod
    def from_config(cls, section: Mapping[str, Any], stop: threading.Event) -> HttpSource:
        return cls(HttpSettings.load(section), stop)

    def __repr__(self) -> str:
        return f"HttpSource({self.url!r}, spool={self.settings.spool_dir!r})"

    @property
    def url(self) -> str:
        host, port = self._server.address  # the port chosen when the setting is 0
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    # -- the source contract (the runner's thread) -------------------------------------------------------------

    def batches(self) -> Iterator[Sequence[Record]]:
        while not self.stop.is_set():
            yield self._gather()

    def _gather(self) -> list[Record]:
        """The next batch: what the spool holds, gathered for up to ``batchWait`` seconds after the first event
        (a backlog fills a batch at once); empty after ``IDLE_WAIT`` without events."""
        size, room = self.settings.batch_size, self.settings.batch_bytes
        records = self.spool.read(size, room)
        if not records:
            self.spool.wait(IDLE_WAIT)
            records = self.spool.read(size, room)
            if not records:
                return records
        deadline = time.monotonic() + self.settings.batch_wait
        taken = sum(len(r.value) for r in records)
        while (len(records) < size and taken < room and not self.stop.is_set()
               and (wait := deadline - time.monotonic()) > 0):
            self.spool.wait(wait, size - len(records), room - taken)  # when the batch can be filled, not per commit
            more = self.spool.read(size - len(records), room - taken)
            records += more
            taken += sum(len(r.value) for r in more)
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
        self._server.close()
        self.spool.close()

    # -- the HTTP side (one thread per connection) -------------------------------------------------------------

    def receive(self, body: bytes, ndjson: bool = False) -> tuple[int, dict[str, Any]]:
        """Spool the events of a request body; the answer's status and JSON. Rejected events are spooled as well,
        for the runner to dead-letter with their reason; nothing is spooled unless all of it is.

        What one request costs in logs, dead letters and answer is bounded whatever its events: one log line for
        its rejects; past ``GROUPED_REJECTS`` of them, one dead letter holding them all (a JSON array); at most
        ``SHOWN_REJECTS`` named in the answer (a kilobyte of gzip'd ``[{},{},…]`` is 350,000 bad events)."""
        result = self.receive_many([(body, ndjson)])[0]
        if isinstance(result, Refused):
            raise result
        return result

    def receive_many(self, bodies: Sequence[tuple[bytes, bool]]) -> list[tuple[int, dict[str, Any]] | Refused]:
        """:meth:`receive` for several request bodies (with their ``ndjson``) at once: their events are spooled in
        one write (each request's all or none, as ever); a request is refused 503 if that write fails."""
        split = []
        events: list[Event | None] = []
        for body, ndjson in bodies:
            if len(body) > LARGE_BODY:
                with self._large:
                    lines, rejected, kept, parsed = split_events(body, ndjson)
            else:
                lines, rejected, kept, parsed = split_events(body, ndjson)
            if len(kept) > GROUPED_REJECTS:
                kept = [b"[" + b",".join(kept) + b"]"]
            split.append((lines, rejected, kept))
            events += [*parsed, *[None] * len(kept)]  # parsed once: the runner is handed them with the lines
        spooled = [line for lines, _, kept in split for line in (*lines, *kept)]
        refused: Refused | None = None
        if spooled:
            try:
                self.spool.append(spooled, events)
            except SpoolUnavailable as exc:
                refusals.error("cannot spool %d events: %s", len(spooled), exc)
                refused = busy(self.settings.limits, f"the events cannot be stored: {exc}", SpoolFull.retry_after)
        results: list[tuple[int, dict[str, Any]] | Refused] = []
        for lines, rejected, kept in split:
            if refused is not None and (lines or kept):
                results.append(refused)
            else:
                results.append(self._answered_events(lines, rejected))
        return results

    def _answered_events(self, lines: list[bytes], rejected: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """Count a spooled request's events; its answer's status and JSON."""
        with self._lock:
            self._accepted += len(lines)
            self._rejected += len(rejected)
        if not rejected:
            return 201, {"accepted": len(lines), "rejected": []}
        first = rejected[0]
        refusals.warning("rejected %d of %d events of a request; the first, event %d: %s: %s", len(rejected),
                    len(rejected) + len(lines), first["index"], first["path"], first["reason"])
        answer: dict[str, Any] = {"accepted": len(lines), "rejected": rejected[:SHOWN_REJECTS]}
        if len(rejected) > SHOWN_REJECTS:
            answer["rejectedCount"] = len(rejected)
        return 400, answer

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
LARGE_BODY = MiB
"""Bodies over this are checked one at a time (see ``HttpSource._large``); the many small ones never wait."""
GROUPED_REJECTS = 10
"""Past this many rejected events in one request, they are one dead letter (a JSON array), not one each."""
SHOWN_REJECTS = 100
"""The most rejected events an answer names (``rejectedCount`` then says how many there were)."""


Split = tuple[list[bytes], list[dict[str, Any]], list[bytes], list[Event]]


def split_events(body: bytes, ndjson: bool = False) -> Split:
    """The valid events of a body (one JSON object, an array of them, or with ``ndjson`` one per line) as
    one-line JSON; the rejected, ``{"index": i, "path": "$.eventTime", "reason": "…"}``; the rejected
    events themselves as one line each, for the dead letters; and the valid events parsed."""
    if not body.strip():
        return [], [{"index": 0, "path": "$", "reason": "the body is empty"}], [], []
    if ndjson:
        pieces = [line for line in body.split(b"\n") if line.strip()]
        return _checked([_flat(line) for line in pieces])
    if not _ARRAY.match(body):
        return _checked([_flat(body)])
    try:
        items = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return [], [{"index": 0, "path": "$", "reason": f"not JSON: {exc}"}], [_flat(body)], []
    return _checked([_one_line(item) for item in items])


def _checked(lines: list[bytes]) -> Split:
    accepted, rejected, kept, events = [], [], [], []
    for index, line in enumerate(lines):
        try:
            event = parse(line)
        except InvalidEvent as exc:
            rejected.append(_rejection(index, exc))
            kept.append(line)
        else:
            accepted.append(line)
            events.append(event)
    return accepted, rejected, kept, events


def _flat(text: bytes) -> bytes:
    """One spool line. Valid JSON has no raw line break inside a string: every break is whitespace, and a space
    does as well (the same length: a parse error's position stays right)."""
    return text.replace(b"\r", b" ").replace(b"\n", b" ").strip()


def _one_line(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate: keep it escaped, for parse to say where it is
        return json.dumps(value, separators=(",", ":")).encode()


def _rejection(index: int, error: InvalidEvent) -> dict[str, Any]:
    return {"index": index, "path": error.path, "reason": error.reason}


_JSON_TYPES = ("application/json", "application/x-ndjson", "")


def _media_type(value: str) -> tuple[str, str]:
    """``application/json; charset=utf-8`` -> (``application/json``, ``utf-8``)."""
    kind, *parameters = value.split(";")
    charset = ""
    for parameter in parameters:
        name, _, given = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = given.strip().strip('"').lower()
    return kind.strip().lower(), charset


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


class _Handlers:
    """What the receiver answers: ``screen`` on the I/O thread from the head alone (cheap: no body read yet);
    ``handle_many`` on the I/O thread for the small posts ``inline`` takes, ``handle`` on a worker for the rest,
    once the body is in."""

    def __init__(self, source: HttpSource) -> None:
        self.source = source

    def screen(self, head: Head) -> Answer | None:
        if head.path in ("/healthz", "/metrics"):
            return None if head.method == "GET" else _error(405, "use GET", ("Allow", "GET"))
        if head.path != LINEAGE_PATH:
            return _error(404, f"no such path; events go to POST {LINEAGE_PATH}")
        if head.method != "POST":
            return _error(405, f"POST OpenLineage events to {LINEAGE_PATH}", ("Allow", "POST"))
        refusal = self._authorize(head)
        if refusal is not None:
            return refusal
        kind, charset = _media_type(head.headers.get("content-type", ""))
        if not (kind in _JSON_TYPES or kind.endswith("+json")) or charset not in ("", "utf-8", "utf8"):
            return _error(415, f"Content-Type {head.headers.get('content-type')!r} is not accepted: send "
                               "application/json (UTF-8), or application/x-ndjson for one event a line")
        encoding = _encoding(head)
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            return _error(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none")
        return None

    def _authorize(self, head: Head) -> Answer | None:
        token = self.source.settings.token
        if token is None:
            return None
        scheme, _, given = head.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            refusals.warning("refused a request from %s: no bearer token", head.client)
            return _error(401, "a bearer token is required (Authorization: Bearer …)", _CHALLENGE)
        # Headers arrive as latin-1 text: compare the bytes that were sent, in constant time.
        if not hmac.compare_digest(given.strip().encode("latin-1"), token.encode()):
            refusals.warning("refused a request from %s: wrong bearer token", head.client)
            return _error(401, "the bearer token is not the configured one", _CHALLENGE)
        return None

    def inline(self, head: Head) -> bool:
        """Small uncompressed posts of events are answered by the I/O thread, many in one spool write."""
        return head.path == LINEAGE_PATH and _encoding(head) in ("", "identity")

    def handle_many(self, requests: list[tuple[Head, bytes]]) -> list[Answer]:
        results = self.source.receive_many([(body, _ndjson(head)) for head, body in requests])
        return [result.answer if isinstance(result, Refused) else _answer(*result) for result in results]

    def handle(self, head: Head, body: bytes, budget: Budget) -> Answer:
        source = self.source
        if head.path == "/healthz":
            return _answer(200, {"status": "ok"})
        if head.path == "/metrics":
            return Answer(200, source.metrics().encode(), "text/plain; version=0.0.4; charset=utf-8")
        taken = 0
        try:
            if _encoding(head) in ("gzip", "x-gzip"):
                body, taken = _gunzip(body, source.settings.max_body_bytes, budget, source.settings.limits)
            status, answer = source.receive(body, _ndjson(head))
        finally:
            budget.give(taken)
        return _answer(status, answer)


_CHALLENGE = ("WWW-Authenticate", 'Bearer realm="ol-om"')


def _encoding(head: Head) -> str:
    return head.headers.get("content-encoding", "identity").strip().lower()


def _ndjson(head: Head) -> bool:
    return _media_type(head.headers.get("content-type", ""))[0] == "application/x-ndjson"


def _answer(status: int, answer: Mapping[str, Any]) -> Answer:
    return Answer(status, json.dumps(answer, ensure_ascii=False).encode())


def _error(status: int, message: str, *headers: tuple[str, str]) -> Answer:
    return Answer(status, json.dumps({"error": message}, ensure_ascii=False).encode(), headers=headers, close=True)


def _gunzip(data: bytes, limit: int, budget: Budget, limits: Limits) -> tuple[bytes, int]:
    """Decompress every gzip member of ``data``, refusing more than ``limit`` bytes of output (a gzip bomb); the
    output is taken from the in-flight budget as it grows. Returns it and the bytes taken."""
    out = bytearray()
    taken = 0
    try:
        while data:
            member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            while not member.eof:
                piece = member.decompress(data, min(MiB, limit + 1 - len(out)))
                data = member.unconsumed_tail
                if not piece and not data:
                    raise Refused(400, "the gzip body is cut short")
                if not budget.take(len(piece)):
                    raise busy(limits, "the receiver holds as many request bodies as it may; try again later")
                taken += len(piece)
                out += piece
                if len(out) > limit:
                    raise Refused(413, f"the decompressed body is over the limit of {limit} bytes")
            data = member.unused_data
    except zlib.error as exc:
        budget.give(taken)
        raise Refused(400, f"the body is not valid gzip: {exc}") from None
    except Refused:
        budget.give(taken)
        raise
    return bytes(out), taken
