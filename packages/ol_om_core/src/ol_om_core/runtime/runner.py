"""The loop that joins a source's records, the translator and a sink, batch by batch.

A batch is done when every event in it is acknowledged: written, or dead-lettered with its reason. Pending work
(OpenMetadata down or throttling) is handed back to the sink after the wait it asks for, so the batch, and the
source behind it, is held rather than skipped.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from ol_om_core.errors import InvalidEvent
from ol_om_core.parse import parse
from ol_om_core.runtime.delivery import DeadLetter, Notice, Sink, Work
from ol_om_core.runtime.sources import Record
from ol_om_core.translate import Translator

log = logging.getLogger("ol_om")


class DeadLetterWriter(Protocol):
    def write(self, position: str, reason: str, value: bytes | None, operation: dict[str, Any] | None) -> None: ...


class DeadLetterFile:
    """Dead letters as JSON lines: position, reason, the event's bytes (as text) and the refused call."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stream: TextIO | None = None

    def write(self, position: str, reason: str, value: bytes | None, operation: dict[str, Any] | None) -> None:
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = self.path.open("a", encoding="utf-8")
        record: dict[str, Any] = {"position": position, "reason": reason}
        if value is not None:
            record["event"] = value.decode("utf-8", "replace")
        if operation is not None:
            record["operation"] = operation
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


@dataclass(slots=True)
class Progress:
    events: int = 0
    rejected: int = 0
    dead_letters: int = 0
    notices: int = 0
    retries: int = 0
    notes: list[str] = field(default_factory=list)
    """The last notices, for people (bounded)."""


class Runner:
    def __init__(self, translator: Translator, sink: Sink, dead_letters: DeadLetterWriter | None = None,
                 stop: threading.Event | None = None, wait: Callable[[float], bool] | None = None) -> None:
        self.translator = translator
        self.sink = sink
        self.dead_letters = dead_letters
        self.stop = stop or threading.Event()
        self._wait = wait or self.stop.wait
        self.progress = Progress()

    def run_batch(self, records: Sequence[Record]) -> bool:
        """Translate and deliver ``records``; ``True`` once all are acknowledged, ``False`` if stopped first."""
        values = {record.position: record.value for record in records}
        work = []
        for record in records:
            self.progress.events += 1
            try:
                event = parse(record.value)
            except InvalidEvent as exc:
                self.progress.rejected += 1
                self._dead_letter(DeadLetter(record.position, f"not a usable OpenLineage event: {exc}"), values)
                continue
            try:
                result = self.translator.translate(event)
            except Exception as exc:  # a bug of ours: the event is kept with the cause, the stream goes on
                log.exception("translating %s failed", record.position)
                self._dead_letter(DeadLetter(record.position, f"internal error translating the event: "
                                                              f"{type(exc).__name__}: {exc}"), values)
                continue
            for item in result.unresolved:
                self._notice(Notice(record.position, f"{item.identity.namespace} {item.identity.name}: "
                                                     f"{item.reason}"))
            work.append(Work(record.position, result.operations))
        while work:
            outcome = self.sink.deliver(work)
            for letter in outcome.dead_letters:
                self._dead_letter(letter, values)
            for notice in outcome.notices:
                self._notice(notice)
            work = outcome.pending
            if work:
                self.progress.retries += 1
                log.warning("%d events wait for OpenMetadata; retrying in %.1fs", len(work), outcome.retry_after)
                if self._wait(outcome.retry_after):
                    return False
        return True

    def _dead_letter(self, letter: DeadLetter, values: dict[str, bytes]) -> None:
        self.progress.dead_letters += 1
        log.error("dead-lettered %s: %s", letter.position, letter.reason)
        if self.dead_letters is not None:
            operation = letter.operation.to_dict() if letter.operation is not None else None
            self.dead_letters.write(letter.position, letter.reason, values.get(letter.position), operation)

    def _notice(self, notice: Notice) -> None:
        self.progress.notices += 1
        log.info("%s: %s", notice.position, notice.reason)
        self.progress.notes.append(f"{notice.position}: {notice.reason}")
        del self.progress.notes[:-100]
