"""OpenMetadata fully qualified names: quote, build and split them exactly as OpenMetadata does.

An FQN is name parts joined with ``.``. A part that contains ``.`` is wrapped in double quotes
(``svc.default.bucket."raw/a.csv"``); spaces, ``/``, ``-``, ``:`` and unicode stay unquoted.

A ``"`` inside a name: OpenMetadata changed this rule twice. The oldest server refused it (``Invalid name``);
later ``FullyQualifiedName.quoteName`` backslash-escaped it without wrapping the part (``a"b`` -> ``a\\"b``),
which its own grammar (``Fqn.g4``) could not parse back. Since PR #28697 (June 2026) the server wraps a part
that holds a ``.`` or a ``"`` in quotes and doubles every inner quote (grammar: ``'"' ( ~["] | '""' )* '"'``),
so ``a"b`` becomes ``"a""b"``, and ``quoteName`` is idempotent on an encoded part. We follow that rule: the
only one under which every name can be written and read back. A single quote means nothing in an FQN:
``quo"te's`` is ``"quo""te's"``, ``it's`` stays ``it's``. The sink still uses the FQN the server answers with,
for servers of the backslash era.

Round trip: ``split(build(*parts)) == list(parts)`` for every non-empty part that is not itself wrapped in
double quotes. A part that is (``"a.b"``, ``"a"``) is taken as already quoted, as OpenMetadata does: it keeps
its quotes only if its body contains a ``.``.
"""

from __future__ import annotations

import re

from ol_om_core.errors import InvalidFQN

SEPARATOR = "."

# A part already written in quoted form: "body", where every " in the body is doubled and the body is not empty.
_QUOTED = re.compile(r'"((?:[^"]|"")+)"')


def quote_name(name: str) -> str:
    """Return ``name`` as one FQN part, quoted only when it has to be."""
    if not name:
        raise InvalidFQN("an FQN part cannot be empty")
    already = _QUOTED.fullmatch(name)
    if already:
        # OpenMetadata's rule for a part that arrives quoted: keep the quotes only if they are needed.
        body = already.group(1).replace('""', '"')
        return name if "." in body else quote_name(body)
    if "." in name or '"' in name:
        return '"' + name.replace('"', '""') + '"'
    return name


def build(*parts: str) -> str:
    """Join name parts into an FQN (``build("svc", "db", "s", "a.b")`` -> ``svc.db.s."a.b"``)."""
    if not parts:
        raise InvalidFQN("an FQN needs at least one part")
    return SEPARATOR.join(quote_name(part) for part in parts)


def split(fqn: str) -> list[str]:
    """Split an FQN into its unquoted parts; the inverse of :func:`build`.

    Raises :class:`InvalidFQN` for empty parts (``a..b``, ``a.``), unbalanced quotes, a stray ``"`` in an
    unquoted part, or text glued to a closing quote (``"a.b"c``).
    """
    parts: list[str] = []
    i, end = 0, len(fqn)
    while True:
        if fqn.startswith('"', i):
            part, i = _read_quoted(fqn, i)
        else:
            stop = fqn.find(SEPARATOR, i)
            stop = end if stop == -1 else stop
            part, i = fqn[i:stop], stop
            if not part:
                raise InvalidFQN(f"empty part in FQN {fqn!r}")
            if '"' in part:
                raise InvalidFQN(f"stray quote in FQN part {part!r} of {fqn!r}")
        parts.append(part)
        if i == end:
            return parts
        if fqn[i] != SEPARATOR:
            raise InvalidFQN(f"text after a closing quote in FQN {fqn!r}")
        i += 1
        if i == end:
            raise InvalidFQN(f"FQN {fqn!r} ends with a separator")


def _read_quoted(fqn: str, start: int) -> tuple[str, int]:
    """Read the quoted part that opens at ``start``; return it unquoted and the index after its closing quote."""
    chars: list[str] = []
    i = start + 1
    while i < len(fqn):
        if fqn[i] != '"':
            chars.append(fqn[i])
            i += 1
        elif fqn.startswith('""', i):  # a doubled quote is one literal quote
            chars.append('"')
            i += 2
        else:
            if not chars:
                raise InvalidFQN(f"empty quoted part in FQN {fqn!r}")
            return "".join(chars), i + 1
    raise InvalidFQN(f"unbalanced quote in FQN {fqn!r}")
