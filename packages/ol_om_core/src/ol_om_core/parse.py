"""OpenLineage wire JSON (spec 1-0-x to 2-0-2) -> typed, immutable events.

One pass over the envelope and the standard facets the translation uses; unknown facets are kept untouched.
:class:`~ol_om_core.errors.InvalidEvent` is the only exception that leaves :func:`parse`.

Strings with a lone UTF-16 surrogate (a JSON ``\\ud800`` escape that is not half of a pair) are rejected: they
have no UTF-8 form, so nothing made of them could be sent to OpenMetadata. The check is cheap: JSON text is
searched once (in C) for such an escape, and only a hit walks the parsed value to name the path; a mapping or
object is not walked, only the strings of the parsed event are checked (the raw facet maps it keeps are not).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeGuard

from ol_om_core.errors import InvalidEvent
from ol_om_core.facets import check_facets
from ol_om_core.facets import kind_of as _kind
from ol_om_core.model import (
    RUN_EVENT_TYPES,
    ColumnLineage,
    Dataset,
    DatasetEvent,
    Event,
    InputField,
    Job,
    JobEvent,
    JobRef,
    JobType,
    Owner,
    ParentRun,
    Run,
    RunEvent,
    Symlink,
    Tag,
    Transformation,
)
from ol_om_core.scan import SCAN, Known, Unusual, blank_after, nests_deeper, text_nests_deeper

MAX_DEPTH = 200
"""JSON text nested deeper than this (objects and arrays inside each other) is rejected by :func:`loads`, before
it is decoded: a guard against recursion blow-ups from hostile input. Real events nest a dozen levels."""

_EMPTY: Mapping[str, Any] = {}


def parse(raw: bytes | bytearray | memoryview | str | Mapping[str, Any] | object) -> Event:
    """Parse one OpenLineage event from bytes, str, a mapping, or an openlineage-python event object."""
    try:
        if isinstance(raw, bytes | bytearray | memoryview | str):
            return _from_text(raw)
        if isinstance(raw, Mapping):
            # JSON objects are dicts from here on (fast checks); other mappings are copied into dicts.
            data = raw if isinstance(raw, dict) else _from_attrs(raw)
        elif hasattr(raw, "__attrs_attrs__"):
            data = _from_attrs(raw)
        else:
            raise InvalidEvent("$", f"cannot read an event from a {type(raw).__name__}")
        event = _event(data)
        # No JSON text to search: check the strings the event carries (walking all of ``data`` costs too much).
        texts = _texts(event)
        if not "".join(texts).isascii() and any(map(_SURROGATE.search, texts)):
            _reject_lone_surrogates(data)
            raise InvalidEvent("$", "a string holds a lone UTF-16 surrogate: it has no UTF-8 form")
        return event
    except InvalidEvent:
        raise
    except RecursionError:
        raise InvalidEvent("$", "nested deeper than Python can follow") from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # pragma: no cover - a bug if reached
        raise InvalidEvent("$", f"unreadable event: {type(exc).__name__}: {exc}") from exc


def _from_text(raw: bytes | bytearray | memoryview | str) -> Event:
    """An event from JSON text: its job, datasets and run facets seen before are not decoded again
    (:mod:`ol_om_core.scan`).
    Text that holds anything unusual, bad JSON and bad values included, is read the plain way, which says what
    is wrong and where (the first problem in the order :func:`_event` reads)."""
    if _KNOWN.worth_walking():  # else a stream that does not repeat itself: decoded once, the plain way
        try:
            text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
            if not _may_hold_lone_surrogate(text, raw):
                return _event(_KNOWN.walk(text, MAX_DEPTH), walked=True)
        except (UnicodeDecodeError, Unusual):
            pass
    return _event(loads(raw))


def loads(raw: bytes | bytearray | memoryview | str) -> Any:
    """``json.loads`` with the failure turned into :class:`InvalidEvent`, and strings with a lone surrogate
    (which cannot be encoded as UTF-8) rejected.

    With the ``fast`` extra installed, orjson decodes bytes first. What it refuses (bad UTF-8, lone surrogates,
    NaN, deep nesting) takes the path below, so results and errors are the same either way; so does text with a
    run of 19 digits (orjson turns integers past 64 bits into floats) or with more than :data:`MAX_DEPTH`
    brackets (which it might read where the path below refuses them)."""
    if _fast_loads is not None and not isinstance(raw, str):
        data = bytes(raw)
        if data.count(b"{") + data.count(b"[") <= MAX_DEPTH and data.translate(_DIGITS).find(_19_DIGITS) < 0:
            try:
                return _fast_loads(data)
            except ValueError:
                pass
    try:
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEvent("$", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    if _too_deep(text, raw):
        raise InvalidEvent("$", f"not usable JSON: nested deeper than {MAX_DEPTH} levels") from None
    try:
        data = _decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidEvent("$", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # brackets never closed: not JSON, and too deep to say where it stops being JSON
        raise InvalidEvent("$", f"not usable JSON: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer of more than 4300 digits (Python's limit on converting them)
        raise InvalidEvent("$", f"not usable JSON: {str(exc).split('; use ')[0]}") from None
    if _may_hold_lone_surrogate(text, raw):
        _reject_lone_surrogates(data)
    return data


def _may_hold_lone_surrogate(text: str, raw: object) -> bool:
    # Decoded UTF-8 holds no surrogate; a str may hold one as such, and either may escape one.
    return bool(("\\" in text and _LONE_SURROGATE_ESCAPE.search(text))
                or (text is raw and not text.isascii() and _SURROGATE.search(text)))


_fast_loads: Callable[[bytes | bytearray | memoryview], Any] | None
try:  # the optional accelerator: ``pip install 'ol-om-core[fast]'``
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - the pure path
    _fast_loads = None
# 19 digits in a row, found as nineteen zeros once every digit is a zero: two passes in C, a third of orjson's time
# (a regular expression takes as long as orjson itself).
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_19_DIGITS = b"0" * 19


def _decode(text: str) -> Any:
    """``json.loads(text)``: its C scanner called directly for a document that starts at the first character
    (``json.loads`` strips and checks around it in Python, a fair share of its cost on a small event); anything
    else, bad JSON included, goes to ``json.loads`` itself, for its own result or error."""
    try:
        data, end = SCAN(text, 0)
    except (StopIteration, ValueError):
        return json.loads(text)
    if not blank_after(text, end):
        return json.loads(text)
    return data


def _too_deep(text: str, raw: object) -> bool:
    """Whether ``text`` (decoded from ``raw``) nests arrays and objects deeper than :data:`MAX_DEPTH`: a text with
    no more opening brackets than that cannot (on bytes, one pass in C that drops all else), else
    :func:`~ol_om_core.scan.nests_deeper` says."""
    if isinstance(raw, bytes):
        if len(raw.translate(None, _NOT_OPENING)) <= MAX_DEPTH:
            return False
        return nests_deeper(raw, MAX_DEPTH)
    return text_nests_deeper(text, 0, len(text), MAX_DEPTH)


_NOT_OPENING = bytes(b for b in range(256) if b not in b"{[")


# A JSON escape of a UTF-16 surrogate that is not half of a pair: a high one not followed by a low one, or a low
# one not preceded by a high one. The search starts on a literal, so it runs at substring-search speed. It may
# match text that only looks like an escape (``\\\\ud800`` is an escaped backslash, then ``ud800``), never miss
# a real one: a backslash that no other backslash precedes always opens an escape. A match only costs a walk.
_HEX2 = "[0-9a-fA-F]{2}"
_LONE_SURROGATE_ESCAPE = re.compile(
    rf"\\u[dD](?:[89abAB]{_HEX2}(?!\\u[dD][c-fC-F]{_HEX2})"
    rf"|(?<!(?<!\\)\\u[dD][89abAB]{_HEX2}\\u[dD])[c-fC-F]{_HEX2})"
)
# In a decoded string every surrogate is a lone one: JSON decoding joins the halves of a pair.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _reject_lone_surrogates(data: Any) -> None:
    """Raise :class:`InvalidEvent` at the first string (key or value, in document order) of ``data`` that holds
    a lone surrogate; return if there is none."""
    stack: list[tuple[Any, str, Any]] = [(data, "$", None)]
    while stack:
        value, path, key = stack.pop()
        for what, text in (("key", key), ("string", value)):
            found = _SURROGATE.search(text) if isinstance(text, str) else None
            if found:
                # Only the last step of the path can hold one: a bad key is met before anything under it.
                raise InvalidEvent(_printable(path), (
                    f"the {what} {text[:60]!r} holds a lone UTF-16 surrogate (U+{ord(found.group()):04X}, half "
                    "of a pair without the other half): it has no UTF-8 form, so it cannot be sent to OpenMetadata"))
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}", k) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", None) for i, v in reversed(list(enumerate(value))))


def _printable(text: str) -> str:
    """``text`` with each lone surrogate written as its ``\\udXXX`` escape, so that it can be encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _from_attrs(obj: object) -> Any:
    """Duck-typed conversion of openlineage-python's attrs classes, without importing them."""
    fields = getattr(obj, "__attrs_attrs__", None)
    if fields is not None:
        out = {}
        for f in fields:
            value = getattr(obj, f.name)
            if value is not None:
                out[f.name] = _from_attrs(value)
        return out
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(k): _from_attrs(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_from_attrs(v) for v in obj]
    if isinstance(obj, uuid.UUID | datetime):
        return str(obj) if isinstance(obj, uuid.UUID) else obj.isoformat()
    return obj


# -- the envelope ------------------------------------------------------------------------------------------


def _event(data: Any, walked: bool = False) -> Event:
    """``walked``: ``data`` is :meth:`~ol_om_core.scan.Known.walk`'s, its job and datasets already read."""
    if not isinstance(data, dict):
        raise InvalidEvent("$", f"an event is a JSON object, not {_kind(data)}")
    time = _event_time(data)
    producer = _opt_str(data, "producer", "$") or ""
    schema_url = _opt_str(data, "schemaURL", "$") or ""
    if "run" in data:
        event_type = data.get("eventType")
        if event_type is None:
            event_type = "OTHER"
        elif event_type not in RUN_EVENT_TYPES:
            raise InvalidEvent("$.eventType", f"{event_type!r} is not one of {', '.join(RUN_EVENT_TYPES)}")
        return RunEvent(
            event_type=event_type,
            event_time=time,
            producer=producer,
            schema_url=schema_url,
            run=_run(data["run"], "$.run"),
            job=_job(data.get("job"), "$.job", walked),
            inputs=_datasets(data, "inputs", walked),
            outputs=_datasets(data, "outputs", walked),
        )
    if "dataset" in data:
        if "job" in data:
            raise InvalidEvent("$", "a DatasetEvent carries no job (spec 2-0-2)")
        return DatasetEvent(time, producer, schema_url, _dataset(data["dataset"], "$.dataset"))
    if "job" in data:
        job = _job(data["job"], "$.job", walked)
        return JobEvent(time, producer, schema_url, job, _datasets(data, "inputs", walked),
                        _datasets(data, "outputs", walked))
    raise InvalidEvent("$", "not an OpenLineage event: it has no run, job or dataset")


def _event_time(data: Mapping[str, Any]) -> int:
    return _time_ms(data.get("eventTime"), "$.eventTime")


def _scheduled_time(value: str) -> int | None:
    """A nominal (scheduled) time: informative only, so a bare date is midnight and junk is ignored."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)


def _time_ms(value: Any, path: str) -> int:
    if not isinstance(value, str):
        raise InvalidEvent(path, "required: an ISO 8601 date-time" if value is None else "must be a string")
    # The client library insists on a time part; a bare date would silently mean midnight.
    if len(value) < 11 or value[10] not in "Tt ":
        raise InvalidEvent(path, f"{value[:60]!r} is not an ISO 8601 date-time with a time part")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(path, f"{value[:60]!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _run(data: Any, path: str) -> Run:
    data = _object(data, path)
    run_id = _run_id(data.get("runId"), path + ".runId")
    facets = _facets(data, path, "run")
    parent = _parent(facets.get("parent"), path + ".facets.parent")
    error = facets.get("errorMessage")
    nominal = facets.get("nominalTime")
    return Run(
        run_id=run_id,
        facets=facets,
        parent=parent,
        error_message=error.get("message") if isinstance(error, dict) else None,
        tags=_tags(facets.get("tags"), path + ".facets.tags"),
        nominal_start=_scheduled_time(nominal["nominalStartTime"]) if _live(nominal) else None,
    )


def _job(data: Any, path: str, walked: bool = False) -> Job:
    if walked and isinstance(data, Job):
        return data
    data = _object(data, path)
    facets = _facets(data, path, "job")
    job_type = facets.get("jobType")
    docs = facets.get("documentation")
    location = facets.get("sourceCodeLocation")
    sql = facets.get("sql")
    return Job(
        namespace=_str(data, "namespace", path),
        name=_str(data, "name", path),
        facets=facets,
        job_type=JobType(
            job_type["processingType"], job_type["integration"], job_type.get("jobType")
        ) if _live(job_type) else None,
        description=docs["description"] if _live(docs) else None,
        source_url=location["url"] if _live(location) else None,
        sql=sql["query"] if _live(sql) else None,
        owners=_owners(facets.get("ownership")),
        tags=_tags(facets.get("tags"), path + ".facets.tags"),
    )


def _datasets(data: Mapping[str, Any], key: str, walked: bool = False) -> tuple[Dataset, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if walked and isinstance(value, tuple):
        return value
    if not isinstance(value, list):
        raise InvalidEvent(f"$.{key}", f"must be an array, not {_kind(value)}")
    return tuple(_dataset(item, f"$.{key}[{i}]") for i, item in enumerate(value))


def _dataset(data: Any, path: str) -> Dataset:
    data = _object(data, path)
    facets = _facets(data, path, "dataset")
    input_facets = _facets(data, path, "input", key="inputFacets")
    output_facets = _facets(data, path, "output", key="outputFacets")
    symlinks = facets.get("symlinks")
    schema = facets.get("schema")
    return Dataset(
        namespace=_str(data, "namespace", path),
        name=_str(data, "name", path),
        facets=facets,
        input_facets=input_facets,
        output_facets=output_facets,
        symlinks=tuple(
            Symlink(i["namespace"], i["name"], i["type"]) for i in symlinks.get("identifiers") or ()
        ) if _live(symlinks) else (),
        column_lineage=_column_lineage(facets.get("columnLineage"), output_facets.get("columnLineage")),
        columns=tuple(f["name"] for f in schema.get("fields") or ()) if _live(schema) else (),
    )


_KNOWN = Known(_job, _dataset)
"""The jobs, datasets and run facets parse has read from JSON text, by that text (:mod:`ol_om_core.scan`)."""


# -- standard facets the translation reads (already shape-checked by check_facets) --------------------------


def _parent(facet: Any, path: str) -> ParentRun | None:
    if not _live(facet):
        return None
    root = facet.get("root")
    return ParentRun(
        job=JobRef(facet["job"]["namespace"], facet["job"]["name"]),
        run_id=facet["run"]["runId"],
        root_job=JobRef(root["job"]["namespace"], root["job"]["name"]) if root else None,
        root_run_id=root["run"]["runId"] if root else None,
    )


def _owners(facet: Any) -> tuple[Owner, ...]:
    if not _live(facet):
        return ()
    return tuple(Owner(o["name"], _optional_text(o.get("type"))) for o in facet.get("owners") or ())


def _tags(facet: Any, path: str) -> tuple[Tag, ...]:
    if not _live(facet):
        return ()
    return tuple(
        Tag(str(t["key"]), str(t["value"]), _optional_text(t.get("source")), _optional_text(t.get("field")))
        for t in facet.get("tags") or ()
    )


def _optional_text(value: Any) -> str | None:
    """An optional free-text field of a facet item: text, or nothing (the spec types it; producers vary)."""
    return value if isinstance(value, str) else None


def _column_lineage(*facets: Any) -> ColumnLineage | None:
    live = [f for f in facets if _live(f)]
    if not live:
        return None
    fields: dict[str, tuple[InputField, ...]] = {}
    dataset: list[InputField] = []
    for facet in live:
        for out_field, spec in (facet.get("fields") or {}).items():
            fields[out_field] = fields.get(out_field, ()) + tuple(
                _input_field(i, spec) for i in spec.get("inputFields") or ()
            )
        dataset.extend(_input_field(i, _EMPTY) for i in facet.get("dataset") or ())
    # JSON objects have no order: sorted, the same facet always gives the same value (and the same calls).
    return ColumnLineage(tuple(sorted(fields.items())), tuple(dataset))


def _input_field(data: Mapping[str, Any], legacy: Mapping[str, Any]) -> InputField:
    transformations = tuple(
        Transformation(t["type"], t.get("subtype"), t.get("description"), bool(t.get("masking")))
        for t in data.get("transformations") or ()
    )
    if not transformations and legacy.get("transformationType"):
        # Column lineage 1-0-x put one (deprecated) transformation on the output field instead.
        transformations = (
            Transformation("DIRECT", legacy["transformationType"], legacy.get("transformationDescription")),
        )
    return InputField(data["namespace"], data["name"], data["field"], transformations)


# -- small readers -----------------------------------------------------------------------------------------


def _facets(data: Mapping[str, Any], path: str, where: str, key: str = "facets") -> Mapping[str, Any]:
    facets = data.get(key)
    if facets is None:
        return _EMPTY
    if not isinstance(facets, dict):
        raise InvalidEvent(f"{path}.{key}", f"must be an object, not {_kind(facets)}")
    check_facets(facets, f"{path}.{key}", where)
    return facets


def _live(facet: Any) -> TypeGuard[Mapping[str, Any]]:
    """A facet that is present and not deleted (``_deleted: true`` removes a facet, spec 2-0-1)."""
    return isinstance(facet, dict) and facet.get("_deleted") is not True


def _object(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise InvalidEvent(path, "required: an object" if data is None else f"must be an object, not {_kind(data)}")
    return data


def _str(data: Mapping[str, Any], key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        problem = "required" if value is None else f"must be a non-empty string, not {_kind(value)}"
        raise InvalidEvent(f"{path}.{key}", problem)
    return value


def _opt_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidEvent(f"{path}.{key}", f"must be a string, not {_kind(value)}")
    return value


def _run_id(value: Any, path: str) -> str:
    # The spec asks for a UUID, but real producers and the docs' own examples send other ids; any
    # non-empty string identifies a run well enough.
    if value is None:
        raise InvalidEvent(path, "required: the run's id (a UUID)")
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(path, f"must be a non-empty string, not {_kind(value)}")
    return value


# -- the strings a parsed event carries (checked when there was no JSON text to search) -----------------------


def _texts(event: Event) -> list[str]:
    """Every string of the typed event, and those of the raw facets the translator reads (Airflow's downstream
    task ids, schema field types); not the rest of the raw facet maps. An absent one is ``""``."""
    out = [event.producer, event.schema_url]
    if isinstance(event, DatasetEvent):
        _dataset_texts(event.dataset, out)
        return out
    job = event.job
    out += (job.namespace, job.name, job.description or "", job.source_url or "", job.sql or "")
    if job.job_type is not None:
        out += (job.job_type.processing_type, job.job_type.integration, job.job_type.job_type or "")
    for owner in job.owners:
        out += (owner.name, owner.type or "")
    _tag_texts(job.tags, out)
    if isinstance(event, RunEvent):
        run = event.run
        out += (run.run_id, run.error_message or "")
        _tag_texts(run.tags, out)
        parent = run.parent
        if parent is not None:
            out += (parent.job.namespace, parent.job.name, parent.run_id, parent.root_run_id or "")
            if parent.root_job is not None:
                out += (parent.root_job.namespace, parent.root_job.name)
        airflow = run.facets.get("airflow")
        if isinstance(airflow, dict):
            task = airflow.get("task")
            ids = task.get("downstream_task_ids") if isinstance(task, dict) else None
            out += [i for i in (ids if isinstance(ids, list) else (ids,)) if isinstance(i, str)]
    for dataset in event.inputs:
        _dataset_texts(dataset, out)
    for dataset in event.outputs:
        _dataset_texts(dataset, out)
    return out


def _dataset_texts(dataset: Dataset, out: list[str]) -> None:
    out += (dataset.namespace, dataset.name)
    out += dataset.columns
    for symlink in dataset.symlinks:
        out += (symlink.namespace, symlink.name, symlink.type)
    schema = dataset.facets.get("schema")
    if _live(schema):
        out += [f.get("type") or "" for f in schema.get("fields") or ()]
    lineage = dataset.column_lineage
    if lineage is not None:
        for column, inputs in lineage.fields:
            out.append(column)
            _input_texts(inputs, out)
        _input_texts(lineage.dataset, out)


def _input_texts(inputs: tuple[InputField, ...], out: list[str]) -> None:
    for field in inputs:
        out += (field.namespace, field.name, field.field)
        for t in field.transformations:
            out += (t.type, t.subtype or "", t.description or "")


def _tag_texts(tags: tuple[Tag, ...], out: list[str]) -> None:
    for tag in tags:
        out += (tag.key, tag.value)
        out += [t for t in (tag.source, tag.field) if isinstance(t, str)]  # not type-checked by the facet schema
