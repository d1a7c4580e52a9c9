"""Producers for tests against a real broker: openlineage-python's own KafkaTransport, and plain confluent-kafka.

``produce_with_openlineage`` is what an OpenLineage integration (Airflow, Spark's Python side, dbt...) does: the
transport serialises with openlineage-python's Serde, keys each event so that a run's events and its parent
chain share a partition (``run:<root job namespace>/<root job name>``, else the parent job, else the job;
``job:...`` for JobEvents, ``dataset:...`` for DatasetEvents), produces and flushes after every event.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from openlineage.client.transport.kafka import KafkaConfig

from ol_om_kafka.testing import LARGE_MESSAGES_PRODUCER
from ol_om_kafka.testing.openlineage import DictKeyingKafkaTransport

# A broker that went away fails a test in this many milliseconds rather than librdkafka's five minutes.
DELIVERY_TIMEOUT_MS = 30_000


def produce_with_openlineage(
    bootstrap: str, topic: str, events: Iterable[Any], config: Mapping[str, str] | None = None
) -> None:
    """Send ``events`` through openlineage-python's KafkaTransport (``flush: true``); raises if any was lost.

    Events are openlineage-python objects (``event_v2`` or the older ``run`` classes) or wire-format dicts. The
    client cannot turn a dict back into its classes, so dicts go through the same transport, serialised by the
    same Serde; only their key is derived here, by ``message_key``, which mirrors the transport's rule.
    """
    settings = {"bootstrap.servers": bootstrap, "message.timeout.ms": str(DELIVERY_TIMEOUT_MS), **(config or {})}
    transport = DictKeyingKafkaTransport(KafkaConfig(config=settings, topic=topic, flush=True))
    with _DeliveryErrors() as errors:
        for event in events:
            transport.emit(event)
        complete = transport.close(timeout=DELIVERY_TIMEOUT_MS / 1000)
    if errors.records or not complete:
        raise AssertionError(f"OpenLineage events not delivered to {topic}: {[r.getMessage() for r in errors.records]}")


class _DeliveryErrors(logging.Handler):
    """Collects the delivery failures the transport only logs (``openlineage.client.transport.kafka``)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._logger = logging.getLogger("openlineage.client.transport.kafka")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> _DeliveryErrors:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)


def produce_raw(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes],
    key: bytes | str | None = None,
    *,
    partition: int | None = None,
    config: Mapping[str, str | int] | None = None,
) -> list[tuple[int, int]]:
    """Send ``values`` with a plain confluent-kafka Producer; returns each one's (partition, offset), in order.

    One record per batch (Tansu's end offsets stay exact) and records up to 32 MiB.
    """
    settings = {"bootstrap.servers": bootstrap, **LARGE_MESSAGES_PRODUCER, "message.timeout.ms": DELIVERY_TIMEOUT_MS}
    producer = Producer({**settings, **(config or {})})
    delivered: list[tuple[int, int] | None] = [None] * len(values)
    errors: list[KafkaError] = []

    def on_delivery(index: int, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            errors.append(err)
        else:
            delivered[index] = (msg.partition(), msg.offset())

    where = {} if partition is None else {"partition": partition}
    for index, value in enumerate(values):
        producer.produce(topic, value=value, key=key, on_delivery=functools.partial(on_delivery, index), **where)
        producer.poll(0)
    left = producer.flush(DELIVERY_TIMEOUT_MS / 1000)
    positions = [position for position in delivered if position is not None]
    if errors or left or len(positions) < len(values):
        raise AssertionError(f"{len(values) - len(positions)} of {len(values)} records not delivered to {topic}: "
                             f"{errors}")
    return positions
