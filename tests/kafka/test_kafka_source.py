"""Kafka -> ol-om -> OpenMetadata (the stand-in), on a real broker: round trip, outages, poison, groups, crashes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition
from producers import produce_raw, produce_with_openlineage

from builders import PG, TOKEN, dataset, etl_events, event, make_sink
from ol_om import DeadLetterFile, Progress, Runner
from ol_om_core.translate import Translator
from ol_om_kafka.source import KafkaSource
from ol_om_kafka.testing import GROUP_CONSUMER

pytestmark = pytest.mark.slow


def _section(broker, topic: str, group: str, **extra: Any) -> dict[str, Any]:
    return {"type": "kafka", "brokersUrl": broker.bootstrap, "topicName": topic, "consumerGroupName": group,
            "mode": "batch", "sessionTimeout": 4, "poolTimeout": 0.2, "consumerConfig": dict(GROUP_CONSUMER),
            **extra}


def consume(broker, topic: str, om, group: str, tmp_path: Path, *, stop: threading.Event | None = None,
            sink: dict[str, Any] | None = None, **extra: Any) -> Progress:
    """Run ol-om over the topic until it has been quiet for 4 s (or ``stop``)."""
    stop = stop or threading.Event()
    writer = make_sink(om, **(sink or {}))
    source = KafkaSource.from_config(_section(broker, topic, group, **extra), stop)
    letters = source.dead_letter_writer() or DeadLetterFile(tmp_path / f"dead-{group}.jsonl")
    try:
        return Runner(Translator(), writer, letters, stop).run(source, report_every=1)
    finally:
        letters.close()
        source.close()
        writer.close()


def committed(broker, topic: str, group: str) -> dict[int, int]:
    """The group's committed offsets (-1001: none); a busy coordinator is asked again rather than failing."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        for attempt in range(5):
            try:
                offsets = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
                return {o.partition: o.offset for o in offsets}
            except KafkaException:
                if attempt == 4:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")
    finally:
        consumer.close()


def caught_up(broker, topic: str, group: str) -> bool:
    """The group has committed every partition to its end (an empty partition needs no commit)."""
    ends, done = end_offsets(broker, topic), committed(broker, topic, group)
    return all(done[p] == end or (end == 0 and done[p] < 0) for p, end in ends.items())


def end_offsets(broker, topic: str) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "watermarks"})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(3)}
    finally:
        consumer.close()


def runs(count: int) -> list[dict[str, Any]]:
    """``count`` jobs, each one run (START, COMPLETE) reading orders and writing its own table."""
    events = []
    for n in range(count):
        run_id = str(uuid.uuid4())
        inputs, outputs = [dataset(PG, "shop.public.orders")], [dataset(PG, f"shop.public.out_{n}")]
        events += [event(f"job_{n}", "START", run_id),
                   event(f"job_{n}", "COMPLETE", run_id, inputs=inputs, outputs=outputs)]
    return events


def seed_outputs(om, count: int) -> None:
    for n in range(count):
        om.seed_table(f"postgres.shop.public.out_{n}", ["id"])


def effect(om) -> tuple[Any, ...]:
    """What OpenMetadata holds, without ids: equal effects mean nothing lost and nothing duplicated."""
    pipelines = sorted(p["fullyQualifiedName"] for p in om.entities("pipeline"))
    statuses = sorted((p, s["executionStatus"]) for p in pipelines for s in om.statuses(p))
    edges = sorted((e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]) for e in om.edges())
    return pipelines, statuses, edges


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout

    def met() -> bool:
        try:
            return bool(condition())
        except KafkaException:  # a coordinator busy with a rebalance: ask again
            return False

    while not met():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_round_trip_from_the_official_client(broker, topic, om, tmp_path):
    produce_with_openlineage(broker.bootstrap, topic, etl_events())
    progress = consume(broker, topic, om, "round-trip", tmp_path)
    assert (progress.events, progress.dead_letters) == (5, 0)
    pipeline = om.entity("pipeline", "openlineage.airflow-shop_dag")
    assert sorted(t["name"] for t in pipeline["tasks"]) == ["report", "shop_dag", "totals"]
    assert [s["executionStatus"] for s in om.statuses("openlineage.airflow-shop_dag")] == ["Successful"]
    assert len(om.edges()) == 2
    assert all(e["lineageDetails"].get("columnsLineage") for e in om.edges())
    assert caught_up(broker, topic, "round-trip")


def test_openmetadata_down_holds_the_offsets_then_everything_lands(broker, topic, om, tmp_path):
    events = runs(6)
    seed_outputs(om, 6)
    produce_with_openlineage(broker.bootstrap, topic, events)
    for path in ("/v1/services", "/v1/pipelines", "/v1/lineage"):  # down for writes, after the sink's start-up
        om.faults.fail(status=503, times=None, path=path)
    stop = threading.Event()
    result: list[Progress] = []
    worker = threading.Thread(target=lambda: result.append(consume(
        broker, topic, om, "outage", tmp_path, stop=stop, mode="service",
        sink={"retry": {"initialDelay": 0.05, "maxDelay": 0.2, "maxElapsed": 0.5}})))
    worker.start()
    try:
        wait_for(lambda: sum(status == 503 for _, _, status in om.requests) >= 10, timeout=120,
                 what="calls refused with 503")
        time.sleep(2)  # several rounds of holding
        offsets = committed(broker, topic, "outage")
        assert all(offset < 0 for offset in offsets.values()), f"committed while OpenMetadata was down: {offsets}"
        assert effect(om) == ([], [], [])
        om.faults.clear()
        wait_for(lambda: caught_up(broker, topic, "outage"), timeout=120, what="commits")
    finally:
        stop.set()
        worker.join(30)
    pipelines, statuses, edges = effect(om)
    assert len(pipelines) == 6 and [s for _, s in statuses] == ["Successful"] * 6 and len(edges) == 6, effect(om)


def test_poison_messages_go_to_the_dead_letter_topic_and_the_stream_goes_on(broker, topic, om, tmp_path):
    dead_topic = broker.create_topic(f"{topic}-dead", partitions=1)
    good = runs(2)
    seed_outputs(om, 2)
    om.seed_table("postgres.shop.public.refused_out", ["id"])
    refused = event("refused", "COMPLETE", inputs=[dataset(PG, "shop.public.orders")],
                    outputs=[dataset(PG, "shop.public.refused_out")])
    produce_raw(broker.bootstrap, topic, [b"not json at all", json.dumps({"hello": "world"}).encode(),
                                          b"x" * 20_000, json.dumps(refused).encode()], key=b"poison")
    produce_with_openlineage(broker.bootstrap, topic, good)
    om.faults.fail(status=400, times=1, path="/api/v1/lineage", method="PUT")  # one edge refused for good
    progress = consume(broker, topic, om, "poison", tmp_path, deadLetterTopic=dead_topic, maxEventBytes=10_000)
    letters = _read_all(broker, dead_topic)
    reasons = {headers["ol-om-position"]: headers["ol-om-reason"] for _, headers in letters}
    assert len(letters) == 4, "\n".join(f"{p}: {r}" for p, r in sorted(reasons.items()))
    assert any("not a usable OpenLineage event" in r and "JSON" in r for r in reasons.values())
    assert any("over maxEventBytes" in r for r in reasons.values())
    assert any("OpenMetadata refused PUT /v1/lineage (400)" in r for r in reasons.values())
    assert {value for value, _ in letters} >= {b"not json at all", b"x" * 20_000}
    assert progress.dead_letters == 4
    pipelines = sorted(p["name"] for p in om.entities("pipeline"))
    assert pipelines == ["airflow-job_0", "airflow-job_1", "airflow-refused"]  # the stream went on past them
    assert caught_up(broker, topic, "poison")


def test_a_ten_megabyte_event_is_handled(broker, topic, om, tmp_path):
    big = event("big", "COMPLETE", job_facets={"sql": {"_producer": "p", "_schemaURL": "s",
                                                        "query": "select 1 -- " + "x" * 10_000_000}})
    produce_raw(broker.bootstrap, topic, [json.dumps(big).encode()])
    progress = consume(broker, topic, om, "big", tmp_path)
    assert (progress.events, progress.dead_letters) == (1, 0)
    assert om.entity("pipeline", "openlineage.airflow-big") is not None


def test_two_consumers_share_the_partitions_and_one_takes_over(broker, topic, om, tmp_path):
    seed_outputs(om, 30)
    events = runs(30)
    produce_with_openlineage(broker.bootstrap, topic, events[:30])
    stops = [threading.Event(), threading.Event()]
    results: list[Progress] = []

    def member(n: int) -> None:
        results.append(consume(broker, topic, om, "pair", tmp_path, stop=stops[n], mode="service"))

    workers = [threading.Thread(target=member, args=(n,)) for n in (0, 1)]
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: len(om.entities("pipeline")) >= 15, what="the first half written")
        stops[0].set()  # one leaves; the other must take its partitions over
        workers[0].join(60)
        produce_with_openlineage(broker.bootstrap, topic, events[30:])
        wait_for(lambda: caught_up(broker, topic, "pair"), timeout=90,
                 what="every partition committed to its end")
    finally:
        stops[1].set()
        for worker in workers:
            worker.join(60)
    pipelines, statuses, edges = effect(om)
    assert len(pipelines) == 30 and len(edges) == 30
    assert [s for _, s in statuses] == ["Successful"] * 30


def test_kill_9_mid_stream_then_restart_loses_and_duplicates_nothing(broker, topic, om, tmp_path):
    seed_outputs(om, 40)
    produce_with_openlineage(broker.bootstrap, topic, runs(40))
    om.faults.latency(0.05)  # slow enough to be killed mid-stream
    config = tmp_path / "ol-om.json"
    section = _section(broker, topic, "crash", mode="service", batchSize=10)
    config.write_text(json.dumps({"source": section, "sink": {
        "type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": TOKEN}}}))
    command = [sys.executable, "-m", "ol_om", "run", "--config", str(config),
               "--dead-letters", str(tmp_path / "dead.jsonl")]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(om.entities("pipeline")) >= 8, timeout=90, what="some events written")
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    assert len(om.entities("pipeline")) < 40  # it really died mid-stream
    om.faults.clear()
    section["mode"] = "batch"
    config.write_text(json.dumps({"source": section, "sink": {
        "type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": TOKEN}}}))
    second = subprocess.run(command, check=False, capture_output=True, timeout=180)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    pipelines, statuses, edges = effect(om)
    assert len(pipelines) == 40 and len(edges) == 40
    assert [s for _, s in statuses] == ["Successful"] * 40  # one status per run: redelivery changed nothing
    assert caught_up(broker, topic, "crash")


def _read_all(broker, topic: str) -> list[tuple[bytes, dict[str, str]]]:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"reader-{uuid.uuid4().hex[:6]}",
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    out = []
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                if out:
                    break
                continue
            if message.error():
                continue
            headers = {k: v.decode() for k, v in message.headers() or ()}
            out.append((message.value(), headers))
    finally:
        consumer.close()
    return out


def test_sigterm_drains_commits_and_exits_0(broker, topic, om, tmp_path):
    seed_outputs(om, 5)
    produce_with_openlineage(broker.bootstrap, topic, runs(5))
    config = tmp_path / "ol-om.json"
    config.write_text(json.dumps({"source": _section(broker, topic, "sigterm", mode="service"), "sink": {
        "type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": TOKEN}}}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = subprocess.Popen([sys.executable, "-m", "ol_om", "run", "--config", str(config),
                                "--dead-letters", str(tmp_path / "dead.jsonl"), "--metrics-port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(om.edges()) == 5, timeout=60, what="the events written")
        time.sleep(1)
        assert service.poll() is None  # a service keeps running on a quiet topic
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        assert "ol_om_runner_events_total 10" in metrics
        assert 'ol_om_sink_calls_total{call="PUT lineage"} 5' in metrics
        service.send_signal(signal.SIGTERM)
        assert service.wait(30) == 0, service.stderr.read().decode()[-2000:] if service.stderr else ""
    finally:
        if service.poll() is None:
            service.kill()
    assert caught_up(broker, topic, "sigterm")


def test_a_batch_run_ends_with_an_error_when_the_broker_cannot_be_reached(tmp_path: Path) -> None:
    """Batch mode must end: with nothing listening at brokersUrl no partition is ever assigned; the run stops
    with exit status 4 and says why, instead of waiting forever."""
    from ol_om import Workflow
    from ol_om._workflow import EXIT_SOURCE

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    section = {"type": "kafka", "brokersUrl": f"127.0.0.1:{port}", "topicName": "t", "consumerGroupName": "g",
               "mode": "batch", "sessionTimeout": 1, "poolTimeout": 0.2}
    result = Workflow.from_config({"source": section, "sink": {"type": "dry-run"}},
                                  dead_letters=tmp_path / "dead.jsonl").run(handle_signals=False)
    assert result.exit_status == EXIT_SOURCE
    assert result.error is not None and "no partition assigned after 1 s" in result.error
    assert f"the broker at 127.0.0.1:{port} cannot be reached" in result.error
