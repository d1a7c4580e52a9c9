"""A run's status timestamp: the time inside a UUIDv7 run id, however the id is written, else the scheduled time,
else the event's."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from ol_om_core.status import run_timestamp


def expected(run_id: str) -> int:
    try:
        parsed = uuid.UUID(run_id)
    except ValueError:
        return 5
    return parsed.int >> 80 if parsed.version == 7 else 5


def spellings(number: int) -> list[str]:
    made = uuid.UUID(int=number)
    return [str(made), str(made).upper(), made.hex, f"{{{made}}}", made.urn]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**128 - 1), st.sampled_from(range(16)))
def test_a_uuid_run_id_of_any_version_and_spelling(number: int, version: int) -> None:
    number = number & ~(0xF << 76) | version << 76  # the version digit; the variant bits stay random
    for run_id in spellings(number):
        assert run_timestamp(run_id, None, 5) == expected(run_id)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**128 - 1), st.lists(st.integers(9, 32), min_size=3, max_size=3))
def test_a_uuid7_with_its_dashes_elsewhere(number: int, dashes: list[int]) -> None:
    """``uuid.UUID`` drops every dash: ``0190f0a0-123-47abc…`` is the same UUID as ``0190f0a0-1234-7abc-…``."""
    number = number & ~(0xF << 76) & ~(0xC << 60) | 7 << 76 | 8 << 60  # version 7, RFC 4122's variant
    hexes = list(f"{number:032x}")
    for at in sorted(dashes, reverse=True):
        hexes.insert(at, "-")
    hexes.insert(8, "-")
    run_id = "".join(hexes)
    assert run_timestamp(run_id, None, 5) == expected(run_id)


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789abcdef-{}7:urnid", min_size=30, max_size=45))
def test_a_run_id_that_is_no_uuid_or_almost_one(run_id: str) -> None:
    assert run_timestamp(run_id, None, 5) == expected(run_id)
    dashed = "".join("-" if i in (8, 13, 18, 23) else c for i, c in enumerate(run_id[:36]))
    assert run_timestamp(dashed, None, 5) == expected(dashed)


def test_a_uuid7_gives_its_time_and_others_the_scheduled_time_or_the_events() -> None:
    assert run_timestamp("0190f0a0-1234-7abc-8def-0123456789ab", 7, 9) == 0x0190F0A01234
    assert run_timestamp(str(uuid.uuid4()), 7, 9) == 7
    assert run_timestamp("not-a-uuid", None, 9) == 9
    assert run_timestamp("0190f0a0-1234--7bc-d8ef0123456789abc", 7, 9) == 0x0190F0A01234  # dashes at 8, 13, 14, 18
