"""Queries and usage: the SQL a job runs becomes an OpenMetadata Query, a completed run counts as table usage.

- **Query** (``PUT /v1/queries``): the ``sql`` job facet, linked to the tables the job's runs read and wrote
  (``queryUsedIn``), in the database service of the table it wrote (else of one it read), triggered by the
  pipeline (``triggeredBy``; ``usedBy`` lists every pipeline seen running it). OpenMetadata names a query it is
  given no name for by the MD5 hex digest of its text (``EntityUtil.hash``) under its service
  (``service.md5``); ol-om names it the same way, but digests the text with its whitespace runs folded to one
  space, so the same statement laid out differently is one query. For text already in that form (one line,
  single spaces) this is exactly the name OpenMetadata gives it itself.
- **Usage** (``PUT /v1/usage/table/name/{fqn}`` with a DailyCount ``{"count", "date"}``): every completed
  (COMPLETE) job run counts once for each table it read or wrote, on the UTC day of its COMPLETE event.
  OpenMetadata's ``PUT`` adds ``count`` to the day's count (its ``POST`` replaces the day's count), so the sink
  sums a batch's calls per table and day into one.

Both are off unless configured (``includeQueries``, ``includeUsage``): OpenMetadata writes queries and usage
only from a usage workflow someone deployed on purpose, and counting the same statements from a database's
query log and from OpenLineage would count them twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from ol_om_core import fqn, lineage
from ol_om_core.config import TranslatorConfig
from ol_om_core.lru import LRU
from ol_om_core.model import TERMINAL_EVENT_TYPES, Dataset, JobEvent, RunEvent
from ol_om_core.operations import Operation, entity_ref, fqn_path
from ol_om_core.pipelines import PipelineKey
from ol_om_core.resolve import EntityRef

Planned = tuple[Hashable, Callable[..., Operation]]
"""A call an event may cause: its de-duplication key, and how to build it (given its hashed key)."""
Seen = tuple[EntityRef, Dataset]
"""A dataset a run read or wrote, as resolved."""


def normalized(sql: str) -> str:
    """The text that identifies a query: whitespace runs folded to one space, none at either end."""
    return " ".join(sql.split())


def checksum(sql: str) -> str:
    """A query's name: the MD5 hex digest (OpenMetadata's ``EntityUtil.hash``) of its normalized UTF-8 text."""
    return hashlib.md5(normalized(sql).encode("utf-8"), usedforsecurity=False).hexdigest()


def utc_day(epoch_ms: int) -> str:
    """The ISO date (``YYYY-MM-DD``, UTC) of a time in epoch milliseconds: a DailyCount's ``date``."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).date().isoformat()


def query_operation(service: str, sql: str, tables: Sequence[Seen], pipeline_fqns: Sequence[str],
                    processed_lineage: bool, *, key: int = 0) -> Operation:
    """``PUT /v1/queries``: the query named by its checksum in ``service``, used in ``tables``, run by the
    pipelines (the first is the one that triggered it)."""
    body = {
        "name": checksum(sql),
        "query": sql,
        "service": service,
        "queryUsedIn": [lineage.entity(ref) for ref, _ in tables],
        "triggeredBy": entity_ref("pipeline", pipeline_fqns[0]),
        "usedBy": list(pipeline_fqns),
        "processedLineage": processed_lineage,
    }
    hints = tuple(lineage.hint(ref, dataset) for ref, dataset in tables)
    return Operation("query", "PUT", "/v1/queries", body, key, hints, subject=(query_fqn(body),),
                     depends_on=pipeline_fqns[0])


def usage_operation(table: Seen, date: str, count: int = 1, *, key: int = 0) -> Operation:
    """``PUT /v1/usage/table/name/{fqn}``: ``count`` more uses of the table on ``date``."""
    ref, dataset = table
    return Operation("usage", "PUT", f"/v1/usage/table/name/{fqn_path(ref.fqn)}", {"count": count, "date": date},
                     key, (lineage.hint(ref, dataset),), subject=(ref.fqn, date))


def query_fqn(body: Mapping[str, Any]) -> str:
    """The FQN of the query a ``PUT /v1/queries`` body writes: its service's FQN, then its name."""
    return fqn.build(*fqn.split(str(body["service"])), str(body["name"]))


@dataclass(slots=True)
class _Query:
    text: str
    """The text as first seen (its layout kept: a line comment must stay on its own line)."""
    tables: dict[str, Seen] = field(default_factory=dict)
    pipelines: dict[str, None] = field(default_factory=dict)
    """Pipeline FQNs in the order seen; the first triggered the query."""


@dataclass(slots=True)
class _Run:
    sql: str | None = None
    """The run's SQL: its events need not all carry the facet (Marquez's seed sends it on START only)."""
    ended: str | None = None
    """The UTC day the run completed, "" when it failed or was aborted, None while it runs."""


class Planner:
    """The translator's memory for queries and usage, bounded like the rest of it: per query the tables and
    pipelines seen, per job run its SQL and how it ended."""

    def __init__(self, config: TranslatorConfig) -> None:
        self.config = config
        self._queries: LRU[tuple[str, str], _Query] = LRU(config.max_runs)
        self._runs: LRU[str, _Run] = LRU(config.max_runs)

    def plan(self, pipeline: PipelineKey, event: RunEvent | JobEvent, inputs: Sequence[Seen],
             outputs: Sequence[Seen]) -> list[Planned]:
        """The query and usage calls an event may cause, given everything its run has read and written so far."""
        if isinstance(event, RunEvent):
            run = self._run(event)
            sql, ended = run.sql, run.ended
        else:
            sql, ended = event.job.sql, ""
        tables = {ref.fqn: (ref, dataset) for ref, dataset in (*outputs, *inputs) if ref.type == "table"}
        if not tables:
            return []
        planned: list[Planned] = []
        # A query waits for its run to end (a START may name only the tables read, and the service is that of
        # the table written); a stream never ends, a JobEvent has no run.
        streaming = event.job.job_type is not None and event.job.job_type.processing_type == "STREAMING"
        if self.config.include_queries and sql and sql.strip() and (ended is not None or streaming):
            planned.append(self._query(pipeline, sql, list(tables.values())))
        if self.config.include_usage and ended:  # a table named after the run completed still counts, once
            run_id = event.run.run_id if isinstance(event, RunEvent) else ""
            planned += [(("usage", run_id, table_fqn), partial(usage_operation, seen, ended))
                        for table_fqn, seen in tables.items()]
        return planned

    def _run(self, event: RunEvent) -> _Run:
        """The event's run with what the event says recorded: its SQL, and how it ended (the first end wins)."""
        run = self._runs.get_or_make(event.run.run_id, _Run)
        if event.job.sql:
            run.sql = event.job.sql
        if run.ended is None and event.event_type in TERMINAL_EVENT_TYPES:
            run.ended = utc_day(event.event_time) if event.event_type == "COMPLETE" else ""
        return run

    def _query(self, pipeline: PipelineKey, sql: str, tables: list[Seen]) -> Planned:
        service = fqn.build(tables[0][0].service)  # the table written, when the run wrote one
        name = checksum(sql)
        query = self._queries.get_or_make((service, name), lambda: _Query(sql))
        for seen in tables:
            query.tables.setdefault(seen[0].fqn, seen)
        query.pipelines.setdefault(pipeline.fqn)
        used_in = sorted(query.tables.values(), key=lambda seen: seen[0].fqn)
        key = ("query", service, name, tuple(seen[0].fqn for seen in used_in), tuple(query.pipelines))
        return key, partial(query_operation, service, query.text, used_in, list(query.pipelines),
                            self.config.include_lineage)

