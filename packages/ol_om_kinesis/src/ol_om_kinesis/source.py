"""The Kinesis source: every shard this worker owns read concurrently, checkpoints only past acknowledged records.

- Each round reads, at once, every owned shard that is due (GetRecords, at most five calls a second per shard as
  Kinesis allows; an idle shard again after ``poolTimeout``). A round's records are one batch.
- After a split or merge, a child shard is read only once every record of its parents is acknowledged
  (``ol_om_kinesis.shards``), so the events of one job stay in order across a reshard. Finished shards are retired.
- The checkpoint of a shard is the sequence number of its last acknowledged record; a restart resumes after it.
  Checkpoints live in a file, or in DynamoDB with leases (``ol_om_kinesis.checkpoints``, ``.leases``).
- KPL aggregates are split into their events; the aggregate is checkpointed once all of them are acknowledged.
- An expired shard iterator is replaced from the last record read; throttling (ProvisionedThroughputExceeded)
  and passing failures back off, per shard, exponentially; a stream that is gone or refused is fatal.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ol_om_core.contract.check import Check
from ol_om_core.contract.sources import Record, SourceError  # the stream cannot be read (gone, access denied)
from ol_om_kinesis import aws, kpl
from ol_om_kinesis import config as kinesis_config
from ol_om_kinesis.checkpoints import CheckpointError, CheckpointStore, FileCheckpoints
from ol_om_kinesis.config import KinesisSourceConfig
from ol_om_kinesis.shards import AT_TIMESTAMP, SHARD_END, Shard, is_sequence

log = logging.getLogger("ol_om_kinesis")

MIN_READ_INTERVAL = 0.2
"""Seconds between two GetRecords calls on one shard: Kinesis allows five a second."""
MAX_BACKOFF = 30.0
_FATAL = frozenset({"ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
                    "InvalidSignatureException", "KMSAccessDeniedException", "KMSNotFoundException",
                    "KMSDisabledException", "KMSInvalidStateException", "InvalidArgumentException"})
"""Errors no retry can mend: the stream is gone or refused to these credentials."""


@dataclass(slots=True, eq=False)  # compared and hashed by identity: a shard taken back gets a new reader
class _Reader:
    """What this worker knows of one shard it reads (changed on the source's own thread only)."""

    shard: str
    checkpoint: str
    iterator: str | None = None
    last_read: str | None = None
    """Sequence number of the last record fetched (not necessarily acknowledged)."""
    next_read: float = 0.0
    failures: int = 0
    ended: bool = False
    outstanding: int = 0
    behind_ms: int | None = None


@dataclass(slots=True)
class _Fetched:
    """What one GetRecords brought back (built on a pool thread, applied to its reader on the source's)."""

    iterator: str | None
    """The iterator to go on with; ``None``: the shard ended, or take a new iterator (``expired``)."""
    records: list[Record] = field(default_factory=list)
    last_read: str | None = None
    behind_ms: int | None = None
    caught_up: bool = True
    expired: bool = False
    failure: Exception | None = None
    fatal: str | None = None


class KinesisSource:
    def __init__(self, config: KinesisSourceConfig, stop: threading.Event | None = None, *,
                 kinesis: Any = None, store: CheckpointStore | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self._pool = ThreadPoolExecutor(16, thread_name_prefix="ol-om-kinesis")
        boto = aws.session(config) if kinesis is None or store is None else None
        self._kinesis = kinesis if kinesis is not None else aws.kinesis_client(config, boto, connections=16)
        self._store = store if store is not None else _store(config, boto)
        self._readers: dict[str, _Reader] = {}
        self._next_sync = 0.0
        self._fatal: str | None = None
        self._unsaved: dict[str, str] = {}
        """Checkpoints the store could not take yet (DynamoDB or the disk away): saved with the next ones."""
        self._held_until = 0.0

    @classmethod
    def from_config(cls, section: Mapping[str, Any], stop: threading.Event) -> KinesisSource:
        """The ``kinesis`` entry point of ``ol_om.sources``."""
        return cls(kinesis_config.load(section), stop)

    def __repr__(self) -> str:
        return f"KinesisSource({self.config.stream_name!r}, {self._store!r})"

    @classmethod
    def check(cls, section: Mapping[str, Any], services: Sequence[str]) -> list[Check]:
        """``ol-om check``: the stream answers to these credentials, and where the checkpoints go."""
        config = kinesis_config.load(section)
        boto = aws.session(config)
        client = aws.kinesis_client(config, boto)
        try:
            summary = client.describe_stream_summary(StreamName=config.stream_name)["StreamDescriptionSummary"]
        except (ClientError, BotoCoreError) as exc:
            return [Check("kinesis stream", False, f"{config.stream_name}: {aws.describe(exc)}")]
        rows = [Check("kinesis stream", summary["StreamStatus"] in ("ACTIVE", "UPDATING"),
                      f"{config.stream_name}: {summary['StreamStatus']}, {summary['OpenShardCount']} open shard(s)")]
        checkpoints = config.checkpoints
        if checkpoints.type == "dynamodb":
            try:
                aws.dynamodb_client(config, boto).describe_table(TableName=checkpoints.table_name)
                rows.append(Check("kinesis checkpoints", True, f"DynamoDB table {checkpoints.table_name}"))
            except (ClientError, BotoCoreError) as exc:
                missing = aws.error_code(exc) == "ResourceNotFoundException"
                rows.append(Check("kinesis checkpoints", missing and checkpoints.create_table,
                                  f"DynamoDB table {checkpoints.table_name}: "
                                  + ("created on first run" if missing and checkpoints.create_table
                                     else aws.describe(exc))))
        else:
            rows.append(Check("kinesis checkpoints", True, f"file {config.checkpoint_path()}"))
        return rows

    # -- the source contract --------------------------------------------------------------------------------

    def batches(self) -> Iterator[Sequence[Record]]:
        quiet_since = time.monotonic()
        reading: list[tuple[_Reader, Future[_Fetched]]] = []
        try:
            while not self.stop.is_set():
                if time.monotonic() >= self._next_sync:
                    self._sync()
                if not reading:
                    reading = self._start_reads()
                batch: list[Record] = []
                failed = False
                for reader, fetch in reading:
                    records, ok = self._apply(reader, fetch.result())
                    batch += records
                    failed |= not ok
                self._raise_fatal()
                self._retire([r for r, _ in reading if r.ended and not r.outstanding])
                # A shard that could not be read is not known to be quiet, nor is the stream while held.
                quiet_since = max(quiet_since, self._held_until)
                if batch or failed:
                    quiet_since = time.monotonic()
                elif self.config.mode == "batch" and time.monotonic() - quiet_since >= self.config.session_timeout:
                    log.info("no record for %ss: the batch run is over", self.config.session_timeout)
                    return
                reading = []
                if batch:
                    # The next reads go on while this batch is translated and written.
                    reading = self._start_reads()
                else:
                    self._idle()
                yield batch
        finally:
            wait([fetch for _, fetch in reading])  # no stray GetRecords on an iterator another round will use

    def acknowledge(self, records: Sequence[Record]) -> None:
        done: dict[_Reader, tuple[str | None, int]] = {}
        for record in records:
            reader, sequence, complete = record.ref
            last, count = done.get(reader, (None, 0))
            done[reader] = (sequence if complete else last, count + 1)
        finished = []
        for reader, (sequence, count) in done.items():
            if self._readers.get(reader.shard) is not reader:
                continue  # read before the shard changed hands: its current reader's checkpoints count
            reader.outstanding -= count
            if reader.ended and not reader.outstanding:
                finished.append(reader)
            elif sequence is not None:
                self._unsaved[reader.shard] = sequence
        self._save()
        self._retire(finished)

    def hold(self, seconds: float) -> bool:
        """Nothing is read while held; leases are renewed on their own thread, and iterators that expire
        meanwhile are replaced on the next read."""
        stopped = self.stop.wait(seconds)
        self._held_until = time.monotonic()
        return stopped

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._store.close()

    def behind_ms(self) -> int | None:
        """How far the furthest-behind shard read last was from the tip of the stream (MillisBehindLatest)."""
        values = [r.behind_ms for r in self._readers.values() if r.behind_ms is not None]
        return max(values) if values else None

    # -- internals ------------------------------------------------------------------------------------------

    def _sync(self) -> None:
        """List the shards and ask the store which ones to read; start readers for new ones, drop lost ones."""
        interval = self.config.shard_sync_interval
        lease = self.config.checkpoints.lease_seconds if self.config.checkpoints.type == "dynamodb" else None
        self._next_sync = time.monotonic() + (min(interval, lease / 3) if lease else interval)
        shards = self._list_shards()
        if shards is None:
            return  # keep reading what is known; the store is only ever shown the whole stream
        timestamp = self.config.timestamp.timestamp() if self.config.timestamp else time.time()
        try:
            owned = self._store.sync(shards, self.config.consumer_offsets, timestamp)
        except CheckpointError as exc:
            log.warning("the checkpoint store is away, will retry: %s", exc)
            self._next_sync = time.monotonic() + self.config.pool_timeout
            return
        for shard_id, checkpoint in owned.items():
            if shard_id not in self._readers and self._unsaved.get(shard_id) != SHARD_END:
                self._readers[shard_id] = _Reader(shard_id, checkpoint)
        for shard_id in [s for s in self._readers if s not in owned]:
            log.info("no longer reading shard %s", shard_id)
            del self._readers[shard_id]  # acknowledgements of its records still in flight are not saved
        behind = self.behind_ms()
        log.debug("reading %d of %d shard(s) of %s%s", len(self._readers), len(shards), self.config.stream_name,
                  "" if behind is None else f", {behind} ms behind")

    def _list_shards(self) -> list[Shard] | None:
        """Every shard of the stream, or ``None`` if the listing could not be had whole this time."""
        shards: list[Shard] = []
        kwargs: dict[str, Any] = {"StreamName": self.config.stream_name}
        while True:
            try:
                answer = self._kinesis.list_shards(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                if _fatal(exc):
                    raise SourceError(f"Kinesis stream {self.config.stream_name}: {aws.describe(exc)}") from None
                log.warning("listing the shards of %s failed, will retry: %s", self.config.stream_name,
                            aws.describe(exc))
                self._next_sync = time.monotonic() + self.config.pool_timeout
                return None
            shards += [Shard.from_api(s) for s in answer.get("Shards", [])]
            token = answer.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def _start_reads(self) -> list[tuple[_Reader, Future[_Fetched]]]:
        """A GetRecords on every shard that is due, all at once, on the pool."""
        now = time.monotonic()
        return [(reader, self._pool.submit(self._fetch, reader)) for _, reader in sorted(self._readers.items())
                if not reader.ended and reader.next_read <= now]

    def _fetch(self, reader: _Reader) -> _Fetched:
        """One GetRecords on a shard (on a pool thread: reads ``reader``, changes nothing)."""
        fetched = _Fetched(reader.iterator)
        try:
            if fetched.iterator is None:
                fetched.iterator = self._iterator(reader)
            answer = self._kinesis.get_records(ShardIterator=fetched.iterator, Limit=self.config.batch_size)
        except ClientError as exc:
            if aws.error_code(exc) == "ExpiredIteratorException":
                fetched.iterator, fetched.expired = None, True
            elif _clock_ahead(exc):
                fetched.failure = exc  # this host's clock is ahead of Kinesis': it catches up, the next try works
            elif _fatal(exc):
                fetched.fatal = f"Kinesis stream {self.config.stream_name}, shard {reader.shard}: {aws.describe(exc)}"
            else:
                fetched.failure = exc
            return fetched
        except BotoCoreError as exc:
            fetched.failure = exc
            return fetched
        fetched.iterator = answer.get("NextShardIterator")
        fetched.behind_ms = answer.get("MillisBehindLatest")
        for item in answer.get("Records", []):
            fetched.records += self._records(reader, item)
            fetched.last_read = item["SequenceNumber"]
        fetched.caught_up = not answer.get("Records") or not fetched.behind_ms
        return fetched

    def _apply(self, reader: _Reader, fetched: _Fetched) -> tuple[list[Record], bool]:
        """Move ``reader`` on by what its GetRecords brought: the records to hand on, and whether it worked."""
        if fetched.fatal is not None:
            self._fatal = fetched.fatal
            return [], False
        reader.iterator = fetched.iterator
        if fetched.expired:
            log.info("the iterator of shard %s expired: taking a new one", reader.shard)
            return [], False
        if fetched.failure is not None:
            self._back_off(reader, fetched.failure)
            return [], False
        if self._readers.get(reader.shard) is not reader:
            return [], True  # no longer ours (lease lost while reading): the new owner reads these
        reader.failures = 0
        reader.ended = fetched.iterator is None
        reader.behind_ms = fetched.behind_ms
        reader.last_read = fetched.last_read or reader.last_read
        reader.outstanding += len(fetched.records)
        reader.next_read = time.monotonic() + (self.config.pool_timeout if fetched.caught_up else MIN_READ_INTERVAL)
        return fetched.records, True

    def _iterator(self, reader: _Reader) -> str:
        """A new iterator for ``reader``: after the last record read, else from its checkpoint."""
        kwargs: dict[str, Any] = {"StreamName": self.config.stream_name, "ShardId": reader.shard}
        position = reader.last_read or reader.checkpoint
        if is_sequence(position):
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position)
        elif position.startswith(AT_TIMESTAMP):
            kwargs.update(ShardIteratorType="AT_TIMESTAMP",
                          Timestamp=datetime.fromtimestamp(float(position[len(AT_TIMESTAMP):]), tz=UTC))
        else:
            kwargs.update(ShardIteratorType="TRIM_HORIZON")
        return str(self._kinesis.get_shard_iterator(**kwargs)["ShardIterator"])

    def _records(self, reader: _Reader, item: Mapping[str, Any]) -> list[Record]:
        sequence = item["SequenceNumber"]
        events = kpl.deaggregate(item["Data"])
        where = f"{self.config.stream_name}/{reader.shard}@{sequence}"
        records = []
        for index, value in enumerate(events):
            problem = None
            if len(value) > self.config.max_event_bytes:
                problem = f"the record is {len(value)} bytes, over maxEventBytes ({self.config.max_event_bytes})"
            position = where if len(events) == 1 else f"{where}#{index}"
            # The reader itself, not just its shard: a shard lost and taken back gets a new reader.
            records.append(Record(position, value, problem, (reader, sequence, index == len(events) - 1)))
        return records

    def _back_off(self, reader: _Reader, exc: Exception) -> None:
        reader.failures += 1
        delay = min(MAX_BACKOFF, MIN_READ_INTERVAL * 2 ** reader.failures) * random.uniform(0.5, 1.0)
        log.warning("reading shard %s failed (%s): again in %.1fs", reader.shard, aws.describe(exc), delay)
        reader.next_read = time.monotonic() + delay

    def _retire(self, finished: Sequence[_Reader]) -> None:
        """Every record of these closed shards is acknowledged: mark them done, so their children are read."""
        if not finished:
            return
        for reader in finished:
            self._unsaved[reader.shard] = SHARD_END
            self._readers.pop(reader.shard, None)
            log.info("shard %s is finished", reader.shard)
        self._save()
        self._next_sync = 0.0  # its children can be read now (once SHARD_END is saved)

    def _save(self) -> None:
        """Hand the store what is acknowledged; what it cannot take now is kept for the next time."""
        if not self._unsaved:
            return
        try:
            lost = self._store.save(self._unsaved)
        except CheckpointError as exc:
            log.warning("checkpoints not saved, will retry with the next batch: %s", exc)
            return
        self._unsaved.clear()
        for shard in lost:
            self._readers.pop(shard, None)  # another worker reads it now

    def _idle(self) -> None:
        """Wait until a shard is due (or the next sync), at most ``poolTimeout``."""
        waiting = [r.next_read for r in self._readers.values() if not r.ended] + [self._next_sync]
        self.stop.wait(max(0.0, min(self.config.pool_timeout, min(waiting) - time.monotonic())))

    def _raise_fatal(self) -> None:
        if self._fatal is not None:
            raise SourceError(self._fatal)


def _store(config: KinesisSourceConfig, boto: Any) -> CheckpointStore:
    settings = config.checkpoints
    if settings.type == "dynamodb":
        from ol_om_kinesis.leases import DynamoDBCheckpoints

        assert settings.table_name is not None  # validated
        return DynamoDBCheckpoints(aws.dynamodb_client(config, boto), settings.table_name, config.stream_name,
                                   worker_id=settings.worker_id, lease_seconds=settings.lease_seconds,
                                   create_table=settings.create_table)
    return FileCheckpoints(config.checkpoint_path(), config.stream_name)


def _fatal(exc: Exception) -> bool:
    return aws.error_code(exc) in _FATAL


def _clock_ahead(exc: Exception) -> bool:
    """An ``AT_TIMESTAMP`` iterator refused as "in the future": ``LATEST`` starts at this host's now (so that a
    restart before the first acknowledgement skips nothing), which Kinesis' clock may not have reached yet."""
    return aws.error_code(exc) == "InvalidArgumentException" and "future" in aws.describe(exc).lower()
