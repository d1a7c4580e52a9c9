"""Sources and sinks declare what they offer beyond the contract; the workflow asks, and maps a source that cannot
go on to its own exit status."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import ol_om_core.contract.plugins as registry
from ol_om import EXIT_SOURCE, Workflow
from ol_om._capabilities import ProgressAware, SinkCountersAware
from ol_om._check import run_checks
from ol_om._workflow import plugins
from ol_om.sources import FileSource, HttpSource
from ol_om_core.configfile import settings_from
from ol_om_core.contract import BehindTip, DeadLetterCapable, Lagging, MarkDeleted, Record, SourceError
from ol_om_core.contract.check import Check
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


PROBED: list[Mapping[str, Any]] = []


def probe(section: Mapping[str, Any], services: Sequence[str]) -> list[Check]:
    """A sink's connection check, registered by the test below through a fake entry point."""
    PROBED.append(section)
    if section.get("explode"):
        raise RuntimeError("socket closed")
    return [Check("probe", True, "answered")]


def test_check_runs_what_the_plugin_registers_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ol-om check`` runs the check a plugin registers in ``ol_om.sink_checks`` under its sink's name; a source
    with none (the file) has nothing to test; a check that raises is a failed row, not a crash."""
    real = registry.entry_points
    fake = EntryPoint("dry-run", f"{__name__}:probe", registry.SINK_CHECKS)
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [fake] if group == registry.SINK_CHECKS else real(group=group))
    PROBED.clear()
    rows = {row.name: row for row in run_checks(settings_from({"source": {"type": "file", "path": "-"},
                                                               "sink": {"type": "dry-run"}}), "test.yaml")}
    assert rows["probe"].ok and rows["source file"].detail == "nothing to test"
    assert [section["type"] for section in PROBED] == ["dry-run"]

    rows = {row.name: row for row in run_checks(settings_from({"source": {"type": "file", "path": "-"},
                                                               "sink": {"type": "dry-run", "explode": True}}),
                                                "test.yaml")}
    assert not rows["sink dry-run"].ok and "socket closed" in rows["sink dry-run"].detail
