"""parse keeps the jobs and datasets it has read (a steady stream repeats them run after run) and hands the same
value back for the very same JSON text. It changes nothing but speed: a value that is merely equal in Python
(``true`` and ``1``, ``1`` and ``1.0``, the same keys in another order) is read afresh, and so is text laid out
another way."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ol_om_core import InvalidEvent, parse
from ol_om_core.model import RunEvent
from ol_om_core.scan import Known, Texts
from ol_om_core.testing import event_json

parsing = importlib.import_module("ol_om_core.parse")  # the module: the package exports the function as `parse`
CHECKED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(raw: bytes) -> str:
    """What parse makes of ``raw``, exactly (``repr`` tells 1 from 1.0 and shows every facet's value)."""
    try:
        return repr(parse(raw))
    except InvalidEvent as exc:
        return f"InvalidEvent({exc.path!r}, {exc.reason!r})"


def afresh(raw: bytes) -> str:
    """The same, read without the kept values."""
    try:
        return repr(parsing._event(parsing.loads(raw)))
    except InvalidEvent as exc:
        return f"InvalidEvent({exc.path!r}, {exc.reason!r})"


def event(dataset_facets: dict[str, Any], job_facets: dict[str, Any] | None = None) -> bytes:
    return json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
        "run": {"runId": "3f1c0b6e-0000-4000-8000-000000000001"},
        "job": {"namespace": "ns", "name": "job", "facets": job_facets or {}},
        "inputs": [{"namespace": "postgres://db:5432", "name": "d.s.t", "facets": dataset_facets}],
    }).encode()


@pytest.fixture(autouse=True, scope="module")
def walking() -> Iterator[None]:
    """Parse's kept texts as a fresh process has them, walking all along: the process-wide ones may have judged,
    on other tests' events, that walking does not pay."""
    known = Known(parsing._job, parsing._dataset)
    known.PROBE = 1 << 60
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "_KNOWN", known)
        yield


FACET = {"_producer": "p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SchemaDatasetFacet.json"}


@CHECKED
@given(event_json())
def test_a_repeated_event_parses_as_it_did_the_first_time(raw: bytes) -> None:
    first = outcome(raw)
    assert outcome(raw) == first == afresh(raw)


@CHECKED
@given(event_json(), st.sampled_from([True, False, 1, 0, 1.0, 0.0, -0.0, None]),
       st.sampled_from([True, False, 1, 0, 1.0, 0.0, -0.0, None]))
def test_values_equal_in_python_but_not_in_json_are_read_afresh(raw: bytes, one: Any, other: Any) -> None:
    data = json.loads(raw)
    for dataset in data.get("inputs") or []:
        dataset.setdefault("facets", {})["custom"] = {**FACET, "_deleted": one, "flag": one}
    first = json.dumps(data).encode()
    for dataset in data.get("inputs") or []:
        dataset["facets"]["custom"] = {**FACET, "_deleted": other, "flag": other}
    second = json.dumps(data).encode()
    assert outcome(first) == afresh(first)
    assert outcome(second) == afresh(second)


@pytest.mark.parametrize(("first", "second"), [
    ({"_deleted": True}, {"_deleted": 1}),  # deleted, then a facet whose _deleted is not a boolean
    ({"rows": 1}, {"rows": 1.0}),
    ({"rows": 1}, {"rows": True}),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
])
def test_pinned_look_alikes(first: dict[str, Any], second: dict[str, Any]) -> None:
    for facets in (first, second):
        raw = event({"custom": {**FACET, **facets}}, {"custom": {**FACET, **facets}})
        assert outcome(raw) == afresh(raw)
        assert outcome(raw) == afresh(raw)


def test_the_same_json_gives_the_same_values() -> None:
    raw = event({"schema": {**FACET, "fields": [{"name": "id", "type": "int"}]}})
    one, two = parse(raw), parse(raw)
    assert isinstance(one, RunEvent) and isinstance(two, RunEvent)
    assert one.run is not two.run  # runs differ from event to event: never kept
    assert one.job is two.job and one.inputs[0] is two.inputs[0]


def test_a_mapping_is_never_kept() -> None:
    """A caller's dict may change after parse: only what parse decoded itself is kept."""
    data = json.loads(event({}))
    first = parse(data)
    data["inputs"][0]["name"] = "d.s.other"
    second = parse(data)
    assert isinstance(first, RunEvent) and isinstance(second, RunEvent)
    assert first.inputs[0] is not second.inputs[0]
    assert second.inputs[0].name == "d.s.other"


def test_what_is_kept_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = Texts(parsing._dataset)
    monkeypatch.setattr(parsing._KNOWN, "datasets", datasets)
    monkeypatch.setattr(datasets, "BUDGET", 4096)
    for i in range(200):
        parse(event({"schema": {**FACET, "fields": [{"name": f"column_{i}", "type": "int"}]}}))
        assert 0 < datasets.size <= datasets.BUDGET
    assert datasets.size < 200 * 100  # started again: not every dataset is still held


def test_a_text_longer_than_the_largest_is_never_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = Texts(parsing._dataset)
    monkeypatch.setattr(parsing._KNOWN, "datasets", datasets)
    monkeypatch.setattr(datasets, "LARGEST", 100)
    raw = event({"schema": {**FACET, "fields": [{"name": f"c{i}", "type": "int"} for i in range(20)]}})
    one, two = parse(raw), parse(raw)
    assert isinstance(one, RunEvent) and isinstance(two, RunEvent)
    assert one.inputs[0] is not two.inputs[0] and one.inputs[0] == two.inputs[0]
    assert datasets.size == 0


def test_a_bad_value_is_refused_every_time() -> None:
    raw = event({"schema": {**FACET, "fields": "not a list"}})
    for _ in range(2):
        with pytest.raises(InvalidEvent):
            parse(raw)


LAYOUTS = [{}, {"separators": (",", ":")}, {"indent": 2}, {"indent": "\t", "separators": (" ,", " : ")},
           {"sort_keys": True}]


@CHECKED
@given(event_json(), st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS))
def test_any_layout_parses_as_a_fresh_read(raw: bytes, first: dict[str, Any], second: dict[str, Any]) -> None:
    """The same event laid out one way then another (the second finds the first's kept values or not)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return
    for layout in (first, second, first):
        text = json.dumps(data, **layout)
        assert outcome(text.encode()) == afresh(text.encode())
        assert outcome(" \n" + text + "\r\n") == afresh(text.encode())


@pytest.mark.parametrize("text", [
    # Duplicate keys: the last one counts, as json.loads has it.
    '{"eventTime": "nope", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "first"}, '
    '"job": {"namespace": "a", "name": "second"}, "inputs": [{"namespace": "n", "name": "x"}], "inputs": [], '
    '"eventTime": "2026-01-01T00:00:00Z"}',
    # An escaped key is the same key.
    '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "\\u006aob": {"namespace": "a", "name": "b"}}',
    # Not an object where a job or a dataset goes, and arrays of other things.
    '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "b"}, '
    '"inputs": [{"namespace": "n", "name": "x"}, 3]}',
    '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "job": [], "inputs": {}}',
    # Bad JSON after a kept value, and trailing text.
    '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "b"},}',
    '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "b"}} x',
    '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "b"}',
    # A bad dataset after a good one: the error names the first problem, in the order the event is read.
    '{"eventTime": "nope", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "b"}, '
    '"inputs": [{"namespace": "n", "name": "x"}, {"namespace": "n"}]}',
])
def test_unusual_text_reads_as_json_loads_has_it(text: str) -> None:
    warm = '{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "a", "name": "b"}, ' \
           '"inputs": [{"namespace": "n", "name": "x"}]}'
    parse(warm)  # the job and the dataset are kept
    for _ in range(2):
        assert outcome(text.encode()) == afresh(text.encode())


def test_kept_texts_are_found_where_they_start_and_only_there() -> None:
    """Jobs of one Airflow DAG share all but their last characters (the DAG's task map first, the name last)."""
    texts: Texts[int] = Texts(lambda data, path: 0)
    tasks = {f"task_{i}": {"operator": "PythonOperator", "downstream": [f"task_{i + 1}"]} for i in range(40)}
    held = [json.dumps({"facets": {"airflow": {"tasks": tasks}}, "name": f"dag.task_{i}", "namespace": "airflow"})
            for i in range(40)]
    for i, text in enumerate(held):
        texts.keep(text, i)
    for i, text in enumerate(held):
        assert texts.find(text, 0) == (i, len(text))
        assert texts.find(f'[1, {text}, 2]', 4) == (i, 4 + len(text))
        assert texts.find(f'[1, {text}, 2]', 3) is None
        assert texts.find(text.replace(f'task_{i}"', f'task_{i}x"'), 0) is None
    assert texts.size == sum(len(text) + texts.ENTRY for text in held)


@CHECKED
@given(st.lists(st.dictionaries(st.sampled_from("abc"), st.integers(0, 3) | st.text("xy\"", max_size=3),
                                max_size=3), max_size=30),
       st.dictionaries(st.sampled_from("abc"), st.integers(0, 3), max_size=3), st.integers(1, 8))
def test_a_found_text_is_always_the_one_held(values: list[dict[str, Any]], probe: dict[str, Any], leaf: int) -> None:
    texts: Texts[str] = Texts(lambda data, path: "")
    texts.LEAF = leaf  # a fork as soon as there are two, or only with more
    for value in values:
        text = json.dumps(value)
        texts.keep(text, text)
    for candidate in [*values, probe]:
        text = json.dumps(candidate)
        found = texts.find(f"[{text}]", 1)
        if found is not None:
            assert found == (text, 1 + len(text))
        else:
            assert text not in [json.dumps(value) for value in values]  # an equal dict in another order is not held


def test_a_stream_that_does_not_repeat_itself_is_read_the_plain_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Walking an event whose values are all new costs more than decoding it whole: after a probe that found
    little, events are read the plain way for a while, then probed again."""
    known = Known(parsing._job, parsing._dataset)
    monkeypatch.setattr(parsing, "_KNOWN", known)
    monkeypatch.setattr(known, "PROBE", 4)
    monkeypatch.setattr(known, "REST", 3)
    for i in range(4):
        parse(event({"schema": {**FACET, "fields": [{"name": f"column_{i}", "type": "int"}]}}, {"n": i}))
    assert known._resting == 3
    repeated = event({})
    for _ in range(3):
        parse(repeated)  # read the plain way: nothing kept, nothing found
    assert known._resting == 0 and known.datasets.found == 0
    for _ in range(5):
        parse(repeated)  # walked again: the first keeps, the rest find or replay (a probe of 4 found plenty: no rest)
    assert known._resting == 0 and known.datasets.found + known._spared > 0


def leaves(node: Any) -> list[list[Any]]:
    return [node.items] if node.at < 0 else [leaf for child in node.children.values() for leaf in leaves(child)]


@pytest.mark.parametrize("names", [
    [f"db.s.in_{i}" for i in range(2000)],  # texts that part in their last characters (a pinned regression)
    [f"{i}" * (i % 7 + 1) for i in range(500)],  # of every length, parting anywhere
    [f"t{i:04d}" for i in range(1000)][::-1],
])
def test_a_lookup_compares_a_few_texts_whole_however_many_are_kept(names: list[str]) -> None:
    texts: Texts[str] = Texts(lambda data, path: "")
    held = [json.dumps({"namespace": "postgres://pg:5432", "name": name}) for name in names]
    for text in held:
        texts.keep(text, text)
    assert max(map(len, leaves(texts._root))) <= texts.LEAF
    assert sum(map(len, leaves(texts._root))) == len(set(held))
    for text in held:
        assert texts.find(f"[{text}, 1]", 1) == (text, 1 + len(text))


def test_every_cut_of_an_event_reads_as_json_loads_has_it() -> None:
    """An event broken off anywhere (a truncated message) fails as the plain read fails, kept values or not."""
    raw = event({"schema": {**FACET, "fields": [{"name": "id", "type": "int"}]}}, {"sql": {**FACET, "query": "x"}})
    data = json.loads(raw)
    data["run"]["facets"] = {"processing_engine": {**FACET, "name": "spark"},
                             "nominalTime": {**FACET, "nominalStartTime": "2026-01-01T00:00:00Z"}}
    text = json.dumps(data)
    for _ in range(3):
        parse(text)  # job, dataset and facet kept, and the layout learnt
    for cut in range(len(text)):
        assert outcome(text[:cut].encode()) == afresh(text[:cut].encode()), cut


@CHECKED
@given(event_json(), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(list(b' {}[]",:\\0aetn')),
                                        st.sampled_from(["put", "insert", "delete"])), min_size=1, max_size=3))
def test_a_damaged_event_reads_as_json_loads_has_it(raw: bytes, damage: list[tuple[float, int, str]]) -> None:
    """Bytes changed, added or lost anywhere in an event whose values are kept: the same result or error as the
    plain read, and never another exception."""
    for _ in range(3):
        outcome(raw)  # whatever it holds that is valid is kept, and its layout learnt
    data = bytearray(raw)
    for where, byte, how in damage:
        at = int(where * len(data))
        if how == "insert":
            data[at:at] = bytes([byte])
        elif at < len(data):
            data[at:at + 1] = b"" if how == "delete" else bytes([byte])
    assert outcome(bytes(data)) == afresh(bytes(data))


# -- layouts: an event laid out as one read before is read by its holes ------------------------------------------


def same_length(text: str, old: str, new: str) -> str:
    assert len(old) == len(new) and old in text
    return text.replace(old, new)


def a_run(run_id: str, event_type: str = "COMPLETE", airflow: str = "t1") -> str:
    """An Airflow-like event: a job and a dataset that repeat, a run facet that names its run (and repeats within
    it), and a parent."""
    return json.dumps({
        "eventType": event_type, "eventTime": f"2026-01-01T00:00:0{run_id[-1]}Z", "producer": "p", "schemaURL": "s",
        "run": {"runId": run_id, "facets": {
            "airflow": {**FACET, "taskInstance": {"try_number": airflow}},
            "processing_engine": {**FACET, "name": "Airflow", "version": "3.1.0"},
            "parent": {**FACET, "job": {"namespace": "airflow", "name": "dag"}, "run": {"runId": run_id[::-1]}}}},
        "job": {"namespace": "airflow", "name": "dag.task", "facets": {"sql": {**FACET, "query": "select 1"}}},
        "inputs": [{"namespace": "postgres://db:5432", "name": "d.s.t", "facets": {}}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "d.s.u", "facets": {}}],
    })


RUN_IDS = [f"3f1c0b6e-0000-4000-8000-00000000000{i}" for i in range(10)]


def test_events_laid_out_alike_read_by_their_holes() -> None:
    known = parsing._KNOWN
    texts = [a_run(run_id, kind) for run_id in RUN_IDS for kind in ("START", "COMPLETE")]
    spared = known._spared
    for text in texts:
        assert outcome(text.encode()) == afresh(text.encode())
    assert known._spared > spared  # most of them were read by a layout
    one, two = parse(texts[-2]), parse(texts[-1])
    assert isinstance(one, RunEvent) and isinstance(two, RunEvent)
    assert one.job is two.job and one.inputs[0] is two.inputs[0]  # the layout's values: the kept ones
    assert one.run.run_id == RUN_IDS[-1] and one.run.parent is not None and one.run.parent.run_id == RUN_IDS[-1][::-1]


def test_a_run_facet_that_repeats_within_its_run_is_read_anew_by_the_next() -> None:
    """Airflow's run facet is the same in a run's START and COMPLETE and differs from run to run: a layout must
    not take it for part of the text that repeats."""
    for i, run_id in enumerate(RUN_IDS):
        for kind in ("START", "COMPLETE"):
            text = a_run(run_id, kind, airflow=f"t{i}")
            assert outcome(text.encode()) == afresh(text.encode())


@pytest.mark.parametrize(("old", "new"), [
    ('"eventTime": "2026-01-01T00:00:01Z"', '"eventTime": "2026-01-01\\u005400:00Z"'),  # an escape in a hole
    ('"producer": "p"', '"producer": "q"'),  # a string held as alike for every event of a job
    ('"name": "d.s.t"', '"name": "d.s.x"'),  # another dataset, as long
    ('"name": "dag.task"', '"name": "dag.tasx"'),  # another job
    ('"runId": "3f1c', '"runId": 123456'),  # not a string
    ('"try_number": "t1"', '"try_number": [[]]'),  # deeper in a facet read anew
    ('"sql": {', '"sql": ['),  # broken in the literal text
    ('{"eventType"', '["eventType"'),
])
def test_an_event_that_differs_from_its_layout_anywhere_reads_as_json_loads_has_it(old: str, new: str) -> None:
    text = a_run(RUN_IDS[1])
    for _ in range(3):
        parse(text)  # learnt: the job and datasets found, part of the layout
    changed = text.replace(old, new + " " * (len(old) - len(new)), 1) if len(new) < len(old) else \
        text.replace(old, new, 1)
    for candidate in (changed, changed[:len(text)]):
        assert outcome(candidate.encode()) == afresh(candidate.encode())


def test_a_layout_checks_depth_where_it_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "MAX_DEPTH", 6)
    parent_job = '{"namespace": "airflow", "name": "dag"}'
    shallow = a_run(RUN_IDS[1]).replace(parent_job, parent_job[:-1] + ', "x": [1, 2, 3, 4]}')  # 6 deep: decoded
    deep = same_length(shallow, "[1, 2, 3, 4]", "[[[[[[]]]]]]")
    for text in (shallow, shallow, shallow, deep, deep):
        assert outcome(text.encode()) == afresh(text.encode())
    assert "deeper than 6" in outcome(deep.encode())


@pytest.mark.parametrize("tail", [
    ', "eventType": "START", "job": {"namespace": "a", "name": "b"}}',
    ', "producer": "p\\u0041"}',  # literal first, then a hole: the hole's value
    '}',
])
@pytest.mark.parametrize("head", ['{', '{"producer": "q\\u0041", "schemaURL": 1, '])  # a hole first, then literal
def test_duplicate_keys_replayed_as_json_loads_has_them(head: str, tail: str) -> None:
    text = head + a_run(RUN_IDS[2])[1:-1] + tail
    for _ in range(4):
        assert outcome(text.encode()) == afresh(text.encode())
    assert repr(parse(text)) == afresh(text.encode())


def layouts_held(known: Known) -> list[Any]:
    return [layout for layouts in known._layouts.values() for layout in layouts]


def test_jobs_whose_events_are_as_long_as_each_other_keep_a_layout_each() -> None:
    """A pinned regression: layouts were held by length alone, 4 a length, and the DAGs of a stream named alike
    (dag_001 .. dag_200) pushed each other's out: every event was walked, and a layout learnt, never used."""
    known = Known(parsing._job, parsing._dataset)
    texts = [a_run(RUN_IDS[1]).replace("dag.task", f"dag_{i:03d}.task") for i in range(50)]
    for _ in range(3):  # read, found, found again: learnt
        for text in texts:
            known.walk(text, 200)
    assert len(layouts_held(known)) == 50
    spared = known._spared
    for text in texts:
        known.walk(text, 200)
    assert known._spared == spared + sum(layout.literal for layout in layouts_held(known))  # each read by its layout


def test_a_layout_is_learnt_when_it_is_seen_again() -> None:
    """A stream of new jobs would only churn layouts: one is kept the second time it is walked."""
    known = Known(parsing._job, parsing._dataset)
    text = a_run(RUN_IDS[3])
    for walks in range(1, 4):  # the job and datasets read, then found (another layout), then found again
        known.walk(text, 200)
        assert bool(layouts_held(known)) is (walks == 3)
    (layout,) = layouts_held(known)
    assert [key for kind, _, key in layout.holes] == [
        "eventType", "eventTime", "runId", "airflow", "processing_engine", "parent"]
    known.walk(text, 200)
    assert known._spared == layout.literal  # read by the layout


def test_no_layout_reads_a_job_or_dataset_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """A walk that read a job or a dataset (new, or never kept) leaves no layout: in a stream of new jobs, one
    whose literal parts are keys alone would fit every event, and read each as a walk does."""
    known = Known(parsing._job, parsing._dataset)
    text = a_run(RUN_IDS[3])
    monkeypatch.setattr(known.jobs, "LARGEST", 0)  # the job never kept: read each time
    for _ in range(4):
        known.walk(text, 200)
    assert known._layouts == {} and known._spared == 0


def test_layouts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    known = Known(parsing._job, parsing._dataset)
    monkeypatch.setattr(known, "LAYOUTS", 8000)
    most = 0
    for i in range(200):
        text = a_run(RUN_IDS[1]).replace("dag.task", f"dag.task_{i:03d}")  # as long as each other
        for _ in range(3):  # the job read, then found; the layout learnt when seen again
            known.walk(text, 200)
            assert 0 <= known._layouts_size <= known.LAYOUTS
            assert all(len(layouts) <= known.SAME_JOB for layouts in known._layouts.values())
            assert all(len(anchors) <= known.ANCHORS for anchors in known._anchors.values())
            most = max(most, known._layouts_size)
    assert most > known.LAYOUTS - 2000  # filled, then started again
