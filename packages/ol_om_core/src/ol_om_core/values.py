"""``@value``: a frozen, slotted dataclass that is cheap to make.

A frozen dataclass's ``__init__`` stores each field through ``object.__setattr__``, several times the cost of a
plain store; the core makes some twenty such values per event (the parsed event, task specs, status views), and
that was a large share of its time. ``@value`` is ``@dataclass(frozen=True, slots=True)`` with an ``__init__`` that
stores each field through its slot's descriptor instead: the same bypass of the frozen ``__setattr__``, at about
half the cost. Everything else (equality, hashing, repr, ``replace``, immutability) is the dataclass's own.

Only for classes whose fields are all set by ``__init__`` from plain defaults: anything else is refused.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value(cls: type[T]) -> type[T]:
    cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING for f in fields) \
            or hasattr(cls, "__post_init__"):
        raise TypeError(f"@value does not support {cls.__name__}: use @dataclass(frozen=True, slots=True)")
    names = [f.name for f in fields]
    defaults = {f"_d_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    setters = {f"_s_{name}": cls.__dict__[name].__set__ for name in names}
    params = ", ".join(f"{n}=_d_{n}" if f"_d_{n}" in defaults else n for n in names)
    body = "\n".join(f"    _s_{n}(self, {n})" for n in names) or "    pass"
    namespace: dict[str, Any] = {}
    exec(f"def __init__(self, {params}):\n{body}\n", {**defaults, **setters}, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
