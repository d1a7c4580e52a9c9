"""Data quality in the core: dataQualityAssertions → test definitions, test cases and a result per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builders import PG, dataset, event
from checks import check_subject
from ol_om_core import configfile, quality
from ol_om_core.config import TranslatorConfig
from ol_om_core.operations import Operation
from ol_om_core.parse import parse
from ol_om_core.translate import Translator

ORDERS = "postgres.shop.public.orders"
DBT = {"_producer": "p", "_schemaURL": "s", "processingType": "BATCH", "integration": "DBT", "jobType": "TEST"}
RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "producers" / "dbt"


def checked(items: list[dict[str, Any]], where: str = "inputFacets", *, integration: dict[str, Any] | None = None,
            event_type: str = "COMPLETE", run_id: str | None = None) -> dict[str, Any]:
    """A TEST job run that checked postgres' shop.public.orders and reported ``items``."""
    tested = dataset(PG, "shop.public.orders", fields=["id", "status"])
    tested[where] = {**tested.get(where, {}), "dataQualityAssertions": {
        "_producer": "p", "_schemaURL": "s", "assertions": items}}
    return event("orders.test", event_type, run_id, inputs=[tested], namespace="dbt",
                 job_facets={"jobType": integration or DBT})


def ops(*events: dict[str, Any], config: TranslatorConfig | None = None) -> list[Operation]:
    translator = Translator(config)
    out = [op for e in events for op in translator.translate(parse(e)).operations]
    for op in out:
        check_subject(op)
    return out


def of(kind: str, operations: list[Operation]) -> list[Operation]:
    return [op for op in operations if op.kind == kind]


NOT_NULL = {"assertion": "not_null", "column": "id", "success": True, "name": "not_null_orders_id",
            "actual": "0", "expected": "0", "severity": "error"}
ACCEPTED = {"assertion": "accepted_values", "column": "status", "success": False, "name": "accepted_values_status",
            "actual": "2", "expected": "0"}
SINGULAR = {"assertion": "orders_positive", "success": True, "name": "orders_positive"}


def test_each_assertion_is_a_test_case_on_its_column_or_table_with_a_fitting_definition() -> None:
    cases = {op.body["name"]: op.body for op in of("test_case", ops(checked([NOT_NULL, ACCEPTED, SINGULAR])))}
    assert cases["not_null_orders_id"] == {
        "name": "not_null_orders_id", "displayName": "not_null_orders_id",
        "description": "`not_null` on column `id`, as DBT reports it through OpenLineage.",
        "testDefinition": "columnValuesToBeNotNull", "entityLink": f"<#E::table::{ORDERS}::columns::id>"}
    assert cases["accepted_values_status"]["testDefinition"] == "dbtColumnTest"  # no values: not columnValuesToBeInSet
    assert cases["orders_positive"]["testDefinition"] == "dbtTest"
    assert cases["orders_positive"]["entityLink"] == f"<#E::table::{ORDERS}>"


def test_definitions_ol_om_makes_are_written_and_the_built_in_ones_are_not() -> None:
    definitions = of("test_definition", ops(checked([NOT_NULL, ACCEPTED, SINGULAR])))
    assert [(d.body["name"], d.body["entityType"], d.body["testPlatforms"]) for d in definitions] == [
        ("dbtColumnTest", "COLUMN", ["DBT"]), ("dbtTest", "TABLE", ["DBT"])]
    cases = {op.body["name"]: op for op in of("test_case", ops(checked([NOT_NULL, SINGULAR])))}
    assert cases["not_null_orders_id"].depends_on == ""
    assert cases["orders_positive"].depends_on == "dbtTest"


def test_accepted_values_with_its_values_is_columns_values_to_be_in_set() -> None:
    item = {**ACCEPTED, "params": {"values": ["paid", "refunded"]}}
    [case] = of("test_case", ops(checked([item])))
    assert case.body["testDefinition"] == quality.IN_SET
    assert case.body["parameterValues"] == [{"name": "allowedValues", "value": '["paid", "refunded"]'}]


def test_the_terminal_event_writes_one_result_per_assertion_at_its_time() -> None:
    run = "01a23f42-a8f0-79b5-9c66-d99476fc3d4c"
    start = checked([NOT_NULL, ACCEPTED], event_type="START", run_id=run)
    end = checked([NOT_NULL, ACCEPTED], event_type="FAIL", run_id=run)
    end["eventTime"] = "2026-11-23T10:00:05.123Z"
    written = ops(start, end)
    results = {op.depends_on: op.body for op in of("test_case_result", written)}
    assert not of("test_case_result", ops(start)), "no result before the run ends"
    assert results[f"{ORDERS}.status.accepted_values_status"] == {
        "timestamp": 1795428005123, "testCaseStatus": "Failed",
        "result": "accepted_values failed: actual 2, expected 0",
        "testResultValue": [{"name": "actual", "value": "2"}, {"name": "expected", "value": "0"}]}
    assert results[f"{ORDERS}.id.not_null_orders_id"]["testCaseStatus"] == "Success"
    assert len(of("test_case", written)) == 2, "a test case is written once"


def test_a_terminal_event_without_assertions_uses_those_its_run_reported_before() -> None:
    run = "01a23f42-a8f0-79b5-9c66-d99476fc3d4d"
    start = checked([ACCEPTED], event_type="START", run_id=run)
    end = event("orders.test", "COMPLETE", run, inputs=[dataset(PG, "shop.public.orders")], namespace="dbt",
                job_facets={"jobType": DBT})
    [result] = of("test_case_result", ops(start, end))
    assert result.body["testCaseStatus"] == "Failed"


@pytest.mark.parametrize(("item", "event_type", "integration", "expected"), [
    pytest.param(NOT_NULL, "ABORT", DBT, "Aborted", id="aborted-run"),
    pytest.param({**ACCEPTED, "actual": None}, "FAIL", DBT, "Aborted", id="dbt-skipped-no-actual"),
    pytest.param({**ACCEPTED, "actual": None}, "COMPLETE", {**DBT, "integration": "GREAT_EXPECTATIONS"}, "Failed",
                 id="others-failed-without-actual"),
    pytest.param(ACCEPTED, "COMPLETE", DBT, "Failed", id="failed"),
    pytest.param(NOT_NULL, "COMPLETE", DBT, "Success", id="passed"),
])
def test_status(item: dict[str, Any], event_type: str, integration: dict[str, Any], expected: str) -> None:
    [result] = of("test_case_result", ops(checked([item], event_type=event_type, integration=integration)))
    assert result.body["testCaseStatus"] == expected


def test_assertions_in_the_dataset_facets_and_great_expectations_own_facet_count_too() -> None:
    assert len(of("test_case", ops(checked([NOT_NULL], where="facets")))) == 1
    tested = dataset(PG, "shop.public.orders")
    tested["inputFacets"] = {"greatExpectations_assertions": {"assertions": [
        {"expectationType": "expect_column_values_to_not_be_null", "column": "id", "success": True},
        {"expectationType": "expect_table_row_count_to_be_between", "success": False}]}}
    ge = {**DBT, "integration": "GREAT_EXPECTATIONS", "jobType": "JOB"}
    written = ops(event("ge", inputs=[tested], namespace="ge", job_facets={"jobType": ge}))
    cases = {op.body["name"]: op.body["testDefinition"] for op in of("test_case", written)}
    assert cases == {"expect_column_values_to_not_be_null_id": "columnValuesToBeNotNull",
                     "expect_table_row_count_to_be_between": "greatExpectationsTest"}
    assert [d.body["testPlatforms"] for d in of("test_definition", written)] == [["GreatExpectations"]]
    assert [r.body["testCaseStatus"] for r in of("test_case_result", written)] == ["Success", "Failed"]


def test_names_and_columns_an_entity_link_cannot_hold() -> None:
    odd = {"assertion": "custom", "column": "a::b", "success": True, "name": "x::y"}
    [case] = of("test_case", ops(checked([odd])))
    assert case.body["name"] == "x__y"
    assert case.body["entityLink"] == f"<#E::table::{ORDERS}>" and case.body["testDefinition"] == "dbtTest"
    assert quality.test_case_fqn("svc.db.s.t", "a.b", "n.1") == 'svc.db.s.t."a.b"."n.1"'


def test_malformed_assertions_and_non_table_datasets_are_left_out() -> None:
    # the dataset facet (where parsing does not check the standard input facet shape)
    assert not of("test_case", ops(checked([{"assertion": "", "success": True}, {"assertion": "x"}, "nope"], "facets")))
    tested = dataset("kafka://b:9092", "orders")
    tested["inputFacets"] = {"dataQualityAssertions": {"assertions": [NOT_NULL]}}
    assert not of("test_case", ops(event("t", inputs=[tested], job_facets={"jobType": DBT})))


def test_a_test_job_writes_no_lineage_and_the_switch_turns_quality_off() -> None:
    written = ops(checked([NOT_NULL]))
    assert not of("lineage", written), "a test reads the table it checks and makes nothing"
    assert not [op for op in ops(checked([NOT_NULL]), config=TranslatorConfig(include_data_quality=False))
                if op.kind.startswith("test")]


def test_recorded_dbt_test_run_every_test_of_the_project() -> None:
    lines = [json.loads(line) for line in (RECORDINGS / "test.jsonl").read_text().splitlines() if line]
    written = ops(*lines)
    statuses = {op.depends_on.rsplit(".", 1)[1]: op.body["testCaseStatus"] for op in of("test_case_result", written)}
    assert statuses == {"not_null_customer_revenue_customer_id": "Success", "revenue_is_positive": "Success",
                        "relationships_customer_revenue_customer_id__customer_id__ref_stg_customers_": "Success",
                        "accepted_values_stg_orders_status__paid": "Failed", "not_null_stg_orders_order_id": "Success",
                        "unique_stg_orders_order_id": "Success"}
    assert not of("lineage", written), "dbt test jobs read; the models' runs write the lineage"


def test_the_switch_is_on_by_default_and_read_from_both_config_shapes() -> None:
    assert TranslatorConfig().include_data_quality
    short = configfile.settings_from({"translate": {"includeDataQuality": False}})
    assert not short.translator.include_data_quality
    workflow = configfile.settings_from({"source": {"type": "openlineage", "serviceConnection": {"config": {}},
                                                    "sourceConfig": {"config": {"includeDataQuality": False}}}})
    assert not workflow.translator.include_data_quality
    with pytest.raises(configfile.ConfigError, match=r"source\.serviceConnection\.config\.includeDataQuality"):
        configfile.settings_from({"source": {"type": "openlineage", "serviceConnection": {"config": {
            "includeDataQuality": False}}}})


# The spec's example facet (DataQualityMetricsInputDatasetFacet 1-0-3), as Great Expectations reports a table.
METRICS = {"_producer": "p", "_schemaURL": "s", "rowCount": 10, "bytes": 1024, "fileCount": 5,
           "columnMetrics": {"amount": {"count": 10, "max": 1500, "min": 100, "sum": 6600},
                             "counterparty_id": {"nullCount": 0}, "user_id": {"distinctCount": 3, "nullCount": 0},
                             "skipped": {"quantiles": {"0.5": 1}}}}


def test_metrics_are_the_tables_profile_at_the_events_time() -> None:
    measured = dataset(PG, "shop.public.orders")
    measured["inputFacets"] = {"dataQualityMetrics": METRICS}
    [profile] = of("table_profile", ops(event("ge", inputs=[measured], namespace="ge")))
    at = 1795428000000
    assert profile.body == {"tableProfile": {"timestamp": at, "rowCount": 10}, "columnProfile": [
        {"name": "amount", "timestamp": at, "sum": 6600, "valuesCount": 10},
        {"name": "counterparty_id", "timestamp": at, "nullCount": 0},
        {"name": "user_id", "timestamp": at, "nullCount": 0, "distinctCount": 3}]}
    assert profile.path == f"/v1/tables/name/{ORDERS}/tableProfile"  # the sink puts the table's id there
    off = TranslatorConfig(include_data_quality=False)
    assert not of("table_profile", ops(event("ge", inputs=[measured], namespace="ge"), config=off))
