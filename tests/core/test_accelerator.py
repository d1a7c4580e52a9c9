"""The ``fast`` extra (orjson decoding events) changes nothing but speed: every event parses to the same value,
every bad one is refused with the same path and reason, and the corpus and recordings translate to the same calls."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ol_om_core import InvalidEvent, parse
from ol_om_core.testing import event_json, malformed_events

pytest.importorskip("orjson", reason="the fast extra is not installed (./dev setup installs it)")
parsing = importlib.import_module("ol_om_core.parse")  # the module: the package exports the function as `parse`
CHECKED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def pure() -> Iterator[None]:
    """The pure path, as without the extra."""
    accelerator, parsing._fast_loads = parsing._fast_loads, None
    try:
        yield
    finally:
        parsing._fast_loads = accelerator


def outcome(raw: Any) -> str:
    """What parse makes of ``raw``, exactly: ``repr`` tells 1 from 1.0 and keeps every facet's value."""
    try:
        return repr(parse(raw))
    except InvalidEvent as exc:
        return f"InvalidEvent({exc.path!r}, {exc.reason!r})"


def both(raw: Any) -> tuple[str, str]:
    fast = outcome(raw)
    with pure():
        slow = outcome(raw)
    return fast, slow


def test_the_accelerator_is_in_use() -> None:
    assert parsing._fast_loads is not None


@CHECKED
@given(event_json())
def test_every_event_parses_the_same(raw: bytes) -> None:
    fast, slow = both(raw)
    assert fast == slow


@CHECKED
@given(malformed_events(), st.booleans())
def test_every_malformed_event_is_refused_the_same(malformed: Any, compact: bool) -> None:
    raw = json.dumps(malformed.event, separators=(",", ":") if compact else None).encode()
    fast, slow = both(raw)
    assert fast == slow
    assert fast.startswith("InvalidEvent"), malformed.corruption


EVENT = '{"eventTime":"2026-01-01T00:00:00Z","producer":"p","run":{"runId":"r","facets":{"x":%s}},' \
        '"job":{"namespace":"n","name":"j"}}'


@pytest.mark.parametrize("value", [
    "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890", "9223372036854775807",
    "NaN", "Infinity", "-Infinity", "1e400", "-0.0", "0.1000000000000000055511151231257827", "5e-324", "1E2",
    '"\\ud800"', '"\\udc00 after"', '"\\ud83d\\ude00"', '"\\\\ud800"', '"\\u0000"', "[" * 150 + "]" * 150,
    '"' + "1" * 40 + '"',
])
def test_what_orjson_reads_differently_takes_the_pure_path(value: str) -> None:
    raw = (EVENT % value).encode()
    fast, slow = both(raw)
    assert fast == slow


@pytest.mark.parametrize("raw", [
    b"\xef\xbb\xbf" + (EVENT % "1").encode(), (EVENT % '"\xed\xa0\x80"').encode("utf-8", "surrogatepass"),
    (EVENT % "1").encode() + b"\x00", b"", b"[1,2,]", bytearray((EVENT % "1").encode()),
    memoryview((EVENT % '"\xe2\x82\xac"').encode()),
])
def test_bad_bytes_are_refused_the_same(raw: bytes | bytearray | memoryview) -> None:
    fast, slow = both(raw)
    assert fast == slow


def test_the_corpus_and_recordings_translate_the_same() -> None:
    from test_golden_output import CONFIGS, corpus_input, producers_input, rendered

    from corpus import CORPUS

    events = producers_input() + (corpus_input() if CORPUS.is_dir() else [])
    events = [(position, raw if isinstance(raw, bytes | str) else json.dumps(raw).encode()) for position, raw in events]
    for config in CONFIGS.values():
        fast = list(rendered(events, config))
        with pure():
            slow = list(rendered(events, config))
        assert fast == slow
