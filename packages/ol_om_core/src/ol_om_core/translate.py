"""The translator: one stateful object, events in, OpenMetadata operations out.

State is what the events of a run must share (the run's status, its inputs and outputs so far, the tasks of a
pipeline) and the fingerprints of operations already emitted. All of it lives in bounded LRU maps, so memory
stays flat however long the stream; output depends only on the events and their order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from ol_om_core import airflow, lineage, pipelines, quality, queries, runs
from ol_om_core.config import TranslatorConfig
from ol_om_core.lru import LRU
from ol_om_core.model import (
    TERMINAL_EVENT_TYPES,
    Dataset,
    DatasetEvent,
    Event,
    Job,
    JobEvent,
    JobRef,
    RunEvent,
)
from ol_om_core.operations import Operation
from ol_om_core.pipelines import PipelineKey, TaskSpec
from ol_om_core.resolve import EntityRef, Resolver, Unresolved
from ol_om_core.status import PipelineRun, Snapshot, run_timestamp
from ol_om_core.values import value

_Planned = tuple[Hashable, Callable[..., Operation]]
"""A call the event may cause: its de-duplication key, and how to build it (given its hashed key)."""

@value
class Translation:
    """What one event became."""

    operations: tuple[Operation, ...]
    unresolved: tuple[Unresolved, ...] = ()
    """Datasets that could not be mapped to an OpenMetadata entity, each with the reason."""
    skipped: str | None = None
    """Why the event produced nothing on purpose (filtered out, nothing to write); ``None`` otherwise."""
    notes: tuple[str, ...] = ()
    """What people should know that OpenMetadata has no place for (a run's ``errorMessage``)."""


@dataclass(slots=True)
class _Pipeline:
    key: PipelineKey
    info: TaskSpec | None = None
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    schedule: str | None = None
    page: str | None = None
    """The pipeline's page in its orchestrator's UI (an Airflow DAG's), its ``sourceUrl``."""
    version: int = 0
    """Bumped whenever ``info``, ``tasks``, ``schedule`` or ``page`` change: the pipeline call is due again."""
    said: dict[tuple[str | None, int], tuple[Job, tuple[object, ...]]] = field(default_factory=dict)
    """What events said since ``version`` became ``said_version``, by task (``None``: the pipeline job's own
    events) and job (its ``id``: the entry holds the job)."""
    said_version: int = 0


@dataclass(slots=True)
class _Seen:
    """A dataset a run read or wrote, as resolved."""

    ref: EntityRef
    dataset: Dataset


@dataclass(slots=True)
class _JobRun:
    """The datasets one job run has read and written so far (inputs and outputs add up across its events)."""

    inputs: dict[str, _Seen] = field(default_factory=dict)
    outputs: dict[str, _Seen] = field(default_factory=dict)
    terminal: bool = False


class Translator:
    def __init__(self, config: TranslatorConfig | None = None) -> None:
        self.config = config or TranslatorConfig()
        self.resolver = Resolver(self.config.naming)
        size = self.config.max_runs
        self._pipelines: LRU[tuple[str, str], _Pipeline] = LRU(size)
        """By the pipeline job's (namespace, name)."""
        self._pipeline_runs: LRU[tuple[str, str], PipelineRun] = LRU(size)
        self._job_runs: LRU[str, _JobRun] = LRU(size)
        self._run_tasks: LRU[str, str] = LRU(size)
        """A run id -> the task it is or folds into."""
        self._emitted: LRU[int, None] = LRU(self.config.max_emitted)
        self._queries = queries.Planner(self.config) if self.config.include_queries or self.config.include_usage \
            else None
        self._quality = quality.Planner(self.resolver, size) if self.config.include_data_quality else None

    def translate(self, event: Event) -> Translation:
        if isinstance(event, DatasetEvent):
            return Translation((), skipped="a DatasetEvent carries no pipeline or lineage to write")
        own = event.job
        where = pipelines.place(event, self._run_tasks.get)
        pipeline = self._pipeline(where.pipeline, own)
        if pipeline is None:
            name = f"{where.pipeline.namespace}-{where.pipeline.name}"
            return Translation((), skipped=f"pipeline {name!r} is excluded by pipelineFilterPattern")
        if isinstance(event, RunEvent) and where.task is not None:
            self._run_tasks.put(event.run.run_id, where.task)  # a grandchild's events find their task by it
        ops: list[Operation] = []
        try:
            unresolved = self._plan(event, where, pipeline, ops)
        except BaseException:
            for op in ops:  # not delivered: a later event (or this one again) may emit them
                self._emitted.pop(op.key)
            raise
        run_event = event if isinstance(event, RunEvent) else None
        notes = (runs.failure(run_event),) if run_event is not None and self.config.include_run_facts \
            and run_event.run.error_message else ()
        return Translation(tuple(ops), tuple(unresolved), notes=notes)

    def _pipeline(self, job: JobRef, own: Job) -> _Pipeline | None:
        """The pipeline's state; ``None`` when the pipeline filter excludes it (only pipelines it allows are kept,
        so it is asked once per pipeline, not once per event)."""
        pipeline = self._pipelines.get((job.namespace, job.name))
        if pipeline is None:
            # Matched against the pipeline's name, as OpenMetadata's connector does (and as users see it there).
            if not self.config.pipeline_filter.allows(f"{job.namespace}-{job.name}"):
                return None
            pipeline = _Pipeline(PipelineKey(*pipelines.service_for(own, self.config), job))
            self._pipelines.put((job.namespace, job.name), pipeline)
        return pipeline

    def _plan(self, event: RunEvent | JobEvent, where: pipelines.Place, pipeline: _Pipeline,
              ops: list[Operation]) -> list[Unresolved]:
        """Record what the event says; add to ``ops`` the calls it causes that were not emitted before. Returns
        the datasets that could not be mapped."""
        key = pipeline.key
        # Only what was not emitted before is built (each call's de-duplication key is remembered by its hash): most
        # calls of a steady stream repeat, and rendering them is the expensive part.
        emitted = self._emitted
        if emitted.add(hashed := hash(("service", key.service, key.service_type))):
            ops.append(pipelines.service_operation(key.service, key.service_type, key=hashed))
        run_event = event if isinstance(event, RunEvent) else None
        # The pipeline job's final word on each task (Airflow's tasksState), read once for the tasks and the status.
        final = airflow.final_states(run_event) if run_event is not None and where.own else {}
        # Where Airflow shows this try's log, read once for the task's and the pipeline's pages and the status.
        log = airflow.log_url(run_event) if run_event is not None and self.config.include_run_facts else None
        self._update_pipeline(pipeline, event, where, final, log)
        if emitted.add(hashed := hash(("pipeline", key.fqn, pipeline.version))):
            ops.append(_pipeline_operation(pipeline, self.config.tag_classification, key=hashed))
        if run_event is not None and not where.folded:
            run = self._status(key, run_event, where, final, log)
            snapshot = run.snapshot()
            # The run id too: a cleared DAG run is a new run with the same timestamp (and maybe the same state).
            if emitted.add(hashed := hash((key.status_path, snapshot.run_id, snapshot.state))):
                ops.append(_status_operation(key, snapshot, run.from_start, key=hashed))

        unresolved: list[Unresolved] = []
        plan: list[_Planned] = []
        if self.config.include_lineage or self._queries is not None:
            # A test reads the table it checks and makes nothing: no edge (its result is a test case's, below).
            testing = event.job.job_type is not None and event.job.job_type.job_type == "TEST"
            state = self._lineage(key, event, unresolved, ops, edges=self.config.include_lineage and not testing)
            if self._queries is not None:
                plan += self._queries.plan(key, event, [(s.ref, s.dataset) for s in state.inputs.values()],
                                           [(s.ref, s.dataset) for s in state.outputs.values()])
        if self._quality is not None and run_event is not None:
            plan += self._quality.plan(run_event)
        for dedupe_key, build in plan:
            if emitted.add(hashed := hash(dedupe_key)):
                ops.append(build(key=hashed))
        return unresolved

    def forget(self, operation: Operation) -> None:
        """Let an operation the sink could not deliver be emitted again by a later event."""
        self._emitted.pop(operation.key)

    # -- pipelines and status ------------------------------------------------------------------------------

    def _update_pipeline(self, pipeline: _Pipeline, event: RunEvent | JobEvent, where: pipelines.Place,
                         final: Mapping[str, str], log: str | None) -> None:
        """Record what the event says about the pipeline and its tasks (``log``: where the orchestrator shows
        this try's log, which gives the pipeline's and the task's pages)."""
        job = event.job
        run_event = event if isinstance(event, RunEvent) else None
        schedule = airflow.schedule(run_event) if run_event is not None else None
        pipeline_page, task_page = airflow.pages(log)
        # Each update below only adds or replaces what the event says: an event saying what an event of its task
        # said since the pipeline last changed has nothing to add. That is most events of a steady stream: the
        # same jobs (parse's very same objects; a task's START and COMPLETE often differ) run after run.
        said = (where.own, where.folded, schedule, pipeline_page, task_page, final,
                (run_event.run.tags, airflow.downstream(run_event)) if run_event is not None else None)
        key = (where.task, id(job))
        last = pipeline.said.get(key) if pipeline.said_version == pipeline.version else None
        if last is not None and last[0] is job and last[1] == said:
            return
        self._apply(pipeline, job, run_event, where, final, schedule=schedule, pipeline_page=pipeline_page,
                    task_page=task_page)
        if pipeline.said_version != pipeline.version or len(pipeline.said) > 16 + 4 * len(pipeline.tasks):
            pipeline.said.clear()  # what was said before the pipeline changed may add something again
            pipeline.said_version = pipeline.version
        pipeline.said[key] = (job, said)  # saying it again changes nothing

    def _apply(self, pipeline: _Pipeline, job: Job, run_event: RunEvent | None, where: pipelines.Place,
               final: Mapping[str, str], *, schedule: str | None, pipeline_page: str | None,
               task_page: str | None) -> None:
        if schedule and schedule != pipeline.schedule:
            pipeline.schedule, pipeline.version = schedule, pipeline.version + 1
        if pipeline_page and pipeline_page != pipeline.page:
            pipeline.page, pipeline.version = pipeline_page, pipeline.version + 1
        if where.folded:
            # A grandchild's SQL is its task's when the task sent none of its own.
            task = pipeline.tasks.get(where.task or "")
            if task is not None and job.sql and not task.sql:
                self._set_task(pipeline, replace(task, sql=job.sql))
            return
        spec = pipelines.task_spec(job, where, run_event, page=task_page)
        if where.own:
            info = pipelines.merged(pipeline.info, spec)
            if info != pipeline.info:
                pipeline.info, pipeline.version = info, pipeline.version + 1
            for declared in pipelines.declared_tasks(job, final, pipeline.tasks):
                self._set_task(pipeline, declared)
        if where.task is not None:
            self._set_task(pipeline, pipelines.merged(pipeline.tasks.get(where.task), spec))

    @staticmethod
    def _set_task(pipeline: _Pipeline, task: TaskSpec) -> None:
        old = pipeline.tasks.get(task.name)
        if old is not task and old != task:
            pipeline.tasks[task.name], pipeline.version = task, pipeline.version + 1

    def _status(self, key: PipelineKey, event: RunEvent, where: pipelines.Place,
                final: Mapping[str, str], log: str | None) -> PipelineRun:
        """The run's status, with what this event says recorded."""
        run = self._pipeline_runs.get((key.fqn, where.run_id))
        if run is None:
            run = PipelineRun(where.run_id, run_timestamp(where.run_id, event.run.nominal_start, event.event_time),
                              from_start=where.own and event.event_type == "START")
            self._pipeline_runs.put((key.fqn, where.run_id), run)
        if where.own:
            run.own.record(event.run.run_id, event.event_type, event.event_time)
            for task, status in final.items():
                run.task(task).settle(event.event_time, status)
        if where.task is not None:
            run.task(where.task).record(event.run.run_id, event.event_type, event.event_time, log)
        return run

    # -- lineage --------------------------------------------------------------------------------------------

    def _lineage(self, key: PipelineKey, event: RunEvent | JobEvent, unresolved: list[Unresolved],
                 ops: list[Operation], edges: bool = True) -> _JobRun:
        """Record the datasets the event's run read and wrote; add its new edges to ``ops`` (with ``edges``).
        Returns the run."""
        if isinstance(event, RunEvent):
            state = self._job_runs.get_or_make(event.run.run_id, _JobRun)
            state.terminal = state.terminal or event.event_type in TERMINAL_EVENT_TYPES
            streaming = event.job.job_type is not None and event.job.job_type.processing_type == "STREAMING"
            # A run seen with only inputs (or only outputs) so far may still report the other side; the
            # pipeline becomes the missing endpoint only once the run is over, or for streams that never end.
            settled = state.terminal or streaming
        else:
            state, settled = _JobRun(), True
        resolve = self.resolver.resolve
        for datasets, side in ((event.inputs, state.inputs), (event.outputs, state.outputs)):
            for dataset in datasets:
                ref = resolve(dataset)
                if isinstance(ref, Unresolved):
                    unresolved.append(ref)
                    continue
                seen = side.get(ref.fqn)
                # A run's events mostly name the same datasets (parse's very same objects): kept, not made anew.
                if seen is None or seen.dataset is not dataset or seen.ref is not ref:
                    side[ref.fqn] = _Seen(ref, dataset)
        if not edges or not ((state.inputs and state.outputs) or settled):
            return state

        sql = event.job.sql
        emitted = self._emitted
        if state.inputs and state.outputs:
            for out in state.outputs.values():
                for source in state.inputs.values():
                    if source.ref.fqn == out.ref.fqn:
                        continue
                    edge_key = ("edge", source.ref.fqn, out.ref.fqn, key.fqn, sql, out.dataset.column_lineage,
                                out.dataset.columns)
                    if emitted.add(hashed := hash(edge_key)):
                        ops.append(self._edge(source, out, pipelines.pipeline_ref(key), sql, key=hashed))
        elif settled:
            pipeline = pipelines.pipeline_ref(key)
            for seen in state.inputs.values():
                if emitted.add(hashed := hash(("edge", seen.ref.fqn, key.fqn, key.fqn, sql))):
                    ops.append(self._one_sided(seen, lineage.entity(seen.ref), pipeline, pipeline, sql, key=hashed))
            for seen in state.outputs.values():
                if emitted.add(hashed := hash(("edge", key.fqn, seen.ref.fqn, key.fqn, sql))):
                    ops.append(self._one_sided(seen, pipeline, lineage.entity(seen.ref), pipeline, sql, key=hashed))
        return state

    @staticmethod
    def _one_sided(seen: _Seen, from_entity: dict[str, str], to_entity: dict[str, str], pipeline: dict[str, str],
                   sql: str | None, *, key: int) -> Operation:
        """An edge between a dataset and the pipeline itself (the run read or wrote nothing else)."""
        hints = (lineage.hint(seen.ref, seen.dataset),)
        return lineage.edge_operation(from_entity, to_entity, pipeline, sql, [], entities=hints, key=key)

    def _edge(self, source: _Seen, out: _Seen, pipeline: dict[str, str], sql: str | None, *, key: int) -> Operation:
        columns = lineage.columns_lineage(
            out.dataset.column_lineage, out.dataset.columns, source.ref, out.ref, self.resolver.resolve_name)
        hints = (lineage.hint(source.ref, source.dataset), lineage.hint(out.ref, out.dataset))
        return lineage.edge_operation(lineage.entity(source.ref), lineage.entity(out.ref), pipeline, sql, columns,
                                      entities=hints, key=key)


def _pipeline_operation(pipeline: _Pipeline, tag_classification: str, *, key: int) -> Operation:
    # Built only when the pipeline changed since it was last emitted, within the event that changed it.
    return pipelines.pipeline_operation(pipeline.key, pipeline.info, list(pipeline.tasks.values()),
                                        tag_classification, schedule=pipeline.schedule, page=pipeline.page, key=key)


def _status_operation(pipeline: PipelineKey, snapshot: Snapshot, whole: bool, *, key: int) -> Operation:
    body = snapshot.body()
    return Operation("pipeline_status", "PUT", pipeline.status_path, body, key, whole=whole,
                     subject=(pipeline.fqn, str(body["timestamp"])), depends_on=pipeline.fqn)


def translate_all(events: Iterable[Event], config: TranslatorConfig | None = None) -> list[Operation]:
    """Translate a finite batch of events; a convenience for tests and tools."""
    translator = Translator(config)
    return [op for event in events for op in translator.translate(event).operations]
