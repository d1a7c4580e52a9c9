"""Typed configuration sections: a plugin's settings class, built in code, from a mapping, from YAML or from a
whole workflow file, with the same validation and the same errors as ``ol-om run``.

The settings classes themselves are pydantic models in the plugins' packages (``ol_om_kafka.config``,
``ol_om_kinesis.config``, ``ol_om_sink.config``); these mixins go before the pydantic base and give them the
constructors and conversions the Python API documents. Nothing here imports pydantic: the core stays
dependency-free. Every error is a :class:`~ol_om_core.errors.ConfigError` naming the key's path
(``brokerConfig.saslConfig.saslMechanism``), and a value under a secret key is never quoted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from ol_om_core import configfile
from ol_om_core.configfile import PATH_KEY, invalid_setting
from ol_om_core.errors import ConfigError
from ol_om_core.redact import MASK, is_secret_key, redacted

WORKFLOW_KEYS = frozenset({"source", "sink", "translate", "workflowConfig"})
"""Top-level keys that make a mapping a whole workflow rather than one plugin's section."""

Source = str | os.PathLike[str] | Mapping[str, Any] | configfile.Settings


MODEL_CONFIG: dict[str, Any] = {"extra": "forbid", "frozen": True, "populate_by_name": True}
"""The pydantic model configuration of every plugin's settings (``ConfigDict(**MODEL_CONFIG)``): unknown keys
refused, values frozen, keys by OpenMetadata's camelCase alias or by the attribute's name."""


class MaskedRepr:
    """Goes before pydantic's ``BaseModel``: ``repr()`` and ``str()`` show ``***`` for the values of secret keys
    (``ssl_key``, ``aws_access_key_id``, ``sasl.password`` in ``consumerConfig``…) and for URLs' passwords."""

    def __repr_args__(self) -> Any:
        for name, value in getattr(super(), "__repr_args__")():  # noqa: B009 - pydantic's, not ours
            yield name, MASK if is_secret_key(name) and value is not None else redacted(value)


class TypedSection(MaskedRepr):
    """Constructors and conversions shared by the plugins' settings models. A subclass sets the class attributes
    and ``_load`` (its module's ``load``: validation, environment overrides, errors with key paths)."""

    section_type: ClassVar[str]
    """The entry-point name in ``ol_om.sources`` / ``ol_om.sinks``: ``kafka``, ``kinesis``, ``openmetadata``."""
    section_role: ClassVar[str] = "source"
    """Where the section sits in a workflow: ``source`` or ``sink``."""
    section_path: ClassVar[str] = "source"
    """The key path errors start with when the settings are built in code or from a mapping."""
    secret_keys: ClassVar[frozenset[str]] = frozenset()
    """Keys whose values are never quoted in an error."""

    def __init__(self, **data: Any) -> None:
        """Keyword arguments with OpenMetadata's camelCase names or the attributes' snake_case names."""
        try:
            super().__init__(**data)
        except ValueError as exc:
            raise self._config_error(exc, self.section_path) from None

    # pydantic calls a model's own __init__ from model_validate too (its "custom init"); this one only re-says
    # keyword arguments' errors, so it is marked as pydantic marks its base __init__: validation from a mapping
    # (each module's ``load``) keeps pydantic's errors, which it turns into errors with the file's key path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def _load(cls, section: Mapping[str, Any], environ: Mapping[str, str]) -> Self:
        raise NotImplementedError

    @classmethod
    def validated(cls, data: Mapping[str, Any], path: str) -> Self:
        """pydantic's validation of a mapping from a file, its first error said as a ``ConfigError`` under
        ``path``: what each plugin's ``load`` ends with."""
        try:
            validated: Self = getattr(cls, "model_validate")(data)  # noqa: B009 - pydantic's, not ours
        except ValueError as exc:
            raise cls._config_error(exc, path) from None
        return validated

    @classmethod
    def _config_error(cls, exc: ValueError, path: str) -> ValueError:
        """pydantic's ValidationError re-said with the key's path, secrets unquoted; any other error as it is."""
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            return exc
        first = errors()[0]
        return invalid_setting(path, first["loc"], first["msg"], cls.secret_keys)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str | None = None,
                  environ: Mapping[str, str] | None = None) -> Self:
        """The settings in ``data`` (camelCase or snake_case keys). Errors name the key under ``path``. The
        environment overrides (``OL_OM_KAFKA_SASL_PASSWORD``…) apply only when ``environ`` is given."""
        where = path or cls.section_path
        if not isinstance(data, Mapping):
            raise ConfigError(where, f"must be a mapping, not {type(data).__name__}")
        section = {key: value for key, value in data.items() if key != "type"}
        return cls._load({**section, PATH_KEY: where}, environ or {})

    @classmethod
    def from_yaml(cls, source: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> Self:
        """From a YAML (or JSON, TOML) file or text holding either this section alone or a whole workflow, in
        OpenMetadata's form or ol-om's (then as :meth:`from_workflow`)."""
        data = configfile.data_of(source)
        if WORKFLOW_KEYS & set(data):
            return cls.from_workflow(data, environ=environ)
        return cls.from_dict(data, environ=environ)

    @classmethod
    def from_workflow(cls, config: Source, *, environ: Mapping[str, str] | None = None) -> Self:
        """This section of a whole workflow (a file's path, its text, its mapping or ``Settings``), exactly as
        ``ol-om run`` reads it: OpenMetadata's form runs its source in ``batch`` mode unless it says otherwise."""
        section = getattr(configfile.settings_of(config), cls.section_role)
        kind = section.get("type")
        if kind != cls.section_type:
            found = f"is {kind!r}" if kind else "names none"
            raise ConfigError(f"{cls.section_role}.type",
                              f"this workflow's {cls.section_role} {found}, not {cls.section_type}")
        return cls._load(section, environ or {})

    def as_section(self) -> dict[str, Any]:
        """The plugin's configuration section, ``type`` first and secrets in the clear: what its entry point's
        factory reads. For handing to ol-om only; never log it."""
        dump = getattr(self, "model_dump")(by_alias=True, exclude_none=True)  # noqa: B009 - pydantic's, not ours
        return {"type": self.section_type, **_revealed(dump)}


class BrokerSection(TypedSection):
    """A broker's settings that are OpenMetadata's ``KafkaBrokerConfig`` / ``KinesisBrokerConfig`` plus ol-om's
    own: :meth:`to_openmetadata` gives the OpenMetadata part, for the OpenLineage connection of a pipeline
    service."""

    section_path = "brokerConfig"
    openmetadata_keys: ClassVar[tuple[str, ...]] = ()
    """The keys of OpenMetadata's broker schema, in its order; the others are ol-om's own."""
    openmetadata_values: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """Where ol-om accepts more values than OpenMetadata's schema (Kinesis' ``AT_TIMESTAMP``), the ones it takes."""

    def to_openmetadata(self, *, include_secrets: bool = False) -> dict[str, Any]:
        """OpenMetadata's ``brokerConfig``: its keys only, unset ones left out (a nested section too, when it
        holds only defaults). Secrets are left out unless ``include_secrets``: OpenMetadata would store a mask
        as the value. A value OpenMetadata's schema does not take is an error naming the key."""
        dump = getattr(self, "model_dump")  # noqa: B009 - pydantic's, not ours
        values, changed = dump(by_alias=True, exclude_none=True), dump(by_alias=True, exclude_defaults=True)
        result: dict[str, Any] = {}
        for key in self.openmetadata_keys:
            value = values.get(key)
            if value is None or (isinstance(value, Mapping) and key not in changed):
                continue
            allowed = self.openmetadata_values.get(key)
            if allowed is not None and value not in allowed:
                raise ConfigError(f"{self.section_path}.{key}", f"{value!r} is ol-om's own; OpenMetadata's "
                                                                f"connection takes {' or '.join(allowed)}")
            value = _revealed(value, None if include_secrets else self.secret_keys)
            if value != {}:
                result[key] = value
        return result


def _revealed(value: Any, drop: frozenset[str] | None = None) -> Any:
    """``value`` with secret values in the clear (pydantic's ``SecretStr``), or without the ``drop`` keys."""
    if isinstance(value, Mapping):
        return {key: _revealed(item, drop) for key, item in value.items() if drop is None or key not in drop}
    if isinstance(value, list | tuple):
        return [_revealed(item, drop) for item in value]
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if callable(reveal) else value
