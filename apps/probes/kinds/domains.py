"""Registrable domains from the Public Suffix List, as the tldts library reads them."""

from __future__ import annotations

import functools
import ipaddress

from publicsuffixlist import PublicSuffixList


@functools.cache
def _suffixes(private: bool) -> PublicSuffixList:
    # Loading the bundled list takes a fifth of a second: only on first use.
    return PublicSuffixList(only_icann=not private)


def is_ip(host: str) -> bool:
    """Whether a host is an IPv4 or IPv6 address (brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str | None, *, private: bool = False) -> str | None:
    """The registrable domain of a host (example.co.uk for www.example.co.uk).

    None for an IP address, a bare public suffix or no host. `private` also
    treats the list's private suffixes (github.io) as public ones.
    """
    if not host or is_ip(host):
        return None
    return _suffixes(private).privatesuffix(host.lower())


def load() -> None:
    """Load both lists now, so that no probe's deadline pays for it."""
    _suffixes(False)
    _suffixes(True)
