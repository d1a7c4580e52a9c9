"""What Airflow's OpenLineage provider says beyond the standard facets: a DAG's tasks, their order, and the
state of every task when a DAG run ends.

The provider writes these as free-form facets (``airflow`` on the job and the task run, ``airflowState`` on the
DAG run's COMPLETE/FAIL); their shapes have changed between provider versions, so everything here is read
defensively and a shape it does not know gives nothing rather than an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ol_om_core.model import Job, RunEvent

# Airflow's TaskInstanceState -> OpenMetadata statusType, for the DAG run's final word on each task.
# upstream_failed and skipped tasks never ran; removed tasks are no longer part of the DAG.
TASK_STATES = {
    "success": "Successful",
    "failed": "Failed",
    "upstream_failed": "Skipped",
    "skipped": "Skipped",
    "none": "Skipped",
    "scheduled": "Pending",
    "queued": "Pending",
    "running": "Pending",
    "restarting": "Pending",
    "up_for_retry": "Pending",
    "up_for_reschedule": "Pending",
    "deferred": "Pending",
}


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def final_states(event: RunEvent) -> dict[str, str]:
    """``airflowState.tasksState`` of a DAG run's terminal event: task id -> statusType."""
    if event.event_type not in ("COMPLETE", "FAIL", "ABORT"):
        return {}
    states = _object(_object(event.run.facets.get("airflowState")).get("tasksState"))
    out = {}
    for task_id, state in states.items():
        status = TASK_STATES.get(str(state).lower())
        if status is not None and isinstance(task_id, str) and task_id.strip():
            out[task_id] = status
    return out


def declared_tasks(job: Job) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """The DAG's tasks as its job facet ``airflow`` lists them: task id -> (operator, downstream task ids)."""
    facet = _object(job.facets.get("airflow"))
    tasks = _object(facet.get("tasks"))
    downstream: dict[str, set[str]] = {}
    for parent, child in _edges(_object(facet.get("taskTree"))):
        downstream.setdefault(parent, set()).add(child)
    out: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for task_id, info in tasks.items():
        if not isinstance(task_id, str) or not task_id.strip():
            continue
        operator = _object(info).get("operator")
        out[task_id] = (operator if isinstance(operator, str) and operator else None,
                        tuple(sorted(downstream.get(task_id, ()))))
    return out


def _edges(tree: Mapping[str, Any], depth: int = 0) -> Iterator[tuple[str, str]]:
    """``taskTree`` nests each task's downstream tasks under it: ``{"a": {"b": {"c": {}}}}``."""
    if depth > 100:  # parse already bounds nesting; this only keeps a malformed tree from recursing far
        return
    for parent, children in tree.items():
        for child in _object(children):
            yield parent, child
        yield from _edges(_object(children), depth + 1)


def schedule(event: RunEvent) -> str | None:
    """The DAG's schedule (``timetable_summary``, a cron expression for cron schedules; ``schedule_interval``
    before Airflow 3), from the DAG run's ``airflowDagRun.dag`` or a task run's ``airflow.dag``."""
    facets = event.run.facets
    if "airflow" not in facets and "airflowDagRun" not in facets:
        return None  # not Airflow's: asked of every event
    for key in ("airflowDagRun", "airflow"):
        dag = _object(_object(facets.get(key)).get("dag"))
        for field in ("timetable_summary", "schedule_interval"):
            value = dag.get(field)
            if isinstance(value, str) and value.strip() and value not in ("None", "null") and len(value) < 256:
                return value
    return None


def log_url(event: RunEvent) -> str | None:
    """Where Airflow shows this try's log (``airflow.taskInstance.log_url``): the task status's ``logLink``."""
    facet = event.run.facets.get("airflow")
    if facet is None:
        return None  # not Airflow's: asked of every event
    url = _object(_object(facet).get("taskInstance")).get("log_url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) < 2048 else None


def ui_urls(event: RunEvent) -> tuple[str | None, str | None]:
    """The DAG's and the task's pages in Airflow's UI, where the task run's ``log_url`` gives the UI's address:
    Airflow 3's ``{base}/dags/{dag}/runs/{run}/tasks/{task}?…`` → ``{base}/dags/{dag}`` and
    ``{base}/dags/{dag}/tasks/{task}``; Airflow 2's ``{base}/log?…&task_id=…&dag_id=…`` → its grid view of the DAG
    (``{base}/dags/{dag}/grid``) and of the task (``…/grid?task_id={task}``)."""
    return pages(log_url(event))


def pages(url: str | None) -> tuple[str | None, str | None]:
    """:func:`ui_urls` from a ``log_url`` already read."""
    if url is None:
        return None, None
    base, found, rest = url.partition("/dags/")
    if found:
        dag, _, rest = rest.partition("/runs/")
        task = rest.partition("/tasks/")[2].partition("?")[0]
        if dag and "/" not in dag and task and "/" not in task:
            return f"{base}/dags/{dag}", f"{base}/dags/{dag}/tasks/{task}"
        return None, None
    base, found, query = url.partition("/log?")
    params = dict(part.partition("=")[::2] for part in query.split("&"))
    dag_id, task_id = params.get("dag_id"), params.get("task_id")
    if found and dag_id and task_id:
        return f"{base}/dags/{dag_id}/grid", f"{base}/dags/{dag_id}/grid?task_id={task_id}"
    return None, None


def downstream(event: RunEvent) -> tuple[str, ...]:
    """A task run's downstream task ids (its run facet ``airflow.task``: a list, or a list printed as a string).
    Blank ids name no task and are left out, as are ids the printed list escapes into lone surrogates (parse
    rejected those in the event itself, but not ``\\ud800`` text inside a string)."""
    facet = event.run.facets.get("airflow")
    if facet is None:
        return ()  # not Airflow's: asked of every event
    task = _object(facet).get("task")
    ids = _object(task).get("downstream_task_ids")
    if isinstance(ids, str):
        try:
            ids = json.loads(ids.replace("'", '"'))
        except ValueError:
            return ()
    if not isinstance(ids, list):
        return ()
    return tuple(sorted(i for i in map(str, ids) if i.strip() and (i.isascii() or _encodable(i))))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
