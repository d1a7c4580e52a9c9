"""Reading an event's JSON text with what was read before skipped, not decoded again.

A steady stream repeats itself: run after run, a job sends the same job object and the same datasets (schemas and
all), byte for byte, and many of the same run facets; what names the run changes. :meth:`Known.walk` reads the
event's top-level object, its run and the run's facets key by key with json's own C scanner, and where a job, a
dataset or a facet begins it looks the text up in :class:`Texts`: a text seen before gives back the value parsed
from it then, and the scanner goes on after it. The same text is the same JSON value, so nothing but speed changes
(tests/core/test_repeats.py holds it to a fresh parse).

Most events of a steady stream are laid out as one read before, ids and times aside: the same keys in the same
order around the same job and datasets. A walk leaves the event's :class:`_Layout` (its literal parts, and the holes
between them), and an event of the same length whose literal parts are the same reads by its holes alone.

Anything unusual (bad JSON, an escaped key, a job that is not an object, a value that fails to parse) makes the
walk give up with :class:`Unusual`: the caller then reads the text the plain way, which says what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Generic, TypeAlias, TypeVar

_V = TypeVar("_V")

SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # not in typeshed
"""json's C scanner: the value that starts at an index, and where it ends."""

# A key (without escapes) and its colon, with JSON's whitespace around: the first, then each one after a comma;
# and its value when that is a string without escapes (what json decodes it to is its text: no call needed).
_OPEN = re.compile(r"[ \t\n\r]*\{")
_FIRST_KEY = re.compile(r'\{[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*(?:"([^"\\\x00-\x1f]*)")?')
_NEXT_KEY = re.compile(r'[ \t\n\r]*,[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*(?:"([^"\\\x00-\x1f]*)")?')
_CLOSE = re.compile(r"[ \t\n\r]*\}")
_EMPTY = re.compile(r"\{[ \t\n\r]*\}")
_ARRAY_START = re.compile(r"\[[ \t\n\r]*")
_ARRAY_NEXT = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")


class Unusual(Exception):
    """The text is not a plain event object this reader handles: read it the plain way."""


class _Node(Generic[_V]):
    """A node of :class:`Texts`' tree: a leaf holds texts; a fork tells its texts apart by their character at one
    position, all of them sharing the characters before it."""

    __slots__ = ("at", "children", "items", "prefix")

    def __init__(self, items: list[tuple[str, _V]] | None = None) -> None:
        self.items: list[tuple[str, _V]] = items or []
        """A leaf's texts and their values."""
        self.at = -1
        """A fork's position; -1 for a leaf."""
        self.children: dict[str, _Node[_V]] = {}
        """A fork's children, by the character at :attr:`at`."""
        self.prefix = ""
        """The first :attr:`at` characters, which a fork's texts share."""


class Texts(Generic[_V]):
    """JSON texts already parsed -> the values parsed from them, found from where a text starts in a larger one
    (its end is not known until it is found).

    A radix tree: a leaf holds up to :attr:`LEAF` texts, checked whole (a C comparison); a fuller one becomes a
    fork on the first position where its texts differ, and a text that differs from a fork's before that
    position makes a fork above it. A lookup reads one character a fork. Jobs of one Airflow DAG, for one, share
    all but the last few dozen characters (the DAG's task map comes first, the job's name last): one fork tells
    them apart. Bounded by the bytes it holds (as counted): when full it starts again. Safe to share between
    threads: a lookup that races a change may miss, never find a wrong value, since a text found is compared
    whole."""

    BUDGET = 8 << 20
    """Bytes held at most, as counted: each text's characters and :attr:`ENTRY`."""
    ENTRY = 512
    """What a held text costs besides its characters: its parsed value's objects and its place in the tree (a
    small dataset's are several times its text)."""
    LARGEST = 256 << 10
    """A text longer than this is never held (a huge schema is rarely worth keeping)."""
    LEAF = 8

    def __init__(self, read: Callable[[Any, str], _V]) -> None:
        self.read = read
        """How a value is read from its decoded JSON (given the JSON path where it is, for errors)."""
        self._root: _Node[_V] = _Node()
        self.size = 0
        self.found = 0
        """Characters found so far (a measure of what the texts save; :class:`Known` reads and resets it)."""

    def find(self, text: str, start: int) -> tuple[_V, int] | None:
        """The value of the held text that ``text`` holds at ``start``, and where that text ends there."""
        item = self.find_item(text, start)
        return None if item is None else (item[1], start + len(item[0]))

    def find_item(self, text: str, start: int) -> tuple[str, _V] | None:
        """The held text that ``text`` holds at ``start``, and its value."""
        node = self._root
        while node.at >= 0:
            at = start + node.at
            child = node.children.get(text[at:at + 1])
            if child is None:
                return None
            node = child
        for item in node.items:
            if text.startswith(item[0], start):
                self.found += len(item[0])
                return item
        return None

    def read_at(self, text: str, start: int, depth: int, path: str) -> tuple[_V, int]:
        """The value that starts at ``start`` in ``text``, not held: decoded, checked to nest no deeper than
        ``depth``, read (at ``path``, for errors), and kept."""
        data, end = SCAN(text, start)
        if text_nests_deeper(text, start, end, depth):
            raise Unusual
        value = self.read(data, path)  # InvalidEvent: the caller reads the whole text again, for its first error
        self.keep(text[start:end], value)
        return value, end

    def keep(self, held: str, value: _V) -> None:
        """Hold ``held`` (the text of a JSON value: no such text is a prefix of another) and its value."""
        if not held or len(held) > self.LARGEST:
            return
        cost = len(held) + self.ENTRY
        if self.size + cost > self.BUDGET:
            self._root, self.size = _Node(), 0
        self.size += cost
        parent: _Node[_V] | None = None
        node = self._root
        while node.at >= 0:
            if not held.startswith(node.prefix):
                # It parts from this fork's texts before the fork's position: a fork there, above this one.
                at = _common_prefix(held, node.prefix)
                if at >= len(held):
                    return  # a prefix of another text: not the text of a JSON value
                fork: _Node[_V] = _Node()
                fork.children = {node.prefix[at]: node, held[at]: _Node([(held, value)])}
                fork.prefix, fork.at = node.prefix[:at], at
                if parent is None:
                    self._root = fork
                else:
                    parent.children[node.prefix[parent.at]] = fork
                return
            if len(held) <= node.at:
                return  # a prefix of the others: not the text of a JSON value
            child = node.children.get(held[node.at])
            if child is None:
                node.children[held[node.at]] = _Node([(held, value)])
                return
            parent, node = node, child
        for other, _ in node.items:
            if other == held:
                return  # held already (kept twice, or by another thread meanwhile)
        node.items.append((held, value))
        if len(node.items) > self.LEAF:
            self._fork(node)

    @staticmethod
    def _fork(node: _Node[_V]) -> None:
        """A leaf become a fork on the first position where its texts differ (before the shortest ends, since none
        is a prefix of another)."""
        texts = [held for held, _ in node.items]
        at = _common_prefix(min(texts), max(texts))
        children: dict[str, _Node[_V]] = {}
        for held, value in node.items:
            if len(held) > at:  # always, for texts of JSON values
                children.setdefault(held[at], _Node()).items.append((held, value))
        # Children first: a lookup in another thread sees the leaf or the fork, both usable.
        node.children, node.prefix = children, texts[0][:at]
        node.at, node.items = at, []


def _common_prefix(low: str, high: str) -> int:
    """The length of the common prefix of two strings (a binary search of C comparisons)."""
    lo, hi = 0, min(len(low), len(high))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if high.startswith(low[:mid]):
            lo = mid
        else:
            hi = mid - 1
    return lo


class Known:
    """What parse has read before, by text: jobs, datasets, and the run facets that do not name their run; and the
    layouts of events read before (:class:`_Layout`)."""

    PER_RUN = frozenset({"parent", "nominalTime"})
    """Run facets that differ from run to run by definition: never kept."""
    PROBE = 4096
    """Events walked before judging whether walking pays: it does unless under a tenth of their text was found.
    Long and lenient, since resting wrongly costs more than walking in vain (a walk that finds nothing costs a
    third more than a plain read; one that finds the usual share, over a third less): a stream that repeats itself over
    thousands of events must not be judged on its first few hundred."""
    REST = 65536
    """Events read the plain way after walking did not pay (a stream that does not repeat itself), before the
    next probe: about 6% of such a stream is walked. The texts a probe kept stay for the next one, so a stream
    that repeats itself over more than a probe is found out then."""
    LAYOUTS = 8 << 20
    """Characters of layouts held at most (their literal text, and :attr:`Texts.ENTRY` each)."""
    SAME_JOB = 4
    """Layouts held for one job where its text starts, in events of one length (a job's START and COMPLETE may be
    as long as each other)."""
    ANCHORS = 4
    """Places where a layout's job starts, held for one length of text (producers lay events out alike)."""
    SIGHTINGS = 16384
    """Layouts seen once, remembered (by a hash) until seen again: a job whose events come further apart than this
    many others' is walked each time (that is a stream mostly of new jobs, where layouts would only churn)."""

    def __init__(self, read_job: Callable[[Any, str], Any], read_dataset: Callable[[Any, str], Any]) -> None:
        self.jobs: Texts[Any] = Texts(read_job)
        self.datasets: Texts[Any] = Texts(read_dataset)
        self.facets: Texts[Any] = Texts(lambda data, path: data)
        self._layouts: dict[tuple[int, int, str], tuple[_Layout, ...]] = {}
        """By the length of the text they were made from, where its job starts, and the job's text: events of one
        job, of one type, are as long as each other most of the time (the same job and datasets; ids and times
        of fixed length)."""
        self._anchors: dict[int, tuple[int, ...]] = {}
        """Where the jobs of the layouts start, by the length of their text: where to look a job up."""
        self._recent: dict[int, _Layout] = {}
        """The layout last used or learnt for each length of text: tried before the job is looked up."""
        self._layouts_size = 0
        self._sightings: set[int] = set()
        self._walked = self._seen = self._spared = self._resting = 0

    def worth_walking(self) -> bool:
        """Whether to walk the next event. Walking an event costs more than decoding it whole when little of it
        is found: then events are read the plain way for a while. (Counts are shared between threads
        unguarded: a lost update only shifts a judgement.)"""
        if self._resting:
            self._resting -= 1
            return False
        return True

    def _judge(self, size: int) -> None:
        self._walked += 1
        self._seen += size
        if self._walked >= self.PROBE:
            found = self.jobs.found + self.datasets.found + self.facets.found + self._spared
            if found * 10 < self._seen:
                self._resting = self.REST
            self._walked = self._seen = self._spared = 0
            self.jobs.found = self.datasets.found = self.facets.found = 0

    def walk(self, text: str, depth: int) -> dict[str, Any]:
        """The top-level object of ``text``, each value as json decodes it but for what is read already: ``job``
        (a value) and the items of ``inputs`` and ``outputs`` (tuples of values), found in :attr:`jobs` /
        :attr:`datasets` or read by their ``read``; and the run's facets, found in :attr:`facets` when kept.
        Raises :class:`Unusual` for anything else, and for text nested deeper than ``depth``.

        An event laid out as one read before (:class:`_Layout`) is read by its holes alone. Depth is checked per
        value, so that the texts found need none: each value decoded here is checked within its place (a kept
        dataset within an array within the event), and a text is only kept when it was."""
        recent = self._recent.get(len(text))  # most often the one: the same job's layout, when its length is its own
        data = self._replay_any((recent,), text, depth) if recent is not None else None
        if data is not None:
            return data
        for job_at in self._anchors.get(len(text), ()):
            job = self.jobs.find_item(text, job_at)
            if job is not None:
                data = self._replay_any(self._layouts.get((len(text), job_at, job[0]), ()), text, depth)
                if data is not None:
                    return data
                break
        start = _OPEN.match(text)
        if start is None:
            raise Unusual
        holes: list[tuple[int, int, _Hole]] = []
        try:
            data, end, shape = self._object(text, start.end() - 1, depth, self._event_value, holes)
        except (StopIteration, ValueError, RecursionError):  # JSONDecodeError included
            raise Unusual from None
        if not blank_after(text, end):
            raise Unusual
        self._learn(text, depth, holes, shape)
        self._judge(len(text))
        return data

    def _object(self, text: str, at: int, depth: int, special: _Special,
                holes: list[tuple[int, int, _Hole]]) -> tuple[dict[str, Any], int, _Shape]:
        """The object at ``at`` (its ``{``), where it ends, and its :class:`_Shape` (its holes added to ``holes``):
        each value read by ``special`` (given its key, where it starts, and the depth left to it) or, where that
        gives ``None``, decoded. A string without escapes is its own text, never special."""
        shape = _Shape()
        found = _FIRST_KEY.match(text, at)
        if found is None:
            empty = _EMPTY.match(text, at)
            if empty is None:
                raise Unusual
            return {}, empty.end(), shape
        data: dict[str, Any] = {}
        while True:
            key, plain = found.groups()
            start = at = found.end()
            if plain is not None:  # a string without escapes: its text (never special)
                data[key] = plain
                if key in _ALIKE:
                    shape.same(key, plain)
                else:
                    shape.hole(key, holes, found.start(2) - 1, at, (_PLAIN, depth - 1, key))
            elif (read := special(key, text, at, depth - 1, holes)) is None:
                data[key], at = SCAN(text, at)
                if text[start] in "{[" and text_nests_deeper(text, start, at, depth - 1):
                    raise Unusual
                shape.hole(key, holes, start, at, (_DECODE, depth - 1, key))
            else:
                data[key], at, how = read
                if how is _SAME:
                    shape.same(key, data[key])
                    shape.found[key] = (start, at)
                elif how is _ANEW or how is _READ:
                    shape.hole(key, holes, start, at, (_FACET if how is _ANEW else _READ, depth - 1, key))
                else:
                    shape.nested(key, how)  # type: ignore[arg-type]  # a special walked it
            found = _NEXT_KEY.match(text, at)
            if found is None:
                end = _CLOSE.match(text, at)
                if end is None:
                    raise Unusual
                return data, end.end(), shape

    def _event_value(self, key: str, text: str, at: int, depth: int, holes: list[tuple[int, int, _Hole]]) -> _Read:
        opens = text[at:at + 1]  # "" at the end of a broken text
        if opens == "{":
            if key == "job":
                found = self.jobs.find(text, at)
                return (*found, _SAME) if found else (*self.jobs.read_at(text, at, depth, "$.job"), _READ)
            if key == "run":
                return self._object(text, at, depth, self._run_value, holes)
        elif opens == "[" and key in ("inputs", "outputs"):
            return self._items(text, at, depth - 1, key)
        return None

    def _run_value(self, key: str, text: str, at: int, depth: int, holes: list[tuple[int, int, _Hole]]) -> _Read:
        if key == "facets" and text.startswith("{", at):
            return self._object(text, at, depth, self._facet_value, holes)
        return None

    def _facet_value(self, key: str, text: str, at: int, depth: int, holes: list[tuple[int, int, _Hole]]) -> _Read:
        if key in self.PER_RUN or not text.startswith("{", at):
            return None
        # Looked up anew each time, found or not: a facet may name its run (Airflow's) and still repeat within it.
        _, value, end = self._facet(text, at, depth)
        return value, end, _ANEW

    def _facet(self, text: str, at: int, depth: int,
               hint: tuple[str, Any] | None = None) -> tuple[tuple[str, Any] | None, Any, int]:
        """The run facet that starts at ``at``: found (``hint`` first: a kept text and its value, where it may be
        again), else read and kept. Returns the kept text found and its value (``None`` when read), the facet,
        and where it ends."""
        if hint is not None and text.startswith(hint[0], at):
            self.facets.found += len(hint[0])
        else:
            hint = self.facets.find_item(text, at)
        if hint is None:
            return None, *self.facets.read_at(text, at, depth, "$.run.facets")
        return hint, hint[1], at + len(hint[0])

    def _items(self, text: str, at: int, depth: int, key: str) -> tuple[tuple[Any, ...], int, object]:
        at = _ARRAY_START.match(text, at).end()  # type: ignore[union-attr]  # text[at] is "["
        if text.startswith("]", at):
            return (), at + 1, _SAME
        items: list[Any] = []
        datasets = self.datasets
        how = _SAME
        while True:
            if not text.startswith("{", at):
                raise Unusual
            found = datasets.find(text, at)
            if found is None:
                found, how = datasets.read_at(text, at, depth, f"$.{key}[{len(items)}]"), _READ
            item, at = found
            items.append(item)
            after = _ARRAY_NEXT.match(text, at)
            if after is None:
                raise Unusual
            at = after.end()
            if after.group(1) == "]":
                return tuple(items), at, how

    # -- layouts ---------------------------------------------------------------------------------------------

    def _learn(self, text: str, depth: int, holes: list[tuple[int, int, _Hole]], shape: _Shape) -> None:
        """Keep the layout of a text just walked the second time one like it is walked, when a good share of it is
        literal (else it is likely to be the only one of its kind: a new job, or a stream that does not repeat
        itself, whose layouts would only churn)."""
        job = shape.found.get("job")  # the job found: where the layout is looked up from
        bounds = [0, *(at for start, end, _ in holes for at in (start, end)), len(text)]  # the parts' bounds
        literal = sum(bounds[i + 1] - bounds[i] for i in range(0, len(bounds), 2))
        if job is None or literal * 4 < len(text) or literal > Texts.LARGEST \
                or any(hole[0] is _READ for _, _, hole in holes):
            return
        key = (len(text), job[0], text[job[0]:job[1]])
        sighting = hash(key)
        if sighting not in self._sightings:
            if len(self._sightings) >= self.SIGHTINGS:
                self._sightings.clear()
            self._sightings.add(sighting)
            return
        # The probe: the literal part that holds the job (a text that has it where it was is most likely the job's).
        part = max(i for i in range(0, len(bounds), 2) if bounds[i] <= job[0])
        probe, probe_at = text[bounds[part]:bounds[part + 1]], bounds[part]
        parts = tuple(text[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2))
        layout = _Layout(depth, parts, tuple(hole for _, _, hole in holes), shape, literal,
                         probe=probe, probe_at=probe_at)
        cost = literal + Texts.ENTRY
        if self._layouts_size + cost > self.LAYOUTS:
            self._layouts, self._anchors, self._recent, self._layouts_size = {}, {}, {}, 0
        self._layouts_size += cost
        self._layouts[key] = (layout, *self._layouts.get(key, ())[:self.SAME_JOB - 1])
        self._recent[len(text)] = layout
        anchors = self._anchors.get(len(text), ())
        if job[0] not in anchors:
            self._anchors[len(text)] = (job[0], *anchors[:self.ANCHORS - 1])

    def _replay_any(self, layouts: tuple[_Layout, ...], text: str, depth: int) -> dict[str, Any] | None:
        """``text`` read by the first of ``layouts`` whose probe it holds; ``None`` if none does, or if that one
        does not fit it."""
        for layout in layouts:
            if layout.depth == depth and text.startswith(layout.probe, layout.probe_at):
                data = self._replay(layout, text)
                if data is not None:
                    self._spared += layout.literal
                    self._judge(len(text))
                    self._recent[len(text)] = layout
                return data
        return None

    def _replay(self, layout: _Layout, text: str) -> dict[str, Any] | None:
        """``text`` read by ``layout``: its holes read, its literal parts compared; ``None`` where it differs (or
        holds anything unusual)."""
        parts = layout.parts
        if not text.startswith(parts[0]):
            return None
        at = len(parts[0])
        values: list[Any] = []
        hints = layout.hints
        try:
            for index, ((kind, depth, _), part) in enumerate(zip(layout.holes, layout.after, strict=True)):
                if kind is _PLAIN:
                    found = _STRING.match(text, at)
                    if found is None:
                        return None
                    values.append(found.group(1))
                    at = found.end()
                elif kind is _DECODE:
                    value, end = SCAN(text, at)
                    if text[at] in "{[" and text_nests_deeper(text, at, end, depth):
                        return None
                    values.append(value)
                    at = end
                else:  # a run facet, found or read: the one this hole held last time, most often
                    if not text.startswith("{", at):
                        return None
                    found_facet, value, at = self._facet(text, at, depth, hints[index])
                    if found_facet is not None:
                        hints[index] = found_facet
                    values.append(value)
                if not text.startswith(part, at):
                    return None
                at += len(part)
        except (StopIteration, ValueError, RecursionError, Unusual):  # JSONDecodeError included
            return None
        if at != len(text):
            return None
        return layout.shape.build(values)


_Special: TypeAlias = Callable[[str, str, int, int, "list[tuple[int, int, _Hole]]"], "_Read"]
_Read: TypeAlias = "tuple[Any, int, object] | None"
"""What a special made of a value: it, where it ends, and how (:data:`_SAME`, :data:`_ANEW`, :data:`_READ`, or
the :class:`_Shape` of an object it walked); ``None``: it is to be decoded."""

_SAME = "same"
"""A value found among those read before, whose text gives the same value each time: part of a layout's literal
text."""
_ANEW = "anew"
"""A value looked up anew each time (a run facet, which may name its run): a hole of a layout."""
_READ = "read"
"""A job or dataset not found, read: a walk that read one leaves no layout (a new job, or one whose datasets
change from run to run: its layout would have to read them as a walk does)."""
_PLAIN, _DECODE, _FACET = "plain", "decode", "facet"
"""The kinds of holes: a string without escapes, a value decoded, a run facet looked up (and :data:`_READ`: a job
or dataset read, which no layout has)."""
_Hole: TypeAlias = tuple[str, int, str]
"""A hole of a layout: its kind, the depth left to its value, and its key."""

_ALIKE = frozenset({"producer", "schemaURL"})
"""Strings the same in every event of a job, as a rule: part of a layout's literal text (where one differs, the
layout does not fit, and the event is walked)."""
_STRING = re.compile(r'"([^"\\\x00-\x1f]*)"')


class _Shape:
    """What a walk made of one object: its keys in order, the values that are the same each time, the holes that
    give the others (by their index among the walk's holes), and the objects it walked within it."""

    __slots__ = ("built", "filled", "fills", "found", "keys", "nested_shapes", "row", "template")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.row: list[Any] = []
        self.fills: list[tuple[int, int]] = []
        self.nested_shapes: list[tuple[int, _Shape]] = []
        self.found: dict[str, tuple[int, int]] = {}
        """Where the values found among those read before were, by key."""
        self.template: dict[str, Any] = {}
        self.filled: tuple[tuple[str, int], ...] = ()
        self.built: tuple[tuple[str, _Shape], ...] = ()

    def same(self, key: str, value: Any) -> None:
        self.keys.append(key)
        self.row.append(value)

    def hole(self, key: str, holes: list[tuple[int, int, _Hole]], start: int, end: int, hole: _Hole) -> None:
        self.fills.append((len(self.keys), len(holes)))
        holes.append((start, end, hole))
        self.same(key, None)

    def nested(self, key: str, shape: _Shape) -> None:
        self.nested_shapes.append((len(self.keys), shape))
        self.same(key, None)

    def finish(self) -> None:
        """Made ready to :meth:`build`: the object with its holes empty, and what fills them. A repeated key is
        where json puts it (first place, last value): only its last value is filled."""
        last = {key: slot for slot, key in enumerate(self.keys)}
        self.template = dict(zip(self.keys, self.row, strict=True))
        self.filled = tuple((self.keys[slot], index) for slot, index in self.fills if last[self.keys[slot]] == slot)
        self.built = tuple((self.keys[slot], shape) for slot, shape in self.nested_shapes
                           if last[self.keys[slot]] == slot)
        for _, shape in self.built:
            shape.finish()

    def build(self, values: list[Any]) -> dict[str, Any]:
        """The object again, its holes' values given (a new dict each time, as a walk makes: the caller owns it)."""
        data = self.template.copy()
        for key, index in self.filled:
            data[key] = values[index]
        for key, shape in self.built:
            data[key] = shape.build(values)
        return data


class _Layout:
    """An event's text as literal parts and the holes between them (ids, times, what is read anew each time), and
    the shape of what it reads as. A text whose literal parts are the same, in the same order around the holes,
    reads as that event did with its own holes' values: the literal parts hold the keys and the values found
    (a job, datasets), which is to say what a walk would meet in them, and the holes are read as the walk read
    them. A steady stream's events are read at the cost of their holes."""

    __slots__ = ("after", "depth", "hints", "holes", "literal", "parts", "probe", "probe_at", "shape")

    def __init__(self, depth: int, parts: tuple[str, ...], holes: tuple[_Hole, ...], shape: _Shape, literal: int,
                 *, probe: str, probe_at: int) -> None:
        self.depth = depth
        self.parts = parts
        self.after = parts[1:]
        """The part after each hole."""
        self.holes = holes
        self.hints: list[tuple[str, Any] | None] = [None] * len(holes)
        """The kept text each facet hole held last time, and its value (looked at before the tree: a job sends
        the same facets run after run, but for one that names its run)."""
        self.shape = shape
        shape.finish()
        self.literal = literal
        """The characters of its literal parts."""
        self.probe, self.probe_at = probe, probe_at
        """The part that holds the job, and where it was: a quick test of whether a text is laid out alike."""


def blank_after(text: str, end: int) -> bool:
    """Whether all that follows ``end`` in ``text`` is JSON's whitespace."""
    return end == len(text) or not text[end:].strip(" \t\n\r")


def text_nests_deeper(text: str, start: int, end: int, depth: int) -> bool:
    """Whether the JSON text ``text[start:end]`` nests deeper than ``depth`` (no more opening brackets than that
    cannot: two counts in C, else :func:`nests_deeper` on its UTF-8 bytes)."""
    if text.count("{", start, end) + text.count("[", start, end) <= depth:
        return False
    return nests_deeper(text[start:end].encode("utf-8", "surrogatepass"), depth)


def nests_deeper(data: bytes, depth: int) -> bool:
    """Whether the JSON text ``data`` nests arrays and objects deeper than ``depth``, all in C, on UTF-8 bytes
    (where no byte of a multi-byte character is ASCII): escaped backslashes and quotes dropped, then all but
    quotes and brackets, then strings (what lies between quotes); innermost ``{}`` / ``[]`` pairs are removed
    once per level, and a depth-``n`` text is empty after ``n`` rounds. Text that is not JSON may pass (the
    decoder says what is wrong with it)."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = data.translate(None, _NOT_STRUCTURE)
    rest = b"".join(skeleton.replace(b'""', b"").split(b'"')[::2])  # a string without brackets: ""
    for _ in range(depth):
        # One level a round: "{}" becomes a mark first, so "[{}]" holds no "[]" until the next round.
        peeled = rest.replace(b"{}", b"x").replace(b"[]", b"x").translate(None, b"x")
        if len(peeled) == len(rest):  # empty, or not JSON
            return False
        rest = peeled
    return b"{}" in rest or b"[]" in rest


_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"{}[]')
