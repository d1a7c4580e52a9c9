"""Jobs three levels deep (DAG -> task -> query, dbt run -> model -> statement): one pipeline per root job, one
task per child, grandchildren folded into their task; run status as the latest truth (retries, re-runs, the
DAG's final word on each task)."""

from __future__ import annotations

import uuid
from typing import Any

from test_translate import facet, of_kind, ops, rid, run_event, table

from ol_om_core import parse
from ol_om_core.operations import Operation
from ol_om_core.translate import Translator

AIRFLOW = {"jobType": facet(processingType="BATCH", integration="AIRFLOW", jobType="TASK")}
DAG = {"jobType": facet(processingType="BATCH", integration="AIRFLOW", jobType="DAG")}
QUERY = {"jobType": facet(processingType="BATCH", integration="AIRFLOW", jobType="QUERY")}


def child(event_type: str, job: str, run_id: str, parent: tuple[str, str], root: tuple[str, str] | None = None,
          **kwargs: Any) -> dict[str, Any]:
    """A run event whose parent facet names ``parent`` (job, run id) and, when given, ``root``."""
    event = run_event(event_type, job, run_id, parent=parent, **kwargs)
    if root is not None:
        event["run"]["facets"]["parent"]["root"] = {"job": {"namespace": "ns", "name": root[0]},
                                                   "run": {"runId": root[1]}}
    return event


def pipelines_of(out: list[Operation]) -> dict[str, dict[str, Any]]:
    """The last body written of each pipeline, by name."""
    return {body["name"]: body for body in of_kind(out, "pipeline")}


def last_status(out: list[Operation]) -> dict[str, Any]:
    return of_kind(out, "pipeline_status")[-1]


def task_states(status: dict[str, Any]) -> dict[str, str]:
    return {t["name"]: t["executionStatus"] for t in status["taskStatus"]}


def dag_run(dag_run_id: str, task: str, task_run: str, query_run: str, *, end: str = "COMPLETE",
            task_end: str = "COMPLETE") -> list[dict[str, Any]]:
    """Airflow 3: DAG -> task -> ``<dag>.<task>.query.1`` with parent.root, the query writing a table."""
    dag = ("etl", dag_run_id)
    return [
        run_event("START", "etl", dag_run_id, minute=0, job_facets=DAG),
        child("START", f"etl.{task}", task_run, dag, dag, minute=1, job_facets=AIRFLOW),
        child("START", f"etl.{task}.query.1", query_run, (f"etl.{task}", task_run), dag, minute=2,
              job_facets={**QUERY, "sql": facet(query="INSERT INTO b SELECT * FROM a")},
              inputs=[table("shop.public.a")], outputs=[table("shop.public.b")]),
        child("COMPLETE", f"etl.{task}.query.1", query_run, (f"etl.{task}", task_run), dag, minute=3,
              job_facets=QUERY, inputs=[table("shop.public.a")], outputs=[table("shop.public.b")]),
        child(task_end, f"etl.{task}", task_run, dag, dag, minute=4, job_facets=AIRFLOW),
        run_event(end, "etl", dag_run_id, minute=5, job_facets=DAG),
    ]


def test_a_grandchild_folds_into_its_task_and_is_no_pipeline_of_its_own() -> None:
    out = ops(Translator(), *dag_run(rid(), "load", rid(), rid()))
    pipelines = pipelines_of(out)
    assert list(pipelines) == ["ns-etl"], "one pipeline: the DAG; neither the task nor the query is one"
    assert [t["name"] for t in pipelines["ns-etl"]["tasks"]] == ["load"]
    assert pipelines["ns-etl"]["tasks"][0]["taskSQL"] == "INSERT INTO b SELECT * FROM a"  # the query's SQL
    paths = {op.path for op in of_kind_ops(out, "pipeline_status")}
    assert paths == {"/v1/pipelines/airflow_openlineage.ns-etl/status"}
    status = last_status(out)
    assert status["executionStatus"] == "Successful"
    assert task_states(status) == {"load": "Successful"}
    edges = of_kind(out, "lineage")
    assert edges, "the query's lineage is written"
    pipeline = {e["edge"]["lineageDetails"]["pipeline"]["fullyQualifiedName"] for e in edges}
    assert pipeline == {"airflow_openlineage.ns-etl"}


def of_kind_ops(out: list[Operation], kind: str) -> list[Operation]:
    return [op for op in out if op.kind == kind]


def test_a_folded_query_arriving_before_its_task_still_lands_in_the_dag_pipeline() -> None:
    dag_id, task_run, query_run = rid(), rid(), rid()
    events = dag_run(dag_id, "load", task_run, query_run)
    out = ops(Translator(), events[2], events[0], events[1], *events[3:])
    assert list(pipelines_of(out)) == ["ns-etl"]
    assert task_states(last_status(out)) == {"load": "Successful"}


def test_deeper_levels_fold_into_the_task_their_chain_started_from() -> None:
    """Spark started by an Airflow task: application (parent = task, root = DAG), its jobs (parent =
    application, root = DAG): all of it is the Airflow task's."""
    dag, task, app, job = rid(), rid(), rid(), rid()
    spark_app = {"jobType": facet(processingType="BATCH", integration="SPARK", jobType="APPLICATION")}
    out = ops(
        Translator(),
        run_event("START", "etl", dag, job_facets=DAG),
        child("START", "etl.transform", task, ("etl", dag), ("etl", dag), job_facets=AIRFLOW),
        child("START", "spark_app", app, ("etl.transform", task), ("etl", dag), job_facets=spark_app),
        child("COMPLETE", "spark_app.save", job, ("spark_app", app), ("etl", dag),
              inputs=[table("shop.public.a")], outputs=[table("shop.public.c")]),
    )
    pipelines = pipelines_of(out)
    assert list(pipelines) == ["ns-etl"]
    assert [t["name"] for t in pipelines["ns-etl"]["tasks"]] == ["transform"]


def test_a_retry_that_succeeds_makes_the_task_and_the_run_successful() -> None:
    dag, try1, try2 = rid(), rid(), rid()
    d = ("etl", dag)
    out = ops(
        Translator(),
        run_event("START", "etl", dag, minute=0, job_facets=DAG),
        child("START", "etl.flaky", try1, d, d, minute=1, job_facets=AIRFLOW),
        child("FAIL", "etl.flaky", try1, d, d, minute=2, job_facets=AIRFLOW),
        child("START", "etl.flaky", try2, d, d, minute=3, job_facets=AIRFLOW),
        child("COMPLETE", "etl.flaky", try2, d, d, minute=4, job_facets=AIRFLOW),
        run_event("COMPLETE", "etl", dag, minute=5, job_facets=DAG,
                  run_facets={"airflowState": facet(dagRunState="success", tasksState={"flaky": "success"})}),
    )
    status = last_status(out)
    assert status["executionStatus"] == "Successful"
    assert status["taskStatus"] == [{"name": "flaky", "executionStatus": "Successful",
                                     "startTime": 1767261780000, "endTime": 1767261840000}]


def test_the_failed_try_arriving_after_the_retry_changes_nothing() -> None:
    dag, try1, try2 = rid(), rid(), rid()
    d = ("etl", dag)
    t = Translator()
    ops(t, run_event("START", "etl", dag, minute=0, job_facets=DAG),
        child("START", "etl.flaky", try2, d, d, minute=3, job_facets=AIRFLOW),
        child("COMPLETE", "etl.flaky", try2, d, d, minute=4, job_facets=AIRFLOW))
    late = ops(t, child("START", "etl.flaky", try1, d, d, minute=1, job_facets=AIRFLOW),
               child("FAIL", "etl.flaky", try1, d, d, minute=2, job_facets=AIRFLOW))
    assert of_kind(late, "pipeline_status") == [], "the status OpenMetadata holds is already the truth"


def test_a_cleared_dag_run_rerun_under_the_same_ids_ends_successful() -> None:
    dag, task, query = rid(), rid(), rid()
    first = dag_run(dag, "load", task, query, end="FAIL", task_end="FAIL")
    again = [dict(e, eventTime=e["eventTime"].replace("T10:", "T11:")) for e in dag_run(dag, "load", task, query)]
    t = Translator()
    assert last_status(ops(t, *first))["executionStatus"] == "Failed"
    status = last_status(ops(t, *again))
    assert status["executionStatus"] == "Successful"
    assert task_states(status) == {"load": "Successful"}
    assert status["timestamp"] == last_status(ops(Translator(), *first))["timestamp"], "the same run record"


def test_the_dags_final_word_names_tasks_that_never_ran() -> None:
    dag, extract = rid(), rid()
    d = ("etl", dag)
    declared = {**DAG, "airflow": facet(
        tasks={"extract": {"operator": "PythonOperator"}, "load": {"operator": "SQLExecuteQueryOperator"},
               "report": {"operator": "EmptyOperator"}},
        taskTree={"extract": {"load": {"report": {}}}})}
    out = ops(
        Translator(),
        run_event("START", "etl", dag, minute=0, job_facets=declared),
        child("START", "etl.extract", extract, d, d, minute=1, job_facets=AIRFLOW),
        child("FAIL", "etl.extract", extract, d, d, minute=2, job_facets=AIRFLOW),
        run_event("FAIL", "etl", dag, minute=3, job_facets=DAG, run_facets={"airflowState": facet(
            dagRunState="failed", tasksState={"extract": "failed", "load": "upstream_failed",
                                              "report": "upstream_failed"})}),
    )
    tasks = {t["name"]: t for t in pipelines_of(out)["ns-etl"]["tasks"]}
    assert set(tasks) == {"extract", "load", "report"}
    assert tasks["extract"]["downstreamTasks"] == ["load"]
    assert tasks["load"]["taskType"] == "SQLExecuteQueryOperator"
    assert tasks["load"]["downstreamTasks"] == ["report"]
    status = last_status(out)
    assert status["executionStatus"] == "Failed"
    assert task_states(status) == {"extract": "Failed", "load": "Skipped", "report": "Skipped"}


def test_the_dags_own_word_decides_the_run_over_a_failed_task() -> None:
    """Airflow decides a DAG run's state from its leaves and trigger rules: a DAG run can succeed with a task
    failed. Until the DAG says, a failed task fails the run."""
    dag, task = rid(), rid()
    d = ("etl", dag)
    t = Translator()
    running = ops(t, run_event("START", "etl", dag, minute=0, job_facets=DAG),
                  child("START", "etl.optional", task, d, d, minute=1, job_facets=AIRFLOW),
                  child("FAIL", "etl.optional", task, d, d, minute=2, job_facets=AIRFLOW))
    assert last_status(running)["executionStatus"] == "Failed"
    done = ops(t, run_event("COMPLETE", "etl", dag, minute=3, job_facets=DAG))
    assert last_status(done)["executionStatus"] == "Successful"
    assert task_states(last_status(done)) == {"optional": "Failed"}


def test_a_run_whose_job_never_reports_itself_is_over_when_every_task_is() -> None:
    parent = rid()
    out = ops(Translator(), child("START", "a", rid(), ("app", parent), minute=0),
              child("COMPLETE", "b", rid(), ("app", parent), minute=1))
    assert last_status(out)["executionStatus"] == "Pending"
    out = ops(Translator(), child("COMPLETE", "a", rid(), ("app", parent), minute=0),
              child("COMPLETE", "b", rid(), ("app", parent), minute=1))
    assert last_status(out)["executionStatus"] == "Successful"


def test_task_owners_and_tags_stand_for_a_pipeline_that_names_none() -> None:
    dag, task = rid(), rid()
    d = ("etl", dag)
    owned = {**AIRFLOW, "ownership": facet(owners=[{"name": "team:data-eng"}]),
             "tags": facet(tags=[{"key": "tier", "value": "gold", "source": "AIRFLOW"}])}
    out = ops(Translator(), run_event("START", "etl", dag, job_facets=DAG),
              child("START", "etl.load", task, d, d, job_facets=owned))
    body = pipelines_of(out)["ns-etl"]
    assert body["owners"] == [{"type": "team", "fullyQualifiedName": "data-eng"}]
    assert [t["tagFQN"] for t in body["tags"]] == ["tier.gold"]
    assert body["tasks"][0]["owners"] == body["owners"]
    # The DAG's own owners win once it names them.
    dag_owned = {**DAG, "ownership": facet(owners=[{"name": "user:ana"}])}
    out = ops(Translator(), run_event("START", "etl", dag, job_facets=dag_owned),
              child("START", "etl.load", task, d, d, job_facets=owned))
    assert pipelines_of(out)["ns-etl"]["owners"] == [{"type": "user", "fullyQualifiedName": "ana"}]


def test_a_root_facet_naming_the_job_itself_makes_it_the_root() -> None:
    run_id = str(uuid.uuid4())
    event = run_event("COMPLETE", "etl", run_id, parent=("etl", run_id), job_facets=DAG)
    event["run"]["facets"]["parent"]["root"] = {"job": {"namespace": "ns", "name": "etl"}, "run": {"runId": run_id}}
    out = Translator().translate(parse(event)).operations
    assert list(pipelines_of(list(out))) == ["ns-etl"]


DBT_RUN = {"jobType": facet(processingType="BATCH", integration="DBT", jobType="JOB")}


def dbt_model(job_name: str, unique_id: str) -> dict[str, Any]:
    return {"jobType": facet(processingType="BATCH", integration="DBT", jobType="MODEL"),
            "dbt_node": facet(unique_id=unique_id, database="shop", schema="analytics")}


def test_a_dbt_model_is_one_task_whatever_the_command_and_carries_its_tags_and_owner() -> None:
    """``dbt run`` names the model's job ``db.schema.project.model``, ``dbt build`` adds ``.build.run``,
    structured logs ``model.project.model``: the ``dbt_node`` facet's ``unique_id`` is one task for all."""
    t = Translator()
    dbt_tags = {"tags": facet(tags=[
        {"key": "finance", "value": "true", "source": "DBT"},
        {"key": "owner", "value": "ana", "source": "DBT_META"},
        {"key": "openlineage_client_version", "value": "1.54.0", "source": "OPENLINEAGE_CLIENT"}])}
    out: list[Operation] = []
    for name in ("shop.analytics.shop.revenue", "shop.analytics.shop.revenue.build.run", "model.shop.revenue"):
        run, model, stmt = rid(), rid(), rid()
        root = ("dbt-run-shop", run)
        out += ops(t, run_event("START", "dbt-run-shop", run, job_facets=DBT_RUN),
                   child("START", name, model, root, root, job_facets=dbt_model(name, "model.shop.revenue"),
                         run_facets=dbt_tags),
                   child("COMPLETE", "model.shop.revenue.sql.1", stmt, (name, model), root,
                         job_facets={"sql": facet(query="select 1")}),
                   child("COMPLETE", name, model, root, root, job_facets=dbt_model(name, "model.shop.revenue")),
                   run_event("COMPLETE", "dbt-run-shop", run, job_facets=DBT_RUN))
    pipelines = pipelines_of(out)
    assert list(pipelines) == ["ns-dbt-run-shop"]
    body = pipelines["ns-dbt-run-shop"]
    assert [t["name"] for t in body["tasks"]] == ["model.shop.revenue"]
    task = body["tasks"][0]
    assert task["displayName"] == "model.shop.revenue"
    assert [tag["tagFQN"] for tag in task["tags"]] == ["dbtTags.finance"], "no client bookkeeping tag"
    assert task["owners"] == [{"type": "user", "fullyQualifiedName": "ana"}]
    assert body["owners"] == task["owners"] and body["tags"] == task["tags"], "the project carries its models'"
    assert {s["executionStatus"] for s in of_kind(out, "pipeline_status")[-1:]} == {"Successful"}
