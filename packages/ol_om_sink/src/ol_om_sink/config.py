"""The sink's settings: OpenMetadata's ``openMetadataServerConfig``, plus how hard to try and how much to cache.

Accepted flat (``sink: {type: openmetadata, hostPort: ...}``) or nested as in OpenMetadata's workflow YAML
(``openMetadataServerConfig: {...}``). ``OPENMETADATA_HOST_PORT`` and ``OPENMETADATA_JWT_TOKEN`` override the
file, so the token need not be written in it. Every error names the key path; the token never appears.

In Python, ``SinkConfig`` is built with keyword arguments (``hostPort=...`` or ``host_port=...``), ``from_dict``,
``from_yaml`` or ``from_workflow``, as OpenMetadata's ``OpenMetadataConnection`` is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from ol_om_core.configfile import PATH_KEY, section_path
from ol_om_core.contract.sections import MODEL_CONFIG, MaskedRepr, TypedSection
from ol_om_core.errors import ConfigError
from ol_om_core.redact import mask_urls

ENV_HOST_PORT = "OPENMETADATA_HOST_PORT"
ENV_JWT_TOKEN = "OPENMETADATA_JWT_TOKEN"

# Keys of OpenMetadata's openMetadataServerConfig that steer its own ingestion framework, not a REST client: a
# workflow file copied as it is may hold them, and they mean nothing here.
IGNORED_KEYS = frozenset({
    "clusterName", "type", "secretsManagerProvider", "secretsManagerLoader", "includeTopics", "includeTables",
    "includeDashboards", "includePipelines", "includeMlModels", "includeUsers", "includeTeams",
    "includeGlossaryTerms", "includeTags", "includePolicy", "includeMessagingServices", "includeDatabaseServices",
    "includePipelineServices", "limitRecords", "forceEntityOverwriting", "storeServiceConnection",
    "elasticsSearch", "schemaFilterPattern", "tableFilterPattern", "databaseFilterPattern",
    "supportsDataInsightExtraction", "supportsElasticSearchReindexingExtraction", "supportsMetadataExtraction",
})


_SECRET_KEYS = frozenset({"jwtToken", "sslKey", "extraHeaders"})
"""Keys whose values an error message must not quote."""


class _Model(MaskedRepr, BaseModel):
    model_config = ConfigDict(**MODEL_CONFIG)  # type: ignore[typeddict-item]


class SecurityConfig(_Model):
    jwt_token: SecretStr | None = Field(None, alias="jwtToken")


class SSLConfig(_Model):
    """OpenMetadata's ``validateSSLClientConfig``: PEM file paths (or PEM text) for the CA and a client cert."""

    ca_certificate: str | None = Field(None, alias="caCertificate")
    ssl_certificate: str | None = Field(None, alias="sslCertificate")
    ssl_key: SecretStr | None = Field(None, alias="sslKey")


class RetryConfig(_Model):
    initial_delay: float = Field(0.5, alias="initialDelay", gt=0)
    max_delay: float = Field(30.0, alias="maxDelay", gt=0)
    max_elapsed: float = Field(60.0, alias="maxElapsed", ge=0)
    """How long one delivery keeps retrying before it hands the work back as pending (the source stays held)."""

    def backoff(self, attempt: int) -> float:
        """Seconds before try ``attempt + 1``: ``initialDelay`` doubling per attempt, up to ``maxDelay``."""
        return min(self.max_delay, self.initial_delay * 2.0 ** attempt)


class CacheConfig(_Model):
    size: int = Field(20_000, gt=0)
    """Entities remembered (found, or known to be missing), and pipelines and runs written. A table costs its
    column index (~100 bytes a column), so 20,000 wide tables stay within a few hundred MB."""
    negative_ttl: float = Field(300.0, alias="negativeTtl", ge=0)
    """Seconds a 'not in OpenMetadata' answer is trusted, so an entity created later is found."""


class SinkConfig(TypedSection, _Model):
    section_type: ClassVar[str] = "openmetadata"
    section_role: ClassVar[str] = "sink"
    section_path: ClassVar[str] = "sink"
    secret_keys: ClassVar[frozenset[str]] = _SECRET_KEYS

    host_port: str = Field(alias="hostPort")
    auth_provider: Literal["openmetadata", "no-auth"] = Field("openmetadata", alias="authProvider")
    """A bot's JWT, or none. OpenMetadata's SSO providers (google, okta...) are for people: give ol-om a bot."""
    security_config: SecurityConfig = Field(default_factory=SecurityConfig, alias="securityConfig")
    verify_ssl: Literal["validate", "ignore", "no-ssl"] = Field("validate", alias="verifySSL")
    ssl_config: SSLConfig = Field(default_factory=SSLConfig, alias="sslConfig")
    extra_headers: dict[str, SecretStr] = Field(default_factory=dict, alias="extraHeaders")
    """Sent with every call (a proxy's own header, say); treated as secrets."""
    api_version: Literal["v1"] = Field("v1", alias="apiVersion")
    enable_version_validation: bool = Field(True, alias="enableVersionValidation")
    """``false``: an OpenMetadata older than ol-om supports is only warned about."""
    timeout: float = Field(30.0, gt=0)
    concurrency: int = Field(8, ge=1, le=64)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    unresolved_entities: Literal["skip", "wait", "create"] = Field("skip", alias="unresolvedEntities")
    """A dataset OpenMetadata does not hold: report and skip the edge, hold the source until it appears (up to
    ``waitTimeout``, then dead-letter), or create it (topics, containers, and tables whose schema exists)."""
    wait_timeout: float = Field(600.0, alias="waitTimeout", ge=0)

    @field_validator("host_port")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL such as http://localhost:8585/api")
        try:  # refused here, not retried as "OpenMetadata not ready" for retry.maxElapsed
            parts = urlsplit(value)
            if not parts.hostname or (parts.port is None and parts.netloc.rstrip("]").endswith(":")):
                raise ValueError
        except ValueError:
            raise ValueError("is not a URL with a host and an optional port, such as http://localhost:8585/api") \
                from None
        return value.rstrip("/")

    @classmethod
    def _load(cls, section: Mapping[str, Any], environ: Mapping[str, str]) -> SinkConfig:
        return load(section, environ)

    @property
    def shown_host_port(self) -> str:
        """``hostPort`` for messages and logs: a password in it (``https://user:password@host``) masked."""
        return mask_urls(self.host_port)

    @property
    def token(self) -> str | None:
        secret = self.security_config.jwt_token
        return secret.get_secret_value() if secret is not None and self.auth_provider == "openmetadata" else None


def load(section: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> SinkConfig:
    """The sink settings from a config section (flat or ``openMetadataServerConfig``), environment first."""
    environ = os.environ if environ is None else environ
    path = section_path(section, "sink")
    data = {k: v for k, v in section.items() if k not in ("type", "openMetadataServerConfig", "config", PATH_KEY)}
    nested = section.get("openMetadataServerConfig")
    if isinstance(nested, Mapping):
        data = {**nested, **data}
        path = f"{path}.openMetadataServerConfig"
    data = {k: v for k, v in data.items() if k not in IGNORED_KEYS}
    if environ.get(ENV_HOST_PORT):
        data["hostPort"] = environ[ENV_HOST_PORT]
    if environ.get(ENV_JWT_TOKEN):
        security = data.get("securityConfig")
        data["securityConfig"] = {**(security if isinstance(security, Mapping) else {}),
                                  "jwtToken": environ[ENV_JWT_TOKEN]}
    config = SinkConfig.validated(data, path)
    if config.auth_provider == "openmetadata" and config.token is None:
        raise ConfigError(f"{path}.securityConfig.jwtToken",
                          f"authProvider openmetadata needs a bot's JWT token (or set {ENV_JWT_TOKEN}); "
                          "use authProvider: no-auth for a server without authentication")
    return config
