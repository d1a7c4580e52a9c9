"""The Python API's typed settings — ``KafkaBrokerConfig``, ``KinesisBrokerConfig``, ``SinkConfig`` — are the classes
the plugins use, built alike in code, from a mapping, from YAML or from a whole workflow; they never show a secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ol_om_core.errors import ConfigError
from ol_om_kafka import KafkaBrokerConfig, KafkaSourceConfig
from ol_om_kafka import config as kafka_config
from ol_om_kinesis import config as kinesis_config
from ol_om_kinesis.config import AWSCredentials, KinesisBrokerConfig
from ol_om_sink import SinkConfig
from ol_om_sink import config as sink_config

SECRETS = ("hunter2", "AWS-SECRET-KEY", "AWS-SESSION-TOKEN", "eyJ.jwt.SECRET")

KAFKA = {"brokersUrl": "broker1:9092,broker2:9092", "topicName": "openlineage-events",
         "consumerGroupName": "openmetadata-consumer", "consumerOffsets": "earliest", "poolTimeout": 3.0,
         "sessionTimeout": 60, "securityProtocol": "SASL_SSL",
         "sslConfig": {"caCertificate": "/certs/RootCA.pem", "sslCertificate": "/certs/Certificate.pem",
                       "sslKey": "/certs/Key.pem"},
         "saslConfig": {"saslMechanism": "SCRAM-SHA-512", "saslUsername": "ol-om", "saslPassword": "hunter2"}}
KINESIS = {"streamName": "openlineage-events", "consumerOffsets": "LATEST", "poolTimeout": 3.0, "sessionTimeout": 60,
           "awsConfig": {"awsRegion": "eu-west-1", "awsAccessKeyId": "AKIAEXAMPLE",
                         "awsSecretAccessKey": "AWS-SECRET-KEY", "awsSessionToken": "AWS-SESSION-TOKEN",
                         "endPointURL": "http://127.0.0.1:4567"}}
SINK = {"hostPort": "http://localhost:8585/api", "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": "eyJ.jwt.SECRET"}}


def kafka_in_code() -> KafkaBrokerConfig:
    return KafkaBrokerConfig(
        brokersUrl="broker1:9092,broker2:9092", topicName="openlineage-events",
        consumerGroupName="openmetadata-consumer", consumerOffsets="earliest", poolTimeout=3.0, sessionTimeout=60,
        securityProtocol="SASL_SSL",
        sslConfig=kafka_config.SSLConfig(caCertificate="/certs/RootCA.pem", sslCertificate="/certs/Certificate.pem",
                                         sslKey="/certs/Key.pem"),
        saslConfig=kafka_config.SASLConfig(saslMechanism="SCRAM-SHA-512", saslUsername="ol-om",
                                           saslPassword="hunter2"))


def kafka_in_snake_case() -> KafkaBrokerConfig:
    return KafkaBrokerConfig(
        brokers_url="broker1:9092,broker2:9092", topic_name="openlineage-events",
        consumer_group_name="openmetadata-consumer", consumer_offsets="earliest", pool_timeout=3.0,
        session_timeout=60, security_protocol="SASL_SSL",
        ssl_config={"ca_certificate": "/certs/RootCA.pem", "ssl_certificate": "/certs/Certificate.pem",
                    "ssl_key": "/certs/Key.pem"},
        sasl_config={"sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "ol-om", "sasl_password": "hunter2"})


def kinesis_in_code() -> KinesisBrokerConfig:
    return KinesisBrokerConfig(
        streamName="openlineage-events", consumerOffsets="LATEST", poolTimeout=3.0, sessionTimeout=60,
        awsConfig=AWSCredentials(awsRegion="eu-west-1", awsAccessKeyId="AKIAEXAMPLE",
                                 awsSecretAccessKey="AWS-SECRET-KEY", awsSessionToken="AWS-SESSION-TOKEN",
                                 endPointURL="http://127.0.0.1:4567"))


def kinesis_in_snake_case() -> KinesisBrokerConfig:
    return KinesisBrokerConfig(
        stream_name="openlineage-events", consumer_offsets="LATEST", pool_timeout=3.0, session_timeout=60,
        aws_config={"aws_region": "eu-west-1", "aws_access_key_id": "AKIAEXAMPLE",
                    "aws_secret_access_key": "AWS-SECRET-KEY", "aws_session_token": "AWS-SESSION-TOKEN",
                    "end_point_url": "http://127.0.0.1:4567"})


def sink_in_code() -> SinkConfig:
    return SinkConfig(hostPort="http://localhost:8585/api", authProvider="openmetadata",
                      securityConfig=sink_config.SecurityConfig(jwtToken="eyJ.jwt.SECRET"))


def sink_in_snake_case() -> SinkConfig:
    return SinkConfig(host_port="http://localhost:8585/api", auth_provider="openmetadata",
                      security_config={"jwt_token": "eyJ.jwt.SECRET"})


# (class, settings as OpenMetadata writes them, built in code, built with snake_case names, where it sits in
# OpenMetadata's workflow, what ol-om run adds there)
CASES = {
    "kafka": (KafkaBrokerConfig, KAFKA, kafka_in_code, kafka_in_snake_case, "brokerConfig", {"mode": "batch"}),
    "kinesis": (KinesisBrokerConfig, KINESIS, kinesis_in_code, kinesis_in_snake_case, "brokerConfig",
                {"mode": "batch"}),
    "sink": (SinkConfig, SINK, sink_in_code, sink_in_snake_case, "openMetadataServerConfig", {}),
}


def _yaml(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)  # JSON is YAML; PyYAML reads it as such


def openmetadata_workflow(name: str) -> dict[str, Any]:
    """OpenMetadata's own workflow for the OpenLineage connector, holding ``name``'s settings where it keeps them."""
    broker = {"kafka": KAFKA, "kinesis": KINESIS}.get(name, {"brokersUrl": "b:9092", "topicName": "t"})
    return {"source": {"type": "openlineage", "serviceName": "openlineage-service",
                       "serviceConnection": {"config": {"type": "OpenLineage", "brokerConfig": broker}},
                       "sourceConfig": {"config": {"type": "PipelineMetadata"}}},
            "sink": {"type": "metadata-rest", "config": {}},
            "workflowConfig": {"openMetadataServerConfig": SINK}}


@pytest.mark.parametrize("name", CASES)
def test_code_snake_case_dict_yaml_and_workflow_give_equal_objects(name: str, tmp_path: Path) -> None:
    cls, data, in_code, in_snake_case, _, run_adds = CASES[name]
    built = in_code()
    assert type(built) is cls
    assert in_snake_case() == built
    assert cls.from_dict(data) == built
    assert cls.from_yaml(_yaml(data)) == built  # YAML text of the section alone
    section_file = tmp_path / "section.yaml"
    section_file.write_text(_yaml(data))
    assert cls.from_yaml(section_file) == built and cls.from_yaml(str(section_file)) == built
    # A whole workflow, in OpenMetadata's form: as ol-om run reads it (its source in batch mode).
    workflow = openmetadata_workflow(name)
    expected = built.model_copy(update=run_adds)
    workflow_file = tmp_path / "workflow.yaml"
    workflow_file.write_text(_yaml(workflow))
    for source in (workflow, workflow_file, str(workflow_file), _yaml(workflow)):
        assert cls.from_workflow(source) == expected, source
    assert cls.from_yaml(workflow_file) == expected
    # ... and in ol-om's short form, as the plugin's section.
    short = {"source": {"type": "file", "path": "x.jsonl"}, "sink": {"type": "dry-run"},
             cls.section_role: built.as_section()}
    assert cls.from_workflow(short) == built
    assert cls.from_dict(built.as_section()) == built


def test_the_typed_settings_are_the_classes_the_plugins_load() -> None:
    assert KafkaBrokerConfig is KafkaSourceConfig is type(kafka_config.load({**KAFKA}, environ={}))
    assert KinesisBrokerConfig is kinesis_config.KinesisSourceConfig
    assert type(kinesis_config.load(KINESIS, environ={})) is KinesisBrokerConfig
    assert type(sink_config.load(SINK, environ={})) is SinkConfig


@pytest.mark.parametrize("name", CASES)
def test_secrets_are_in_no_repr_or_str(name: str) -> None:
    _, _, in_code, _, _, _ = CASES[name]
    built = in_code()
    for text in (repr(built), str(built), f"{built}", f"{built!r}"):
        assert not [secret for secret in SECRETS if secret in text], text


@pytest.mark.parametrize(("build", "path", "words"), [
    (lambda: KafkaBrokerConfig(topicName="t"), "brokerConfig.brokersUrl", "Field required"),
    (lambda: KafkaBrokerConfig(**{**KAFKA, "consumerOffsets": "newest"}), "brokerConfig.consumerOffsets",
     "'earliest' or 'latest'"),
    (lambda: KafkaBrokerConfig(**{**KAFKA, "saslConfig": {"saslPassword": ["hunter2"]}}),
     "brokerConfig.saslConfig.saslPassword", "invalid value"),
    (lambda: KafkaBrokerConfig(**{**KAFKA, "sslConfig": {"sslKey": 12, "extra": "hunter2"}}),
     "brokerConfig.sslConfig.sslKey", "invalid value"),
    (lambda: KafkaBrokerConfig(brokers_url="b", topic_name="t", pool_timeout=0), "brokerConfig.pool_timeout",
     "greater than 0"),
    (lambda: KafkaBrokerConfig.from_dict({**KAFKA, "securityProtocol": "TLS"}), "brokerConfig.securityProtocol",
     "SASL_SSL"),
    (lambda: KafkaBrokerConfig.from_dict({**KAFKA, "poolTimeout": -1}, path="source"), "source.poolTimeout",
     "greater than 0"),
    (lambda: KafkaBrokerConfig.from_yaml('{"brokersUrl": "b"}'), "brokerConfig.topicName", "Field required"),
    (lambda: KinesisBrokerConfig(**{**KINESIS, "awsConfig": {"awsRegion": "x", "awsAccessKeyId": "A",
                                                              "awsSecretAccessKey": ["AWS-SECRET-KEY"]}}),
     "brokerConfig.awsConfig.awsSecretAccessKey", "invalid value"),
    (lambda: KinesisBrokerConfig.from_dict({**KINESIS, "awsConfig": {"awsRegion": "x",
                                                                      "awsSecretAccessKey": "AWS-SECRET-KEY"}}),
     "brokerConfig.awsConfig", "go together"),
    (lambda: KinesisBrokerConfig(**{**KINESIS, "consumerOffsets": "AT_TIMESTAMP"}), "brokerConfig",
     "timestamp is required"),
    (lambda: SinkConfig(hostPort="localhost:8585", securityConfig={"jwtToken": "eyJ.jwt.SECRET"}),
     "sink.hostPort", "http://"),
    (lambda: SinkConfig.from_dict({"hostPort": "http://om:8585/api"}), "sink.securityConfig.jwtToken",
     "needs a bot's JWT"),
    (lambda: SinkConfig.from_dict({**SINK, "securityConfig": {"jwtToken": ["eyJ.jwt.SECRET"]}}),
     "sink.securityConfig.jwtToken", "invalid value"),
])
def test_an_invalid_value_is_a_config_error_naming_the_key_and_no_secret(build, path, words) -> None:
    with pytest.raises(ConfigError) as error:
        build()
    assert (error.value.path, words in error.value.reason) == (path, True), str(error.value)
    assert not [secret for secret in SECRETS if secret in str(error.value)]


def test_an_invalid_value_in_a_workflow_is_named_where_it_sits_in_the_file() -> None:
    workflow = openmetadata_workflow("kafka")
    workflow["source"]["serviceConnection"]["config"]["brokerConfig"] = {**KAFKA, "consumerOffsets": "newest"}
    with pytest.raises(ConfigError) as error:
        KafkaBrokerConfig.from_workflow(workflow)
    assert error.value.path == "source.serviceConnection.config.brokerConfig.consumerOffsets"
    workflow["workflowConfig"]["openMetadataServerConfig"] = {**SINK, "verifySSL": "maybe"}
    with pytest.raises(ConfigError) as error:
        SinkConfig.from_workflow(workflow)
    assert error.value.path == "workflowConfig.openMetadataServerConfig.verifySSL"


def test_a_workflow_of_another_kind_is_refused_by_name() -> None:
    with pytest.raises(ConfigError) as error:
        KinesisBrokerConfig.from_workflow(openmetadata_workflow("kafka"))
    assert (error.value.path, error.value.reason) == ("source.type", "this workflow's source is 'kafka', not kinesis")
    with pytest.raises(ConfigError, match="names none, not openmetadata"):
        SinkConfig.from_workflow({"source": {"type": "file", "path": "x"}})


def test_the_environment_is_read_only_when_asked() -> None:
    environ = {"OL_OM_KAFKA_SASL_PASSWORD": "from-env", "OPENMETADATA_JWT_TOKEN": "env.jwt"}
    assert KafkaBrokerConfig.from_dict(KAFKA).sasl_config.sasl_password.get_secret_value() == "hunter2"
    from_env = KafkaBrokerConfig.from_dict(KAFKA, environ=environ)
    assert from_env.sasl_config.sasl_password.get_secret_value() == "from-env"
    assert SinkConfig.from_workflow(openmetadata_workflow("kafka"), environ=environ).token == "env.jwt"


def test_kafka_to_openmetadata_is_its_broker_config_with_secrets_only_when_asked() -> None:
    broker = kafka_in_code().model_copy(update={"mode": "batch", "batch_size": 10, "dead_letter_topic": "dead"})
    without = broker.to_openmetadata()
    assert without == {**KAFKA, "sslConfig": {"caCertificate": "/certs/RootCA.pem",
                                               "sslCertificate": "/certs/Certificate.pem"},
                       "saslConfig": {"saslMechanism": "SCRAM-SHA-512", "saslUsername": "ol-om"}}
    assert list(without) == list(KAFKA)  # OpenMetadata's keys, in its order; none of ol-om's own
    assert broker.to_openmetadata(include_secrets=True) == KAFKA
    # Nested sections holding only defaults are left out; OpenMetadata's defaults apply there.
    plain = KafkaBrokerConfig(brokersUrl="b:9092", topicName="t").to_openmetadata()
    assert plain == {"brokersUrl": "b:9092", "topicName": "t", "consumerGroupName": "ol-om",
                     "consumerOffsets": "earliest", "poolTimeout": 1.0, "sessionTimeout": 30,
                     "securityProtocol": "PLAINTEXT"}


def test_kinesis_to_openmetadata_is_its_broker_config_with_secrets_only_when_asked() -> None:
    broker = kinesis_in_code()
    aws = {**KINESIS["awsConfig"], "assumeRoleSessionName": "OpenMetadataSession"}
    assert broker.to_openmetadata(include_secrets=True) == {**KINESIS, "awsConfig": aws}
    without = broker.to_openmetadata()
    assert without["awsConfig"] == {key: value for key, value in aws.items()
                                    if key not in ("awsSecretAccessKey", "awsSessionToken")}
    assert list(without) == ["streamName", "awsConfig", "consumerOffsets", "poolTimeout", "sessionTimeout"]


def test_kinesis_at_timestamp_is_ol_oms_own_and_has_no_openmetadata_form() -> None:
    broker = KinesisBrokerConfig(**{**KINESIS, "consumerOffsets": "AT_TIMESTAMP"},
                                 timestamp=datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert KinesisBrokerConfig.from_dict(broker.as_section()) == broker
    with pytest.raises(ConfigError) as error:
        broker.to_openmetadata()
    assert error.value.path == "brokerConfig.consumerOffsets" and "TRIM_HORIZON or LATEST" in error.value.reason


@pytest.mark.parametrize("name", CASES)
def test_as_section_is_what_the_plugin_reads_secrets_included(name: str) -> None:
    cls, _, in_code, _, _, _ = CASES[name]
    section = in_code().as_section()
    assert section["type"] == cls.section_type
    assert [secret for secret in SECRETS if secret in json.dumps(section, default=str)]
    assert cls._load(section, {}) == in_code()


def test_block_style_yaml_as_in_the_docs() -> None:
    text = """\
brokersUrl: broker1:9092,broker2:9092
topicName: openlineage-events
consumerGroupName: openmetadata-consumer
consumerOffsets: earliest
poolTimeout: 3.0
sessionTimeout: 60
securityProtocol: SASL_SSL
sslConfig: {caCertificate: /certs/RootCA.pem, sslCertificate: /certs/Certificate.pem, sslKey: /certs/Key.pem}
saslConfig:
  saslMechanism: SCRAM-SHA-512
  saslUsername: ol-om
  saslPassword: hunter2
"""
    assert KafkaBrokerConfig.from_yaml(text) == kafka_in_code()
