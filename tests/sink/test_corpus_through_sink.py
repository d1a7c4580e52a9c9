"""The whole-event corpus through the sink into a stand-in that validates every body against OpenMetadata's
schemas and refuses what OpenMetadata would (unknown tasks in a status, unknown columns in lineage)."""

from __future__ import annotations

import json

import pytest

from builders import TOKEN, make_sink
from corpus import corpus_events
from ol_om_core.contract.sinks import Work
from ol_om_core.errors import InvalidEvent
from ol_om_core.parse import parse
from ol_om_core.translate import Translator
from ol_om_sink.testing import schemas
from ol_om_sink.testing.standin import OpenMetadataStandIn


def test_every_call_the_corpus_makes_is_accepted(corpus_dir):
    if not schemas.available():
        pytest.skip(f"OpenMetadata's schemas are not at {schemas.SPEC_DIR}; set {schemas.ENV_VAR}")
    events = []
    for _, _, status, raw in corpus_events():
        if status == "whole":
            try:
                events.append(parse(raw if isinstance(raw, (bytes, str)) else json.dumps(raw)))
            except InvalidEvent:
                continue
    translator = Translator()
    batch = [Work(f"corpus:{n}", translator.translate(e).operations) for n, e in enumerate(events)]
    with OpenMetadataStandIn(token=TOKEN, validate=True) as om:
        for work in batch:  # every dataset exists, with the columns the events name, as a catalogued estate
            for op in work.operations:
                for hint in op.entities:
                    om.seed_dataset(hint, _columns(batch, hint.fqn) if hint.type == "table" else None)
        sink = make_sink(om, unresolvedEntities="wait", waitTimeout=0)
        outcome = sink.deliver(batch)
        sink.close()
        assert not outcome.pending
        assert [d.reason for d in outcome.dead_letters] == []
        assert len(outcome.acknowledged) == len(batch) > 100
        assert len(om.edges()) > 50 and len(om.entities("pipeline")) > 30
        assert any(e["lineageDetails"].get("columnsLineage") for e in om.edges())
        refused = [r for r in om.requests if r[2] >= 400 and not (r[0] == "GET" and r[2] == 404)]
        assert refused == []


def _columns(batch: list[Work], table_fqn: str) -> list[str]:
    """Every column of ``table_fqn`` the batch's column lineage names, plus its schema facet's."""
    prefix = table_fqn + "."
    names: dict[str, None] = {}
    for work in batch:
        for op in work.operations:
            for hint in op.entities:
                if hint.fqn == table_fqn:
                    names.update(dict.fromkeys(name for name, _ in hint.columns))
            for entry in op.body.get("edge", {}).get("lineageDetails", {}).get("columnsLineage", ()):
                for column in [entry["toColumn"], *entry["fromColumns"]]:
                    if column.startswith(prefix):
                        names[column[len(prefix):].strip('"')] = None
    return list(names)
