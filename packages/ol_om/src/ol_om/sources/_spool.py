"""A durable queue on disk between the HTTP receiver and the runner: append-only JSON-lines segments.

``append`` returns once the lines are on disk (written and fsync'd), so the receiver may answer the producer.
Group commit: one appending thread at a time writes, taking every append that waits at that moment into one
write and fsync, so many producers are not held to one fsync each (and no thread is woken only to write).
``read`` hands out the lines in order; ``acknowledge`` advances a checkpoint file (written to a temporary file,
fsync'd, then ``os.replace``d over the old one) and deletes the segments wholly behind it. On open, the spool
is replayed from the checkpoint: what was accepted but not acknowledged before a crash is read again.

Files in the spool directory: ``00000001.jsonl``, ``00000002.jsonl``… (a new segment once one reaches the
segment size), ``checkpoint.json`` (``{"segment": 2, "line": 17, "offset": 5120}``: everything up to that
line is acknowledged) and ``lock`` (one process per spool directory).

Bytes once committed are never rewritten. A failed write (disk full) is cut back to the committed end and the
reader, which may have read ahead into it, reopens its segment; appends are then refused with
:class:`SpoolFull` for ``RETRY_AFTER`` seconds before the disk is tried again, so a full disk costs neither a
file per request nor a crash, and the spool resumes by itself once space returns. ``max_bytes`` caps the bytes
not yet acknowledged, with the same refusal.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ol_om_core.contract.files import replace_durably, sync_directory
from ol_om_core.contract.sources import Record
from ol_om_core.errors import ConfigError, SourceError
from ol_om_core.model import Event

log = logging.getLogger("ol_om.spool")

SEGMENT_BYTES = 64 * 1024 * 1024
KEPT_EVENTS = 1024
KEPT_BYTES = 1024 * 1024
KEPT_LINE = 64 * 1024
"""The most parsed events (and bytes of their lines) kept in memory for the reader, each of a line of at most
``KEPT_LINE`` bytes (parsed, an event takes many times its bytes); past that, the reader parses again what it reads
back (a backlog costs disk, not memory)."""
_SUFFIX = ".jsonl"
_CHECKPOINT = "checkpoint.json"
_SYNC = getattr(os, "fdatasync", os.fsync)
_CLOSED = "the receiver is shutting down"
RETRY_AFTER = 5
"""Seconds appends are refused after a failed write, and what producers are told to wait."""


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a line of the spool ends: its segment, its line number there (from 1) and the byte after it."""

    segment: int
    line: int
    offset: int


class SpoolUnavailable(SourceError):
    """The spool takes no more lines: it is closing."""


class SpoolFull(SpoolUnavailable):
    """The spool takes no lines for now: its disk is full (or failing), or ``max_bytes`` wait for delivery."""

    retry_after = RETRY_AFTER


@dataclass(slots=True, eq=False)
class _Append:
    data: bytes
    lines: Sequence[bytes]
    events: Sequence[Event | None]
    done: bool = False
    error: Exception | None = None


class Spool:
    def __init__(self, directory: str | Path, segment_bytes: int = SEGMENT_BYTES, max_bytes: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self.max_bytes = max_bytes
        """The most bytes not yet acknowledged (None: bounded by the disk only)."""
        self._clock = clock
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_file = _lock(self.directory / "lock")
        self._changed = threading.Condition()
        """Guards what the appending threads and the runner's thread share: ends, counters, the read position."""
        self._writing = threading.Lock()
        """Held by the one thread writing; the others' appends wait in ``_waiting`` for its next write."""
        self._waiting: list[_Append] = []
        self._closing = False
        self._failed: str | None = None
        """Why the last write failed; appends are refused until ``_retry_at``."""
        self._retry_at = 0.0
        self._queued = 0
        """Bytes waiting to be written (counted against ``max_bytes``)."""
        self._truncations = 0
        """Failed writes cut back so far: the reader reopens its segment when this moves (it may have read ahead)."""
        self.written_bytes = 0
        self.acknowledged = 0
        self._checkpoint = self._load_checkpoint()
        self._ends = self._recover()
        """Committed end (bytes) of every segment on disk; the last one is the one written to."""
        self._segment = max(self._ends)
        self._fd = self._open_segment(self._segment)
        self._read = self._start()
        self.pending = self._count_from(self._read)
        self._unread_lines = self.pending
        self._kept: dict[tuple[int, int], Event] = {}
        """Events appended already parsed, by the segment and offset of their line, until the reader takes them."""
        self._kept_bytes = 0
        self._unread_bytes = self._bytes_after(self._read)
        """Lines and bytes committed and not yet read (``wait`` sleeps until enough of them are there)."""
        self._reader: BinaryIO | None = None
        self._reader_truncations = 0
        if self.pending:
            log.info("spool %s: %d events accepted before the restart are delivered first", self.directory,
                     self.pending)

    # -- writing (the receiver's threads) ------------------------------------------------------------------------

    def append(self, lines: Sequence[bytes], events: Sequence[Event | None] = ()) -> None:
        """Add ``lines`` (JSON without newlines) at the end; they are on disk when this returns. ``events``, the
        lines parsed (None where not), are handed to the reader with them (``Record.event``) while few are kept.

        Appends that arrive while a write is under way share the next write and fsync (group commit): one fsync
        per request would cap a receiver at the disk's fsync rate."""
        item = _Append(b"\n".join([*lines, b""]), lines, events)
        with self._changed:
            if self._closing:
                raise SpoolUnavailable(_CLOSED)
            if self._failed is not None and self._clock() < self._retry_at:
                raise SpoolFull(f"the spool cannot be written ({self._failed}); try again later")
            if self.max_bytes is not None and self._bytes_after(self._checkpoint) + self._queued + len(item.data) > \
                    self.max_bytes:
                raise SpoolFull(f"the spool holds its maximum of {self.max_bytes} bytes not yet delivered to "
                                "OpenMetadata; try again later")
            self._queued += len(item.data)
            self._waiting.append(item)
        with self._writing:  # whoever holds it writes every append waiting, this one's too unless already done
            if not item.done:
                with self._changed:
                    batch, self._waiting = self._waiting, []
                self._write(batch)
        if item.error is not None:
            raise item.error

    def _write(self, batch: list[_Append]) -> None:
        data = b"".join(item.data for item in batch)
        start = self._ends[self._segment]
        error: Exception | None = None
        try:
            _write_all(self._fd, data)
            _SYNC(self._fd)
        except OSError as exc:
            error = SpoolFull(f"the spool cannot be written ({exc.strerror or exc}); try again later")
            self._cut_back(exc)
        with self._changed:
            self._queued -= len(data)
            if error is None:
                self._ends[self._segment] += len(data)
                self.written_bytes += len(data)
                lines = sum(len(item.lines) for item in batch)
                self._keep(batch, start)
                self.pending += lines
                self._unread_lines += lines
                self._unread_bytes += len(data)
                if self._failed is not None:
                    log.warning("spool %s: writing again after %s", self.directory, self._failed)
                    self._failed = None
                self._changed.notify_all()
        if error is None and self._ends[self._segment] >= self.segment_bytes:
            try:
                self._rotate()
            except OSError as exc:
                log.warning("spool: cannot start a new segment (%s); segment %d grows on", exc, self._segment)
        for item in batch:
            item.error = error
            item.done = True

    def _keep(self, batch: list[_Append], offset: int) -> None:
        """Keep the parsed events of lines just written at ``offset`` of the segment, within the bounds."""
        for item in batch:
            for line, event in zip(item.lines, item.events, strict=False):
                if (event is not None and len(line) <= KEPT_LINE and len(self._kept) < KEPT_EVENTS
                        and self._kept_bytes + len(line) <= KEPT_BYTES):
                    self._kept[(self._segment, offset)] = event
                    self._kept_bytes += len(line)
                offset += len(line) + 1

    def _cut_back(self, exc: OSError) -> None:
        """After a failed write or fsync (disk full): cut the segment back to its committed end, tell the reader
        to reopen it, and refuse appends for ``RETRY_AFTER`` seconds (a full disk is not retried per request)."""
        with suppress(OSError):  # if even this fails, a restart cuts the broken line off
            os.ftruncate(self._fd, self._ends[self._segment])
        with self._changed:
            if self._failed is None:
                log.error("spool %s: cannot write (%s); refusing events for %d s at a time until it can",
                          self.directory, exc.strerror or exc, RETRY_AFTER)
            self._failed = exc.strerror or str(exc)
            self._retry_at = self._clock() + RETRY_AFTER
            self._truncations += 1

    def _rotate(self) -> None:
        fd = self._open_segment(self._segment + 1)
        os.close(self._fd)
        self._fd = fd
        self._segment += 1
        with self._changed:
            self._ends[self._segment] = 0

    def _open_segment(self, segment: int) -> int:
        fd = os.open(self._path(segment), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        sync_directory(self.directory)  # the new file's name survives a crash too
        return fd

    # -- reading and acknowledging (the runner's thread) ----------------------------------------------------------

    def wait(self, timeout: float, lines: int = 1, size: int = 1) -> None:
        """Return when ``lines`` lines or ``size`` bytes beyond those read are committed, or after ``timeout``
        seconds (a reader gathering a batch is woken once it can be filled, not at every commit)."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._unread_lines >= lines or self._unread_bytes >= size or self._closing, timeout)

    def read(self, limit: int, max_bytes: int | None = None) -> list[Record]:
        """Up to ``limit`` lines after those already read, without waiting; no more lines once ``max_bytes`` are
        read (at least one line is: a batch is bounded by memory as well as by count)."""
        records: list[Record] = []
        size = 0
        with self._changed:
            ends = dict(self._ends)  # what is committed now; lines appended meanwhile come with the next read
            truncations = self._truncations
        if truncations != self._reader_truncations:  # bytes read ahead may have been cut back: read them anew
            self._reader_truncations = truncations
            self._move_to(self._read.segment, self._read)
        while len(records) < limit and (max_bytes is None or size < max_bytes):
            mark = self._read
            if mark.offset >= ends.get(mark.segment, 0):
                later = [s for s in ends if s > mark.segment]
                if not later:
                    break
                self._move_to(min(later))  # a sealed segment read to its end
                continue
            line = self._reader_for(mark.segment).readline()
            size += len(line)
            self._read = Mark(mark.segment, mark.line + 1, mark.offset + len(line))
            records.append(Record(f"spool:{mark.segment}:{mark.line + 1}", line.rstrip(b"\n"), ref=self._read))
        with self._changed:
            self._unread_lines -= len(records)
            if self._kept:
                records = [self._kept_event(record) for record in records]
            self._unread_bytes -= size
        return records

    def _kept_event(self, record: Record) -> Record:
        """``record`` with its parsed event, if it was kept (under ``_changed``)."""
        mark = record.ref
        key = (mark.segment, mark.offset - len(record.value) - 1)
        event = self._kept.pop(key, None)
        if event is None:
            return record
        self._kept_bytes -= len(record.value)
        return Record(record.position, record.value, ref=mark, event=event)

    def acknowledge(self, last: Record, count: int) -> None:
        """``last`` and every line before it are done: checkpoint past them and delete the segments behind."""
        mark = last.ref
        if not isinstance(mark, Mark):
            raise TypeError(f"{last.position} is not a record of this spool")
        with self._changed:
            self._checkpoint = mark
            self.acknowledged += count
            self.pending = max(0, self.pending - count)
        written = self._write_checkpoint(mark)
        if self._prune() and not written:  # the space freed may be what the checkpoint lacked
            written = self._write_checkpoint(mark)
        if not written:
            # A restart before the next checkpoint replays from the last one written: at least once, as ever.
            log.warning("spool: cannot write the checkpoint (disk full?); it is written with the next batch")

    def _write_checkpoint(self, mark: Mark) -> bool:
        data = json.dumps({"segment": mark.segment, "line": mark.line, "offset": mark.offset}).encode()
        try:
            replace_durably(self.directory / _CHECKPOINT, data)
        except OSError:
            return False
        return True

    def disk_bytes(self) -> int:
        with self._changed:
            return sum(self._ends.values())

    def _bytes_after(self, mark: Mark) -> int:
        """Bytes written after ``mark`` (under ``_changed``)."""
        return sum(end - (mark.offset if segment == mark.segment else 0)
                   for segment, end in self._ends.items() if segment >= mark.segment)

    def close(self) -> None:
        """Write what was handed over, then stop; later appends are refused."""
        with self._changed:
            if self._closing:
                return
            self._closing = True
            self._changed.notify_all()
        with self._writing:  # a write under way ends first
            os.close(self._fd)
        if self._reader is not None:
            self._reader.close()
        self._lock_file.close()

    def _reader_for(self, segment: int) -> BinaryIO:
        """The open segment being read (buffered: bytes read ahead past the committed end are never rewritten)."""
        if self._reader is None:
            self._reader = self._path(segment).open("rb")
            self._reader.seek(self._read.offset)
        return self._reader

    def _move_to(self, segment: int, mark: Mark | None = None) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._read = mark or Mark(segment, 0, 0)

    def _prune(self) -> bool:
        """Delete the segments wholly acknowledged: those before the checkpoint's, and the checkpoint's own once
        it is sealed (no longer written to) and acknowledged to its end. While writes fail (a full disk), the
        segment being written is sealed too once all of it is acknowledged: its space is what the disk lacks.
        True if any was deleted."""
        with self._changed:
            mark, last = self._checkpoint, max(self._ends)
            stuck = self._failed is not None and mark.segment == last and 0 < self._ends[last] <= mark.offset
        if stuck:
            with self._writing:
                try:
                    self._rotate()
                except OSError as exc:
                    log.warning("spool: cannot start a new segment to free segment %d (%s)", last, exc)
        with self._changed:
            mark, last = self._checkpoint, max(self._ends)
            done = [s for s, end in self._ends.items()
                    if s < mark.segment or (s == mark.segment and s != last and mark.offset >= end)]
            for segment in done:
                del self._ends[segment]
            if done and self._failed is not None:
                self._retry_at = self._clock()  # space was freed: try the disk again at the next append
        for segment in done:
            self._path(segment).unlink(missing_ok=True)
        if done:
            log.debug("spool: deleted acknowledged segments %s", done)
        return bool(done)

    # -- opening ----------------------------------------------------------------------------------------------

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:08d}{_SUFFIX}"

    def _load_checkpoint(self) -> Mark:
        path = self.directory / _CHECKPOINT
        try:
            data = json.loads(path.read_bytes())
            return Mark(int(data["segment"]), int(data["line"]), int(data["offset"]))
        except FileNotFoundError:
            return Mark(0, 0, 0)
        except (ValueError, KeyError, TypeError):
            # Replaying is safe (OpenMetadata writes are idempotent); skipping events is not.
            log.warning("spool: %s is unreadable; replaying every segment", path)
            return Mark(0, 0, 0)

    def _recover(self) -> dict[int, int]:
        """The segments on disk and their ends, each cut back to its last whole line (a write a crash broke
        off was never acknowledged to the producer)."""
        segments = sorted(int(p.stem) for p in self.directory.glob(f"*{_SUFFIX}") if p.stem.isdigit())
        ends = {}
        for segment in segments:
            if segment < self._checkpoint.segment:
                self._path(segment).unlink()
                continue
            ends[segment] = _cut_to_last_line(self._path(segment))
        if not ends:
            ends[self._checkpoint.segment + 1] = 0
        return ends

    def _start(self) -> Mark:
        """Where reading starts: just after the checkpoint, or at the first segment after it."""
        mark = self._checkpoint
        if mark.segment not in self._ends:
            return Mark(min(s for s in self._ends if s > mark.segment), 0, 0)
        if mark.offset > self._ends[mark.segment]:  # the segment lost bytes: replaying it is the safe way
            log.warning("spool: segment %d is shorter than its checkpoint; replaying it", mark.segment)
            return Mark(mark.segment, 0, 0)
        return mark

    def _count_from(self, mark: Mark) -> int:
        """Lines not yet acknowledged (for the lag and the metrics)."""
        total = 0
        for segment in sorted(s for s in self._ends if s >= mark.segment):
            with self._path(segment).open("rb") as stream:
                stream.seek(mark.offset if segment == mark.segment else 0)
                while chunk := stream.read(1 << 20):
                    total += chunk.count(b"\n")
        return total


def _cut_to_last_line(path: Path) -> int:
    """Truncate ``path`` after its last newline; return its new size."""
    size = path.stat().st_size
    with path.open("r+b") as stream:
        end = size
        while end > 0:
            start = max(0, end - (1 << 20))
            stream.seek(start)
            found = stream.read(end - start).rfind(b"\n")
            if found >= 0:
                end = start + found + 1
                break
            end = start
        if end != size:
            log.warning("spool: %s ends in a partial line (a write broken off); cutting %d bytes", path, size - end)
            stream.truncate(end)
            stream.flush()
            os.fsync(stream.fileno())
    return end


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _lock(path: Path) -> BinaryIO:
    """Hold ``path`` locked while the spool is open: two receivers on one spool would hand out lines twice."""
    stream = path.open("ab")
    if sys.platform != "win32":
        import fcntl

        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            stream.close()
            raise ConfigError("source.spoolDir", f"{path.parent} is in use by another ol-om receiver") from None
    return stream
