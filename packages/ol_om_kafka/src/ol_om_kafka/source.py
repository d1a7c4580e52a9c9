"""The Kafka source: a confluent-kafka consumer that commits only what the sink acknowledged.

- Offsets are committed manually, per partition, up to the last acknowledged message (the runner acknowledges
  whole batches, so the committed prefix is contiguous); also when partitions are revoked, and on close.
- While the sink waits for OpenMetadata the source is held: its partitions are paused and the consumer keeps
  polling, so it stays in its group instead of overrunning ``max.poll.interval.ms`` (OpenMetadata #29757) and
  nothing new is fetched.
- Messages without a value or larger than ``maxEventBytes`` are handed on with their problem, for the dead
  letters. Events of one run stay in order: OpenLineage's Kafka transport keys messages by the root job, and a
  partition is consumed in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from ol_om_core.contract.check import Check
from ol_om_core.contract.sources import Record, SourceError  # the consumer cannot go on (a fatal librdkafka error)
from ol_om_kafka import config as kafka_config
from ol_om_kafka.config import KafkaSourceConfig
from ol_om_kafka.deadletter import DeadLetterTopic
from ol_om_kafka.logs import LIBRDKAFKA

log = logging.getLogger("ol_om_kafka")

Partition = tuple[str, int]


class KafkaSource:
    def __init__(self, config: KafkaSourceConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self._assigned: set[Partition] = set()
        self._uncommitted: dict[Partition, int] = {}  # partition -> next offset to commit (acknowledged)
        self._holding = False
        self._fatal: KafkaError | None = None
        self._last_error = ""
        """The consumer's last error, for the message when a batch run ends without ever being assigned."""
        try:
            self._consumer = Consumer({**config.consumer_properties(), "error_cb": self._on_error})
        except KafkaException as exc:  # librdkafka refuses the settings: sasl.username missing, a bad PEM...
            raise SourceError(f"cannot create the Kafka consumer: {exc.args[0].str()}") from None
        self._consumer.subscribe([config.topic_name], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                 on_lost=self._on_lost)

    @classmethod
    def from_config(cls, section: Mapping[str, Any], stop: threading.Event) -> KafkaSource:
        """The ``kafka`` entry point of ``ol_om.sources``."""
        return cls(kafka_config.load(section), stop)

    def __repr__(self) -> str:
        return f"KafkaSource({self.config.shown_brokers_url!r}, {self.config.topic_name!r})"

    @classmethod
    def check(cls, section: Mapping[str, Any], services: Sequence[str]) -> list[Check]:
        """``ol-om check``: the brokers answer with these credentials, and the topics exist."""
        config = kafka_config.load(section)
        try:
            metadata = AdminClient(config.client_properties()).list_topics(timeout=10)
        except KafkaException as exc:
            return [Check("kafka brokers", False, f"{config.shown_brokers_url}: {exc.args[0].str()}")]
        rows = [Check("kafka brokers", True, f"{len(metadata.brokers)} broker(s) at {config.shown_brokers_url}")]
        for role, name in (("topic", config.topic_name), ("dead-letter topic", config.dead_letter_topic)):
            if name is None:
                continue
            topic = metadata.topics.get(name)
            found = topic is not None and topic.error is None
            rows.append(Check(f"kafka {role}", found, f"{name}: {len(topic.partitions)} partition(s)"
                              if found and topic is not None else f"{name}: not found"))
        return rows

    # -- the source contract --------------------------------------------------------------------------------

    def batches(self) -> Iterator[Sequence[Record]]:
        quiet_since = time.monotonic()
        probe_at = quiet_since + self.config.session_timeout
        assigned_once = False
        while not self.stop.is_set():
            messages = self._consumer.consume(self.config.batch_size, self.config.pool_timeout)
            self._raise_fatal()
            records = [self._record(m) for m in messages if not self._skipped(m)]
            assigned_once = assigned_once or bool(self._assigned)
            if self.config.mode == "batch" and not assigned_once and time.monotonic() >= probe_at:
                self._raise_unreachable()  # a batch run must end: no partition comes from a broker out of reach
                probe_at = time.monotonic() + self.config.session_timeout  # a rebalance is slow: wait on
            if records or not self._assigned:  # quiet means no message while partitions are ours
                quiet_since = time.monotonic()
            elif self.config.mode == "batch" and time.monotonic() - quiet_since >= self.config.session_timeout:
                log.info("no message for %ss: the batch run is over", self.config.session_timeout)
                return
            yield records

    def acknowledge(self, records: Sequence[Record]) -> None:
        for record in records:
            topic, partition, offset = record.ref
            key = (topic, partition)
            self._uncommitted[key] = max(self._uncommitted.get(key, 0), offset + 1)
        self._commit(set(self._uncommitted))

    def hold(self, seconds: float) -> bool:
        """Pause every partition and keep polling (group membership, rebalances) for ``seconds``."""
        self._holding = True
        partitions = [TopicPartition(t, p) for t, p in self._assigned]
        self._consumer.pause(partitions)
        deadline = time.monotonic() + seconds
        try:
            while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
                message = self._consumer.poll(min(left, 0.5))
                if message is not None and not message.error():
                    # A partition assigned mid-hold was not paused in time: give the message back.
                    topic, partition, offset = _coordinates(message)
                    self._consumer.seek(TopicPartition(topic, partition, offset))
                    self._consumer.pause([TopicPartition(topic, partition)])
                self._raise_fatal()
        finally:
            self._holding = False
            self._consumer.resume([TopicPartition(t, p) for t, p in self._assigned])
        return self.stop.is_set()

    def close(self) -> None:
        self._commit(set(self._uncommitted))
        self._consumer.close()

    def dead_letter_writer(self) -> DeadLetterTopic | None:
        """The dead-letter topic, when one is configured (else the runner's file)."""
        return DeadLetterTopic(self.config) if self.config.dead_letter_topic else None

    def lag(self) -> int | None:
        """Messages behind the end of the assigned partitions (from the consumer's cached watermarks)."""
        total = 0
        try:
            for position in self._consumer.position([TopicPartition(t, p) for t, p in self._assigned]):
                _, high = self._consumer.get_watermark_offsets(position, cached=True)
                if position.offset >= 0 and high >= 0:
                    total += max(0, high - position.offset)
        except KafkaException:
            return None
        return total

    # -- internals ------------------------------------------------------------------------------------------

    def _record(self, message: Message) -> Record:
        topic, partition, offset = _coordinates(message)
        value = message.value()
        problem = None
        if value is None:
            problem, value = "the message has no value (a tombstone?)", b""
        elif len(value) > self.config.max_event_bytes:
            problem = f"the message is {len(value)} bytes, over maxEventBytes ({self.config.max_event_bytes})"
        return Record(f"{topic}/{partition}@{offset}", value, problem, (topic, partition, offset))

    def _skipped(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return False
        if error.fatal():
            self._fatal = error
        elif error.code() != KafkaError._PARTITION_EOF:
            LIBRDKAFKA.warning("Kafka: %s", error.str())  # repeats held back
        return True

    def _commit(self, partitions: set[Partition]) -> None:
        offsets = [TopicPartition(t, p, self._uncommitted[(t, p)]) for t, p in partitions
                   if (t, p) in self._uncommitted and (t, p) in self._assigned]
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # Kept for the next try; the events are written, so a crash now only means idempotent re-delivery.
            log.warning("commit failed, will retry with the next batch: %s", exc)
            return
        for offset in offsets:
            if self._uncommitted.get((offset.topic, offset.partition)) == offset.offset:
                del self._uncommitted[(offset.topic, offset.partition)]

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assigned |= {(p.topic, p.partition) for p in partitions}
        log.info("assigned %s", ", ".join(f"{p.topic}/{p.partition}" for p in partitions) or "nothing")
        if self._holding:
            consumer.pause(partitions)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(p.topic, p.partition) for p in partitions}
        self._commit(revoked)  # what is acknowledged is committed before another consumer takes over
        self._forget(revoked)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._forget({(p.topic, p.partition) for p in partitions})  # no longer ours: too late to commit

    def _forget(self, partitions: set[Partition]) -> None:
        self._assigned -= partitions
        for key in partitions:
            self._uncommitted.pop(key, None)
        log.info("revoked %s", ", ".join(f"{t}/{p}" for t, p in sorted(partitions)) or "nothing")

    def _on_error(self, error: KafkaError) -> None:
        self._last_error = error.str()
        if error.fatal():
            self._fatal = error
        else:
            LIBRDKAFKA.warning("Kafka: %s", error.str())  # repeats held back: a broker down says so every 50 ms

    def _raise_unreachable(self) -> None:
        """Nothing assigned yet: ask the broker for the topic. No answer, or no such topic, ends the run."""
        try:
            metadata = self._consumer.list_topics(self.config.topic_name, timeout=self.config.session_timeout)
        except KafkaException as exc:
            cause = self._last_error or exc.args[0].str()
            raise SourceError(f"no partition assigned after {self.config.session_timeout} s: the broker at "
                              f"{self.config.shown_brokers_url} cannot be reached ({cause})") from None
        topic = metadata.topics.get(self.config.topic_name)
        if topic is None or topic.error is not None:
            raise SourceError(f"no partition assigned after {self.config.session_timeout} s: topic "
                              f"{self.config.topic_name!r} is not on the broker at {self.config.shown_brokers_url}")

    def _raise_fatal(self) -> None:
        if self._fatal is not None:
            raise SourceError(f"Kafka consumer failed: {self._fatal.str()}")


def _coordinates(message: Message) -> tuple[str, int, int]:
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    assert topic is not None and partition is not None and offset is not None  # set on every consumed message
    return topic, partition, offset
