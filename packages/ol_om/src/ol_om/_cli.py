"""The ``ol-om`` command line.

``ol-om translate [--config FILE] [EVENTS.jsonl|-]``  dry-run: OpenMetadata calls as JSON lines on stdout,
                                                     rejected events and unresolved datasets on stderr.
``ol-om run --config FILE``                           consume the configured source into the configured sink.
``ol-om serve --config FILE``                         the same, with the ``http`` source unless one is named:
                                                     OpenLineage's HTTP transport posts to it, no broker.
``ol-om graph [--output FILE.html|.dot|.mmd] [INPUT|-]``  the lineage of events or of a dry-run's calls, drawn:
                                                     Mermaid, Graphviz DOT or a self-contained HTML page.
``ol-om check --config FILE``                         test the connections, as OpenMetadata's "Test Connection".
``ol-om replay DEAD_LETTERS --config FILE``           dead-lettered events again, once the cause is fixed.
``ol-om demo [--dry-run]``                           the example events through a broker and ol-om into an
                                                     OpenMetadata stand-in (or only translated).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from io import StringIO
from pathlib import Path
from typing import Any

from ol_om import _demo, _logs, _replay
from ol_om import _graph as graph
from ol_om._check import print_table, run_checks
from ol_om._workflow import EXIT_REJECTED, EXIT_SINK, EXIT_USAGE, Workflow, configured_sink
from ol_om.sinks import DryRunSink, run_dry
from ol_om.sources import FileSource, StdinSource
from ol_om_core import configfile
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract.sinks import SinkError
from ol_om_core.errors import ConfigError
from ol_om_core.operations import Operation
from ol_om_core.redact import safe
from ol_om_core.translate import Translator

EXIT_INTERNAL = 70
"""An error ol-om did not expect (a bug): said in one line, as sysexits' EX_SOFTWARE."""


def _seconds(text: str) -> float:
    """``--report-every``: a positive, finite number of seconds (0, negative or nan would log a line a loop)."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _port(text: str) -> int:
    """``--metrics-port``: 0 to 65535, refused here rather than by the socket once the run has started."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ol-om", description="OpenLineage events into OpenMetadata.")
    commands = parser.add_subparsers(dest="command", required=True)
    logs = argparse.ArgumentParser(add_help=False)
    logs.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                      help="default: INFO for run and serve, WARNING otherwise")
    translate = commands.add_parser("translate", parents=[logs],
                                    help="dry-run: print the OpenMetadata calls events become")
    translate.add_argument("events", nargs="?", default="-", help="JSON-lines file of events, or - for stdin")
    translate.add_argument("--config", help="OpenMetadata workflow YAML, or ol-om's own form (YAML/JSON/TOML)")
    run = commands.add_parser("run", parents=[logs], help="consume the configured source into the configured sink")
    run.add_argument("--config", required=True, help="OpenMetadata workflow YAML, or ol-om's own form")
    run.add_argument("--dead-letters", default="ol-om-dead-letters.jsonl",
                     help="JSON-lines file for events that cannot be written (unless the source has its own)")
    run.add_argument("--report-every", type=_seconds, default=30.0, metavar="SECONDS",
                     help="log a progress line (events/s, lag, rejected, dead-lettered) this often")
    run.add_argument("--metrics-port", type=_port, metavar="PORT",
                     help="serve /metrics (Prometheus) and /healthz on 127.0.0.1:PORT while running")
    commands.add_parser("serve", parents=[run], add_help=False,
                        help="run with the http source (POST /api/v1/lineage) unless the config names one")
    again = commands.add_parser("replay", parents=[logs],
                                help="run dead-lettered events again, once the cause is fixed")
    again.add_argument("dead_letters", help="a dead-letter file written by ol-om run")
    again.add_argument("--config", required=True, help="the configuration whose sink to write to")
    again.add_argument("--remaining", help="where what still fails goes (default: DEAD_LETTERS.remaining.jsonl)")
    check = commands.add_parser("check", parents=[logs],
                                help="test the connections: broker, topic, OpenMetadata, services")
    check.add_argument("--config", required=True, help="OpenMetadata workflow YAML, or ol-om's own form")
    draw = commands.add_parser("graph", parents=[logs],
                               help="draw the lineage of events or of a dry-run: Mermaid, DOT or HTML")
    draw.add_argument("input", nargs="?", default="-",
                      help="JSON lines of OpenLineage events or of dry-run calls (ol-om translate), or - for stdin")
    draw.add_argument("--config", help="as for translate: how events name their datasets")
    draw.add_argument("--format", choices=graph.FORMATS,
                      help="default: from --output's extension (.html, .dot/.gv, .mmd/.md), else mermaid")
    draw.add_argument("--output", help="file to write (default: stdout)")
    demo = commands.add_parser("demo", parents=[logs],
                               help="example events: broker -> ol-om -> an OpenMetadata stand-in")
    demo.add_argument("--json", action="store_true", help="print the calls as JSON lines instead of a summary")
    demo.add_argument("--dry-run", action="store_true",
                      help="only translate the example events (the default when ol-om-kafka is not installed)")
    args = parser.parse_args(argv)
    _logs.setup(args.log_level or ("INFO" if args.command in ("run", "serve") else "WARNING"))

    try:
        if args.command == "translate":
            config = configfile.load(args.config).translator if args.config else TranslatorConfig()
            source = StdinSource() if args.events == "-" else FileSource(args.events)
            sink = DryRunSink()
            run_dry(source.records(), Translator(config), sink)
            return EXIT_REJECTED if sink.rejected else 0
        if args.command == "replay":
            return replay_command(args.dead_letters, args.config, args.remaining)
        if args.command == "check":
            checks = run_checks(configfile.load(args.config), args.config)
            print_table(checks, sys.stdout)
            return 0 if all(c.ok for c in checks) else EXIT_REJECTED
        if args.command == "graph":
            return graph_command(args.input, args.config, args.format, args.output)
        if args.command in ("run", "serve"):
            http = {"type": "http"} if args.command == "serve" else None
            return run_command(args.config, args.dead_letters, args.log_level, args.report_every, http,
                               metrics_port=args.metrics_port)
        return _demo.demo(as_json=args.json, dry_run=args.dry_run)
    except ConfigError as exc:
        config_file = getattr(args, "config", None)
        where = f" in {config_file}" if config_file and exc.path else ""  # errors reading the file name it themselves
        print(safe(f"ol-om: configuration error{where}: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(safe(f"ol-om: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug, not bad input (that has its own errors): one line; --log-level DEBUG has more
        logging.getLogger("ol_om").debug("unexpected error", exc_info=True)
        print(safe(f"ol-om: unexpected error: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_INTERNAL


def run_command(config_path: str, dead_letter_path: str, log_level: str, report_every: float = 30.0,
                default_source: Mapping[str, Any] | None = None, *, metrics_port: int | None = None) -> int:
    """``ol-om run``: until the source ends (batch mode) or SIGTERM/SIGINT (drain, commit, exit 0).
    ``default_source`` (``ol-om serve``) fills in a source section that names no type."""
    _logs.setup(log_level)
    run = Workflow.from_config(Path(config_path), default_source=default_source, dead_letters=dead_letter_path,
                               report_every=report_every, metrics_port=metrics_port)
    return run.run(handle_signals=True).exit_status


def replay_command(dead_letters: str, config_path: str, remaining: str | None) -> int:
    """``ol-om replay``: exit 0 when every dead-lettered event is now written, 1 when some still fail."""
    settings = configfile.load(config_path)
    target = remaining or str(Path(dead_letters).with_suffix("")) + ".remaining.jsonl"
    try:
        sink = configured_sink(settings)
        try:
            result = _replay.replay(dead_letters, Translator(settings.translator), sink, target)
        finally:
            sink.close()
    except SinkError as exc:
        logging.getLogger("ol_om").error("stopping: %s", exc)
        return EXIT_SINK
    _replay.report(result, sys.stdout)
    return EXIT_REJECTED if result.still_failing else 0


def graph_command(input_path: str, config_path: str | None, fmt: str | None, output: str | None) -> int:
    """``ol-om graph``: events are translated as ``translate`` does; lines that are already calls are taken as is."""
    config = configfile.load(config_path).translator if config_path else TranslatorConfig()
    source = StdinSource() if input_path == "-" else FileSource(input_path)
    translator, sink = Translator(config), _CallList()
    for record in source.records():
        call = graph.read_call(record.value)
        if call is None:
            run_dry([record], translator, sink)
        else:
            sink.calls_seen.append(call)
    text = graph.render(graph.build_graph(sink.calls_seen), fmt or graph.format_for(output))
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_REJECTED if sink.rejected else 0


class _CallList(DryRunSink):
    """The dry-run sink, keeping the calls (in the dry-run format) instead of printing them; problems go to stderr."""

    def __init__(self) -> None:
        super().__init__(out=StringIO())
        self.calls_seen: list[dict[str, Any]] = []

    def write(self, position: str, operations: Iterable[Operation]) -> None:
        self.calls_seen.extend(json.loads(op.json) for op in operations)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
