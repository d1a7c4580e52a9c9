"""``@value`` makes the same frozen dataclass as ``@dataclass(frozen=True, slots=True)``, only cheaper to build."""

from __future__ import annotations

import dataclasses
import inspect
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


def declared() -> type:
    """One declaration, made into a class twice below: by @value, and by the dataclass it must behave as."""

    class Call:
        path: str
        tag: str = field(kw_only=True)
        key: int = 0
        note: str = field(default="", kw_only=True, compare=False)
        _cache: str | None = field(default=None, init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            if not self.key:
                object.__setattr__(self, "key", len(self.path))

    return Call


Call = value(declared())
CallReference = dataclass(frozen=True, slots=True)(declared())


def test_keyword_only_fields_fields_left_out_of_init_and_post_init_are_the_dataclass_s() -> None:
    def params(cls: type) -> list[tuple[str, str, object]]:
        return [(p.name, p.kind.name, p.default) for p in inspect.signature(cls).parameters.values()]

    assert params(Call) == params(CallReference) == [("path", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
                                                     ("key", "POSITIONAL_OR_KEYWORD", 0),
                                                     ("tag", "KEYWORD_ONLY", inspect.Parameter.empty),
                                                     ("note", "KEYWORD_ONLY", "")]
    made, reference = Call("/a/b", tag="t"), CallReference("/a/b", tag="t")
    assert dataclasses.astuple(made) == dataclasses.astuple(reference) == ("/a/b", "t", 4, "", None)
    assert Call("/a", 9, tag="t", note="n").key == 9 and Call("/a", tag="t", note="n") == Call("/a", tag="t")
    with pytest.raises(TypeError):
        Call("/a", "t")  # type: ignore[misc]


def test_an_init_only_variable_is_refused() -> None:
    with pytest.raises(TypeError, match="@value does not support"):
        @value
        class Initialised:
            seed: dataclasses.InitVar[int]
            total: int = 0

            def __post_init__(self, seed: int) -> None:
                object.__setattr__(self, "total", seed)
