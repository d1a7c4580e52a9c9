"""What the end-to-end benchmarks share: the Airflow-shaped stream, and running and watching ``ol-om run``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

DAGS = 200
TASKS = 3
PG = "postgres://warehouse:5432"
RATES: list[float] = []
"""The events/s of each run so far, for a suite that prints them beside their goals."""
BUSY: list[Busy] = []
"""Each run's busy span (from the first progress line with events to the first with all of them) with the CPU of
its processes: how several processes are timed, so one process is timed the same way for the scale-out ratio."""
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


def start_ol_om(work: Path, n: int = 0, report_every: float = 2.0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ol_om", "run", "--config",
                             str(work / "config.json"), "--dead-letters", str(work / f"dead-{n}.jsonl"),
                             "--report-every", str(report_every)], stderr=subprocess.PIPE, text=True)


class Busy:
    """CPU seconds of some processes, and of the whole machine, between two moments (the first event taken, the
    last one done): what a figure is bound by."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start: dict[str, float] = {}
        self.used: dict[str, float] = {}
        self.began = self.ended = 0.0
        self.events = 0
        """Events taken from ``begin`` to ``end``."""

    def begin(self, taken: int) -> None:
        """``taken``: events already counted then (the first batch)."""
        self.events = -taken
        self.began = time.monotonic()
        self.start = {name: cpu_seconds(pid) for name, pid in self.pids.items()} | {"machine": _machine_seconds()}

    def end(self, taken: int) -> None:
        self.events += taken
        self.ended = time.monotonic()
        now = {name: cpu_seconds(pid) for name, pid in self.pids.items()} | {"machine": _machine_seconds()}
        self.used = {name: now[name] - self.start[name] for name in now}

    def rate(self) -> float:
        return self.events / (self.ended - self.began)

    def cores(self, name: str) -> float:
        return self.used[name] / (self.ended - self.began)

    def ours(self) -> float:
        """Cores the watched processes kept busy together."""
        return sum(self.cores(name) for name in self.used if name != "machine")

    def report(self) -> str:
        """Each process's CPU per event and cores, and how busy the machine's cores were (every process on it)."""
        parts = [f"{name} {used / self.events * 1e6:.0f} us/event ({self.cores(name):.2f} cores)"
                 for name, used in self.used.items() if name != "machine"]
        return (f"CPU while busy: {', '.join(parts)}; the whole machine {self.cores('machine'):.2f} of "
                f"{os.cpu_count()} cores")


def _machine_seconds() -> float:
    """CPU seconds every core of the machine has been busy (``/proc/stat``: all but idle and iowait)."""
    ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def single(work: Path, events: int, target: str = "", others: dict[str, int] | None = None) -> int:
    """One ol-om: its busy rate, calls per event, RSS along the run, CPU per event (its own, and of ``others``:
    name -> pid of the stand-in, the broker...)."""
    run = start_ol_om(work, report_every=0.2)
    busy = Busy({"ol-om": run.pid, **(others or {})})
    peak, rate, lines, shown = 0, 0, [], 0.0
    assert run.stderr is not None
    for line in run.stderr:
        lines.append(line)
        match = PROGRESS.search(line)
        if match:
            count = int(match.group(1))
            if count and not busy.start:
                busy.begin(count)
            if count >= events and not busy.used:
                busy.end(count)
            rss = rss_kb(run.pid) if run.poll() is None else 0
            peak = max(peak, rss)
            rate = int(match.group(2))
            if rss and time.monotonic() - shown >= 2:
                shown = time.monotonic()
                print(f"  {count:9} events  {rate:6}/s  ol-om RSS {rss / 1024:6.0f} MB")
    cpu = cpu_seconds(run.pid)
    run.wait()
    print(f"ol-om CPU: {cpu:.1f}s = {cpu / events * 1e6:.0f} us per event (all its threads, start to end)")
    if busy.used:
        print(busy.report())
        BUSY.append(busy)
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
