"""The contract between the runner and a sink: batches of events' operations in, one outcome per event out.

A sink's ``deliver`` takes the operations of a batch of events, in stream order, and says for each event
whether it is acknowledged (every operation done, or dead-lettered with a reason) or pending (to retry later).
The runner commits a source position only once its event, and every event before it, is acknowledged; it hands
the pending work back to ``deliver`` after ``retry_after`` seconds. Operations are idempotent, so delivering
one twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ol_om_core.errors import SinkError, SinkUnavailable
from ol_om_core.operations import Operation
from ol_om_core.resolve import Unresolved

__all__ = ["DeadLetter", "MemorySink", "Notice", "Outcome", "Sink", "SinkError", "SinkUnavailable", "Work",
           "until_delivered"]


@dataclass(frozen=True, slots=True)
class Work:
    """One event's operations, and where the event came from."""

    position: str
    operations: tuple[Operation, ...]
    unresolved: tuple[Unresolved, ...] = ()
    """Datasets the event names that could not be resolved (reported as notices; the rest is written anyway)."""
    notes: tuple[str, ...] = ()
    """What the event says that OpenMetadata has no place for (a failed run's ``errorMessage``): notices."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An operation that can never succeed, and why (the server's own words where there is a server)."""

    position: str
    reason: str
    operation: Operation | None = None
    cause: Exception | None = None
    """Why an event never became work: its ``InvalidEvent``, or the exception translating it raised (a bug)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that did not stop the event: a dataset or column OpenMetadata lacks."""

    position: str
    reason: str


@dataclass(slots=True)
class Outcome:
    acknowledged: list[str] = field(default_factory=list)
    """Positions whose operations are all done or dead-lettered, in the order they were given."""
    pending: list[Work] = field(default_factory=list)
    """Events with operations still to deliver (only those operations), in the order they were given."""
    dead_letters: list[DeadLetter] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    retry_after: float = 0.0
    """Seconds to wait before delivering ``pending`` again."""


class Sink(Protocol):
    def deliver(self, batch: Sequence[Work]) -> Outcome: ...

    def close(self) -> None: ...


def until_delivered(sink: Sink, outcome: Outcome, seen: Callable[[Outcome], None],
                    wait: Callable[[Outcome], bool]) -> Outcome:
    """The one retry loop: every outcome is ``seen`` (its dead letters and notices), then, while work is pending,
    ``wait`` for the time the outcome asks (``True``: give up) and deliver the pending work again. Returns the last
    outcome: nothing pending, unless ``wait`` gave up."""
    while True:
        seen(outcome)
        if not outcome.pending or wait(outcome):
            return outcome
        outcome = sink.deliver(outcome.pending)


class MemorySink:
    """The in-memory fake of the contract, for tests of sources and runners: it keeps every operation it is
    given, and can be told to answer "pending" (OpenMetadata down) for the next few deliveries."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []
        self.acknowledged: list[str] = []
        self.outages = 0

    def hold(self, deliveries: int = 1, retry_after: float = 0.01) -> None:
        """Answer the next ``deliveries`` deliveries with everything pending."""
        self.outages = deliveries
        self._retry_after = retry_after

    def deliver(self, batch: Sequence[Work]) -> Outcome:
        if self.outages:
            self.outages -= 1
            return Outcome(pending=list(batch), retry_after=self._retry_after)
        for work in batch:
            self.operations.extend(work.operations)
            self.acknowledged.append(work.position)
        return Outcome(acknowledged=[work.position for work in batch])

    def close(self) -> None:
        pass
