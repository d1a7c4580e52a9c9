"""The source contract: what every source (a file, Kafka, Kinesis, the HTTP receiver) gives the runner.

A source yields batches of records, holds still while the sink waits for OpenMetadata, and is told which
records are acknowledged (all their operations written or dead-lettered) so it may commit past them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ol_om_core.errors import SourceError

if TYPE_CHECKING:
    from ol_om_core.model import Event

__all__ = ["Record", "Source", "SourceError"]


@dataclass(frozen=True, slots=True)
class Record:
    position: str
    """Where the record came from, e.g. ``events.jsonl:12`` or ``orders-topic/3@1042``."""
    value: bytes
    problem: str | None = None
    """Why the source already knows the record is unusable (too large, no value): it goes to the dead letters."""
    ref: Any = None
    """The source's own handle on the record (a Kafka topic, partition and offset), for acknowledging it."""
    event: Event | None = None
    """``value`` already parsed, when the source had to parse it anyway (the HTTP receiver, to answer 400 for a
    bad event): not parsed again."""


class Source(Protocol):
    def batches(self) -> Iterator[Sequence[Record]]:
        """Batches of records in stream order; may yield empty batches while idle; ends when the source does."""
        ...

    def acknowledge(self, records: Sequence[Record]) -> None:
        """Every one of ``records`` is written or dead-lettered: the source may commit past them."""
        ...

    def hold(self, seconds: float) -> bool:
        """Wait (the sink cannot deliver yet) without losing the source's place; ``True`` if asked to stop."""
        ...

    def close(self) -> None: ...
