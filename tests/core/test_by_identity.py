"""ByIdentity: what was worked out from an object, kept by the object's identity, and let go of when the objects
it is given are never met again."""

from __future__ import annotations

from ol_om_core.lru import ByIdentity


class Thing:
    """An object compared by identity only."""


def test_the_very_same_object_is_met_again_and_an_equal_one_is_not() -> None:
    kept: ByIdentity[object, str] = ByIdentity(10)
    one, other = [1, 2], [1, 2]
    kept.put(one, "worked out")
    assert kept.get(one) == "worked out"
    assert kept.get(other) is None  # equal, not the same


def test_it_is_bounded() -> None:
    kept: ByIdentity[Thing, int] = ByIdentity(10)
    things = [Thing() for _ in range(50)]
    for i, thing in enumerate(things):
        kept.put(thing, i)
    assert len(kept) == 10
    assert kept.get(things[-1]) == 49 and kept.get(things[0]) is None


def test_objects_never_met_again_are_let_go_of_and_not_kept_for_a_while() -> None:
    kept: ByIdentity[Thing, int] = ByIdentity(100)
    kept.JUDGED, kept.REST = 20, 30
    for i in range(20):
        kept.put(Thing(), i)  # none met again
    assert len(kept) == 0
    resting = [Thing() for _ in range(30)]
    for i, thing in enumerate(resting):
        kept.put(thing, i)
    assert len(kept) == 0 and kept.get(resting[0]) is None
    again = Thing()
    kept.put(again, 1)
    assert kept.get(again) == 1  # keeping again


def test_objects_met_again_keep_it_keeping() -> None:
    kept: ByIdentity[Thing, int] = ByIdentity(100)
    kept.JUDGED = 20
    things = [Thing() for _ in range(40)]
    for i, thing in enumerate(things):
        kept.put(thing, i)
        assert kept.get(thing) == i  # met again at once, as a steady stream's datasets are
    assert len(kept) == 40
