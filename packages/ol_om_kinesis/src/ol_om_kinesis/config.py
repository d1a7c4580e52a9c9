"""The Kinesis settings: OpenMetadata's ``KinesisBrokerConfig`` (with its ``awsConfig``), exactly, plus
``AT_TIMESTAMP`` and its ``timestamp``, and ol-om's own: the mode, batch size and where checkpoints are kept.

With no access key configured, credentials come from the default AWS chain (environment, profile, instance or
task role), as boto3 does by itself. The secret key and session token are secrets: in no repr, log or error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ol_om_core.configfile import PATH_KEY, section_path
from ol_om_core.contract.sections import MODEL_CONFIG, BrokerSection, MaskedRepr

_SECRET_KEYS = frozenset({"awsSecretAccessKey", "awsSessionToken"})


class _Model(MaskedRepr, BaseModel):
    model_config = ConfigDict(**MODEL_CONFIG)  # type: ignore[typeddict-item]


class AWSCredentials(_Model):
    """OpenMetadata's ``awsCredentials.json``."""

    aws_region: str = Field(alias="awsRegion", min_length=1)
    aws_access_key_id: str | None = Field(None, alias="awsAccessKeyId")
    aws_secret_access_key: SecretStr | None = Field(None, alias="awsSecretAccessKey")
    aws_session_token: SecretStr | None = Field(None, alias="awsSessionToken")
    end_point_url: str | None = Field(None, alias="endPointURL")
    """Another endpoint than AWS's (a VPC endpoint, or an emulator in tests)."""
    profile_name: str | None = Field(None, alias="profileName")
    assume_role_arn: str | None = Field(None, alias="assumeRoleArn")
    assume_role_session_name: str = Field("OpenMetadataSession", alias="assumeRoleSessionName")
    assume_role_source_identity: str | None = Field(None, alias="assumeRoleSourceIdentity")

    @field_validator("end_point_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _key_pair(self) -> AWSCredentials:
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ValueError("awsAccessKeyId and awsSecretAccessKey go together (or neither, for the default "
                             "AWS credential chain)")
        return self


class CheckpointConfig(_Model):
    """Where the last acknowledged sequence number of each shard is kept."""

    type: Literal["file", "dynamodb"] = "file"
    path: str | None = None
    """``file``: the checkpoint file (default ``ol-om-kinesis-{streamName}.checkpoints.json``); one reader only."""
    table_name: str | None = Field(None, alias="tableName", min_length=3, max_length=255)
    """``dynamodb``: the lease table (created on first use, on demand billing), shared by every worker."""
    lease_seconds: float = Field(10.0, alias="leaseSeconds", ge=1)
    """``dynamodb``: a worker that has not renewed its lease for this long is taken to be dead."""
    worker_id: str | None = Field(None, alias="workerId", min_length=1)
    """``dynamodb``: this worker's name in the table (default: host, process id and a random suffix)."""
    end_point_url: str | None = Field(None, alias="endPointURL")
    """``dynamodb``: another endpoint than AWS's (a VPC endpoint, or an emulator in tests)."""
    create_table: bool = Field(True, alias="createTable")

    @model_validator(mode="after")
    def _table(self) -> CheckpointConfig:
        if self.type == "dynamodb" and not self.table_name:
            raise ValueError("tableName is required with type dynamodb")
        return self


class KinesisSourceConfig(BrokerSection, _Model):
    # The Python API (ol_om_core.contract.sections): from_dict / from_yaml / from_workflow, to_openmetadata()
    section_type: ClassVar[str] = "kinesis"
    secret_keys: ClassVar[frozenset[str]] = _SECRET_KEYS
    openmetadata_keys: ClassVar[tuple[str, ...]] = (
        "streamName", "awsConfig", "consumerOffsets", "poolTimeout", "sessionTimeout")
    openmetadata_values: ClassVar[Mapping[str, tuple[str, ...]]] = {"consumerOffsets": ("TRIM_HORIZON", "LATEST")}

    @classmethod
    def _load(cls, section: Mapping[str, Any], environ: Mapping[str, str]) -> KinesisSourceConfig:
        return load(section, environ)

    # OpenMetadata's KinesisBrokerConfig
    stream_name: str = Field(alias="streamName", min_length=1)
    aws_config: AWSCredentials = Field(alias="awsConfig")
    consumer_offsets: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] = Field(
        "TRIM_HORIZON", alias="consumerOffsets")
    """Where a shard with no checkpoint starts."""
    pool_timeout: float = Field(1.0, alias="poolTimeout", gt=0)
    """Seconds between reads of a shard that had nothing new."""
    session_timeout: int = Field(30, alias="sessionTimeout", gt=0)
    """Batch mode: stop after this many seconds without a record (as OpenMetadata's workflow does)."""
    # ol-om's own
    timestamp: datetime | None = None
    """``AT_TIMESTAMP``: the first records read are those that arrived at or after this time (ISO 8601)."""
    mode: Literal["batch", "service"] = "service"
    """``service``: run until SIGTERM/SIGINT. ``batch``: stop once the stream is quiet (for schedulers)."""
    batch_size: int = Field(500, alias="batchSize", ge=1, le=10_000)
    """Records per GetRecords call on a shard (Kinesis allows up to 10,000)."""
    max_event_bytes: int = Field(16 * 1024 * 1024, alias="maxEventBytes", gt=0)
    """Larger records go to the dead letters unread."""
    shard_sync_interval: float = Field(30.0, alias="shardSyncInterval", gt=0)
    """Seconds between listings of the stream's shards (new shards after a reshard are also found as soon as a
    parent shard ends)."""
    checkpoints: CheckpointConfig = Field(default_factory=CheckpointConfig)

    @model_validator(mode="after")
    def _timestamp(self) -> KinesisSourceConfig:
        if (self.consumer_offsets == "AT_TIMESTAMP") != (self.timestamp is not None):
            raise ValueError("timestamp is required with consumerOffsets AT_TIMESTAMP, and only with it")
        return self

    def boto3_session_kwargs(self) -> dict[str, Any]:
        """Arguments for ``boto3.Session``: only what is configured, so the default chain supplies the rest."""
        aws = self.aws_config
        kwargs: dict[str, Any] = {"region_name": aws.aws_region}
        if aws.profile_name:
            kwargs["profile_name"] = aws.profile_name
        if aws.aws_access_key_id and aws.aws_secret_access_key:
            kwargs["aws_access_key_id"] = aws.aws_access_key_id
            kwargs["aws_secret_access_key"] = aws.aws_secret_access_key.get_secret_value()
            if aws.aws_session_token:
                kwargs["aws_session_token"] = aws.aws_session_token.get_secret_value()
        return kwargs

    def checkpoint_path(self) -> str:
        return self.checkpoints.path or f"ol-om-kinesis-{self.stream_name}.checkpoints.json"

    def client_kwargs(self) -> dict[str, Any]:
        """Arguments for ``session.client("kinesis", ...)`` beyond the session's."""
        return {"endpoint_url": self.aws_config.end_point_url} if self.aws_config.end_point_url else {}

    def assume_role_kwargs(self) -> dict[str, Any] | None:
        """Arguments for STS ``AssumeRole`` when a role is configured, else ``None``."""
        aws = self.aws_config
        if not aws.assume_role_arn:
            return None
        kwargs = {"RoleArn": aws.assume_role_arn, "RoleSessionName": aws.assume_role_session_name}
        if aws.assume_role_source_identity:
            kwargs["SourceIdentity"] = aws.assume_role_source_identity
        return kwargs

    def __repr__(self) -> str:  # pydantic's would show the region and keys; the stream is what people look for
        return f"KinesisSourceConfig(stream_name={self.stream_name!r}, region={self.aws_config.aws_region!r})"

    __str__ = __repr__


KinesisBrokerConfig = KinesisSourceConfig
"""The Python API's name: OpenMetadata's ``KinesisBrokerConfig`` with ol-om's own keys."""


ENV_SECRETS = {"OL_OM_KINESIS_AWS_ACCESS_KEY_ID": "awsAccessKeyId",
               "OL_OM_KINESIS_AWS_SECRET_ACCESS_KEY": "awsSecretAccessKey",
               "OL_OM_KINESIS_AWS_SESSION_TOKEN": "awsSessionToken"}
"""Environment variables that override ``awsConfig`` in the file, so credentials need not be written in it."""


def load(section: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> KinesisSourceConfig:
    environ = os.environ if environ is None else environ
    path = section_path(section, "source")
    data = {k: v for k, v in section.items() if k not in ("type", PATH_KEY)}
    for variable, key in ENV_SECRETS.items():
        if environ.get(variable):
            current = data.get("awsConfig")
            data["awsConfig"] = {**(current if isinstance(current, Mapping) else {}), key: environ[variable]}
    return KinesisSourceConfig.validated(data, path)
