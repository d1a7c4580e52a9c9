"""The runner's batch loop: rejected events to the dead letters, pending work held and delivered again."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from ol_om import DeadLetterFile, Runner
from ol_om_core.contract.sinks import MemorySink
from ol_om_core.contract.sources import Record
from ol_om_core.translate import Translator

GOOD = json.dumps({"eventType": "START", "eventTime": "2026-11-23T10:00:00Z", "producer": "p",
                   "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                   "run": {"runId": "0195a3c1-0000-7000-8000-000000000001"},
                   "job": {"namespace": "ns", "name": "job"}}).encode()


def test_rejected_events_go_to_the_dead_letters_with_their_bytes_and_reason(tmp_path: Path) -> None:
    letters = DeadLetterFile(tmp_path / "dlq" / "dead.jsonl")
    sink = MemorySink()
    runner = Runner(Translator(), sink, letters)
    assert runner.run_batch([Record("f:1", b"{not json"), Record("f:2", GOOD)])
    letters.close()
    [letter] = [json.loads(line) for line in (tmp_path / "dlq" / "dead.jsonl").read_text().splitlines()]
    assert letter["position"] == "f:1" and letter["event"] == "{not json"
    assert "not a usable OpenLineage event" in letter["reason"]
    assert sink.acknowledged == ["f:2"] and sink.operations
    assert (runner.progress.events, runner.progress.rejected, runner.progress.dead_letters) == (2, 1, 1)


def test_pending_work_is_held_and_delivered_again() -> None:
    sink = MemorySink()
    sink.hold(deliveries=2, retry_after=0.5)
    waits: list[float] = []
    runner = Runner(Translator(), sink, wait=lambda s: waits.append(s) or False)
    assert runner.run_batch([Record("f:1", GOOD)])
    assert waits == [0.5, 0.5] and sink.acknowledged == ["f:1"]


def test_a_stop_while_held_returns_without_acknowledging() -> None:
    sink = MemorySink()
    sink.hold(deliveries=100, retry_after=5)
    stop = threading.Event()
    stop.set()
    runner = Runner(Translator(), sink, stop=stop)
    assert runner.run_batch([Record("f:1", GOOD)]) is False
    assert sink.acknowledged == []


def test_a_translator_bug_dead_letters_the_event_and_the_stream_goes_on(tmp_path: Path) -> None:
    class Broken(Translator):
        def translate(self, event):  # type: ignore[no-untyped-def]
            if event.job.name == "bad":
                raise KeyError("boom")
            return super().translate(event)

    bad = GOOD.replace(b'"name": "job"', b'"name": "bad"')
    sink = MemorySink()
    letters = DeadLetterFile(tmp_path / "dead.jsonl")
    runner = Runner(Broken(), sink, letters)
    assert runner.run_batch([Record("f:1", bad), Record("f:2", GOOD)])
    letters.close()
    [letter] = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert letter["position"] == "f:1" and "internal error" in letter["reason"] and "boom" in letter["reason"]
    assert sink.acknowledged == ["f:2"]


class _Source:
    """A source that records what it was told: acknowledgements, holds."""

    def __init__(self, batches: list[list[Record]]) -> None:
        self._batches = batches
        self.acknowledged: list[str] = []
        self.holds: list[float] = []

    def batches(self):  # type: ignore[no-untyped-def]
        yield from self._batches

    def acknowledge(self, records) -> None:  # type: ignore[no-untyped-def]
        self.acknowledged += [r.position for r in records]

    def hold(self, seconds: float) -> bool:
        self.holds.append(seconds)
        return False

    def close(self) -> None:
        pass


def test_run_acknowledges_each_batch_once_durable_and_holds_the_source_while_pending(tmp_path: Path) -> None:
    source = _Source([[Record("a:1", GOOD), Record("a:2", b"[]", problem="too large")], [], [Record("a:3", GOOD)]])
    sink = MemorySink()
    sink.hold(deliveries=1, retry_after=0.25)
    letters = DeadLetterFile(tmp_path / "d.jsonl")
    progress = Runner(Translator(), sink, letters).run(source)
    assert source.acknowledged == ["a:1", "a:2", "a:3"]
    assert source.holds == [0.25]  # the source, not a sleep, waited out the outage
    assert (progress.events, progress.rejected) == (3, 1)
    assert json.loads((tmp_path / "d.jsonl").read_text())["reason"] == "too large"


def test_a_failed_runs_error_message_is_a_notice() -> None:
    failed = json.loads(GOOD)
    failed["eventType"] = "FAIL"
    failed["run"]["facets"] = {"errorMessage": {"_producer": "p", "_schemaURL": "s", "programmingLanguage": "python",
                                                "message": "disk full\nTraceback (most recent call last): …"}}
    runner = Runner(Translator(), MemorySink())
    assert runner.run_batch([Record("f:1", json.dumps(failed).encode())])
    assert runner.progress.notices == 1
    assert list(runner.progress.notes) == ["f:1: job ns/job run 0195a3c1-0000-7000-8000-000000000001 failed: disk full"]
