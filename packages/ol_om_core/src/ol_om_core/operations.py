"""Operations: plain values that render to the exact OpenMetadata REST call (method, path, body).

``path`` is relative to the server's ``/api`` base. An entity the sink must resolve to an id is written as
``{"type": "table", "fullyQualifiedName": "svc.db.schema.t"}`` (the dry-run contract in DESIGN.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Literal
from urllib.parse import quote

from ol_om_core.values import value

OperationKind = Literal["pipeline_service", "pipeline", "pipeline_status", "lineage", "query", "usage",
                        "test_definition", "test_case", "test_case_result", "table_profile"]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""``json.dumps`` with these settings, without making an encoder for each call."""


def _c_encoder() -> Callable[[Any], str]:
    """``_ENCODER.encode`` of a dict, through the C encoder made once: ``encode`` makes a new one for every call, a
    third of the cost of rendering a run status. It skips the check for circular references, which the bodies
    (trees the core builds) never have; without the C accelerator, ``_ENCODER.encode`` itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return _ENCODER.encode
    encode = make(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda obj: "".join(encode(obj, 0))


_encode = _c_encoder()
_encode_str = json.encoder.encode_basestring
"""A string as ``_encode`` writes it (``ensure_ascii=False``): the very function it calls."""


@value
class Operation:
    kind: OperationKind
    method: str
    path: str
    body: Mapping[str, Any]
    subject: tuple[str, ...] = field(kw_only=True, compare=False)
    """What the call writes, by the FQNs that name it (a pipeline's FQN; a run's pipeline FQN and timestamp; an
    edge's two ends): two operations of one kind and subject write the same thing, the later superseding the
    earlier, so the sink coalesces by them without reading the path or body back."""
    depends_on: str = field(default="", kw_only=True, compare=False)
    """The FQN of the service or pipeline that must exist before this call can succeed ("" for none): the sink
    holds the call back when that one was not written."""
    key: int = field(default=0, compare=False)
    """The translator's de-duplication key (see ``Translator.forget``); by default the hash of ``json``."""
    entities: tuple[EntityHint, ...] = field(default=(), compare=False, repr=False)
    """What the sink needs to find (or create) each entity the body names by FQN; not part of the call."""
    whole: bool = field(default=False, compare=False, repr=False)
    """The body says all there is about its subject (a run status built from the run's first event on): the sink
    need not merge it with what OpenMetadata holds."""
    _json: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", hash(self.json))

    @property
    def json(self) -> str:
        """The call as one line of JSON (the dry-run format), rendered on first use only: a stream's run statuses
        mostly supersede each other within a batch and are never rendered at all."""
        if self._json is None:
            # to_dict() encoded, with its three keys written as they always come out: the encoder makes a list of the
            # items of each dict it meets, and this one is the same for every call.
            method, path = _encode_str(self.method), _encode_str(self.path)
            object.__setattr__(self, "_json", f'{{"method":{method},"path":{path},"body":{_encode(self.body)}}}')
        assert self._json is not None
        return self._json

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}

    def fingerprint(self) -> str:
        """Identical calls have identical fingerprints (bodies are built in a fixed key order)."""
        return self.json


@value
class EntityHint:
    """A dataset the body refers to by ``fullyQualifiedName``, with what the core knows beyond the FQN."""

    type: str
    fqn: str
    alternatives: tuple[str, ...] = ()
    """Other candidate FQNs, best first."""
    service_inferred: bool = False
    """No configuration named the service: the sink may look for the entity under any service."""
    columns: tuple[tuple[str, str], ...] = ()
    """``(name, type)`` from the dataset's ``schema`` facet, for creating the entity when configured to."""


def entity_ref(entity_type: str, fqn: str) -> dict[str, str]:
    """A reference the sink resolves to ``{"id", "type"}``."""
    return {"type": entity_type, "fullyQualifiedName": fqn}


def fqn_path(fqn: str) -> str:
    """An FQN as one URL path segment: nothing in it (``/``, ``?``, ``#``, ``..``, quotes) escapes the segment."""
    return quote(fqn, safe="")
