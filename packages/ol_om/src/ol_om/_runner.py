"""The loop that joins a source, the translator and a sink, batch by batch — written once for every source.

A batch is done when every event in it is acknowledged: written, or dead-lettered with its reason (and the dead
letter flushed to disk or topic). Only then is the source told, so it never commits past an event whose
effect is not durable. Pending work (OpenMetadata down or throttling) is handed back to the sink after the wait
it asks for, while the source holds still (a Kafka consumer keeps polling, paused, to stay in its group).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ol_om_core.contract.capabilities import BehindTip, DeadLetterWriter, Lagging
from ol_om_core.contract.sinks import DeadLetter, Notice, Outcome, Sink, Work, until_delivered
from ol_om_core.contract.sources import Record, Source
from ol_om_core.contract.work import is_rejected, work_of
from ol_om_core.redact import printable
from ol_om_core.translate import Translator

log = logging.getLogger("ol_om")

DEAD_LETTER_RETRY = 5.0
"""Seconds between attempts to write the dead letters when the disk refuses them."""


class DeadLetterFile:
    """Dead letters as JSON lines: position, reason, the event's bytes (as text) and the refused call.

    Letters are kept in memory until :meth:`flush` writes and fsyncs them; a write that fails (disk full) is cut
    back to the last whole line and the letters are kept for the next flush, so the file never holds half a
    letter or the same one twice."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._unwritten: list[str] = []

    def write(self, position: str, reason: str, value: bytes | None, operation: dict[str, Any] | None) -> None:
        record: dict[str, Any] = {"position": position, "reason": reason}
        if value is not None:
            record["event"] = value.decode("utf-8", "replace")
        if operation is not None:
            record["operation"] = operation
        self._unwritten.append(json.dumps(record, ensure_ascii=False) + "\n")

    def flush(self) -> None:
        """Called before every acknowledgement: written and fsync'd, or ``OSError`` and nothing written."""
        if not self._unwritten:
            return
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        try:
            _write_all(self._fd, "".join(self._unwritten).encode())
            os.fsync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)
            raise
        self._unwritten.clear()

    def close(self) -> None:
        try:
            self.flush()
        except OSError as exc:  # their batch was not acknowledged: its events are read again after a restart
            log.error("%d dead letters not written (%s); their events come again at the next start",
                      len(self._unwritten), exc.strerror or exc)
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


@dataclass(slots=True)
class Progress:
    events: int = 0
    rejected: int = 0
    dead_letters: int = 0
    notices: int = 0
    retries: int = 0
    notes: list[str] = field(default_factory=list)
    """The last notices, for people (bounded)."""
    busy_since: float | None = None
    """When the first event arrived; with ``last_done``, the rate ignores waiting for a stream to start or end."""
    last_done: float = 0.0
    lag: int | None = None
    behind_ms: int | None = None
    """How far behind the tip of the stream the source's last read was (Kinesis' MillisBehindLatest)."""
    pipelines: set[str] = field(default_factory=set)
    """FQNs of the pipelines this run wrote (for ``markDeletedPipelines``)."""

    def rate(self) -> float:
        if self.busy_since is None or self.last_done <= self.busy_since:
            return 0.0
        return self.events / (self.last_done - self.busy_since)

    def line(self) -> str:
        lag = "" if self.lag is None else f", lag {self.lag}"
        lag += "" if self.behind_ms is None else f", {self.behind_ms} ms behind"
        return (f"{self.events} events ({self.rate():.0f}/s){lag}, {self.rejected} rejected, {self.dead_letters} "
                f"dead-lettered, {self.notices} notices, {self.retries} waits for OpenMetadata")


@dataclass(frozen=True, slots=True)
class _InFlight:
    batch: Sequence[Record]
    values: dict[str, bytes]
    outcome: Future[Outcome]


class Runner:
    def __init__(self, translator: Translator, sink: Sink, dead_letters: DeadLetterWriter | None = None,
                 stop: threading.Event | None = None, wait: Callable[[float], bool] | None = None) -> None:
        self.translator = translator
        self.sink = sink
        self.dead_letters = dead_letters
        self.stop = stop or threading.Event()
        self._wait = wait or self.stop.wait
        self.progress = Progress()

    def run(self, source: Source, report_every: float = 30.0) -> Progress:
        """Every batch of ``source`` until it ends or ``stop`` is set; each batch acknowledged once it is durable.

        Batch N is delivered on a second thread while batch N+1 is read and translated: the CPU work overlaps
        OpenMetadata's answers. Deliveries stay one at a time and in order, and a batch that must wait for
        OpenMetadata is held on this thread, where the source lives.
        """
        last_report = time.monotonic()
        lag = source.lag if isinstance(source, Lagging) else None
        behind_ms = source.behind_ms if isinstance(source, BehindTip) else None
        in_flight: _InFlight | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="ol-om-deliver") as delivery:
            for batch in source.batches():
                if batch:
                    if self.progress.busy_since is None:
                        self.progress.busy_since = time.monotonic()
                    work, values = self._translate(batch)
                    if in_flight is not None and not self._finish(in_flight, source):
                        in_flight = None
                        break  # stopped while OpenMetadata was away: nothing more is acknowledged
                    in_flight = _InFlight(batch, values, delivery.submit(self.sink.deliver, work))
                elif in_flight is not None:  # the stream is quiet: acknowledge what was delivered, now
                    finished, in_flight = self._finish(in_flight, source), None
                    if not finished:
                        break
                if time.monotonic() - last_report >= report_every:
                    last_report = time.monotonic()
                    self.progress.lag = lag() if lag is not None else None
                    self.progress.behind_ms = behind_ms() if behind_ms is not None else None
                    log.info("progress: %s", self.progress.line())
                if self.stop.is_set():
                    break
            if in_flight is not None:
                self._finish(in_flight, source)
        log.info("done: %s", self.progress.line())
        return self.progress

    def run_batch(self, records: Sequence[Record]) -> bool:
        """Translate and deliver ``records``; ``True`` once all are acknowledged, ``False`` if stopped first."""
        work, values = self._translate(records)
        return self._deliver(self.sink.deliver(work), values, self._wait)

    def _finish(self, in_flight: _InFlight, source: Source) -> bool:
        """Wait for a batch's delivery (holding the source while OpenMetadata is away), then acknowledge it."""
        if not self._deliver(in_flight.outcome.result(), in_flight.values, source.hold):
            return False
        if not self._flush_dead_letters(source):
            return False
        source.acknowledge(in_flight.batch)
        self.progress.last_done = time.monotonic()
        return True

    def _flush_dead_letters(self, source: Source) -> bool:
        """Make the dead letters durable before the batch is acknowledged; a disk that is full (or failing) is
        waited for, holding the source, rather than ending the run (a restart would meet the same disk)."""
        while self.dead_letters is not None:
            try:
                self.dead_letters.flush()
                return True
            except OSError as exc:
                log.error("cannot write the dead letters (%s); holding the source, trying again in %.0f s",
                          exc.strerror or exc, DEAD_LETTER_RETRY)
                if source.hold(DEAD_LETTER_RETRY):
                    return False
        return True

    def _translate(self, records: Sequence[Record]) -> tuple[list[Work], dict[str, bytes]]:
        values = {record.position: record.value for record in records}
        work = []
        for record in records:
            self.progress.events += 1
            result = work_of(record, self.translator)
            if isinstance(result, DeadLetter):
                if is_rejected(result):
                    self.progress.rejected += 1
                else:  # a bug of ours: the event is kept with the cause, the stream goes on
                    log.error("translating %s failed", record.position, exc_info=result.cause)
                self._dead_letter(result, values)
                continue
            for item in result.unresolved:
                self._notice(Notice(record.position, f"{item.identity.namespace} {item.identity.name}: "
                                                     f"{item.reason}"))
            for text in result.notes:
                self._notice(Notice(record.position, text))
            self.progress.pipelines.update(
                op.subject[0] for op in result.operations if op.kind == "pipeline")
            work.append(result)
        return work, values

    def _deliver(self, outcome: Outcome, values: dict[str, bytes], wait: Callable[[float], bool]) -> bool:
        """Record an outcome; deliver what is pending again after the wait it asks for, until none is left."""

        def seen(outcome: Outcome) -> None:
            for letter in outcome.dead_letters:
                self._dead_letter(letter, values)
            for notice in outcome.notices:
                self._notice(notice)

        def hold(outcome: Outcome) -> bool:
            self.progress.retries += 1
            log.warning("%d events wait for OpenMetadata; retrying in %.1fs", len(outcome.pending),
                        outcome.retry_after)
            return wait(outcome.retry_after)

        return not until_delivered(self.sink, outcome, seen, hold).pending

    def _dead_letter(self, letter: DeadLetter, values: dict[str, bytes]) -> None:
        self.progress.dead_letters += 1
        log.error("dead-lettered %s: %s", letter.position, letter.reason)
        if self.dead_letters is not None:
            operation = letter.operation.to_dict() if letter.operation is not None else None
            self.dead_letters.write(letter.position, letter.reason, values.get(letter.position), operation)

    def _notice(self, notice: Notice) -> None:
        self.progress.notices += 1
        log.info("%s: %s", notice.position, notice.reason)
        self.progress.notes.append(printable(f"{notice.position}: {notice.reason}"))  # names from events
        del self.progress.notes[:-100]

