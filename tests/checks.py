"""Assertions shared by the corpus and fuzz tests."""

from __future__ import annotations

from ol_om_core.operations import Operation
from ol_om_core.translate import Translation

METHODS = {"PUT", "POST", "PATCH", "DELETE"}


def check_translation(translation: Translation) -> None:
    """A translation is a tuple of OpenMetadata calls: known methods, paths under the API base, each call (and what
    the sink is told about its entities) encodable as UTF-8, so that it can be sent."""
    assert isinstance(translation, Translation)
    for op in translation.operations:
        assert isinstance(op, Operation), op
        assert op.method in METHODS, op
        assert op.path.startswith("/v1/"), op
        op.json.encode("utf-8")
        for hint in op.entities:
            "".join([hint.type, hint.fqn, *hint.alternatives, *(t for column in hint.columns for t in column)]
                    ).encode("utf-8")
