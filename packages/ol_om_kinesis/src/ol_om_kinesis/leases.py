"""Checkpoints and leases in a DynamoDB table, for several workers reading one stream.

One item per shard: ``leaseKey`` (``{stream}/{shard}``), ``stream``, ``shardId``, ``checkpoint``, ``owner`` (absent
when free) and ``counter``, which the owner increments to renew its lease. Every change is a conditional write,
so two workers never both own a shard: taking a shard succeeds only if its counter is still the one observed.

A lease has expired when its counter has not moved for ``leaseSeconds`` as measured by the observer's own clock
(no clocks are compared between machines). Leases are renewed on a thread of their own, every third of that
time, so a worker busy waiting for OpenMetadata keeps its shards. Each worker aims at an even share of the
readable shards: it takes free or expired ones first, then one at a time from the worker with the most.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ol_om_kinesis import shards as shard_rules
from ol_om_kinesis.aws import describe, error_code
from ol_om_kinesis.checkpoints import CheckpointError
from ol_om_kinesis.shards import SHARD_END, Shard

log = logging.getLogger("ol_om_kinesis")

_CONFLICT = "ConditionalCheckFailedException"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class DynamoDBCheckpoints:
    def __init__(self, client: Any, table: str, stream: str, *, worker_id: str | None = None,
                 lease_seconds: float = 10.0, create_table: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._db = client
        self.table = table
        self.stream = stream
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._owned: dict[str, int] = {}  # shard -> counter as last written by this worker
        self._observed: dict[str, tuple[str | None, int, float]] = {}  # shard -> (owner, counter, since when)
        self._stop = threading.Event()
        if create_table:
            self._ensure_table()
        self._renewer = threading.Thread(target=self._renew_forever, name="ol-om-kinesis-leases", daemon=True)
        self._renewer.start()

    def __repr__(self) -> str:
        return f"DynamoDBCheckpoints(table={self.table!r}, stream={self.stream!r}, worker={self.worker_id!r})"

    # -- the store contract ---------------------------------------------------------------------------------

    def sync(self, shards: Sequence[Shard], position: str, timestamp: float) -> dict[str, str]:
        items = self._items()
        known = {shard_id: item["checkpoint"] for shard_id, item in items.items()}
        for shard_id, checkpoint in shard_rules.first_checkpoints(shards, known, position, timestamp).items():
            if self._create(shard_id, checkpoint):
                items[shard_id] = {"checkpoint": checkpoint, "owner": None, "counter": 0}
        listed = {shard.id for shard in shards}
        for shard_id in [s for s, item in items.items() if s not in listed and item["checkpoint"] == SHARD_END]:
            self._forget(shard_id)
            del items[shard_id]
        checkpoints = {shard_id: item["checkpoint"] for shard_id, item in items.items()}
        candidates = [shard.id for shard in shard_rules.readable(shards, checkpoints)]
        with self._lock:
            self._observe(items)
            for shard_id in [s for s in self._owned if items.get(s, {}).get("owner") != self.worker_id]:
                log.warning("lost the lease on shard %s to another worker", shard_id)
                del self._owned[shard_id]
            for shard_id in [s for s in self._owned if s not in candidates]:
                self._release(shard_id)  # finished: let it go
                del self._owned[shard_id]
            self._balance(candidates, items)
            return {shard_id: checkpoints[shard_id] for shard_id in self._owned}

    def save(self, checkpoints: Mapping[str, str]) -> set[str]:
        lost = set()
        for shard_id, checkpoint in checkpoints.items():
            if not self._update(shard_id, "SET #cp = :cp", "#owner = :me",
                                {":cp": {"S": checkpoint}, ":me": {"S": self.worker_id}}):
                log.warning("shard %s now belongs to another worker: its checkpoint is theirs to save", shard_id)
                lost.add(shard_id)
                with self._lock:
                    self._owned.pop(shard_id, None)
        return lost

    def close(self) -> None:
        self._stop.set()
        self._renewer.join(timeout=5)
        with self._lock:
            for shard_id in list(self._owned):
                try:
                    self._release(shard_id)
                except CheckpointError as exc:
                    log.warning("could not give up the lease on %s (it expires by itself): %s", shard_id, exc)
            self._owned.clear()

    # -- leases ---------------------------------------------------------------------------------------------

    def _observe(self, items: Mapping[str, dict[str, Any]]) -> None:
        now = self._clock()
        for shard_id, item in items.items():
            seen = (item["owner"], item["counter"])
            previous = self._observed.get(shard_id)
            if previous is None or previous[:2] != seen:
                self._observed[shard_id] = (*seen, now)

    def _expired(self, shard_id: str) -> bool:
        """Free to take: no owner, an owner silent for ``leaseSeconds``, or this worker's own name on a lease it
        does not hold (it was restarted with a fixed ``workerId``)."""
        owner, _, since = self._observed[shard_id]
        if owner is None or (owner == self.worker_id and shard_id not in self._owned):
            return True
        return owner != self.worker_id and self._clock() - since >= self.lease_seconds

    def _balance(self, candidates: list[str], items: Mapping[str, dict[str, Any]]) -> None:
        if not candidates:
            return
        holders: dict[str, list[str]] = {}
        for shard_id in candidates:
            owner = items[shard_id]["owner"]
            if shard_id not in self._owned and owner is not None and not self._expired(shard_id):
                holders.setdefault(owner, []).append(shard_id)
        target = math.ceil(len(candidates) / (len(holders) + 1))
        for shard_id in candidates:
            if len(self._owned) >= target:
                return
            if shard_id not in self._owned and self._expired(shard_id):
                self._take(shard_id, items[shard_id])
        busiest = max(holders.items(), key=lambda h: len(h[1]), default=None)
        if len(self._owned) < target and busiest is not None and len(busiest[1]) > target:
            shard_id = busiest[1][-1]
            if self._take(shard_id, items[shard_id]):
                log.info("took shard %s from %s, which had %d of %d", shard_id, busiest[0], len(busiest[1]),
                         len(candidates))

    def _take(self, shard_id: str, item: Mapping[str, Any]) -> bool:
        counter = item["counter"] + 1
        condition = "#n = :seen AND " + ("attribute_not_exists(#owner)" if item["owner"] is None
                                         else "#owner = :owner")
        values: dict[str, Any] = {":seen": {"N": str(item["counter"])}, ":n": {"N": str(counter)},
                                  ":me": {"S": self.worker_id}}
        if item["owner"] is not None:
            values[":owner"] = {"S": item["owner"]}
        if not self._update(shard_id, "SET #owner = :me, #n = :n", condition, values):
            return False
        self._owned[shard_id] = counter
        self._observed[shard_id] = (self.worker_id, counter, self._clock())
        log.info("leased shard %s", shard_id)
        return True

    def _renew_forever(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                with self._lock:
                    for shard_id, counter in list(self._owned.items()):
                        if not self._update(shard_id, "SET #n = :n", "#owner = :me AND #n = :seen",
                                            {":n": {"N": str(counter + 1)}, ":me": {"S": self.worker_id},
                                             ":seen": {"N": str(counter)}}):
                            log.warning("lost the lease on shard %s to another worker", shard_id)
                            del self._owned[shard_id]
                        else:
                            self._owned[shard_id] = counter + 1
            except CheckpointError as exc:  # DynamoDB away: try again; the lease may expire meanwhile
                log.warning("could not renew leases: %s", exc)

    def _release(self, shard_id: str) -> None:
        self._update(shard_id, "REMOVE #owner SET #n = #n + :one", "#owner = :me",
                     {":one": {"N": "1"}, ":me": {"S": self.worker_id}})

    # -- the table ------------------------------------------------------------------------------------------

    def _key(self, shard_id: str) -> dict[str, Any]:
        return {"leaseKey": {"S": f"{self.stream}/{shard_id}"}}

    def _update(self, shard_id: str, expression: str, condition: str, values: dict[str, Any]) -> bool:
        """A conditional update; ``False`` if the condition did not hold."""
        both = expression + condition
        names = {name: attribute for name, attribute in (("#owner", "owner"), ("#n", "counter"), ("#cp", "checkpoint"))
                 if name in both}
        try:
            self._db.update_item(TableName=self.table, Key=self._key(shard_id), UpdateExpression=expression,
                                 ConditionExpression=condition, ExpressionAttributeNames=names,
                                 ExpressionAttributeValues=values)
        except ClientError as exc:
            if error_code(exc) == _CONFLICT:
                return False
            raise CheckpointError(f"DynamoDB table {self.table}: cannot update the item of {shard_id}: "
                                  f"{describe(exc)}") from None
        except BotoCoreError as exc:
            raise CheckpointError(f"DynamoDB table {self.table}: {exc}") from None
        return True

    def _items(self) -> dict[str, dict[str, Any]]:
        items: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True,
                                  "FilterExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "stream"},
                                  "ExpressionAttributeValues": {":s": {"S": self.stream}}}
        try:
            while True:
                page = self._db.scan(**kwargs)
                for raw in page.get("Items", []):
                    items[raw["shardId"]["S"]] = {"checkpoint": raw["checkpoint"]["S"],
                                                  "owner": raw.get("owner", {}).get("S"),
                                                  "counter": int(raw.get("counter", {}).get("N", "0"))}
                if "LastEvaluatedKey" not in page:
                    return items
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise CheckpointError(f"DynamoDB table {self.table}: cannot read the leases: {describe(exc)}") from None

    def _create(self, shard_id: str, checkpoint: str) -> bool:
        try:
            self._db.put_item(TableName=self.table, ConditionExpression="attribute_not_exists(leaseKey)",
                              Item={**self._key(shard_id), "stream": {"S": self.stream},
                                    "shardId": {"S": shard_id}, "checkpoint": {"S": checkpoint},
                                    "counter": {"N": "0"}})
        except ClientError as exc:
            if error_code(exc) == _CONFLICT:
                return False  # another worker recorded it first; read on the next sync
            raise CheckpointError(f"DynamoDB table {self.table}: cannot record shard {shard_id}: "
                                  f"{describe(exc)}") from None
        return True

    def _forget(self, shard_id: str) -> None:
        try:
            self._db.delete_item(TableName=self.table, Key=self._key(shard_id), ConditionExpression="#cp = :end",
                                 ExpressionAttributeNames={"#cp": "checkpoint"},
                                 ExpressionAttributeValues={":end": {"S": SHARD_END}})
        except ClientError as exc:
            if error_code(exc) != _CONFLICT:
                log.warning("could not forget finished shard %s: %s", shard_id, describe(exc))

    def _ensure_table(self) -> None:
        try:
            self._db.describe_table(TableName=self.table)
            return
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise CheckpointError(f"DynamoDB table {self.table}: {describe(exc)}") from None
        except BotoCoreError as exc:
            raise CheckpointError(f"DynamoDB table {self.table}: {exc}") from None
        log.info("creating the lease table %s", self.table)
        try:
            self._db.create_table(TableName=self.table, BillingMode="PAY_PER_REQUEST",
                                  AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}])
        except ClientError as exc:
            if error_code(exc) != "ResourceInUseException":  # another worker is creating it
                raise CheckpointError(f"cannot create the DynamoDB table {self.table}: {describe(exc)}") from None
        self._db.get_waiter("table_exists").wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
