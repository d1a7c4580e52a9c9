"""The dry-run sink: one JSON object per OpenMetadata call on stdout, one per problem on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from ol_om_core.contract.sinks import DeadLetter, Outcome, Work
from ol_om_core.contract.sources import Record
from ol_om_core.contract.work import work_of
from ol_om_core.errors import InvalidEvent
from ol_om_core.operations import Operation
from ol_om_core.resolve import Unresolved
from ol_om_core.translate import Translator


class DryRunSink:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.calls = 0
        self.rejected = 0

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DryRunSink:
        """The ``dry-run`` entry point: it takes no settings."""
        return cls()

    def write(self, position: str, operations: Iterable[Operation]) -> None:
        for op in operations:
            self.out.write(op.json + "\n")
            self.calls += 1

    def deliver(self, batch: Sequence[Work]) -> Outcome:
        """The sink contract: everything printed is acknowledged."""
        for work in batch:
            self.write(work.position, work.operations)
        return Outcome(acknowledged=[work.position for work in batch])

    def close(self) -> None:
        self.out.flush()

    def reject(self, letter: DeadLetter) -> None:
        """An event that is not usable OpenLineage (its path and reason), or that translating failed on."""
        self.rejected += 1
        error = letter.cause
        if isinstance(error, InvalidEvent):
            self._problem({"position": letter.position, "kind": "rejected", "path": error.path,
                           "reason": error.reason})
        else:
            self._problem({"position": letter.position, "kind": "error", "reason": letter.reason})

    def unresolved(self, position: str, items: Iterable[Unresolved]) -> None:
        for item in items:
            self._problem({"position": position, "kind": "unresolved", "namespace": item.identity.namespace,
                           "name": item.identity.name, "reason": item.reason})

    def _problem(self, report: dict[str, Any]) -> None:
        self.err.write(json.dumps(report, ensure_ascii=False) + "\n")


def run_dry(records: Iterable[Record], translator: Translator, sink: DryRunSink) -> None:
    """``ol-om translate``: every record's calls printed, a rejected event or unresolved dataset reported."""
    for record in records:
        result = work_of(record, translator)
        if isinstance(result, DeadLetter):
            sink.reject(result)
            continue
        sink.write(result.position, result.operations)
        if result.unresolved:
            sink.unresolved(result.position, result.unresolved)
