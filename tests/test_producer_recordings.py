"""The recorded real producers (tests/fixtures/producers, re-recorded by ``./dev record``) are well-formed: every
line an OpenLineage run event that ol-om parses, and VERSIONS.json names every producer recorded. What ol-om makes
of them is tested elsewhere (tests/sink/test_producers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ol_om_core import parse

RECORDINGS = Path(__file__).resolve().parent / "fixtures" / "producers"
FILES = sorted(RECORDINGS.glob("*/*.jsonl"))
# Each recorded producer: its key in VERSIONS.json, the packages that must be named there, and the package whose
# version is in the events' `producer` URL.
PRODUCERS = {
    "airflow": (["apache-airflow", "apache-airflow-providers-openlineage", "apache-airflow-providers-common-sql",
                 "apache-airflow-providers-postgres", "openlineage-python"], "apache-airflow-providers-openlineage"),
    "dbt": (["dbt-core", "dbt-postgres", "openlineage-dbt", "openlineage-python"], "openlineage-dbt"),
}


def versions() -> dict[str, object]:
    loaded = json.loads((RECORDINGS / "VERSIONS.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_every_producer_has_recordings() -> None:
    assert {path.parent.name for path in FILES} == set(PRODUCERS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_is_a_run_event_that_parses(path: Path) -> None:
    lines = [line for line in path.read_bytes().split(b"\n") if line]
    assert lines, f"{path.name} is empty"
    for n, line in enumerate(lines, 1):
        event = json.loads(line)
        missing = {"eventType", "eventTime", "run", "job", "producer"} - set(event)
        assert not missing, f"{path.name}:{n} lacks {missing}"
        assert event["run"]["runId"] and event["job"]["namespace"] and event["job"]["name"], f"{path.name}:{n}"
        assert parse(line) is not None, f"{path.name}:{n}"


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_versions_name_every_producer(producer: str) -> None:
    manifest = versions()
    for key in ("postgresql", "python", "recorded"):
        assert manifest.get(key), key
    installed = manifest.get(producer)
    assert isinstance(installed, dict), f"VERSIONS.json has no {producer}"
    packages, emitter = PRODUCERS[producer]
    assert all(installed.get(name) for name in packages), sorted(set(packages) - set(installed))
    # The events say which producer sent them; that must be the version recorded.
    sent_by = {json.loads(line)["producer"] for path in FILES if path.parent.name == producer
               for line in path.read_bytes().split(b"\n") if line}
    assert sent_by and all(installed[emitter] in url for url in sent_by), (installed[emitter], sent_by)
