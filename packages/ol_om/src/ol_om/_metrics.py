"""Prometheus text format for the runner's and the sink's counters, and a small server for ``ol-om run``.

``ol-om serve`` answers ``/metrics`` on its own port (with the receiver's counters first); ``ol-om run
--metrics-port N`` starts ``MetricsServer`` for the other sources (Kafka), with ``/healthz`` beside it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ol_om._runner import Progress

log = logging.getLogger("ol_om")

_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "PATCH"})


def metric(name: str, kind: str, text: str, samples: Sequence[tuple[str, float]]) -> list[str]:
    return [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *(f"{name}{labels} {value}" for labels, value in samples)]


def runner_metrics(progress: Progress) -> list[str]:
    lines: list[str] = []
    for name, text, value in (
        ("events", "Events the runner read.", progress.events),
        ("rejected", "Events the runner could not use.", progress.rejected),
        ("dead_letters", "Events or calls dead-lettered.", progress.dead_letters),
        ("notices", "Datasets or columns OpenMetadata lacks.", progress.notices),
        ("waits", "Waits for OpenMetadata (down or throttling).", progress.retries),
    ):
        lines += metric(f"ol_om_runner_{name}_total", "counter", text, [("", value)])
    if progress.lag is not None:
        lines += metric("ol_om_runner_lag", "gauge", "Events behind the end of the stream, at the last report.",
                        [("", progress.lag)])
    if progress.behind_ms is not None:
        lines += metric("ol_om_runner_behind_seconds", "gauge",
                        "How far behind the tip of the stream the last read was, at the last report.",
                        [("", progress.behind_ms / 1000)])
    return lines


def sink_metrics(counts: Mapping[str, int]) -> list[str]:
    """``PUT lineage`` -> ``ol_om_sink_calls_total{call="PUT lineage"}``; ``cache hits`` ->
    ``ol_om_sink_cache_hits_total``."""
    calls = [(f'{{call="{name}"}}', n) for name, n in counts.items() if name.split(" ")[0] in _HTTP_METHODS]
    lines = metric("ol_om_sink_calls_total", "counter", "Calls made to OpenMetadata, by kind.", calls)
    for name, value in counts.items():
        if name.split(" ")[0] not in _HTTP_METHODS:
            series = "ol_om_sink_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + "_total"
            lines += metric(series, "counter", f"The sink's {name!r} counter.", [("", value)])
    return lines


class MetricsServer:
    """``GET /metrics`` (Prometheus text) and ``GET /healthz`` on a port of their own, in daemon threads."""

    def __init__(self, host: str, port: int, render: Callable[[], str]) -> None:
        handler = type("_Handler", (_Handler,), {"render": staticmethod(render)})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ol-om-metrics", daemon=True)
        self._thread.start()
        log.info("metrics at http://%s:%d/metrics", host, self.port)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    render: Callable[[], str]

    def do_GET(self) -> None:
        if self.path == "/metrics":
            self._send(200, self.render(), "text/plain; version=0.0.4; charset=utf-8")
        elif self.path == "/healthz":
            self._send(200, '{"status": "ok"}', "application/json")
        else:
            self._send(404, '{"code": 404, "message": "only /metrics and /healthz"}', "application/json")

    def _send(self, status: int, text: str, content_type: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes every few seconds are not news
