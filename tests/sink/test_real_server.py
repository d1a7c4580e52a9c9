"""Against a real OpenMetadata, when one is given: OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN.

No OpenMetadata server can run on the CI machines (Java, a database and Elasticsearch); these tests keep the
door open. They write a pipeline service ``ol_om_test`` and delete it (hard, recursive) afterwards.
"""

from __future__ import annotations

import os
import uuid

import pytest

from builders import event, works
from ol_om_core.config import TranslatorConfig
from ol_om_core.translate import Translator
from ol_om_sink import OpenMetadataSink
from ol_om_sink.config import load

pytestmark = pytest.mark.skipif(
    not (os.environ.get("OPENMETADATA_HOST_PORT") and os.environ.get("OPENMETADATA_JWT_TOKEN")),
    reason="no real OpenMetadata: set OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN to run these",
)
SERVICE = "ol_om_test"


@pytest.fixture
def real_sink():
    sink = OpenMetadataSink(load({}))  # everything from the environment
    sink.start()
    yield sink
    sink.client.call("DELETE", f"/v1/services/pipelineServices/name/{SERVICE}",
                     params={"hardDelete": "true", "recursive": "true"})
    sink.close()


def test_a_run_with_tasks_and_status_lands_in_a_real_openmetadata(real_sink):
    translator = Translator(TranslatorConfig(pipeline_service=SERVICE))
    run = str(uuid.uuid4())
    events = [event("ol_om_dag", "START", run), event("ol_om_dag.t1", "COMPLETE", parent=("ol_om_dag", run)),
              event("ol_om_dag", "COMPLETE", run)]
    outcome = real_sink.deliver(works(events, translator))
    assert not outcome.dead_letters and not outcome.pending, outcome
    pipeline = real_sink.directory.get("pipeline", f"{SERVICE}.airflow-ol_om_dag")
    assert pipeline is not None
    assert {t["name"] for t in pipeline.entity["tasks"]} >= {"t1"}
