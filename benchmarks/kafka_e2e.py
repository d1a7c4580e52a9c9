"""End-to-end benchmark (a command, not a test): ./dev bench kafka [--suite] [--events N] [--latency S] [--batch N]

A real broker (Tansu), the OpenMetadata stand-in in its own process (no schema validation: its CPU would be
ours), and ``ol-om run`` in a third process, as deployed. The stream is Airflow-shaped: DAG runs of 3 tasks
(8 events each: the DAG's START and COMPLETE, each task's START and COMPLETE with its input and output table),
over 200 DAGs, keyed by root job as openlineage-python's Kafka transport does.

Printed: events/s while busy (from the runner's own progress lines, so waiting for the group join and the
final quiet period is not counted), OpenMetadata calls per event, and the ol-om process's RSS at each progress
line — flat, for a long run, is the target. Targets: >= 5,000 events/s at zero latency; memory flat over
1,000,000 events (``--events 1000000``).

``--suite`` (what ``./dev bench kafka`` runs without options) measures issue 17's goals, each printed beside its
figure: one process at zero latency (>= 5,000 events/s), one at 10 ms (>= 3,000), and two processes in one consumer
group against one, at both latencies (>= 1.8x, where the cores allow: broker, stand-in and ol-om share them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

from confluent_kafka import Producer

from e2e import DAGS, PROGRESS, RATES, TASKS, dag_run_events, single, start_ol_om, start_standin
from ol_om_kafka.testing import TansuBroker


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
            match = PROGRESS.search(line)
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
        RATES.append(events / (done[0] - first[0]))
        print(f"{instances} instances: {events / (done[0] - first[0]):.0f} events/s combined "
              f"(each took {', '.join(map(str, counts))} events)")
    return max(codes)


def measure(events: int, latency: float, batch: int, concurrency: int, instances: int, *, target: str = "") -> int:
    """One run on a fresh broker and stand-in; prints as it goes, returns the exit status."""
    work = Path(tempfile.mkdtemp(prefix="ol-om-bench-"))
    standin, url = start_standin(work, latency)
    try:
        with TansuBroker() as broker:
            # An even share for each process: 200 DAG keys over 2 partitions per process.
            topic = broker.create_topic("openlineage", partitions=max(4, 2 * instances))
            started = time.monotonic()
            produce(broker.bootstrap, topic, events)
            print(f"produced {events} events ({DAGS} DAGs, runs of {2 + 2 * TASKS} events) in "
                  f"{time.monotonic() - started:.0f}s; stand-in latency {latency * 1000:.0f} ms")
            config = {"source": {"type": "kafka", "brokersUrl": broker.bootstrap, "topicName": topic,
                                 "consumerGroupName": "bench", "mode": "batch", "sessionTimeout": 5,
                                 "batchSize": batch, "consumerConfig": {"session.timeout.ms": 6000}},
                      "sink": {"type": "openmetadata", "hostPort": url, "authProvider": "no-auth",
                               "concurrency": concurrency}}
            (work / "config.json").write_text(json.dumps(config))
            if instances == 1:
                return single(work, events, target)
            return several(work, events, instances)
    finally:
        standin.terminate()
        standin.wait(10)


def suite(events: int, batch: int, concurrency: int) -> int:
    """Issue 17's goals: each figure beside its goal. Scale-out is measured at both latencies: at zero the two
    cores are already busy with one ol-om, the broker and the stand-in, so a second process has little to gain."""
    rates: dict[tuple[int, float], float] = {}
    for instances, latency in ((1, 0.0), (1, 0.01), (2, 0.0), (2, 0.01)):
        print(f"-- {instances} process{'es' if instances > 1 else ''}, {latency * 1000:.0f} ms")
        RATES.clear()
        code = measure(events, latency, batch, concurrency, instances)
        if code or not RATES:
            return code or 1
        rates[instances, latency] = RATES[-1]
    print(f"\n{'':28}{'figure':>10}   goal")
    print(f"{'1 process, 0 ms':28}{rates[1, 0.0]:10,.0f}   >= 5,000 events/s")
    print(f"{'1 process, 10 ms':28}{rates[1, 0.01]:10,.0f}   >= 3,000 events/s")
    for latency in (0.0, 0.01):
        print(f"{f'2 processes / 1, {latency * 1000:.0f} ms':28}{rates[2, latency] / rates[1, latency]:10.2f}   "
              ">= 1.8x where the cores allow")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="store_true", help="the three goals of issue 17, each beside its goal")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the stand-in waits per call")
    parser.add_argument("--batch", type=int, default=2000, help="batchSize: messages per delivery")
    parser.add_argument("--concurrency", type=int, default=16, help="the sink's calls in flight")
    parser.add_argument("--instances", type=int, default=1, help="ol-om processes in one consumer group")
    args = parser.parse_args()
    if args.suite:
        sys.exit(suite(args.events, args.batch, args.concurrency))
    sys.exit(measure(args.events, args.latency, args.batch, args.concurrency, args.instances,
                     target=" (target >= 5,000 at zero latency)" if args.latency == 0 else ""))


if __name__ == "__main__":
    main()
