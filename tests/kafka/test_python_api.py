"""The Python API with a real broker (Tansu) and the OpenMetadata stand-in: ``Workflow.from_config(...).run()`` with
typed Kafka settings, and docs/python-api.md's Kafka example run as shown (only the endpoints changed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from producers import produce_raw, produce_with_openlineage

from builders import TOKEN, etl_events
from docs_examples import kafka_substitutions, run_service_example
from ol_om import Workflow
from ol_om_kafka import KafkaBrokerConfig
from ol_om_kafka.testing import GROUP_CONSUMER
from ol_om_sink import SinkConfig

pytestmark = pytest.mark.slow


def test_a_workflow_of_typed_settings_consumes_the_topic_and_stops_when_quiet(broker, topic, om, tmp_path):
    produce_with_openlineage(broker.bootstrap, topic, etl_events())
    produce_raw(broker.bootstrap, topic, [b"{broken"])
    kafka = KafkaBrokerConfig(brokersUrl=broker.bootstrap, topicName=topic, consumerGroupName="python-api",
                              sessionTimeout=4, poolTimeout=0.2, consumerConfig=dict(GROUP_CONSUMER), mode="batch")
    server = SinkConfig(hostPort=om.url, securityConfig={"jwtToken": TOKEN})
    letters = tmp_path / "dead.jsonl"
    result = Workflow.from_config(source=kafka, sink=server, dead_letters=letters, report_every=1).run()
    assert result.ok and not result.stopped
    assert (result.events, result.rejected, result.dead_letters) == (6, 1, 1)
    assert result.pipelines == {"openlineage.airflow-shop_dag"} and len(om.edges()) == 2
    [letter] = [json.loads(line) for line in letters.read_text().splitlines()]
    assert letter["event"] == "{broken" and letter["position"].startswith(f"{topic}/")


def test_the_docs_kafka_example_runs_as_shown(broker, topic, om, tmp_path: Path):
    produce_with_openlineage(broker.bootstrap, topic, etl_events())
    brokers = run_service_example("kafka", kafka_substitutions(broker.bootstrap, topic, om.url, TOKEN), tmp_path, om)
    # The service's connection, without the SSL key (no secrets were asked for), and the topic's events written.
    assert (brokers["brokersUrl"], brokers["topicName"], brokers["consumerGroupName"]) == (
        broker.bootstrap, topic, "openmetadata-consumer")
    assert brokers["sslConfig"] == {"caCertificate": "/path/to/kafka/certs/RootCA.pem",
                                    "sslCertificate": "/path/to/kafka/certs/Certificate.pem"}
    assert len(om.edges()) == 2
    assert not (tmp_path / "ol-om-dead-letters.jsonl").exists()
