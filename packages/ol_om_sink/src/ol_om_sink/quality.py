"""Test definitions, test cases and their results, table profiles: producers' data quality in OpenMetadata.

The core names a test case under the table and column as it resolved them; here they become the ones OpenMetadata
has (any case, any candidate FQN: the sink found the table), in the entity link and in the test case's FQN. What
was written is remembered, so a test case and a definition are sent once per process, and a result once; a
result OpenMetadata already holds for that timestamp (a replay) is answered 409, which is the same thing done.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ol_om_core import fqn as fqns
from ol_om_core import quality
from ol_om_core.errors import InvalidFQN
from ol_om_core.lru import LRU
from ol_om_core.operations import Operation, fqn_path
from ol_om_sink.client import Client, Rejected, Transient, message_of
from ol_om_sink.counters import Counters
from ol_om_sink.entities import Directory, Found

MIN_VERSION = (1, 8)
"""Since 1.8 (PR #21366) OpenMetadata puts a new test case in its table's basic suite, making the suite if needed;
before, a create request had to name a suite made beforehand."""


class Quality:
    def __init__(self, client: Client, directory: Directory, counters: Counters, cache_size: int) -> None:
        self._client = client
        self._directory = directory
        self._counters = counters
        self._lock = threading.Lock()
        self._definitions: LRU[str, Mapping[str, Any]] = LRU(cache_size)  # name -> body written
        self._cases: LRU[str, tuple[str, Mapping[str, Any]]] = LRU(cache_size)  # core FQN -> (real FQN, body)
        self._results: LRU[tuple[str, int], bool] = LRU(cache_size)  # (real test case FQN, timestamp) written
        self._profiles: LRU[tuple[str, int], Mapping[str, Any]] = LRU(cache_size)  # (table id, timestamp) -> body

    def definition(self, op: Operation) -> None:
        """``PUT`` a definition ol-om makes (createOrUpdate), unless this process wrote it already."""
        [name] = op.subject
        with self._lock:
            if self._definitions.get(name) == op.body:
                self._counters.add("unchanged")
                return
        self._client.call("PUT", op.path, op.body, label="test definition")
        with self._lock:
            self._definitions.put(name, op.body)

    def test_case(self, op: Operation, table: Found, notices: list[str]) -> None:
        """``PUT`` the test case linked to the table (and column) OpenMetadata has; a column it lacks is said and
        the test case left out (the server would refuse it)."""
        placed = self._placed(op, table)
        if placed is None:
            column = _link_column(op.body["entityLink"])
            notices.append(f"column {column} is not in OpenMetadata's {table.fqn}: test case {op.body['name']} not "
                           "written")
            return
        link, case_fqn = placed
        body = {**op.body, "entityLink": link}
        [core_fqn] = op.subject
        with self._lock:
            if self._cases.get(core_fqn) == (case_fqn, body):
                self._counters.add("unchanged")
                return
        answer = self._client.call("PUT", op.path, body, label="test case")
        if answer.status == 404:
            message = message_of(answer.body, "not found")
            if "testDefinition" in message:  # a definition OpenMetadata lacks does not appear by waiting
                raise Rejected(404, message)
            self._directory.forget("table", table.fqn)  # the table went away since it was looked up
            raise Transient(f"PUT {op.path}: 404 {message}")
        written = answer.body.get("fullyQualifiedName") if isinstance(answer.body, Mapping) else None
        with self._lock:
            self._cases.put(core_fqn, (str(written or case_fqn), body))

    def result(self, op: Operation, table: Found, notices: list[str]) -> None:
        """``POST`` one run's result of a test case; one OpenMetadata holds at that timestamp already is done."""
        with self._lock:
            case = self._cases.get(op.depends_on)
        case_fqn = case[0] if case is not None else self._case_fqn(op, table)
        if case_fqn is None:
            return  # its column is not in OpenMetadata's table: the test case's own notice said so
        key = (case_fqn, int(op.body["timestamp"]))
        with self._lock:
            if self._results.get(key):
                self._counters.add("unchanged")
                return
        path = f"{quality.RESULTS_PATH}/{fqn_path(case_fqn)}"
        try:
            answer = self._client.call("POST", path, op.body, label="test case result")
        except Rejected as exc:
            if exc.status != 409:
                raise
            self._counters.add("unchanged")  # OpenMetadata holds this run's result already (a replay)
        else:
            if answer.status == 404:
                with self._lock:
                    self._cases.pop(op.depends_on)
                raise Transient(f"POST {path}: 404 {message_of(answer.body, 'not found')}")
        with self._lock:
            self._results.put(key, True)

    def profile(self, op: Operation, table: Found, notices: list[str]) -> None:
        """``PUT /v1/tables/{id}/tableProfile`` with the columns as OpenMetadata's table has them; a column it
        lacks is left out with a notice (the server refuses the whole profile for one)."""
        [hint] = op.entities
        body = dict(op.body)
        columns = []
        for column in body.pop("columnProfile", ()):
            found = table.column(hint.fqn, hint.fqn + fqns.SEPARATOR + fqns.quote_name(column["name"]))
            if found is None:
                notices.append(f"column {column['name']} is not in OpenMetadata's {table.fqn}: left out of its profile")
            else:
                columns.append({**column, "name": fqns.split(found)[-1]})
        if columns:
            body["columnProfile"] = columns
        key = (table.id, int(body["tableProfile"]["timestamp"]))
        with self._lock:
            if self._profiles.get(key) == body:
                self._counters.add("unchanged")
                return
        path = f"/v1/tables/{table.id}/tableProfile"
        answer = self._client.call("PUT", path, body, label="table profile")
        if answer.status == 404:
            self._directory.forget("table", hint.fqn)
            raise Transient(f"PUT {path}: 404 {message_of(answer.body, 'not found')}")
        with self._lock:
            self._profiles.put(key, body)

    def _placed(self, op: Operation, table: Found) -> tuple[str, str] | None:
        """The entity link and test case FQN under the table OpenMetadata has; None for a column it lacks."""
        column = _link_column(op.body["entityLink"])
        real_column = None
        if column is not None:
            [hint] = op.entities
            found = table.column(hint.fqn, hint.fqn + fqns.SEPARATOR + fqns.quote_name(column))
            if found is None:
                return None
            try:
                real_column = fqns.split(found)[-1]
            except InvalidFQN:
                return None
        return (quality.entity_link(table.fqn, real_column),
                quality.test_case_fqn(table.fqn, real_column, str(op.body["name"])))

    def _case_fqn(self, op: Operation, table: Found) -> str | None:
        """The real FQN of a result's test case this process has not written (it was, by an earlier one)."""
        [hint] = op.entities
        try:
            parts = fqns.split(op.depends_on[len(hint.fqn) + 1:])
        except InvalidFQN:
            return None
        column, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
        link = {"name": name, "entityLink": quality.entity_link(hint.fqn, column)}
        placed = self._placed(Operation("test_case", "PUT", "", link, subject=(op.depends_on,),
                                        entities=op.entities), table)
        return None if placed is None else placed[1]


def _link_column(link: str) -> str | None:
    _, marker, column = link[:-1].partition("::columns::")
    return column if marker else None
