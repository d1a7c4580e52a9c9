"""KPL de-aggregation: round trips, pass-through of plain and broken records."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from ol_om_kinesis.kpl import MAGIC, deaggregate
from ol_om_kinesis.testing import aggregate


def test_round_trip_of_several_records() -> None:
    records = [b'{"eventType": "START"}', b"", b"x" * 5000, MAGIC + b"inner"]
    assert deaggregate(aggregate(records)) == records


def test_plain_record_passes_through() -> None:
    assert deaggregate(b'{"eventType": "START"}') == [b'{"eventType": "START"}']
    assert deaggregate(b"") == [b""]
    assert deaggregate(MAGIC) == [MAGIC]


def test_bad_checksum_passes_through() -> None:
    data = bytearray(aggregate([b"a", b"b"]))
    data[-1] ^= 0xFF
    assert deaggregate(bytes(data)) == [bytes(data)]


def test_broken_protobuf_with_a_good_checksum_passes_through() -> None:
    body = b"\x1a\xff\x01abc"  # records field claiming 255 bytes, holding 3
    data = MAGIC + body + hashlib.md5(body).digest()
    assert deaggregate(data) == [data]


def test_unknown_fields_and_wire_types_are_skipped() -> None:
    record = b"\x08\x00" + b"\x10\x00" + b"\x1a\x02hi" + b"\x22\x03tag" + b"\x29" + b"\x00" * 8 + b"\x35" + b"\x00" * 4
    body = b"\x0a\x02pk" + b"\x12\x01h" + b"\x1a" + bytes([len(record)]) + record + b"\x40\x96\x01"
    assert deaggregate(MAGIC + body + hashlib.md5(body).digest()) == [b"hi"]


@given(st.lists(st.binary(max_size=300), max_size=20), st.text(max_size=20))
def test_any_records_round_trip(records: list[bytes], partition_key: str) -> None:
    assert deaggregate(aggregate(records, partition_key)) == records
