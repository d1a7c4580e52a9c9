"""Writing KPL-aggregated records, for tests and benchmarks (the reading side is ``ol_om_kinesis.kpl``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ol_om_kinesis.kpl import MAGIC


def aggregate(records: Iterable[bytes], partition_key: str = "pk") -> bytes:
    """A KPL aggregate of ``records``, all under one partition key (as the KPL writes them)."""
    body = _length_delimited(1, partition_key.encode())
    for data in records:
        body += _length_delimited(3, _tag(1, 0) + _encode_varint(0) + _length_delimited(3, data))
    return MAGIC + body + hashlib.md5(body, usedforsecurity=False).digest()


def _tag(number: int, wire: int) -> bytes:
    return _encode_varint(number << 3 | wire)


def _length_delimited(number: int, value: bytes) -> bytes:
    return _tag(number, 2) + _encode_varint(len(value)) + value


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)
