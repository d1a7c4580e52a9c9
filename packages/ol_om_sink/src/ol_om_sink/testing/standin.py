"""An OpenMetadata stand-in: an HTTP server on 127.0.0.1 that answers every REST call ol-om makes.

No OpenMetadata server can run where the tests run, so this one keeps entities in memory with OpenMetadata's
semantics (PUT upserts by FQN, ids stay, 404 / 400 / 401 error bodies) and validates request bodies against
OpenMetadata's own JSON schemas when the ``testing`` extra and the schema folder are there::

    with OpenMetadataStandIn(token="t") as om:
        om.seed_table("svc.db.schema.t", ["a", "b"])
        ...  # point the sink at om.url ("http://127.0.0.1:PORT/api") with token "t"
        assert om.entity("pipeline", "svc.job")["tasks"]

``om.faults`` makes requests slow, fail, throttle or drop, for retry tests.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote

from ol_om_core import fqn as fqns
from ol_om_core.operations import EntityHint
from ol_om_sink.testing.store import COLLECTIONS, ApiError, Collection, Entity, Store, legacy_quote_name

if TYPE_CHECKING:
    from ol_om_sink.testing.schemas import RequestValidator

__all__ = ["Faults", "OpenMetadataStandIn"]

logger = logging.getLogger("ol_om_sink.testing")

DROPPED = 0
"""The status recorded in ``requests`` for a request answered by closing the connection."""

_VALIDATED_KINDS = ("pipeline_service", "pipeline", "pipeline_status", "lineage", "table", "topic", "query", "usage",
                    "test_definition", "test_case", "test_case_result", "table_profile")
_validator_lock = threading.Lock()


@functools.cache
def _load_validator() -> RequestValidator | None:
    """The shared validator, or None (warned about once per process) when it cannot validate."""
    try:
        from ol_om_sink.testing import schemas
    except ImportError as exc:
        logger.warning("not validating request bodies: %s (install ol-om-sink[testing])", exc)
        return None
    if not schemas.available():
        logger.warning(
            "not validating request bodies: no OpenMetadata JSON schemas at %s; set %s",
            schemas.SPEC_DIR,
            schemas.ENV_VAR,
        )
        return None
    # Refs the collected spec lacks (createTopic's, for one) accept anything, as the real server's full spec would.
    validator = schemas.get_validator(ignore_unresolvable=True)
    for kind in _VALIDATED_KINDS:  # built here, once: building a kind's validator is not thread-safe
        validator.validator(kind)
    return validator


def _shared_validator() -> RequestValidator | None:
    with _validator_lock:
        return _load_validator()


# -- fault injection ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rule:
    action: Literal["latency", "fail", "throttle", "drop"]
    times: int | None  # None: every matching request
    path: str | None
    method: str | None
    status: int = 0
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.times == 0 or (self.method is not None and self.method.upper() != method):
            return False
        # A prefix may be written with or without the /api base ("/v1/lineage" is how operations spell paths).
        return self.path is None or path.startswith(self.path) or path.removeprefix("/api").startswith(self.path)

    def use(self) -> _Rule:
        if self.times is not None:
            self.times -= 1
        return self


class Faults:
    """Rules that make matching requests slow, fail, throttle (429) or drop; each limited to ``times`` requests
    (None: all), to a ``path`` prefix and to a ``method``. A faulted request never reaches the store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def latency(
        self, seconds: float, *, times: int | None = None, path: str | None = None, method: str | None = None
    ) -> None:
        """Matching requests wait ``seconds`` before anything else happens."""
        self._add(_Rule("latency", times, path, method, seconds=seconds))

    def fail(
        self, status: int = 503, *, times: int | None = 1, path: str | None = None, method: str | None = None
    ) -> None:
        """The next ``times`` matching requests answer ``status`` with an error body."""
        self._add(_Rule("fail", times, path, method, status=status))

    def throttle(
        self, *, times: int | None = 1, retry_after: float = 1, path: str | None = None, method: str | None = None
    ) -> None:
        """The next ``times`` matching requests answer 429 with ``Retry-After: retry_after``."""
        self._add(_Rule("throttle", times, path, method, status=429, seconds=retry_after))

    def drop(self, *, times: int | None = 1, path: str | None = None, method: str | None = None) -> None:
        """The next ``times`` matching requests get their connection closed without any answer."""
        self._add(_Rule("drop", times, path, method))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> tuple[float, _Rule | None]:
        """Seconds to wait, and the first failing rule that applies to this request (used up by one)."""
        with self._lock:
            delay = sum(r.use().seconds for r in self._rules if r.action == "latency" and r.matches(method, path))
            failing = next((r for r in self._rules if r.action != "latency" and r.matches(method, path)), None)
            return delay, failing.use() if failing else None


# -- HTTP --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: Any = None  # None: no body
    headers: tuple[tuple[str, str], ...] = ()


def _error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
    return _Answer(status, {"code": status, "message": message}, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: OpenMetadataStandIn, port: int) -> None:
        self.standin = standin
        self.connections: set[socket.socket] = set()  # open keep-alive sockets, closed by stop()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (or stop() closing an idle connection) is normal here, not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("connection from %s closed", client_address)
        else:
            logger.exception("stand-in failed on a request from %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries Content-Length
    disable_nagle_algorithm = True
    wbufsize = 65536  # headers and body buffered, sent in one write when the request is done (handle_one_request)
    server: _Server
    _date: tuple[int, str] = (0, "")  # the last second and its Date header, replaced whole (no lock needed)

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def parse_request(self) -> bool:
        """The request line and headers by http.server's rules for HTTP/1.0 and 1.1, the headers read line by line:
        http.server hands them to the email package, which made a third of the stand-in's CPU per call (HTTP/0.9
        and folded header lines, which no client of OpenMetadata sends, are refused or ignored)."""
        self.command, self.request_version, self.close_connection = "", "HTTP/1.0", True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request line {self.requestline[:100]!r}")
            return False
        self.command, self.path, self.request_version = words
        headers = HTTPMessage()  # case-insensitive, as http.server's
        for _ in range(101):
            line = self.rfile.readline(65537)
            if len(line) > 65536:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, colon, value = str(line, "iso-8859-1").partition(":")
            if colon:
                headers[name.strip()] = value.strip()
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        self.headers = headers
        connection = headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (self.request_version == "HTTP/1.0"
                                                           and connection != "keep-alive")
        if headers.get("Expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def _read_body(self) -> bytes | None:
        """The request body (``Content-Length`` or chunked); None when it cannot be read."""
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            length = self.headers.get("Content-Length", "0")
            return self.rfile.read(int(length)) if length.isascii() and length.isdigit() else None
        chunks = []
        try:
            while size := int(self.rfile.readline(1024).split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)  # the CRLF after each chunk
        except ValueError:
            return None
        while self.rfile.readline(65537).strip():  # trailer fields, up to the empty line
            pass
        return b"".join(chunks)

    def _handle(self) -> None:
        standin = self.server.standin
        body = self._read_body()
        if body is None:
            self.close_connection = True  # the body was not read: the connection is out of step
            answer = standin._record(self.command, self.path, _error(400, "invalid Content-Length or chunked body"))
        else:
            answer = standin._answer(self.command, self.path, self.headers.get("Authorization"), body)
        if answer is None:  # an injected drop: close without a word
            self.close_connection = True
            return
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _handle  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: Any) -> None:
        # The request line and status only: headers (and so the token) are never logged.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s", self.address_string(), format % args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, formatted once a second (email.utils is slow for thousands of answers a second)."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        second = int(time.time())
        if self._date[0] != second:
            type(self)._date = (second, super().date_time_string(second))
        return self._date[1]


# -- the stand-in ------------------------------------------------------------------------------------------------


class OpenMetadataStandIn:
    """OpenMetadata's REST API (base path ``/api``) in memory, on 127.0.0.1.

    ``token``: when set, every request needs ``Authorization: Bearer <token>`` (401 otherwise). ``validate``:
    check request bodies against OpenMetadata's JSON schemas when they are available (warns once when not).
    ``port``: 0 picks a free one.
    """

    def __init__(
        self, *, token: str | None = None, validate: bool = True, version: str = "1.8.0", port: int = 0,
        fqn_quotes: Literal["doubled", "backslash"] = "doubled",
    ) -> None:
        self.token = token
        self.validate = validate
        self.version = version
        self.faults = Faults()
        self._port = port
        # "doubled": FullyQualifiedName.quoteName since OpenMetadata PR #28697 (a name with "." or '"' is wrapped in
        # quotes, each '"' doubled: quo"te's -> "quo""te's"); "backslash": the rule before it (quo\"te's).
        self._store = Store(fqns.quote_name if fqn_quotes == "doubled" else legacy_quote_name)
        self._requests: list[tuple[str, str, int]] = []
        self._validator: RequestValidator | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._started_ms = int(time.time() * 1000)

    # -- life cycle ----------------------------------------------------------------------------------------------

    def start(self) -> OpenMetadataStandIn:
        if self._server is None:
            self._validator = _shared_validator() if self.validate else None
            self._server = _Server(self, self._port)
            serve = functools.partial(self._server.serve_forever, poll_interval=0.05)  # quick stop()
            self._thread = threading.Thread(target=serve, name="om-standin", daemon=True)
            self._thread.start()
            logger.info("OpenMetadata stand-in listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        for connection in list(server.connections):  # idle keep-alive connections would linger otherwise
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        thread.join()

    def __enter__(self) -> OpenMetadataStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not running; call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The API base, as OpenMetadata's ``hostPort`` is written: ``http://127.0.0.1:PORT/api``."""
        return f"http://127.0.0.1:{self.port}/api"

    # -- introspection for tests (copies) ------------------------------------------------------------------------

    def entities(self, kind: str) -> list[Entity]:
        """Every stored entity of a type: "pipelineService", "pipeline", "table", "topic", "container", ..."""
        return self._store.entities(kind)

    def entity(self, kind: str, fqn: str) -> Entity | None:
        return self._store.find(kind, fqn)

    def statuses(self, pipeline_fqn: str) -> list[Entity]:
        """The pipeline's statuses, oldest first."""
        return self._store.statuses(pipeline_fqn)

    def edges(self) -> list[Entity]:
        """Lineage edges: ``fromEntity`` / ``toEntity`` as ``{id, type, fullyQualifiedName}``, ``lineageDetails``."""
        return self._store.edges()

    def queries(self) -> list[Entity]:
        """Query entities, each with ``queryUsedIn`` as ``{id, type, fullyQualifiedName}`` references."""
        return self._store.entities("query")

    def test_cases(self) -> list[Entity]:
        """Test cases, each with its ``testDefinition`` and ``testSuite`` references and its latest result."""
        return self._store.entities("testCase")

    def test_case_results(self, fqn: str) -> list[Entity]:
        """A test case's results, latest first."""
        return self._store.test_case_results(fqn)

    def table_profiles(self, fqn: str) -> list[Entity]:
        """A table's profiles as written (``tableProfile``, ``columnProfile``), oldest first."""
        return self._store.table_profiles(fqn)

    def usage(self, fqn: str, kind: str = "table") -> dict[str, int]:
        """An entity's daily usage counts by date (``YYYY-MM-DD``); ``{}`` when none was reported."""
        return self._store.usage(kind, fqn)

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """``(method, path without query, status)`` of every request handled; status 0: dropped."""
        with self._store.lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self._store.lock:
            self._requests.clear()

    # -- seeding (straight into the store: not validated, not counted as requests) -------------------------------

    def _seed(self, collection: str, body: Mapping[str, Any], *, keep_existing: bool = True) -> Entity:
        return self._store.put(COLLECTIONS[collection], body, keep_existing=keep_existing)[0]

    def seed_table(
        self, fqn: str, columns: Iterable[str | Mapping[str, Any]] = (), *, service_type: str = "Postgres"
    ) -> Entity:
        """Create (or replace) table ``service.database.schema.table``, with its parents as needed.

        A column is a name (data type STRING) or a full column object.
        """
        service, database, schema, name = fqns.split(fqn)
        self._seed("services/databaseServices", {"name": service, "serviceType": service_type})
        self._seed("databases", {"name": database, "service": fqns.build(service)})
        self._seed("databaseSchemas", {"name": schema, "database": fqns.build(service, database)})
        cols = [{"name": c, "dataType": "STRING"} if isinstance(c, str) else dict(c) for c in columns]
        body = {"name": name, "databaseSchema": fqns.build(service, database, schema), "columns": cols}
        return self._seed("tables", body, keep_existing=False)

    def seed_topic(self, fqn: str, *, service_type: str = "Kafka", partitions: int = 1) -> Entity:
        """Create (or replace) topic ``service.topic``, and its service as needed."""
        service, name = fqns.split(fqn)
        self._seed("services/messagingServices", {"name": service, "serviceType": service_type})
        body = {"name": name, "service": fqns.build(service), "partitions": partitions}
        return self._seed("topics", body, keep_existing=False)

    def seed_container(self, fqn: str, *, service_type: str = "S3") -> Entity:
        """Create container ``service.container[.child...]``: each level a container inside the one before."""
        service, *names = fqns.split(fqn)
        if not names:
            raise ValueError(f"container FQN {fqn!r} needs a service and at least one container name")
        self._seed("services/storageServices", {"name": service, "serviceType": service_type})
        parent: Entity | None = None
        for name in names:
            body: dict[str, Any] = {"name": name, "service": fqns.build(service)}
            if parent is not None:
                body["parent"] = {"id": parent["id"], "type": "container"}
            parent = self._seed("containers", body)
        assert parent is not None
        return parent

    def seed_dataset(self, hint: EntityHint, columns: Iterable[str] | None = None) -> Entity:
        """The table, topic or container an operation's entity hint names, as a catalogued estate holds it; a
        table gets ``columns``, else the columns of its ``schema`` facet."""
        if hint.type == "table":
            return self.seed_table(hint.fqn, [name for name, _ in hint.columns] if columns is None else columns)
        if hint.type == "topic":
            return self.seed_topic(hint.fqn)
        return self.seed_container(hint.fqn)

    def seed_owner(self, name: str, kind: Literal["user", "team"] = "user", *, team_type: str = "Group") -> Entity:
        """Create a user or team, for owner references; only a team of type Group may own entities."""
        if kind == "user":
            return self._seed("users", {"name": name})
        return self._seed("teams", {"name": name, "teamType": team_type})

    def seed_tag(self, fqn: str) -> Entity:
        """Create tag ``classification.tag``, and its classification as needed."""
        classification, name = fqns.split(fqn)
        self._seed("classifications", {"name": classification, "description": classification})
        return self._seed("tags", {"name": name, "classification": fqns.build(classification), "description": name})

    def delete(self, kind: str, fqn: str) -> bool:
        """Remove an entity, its statuses and its lineage edges, as if deleted on the server; False when absent."""
        return self._store.delete(kind, fqn)

    # -- requests ------------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, authorization: str | None, body: bytes) -> _Answer | None:
        """The answer to one request (None: drop the connection), recorded before it is sent."""
        path, _, query = target.partition("?")
        delay, fault = self.faults.take(method, path)
        if delay:
            time.sleep(delay)
        if fault is None:
            answer: _Answer | None = self._authorized_answer(method, path, query, authorization, body)
        elif fault.action == "throttle":
            answer = _error(429, "Too many requests (injected)", (("Retry-After", f"{fault.seconds:g}"),))
        elif fault.action == "fail":
            answer = _error(fault.status, f"injected failure {fault.status}")
        else:
            answer = None
        return self._record(method, path, answer)

    def _record(self, method: str, target: str, answer: _Answer | None) -> _Answer | None:
        with self._store.lock:
            self._requests.append((method, target.partition("?")[0], DROPPED if answer is None else answer.status))
        return answer

    def _authorized_answer(self, method: str, path: str, query: str, authorization: str | None, body: bytes) -> _Answer:
        if self.token is not None:
            if not authorization:
                return _error(401, "Not Authorized! Token not present")
            if not hmac.compare_digest(authorization.encode(), f"Bearer {self.token}".encode()):
                return _error(401, "Not Authorized! Invalid token")
        try:
            return self._route(method, path, parse_qs(query), body)
        except ApiError as error:
            return _error(error.status, error.message)
        except Exception:  # a bug here must still answer, as a server would
            logger.exception("stand-in failed on %s %s", method, path)
            return _error(500, "stand-in internal error (see the log)")

    def _route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> _Answer:
        # Split the raw path first, then decode each segment: an encoded "/", "?", "#" or ".." stays in its FQN.
        segments = [unquote(segment) for segment in path.split("/")]
        if segments[:3] != ["", "api", "v1"] or len(segments) < 4:
            raise ApiError(404, f"no route for {method} {path}")
        route = segments[3:]

        def arg(name: str, default: int) -> int:
            try:
                return int(query.get(name, [default])[0])
            except ValueError:
                raise ApiError(400, f"query parameter {name} must be an integer") from None

        if route == ["system", "version"] and method == "GET":
            return _Answer(200, {"version": self.version, "revision": "standin", "timestamp": self._started_ms})
        if route == ["users", "loggedInUser"] and method == "GET":  # the token's bot, as the sink checks on start
            return _Answer(200, {"id": "00000000-0000-4000-8000-000000000b07", "name": "ingestion-bot",
                                 "fullyQualifiedName": "ingestion-bot", "isBot": True})
        if route == ["search", "query"] and method == "GET":
            q, index = query.get("q", [""])[0], query.get("index", ["table_search_index"])[0]
            return _Answer(200, self._store.search(index, q, arg("from", 0), arg("size", 10)))
        if route == ["lineage"] and method == "PUT":
            self._store.put_lineage(self._body("lineage", raw))
            return _Answer(200)  # OpenMetadata answers an empty 200
        if len(route) == 4 and route[:2] == ["lineage", "getLineageEdge"] and method == "GET":
            return _Answer(200, self._store.lineage_edge(route[2], route[3]))
        if len(route) == 4 and route[0] == "lineage" and route[2] == "name" and method == "GET":
            up, down = arg("upstreamDepth", 1), arg("downstreamDepth", 1)
            return _Answer(200, self._store.lineage(route[1], route[3], up, down))
        if len(route) == 3 and route[0] == "lineage" and method == "GET":
            up, down = arg("upstreamDepth", 1), arg("downstreamDepth", 1)
            return _Answer(200, self._store.lineage(route[1], route[2], up, down, by_id=True))
        if route == ["queries"] and method == "PUT":
            entity, created = self._store.put_query(self._body("query", raw))
            return _Answer(201 if created else 200, entity)
        if route[0] == "usage" and (len(route) == 3 or (len(route) == 4 and route[2] == "name")):
            entity_type, key, by_name = route[1], route[-1], len(route) == 4
            if method == "GET":
                return _Answer(200, self._store.entity_usage(entity_type, key, by_name=by_name))
            if method in ("PUT", "POST"):  # PUT adds to the day's count, POST replaces it
                body = self._body("usage", raw)
                return _Answer(201, self._store.put_usage(entity_type, key, body, by_name=by_name, add=method == "PUT"))

        if route[:3] == ["dataQuality", "testCases", "testCaseResults"] and len(route) == 4:
            if method == "POST":
                result = self._store.add_test_case_result(route[3], self._body("test_case_result", raw))
                return _Answer(201, result)
            if method == "GET":
                data = self._store.test_case_results(route[3], arg("startTs", -(2**63)), arg("endTs", 2**63 - 1))
                return _Answer(200, {"data": data, "paging": {"total": len(data)}})
        if len(route) == 3 and route[0] == "tables" and route[2] == "tableProfile" and method == "PUT":
            return _Answer(200, self._store.put_table_profile(route[1], self._body("table_profile", raw)))
        if route == ["dataQuality", "testCases"] and method == "PUT":
            entity, created = self._store.put_test_case(self._body("test_case", raw))
            return _Answer(201 if created else 200, entity)

        grouped = route[0] in ("services", "dataQuality")
        name, rest = ("/".join(route[:2]), route[2:]) if grouped else (route[0], route[1:])
        collection = COLLECTIONS.get(name)
        if collection is not None:
            if collection.type == "pipeline" and len(rest) == 2 and rest[1] == "status":
                if method == "PUT":
                    return _Answer(200, self._store.put_status(rest[0], self._body("pipeline_status", raw)))
                if method == "GET":
                    data = self._store.statuses(rest[0], arg("startTs", 0), arg("endTs", 2**63 - 1))
                    return _Answer(200, {"data": data, "paging": {"total": len(data)}})
            elif not rest and method == "PUT":
                return self._put(collection, raw)
            elif not rest and method == "GET":
                service = query.get("service", [None])[0]
                return _Answer(200, self._store.listing(collection.type, service, arg("limit", 10), arg("after", 0)))
            elif len(rest) == 1 and method == "DELETE":
                return _Answer(200, self._store.soft_delete(collection.type, rest[0]))
            elif len(rest) == 2 and rest[0] == "name" and method == "GET":  # ?fields=... : always everything
                return _Answer(200, self._store.get(collection.type, rest[1]))
            elif len(rest) == 1 and method == "GET":
                return _Answer(200, self._store.get_by_id(collection.type, rest[0]))
        raise ApiError(404, f"no route for {method} {path}")

    def _put(self, collection: Collection, raw: bytes) -> _Answer:
        entity, created = self._store.put(collection, self._body(collection.schema, raw))
        return _Answer(201 if created else 200, entity)

    def _body(self, kind: str | None, raw: bytes) -> dict[str, Any]:
        """The request body as a JSON object, validated against ``kind`` when there is a validator."""
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, f"request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        if kind is not None and self._validator is not None:
            errors = self._validator.errors(kind, body, resolve_refs=False)  # the client must send real ids
            if errors:
                raise ApiError(400, errors[0])
        return body


def main(argv: list[str] | None = None) -> None:
    """``python -m ol_om_sink.testing.standin``: a stand-in in its own process (benchmarks, demos), printing its
    URL on the first line of standard output and serving until SIGTERM or SIGINT."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", help="require this Bearer token")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every request waits")
    parser.add_argument("--no-validate", action="store_true", help="skip JSON-schema validation of bodies")
    parser.add_argument("--tables", help='JSON file: [{"fqn": "svc.db.schema.t", "columns": ["a"]}, ...] to seed')
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with OpenMetadataStandIn(token=args.token, validate=not args.no_validate, port=args.port) as standin:
        if args.tables:
            with open(args.tables, encoding="utf-8") as file:
                for table in json.load(file):
                    standin.seed_table(table["fqn"], table.get("columns", ()))
        if args.latency:
            standin.faults.latency(args.latency)
        print(standin.url, flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
