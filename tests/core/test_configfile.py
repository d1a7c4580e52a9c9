"""Configuration files: OpenMetadata's workflow YAML and our short form, with errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ol_om_core import configfile
from ol_om_core.errors import ConfigError


def test_openmetadata_workflow_maps_onto_the_translator() -> None:
    settings = configfile.settings_from({
        "source": {
            "type": "openlineage",
            "serviceName": "ol_service",
            "serviceConnection": {"config": {"type": "OpenLineage",
                                             "namespaceToServiceMapping": {"postgres://db:5432": "pg"},
                                             "pipelineFilterPattern": {"includes": ["old.*"]}}},
            "sourceConfig": {"config": {"pipelineFilterPattern": {"includes": ["etl.*"], "excludes": ["tmp"]},
                                        "includeLineage": False, "markDeletedPipelines": True}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO"},
    })
    config = settings.translator
    assert settings.openmetadata_form
    assert config.pipeline_service == "ol_service"
    assert dict(config.naming.namespace_to_service) == {"postgres://db:5432": "pg"}
    assert config.pipeline_filter.includes == ("etl.*",)  # the source config's pattern wins
    assert config.pipeline_filter.excludes == ("tmp",)
    assert config.include_lineage is False
    assert settings.mark_deleted_pipelines is True


def test_openmetadata_workflow_names_the_openmetadata_sink_with_its_server() -> None:
    server = {"hostPort": "http://localhost:8585/api", "authProvider": "openmetadata",
              "securityConfig": {"jwtToken": "t"}}
    settings = configfile.settings_from({
        "source": {"type": "openlineage", "serviceConnection": {"config": {"type": "OpenLineage"}}},
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"openMetadataServerConfig": server},
    })
    assert settings.sink == {"type": "openmetadata", "openMetadataServerConfig": server, "_path": "workflowConfig"}


def test_openmetadata_broker_config_becomes_our_source_run_like_a_workflow() -> None:
    broker = {"brokersUrl": "b:9092", "topicName": "ol", "consumerGroupName": "om", "sessionTimeout": 30}
    settings = configfile.settings_from({
        "source": {"type": "openlineage", "serviceConnection": {"config": {"brokerConfig": broker}}}})
    assert settings.source == {"type": "kafka", "mode": "batch", **broker,
                               "_path": "source.serviceConnection.config.brokerConfig"}
    kinesis = {"streamName": "ol", "awsConfig": {"awsRegion": "eu-west-1"}}
    settings = configfile.settings_from({
        "source": {"type": "openlineage", "serviceConnection": {"config": {"brokerConfig": kinesis}}}})
    assert settings.source["type"] == "kinesis"
    with pytest.raises(ConfigError) as error:
        configfile.settings_from({
            "source": {"type": "openlineage", "serviceConnection": {"config": {"brokerConfig": {"x": 1}}}}})
    assert error.value.path == "source.serviceConnection.config.brokerConfig"


def test_short_form_reads_every_key() -> None:
    settings = configfile.settings_from({"translate": {
        "pipelineService": "svc", "case": "lower", "platformServices": {"s3": "lake"},
        "serviceTypes": {"lake": "Glue"}, "databaseNames": {"my": "default"}, "maxRuns": 5,
    }, "source": {"type": "file"}, "sink": {"type": "dry-run"}})
    config = settings.translator
    assert (config.pipeline_service, config.naming.case, config.max_runs) == ("svc", "lower", 5)
    assert dict(config.naming.platform_services) == {"s3": "lake"}
    assert settings.source == {"type": "file"}


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"translate": {"cse": "lower"}}, "translate.cse", "unknown key"),
        ({"translate": {"case": "upper"}}, "translate.case", "preserve, lower"),
        ({"translate": {"maxRuns": 0}}, "translate.maxRuns", "positive whole number"),
        ({"translate": {"includeLineage": "yes"}}, "translate.includeLineage", "true or false"),
        ({"translate": {"namespaceToServiceMapping": {"a": 1}}}, "translate.namespaceToServiceMapping.a", "string"),
        ({"translate": {"pipelineFilterPattern": {"includes": ["("]}}}, "translate.pipelineFilterPattern.includes[0]",
         "regular expression"),
        ({"transalte": {}}, "transalte", "unknown key"),
        ({"source": {"type": "mysql", "serviceConnection": {}}}, "source.type", "OpenLineage connector"),
    ],
)
def test_errors_name_the_key_and_what_was_expected(data: dict[str, object], path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        configfile.settings_from(data)
    assert caught.value.path == path
    assert words in caught.value.reason


@pytest.mark.parametrize("suffix", [".json", ".toml", ".yaml"])
def test_files_in_each_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ol-om{suffix}"
    if suffix == ".toml":
        path.write_text('[translate]\npipelineService = "svc"\n')
    else:
        path.write_text(json.dumps({"translate": {"pipelineService": "svc"}}))  # JSON is YAML too
    assert configfile.load(path).translator.pipeline_service == "svc"


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        configfile.load(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("source", "path", "place"),
    [
        ({"sourceConfig": {"config": {"namespaceToServiceMapping": {"postgres://db:5432": "pg"}}}},
         "source.sourceConfig.config.namespaceToServiceMapping", "source.serviceConnection.config"),
        ({"namespaceToServiceMapping": {"postgres://db:5432": "pg"}},
         "source.namespaceToServiceMapping", "source.serviceConnection.config"),
        ({"serviceConnection": {"namespaceToServiceMapping": {}}},
         "source.serviceConnection.namespaceToServiceMapping", "source.serviceConnection.config"),
        ({"serviceConnection": {"config": {"includeLineage": False}}},
         "source.serviceConnection.config.includeLineage", "source.sourceConfig.config"),
    ],
)
def test_a_key_in_the_wrong_section_is_refused_naming_its_place(source: dict[str, object], path: str,
                                                                place: str) -> None:
    """Silently ignored, it would leave lineage on default names: OpenMetadata's own schemas refuse it too."""
    data = {"source": {"type": "openlineage", "serviceConnection": {"config": {"type": "OpenLineage"}}, **source}}
    with pytest.raises(ConfigError) as caught:
        configfile.settings_from(data)
    assert caught.value.path == path
    assert place in str(caught.value)
