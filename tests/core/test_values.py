"""``@value`` makes the same frozen dataclass as ``@dataclass(frozen=True, slots=True)``, only cheaper to build."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from ol_om_core.values import value


@value
class Point:
    x: int
    y: int = 0
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    x: int
    y: int = 0
    label: str | None = None


def test_it_behaves_like_the_frozen_dataclass() -> None:
    made, reference = Point(1, label="a"), Reference(1, label="a")
    assert dataclasses.astuple(made) == dataclasses.astuple(reference) == (1, 0, "a")
    assert made == Point(1, 0, "a") and made != Point(2) and hash(made) == hash(Point(1, 0, "a"))
    assert repr(made) == "Point(x=1, y=0, label='a')"
    assert dataclasses.replace(made, y=5) == Point(1, 5, "a")
    assert not hasattr(made, "__dict__")


def test_it_stays_immutable() -> None:
    made = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.x = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


def test_what_it_cannot_build_is_refused() -> None:
    with pytest.raises(TypeError, match="@value does not support"):
        @value
        class Listed:
            items: list[int] = field(default_factory=list)
