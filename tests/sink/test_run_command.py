"""``ol-om run`` with the file source and the OpenMetadata sink, against the stand-in."""

from __future__ import annotations

import json
import logging

from builders import TOKEN, etl_events, seed_pg
from ol_om import EXIT_SINK
from ol_om._cli import main


def _config(tmp_path, om, token=TOKEN):
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in etl_events()) + "{broken\n")
    config = tmp_path / "ol-om.json"
    config.write_text(json.dumps({
        "source": {"type": "file", "path": str(events)},
        "sink": {"type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": token}},
    }))
    return config


def test_run_writes_a_file_of_events_and_dead_letters_the_broken_one(tmp_path, om):
    seed_pg(om)
    letters = tmp_path / "dead.jsonl"
    assert main(["run", "--config", str(_config(tmp_path, om)), "--dead-letters", str(letters)]) == 0
    assert len(om.edges()) == 2 and om.statuses("openlineage.airflow-shop_dag")
    [letter] = [json.loads(line) for line in letters.read_text().splitlines()]
    assert letter["position"].endswith("events.jsonl:6") and letter["event"] == "{broken\n"


def test_run_stops_with_a_clear_status_on_a_refused_token(tmp_path, om, caplog):
    caplog.set_level(logging.INFO, logger="ol_om")
    code = main(["run", "--config", str(_config(tmp_path, om, token="nope")),
                 "--dead-letters", str(tmp_path / "d.jsonl")])
    assert code == EXIT_SINK
    assert "refused the credentials" in caplog.text and "nope" not in caplog.text

