"""An operation renders as ``json.dumps`` would (no ASCII escaping, no spaces), whatever its body holds."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ol_om_core.operations import Operation

TEXT = st.text(st.characters(exclude_categories=()))  # lone surrogates too: JSON can carry them escaped
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, JSON, max_size=5), TEXT, st.sampled_from(["PUT", "POST", "PATCH"]) | TEXT)
def test_an_operation_renders_as_json_dumps(body: dict[str, Any], path: str, method: str) -> None:
    op = Operation("pipeline", method, path, body, subject=("s",))
    assert op.json == json.dumps({"method": method, "path": path, "body": body}, ensure_ascii=False,
                                 separators=(",", ":"))
