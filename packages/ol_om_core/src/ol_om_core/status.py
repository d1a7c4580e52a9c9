"""Run events -> OpenMetadata ``PipelineStatus`` with ``taskStatus``.

A run's state only moves forward: Pending, then Successful, then Failed. A late START after COMPLETE, or a
replayed COMPLETE, never rolls a terminal state back, whatever order events arrive in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# OpenLineage eventType -> OpenMetadata statusType. ABORT (stopped abnormally) counts as Failed: OpenMetadata's
# "Skipped" means a run that never ran.
EXECUTION_STATUS = {
    "START": "Pending",
    "RUNNING": "Pending",
    "OTHER": "Pending",
    "COMPLETE": "Successful",
    "FAIL": "Failed",
    "ABORT": "Failed",
}
_RANK = {"Pending": 0, "Successful": 1, "Failed": 2}


def later(current: str | None, new: str) -> str:
    """The status that wins when both were reported for one run."""
    if current is None or _RANK[new] > _RANK[current]:
        return new
    return current


@dataclass(slots=True)
class TaskRun:
    status: str | None = None
    start: int | None = None
    end: int | None = None

    def record(self, event_type: str, time: int) -> None:
        self.status = later(self.status, EXECUTION_STATUS[event_type])
        if event_type == "START" or (event_type in ("RUNNING", "OTHER") and self.start is None):
            self.start = time if self.start is None else min(self.start, time)
        if EXECUTION_STATUS[event_type] != "Pending":
            self.end = time if self.end is None else max(self.end, time)


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

    def execution_status(self) -> str:
        # The pipeline job's own word first; a failed task still marks the run Failed.
        status = self.own.status or "Pending"
        for task in self.tasks.values():
            if task.status == "Failed":
                status = later(status, "Failed")
        return status

    def state(self) -> tuple[Any, ...]:
        """Everything ``body`` says, as a cheap hashable value: equal states make equal bodies."""
        return (self.timestamp, self.execution_status(), self.own.status, self.own.end,
                tuple((name, t.status, t.start, t.end) for name, t in sorted(self.tasks.items())))

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "timestamp": self.timestamp,
            "executionStatus": self.execution_status(),
            "executionId": self.run_id,
        }
        if self.own.end is not None and self.own.status != "Pending":
            body["endTime"] = self.own.end
        body["taskStatus"] = [_task_body(name, task) for name, task in sorted(self.tasks.items())]
        return body


def _task_body(name: str, task: TaskRun) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "executionStatus": task.status or "Pending"}
    if task.start is not None:
        body["startTime"] = task.start
    if task.end is not None:
        body["endTime"] = task.end
    return body


def run_timestamp(run_id: str, nominal_start: int | None, event_time: int) -> int:
    """A run's status timestamp, which OpenMetadata uses as the key of the status record.

    It must not change between the events of a run, or one run would show up as several: the time inside a
    UUIDv7 run id (what OpenLineage recommends) first, then the scheduled time, then the first event seen.
    """
    try:
        parsed = uuid.UUID(run_id)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.version == 7:
        return parsed.int >> 80
    if nominal_start is not None:
        return nominal_start
    return event_time
