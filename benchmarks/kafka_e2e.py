"""End-to-end benchmark (a command, not a test): ./dev bench kafka [--events N] [--latency S] [--batch N]

A real broker (Tansu), the OpenMetadata stand-in in its own process (no schema validation: its CPU would be
ours), and ``ol-om run`` in a third process, as deployed. The stream is Airflow-shaped: DAG runs of 3 tasks
(8 events each: the DAG's START and COMPLETE, each task's START and COMPLETE with its input and output table),
over 200 DAGs, keyed by root job as openlineage-python's Kafka transport does.

Printed: events/s while busy (from the runner's own progress lines, so waiting for the group join and the
final quiet period is not counted), OpenMetadata calls per event, and the ol-om process's RSS at each progress
line — flat, for a long run, is the target. Targets: >= 5,000 events/s at zero latency; memory flat over
1,000,000 events (``--events 1000000``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from confluent_kafka import Producer

from ol_om_kafka.testing import TansuBroker

DAGS = 200
TASKS = 3
PG = "postgres://warehouse:5432"
_PROGRESS = re.compile(r"(?:progress|done): (\d+) events \((\d+)/s\)")


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


def produce(bootstrap: str, topic: str, events: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000,
                         "queue.buffering.max.messages": 500_000, "compression.type": "lz4"})
    sent, run = 0, 0
    while sent < events:
        for dag in range(DAGS):
            for key, value in dag_run_events(dag, run):
                while True:
                    try:
                        producer.produce(topic, value=value, key=key)
                        break
                    except BufferError:
                        producer.poll(0.1)
                sent += 1
            producer.poll(0)
            if sent >= events:
                break
        run += 1
    producer.flush(120)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (it lingers a moment after its last progress line)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_ol_om(work: Path, n: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ol_om_core.runtime.cli", "run", "--config",
                             str(work / "config.json"), "--dead-letters", str(work / f"dead-{n}.jsonl"),
                             "--report-every", "2"], stderr=subprocess.PIPE, text=True)


def single(work: Path, events: int) -> int:
    """One ol-om: its busy rate, calls per event, RSS along the run, CPU per event."""
    run = start_ol_om(work)
    peak, rate, lines = 0, 0, []
    assert run.stderr is not None
    for line in run.stderr:
        lines.append(line)
        match = _PROGRESS.search(line)
        if match:
            rss = rss_kb(run.pid) if run.poll() is None else 0
            peak = max(peak, rss)
            rate = int(match.group(2))
            if rss:
                print(f"  {int(match.group(1)):9} events  {rate:6}/s  ol-om RSS {rss / 1024:6.0f} MB")
    cpu = _cpu_seconds(run.pid)
    run.wait()
    print(f"ol-om CPU: {cpu:.1f}s = {cpu / events * 1e6:.0f} us per event (all its threads)")
    summary = next((ln for ln in reversed(lines) if "OpenMetadata calls" in ln), "")
    calls = re.search(r"(\d+) OpenMetadata calls", summary)
    print(f"events/s while busy: {rate} (target >= 5,000 at zero latency); peak RSS {peak / 1024:.0f} MB")
    if calls:
        print(f"OpenMetadata calls: {calls.group(1)} = {int(calls.group(1)) / events:.3f} per event")
    if run.returncode:
        print("".join(lines[-20:]))
    return run.returncode


def several(work: Path, events: int, instances: int) -> int:
    """Several ol-om processes in one group: the combined rate, from the first event any of them took to the
    moment all of them together had taken every event (progress lines every 2 s bound the error)."""
    runs = [start_ol_om(work, n) for n in range(instances)]
    counts = [0] * instances
    first: list[float] = []
    done: list[float] = []

    def follow(n: int) -> None:
        assert runs[n].stderr is not None
        for line in runs[n].stderr:
            match = _PROGRESS.search(line)
            if match:
                counts[n] = int(match.group(1))
                if counts[n] and not first:
                    first.append(time.monotonic() - 2.0)  # it started within the last report interval
                if sum(counts) >= events and not done:
                    done.append(time.monotonic())

    threads = [threading.Thread(target=follow, args=(n,)) for n in range(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = [run.wait() for run in runs]
    if first and done:
        print(f"{instances} instances: {events / (done[0] - first[0]):.0f} events/s combined "
              f"(each took {', '.join(map(str, counts))} events)")
    return max(codes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the stand-in waits per call")
    parser.add_argument("--batch", type=int, default=2000, help="batchSize: messages per delivery")
    parser.add_argument("--concurrency", type=int, default=16, help="the sink's calls in flight")
    parser.add_argument("--instances", type=int, default=1, help="ol-om processes in one consumer group")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ol-om-bench-"))
    tables = [{"fqn": f"postgres.dw.public.t_{d}_{i}", "columns": ["id"]}
              for d in range(DAGS) for i in range(TASKS + 1)]
    (work / "tables.json").write_text(json.dumps(tables))
    standin = subprocess.Popen([sys.executable, "-m", "ol_om_sink.testing.standin", "--no-validate",
                                "--latency", str(args.latency), "--tables", str(work / "tables.json")],
                               stdout=subprocess.PIPE, text=True)
    try:
        url = standin.stdout.readline().strip() if standin.stdout else ""
        with TansuBroker() as broker:
            topic = broker.create_topic("openlineage", partitions=max(3, args.instances))
            started = time.monotonic()
            produce(broker.bootstrap, topic, args.events)
            print(f"produced {args.events} events ({DAGS} DAGs, runs of {2 + 2 * TASKS} events) in "
                  f"{time.monotonic() - started:.0f}s; stand-in latency {args.latency * 1000:.0f} ms")
            config = {"source": {"type": "kafka", "brokersUrl": broker.bootstrap, "topicName": topic,
                                 "consumerGroupName": "bench", "mode": "batch", "sessionTimeout": 5,
                                 "batchSize": args.batch, "consumerConfig": {"session.timeout.ms": 6000}},
                      "sink": {"type": "openmetadata", "hostPort": url, "authProvider": "no-auth",
                               "concurrency": args.concurrency}}
            (work / "config.json").write_text(json.dumps(config))
            if args.instances == 1:
                sys.exit(single(work, args.events))
            sys.exit(several(work, args.events, args.instances))
    finally:
        standin.terminate()
        standin.wait(10)


if __name__ == "__main__":
    main()
