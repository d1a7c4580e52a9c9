"""What the end-to-end benchmarks share: the Airflow-shaped stream, and running and watching ``ol-om run``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

DAGS = 200
TASKS = 3
PG = "postgres://warehouse:5432"
RATES: list[float] = []
"""The events/s of each run so far, for a suite that prints them beside their goals."""
PROGRESS = re.compile(r"(?:progress|done): (\d+) events \((\d+)/s\)")


def dag_run_events(dag: int, run: int) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) of one DAG run's 8 events."""
    name = f"dag_{dag}"
    run_id = str(uuid.uuid4())
    day = f"2026-11-{1 + run % 28:02d}T{run // 28 % 24:02d}:00:00"
    key = f"run:airflow/{name}".encode()

    def event(job: str, kind: str, rid: str, second: int, *, parent: bool, io: int | None = None) -> bytes:
        facets = {"parent": {"_producer": "bench", "_schemaURL": "s", "run": {"runId": run_id},
                             "job": {"namespace": "airflow", "name": name}}} if parent else {}
        body = {"eventType": kind, "eventTime": f"{day}:{second:02d}Z", "producer": "bench",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": rid, "facets": facets}, "job": {"namespace": "airflow", "name": job},
                "inputs": [], "outputs": []}
        if io is not None:
            body["inputs"] = [{"namespace": PG, "name": f"dw.public.t_{dag}_{io}"}]
            body["outputs"] = [{"namespace": PG, "name": f"dw.public.t_{dag}_{io + 1}"}]
        return json.dumps(body).encode()

    yield key, event(name, "START", run_id, 0, parent=False)
    for task in range(TASKS):
        task_run = str(uuid.uuid4())
        yield key, event(f"{name}.task_{task}", "START", task_run, 1 + 2 * task, parent=True)
        yield key, event(f"{name}.task_{task}", "COMPLETE", task_run, 2 + 2 * task, parent=True, io=task)
    yield key, event(name, "COMPLETE", run_id, 59, parent=False)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (it lingers a moment after its last progress line)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_ol_om(work: Path, n: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ol_om", "run", "--config",
                             str(work / "config.json"), "--dead-letters", str(work / f"dead-{n}.jsonl"),
                             "--report-every", "2"], stderr=subprocess.PIPE, text=True)


def single(work: Path, events: int, target: str = "") -> int:
    """One ol-om: its busy rate, calls per event, RSS along the run, CPU per event."""
    run = start_ol_om(work)
    peak, rate, lines = 0, 0, []
    assert run.stderr is not None
    for line in run.stderr:
        lines.append(line)
        match = PROGRESS.search(line)
        if match:
            rss = rss_kb(run.pid) if run.poll() is None else 0
            peak = max(peak, rss)
            rate = int(match.group(2))
            if rss:
                print(f"  {int(match.group(1)):9} events  {rate:6}/s  ol-om RSS {rss / 1024:6.0f} MB")
    cpu = cpu_seconds(run.pid)
    run.wait()
    print(f"ol-om CPU: {cpu:.1f}s = {cpu / events * 1e6:.0f} us per event (all its threads)")
    summary = next((ln for ln in reversed(lines) if "OpenMetadata calls" in ln), "")
    calls = re.search(r"(\d+) OpenMetadata calls", summary)
    print(f"events/s while busy: {rate}{target}; peak RSS {peak / 1024:.0f} MB")
    RATES.append(rate)
    if calls:
        print(f"OpenMetadata calls: {calls.group(1)} = {int(calls.group(1)) / events:.3f} per event")
    if run.returncode:
        print("".join(lines[-20:]))
    return run.returncode




def seed_tables(work: Path) -> Path:
    """The tables the stream reads and writes, for the stand-in's ``--tables``."""
    tables = [{"fqn": f"postgres.dw.public.t_{d}_{i}", "columns": ["id"]}
              for d in range(DAGS) for i in range(TASKS + 1)]
    (work / "tables.json").write_text(json.dumps(tables))
    return work / "tables.json"


def start_standin(work: Path, latency: float) -> tuple[subprocess.Popen[str], str]:
    """The stand-in in its own process, without schema validation (its CPU would be counted as ours)."""
    standin = subprocess.Popen([sys.executable, "-m", "ol_om_sink.testing.standin", "--no-validate",
                                "--latency", str(latency), "--tables", str(seed_tables(work))],
                               stdout=subprocess.PIPE, text=True)
    url = standin.stdout.readline().strip() if standin.stdout else ""
    return standin, url
