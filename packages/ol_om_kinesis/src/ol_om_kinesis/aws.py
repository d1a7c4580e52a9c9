"""boto3 sessions and clients from the settings: the default credential chain unless keys are configured, and a
role assumed on top when ``assumeRoleArn`` is set (its temporary credentials renewed before they expire)."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import ClientError

from ol_om_kinesis.config import KinesisSourceConfig


def session(config: KinesisSourceConfig) -> boto3.Session:
    base = boto3.Session(**config.boto3_session_kwargs())
    assume = config.assume_role_kwargs()
    if assume is None:
        return base
    sts = base.client("sts")  # endPointURL is the stream's endpoint, not STS's

    def refresh() -> dict[str, str]:
        credentials = sts.assume_role(**assume)["Credentials"]
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"], "expiry_time": credentials["Expiration"].isoformat()}

    core = botocore.session.Session()
    # botocore has no public setter for a credentials provider built in code; this is the usual way.
    core._credentials = DeferredRefreshableCredentials(refresh, "assume-role")
    core.set_config_variable("region", config.aws_config.aws_region)
    return boto3.Session(botocore_session=core)


def client_config(connections: int = 10, read_timeout: float = 30) -> Config:
    """Bounded retries and timeouts: the source does its own back-off around them."""
    return Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=read_timeout,
                  max_pool_connections=connections)


def kinesis_client(config: KinesisSourceConfig, boto: boto3.Session, connections: int = 10) -> Any:
    return boto.client("kinesis", config=client_config(connections), **config.client_kwargs())


def dynamodb_client(config: KinesisSourceConfig, boto: boto3.Session) -> Any:
    endpoint = config.checkpoints.end_point_url
    # Short reads: a lease renewal stuck behind a slow call must not outlast the lease.
    settings = client_config(read_timeout=min(10.0, config.checkpoints.lease_seconds / 3))
    return boto.client("dynamodb", config=settings, **({"endpoint_url": endpoint} if endpoint else {}))


def error_code(exc: Exception) -> str:
    """An AWS error's code (``ExpiredIteratorException``...), or ``""`` for errors that carry none."""
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


def describe(exc: Exception) -> str:
    """``Code: message`` of an AWS error (never the request: it may hold credentials)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '')}: {error.get('Message', '')}"
    return str(exc)
