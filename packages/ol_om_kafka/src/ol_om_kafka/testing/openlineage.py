"""openlineage-python's own Kafka transport as a producer of wire-format events (the ``testing`` extra).

The transport keys its event classes so that a run's events, and those of its parent chain, share a partition;
events given as dicts are keyed here by the same rule, so tests and the demo can send the JSON they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openlineage.client.transport.kafka import KafkaTransport


def message_key(event: Mapping[str, Any]) -> str | None:
    """The Kafka key openlineage-python's KafkaTransport gives the equivalent event object."""
    if "run" not in event:
        if "dataset" in event:
            return f"dataset:{event['dataset']['namespace']}/{event['dataset']['name']}"
        if "job" in event:
            return f"job:{event['job']['namespace']}/{event['job']['name']}"
        return None
    job = event["job"]
    parent = (event["run"].get("facets") or {}).get("parent")
    if parent:
        keyed = parent["root"]["job"] if parent.get("root") else parent.get("job") or {}
        if keyed.get("namespace") and keyed.get("name"):
            return f"run:{keyed['namespace']}/{keyed['name']}"
    return f"run:{job['namespace']}/{job['name']}"


class DictKeyingKafkaTransport(KafkaTransport):
    """openlineage-python's KafkaTransport, also keying events given as dicts (it keys only its own classes)."""

    def _get_message_key(self, event: Any) -> str | None:
        if isinstance(event, Mapping):
            return message_key(event)
        return super()._get_message_key(event)
