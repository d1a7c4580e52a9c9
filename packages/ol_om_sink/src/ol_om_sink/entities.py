"""FQN -> OpenMetadata entity (id, real FQN, columns), with bounded caches in front of the server.

A lookup tries the core's candidate FQNs in order (``GET /v1/{kind}/name/{fqn}``), then OpenMetadata's search,
matching the FQN case-insensitively (and under any service when no configuration named one). Answers are
cached: found entities until evicted, missing ones for ``negativeTtl`` seconds so an entity created later is
found.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ol_om_core import fqn as fqns
from ol_om_core.errors import InvalidFQN
from ol_om_core.lru import LRU
from ol_om_core.operations import EntityHint, fqn_path
from ol_om_sink.client import Client
from ol_om_sink.config import CacheConfig
from ol_om_sink.counters import Counters

COLLECTIONS = {"table": "tables", "topic": "topics", "container": "containers", "pipeline": "pipelines",
               "user": "users", "team": "teams", "tag": "tags", "classification": "classifications",
               "databaseSchema": "databaseSchemas",
               "databaseService": "services/databaseServices", "messagingService": "services/messagingServices",
               "storageService": "services/storageServices"}
_FIELDS = {"table": "columns", "container": "dataModel", "pipeline": "tasks,owners,tags"}
_SEARCH_INDEX = {"table": "table_search_index", "topic": "topic_search_index",
                 "container": "container_search_index", "pipeline": "pipeline_search_index"}
_QUERY_SPECIAL = re.compile(r'([+\-=&|><!(){}\[\]^"~*?:\\/ ])')


@dataclass(frozen=True, slots=True)
class Found:
    id: str
    type: str
    fqn: str
    entity: Mapping[str, Any] = field(repr=False)
    columns: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Column path (``a`` or ``struct.field``) -> the column's FQN; also keyed lower-cased where unambiguous."""

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type}

    def column(self, requested_entity_fqn: str, column_fqn: str) -> str | None:
        """The real FQN of a column the core named under ``requested_entity_fqn``, matching case-insensitively."""
        prefix = requested_entity_fqn + fqns.SEPARATOR
        if not column_fqn.startswith(prefix):
            return None
        try:
            path = ".".join(fqns.split(column_fqn[len(prefix):]))
        except InvalidFQN:
            return None
        return self.columns.get(path) or self.columns.get(path.lower())


def column_index(entity_fqn: str, columns: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    index: dict[str, str] = {}
    folded: dict[str, list[str]] = {}

    def walk(items: Iterable[Mapping[str, Any]], parents: list[str]) -> None:
        for column in items:
            name = column.get("name")
            if not isinstance(name, str):
                continue
            path = [*parents, name]
            column_fqn = column.get("fullyQualifiedName") or entity_fqn + fqns.SEPARATOR + fqns.build(*path)
            index[".".join(path)] = column_fqn
            folded.setdefault(".".join(path).lower(), []).append(column_fqn)
            walk(column.get("children") or (), path)

    walk(columns, [])
    # Lower-cased keys only where one column answers: ``id`` and ``ID`` in one table must not be guessed.
    for key, matches in folded.items():
        if len(matches) == 1:
            index.setdefault(key, matches[0])
    return index


class _Cache:
    """Bounded LRU of answers; a miss (``None``) expires after ``negative_ttl`` seconds."""

    def __init__(self, config: CacheConfig, clock: Callable[[], float]) -> None:
        self._ttl = config.negative_ttl
        self._clock = clock
        self._data: LRU[tuple[str, str], tuple[Found | None, float]] = LRU(config.size)
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[bool, Found | None]:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return False, None
            found, expires = entry
            if found is None and self._clock() >= expires:
                self._data.pop(key)
                return False, None
            return True, found

    def put(self, key: tuple[str, str], found: Found | None) -> None:
        with self._lock:
            self._data.put(key, (found, self._clock() + self._ttl))

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._data.pop(key)


class Directory:
    def __init__(self, client: Client, config: CacheConfig, counters: Counters,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._cache = _Cache(config, clock)
        self._counters = counters

    def find(self, hint: EntityHint) -> Found | None:
        """The entity a lineage endpoint names, trying every candidate FQN, then search."""
        for candidate in (hint.fqn, *hint.alternatives):
            found = self.get(hint.type, candidate)
            if found is not None:
                if candidate != hint.fqn:
                    self._cache.put((hint.type, hint.fqn), found)
                return found
        key = ("search:" + hint.type, hint.fqn)
        hit, found = self._cache.get(key)
        if not hit:
            found = self._search(hint)
            self._cache.put(key, found)
            if found is not None:
                self._cache.put((hint.type, hint.fqn), found)
        return found

    def get(self, entity_type: str, entity_fqn: str) -> Found | None:
        """``GET /v1/{kind}/name/{fqn}``, cached (misses for ``negativeTtl`` seconds)."""
        key = (entity_type, entity_fqn)
        hit, found = self._cache.get(key)
        self._counters.add("cache hits" if hit else "cache misses")
        if hit:
            return found
        fields = _FIELDS.get(entity_type)
        answer = self._client.call("GET", f"/v1/{COLLECTIONS[entity_type]}/name/{fqn_path(entity_fqn)}",
                                   params={"fields": fields} if fields else None, label=entity_type)
        found = self.remember(entity_type, answer.body) if answer.status == 200 else None
        self._cache.put(key, found)
        return found

    def cached(self, entity_type: str, entity_fqn: str) -> Found | None:
        """The entity if the cache knows it; never a call."""
        return self._cache.get((entity_type, entity_fqn))[1]

    def remember(self, entity_type: str, entity: Any, requested_fqn: str = "") -> Found | None:
        """Cache an entity the server returned (from a GET, a search or our own PUT), also under the FQN it was
        asked for: a server that quotes a name differently (OpenMetadata before PR #28697 backslash-escaped a
        ``"``) answers with its own FQN, and later look-ups by ours must find it without a 404."""
        if not isinstance(entity, Mapping) or not isinstance(entity.get("id"), str):
            return None
        entity_fqn = str(entity.get("fullyQualifiedName") or entity.get("name") or "")
        columns = column_index(entity_fqn, _columns(entity))
        # Only a pipeline's body is needed later (its tasks, to merge) and a team's (its type: only a Group may own);
        # a table's is mostly columns, kept indexed.
        found = Found(entity["id"], entity_type, entity_fqn, entity if entity_type in ("pipeline", "team") else {},
                      columns)
        self._cache.put((entity_type, entity_fqn), found)
        if requested_fqn and requested_fqn != entity_fqn:
            self._cache.put((entity_type, requested_fqn), found)
        return found

    def forget(self, entity_type: str, entity_fqn: str) -> None:
        self._cache.drop((entity_type, entity_fqn))

    def _search(self, hint: EntityHint) -> Found | None:
        index = _SEARCH_INDEX.get(hint.type)
        if index is None:
            return None
        try:
            last = fqns.split(hint.fqn)[-1]
        except InvalidFQN:
            return None
        answer = self._client.call("GET", "/v1/search/query", params={
            "q": _QUERY_SPECIAL.sub(r"\\\1", last), "index": index, "from": 0, "size": 50},
            label=f"search {hint.type}")
        if answer.status != 200 or not isinstance(answer.body, Mapping):
            return None
        wanted = {c.lower() for c in (hint.fqn, *hint.alternatives)}
        # Without a configured service, the same name under any one service will do (but not under two).
        wanted_tail = {_tail(c) for c in wanted} if hint.service_inferred else set()
        exact, by_tail = [], []
        for item in answer.body.get("hits", {}).get("hits", []):
            source = item.get("_source") if isinstance(item, Mapping) else None
            if not isinstance(source, Mapping):
                continue
            found_fqn = str(source.get("fullyQualifiedName") or "").lower()
            if found_fqn in wanted:
                exact.append(source)
            elif _tail(found_fqn) in wanted_tail:
                by_tail.append(source)
        choice = exact[0] if exact else by_tail[0] if len(by_tail) == 1 else None
        if choice is None:
            return None
        # The search document may lack columns: read the entity itself.
        return self.get(hint.type, str(choice["fullyQualifiedName"]))


def _columns(entity: Mapping[str, Any]) -> Any:
    """A table's columns, a topic's schema fields, a container's data model columns."""
    if "columns" in entity:
        return entity["columns"] or ()
    schema = entity.get("messageSchema") or entity.get("dataModel") or {}
    return schema.get("schemaFields") or schema.get("columns") or () if isinstance(schema, Mapping) else ()


def _tail(entity_fqn: str) -> str:
    """The FQN without its service part."""
    try:
        return ".".join(fqns.split(entity_fqn)[1:]).lower()
    except InvalidFQN:
        return entity_fqn
