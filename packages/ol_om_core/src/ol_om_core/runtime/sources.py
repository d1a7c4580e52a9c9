"""Built-in sources: a JSON-lines file and standard input. Each record keeps its position for reports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class Record:
    position: str
    """Where the record came from, e.g. ``events.jsonl:12`` or ``orders-topic/3@1042``."""
    value: bytes


class FileSource:
    """One OpenLineage event per line (JSON lines); blank lines are skipped."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def records(self) -> Iterator[Record]:
        with self.path.open("rb") as stream:
            yield from _lines(stream, str(self.path))


class StdinSource:
    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin.buffer

    def records(self) -> Iterator[Record]:
        yield from _lines(self.stream, "<stdin>")


def _lines(stream: BinaryIO, name: str) -> Iterator[Record]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield Record(f"{name}:{number}", line)
