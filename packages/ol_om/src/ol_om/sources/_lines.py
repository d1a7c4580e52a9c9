"""The built-in finite sources: a JSON-lines file and standard input (the contract: ``ol_om_core.contract``)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ol_om_core.contract.sources import Record
from ol_om_core.errors import ConfigError


class FiniteSource:
    """A source over records that are all there already (a file, standard input, dead letters): batches of
    ``batch_size``, nothing to commit, and holding is just waiting. Subclasses say what ``records()`` are."""

    batch_size = 500

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()

    def records(self) -> Iterable[Record]:
        raise NotImplementedError

    def batches(self) -> Iterator[Sequence[Record]]:
        batch: list[Record] = []
        for record in self.records():
            batch.append(record)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
            if self.stop.is_set():
                break
        if batch:
            yield batch

    def acknowledge(self, records: Sequence[Record]) -> None:
        pass  # nothing to commit

    def hold(self, seconds: float) -> bool:
        return self.stop.wait(seconds)

    def close(self) -> None:
        pass


class _LineSource(FiniteSource):
    """One OpenLineage event per line of a stream; blank lines are skipped."""

    def _stream(self) -> Iterator[tuple[BinaryIO, str]]:
        raise NotImplementedError

    def records(self) -> Iterator[Record]:
        for stream, name in self._stream():
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    yield Record(f"{name}:{number}", line)


class FileSource(_LineSource):
    """One OpenLineage event per line (JSON lines); blank lines are skipped."""

    def __init__(self, path: str | Path, stop: threading.Event | None = None) -> None:
        super().__init__(stop)
        self.path = Path(path)

    @classmethod
    def from_config(cls, section: Mapping[str, Any], stop: threading.Event) -> FileSource:
        """The ``file`` entry point: ``{type: file, path: events.jsonl}``."""
        path = section.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError("source.path", "the file source needs the path of a JSON-lines file of events")
        return cls(path, stop)

    def _stream(self) -> Iterator[tuple[BinaryIO, str]]:
        with self.path.open("rb") as stream:
            yield stream, str(self.path)


class StdinSource(_LineSource):
    def __init__(self, stream: BinaryIO | None = None, stop: threading.Event | None = None) -> None:
        super().__init__(stop)
        self.stream = stream if stream is not None else sys.stdin.buffer

    @classmethod
    def from_config(cls, section: Mapping[str, Any], stop: threading.Event) -> StdinSource:
        return cls(stop=stop)

    def _stream(self) -> Iterator[tuple[BinaryIO, str]]:
        yield self.stream, "<stdin>"
