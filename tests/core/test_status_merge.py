"""status.merged: our status of a run joined with the one OpenMetadata holds (after a restart, or another
worker's): per task and overall, the report made at the later moment wins."""

from __future__ import annotations

from typing import Any

from ol_om_core.status import merged


def run(status: str, tasks: list[dict[str, Any]], end: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"timestamp": 100, "executionStatus": status, "executionId": "r", "taskStatus": tasks}
    if end is not None:
        body["endTime"] = end
    return body


def task(name: str, status: str, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "executionStatus": status}
    if start is not None:
        out["startTime"] = start
    if end is not None:
        out["endTime"] = end
    return out


def test_nothing_held_is_ours() -> None:
    ours = run("Pending", [task("a", "Pending", 1)])
    assert merged(None, ours) == ours


def test_a_retry_seen_after_a_restart_replaces_the_failed_try() -> None:
    held = run("Failed", [task("a", "Failed", 1, 2)])
    ours = run("Successful", [task("a", "Successful", 3, 4)], end=5)
    assert merged(held, ours) == ours


def test_a_late_old_report_does_not_undo_what_openmetadata_holds() -> None:
    held = run("Successful", [task("a", "Successful", 3, 4), task("b", "Successful", 5, 6)], end=7)
    ours = run("Failed", [task("a", "Failed", 1, 2)])  # a replayed first try, after a restart
    body = merged(held, ours)
    assert body["executionStatus"] == "Successful" and body["endTime"] == 7
    assert body["taskStatus"] == held["taskStatus"]


def test_a_rerun_in_progress_wins_over_the_ended_first_run() -> None:
    held = run("Failed", [task("a", "Failed", 1, 2)], end=3)
    ours = run("Pending", [task("a", "Pending", 10)])
    body = merged(held, ours)
    assert body["executionStatus"] == "Pending" and "endTime" not in body
    assert body["taskStatus"] == [task("a", "Pending", 10)]


def test_tasks_only_one_side_knows_are_kept_and_a_start_seen_only_before_is_kept() -> None:
    held = run("Pending", [task("a", "Pending", 1), task("b", "Successful", 1, 2)])
    ours = run("Pending", [task("a", "Successful", None, 4), task("c", "Pending", 5)])
    body = merged(held, ours)
    assert body["taskStatus"] == [task("a", "Successful", 1, 4), task("b", "Successful", 1, 2),
                                  task("c", "Pending", 5)]


def test_an_earlier_tries_start_is_not_taken_for_the_retry() -> None:
    held = run("Pending", [task("a", "Failed", 1, 2)])
    ours = run("Pending", [task("a", "Successful", None, 4)])
    assert merged(held, ours)["taskStatus"] == [task("a", "Successful", None, 4)]


def test_on_a_tie_the_later_state_wins() -> None:
    held = run("Successful", [task("a", "Successful", 1, 2)], end=2)
    ours = run("Failed", [task("a", "Failed", 1, 2)], end=2)
    assert merged(held, ours)["executionStatus"] == "Failed"
    assert merged(ours, held)["executionStatus"] == "Failed"
