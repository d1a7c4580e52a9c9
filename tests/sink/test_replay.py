"""``ol-om replay``: dead-lettered events run again once their cause is fixed; what still fails is said again."""

from __future__ import annotations

import json

from builders import PG, TOKEN, dataset, event
from ol_om._cli import main


def test_replay_writes_what_now_succeeds_and_reports_what_still_fails(tmp_path, om, capsys):
    om.seed_table("postgres.shop.public.orders", ["id"])
    events = tmp_path / "events.jsonl"
    edge = event("loader", inputs=[dataset(PG, "shop.public.orders")], outputs=[dataset(PG, "shop.public.later")])
    events.write_text(json.dumps(edge) + "\n{not an event\n")
    config = tmp_path / "ol-om.json"
    config.write_text(json.dumps({"source": {"type": "file", "path": str(events)}, "sink": {
        "type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": TOKEN},
        "unresolvedEntities": "wait", "waitTimeout": 0}}))
    letters = tmp_path / "dead.jsonl"
    assert main(["run", "--config", str(config), "--dead-letters", str(letters)]) == 0
    assert len(letters.read_text().splitlines()) == 2 and om.edges() == []  # the edge waited, then gave up

    om.seed_table("postgres.shop.public.later", ["id"])  # the cause, fixed
    capsys.readouterr()
    assert main(["replay", str(letters), "--config", str(config)]) == 1  # the malformed event still fails
    out = capsys.readouterr().out
    assert "replayed 2 dead-lettered events: 1 written, 1 still failing" in out
    assert "events.jsonl:2: not a usable OpenLineage event" in out
    assert [(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]) for e in om.edges()] == [
        ("postgres.shop.public.orders", "postgres.shop.public.later")]
    remaining = tmp_path / "dead.remaining.jsonl"
    assert [json.loads(line)["event"] for line in remaining.read_text().splitlines()] == ["{not an event\n"]
