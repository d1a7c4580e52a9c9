"""What the core makes of the corpus and of the producer recordings, pinned by a digest: any change in output fails.

Speed work must leave every call byte-identical. Everything a sink reads is rendered (each call's JSON line, its
subject, dependency, ``whole`` flag and entity hints), with every unresolved dataset, skip reason, notice and
rejection, under the default settings and with every option on. Only ``Operation.key`` is left out: it is a
``hash()`` and differs between processes.

When output changes on purpose, print the new digests with
``.venv/bin/python tests/core/test_golden_output.py`` and commit them with the change that explains them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import CORPUS, SKIP_REASON, corpus_events
from ol_om_core import InvalidEvent, TranslatorConfig, parse
from ol_om_core.config import NamingConfig
from ol_om_core.translate import Translator

PRODUCERS = Path(__file__).resolve().parents[1] / "fixtures" / "producers"
CONFIGS = {
    "default": TranslatorConfig(),
    "everything": TranslatorConfig(include_queries=True, include_usage=True,
                                   naming=NamingConfig(case="lower", platform_services={"postgres": "pg"})),
}
GOLDEN = {
    "corpus/default": "3777:f7b32a3a07385ea48d75947a917d85f252c1da617768d7c9f2b5167c517acf4b",
    "corpus/everything": "3958:6402cd76328206cf37b0ce2001d55c7e75ac720322bd80b86a2c72f913c4b867",
    "producers/default": "185:49881fa544dcb791770a2f5cc01e7f4758b8b1405ba315f3412b9e53acc0a21c",
    "producers/everything": "230:f8989d9d5c1b8fe71ee2568ddcd27d4d989c2f21c574bedfba06f16c31ce7e06",
}


def rendered(events: Iterable[tuple[str, Any]], config: TranslatorConfig) -> Iterator[str]:
    """One line per call and per problem, in order, through one translator."""
    translator = Translator(config)
    for position, raw in events:
        try:
            event = parse(raw)
        except InvalidEvent as exc:
            yield f"{position} rejected {exc.path} {exc.reason}"
            continue
        translation = translator.translate(event)
        for op in translation.operations:
            hints = json.dumps([dataclasses.asdict(hint) for hint in op.entities], ensure_ascii=False)
            yield f"{position} {op.kind} {op.json} {op.subject} {op.depends_on} {op.whole} {hints}"
        for item in translation.unresolved:
            yield f"{position} unresolved {item.identity} {item.reason}"
        if translation.skipped:
            yield f"{position} skipped {translation.skipped}"
        for note in translation.notes:
            yield f"{position} note {note}"


def corpus_input() -> list[tuple[str, Any]]:
    """The corpus in order, twice: the second pass meets every run, pipeline and call again (state, de-duplication)."""
    once = [(f"{path}#{index}", raw) for path, index, _, raw in corpus_events()]
    return once + [(f"again {position}", raw) for position, raw in once]


def producers_input() -> list[tuple[str, Any]]:
    return [(f"{path.relative_to(PRODUCERS)}:{n}", line) for path in sorted(PRODUCERS.glob("*/*.jsonl"))
            for n, line in enumerate(path.read_bytes().splitlines(), 1) if line.strip()]


def digest(lines: Iterable[str]) -> str:
    sha = hashlib.sha256()
    count = 0
    for line in lines:
        sha.update(line.encode("utf-8", "surrogatepass") + b"\n")
        count += 1
    return f"{count}:{sha.hexdigest()}"


def inputs(name: str) -> list[tuple[str, Any]]:
    if name == "corpus":
        if not CORPUS.is_dir():
            pytest.skip(SKIP_REASON)
        return corpus_input()
    return producers_input()


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_output_is_unchanged(case: str) -> None:
    source, config = case.split("/")
    assert digest(rendered(inputs(source), CONFIGS[config])) == GOLDEN[case]


def test_the_everything_settings_produce_more_than_the_defaults() -> None:
    """The second configuration exercises more of the core (queries, usage, folding), not the same output."""
    events = producers_input()
    default = list(rendered(events, CONFIGS["default"]))
    everything = list(rendered(events, CONFIGS["everything"]))
    assert any(" query " in line for line in everything) and not any(" query " in line for line in default)


if __name__ == "__main__":
    for case in sorted(GOLDEN):
        source, config = case.split("/")
        print(f'    "{case}": "{digest(rendered(inputs(source), CONFIGS[config]))}",')
