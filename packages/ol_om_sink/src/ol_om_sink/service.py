"""The OpenLineage pipeline service in OpenMetadata, registered from Python.

OpenMetadata's documentation has its users create this service with its ingestion client
(``metadata.create_or_update(CreatePipelineServiceRequest(...))``, an ``OpenLineageConnection`` holding a Kafka or
Kinesis ``brokerConfig``); :func:`register_openlineage_service` does the same with the sink's client::

    from ol_om_kafka import KafkaBrokerConfig
    from ol_om_sink import SinkConfig
    from ol_om_sink.service import register_openlineage_service

    server = SinkConfig(hostPort="http://localhost:8585/api", securityConfig={"jwtToken": token})
    broker = KafkaBrokerConfig(brokersUrl="broker1:9092", topicName="openlineage-events")
    register_openlineage_service(server, "openlineage-service", broker)

The broker settings are any object with ``to_openmetadata(include_secrets=...)`` (``ol_om_kafka``'s and
``ol_om_kinesis``'s settings have it; this package does not import them), or a mapping already in OpenMetadata's
shape. Secrets (``saslPassword``, ``sslKey``, ``awsSecretAccessKey``, ``awsSessionToken``) are sent only with
``include_secrets=True``; they are never logged, and are masked in an error that would quote them. The JWT is only
ever in the ``Authorization`` header.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from ol_om_core.contract.sinks import SinkError
from ol_om_sink.client import Client, Rejected, Transient
from ol_om_sink.config import SinkConfig

log = logging.getLogger("ol_om_sink")

SERVICE_TYPE = "OpenLineage"
"""``serviceType`` of the pipeline service, and ``type`` of its connection (OpenMetadata's ``OpenLineageType``)."""
SERVICES_PATH = "/v1/services/pipelineServices"
SECRET_KEYS = frozenset({"saslPassword", "sslKey", "awsSecretAccessKey", "awsSessionToken"})
"""Keys of OpenMetadata's broker configurations whose values are secrets."""
MASK = "********"


@runtime_checkable
class BrokerConfig(Protocol):
    """What the registration needs of broker settings: OpenMetadata's ``brokerConfig`` for them."""

    def to_openmetadata(self, *, include_secrets: bool = False) -> dict[str, Any]: ...


class ServiceError(SinkError):
    """OpenMetadata did not take the pipeline service: it refused it (``status``, its ``reason``), or could not be
    reached before ``retry.maxElapsed`` ran out (``status`` 0)."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def service_request(name: str, broker_config: BrokerConfig | Mapping[str, Any], *, include_secrets: bool = False,
                    display_name: str | None = None, description: str | None = None,
                    namespace_to_service_mapping: Mapping[str, str] | None = None,
                    pipeline_filter_pattern: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``CreatePipelineServiceRequest`` body: ``serviceType: OpenLineage`` and an ``OpenLineageConnection``
    (``connection.config``) with the broker's ``brokerConfig``, and the mapping and filter when given."""
    connection: dict[str, Any] = {"type": SERVICE_TYPE,
                                  "brokerConfig": broker_connection(broker_config, include_secrets=include_secrets)}
    if namespace_to_service_mapping:
        connection["namespaceToServiceMapping"] = dict(namespace_to_service_mapping)
    if pipeline_filter_pattern:
        connection["pipelineFilterPattern"] = {key: list(value) for key, value in pipeline_filter_pattern.items()}
    body: dict[str, Any] = {"name": name, "serviceType": SERVICE_TYPE, "connection": {"config": connection}}
    if display_name is not None:
        body["displayName"] = display_name
    if description is not None:
        body["description"] = description
    return body


def broker_connection(broker_config: BrokerConfig | Mapping[str, Any], *, include_secrets: bool = False
                      ) -> dict[str, Any]:
    """OpenMetadata's ``brokerConfig`` for typed settings or a mapping; secrets only with ``include_secrets``."""
    if isinstance(broker_config, Mapping):
        return dict(broker_config) if include_secrets else _without(broker_config, SECRET_KEYS)
    if isinstance(broker_config, BrokerConfig):
        return broker_config.to_openmetadata(include_secrets=include_secrets)
    raise TypeError(f"broker settings must have to_openmetadata() (ol_om_kafka.KafkaBrokerConfig, "
                    f"ol_om_kinesis.config.KinesisBrokerConfig) or be a mapping, not {type(broker_config).__name__}")


def register_openlineage_service(server_config: SinkConfig | Mapping[str, Any], name: str,
                                 broker_config: BrokerConfig | Mapping[str, Any], *, include_secrets: bool = False,
                                 display_name: str | None = None, description: str | None = None,
                                 namespace_to_service_mapping: Mapping[str, str] | None = None,
                                 pipeline_filter_pattern: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Create or update (``PUT``) the OpenLineage pipeline service ``name``; returns the entity OpenMetadata holds.

    ``server_config`` is the sink's settings (OpenMetadata's ``openMetadataServerConfig``): a ``SinkConfig`` or a
    mapping of its keys. Throttling and outages are retried as the sink retries them, for ``retry.maxElapsed``
    seconds. Raises ``ServiceError`` when OpenMetadata refuses the request or stays away, ``AuthError`` (a
    ``SinkError`` too) when it refuses the token, ``ConfigError`` for invalid settings."""
    config = server_config if isinstance(server_config, SinkConfig) else SinkConfig.from_dict(server_config)
    body = service_request(name, broker_config, include_secrets=include_secrets, display_name=display_name,
                           description=description, namespace_to_service_mapping=namespace_to_service_mapping,
                           pipeline_filter_pattern=pipeline_filter_pattern)
    secrets = sorted({form for secret in _secret_values(body) for form in _quoted_forms(secret)}, key=len,
                     reverse=True)
    client = Client(config)
    try:
        answer = _put(client, config, body, name, secrets)
    finally:
        client.close()
    kind = "Kinesis" if "streamName" in body["connection"]["config"]["brokerConfig"] else "Kafka"
    log.info("pipeline service %s (OpenLineage, %s broker%s) %s in OpenMetadata at %s", name, kind,
             ", with its secrets" if include_secrets else "", "created" if answer.status == 201 else "updated",
             config.shown_host_port)
    entity: dict[str, Any] = answer.body if isinstance(answer.body, dict) else {}
    return entity


def _put(client: Client, config: SinkConfig, body: dict[str, Any], name: str, secrets: list[str]) -> Any:
    deadline = time.monotonic() + config.retry.max_elapsed
    attempt = 0
    while True:
        try:
            answer = client.call("PUT", SERVICES_PATH, body, label="pipeline service")
        except Transient as exc:
            delay = max(config.retry.backoff(attempt), exc.retry_after or 0.0)
            attempt += 1
            if time.monotonic() + delay > deadline:
                raise ServiceError(f"cannot register pipeline service {name}: OpenMetadata at {config.shown_host_port} "
                                   f"did not answer ({_masked(exc.reason, secrets)})") from None
            log.warning("OpenMetadata not answering (%s); trying again in %.1fs", _masked(exc.reason, secrets), delay)
            time.sleep(delay)
            continue
        except Rejected as exc:
            reason = _masked(exc.reason, secrets)
            raise ServiceError(f"OpenMetadata refused pipeline service {name} ({exc.status}): {reason}",
                               exc.status, reason) from None
        if answer.status == 404:
            raise ServiceError(f"{config.shown_host_port} has no {SERVICES_PATH} (404): is hostPort OpenMetadata's API "
                               "base, ending in /api?", 404, "not found")
        return answer


def _without(data: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {key: _without(value, keys) if isinstance(value, Mapping) else value
            for key, value in data.items() if key not in keys}


def _secret_values(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key in SECRET_KEYS and isinstance(value, str) and value:
                yield value
            else:
                yield from _secret_values(value)


def _quoted_forms(secret: str) -> set[str]:
    """A secret as a message may quote it: as it is, in JSON, or in a Python repr (a PEM key's newlines escaped)."""
    return {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]} - {""}


def _masked(text: str, secrets: list[str]) -> str:
    """``text`` (a server's message may quote the request) with every secret sent in it masked."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


__all__ = ["SERVICE_TYPE", "BrokerConfig", "ServiceError", "broker_connection", "register_openlineage_service",
           "service_request"]
