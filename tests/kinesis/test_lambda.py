"""The Lambda handler's core: a Kinesis batch in, operations delivered, the first unfinished record reported."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from builders import PG, TOKEN, dataset, etl_events, event, seed_pg
from ol_om_core.contract.sinks import MemorySink
from ol_om_core.translate import Translator
from ol_om_kinesis import lambda_handler
from ol_om_kinesis.lambda_handler import process
from ol_om_kinesis.testing import aggregate
from ol_om_sink.testing.standin import OpenMetadataStandIn

SHARD = "shardId-000000000000"


def kinesis_record(data: bytes, seq: int) -> dict[str, Any]:
    """One record as AWS hands it to a function behind a Kinesis event-source mapping."""
    sequence = f"4960{seq:020d}"
    return {"eventSource": "aws:kinesis", "eventID": f"{SHARD}:{sequence}", "eventName": "aws:kinesis:record",
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "airflow:shop_dag", "sequenceNumber": sequence,
                        "data": base64.b64encode(data).decode(), "approximateArrivalTimestamp": 1.7e9}}


def encoded(events: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(e).encode() for e in events]


def batch(values: list[bytes]) -> list[dict[str, Any]]:
    return [kinesis_record(value, n) for n, value in enumerate(values, 1)]


def failures(result: dict[str, list[dict[str, str]]]) -> list[str]:
    return [item["itemIdentifier"] for item in result["batchItemFailures"]]


def test_all_good_no_failures() -> None:
    sink, records = MemorySink(), batch(encoded(etl_events()))
    assert process(records, Translator(), sink) == {"batchItemFailures": []}
    assert sink.acknowledged == [r["eventID"] for r in records]
    assert {op.kind for op in sink.operations} >= {"pipeline", "lineage"}


@pytest.mark.parametrize("poison", [b"not json", b'{"eventType": "START"}', b"\xff\xfe"])
def test_poison_in_the_middle_is_the_failure_item(poison: bytes) -> None:
    values = encoded(etl_events())
    records = batch([*values[:2], poison, *values[2:]])
    sink = MemorySink()
    result = process(records, Translator(), sink)
    assert failures(result) == [records[2]["kinesis"]["sequenceNumber"]]
    assert sink.acknowledged == [r["eventID"] for r in records[:2]]


def test_record_without_base64_data_is_the_failure_item() -> None:
    records = batch(encoded(etl_events()[:2]))
    records[1]["kinesis"]["data"] = "@@not base64@@"
    assert failures(process(records, Translator(), MemorySink())) == [records[1]["kinesis"]["sequenceNumber"]]


def test_retry_after_a_poison_record_delivers_the_rest() -> None:
    values = encoded(etl_events())
    records = batch([*values[:2], b"poison", *values[2:]])
    sink, translator = MemorySink(), Translator()
    process(records, translator, sink)
    # AWS gives up on the poison record (its retries or a bisect) and sends the records after it.
    assert process(records[3:], translator, sink) == {"batchItemFailures": []}
    reference = MemorySink()
    process(batch(values), Translator(), reference)
    assert {op.json for op in sink.operations} == {op.json for op in reference.operations}


def test_pending_sink_reports_the_first_record_of_the_batch() -> None:
    records = batch(encoded(etl_events()))
    sink, translator = MemorySink(), Translator()
    sink.hold(1)
    assert failures(process(records, translator, sink)) == [records[0]["kinesis"]["sequenceNumber"]]
    assert sink.operations == []
    # AWS retries the same records: the translator emits their operations again (the pipeline already whole,
    # as it knows every task by now), and all are delivered.
    assert process(records, translator, sink) == {"batchItemFailures": []}
    reference = MemorySink()
    process(records, Translator(), reference)
    assert same_effect(sink, reference)


def same_effect(sink: MemorySink, reference: MemorySink) -> bool:
    """The same lineage, and the same last word on each pipeline and each run status."""
    def last(memory: MemorySink) -> dict[tuple[str, str], str]:
        return {(op.kind, op.path): op.json for op in memory.operations if op.kind != "lineage"}

    def lineage(memory: MemorySink) -> set[str]:
        return {op.json for op in memory.operations if op.kind == "lineage"}

    return last(sink) == last(reference) and lineage(sink) == lineage(reference)


def test_pending_sink_with_a_poison_record_reports_the_earlier_record() -> None:
    values = encoded(etl_events())
    records = batch([*values[:3], b"poison"])
    sink = MemorySink()
    sink.hold(1)
    assert failures(process(records, Translator(), sink)) == [records[0]["kinesis"]["sequenceNumber"]]


def test_pending_is_retried_while_the_invocation_has_time() -> None:
    records = batch(encoded(etl_events()))
    sink = MemorySink()
    sink.hold(1, retry_after=0.01)
    assert process(records, Translator(), sink, time_left=lambda: 300.0) == {"batchItemFailures": []}
    assert len(sink.acknowledged) == len(records)


def test_aggregated_records_are_all_processed() -> None:
    values = encoded(etl_events())
    records = [kinesis_record(aggregate(values[:3]), 1), kinesis_record(values[3], 2),
               kinesis_record(aggregate(values[4:]), 3)]
    sink = MemorySink()
    assert process(records, Translator(), sink) == {"batchItemFailures": []}
    first = records[0]["eventID"]
    assert sink.acknowledged == [f"{first}/0", f"{first}/1", f"{first}/2", records[1]["eventID"],
                                 records[2]["eventID"]]
    reference = MemorySink()
    process(batch(values), Translator(), reference)
    assert [op.json for op in sink.operations] == [op.json for op in reference.operations]


def test_poison_inside_an_aggregate_fails_the_whole_record_and_its_work_is_emitted_again() -> None:
    values = encoded(etl_events())
    records = [kinesis_record(values[0], 1), kinesis_record(aggregate([values[1], b"poison"]), 2)]
    sink, translator = MemorySink(), Translator()
    assert failures(process(records, translator, sink)) == [records[1]["kinesis"]["sequenceNumber"]]
    assert sink.acknowledged == [records[0]["eventID"]]
    # The good half of the aggregate was translated but not delivered: resent alone, it is emitted again.
    process([kinesis_record(values[1], 3)], translator, sink)
    assert sink.operations


@pytest.fixture
def container() -> Iterator[None]:
    lambda_handler.reset()
    yield
    lambda_handler.reset()


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 0


def test_handler_against_the_standin(monkeypatch: pytest.MonkeyPatch, container: None) -> None:
    with OpenMetadataStandIn(token=TOKEN) as om:
        seed_pg(om)
        monkeypatch.delenv("OL_OM_CONFIG", raising=False)
        monkeypatch.setenv("OPENMETADATA_HOST_PORT", om.url)
        monkeypatch.setenv("OPENMETADATA_JWT_TOKEN", TOKEN)
        values = encoded(etl_events())
        records = batch([*values, b"poison", json.dumps(event("other", outputs=[dataset(PG, "x")])).encode()])
        result = lambda_handler.handler({"Records": records}, Context())
        assert failures(result) == [records[len(values)]["kinesis"]["sequenceNumber"]]
        first = lambda_handler.setup()
        assert lambda_handler.handler({"Records": records[:1]}, Context()) == {"batchItemFailures": []}
        assert lambda_handler.setup() is first  # built once per container
        assert om.entity("pipeline", "openlineage.airflow-shop_dag") is not None
        assert len(om.edges()) == 2
        assert om.entity("pipeline", "openlineage.airflow-other") is None  # after the failure item: not yet processed
