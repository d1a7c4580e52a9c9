"""The ``http`` source: OpenLineage's HTTP transport into the runner, through a durable spool."""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import event_v2
from openlineage.client.transport.http import HttpConfig, HttpTransport

from ol_om import Runner
from ol_om.sources._http import HttpSettings, HttpSource, split_events
from ol_om_core.contract import plugins
from ol_om_core.contract.sinks import MemorySink
from ol_om_core.errors import ConfigError
from ol_om_core.translate import Translator

TOKEN = "s3cret-token-DO-NOT-LOG"
WAIT = 10.0


def event(job: str, event_type: str = "COMPLETE") -> dict[str, Any]:
    return {"eventType": event_type, "eventTime": "2026-11-23T10:00:00Z", "producer": "https://example.com/p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "airflow", "name": job}}


def post(source: HttpSource, body: bytes | dict[str, Any] | list[Any], headers: dict[str, str] | None = None,
         path: str = "/api/v1/lineage") -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = http.client.HTTPConnection(source.url.removeprefix("http://"), timeout=WAIT)
    try:
        connection.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def get(source: HttpSource, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(source.url.removeprefix("http://"), timeout=WAIT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def jobs(sink: MemorySink) -> set[str]:
    """The jobs whose pipelines the sink was given."""
    return {op.to_dict()["body"]["name"] for op in sink.operations if op.to_dict()["path"] == "/v1/pipelines"}


class Running:
    """A runner consuming ``source`` into a MemorySink on its own thread."""

    def __init__(self, source: HttpSource, sink: MemorySink | None = None) -> None:
        self.source = source
        self.sink = sink or MemorySink()
        self.runner = Runner(Translator(), self.sink, stop=source.stop)
        self.thread = threading.Thread(target=self.runner.run, args=(source, 3600.0), daemon=True)
        self.thread.start()

    def wait_for(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.01)

    def delivered(self, count: int) -> None:
        self.wait_for(lambda: len(self.sink.acknowledged) >= count)

    def stop(self) -> None:
        self.source.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


def test_one_event_an_array_and_gzip_are_accepted_and_delivered(receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    running = Running(source)
    assert post(source, event("one")) == (201, {"accepted": 1, "rejected": []})
    assert post(source, [event("two"), event("three")]) == (201, {"accepted": 2, "rejected": []})
    packed = gzip.compress(json.dumps(event("four")).encode())
    assert post(source, packed, {"Content-Encoding": "gzip"}) == (201, {"accepted": 1, "rejected": []})
    pretty = json.dumps(event("five"), indent=2).encode()  # line breaks in the body: still one spool line
    assert post(source, pretty)[0] == 201
    running.delivered(5)
    running.stop()
    assert jobs(running.sink) == {"airflow-one", "airflow-two", "airflow-three", "airflow-four", "airflow-five"}
    assert running.sink.acknowledged == [f"spool:1:{n}" for n in range(1, 6)]


def test_bad_events_are_named_and_the_good_ones_of_the_same_array_delivered(
        receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    running = Running(source)
    bad_time = {**event("bad"), "eventTime": "yesterday"}
    status, answer = post(source, [event("good-1"), bad_time, "not an object", event("good-2")])
    assert status == 400 and answer["accepted"] == 2
    assert [(r["index"], r["path"]) for r in answer["rejected"]] == [(1, "$.eventTime"), (2, "$")]
    assert all(r["reason"] for r in answer["rejected"])
    status, answer = post(source, b"{not json")
    assert status == 400 and answer["accepted"] == 0
    assert answer["rejected"][0]["index"] == 0 and "not JSON" in answer["rejected"][0]["reason"]
    running.delivered(2)
    running.stop()
    assert jobs(running.sink) == {"airflow-good-1", "airflow-good-2"}


def test_split_events_names_a_lone_surrogate_in_an_array_element() -> None:
    body = b'[' + json.dumps(event("ok")).encode() + b"," + json.dumps(event("x\ud800")).encode() + b"]"
    lines, rejected, kept, _ = split_events(body)
    assert len(lines) == 1 and rejected[0]["index"] == 1 and rejected[0]["path"] == "$.job.name"
    assert len(kept) == 1 and b"x\\ud800" in kept[0]  # kept for the dead letters, still escaped


def test_a_token_is_required_when_configured_and_never_logged(receiver: Callable[..., HttpSource],
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    source = receiver(token=TOKEN)
    assert post(source, event("j"))[0] == 401
    assert post(source, event("j"), {"Authorization": "Bearer wrong"})[0] == 401
    assert post(source, event("j"), {"Authorization": f"Basic {TOKEN}"})[0] == 401
    assert post(source, event("j"), {"Authorization": f"Bearer {TOKEN}"}) == (201, {"accepted": 1, "rejected": []})
    assert get(source, "/healthz")[0] == 200  # health and metrics stay open
    assert TOKEN not in caplog.text and TOKEN not in repr(source) and TOKEN not in repr(source.settings)
    assert "wrong bearer token" in caplog.text


def test_the_token_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OL_OM_HTTP_TOKEN", "from-env")
    assert HttpSettings.load({"type": "http", "token": "from-file"}).token == "from-env"
    monkeypatch.setenv("OL_OM_HTTP_TOKEN", "")
    assert HttpSettings.load({"token": "from-file"}).token == "from-file"


def test_bodies_over_the_limit_are_refused(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(maxBodyBytes=2000)
    large = event("j")
    large["job"]["facets"] = {"documentation": {"_producer": "p", "_schemaURL": "s", "description": "x" * 3000}}
    status, answer = post(source, large)
    assert status == 413 and "2000" in answer["error"]
    bomb = gzip.compress(json.dumps(large).encode())  # small on the wire, over the limit once unpacked
    assert len(bomb) < 2000
    assert post(source, bomb, {"Content-Encoding": "gzip"})[0] == 413
    assert post(source, event("small"))[0] == 201


def test_chunked_bodies_are_read(receiver: Callable[..., HttpSource]) -> None:
    """OpenLineage's Java client sends gzip bodies with chunked transfer encoding."""
    source = receiver()
    body = gzip.compress(json.dumps(event("j")).encode())
    connection = http.client.HTTPConnection(source.url.removeprefix("http://"), timeout=WAIT)
    connection.request("POST", "/api/v1/lineage", iter([body[:10], body[10:]]),
                       {"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}, encode_chunked=True)
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["accepted"]) == (201, 1)
    connection.close()


def test_other_paths_and_methods(receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    assert post(source, event("j"), path="/api/v1/other")[0] == 404
    assert get(source, "/api/v1/lineage")[0] == 405
    assert post(source, event("j"), {"Content-Encoding": "br"})[0] == 415


def test_events_accepted_but_not_acknowledged_are_delivered_after_a_restart(
        receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    sink = MemorySink()
    sink.hold(deliveries=10**6, retry_after=0.02)  # OpenMetadata away: nothing is acknowledged
    running = Running(source, sink)
    assert post(source, [event("a"), event("b")])[0] == 201
    assert post(source, event("c"))[0] == 201  # accepted while the runner holds
    running.wait_for(lambda: running.runner.progress.retries > 0)
    running.stop()
    source.close()
    assert sink.acknowledged == []

    again = receiver()
    assert again.lag() == 3
    rerun = Running(again)
    rerun.delivered(3)
    rerun.wait_for(lambda: again.lag() == 0)  # acknowledged: checkpointed
    rerun.stop()
    assert rerun.sink.acknowledged == ["spool:1:1", "spool:1:2", "spool:1:3"]
    assert jobs(rerun.sink) == {"airflow-a", "airflow-b", "airflow-c"}
    again.close()
    assert receiver().lag() == 0  # nothing is delivered twice after a clean stop


def test_a_partial_line_left_by_a_crash_is_cut_off(receiver: Callable[..., HttpSource], tmp_path: Path) -> None:
    source = receiver()
    assert post(source, event("whole"))[0] == 201
    source.close()
    segment = tmp_path / "spool" / "00000001.jsonl"
    with segment.open("ab") as stream:
        stream.write(b'{"eventType": "COMPL')  # a write broken off: never answered with 201
    again = receiver()
    assert again.lag() == 1
    assert post(again, event("after"))[0] == 201
    running = Running(again)
    running.delivered(2)
    running.stop()
    assert jobs(running.sink) == {"airflow-whole", "airflow-after"}


def test_acknowledged_segments_are_deleted(receiver: Callable[..., HttpSource], tmp_path: Path) -> None:
    source = receiver(segmentBytes=1000, batchSize=3)
    for n in range(12):
        assert post(source, event(f"job-{n}"))[0] == 201
    spool = tmp_path / "spool"
    assert len(list(spool.glob("*.jsonl"))) > 2
    running = Running(source)
    running.delivered(12)
    running.wait_for(lambda: source.lag() == 0 and len(list(spool.glob("*.jsonl"))) == 1)
    running.stop()
    assert len(jobs(running.sink)) == 12
    [left] = spool.glob("*.jsonl")
    checkpoint = json.loads((spool / "checkpoint.json").read_text())
    assert int(left.stem) >= checkpoint["segment"] and checkpoint["line"] >= 1


def test_one_receiver_per_spool(receiver: Callable[..., HttpSource]) -> None:
    receiver()
    with pytest.raises(ConfigError, match="in use by another ol-om receiver"):
        receiver()


def test_healthz_and_metrics(receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    running = Running(source)
    source.attach_progress(running.runner.progress)
    source.attach_sink_counters(lambda: {"PUT lineage": 3, "GET table": 2, "cache hits": 5, "retries": 1})
    assert post(source, [event("a"), {"eventType": "START"}])[0] == 400
    running.delivered(1)
    running.wait_for(lambda: source.lag() == 0)
    assert get(source, "/healthz") == (200, '{"status": "ok"}')
    status, text = get(source, "/metrics")
    running.stop()
    assert status == 200
    values = dict(re.findall(r"^(\w+(?:\{[^}]*\})?) (\d+)$", text, re.MULTILINE))
    assert values["ol_om_http_events_accepted_total"] == "1"
    assert values["ol_om_http_events_rejected_total"] == "1"
    assert values['ol_om_http_requests_total{code="400"}'] == "1"
    assert values["ol_om_spool_acknowledged_total"] == "2"  # the rejected event went on to the dead letters
    assert values["ol_om_spool_pending_events"] == "0"
    assert int(values["ol_om_spool_written_bytes_total"]) > 100
    assert values["ol_om_runner_events_total"] == "2" and values["ol_om_runner_rejected_total"] == "1"
    assert values['ol_om_sink_calls_total{call="PUT lineage"}'] == "3"
    assert values["ol_om_sink_cache_hits_total"] == "5" and values["ol_om_sink_retries_total"] == "1"
    assert "# TYPE ol_om_spool_pending_events gauge" in text


@pytest.mark.parametrize(("section", "path", "reason"), [
    ({"port": 70000}, "source.port", "a port number"),
    ({"port": "5000"}, "source.port", "not '5000'"),
    ({"maxBodyBytes": 0}, "source.maxBodyBytes", "positive"),
    ({"batchWait": -1}, "source.batchWait", "seconds"),
    ({"token": 42}, "source.token", "not int"),
    ({"spoolDir": ""}, "source.spoolDir", "directory"),
    ({"maxConnectionsPerClient": 0}, "source.maxConnectionsPerClient", "positive"),
    ({"prot": 5000}, "source.prot", "unknown key; expected one of host, port"),
])
def test_settings_are_checked(section: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        HttpSettings.load(section)
    assert info.value.path == path and reason in info.value.reason


def test_defaults_follow_openlineage_and_the_entry_point_is_registered() -> None:
    settings = HttpSettings.load({"type": "http"})
    assert (settings.host, settings.port, settings.token) == ("127.0.0.1", 5000, None)  # OpenLineage's default URL
    assert (settings.max_body_bytes, settings.batch_size) == (16 * 1024 * 1024, 500)
    assert (settings.limits.max_connections, settings.limits.max_connections_per_client) == (1024, 64)
    assert HttpSettings.load({"maxConnectionsPerClient": 8}).limits.max_connections_per_client == 8  # ol-om serve
    assert plugins.load(plugins.SOURCES, "http") == HttpSource.from_config


def test_openlineage_python_http_transport_posts_to_the_receiver(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(token=TOKEN)
    running = Running(source)
    transport = HttpTransport(HttpConfig.from_dict({
        "url": source.url, "compression": "gzip", "auth": {"type": "api_key", "apiKey": TOKEN}}))
    run = event_v2.Run(runId=str(uuid.uuid4()))
    job = event_v2.Job(namespace="airflow", name="dag.task")
    for state in (event_v2.RunState.START, event_v2.RunState.COMPLETE):
        response = transport.emit(event_v2.RunEvent(eventType=state, eventTime="2026-11-23T10:00:00Z", run=run,
                                                    job=job, producer="https://example.com/p"))
        assert response.status_code == 201
    transport.close()
    running.delivered(2)
    running.stop()
    assert jobs(running.sink) == {"airflow-dag.task"}


def test_openlineage_client_from_openlineage_url_and_api_key(receiver: Callable[..., HttpSource]) -> None:
    """What Airflow and dbt do: ``OPENLINEAGE_URL`` and ``OPENLINEAGE_API_KEY`` in the environment."""
    source = receiver(token=TOKEN)
    running = Running(source)
    script = ("from openlineage.client import OpenLineageClient, event_v2\n"
              "OpenLineageClient().emit(event_v2.RunEvent(eventType=event_v2.RunState.COMPLETE,"
              " eventTime='2026-11-23T10:00:00Z', run=event_v2.Run(runId='0195a3c1-0000-7000-8000-000000000001'),"
              " job=event_v2.Job(namespace='dbt', name='model.orders'), producer='https://example.com/p'))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.update(OPENLINEAGE_URL=source.url, OPENLINEAGE_API_KEY=TOKEN)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    running.delivered(1)
    running.stop()
    assert jobs(running.sink) == {"dbt-model.orders"}


def test_ol_om_serve_receives_until_sigterm_and_a_kill_loses_nothing(tmp_path: Path) -> None:
    """``ol-om serve``: the http source by default; events accepted before ``kill -9`` are delivered after a
    restart (at least once: some may be delivered twice, never none)."""
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"source": {"port": 0, "spoolDir": str(tmp_path / "spool"), "batchWait": 0.2},
                                  "sink": {"type": "dry-run"}}))

    def serve() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen([sys.executable, "-m", "ol_om", "serve", "--config", str(config),
                                    "--dead-letters", str(tmp_path / "dead.jsonl")],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        assert process.stderr is not None
        for line in process.stderr:
            found = re.search(r"receiving OpenLineage events at (http://\S+?)/api/v1/lineage", line)
            if found:
                return process, found.group(1)
        raise AssertionError(f"ol-om serve did not start: {process.wait()}")

    def send(url: str, name: str) -> None:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=WAIT)
        connection.request("POST", "/api/v1/lineage", json.dumps(event(name)))
        assert connection.getresponse().status == 201
        connection.close()

    process, url = serve()
    for n in range(5):
        send(url, f"killed-{n}")
    process.send_signal(signal.SIGKILL)
    first, _ = process.communicate(timeout=WAIT)

    process, url = serve()
    send(url, "after")
    time.sleep(1.5)  # delivered and acknowledged (batchWait, then an idle wait)
    process.send_signal(signal.SIGTERM)
    second, _ = process.communicate(timeout=WAIT)
    assert process.returncode == 0
    for n in range(5):
        assert f"airflow-killed-{n}" in first + second
    assert "airflow-after" in second


def test_concurrent_producers_lose_nothing(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(segmentBytes=4000)
    running = Running(source)

    def produce(worker: int) -> None:
        for n in range(20):
            assert post(source, event(f"w{worker}-{n}"))[0] == 201

    workers = [threading.Thread(target=produce, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT)
    running.delivered(160)
    running.stop()
    assert len(running.sink.acknowledged) == len(set(running.sink.acknowledged)) == 160
    assert len(jobs(running.sink)) == 160


def test_a_failed_write_is_answered_503_and_the_spool_goes_on(receiver: Callable[..., HttpSource],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full: half a line written, then an error. The producer is told to retry later; the disk is left alone
    until then; the half line never reaches the runner, and later events follow in the same segment."""
    from ol_om.sources import _spool as spool

    source = receiver()
    assert post(source, event("before"))[0] == 201
    real = spool._write_all

    def half_then_full(fd: int, data: bytes) -> None:
        monkeypatch.setattr(spool, "_write_all", real)
        real(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool, "_write_all", half_then_full)
    status, answer = post(source, event("lost"))
    assert status == 503 and "No space left" in answer["error"]
    assert post(source, event("too soon"))[0] == 503  # not tried on the disk: refused until Retry-After passes
    later = time.monotonic() + spool.RETRY_AFTER
    monkeypatch.setattr(source.spool, "_clock", lambda: later)
    assert post(source, event("after"))[0] == 201
    running = Running(source)
    running.delivered(2)
    running.stop()
    assert jobs(running.sink) == {"airflow-before", "airflow-after"}
    assert running.sink.acknowledged == ["spool:1:1", "spool:1:2"]


def test_a_restart_resumes_in_the_middle_of_the_segments(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(segmentBytes=700, batchSize=2)
    for n in range(6):
        assert post(source, event(f"first-{n}"))[0] == 201
    running = Running(source)
    running.delivered(6)
    running.wait_for(lambda: source.lag() == 0)
    running.stop()
    for n in range(3):
        assert post(source, event(f"second-{n}"))[0] == 201  # accepted after the runner stopped
    source.close()

    again = receiver(segmentBytes=700, batchSize=2)
    assert again.lag() == 3
    rerun = Running(again)
    rerun.delivered(3)
    rerun.stop()
    assert jobs(rerun.sink) == {"airflow-second-0", "airflow-second-1", "airflow-second-2"}
    assert rerun.sink.acknowledged == [p for p in rerun.sink.acknowledged if p not in running.sink.acknowledged]
