"""``ol-om graph``: the lineage of a dry-run as Mermaid, Graphviz DOT or a self-contained HTML page.

``build_graph(calls)`` reads the dry-run calls (see ``graph_model``); ``to_mermaid``, ``to_dot`` and ``to_html``
render it. Names come from untrusted events, so no FQN is ever an identifier (nodes are ``n1``, ``n2``…,
columns ``n1c1``…) and every label is escaped for its format.
"""

from __future__ import annotations

import string
from pathlib import Path

from ol_om._graph_html import to_html
from ol_om._graph_model import (
    PIPELINE,
    STATUS_COLOURS,
    UNKNOWN,
    ColumnLink,
    Edge,
    Graph,
    Node,
    build_graph,
    read_call,
    visible,
)

__all__ = ["FORMATS", "ColumnLink", "Edge", "Graph", "Node", "build_graph", "format_for", "read_call", "render",
           "to_dot", "to_html", "to_mermaid"]

FORMATS = ("mermaid", "dot", "html")
_EXTENSIONS = {".html": "html", ".htm": "html", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".md": "mermaid"}


def format_for(output: str | None) -> str:
    """The format an output file's extension asks for; Mermaid when it names none (or there is no file)."""
    return _EXTENSIONS.get(Path(output).suffix.lower(), "mermaid") if output else "mermaid"


def render(graph: Graph, fmt: str) -> str:
    return {"mermaid": to_mermaid, "dot": to_dot, "html": to_html}[fmt](graph)


# Mermaid ------------------------------------------------------------------------------------------------------

# ":" is coded too: Mermaid pre-processes lines like "style...:...#...;" before it parses them.
_MERMAID_PLAIN = frozenset(string.ascii_letters + string.digits + " ._-/,@+=()")


def _mermaid(text: str) -> str:
    """Text for a quoted Mermaid label: anything that could end the string or mean markup is an entity code."""
    return "".join(c if c in _MERMAID_PLAIN else f"#{ord(c)};" for c in visible(text))


def _status_class(status: str | None) -> str:
    return status.lower() if status in STATUS_COLOURS else "unknown"


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    for node in graph.nodes:
        title = _mermaid(f"{node.fqn} ({node.type})")
        if node.type == PIPELINE:
            status = graph.status.get(node.fqn)
            lines.append(f'  {node.id}(["{title}<br/>{_mermaid(status or "no run seen")}"])')
            lines.append(f"  class {node.id} {_status_class(status)}")
        elif node.columns:  # a dataset with columns is a box of column nodes, so column links have ends
            lines.append(f'  subgraph {node.id}["{title}"]')
            lines += [f'    {node.port(c)}["{_mermaid(c)}"]' for c in node.columns]
            lines.append("  end")
        else:
            lines.append(f'  {node.id}["{title}"]')
    # Dataset edges are written first, so the n-th link is graph.edges[n] for linkStyle (which counts links).
    for edge in graph.edges:
        label = graph.pipeline_label(edge)
        arrow = f'-->|"{_mermaid(label)}"|' if label else "-->"
        lines.append(f"  {edge.source.id} {arrow} {edge.target.id}")
    for edge, link in graph.column_links():
        arrow = f'-.->|"{_mermaid(link.function)}"|' if link.function else "-.->"
        lines.append(f"  {edge.source.port(link.source)} {arrow} {edge.target.port(link.target)}")
    lines += [f"  linkStyle {n} stroke:{graph.colours(edge.pipeline)[0]},stroke-width:2px"
              for n, edge in enumerate(graph.edges)]
    lines += [f"  classDef {_status_class(name)} fill:{fill},stroke:{line}"
              for name, (line, fill) in [*STATUS_COLOURS.items(), ("", UNKNOWN)]]
    return "\n".join(lines) + "\n"


# Graphviz DOT -------------------------------------------------------------------------------------------------


def _dot(text: str) -> str:
    """Text for a Graphviz HTML-like label: markup characters and everything beyond ASCII as numeric references."""
    return "".join(f"&#{ord(c)};" if c in "&<>\"'" or not c.isascii() else c for c in visible(text))


def to_dot(graph: Graph) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [shape=plaintext, fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for node in graph.nodes:
        lines.append(f"  {node.id} {_dot_node(graph, node)};")
    for edge in graph.edges:
        line = graph.colours(edge.pipeline)[0]
        label = graph.pipeline_label(edge)
        text = f", label=<{_dot(label)}>" if label else ""
        lines.append(f'  {edge.source.id} -> {edge.target.id} [color="{line}", fontcolor="{line}"{text}];')
    for edge, link in graph.column_links():
        text = f', label=<<FONT POINT-SIZE="8">{_dot(link.function)}</FONT>>' if link.function else ""
        lines.append(f"  {edge.source.id}:{edge.source.port(link.source)}:e -> "
                     f"{edge.target.id}:{edge.target.port(link.target)}:w "
                     f'[style=dashed, color="#78909c", arrowsize=0.6{text}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node(graph: Graph, node: Node) -> str:
    head = f'<FONT POINT-SIZE="9">{_dot(node.type)}</FONT><BR/><B>{_dot(node.fqn)}</B>'
    if node.type == PIPELINE:
        line, fill = graph.colours(node.fqn)
        status = _dot(graph.status.get(node.fqn, "no run seen"))
        return f'[shape=box, style="rounded,filled", color="{line}", fillcolor="{fill}", label=<{head}<BR/>{status}>]'
    rows = "".join(f'<TR><TD PORT="{node.port(c)}" ALIGN="LEFT">{_dot(c)}</TD></TR>' for c in node.columns)
    return (f'[label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            f'<TR><TD BGCOLOR="#eef3f8">{head}</TD></TR>{rows}</TABLE>>]')
