"""FQN quoting, building and splitting: OpenMetadata's examples, pinned regressions and the round-trip property."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ol_om_core import fqn
from ol_om_core.errors import InvalidFQN


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        pytest.param("orders", "orders", id="plain"),
        pytest.param("a.b", '"a.b"', id="dot-is-quoted"),
        pytest.param("orders.v1", '"orders.v1"', id="kafka-topic"),
        pytest.param("raw/a.csv", '"raw/a.csv"', id="object-key-with-dot"),
        pytest.param('"a"', "a", id="quoted-without-dot-loses-quotes"),
        pytest.param('"a.b"', '"a.b"', id="quoted-with-dot-keeps-quotes"),
        pytest.param("my table", "my table", id="space-unquoted"),
        pytest.param("a/b-c:d", "a/b-c:d", id="slash-dash-colon-unquoted"),
        pytest.param("tablé_日本", "tablé_日本", id="unicode-unquoted"),
        # Newest Java rule for a quote inside a name (OpenMetadata PR #28697): wrap and double it. A single quote
        # has no meaning in an FQN.
        pytest.param('a"b', '"a""b"', id="inner-quote-doubled"),
        pytest.param('quo"te\'s', '"quo""te\'s"', id="double-and-single-quote"),
        pytest.param("it's", "it's", id="single-quote-unquoted"),
        pytest.param("a.b's", '"a.b\'s"', id="single-quote-with-dot"),
        pytest.param('"a', '"""a"', id="leading-quote"),
        pytest.param('a"', '"a"""', id="trailing-quote"),
        pytest.param('"', '""""', id="lone-quote"),
        pytest.param('""', '""""""', id="two-quotes-are-a-name"),
        pytest.param('"a""b"', '"a""b"', id="idempotent-on-doubled-quotes"),
    ],
)
def test_quote_name(name: str, quoted: str) -> None:
    assert fqn.quote_name(name) == quoted


def test_quote_name_rejects_empty() -> None:
    with pytest.raises(InvalidFQN):
        fqn.quote_name("")


@pytest.mark.parametrize(
    ("parts", "built"),
    [
        pytest.param(("svc", "default", "bucket", "raw/a.csv"), 'svc.default.bucket."raw/a.csv"', id="datalake"),
        pytest.param(("kafka", "orders.v1"), 'kafka."orders.v1"', id="topic"),
        pytest.param(("svc.v2", "db", "s", "t"), '"svc.v2".db.s.t', id="dotted-service"),
        pytest.param(("svc", "DB", "SCH", "T"), "svc.DB.SCH.T", id="case-kept"),
        pytest.param(("a", '"b.c"', "d"), 'a."b.c".d', id="already-quoted-part"),
    ],
)
def test_build(parts: tuple[str, ...], built: str) -> None:
    assert fqn.build(*parts) == built


@pytest.mark.parametrize("parts", [(), ("svc", ""), ("", "t")], ids=["nothing", "empty-last", "empty-first"])
def test_build_rejects_empty(parts: tuple[str, ...]) -> None:
    with pytest.raises(InvalidFQN):
        fqn.build(*parts)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        pytest.param('a."b.c".d', ["a", "b.c", "d"], id="quoted-middle"),
        pytest.param('"svc.v2".db.s.t', ["svc.v2", "db", "s", "t"], id="quoted-first"),
        pytest.param('kafka."orders.v1"', ["kafka", "orders.v1"], id="quoted-last"),
        pytest.param("single", ["single"], id="one-part"),
        pytest.param('"a""b".c', ['a"b', "c"], id="doubled-quote"),
        pytest.param('"a"', ["a"], id="quoted-without-dot-accepted"),
        pytest.param("my table.x", ["my table", "x"], id="space"),
    ],
)
def test_split(text: str, parts: list[str]) -> None:
    assert fqn.split(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("a..b", id="double-dot"),
        pytest.param(".a", id="leading-dot"),
        pytest.param("a.", id="trailing-dot"),
        pytest.param('a."b', id="unbalanced-quote"),
        pytest.param('a.""', id="empty-quoted-part"),
        pytest.param('a"b.c', id="stray-quote"),
        pytest.param('"a.b"c', id="text-after-closing-quote"),
        pytest.param('"a.b""', id="unbalanced-after-doubling"),
    ],
)
def test_split_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidFQN):
        fqn.split(text)


_names = st.text(
    alphabet=st.sampled_from([".", '"', " ", "/", "a", "B", "é", "日", "-", ":", "_", "1", "\\"]) | st.characters(),
    min_size=1,
    max_size=12,
)
# A part written as "…" is taken as already quoted (OpenMetadata's rule): it is not its own round trip.
_plain_names = _names.filter(lambda part: not (len(part) >= 2 and part[0] == part[-1] == '"'))


@given(st.lists(_plain_names, min_size=1, max_size=5))
@example(['a"b', "c.d", '"e', 'f"'])
@example(['"', ".", '""', '"""'])
@example(["日本.語", "x y", "a/b.parquet"])
@example(["openlineage", 'airflow-quo"te\'s', "a.b", "it's"])
def test_split_inverts_build(parts: list[str]) -> None:
    assert fqn.split(fqn.build(*parts)) == parts


@given(_names)
def test_quote_name_is_idempotent(name: str) -> None:
    once = fqn.quote_name(name)
    assert fqn.quote_name(once) == once


@given(st.lists(_names, min_size=1, max_size=5))
def test_build_output_always_splits(parts: list[str]) -> None:
    # Even already-quoted parts produce an FQN that splits into as many parts.
    assert len(fqn.split(fqn.build(*parts))) == len(parts)


def test_a_pipeline_named_with_both_quotes_round_trips() -> None:
    built = fqn.build("openlineage", 'airflow-quo"te\'s')
    assert built == 'openlineage."airflow-quo""te\'s"'
    assert fqn.split(built) == ["openlineage", 'airflow-quo"te\'s']
    assert fqn.build(*fqn.split(built)) == built
