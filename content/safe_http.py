"""SSRF-safe GET for addresses our users or feeds name (link previews, RSS/Atom sources), and POST of a JSON body
to one (programmes' Slack and Teams webhooks).

Hand-written on ``http.client`` because requests/urllib3 re-resolve the host when they connect: here the host is
resolved once, every address checked, and the connection made to that checked address with the original Host
header and TLS SNI, under one deadline for the whole exchange. It follows Advocate's design and the OWASP SSRF
cheat sheet without depending on Advocate, which is unmaintained.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

USER_AGENT = "RelaisPreview/1.0 (+https://relais.example)"
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 64 * 1024
# Headers we set ourselves: a caller may not override the Host we checked, send cookies or ask for compression
# (a compressed body would escape the byte cap once decoded).
RESERVED_HEADERS = frozenset({"host", "user-agent", "cookie", "accept-encoding", "connection"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]


@dataclass(frozen=True)
class SpecialPurposeBlock:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    rfc: str


def _block(network: str, name: str, rfc: str) -> SpecialPurposeBlock:
    return SpecialPurposeBlock(ipaddress.ip_network(network), name, rfc)


# Every row of IANA's IPv4 and IPv6 special-purpose address registries, plus multicast and the deprecated
# IPv6 forms. ``ipaddress`` flags change between Python releases and call some of these global (192.0.0.8,
# 192.88.99.0/24, 64:ff9b::/96, 2002::/16...), and even the registry's "globally reachable" ones (anycast
# relays, AS112 sinks, NAT64 and 6to4 gateways) are infrastructure or tunnels, never a page to preview.
SPECIAL_PURPOSE_BLOCKS: tuple[SpecialPurposeBlock, ...] = (
    _block("0.0.0.0/8", "This network", "RFC 791"),
    _block("0.0.0.0/32", "This host on this network", "RFC 1122"),
    _block("10.0.0.0/8", "Private-Use", "RFC 1918"),
    _block("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
    _block("127.0.0.0/8", "Loopback", "RFC 1122"),
    _block("169.254.0.0/16", "Link Local", "RFC 3927"),
    _block("172.16.0.0/12", "Private-Use", "RFC 1918"),
    _block("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"),
    _block("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
    _block("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    _block("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"),
    _block("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
    _block("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 7050"),
    _block("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 7050"),
    _block("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
    _block("192.31.196.0/24", "AS112-v4", "RFC 7535"),
    _block("192.52.193.0/24", "AMT", "RFC 7450"),
    _block("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
    _block("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"),
    _block("192.168.0.0/16", "Private-Use", "RFC 1918"),
    _block("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),
    _block("198.18.0.0/15", "Benchmarking", "RFC 2544"),
    _block("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
    _block("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
    _block("224.0.0.0/4", "Multicast", "RFC 5771"),
    _block("240.0.0.0/4", "Reserved", "RFC 1112"),
    _block("255.255.255.255/32", "Limited Broadcast", "RFC 919"),
    _block("::/128", "Unspecified Address", "RFC 4291"),
    _block("::1/128", "Loopback Address", "RFC 4291"),
    _block("::/96", "IPv4-compatible Address (deprecated)", "RFC 4291"),
    _block("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"),
    _block("64:ff9b::/96", "IPv4-IPv6 Translation", "RFC 6052"),
    _block("64:ff9b:1::/48", "IPv4-IPv6 Translation (local use)", "RFC 8215"),
    _block("100::/64", "Discard-Only Address Block", "RFC 6666"),
    _block("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
    _block("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
    _block("2001::/32", "TEREDO", "RFC 4380"),
    _block("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"),
    _block("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
    _block("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"),
    _block("2001:2::/48", "Benchmarking", "RFC 5180"),
    _block("2001:3::/32", "AMT", "RFC 7450"),
    _block("2001:4:112::/48", "AS112-v6", "RFC 7535"),
    _block("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
    _block("2001:20::/28", "ORCHIDv2", "RFC 7343"),
    _block("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"),
    _block("2001:db8::/32", "Documentation", "RFC 3849"),
    _block("2002::/16", "6to4", "RFC 3056"),
    _block("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),
    _block("3fff::/20", "Documentation", "RFC 9637"),
    _block("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
    _block("fc00::/7", "Unique-Local", "RFC 4193"),
    _block("fe80::/10", "Link-Local Unicast", "RFC 4291"),
    _block("fec0::/10", "Site-Local Unicast (deprecated)", "RFC 3879"),
    _block("ff00::/8", "Multicast", "RFC 4291"),
)


# Why a fetch failed, by message code. What is stored (a link preview's error) is the code and its parameters, and
# ``fetch_message`` words it in the reader's language: a sentence saved already translated stayed in the language of
# whoever, or whichever worker, made the fetch.
FETCH_MESSAGES: dict[str, Promise] = {
    "numeric_host": gettext_lazy("Numeric host addresses must be written in the usual dotted form."),
    "invalid": gettext_lazy("This is not a valid web address."),
    "scheme": gettext_lazy("Only http and https links are allowed."),
    "credentials": gettext_lazy("Links with a user name or password are not allowed."),
    "port": gettext_lazy("Only the standard web ports (80 and 443) are allowed."),
    "address": gettext_lazy("This link points to a private or reserved network address."),
    "dns": gettext_lazy("The site's name could not be found."),
    "timeout": gettext_lazy("The site took too long to answer."),
    "connection": gettext_lazy("The site could not be reached."),
    "tls": gettext_lazy("The site's security certificate could not be verified."),
    "redirects": gettext_lazy("The link redirects too many times."),
    "size": gettext_lazy("The page is larger than %(size)s."),
    "content_type": gettext_lazy("The link returned %(type)s, not a kind of page that can be read here."),
    "content_type_unknown": gettext_lazy(
        "The link returned an unknown type of content, not a kind of page that can be read here."
    ),
    "http_status": gettext_lazy("The page answered with HTTP status %(status)d."),
}


def fetch_message(message: str, params: Mapping[str, Any] | None = None) -> str:
    """The sentence for ``message`` (a key of ``FETCH_MESSAGES``) in the current language; "" for an unknown key."""
    template = FETCH_MESSAGES.get(message)
    if template is None:
        return ""
    values = dict(params or {})
    if "size" in values:
        values["size"] = filesizeformat(values["size"])
    return str(template) % values if values else str(template)


class FetchError(Exception):
    """The fetch did not produce a response. ``code`` is its kind (address, timeout…); ``message`` and ``params``
    say why, for ``fetch_message``; ``reason`` is that sentence in the current language."""

    def __init__(self, message: str, *, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = dict(params or {})
        self.code = code

    @property
    def reason(self) -> str:
        return fetch_message(self.message, self.params)


class UnsafeURL(FetchError):
    """Refused before any byte was sent to that address: scheme, credentials, port, host or address."""


class FetchFailed(FetchError):
    """Allowed, but the fetch went wrong: name not found, connection, timeout, size, redirects, content type."""


@dataclass(frozen=True)
class SafeResponse:
    status: int
    headers: CaseInsensitiveMapping[str]
    body: bytes
    final_url: str
    truncated: bool

    @property
    def content_type(self) -> str:
        """The media type alone, lower-cased ("text/html"), without parameters."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def require_complete(self, *, max_bytes: int) -> None:
        """For callers that cannot use a cut body (a feed document): refuse it as too big."""
        if self.truncated:
            raise FetchFailed("size", code="size", params={"size": max_bytes})


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.ends_at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise _timeout()
        return left


def _timeout() -> FetchFailed:
    return FetchFailed("timeout", code="timeout")


def special_purpose_block(address: IPAddress) -> SpecialPurposeBlock | None:
    """The most specific special-purpose block ``address`` belongs to, if any."""
    matches = [block for block in SPECIAL_PURPOSE_BLOCKS if address in block.network]
    return max(matches, key=lambda block: block.network.prefixlen, default=None)


def is_public_address(address: IPAddress) -> bool:
    """Whether an address may be fetched: in no special-purpose block, and globally routable by every flag."""
    if special_purpose_block(address) is not None:
        return False
    # A zone index ("%eth0") ties the address to one of our own interfaces.
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return False
    # Kept beside the table: Python's flags also cover address space that no registry has assigned yet.
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _allowed_test_endpoints() -> frozenset[tuple[IPAddress, int]]:
    endpoints = set()
    for entry in getattr(settings, "RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS", []):
        host, _sep, port = entry.rpartition(":")
        endpoints.add((ipaddress.ip_address(host.strip("[]")), int(port)))
    return frozenset(endpoints)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # No top-level domain is numeric: a host like 2130706433, 0x7f.1 or 0177.0.0.1 is an IPv4 address in an
    # inet_aton spelling that resolvers would turn into 127.0.0.1.
    last_label = host.rsplit(".", 1)[-1]
    if last_label.isdigit() or last_label.startswith("0x"):
        raise UnsafeURL("numeric_host", code="address")
    return None


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    resolver: Resolver = import_string(getattr(settings, "RELAIS_SAFE_HTTP_RESOLVER", "socket.getaddrinfo"))
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
        addresses = tuple(ipaddress.ip_address(info[4][0]) for info in infos)
    except (OSError, UnicodeError, ValueError):
        addresses = ()
    if not addresses:
        raise FetchFailed("dns", code="dns")
    return addresses


def _check(url: str) -> _Target:
    """Parse and vet one URL (the first or a redirect's); the only place a host is resolved."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").rstrip(".").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise UnsafeURL("invalid", code="invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeURL("scheme", code="scheme")
    if not host:
        raise UnsafeURL("invalid", code="invalid")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("credentials", code="credentials")
    port = port or DEFAULT_PORTS[scheme]
    test_endpoints = _allowed_test_endpoints()
    if port not in DEFAULT_PORTS.values() and port not in {allowed_port for _a, allowed_port in test_endpoints}:
        raise UnsafeURL("port", code="port")
    literal = _literal_address(host)
    addresses = (literal,) if literal is not None else _resolve(host, port)
    if not all(is_public_address(address) or (address, port) in test_endpoints for address in addresses):
        raise UnsafeURL("address", code="address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(url=url, scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _connect(target: _Target, deadline: _Deadline) -> socket.socket:
    """Connect to one of the checked addresses, never to the name: a second lookup could answer differently."""
    for address in target.addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect((str(address), target.port))
        except OSError:
            sock.close()
            continue
        except FetchFailed:
            sock.close()
            raise
        return sock
    deadline.remaining()
    raise FetchFailed("connection", code="connection")


class _Exchange:
    """One request and its response on one connection, cut by a watchdog when the deadline passes.

    Socket timeouts bound each read, not the whole exchange: a server trickling one byte a second would
    otherwise hold the worker for as long as it likes.
    """

    def __init__(self, target: _Target, deadline: _Deadline) -> None:
        self.target = target
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.cut = threading.Event()
        self.lock = threading.Lock()

    def _on_deadline(self) -> None:
        with self.lock:
            self.cut.set()
            if self.sock is not None:
                try:
                    # The plain socket's shutdown, also for TLS: it ends a blocked read without touching SSL state.
                    socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def _set_socket(self, sock: socket.socket) -> None:
        with self.lock:
            self.sock = sock
            if self.cut.is_set():
                raise _timeout()

    def open(
        self, headers: Mapping[str, str], *, method: str = "GET", body: bytes | None = None
    ) -> http.client.HTTPResponse:
        self._set_socket(_connect(self.target, self.deadline))
        assert self.sock is not None
        if self.target.scheme == "https":
            context = ssl.create_default_context()
            self._set_socket(context.wrap_socket(self.sock, server_hostname=self.target.host))
            assert self.sock is not None
        connection = http.client.HTTPConnection(self.target.host, self.target.port)
        connection.sock = self.sock
        request_headers = {key: value for key, value in headers.items() if key.lower() not in RESERVED_HEADERS}
        request_headers.update(
            {"Host": self.target.host_header, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        )
        connection.request(method, self.target.path, body=body, headers=request_headers)
        return connection.getresponse()

    def read(self, response: http.client.HTTPResponse, max_bytes: int) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = response.read1(min(CHUNK_SIZE, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        body = b"".join(chunks)
        return body[:max_bytes], len(body) > max_bytes

    def close(self) -> None:
        with self.lock:
            if self.sock is not None:
                self.sock.close()


def _response_headers(response: http.client.HTTPResponse) -> CaseInsensitiveMapping[str]:
    merged: dict[str, str] = {}
    for name, value in response.getheaders():
        merged[name.lower()] = f"{merged[name.lower()]}, {value}" if name.lower() in merged else value
    return CaseInsensitiveMapping(merged)


def _check_type(headers: CaseInsensitiveMapping[str], accept_types: tuple[str, ...] | None) -> None:
    media_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if accept_types is not None and media_type not in accept_types:
        if not media_type:
            raise FetchFailed("content_type_unknown", code="content_type")
        raise FetchFailed("content_type", code="content_type", params={"type": media_type})


def _fetch_once(
    target: _Target,
    *,
    headers: Mapping[str, str],
    deadline: _Deadline,
    max_bytes: int,
    accept_types: tuple[str, ...] | None,
    method: str = "GET",
    body: bytes | None = None,
) -> SafeResponse:
    exchange = _Exchange(target, deadline)
    watchdog = threading.Timer(deadline.remaining(), exchange._on_deadline)
    watchdog.daemon = True
    watchdog.start()
    try:
        response = exchange.open(headers, method=method, body=body)
        response_headers = _response_headers(response)
        redirect = response.status in REDIRECT_STATUSES and "Location" in response_headers
        body, truncated = b"", False
        if not redirect:
            if 200 <= response.status < 300:
                _check_type(response_headers, accept_types)
            body, truncated = exchange.read(response, max_bytes)
        if exchange.cut.is_set():
            raise _timeout()
        return SafeResponse(response.status, response_headers, body, target.url, truncated)
    except ssl.SSLCertVerificationError:
        raise FetchFailed("tls", code="tls") from None
    except (OSError, http.client.HTTPException, ValueError):
        if exchange.cut.is_set() or time.monotonic() >= deadline.ends_at:
            raise _timeout() from None
        raise FetchFailed("connection", code="connection") from None
    finally:
        watchdog.cancel()
        exchange.close()


def safe_get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = 2_000_000,
    timeout: float = 5.0,
    max_redirects: int = 3,
    accept_types: tuple[str, ...] | None = None,
) -> SafeResponse:
    """GET ``url``, following at most ``max_redirects`` redirects, each one checked like the first URL.

    A body longer than ``max_bytes`` is cut there and flagged ``truncated``; ``timeout`` bounds the whole call,
    redirects included. Non-2xx answers are returned, not raised: a 304 is a normal answer for a feed poller.
    """
    deadline = _Deadline(timeout)
    target = _check(url)
    for _hop in range(max_redirects + 1):
        response = _fetch_once(
            target, headers=headers or {}, deadline=deadline, max_bytes=max_bytes, accept_types=accept_types
        )
        if response.status not in REDIRECT_STATUSES or "Location" not in response.headers:
            return response
        target = _check(urljoin(target.url, response.headers["Location"]))
    raise FetchFailed("redirects", code="redirects")


def safe_post_json(url: str, *, body: bytes, timeout: float = 5.0, max_bytes: int = 64_000) -> SafeResponse:
    """POST ``body`` (JSON) to ``url``, checked like ``safe_get``'s; a redirect is returned, never followed (a POST
    replayed elsewhere is not what the sender asked for). Non-2xx answers are returned, not raised."""
    deadline = _Deadline(timeout)
    target = _check(url)
    return _fetch_once(
        target,
        headers={"Content-Type": "application/json; charset=utf-8"},
        deadline=deadline,
        max_bytes=max_bytes,
        accept_types=None,
        method="POST",
        body=body,
    )
