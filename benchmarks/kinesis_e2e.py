"""End-to-end benchmark (a command, not a test): ./dev bench kinesis [--events N] [--shards 1,4] [--latency S]

kinesis-local (the Kinesis emulator), the OpenMetadata stand-in in its own process (no schema validation), and
``ol-om run`` in a third process, as deployed; the same Airflow-shaped stream as the Kafka benchmark, written
with ``put_records`` under OpenLineage's Kinesis partition key ``{jobNamespace}:{jobName}``. For each shard
count: events/s while busy (from the runner's progress lines), OpenMetadata calls per event, RSS and CPU.

The emulator runs on the same two cores and answers far slower than Kinesis does (its PutRecords and
GetRecords slow down as a stream grows, hence the modest default); the figures are a floor, and the ratio
between shard counts is what this measures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from e2e import DAGS, TASKS, dag_run_events, single, start_standin
from ol_om_kinesis.testing import KinesisLocal


def produce(kinesis: KinesisLocal, stream: str, events: int) -> None:
    values: list[bytes] = []
    keys: list[str] = []
    run = 0
    while len(values) < events:
        for dag in range(DAGS):
            for _, value in dag_run_events(dag, run):
                job = json.loads(value)["job"]
                values.append(value)
                keys.append(f"{job['namespace']}:{job['name']}")
            if len(values) >= events:
                break
        run += 1
    kinesis.put(stream, values[:events], keys[:events])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=16_000)
    parser.add_argument("--shards", default="1,4", help="shard counts to measure, comma-separated")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the stand-in waits per call")
    parser.add_argument("--batch", type=int, default=2000, help="batchSize: records per GetRecords call")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ol-om-bench-"))
    standin, url = start_standin(work, args.latency)
    code = 0
    try:
        with KinesisLocal() as kinesis:
            for shards in (int(n) for n in args.shards.split(",")):
                stream = kinesis.create_stream(f"openlineage-{shards}-{uuid.uuid4().hex[:6]}", shards=shards)
                started = time.monotonic()
                produce(kinesis, stream, args.events)
                print(f"\n{shards} shard(s): produced {args.events} events ({DAGS} DAGs, runs of {2 + 2 * TASKS} "
                      f"events) in {time.monotonic() - started:.0f}s; stand-in latency {args.latency * 1000:.0f} ms")
                config = {"source": {"type": "kinesis", "streamName": stream, "mode": "batch", "sessionTimeout": 5,
                                     "poolTimeout": 0.2, "batchSize": args.batch,
                                     "awsConfig": {"awsRegion": "us-east-1", "awsAccessKeyId": "bench",
                                                   "awsSecretAccessKey": "bench", "endPointURL": kinesis.url},
                                     "checkpoints": {"path": str(work / f"{stream}.checkpoints.json")}},
                          "sink": {"type": "openmetadata", "hostPort": url, "authProvider": "no-auth"}}
                (work / "config.json").write_text(json.dumps(config))
                code = max(code, single(work, args.events))
    finally:
        standin.terminate()
        standin.wait(10)
    sys.exit(code)


if __name__ == "__main__":
    main()
