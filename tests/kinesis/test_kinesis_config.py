"""The Kinesis settings: OpenMetadata's KinesisBrokerConfig and awsCredentials, secrets hidden, paths in errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ol_om_core.errors import ConfigError
from ol_om_kinesis.config import load

SECRET = "wJalrXUtnFEMI-K7MDENG-DO-NOT-LOG"
TOKEN = "FwoGZXIvYXdzEXAMPLE-DO-NOT-LOG"


def full() -> dict[str, Any]:
    return {"type": "kinesis", "streamName": "lineage", "consumerOffsets": "AT_TIMESTAMP",
            "timestamp": "2026-11-23T10:00:00Z", "poolTimeout": 0.5, "sessionTimeout": 12,
            "awsConfig": {"awsRegion": "eu-west-1", "awsAccessKeyId": "AKIAEXAMPLE", "awsSecretAccessKey": SECRET,
                          "awsSessionToken": TOKEN, "endPointURL": "http://127.0.0.1:4567", "profileName": "etl",
                          "assumeRoleArn": "arn:aws:iam::123456789012:role/lineage",
                          "assumeRoleSessionName": "ol-om", "assumeRoleSourceIdentity": "ol-om-worker"}}


def test_every_key() -> None:
    config = load(full(), environ={})
    assert config.stream_name == "lineage"
    assert config.consumer_offsets == "AT_TIMESTAMP"
    assert config.timestamp == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert (config.pool_timeout, config.session_timeout) == (0.5, 12)
    assert config.boto3_session_kwargs() == {"region_name": "eu-west-1", "profile_name": "etl",
                                             "aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": SECRET,
                                             "aws_session_token": TOKEN}
    assert config.client_kwargs() == {"endpoint_url": "http://127.0.0.1:4567"}
    assert config.assume_role_kwargs() == {"RoleArn": "arn:aws:iam::123456789012:role/lineage",
                                           "RoleSessionName": "ol-om", "SourceIdentity": "ol-om-worker"}


def test_defaults_leave_credentials_to_the_aws_chain() -> None:
    config = load({"streamName": "lineage", "awsConfig": {"awsRegion": "us-east-1"}}, environ={})
    assert (config.consumer_offsets, config.pool_timeout, config.session_timeout) == ("TRIM_HORIZON", 1.0, 30)
    assert config.boto3_session_kwargs() == {"region_name": "us-east-1"}
    assert config.client_kwargs() == {}
    assert config.assume_role_kwargs() is None
    assert config.aws_config.assume_role_session_name == "OpenMetadataSession"  # OpenMetadata's default


def test_builds_a_boto3_session_offline() -> None:
    import boto3

    config = load(full(), environ={})
    kwargs = {k: v for k, v in config.boto3_session_kwargs().items() if k != "profile_name"}
    session = boto3.Session(**kwargs)
    client = session.client("kinesis", **config.client_kwargs())
    assert client.meta.endpoint_url == "http://127.0.0.1:4567"
    assert client.meta.region_name == "eu-west-1"


def test_secrets_hidden() -> None:
    config = load(full(), environ={})
    for text in (repr(config), str(config), repr(config.aws_config), str(config.model_dump())):
        assert SECRET not in text and TOKEN not in text


def test_environment_overrides_the_file() -> None:
    environ = {"OL_OM_KINESIS_AWS_ACCESS_KEY_ID": "AKIAENV", "OL_OM_KINESIS_AWS_SECRET_ACCESS_KEY": "env-secret",
               "OL_OM_KINESIS_AWS_SESSION_TOKEN": "env-token"}
    config = load(full(), environ=environ)
    kwargs = config.boto3_session_kwargs()
    assert (kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"], kwargs["aws_session_token"]) == (
        "AKIAENV", "env-secret", "env-token")
    minimal = load({"streamName": "s", "awsConfig": {"awsRegion": "us-east-1"}}, environ=environ)
    assert minimal.boto3_session_kwargs()["aws_secret_access_key"] == "env-secret"


@pytest.mark.parametrize(("change", "path"), [
    ({"streamName": None}, "source.streamName"),
    ({"awsConfig": None}, "source.awsConfig"),
    ({"consumerOffsets": "EARLIEST"}, "source.consumerOffsets"),
    ({"poolTimeout": 0}, "source.poolTimeout"),
    ({"sessionTimeout": "long"}, "source.sessionTimeout"),
    ({"brokersUrl": "x"}, "source.brokersUrl"),
    ({"timestamp": None}, "source"),
    ({"awsConfig": {"awsAccessKeyId": "AKIA", "awsSecretAccessKey": SECRET}}, "source.awsConfig.awsRegion"),
    ({"awsConfig": {"awsRegion": "eu-west-1", "awsAccessKeyId": "AKIA"}}, "source.awsConfig"),
    ({"awsConfig": {"awsRegion": "eu-west-1", "endPointURL": "localhost:4567"}}, "source.awsConfig.endPointURL"),
    ({"awsConfig": {"awsRegion": "eu-west-1", "awsSecretAccessKey": ["not", SECRET]}},
     "source.awsConfig.awsSecretAccessKey"),
    ({"awsConfig": {"awsRegion": "eu-west-1", "awsSessionToken": {"t": TOKEN}}}, "source.awsConfig.awsSessionToken"),
])
def test_errors_name_the_key_and_hide_secrets(change: dict[str, Any], path: str) -> None:
    section = {**full(), **change}
    section = {k: v for k, v in section.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        load(section, environ={})
    assert caught.value.path == path
    assert SECRET not in str(caught.value) and TOKEN not in str(caught.value)


def test_path_inside_an_openmetadata_workflow() -> None:
    section = {"_path": "source.serviceConnection.config.brokerConfig", "awsConfig": {"awsRegion": "x"}}
    with pytest.raises(ConfigError) as caught:
        load(section, environ={})
    assert caught.value.path == "source.serviceConnection.config.brokerConfig.streamName"
