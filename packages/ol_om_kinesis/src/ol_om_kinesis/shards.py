"""A stream's shards, and which of them may be read: children only once their parents are finished.

A checkpoint is a sequence number (the last acknowledged record), ``TRIM_HORIZON``, ``AT_TIMESTAMP:{epoch
seconds}`` or ``SHARD_END``. A shard is given its first checkpoint the first time it is seen: where
``consumerOffsets`` says when the stream is first read, but ``TRIM_HORIZON`` for a shard descending from a shard
already known, so that nothing written after a split or merge is skipped. ``LATEST`` is kept as the time it was
first seen (``AT_TIMESTAMP``), so a restart before the first acknowledged record skips nothing; shards that are
closed by then are finished right away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SHARD_END = "SHARD_END"
"""Every record of the (closed) shard is acknowledged."""
AT_TIMESTAMP = "AT_TIMESTAMP:"


@dataclass(frozen=True, slots=True)
class Shard:
    id: str
    parents: tuple[str, ...] = ()
    closed: bool = False
    """Split or merged: the shard has an ending sequence number and takes no new records."""

    @classmethod
    def from_api(cls, shard: Mapping[str, Any]) -> Shard:
        """A shard of a ``ListShards`` answer."""
        parents = tuple(p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p)
        closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
        return cls(shard["ShardId"], parents, closed)


def first_checkpoints(shards: Sequence[Shard], known: Mapping[str, str], position: str,
                      timestamp: float) -> dict[str, str]:
    """The first checkpoint of every shard that ``known`` (the stored checkpoints) does not have yet.

    ``position`` is ``consumerOffsets``; ``timestamp`` the time it means (``AT_TIMESTAMP``'s, or now for
    ``LATEST``), in seconds since the epoch.
    """
    new: dict[str, str] = {}
    descends = set(known)  # shards whose records ol-om has been, or will be, reading from their start
    for shard in sorted(shards, key=lambda s: s.id):  # shard ids grow with each split or merge: parents first
        if shard.id in known:
            continue
        if any(parent in descends for parent in shard.parents):
            new[shard.id] = "TRIM_HORIZON"
            descends.add(shard.id)
        elif position == "TRIM_HORIZON":
            new[shard.id] = "TRIM_HORIZON"
        elif position == "LATEST" and shard.closed:
            new[shard.id] = SHARD_END  # it took its last record before we started reading
        else:
            new[shard.id] = f"{AT_TIMESTAMP}{timestamp}"
    return new


def readable(shards: Sequence[Shard], checkpoints: Mapping[str, str]) -> list[Shard]:
    """The shards with records left to read whose parents are finished (or gone: past the retention period)."""
    listed = {shard.id for shard in shards}
    return [shard for shard in shards
            if checkpoints.get(shard.id, SHARD_END) != SHARD_END
            and all(checkpoints.get(p) == SHARD_END or p not in listed for p in shard.parents)]


def is_sequence(checkpoint: str) -> bool:
    return checkpoint.isdigit()
