"""Run events -> OpenMetadata ``PipelineStatus`` with ``taskStatus``: the latest truth of a run.

A run id's events are kept (a few per run) and read by their event times, not their arrival order:

- a START opens an attempt; the run's state is what its latest attempt said (a DAG run cleared and re-run
  keeps its run id: the new START begins again, and its COMPLETE makes the run Successful);
- within an attempt a state only moves forward (Pending, Successful, Failed), so a replayed or late event
  never rolls a terminal state back;
- a task's state is that of its latest attempt: a retry (a new run id, started later) replaces the failure
  of the try before it;
- the orchestrator's own word at the end of a run (Airflow's ``airflowState.tasksState``) is the truth for
  every task it names, as of that moment, including tasks that never ran (Skipped).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# OpenLineage eventType -> OpenMetadata statusType. ABORT (stopped abnormally) counts as Failed: OpenMetadata's
# "Skipped" means a task that never ran.
EXECUTION_STATUS = {
    "START": "Pending",
    "RUNNING": "Pending",
    "OTHER": "Pending",
    "COMPLETE": "Successful",
    "FAIL": "Failed",
    "ABORT": "Failed",
}
TERMINAL_STATUSES = frozenset({"Successful", "Failed", "Skipped"})
_RANK = {"Pending": 0, "Skipped": 1, "Successful": 2, "Failed": 3}
_MAX_REPORTS = 32
"""Events kept per run id: a run has a handful (START, RUNNING…, COMPLETE); re-runs add a few more."""

_NEVER = -1


def later(current: str | None, new: str) -> str:
    """Of two states reported at the same moment, the one that wins."""
    if current is None or _RANK[new] > _RANK[current]:
        return new
    return current


@dataclass(slots=True)
class View:
    """What a run, or a task across its tries, amounts to. Never changed once made: it is a plain dataclass, not a
    frozen one, as it is made for most events and a frozen dataclass (even a ``@value``) costs twice as much to
    make."""

    status: str
    start: int | None = None
    end: int | None = None
    begun: int = _NEVER
    """When its latest attempt began (its START, else its first event): the latest attempt wins."""
    moment: int = _NEVER
    """Its latest event: an orchestrator's verdict made after it overrides it."""
    log_link: str | None = None


_UNSEEN = View("Pending")


def _attempt(reports: tuple[tuple[int, str], ...], child_start: int | None = None,
             log_link: str | None = None) -> View:
    """The latest attempt of one run id: the events from its latest START on (all of them without a START).

    A pipeline run's children starting again (``child_start``: the latest START of any of them) also begin a new
    attempt of it: Airflow 3 sends no DAG run START through every path (``airflow dags test`` sends none), but a
    cleared DAG run's tasks do start again."""
    latest_start: int | None = None
    first = reports[0][0]  # never empty
    # Comparisons, not min() and max(): this runs for most events.
    for time, kind in reports:
        if kind == "START" and (latest_start is None or time > latest_start):
            latest_start = time
        if time < first:  # noqa: PLR1730 - min() costs a call
            first = time
    if latest_start is not None:
        begun = latest_start if child_start is None or child_start < latest_start else child_start
    else:
        begun = first if child_start is None else child_start
    status, start, end, moment = "Pending", latest_start, None, _NEVER
    for time, kind in reports:
        if time < begun:
            continue  # an earlier attempt's event, however late it arrived
        execution = EXECUTION_STATUS[kind]
        if _RANK[execution] > _RANK[status]:
            status = execution
        if time > moment:  # noqa: PLR1730 - max() costs a call
            moment = time
        if execution == "Pending":
            if latest_start is None and kind != "START":  # RUNNING or OTHER: the first one seen starts it
                start = time if start is None or time < start else start
        elif end is None or time > end:
            end = time
    return View(status, start, end, begun, moment, log_link)


@dataclass(slots=True)
class TaskRun:
    """The runs of one task within one pipeline run (its tries), and the orchestrator's verdict on it."""

    runs: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    """Run id -> its reports (when, eventType). Tuples, not lists: the cycle collector stops tracking a tuple of
    plain values, and these live as long as their run (a list would be walked by every collection meanwhile)."""
    log_links: dict[str, str] = field(default_factory=dict)
    """Run id -> where the orchestrator shows that try's log (Airflow's ``airflow.taskInstance.log_url``)."""
    verdict: tuple[int, str] | None = None
    """(when, statusType) the orchestrator reported at the end of the pipeline run."""
    _view: View | None = field(default=None, repr=False, compare=False)
    """The last view made (with ``_view_child_start``): every event asks for the views of all the tasks of its
    run, and most of them did not change since."""
    _view_child_start: int | None = field(default=None, repr=False, compare=False)
    _latest_start: tuple[int | None] | None = field(default=(None,), repr=False, compare=False)
    """(the latest START of its tries, or None), kept up by ``record``; ``None`` when it must be worked out again.
    No report yet: no START."""

    def record(self, run_id: str, event_type: str, time: int, log_link: str | None = None) -> None:
        if log_link and self.log_links.get(run_id) != log_link:
            self.log_links[run_id] = log_link
            self._view = None
        reports = self.runs.get(run_id, ())
        report = (time, event_type)
        if report in reports:
            return
        self._view = None
        if len(reports) >= _MAX_REPORTS:
            self.runs[run_id] = tuple(sorted((*reports, report))[1:])
            self._latest_start = None  # the report let go may have been the latest START
            return
        self.runs[run_id] = (*reports, report)
        if event_type == "START" and self._latest_start is not None:
            latest = self._latest_start[0]
            if latest is None or time > latest:
                self._latest_start = (time,)

    def settle(self, time: int, status: str) -> None:
        if self.verdict is None or time >= self.verdict[0]:
            if self.verdict != (time, status):
                self._view = None
            self.verdict = (time, status)

    def latest_start(self) -> int | None:
        """When its latest try started (the latest of their START events), if any did."""
        if self._latest_start is None:
            self._latest_start = (max((time for reports in self.runs.values() for time, kind in reports
                                       if kind == "START"), default=None),)
        return self._latest_start[0]

    def view(self, child_start: int | None = None) -> View:
        if self._view is not None and self._view_child_start == child_start:
            return self._view
        view = self._make_view(child_start)
        self._view, self._view_child_start = view, child_start
        return view

    def _make_view(self, child_start: int | None) -> View:
        # Views are built directly, not by dataclasses.replace: this runs for most events.
        if len(self.runs) == 1:  # one try, the usual case
            [(run_id, reports)] = self.runs.items()
            latest = _attempt(reports, child_start, self.log_links.get(run_id)) if reports else _UNSEEN
        else:
            attempts = [_attempt(reports, child_start, self.log_links.get(run_id))
                        for run_id, reports in self.runs.items() if reports]
            latest = max(attempts, key=_recency, default=_UNSEEN)
        if self.verdict is not None and self.verdict[0] >= latest.moment:
            when, status = self.verdict
            return View(status, latest.start, latest.end, latest.begun, when, latest.log_link)
        return latest


def _recency(view: View) -> tuple[int, int]:
    return view.begun, view.moment


@dataclass(slots=True)
class PipelineRun:
    """The status of one run of a pipeline, accumulated over the events of the run and its child runs."""

    run_id: str
    timestamp: int
    own: TaskRun = field(default_factory=TaskRun)
    """The pipeline job's own events (a DAG run, a Spark application)."""
    tasks: dict[str, TaskRun] = field(default_factory=dict)
    from_start: bool = False
    """The first event seen of this run was its own START: no earlier state of it can exist elsewhere."""

    def task(self, name: str) -> TaskRun:
        task = self.tasks.get(name)
        if task is None:  # not setdefault: a task run is made only when it is new
            task = self.tasks[name] = TaskRun()
        return task

    def snapshot(self) -> Snapshot:
        """The run's status as of now: its state (a cheap hashable value, for de-duplication) and, from the same
        views, its body when asked. One per event: the views are made once for both."""
        child_start = None
        tasks = []
        rows = []
        # One loop, in name order (names are unique: the task runs themselves are never compared).
        for name, task in sorted(self.tasks.items()) if len(self.tasks) > 1 else self.tasks.items():
            started = task.latest_start()
            if started is not None and (child_start is None or started > child_start):
                child_start = started
            view = task.view()
            tasks.append((name, view))
            rows.append((name, view.status, view.start, view.end, view.log_link))
        own = self.own.view(child_start)
        state = (self.timestamp, _overall(own, tasks), own.status, own.end, tuple(rows))
        return Snapshot(self.run_id, state, own, tasks)

    def execution_status(self) -> str:
        return self.snapshot().execution_status

    def state(self) -> tuple[Any, ...]:
        """Everything ``body`` says, as a cheap hashable value: equal states make equal bodies."""
        return self.snapshot().state

    def body(self) -> dict[str, Any]:
        return self.snapshot().body()


def _overall(own: View, tasks: list[tuple[str, View]]) -> str:
    # The pipeline job's own terminal word is the run's (Airflow decides a DAG run's state from its tasks,
    # trigger rules included). Until then a task that failed in this attempt fails the run; a run whose job
    # never reports itself is over when every task is.
    if own.status in TERMINAL_STATUSES:
        return own.status
    every_task_over = bool(tasks)
    for _, view in tasks:  # a loop, not any() and all(): this runs for every event
        if view.status == "Failed" and view.moment >= own.begun:
            return "Failed"
        if view.status not in TERMINAL_STATUSES:
            every_task_over = False
    return "Successful" if own.moment == _NEVER and every_task_over else "Pending"


@dataclass(slots=True)
class Snapshot:
    """A run's status at one moment: ``state`` for de-duplication, ``body`` for the call. Made for every run event
    and never changed: a plain dataclass, like :class:`View`."""

    run_id: str
    state: tuple[Any, ...]
    """(timestamp, overall status, own status, own end, per task in name order (name, status, start, end, log))"""
    own: View
    tasks: list[tuple[str, View]]

    @property
    def execution_status(self) -> str:
        return str(self.state[1])

    def body(self) -> dict[str, Any]:
        timestamp, overall, own_status, own_end, _ = self.state
        body: dict[str, Any] = {"timestamp": timestamp, "executionStatus": overall, "executionId": self.run_id}
        if own_end is not None and own_status in TERMINAL_STATUSES:
            body["endTime"] = own_end
        body["taskStatus"] = [_task_body(name, view) for name, view in self.tasks]
        return body


def _task_body(name: str, view: View) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "executionStatus": view.status}
    if view.start is not None:
        body["startTime"] = view.start
    if view.end is not None:
        body["endTime"] = view.end
    if view.log_link:
        body["logLink"] = view.log_link
    return body


def merged(held: Mapping[str, Any] | None, ours: Mapping[str, Any]) -> dict[str, Any]:
    """Our status of a run joined with the one OpenMetadata holds (written before a restart, or by another
    worker): per task and overall the one reported at the later moment wins, the later state on a tie."""
    if not held:
        return dict(ours)
    tasks: dict[str, Mapping[str, Any]] = {}
    for task in [*(held.get("taskStatus") or ()), *ours["taskStatus"]]:
        name = task["name"]
        tasks[name] = task if name not in tasks else _joined_task(tasks[name], task)
    body = dict(_newer(held, ours, _run_moment))
    body.update(timestamp=ours["timestamp"], executionId=ours.get("executionId", held.get("executionId")),
                taskStatus=[dict(tasks[name]) for name in sorted(tasks)])
    return body


def _joined_task(held: Mapping[str, Any], ours: Mapping[str, Any]) -> Mapping[str, Any]:
    """The newer of two reports of a task; a start only the older one saw is kept when it was the same attempt
    (the older one had not ended before the newer one did)."""
    winner, other = (ours, held) if _newer(held, ours, _task_moment) is ours else (held, ours)
    start = other.get("startTime")
    if "startTime" in winner or start is None or start > _task_moment(winner):
        return winner
    ended = other.get("endTime")
    if ended is not None and ended < (winner.get("endTime") or _NEVER):
        return winner  # the other was an earlier try
    return {**winner, "startTime": start}


def _newer(held: Mapping[str, Any], ours: Mapping[str, Any], moment: Any) -> Mapping[str, Any]:
    mine, theirs = moment(held), moment(ours)
    if theirs != mine:
        return ours if theirs > mine else held
    return ours if later(held.get("executionStatus"), ours["executionStatus"]) == ours["executionStatus"] else held


def _task_moment(task: Mapping[str, Any]) -> int:
    return max(int(task.get("endTime") or _NEVER), int(task.get("startTime") or _NEVER))


def _run_moment(run: Mapping[str, Any]) -> int:
    if run.get("endTime") is not None:
        return int(run["endTime"])
    return max((_task_moment(t) for t in run.get("taskStatus") or ()), default=_NEVER)


def run_timestamp(run_id: str, nominal_start: int | None, event_time: int) -> int:
    """A run's status timestamp, which OpenMetadata uses as the key of the status record.

    It must not change between the events of a run, or one run would show up as several: the time inside a
    UUIDv7 run id (what OpenLineage recommends) first, then the scheduled time, then the first event seen.
    """
    parsed = _uuid7(run_id)
    if parsed is not None:
        return parsed.int >> 80
    if nominal_start is not None:
        return nominal_start
    return event_time


def _uuid7(run_id: str) -> uuid.UUID | None:
    """The run id as a version 7 UUID, if it is one. A UUID written the usual way (36 characters, dashes at 8, 13,
    18 and 23) shows its version at 14: other versions are told apart without parsing, a third of a run's cost."""
    if len(run_id) == 36 and run_id[14] != "7" and run_id[8] == run_id[13] == run_id[18] == run_id[23] == "-":
        return None
    try:
        parsed = uuid.UUID(run_id)
    except ValueError:
        return None
    return parsed if parsed.version == 7 else None
