from __future__ import annotations

import pytest

from ol_om_core.errors import ConfigError
from ol_om_sink.config import load

SERVER = {"hostPort": "http://localhost:8585/api", "authProvider": "openmetadata",
          "securityConfig": {"jwtToken": "secret-token"}}


def test_openmetadata_server_config_is_read_flat_or_nested():
    flat = load({"type": "openmetadata", **SERVER}, environ={})
    nested = load({"type": "openmetadata", "openMetadataServerConfig": SERVER}, environ={})
    assert flat == nested
    assert flat.host_port == "http://localhost:8585/api" and flat.token == "secret-token"
    assert flat.verify_ssl == "validate"  # TLS verified unless said otherwise


def test_the_environment_overrides_the_file():
    config = load(SERVER, environ={"OPENMETADATA_HOST_PORT": "https://om.internal/api",
                                   "OPENMETADATA_JWT_TOKEN": "from-env"})
    assert (config.host_port, config.token) == ("https://om.internal/api", "from-env")


def test_the_token_is_never_shown():
    config = load(SERVER, environ={})
    assert "secret-token" not in repr(config) and "secret-token" not in str(config)


@pytest.mark.parametrize(("section", "path", "words"), [
    ({"authProvider": "openmetadata", "hostPort": "http://x/api"}, "sink.securityConfig.jwtToken", "bot's JWT"),
    ({**SERVER, "hostPort": "localhost:8585"}, "sink.hostPort", "http:// or https://"),
    ({**SERVER, "verifySSL": "maybe"}, "sink.verifySSL", "validate"),
    ({**SERVER, "concurency": 3}, "sink.concurency", "Extra inputs"),
    ({**SERVER, "unresolvedEntities": "guess"}, "sink.unresolvedEntities", "skip"),
    ({**SERVER, "retry": {"maxDelay": -1}}, "sink.retry.maxDelay", "greater than 0"),
    ({**SERVER, "securityConfig": {"jwtToken": ["secret-token"]}}, "sink.securityConfig.jwtToken", "invalid"),
])
def test_errors_name_the_key(section, path, words):
    with pytest.raises(ConfigError) as error:
        load(section, environ={})
    assert error.value.path == path
    assert words in error.value.reason
    assert "secret-token" not in str(error.value)


def test_no_auth_needs_no_token():
    assert load({"hostPort": "http://x/api", "authProvider": "no-auth"}, environ={}).token is None


def test_a_copied_workflow_server_config_with_ingestion_only_keys_is_accepted():
    config = load({"openMetadataServerConfig": {
        **SERVER, "type": "OpenMetadata", "clusterName": "openmetadata", "storeServiceConnection": True,
        "enableVersionValidation": False, "includeTables": True, "secretsManagerProvider": "db",
        "extraHeaders": {"X-Proxy-Auth": "proxy-secret"}, "apiVersion": "v1"}}, environ={})
    assert config.enable_version_validation is False
    assert config.extra_headers["X-Proxy-Auth"].get_secret_value() == "proxy-secret"
    assert "proxy-secret" not in repr(config)


def test_sso_providers_are_refused_with_the_choices():
    with pytest.raises(ConfigError) as error:
        load({**SERVER, "authProvider": "google"}, environ={})
    assert error.value.path == "sink.authProvider" and "openmetadata" in error.value.reason


def test_errors_in_a_workflow_file_name_the_key_where_it_is_in_that_file():
    from ol_om_core import configfile
    settings = configfile.settings_from({
        "source": {"type": "openlineage", "serviceConnection": {"config": {}}},
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"openMetadataServerConfig": {**SERVER, "verifySSL": "maybe"}}})
    with pytest.raises(ConfigError) as error:
        load(settings.sink, environ={})
    assert error.value.path == "workflowConfig.openMetadataServerConfig.verifySSL"
