"""De-aggregation of records written by the Kinesis Producer Library (KPL) with aggregation on.

An aggregated record is ``F3 89 9A C2`` + a protobuf ``AggregatedRecord`` + the MD5 of that protobuf::

    message AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
                               repeated Record records = 3; }
    message Record { uint64 partition_key_index = 1; uint64 explicit_hash_key_index = 2; bytes data = 3;
                     repeated Tag tags = 4; }

Only ``records[].data`` matters to ol-om, so this reads just enough protobuf wire format to find it (no
dependency). A record that has the magic bytes but a wrong checksum or broken protobuf is returned whole, as
the KPL's own de-aggregator does: it is then simply an unusable event, rejected with its reason like any other
(a record could start with those bytes by chance, and must not vanish silently).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

MAGIC = b"\xf3\x89\x9a\xc2"
_DIGEST = 16


class _Broken(ValueError):
    pass


def deaggregate(data: bytes) -> list[bytes]:
    """The user records inside ``data``: ``[data]`` itself unless it is a well-formed KPL aggregate."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _DIGEST:
        return [data]
    body, digest = data[len(MAGIC):-_DIGEST], data[-_DIGEST:]
    if hashlib.md5(body, usedforsecurity=False).digest() != digest:
        return [data]
    try:
        return [_record_data(value) for number, value in _fields(body) if number == 3 and isinstance(value, bytes)]
    except _Broken:
        return [data]


def _record_data(record: bytes) -> bytes:
    data = b""
    for number, value in _fields(record):
        if number == 3:
            if not isinstance(value, bytes):
                raise _Broken("Record.data is not length-delimited")
            data = value
    return data


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """``(field number, value)`` of each field: an int for varints and fixed-width ones, bytes for the rest."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, value
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if pos + width > len(buf):
                raise _Broken("truncated fixed-width field")
            yield number, int.from_bytes(buf[pos:pos + width], "little")
            pos += width
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise _Broken("truncated length-delimited field")
            yield number, buf[pos:pos + length]
            pos += length
        else:
            raise _Broken(f"unsupported wire type {wire}")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while pos < len(buf):
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise _Broken("varint longer than 10 bytes")
    raise _Broken("truncated varint")
