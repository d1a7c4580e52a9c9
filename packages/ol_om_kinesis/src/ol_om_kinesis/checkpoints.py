"""Checkpoint stores: the last acknowledged sequence number of each shard, and which worker reads which shard.

``sync`` is called every few seconds with the stream's shards: it records shards seen for the first time, renews
this worker's leases, takes free ones, and answers with the checkpoints of the shards this worker should read.
``save`` is called after each acknowledged batch.

- ``MemoryCheckpoints``: the in-memory fake beside the interface (tests; nothing survives the process).
- ``FileCheckpoints``: a JSON file, replaced atomically; one reader per file, enforced with a lock.
- ``ol_om_kinesis.leases.DynamoDBCheckpoints``: a table shared by several workers, with leases.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

from ol_om_core.contract.files import replace_durably
from ol_om_core.errors import SourceError
from ol_om_kinesis import shards as shard_rules
from ol_om_kinesis.shards import SHARD_END, Shard


class CheckpointError(SourceError):
    """The checkpoints cannot be read or written (the source cannot go on without them)."""


class CheckpointStore(Protocol):
    def sync(self, shards: Sequence[Shard], position: str, timestamp: float) -> dict[str, str]:
        """Record new shards (first checkpoints from ``position`` and ``timestamp``: see
        ``shards.first_checkpoints``), renew and take leases; the checkpoints of the readable shards this worker
        owns now. ``shards`` is the stream's complete listing."""
        ...

    def save(self, checkpoints: Mapping[str, str]) -> set[str]:
        """Store these checkpoints; the shards among them this worker no longer owns (not saved)."""
        ...

    def close(self) -> None:
        """Give up this worker's leases, so others take its shards over at once."""
        ...


class MemoryCheckpoints:
    """Checkpoints in a dict; this worker owns every readable shard."""

    def __init__(self, checkpoints: Mapping[str, str] | None = None) -> None:
        self.checkpoints: dict[str, str] = dict(checkpoints or {})

    def sync(self, shards: Sequence[Shard], position: str, timestamp: float) -> dict[str, str]:
        new = shard_rules.first_checkpoints(shards, self.checkpoints, position, timestamp)
        listed = {shard.id for shard in shards}
        # Finished shards the stream no longer lists (past retention) are forgotten; the rest are kept.
        gone = [s for s, c in self.checkpoints.items() if s not in listed and c == SHARD_END]
        if new or gone:
            for shard_id in gone:
                del self.checkpoints[shard_id]
            self.checkpoints.update(new)
            self._write()
        return {shard.id: self.checkpoints[shard.id] for shard in shard_rules.readable(shards, self.checkpoints)}

    def save(self, checkpoints: Mapping[str, str]) -> set[str]:
        if checkpoints:
            self.checkpoints.update(checkpoints)
            self._write()
        return set()

    def _write(self) -> None:
        pass  # kept in memory only

    def close(self) -> None:
        pass


class FileCheckpoints(MemoryCheckpoints):
    """Checkpoints in a JSON file ``{"stream": ..., "shards": {shard id: checkpoint}}``.

    Each save writes a new file beside the old one, flushes it to disk and renames it over the old one, so a
    crash leaves one or the other, never half of one. A lock file keeps a second reader of the same checkpoints
    out (two readers would each read every shard).
    """

    def __init__(self, path: str | Path, stream: str) -> None:
        self.path = Path(path)
        self.stream = stream
        self._lock: IO[bytes] | None = _lock(self.path.with_name(self.path.name + ".lock"))
        try:
            super().__init__(self._load())
        except CheckpointError:
            self.close()
            raise

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot read the checkpoint file {self.path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("shards"), dict):
            raise CheckpointError(f"{self.path} is not an ol-om checkpoint file")
        if data.get("stream") != self.stream:
            raise CheckpointError(f"{self.path} holds the checkpoints of stream {data.get('stream')!r}, "
                                  f"not {self.stream!r}")
        return {str(k): str(v) for k, v in data["shards"].items()}

    def _write(self) -> None:
        text = json.dumps({"stream": self.stream, "shards": self.checkpoints}, indent=1, sort_keys=True)
        try:
            replace_durably(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise CheckpointError(f"cannot write the checkpoint file {self.path}: {exc}") from None

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _lock(path: Path) -> IO[bytes]:
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        return path.open("ab")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise CheckpointError(f"another process reads with these checkpoints (it holds {path}); two readers "
                              "would each read every shard: use checkpoints type dynamodb to share a stream"
                              ) from None
    return handle
