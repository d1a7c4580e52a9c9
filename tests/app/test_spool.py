"""The HTTP receiver's spool on a small disk: it fills up, refuses, and comes back by itself once what it holds is
delivered — the segment being written included — with its checkpoint written and no temporary file left; and a
backlog is read in batches bounded by bytes as well as by count; events parsed on the way in are handed to the reader,
a bounded few."""

from __future__ import annotations

import errno
import json
import uuid
from pathlib import Path

import pytest

from ol_om.sources import _spool
from ol_om.sources._spool import Spool, SpoolFull
from ol_om_core.contract import files
from ol_om_core.contract.sinks import Work
from ol_om_core.contract.sources import Record
from ol_om_core.contract.work import work_of
from ol_om_core.parse import parse
from ol_om_core.translate import Translator

DISK = 64 * 1024


class SmallDisk:
    """A filesystem of ``DISK`` bytes under ``root``: writes past it fail with ENOSPC, as on a full tmpfs."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        real_write, real_replace = _spool._write_all, files.replace_durably

        def write_all(fd: int, data: bytes) -> None:
            self.make_room(len(data))
            real_write(fd, data)

        def replace_durably(path: Path, data: bytes) -> None:
            self.make_room(len(data))  # the temporary file must fit beside the old one
            real_replace(path, data)

        monkeypatch.setattr(_spool, "_write_all", write_all)
        monkeypatch.setattr(_spool, "replace_durably", replace_durably)

    def used(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def make_room(self, size: int) -> None:
        if self.used() + size > DISK:
            raise OSError(errno.ENOSPC, "No space left on device")


def line(n: int) -> bytes:
    return b'{"n":%d,"pad":"%s"}' % (n, b"x" * 1000)


def fill(spool: Spool) -> int:
    """Append until the disk refuses; how many lines went in."""
    n = 0
    while True:
        try:
            spool.append([line(n)])
        except SpoolFull:
            return n
        n += 1


def test_a_full_disk_frees_itself_once_everything_spooled_is_delivered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = SmallDisk(tmp_path, monkeypatch)
    now = [0.0]
    spool = Spool(tmp_path / "spool", clock=lambda: now[0])
    accepted = fill(spool)
    assert 40 < accepted <= 64  # one segment holds it all: the disk filled long before the segment size
    records = spool.read(1000)
    assert len(records) == accepted
    spool.acknowledge(records[-1], len(records))
    # Everything is delivered: the segment being written was sealed and deleted, the checkpoint written.
    assert disk.used() < 1024, sorted(p.name for p in (tmp_path / "spool").iterdir())
    assert not [p for p in (tmp_path / "spool").iterdir() if p.name.endswith(".tmp")]
    spool.append([line(1000)])  # accepted at once, not after RETRY_AFTER: the space freed was seen
    assert [r.value for r in spool.read(10)] == [line(1000)]
    spool.close()
    # A restart replays nothing already delivered.
    reopened = Spool(tmp_path / "spool")
    assert [r.value for r in reopened.read(1000)] == [line(1000)]
    reopened.close()


def test_a_checkpoint_that_does_not_fit_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "checkpoint.json"
    (tmp_path / "blocker").mkdir()
    with pytest.raises(OSError):
        files.replace_durably(tmp_path / "blocker", b"{}")  # os.replace onto a directory fails after the write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]
    files.replace_durably(target, b"{}")
    assert target.read_bytes() == b"{}"


def test_a_backlog_is_read_in_batches_bounded_by_bytes(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append([line(n) for n in range(100)])
    size = len(line(0)) + 1
    batch = spool.read(500, max_bytes=10 * size)
    assert len(batch) == 10
    assert len(spool.read(500, max_bytes=1)) == 1  # at least one line, however large
    assert len(spool.read(500)) == 89
    spool.close()


def test_events_appended_parsed_are_handed_to_the_reader_a_bounded_few_and_parsed_again_after_a_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver parses each event to answer 400 for bad ones; the runner is handed that parse with the line
    rather than parsing it again — but only a few are kept in memory (a backlog is read back from disk)."""
    monkeypatch.setattr(_spool, "KEPT_EVENTS", 3)
    lines = [json.dumps({"eventType": "START", "eventTime": "2026-11-23T10:00:00Z", "producer": "p",
                         "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n", "name": f"j{n}"}}).encode()
             for n in range(5)]
    events = [parse(line) for line in lines]
    spool = Spool(tmp_path)
    spool.append(lines[:2], events[:2])
    spool.append([b'{"not": "parsed"}'])
    spool.append(lines[2:], events[2:])
    records = spool.read(10)
    assert [r.value for r in records] == [*lines[:2], b'{"not": "parsed"}', *lines[2:]]
    assert [r.event for r in records] == [events[0], events[1], None, events[2], None, None]  # 3 kept at most
    assert records[0].event is events[0]
    spool.append(lines[:1], events[:1])  # the room the reader freed is used again
    assert [r.event for r in spool.read(10)] == [events[0]]
    monkeypatch.setattr(_spool, "KEPT_LINE", len(lines[0]) - 1)  # a large event is never kept
    spool.append(lines[:1], events[:1])
    assert [r.event for r in spool.read(10)] == [None]
    spool.close()
    again = Spool(tmp_path)  # nothing acknowledged: all read back from disk, for the runner to parse
    assert len(again.read(10)) == 8 and not again._kept
    again.close()


def test_the_runner_uses_the_event_a_record_carries() -> None:
    line = json.dumps({"eventType": "START", "eventTime": "2026-11-23T10:00:00Z", "producer": "p",
                       "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n", "name": "carried"}}).encode()
    work = work_of(Record("spool:1:1", b"{}", event=parse(line)), Translator())  # the bytes alone are not an event
    assert isinstance(work, Work) and any("carried" in json.dumps(op.to_dict()) for op in work.operations)
