"""Where a workspace's Sentry requests may go: the guard against server-side request forgery.

A workspace admin types a Sentry URL into `/dexter setup`; Dexter then sends a token there
and reads the answer. Without a guard that URL could name a service on Dexter's own network
(a cloud metadata endpoint, an internal admin page). So every connection made for a
workspace's Sentry goes through `GuardedBackend`: it resolves the host itself, refuses
loopback, link-local, private, shared, multicast, reserved and unspecified addresses (also
when wrapped in IPv6), and connects to the address it checked. Because the check and the
connection use the same resolved address, a DNS answer that changes between the two (DNS
rebinding) cannot slip through; TLS still verifies the certificate against the host name.

The operator may allow a private self-hosted Sentry with DEXTER_SENTRY_ALLOWED_HOSTS:
host names (any address they resolve to is accepted) and CIDR ranges.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import httpcore
import httpx

from bot.core.settings import IPNetwork, parse_allowed_hosts

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# What the user reads; never anything the remote server said.
NOT_HTTPS = "Dexter only sends tokens over https: enter an https:// URL."
NO_HOST = "That URL has no host name."
NOT_RESOLVED = "Dexter could not find the host `{host}` (DNS)."
NOT_PUBLIC = (
    "`{host}` is on a private or reserved network, which Dexter does not connect to for "
    "workspace settings. If this is your own Sentry, ask the operator to allow it "
    "(DEXTER_SENTRY_ALLOWED_HOSTS)."
)


class EgressRefused(httpcore.ConnectError):
    """Dexter will not connect there; `reason` is a sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of host, from the system resolver (without blocking the loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), else ip itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address."""
    ip = _embedded(ip)
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


@dataclass(frozen=True)
class EgressPolicy:
    """Which hosts and addresses a workspace's Sentry may be reached at."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_nets: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_setting(cls, raw: str, *, resolver: Resolver = system_resolver) -> EgressPolicy:
        """The policy of a DEXTER_SENTRY_ALLOWED_HOSTS value (ValueError when malformed)."""
        hosts, nets = parse_allowed_hosts(raw)
        return cls(allowed_hosts=hosts, allowed_nets=nets, resolver=resolver)

    def with_resolver(self, resolver: Resolver) -> EgressPolicy:
        """The same policy resolving names with another resolver (tests)."""
        return replace(self, resolver=resolver)

    def address_allowed(self, ip: IPAddress) -> bool:
        """True for a public address or one in an allowed range."""
        return any(ip in net for net in self.allowed_nets) or is_public(ip)

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to connect to for host; EgressRefused when there are none."""
        name = host.lower().rstrip(".")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = list(dict.fromkeys(await self.resolver(name, port)))
            except (OSError, UnicodeError):
                found = []
            if not found:
                raise EgressRefused(NOT_RESOLVED.format(host=host))
            if name in self.allowed_hosts:
                return found
        # Every address must pass: a name that also resolves inward is refused as a whole.
        if not all(self.address_allowed(ipaddress.ip_address(a.split("%")[0])) for a in found):
            log.warning("refusing a workspace Sentry connection to %s (not public)", host)
            raise EgressRefused(NOT_PUBLIC.format(host=host))
        return found

    async def check_url(self, url: str) -> None:
        """Refuse a URL that is not https or whose host Dexter must not connect to."""
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise EgressRefused(NOT_HTTPS)
        if not parts.hostname:
            raise EgressRefused(NO_HOST)
        await self.addresses(parts.hostname, parts.port or 443)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy checked."""

    def __init__(
        self, policy: EgressPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check host, then connect to the first checked address that answers."""
        last: Exception | None = None
        for address in await self.policy.addresses(host, port):
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"could not connect to {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: a workspace's Sentry is not a local socket."""
        raise EgressRefused(NO_HOST)

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wrapped backend does."""
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose connections go through GuardedBackend (no proxies)."""

    def __init__(
        self, policy: EgressPolicy, *, limits: httpx.Limits | None = None, retries: int = 0
    ) -> None:
        super().__init__(trust_env=False)
        limits = limits or httpx.Limits(max_connections=32, max_keepalive_connections=20)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=retries,
            network_backend=GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send over https only (a token must not travel in clear text)."""
        if request.url.scheme != "https":
            raise httpx.ConnectError(NOT_HTTPS, request=request) from EgressRefused(NOT_HTTPS)
        return await super().handle_async_request(request)
