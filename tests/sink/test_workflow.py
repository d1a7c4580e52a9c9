"""``Workflow.from_config(...).run()``: ``ol-om run`` from Python, with the file source and the OpenMetadata sink
against the stand-in, from every form of configuration."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from builders import TOKEN, etl_events, seed_pg
from ol_om import EXIT_SINK, Workflow, WorkflowResult
from ol_om_core import configfile
from ol_om_core.config import TranslatorConfig
from ol_om_core.errors import ConfigError
from ol_om_sink import SinkConfig

PIPELINE = "openlineage.airflow-shop_dag"


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in etl_events()) + "{broken\n")
    return path


def short_form(om, events: Path, token: str = TOKEN) -> dict[str, Any]:
    return {"source": {"type": "file", "path": str(events)},
            "sink": {"type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": token}}}


def check_written(om, result: WorkflowResult, letters: Path, pipeline: str = PIPELINE) -> None:
    assert result.ok and result.exit_status == 0 and not result.stopped
    assert (result.events, result.rejected, result.dead_letters) == (6, 1, 1)
    assert result.pipelines == {pipeline} and result.dead_letter_file == letters
    assert len(om.edges()) == 2 and [s["executionStatus"] for s in om.statuses(pipeline)] == ["Successful"]
    [letter] = [json.loads(line) for line in letters.read_text().splitlines()]
    assert letter["position"].endswith("events.jsonl:6") and letter["event"] == "{broken\n"


@pytest.mark.parametrize("form", ["dict", "json-path", "yaml-path", "str-path", "json-text", "yaml-text",
                                  "toml-text", "settings"])
def test_every_form_of_configuration_runs_like_ol_om_run(om, events, tmp_path, form) -> None:
    seed_pg(om)
    data = short_form(om, events)
    yaml_text = (f"source: {{type: file, path: '{events}'}}\n"
                 f"sink:\n  type: openmetadata\n  hostPort: {om.url}\n  securityConfig: {{jwtToken: {TOKEN}}}\n")
    toml_text = (f"[source]\ntype = 'file'\npath = '{events}'\n\n[sink]\ntype = 'openmetadata'\n"
                 f"hostPort = '{om.url}'\nsecurityConfig = {{jwtToken = '{TOKEN}'}}\n")
    json_file, yaml_file = tmp_path / "ol-om.json", tmp_path / "ol-om.yaml"
    json_file.write_text(json.dumps(data))
    yaml_file.write_text(yaml_text)
    config = {"dict": data, "json-path": json_file, "yaml-path": yaml_file, "str-path": str(yaml_file),
              "json-text": json.dumps(data), "yaml-text": yaml_text, "toml-text": toml_text,
              "settings": configfile.settings_from(data)}[form]
    letters = tmp_path / "dead.jsonl"
    check_written(om, Workflow.from_config(config, dead_letters=letters).run(), letters)


def test_typed_settings_and_openmetadatas_service_name(om, events, tmp_path) -> None:
    seed_pg(om)
    letters = tmp_path / "dead.jsonl"
    sink = SinkConfig(hostPort=om.url, securityConfig={"jwtToken": TOKEN})
    run = Workflow.from_config(source={"type": "file", "path": str(events)}, sink=sink,
                               translator={"pipelineService": "openlineage-service"}, dead_letters=letters)
    check_written(om, run.run(), letters, "openlineage-service.airflow-shop_dag")
    again = Workflow.from_config(source={"type": "file", "path": str(events)}, sink=sink,
                                 translator=TranslatorConfig(pipeline_service="openlineage-service"),
                                 dead_letters=tmp_path / "again.jsonl").run()
    assert again.pipelines == {"openlineage-service.airflow-shop_dag"}


def test_typed_settings_replace_the_files_sections(om, events, tmp_path) -> None:
    seed_pg(om)
    wrong = short_form(om, events, token="nope")
    sink = SinkConfig(hostPort=om.url, securityConfig={"jwtToken": TOKEN})
    letters = tmp_path / "dead.jsonl"
    check_written(om, Workflow.from_config(wrong, sink=sink, dead_letters=letters).run(), letters)


def test_openmetadatas_workflow_form_with_its_sink_from_workflow_config(om, events, tmp_path) -> None:
    """OpenMetadata's workflow YAML, its brokerConfig swapped for the file source (as a test can)."""
    seed_pg(om)
    workflow = {"source": {"type": "openlineage", "serviceName": "openlineage-service",
                           "serviceConnection": {"config": {"type": "OpenLineage"}},
                           "sourceConfig": {"config": {"type": "PipelineMetadata", "markDeletedPipelines": True}}},
                "sink": {"type": "metadata-rest", "config": {}},
                "workflowConfig": {"openMetadataServerConfig": {"hostPort": om.url, "authProvider": "openmetadata",
                                                                "securityConfig": {"jwtToken": TOKEN}}}}
    letters = tmp_path / "dead.jsonl"
    result = Workflow.from_config(workflow, source={"type": "file", "path": str(events)}, dead_letters=letters).run()
    check_written(om, result, letters, "openlineage-service.airflow-shop_dag")
    assert result.deleted_pipelines == ()  # markDeletedPipelines ran: nothing else in the service


def test_a_refused_token_gives_ol_om_runs_exit_status(om, events, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="ol_om")
    result = Workflow.from_config(short_form(om, events, token="nope"), dead_letters=tmp_path / "d.jsonl").run()
    assert (result.exit_status, result.ok) == (EXIT_SINK, False)
    assert "refused the credentials" in (result.error or "") and "nope" not in repr(result) + caplog.text


@pytest.mark.parametrize(("config", "path"), [
    ({"source": {"path": "x.jsonl"}, "sink": {"type": "dry-run"}}, "source.type"),
    ({"translate": {"case": "upper"}, "source": {"type": "file", "path": "x"}}, "translate.case"),
    ("source: {type: file, path: x}\nsink: {type: openmetadata, hostPort: 'localhost:8585'}\n", "sink.hostPort"),
    ("source: [unclosed\n", ""),
    ("missing.yaml", ""),
    ({"sorce": {}}, "sorce"),
])
def test_a_configuration_problem_is_a_config_error_raised_before_anything_runs(config, path, tmp_path,
                                                                             monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        Workflow.from_config(config).run()
    assert error.value.path == path, str(error.value)
    assert not (tmp_path / "ol-om-dead-letters.jsonl").exists()


def test_a_stopped_run_says_so(om, events, tmp_path) -> None:
    seed_pg(om)
    stop = threading.Event()
    stop.set()
    result = Workflow.from_config(short_form(om, events), dead_letters=tmp_path / "d.jsonl").run(stop)
    assert result.ok and result.stopped


def test_the_runs_signal_handlers_are_put_back(om, events, tmp_path) -> None:
    import signal

    seed_pg(om)
    before = signal.getsignal(signal.SIGTERM)
    Workflow.from_config(short_form(om, events), dead_letters=tmp_path / "d.jsonl").run(handle_signals=True)
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_cycle_collector_runs_less_often_during_a_run_and_as_before_after(om, events, tmp_path,
                                                                             monkeypatch) -> None:
    import gc

    from ol_om import _workflow

    seed_pg(om)
    during: list[tuple[int, int, int]] = []
    deliver = _workflow.Runner.run

    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        during.append(gc.get_threshold())
        return deliver(self, *args, **kwargs)

    monkeypatch.setattr(_workflow.Runner, "run", run)
    before = gc.get_threshold()
    assert Workflow.from_config(short_form(om, events), dead_letters=tmp_path / "d.jsonl").run().events == 6
    assert during and during[0][0] > before[0] and gc.get_threshold() == before
