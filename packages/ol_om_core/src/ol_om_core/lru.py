"""A bounded map that forgets its least recently used entries: the one kind of cache ol-om keeps."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A dict that forgets its least recently used entries beyond ``size``; reading an entry refreshes it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        value = self._data.get(key)
        if value is None:  # a miss is as common as a hit (a new run): no exception for it
            value = self._data[key] = make()
            self._trim()
        else:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        if len(self._data) > self.size:
            self._trim()

    def add(self, key: K) -> bool:
        """Remember ``key`` (a set-like use); ``True`` if it was not remembered already."""
        if key in self._data:
            self._data.move_to_end(key)
            return False
        self._data[key] = None  # type: ignore[assignment]
        if len(self._data) > self.size:
            self._trim()
        return True

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)

    def _trim(self) -> None:
        while len(self._data) > self.size:
            self._data.popitem(last=False)


Obj = TypeVar("Obj")


class ByIdentity(Generic[Obj, V]):
    """What was worked out from an immutable object, kept by the object's identity (a bounded LRU).

    Parse hands out the very same ``Job`` or ``Dataset`` for a repeated JSON value, so a steady stream meets the
    same objects event after event; an identity check costs nothing, where hashing or comparing them would
    cost more than the work saved. An equal but distinct object is merely a miss. Each entry holds its object,
    so the object's ``id`` cannot be reused while the entry lives.

    A stream whose objects are never met again (its datasets carry per-run facets, so parse makes new ones) would
    only fill it with objects kept alive for nothing, and the cycle collector walks each of them again and again:
    when fewer than a quarter of :attr:`JUDGED` puts were met again, it lets go of what it holds and keeps
    nothing for the next :attr:`REST` puts."""

    JUDGED = 4096
    REST = 65536

    def __init__(self, size: int) -> None:
        self._entries: LRU[int, tuple[Obj, V]] = LRU(size)
        self._hits = self._puts = self._resting = 0

    def get(self, obj: Obj) -> V | None:
        entry = self._entries.get(id(obj))
        if entry is None or entry[0] is not obj:
            return None
        self._hits += 1
        return entry[1]

    def put(self, obj: Obj, value: V) -> None:
        if self._resting:
            self._resting -= 1
            return
        self._entries.put(id(obj), (obj, value))
        self._puts += 1
        if self._puts >= self.JUDGED:
            if self._hits * 4 < self._puts:
                self._entries = LRU(self._entries.size)
                self._resting = self.REST
            self._hits = self._puts = 0

    def __len__(self) -> int:
        return len(self._entries)
