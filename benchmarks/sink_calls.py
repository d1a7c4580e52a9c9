"""Benchmark of the OpenMetadata sink (a command, not a test): ./dev bench sink [--replays N] [--latency S] [--usage]

The whole-event corpus, replayed N times through parse + translate + the sink into the OpenMetadata stand-in
(every dataset the events name exists in it, as in a catalogued warehouse), in batches as a consumer would poll.

1. Calls per event. "same runs": the same events again (redelivery after a crash, a replayed topic) — the
   steady state is what passes 2..N cost. "new runs": each replay is a new run of every job (fresh run ids), the
   steady state of a live stream. Target <= 0.5 calls per event in the steady state.
2. Events/s with the stand-in answering every call after ``--latency`` seconds (10 ms by default). Target >= 500.

``--usage`` turns on queries and usage (``includeQueries``, ``includeUsage``; off by default): each new run then
costs a usage call per table and day per batch, and each new query one lookup and one write.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from ol_om import Runner
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract.sources import Record
from ol_om_core.parse import parse
from ol_om_core.translate import Translator
from ol_om_sink import OpenMetadataSink
from ol_om_sink.config import load
from ol_om_sink.testing.standin import OpenMetadataStandIn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from core_throughput import CORPUS, whole_events, with_fresh_run_ids


def seed_datasets(om: OpenMetadataStandIn, events: list[bytes]) -> None:
    """Create every table, topic and container the events' lineage names, as a catalogued estate holds them."""
    translator = Translator()
    for data in events:
        for op in translator.translate(parse(data)).operations:
            for hint in op.entities:
                om.seed_dataset(hint)


def new_runs(events: list[bytes], replays: int) -> list[bytes]:
    """Each replay a new run of every job, a day later: fresh run ids and times (a run's status is keyed by time)."""
    stream = with_fresh_run_ids(events, replays)
    return [_shifted(data, timedelta(days=n // len(events))) for n, data in enumerate(stream)]


def _shifted(data: bytes, offset: timedelta) -> bytes:
    event = json.loads(data)
    _shift(event, offset)
    return json.dumps(event).encode()


def _shift(node: object, offset: timedelta) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("eventTime", "nominalStartTime", "nominalEndTime") and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    node[key] = (datetime.fromisoformat(value.replace("Z", "+00:00")) + offset).isoformat()
            else:
                _shift(value, offset)
    elif isinstance(node, list):
        for item in node:
            _shift(item, offset)


def run(events: list[bytes], replays: int, fresh_runs: bool, latency: float, batch: int, *,
        config: TranslatorConfig | None = None) -> dict[str, float]:
    with OpenMetadataStandIn(token=None, validate=False) as om:
        seed_datasets(om, events)
        om.faults.latency(latency)
        sink = OpenMetadataSink(load({"hostPort": om.url, "authProvider": "no-auth", "concurrency": 16}, environ={}))
        sink.start()
        runner = Runner(Translator(config), sink)
        stream = new_runs(events, replays) if fresh_runs else events * replays
        first_pass_calls = 0
        started = time.perf_counter()
        # The first pass and the rest are batched apart, so the steady state counts the calls of passes 2..N only.
        for start, end in ((0, len(events)), (len(events), len(stream))):
            for offset in range(start, end, batch):
                chunk = stream[offset:min(offset + batch, end)]
                runner.run_batch([Record(f"bench:{offset + n}", value) for n, value in enumerate(chunk)])
            if start == 0:
                first_pass_calls = sink.counters.calls()
        elapsed = time.perf_counter() - started
        total = sink.counters.calls()
        sink.close()
    steady_events = len(stream) - len(events)
    return {"events": len(stream), "calls": total, "per_event": total / len(stream),
            "steady_per_event": (total - first_pass_calls) / steady_events if steady_events else 0.0,
            "events_per_s": len(stream) / elapsed, "dead_letters": runner.progress.dead_letters}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replays", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.010, help="seconds the stand-in waits per call")
    parser.add_argument("--batch", type=int, default=500, help="events per delivery (a consumer's poll)")
    parser.add_argument("--usage", action="store_true", help="with includeQueries and includeUsage on")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if not CORPUS.is_dir():
        sys.exit(f"the corpus folder {CORPUS} is absent (set OL_OM_CORPUS)")
    events = whole_events()
    config = TranslatorConfig(include_queries=True, include_usage=True) if args.usage else None
    print(f"{len(events)} whole events from {CORPUS}, replayed {args.replays}x, batches of {args.batch}, "
          f"stand-in latency {args.latency * 1000:.0f} ms" + (", queries and usage on" if args.usage else ""))
    for label, fresh in (("same runs", False), ("new runs", True)):
        figures = run(events, args.replays, fresh, args.latency, args.batch, config=config)
        print(f"  {label:9}  {figures['events']:6} events  {figures['calls']:6} calls  "
              f"{figures['per_event']:.3f} calls/event overall  {figures['steady_per_event']:.3f} in the steady "
              f"state (target <= 0.5)  {figures['events_per_s']:7.0f} events/s (target >= 500)  "
              f"dead letters {figures['dead_letters']}")


if __name__ == "__main__":
    main()
