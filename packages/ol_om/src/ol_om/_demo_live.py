"""``ol-om demo``: the whole path on one machine, in under a minute, with nothing but the project installed.

A Kafka-compatible broker (Tansu) and the OpenMetadata stand-in start on loopback; openlineage-python's own Kafka
transport emits the example events (an Airflow DAG with tasks and a failing run, Spark reading partitioned S3 data
into a Hive table through a symlink, dbt models on Postgres with column lineage, a Flink streaming job on Kafka
topics, and one malformed event); ``ol-om`` consumes them into the stand-in; then what OpenMetadata holds is
printed — services, pipelines with tasks and run status, lineage with column lineage, queries and table usage
(off unless configured; on in the demo) — with the dead letter and its reason.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from openlineage.client.transport.kafka import KafkaConfig

from ol_om import _graph as graph
from ol_om._demo import DEMO_TRANSLATOR, example_events
from ol_om._runner import DeadLetterFile, Runner
from ol_om_core.operations import EntityHint
from ol_om_core.parse import parse
from ol_om_core.translate import Translator
from ol_om_kafka.source import KafkaSource
from ol_om_kafka.testing import GROUP_CONSUMER, TansuBroker
from ol_om_kafka.testing.openlineage import DictKeyingKafkaTransport
from ol_om_sink import OpenMetadataSink
from ol_om_sink.config import load as load_sink
from ol_om_sink.testing.standin import OpenMetadataStandIn

TOKEN = "demo-bot-token"  # the stand-in's; a real OpenMetadata bot token never appears in output


def seed_datasets(om: OpenMetadataStandIn, events: list[bytes]) -> None:
    """The stand-in holds what a catalogued estate would: every table, topic and bucket the events name."""
    translator = Translator()
    datasets: dict[tuple[str, str], tuple[EntityHint, dict[str, None]]] = {}
    for data in events:
        try:
            operations = translator.translate(parse(data)).operations
        except ValueError:
            continue
        for op in operations:
            for hint in op.entities:  # a dataset's columns: every event's schema facet (a test's names none)
                _, columns = datasets.setdefault((hint.type, hint.fqn), (hint, {}))
                columns.update((name, None) for name, _ in hint.columns)
    for hint, columns in datasets.values():
        om.seed_dataset(hint, list(columns) or ["id"])


def run(out: TextIO = sys.stdout) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    runner_log = logging.getLogger("ol_om")
    level = runner_log.level
    runner_log.setLevel(logging.CRITICAL)  # the report below lists the dead letter and notices
    try:
        return _run(out)
    finally:
        runner_log.setLevel(level)


def _run(out: TextIO) -> int:
    events = [record.value for record in example_events()]
    work = Path(tempfile.mkdtemp(prefix="ol-om-demo-"))
    with TansuBroker() as broker, OpenMetadataStandIn(token=TOKEN) as om:
        seed_datasets(om, events)
        # The owners and the tag the Airflow DAG names, as a real OpenMetadata would hold them.
        om.seed_owner("ana", "user")
        om.seed_owner("data-platform", "team")
        om.seed_tag("tier.gold")
        topic = broker.create_topic("openlineage-events", partitions=3)
        out.write(f"Kafka-compatible broker at {broker.bootstrap}, OpenMetadata stand-in at {om.url}\n")
        transport = DictKeyingKafkaTransport(
            KafkaConfig(config={"bootstrap.servers": broker.bootstrap}, topic=topic, flush=True))
        for data in events:
            try:
                transport.emit(json.loads(data))
            except ValueError:  # not even JSON: sent as it is
                transport.producer.produce(topic, value=data)  # type: ignore[union-attr]
        transport.close(timeout=30)
        out.write(f"emitted {len(events)} OpenLineage events with openlineage-python's KafkaTransport\n")

        sink = OpenMetadataSink(load_sink({"hostPort": om.url, "securityConfig": {"jwtToken": TOKEN}}, environ={}))
        sink.start()
        source = KafkaSource.from_config({
            "brokersUrl": broker.bootstrap, "topicName": topic, "consumerGroupName": "ol-om-demo", "mode": "batch",
            "sessionTimeout": 2, "poolTimeout": 0.2, "consumerConfig": dict(GROUP_CONSUMER)}, threading.Event())
        letters = DeadLetterFile(work / "dead-letters.jsonl")
        try:
            progress = Runner(Translator(DEMO_TRANSLATOR), sink, letters).run(source)
        finally:
            letters.close()
            source.close()
            sink.close()
        out.write(f"ol-om: {progress.line()}\nOpenMetadata sink: {sink.counters.summary()}\n\n")
        report(om, work / "dead-letters.jsonl", out)
        if progress.notes:
            out.write("\nNotices (written anyway; what OpenMetadata lacks):\n")
            out.writelines(f"  {note}\n" for note in progress.notes)
        page = write_graph(events, work / "lineage.html")
        out.write(f"\nThe lineage, drawn (open it in a browser): {page}\n")
    return 0


def write_graph(events: list[bytes], path: Path) -> Path:
    """The same events' lineage as one offline HTML page (what ``ol-om graph`` draws)."""
    translator, calls = Translator(), []
    for data in events:
        try:
            calls += [op.to_dict() for op in translator.translate(parse(data)).operations]
        except ValueError:  # the malformed event: it has nothing to draw
            continue
    path.write_text(graph.to_html(graph.build_graph(calls)), encoding="utf-8")
    return path


def report(om: OpenMetadataStandIn, dead_letters: Path, out: TextIO) -> None:
    """What OpenMetadata now holds, for people."""
    services = ", ".join(f"{s['name']} ({s['serviceType']})" for s in om.entities("pipelineService"))
    out.write(f"Pipeline services: {services}\n\nPipelines, their tasks and last run:\n")
    names = {entity["id"]: entity["name"] for kind in ("user", "team") for entity in om.entities(kind)}
    for pipeline in om.entities("pipeline"):
        fqn = pipeline["fullyQualifiedName"]
        tasks = ", ".join(t["name"] for t in pipeline.get("tasks", ())) or "no tasks"
        statuses = om.statuses(fqn)
        owners = ", ".join(f"{o['type']} {names.get(o['id'], o['id'])}" for o in pipeline.get("owners") or ())
        tags = ", ".join(t["tagFQN"] for t in pipeline.get("tags") or ())
        line = f"  {fqn}  [{tasks}]" + (f"  owners: {owners}" if owners else "") + (f"  tags: {tags}" if tags else "")
        if statuses:
            last = statuses[-1]
            states = ", ".join(f"{t['name']}={t['executionStatus']}" for t in last.get("taskStatus", ()))
            line += f"\n      {last['executionStatus']}" + (f" ({states})" if states else "")
        out.write(line + "\n")
    out.write("\nLineage:\n")
    for edge in om.edges():
        details = edge.get("lineageDetails") or {}
        columns = len(details.get("columnsLineage") or ())
        via = (details.get("pipeline") or {}).get("fullyQualifiedName", "")
        out.write(f"  {edge['fromEntity']['fullyQualifiedName']} -> {edge['toEntity']['fullyQualifiedName']}"
                  f"  (via {via}" + (f", {columns} column mappings)" if columns else ")") + "\n")
    out.write("\nData quality (test cases, their last result):\n")
    for case in om.test_cases():
        result = case.get("testCaseResult") or {}
        out.write(f"  {case['fullyQualifiedName']}  {result.get('testCaseStatus', 'no result')}"
                  f"  ({case['testDefinition']['name']})\n")
    out.write("\nQueries (includeQueries; off unless configured):\n")
    for query in om.queries():
        tables = ", ".join(ref["fullyQualifiedName"] for ref in query["queryUsedIn"])
        text = " ".join(query["query"].split())[:60]
        out.write(f"  {query['service']['fullyQualifiedName']}.{query['name'][:8]}…  {text}\n"
                  f"      used in {tables}; triggered by {query['triggeredBy']['fullyQualifiedName']}\n")
    out.write("\nTable usage (includeUsage; off unless configured):\n")
    for table in om.entities("table"):
        days = ", ".join(f"{count} on {day}" for day, count in om.usage(table["fullyQualifiedName"]).items())
        if days:
            out.write(f"  {table['fullyQualifiedName']}  {days}\n")
    out.write("\nDead letters (events that could not be written, and why):\n")
    lines = dead_letters.read_text().splitlines() if dead_letters.exists() else []
    for line in lines:
        letter = json.loads(line)
        out.write(f"  {letter['position']}: {letter['reason']}\n")
    if not lines:
        out.write("  none\n")
