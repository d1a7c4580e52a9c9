"""Every request body the core writes validates against OpenMetadata's own JSON schemas."""

from __future__ import annotations

from collections import Counter

import pytest

from corpus import CORPUS, corpus_events
from ol_om._demo import example_events
from ol_om_core import InvalidEvent, parse
from ol_om_core.config import TranslatorConfig
from ol_om_core.translate import Translator
from omschema import ENV_VAR, SPEC_DIR, available, get_validator

USAGE = TranslatorConfig(include_queries=True, include_usage=True)

if not available():
    pytest.skip(f"OpenMetadata JSON schemas not found at {SPEC_DIR}; set {ENV_VAR}", allow_module_level=True)


def _check(translator: Translator, raws: list[bytes | str | dict[str, object]]) -> Counter[str]:
    validator = get_validator()
    kinds: Counter[str] = Counter()
    failures = []
    for raw in raws:
        try:
            event = parse(raw)
        except InvalidEvent:
            continue
        for op in translator.translate(event).operations:
            kinds[op.kind] += 1
            errors = validator.errors(op.kind, dict(op.body))
            if errors:
                failures.append(f"{op.method} {op.path}: {errors}")
    assert not failures, "\n".join(failures[:20])
    return kinds


def test_demo_events_render_valid_requests() -> None:
    kinds = _check(Translator(), [r.value for r in example_events()])
    assert set(kinds) == {"pipeline_service", "pipeline", "pipeline_status", "lineage", "test_case",
                          "test_case_result"}


def test_demo_events_with_queries_and_usage_render_valid_requests() -> None:
    kinds = _check(Translator(USAGE), [r.value for r in example_events()])
    assert kinds["query"] >= 3 and kinds["usage"] >= 3


def test_every_corpus_event_renders_valid_requests() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    raws = [raw for _, _, status, raw in corpus_events() if status == "whole"]
    kinds = _check(Translator(), raws)
    assert kinds["lineage"] > 50 and kinds["pipeline_status"] > 50
    assert not kinds["query"] and not kinds["usage"]  # off unless configured
    kinds = _check(Translator(USAGE), raws)
    assert kinds["query"] > 5 and kinds["usage"] > 20
