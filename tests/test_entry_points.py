"""Each distribution's entry points (console script, sources, sinks, hypothesis plugin) load."""

from __future__ import annotations

from importlib.metadata import distribution

import pytest

EXPECTED = {
    "ol-om": {"ol-om", "file", "stdin", "http", "dry-run"},
    "ol-om-core": {"_"},  # the hypothesis plugin; the core declares no script, source or sink
    "ol-om-sink": {"openmetadata"},
    "ol-om-kafka": {"kafka"},
    "ol-om-kinesis": {"kinesis"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entry_points_load(name: str) -> None:
    entry_points = distribution(name).entry_points
    assert {ep.name for ep in entry_points} == EXPECTED[name]
    for ep in entry_points:
        assert callable(ep.load()), ep
