"""One HTTP call to OpenMetadata, classified: an answer, a transient failure, a permanent one, or fatal.

Keep-alive connections are pooled (``transport``: one per calling thread at a time); TLS is verified unless
configured otherwise. The retry policy lives with the caller, which knows how long the source may be held.
"""

from __future__ import annotations

import email.utils
import json
import logging
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ol_om_core.contract.sinks import SinkError
from ol_om_sink.config import SinkConfig
from ol_om_sink.counters import Counters
from ol_om_sink.transport import Connections, ProtocolError

log = logging.getLogger("ol_om_sink")

_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_UNPARSED = object()
_TARGET_SAFE = "/%:@!$&'()*+,;=~-._"
"""Kept as they are in a request target; anything else (a space, non-ASCII) percent-encoded, as urllib3 did."""


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
        url = urlsplit(self.base)
        host = url.hostname or ""
        default_port = 443 if url.scheme == "https" else 80
        port = url.port or default_port
        self._prefix = url.path.rstrip("/")  # /api
        name = f"[{host}]" if ":" in host else host
        headers = {"Host": name if port == default_port else f"{name}:{port}"}
        headers.update({name: value.get_secret_value() for name, value in config.extra_headers.items()})
        headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if config.token:
            headers["Authorization"] = f"Bearer {config.token}"
        # Rendered once, sent with every request; never shown (it holds the token).
        self._headers = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("latin-1")
        self._connections = Connections(host, port, _tls(config) if url.scheme == "https" else None,
                                        connect_timeout=min(config.timeout, 10.0), read_timeout=config.timeout)

    def __repr__(self) -> str:  # never the headers: they hold the token
        return f"Client({self.shown_base!r})"

    def call(self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None, *,
             label: str = "") -> Response:
        """One request; raises ``Transient``, ``Rejected`` or ``AuthError`` for anything but a 2xx or a 404.

        ``label`` names the call in the counters (``PUT lineage``, ``GET table``...)."""
        self.counters.add(f"{method} {label or path}")
        target = quote(self._prefix + path, safe=_TARGET_SAFE) + (f"?{urlencode(params)}" if params else "")
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        length = f"Content-Length: {len(data)}\r\n" if body is not None or method in ("PUT", "POST", "PATCH") else ""
        request = f"{method} {target} HTTP/1.1\r\n".encode() + self._headers + length.encode() + b"\r\n" + data
        try:
            answer = self._connections.exchange(request)
        except (OSError, ProtocolError) as exc:
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
            raise Transient(f"{method} {path}: {status} {message}", _retry_after(answer.headers.get("retry-after")))
        raise Rejected(status, message)

    def close(self) -> None:
        self._connections.close()


def _tls(config: SinkConfig) -> ssl.SSLContext:
    """``verifySSL: validate`` checks the certificate and the host name (against ``caCertificate``, a file or PEM
    text, else the system's authorities); ``ignore`` checks nothing. A client certificate (files) when given.
    Refused settings are a ``SinkError`` now, naming the setting (never the key), rather than at every call."""
    context = ssl.create_default_context()
    ca, cert, key = config.ssl_config.ca_certificate, config.ssl_config.ssl_certificate, config.ssl_config.ssl_key
    try:
        if config.verify_ssl != "validate":
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif ca and ca.lstrip().startswith("-----BEGIN"):
            context.load_verify_locations(cadata=ca)
        elif ca:
            context.load_verify_locations(cafile=ca)
    except (OSError, ValueError) as exc:
        raise SinkError(f"sslConfig.caCertificate cannot be used: {exc}") from None
    try:
        if cert:
            context.load_cert_chain(cert, key.get_secret_value() if key else None)
    except (OSError, ValueError) as exc:  # the messages name no file and no key
        raise SinkError(f"sslConfig.sslCertificate / sslKey cannot be used: {type(exc).__name__}: {exc}") from None
    return context


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
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return (str(exc) or "connection lost")[:300]


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
