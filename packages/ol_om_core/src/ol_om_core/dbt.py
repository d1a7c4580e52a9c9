"""What dbt-ol says beyond the standard facets: a node's stable id, and its dbt tags and ``meta``.

A dbt model's job name depends on the command that ran it (``db.schema.project.model`` under ``dbt run``,
``….build.run`` under ``dbt build``, ``model.project.model`` in structured-log mode), while the job facet
``dbt_node`` carries the node's ``unique_id`` in every one: that is the task's name, so one model is one task
(and its tests one more).

dbt tags arrive as run tags with ``source: DBT`` (value ``"true"``) and become tags of the ``dbtTags``
classification, the one OpenMetadata's own dbt ingestion uses; ``meta`` entries arrive with ``source: DBT_META``,
of which ``owner`` (a name, or a list of names) names the node's owners. Other ``meta`` entries have no home.
"""

from __future__ import annotations

import json
from typing import Any

from ol_om_core.model import Job, Owner, Run, Tag

TAG_CLASSIFICATION = "dbtTags"
_META_OWNER = "owner"


def node_id(job: Job) -> str | None:
    """The task a dbt node's job is: the node's ``unique_id`` (``model.shop.orders``, ``test.shop.revenue_ok``).

    dbt-ol runs a model's generic tests (not_null, unique…) as one job of jobType TEST carrying the *model's*
    ``unique_id``: that is the task ``<unique_id>.tests``, so a failing test does not pass for its model."""
    facet = job.facets.get("dbt_node")
    unique_id = facet.get("unique_id") if isinstance(facet, dict) else None
    if not isinstance(unique_id, str) or not unique_id.strip():
        return None
    testing = job.job_type is not None and job.job_type.job_type == "TEST"
    return f"{unique_id}.tests" if testing and not unique_id.startswith("test.") else unique_id


def tags(run: Run) -> tuple[Tag, ...]:
    """The node's dbt tags, as ``dbtTags.<tag>``."""
    return tuple(Tag(TAG_CLASSIFICATION, tag.key, "DBT") for tag in run.tags
                 if tag.source == "DBT" and tag.key.strip())


def owners(run: Run) -> tuple[Owner, ...]:
    """The node's ``meta.owner``: one name, or a list of names (dbt-ol sends a list as JSON text)."""
    out: list[Owner] = []
    for tag in run.tags:
        if tag.source != "DBT_META" or tag.key != _META_OWNER:
            continue
        names: Any = tag.value
        if tag.value.startswith("["):
            try:
                names = json.loads(tag.value)
            except ValueError:
                names = tag.value
        for name in names if isinstance(names, list) else [names]:
            if isinstance(name, str) and name.strip():
                out.append(Owner(name.strip()))
    return tuple(out)
