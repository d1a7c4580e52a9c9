from __future__ import annotations

import pytest

from ol_om_core.errors import ConfigError
from ol_om_kafka.config import load

BROKER = {"brokersUrl": "127.0.0.1:9092", "topicName": "openlineage-events"}


def test_openmetadata_broker_config_with_its_defaults():
    config = load({"type": "kafka", **BROKER})
    props = config.consumer_properties()
    assert props["bootstrap.servers"] == "127.0.0.1:9092" and props["group.id"] == "ol-om"
    assert props["auto.offset.reset"] == "earliest" and props["security.protocol"] == "PLAINTEXT"
    assert props["enable.auto.commit"] is False and props["enable.auto.offset.store"] is False
    assert (config.pool_timeout, config.session_timeout, config.mode) == (1.0, 30, "service")


def test_sasl_ssl_with_pem_text_and_paths_and_pass_through_properties():
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    config = load({**BROKER, "securityProtocol": "SASL_SSL", "consumerOffsets": "latest",
                   "saslConfig": {"saslMechanism": "SCRAM-SHA-512", "saslUsername": "ol",
                                  "saslPassword": "hunter2"},
                   "sslConfig": {"caCertificate": pem, "sslCertificate": "/etc/kafka/client.pem"},
                   "consumerConfig": {"fetch.max.bytes": 10485760, "client.id": "ol-om-1"}})
    props = config.consumer_properties()
    assert props["sasl.mechanism"] == "SCRAM-SHA-512" and props["sasl.password"] == "hunter2"
    assert props["ssl.ca.pem"] == pem and props["ssl.certificate.location"] == "/etc/kafka/client.pem"
    assert props["fetch.max.bytes"] == 10485760 and props["auto.offset.reset"] == "latest"
    assert "hunter2" not in repr(config) and "hunter2" not in str(config)


@pytest.mark.parametrize(("section", "path", "words"), [
    ({"topicName": "t"}, "source.brokersUrl", "Field required"),
    ({**BROKER, "consumerOffsets": "newest"}, "source.consumerOffsets", "earliest"),
    ({**BROKER, "securityProtocol": "TLS"}, "source.securityProtocol", "SASL_SSL"),
    ({**BROKER, "consumerConfig": {"enable.auto.commit": True}}, "source.consumerConfig", "set by ol-om"),
    ({**BROKER, "saslConfig": {"saslPassword": ["hunter2"]}}, "source.saslConfig.saslPassword", "invalid"),
    ({**BROKER, "mode": "forever"}, "source.mode", "batch"),
])
def test_errors_name_the_key(section, path, words):
    with pytest.raises(ConfigError) as error:
        load(section)
    assert error.value.path == path and words in error.value.reason
    assert "hunter2" not in str(error.value)


def test_errors_in_a_workflow_file_name_the_key_where_it_is_in_that_file():
    from ol_om_core import configfile
    settings = configfile.settings_from({"source": {"type": "openlineage", "serviceConnection": {"config": {
        "brokerConfig": {"brokersUrl": "b:9092", "topicName": "t", "consumerOffsets": "newest"}}}}})
    with pytest.raises(ConfigError) as error:
        load(settings.source)
    assert error.value.path == "source.serviceConnection.config.brokerConfig.consumerOffsets"


def test_the_environment_overrides_credentials():
    config = load({**BROKER, "securityProtocol": "SASL_SSL", "saslConfig": {"saslUsername": "file-user"}},
                  environ={"OL_OM_KAFKA_SASL_USERNAME": "env-user", "OL_OM_KAFKA_SASL_PASSWORD": "env-secret"})
    props = config.consumer_properties()
    assert (props["sasl.username"], props["sasl.password"]) == ("env-user", "env-secret")
