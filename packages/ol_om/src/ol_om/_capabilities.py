"""What the application's own sources may do beyond the contract (the adapters' capabilities are in
``ol_om_core.contract.capabilities``): show the run's progress and the sink's counters, as the HTTP receiver's
``/metrics`` does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from ol_om._runner import Progress


@runtime_checkable
class ProgressAware(Protocol):
    def attach_progress(self, progress: Progress) -> None: ...


@runtime_checkable
class Listening(Protocol):
    """A source producers post to (the HTTP receiver): it cannot hold them off, so it takes events in (to its
    spool) whether or not the sink can deliver; the run opens it first and waits for an unreachable sink."""

    @property
    def url(self) -> str: ...


@runtime_checkable
class SinkCountersAware(Protocol):
    def attach_sink_counters(self, snapshot: Callable[[], Mapping[str, int]]) -> None: ...
