"""A stream's shards, and which of them may be read: children only once their parents are finished.

A checkpoint is a sequence number (the last acknowledged record) or one of the words below. A shard is given its
first checkpoint the first time it is seen: where ``consumerOffsets`` says when the stream is first read, but
``TRIM_HORIZON`` for a shard whose parent was already known, so that nothing written after a split or merge is
skipped. With ``LATEST``, shards that are closed when the stream is first read are finished right away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SHARD_END = "SHARD_END"
"""Every record of the (closed) shard is acknowledged."""
START_POSITIONS = frozenset({"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"})


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


def first_checkpoints(shards: Sequence[Shard], known: Mapping[str, str], position: str) -> dict[str, str]:
    """The first checkpoint of every shard that ``known`` (the stored checkpoints) does not have yet."""
    new = {}
    for shard in shards:
        if shard.id in known:
            continue
        if any(parent in known for parent in shard.parents):
            new[shard.id] = "TRIM_HORIZON"
        elif position == "LATEST" and shard.closed:
            new[shard.id] = SHARD_END  # it took its last record before we started reading
        else:
            new[shard.id] = position
    return new


def readable(shards: Sequence[Shard], checkpoints: Mapping[str, str]) -> list[Shard]:
    """The shards with records left to read whose parents are finished (or gone: past the retention period)."""
    listed = {shard.id for shard in shards}
    return [shard for shard in shards
            if checkpoints.get(shard.id, SHARD_END) != SHARD_END
            and all(checkpoints.get(p) == SHARD_END or p not in listed for p in shard.parents)]


def later(sequence: str, than: str) -> bool:
    """Whether sequence number ``sequence`` comes after checkpoint ``than`` (a sequence number or a word)."""
    if than == SHARD_END:
        return False
    return than in START_POSITIONS or int(sequence) > int(than)
