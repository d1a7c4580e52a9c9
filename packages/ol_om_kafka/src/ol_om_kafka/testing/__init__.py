"""Test tooling for ol-om-kafka (the ``testing`` extra): a real Kafka-compatible broker on loopback."""

from ol_om_kafka.testing.tansu import (
    EXACT_OFFSETS_PRODUCER,
    GROUP_CONSUMER,
    LARGE_MESSAGES_PRODUCER,
    TansuBroker,
    TansuError,
    TansuNotInstalled,
    tansu_binary,
)

__all__ = [
    "EXACT_OFFSETS_PRODUCER",
    "GROUP_CONSUMER",
    "LARGE_MESSAGES_PRODUCER",
    "TansuBroker",
    "TansuError",
    "TansuNotInstalled",
    "tansu_binary",
]
