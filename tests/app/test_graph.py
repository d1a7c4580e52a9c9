"""``ol-om graph``: the lineage graph of a dry-run, and its Mermaid, DOT and HTML renderings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from importlib.resources import files
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ol_om._cli import main
from ol_om._demo import example_events
from ol_om._graph import Graph, build_graph, format_for, read_call, to_dot, to_html, to_mermaid
from ol_om._graph_html import layout
from ol_om.sinks import run_dry
from ol_om.sinks._dryrun import DryRunSink
from ol_om_core.translate import Translator

# Everything that has broken a renderer somewhere: quotes, markup, brackets, newlines, backticks, entities.
HOSTILE = 'x"y\'<script>alert(1)</script>]`|{}\n#quot;&amp;%%;-->end\\N'


def demo_calls() -> list[dict[str, Any]]:
    out = StringIO()
    run_dry(example_events(), Translator(), DryRunSink(out, StringIO()))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def lineage(source: str, target: str, pipeline: str | None = "svc.job", columns: list[Any] | None = None, *,
            source_type: str = "table", target_type: str = "table") -> dict[str, Any]:
    details: dict[str, Any] = {"source": "OpenLineage"}
    if pipeline:
        details["pipeline"] = {"type": "pipeline", "fullyQualifiedName": pipeline}
    if columns is not None:
        details["columnsLineage"] = columns
    return {"method": "PUT", "path": "/v1/lineage", "body": {"edge": {
        "fromEntity": {"type": source_type, "fullyQualifiedName": source},
        "toEntity": {"type": target_type, "fullyQualifiedName": target}, "lineageDetails": details}}}


def status(pipeline_path: str, timestamp: int, state: str) -> dict[str, Any]:
    return {"method": "PUT", "path": f"/v1/pipelines/{pipeline_path}/status",
            "body": {"timestamp": timestamp, "executionStatus": state, "taskStatus": []}}


def hostile_graph() -> Graph:
    name = f"svc.db.s.{HOSTILE}"
    column = {"fromColumns": [f"{name}.{HOSTILE}"], "toColumn": f"svc.db.s.t.{HOSTILE}", "function": HOSTILE}
    return build_graph([
        lineage(name, "svc.db.s.t", f"svc.{HOSTILE}", [column], source_type=HOSTILE),
        lineage("svc.db.s.t", f"svc.{HOSTILE}", f"svc.{HOSTILE}", target_type="pipeline"),
        status("svc.%3Cscript%3E", 1, "<script>Failed</script>"),
    ])


# The model ---------------------------------------------------------------------------------------------------


def test_demo_events_make_the_expected_graph() -> None:
    graph = build_graph(demo_calls())
    kinds = sorted(node.type for node in graph.nodes)
    assert kinds == ["container", "pipeline", "table", "table", "table", "table", "table", "table", "topic", "topic"]
    assert len(graph.edges) == 6
    assert sum(len(edge.columns) for edge in graph.edges) == 12
    first = graph.edges[0]
    assert (first.source.fqn, first.target.fqn) == ("postgres.shop.public.orders", "postgres.shop.staging.orders_clean")
    assert ("amount", "amount_eur", "derived from amount") in [(c.source, c.target, c.function) for c in first.columns]
    assert first.source.columns == ["amount", "created_at", "customer_id", "id"]
    assert graph.status == {
        "airflow_openlineage.airflow-prod-orders_etl": "Failed",
        "spark_openlineage.spark-prod-sales_enrich": "Successful",
        "dbt_openlineage.dbt-dbt-run-jaffle_shop": "Successful",
        "flink_openlineage.flink-prod-clickstream_sessionizer": "Pending",
    }
    assert graph.pipeline_label(first) == "airflow-prod-orders_etl (Failed)"
    # The Airflow notify task only reads: the pipeline is a node at the end of a one-sided edge, without a label.
    one_sided = [edge for edge in graph.edges if edge.target.type == "pipeline"]
    assert [(e.source.fqn, e.target.fqn) for e in one_sided] == [
        ("postgres.shop.analytics.daily_orders", "airflow_openlineage.airflow-prod-orders_etl")]
    assert graph.pipeline_label(one_sided[0]) is None


def test_the_last_call_for_an_edge_gives_its_columns() -> None:
    early = [{"fromColumns": ["s.a.x"], "toColumn": "s.b.x"}]
    late = [{"fromColumns": ["s.a.x", "s.a.y"], "toColumn": "s.b.z", "function": "sum"}]
    graph = build_graph([lineage("s.a", "s.b", columns=early), lineage("s.a", "s.b", columns=late)])
    assert len(graph.edges) == 1
    assert [(c.source, c.target, c.function) for c in graph.edges[0].columns] == [("x", "z", "sum"), ("y", "z", "sum")]
    assert graph.nodes[0].columns == ["x", "y"]


def test_two_pipelines_writing_the_same_table_are_two_edges() -> None:
    graph = build_graph([lineage("s.a", "s.b", "svc.one"), lineage("s.a", "s.b", "svc.two")])
    assert [edge.pipeline for edge in graph.edges] == ["svc.one", "svc.two"]
    assert len(graph.nodes) == 2


def test_the_latest_run_gives_the_status() -> None:
    graph = build_graph([status("svc.job", 200, "Successful"), status("svc.job", 100, "Failed"),
                         status("svc.job", 200, "Failed"), lineage("s.a", "s.b")])
    assert graph.status == {"svc.job": "Failed"}  # the run at 200, as last reported; the older run does not count


def test_a_pipeline_without_lineage_is_a_node_with_its_status() -> None:
    graph = build_graph([
        {"method": "PUT", "path": "/v1/pipelines", "body": {"name": "a.b", "service": "svc", "tasks": []}},
        status("svc.%22a.b%22", 1, "Skipped"),
    ])
    assert [(node.type, node.fqn) for node in graph.nodes] == [("pipeline", 'svc."a.b"')]
    assert graph.status == {'svc."a.b"': "Skipped"}
    assert 'svc.&quot;a.b&quot;' in to_html(graph)
    assert "Skipped" in to_mermaid(graph)


def test_column_names_are_unquoted_and_foreign_columns_keep_their_fqn() -> None:
    columns = [{"fromColumns": ['s.a."x.y"', "other.t.c"], "toColumn": "s.b.z"}]
    graph = build_graph([lineage("s.a", "s.b", columns=columns)])
    assert graph.nodes[0].columns == ["x.y", "other.t.c"]


def test_calls_of_the_wrong_shape_are_passed_over() -> None:
    junk: list[Any] = [
        {}, {"method": "PUT", "path": "/v1/lineage", "body": []}, {"method": "PUT", "path": 3, "body": {}},
        {"method": "PUT", "path": "/v1/lineage", "body": {"edge": {"fromEntity": {"type": "table"}}}},
        {"method": "PUT", "path": "/v1/lineage", "body": {"edge": {
            "fromEntity": {"type": "table", "fullyQualifiedName": "a"},
            "toEntity": {"type": "t", "fullyQualifiedName": "b"},
            "lineageDetails": {"pipeline": "nope",
                               "columnsLineage": [1, {"toColumn": 2}, {"toColumn": "b.c", "fromColumns": "a.c"}]}}}},
        {"method": "PUT", "path": "/v1/pipelines", "body": {"name": "", "service": "svc"}},
        {"method": "PUT", "path": "/v1/pipelines/x/status", "body": {"executionStatus": None}},
        {"method": "GET", "path": "/v1/lineage", "body": {}},
    ]
    graph = build_graph(junk)
    assert [(e.source.fqn, e.target.fqn, e.pipeline, e.columns) for e in graph.edges] == [("a", "b", None, [])]
    for render in (to_mermaid, to_dot, to_html):
        assert render(graph)


def test_read_call_tells_calls_from_events() -> None:
    assert read_call(b'{"method": "PUT", "path": "/v1/lineage", "body": {}}') is not None
    assert read_call(json.dumps({"eventType": "START", "run": {}})) is None
    assert read_call("{not json") is None
    assert read_call("[1]") is None


def test_layout_puts_every_edge_left_to_right_and_survives_a_cycle() -> None:
    graph = build_graph(demo_calls())
    boxes = layout(graph)
    for edge in graph.edges:
        assert boxes[edge.target.id].x > boxes[edge.source.id].x
    cycle = build_graph([lineage("s.a", "s.b"), lineage("s.b", "s.a"), lineage("s.a", "s.a")])
    assert set(layout(cycle)) == {"n1", "n2"}
    assert "<svg" in to_html(cycle)


# Renderers on the demo ----------------------------------------------------------------------------------------


def test_mermaid_of_the_demo() -> None:
    text = to_mermaid(build_graph(demo_calls()))
    check_mermaid(text)
    assert text.startswith("flowchart LR\n")
    assert '  subgraph n1["postgres.shop.public.orders (table)"]' in text
    assert '  n1 -->|"airflow-prod-orders_etl (Failed)"| n2' in text
    assert '  n1c1 -.->|"derived from amount"| n2c1' in text
    assert "  class n4 failed" in text


def test_dot_of_the_demo() -> None:
    text = to_dot(build_graph(demo_calls()))
    check_dot(text)
    assert "n1:n1c1:e -> n2:n2c1:w [style=dashed" in text
    assert '<TD PORT="n1c1" ALIGN="LEFT">amount</TD>' in text
    assert "label=<airflow-prod-orders_etl (Failed)>" in text


def test_html_of_the_demo_is_one_offline_page() -> None:
    page = to_html(build_graph(demo_calls()))
    tags = check_html(page)
    assert {"svg", "rect", "path", "text", "table"} <= tags
    assert not re.search(r"\b(?:src|href)\s*=", page)  # nothing to fetch: no scripts, images or style sheets
    assert page.count('<g class="node">') == 10
    assert page.count('<g class="edge">') == 6
    assert page.count('<path class="col ') == 12
    assert "svg:has(.n1c1:hover) .l-n1c1" in page  # hovering a column lights its links
    assert "<li>amount → amount_eur <i>derived from amount</i></li>" in page  # and the table lists them
    assert "#c62828" in page  # the failed run's colour


# Hostile names ------------------------------------------------------------------------------------------------


def test_hostile_names_are_escaped_in_mermaid() -> None:
    text = to_mermaid(hostile_graph())
    check_mermaid(text)
    labels = [decode_mermaid(label) for label in re.findall(r'"([^"]*)"', text)]
    assert any(r"\n" in label and "<script>" in label for label in labels)  # all there, but written safely
    assert "<script" not in text


def test_hostile_names_are_escaped_in_dot() -> None:
    text = to_dot(hostile_graph())
    check_dot(text)
    labels = ["".join(ET.fromstring(f"<L>{label}</L>").itertext()) for label in dot_html_labels(text)]
    assert any(label.endswith(HOSTILE.replace("\n", r"\n")) for label in labels)
    assert "<script" not in text


def test_hostile_names_are_escaped_in_html() -> None:
    graph = hostile_graph()
    assert graph.status == {"svc.<script>": "<script>Failed</script>"}
    page = to_html(graph)
    check_html(page)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_hostile_names_from_events_are_escaped(tmp_path: Path) -> None:
    hostile = {"eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
               "run": {"runId": "6f1c2f6e-3a5b-4d8e-9f00-000000000001"},
               "job": {"namespace": "ns", "name": "<script>alert(1)</script>"},
               "inputs": [{"namespace": "postgres://pg:5432", "name": 'db.s."]`<script>'}],
               "outputs": [{"namespace": "postgres://pg:5432", "name": "db.s.b\n<img src=x onerror=alert(1)>"}]}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(hostile) + "\n")
    for suffix in ("html", "dot", "mmd"):
        assert main(["graph", str(events), "--output", str(tmp_path / f"g.{suffix}")]) == 0
    page = (tmp_path / "g.html").read_text()
    check_html(page)
    assert "<script" not in page.lower() and "<img" not in page
    check_dot((tmp_path / "g.dot").read_text())
    check_mermaid((tmp_path / "g.mmd").read_text())


# The command --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "start"), [("g.html", "<!DOCTYPE html>"), ("g.HTM", "<!DOCTYPE html>"),
                                             ("g.dot", "digraph lineage {"), ("g.gv", "digraph lineage {"),
                                             ("g.mmd", "flowchart LR"), ("g.md", "flowchart LR"),
                                             ("g.txt", "flowchart LR")])
def test_the_output_extension_picks_the_format(tmp_path: Path, name: str, start: str) -> None:
    calls = write_calls(tmp_path)
    assert main(["graph", str(calls), "--output", str(tmp_path / name)]) == 0
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(start)


def test_format_overrides_the_extension_and_stdout_gets_mermaid(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    calls = write_calls(tmp_path)
    assert main(["graph", str(calls), "--format", "dot", "--output", str(tmp_path / "g.html")]) == 0
    assert (tmp_path / "g.html").read_text().startswith("digraph")
    assert main(["graph", str(calls)]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR\n")
    assert format_for(None) == "mermaid"


def test_events_and_their_dry_run_give_the_same_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(files("ol_om").joinpath("examples/demo.jsonl").read_bytes())
    calls = write_calls(tmp_path)
    for fmt in ("mermaid", "dot", "html"):
        assert main(["graph", str(events), "--format", fmt, "--output", str(tmp_path / "from-events")]) == 1
        assert "rejected" in capsys.readouterr().err  # the demo's malformed event, reported as translate does
        assert main(["graph", str(calls), "--format", fmt, "--output", str(tmp_path / "from-calls")]) == 0
        assert (tmp_path / "from-events").read_text() == (tmp_path / "from-calls").read_text()


def test_stdin_is_the_default_input(tmp_path: Path) -> None:
    calls = write_calls(tmp_path).read_text()
    result = subprocess.run([sys.executable, "-m", "ol_om", "graph", "--format", "dot"],
                            input=calls, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == to_dot(build_graph(demo_calls()))


def test_an_unreadable_input_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


def test_the_docs_show_the_demo_as_it_is_drawn() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "graph.md"
    block = docs.read_text().split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == to_mermaid(build_graph(demo_calls())), (
        "docs/graph.md is out of date: put the output of `ol-om graph` on the demo events in its mermaid block")


def write_calls(tmp_path: Path) -> Path:
    path = tmp_path / "calls.jsonl"
    path.write_text("".join(json.dumps(call) + "\n" for call in demo_calls()))
    return path


# Syntax checks ------------------------------------------------------------------------------------------------

_LABEL = r'"(?:[A-Za-z0-9 ._\-/,@+=()]|#\d+;|<br/>)*"'  # what a quoted Mermaid label may hold, once escaped
_MERMAID_LINES = [re.compile(p) for p in (
    r"flowchart LR", rf"  n\d+\[{_LABEL}\]", rf"  n\d+\(\[{_LABEL}\]\)", rf"  subgraph n\d+\[{_LABEL}\]",
    rf"    n\d+c\d+\[{_LABEL}\]", r"  end", rf"  n\d+ -->(?:\|{_LABEL}\|)? n\d+",
    rf"  n\d+c\d+ -\.->(?:\|{_LABEL}\|)? n\d+c\d+", r"  class n\d+ (?:successful|failed|pending|skipped|unknown)",
    r"  linkStyle \d+ stroke:#[0-9a-f]{6},stroke-width:2px", r"  classDef \w+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}",
)]


def check_mermaid(text: str) -> None:
    """Every line is one of the few statements the renderer writes, with labels that cannot break out."""
    lines = text.splitlines()
    for line in lines:
        assert any(p.fullmatch(line) for p in _MERMAID_LINES), f"not valid here: {line!r}"
    assert sum(line.startswith("  subgraph") for line in lines) == lines.count("  end")
    links = [line for line in lines if "->" in line]
    assert all(int(line.split()[1]) < len(links) for line in lines if line.startswith("  linkStyle"))
    defined = set(re.findall(r"^ +(n\d+(?:c\d+)?)\b(?! -)", text, re.MULTILINE)) | set(
        re.findall(r"^  subgraph (n\d+)", text, re.MULTILINE))
    for line in links:
        source, *_, target = line.split()
        assert {source, target} <= defined, line


def decode_mermaid(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)


def dot_html_labels(text: str) -> list[str]:
    """The HTML-like labels (``<...>``, nested), each as written between its outer angle brackets."""
    labels = []
    for match in re.finditer(r"label=<", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"<": 1, ">": -1}.get(text[i], 0)
            i += 1
        labels.append(text[match.end():i - 1])
    return labels


def check_dot(text: str) -> None:
    if shutil.which("dot"):
        result = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False)
        assert result.returncode == 0 and not result.stderr, result.stderr
    # Without Graphviz (and with it): statements of the expected shape, and HTML labels that are well-formed XML.
    for label in dot_html_labels(text):
        ET.fromstring(f"<L>{label}</L>")
    stripped = re.sub(r"label=<", "label=", text)
    for label in dot_html_labels(text):
        stripped = stripped.replace(label + ">", "LABEL", 1)
    lines = stripped.splitlines()
    assert lines[0] == "digraph lineage {" and lines[-1] == "}"
    attrs = r'\[(?:[a-z]+=(?:"[^"\n]*"|[\w.]+|LABEL)(?:, )?)*\];'
    for line in lines[1:-1]:
        assert re.fullmatch(rf'  (?:rankdir=LR;|(?:node|edge) {attrs}|n\d+ {attrs}|'
                            rf'n\d+(?::n\d+c\d+:[ew])? -> n\d+(?::n\d+c\d+:[ew])? {attrs})', line), line


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        assert not any(name.startswith("on") for name, _ in attrs), attrs


def check_html(page: str) -> set[str]:
    """Only the elements the renderer writes, with no event handlers: nothing from the data became markup."""
    parser = _Tags()
    parser.feed(page)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span", "svg", "defs", "marker",
               "path", "g", "rect", "text", "tspan", "table", "tr", "th", "td", "ul", "li", "i", "br"}
    assert parser.tags <= allowed, parser.tags - allowed
    assert "<script" not in page.lower()
    return parser.tags
