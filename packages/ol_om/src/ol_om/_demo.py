"""``ol-om demo`` without a broker: the example events translated, and what OpenMetadata would then hold.

The live demo (a broker, the OpenMetadata stand-in, ol-om between them) is ``ol_om._demo_live``, loaded only
when the ``demo`` extra is installed.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from importlib.resources import files
from importlib.util import find_spec
from io import StringIO
from typing import Any, TextIO
from urllib.parse import unquote

from ol_om._workflow import EXIT_REJECTED
from ol_om.sinks import DryRunSink, run_dry
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract.sources import Record
from ol_om_core.translate import Translator

DEMO_TRANSLATOR = TranslatorConfig(include_queries=True, include_usage=True)
"""The demos show all ol-om writes: queries and usage too, which are off unless configured."""


def example_events() -> list[Record]:
    """The example events ol-om ships (``examples/demo.jsonl``), one malformed on purpose."""
    text = files("ol_om").joinpath("examples/demo.jsonl").read_bytes()
    return [Record(f"demo.jsonl:{n}", line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def demo(as_json: bool = False, dry_run: bool = False) -> int:
    """``ol-om demo``: the live demo when its extra is installed (and not asked for JSON or a dry run), else the
    dry run's summary."""
    if not (as_json or dry_run) and find_spec("ol_om_kafka") is not None:
        try:
            from ol_om._demo_live import run as live_demo  # broker + stand-in + ol-om, on loopback
        except ImportError as exc:
            print(f"ol-om: {exc.name} is missing for the full demo (pip install 'ol-om[demo]'); "
                  "showing the dry-run instead", file=sys.stderr)
        else:
            return live_demo()
    return demo_command(as_json=as_json)


def demo_command(as_json: bool, out: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    calls, problems = StringIO(), StringIO()
    sink = DryRunSink(calls, problems)
    records = example_events()
    run_dry(records, Translator(DEMO_TRANSLATOR), sink)
    if as_json:
        out.write(calls.getvalue())
        sys.stderr.write(problems.getvalue())
        return 0
    operations = [json.loads(line) for line in calls.getvalue().splitlines()]
    reports = [json.loads(line) for line in problems.getvalue().splitlines()]
    out.write(summary(len(records), operations, reports))
    # The demo ships one malformed event on purpose; anything else rejected is a real failure.
    kinds = Counter(r["kind"] for r in reports)
    return 0 if kinds["rejected"] == 1 and not kinds["error"] else EXIT_REJECTED


def summary(events: int, operations: list[dict[str, Any]], reports: list[dict[str, str]]) -> str:
    """What OpenMetadata would hold after these calls: the last word on each pipeline and run, every edge."""
    kinds = Counter(_kind(op) for op in operations)
    lines = [f"ol-om dry-run: {events} events -> {len(operations)} OpenMetadata calls ("
             + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) + ")", ""]
    pipelines: dict[str, dict[str, Any]] = {}
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    for op in operations:
        body = op["body"]
        if _kind(op) == "pipeline":
            pipelines[f"{body['service']}.{body['name']}"] = body
        elif _kind(op) == "pipeline status":
            runs[(unquote(op["path"].split("/")[3]), body["timestamp"])] = body
    lines.append("Pipelines (tasks) and their runs:")
    for fqn, body in pipelines.items():
        tasks = ", ".join(t["name"] for t in body.get("tasks", [])) or "no tasks"
        lines.append(f"  {fqn}  ({tasks})")
        for (run_fqn, _), run in runs.items():
            if run_fqn == fqn:
                tasks = ", ".join(f"{t['name']}={t['executionStatus']}" for t in run["taskStatus"])
                lines.append(f"      run {run['executionId'][:13]}…  {run['executionStatus']}"
                             + (f"  [{tasks}]" if tasks else ""))
    lines += ["", "Lineage:"]
    for op in operations:
        if _kind(op) == "lineage":
            edge = op["body"]["edge"]
            columns = len(edge.get("lineageDetails", {}).get("columnsLineage", []))
            lines.append(f"  {_name(edge['fromEntity'])} -> {_name(edge['toEntity'])}"
                         + (f"  ({columns} column mappings)" if columns else ""))
    lines += _data_quality(operations)
    lines += _queries_and_usage(operations)
    if reports:
        lines += ["", "Not written:"]
    for report in reports:
        if report["kind"] == "rejected":
            lines.append(f"  rejected  {report['position']}  {report['path']}: {report['reason']}")
        elif report["kind"] == "error":
            lines.append(f"  error  {report['position']}  {report['reason']}")
        else:
            lines.append(f"  unresolved  {report['namespace']} {report['name']}: {report['reason']}")
    lines.append("")
    return "\n".join(lines)


def _data_quality(operations: list[dict[str, Any]]) -> list[str]:
    """Each test case's last result: what the producer asserted about a table (dbt tests)."""
    results = {unquote(op["path"].rsplit("/", 1)[1]): op["body"] for op in operations if _kind(op) == "test result"}
    lines = ["", "Data quality (test cases and their last result):"] if results else []
    lines += [f"  {case}  {body['testCaseStatus']}" for case, body in results.items()]
    return lines


def _queries_and_usage(operations: list[dict[str, Any]]) -> list[str]:
    """The last word on each query, and each table's uses per day (``includeQueries``, ``includeUsage``)."""
    queries = {(op["body"]["service"], op["body"]["name"]): op["body"] for op in operations if _kind(op) == "query"}
    uses: Counter[tuple[str, str]] = Counter()
    for op in operations:
        if _kind(op) == "usage":
            uses[(unquote(op["path"].rsplit("/", 1)[1]), op["body"]["date"])] += op["body"]["count"]
    lines = ["", "Queries:"] if queries else []
    for (service, name), body in queries.items():
        tables = ", ".join(ref["fullyQualifiedName"] for ref in body["queryUsedIn"])
        lines.append(f"  {service}.{name[:8]}…  {' '.join(body['query'].split())[:60]}  (used in {tables})")
    lines += ["", "Usage:"] if uses else []
    lines += [f"  {table}  {count} on {day}" for (table, day), count in sorted(uses.items())]
    return lines


def _kind(op: dict[str, Any]) -> str:
    path = str(op["path"])
    if path.endswith("/status"):
        return "pipeline status"
    if path.startswith("/v1/usage/"):
        return "usage"
    if path.startswith("/v1/dataQuality/testCases/testCaseResults/"):
        return "test result"
    if path.endswith("/tableProfile"):
        return "table profile"
    return {"/v1/services/pipelineServices": "pipeline service", "/v1/pipelines": "pipeline",
            "/v1/lineage": "lineage", "/v1/queries": "query", "/v1/dataQuality/testCases": "test case",
            "/v1/dataQuality/testDefinitions": "test definition"}.get(path, path)


def _name(ref: dict[str, str]) -> str:
    return f"{ref['type']}:{ref['fullyQualifiedName']}"
