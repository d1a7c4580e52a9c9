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
    so the object's ``id`` cannot be reused while the entry lives."""

    def __init__(self, size: int) -> None:
        self._entries: LRU[int, tuple[Obj, V]] = LRU(size)

    def get(self, obj: Obj) -> V | None:
        entry = self._entries.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def put(self, obj: Obj, value: V) -> None:
        self._entries.put(id(obj), (obj, value))

    def __len__(self) -> int:
        return len(self._entries)
