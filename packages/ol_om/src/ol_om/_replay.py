"""``ol-om replay DEAD_LETTERS --config FILE``: dead-lettered events again, once their cause is fixed.

The events of a dead-letter file (as ``ol-om run`` writes it) go through the translator and the configured sink
again; what still fails is written to a new dead-letter file, with today's reason. An event that several refused
calls dead-lettered is replayed once. (A dead-letter *topic* holds the original bytes: point a ``kafka`` source at
it to replay it.)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ol_om._runner import DeadLetterFile, Runner
from ol_om.sources import FiniteSource
from ol_om_core.contract.sinks import Sink
from ol_om_core.contract.sources import Record
from ol_om_core.errors import ConfigError
from ol_om_core.redact import safe
from ol_om_core.translate import Translator


class DeadLetterSource(FiniteSource):
    """The events of a dead-letter file, each at its original position; letters without the event are counted."""

    def __init__(self, path: str | Path, stop: threading.Event | None = None) -> None:
        super().__init__(stop)
        self.path = Path(path)
        self.without_event = 0

    def records(self) -> list[Record]:
        seen: dict[str, Record] = {}
        try:
            # "\n" only: a reason may hold U+2028 or NEL, which splitlines() would take for line ends
            lines = self.path.read_text(encoding="utf-8").split("\n")
        except OSError as exc:
            raise ConfigError("", f"cannot read dead letters {self.path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError("", f"{self.path} is not a dead-letter file: byte {exc.start} is not UTF-8") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                letter = json.loads(line)
                position, event = letter.get("position") or f"{self.path}:{number}", letter.get("event")
            except (ValueError, AttributeError):
                raise ConfigError("", f"{self.path}:{number} is not a dead letter written by ol-om") from None
            if isinstance(event, str):
                seen.setdefault(str(position), Record(str(position), event.encode()))
            else:
                self.without_event += 1
        return list(seen.values())


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    still_failing: int
    without_event: int
    remaining: Path


def replay(letters: str | Path, translator: Translator, sink: Sink, remaining: str | Path) -> ReplayResult:
    if Path(remaining).resolve() == Path(letters).resolve():
        raise ConfigError("--remaining", "must not be the dead-letter file being replayed")
    Path(remaining).unlink(missing_ok=True)  # today's failures only
    source = DeadLetterSource(letters)
    writer = DeadLetterFile(remaining)
    try:
        progress = Runner(translator, sink, writer).run(source)
    finally:
        writer.close()
    failing = {json.loads(line)["position"] for line in Path(remaining).read_text(encoding="utf-8").split("\n")
               if line.strip()} if Path(remaining).exists() else set()
    return ReplayResult(progress.events, len(failing), source.without_event, Path(remaining))


def report(result: ReplayResult, out: TextIO) -> None:
    out.write(f"replayed {result.events} dead-lettered events: {result.events - result.still_failing} written, "
              f"{result.still_failing} still failing\n")
    if result.without_event:
        out.write(f"{result.without_event} dead letters carried no event to replay\n")
    if result.still_failing:
        out.write(f"still failing, with today's reasons: {result.remaining}\n")
        for line in result.remaining.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            letter = json.loads(line)
            out.write(f"  {safe(str(letter['position']))}: {safe(str(letter['reason']))}\n")
