"""The Python examples of the docs, extracted so that tests run them as shown, with only the endpoints changed.

An example is the fenced ```python block right after a ``<!-- python-example: NAME -->`` line in README.md or
docs/*.md. A test takes its code with :func:`python_example`, replaces the literal values that name places (the
broker, the stream, OpenMetadata, the token...) with a substitution table, each of which must occur in the code
exactly once, and runs it with :func:`run_python_example`: this venv's Python, in a directory of the test's, with
no ``OPENMETADATA_*`` / ``OL_OM_*`` variables (they would override what the example says).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"^<!-- python-example: ([\w-]+) -->\s*$")


def python_examples() -> dict[str, tuple[str, str]]:
    """Every marked example: name -> (where, code)."""
    found: dict[str, tuple[str, str]] = {}
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            match = MARKER.match(line)
            if not match:
                continue
            where = f"{path.relative_to(ROOT)}:{number + 1}"
            assert number + 1 < len(lines) and lines[number + 1].strip() == "```python", (
                f"{where}: the marker must be followed by a ```python block")
            end = next(i for i in range(number + 2, len(lines)) if lines[i].strip() == "```")
            assert match.group(1) not in found, f"{where}: a second example named {match.group(1)}"
            found[match.group(1)] = (where, "\n".join(lines[number + 2:end]) + "\n")
    return found


def python_example(name: str, substitutions: Mapping[str, str] | None = None) -> str:
    """Example ``name``'s code, each key of ``substitutions`` (which must occur exactly once) replaced."""
    where, code = python_examples()[name]
    for old, new in (substitutions or {}).items():
        count = code.count(old)
        assert count == 1, f"{where}: example {name} holds {old!r} {count} times (a test replaces it once)"
        code = code.replace(old, new)
    return code


def run_python_example(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENMETADATA_", "OL_OM_"))}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def kafka_substitutions(bootstrap: str, topic: str, openmetadata: str, token: str) -> dict[str, str]:
    """The Kafka example against a PLAINTEXT test broker and an OpenMetadata stand-in; groups join in a few
    seconds (Tansu), and the run ends 4 s after the last event."""
    return {
        '"http://localhost:8585/api"': repr(openmetadata),
        '"<token>"': repr(token),
        '"broker1:9092,broker2:9092"': repr(bootstrap),
        '"openlineage-events"': repr(topic),
        'securityProtocol="SSL"': 'securityProtocol="PLAINTEXT"',
        "sessionTimeout=60,": 'sessionTimeout=4, poolTimeout=0.2, consumerConfig={"session.timeout.ms": 6000},',
        "poolTimeout=3.0,": "",
    }


def kinesis_substitutions(endpoint: str, stream: str, openmetadata: str, token: str) -> dict[str, str]:
    """The Kinesis example against an emulator at ``endpoint`` and an OpenMetadata stand-in; the run ends 4 s
    after the last record. (Its test comes with the Kinesis source's tests.)"""
    return {
        '"http://localhost:8585/api"': repr(openmetadata),
        '"<token>"': repr(token),
        '"openlineage-events"': repr(stream),
        'awsRegion="us-east-1",': f'awsRegion="us-east-1", endPointURL={endpoint!r},',
        "sessionTimeout=60,": "sessionTimeout=4, poolTimeout=0.2,",
        "poolTimeout=3.0,": "",
    }


def run_service_example(name: str, substitutions: Mapping[str, str], cwd: Path, om: Any) -> dict[str, Any]:
    """Run a broker example (register the OpenLineage service, then run the workflow over the five
    ``etl_events``) against the stand-in ``om``; the ``brokerConfig`` of the service it registered."""
    done = run_python_example(python_example(name, substitutions), cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "5 events, 0 dead-lettered, exit status 0", done.stdout
    service = om.entity("pipelineService", "openlineage-service")
    assert service is not None and service["serviceType"] == "OpenLineage"
    pipeline = om.entity("pipeline", "openlineage-service.airflow-shop_dag")
    assert pipeline is not None and sorted(t["name"] for t in pipeline["tasks"]) == ["report", "shop_dag", "totals"]
    return dict(service["connection"]["config"]["brokerConfig"])
