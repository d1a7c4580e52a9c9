"""The translator: pipelines and tasks, run status, lineage, de-duplication and bounded state."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ol_om_core import InvalidEvent, parse
from ol_om_core.config import FilterPattern, NamingConfig, TranslatorConfig
from ol_om_core.operations import Operation
from ol_om_core.translate import Translation, Translator

PG = "postgres://pg:5432"


def facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": "https://example.com/test", "_schemaURL": "https://example.com/schema", **fields}


def run_event(
    event_type: str,
    job: str,
    run_id: str,
    *,
    minute: int = 0,
    namespace: str = "ns",
    parent: tuple[str, str] | None = None,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    job_facets: dict[str, Any] | None = None,
    run_facets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    facets = dict(run_facets or {})
    if parent:
        facets["parent"] = facet(job={"namespace": namespace, "name": parent[0]}, run={"runId": parent[1]})
    return {
        "eventType": event_type,
        "eventTime": f"2026-01-01T10:{minute:02d}:00Z",
        "producer": "https://example.com/test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": facets},
        "job": {"namespace": namespace, "name": job, "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def table(name: str, **facets: Any) -> dict[str, Any]:
    return {"namespace": PG, "name": name, "facets": facets}


def rid() -> str:
    return str(uuid.uuid4())


def ops(translator: Translator, *events: dict[str, Any]) -> list[Operation]:
    return [op for e in events for op in translator.translate(parse(e)).operations]


def of_kind(operations: list[Operation], kind: str) -> list[dict[str, Any]]:
    return [dict(op.body) for op in operations if op.kind == kind]


AIRFLOW_TASK = {"jobType": facet(processingType="BATCH", integration="AIRFLOW", jobType="TASK")}
AIRFLOW_DAG = {"jobType": facet(processingType="BATCH", integration="AIRFLOW", jobType="DAG")}


# -- pipelines and tasks -----------------------------------------------------------------------------------


def test_airflow_dag_is_the_pipeline_and_its_tasks_are_tasks() -> None:
    t = Translator()
    dag_run = rid()
    out = ops(
        t,
        run_event("START", "etl", dag_run, job_facets=AIRFLOW_DAG),
        run_event("START", "etl.extract", rid(), parent=("etl", dag_run), job_facets=AIRFLOW_TASK,
                  run_facets={"airflow": facet(task={"downstream_task_ids": "['load']"})}),
        run_event("START", "etl.load", rid(), parent=("etl", dag_run), job_facets=AIRFLOW_TASK),
    )
    services = of_kind(out, "pipeline_service")
    assert services == [{"name": "airflow_openlineage", "serviceType": "Airflow"}]
    last = of_kind(out, "pipeline")[-1]
    assert last["name"] == "ns-etl"
    assert last["service"] == "airflow_openlineage"
    assert [task["name"] for task in last["tasks"]] == ["extract", "load"]
    assert last["tasks"][0]["downstreamTasks"] == ["load"]
    assert last["tasks"][0]["displayName"] == "etl.extract"


@pytest.mark.parametrize("ids", [
    "['load', '', ' ', 'l\\ud800']",  # printed: the last escapes a lone surrogate once read back
    ["load", "", " "],
])
def test_airflow_downstream_task_ids_that_name_no_task_are_left_out(ids: Any) -> None:
    out = ops(Translator(), run_event("START", "etl.extract", rid(), job_facets=AIRFLOW_TASK,
                                      run_facets={"airflow": facet(task={"downstream_task_ids": ids})}))
    (pipeline,) = of_kind(out, "pipeline")
    assert pipeline["tasks"][0]["downstreamTasks"] == ["load"]
    for op in out:
        op.json.encode("utf-8")


def test_job_without_parent_is_its_own_pipeline_with_one_task() -> None:
    out = ops(Translator(), run_event("COMPLETE", "nightly_job", rid()))
    (pipeline,) = of_kind(out, "pipeline")
    assert pipeline["service"] == "openlineage"
    assert [task["name"] for task in pipeline["tasks"]] == ["nightly_job"]
    assert of_kind(out, "pipeline_service") == [{"name": "openlineage", "serviceType": "OpenLineage"}]


def test_configured_service_name_is_used_for_jobs_without_integration() -> None:
    config = TranslatorConfig(pipeline_service="my_ol_service")
    out = ops(Translator(config), run_event("COMPLETE", "j", rid()))
    assert of_kind(out, "pipeline")[0]["service"] == "my_ol_service"


def test_owners_tags_description_and_source_url_come_from_job_facets() -> None:
    job_facets = {
        "documentation": facet(description="Loads orders"),
        "sourceCodeLocation": facet(type="git", url="https://git.example.com/etl.py"),
        "ownership": facet(owners=[{"name": "team:data"}, {"name": "user:ana"}, {"name": "bob"}]),
        "tags": facet(tags=[{"key": "tier", "value": "gold"}, {"key": "pii", "value": "pii"}]),
    }
    (pipeline,) = of_kind(ops(Translator(), run_event("START", "etl", rid(), job_facets=job_facets)), "pipeline")
    assert pipeline["description"] == "Loads orders"
    assert pipeline["sourceUrl"] == "https://git.example.com/etl.py"
    assert pipeline["owners"] == [
        {"type": "team", "fullyQualifiedName": "data"},
        {"type": "user", "fullyQualifiedName": "ana"},
        {"type": "user", "fullyQualifiedName": "bob"},
    ]
    assert [t["tagFQN"] for t in pipeline["tags"]] == ["OpenLineage.pii", "tier.gold"]
    assert {t["labelType"] for t in pipeline["tags"]} == {"Automated"}


def test_rerunning_a_job_writes_no_new_pipeline() -> None:
    t = Translator()
    first = ops(t, run_event("START", "j", rid()), run_event("COMPLETE", "j", run_id := rid()))
    again = ops(t, run_event("START", "j", run_id2 := rid(), minute=30), run_event("COMPLETE", "j", run_id2, minute=31))
    assert of_kind(first, "pipeline")
    assert of_kind(again, "pipeline") == []
    assert of_kind(again, "pipeline_status")  # the new run is still reported
    assert run_id != run_id2


def test_facets_missing_from_a_later_event_are_not_removed() -> None:
    t = Translator()
    run_id = rid()
    docs = {"documentation": facet(description="Loads orders")}
    ops(t, run_event("START", "j", run_id, job_facets=docs))
    later = ops(t, run_event("COMPLETE", "j", run_id))
    assert of_kind(later, "pipeline") == []


# -- run status --------------------------------------------------------------------------------------------


def statuses(out: list[Operation]) -> list[str]:
    return [body["executionStatus"] for body in of_kind(out, "pipeline_status")]


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        ([("START", 0), ("COMPLETE", 1)], "Successful"),
        ([("COMPLETE", 1), ("START", 0)], "Successful"),  # a late START never rolls back a terminal state
        ([("START", 0), ("RUNNING", 1)], "Pending"),
        ([("START", 0), ("FAIL", 1)], "Failed"),
        ([("START", 0), ("ABORT", 1)], "Failed"),
        ([("FAIL", 0), ("COMPLETE", 1)], "Failed"),  # within one attempt a state only moves forward
        ([("COMPLETE", 1), ("FAIL", 0)], "Failed"),
        ([("OTHER", 0)], "Pending"),
        # A run re-run under the same id (a cleared Airflow DAG run): its new START begins again.
        ([("START", 0), ("FAIL", 1), ("START", 2)], "Pending"),
        ([("START", 0), ("FAIL", 1), ("START", 2), ("COMPLETE", 3)], "Successful"),
        ([("START", 2), ("COMPLETE", 3), ("START", 0), ("FAIL", 1)], "Successful"),  # the old try arrives late
        ([("START", 0), ("COMPLETE", 3), ("FAIL", 1), ("START", 2)], "Successful"),
        ([("START", 0), ("COMPLETE", 1), ("START", 2), ("FAIL", 3)], "Failed"),
    ],
)
def test_run_status_is_the_latest_attempt_and_only_moves_forward_within_it(
        sequence: list[tuple[str, int]], final: str) -> None:
    t = Translator()
    run_id = rid()
    out = ops(t, *(run_event(kind, "j", run_id, minute=minute) for kind, minute in sequence))
    bodies = of_kind(out, "pipeline_status")
    assert bodies[-1]["executionStatus"] == final
    assert bodies[-1]["taskStatus"][0]["executionStatus"] == final
    assert len({b["timestamp"] for b in bodies}) == 1, "one run is one status record"


def test_task_status_and_times_accumulate_under_the_parent_run() -> None:
    t = Translator()
    dag_run = rid()
    a, b = rid(), rid()
    out = ops(
        t,
        run_event("START", "dag", dag_run, minute=0, job_facets=AIRFLOW_DAG),
        run_event("START", "dag.a", a, minute=1, parent=("dag", dag_run), job_facets=AIRFLOW_TASK),
        run_event("COMPLETE", "dag.a", a, minute=2, parent=("dag", dag_run), job_facets=AIRFLOW_TASK),
        run_event("START", "dag.b", b, minute=3, parent=("dag", dag_run), job_facets=AIRFLOW_TASK),
        run_event("FAIL", "dag.b", b, minute=4, parent=("dag", dag_run), job_facets=AIRFLOW_TASK,
                  run_facets={"errorMessage": facet(message="boom", programmingLanguage="python")}),
    )
    last = of_kind(out, "pipeline_status")[-1]
    assert last["executionStatus"] == "Failed"  # a failed task fails the run before the DAG says so
    assert last["executionId"] == dag_run
    tasks = {task["name"]: task for task in last["taskStatus"]}
    assert tasks["a"] == {"name": "a", "executionStatus": "Successful", "startTime": 1767261660000,
                          "endTime": 1767261720000}
    assert tasks["b"]["executionStatus"] == "Failed"
    paths = {op.path for op in out if op.kind == "pipeline_status"}
    assert paths == {"/v1/pipelines/openlineage.ns-dag/status".replace("openlineage", "airflow_openlineage")}


def test_uuid7_run_ids_give_a_stable_timestamp_whatever_arrives_first() -> None:
    run_id = "019a4000-0000-7000-8000-000000000000"
    expected = int("019a40000000", 16)
    for order in (["COMPLETE", "START"], ["START", "COMPLETE"]):
        out = ops(Translator(), *(run_event(k, "j", run_id, minute=5 * i) for i, k in enumerate(order)))
        assert {b["timestamp"] for b in of_kind(out, "pipeline_status")} == {expected}


def test_a_rerun_with_the_same_timestamp_writes_its_own_status() -> None:
    """A cleared Airflow DAG run is a new run id whose UUIDv7 holds the same moment: OpenMetadata keys the status
    by timestamp, so the re-run's START must overwrite the first run's Successful with its Pending and its id."""
    first, rerun = "019a4000-0000-7000-8000-000000000001", "019a4000-0000-7000-8000-000000000002"
    runs = [("START", first), ("COMPLETE", first), ("START", rerun), ("COMPLETE", rerun)]
    out = ops(Translator(), *(run_event(kind, "dag", run, minute=i, job_facets=AIRFLOW_DAG)
                              for i, (kind, run) in enumerate(runs)))
    written = [(b["executionId"], b["executionStatus"]) for b in of_kind(out, "pipeline_status")]
    assert written == [(first, "Pending"), (first, "Successful"), (rerun, "Pending"), (rerun, "Successful")]
    assert len({b["timestamp"] for b in of_kind(out, "pipeline_status")}) == 1


def test_a_duplicate_event_emits_nothing() -> None:
    t = Translator()
    event = run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")], outputs=[table("db.s.b")])
    assert ops(t, event)
    assert ops(t, event) == []


# -- lineage -----------------------------------------------------------------------------------------------


def edges(out: list[Operation]) -> list[tuple[str, str]]:
    return [(b["edge"]["fromEntity"]["fullyQualifiedName"], b["edge"]["toEntity"]["fullyQualifiedName"])
            for b in of_kind(out, "lineage")]


def test_edge_per_input_output_pair_with_pipeline_sql_and_source() -> None:
    sql = {"sql": facet(query="insert into c select * from a join b")}
    out = ops(Translator(), run_event("COMPLETE", "j", rid(), job_facets=sql,
                                      inputs=[table("db.s.a"), table("db.s.b")], outputs=[table("db.s.c")]))
    assert edges(out) == [("postgres.db.s.a", "postgres.db.s.c"), ("postgres.db.s.b", "postgres.db.s.c")]
    details = of_kind(out, "lineage")[0]["edge"]["lineageDetails"]
    assert details["pipeline"] == {"type": "pipeline", "fullyQualifiedName": "openlineage.ns-j"}
    assert details["source"] == "OpenLineage"
    assert details["sqlQuery"] == "insert into c select * from a join b"


def test_inputs_and_outputs_accumulate_across_the_events_of_a_run() -> None:
    t = Translator()
    run_id = rid()
    start = ops(t, run_event("START", "j", run_id, inputs=[table("db.s.a")]))
    assert edges(start) == []  # the outputs may still come: no pipeline endpoint yet
    done = ops(t, run_event("COMPLETE", "j", run_id, outputs=[table("db.s.b")]))
    assert edges(done) == [("postgres.db.s.a", "postgres.db.s.b")]


def test_single_sided_run_makes_the_pipeline_an_endpoint_when_it_ends() -> None:
    t = Translator()
    run_id = rid()
    out = ops(t, run_event("START", "reader", run_id, inputs=[table("db.s.a")]),
              run_event("COMPLETE", "reader", run_id))
    assert edges(out) == [("postgres.db.s.a", "openlineage.ns-reader")]
    writer = ops(t, run_event("COMPLETE", "writer", rid(), outputs=[table("db.s.z")]))
    assert edges(writer) == [("openlineage.ns-writer", "postgres.db.s.z")]
    assert of_kind(writer, "lineage")[0]["edge"]["fromEntity"]["type"] == "pipeline"


def test_streaming_job_that_only_sends_running_still_yields_lineage() -> None:
    streaming = {"jobType": facet(processingType="STREAMING", integration="FLINK", jobType="JOB")}
    out = ops(Translator(), run_event(
        "RUNNING", "flink_job", rid(), job_facets=streaming,
        inputs=[{"namespace": "kafka://k:9092", "name": "in.topic"}],
        outputs=[{"namespace": "kafka://k:9092", "name": "out.topic"}]))
    (body,) = of_kind(out, "lineage")
    assert body["edge"]["fromEntity"] == {"type": "topic", "fullyQualifiedName": 'kafka."in.topic"'}
    assert body["edge"]["toEntity"] == {"type": "topic", "fullyQualifiedName": 'kafka."out.topic"'}
    assert of_kind(out, "pipeline_service") == [{"name": "flink_openlineage", "serviceType": "Flink"}]


def column_lineage(**fields: Any) -> dict[str, Any]:
    return facet(**fields)


def input_field(name: str, field: str, *transformations: dict[str, Any]) -> dict[str, Any]:
    return {"namespace": PG, "name": name, "field": field, "transformations": list(transformations)}


def test_column_lineage_from_facets_with_functions_from_transformations() -> None:
    identity = {"type": "DIRECT", "subtype": "IDENTITY"}
    agg = {"type": "DIRECT", "subtype": "AGGREGATION", "description": "sum(amount)"}
    output = table("db.s.c", columnLineage=column_lineage(fields={
        "id": {"inputFields": [input_field("db.s.a", "id", identity)]},
        "total": {"inputFields": [input_field("db.s.a", "amount", agg), input_field("db.s.b", "x", identity)]},
    }))
    out = ops(Translator(), run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a"), table("db.s.b")],
                                      outputs=[output]))
    by_edge = {(b["edge"]["fromEntity"]["fullyQualifiedName"]): b["edge"]["lineageDetails"]["columnsLineage"]
               for b in of_kind(out, "lineage")}
    assert by_edge["postgres.db.s.a"] == [
        {"fromColumns": ["postgres.db.s.a.id"], "toColumn": "postgres.db.s.c.id"},
        {"fromColumns": ["postgres.db.s.a.amount"], "toColumn": "postgres.db.s.c.total", "function": "sum(amount)"},
    ]
    assert by_edge["postgres.db.s.b"] == [{"fromColumns": ["postgres.db.s.b.x"], "toColumn": "postgres.db.s.c.total"}]


def test_column_lineage_in_output_facets_and_dataset_level_dependencies() -> None:
    join = {"type": "INDIRECT", "subtype": "JOIN"}
    output = {
        "namespace": PG, "name": "db.s.c",
        "facets": {"schema": facet(fields=[{"name": "id"}, {"name": "v"}])},
        "outputFacets": {"columnLineage": column_lineage(
            fields={"v": {"inputFields": [input_field("db.s.a", "v")]}},
            dataset=[input_field("db.s.a", "key", join)],
        )},
    }
    out = ops(Translator(), run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")], outputs=[output]))
    columns = of_kind(out, "lineage")[0]["edge"]["lineageDetails"]["columnsLineage"]
    assert {"fromColumns": ["postgres.db.s.a.v"], "toColumn": "postgres.db.s.c.v"} in columns
    # a join key shapes every output column
    for column in ("id", "v"):
        entry = {"fromColumns": ["postgres.db.s.a.key"], "toColumn": f"postgres.db.s.c.{column}",
                 "function": "INDIRECT/JOIN"}
        assert entry in columns


@pytest.mark.parametrize("description", ["sum(amount)", "", None])
def test_column_lineage_with_the_deprecated_transformation_per_field(description: str | None) -> None:
    output = table("db.s.c", columnLineage=column_lineage(fields={"total": {
        "inputFields": [input_field("db.s.a", "amount")], "transformationType": "AGGREGATION",
        "transformationDescription": description}}))
    out = ops(Translator(), run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")], outputs=[output]))
    (edge,) = of_kind(out, "lineage")
    (column,) = edge["edge"]["lineageDetails"]["columnsLineage"]
    assert column["toColumn"] == "postgres.db.s.c.total"
    assert column["function"] == (description or "DIRECT/AGGREGATION")  # else what kind of transformation it is


@pytest.mark.parametrize("value", [[], {}, 1, True])
@pytest.mark.parametrize("key", ["transformationType", "transformationDescription"])
def test_a_deprecated_transformation_that_is_no_string_is_refused_where_it_is(key: str, value: Any) -> None:
    """A pinned regression: it reached the translator, whose dedupe key could not hash it (an internal error)."""
    output = table("db.s.c", columnLineage=column_lineage(fields={"total": {
        "inputFields": [input_field("db.s.a", "amount")], key: value}}))
    with pytest.raises(InvalidEvent) as raised:
        parse(run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")], outputs=[output]))
    assert raised.value.path == f"$.outputs[0].facets.columnLineage.fields.total.{key}"


def test_unresolved_datasets_are_reported_with_a_reason_not_dropped() -> None:
    result: Translation = Translator().translate(parse(run_event(
        "COMPLETE", "j", rid(), inputs=[{"namespace": "inmemory://", "name": "tmp"}], outputs=[table("db.s.b")])))
    assert [u.identity.name for u in result.unresolved] == ["tmp"]
    assert result.unresolved[0].reason


def test_job_event_gives_pipeline_and_lineage_but_no_status() -> None:
    event = {"eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
             "job": {"namespace": "ns", "name": "design"}, "inputs": [table("db.s.a")], "outputs": [table("db.s.b")]}
    out = ops(Translator(), event)
    assert of_kind(out, "pipeline")
    assert of_kind(out, "pipeline_status") == []
    assert edges(out) == [("postgres.db.s.a", "postgres.db.s.b")]


def test_dataset_event_is_skipped_with_a_reason() -> None:
    event = {"eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s", "dataset": table("db.s.a")}
    result = Translator().translate(parse(event))
    assert result.operations == ()
    assert result.skipped


# -- configuration -----------------------------------------------------------------------------------------


def test_pipeline_filter_pattern_includes_then_excludes() -> None:
    config = TranslatorConfig(pipeline_filter=FilterPattern(includes=("ns-etl.*",), excludes=(".*_tmp",)))
    t = Translator(config)
    assert t.translate(parse(run_event("START", "etl_orders", rid()))).operations
    assert t.translate(parse(run_event("START", "etl_tmp", rid()))).skipped
    assert t.translate(parse(run_event("START", "other", rid()))).skipped


def test_include_lineage_false_writes_no_edges() -> None:
    out = ops(Translator(TranslatorConfig(include_lineage=False)),
              run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")], outputs=[table("db.s.b")]))
    assert edges(out) == []
    assert of_kind(out, "pipeline_status")


def test_namespace_to_service_mapping_names_the_table_service() -> None:
    config = TranslatorConfig(naming=NamingConfig(namespace_to_service={PG: "pg_prod"}))
    out = ops(Translator(config), run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")],
                                             outputs=[table("db.s.b")]))
    assert edges(out) == [("pg_prod.db.s.a", "pg_prod.db.s.b")]


# -- bounded state -----------------------------------------------------------------------------------------


def test_state_is_bounded_however_many_runs() -> None:
    t = Translator(TranslatorConfig(max_runs=50, max_emitted=500))
    for i in range(2_000):
        t.translate(parse(run_event("COMPLETE", f"job{i % 300}", rid(), inputs=[table(f"db.s.a{i}")],
                                    outputs=[table("db.s.b")])))
    assert len(t._job_runs) <= 50
    assert len(t._pipeline_runs) <= 50
    assert len(t._pipelines) <= 50
    assert len(t._emitted) <= 500


def test_what_the_translator_forgets_is_freed_at_once_not_left_to_the_cycle_collector() -> None:
    """State that refers back to itself (a kept call holding its pipeline) outlives its eviction until a full
    garbage collection, which then costs more the more state there is: twice the time on a stream of new jobs."""
    import gc

    events = [parse(run_event(kind, f"job{i % 40}", f"run{i // 2}", parent=("dag", f"dag{i // 80}"),
                              inputs=[table(f"db.s.a{i % 7}")], outputs=[table(f"db.s.b{i % 40}")]))
              for i, kind in zip(range(400), ["START", "COMPLETE"] * 200, strict=True)]
    gc.collect()
    gc.disable()
    try:
        t = Translator(TranslatorConfig(max_runs=5, max_emitted=20, include_queries=True, include_usage=True))
        for event in events:
            for op in t.translate(event).operations:
                op.json  # noqa: B018 - rendered as a sink would
        del t, op
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_forget_lets_an_undelivered_operation_be_emitted_again() -> None:
    t = Translator()
    event = run_event("COMPLETE", "j", rid())
    first = t.translate(parse(event)).operations
    for op in first:
        t.forget(op)
    assert t.translate(parse(event)).operations == first


def test_an_error_midway_leaves_nothing_marked_emitted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of ours translating an event (the event goes to the dead letters) must not keep the calls planned
    before it from being emitted by a later event: they were never delivered."""
    event = run_event("COMPLETE", "j", rid(), inputs=[table("db.s.a")], outputs=[table("db.s.b")])
    expected = Translator().translate(parse(event)).operations
    t = Translator()
    assert t._quality is not None

    def fail(_: object) -> list[Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(t._quality, "plan", fail)
    with pytest.raises(RuntimeError, match="a bug"):
        t.translate(parse(event))
    monkeypatch.undo()
    assert {op.kind for op in expected} >= {"pipeline_service", "pipeline", "pipeline_status", "lineage"}
    assert t.translate(parse(event)).operations == expected
