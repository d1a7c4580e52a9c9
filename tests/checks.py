"""Assertions shared by the corpus and fuzz tests."""

from __future__ import annotations

from ol_om_core.operations import Operation
from ol_om_core.translate import Translation

METHODS = {"PUT", "POST", "PATCH", "DELETE"}


def check_translation(translation: Translation) -> None:
    """A translation is a tuple of OpenMetadata calls: known methods, paths under the API base."""
    assert isinstance(translation, Translation)
    for op in translation.operations:
        assert isinstance(op, Operation), op
        assert op.method in METHODS, op
        assert op.path.startswith("/v1/"), op
