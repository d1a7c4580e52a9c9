"""Jobs -> OpenMetadata pipeline services, pipelines and tasks.

The parent job (Airflow DAG, Spark application, dbt run) is the pipeline; child jobs are its tasks. A job with
no parent is its own pipeline with one task, unless it is itself an orchestration unit (a DAG, a Spark
application, a dbt run) whose tasks arrive as child jobs. Nothing run-specific goes into a pipeline body, so
re-running a job writes nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ol_om_core import airflow, dbt, fqn
from ol_om_core.config import TranslatorConfig
from ol_om_core.model import Job, JobEvent, JobRef, Owner, ParentRun, RunEvent, Tag
from ol_om_core.operations import Operation, entity_ref, fqn_path
from ol_om_core.values import value

T = TypeVar("T")

# jobType.integration -> the OpenMetadata pipeline service type for "{integration}_openlineage" services
# (the same choice OpenMetadata's own connector makes).
INTEGRATION_SERVICE_TYPES = {
    "AIRFLOW": "Airflow",
    "SPARK": "Spark",
    "FLINK": "Flink",
    "DBT": "DBTCloud",
    "DAGSTER": "Dagster",
}
DEFAULT_SERVICE_TYPE = "OpenLineage"

# Jobs that orchestrate child jobs rather than doing the work themselves.
_ORCHESTRATION_JOB_TYPES = frozenset({"DAG", "APPLICATION"})
_MAX_TAG_FQN = 128  # tagLabel.json: longer tag FQNs are refused by OpenMetadata


@dataclass(frozen=True, slots=True)
class PipelineKey:
    """Where a job's pipeline lives: its service and the pipeline's name (``{namespace}-{name}``)."""

    service: str
    service_type: str
    job: JobRef
    name: str = field(init=False)
    fqn: str = field(init=False)
    status_path: str = field(init=False)
    """``/v1/pipelines/{fqn}/status``, where run status is written."""

    def __post_init__(self) -> None:
        # OpenMetadata's connector names pipelines "{namespace}-{name}"; keeping it means a migration updates
        # the pipelines users already have instead of creating twins.
        name = f"{self.job.namespace}-{self.job.name}"[:256]
        full = fqn.build(self.service, name)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "fqn", full)
        object.__setattr__(self, "status_path", f"/v1/pipelines/{fqn_path(full)}/status")


@value
class TaskSpec:
    name: str
    display_name: str
    description: str | None
    source_url: str | None
    task_type: str | None
    sql: str | None
    owners: tuple[Owner, ...]
    tags: tuple[Tag, ...]
    downstream: tuple[str, ...]


def parent_of(event: RunEvent | JobEvent) -> ParentRun | None:
    """The run's parent, unless its job has an empty or blank name (the spec allows one): a parent that names
    no pipeline is no parent, and the job is its own pipeline."""
    parent = event.run.parent if isinstance(event, RunEvent) else None
    if parent is None or not parent.job.name.strip():
        return None
    return parent


@dataclass(slots=True)
class Place:
    """Where an event's job belongs: the pipeline, the task it is (or folds into), the pipeline run. Made for every
    event and never changed: a plain dataclass, cheaper to make than a frozen one."""

    pipeline: JobRef
    task: str | None
    """``None`` for the pipeline job's own events when it only orchestrates (a DAG, a Spark application)."""
    run_id: str
    """The pipeline run this event reports on."""
    own: bool
    """The event is the pipeline job's own."""
    folded: bool = False
    """A grandchild (a task's query, a dbt model's SQL statement): its lineage and SQL count for its task, it is
    no task of its own and its status is its task's business."""


def place(event: RunEvent | JobEvent, task_of_run: Callable[[str], str | None] = lambda _: None) -> Place:
    """The pipeline is the root job (``parent.root``), else the parent, else the job itself. A job whose parent
    is not the root is a grandchild and folds into its parent's task, found by the parent's run in
    ``task_of_run`` (deeper levels too), else named after the parent job."""
    own = event.job
    run_id = event.run.run_id if isinstance(event, RunEvent) else ""
    parent = parent_of(event)
    root = parent.root_job if parent is not None else None
    if parent is None or _is_job(root, own) or (root is None and is_orchestration(own)):
        # A root job; without a root facet (OpenLineage before 2-0-x) an orchestrator with a parent (a Spark
        # application an Airflow task started) stays a pipeline of its own, as before. Its task (when it is
        # one) is named after it.
        return Place(own.ref, None if is_orchestration(own) else own.name, run_id, own=True)
    if root is None or root == parent.job:
        return Place(parent.job, dbt.node_id(own) or task_name(own.name, parent.job), parent.run_id, own=False)
    task = task_of_run(parent.run_id) or task_name(parent.job.name, root)
    return Place(root, task, parent.root_run_id or parent.run_id, own=False, folded=True)


def _is_job(ref: JobRef | None, job: Job) -> bool:
    """Whether ``ref`` names ``job``: ``ref == job.ref`` without making a JobRef to compare, for every event."""
    return ref is not None and ref.name == job.name and ref.namespace == job.namespace


def is_orchestration(job: Job) -> bool:
    jt = job.job_type
    if jt is None:
        return False
    # A dbt run ("dbt-run-<project>", jobType JOB) is the parent of its models.
    return jt.job_type in _ORCHESTRATION_JOB_TYPES or (jt.integration == "DBT" and jt.job_type == "JOB")


def service_for(job: Job, config: TranslatorConfig) -> tuple[str, str]:
    """(service name, service type) for the pipeline this job belongs to."""
    integration = job.job_type.integration.upper() if job.job_type else ""
    service_type = INTEGRATION_SERVICE_TYPES.get(integration)
    if config.pipeline_service_per_integration and service_type:
        return f"{integration.lower()}_openlineage", service_type
    return config.pipeline_service, DEFAULT_SERVICE_TYPE


def task_name(job: str, pipeline: JobRef) -> str:
    """The task the job named ``job`` is within ``pipeline``. Airflow names tasks ``{dag_id}.{task_id}``: inside
    the DAG's pipeline the task is ``task_id``."""
    prefix = pipeline.name + "."
    if job.startswith(prefix) and len(job) > len(prefix):
        return job[len(prefix):]
    return job


BOOKKEEPING_TAG_SOURCES = frozenset({"OPENLINEAGE_CLIENT"})
"""Tags a producer's client adds about itself (``openlineage_client_version``): not the job's."""


def task_spec(job: Job, where: Place, event: RunEvent | None, *, page: str | None = None) -> TaskSpec:
    """``page``: the task's page in its orchestrator's UI (an Airflow task's, :func:`airflow.ui_urls`), its
    ``sourceUrl`` before the job's ``sourceCodeLocation``."""
    run = event.run if event else None
    unique_id = dbt.node_id(job)
    return TaskSpec(
        name=where.task or job.name,
        display_name=unique_id or job.name,  # a dbt model's job name changes with the command, its id does not
        description=job.description,
        source_url=page or job.source_url,
        task_type=job.job_type.job_type if job.job_type else None,
        sql=job.sql,
        owners=job.owners + (dbt.owners(run) if run else ()),
        tags=tuple(t for t in job.tags if t.source not in BOOKKEEPING_TAG_SOURCES) + (dbt.tags(run) if run else ()),
        downstream=airflow.downstream(event) if event else (),
    )


def declared_tasks(job: Job, final: Mapping[str, str], known: Mapping[str, TaskSpec]) -> list[TaskSpec]:
    """Tasks the pipeline job lists before they run (an Airflow DAG's tasks and their order), so a task that
    never runs (upstream failed, skipped) is still one of the pipeline's, and every ``downstreamTasks`` names a
    task the pipeline has. What a task's own events said wins over the listing."""
    out = []
    declared = airflow.declared_tasks(job)
    # Tasks the DAG run's final word (``final``: task -> statusType) names are the DAG's too (Airflow 3 sends it
    # on the DAG run's last event, and a task that never ran has no event of its own).
    for name in final:
        declared.setdefault(name, (None, ()))
    for name, (operator, downstream) in declared.items():
        listed = TaskSpec(name, name, None, None, operator, None, (), (), downstream)
        old = known.get(name)
        if old is None:
            out.append(listed)
        elif (operator and not old.task_type) or (downstream and not old.downstream):  # else nothing to add
            out.append(replace(old, task_type=old.task_type or operator, downstream=old.downstream or downstream))
    return out


# -- operations --------------------------------------------------------------------------------------------


def service_operation(name: str, service_type: str, *, key: int = 0) -> Operation:
    body = {"name": name, "serviceType": service_type}
    return Operation("pipeline_service", "PUT", "/v1/services/pipelineServices", body, key, subject=(name,))


def merged(old: TaskSpec | None, new: TaskSpec) -> TaskSpec:
    """Facets come and go between the events of a job (START carries ownership, COMPLETE may not):
    what one event said stays until another says something else."""
    if old is None:
        return new
    if old == new:
        return old  # the same spec again, the usual case: kept, not made anew
    return TaskSpec(
        name=new.name,
        display_name=new.display_name,
        description=new.description or old.description,
        source_url=new.source_url or old.source_url,
        task_type=new.task_type or old.task_type,
        sql=new.sql or old.sql,
        owners=new.owners or old.owners,
        tags=new.tags or old.tags,
        downstream=new.downstream or old.downstream,
    )


def pipeline_operation(
    pipeline: PipelineKey, info: TaskSpec | None, tasks: list[TaskSpec], tag_classification: str, *,
    schedule: str | None = None, page: str | None = None, key: int = 0
) -> Operation:
    """``PUT /v1/pipelines``. ``info`` describes the pipeline's own job; ``tasks`` are every task known so far
    (the sink merges them with the tasks OpenMetadata already holds, so a restart loses none). ``page``: the
    pipeline's page in its orchestrator's UI, its ``sourceUrl`` before the job's ``sourceCodeLocation`` (as
    OpenMetadata's own Airflow connector links a pipeline to its DAG)."""
    body: dict[str, Any] = {"name": pipeline.name, "displayName": pipeline.job.name, "service": pipeline.service}
    if info is not None and info.description:
        body["description"] = info.description
    if page or (info is not None and info.source_url):
        body["sourceUrl"] = page or info.source_url  # type: ignore[union-attr]
    if schedule:
        body["scheduleInterval"] = schedule
    # Where the pipeline job names no owners or tags of its own, its tasks' stand for it (an Airflow DAG's
    # owner is its tasks' ``owner``): users look for them on the pipeline, as OpenMetadata's connector puts them.
    owners = info.owners if info is not None and info.owners else _union(t.owners for t in tasks)
    if owners:
        body["owners"] = [owner_ref(o) for o in owners]
    tags = info.tags if info is not None and info.tags else _union(t.tags for t in tasks)
    if tags and (labels := tag_labels(tags, tag_classification)):
        body["tags"] = labels
    if tasks:
        body["tasks"] = [_task_body(t, tag_classification) for t in sorted(tasks, key=lambda t: t.name)]
    return Operation("pipeline", "PUT", "/v1/pipelines", body, key, subject=(pipeline.fqn,),
                     depends_on=pipeline.service)


def _union(groups: Iterable[tuple[T, ...]]) -> tuple[T, ...]:
    """Every item of the groups once, in the order first seen."""
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _task_body(task: TaskSpec, tag_classification: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": task.name, "displayName": task.display_name}
    if task.description:
        body["description"] = task.description
    if task.source_url:
        body["sourceUrl"] = task.source_url
    if task.task_type:
        body["taskType"] = task.task_type
    if task.sql:
        body["taskSQL"] = task.sql
    if task.downstream:
        body["downstreamTasks"] = list(task.downstream)
    if task.owners:
        body["owners"] = [owner_ref(o) for o in task.owners]
    if task.tags:
        body["tags"] = tag_labels(task.tags, tag_classification)
    return body


def owner_ref(owner: Owner) -> dict[str, str]:
    """OpenLineage owner names are URN-like: ``team:data`` is a team, ``user:ana`` (or no prefix) a user."""
    kind, sep, name = owner.name.partition(":")
    if sep and kind.lower() in ("team", "user"):
        return entity_ref(kind.lower(), name)
    return entity_ref("user", owner.name)


def tag_labels(tags: tuple[Tag, ...], classification: str) -> list[dict[str, str]]:
    """``{key, value}`` -> tag ``key.value`` (the key names the classification); a bare key or value (the other
    empty, blank or the same) goes under ``classification``; a tag with neither is left out."""
    labels = {}
    for tag in tags:
        if tag.field:  # a column tag, not the job's
            continue
        key = tag.key if tag.key.strip() else ""
        value = tag.value if tag.value.strip() and tag.value != key else ""
        if key and value:
            parts = (key, value)
        elif key or value:
            parts = (classification, key or value)
        else:
            continue
        tag_fqn = fqn.build(*parts)
        if len(tag_fqn) > _MAX_TAG_FQN:
            continue
        labels[tag_fqn] = {"tagFQN": tag_fqn, "source": "Classification", "labelType": "Automated",
                           "state": "Confirmed"}
    return [labels[k] for k in sorted(labels)]


def pipeline_ref(key: PipelineKey) -> dict[str, str]:
    return entity_ref("pipeline", key.fqn)
