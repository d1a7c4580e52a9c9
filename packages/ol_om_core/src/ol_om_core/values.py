"""``@value``: a frozen, slotted dataclass that is cheap to make.

A frozen dataclass's ``__init__`` stores each field through ``object.__setattr__``, several times the cost of a
plain store; the core makes some twenty such values per event (the parsed event, task specs, status views,
operations), and that was a large share of its time. ``@value`` is ``@dataclass(frozen=True, slots=True)`` with an
``__init__`` that stores each field through its slot's descriptor instead: the same bypass of the frozen
``__setattr__``, at about half the cost. Everything else (equality, hashing, repr, ``replace``, immutability,
keyword-only fields, ``__post_init__``) is the dataclass's own.

Only for fields with plain defaults (a field left out of ``__init__`` must have one): anything else is refused.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def value(cls: type[T]) -> type[T]:
    cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(f.default_factory is not dataclasses.MISSING or (not f.init and f.default is dataclasses.MISSING)
           for f in fields):
        raise TypeError(f"@value does not support {cls.__name__}: use @dataclass(frozen=True, slots=True)")
    defaults = {f"_d_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    setters = {f"_s_{f.name}": cls.__dict__[f.name].__set__ for f in fields}

    def param(f: dataclasses.Field[Any]) -> str:
        return f"{f.name}=_d_{f.name}" if f"_d_{f.name}" in defaults else f.name

    taken = [f for f in fields if f.init and not f.kw_only] + [f for f in fields if f.init and f.kw_only]
    own = list(inspect.signature(cls.__init__).parameters.values())[1:]
    if [(f.name, f.kw_only) for f in taken] != [(p.name, p.kind is p.KEYWORD_ONLY) for p in own]:
        # An InitVar, or anything else the dataclass's own __init__ takes that is no field of it.
        raise TypeError(f"@value does not support {cls.__name__}: use @dataclass(frozen=True, slots=True)")
    keyword = [param(f) for f in taken if f.kw_only]
    params = [param(f) for f in taken if not f.kw_only] + (["*", *keyword] if keyword else [])
    body = [f"    _s_{f.name}(self, {f.name if f.init else '_d_' + f.name})" for f in fields]
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    namespace: dict[str, Any] = {}
    exec(f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n",
         {**defaults, **setters}, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
