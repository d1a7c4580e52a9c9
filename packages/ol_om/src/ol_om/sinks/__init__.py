"""The sink built into ol-om: the dry run (OpenMetadata's calls printed). The OpenMetadata sink is ``ol-om-sink``."""

from ol_om.sinks._dryrun import DryRunSink, run_dry

__all__ = ["DryRunSink", "run_dry"]
