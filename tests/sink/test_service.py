"""Registering the OpenLineage pipeline service (``ol_om_sink.service``) against the OpenMetadata stand-in, which
validates each body against OpenMetadata's schemas (createPipelineService -> pipelineConnection -> the 2020-12
openLineageConnection with its Kafka / Kinesis ``brokerConfig``)."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from typing import Any

import pytest

from builders import TOKEN, needs_schemas
from ol_om_core.contract.sinks import SinkError
from ol_om_kafka import KafkaBrokerConfig
from ol_om_kinesis.config import KinesisBrokerConfig
from ol_om_sink import SinkConfig
from ol_om_sink.client import AuthError, Client
from ol_om_sink.service import ServiceError, register_openlineage_service, service_request
from ol_om_sink.testing import schemas

KAFKA = KafkaBrokerConfig(
    brokersUrl="broker1:9092,broker2:9092", topicName="openlineage-events", consumerGroupName="openmetadata-consumer",
    consumerOffsets="earliest", poolTimeout=3.0, sessionTimeout=60, securityProtocol="SASL_SSL",
    sslConfig={"caCertificate": "/certs/RootCA.pem", "sslCertificate": "/certs/Certificate.pem",
               "sslKey": "-----BEGIN PRIVATE KEY-----\nKAFKA-SSL-KEY\n-----END PRIVATE KEY-----\n"},
    saslConfig={"saslMechanism": "SCRAM-SHA-512", "saslUsername": "ol-om", "saslPassword": "hunter2"})
KINESIS = KinesisBrokerConfig(
    streamName="openlineage-events", consumerOffsets="TRIM_HORIZON", poolTimeout=3.0, sessionTimeout=60,
    awsConfig={"awsRegion": "eu-west-1", "awsAccessKeyId": "AKIAEXAMPLE", "awsSecretAccessKey": "AWS-SECRET-KEY",
               "awsSessionToken": "AWS-SESSION-TOKEN"})
SECRETS = ("hunter2", "KAFKA-SSL-KEY", "AWS-SECRET-KEY", "AWS-SESSION-TOKEN", TOKEN)


@pytest.fixture
def server(om) -> SinkConfig:
    return SinkConfig(hostPort=om.url, securityConfig={"jwtToken": TOKEN},
                      retry={"initialDelay": 0.01, "maxDelay": 0.05, "maxElapsed": 1.0})


def stored(om, name: str) -> dict[str, Any]:
    """The service as a client reads it back: ``GET /v1/services/pipelineServices/name/{name}``."""
    client = Client(SinkConfig(hostPort=om.url, securityConfig={"jwtToken": TOKEN}))
    try:
        answer = client.call("GET", f"/v1/services/pipelineServices/name/{name}")
    finally:
        client.close()
    assert answer.status == 200, answer.body
    return dict(answer.body)


def secrets_in(data: Any) -> list[str]:
    text = json.dumps(data)
    return [secret for secret in SECRETS if secret in text or json.dumps(secret)[1:-1] in text]


@pytest.mark.parametrize("broker", [KAFKA, KINESIS], ids=["kafka", "kinesis"])
def test_the_service_is_registered_with_its_connection_and_no_secret(om, server, broker, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    entity = register_openlineage_service(server, "openlineage-service", broker, display_name="OpenLineage Service",
                                          description="Lineage from the brokers")
    assert om.requests[-1] == ("PUT", "/api/v1/services/pipelineServices", 201)
    held = stored(om, "openlineage-service")
    assert held["id"] == entity["id"] and held["serviceType"] == "OpenLineage"
    assert (held["displayName"], held["description"]) == ("OpenLineage Service", "Lineage from the brokers")
    config = held["connection"]["config"]
    assert config == {"type": "OpenLineage", "brokerConfig": broker.to_openmetadata()}
    assert not secrets_in(held) and not secrets_in(caplog.text)
    assert "openlineage-service" in caplog.text


@pytest.mark.parametrize("broker", [KAFKA, KINESIS], ids=["kafka", "kinesis"])
def test_secrets_go_only_when_asked_and_are_never_logged(om, server, broker, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    register_openlineage_service(server, "openlineage-service", broker)
    entity = register_openlineage_service(server, "openlineage-service", broker, include_secrets=True)
    assert om.requests[-1] == ("PUT", "/api/v1/services/pipelineServices", 200)  # the same service, updated
    brokers = stored(om, "openlineage-service")["connection"]["config"]["brokerConfig"]
    assert brokers == broker.to_openmetadata(include_secrets=True) == entity["connection"]["config"]["brokerConfig"]
    assert secrets_in(brokers)
    assert not secrets_in(caplog.text)


def test_the_body_is_a_valid_create_pipeline_service_request() -> None:
    if not schemas.available():
        pytest.skip("OpenMetadata's JSON schemas are not beside the checkout (../shared/openmetadata-spec)")
    validator = schemas.get_validator(ignore_unresolvable=True)
    for broker in (KAFKA, KINESIS):
        for include_secrets in (False, True):
            body = service_request("openlineage-service", broker, include_secrets=include_secrets,
                                   display_name="OpenLineage Service",
                                   namespace_to_service_mapping={"postgres://pg:5432": "pg_prod"},
                                   pipeline_filter_pattern={"includes": ["etl_.*"], "excludes": []})
            validator.validate("pipeline_service", body, resolve_refs=False)
            validator.validate("openlineage_connection", body["connection"]["config"], resolve_refs=False)
    # The 2020-12 connection schema is applied, not skipped: a value it forbids fails the whole request.
    body = service_request("s", {**KAFKA.to_openmetadata(), "consumerOffsets": "newest"})
    [problem] = validator.errors("pipeline_service", body, resolve_refs=False)
    assert problem.startswith("$.connection.config:")
    assert validator.errors("openlineage_connection", body["connection"]["config"], resolve_refs=False)


@needs_schemas
def test_a_refused_request_is_a_service_error_that_quotes_no_secret(om, server) -> None:
    broker = {**KAFKA.to_openmetadata(include_secrets=True), "consumerOffsets": "newest"}  # a mapping, as is
    with pytest.raises(ServiceError) as error:
        register_openlineage_service(server, "openlineage-service", broker, include_secrets=True)
    assert error.value.status == 400 and "connection.config" in error.value.reason
    assert "newest" in str(error.value)  # the stand-in quotes the request back...
    assert not secrets_in(str(error.value))  # ... its secrets masked
    assert om.entity("pipelineService", "openlineage-service") is None


def test_a_mapping_of_openmetadata_keys_works_too_secrets_dropped_unless_asked(om, server) -> None:
    register_openlineage_service({"hostPort": om.url, "securityConfig": {"jwtToken": TOKEN}}, "from-a-mapping",
                                 KINESIS.to_openmetadata(include_secrets=True),
                                 namespace_to_service_mapping={"postgres://pg:5432": "pg_prod"})
    config = stored(om, "from-a-mapping")["connection"]["config"]
    assert config["brokerConfig"] == KINESIS.to_openmetadata()
    assert config["namespaceToServiceMapping"] == {"postgres://pg:5432": "pg_prod"}


def test_a_refused_token_is_an_auth_error(om) -> None:
    wrong = SinkConfig(hostPort=om.url, securityConfig={"jwtToken": "nope"})
    with pytest.raises(AuthError) as error:
        register_openlineage_service(wrong, "s", KAFKA)
    assert isinstance(error.value, SinkError) and "nope" not in str(error.value)


def test_an_unreachable_server_is_a_service_error_after_the_retries(server) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = server.model_copy(update={"host_port": f"http://127.0.0.1:{port}/api"})
    with pytest.raises(ServiceError, match="did not answer"):
        register_openlineage_service(away, "s", KAFKA)


def test_the_sink_does_not_import_the_broker_packages() -> None:
    code = ("import sys, ol_om_sink.service, ol_om_sink\n"
            "print([m for m in sys.modules if m.startswith(('ol_om_kafka', 'ol_om_kinesis', 'confluent_kafka', "
            "'boto3'))])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_run_writing_into_the_service_keeps_its_connection(om, server, tmp_path) -> None:
    """The sink PUTs the service without a connection; OpenMetadata (and the stand-in) keep the registered one."""
    from builders import etl_events, seed_pg
    from ol_om import Workflow

    seed_pg(om)
    register_openlineage_service(server, "openlineage-service", KAFKA)
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in etl_events()))
    result = Workflow.from_config(source={"type": "file", "path": str(events)}, sink=server,
                                  translator={"pipelineService": "openlineage-service"},
                                  dead_letters=tmp_path / "dead.jsonl").run()
    assert result.pipelines == {"openlineage-service.airflow-shop_dag"}
    assert stored(om, "openlineage-service")["connection"]["config"]["brokerConfig"] == KAFKA.to_openmetadata()
