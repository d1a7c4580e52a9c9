"""The OpenMetadata sink: a batch of events' operations -> REST calls -> one outcome per event.

A batch is written in three phases, so nothing points at an entity not yet written: pipeline services, then
pipelines, then run statuses, lineage, queries and usage. Within a phase calls run concurrently on keep-alive
connections. Calls that say the same thing twice in a batch are sent once: the last pipeline body (it holds
every task known), the last status of a run (statuses only move forward), the last version of a query, the
union of an edge's reports (``edges``); usage counts of one table and day are summed into one call
(OpenMetadata's PUT adds them up).

Each call ends done, dead-lettered (OpenMetadata refused it for good: its reason is kept), or pending
(throttled, server down, timeouts: retried with exponential back-off and jitter for ``retry.maxElapsed``
seconds, then handed back so the runner holds the source). 401/403 stop the sink.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ol_om_core import fqn as fqns
from ol_om_core import queries, status
from ol_om_core.contract.check import Check
from ol_om_core.contract.sinks import DeadLetter, Notice, Outcome, SinkError, SinkUnavailable, Work
from ol_om_core.lru import LRU
from ol_om_core.operations import EntityHint, Operation, fqn_path
from ol_om_sink import config as sink_config
from ol_om_sink import create, edges, quality
from ol_om_sink.client import AuthError, Client, Rejected, Transient, message_of
from ol_om_sink.config import SinkConfig
from ol_om_sink.counters import Counters
from ol_om_sink.entities import Directory, Found

log = logging.getLogger("ol_om_sink")

MIN_VERSION = (1, 5)  # owners as lists (``owners``) arrived in OpenMetadata 1.5
# Data quality last: a test case needs its table (which lineage may have created) and its definition.
_PHASES = (("pipeline_service", "test_definition"), ("pipeline",), ("pipeline_status", "lineage", "query", "usage"),
           ("test_case", "table_profile"), ("test_case_result",))
_DATASET_KINDS = ("lineage", "query", "usage", "test_case", "test_case_result", "table_profile")
_HELD_BY = ("pipeline_service", "pipeline", "test_definition", "test_case")
"""Kinds whose failure holds back the calls that depend on them (``Operation.depends_on``)."""
"""Operations that name datasets: looked up together, once per batch, before they are sent."""
_SERVICE_KINDS = ("databaseService", "messagingService", "storageService")
_TASK_FIELDS = ("name", "displayName", "description", "taskType", "downstreamTasks", "sourceUrl", "taskSQL",
                "owners", "tags")


@dataclass(slots=True)
class _Result:
    state: str = "done"
    """done | dead | pending"""
    reason: str = ""
    retry_after: float = 0.0
    notices: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Call:
    """One call to send, standing for every operation of the batch it supersedes."""

    op: Operation
    members: list[tuple[int, int]]
    """(index of the event in the batch, index of the operation in the event) of every operation folded in."""


class OpenMetadataSink:
    def __init__(self, config: SinkConfig, *, client: Client | None = None,
                 clock: Callable[[], float] = time.monotonic, rng: Callable[[], float] = random.random) -> None:
        self.config = config
        self.counters = Counters()
        self.client = client or Client(config, self.counters)
        self.directory = Directory(self.client, config.cache, self.counters, clock)
        self._creator = create.Creator(self.client, self.directory)
        self._clock = clock
        self._rng = rng
        self._pool = ThreadPoolExecutor(config.concurrency, thread_name_prefix="ol-om-sink")
        self._closing = threading.Event()
        self._lock = threading.Lock()
        # pipeline FQN -> what OpenMetadata holds of it (projection)
        self._pipelines: LRU[str, dict[str, Any]] = LRU(config.cache.size)
        # (pipeline FQN, timestamp) -> the status OpenMetadata holds for that run
        self._statuses: LRU[tuple[str, int], dict[str, Any]] = LRU(config.cache.size)
        self._waiting: LRU[int, float] = LRU(config.cache.size)  # op key -> when its dataset went missing
        # query FQN -> what OpenMetadata holds of it (projection)
        self._queries: LRU[str, dict[str, Any]] = LRU(config.cache.size)
        # (from id, to id) -> the lineageDetails OpenMetadata holds for that edge (as we wrote or read them)
        self._edges: LRU[tuple[str, str], edges.Details] = LRU(config.cache.size)
        self._quality = quality.Quality(self.client, self.directory, self.counters, config.cache.size)
        self.server_version = ""

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> OpenMetadataSink:
        """The ``openmetadata`` entry point: settings in, a started sink out (fails fast on a bad server)."""
        sink = cls(sink_config.load(section))
        sink.start()
        return sink

    def __repr__(self) -> str:
        return f"OpenMetadataSink({self.config.shown_host_port!r})"

    @classmethod
    def check(cls, section: Mapping[str, Any], services: Sequence[str]) -> list[Check]:
        """``ol-om check``: reachable, authenticated, recent enough; the configured services present."""
        config = sink_config.load(section)
        sink = cls(config.model_copy(update={"retry": config.retry.model_copy(update={"max_elapsed": 5.0})}))
        try:
            try:
                version = sink.start()
            except SinkError as exc:
                return [Check("openmetadata", False, str(exc))]
            rows = [Check("openmetadata", True, f"{version} at {config.shown_host_port}, token accepted")]
            for name in services:
                kinds = [kind for kind in _SERVICE_KINDS if sink.directory.get(kind, name) is not None]
                rows.append(Check(f"service {name}", bool(kinds), ", ".join(kinds) if kinds else
                                  "not in OpenMetadata (looked among database, messaging and storage services)"))
            return rows
        finally:
            sink.close()

    def start(self) -> str:
        """Check the server answers, is recent enough, and accepts the token; returns its version."""
        deadline = self._clock() + self.config.retry.max_elapsed
        attempt = 0
        while True:
            try:
                answer = self.client.call("GET", "/v1/system/version", label="version")
                self.client.call("GET", "/v1/users/loggedInUser", label="user")  # the version needs no token
                break
            except Transient as exc:
                # A server restarting (or a service started before it) is waited for, up to retry.maxElapsed.
                delay = self._backoff(attempt)
                attempt += 1
                if self._clock() + delay > deadline or self._closing.wait(delay):
                    raise SinkUnavailable(f"cannot reach OpenMetadata at {self.config.shown_host_port}: {exc.reason}") \
                        from None
                log.warning("OpenMetadata not ready (%s); trying again in %.1fs", exc.reason, delay)
            except Rejected as exc:
                raise SinkError(f"OpenMetadata at {self.config.shown_host_port} answered {exc.status}: {exc.reason}") \
                    from None
        version = str((answer.body or {}).get("version", "")) if isinstance(answer.body, Mapping) else ""
        if answer.status != 200 or not version:
            raise SinkError(f"{self.config.shown_host_port} does not look like OpenMetadata's API (GET "
                            f"/v1/system/version answered {answer.status}); hostPort usually ends in /api")
        numbers = tuple(int(p) for p in version.split("-")[0].split(".")[:2] if p.isdigit())
        if numbers < MIN_VERSION:
            problem = (f"OpenMetadata {version} is older than {'.'.join(map(str, MIN_VERSION))}, the oldest release "
                       "ol-om writes to")
            if self.config.enable_version_validation:
                raise SinkError(f"{problem} (enableVersionValidation: false to try anyway)")
            log.warning("%s; going on as enableVersionValidation is false", problem)
        self.server_version = version
        log.info("OpenMetadata %s at %s", version, self.config.shown_host_port)
        return version

    def mark_deleted(self, seen: Set[str]) -> list[str]:
        """OpenMetadata's ``markDeletedPipelines``: soft-delete the pipelines of the services this run wrote to
        that the run did not see. Returns their FQNs. (A soft-deleted pipeline comes back if written again.)"""
        deleted = []
        for service in sorted({fqns.split(pipeline)[0] for pipeline in seen}):
            after: str | None = None
            stale = []
            while True:
                params = {"service": service, "limit": 100, **({"after": after} if after else {})}
                page = self.client.call("GET", "/v1/pipelines", params=params, label="pipelines").body or {}
                stale += [p for p in page.get("data", ()) if p.get("fullyQualifiedName") not in seen]
                after = (page.get("paging") or {}).get("after")
                if not after:
                    break
            for pipeline in stale:  # after the listing: deleting while paging would shift the pages
                self.client.call("DELETE", f"/v1/pipelines/{pipeline['id']}", params={"hardDelete": "false"},
                                 label="pipeline")
                self.directory.forget("pipeline", pipeline["fullyQualifiedName"])
                with self._lock:
                    self._pipelines.pop(pipeline["fullyQualifiedName"])
                deleted.append(str(pipeline["fullyQualifiedName"]))
        log.info("markDeletedPipelines: %d pipelines not seen in this run marked deleted", len(deleted))
        return deleted

    def interrupt(self) -> None:
        """The run is stopping: calls being retried end pending now (the source keeps them for the next run)."""
        self._closing.set()

    def close(self) -> None:
        log.info("OpenMetadata sink: %s", self.counters.summary())
        self._closing.set()
        self._pool.shutdown(wait=True)
        self.client.close()

    # -- delivery -------------------------------------------------------------------------------------------

    def deliver(self, batch: Sequence[Work]) -> Outcome:
        deadline = self._clock() + self.config.retry.max_elapsed
        calls = _coalesce(batch)
        calls_by_member = {member: call for call in calls for member in call.members}
        results: dict[int, _Result] = {}  # id(call) -> result
        failed: dict[str, _Result] = {}  # service or pipeline FQN -> why its call did not succeed
        for kinds in _PHASES:
            phase = [call for call in calls if call.op.kind in kinds]
            ready = []
            for call in phase:
                blocker = failed.get(call.op.depends_on)
                if blocker is None:
                    ready.append(call)
                else:
                    results[id(call)] = _Result(blocker.state, f"{call.op.depends_on} was not written: "
                                                f"{blocker.reason}", blocker.retry_after)
            if set(kinds) & set(_DATASET_KINDS):
                self._prefetch(ready)
                self._prefetch_edges(ready)
            for call, result in zip(ready, self._pool.map(lambda c: self._send(c, deadline), ready), strict=True):
                results[id(call)] = result
            # What hangs from a service or pipeline not written (sent and failed, or held back) waits or fails too.
            for call in phase:
                if results[id(call)].state != "done" and call.op.kind in _HELD_BY:
                    failed[call.op.subject[0]] = results[id(call)]
        return self._outcome(batch, calls_by_member, results)

    def _outcome(self, batch: Sequence[Work], calls_by_member: dict[tuple[int, int], _Call],
                 results: dict[int, _Result]) -> Outcome:
        outcome = Outcome()
        for index, work in enumerate(batch):
            pending = []
            for number, op in enumerate(work.operations):
                call = calls_by_member[(index, number)]
                result = results[id(call)]
                if result.state == "pending":
                    pending.append(op)
                    outcome.retry_after = max(outcome.retry_after, result.retry_after)
                elif result.state == "dead":
                    outcome.dead_letters.append(DeadLetter(work.position, result.reason, op))
                    self.counters.add("dead-letters")
                if call.members[-1] == (index, number):  # said once, by the event that made the call
                    outcome.notices.extend(Notice(work.position, text) for text in result.notices)
            if pending:
                outcome.pending.append(Work(work.position, tuple(pending)))
            else:
                outcome.acknowledged.append(work.position)
        return outcome

    def _send(self, call: _Call, deadline: float) -> _Result:
        """One call with retries: transient failures back off (honouring Retry-After) until the deadline."""
        send = {"pipeline_service": self._service, "pipeline": self._pipeline, "pipeline_status": self._status,
                "lineage": self._lineage, "query": self._query, "usage": self._usage,
                "test_definition": self._test_definition, "test_case": self._test_case,
                "test_case_result": self._test_case_result, "table_profile": self._table_profile}[call.op.kind]
        attempt = 0
        while True:
            try:
                return send(call.op)
            except Transient as exc:
                delay = max(self._backoff(attempt) * (0.5 + self._rng() / 2), exc.retry_after or 0.0)
                attempt += 1
                self.counters.add("retries")
                if self._closing.is_set() or self._clock() + delay > deadline:
                    log.warning("OpenMetadata not answering (%s); will try again in %.1fs", exc.reason, delay)
                    return _Result("pending", exc.reason, delay)
                log.info("retrying in %.2fs: %s", delay, exc.reason)
                if self._closing.wait(delay):
                    return _Result("pending", exc.reason, delay)
            except Rejected as exc:
                return _Result("dead", f"OpenMetadata refused {call.op.method} {call.op.path} ({exc.status}): "
                                       f"{exc.reason}")
            except AuthError:
                raise
            except Exception as exc:  # a bug of ours must not lose the event: dead-letter it with the cause
                log.exception("unexpected error writing %s", call.op.path)
                return _Result("dead", f"internal error writing {call.op.path}: {type(exc).__name__}: {exc}")

    def _backoff(self, attempt: int) -> float:
        """Exponential: ``initialDelay`` doubling per attempt, up to ``maxDelay``."""
        return min(self.config.retry.max_delay, self.config.retry.initial_delay * 2.0 ** attempt)

    def _put(self, path: str, body: Any, label: str) -> Any:
        answer = self.client.call("PUT", path, body, label=label)
        if answer.status == 404:
            raise Rejected(404, message_of(answer.body, "not found"))
        return answer.body

    # -- services and pipelines -----------------------------------------------------------------------------

    def _service(self, op: Operation) -> _Result:
        self._put(op.path, op.body, "pipeline service")
        return _Result()

    def _pipeline(self, op: Operation) -> _Result:
        body = dict(op.body)
        [pipeline_fqn] = op.subject
        with self._lock:
            held = self._pipelines.get(pipeline_fqn)
        if held is None:
            found = self.directory.get("pipeline", pipeline_fqn)
            held = _projection(found.entity) if found is not None else None
        notices: list[str] = []
        # OpenMetadata replaces a pipeline's tasks with those sent: keep the ones it holds that we did not see.
        ours = {task["name"]: dict(task) for task in body.get("tasks", ())}
        theirs = {task["name"]: task for task in (held or {}).get("tasks", ()) if task["name"] not in ours}
        tasks = [self._resolved_refs(t, f"task {t['name']} of pipeline {pipeline_fqn}", notices)
                 for t in ours.values()]
        body["tasks"] = sorted([*tasks, *theirs.values()], key=lambda t: t["name"])
        body = self._resolved_refs(body, f"pipeline {pipeline_fqn}", notices)
        if held is not None and _projection(body) == held:
            self.counters.add("unchanged")
            return _Result(notices=notices)
        entity = self._put(op.path, body, "pipeline")
        self.directory.remember("pipeline", entity, pipeline_fqn)
        with self._lock:
            self._pipelines.put(pipeline_fqn, _projection(body))
        return _Result(notices=notices)

    def _resolved_refs(self, body: dict[str, Any], where: str, notices: list[str]) -> dict[str, Any]:
        """Owners by FQN -> ``{id, type}``, those OpenMetadata lacks or would refuse left off (it would refuse the
        whole pipeline); tags OpenMetadata lacks created, or left off if it refuses to create them."""
        body = dict(body)
        if "owners" in body:
            body["owners"] = self._owners(body["owners"], where, notices)
        if "tags" in body:
            tags = []
            for label in body["tags"]:
                # OpenMetadata refuses a label whose tag it lacks (404): create it, once (the directory caches it).
                if self.directory.get("tag", label["tagFQN"]) or self._creator.tag(label["tagFQN"], notices):
                    tags.append(label)
                else:
                    notices.append(f"tag {label['tagFQN']!r} is not in OpenMetadata: left off {where}")
            body["tags"] = tags
        return {k: v for k, v in body.items() if v or k not in ("owners", "tags")}

    def _owners(self, owners: list[dict[str, Any]], where: str, notices: list[str]) -> list[dict[str, str]]:
        """The owners OpenMetadata accepts together, the rest left off with a notice: only a team of type Group
        may own (``invalidTeamOwner``), and "Multiple Users or Single Team Ownership" (the RuleEngine's system
        rule) takes several users or one team, never both. So: every user if there is one, else the first team."""
        kept = [owner for owner in owners if "id" in owner]
        users: list[Found] = []
        teams: list[Found] = []
        for owner in owners:
            if "id" in owner:
                continue
            name = owner["fullyQualifiedName"]
            found = self._owner(owner["type"], name)
            team_type = str(found.entity.get("teamType") or "Group") if found and found.type == "team" else "Group"
            if found is None:
                also = " (nor a team of that name)" if owner["type"] == "user" else ""
                notices.append(f"owner {owner['type']} {name!r} is not in OpenMetadata{also}: left off {where}")
            elif team_type != "Group":
                notices.append(f"owner team {found.fqn!r} is a {team_type} team and OpenMetadata lets only Group "
                               f"teams own: left off {where}")
            else:
                (users if found.type == "user" else teams).append(found)
        dropped = teams if users else teams[1:]
        if dropped:
            names = ", ".join(repr(team.fqn) for team in dropped)
            rule = "several users or one team, not both" if users else "one team at most"
            notices.append(f"OpenMetadata takes as owners {rule}: team {names} left off {where}")
        return kept + [found.ref for found in (users or teams[:1])]

    def _owner(self, kind: str, name: str) -> Found | None:
        """A user, or a team, of that name (cached either way). A user may be named by a team's name: OpenLineage
        owners without a ``user:`` / ``team:`` prefix reach the sink as users."""
        for candidate in ("user", "team") if kind == "user" else (kind,):
            found = self.directory.find(EntityHint(candidate, name, (name.lower(),) if name.lower() != name else ()))
            if found is not None:
                return found
        return None

    # -- run status -----------------------------------------------------------------------------------------

    def _status(self, op: Operation) -> _Result:
        pipeline_fqn = op.depends_on
        timestamp = op.body["timestamp"]
        key = (pipeline_fqn, timestamp)
        path = self._status_path(op, pipeline_fqn)
        with self._lock:
            held = self._statuses.get(key)
        if held is None and not op.whole:
            # Joining a run midway (a restart, a rebalance): merge with what OpenMetadata already has.
            answer = self.client.call("GET", path, params={"startTs": timestamp, "endTs": timestamp},
                                      label="pipeline status")
            data = answer.body.get("data") if answer.status == 200 and isinstance(answer.body, Mapping) else None
            held = next((s for s in data or () if s.get("timestamp") == timestamp), None)
        body = status.merged(held, op.body)
        if body == held:
            self.counters.add("unchanged")
            return _Result()
        self._put(path, body, "pipeline status")
        with self._lock:
            self._statuses.put(key, body)
        return _Result()

    def _status_path(self, op: Operation, pipeline_fqn: str) -> str:
        """The status path under the FQN the server gave the pipeline, where it quotes the name otherwise."""
        found = self.directory.cached("pipeline", pipeline_fqn)
        if found is None or found.fqn == pipeline_fqn:
            return op.path
        return f"/v1/pipelines/{fqn_path(found.fqn)}/status"

    # -- lineage --------------------------------------------------------------------------------------------

    def _prefetch(self, calls: list[_Call]) -> None:
        """Look up each dataset of the batch once, concurrently, before the edges that need it."""
        hints = {(h.type, h.fqn): h for call in calls if call.op.kind in _DATASET_KINDS for h in call.op.entities}

        def find(hint: EntityHint) -> None:
            with contextlib.suppress(Transient, Rejected):  # the edge's own call retries
                self.directory.find(hint)

        list(self._pool.map(find, hints.values()))

    def _prefetch_edges(self, calls: list[_Call]) -> None:
        """Read what OpenMetadata holds of the batch's edges this process has not seen, one call per target that
        has several (``GET /v1/lineage/{type}/{id}?upstreamDepth=1&downstreamDepth=0``: its upstream edges with
        their details) instead of one ``getLineageEdge`` per edge; a lone edge is read when it is sent."""
        targets: dict[str, tuple[Found, set[str]]] = {}
        for call in calls:
            ends = self._cached_ends(call.op) if call.op.kind == "lineage" else None
            if ends is None or ends[1].type == "pipeline":  # a pipeline's "upstream" is the edges it carries
                continue
            with self._lock:
                if self._edges.get((ends[0].id, ends[1].id)) is not None:
                    continue
            targets.setdefault(ends[1].id, (ends[1], set()))[1].add(ends[0].id)

        def read(target: Found, sources: set[str]) -> None:
            with contextlib.suppress(Transient, Rejected):  # each edge's own call reads it then
                answer = self.client.call("GET", f"/v1/lineage/{target.type}/{target.id}",
                                          params={"upstreamDepth": 1, "downstreamDepth": 0}, label="lineage")
                if answer.status != 200 or not isinstance(answer.body, Mapping):
                    return
                held = {str(e.get("fromEntity")): edges.from_response({"edge": e.get("lineageDetails")}) or {}
                        for e in answer.body.get("upstreamEdges") or () if isinstance(e, Mapping)}
                with self._lock:
                    for source in sources:  # {}: OpenMetadata has no such edge (yet)
                        self._edges.put((source, target.id), held.get(source, {}))

        list(self._pool.map(lambda item: read(*item), [t for t in targets.values() if len(t[1]) > 1]))

    def _cached_ends(self, op: Operation) -> tuple[Found, Found] | None:
        """The edge's two ends as the batch's look-ups found them, or None."""
        hints = {h.fqn: h for h in op.entities}
        ends = []
        for side in ("fromEntity", "toEntity"):
            ref = op.body["edge"][side]
            hint = hints.get(ref["fullyQualifiedName"]) or EntityHint(ref["type"], ref["fullyQualifiedName"])
            with contextlib.suppress(Transient, Rejected):
                ends.append(self._endpoint(hint))
        return (ends[0], ends[1]) if len(ends) == 2 and ends[0] and ends[1] else None

    def _lineage(self, op: Operation) -> _Result:
        edge = op.body["edge"]
        hints = {h.fqn: h for h in op.entities}
        ends: dict[str, Found] = {}
        notices: list[str] = []
        for side in ("fromEntity", "toEntity"):
            ref = edge[side]
            hint = hints.get(ref["fullyQualifiedName"]) or EntityHint(ref["type"], ref["fullyQualifiedName"])
            found = self._endpoint(hint)
            if found is None and hint.type != "pipeline" and self.config.unresolved_entities == "create":
                found = self._creator.entity(hint, notices)
            if found is None:
                return self._missing(op, hint, notices)
            ends[side] = found
        with self._lock:
            self._waiting.pop(op.key)
        details = dict(edge.get("lineageDetails") or {})
        pipeline = self.directory.get("pipeline", details["pipeline"]["fullyQualifiedName"])
        if pipeline is None:
            return _Result("dead", f"pipeline {details['pipeline']['fullyQualifiedName']} is not in OpenMetadata")
        details["pipeline"] = pipeline.ref
        columns = _mapped_columns(details.pop("columnsLineage", []), edge, ends, notices)
        if columns:
            details["columnsLineage"] = columns
        # A PUT replaces the edge's details: send the union with what OpenMetadata holds, or nothing if that is it.
        key = (ends["fromEntity"].id, ends["toEntity"].id)
        held, read = self._held_edge(key)
        if held is not None:
            # Mappings to columns the ends no longer have are not written back (older servers refuse the edge).
            known = {"from": _column_fqns(ends["fromEntity"]), "to": _column_fqns(ends["toEntity"])} if read else {}
            kept = edges.existing_columns(held, lambda side, column: not known[side] or column in known[side]) \
                if read else held
            details = edges.merged(kept, details)
            if edges.projection(details) == edges.projection(held):
                self.counters.add("unchanged")
                return _Result(notices=notices)
        body = {"edge": {"fromEntity": ends["fromEntity"].ref, "toEntity": ends["toEntity"].ref,
                         "lineageDetails": details}}
        answer = self.client.call("PUT", op.path, body, label="lineage")
        if answer.status == 404:  # an entity we had cached was deleted: look again next time
            for side, found in ends.items():
                self.directory.forget(found.type, edge[side]["fullyQualifiedName"])
            with self._lock:
                self._edges.pop(key)
            raise Transient(f"PUT /v1/lineage: 404 {message_of(answer.body, 'not found')}")
        with self._lock:
            self._edges.put(key, details)
        return _Result(notices=notices)

    def _held_edge(self, key: tuple[str, str]) -> tuple[edges.Details | None, bool]:
        """The details OpenMetadata holds for the edge, and whether they were read just now: cached once this
        process wrote or read them, else read (``GET /v1/lineage/getLineageEdge/{fromId}/{toId}``; 404: no
        edge yet)."""
        with self._lock:
            held = self._edges.get(key)
        if held is not None:
            return held, False
        answer = self.client.call("GET", f"/v1/lineage/getLineageEdge/{key[0]}/{key[1]}", label="lineage edge")
        held = edges.from_response(answer.body) if answer.status == 200 else None
        if held is not None:
            with self._lock:
                self._edges.put(key, held)
        return held, True

    def _endpoint(self, hint: EntityHint) -> Found | None:
        if hint.type == "pipeline":
            return self.directory.get("pipeline", hint.fqn)
        return self.directory.find(hint)

    def _missing(self, op: Operation, hint: EntityHint, notices: list[str], skipped: str = "edge not written",
                 counter: str = "edges skipped") -> _Result:
        tried = ", ".join([hint.fqn, *hint.alternatives])
        reason = f"{hint.type} {hint.fqn} is not in OpenMetadata (tried {tried}, and search)"
        if self.config.unresolved_entities != "wait":
            self.counters.add(counter)
            return _Result(notices=[*notices, f"{reason}: {skipped}"])
        now = self._clock()
        with self._lock:
            since = self._waiting.get(op.key)
            if since is None:
                since = now
                self._waiting.put(op.key, now)
        if now - since >= self.config.wait_timeout:
            return _Result("dead", f"{reason}, after waiting {self.config.wait_timeout:.0f}s")
        for candidate in (hint.fqn, *hint.alternatives):  # ask the server again next time, not the cache
            self.directory.forget(hint.type, candidate)
        self.directory.forget("search:" + hint.type, hint.fqn)
        return _Result("pending", reason, min(60.0, max(1.0, self.config.wait_timeout / 10)))

    def _dataset(self, op: Operation, ref: Mapping[str, Any], notices: list[str]) -> Found | EntityHint:
        """The entity a body names by FQN, created when so configured; its hint when OpenMetadata lacks it."""
        hint = next((h for h in op.entities if h.fqn == ref["fullyQualifiedName"]), None) \
            or EntityHint(ref["type"], ref["fullyQualifiedName"])
        found = self.directory.find(hint)
        if found is None and self.config.unresolved_entities == "create":
            found = self._creator.entity(hint, notices)
        return hint if found is None else found

    # -- queries and usage ----------------------------------------------------------------------------------

    def _query(self, op: Operation) -> _Result:
        """A query with its tables and pipeline as ids, merged with what OpenMetadata holds of it (a PUT replaces
        ``queryUsedIn`` and ``usedBy``); nothing is sent when that adds nothing."""
        body = dict(op.body)
        notices: list[str] = []
        tables: dict[str, Found] = {}  # FQN as the core named it -> the table
        missing: list[EntityHint] = []
        for ref in body["queryUsedIn"]:
            found = self._dataset(op, ref, notices)
            if isinstance(found, Found):
                tables[ref["fullyQualifiedName"]] = found
            else:
                missing.append(found)
        if missing and (self.config.unresolved_entities == "wait" or not tables):
            return self._missing(op, missing[0], notices, "query not written", "queries skipped")
        notices += [f"{h.type} {h.fqn} is not in OpenMetadata: left out of query {body['name']}" for h in missing]
        with self._lock:
            self._waiting.pop(op.key)
        pipeline_fqn = body["triggeredBy"]["fullyQualifiedName"]
        pipeline = self.directory.get("pipeline", pipeline_fqn)
        if pipeline is None:
            return _Result("dead", f"pipeline {pipeline_fqn} is not in OpenMetadata")
        # The database service of the table the core chose, wherever OpenMetadata has that table.
        services = [fqns.split(table.fqn)[0] for table in tables.values()]
        wanted = fqns.split(str(body["service"]))[0]
        body["service"] = fqns.build(wanted if wanted in services else services[0])
        body["queryUsedIn"] = [table.ref for table in tables.values()]
        body["triggeredBy"] = {**pipeline.ref, "name": str(pipeline.entity.get("name") or ""),
                               "fullyQualifiedName": pipeline.fqn}
        query_fqn = queries.query_fqn(body)
        with self._lock:
            held = self._queries.get(query_fqn)
        if held is None:
            answer = self.client.call("GET", f"/v1/queries/name/{fqn_path(query_fqn)}",
                                      params={"fields": "queryUsedIn"}, label="query")
            held = _query_projection(answer.body) if answer.status == 200 else None
        if held is not None:
            body = _merged_query(held, body)
            if _query_projection(body) == held:
                self.counters.add("unchanged")
                return _Result(notices=notices)
        answer = self.client.call("PUT", op.path, body, label="query")
        if answer.status == 404:  # a table went away since it was looked up: look again next time
            for requested, table in tables.items():
                self.directory.forget(table.type, requested)
            raise Transient(f"PUT {op.path}: 404 {message_of(answer.body, 'not found')}")
        written = _query_projection(body)
        assert written is not None
        with self._lock:
            self._queries.put(query_fqn, written)
        return _Result(notices=notices)

    def _usage(self, op: Operation) -> _Result:
        """``PUT /v1/usage/table/{id}``: OpenMetadata adds the count to the table's count for the day."""
        notices: list[str] = []
        [hint] = op.entities
        found = self._dataset(op, {"type": hint.type, "fullyQualifiedName": hint.fqn}, notices)
        if not isinstance(found, Found):
            return self._missing(op, found, notices, f"{op.body['count']} use(s) on {op.body['date']} not counted",
                                 "usage skipped")
        with self._lock:
            self._waiting.pop(op.key)
        answer = self.client.call("PUT", f"/v1/usage/table/{found.id}", op.body, label="usage")
        if answer.status == 404:  # the table was deleted: look again next time
            self.directory.forget(hint.type, hint.fqn)
            raise Transient(f"PUT /v1/usage/table/{found.id}: 404 {message_of(answer.body, 'not found')}")
        return _Result(notices=notices)


    # -- data quality ---------------------------------------------------------------------------------------

    def _quality_supported(self) -> bool:
        numbers = tuple(int(p) for p in self.server_version.split("-")[0].split(".")[:2] if p.isdigit())
        return not numbers or numbers >= quality.MIN_VERSION

    def _test_definition(self, op: Operation) -> _Result:
        if not self._quality_supported():
            return _Result()  # its test cases say why nothing is written
        self._quality.definition(op)
        return _Result()

    def _test_case(self, op: Operation) -> _Result:
        if not self._quality_supported():
            self.counters.add("test cases skipped")
            return _Result(notices=[f"test case {op.body['name']} not written: OpenMetadata {self.server_version} "
                                    f"predates {'.'.join(map(str, quality.MIN_VERSION))}, which makes each table's "
                                    "test suite itself"])
        notices: list[str] = []
        [hint] = op.entities
        found = self._dataset(op, {"type": hint.type, "fullyQualifiedName": hint.fqn}, notices)
        if not isinstance(found, Found):
            return self._missing(op, found, notices, f"test case {op.body['name']} not written", "test cases skipped")
        with self._lock:
            self._waiting.pop(op.key)
        self._quality.test_case(op, found, notices)
        return _Result(notices=notices)

    def _test_case_result(self, op: Operation) -> _Result:
        if not self._quality_supported():
            return _Result()  # its test case said why
        [hint] = op.entities
        found = self.directory.find(hint)
        if found is None:  # the test case was not written for want of its table: its own call said so
            return _Result()
        notices: list[str] = []
        self._quality.result(op, found, notices)
        return _Result(notices=notices)

    def _table_profile(self, op: Operation) -> _Result:
        notices: list[str] = []
        [hint] = op.entities
        found = self._dataset(op, {"type": hint.type, "fullyQualifiedName": hint.fqn}, notices)
        if not isinstance(found, Found):
            return self._missing(op, found, notices, "profile not written", "profiles skipped")
        with self._lock:
            self._waiting.pop(op.key)
        self._quality.profile(op, found, notices)
        return _Result(notices=notices)


def _coalesce(batch: Sequence[Work]) -> list[_Call]:
    """The batch's operations as calls, one per entity (service, pipeline, run, edge, query): the last wins; the
    usage counts of one table and day add up."""
    calls: dict[Any, _Call] = {}
    for index, work in enumerate(batch):
        for number, op in enumerate(work.operations):
            key = _identity(op)
            call = calls.pop(key, None)  # re-inserted: the call goes out in the order of its last operation
            members = [*call.members, (index, number)] if call else [(index, number)]
            sent = op
            if call is not None and op.kind == "usage":  # OpenMetadata adds usage up: so does one call
                sent = dataclasses.replace(op, body={**op.body, "count": call.op.body["count"] + op.body["count"]})
            elif call is not None and op.kind == "lineage":  # a poorer later report keeps the earlier's columns
                sent = dataclasses.replace(op, body=_merged_edge(call.op.body, op.body))
            calls[key] = _Call(sent, members)
    return list(calls.values())


def _merged_edge(older: Mapping[str, Any], newer: Mapping[str, Any]) -> dict[str, Any]:
    edge = newer["edge"]
    details = edges.merged(older["edge"].get("lineageDetails") or {}, edge.get("lineageDetails") or {})
    return {**newer, "edge": {**edge, "lineageDetails": details}}


def _column_fqns(found: Found) -> frozenset[str]:
    return frozenset(found.columns.values())


def _identity(op: Operation) -> tuple[str, ...]:
    return (op.kind, *op.subject)


def _projection(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a pipeline a create request sets, as OpenMetadata returns or we send them, for comparison."""
    result: dict[str, Any] = {}
    for key in ("displayName", "description", "sourceUrl"):
        if entity.get(key):
            result[key] = entity[key]
    result["owners"] = sorted(o["id"] for o in entity.get("owners") or () if "id" in o)
    result["tags"] = sorted(t["tagFQN"] for t in entity.get("tags") or ())
    result["tasks"] = sorted((_task_projection(t) for t in entity.get("tasks") or ()), key=lambda t: t["name"])
    return result


def _task_projection(task: Mapping[str, Any]) -> dict[str, Any]:
    result = {k: task[k] for k in _TASK_FIELDS if task.get(k) and k not in ("owners", "tags")}
    if task.get("owners"):
        result["owners"] = [{"id": o["id"], "type": o["type"]} for o in task["owners"] if "id" in o]
    if task.get("tags"):
        result["tags"] = [{k: t[k] for k in ("tagFQN", "source", "labelType", "state") if k in t}
                          for t in task["tags"]]
    if "downstreamTasks" in result:
        result["downstreamTasks"] = sorted(result["downstreamTasks"])
    return result


def _query_projection(query: Any) -> dict[str, Any] | None:
    """The parts of a query ol-om sets, as OpenMetadata returns them or we send them, for comparison."""
    if not isinstance(query, Mapping) or not isinstance(query.get("query"), str):
        return None
    triggered = query.get("triggeredBy")
    return {"query": query["query"],
            "queryUsedIn": sorted((str(r["type"]), str(r["id"])) for r in query.get("queryUsedIn") or () if "id" in r),
            "usedBy": sorted(query.get("usedBy") or ()),
            "triggeredBy": dict(triggered) if isinstance(triggered, Mapping) else None,
            "processedLineage": bool(query.get("processedLineage"))}


def _merged_query(held: Mapping[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """Our query joined with OpenMetadata's: its text and trigger kept (same name, same statement: no churn), the
    tables and users of both, processed for lineage if either says so."""
    body = dict(ours)
    body["query"] = held["query"]
    mine = {(ref["type"], ref["id"]) for ref in ours["queryUsedIn"]}
    body["queryUsedIn"] = [*ours["queryUsedIn"], *({"id": i, "type": t} for t, i in held["queryUsedIn"]
                                                    if (t, i) not in mine)]
    body["usedBy"] = sorted({*held["usedBy"], *ours["usedBy"]})
    if held["triggeredBy"] is not None:
        body["triggeredBy"] = held["triggeredBy"]
    body["processedLineage"] = held["processedLineage"] or ours["processedLineage"]
    return body


def _mapped_columns(columns: list[dict[str, Any]], edge: Mapping[str, Any], ends: Mapping[str, Found],
                    notices: list[str]) -> list[dict[str, Any]]:
    """Column FQNs onto the tables' real columns, whatever their case (OpenMetadata #25447); unknown ones are
    left out, and said, instead of OpenMetadata refusing the whole edge."""
    source, target = ends["fromEntity"], ends["toEntity"]
    source_fqn, target_fqn = edge["fromEntity"]["fullyQualifiedName"], edge["toEntity"]["fullyQualifiedName"]
    result = []
    for entry in columns:
        to_column = target.column(target_fqn, entry["toColumn"])
        if to_column is None:
            notices.append(f"column {entry['toColumn']} is not in OpenMetadata's {target.fqn}: its lineage skipped")
            continue
        from_columns = []
        for name in entry["fromColumns"]:
            found = source.column(source_fqn, name)
            if found is None:
                notices.append(f"column {name} is not in OpenMetadata's {source.fqn}: left out of {to_column}")
            else:
                from_columns.append(found)
        if from_columns:
            result.append({**entry, "fromColumns": from_columns, "toColumn": to_column})
    return result
