"""``ol-om translate``: the dry-run contract of DESIGN.md, and ``ol-om demo``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ol_om._cli import main

GOOD = {
    "eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
    "run": {"runId": "6f1c2f6e-3a5b-4d8e-9f00-000000000001"},
    "job": {"namespace": "ns", "name": "job"},
    "inputs": [{"namespace": "postgres://pg:5432", "name": "db.s.a"}],
    "outputs": [{"namespace": "postgres://pg:5432", "name": "db.s.b"}],
}


def write_events(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_translate_writes_calls_on_stdout_and_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_events(tmp_path, json.dumps(GOOD))
    assert main(["translate", str(events)]) == 0
    out, err = capsys.readouterr()
    calls = [json.loads(line) for line in out.splitlines()]
    assert [c["method"] for c in calls] == ["PUT"] * len(calls)
    assert [c["path"] for c in calls][:2] == ["/v1/services/pipelineServices", "/v1/pipelines"]
    assert calls[-1] == {"method": "PUT", "path": "/v1/lineage", "body": {"edge": {
        "fromEntity": {"type": "table", "fullyQualifiedName": "postgres.db.s.a"},
        "toEntity": {"type": "table", "fullyQualifiedName": "postgres.db.s.b"},
        "lineageDetails": {"pipeline": {"type": "pipeline", "fullyQualifiedName": "openlineage.ns-job"},
                           "source": "OpenLineage"}}}}
    assert err == ""


def test_rejected_events_go_to_stderr_with_position_and_reason(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad_time = dict(GOOD, eventTime="not a time")
    events = write_events(tmp_path, json.dumps(GOOD), "{not json", "", json.dumps(bad_time))
    assert main(["translate", str(events)]) == 1
    out, err = capsys.readouterr()
    reports = [json.loads(line) for line in err.splitlines()]
    assert [(r["position"], r["kind"], r["path"]) for r in reports] == [
        (f"{events}:2", "rejected", "$"),
        (f"{events}:4", "rejected", "$.eventTime"),
    ]
    assert "not JSON" in reports[0]["reason"]
    assert out  # the good event still went through


def test_translate_reads_openmetadata_workflow_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "workflow.yaml"
    config.write_text("""
source:
  type: openlineage
  serviceName: openlineage-kafka-service
  serviceConnection:
    config:
      type: OpenLineage
      brokerConfig: {brokersUrl: "broker1:9092", topicName: openlineage-events}
      namespaceToServiceMapping: {"postgres://pg:5432": pg_prod}
  sourceConfig:
    config:
      type: PipelineMetadata
      pipelineFilterPattern: {includes: [".*"]}
      includeLineage: true
sink: {type: metadata-rest, config: {}}
workflowConfig:
  openMetadataServerConfig: {hostPort: "http://localhost:8585/api", authProvider: openmetadata,
                             securityConfig: {jwtToken: "secret-token"}}
""")
    events = write_events(tmp_path, json.dumps(GOOD))
    assert main(["translate", "--config", str(config), str(events)]) == 0
    calls = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert calls[-1]["body"]["edge"]["toEntity"]["fullyQualifiedName"] == "pg_prod.db.s.b"
    assert calls[1]["body"]["service"] == "openlineage-kafka-service"


def test_a_bad_config_names_the_key_and_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ol-om.json"
    config.write_text(json.dumps({"translate": {"case": "upper"}}))
    assert main(["translate", "--config", str(config), "-"]) == 2
    assert "translate.case" in capsys.readouterr().err


def test_demo_summarises_what_openmetadata_would_hold(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "airflow_openlineage.airflow-prod-orders_etl  (aggregate, clean, notify)" in out
    assert "Failed  [aggregate=Successful, clean=Successful, notify=Failed]" in out
    assert "rejected  demo.jsonl:20  $.eventTime" in out
    # the S3 files resolve to their folder, the Hive location through its symlink
    assert "container:s3.datalake.raw.sales -> table:hive.default.analytics.sales  (3 column mappings)" in out
    assert 'topic:kafka."clicks.raw" -> topic:kafka."clicks.sessions"' in out
    # queries and usage: off unless configured, on in the demo
    assert "3 query, 2 test case, 2 test result, 8 usage)" in out
    assert "postgres.shop.staging.orders_clean  2 on 2026-11-02" in out
    assert "INSERT INTO staging.orders_clean SELECT ... FROM public.orde  (used in postgres.shop.public.orders" in out
    # the dbt model's tests: a test case each, with the run's result
    assert "postgres.jaffle.public.customers.customer_id.unique_customers_customer_id  Success" in out


def test_the_installed_command_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "ol_om", "demo", "--json"],
                            capture_output=True, text=True, check=True)
    methods = Counter(json.loads(line)["method"] for line in result.stdout.splitlines())
    assert set(methods) == {"PUT", "POST"} and methods["POST"] == 2, methods  # POST: the two test results
