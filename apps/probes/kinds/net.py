"""The one egress policy every probe kind shares, against server-side request forgery.

A target is parsed strictly, resolved once with getaddrinfo, and every address
the resolver returns is judged, together with the port, after unwrapping IPv4
addresses embedded in IPv6 forms. If any address is denied the probe is refused
before a connection is made; otherwise the caller connects to exactly the
vetted address and port (`open_tcp` takes only a `Vetted`), so a second DNS
answer (DNS rebinding) never reaches a socket. Every connection a kind makes
goes through `vet`: each redirect hop, a DSN's host and port, a DNS server, a
Redis server, the Kubernetes API, a TLS service.

An allowed network may be limited to some ports (a team network such as
`10.20.0.0/16 ports=5432`): an address it covers is then reachable on those
ports only, and the port is judged per connection, never once per target.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from apps.probes.kinds.deadline import Deadline, SocketGuard
from apps.probes.kinds.result import Blocked, ProbeError, ProbeFailure

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_net = ipaddress.ip_network

# Never reachable, whatever PROBE_ALLOWED_NETWORKS says. Order matters: the
# metadata addresses sit inside ranges that the private list below covers.
ALWAYS_DENIED: tuple[tuple[IPNetwork, str], ...] = (
    (_net("169.254.0.0/16"), "link-local (the cloud metadata range)"),
    (_net("100.100.100.200/32"), "a cloud metadata address"),
    (_net("fd00:ec2::/32"), "a cloud metadata address"),
    (_net("fe80::/10"), "link-local"),
    (_net("0.0.0.0/8"), "unspecified ('this network')"),
    (_net("::/128"), "unspecified"),
    (_net("224.0.0.0/4"), "multicast"),
    (_net("ff00::/8"), "multicast"),
    (_net("255.255.255.255/32"), "broadcast"),
    (_net("240.0.0.0/4"), "reserved"),
    (_net("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
    (_net("192.0.2.0/24"), "reserved (documentation)"),
    (_net("198.51.100.0/24"), "reserved (documentation)"),
    (_net("203.0.113.0/24"), "reserved (documentation)"),
    (_net("2001:db8::/32"), "reserved (documentation)"),
    (_net("198.18.0.0/15"), "reserved (benchmarking)"),
    (_net("100::/64"), "reserved (discard-only)"),
    (_net("64:ff9b:1::/48"), "reserved (local-use NAT64)"),
)

# Denied unless an allowed network (PROBE_ALLOWED_NETWORKS) covers the address.
PRIVATE: tuple[tuple[IPNetwork, str], ...] = (
    (_net("127.0.0.0/8"), "loopback"),
    (_net("::1/128"), "loopback"),
    (_net("10.0.0.0/8"), "private (RFC 1918)"),
    (_net("172.16.0.0/12"), "private (RFC 1918)"),
    (_net("192.168.0.0/16"), "private (RFC 1918)"),
    (_net("100.64.0.0/10"), "carrier-grade NAT (RFC 6598)"),
    (_net("fc00::/7"), "unique local (private IPv6)"),
    (_net("fec0::/10"), "site-local (private IPv6)"),
)

_NAT64 = _net("64:ff9b::/96")
_IPV4_COMPATIBLE = _net("::/96")
_IPV4_TRANSLATED = _net("::ffff:0:0:0/96")
_PORTS_PREFIX = "ports="
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve a host with getaddrinfo, returning each distinct address in order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    return addresses


# Tests replace this with a fake to simulate names that resolve to refused
# addresses, or a DNS answer that changes between two lookups.
resolver: Callable[[str, int], list[str]] = system_resolver


@dataclass(frozen=True)
class ParsedURL:
    """A URL that passed the syntax checks, with its host in ASCII form."""

    scheme: str
    host: str
    port: int
    path: str
    username: str | None
    password: str | None
    url: str

    @property
    def host_is_ip(self) -> bool:
        return _parse_ip(self.host) is not None

    def netloc(self, host: str | None = None) -> str:
        """host[:port] for a Host header or a rebuilt URL (default port left out)."""
        host = host or self.host
        if ":" in host:
            host = f"[{host}]"
        default = {"http": 80, "https": 443}.get(self.scheme)
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class AllowedNetwork:
    """A network probes may reach beyond public addresses: any port, or `ports`."""

    network: IPNetwork
    ports: frozenset[int] = frozenset()

    def __str__(self) -> str:
        return network_text(str(self.network), self.ports)

    def covers(self, address: IPAddress) -> bool:
        return address.version == self.network.version and address in self.network

    def admits(self, port: int | None) -> bool:
        """Whether the port may be used; an unknown port only where any port may."""
        return not self.ports or port in self.ports


@dataclass(frozen=True)
class Vetted:
    """A host whose every resolved address passed the policy, on this port.

    Connect to `address` and `port` and nothing else.
    """

    host: str
    port: int
    address: str
    addresses: tuple[str, ...]


def network_text(cidr: str, ports: Iterable[int] = ()) -> str:
    """The text form `parse_networks` reads: `CIDR` or `CIDR ports=P1,P2`."""
    ports = sorted(set(ports))
    return f"{cidr} {_PORTS_PREFIX}{','.join(map(str, ports))}" if ports else cidr


def parse_networks(
    entries: Iterable[str | AllowedNetwork] | None,
) -> tuple[AllowedNetwork, ...]:
    """Parse allowed networks: `CIDR` (any port) or `CIDR ports=P1,P2`.

    A malformed CIDR or port list is a ProbeError.
    """
    networks = []
    for entry in entries or ():
        if isinstance(entry, AllowedNetwork):
            networks.append(entry)
            continue
        cidr, _, rest = str(entry).strip().partition(" ")
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ProbeError(f"allowed network {entry!r} is not a CIDR") from None
        ports: set[int] = set()
        rest = rest.strip()
        if rest:
            items = rest.removeprefix(_PORTS_PREFIX).split(",")
            if not rest.startswith(_PORTS_PREFIX) or not all(
                item.strip().isdigit() and 1 <= int(item) <= 65535 for item in items
            ):
                raise ProbeError(
                    f"allowed network {entry!r} must be CIDR or CIDR ports=P1,P2"
                )
            ports = {int(item) for item in items}
        networks.append(AllowedNetwork(network, frozenset(ports)))
    return tuple(networks)


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4, NAT64 or IPv4-compatible form carries."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def _match(address: IPAddress, table: Sequence[tuple[IPNetwork, str]]) -> str | None:
    for network, reason in table:
        if address.version == network.version and address in network:
            return reason
    return None


def denial_reason(
    address: str | IPAddress,
    allowed: Sequence[AllowedNetwork] = (),
    port: int | None = None,
) -> str | None:
    """Why an address and port are refused, or None when probes may use them.

    IPv4 addresses embedded in IPv6 forms are judged as the IPv4 address itself,
    because that is where the packets end up (NAT64 and 6to4 gateways,
    dual-stack sockets). Python's `is_private` alone is not used: it misses
    carrier-grade NAT and calls the NAT64 form of the metadata address global.
    An allowed network limited to some ports opens the addresses it covers on
    those ports only; with `port` unknown, only networks open on any port count.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    shown = str(ip)
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return f"{shown} has a zone index"
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if inner is not None:
        reason = denial_reason(inner, allowed, port)
        return None if reason is None else f"{shown} embeds {reason}"
    reason = _match(ip, ALWAYS_DENIED)
    if reason:
        return f"{shown} is {reason}"
    covering = [network for network in allowed if network.covers(ip)]
    if any(network.admits(port) for network in covering):
        return None
    reason = _match(ip, PRIVATE)
    if reason is None and not ip.is_global:
        reason = "not globally routable"
    if reason is None:
        return None
    if covering:
        ports = sorted({p for network in covering for p in network.ports})
        listed = ", ".join(map(str, ports))
        only = f"port {listed}" if len(ports) == 1 else f"ports {listed}"
        other = f", not port {port}" if port is not None else ""
        return f"{shown} is {reason} (allowed on {only} only{other})"
    return f"{shown} is {reason}"


def parse_url(
    url: str, schemes: Iterable[str], *, allow_userinfo: bool = False
) -> ParsedURL:
    """Parse and check a URL: scheme, host syntax, port; no tricks.

    Refused: schemes the kind does not need, userinfo (unless the kind takes a
    password, as redis does), backslashes, whitespace and control characters,
    percent-encoded hosts, and ports outside 1-65535.
    """
    schemes = tuple(schemes)
    if not isinstance(url, str) or not url.strip():
        raise ProbeError("target is empty")
    if _FORBIDDEN_CHARACTERS.search(url):
        raise ProbeError("URL contains whitespace, control characters or a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ProbeError(f"malformed URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(f"{name}://" for name in schemes)
        shown = f"{scheme}:" if scheme else "no scheme"
        raise ProbeError(f"URL scheme {shown} is not accepted here (use {allowed})")
    if not parts.netloc or not parts.hostname:
        raise ProbeError("URL has no host")
    if "@" in parts.netloc and not allow_userinfo:
        raise ProbeError("URL must not contain a user name or password")
    if port == 0:
        raise ProbeError("port must be between 1 and 65535")
    host = normalise_host(parts.hostname)
    default_port = {"http": 80, "https": 443, "redis": 6379, "rediss": 6379}
    return ParsedURL(
        scheme=scheme,
        host=host,
        port=port or default_port.get(scheme, 0),
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        username=parts.username,
        password=parts.password,
        url=url,
    )


def normalise_host(host: str) -> str:
    """Lower-case a host name and convert it to ASCII (IDNA); check its syntax."""
    host = host.strip().lower().rstrip(".")
    ip = _parse_ip(host.strip("[]"))
    if ip is not None:
        return str(ip)
    if not host or "%" in host:
        raise ProbeError(f"malformed host name {host!r}")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ProbeError(f"malformed host name {host!r}") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ProbeError(f"malformed host name {host!r}")
    return ascii_host


def parse_host_port(target: str, default_port: int) -> tuple[str, int]:
    """Split `host:port` (or `[v6]:port`, or a bare host) and check both parts."""
    if not isinstance(target, str) or not target.strip():
        raise ProbeError("target is empty")
    target = target.strip()
    if _FORBIDDEN_CHARACTERS.search(target) or "/" in target or "@" in target:
        raise ProbeError("target must be host:port")
    host, port_text = target, ""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ProbeError("target must be host:port")
        port_text = rest[1:]
    elif target.count(":") == 1:
        host, port_text = target.split(":")
    elif target.count(":") > 1:
        raise ProbeError("write an IPv6 address in brackets: [addr]:port")
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ProbeError(f"port {port_text!r} is not between 1 and 65535")
        port = int(port_text)
    return normalise_host(host), port


def resolve(host: str, port: int, deadline: Deadline) -> list[str]:
    """Resolve with the module's resolver, bounded by the deadline."""
    outcome: dict[str, object] = {}
    done = threading.Event()

    def work() -> None:
        try:
            outcome["addresses"] = resolver(host, port)
        except Exception as error:  # Reported to the waiting thread below.
            outcome["error"] = error
        done.set()

    # getaddrinfo cannot be interrupted, so it runs in a daemon thread that is
    # abandoned if the deadline passes first.
    threading.Thread(target=work, name="probe-resolve", daemon=True).start()
    if not done.wait(deadline.remaining()):
        raise deadline.exceeded(f"resolving {host}")
    error = outcome.get("error")
    if isinstance(error, socket.gaierror):
        raise ProbeFailure(f"cannot resolve {host}: {error.strerror or error}")
    if isinstance(error, Exception):
        raise ProbeFailure(f"cannot resolve {host}: {error}")
    addresses = list(outcome.get("addresses") or [])
    if not addresses:
        raise ProbeFailure(f"cannot resolve {host}: no addresses")
    return addresses


def vet(
    host: str, port: int, allowed: Sequence[AllowedNetwork], deadline: Deadline
) -> Vetted:
    """Resolve a host and refuse it (Blocked) if any address is denied on `port`."""
    addresses = resolve(host, port, deadline)
    for address in addresses:
        try:
            reason = denial_reason(address, allowed, port)
        except ValueError:
            reason = f"{address} is not an IP address"
        if reason:
            shown = (
                reason
                if address == host
                else f"{host} resolves to a refused address: {reason}"
            )
            raise Blocked(shown, {"host": host, "addresses": addresses})
    return Vetted(host, port, addresses[0], tuple(addresses))


def open_tcp(vetted: Vetted, deadline: Deadline, guard: SocketGuard) -> socket.socket:
    """Connect to a vetted address and port; cut off when the deadline passes."""
    address, port = vetted.address, vetted.port
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    guard.add(sock)
    try:
        sock.settimeout(deadline.remaining())
        sock.connect((address, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException as error:
        sock.close()
        raise connect_failure(error, address, port, deadline) from None
    return sock


def connect_failure(
    error: BaseException, address: str, port: int, deadline: Deadline
) -> BaseException:
    """Translate a connect error into the failure a probe reports."""
    if not isinstance(error, OSError):
        return error
    where = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    if deadline.expired():
        return deadline.exceeded(f"connecting to {where}")
    if isinstance(error, ConnectionRefusedError):
        return ProbeFailure(f"connection refused by {where}")
    if isinstance(error, TimeoutError):
        return ProbeFailure(f"connection to {where} timed out")
    return ProbeFailure(f"cannot connect to {where}: {error.strerror or error}")
