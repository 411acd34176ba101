"""Which push endpoints the server will post to: only origins of known push services.

A subscription's endpoint is an address the client chose; accepting any would let a
client make the server post to internal hosts. ``WIJKPOST_PUSH_ENDPOINTS`` lists the
allowed origins (comma-separated). A pattern's first label may be ``*``, which stands for
exactly one DNS label (letters, digits, hyphens) and is allowed only on https, so
``https://*.notify.windows.com`` admits ``https://wns2-par02p.notify.windows.com`` but not
``https://notify.windows.com.evil.example`` or ``https://a.b.notify.windows.com``.
An http origin is accepted only when listed literally (tests use ``http://127.0.0.1:port``).

Endpoints are matched by a strict pattern (host, optional port, path and query of URL
characters; no user-info, no backslash, no fragment), so the server and the HTTP client
cannot read a different host out of the same string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_ENDPOINT = re.compile(
    rf"(?P<scheme>https?)://(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?"
    r"(?P<rest>/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?",
    re.IGNORECASE,
)
_PATTERN = re.compile(
    rf"(?P<scheme>https?)://(?P<wild>\*\.)?(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?/?",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"https": 443, "http": 80}
MAX_ENDPOINT_LENGTH = 2048


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # without the wildcard label
    port: int
    wildcard: bool

    def admits(self, scheme: str, host: str, port: int) -> bool:
        if scheme != self.scheme or port != self.port:
            return False
        if not self.wildcard:
            return host == self.host
        label, _, parent = host.partition(".")
        return parent == self.host and re.fullmatch(_LABEL, label) is not None


def parse_origins(setting: str) -> tuple[Origin, ...]:
    """The allowed origins; a malformed entry is a configuration error (ValueError)."""
    origins = []
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        match = _PATTERN.fullmatch(entry)
        if match is None:
            raise ValueError(f"WIJKPOST_PUSH_ENDPOINTS: {entry!r} is not an origin")
        scheme = match["scheme"].lower()
        wildcard = match["wild"] is not None
        if wildcard and scheme != "https":
            raise ValueError(f"WIJKPOST_PUSH_ENDPOINTS: a wildcard needs https ({entry!r})")
        if wildcard and "." not in match["host"]:
            raise ValueError(f"WIJKPOST_PUSH_ENDPOINTS: wildcard too wide ({entry!r})")
        port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
        origins.append(Origin(scheme, match["host"].lower(), port, wildcard))
    return tuple(origins)


def endpoint_origin(endpoint: str) -> str | None:
    """``scheme://host[:port]`` of a well-formed endpoint, else None."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return None
    match = _ENDPOINT.fullmatch(endpoint)
    if match is None:
        return None
    origin = f"{match['scheme'].lower()}://{match['host'].lower()}"
    return origin + (f":{match['port']}" if match["port"] else "")


def allowed(endpoint: str, origins: tuple[Origin, ...]) -> bool:
    match = _ENDPOINT.fullmatch(endpoint) if len(endpoint) <= MAX_ENDPOINT_LENGTH else None
    if match is None:
        return False
    scheme = match["scheme"].lower()
    port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
    host = match["host"].lower()
    return any(origin.admits(scheme, host, port) for origin in origins)
