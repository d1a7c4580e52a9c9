"""The Kinesis source against kinesis-local (and moto's DynamoDB): checkpoints, reshards, leases, failures."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from builders import PG, TOKEN, dataset, etl_events, event, make_sink, seed_pg
from ol_om import DeadLetterFile, Progress, Runner
from ol_om_core.contract.sources import Record
from ol_om_core.translate import Translator
from ol_om_kinesis import config as kinesis_config
from ol_om_kinesis.checkpoints import CheckpointError, FileCheckpoints
from ol_om_kinesis.leases import DynamoDBCheckpoints
from ol_om_kinesis.shards import SHARD_END
from ol_om_kinesis.source import KinesisSource
from ol_om_kinesis.testing import KinesisLocal, aggregate
from ol_om_sink.testing.standin import OpenMetadataStandIn


@pytest.fixture
def om():
    with OpenMetadataStandIn(token=TOKEN) as server:
        seed_pg(server)
        yield server


def section(kinesis: KinesisLocal, stream: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"type": "kinesis", "streamName": stream, "mode": "batch", "sessionTimeout": 2, "poolTimeout": 0.1,
            "awsConfig": {"awsRegion": "us-east-1", "awsAccessKeyId": "testing", "awsSecretAccessKey": "testing",
                          "endPointURL": kinesis.url},
            "checkpoints": {"path": str(tmp_path / f"{stream}.json")}, **extra}


def source_for(kinesis: KinesisLocal, stream: str, tmp_path: Path, **extra: Any) -> KinesisSource:
    return KinesisSource(kinesis_config.load(section(kinesis, stream, tmp_path, **extra), environ={}))


def produce(kinesis: KinesisLocal, stream: str, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """As OpenLineage's Kinesis transport writes them: partition key ``{jobNamespace}:{jobName}``."""
    return kinesis.put(stream, [json.dumps(e).encode() for e in events],
                [f"{e['job']['namespace']}:{e['job']['name']}" for e in events])


def numbered(count: int, start: int = 0, job: str = "job") -> list[dict[str, Any]]:
    """``count`` events, one run each, whose run ids say their number (``…-000000000042``)."""
    return [event(f"{job}_{n % 7}", "START", f"00000000-0000-4000-8000-{n:012d}") for n in range(start, start + count)]


def number(record: Record) -> int:
    return int(json.loads(record.value)["run"]["runId"].rsplit("-", 1)[1])


def drain(source: KinesisSource, want: int, *, timeout: float = 60.0, acknowledge: bool = True,
          between: Any = None, allow_short: bool = False) -> list[Record]:
    """Read batches (acknowledging each) until ``want`` records came (or, ``allow_short``, the time is up)."""
    got: list[Record] = []
    deadline = time.monotonic() + timeout
    for batch in source.batches():
        got += batch
        if acknowledge:
            source.acknowledge(batch)
        if between is not None and batch:
            between(got)
        if len(got) >= want or (allow_short and time.monotonic() >= deadline):
            break
        assert time.monotonic() < deadline, f"{len(got)} of {want} records after {timeout}s"
    return got


def run(kinesis: KinesisLocal, stream: str, om: OpenMetadataStandIn, tmp_path: Path, **extra: Any) -> Progress:
    """``ol-om run`` in-process: the stream into the stand-in until it is quiet for 2 s."""
    stop = threading.Event()
    source = KinesisSource.from_config(section(kinesis, stream, tmp_path, **extra), stop)
    sink = make_sink(om)
    letters = DeadLetterFile(tmp_path / "dead.jsonl")
    try:
        return Runner(Translator(), sink, letters, stop).run(source, report_every=1)
    finally:
        letters.close()
        source.close()
        sink.close()


def effect(om: OpenMetadataStandIn) -> tuple[Any, ...]:
    pipelines = sorted(p["fullyQualifiedName"] for p in om.entities("pipeline"))
    statuses = sorted((p, s["executionStatus"]) for p in pipelines for s in om.statuses(p))
    edges = sorted((e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]) for e in om.edges())
    return pipelines, statuses, edges


def checkpoints(tmp_path: Path, stream: str) -> dict[str, str]:
    return json.loads((tmp_path / f"{stream}.json").read_text())["shards"]


# -- round trip and restart ---------------------------------------------------------------------------------


def test_round_trip_into_openmetadata(kinesis, stream, om, tmp_path):
    written = produce(kinesis, stream, etl_events())
    progress = run(kinesis, stream, om, tmp_path)
    assert (progress.events, progress.dead_letters) == (5, 0)
    pipeline = om.entity("pipeline", "openlineage.airflow-shop_dag")
    assert sorted(t["name"] for t in pipeline["tasks"]) == ["report", "shop_dag", "totals"]
    assert [s["executionStatus"] for s in om.statuses("openlineage.airflow-shop_dag")] == ["Successful"]
    assert len(om.edges()) == 2
    # How far behind the tip the reads were (MillisBehindLatest), for the progress line and the metrics.
    from ol_om._metrics import runner_metrics

    assert progress.behind_ms == 0 and "0 ms behind" in progress.line()
    assert "ol_om_runner_behind_seconds 0.0" in runner_metrics(progress)
    # Each shard's checkpoint is the sequence number of the last event written to it.
    last = {w["ShardId"]: w["SequenceNumber"] for w in written}
    assert checkpoints(tmp_path, stream) == {"shardId-000000000000": "TRIM_HORIZON",
                                             "shardId-000000000001": "TRIM_HORIZON", **last}


def test_a_restart_resumes_after_the_checkpoint(kinesis, stream, om, tmp_path):
    def jobs(first: int) -> list[dict[str, Any]]:
        events = []
        for n in range(first, first + 4):
            om.seed_table(f"postgres.shop.public.out_{n}", ["id"])
            run_id = str(uuid.uuid4())
            events += [event(f"job_{n}", "START", run_id),
                       event(f"job_{n}", "COMPLETE", run_id, inputs=[dataset(PG, "shop.public.orders")],
                             outputs=[dataset(PG, f"shop.public.out_{n}")])]
        return events

    produce(kinesis, stream, jobs(0))
    assert run(kinesis, stream, om, tmp_path).events == 8
    produce(kinesis, stream, jobs(4))
    second = run(kinesis, stream, om, tmp_path)
    assert second.events == 8  # only the new ones
    pipelines, statuses, edges = effect(om)
    assert len(pipelines) == 8 and [s for _, s in statuses] == ["Successful"] * 8 and len(edges) == 8


def test_a_crash_loses_nothing_that_was_not_acknowledged(kinesis, stream, tmp_path):
    produce(kinesis, stream, numbered(40))
    first = source_for(kinesis, stream, tmp_path, batchSize=10)
    got = drain(first, 40, acknowledge=False)
    first.acknowledge([r for r in got if number(r) < 5])  # then it dies, without closing
    first._store.close()  # (only the file lock goes with the process)
    again = source_for(kinesis, stream, tmp_path, batchSize=10)
    try:
        reread = drain(again, 35)
    finally:
        again.close()
    acknowledged = {r.position for r in got if number(r) < 5}
    assert {r.position for r in got} - acknowledged <= {r.position for r in reread}
    # Nothing acknowledged is read again, unless a later record of the same shard was not acknowledged first.
    assert not acknowledged & {r.position for r in reread}


# -- positions --------------------------------------------------------------------------------------------


def test_latest_reads_only_what_comes_after_the_start(kinesis, stream, tmp_path):
    produce(kinesis, stream, numbered(10))
    source = source_for(kinesis, stream, tmp_path, consumerOffsets="LATEST")
    try:
        batches = source.batches()
        for _ in range(3):
            assert next(batches) == []  # iterators taken at LATEST; the ten are behind them
        produce(kinesis, stream, numbered(5, start=100))
        got = drain(source, 5)
    finally:
        source.close()
    assert sorted(number(r) for r in got) == [100, 101, 102, 103, 104]


def test_kpl_aggregates_are_split_and_checkpointed_whole(kinesis, stream, tmp_path):
    events = numbered(3)
    blob = aggregate([json.dumps(e).encode() for e in events], partition_key="airflow:job")
    kinesis.put(stream, [blob], ["airflow:job"])
    source = source_for(kinesis, stream, tmp_path)
    try:
        got = drain(source, 3, acknowledge=False)
        assert [number(r) for r in got] == [0, 1, 2]
        assert [r.position.rsplit("#", 1)[1] for r in got] == ["0", "1", "2"]
        reader, sequence, _ = got[0].ref
        shard = reader.shard
        source.acknowledge(got[:2])
        assert checkpoints(tmp_path, stream)[shard] == "TRIM_HORIZON"  # two of three: not past the aggregate
        source.acknowledge(got[2:])
        assert checkpoints(tmp_path, stream)[shard] == sequence
    finally:
        source.close()


def test_an_oversized_record_is_handed_on_with_its_problem(kinesis, stream, tmp_path):
    produce(kinesis, stream, numbered(2))
    source = source_for(kinesis, stream, tmp_path, maxEventBytes=100)
    try:
        got = drain(source, 2)
    finally:
        source.close()
    assert all(r.problem and "over maxEventBytes (100)" in r.problem for r in got)


# -- resharding -------------------------------------------------------------------------------------------


def test_a_split_mid_stream_reads_the_parent_to_its_end_before_the_children(kinesis, tmp_path):
    stream = kinesis.create_stream(f"ol-split-{uuid.uuid4().hex[:8]}", shards=1)
    produce(kinesis, stream, numbered(60))
    client = kinesis.client()
    split = threading.Event()

    def split_once(got: list[Record]) -> None:
        if split.is_set():
            return
        split.set()
        shard = client.list_shards(StreamName=stream)["Shards"][0]
        middle = (int(shard["HashKeyRange"]["StartingHashKey"]) + int(shard["HashKeyRange"]["EndingHashKey"])) // 2
        client.split_shard(StreamName=stream, ShardToSplit=shard["ShardId"], NewStartingHashKey=str(middle))
        kinesis.wait_active(stream)
        produce(kinesis, stream, numbered(60, start=60))

    source = source_for(kinesis, stream, tmp_path, batchSize=20, mode="service", shardSyncInterval=0.5)
    try:
        got = drain(source, 120, between=split_once)
    finally:
        source.close()
    assert sorted(number(r) for r in got) == list(range(120))  # nothing lost, nothing twice
    shards = [r.ref[0].shard for r in got]
    parent = "shardId-000000000000"
    assert set(shards) == {parent, "shardId-000000000001", "shardId-000000000002"}
    last_of_parent = max(i for i, s in enumerate(shards) if s == parent)
    assert all(s == parent for s in shards[:last_of_parent + 1])
    assert checkpoints(tmp_path, stream)[parent] == SHARD_END


def split_stream(kinesis: KinesisLocal, name: str) -> str:
    """A stream of one shard holding events 0-9, then split in two, the children holding 10-19."""
    stream = kinesis.create_stream(f"ol-{name}-{uuid.uuid4().hex[:8]}", shards=1)
    produce(kinesis, stream, numbered(10))
    client = kinesis.client()
    shard = client.list_shards(StreamName=stream)["Shards"][0]
    client.split_shard(StreamName=stream, ShardToSplit=shard["ShardId"],
                       NewStartingHashKey=str(int(shard["HashKeyRange"]["EndingHashKey"]) // 2))
    kinesis.wait_active(stream)
    produce(kinesis, stream, numbered(10, start=10))
    return stream


def test_a_stream_split_before_the_first_start_is_read_parents_first(kinesis, tmp_path):
    stream = split_stream(kinesis, "presplit")
    source = source_for(kinesis, stream, tmp_path)
    try:
        got = drain(source, 20)
    finally:
        source.close()
    assert [number(r) for r in got[:10]] == list(range(10))
    assert sorted(number(r) for r in got[10:]) == list(range(10, 20))


# -- failures ---------------------------------------------------------------------------------------------


class Failing:
    """The real client, but the next calls of ``method`` fail with the error codes in ``failures``."""

    def __init__(self, client: Any, method: str) -> None:
        self.client = client
        self.method = method
        self.failures: list[str | tuple[str, str]] = []
        """Error codes, or (code, message)."""
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.client, name)
        if name != self.method:
            return real

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self.failures:
                failure = self.failures.pop(0)
                code, message = failure if isinstance(failure, tuple) else (failure, "as the test asked")
                raise ClientError({"Error": {"Code": code, "Message": message}}, name)
            return real(**kwargs)

        return call


def test_expired_iterators_and_throttling_lose_and_repeat_nothing(kinesis, tmp_path):
    stream = kinesis.create_stream(f"ol-flaky-{uuid.uuid4().hex[:8]}", shards=1)
    produce(kinesis, stream, numbered(30))
    config = kinesis_config.load(section(kinesis, stream, tmp_path, batchSize=10), environ={})
    flaky = Failing(kinesis.client(), "get_records")
    source = KinesisSource(config, kinesis=flaky, store=FileCheckpoints(tmp_path / f"{stream}.json", stream))
    try:
        got = drain(source, 10)
        flaky.failures += ["ExpiredIteratorException", "ProvisionedThroughputExceededException",
                           "ProvisionedThroughputExceededException", "InternalFailure"]
        got += drain(source, 20)
    finally:
        source.close()
    assert [number(r) for r in got] == list(range(30))
    assert flaky.calls >= 7


def test_latest_waits_for_a_kinesis_clock_behind_this_hosts(kinesis, stream, tmp_path):
    """LATEST is an AT_TIMESTAMP iterator at this host's now; a Kinesis whose clock is behind refuses it as "in
    the future" (the emulator did, now and then, by a millisecond): retried, not a fatal error."""
    config = kinesis_config.load(section(kinesis, stream, tmp_path, consumerOffsets="LATEST"), environ={})
    flaky = Failing(kinesis.client(), "get_shard_iterator")
    flaky.failures += [("InvalidArgumentException", "Timestamp cannot be in the future")] * 2
    source = KinesisSource(config, kinesis=flaky, store=FileCheckpoints(tmp_path / f"{stream}.json", stream))
    try:
        batches = source.batches()
        assert next(batches) == []
        produce(kinesis, stream, numbered(3, start=100))
        got = drain(source, 3)
    finally:
        source.close()
    assert sorted(number(r) for r in got) == [100, 101, 102]
    assert flaky.calls >= 3


def test_other_invalid_arguments_stay_fatal(kinesis, stream, tmp_path):
    from ol_om_kinesis.source import SourceError

    config = kinesis_config.load(section(kinesis, stream, tmp_path), environ={})
    flaky = Failing(kinesis.client(), "get_shard_iterator")
    flaky.failures += [("InvalidArgumentException", "StartingSequenceNumber is not valid")]
    source = KinesisSource(config, kinesis=flaky, store=FileCheckpoints(tmp_path / f"{stream}.json", stream))
    try:
        with pytest.raises(SourceError, match="InvalidArgument"):
            for _ in range(20):
                next(source.batches())
    finally:
        source.close()


def test_a_missing_stream_is_a_clear_fatal_error(kinesis, tmp_path):
    from ol_om_kinesis.source import SourceError

    source = source_for(kinesis, "no-such-stream", tmp_path)
    try:
        with pytest.raises(SourceError, match=r"no-such-stream.*ResourceNotFound"):
            next(source.batches())
    finally:
        source.close()


def test_a_second_reader_of_the_same_checkpoint_file_is_refused(kinesis, stream, tmp_path):
    first = source_for(kinesis, stream, tmp_path)
    try:
        with pytest.raises(CheckpointError, match="another process reads with these checkpoints"):
            source_for(kinesis, stream, tmp_path)
    finally:
        first.close()


# -- several workers --------------------------------------------------------------------------------------


def test_two_workers_share_the_shards_and_one_takes_over_when_the_other_dies(kinesis, moto, tmp_path):
    stream = kinesis.create_stream(f"ol-leases-{uuid.uuid4().hex[:8]}", shards=4)
    table = f"ol-om-leases-{uuid.uuid4().hex[:8]}"

    def worker(name: str) -> KinesisSource:
        lease = {"type": "dynamodb", "tableName": table, "leaseSeconds": 2, "workerId": name,
                 "endPointURL": moto.url}
        return source_for(kinesis, stream, tmp_path, mode="service", checkpoints=lease, shardSyncInterval=0.3)

    a, b = worker("a"), worker("b")
    read: dict[str, list[Record]] = {"a": [], "b": []}
    stops = {"a": threading.Event(), "b": threading.Event()}

    def loop(name: str, source: KinesisSource) -> None:
        for batch in source.batches():
            read[name] += batch
            source.acknowledge(batch)
            if stops[name].is_set():
                return

    threads = [threading.Thread(target=loop, args=(n, s), daemon=True) for n, s in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (len(a._readers) == 2 and len(b._readers) == 2):
            assert time.monotonic() < deadline, f"no even share: a {sorted(a._readers.copy())}, b " \
                                                f"{sorted(b._readers.copy())}"
            time.sleep(0.1)
        assert not set(a._readers.copy()) & set(b._readers.copy())
        produce(kinesis, stream, numbered(40))
        deadline = time.monotonic() + 30
        while len(read["a"]) + len(read["b"]) < 40:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert sorted(number(r) for r in read["a"] + read["b"]) == list(range(40))  # each shard read once
        # "a" dies: no more renewals, no goodbye.
        a._store._stop.set()
        stops["a"].set()
        threads[0].join(10)
        deadline = time.monotonic() + 30
        while len(b._readers) < 4:
            assert time.monotonic() < deadline, f"b did not take a's shards: {sorted(b._readers.copy())}"
            time.sleep(0.1)
        produce(kinesis, stream, numbered(40, start=40))
        deadline = time.monotonic() + 30
        while len(read["b"]) < len([r for r in read["b"] if number(r) < 40]) + 40:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stops["b"].set()
        threads[1].join(10)
        b.close()
    assert sorted(number(r) for r in read["a"] + read["b"] if number(r) >= 40) == list(range(40, 80))
    items = moto.client().scan(TableName=table)["Items"]
    assert len(items) == 4 and all(i["checkpoint"]["S"].isdigit() for i in items)
    assert not any("owner" in i for i in items)  # b gave its leases up on close


def test_the_lease_table_is_created_and_a_conflicting_take_fails(moto):
    table = f"ol-om-leases-{uuid.uuid4().hex[:8]}"
    from ol_om_kinesis.shards import Shard

    one = DynamoDBCheckpoints(moto.client(), table, "s", worker_id="one", lease_seconds=60)
    two = DynamoDBCheckpoints(moto.client(), table, "s", worker_id="two", lease_seconds=60)
    try:
        shards = [Shard("shard-1"), Shard("shard-2")]
        assert one.sync(shards, "TRIM_HORIZON", 0) == {"shard-1": "TRIM_HORIZON", "shard-2": "TRIM_HORIZON"}
        # Both are leased by a live worker: two takes its fair share from the busiest, one shard at a time.
        assert two.sync(shards, "TRIM_HORIZON", 0) == {"shard-2": "TRIM_HORIZON"}
        assert two.sync(shards, "TRIM_HORIZON", 0) == {"shard-2": "TRIM_HORIZON"}
        assert one.save({"shard-2": "123"}) == {"shard-2"}  # no longer one's: not saved
        assert one.save({"shard-1": "456"}) == set()
        assert one.sync(shards, "TRIM_HORIZON", 0) == {"shard-1": "456"}
    finally:
        one.close()
        two.close()


# -- the command line, with OpenMetadata's workflow file -----------------------------------------------------


def test_ol_om_run_and_check_take_openmetadatas_workflow_file(kinesis, stream, om, tmp_path, *, monkeypatch, capsys):
    from ol_om._cli import main

    monkeypatch.chdir(tmp_path)  # the checkpoint file goes to the working directory by default
    produce(kinesis, stream, etl_events())
    workflow = tmp_path / "openlineage.yaml"
    workflow.write_text(f"""
source:
  type: openlineage
  serviceName: openlineage_source
  serviceConnection:
    config:
      type: OpenLineage
      brokerConfig:
        streamName: {stream}
        consumerOffsets: TRIM_HORIZON
        poolTimeout: 0.1
        sessionTimeout: 2
        awsConfig:
          awsRegion: us-east-1
          awsAccessKeyId: testing
          awsSecretAccessKey: do-not-print-this
          endPointURL: {kinesis.url}
  sourceConfig:
    config:
      type: PipelineMetadata
sink:
  type: metadata-rest
  config: {{}}
workflowConfig:
  openMetadataServerConfig:
    hostPort: {om.url}
    authProvider: openmetadata
    securityConfig:
      jwtToken: {TOKEN}
""")
    assert main(["check", "--config", str(workflow)]) == 0
    checked = capsys.readouterr().out
    assert f"{stream}: ACTIVE, 2 open shard(s)" in checked
    assert f"ol-om-kinesis-{stream}.checkpoints.json" in checked
    assert main(["run", "--config", str(workflow), "--dead-letters", str(tmp_path / "dead.jsonl")]) == 0
    assert [s["executionStatus"] for s in om.statuses("openlineage_source.airflow-shop_dag")] == ["Successful"]
    saved = json.loads((tmp_path / f"ol-om-kinesis-{stream}.checkpoints.json").read_text())
    assert saved["stream"] == stream and any(v.isdigit() for v in saved["shards"].values())
    assert "do-not-print-this" not in capsys.readouterr().out + capsys.readouterr().err


# -- the Python API's documented example ---------------------------------------------------------------------


def test_the_docs_kinesis_example_runs_as_shown(kinesis, stream, om, tmp_path):
    from docs_examples import kinesis_substitutions, run_service_example

    produce(kinesis, stream, etl_events())
    brokers = run_service_example("kinesis", kinesis_substitutions(kinesis.url, stream, om.url, TOKEN), tmp_path, om)
    # The service's connection, without the secret key (no secrets were asked for), and the stream's events
    # written, the checkpoints kept where the example ran.
    assert (brokers["streamName"], brokers["consumerOffsets"]) == (stream, "TRIM_HORIZON")
    assert brokers["awsConfig"]["awsAccessKeyId"] == "<access key id>"
    assert "awsSecretAccessKey" not in brokers["awsConfig"]
    assert json.loads((tmp_path / f"ol-om-kinesis-{stream}.checkpoints.json").read_text())["stream"] == stream


def test_a_worker_restarted_under_the_same_id_takes_its_own_leases_back_at_once(moto):
    from ol_om_kinesis.shards import Shard

    table = f"ol-om-leases-{uuid.uuid4().hex[:8]}"
    shards = [Shard("shard-1"), Shard("shard-2")]
    first = DynamoDBCheckpoints(moto.client(), table, "s", worker_id="pod-0", lease_seconds=60)
    assert set(first.sync(shards, "TRIM_HORIZON", 0)) == {"shard-1", "shard-2"}
    first._stop.set()  # it crashes: no renewals, no goodbye
    restarted = DynamoDBCheckpoints(moto.client(), table, "s", worker_id="pod-0", lease_seconds=60)
    try:
        assert set(restarted.sync(shards, "TRIM_HORIZON", 0)) == {"shard-1", "shard-2"}  # no 60 s wait
    finally:
        restarted.close()


def test_a_failed_shard_listing_forgets_nothing(kinesis, tmp_path):
    stream = split_stream(kinesis, "listing")
    config = kinesis_config.load(section(kinesis, stream, tmp_path, mode="service", shardSyncInterval=0.2),
                                 environ={})
    listing = Failing(kinesis.client(), "list_shards")
    source = KinesisSource(config, kinesis=listing, store=FileCheckpoints(tmp_path / f"{stream}.json", stream))
    try:
        got = drain(source, 20)
        listing.failures.append("LimitExceededException")
        source._sync()
        assert checkpoints(tmp_path, stream)["shardId-000000000000"] == SHARD_END
        source._next_sync = 0
        again = drain(source, 1, timeout=2, allow_short=True)
    finally:
        source.close()
    assert sorted(number(r) for r in got) == list(range(20)) and again == []


def test_latest_then_a_crash_before_any_acknowledgement_loses_nothing(kinesis, stream, tmp_path):
    first = source_for(kinesis, stream, tmp_path, consumerOffsets="LATEST")
    batches = first.batches()
    for _ in range(3):
        assert next(batches) == []
    produce(kinesis, stream, numbered(5))
    assert len(drain(first, 5, acknowledge=False)) == 5  # read, never acknowledged: then the process dies
    first._store.close()
    again = source_for(kinesis, stream, tmp_path, consumerOffsets="LATEST")
    try:
        assert sorted(number(r) for r in drain(again, 5)) == [0, 1, 2, 3, 4]
    finally:
        again.close()
        first.close()


def test_acknowledgements_of_a_shard_read_before_it_changed_hands_do_not_count(kinesis, stream, tmp_path):
    produce(kinesis, stream, numbered(10))
    source = source_for(kinesis, stream, tmp_path, mode="service")
    try:
        old = drain(source, 10, acknowledge=False)
        shard = old[0].ref[0].shard
        source._readers[shard] = replacement = type(old[0].ref[0])(shard, "TRIM_HORIZON")  # lost and taken back
        source.acknowledge(old)
        assert replacement.outstanding == 0 and source._readers[shard] is replacement
        assert checkpoints(tmp_path, stream)[shard] == "TRIM_HORIZON"  # nothing saved for the old reader
    finally:
        source.close()
