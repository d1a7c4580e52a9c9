"""Each distribution's entry points (console script, sources, sinks, their connection checks, hypothesis plugin)
load, and every source or sink that registers a check has the same name in its own group."""

from __future__ import annotations

from importlib.metadata import distribution

import pytest

EXPECTED = {
    "ol-om": {("console_scripts", "ol-om"), ("ol_om.sources", "file"), ("ol_om.sources", "stdin"),
              ("ol_om.sources", "http"), ("ol_om.sinks", "dry-run")},
    "ol-om-core": {("hypothesis", "_")},  # the core declares no script, source or sink
    "ol-om-sink": {("ol_om.sinks", "openmetadata"), ("ol_om.sink_checks", "openmetadata")},
    "ol-om-kafka": {("ol_om.sources", "kafka"), ("ol_om.source_checks", "kafka")},
    "ol-om-kinesis": {("ol_om.sources", "kinesis"), ("ol_om.source_checks", "kinesis")},
}
CHECKED = {"ol_om.source_checks": "ol_om.sources", "ol_om.sink_checks": "ol_om.sinks"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entry_points_load(name: str) -> None:
    entry_points = distribution(name).entry_points
    declared = {(ep.group, ep.name) for ep in entry_points}
    assert declared == EXPECTED[name]
    for ep in entry_points:
        assert callable(ep.load()), ep
        if ep.group in CHECKED:
            assert (CHECKED[ep.group], ep.name) in declared, f"{ep.name} checks a {ep.group} it does not register"
