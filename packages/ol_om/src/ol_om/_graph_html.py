"""The lineage graph as one self-contained HTML page: an inline SVG laid out here, no script, no network.

Layout: nodes in columns by depth (the longest path from a source), left to right; datasets are boxes with a
row per column; edges are curves labelled with the pipeline and coloured by its latest run. Hovering an edge
highlights its column links; hovering a column highlights the links that start or end there (CSS ``:has``).
A table under the picture lists every edge with its column mappings, for reading and for long names.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ol_om._graph_model import (
    PIPELINE,
    STATUS_COLOURS,
    UNKNOWN,
    Edge,
    Graph,
    Node,
    pipeline_name,
    visible,
)

CHAR = 7.2  # width of one character of the 12px monospace font the SVG text uses
HEADER, ROW, PAD = 40, 20, 10
GAP_X, GAP_Y, MARGIN = 240, 28, 20
MAX_CHARS, LABEL_CHARS = 56, 32
LINK, HIGHLIGHT = "#78909c", "#1565c0"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    def anchor(self, right: bool, row: int | None = None) -> tuple[float, float]:
        """Where a line leaves (right side) or enters (left side): the header, or the middle of a column row."""
        y = self.y + HEADER / 2 if row is None else self.y + HEADER + row * ROW + ROW / 2
        return (self.x + self.width if right else self.x, y)


def to_html(graph: Graph) -> str:
    boxes = layout(graph)
    width = max((b.x + b.width for b in boxes.values()), default=0) + MARGIN
    height = max((b.y + b.height for b in boxes.values()), default=0) + MARGIN
    colours = sorted({graph.colours(e.pipeline)[0] for e in graph.edges} | {LINK})
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="lineage graph"><defs>',
           *(f'<marker id="a{c[1:]}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             f'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{c}"/></marker>' for c in colours),
           "</defs>"]
    parallel: dict[tuple[str, str], int] = {}
    for edge in graph.edges:
        nth = parallel[(edge.source.id, edge.target.id)] = parallel.get((edge.source.id, edge.target.id), -1) + 1
        svg.append(_edge(graph, edge, boxes, nth))
    svg += [_node(graph, node, boxes[node.id]) for node in graph.nodes]
    svg.append("</svg>")
    return _PAGE.format(style=_style(graph), svg="\n".join(svg), legend=_legend(), table=_table(graph))


def layout(graph: Graph) -> dict[str, Box]:
    columns: dict[int, list[Node]] = {}
    depths = _depths(graph)
    for node in graph.nodes:
        columns.setdefault(depths[node.id], []).append(node)
    boxes: dict[str, Box] = {}
    x = float(MARGIN)
    for depth in sorted(columns):
        width = max(_width(node) for node in columns[depth])
        y = float(MARGIN)
        for node in columns[depth]:
            boxes[node.id] = Box(x, y, width, HEADER + ROW * len(node.columns))
            y += boxes[node.id].height + GAP_Y
        x += width + GAP_X
    return boxes


def _depths(graph: Graph) -> dict[str, int]:
    """Longest path from a source; in a cycle depth stops growing after as many rounds as there are nodes."""
    depth = {node.id: 0 for node in graph.nodes}
    for _ in graph.nodes:
        changed = False
        for edge in graph.edges:
            if edge.source is not edge.target and depth[edge.target.id] <= depth[edge.source.id]:
                depth[edge.target.id] = depth[edge.source.id] + 1
                changed = True
        if not changed:
            break
    return depth


def _width(node: Node) -> float:
    chars = max([len(node.fqn), *(len(c) + 1 for c in node.columns), 16])
    return 2 * PAD + CHAR * min(chars, MAX_CHARS)


def _node(graph: Graph, node: Node, box: Box) -> str:
    kind = node.type
    line, fill = "#90a4ae", "#eef3f8"
    if node.type == PIPELINE:
        line, fill = graph.colours(node.fqn)
        kind += " · " + graph.status.get(node.fqn, "no run seen")
    parts = [f'<g class="node"><title>{_text(node.type + ": " + node.fqn)}</title>',
             f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="6" '
             f'fill="#fff" stroke="{line}" stroke-width="1.5"/>',
             f'<rect x="{box.x + 0.75:.1f}" y="{box.y + 0.75:.1f}" width="{box.width - 1.5:.1f}" '
             f'height="{HEADER - 1.5:.1f}" rx="6" fill="{fill}"/>',
             f'<text class="kind" x="{box.x + PAD:.1f}" y="{box.y + 15:.1f}">{_clip(kind)}</text>',
             f'<text class="fqn" x="{box.x + PAD:.1f}" y="{box.y + 32:.1f}">{_clip(node.fqn)}</text>']
    for row, column in enumerate(node.columns):
        top = box.y + HEADER + row * ROW
        port = node.port(column)
        parts.append(f'<g class="row {port}"><title>{_text(column)}</title><rect x="{box.x + 1:.1f}" '
                     f'y="{top:.1f}" width="{box.width - 2:.1f}" height="{ROW}"/>'
                     f'<text x="{box.x + PAD:.1f}" y="{top + 14:.1f}">{_clip(column)}</text></g>')
    parts.append("</g>")
    return "".join(parts)


def _edge(graph: Graph, edge: Edge, boxes: dict[str, Box], nth: int) -> str:
    source, target = boxes[edge.source.id], boxes[edge.target.id]
    colour = graph.colours(edge.pipeline)[0]
    start, end = source.anchor(right=True), target.anchor(right=False)
    title = f"{edge.source.fqn} → {edge.target.fqn}" + (f" via {edge.pipeline}" if edge.pipeline else "")
    path = _curve(start, end)
    parts = [f'<g class="edge"><title>{_text(title)}</title><path class="hit" d="{path}"/>',
             f'<path class="main" d="{path}" stroke="{colour}" marker-end="url(#a{colour[1:]})"/>']
    if edge.pipeline and graph.pipeline_label(edge):  # the pipeline's name over its status, above mid-curve
        x, y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2 - 20 + 28 * nth
        status = graph.status.get(edge.pipeline, "no run seen")
        parts.append(f'<text class="label" x="{x:.1f}" y="{y:.1f}" fill="{colour}">'
                     f'{_clip(pipeline_name(edge.pipeline), LABEL_CHARS)}'
                     f'<tspan x="{x:.1f}" dy="13">{_clip(status, LABEL_CHARS)}</tspan></text>')
    for link in edge.columns:
        ports = edge.source.port(link.source), edge.target.port(link.target)
        col_start = source.anchor(True, edge.source.columns.index(link.source))
        col_end = target.anchor(False, edge.target.columns.index(link.target))
        about = f"{link.source} → {link.target}" + (f": {link.function}" if link.function else "")
        parts.append(f'<path class="col l-{ports[0]} l-{ports[1]}" d="{_curve(col_start, col_end)}" '
                     f'marker-end="url(#a{LINK[1:]})"><title>{_text(about)}</title></path>')
    parts.append("</g>")
    return "".join(parts)


def _curve(start: tuple[float, float], end: tuple[float, float]) -> str:
    bend = max(40.0, abs(end[0] - start[0]) / 2)
    return (f"M{start[0]:.1f},{start[1]:.1f} C{start[0] + bend:.1f},{start[1]:.1f} "
            f"{end[0] - bend:.1f},{end[1]:.1f} {end[0]:.1f},{end[1]:.1f}")


def _style(graph: Graph) -> str:
    # One rule per column: hovering it lights up its links. Port names are generated (n1c2), never data.
    ports = [node.port(column) for node in graph.nodes for column in node.columns]
    rules = "\n".join(f"svg:has(.{p}:hover) .l-{p} {{stroke:{HIGHLIGHT};stroke-opacity:1;stroke-width:2.5}}"
                      for p in ports)
    return _CSS + rules


def _legend() -> str:
    items = [*STATUS_COLOURS.items(), ("no run seen", UNKNOWN)]
    return "".join(_badge(name, colours) for name, colours in items)


def _badge(status: str, colours: tuple[str, str]) -> str:
    line, fill = colours
    return f'<span class="badge" style="background:{fill};border-color:{line};color:{line}">{_text(status)}</span>'


def _table(graph: Graph) -> str:
    rows = []
    for edge in graph.edges:
        status = graph.status.get(edge.pipeline or "")
        badge = _badge(status, graph.colours(edge.pipeline)) if status else ""
        links = "".join(f"<li>{_text(link.source)} → {_text(link.target)}"
                        + (f" <i>{_text(link.function)}</i>" if link.function else "") + "</li>"
                        for link in edge.columns)
        rows.append(f"<tr><td>{_entity(edge.source)}</td><td>{_entity(edge.target)}</td>"
                    f"<td>{_text(edge.pipeline or '')}</td><td>{badge}</td>"
                    f"<td>{f'<ul>{links}</ul>' if links else ''}</td></tr>")
    return "\n".join(rows)


def _entity(node: Node) -> str:
    return f'<span class="muted">{_text(node.type)}</span><br>{_text(node.fqn)}'


def _text(text: str) -> str:
    """Data as HTML text or attribute value: FQNs come from untrusted events."""
    return escape(visible(text), quote=True)


def _clip(text: str, most: int = MAX_CHARS) -> str:
    """Escaped, and cut to fit the box keeping the end (the table or column name); the title has it whole."""
    text = visible(text)
    return escape(text if len(text) <= most else "…" + text[-(most - 1):], quote=True)


_CSS = """
body{font:14px system-ui,sans-serif;margin:24px;color:#263238}
h1{font-size:18px}
svg{display:block;margin:16px 0;overflow:visible}
svg text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#263238}
svg .kind{font-size:10px;fill:#607d8b}
svg .fqn{font-weight:bold}
.row rect{fill:transparent}
.row:hover rect{fill:#e3f2fd}
.edge path{fill:none}
.edge .main{stroke-width:1.6}
.edge .hit{stroke:transparent;stroke-width:12}
.edge .col{stroke:#78909c;stroke-dasharray:4 3;stroke-opacity:.5}
.edge:hover .main{stroke-width:3}
.edge:hover .col{stroke:#1565c0;stroke-opacity:1;stroke-width:2}
svg text.label{font-size:11px;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:4px}
table{border-collapse:collapse}
td,th{border:1px solid #cfd8dc;padding:4px 8px;text-align:left;vertical-align:top}
td ul{margin:0;padding-left:16px}
.muted{color:#607d8b;font-size:12px}
.badge{display:inline-block;border:1px solid;border-radius:10px;padding:0 8px;margin-right:6px;font-size:12px}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ol-om lineage</title>
<style>{style}
</style>
</head>
<body>
<h1>Lineage</h1>
<p>Last run: {legend} · hover an edge or a column to follow its column lineage.</p>
{svg}
<h2>Edges</h2>
<table>
<tr><th>from</th><th>to</th><th>pipeline</th><th>last run</th><th>column lineage</th></tr>
{table}
</table>
</body>
</html>
"""
