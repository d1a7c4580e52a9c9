"""What OpenMetadata holds after real producers' recorded events (tests/fixtures/producers, their versions in
VERSIONS.json): one pipeline per DAG / dbt project, one task per Airflow task / dbt node, every finished run
terminal and right, owners and tags, edges with their columns and pipeline. Through the sink into the stand-in,
and end to end through the HTTP receiver with openlineage-python's HTTP transport."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.transport.http import HttpConfig, HttpTransport

from builders import TOKEN, make_sink
from ol_om import Runner
from ol_om.sources import HttpSettings, HttpSource
from ol_om_core.contract.sinks import Work
from ol_om_core.parse import parse
from ol_om_core.translate import Translator
from ol_om_sink.testing import schemas
from ol_om_sink.testing.standin import OpenMetadataStandIn

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "producers"
AIRFLOW = "airflow_openlineage"


def recorded(producer: str, scenario: str) -> list[bytes]:
    return [line for line in (RECORDINGS / producer / f"{scenario}.jsonl").read_bytes().splitlines() if line]


def estate(om: OpenMetadataStandIn, lines: list[bytes]) -> None:
    """What a catalogued estate holds: every table the events name (with their columns), the owners' teams."""
    translator = Translator()
    ops = [op for line in lines for op in translator.translate(parse(line)).operations]
    columns: dict[str, dict[str, None]] = {}  # table -> every column the events name (schema, column lineage)
    for op in ops:
        for hint in op.entities:
            columns.setdefault(hint.fqn, {}).update(dict.fromkeys(name for name, _ in hint.columns))
        for entry in op.body.get("edge", {}).get("lineageDetails", {}).get("columnsLineage", ()):
            for column in [entry["toColumn"], *entry["fromColumns"]]:
                table, _, name = column.rpartition(".")
                columns.setdefault(table, {})[name] = None
    for op in ops:
        for hint in op.entities:
            om.seed_dataset(hint, list(columns[hint.fqn]) if hint.type == "table" else None)
    om.seed_owner("data-eng", "team")
    om.seed_owner("data-platform", "team")


@pytest.fixture
def om() -> Iterator[OpenMetadataStandIn]:
    with OpenMetadataStandIn(token=TOKEN, validate=schemas.available()) as server:
        yield server


def deliver(om: OpenMetadataStandIn, *scenarios: tuple[str, str]) -> None:
    lines = [line for producer, scenario in scenarios for line in recorded(producer, scenario)]
    estate(om, lines)
    translator, sink = Translator(), make_sink(om)
    try:
        for n, line in enumerate(lines):  # one event a batch, as `ol-om serve` often gets them
            outcome = sink.deliver([Work(f"rec:{n}", translator.translate(parse(line)).operations)])
            assert not outcome.dead_letters, [d.reason for d in outcome.dead_letters]
            assert not outcome.pending
    finally:
        sink.close()
    refused = [r for r in om.requests if r[2] >= 400 and not (r[0] == "GET" and r[2] == 404)]
    assert refused == []


def pipeline(om: OpenMetadataStandIn, fqn: str) -> dict[str, Any]:
    found = [p for p in om.entities("pipeline") if p["fullyQualifiedName"] == fqn]
    assert found, f"no pipeline {fqn}; OpenMetadata holds {[p['fullyQualifiedName'] for p in om.entities('pipeline')]}"
    return found[0]


def only_run(om: OpenMetadataStandIn, fqn: str) -> dict[str, Any]:
    statuses = om.statuses(fqn)
    assert len(statuses) == 1, "one DAG run is one status record"
    return statuses[0]


def task_states(status: dict[str, Any]) -> dict[str, str]:
    return {t["name"]: t["executionStatus"] for t in status["taskStatus"]}


def test_airflow_success_one_pipeline_tasks_owner_tags_and_column_lineage(om: OpenMetadataStandIn) -> None:
    deliver(om, ("airflow", "orders_etl"))
    assert [p["fullyQualifiedName"] for p in om.entities("pipeline")] == [f"{AIRFLOW}.prod-orders_etl"]
    dag = pipeline(om, f"{AIRFLOW}.prod-orders_etl")
    assert sorted(t["name"] for t in dag["tasks"]) == ["archive", "extract", "load", "report"]  # no query.1
    tasks = {t["name"]: t for t in dag["tasks"]}
    assert "CREATE TABLE analytics.order_totals" in tasks["load"]["taskSQL"]
    assert dag["description"] == "Daily order totals per customer."
    assert dag["scheduleInterval"] == "0 0 * * *"  # @daily, as Airflow 3 summarises it
    ui = "http://127.0.0.1:58089/dags/orders_etl"  # Airflow's UI, from the tries' log_url
    assert dag["sourceUrl"] == ui and {t["name"]: t["sourceUrl"] for t in dag["tasks"]} == {
        name: f"{ui}/tasks/{name}" for name in ("archive", "extract", "load", "report")}
    assert [(o["type"], o["name"]) for o in dag["owners"]] == [("team", "data-eng")]  # no user data-eng: the team
    assert {t["tagFQN"] for t in dag["tags"]} == {"OpenLineage.finance", "OpenLineage.tier:gold"}
    run = only_run(om, f"{AIRFLOW}.prod-orders_etl")
    assert run["executionStatus"] == "Successful"
    assert task_states(run) == dict.fromkeys(["archive", "extract", "load", "report"], "Successful")
    for task in run["taskStatus"]:  # Airflow's log of the try, where OpenMetadata shows a task run's log
        assert task["logLink"].startswith("http://") and "/dags/orders_etl/runs/" in task["logLink"]
        assert task["logLink"].endswith(f"/tasks/{task['name']}?try_number=1")
    edges = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]): e["lineageDetails"]
             for e in om.edges()}
    totals = "postgres.shop.analytics.order_totals"
    assert {"postgres.shop.raw.orders", "postgres.shop.raw.customers"} <= {src for src, dst in edges if dst == totals}
    assert {d["pipeline"]["fullyQualifiedName"] for d in edges.values()} == {f"{AIRFLOW}.prod-orders_etl"}
    columns = edges[("postgres.shop.raw.orders", totals)]["columnsLineage"]
    assert {"toColumn": f"{totals}.total", "fromColumns": ["postgres.shop.raw.orders.amount"]} in [
        {"toColumn": c["toColumn"], "fromColumns": c["fromColumns"]} for c in columns]


def test_airflow_failure_the_failed_task_and_the_task_that_never_ran(om: OpenMetadataStandIn) -> None:
    deliver(om, ("airflow", "orders_fail"))
    dag = pipeline(om, f"{AIRFLOW}.prod-orders_fail")
    assert sorted(t["name"] for t in dag["tasks"]) == ["broken", "choose", "extract", "full_refresh", "incremental",
                                                       "publish"]
    assert [(o["type"], o["name"]) for o in dag["owners"]] == [("team", "data-platform")]
    assert "scheduleInterval" not in dag  # schedule=None
    run = only_run(om, f"{AIRFLOW}.prod-orders_fail")
    assert run["executionStatus"] == "Failed"
    assert task_states(run) == {"extract": "Successful", "choose": "Successful", "incremental": "Successful",
                                "broken": "Failed", "full_refresh": "Skipped", "publish": "Skipped"}


def test_airflow_a_retry_that_succeeds_is_successful(om: OpenMetadataStandIn) -> None:
    deliver(om, ("airflow", "orders_retry"))
    run = only_run(om, f"{AIRFLOW}.prod-orders_retry")
    assert run["executionStatus"] == "Successful"
    assert task_states(run) == {"flaky": "Successful"}
    assert run["taskStatus"][0]["logLink"].endswith("try_number=2"), "the log of the try that counts"


def test_airflow_a_cleared_rerun_is_successful(om: OpenMetadataStandIn) -> None:
    """Airflow keeps the DAG run's and the tasks' run ids when a run is cleared and run again."""
    deliver(om, ("airflow", "orders_rerun"))
    run = only_run(om, f"{AIRFLOW}.prod-orders_rerun")
    assert run["executionStatus"] == "Successful"
    assert task_states(run) == {"prepare": "Successful", "needs_fix": "Successful"}


def test_airflow_every_recording_end_to_end_through_the_http_receiver(om: OpenMetadataStandIn,
                                                                       tmp_path: Path) -> None:
    """openlineage-python's HTTP transport, one event a request as Airflow sends them, into the receiver,
    the runner and the sink: what OpenMetadata holds is what the sink alone gives."""
    scenarios = ["orders_etl", "orders_fail", "orders_retry", "orders_rerun"]
    lines = [line for s in scenarios for line in recorded("airflow", s)]
    estate(om, lines)
    source = HttpSource(HttpSettings(port=0, spool_dir=str(tmp_path / "spool"), token=TOKEN))
    sink = make_sink(om)
    runner = Runner(Translator(), sink, stop=source.stop)
    thread = threading.Thread(target=runner.run, args=(source, 3600.0), daemon=True)
    thread.start()
    transport = HttpTransport(HttpConfig.from_dict({"url": source.url, "auth": {"type": "api_key",
                                                                                 "apiKey": TOKEN}}))
    try:
        for line in lines:
            assert transport.emit(json.loads(line)).status_code == 201  # type: ignore[arg-type]
        deadline = time.monotonic() + 30
        while source.lag() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert source.lag() == 0
    finally:
        transport.close()
        source.stop.set()
        thread.join(30)
        source.close()
        sink.close()
    assert sorted(p["name"] for p in om.entities("pipeline")) == [f"prod-{s}" for s in sorted(scenarios)]
    expected = {"orders_etl": "Successful", "orders_fail": "Failed", "orders_retry": "Successful",
                "orders_rerun": "Successful"}
    assert {s: only_run(om, f"{AIRFLOW}.prod-{s}")["executionStatus"] for s in scenarios} == expected
    assert task_states(only_run(om, f"{AIRFLOW}.prod-orders_fail"))["publish"] == "Skipped"


DBT = "dbt_openlineage.dbt-shop-dbt-run-shop_analytics"
MODELS = ["model.shop_analytics.customer_revenue", "model.shop_analytics.stg_customers",
          "model.shop_analytics.stg_orders"]


def test_dbt_run_one_pipeline_a_task_per_model_tags_owner_and_column_lineage(om: OpenMetadataStandIn) -> None:
    om.seed_owner("ana")
    deliver(om, ("dbt", "run"))
    assert [p["fullyQualifiedName"] for p in om.entities("pipeline")] == [DBT]
    project = pipeline(om, DBT)
    assert sorted(t["name"] for t in project["tasks"]) == MODELS
    revenue = {t["name"]: t for t in project["tasks"]}["model.shop_analytics.customer_revenue"]
    assert {t["tagFQN"] for t in revenue["tags"]} == {"dbtTags.finance", "dbtTags.pii"}
    assert [(o["type"], o["name"]) for o in project["owners"]] == [("user", "ana")]
    assert [(o["type"], o["id"]) for o in revenue["owners"]] == [("user", project["owners"][0]["id"])]
    run = only_run(om, DBT)
    assert run["executionStatus"] == "Successful"
    assert task_states(run) == dict.fromkeys(MODELS, "Successful")
    revenue_edges = [e for e in om.edges()
                     if e["toEntity"]["fullyQualifiedName"] == "postgres.shop.analytics.customer_revenue"]
    assert revenue_edges and all(e["lineageDetails"]["columnsLineage"] for e in revenue_edges)


def test_dbt_every_command_is_the_same_pipeline_and_tasks_and_keeps_the_column_lineage(
        om: OpenMetadataStandIn) -> None:
    """run, then test, build and structured-log mode (which sends no column lineage): one pipeline, one task per
    node (a model's generic tests one more), and no edge loses the columns an earlier run wrote."""
    om.seed_owner("ana")
    deliver(om, ("dbt", "run"))
    columns = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]):
               e["lineageDetails"].get("columnsLineage", []) for e in om.edges()}
    deliver(om, ("dbt", "test"), ("dbt", "build"), ("dbt", "run_structured_logs"))
    assert [p["fullyQualifiedName"] for p in om.entities("pipeline")] == [DBT]
    names = sorted(t["name"] for t in pipeline(om, DBT)["tasks"])
    assert names == sorted([*MODELS, *(f"{m}.tests" for m in MODELS), "test.shop_analytics.revenue_is_positive"])
    after = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]):
             e["lineageDetails"].get("columnsLineage", []) for e in om.edges()}
    for edge, held in columns.items():
        assert {c["toColumn"] for c in held} <= {c["toColumn"] for c in after[edge]}, edge
    runs = {s["executionId"]: s for s in om.statuses(DBT)}
    assert len(runs) == 4, "one status record per dbt invocation"
    assert sorted(s["executionStatus"] for s in runs.values()) == ["Failed", "Failed", "Successful", "Successful"]


# The project's tests (project/models/schema.yml and tests/): five generic ones, one singular.
DBT_TESTS = {
    "postgres.shop.analytics.stg_orders.order_id.not_null_stg_orders_order_id": "columnValuesToBeNotNull",
    "postgres.shop.analytics.stg_orders.order_id.unique_stg_orders_order_id": "columnValuesToBeUnique",
    "postgres.shop.analytics.stg_orders.status.accepted_values_stg_orders_status__paid": "dbtColumnTest",
    "postgres.shop.analytics.customer_revenue.customer_id.not_null_customer_revenue_customer_id":
        "columnValuesToBeNotNull",
    # dbt-ol 1.54 reports the relationships test in the TEST job of the model it refers to (stg_customers)
    "postgres.shop.analytics.stg_customers.customer_id."
    "relationships_customer_revenue_customer_id__customer_id__ref_stg_customers_": "dbtColumnTest",
    "postgres.shop.analytics.customer_revenue.revenue_is_positive": "dbtTest",
}
FAILING = "postgres.shop.analytics.stg_orders.status.accepted_values_stg_orders_status__paid"


def latest(om: OpenMetadataStandIn) -> dict[str, str]:
    return {c["fullyQualifiedName"]: c["testCaseResult"]["testCaseStatus"] for c in om.test_cases()}


def test_dbt_tests_are_test_cases_in_their_tables_suites_with_a_failed_result_for_the_failing_one(
        om: OpenMetadataStandIn) -> None:
    deliver(om, ("dbt", "run"), ("dbt", "test"))
    cases = {c["fullyQualifiedName"]: c for c in om.test_cases()}
    assert {fqn: c["testDefinition"]["name"] for fqn, c in cases.items()} == DBT_TESTS
    assert latest(om) == {fqn: "Failed" if fqn == FAILING else "Success" for fqn in DBT_TESTS}
    [result] = om.test_case_results(FAILING)
    assert result["testCaseStatus"] == "Failed" and result["result"] == \
        "accepted_values failed: actual 1, expected 0 (severity error)"
    assert result["testResultValue"] == [{"name": "actual", "value": "1"}, {"name": "expected", "value": "0"}]
    for fqn, case in cases.items():  # each in its table's basic suite, which the server made
        table = case["entityLink"].removeprefix("<#E::table::").split("::")[0].removesuffix(">")
        assert fqn.startswith(table + ".") and case["testSuite"]["fullyQualifiedName"] == f'"{table}.testSuite"'
    tested = {c["entityLink"].removeprefix("<#E::table::").split("::")[0].removesuffix(">") for c in cases.values()}
    assert not [e for e in om.edges() if e["fromEntity"]["fullyQualifiedName"] in tested
                and e["toEntity"]["type"] == "pipeline"], "a test job reads; it writes no table → pipeline edge"


def test_dbt_build_the_skipped_tests_are_aborted_and_a_replay_adds_nothing(om: OpenMetadataStandIn) -> None:
    deliver(om, ("dbt", "run"), ("dbt", "build"))
    statuses = latest(om)
    assert statuses[FAILING] == "Failed"
    # dbt skipped customer_revenue (its upstream test failed) and the tests on it: dbt-ol says failed, no result
    assert statuses["postgres.shop.analytics.customer_revenue.revenue_is_positive"] == "Aborted"
    assert statuses["postgres.shop.analytics.stg_orders.order_id.unique_stg_orders_order_id"] == "Success"
    before = {fqn: om.test_case_results(fqn) for fqn in statuses}
    om.reset_requests()
    translator, sink = Translator(), make_sink(om)  # another process: nothing cached
    try:
        for n, line in enumerate(recorded("dbt", "build")):
            outcome = sink.deliver([Work(f"again:{n}", translator.translate(parse(line)).operations)])
            assert not outcome.dead_letters and not outcome.pending
    finally:
        sink.close()
    assert {fqn: om.test_case_results(fqn) for fqn in statuses} == before, "OpenMetadata keys results by time"
    replayed = [status for method, path, status in om.requests if "/testCaseResults/" in path and method == "POST"]
    assert replayed and set(replayed) == {409}


def test_dbt_structured_logs_one_job_per_test_the_same_test_cases(om: OpenMetadataStandIn) -> None:
    deliver(om, ("dbt", "run"), ("dbt", "build_structured_logs"))
    statuses = latest(om)
    assert set(statuses) == set(DBT_TESTS) - {
        "postgres.shop.analytics.stg_customers.customer_id."
        "relationships_customer_revenue_customer_id__customer_id__ref_stg_customers_"} | {
        "postgres.shop.analytics.customer_revenue.customer_id."
        "relationships_customer_revenue_customer_id__customer_id__ref_stg_customers_"}  # here on the tested model
    assert statuses[FAILING] == "Failed"
    assert statuses["postgres.shop.analytics.customer_revenue.revenue_is_positive"] == "Aborted"  # dbt's ABORT
