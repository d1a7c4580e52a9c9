"""``ol-om check``: each connection tested, a readable table, a failing exit status when one fails."""

from __future__ import annotations

import json

from builders import TOKEN
from ol_om._cli import main
from ol_om_sink.testing.standin import OpenMetadataStandIn


def _config(tmp_path, broker, topic, om, *, token=TOKEN, mapping=None):
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps({
        "source": {"type": "openlineage", "serviceName": "ol", "serviceConnection": {"config": {
            "type": "OpenLineage", "brokerConfig": {"brokersUrl": broker.bootstrap, "topicName": topic},
            "namespaceToServiceMapping": mapping or {}}},
            "sourceConfig": {"config": {"lineageInformation": {"dbServiceNames": ["warehouse"]}}}},
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"openMetadataServerConfig": {
            "hostPort": om.url, "authProvider": "openmetadata", "securityConfig": {"jwtToken": token}}}}))
    return path


def test_everything_in_place_passes(tmp_path, broker, topic, capsys):
    with OpenMetadataStandIn(token=TOKEN) as om:
        om.seed_table("warehouse.db.public.t", ["id"])
        om.seed_topic("kafka_prod.orders")
        code = main(["check", "--config", str(_config(tmp_path, broker, topic, om,
                                                        mapping={"kafka://b:9092": "kafka_prod"}))])
    out = capsys.readouterr().out
    assert code == 0, out
    for row in ("configuration", "kafka brokers", "kafka topic", "openmetadata", "service warehouse",
                "service kafka_prod"):
        assert row in out
    assert "FAILED" not in out and f"{topic}: 3 partition(s)" in out


def test_each_failure_is_a_row_and_the_status_says_so(tmp_path, broker, capsys):
    with OpenMetadataStandIn(token=TOKEN) as om:
        code = main(["check", "--config", str(_config(tmp_path, broker, "no-such-topic", om, token="tok-XYZ-secret"))])
    out = capsys.readouterr().out
    assert code == 1
    assert "no-such-topic: not found" in out
    assert "refused the credentials" in out and "tok-XYZ-secret" not in out
    assert out.count("FAILED") >= 2
