"""Every fault the stand-in can inject: nothing lost, nothing duplicated in effect, nothing acknowledged early."""

from __future__ import annotations

import logging
import time

import pytest

from builders import TOKEN, etl_events, make_sink, seed_pg, works
from ol_om import Runner
from ol_om_core.contract.sinks import SinkError
from ol_om_core.contract.sources import Record
from ol_om_core.translate import Translator
from ol_om_sink import OpenMetadataSink
from ol_om_sink.config import load
from ol_om_sink.testing.standin import OpenMetadataStandIn


def _effect(om):
    """What OpenMetadata holds, without ids or versions: two runs with the same effect compare equal."""
    pipelines = sorted((p["fullyQualifiedName"], sorted(t["name"] for t in p.get("tasks", ())))
                       for p in om.entities("pipeline"))
    statuses = sorted((p, s["timestamp"], s["executionStatus"], tuple((t["name"], t["executionStatus"])
                                                                       for t in s["taskStatus"]))
                      for p, _ in pipelines for s in om.statuses(p))
    edges = sorted((e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"],
                    str(e["lineageDetails"].get("columnsLineage"))) for e in om.edges())
    return pipelines, statuses, edges


@pytest.fixture(scope="module")
def events():
    return etl_events(run_id="0195a3c1-0000-7000-8000-000000000001")


@pytest.fixture(scope="module")
def clean_effect(events):
    with OpenMetadataStandIn(token=TOKEN) as om:
        seed_pg(om)
        sink = make_sink(om)
        assert sink.deliver(works(events)).acknowledged
        sink.close()
        return _effect(om)


@pytest.mark.parametrize("inject", [
    lambda f: f.fail(status=503, times=4),
    lambda f: f.fail(status=500, times=2, path="/api/v1/lineage"),
    lambda f: f.fail(status=502, times=2, path="/api/v1/pipelines", method="PUT"),
    lambda f: f.throttle(times=3, retry_after=0),
    lambda f: f.drop(times=3),
], ids=["503-burst", "500-on-lineage", "502-on-pipelines", "429", "dropped-connections"])
def test_transient_faults_are_retried_to_the_same_effect(om, events, clean_effect, inject):
    seed_pg(om)
    sink = make_sink(om)
    inject(om.faults)
    outcome = sink.deliver(works(events))
    assert not outcome.pending and not outcome.dead_letters
    assert len(outcome.acknowledged) == len(events)
    assert sink.counters["retries"] > 0
    assert _effect(om) == clean_effect
    sink.close()


def test_retry_after_is_honoured(om):
    sink = make_sink(om)
    om.faults.throttle(times=1, retry_after=1)
    started = time.monotonic()
    assert sink.deliver(works(etl_events()[:1])).acknowledged == ["test:1"]
    assert time.monotonic() - started >= 0.95
    sink.close()


def test_an_outage_holds_every_event_until_openmetadata_is_back(om, events, clean_effect):
    seed_pg(om)
    sink = make_sink(om, retry={"initialDelay": 0.01, "maxDelay": 0.02, "maxElapsed": 0.1})
    om.faults.fail(status=503, times=None)  # down until cleared
    batch = works(events)
    outcome = sink.deliver(batch)
    assert outcome.acknowledged == []  # nothing may be committed
    assert [w.position for w in outcome.pending] == [w.position for w in batch]
    assert outcome.retry_after > 0
    assert _effect(om) == ([], [], [])
    om.faults.clear()
    again = sink.deliver(outcome.pending)
    assert again.acknowledged == [w.position for w in batch] and not again.pending
    assert _effect(om) == clean_effect
    sink.close()


def test_a_slow_server_times_out_into_pending_not_loss(om, events, clean_effect):
    seed_pg(om)
    sink = make_sink(om, timeout=0.2, retry={"initialDelay": 0.01, "maxDelay": 0.02, "maxElapsed": 0})
    om.faults.latency(0.5)
    outcome = sink.deliver(works(events))
    assert outcome.acknowledged == [] and outcome.pending
    om.faults.clear()
    time.sleep(0.6)  # let the stand-in finish the requests it was sleeping on
    assert sink.deliver(outcome.pending).acknowledged
    assert _effect(om) == clean_effect
    sink.close()


def test_the_runner_holds_the_batch_through_an_outage(om, events, clean_effect):
    seed_pg(om)
    sink = make_sink(om, retry={"initialDelay": 0.01, "maxDelay": 0.02, "maxElapsed": 0})
    om.faults.fail(status=503, times=None)
    waits = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) == 3:
            om.faults.clear()
        return False

    runner = Runner(Translator(), sink, wait=wait)
    records = [Record(f"r:{n}", __import__("json").dumps(e).encode()) for n, e in enumerate(events)]
    assert runner.run_batch(records) is True
    assert len(waits) == 3
    assert _effect(om) == clean_effect
    sink.close()


def test_a_refused_token_stops_the_sink_with_a_clear_message(om, caplog):
    caplog.set_level(logging.DEBUG)
    sink = OpenMetadataSink(load({"hostPort": om.url, "securityConfig": {"jwtToken": "wrong-token"}}, environ={}))
    with pytest.raises(SinkError) as error:
        sink.start()
    message = str(error.value)
    assert "401" in message and "jwtToken" in message and "wrong-token" not in message
    good = make_sink(om)
    om.token = "rotated"  # the server stops accepting our token mid-stream
    with pytest.raises(SinkError, match="refused the credentials"):
        good.deliver(works(etl_events()[:1]))
    assert TOKEN not in caplog.text and "wrong-token" not in caplog.text


def test_an_unreachable_server_is_a_clear_fatal_error():
    with OpenMetadataStandIn() as om:
        url = om.url
    sink = OpenMetadataSink(load({"hostPort": url, "authProvider": "no-auth", "timeout": 1,
                                  "retry": {"initialDelay": 0.05, "maxElapsed": 0.3}}, environ={}))
    with pytest.raises(SinkError, match=r"cannot reach OpenMetadata at http://127\.0\.0\.1"):
        sink.start()


def test_secrets_never_appear_in_reprs_logs_or_errors(om, caplog):
    caplog.set_level(logging.DEBUG)
    seed_pg(om)
    sink = make_sink(om)
    om.faults.fail(status=503, times=2)
    om.faults.fail(status=400, times=1, path="/api/v1/lineage", method="PUT")
    outcome = sink.deliver(works(etl_events()))
    texts = [repr(sink), repr(sink.config), str(sink.config), repr(sink.client), caplog.text,
             *(d.reason for d in outcome.dead_letters), *(n.reason for n in outcome.notices)]
    assert outcome.dead_letters  # the 400 was reported, with the server's words
    for text in texts:
        assert TOKEN not in text
    sink.close()


def test_an_old_server_is_refused_unless_version_validation_is_off():
    with OpenMetadataStandIn(version="1.3.4") as om:
        strict = OpenMetadataSink(load({"hostPort": om.url, "authProvider": "no-auth"}, environ={}))
        with pytest.raises(SinkError, match=r"1\.3\.4 is older than 1\.5"):
            strict.start()
        lenient = OpenMetadataSink(load({"hostPort": om.url, "authProvider": "no-auth",
                                         "enableVersionValidation": False}, environ={}))
        assert lenient.start() == "1.3.4"


def test_a_server_still_starting_is_waited_for(om):
    om.faults.fail(status=503, times=3, path="/v1/system/version")
    sink = make_sink(om)  # retries within retry.maxElapsed
    assert sink.server_version
    assert sink.counters["GET version"] == 4
    sink.close()


def test_a_pending_service_holds_its_pipelines_statuses_and_edges_too(om, events):
    seed_pg(om)
    sink = make_sink(om, retry={"initialDelay": 0.01, "maxDelay": 0.02, "maxElapsed": 0})
    om.faults.fail(status=503, times=None, path="/v1/services")  # only the service call fails
    outcome = sink.deliver(works(events))
    assert not outcome.dead_letters  # nothing after it may be refused for want of its parent
    assert outcome.acknowledged == [] and {op.kind for w in outcome.pending for op in w.operations} == {
        "pipeline_service", "pipeline", "pipeline_status", "lineage"}
    assert not [r for r in om.requests if r[0] == "PUT" and "/status" in r[1]]  # not even tried
    om.faults.clear()
    assert sink.deliver(outcome.pending).acknowledged
    sink.close()
