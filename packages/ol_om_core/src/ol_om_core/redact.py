"""Text that is safe to print: secrets masked, control characters spelled out.

Everything ol-om shows an operator (reprs, log lines, ``ol-om check``'s table, error messages) passes through
here: configuration values under secret-looking keys become ``***``, a password in a URL's ``user:password@``
too, and names taken from events (jobs, datasets, facets) cannot forge a log line or write a NUL byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

# Keys whose values are credentials, in any spelling the configurations use: OpenMetadata's camelCase
# (jwtToken, saslPassword, awsSecretAccessKey, sslKey), snake_case attributes, librdkafka's dotted properties
# (sasl.password, ssl.key.pem, sasl.oauthbearer.client.secret) and HTTP headers (Authorization).
_SECRET_KEY = re.compile(
    r"password|passwd|secret|token|jwt|api[_.-]?key|access[_.-]?key|ssl[_.-]?key|private[_.-]?key|credential"
    r"|extra[_.-]?headers|authorization|cookie", re.IGNORECASE)

# scheme://user:password@host -> the password. A bare ``user@`` is left as it is: it names, it does not prove.
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+._-]*://[^/?#@\s:]*:)[^/?#@\s]*@")

# C0 controls but the tab, DEL, C1 controls (NEL among them) and Unicode's line and paragraph separators:
# anything a terminal or a log reader could take as the end of a line, or that has no business in a log.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x00": "\\0"}


def is_secret_key(key: object) -> bool:
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def mask_urls(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it masked."""
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text) if "@" in text else text


def redacted(value: Any) -> Any:
    """A configuration value to show: values under secret keys masked (at any depth), URLs' passwords masked."""
    if isinstance(value, Mapping):
        return {key: MASK if is_secret_key(key) and item is not None else redacted(item)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redacted(item) for item in value)
    if isinstance(value, str):
        return mask_urls(value)
    return value


def printable(text: str) -> str:
    """``text`` on one line: control characters spelled out (``\\n``, ``\\0``, ``\\x1b``, ``\\u2028``)."""
    return _CONTROL.sub(_spelled, text) if _CONTROL.search(text) else text


def safe(text: str) -> str:
    """``text`` as ol-om prints it to an operator: on one line, passwords in URLs masked."""
    return printable(mask_urls(text))


def _spelled(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
