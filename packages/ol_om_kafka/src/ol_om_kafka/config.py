"""The Kafka source's settings: OpenMetadata's ``KafkaBrokerConfig``, exactly, plus a few of ol-om's own.

``consumerConfig`` passes librdkafka properties through (``fetch.max.bytes``, ``client.id``...), except the ones
ol-om's delivery guarantee rests on. Certificates and keys are file paths or PEM text. Passwords and keys are
secrets: in no repr, log or error.

``KafkaBrokerConfig`` (the same class as ``KafkaSourceConfig``) is the Python API's name for it: built with
keyword arguments (OpenMetadata's camelCase names or snake_case), ``from_dict``, ``from_yaml`` or
``from_workflow``; ``to_openmetadata()`` gives the ``brokerConfig`` of the OpenLineage pipeline service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from ol_om_core.configfile import PATH_KEY, section_path
from ol_om_core.contract.sections import MODEL_CONFIG, BrokerSection, MaskedRepr
from ol_om_core.redact import mask_urls
from ol_om_kafka.logs import LIBRDKAFKA

# Properties that would break "never commit past an unacknowledged event" if a user set them.
_MANAGED = frozenset({"enable.auto.commit", "enable.auto.offset.store", "group.id", "bootstrap.servers"})


_SECRET_KEYS = frozenset({"saslPassword", "sslKey"})
"""Keys whose values an error message must not quote."""


class _Model(MaskedRepr, BaseModel):
    model_config = ConfigDict(**MODEL_CONFIG)  # type: ignore[typeddict-item]


class SSLConfig(_Model):
    ca_certificate: str | None = Field(None, alias="caCertificate")
    ssl_certificate: str | None = Field(None, alias="sslCertificate")
    ssl_key: SecretStr | None = Field(None, alias="sslKey")


class SASLConfig(_Model):
    sasl_mechanism: Literal["PLAIN", "GSSAPI", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] = Field(
        "PLAIN", alias="saslMechanism")
    sasl_username: str | None = Field(None, alias="saslUsername")
    sasl_password: SecretStr | None = Field(None, alias="saslPassword")


class KafkaSourceConfig(BrokerSection, _Model):
    section_type: ClassVar[str] = "kafka"
    secret_keys: ClassVar[frozenset[str]] = _SECRET_KEYS
    openmetadata_keys: ClassVar[tuple[str, ...]] = (
        "brokersUrl", "topicName", "consumerGroupName", "consumerOffsets", "poolTimeout", "sessionTimeout",
        "securityProtocol", "sslConfig", "saslConfig")

    # OpenMetadata's KafkaBrokerConfig
    brokers_url: str = Field(alias="brokersUrl")
    topic_name: str = Field(alias="topicName")
    consumer_group_name: str = Field("ol-om", alias="consumerGroupName")
    consumer_offsets: Literal["earliest", "latest"] = Field("earliest", alias="consumerOffsets")
    pool_timeout: float = Field(1.0, alias="poolTimeout", gt=0)
    """Seconds one poll waits for messages."""
    session_timeout: int = Field(30, alias="sessionTimeout", gt=0)
    """Batch mode: stop after this many seconds without a message (as OpenMetadata's workflow does)."""
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"] = Field(
        "PLAINTEXT", alias="securityProtocol")
    ssl_config: SSLConfig = Field(default_factory=SSLConfig, alias="sslConfig")
    sasl_config: SASLConfig = Field(default_factory=SASLConfig, alias="saslConfig")
    # ol-om's own
    mode: Literal["batch", "service"] = "service"
    """``service``: run until SIGTERM/SIGINT. ``batch``: stop once the topic is quiet (for schedulers)."""
    batch_size: int = Field(1000, alias="batchSize", ge=1, le=100_000)
    """Most messages per delivery to OpenMetadata (a poll takes what is there, up to this). Each delivery pays a
    fixed cost (its phases one after another, each at least one round trip, then a commit): with a backlog and
    OpenMetadata answering in 10 ms, 1,000 delivered 8% faster than 500 and 2,000 only 2% more (docs/kafka.md),
    while the memory a batch holds and what a rebalance re-reads keep doubling."""
    max_event_bytes: int = Field(16 * 1024 * 1024, alias="maxEventBytes", gt=0)
    """Larger messages go to the dead letters unread."""
    dead_letter_topic: str | None = Field(None, alias="deadLetterTopic")
    """Unusable events go here (original bytes, reason in headers); unset: the runner's dead-letter file."""
    consumer_config: dict[str, str | int | float | bool] = Field(default_factory=dict, alias="consumerConfig")

    @field_validator("brokers_url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        # librdkafka takes no credentials here: it would try to resolve "user:password@host" and log it
        if "@" in value:
            raise ValueError("must not hold credentials (user:password@); use saslConfig")
        return value

    @field_validator("consumer_config")
    @classmethod
    def _not_managed(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(_MANAGED & set(value))
        if clash:
            raise ValueError(f"{clash[0]} is set by ol-om (commits follow acknowledgements; use brokersUrl and "
                             "consumerGroupName)")
        return value

    @classmethod
    def _load(cls, section: Mapping[str, Any], environ: Mapping[str, str]) -> KafkaSourceConfig:
        return load(section, environ)

    @property
    def shown_brokers_url(self) -> str:
        """``brokersUrl`` for messages and logs: a password in a URL there masked."""
        return mask_urls(self.brokers_url)

    def client_properties(self) -> dict[str, Any]:
        """librdkafka properties shared by the consumer and the dead-letter producer: brokers and security."""
        props: dict[str, Any] = {"bootstrap.servers": self.brokers_url, "security.protocol": self.security_protocol,
                                 "logger": LIBRDKAFKA}  # not stderr: through logging, repeats held back
        ssl = self.ssl_config
        for name, value in (("ssl.ca", ssl.ca_certificate), ("ssl.certificate", ssl.ssl_certificate),
                            ("ssl.key", ssl.ssl_key.get_secret_value() if ssl.ssl_key else None)):
            if value:
                props[f"{name}.pem" if value.lstrip().startswith("-----BEGIN") else f"{name}.location"] = value
        if self.security_protocol.startswith("SASL"):
            sasl = self.sasl_config
            props["sasl.mechanism"] = sasl.sasl_mechanism
            if sasl.sasl_username is not None:
                props["sasl.username"] = sasl.sasl_username
            if sasl.sasl_password is not None:
                props["sasl.password"] = sasl.sasl_password.get_secret_value()
        return props

    def consumer_properties(self) -> dict[str, Any]:
        return {
            **self.client_properties(),
            "group.id": self.consumer_group_name,
            "auto.offset.reset": self.consumer_offsets,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": False,
            # librdkafka prefetches up to 64 MB per partition by default: bounded, but more than a consumer that
            # waits on OpenMetadata needs. consumerConfig may raise it.
            "queued.max.messages.kbytes": 16384,
            **self.consumer_config,
        }


KafkaBrokerConfig = KafkaSourceConfig
"""The Python API's name: OpenMetadata's ``KafkaBrokerConfig`` with ol-om's own keys."""


ENV_SECRETS = {"OL_OM_KAFKA_SASL_USERNAME": ("saslConfig", "saslUsername"),
               "OL_OM_KAFKA_SASL_PASSWORD": ("saslConfig", "saslPassword"),
               "OL_OM_KAFKA_SSL_KEY": ("sslConfig", "sslKey")}
"""Environment variables that override the file, so credentials need not be written in it."""


def load(section: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> KafkaSourceConfig:
    environ = os.environ if environ is None else environ
    path = section_path(section, "source")
    data = {k: v for k, v in section.items() if k not in ("type", PATH_KEY)}
    for variable, (group, key) in ENV_SECRETS.items():
        if environ.get(variable):
            current = data.get(group)
            data[group] = {**(current if isinstance(current, Mapping) else {}), key: environ[variable]}
    return KafkaSourceConfig.validated(data, path)
