"""parse keeps the jobs and datasets it has read (a steady stream repeats them run after run) and hands the same
value back for the very same JSON. It changes nothing but speed: a value that is merely equal in Python (``true``
and ``1``, ``1`` and ``1.0``, the same keys in another order) is read afresh."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ol_om_core import InvalidEvent, parse
from ol_om_core.model import RunEvent
from ol_om_core.testing import event_json

parsing = importlib.import_module("ol_om_core.parse")  # the module: the package exports the function as `parse`
CHECKED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(raw: bytes) -> str:
    """What parse makes of ``raw``, exactly (``repr`` tells 1 from 1.0 and shows every facet's value)."""
    try:
        return repr(parse(raw))
    except InvalidEvent as exc:
        return f"InvalidEvent({exc.path!r}, {exc.reason!r})"


def afresh(raw: bytes) -> str:
    """The same, read without the kept values."""
    try:
        return repr(parsing._event(json.loads(raw)))
    except InvalidEvent as exc:
        return f"InvalidEvent({exc.path!r}, {exc.reason!r})"


def event(dataset_facets: dict[str, Any], job_facets: dict[str, Any] | None = None) -> bytes:
    return json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
        "run": {"runId": "3f1c0b6e-0000-4000-8000-000000000001"},
        "job": {"namespace": "ns", "name": "job", "facets": job_facets or {}},
        "inputs": [{"namespace": "postgres://db:5432", "name": "d.s.t", "facets": dataset_facets}],
    }).encode()


FACET = {"_producer": "p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SchemaDatasetFacet.json"}


@CHECKED
@given(event_json())
def test_a_repeated_event_parses_as_it_did_the_first_time(raw: bytes) -> None:
    first = outcome(raw)
    assert outcome(raw) == first == afresh(raw)


@CHECKED
@given(event_json(), st.sampled_from([True, False, 1, 0, 1.0, 0.0, -0.0, None]),
       st.sampled_from([True, False, 1, 0, 1.0, 0.0, -0.0, None]))
def test_values_equal_in_python_but_not_in_json_are_read_afresh(raw: bytes, one: Any, other: Any) -> None:
    data = json.loads(raw)
    for dataset in data.get("inputs") or []:
        dataset.setdefault("facets", {})["custom"] = {**FACET, "_deleted": one, "flag": one}
    first = json.dumps(data).encode()
    for dataset in data.get("inputs") or []:
        dataset["facets"]["custom"] = {**FACET, "_deleted": other, "flag": other}
    second = json.dumps(data).encode()
    assert outcome(first) == afresh(first)
    assert outcome(second) == afresh(second)


@pytest.mark.parametrize(("first", "second"), [
    ({"_deleted": True}, {"_deleted": 1}),  # deleted, then a facet whose _deleted is not a boolean
    ({"rows": 1}, {"rows": 1.0}),
    ({"rows": 1}, {"rows": True}),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
])
def test_pinned_look_alikes(first: dict[str, Any], second: dict[str, Any]) -> None:
    for facets in (first, second):
        raw = event({"custom": {**FACET, **facets}}, {"custom": {**FACET, **facets}})
        assert outcome(raw) == afresh(raw)
        assert outcome(raw) == afresh(raw)


def test_the_same_json_gives_the_same_values() -> None:
    raw = event({"schema": {**FACET, "fields": [{"name": "id", "type": "int"}]}})
    one, two = parse(raw), parse(raw)
    assert isinstance(one, RunEvent) and isinstance(two, RunEvent)
    assert one.run is not two.run  # runs differ from event to event: never kept
    assert one.job is two.job and one.inputs[0] is two.inputs[0]


def test_a_mapping_is_never_kept() -> None:
    """A caller's dict may change after parse: only what parse decoded itself is kept."""
    data = json.loads(event({}))
    first = parse(data)
    data["inputs"][0]["name"] = "d.s.other"
    second = parse(data)
    assert isinstance(first, RunEvent) and isinstance(second, RunEvent)
    assert first.inputs[0] is not second.inputs[0]
    assert second.inputs[0].name == "d.s.other"


def test_what_is_kept_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    repeats = parsing._Repeats()
    monkeypatch.setattr(parsing, "_REPEATS", repeats)
    monkeypatch.setattr(repeats, "BUDGET", 4096)
    for i in range(200):
        parse(event({"schema": {**FACET, "fields": [{"name": f"column_{i}", "type": "int"}]}}))
        assert repeats._size <= repeats.BUDGET + repeats.LARGEST
        assert sum(map(len, repeats.datasets)) + sum(map(len, repeats.jobs)) == repeats._size
    assert len(repeats.datasets) < 200


def test_a_bad_value_is_refused_every_time() -> None:
    raw = event({"schema": {**FACET, "fields": "not a list"}})
    for _ in range(2):
        with pytest.raises(InvalidEvent):
            parse(raw)
