"""Where a webhook may be sent (SSRF): an `http` or `https` URL with a host and no
credentials, whose host resolves only to public addresses, or to addresses inside the networks
the operator allows (`LIFELEDGER_WEBHOOK_ALLOWED_NETWORKS`). Checked when a subscription is
made or changed, and again before each delivery (a name may resolve elsewhere by then); the
delivery then connects to the very address that was checked."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

SCHEMES = {"http": 80, "https": 443}
SHARED = ipaddress.IPv4Network("100.64.0.0/10")
"""Carrier-grade NAT (RFC 6598): not public, though not 'private' either."""
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""Well-known NAT64 prefix: its last 32 bits are an IPv4 address, reached through it."""


class UrlNotAllowed(ValueError):
    """The URL may not receive webhooks; the message says why, naming only the URL's own
    parts: a host that does not resolve and one that resolves to a private address get the
    same message, so the check tells a caller nothing of the ledger's own network."""


def _not_public(host: str) -> UrlNotAllowed:
    return UrlNotAllowed(
        f"url: {host} does not resolve, or resolves to an address that is not public "
        "(private, loopback, link-local, shared, multicast, reserved); webhooks go to public "
        "addresses only"
    )


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`, the first the host resolved to) and what
    to send as the `Host` header and TLS server name (`host`)."""

    url: str
    scheme: str
    host: str
    port: int
    address: Address

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == SCHEMES[self.scheme] else f"{shown}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (an IP literal resolves to itself)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise _not_public(host) from error
    return [str(info[4][0]) for info in found]


def check_url(url: str, allowed: Sequence[Network] = (), resolver: Resolver = resolve) -> Target:
    """The URL's target when it may receive webhooks, else `UrlNotAllowed`."""
    parts = _parts(url)
    host, port = _host_and_port(parts)
    addresses = [_address(text) for text in resolver(host, port)]
    if not addresses or not all(_reachable(a, allowed) for a in addresses):
        raise _not_public(host)
    return Target(url, parts.scheme, host, port, addresses[0])


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number in range)
    except ValueError as error:
        raise UrlNotAllowed(f"url: not a URL ({error})") from error
    if parts.scheme not in SCHEMES:
        raise UrlNotAllowed(f"url: the scheme must be http or https, not {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise UrlNotAllowed("url: must not hold a user name or password")
    if not parts.hostname:
        raise UrlNotAllowed("url: has no host")
    return parts


def _host_and_port(parts: SplitResult) -> tuple[str, int]:
    host = parts.hostname or ""
    return host, parts.port or SCHEMES[parts.scheme]


def _address(text: str) -> Address:
    return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone id names no address


def _reachable(address: Address, allowed: Sequence[Network]) -> bool:
    """Public, or inside an allowed network; an IPv6 address carrying an IPv4 one (mapped,
    6to4, Teredo, NAT64) must pass with both."""
    if any(address.version == n.version and address in n for n in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _reachable(address.ipv4_mapped, allowed)  # the very IPv4 address
    embedded = _embedded_ipv4(address)
    if embedded is not None and not _reachable(embedded, allowed):
        return False
    return _public(address)


def _public(address: Address) -> bool:
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in SHARED)
    )


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
