"""Test support for ol-om-sink: OpenMetadata's request schemas (needs the ``testing`` extra)."""
