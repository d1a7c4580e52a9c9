"""One HTTP call to OpenMetadata, classified: an answer, a transient failure, a permanent one, or fatal.

Keep-alive connections are pooled (one per worker thread at most); TLS is verified unless configured otherwise.
The retry policy lives with the caller, which knows how long the source may be held.
"""

from __future__ import annotations

import email.utils
import json
import logging
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import urllib3

from ol_om_core.contract.sinks import SinkError
from ol_om_sink.config import SinkConfig
from ol_om_sink.counters import Counters

log = logging.getLogger("ol_om_sink")

_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_UNPARSED = object()


class Response:
    """A status and a JSON body, parsed only if read (a status PUT answers with the whole pipeline)."""

    __slots__ = ("_body", "_data", "status")

    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self._data = data
        self._body: Any = _UNPARSED

    @property
    def body(self) -> Any:
        if self._body is _UNPARSED:
            self._body = _json(self._data)
        return self._body


class Transient(Exception):
    """Worth trying again later: throttled, server error, timeout, connection refused or dropped."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Rejected(Exception):
    """OpenMetadata said no, and will say no again (a 4xx): the server's message is the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class AuthError(SinkError):
    """401/403: the token is missing, wrong, expired, or its bot lacks a role. Nothing can be written."""


class Client:
    def __init__(self, config: SinkConfig, counters: Counters | None = None) -> None:
        self.base = config.host_port
        self.shown_base = config.shown_host_port
        self.counters = counters or Counters()
        self._headers = {name: value.get_secret_value() for name, value in config.extra_headers.items()}
        self._headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if config.token:
            self._headers["Authorization"] = f"Bearer {config.token}"
        self._timeout = urllib3.Timeout(connect=min(config.timeout, 10.0), read=config.timeout)
        pool: dict[str, Any] = {"maxsize": config.concurrency, "block": True, "retries": False}
        if self.base.startswith("https://"):
            if config.verify_ssl == "validate":
                pool["cert_reqs"] = ssl.CERT_REQUIRED
                ca = config.ssl_config.ca_certificate
                if ca and ca.lstrip().startswith("-----BEGIN"):
                    pool["ca_cert_data"] = ca
                elif ca:
                    pool["ca_certs"] = ca
            else:
                pool["cert_reqs"] = ssl.CERT_NONE
            if config.ssl_config.ssl_certificate:
                pool["cert_file"] = config.ssl_config.ssl_certificate
                if config.ssl_config.ssl_key is not None:
                    pool["key_file"] = config.ssl_config.ssl_key.get_secret_value()
        self._pool = urllib3.PoolManager(**pool)

    def __repr__(self) -> str:  # never the headers: they hold the token
        return f"Client({self.shown_base!r})"

    def call(self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None, *,
             label: str = "") -> Response:
        """One request; raises ``Transient``, ``Rejected`` or ``AuthError`` for anything but a 2xx or a 404.

        ``label`` names the call in the counters (``PUT lineage``, ``GET table``...)."""
        self.counters.add(f"{method} {label or path}")
        url = self.base + path + (f"?{urlencode(params)}" if params else "")
        data = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            answer = self._pool.request(method, url, body=data, headers=self._headers, timeout=self._timeout,
                                        redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            # The reason names the failure, never the request (whose headers carry the token).
            raise Transient(f"{method} {path}: {type(exc).__name__}: {_cause(exc)}") from None
        status = answer.status
        if status < 300 or status == 404:
            return Response(status, answer.data)
        message = message_of(_json(answer.data), answer.data[:300].decode("utf-8", "replace") or "(no body)")
        if status in (401, 403):
            raise AuthError(f"OpenMetadata at {self.shown_base} refused the credentials ({status} on {method} {path}): "
                            f"{message}. Check securityConfig.jwtToken: the bot's token, not expired, with a role "
                            "that may edit pipelines and lineage.")
        if status in _TRANSIENT_STATUSES:
            raise Transient(f"{method} {path}: {status} {message}", _retry_after(answer.headers.get("Retry-After")))
        raise Rejected(status, message)

    def close(self) -> None:
        self._pool.clear()


def _json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def message_of(payload: Any, otherwise: str) -> str:
    """OpenMetadata's own words in an error answer (its ``message``), else ``otherwise``."""
    if isinstance(payload, Mapping) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return otherwise


def _cause(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc).split(" (Caused by")[0][:300]


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds or as an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
