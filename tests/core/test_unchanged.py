"""What the translator skips because an event repeats what came before (the same job, run after run), and what it
must not: each thing an event can say about its pipeline, said differently by the next event of the same task,
still reaches the pipeline."""

from __future__ import annotations

from typing import Any

import pytest
from test_run_hierarchy import AIRFLOW, DAG, child, pipelines_of
from test_translate import facet, ops, rid, run_event

from ol_om_core.translate import Translator

LOG = "https://airflow.example.com/dags/etl/runs/r1/tasks/load?try_number=1"


def task_event(run_facets: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Airflow task ``load`` of the DAG ``etl``: the same job every time, a new run."""
    dag = ("etl", "dag-run")
    return child("COMPLETE", "etl.load", rid(), dag, dag, job_facets=AIRFLOW, run_facets=run_facets or {})


def load_task(body: dict[str, Any]) -> dict[str, Any]:
    [task] = [t for t in body["tasks"] if t["name"] == "load"]
    return task


@pytest.mark.parametrize(("run_facets", "said"), [
    pytest.param({"airflow": facet(task={"downstream_task_ids": "['report']"})},
                 lambda body: load_task(body)["downstreamTasks"] == ["report"], id="downstream-tasks"),
    pytest.param({"airflow": facet(dag={"timetable_summary": "0 3 * * *"})},
                 lambda body: body["scheduleInterval"] == "0 3 * * *", id="schedule"),
    pytest.param({"airflow": facet(taskInstance={"log_url": LOG})},
                 lambda body: (body["sourceUrl"], load_task(body)["sourceUrl"]) == (
                     "https://airflow.example.com/dags/etl", "https://airflow.example.com/dags/etl/tasks/load"),
                 id="pages"),
    pytest.param({"tags": facet(tags=[{"key": "finance", "value": "true", "source": "DBT"}])},
                 lambda body: load_task(body)["tags"][0]["tagFQN"] == "dbtTags.finance", id="run-tags"),
])
def test_what_the_next_event_of_a_task_says_anew_is_written(run_facets: dict[str, Any], said: Any) -> None:
    t = Translator()
    ops(t, task_event(), task_event())  # the second changes nothing
    assert said(pipelines_of(ops(t, task_event(run_facets)))["ns-etl"])


def test_the_dag_runs_final_word_names_tasks_that_never_ran() -> None:
    t = Translator()
    ops(t, run_event("RUNNING", "etl", "dag-run", job_facets=DAG))
    out = ops(t, run_event("COMPLETE", "etl", "dag-run", job_facets=DAG, run_facets={
        "airflowState": facet(dagRunState="failed", tasksState={"skipped_one": "upstream_failed"})}))
    assert [task["name"] for task in pipelines_of(out)["ns-etl"]["tasks"]] == ["skipped_one"]


def test_a_task_saying_again_what_it_said_is_written_again_after_a_sibling_said_otherwise() -> None:
    """The last word on the pipeline's schedule wins, even when the one who says it said the same before."""
    def said(task: str, schedule: str) -> dict[str, Any]:
        dag = ("etl", "dag-run")
        return child("COMPLETE", f"etl.{task}", rid(), dag, dag, job_facets=AIRFLOW,
                     run_facets={"airflow": facet(dag={"timetable_summary": schedule})})

    t = Translator()
    ops(t, said("load", "@daily"), said("report", "@hourly"))
    assert pipelines_of(ops(t, said("load", "@daily")))["ns-etl"]["scheduleInterval"] == "@daily"
