"""Run facts: an Airflow task try's log link, the DAG's and tasks' pages in Airflow's UI as ``sourceUrl``, a failed
run's ``errorMessage`` as a notice (and in a failed test's result), all behind ``includeRunFacts``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ol_om_core import airflow, configfile
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract.sources import Record
from ol_om_core.contract.work import work_of
from ol_om_core.parse import parse
from ol_om_core.translate import Translation, Translator

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "producers"
UI = "http://127.0.0.1:58089/dags/orders_fail"


def translations(path: str, config: TranslatorConfig | None = None) -> list[Translation]:
    translator = Translator(config)
    return [translator.translate(parse(line)) for line in (RECORDINGS / path).read_bytes().splitlines() if line]


def last_pipeline(done: list[Translation]) -> dict[str, Any]:
    return dict([op for t in done for op in t.operations if op.kind == "pipeline"][-1].body)


def test_airflow_dag_and_task_pages_are_source_urls() -> None:
    body = last_pipeline(translations("airflow/orders_fail.jsonl"))
    assert body["sourceUrl"] == UI
    pages = {t["name"]: t.get("sourceUrl") for t in body["tasks"]}
    assert pages == {"broken": f"{UI}/tasks/broken", "choose": f"{UI}/tasks/choose", "extract": f"{UI}/tasks/extract",
                     "incremental": f"{UI}/tasks/incremental",
                     "full_refresh": None, "publish": None}  # never ran: Airflow gave no address for them


def test_a_failed_runs_error_message_is_a_note_with_its_first_line() -> None:
    notes = [n for t in translations("airflow/orders_fail.jsonl") for n in t.notes]
    assert notes == [
        "job prod/orders_fail.broken run 01a1998e-4400-728f-96e1-a1be451d6d26 failed: relation \"analytics.missing\" "
        "does not exist",
        "job prod/orders_fail run 01a1998e-4400-70a4-a1b5-0587647f5386 failed: task_failure"]
    line = (RECORDINGS / "airflow/orders_fail.jsonl").read_bytes().splitlines()[-1]
    work = work_of(Record("f:9", line), Translator())
    assert not isinstance(work, Exception) and work.notes == (notes[-1],)  # type: ignore[union-attr]


def test_a_failed_dbt_tests_message_is_in_its_result() -> None:
    results = [op.body["result"] for t in translations("dbt/build_structured_logs.jsonl") for op in t.operations
               if op.kind == "test_case_result" and op.body["testCaseStatus"] == "Failed"]
    assert results == ["accepted_values failed: actual 1, expected 0 (severity error). Got 1 result, configured to "
                       "fail if != 0"]


@pytest.mark.parametrize(("url", "pages"), [
    ("http://af:8080/dags/d/runs/manual__1/tasks/t?try_number=1",
     ("http://af:8080/dags/d", "http://af:8080/dags/d/tasks/t")),
    ("https://af/log?execution_date=2024&task_id=t&dag_id=d&map_index=-1",
     ("https://af/dags/d/grid", "https://af/dags/d/grid?task_id=t")),
    ("http://af/somewhere/else", (None, None)),
])
def test_ui_pages_from_the_log_url(url: str, pages: tuple[str | None, str | None]) -> None:
    event = parse({"eventType": "START", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
                   "run": {"runId": "r", "facets": {"airflow": {"taskInstance": {"log_url": url}}}},
                   "job": {"namespace": "n", "name": "d.t"}})
    assert airflow.ui_urls(event) == pages  # type: ignore[arg-type]


def test_the_switch_turns_run_facts_off() -> None:
    off = TranslatorConfig(include_run_facts=False)
    done = translations("airflow/orders_fail.jsonl", off)
    body = last_pipeline(done)
    assert "sourceUrl" not in body and not any("sourceUrl" in t for t in body["tasks"])
    assert not [n for t in done for n in t.notes]
    statuses = [op.body for t in done for op in t.operations if op.kind == "pipeline_status"]
    assert not [task for s in statuses for task in s.get("taskStatus", ()) if "logLink" in task]
    assert TranslatorConfig().include_run_facts
    assert not configfile.settings_from({"translate": {"includeRunFacts": False}}).translator.include_run_facts
    workflow = configfile.settings_from({"source": {"type": "openlineage", "serviceConnection": {"config": {}},
                                                    "sourceConfig": {"config": {"includeRunFacts": False}}}})
    assert not workflow.translator.include_run_facts
