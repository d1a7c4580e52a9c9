"""Configuration files: OpenMetadata's own workflow YAML for the OpenLineage connector, or our shorter form.

Both are read from YAML (when PyYAML is installed), JSON or TOML. Every wrong key or value is reported with
its path in the file.

OpenMetadata's form (copied unchanged from an existing ingestion)::

    source:
      type: openlineage
      serviceName: openlineage-kafka-service
      serviceConnection: {config: {type: OpenLineage, brokerConfig: {...},
                                   namespaceToServiceMapping: {"postgres://db:5432": pg_prod}}}
      sourceConfig: {config: {pipelineFilterPattern: {includes: [".*"]}, includeLineage: true}}
    sink: {type: metadata-rest, config: {}}
    workflowConfig: {openMetadataServerConfig: {hostPort: ..., ...}}

Our short form::

    translate:
      pipelineService: openlineage
      namespaceToServiceMapping: {"postgres://db:5432": pg_prod}
      case: preserve
    source: {type: kafka, ...}      # an ol_om.sources entry point and its settings
    sink: {type: openmetadata, ...} # an ol_om.sinks entry point and its settings
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ol_om_core.config import FilterPattern, NamingConfig, TranslatorConfig, compile_filter
from ol_om_core.errors import ConfigError
from ol_om_core.redact import is_secret_key, redacted

PATH_KEY = "_path"
"""Added to a plugin's section where it does not sit at ``source`` / ``sink`` in the file: errors name the real
key path (``source.serviceConnection.config.brokerConfig.topicName``)."""


def section_path(section: Mapping[str, Any], default: str) -> str:
    return str(section.get(PATH_KEY) or default)


def invalid_setting(path: str, location: Sequence[object], message: str, secrets: Collection[str]) -> ConfigError:
    """A plugin's validation error (pydantic's first error: its ``loc`` and ``msg``) as a ConfigError naming the
    key's path in the file. Under a secret key only "invalid value" is said: a message may quote the input."""
    keys = [str(part) for part in location]
    secret = set(secrets) & set(keys) or any(map(is_secret_key, keys))
    reason = "invalid value" if secret else message.removeprefix("Value error, ")
    return ConfigError(".".join([path, *keys]), reason)


@dataclass(frozen=True, slots=True)
class Settings:
    """A whole configuration: the translation, plus the raw source and sink sections for their plugins."""

    translator: TranslatorConfig = field(default_factory=TranslatorConfig)
    source: Mapping[str, Any] = field(default_factory=dict)
    sink: Mapping[str, Any] = field(default_factory=dict)
    openmetadata_form: bool = False
    mark_deleted_pipelines: bool = False
    """``sourceConfig.config.markDeletedPipelines``: after a batch run, soft-delete the pipelines of the services
    it wrote to that it did not see, as OpenMetadata's connector does. Off unless the workflow says ``true``."""
    lineage_services: tuple[str, ...] = ()
    """The workflow's ``sourceConfig.config.lineageInformation.dbServiceNames``: services ``ol-om check`` tests."""

    def __repr__(self) -> str:  # the raw sections hold credentials (the token, SASL password, AWS keys): masked
        return (f"Settings(translator={self.translator!r}, source={redacted(self.source)!r}, "
                f"sink={redacted(self.sink)!r}, openmetadata_form={self.openmetadata_form!r}, "
                f"mark_deleted_pipelines={self.mark_deleted_pipelines!r}, lineage_services={self.lineage_services!r})")


_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
_TOML_LINE = re.compile(r"^\s*(\[[^\[\],]+\]|[A-Za-z0-9_.\"'-]+\s*=)", re.MULTILINE)


def load(path: str | Path) -> Settings:
    return settings_from(read(path))


def settings_of(config: str | os.PathLike[str] | Mapping[str, Any] | Settings) -> Settings:
    """The settings of a configuration given in any of the forms ``ol-om`` and its Python API accept."""
    return config if isinstance(config, Settings) else settings_from(data_of(config))


def data_of(config: str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    """A configuration as a mapping: read from a file (a path, or a one-line string naming a ``.yaml``, ``.json``
    or ``.toml`` file or an existing file), parsed from YAML / JSON / TOML text, or the mapping itself."""
    if isinstance(config, Mapping):
        return config
    if isinstance(config, os.PathLike) or _names_a_file(config):
        return read(config)
    return read_text(config)


def _names_a_file(text: str) -> bool:
    if not text.strip() or "\n" in text or text.lstrip().startswith(("{", "[")):
        return False
    path = Path(text)
    return path.suffix.lower() in _SUFFIXES or path.is_file()


def read(path: str | os.PathLike[str]) -> Mapping[str, Any]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError("", f"cannot read config file {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError("", f"{path} is not UTF-8 text: byte {exc.start} (line {line}) is "
                              f"0x{data[exc.start]:02x}, {exc.reason}") from None
    return _parse(text, path.suffix.lower(), str(path))


def read_text(text: str) -> Mapping[str, Any]:
    """Configuration text: JSON when it starts with ``{``, TOML when it has ``[table]`` or ``key =`` lines, else
    YAML."""
    if text.lstrip().startswith("{"):
        suffix = ".json"
    elif _TOML_LINE.search(text):
        suffix = ".toml"
    else:
        suffix = ".yaml"
    return _parse(text, suffix, "the configuration text")


def _parse(text: str, suffix: str, name: str) -> Mapping[str, Any]:
    kind = suffix.lstrip(".").upper() if suffix in (".json", ".toml") else "YAML"
    if not text.strip():
        raise ConfigError("", f"{name} is empty")
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = _yaml(text, name)
    except ConfigError:
        raise
    except json.JSONDecodeError as exc:
        raise ConfigError("", f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") \
            from None
    except RecursionError:
        raise ConfigError("", f"{name} is not usable {kind}: nested too deeply") from None
    except ValueError as exc:  # TOML's errors, and numbers too long to convert (over 4300 digits)
        raise ConfigError("", f"{name} is not valid {kind}: {str(exc).split('; use ')[0]}") from None
    if not isinstance(data, Mapping):
        raise ConfigError("", f"{name} must hold a mapping at the top level")
    return data


def _yaml(text: str, name: str) -> Any:
    try:
        import yaml
    except ImportError:
        # JSON is YAML too: a JSON file with a .yaml name still works without PyYAML.
        try:
            return json.loads(text)
        except ValueError:
            raise ConfigError("", f"reading {name} needs PyYAML: pip install 'ol-om-core[yaml]'") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise ConfigError("", f"{name} is not valid YAML: {problem}{where}") from None
    except yaml.YAMLError as exc:
        raise ConfigError("", f"{name} is not valid YAML: {' '.join(str(exc).split())}") from None


def settings_from(data: Mapping[str, Any]) -> Settings:
    source = _mapping(data.get("source"), "source")
    if "serviceConnection" in source or "workflowConfig" in data:
        return _openmetadata_form(data, source)
    unknown = set(data) - {"translate", "source", "sink"}
    if unknown:
        raise ConfigError(sorted(map(str, unknown))[0], "unknown key; expected translate, source or sink")
    translate = _mapping(data.get("translate"), "translate")
    return Settings(_translator(translate, "translate"), source, _mapping(data.get("sink"), "sink"))


_SHORT_KEYS = {
    "pipelineService": "pipeline_service",
    "pipelineServicePerIntegration": "pipeline_service_per_integration",
    "includeLineage": "include_lineage",
    "includeQueries": "include_queries",
    "includeUsage": "include_usage",
    "includeDataQuality": "include_data_quality",
    "includeRunFacts": "include_run_facts",
    "tagClassification": "tag_classification",
    "maxRuns": "max_runs",
    "maxEmitted": "max_emitted",
}
_NAMING_KEYS = {
    "namespaceToServiceMapping": "namespace_to_service",
    "platformServices": "platform_services",
    "serviceTypes": "service_types",
    "databaseNames": "database_names",
}


def _translator(data: Mapping[str, Any], path: str) -> TranslatorConfig:
    values: dict[str, Any] = {}
    naming: dict[str, Any] = {}
    defaults = TranslatorConfig()
    for key, value in data.items():
        where = f"{path}.{key}"
        if key in _SHORT_KEYS:
            attr = _SHORT_KEYS[key]
            values[attr] = _typed(value, type(getattr(defaults, attr)), where)
        elif key in _NAMING_KEYS:
            naming[_NAMING_KEYS[key]] = _str_map(value, where)
        elif key == "case":
            if value not in ("preserve", "lower"):
                raise ConfigError(where, f"{value!r} is not one of preserve, lower")
            naming["case"] = value
        elif key == "pipelineFilterPattern":
            values["pipeline_filter"] = _filter(value, where)
        else:
            choices = ", ".join(sorted([*_SHORT_KEYS, *_NAMING_KEYS, "case", "pipelineFilterPattern"]))
            raise ConfigError(where, f"unknown key; expected one of {choices}")
    return TranslatorConfig(naming=NamingConfig(**naming), **values)


def _openmetadata_form(data: Mapping[str, Any], source: Mapping[str, Any]) -> Settings:
    kind = source.get("type")
    if kind is not None and str(kind).lower() != "openlineage":
        raise ConfigError("source.type", f"{kind!r}: this workflow is not for the OpenLineage connector")
    connection = _mapping(_mapping(source.get("serviceConnection"), "source.serviceConnection").get("config"),
                          "source.serviceConnection.config")
    source_config = _mapping(_mapping(source.get("sourceConfig"), "source.sourceConfig").get("config"),
                             "source.sourceConfig.config")
    _refuse_misplaced(data)
    values: dict[str, Any] = {}
    if "serviceName" in source:
        values["pipeline_service"] = _typed(source["serviceName"], str, "source.serviceName")
    # The pattern may sit on the connection (older schema) or on the source config; the latter wins.
    for where, section in (("source.serviceConnection.config", connection),
                           ("source.sourceConfig.config", source_config)):
        if "pipelineFilterPattern" in section:
            values["pipeline_filter"] = _filter(section["pipelineFilterPattern"], f"{where}.pipelineFilterPattern")
    # includeQueries / includeUsage / includeDataQuality / includeRunFacts are ol-om's own (OpenMetadata's pipeline
    # sourceConfig has none of them), read where includeLineage sits.
    for key in ("includeLineage", "includeQueries", "includeUsage", "includeDataQuality", "includeRunFacts"):
        if key in source_config:
            values[_SHORT_KEYS[key]] = _typed(source_config[key], bool, f"source.sourceConfig.config.{key}")
    mapping = _str_map(connection.get("namespaceToServiceMapping") or {},
                       "source.serviceConnection.config.namespaceToServiceMapping")
    translator = TranslatorConfig(naming=NamingConfig(namespace_to_service=mapping), **values)
    lineage = _mapping(source_config.get("lineageInformation"), "source.sourceConfig.config.lineageInformation")
    names = lineage.get("dbServiceNames") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError("source.sourceConfig.config.lineageInformation.dbServiceNames", "must be a list of names")
    mark_deleted = _typed(source_config.get("markDeletedPipelines", False), bool,
                          "source.sourceConfig.config.markDeletedPipelines")
    return Settings(translator, _openmetadata_source(connection), _openmetadata_sink(data), openmetadata_form=True,
                    mark_deleted_pipelines=mark_deleted, lineage_services=tuple(names))


# Keys of OpenMetadata's workflow that mean something in one place only: found anywhere else they would be
# ignored, and lineage would quietly use default names (OpenMetadata's own schemas refuse them there too).
_CONNECTION = "source.serviceConnection.config"
_SOURCE_CONFIG = "source.sourceConfig.config"
_ONLY_AT = {
    "namespaceToServiceMapping": _CONNECTION,
    "brokerConfig": _CONNECTION,
    "includeLineage": _SOURCE_CONFIG,
    "includeQueries": _SOURCE_CONFIG,
    "includeUsage": _SOURCE_CONFIG,
    "includeDataQuality": _SOURCE_CONFIG,
    "includeRunFacts": _SOURCE_CONFIG,
    "markDeletedPipelines": _SOURCE_CONFIG,
    "lineageInformation": _SOURCE_CONFIG,
    "openMetadataServerConfig": "workflowConfig",
}


def _refuse_misplaced(data: Mapping[str, Any], path: str = "", depth: int = 0,
                      seen: set[int] | None = None) -> None:
    """A ConfigError for a key of :data:`_ONLY_AT` anywhere but its place, naming the place."""
    if depth > 6:  # the places are at most four levels deep; below that lie values (mappings, broker settings)
        return
    seen = set() if seen is None else seen
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        right = _ONLY_AT.get(key)
        if right is not None and path != right:
            raise ConfigError(where, f"is not read here; it belongs under {right} ({right}.{key})")
        # Each mapping once: YAML aliases share them, and a "billion laughs" file would be walked for hours.
        if isinstance(value, Mapping) and right is None and id(value) not in seen:
            seen.add(id(value))
            _refuse_misplaced(value, where, depth + 1, seen)


def _openmetadata_source(connection: Mapping[str, Any]) -> Mapping[str, Any]:
    """``brokerConfig`` as our ``kafka`` or ``kinesis`` source, run like OpenMetadata's workflow: until the stream
    has been quiet for ``sessionTimeout`` seconds (``mode: service`` there keeps it running)."""
    where = "source.serviceConnection.config.brokerConfig"
    broker = _mapping(connection.get("brokerConfig"), where)
    if not broker:
        return {}
    if "brokersUrl" in broker or "topicName" in broker:
        kind = "kafka"
    elif "streamName" in broker:
        kind = "kinesis"
    else:
        raise ConfigError(where, "must hold a Kafka (brokersUrl, topicName) or Kinesis (streamName, awsConfig) "
                                 "broker configuration")
    return {"type": kind, "mode": "batch", **broker, PATH_KEY: where}


def _openmetadata_sink(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """OpenMetadata's ``sink: {type: metadata-rest}`` with the server from ``workflowConfig``: our ``openmetadata``
    sink (an ol-om sink named there, such as ``dry-run``, is taken as it is)."""
    sink = _mapping(data.get("sink"), "sink")
    kind = sink.get("type", "metadata-rest")
    if kind != "metadata-rest":
        return sink
    workflow = _mapping(data.get("workflowConfig"), "workflowConfig")
    server = _mapping(workflow.get("openMetadataServerConfig"), "workflowConfig.openMetadataServerConfig")
    return {**_mapping(sink.get("config"), "sink.config"), "type": "openmetadata",
            PATH_KEY: "workflowConfig",
            "openMetadataServerConfig": server}


def _filter(value: Any, path: str) -> FilterPattern:
    data = _mapping(value, path)
    unknown = set(data) - {"includes", "excludes"}
    if unknown:
        raise ConfigError(f"{path}.{sorted(map(str, unknown))[0]}", "unknown key; expected includes or excludes")
    patterns = {}
    for key in ("includes", "excludes"):
        items = data.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{path}.{key}", "must be a list of regular expressions")
        for i, item in enumerate(items):
            try:
                compile_filter(item)  # with the flags the translator matches with
            except re.error as exc:
                raise ConfigError(f"{path}.{key}[{i}]", f"{item!r} is not a regular expression: {exc}") from None
        patterns[key] = tuple(items)
    return FilterPattern(**patterns)


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be a mapping, not {type(value).__name__}")
    return value


def _str_map(value: Any, path: str) -> dict[str, str]:
    data = _mapping(value, path)
    for key, item in data.items():
        if not isinstance(item, str):
            raise ConfigError(f"{path}.{key}", f"must be a string, not {type(item).__name__}")
    return {str(k): v for k, v in data.items()}


def _typed(value: Any, kind: type, path: str) -> Any:
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if kind is not int and isinstance(value, kind):
        return value
    expected = {bool: "true or false", int: "a positive whole number", str: "a string"}[kind]
    raise ConfigError(path, f"must be {expected}, not {value!r}")
