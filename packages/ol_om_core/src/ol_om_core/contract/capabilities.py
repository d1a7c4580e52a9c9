"""What a source or a sink may do beyond the contract, declared: the application asks ``isinstance(source,
Lagging)`` rather than probing for attributes, and a plugin says what it offers by having these methods."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class DeadLetterWriter(Protocol):
    """Where dead letters go: a file (the application's default) or the source's own (a Kafka topic)."""

    def write(self, position: str, reason: str, value: bytes | None, operation: dict[str, Any] | None) -> None: ...

    def flush(self) -> None:
        """Make everything written durable; raise if it cannot be (the batch is then not acknowledged)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class DeadLetterCapable(Protocol):
    """A source that keeps its own dead letters (Kafka's dead-letter topic), when configured to."""

    def dead_letter_writer(self) -> DeadLetterWriter | None: ...


@runtime_checkable
class Lagging(Protocol):
    """A source that knows how many records wait to be read (Kafka's consumer lag, the HTTP spool's backlog)."""

    def lag(self) -> int | None: ...


@runtime_checkable
class BehindTip(Protocol):
    """A source that knows how far behind the tip of the stream its last read was (Kinesis' MillisBehindLatest)."""

    def behind_ms(self) -> int | None: ...


class Counters(Protocol):
    def snapshot(self) -> Mapping[str, int]: ...


@runtime_checkable
class Counted(Protocol):
    """A sink that counts what it does (calls by kind, cache hits, retries), for metrics."""

    @property
    def counters(self) -> Counters: ...


@runtime_checkable
class Interruptible(Protocol):
    """A sink that can be told to stop waiting for its server now (the run is stopping): what it is retrying
    ends pending at once, so SIGTERM is not held up by ``retry.maxElapsed``."""

    def interrupt(self) -> None: ...


@runtime_checkable
class MarkDeleted(Protocol):
    """A sink that can soft-delete the pipelines a complete run did not see (``markDeletedPipelines``)."""

    def mark_deleted(self, seen: Set[str]) -> list[str]: ...
