"""Sources and sinks declare what they offer beyond the contract; the workflow asks, and maps a source that cannot
go on to its own exit status."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from ol_om import EXIT_SOURCE, Workflow
from ol_om._capabilities import ProgressAware, SinkCountersAware
from ol_om._workflow import plugins
from ol_om.sources import FileSource, HttpSource
from ol_om_core.contract import BehindTip, DeadLetterCapable, Lagging, MarkDeleted, Record, SourceError
from ol_om_kafka import KafkaSource
from ol_om_kinesis.source import KinesisSource
from ol_om_sink import OpenMetadataSink


def test_each_source_and_sink_declares_its_capabilities() -> None:
    assert issubclass(KafkaSource, DeadLetterCapable) and issubclass(KafkaSource, Lagging)
    assert issubclass(KinesisSource, BehindTip) and not issubclass(KinesisSource, DeadLetterCapable)
    assert issubclass(HttpSource, ProgressAware) and issubclass(HttpSource, SinkCountersAware)
    assert issubclass(HttpSource, Lagging)
    assert issubclass(OpenMetadataSink, MarkDeleted)
    assert not issubclass(FileSource, Lagging) and not issubclass(FileSource, DeadLetterCapable)


class _Failing:
    def __init__(self, section: Mapping[str, Any], stop: threading.Event) -> None:
        pass

    def batches(self) -> Iterator[Sequence[Record]]:
        raise SourceError("stream orders: ResourceNotFoundException")

    def acknowledge(self, records: Sequence[Record]) -> None:
        pass

    def hold(self, seconds: float) -> bool:
        return False

    def close(self) -> None:
        pass


def test_a_source_that_cannot_go_on_stops_the_run_with_its_exit_status(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    load = plugins.load
    monkeypatch.setattr(plugins, "load", lambda group, name: _Failing if name == "failing" else load(group, name))
    result = Workflow.from_config({"source": {"type": "failing"}, "sink": {"type": "dry-run"}},
                                  dead_letters=tmp_path / "dead.jsonl").run(handle_signals=False)
    assert (result.exit_status, result.error) == (EXIT_SOURCE, "stream orders: ResourceNotFoundException")
