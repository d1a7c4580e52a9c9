"""The shared corpus of real OpenLineage events (../shared/corpus, INDEX.md) through parse and translate.

- every whole event parses (one test per ``file#index``, so a failure names the event);
- every event under ``invalid/`` is rejected with :class:`InvalidEvent`, naming a path and a reason;
- templated and partial events either parse or are rejected with :class:`InvalidEvent`: nothing else escapes;
- one :class:`Translator` fed every whole event in corpus order raises nothing and emits only REST calls.
"""

from __future__ import annotations

from typing import Any

import pytest

from checks import check_translation
from corpus import CORPUS, SKIP_REASON, corpus_events
from ol_om_core import InvalidEvent, parse
from ol_om_core.model import DatasetEvent, JobEvent, RunEvent
from ol_om_core.translate import Translator

if not CORPUS.is_dir():
    pytest.skip(SKIP_REASON, allow_module_level=True)

EVENTS = list(corpus_events())


def _params(*statuses: str) -> list[Any]:
    return [pytest.param(raw, id=f"{path}#{index}") for path, index, status, raw in EVENTS if status in statuses]


def test_the_corpus_has_every_kind_of_event() -> None:
    statuses = {status for _, _, status, _ in EVENTS}
    assert statuses == {"whole", "partial", "templated", "invalid"}, f"{CORPUS}: found only {statuses}"


@pytest.mark.parametrize("raw", _params("whole"))
def test_whole_event_parses(raw: Any) -> None:
    assert isinstance(parse(raw), RunEvent | JobEvent | DatasetEvent)


@pytest.mark.parametrize("raw", _params("invalid"))
def test_invalid_event_is_rejected_with_a_path_and_reason(raw: Any) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse(raw)
    assert caught.value.path.startswith("$"), caught.value.path
    assert caught.value.reason.strip()


@pytest.mark.parametrize("raw", _params("templated", "partial"))
def test_templated_or_partial_event_parses_or_is_rejected(raw: Any) -> None:
    try:
        event = parse(raw)
    except InvalidEvent as exc:
        assert exc.path.startswith("$"), exc.path
        assert exc.reason.strip()
    else:
        assert isinstance(event, RunEvent | JobEvent | DatasetEvent)


def _translate_in_order(statuses: set[str]) -> tuple[int, list[str]]:
    """One translator, fed every parseable event of ``statuses`` in corpus order; the failures, by event."""
    translator = Translator()
    translated, failures = 0, []
    for path, index, status, raw in EVENTS:
        if status not in statuses:
            continue
        try:
            event = parse(raw)
        except InvalidEvent:
            continue  # the tests above judge parsing
        try:
            check_translation(translator.translate(event))
        except Exception as exc:
            failures.append(f"{path}#{index}: {type(exc).__name__}: {exc}")
        translated += 1
    return translated, failures


def test_whole_corpus_translates_in_order_through_one_translator() -> None:
    translated, failures = _translate_in_order({"whole"})
    assert not failures, "\n".join(failures)
    assert translated == sum(1 for *_, status, _ in EVENTS if status == "whole")


def test_parseable_templated_and_partial_events_translate_too() -> None:
    translated, failures = _translate_in_order({"templated", "partial"})
    assert not failures, "\n".join(failures)
    assert translated > 0
