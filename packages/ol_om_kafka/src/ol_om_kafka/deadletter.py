"""A dead-letter topic: the original bytes, and why, in headers (``ol-om-reason``, ``ol-om-position`` =
``topic/partition@offset``, ``ol-om-operation`` for a call OpenMetadata refused).

Writes are flushed and confirmed before the runner lets the source commit, so a dead letter is never lost. A
message too large for the dead-letter topic is cut to ``deadLetterMaxBytes`` with ``ol-om-truncated`` naming
its size: the stream must go on, and the original stays at its position in the source topic until retention.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from ol_om_core.errors import SourceError

if TYPE_CHECKING:
    from ol_om_kafka.config import KafkaSourceConfig

MAX_BYTES = 900_000  # under Kafka's default 1 MB message limit, with room for headers


class DeadLetterError(SourceError):
    """The dead-letter topic did not take a message: the batch must not be acknowledged."""


class DeadLetterTopic:
    def __init__(self, config: KafkaSourceConfig, max_bytes: int = MAX_BYTES) -> None:
        assert config.dead_letter_topic is not None
        self.topic = config.dead_letter_topic
        self.max_bytes = max_bytes
        try:
            self._producer = Producer({**config.client_properties(), "enable.idempotence": True, "linger.ms": 5,
                                       "error_cb": self._on_error})
        except KafkaException as exc:  # librdkafka refuses the settings
            raise DeadLetterError(f"dead-letter topic {self.topic!r}: {exc.args[0].str()}") from None
        self._failures: list[str] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DeadLetterTopic({self.topic!r})"

    def write(self, position: str, reason: str, value: bytes | None, operation: dict[str, Any] | None) -> None:
        headers: list[tuple[str, str | bytes | None]] = [("ol-om-reason", reason.encode()),
                                                          ("ol-om-position", position.encode())]
        if operation is not None:
            headers.append(("ol-om-operation", json.dumps(operation, ensure_ascii=False).encode()))
        payload = value if value is not None else b""
        if len(payload) > self.max_bytes:
            headers.append(("ol-om-truncated", str(len(payload)).encode()))
            payload = payload[:self.max_bytes]
        self._producer.produce(self.topic, value=payload, key=position.encode(), headers=headers,
                               on_delivery=self._delivered)
        self._producer.poll(0)

    def flush(self, timeout: float = 30.0) -> None:
        left = self._producer.flush(timeout)
        with self._lock:
            failures, self._failures = self._failures, []
        if left or failures:
            problem = failures[0] if failures else f"{left} messages not confirmed within {timeout:.0f}s"
            raise DeadLetterError(f"dead-letter topic {self.topic!r}: {problem}")

    def close(self) -> None:
        self._producer.flush(10.0)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            with self._lock:
                self._failures.append(error.str())

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            with self._lock:
                self._failures.append(error.str())
