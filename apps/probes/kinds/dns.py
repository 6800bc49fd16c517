"""The dns probe kind: resolve a name and compare it with the expected records."""

from __future__ import annotations

import ipaddress
from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from apps.probes.kinds import net
from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeError, ProbeFailure, Result

RECORD_TYPES = ("A", "AAAA")


@probe_kind({"expected", "cname", "match", "types", "nameserver"})
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Resolve a host name's A and AAAA records (and any CNAME chain).

    `expected` lists addresses (comma-separated); with `match=exact` (the
    default) the answer must be exactly that set, with `match=contains` it
    must include it. `cname` names the expected canonical target. `types`
    limits the lookup to A or AAAA. `nameserver` (IP or [IP]:port) asks one
    server directly; it is vetted by the egress policy like any target. The
    system resolver is used otherwise. Fail: no such name, no answer, or
    records that differ from the expectation.
    """
    name = net.normalise_host(target)
    if _is_ip(name):
        raise ProbeError("target must be a host name, not an IP address")
    expected = []
    for item in options.items("expected"):
        try:
            expected.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise ProbeError(f"expected address {item!r} is not an IP") from None
    cname = options.string("cname")
    cname = net.normalise_host(cname) if cname else None
    match = options.choice("match", ("exact", "contains"), "exact")
    types = [kind.upper() for kind in options.items("types")] or list(RECORD_TYPES)
    if any(kind not in RECORD_TYPES for kind in types):
        raise ProbeError("option types may list only A and AAAA")
    resolver = _resolver(options.string("nameserver"), context)

    addresses: dict[str, list[str]] = {}
    chain: list[str] = []
    ttls = []
    exists = False
    for kind in types:
        try:
            resolver.lifetime = context.deadline.remaining()
            answer = resolver.resolve(name, kind, search=False)
        except dns.resolver.NXDOMAIN:
            raise ProbeFailure(f"{name} does not exist (NXDOMAIN)") from None
        except dns.resolver.NoAnswer:
            exists = True
            addresses[kind] = []
            continue
        except dns.resolver.LifetimeTimeout:
            if context.deadline.expired():
                raise context.deadline.exceeded(f"resolving {name}") from None
            raise ProbeFailure(f"no DNS answer for {name} in time") from None
        except (dns.resolver.NoNameservers, dns.exception.DNSException) as error:
            raise ProbeFailure(f"cannot resolve {name}: {error}") from None
        exists = True
        addresses[kind] = sorted(rdata.address for rdata in answer)
        ttls.append(answer.rrset.ttl)
        for rrset in answer.response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME:
                for rdata in rrset:
                    target_name = rdata.target.to_text(omit_final_dot=True).lower()
                    if target_name not in chain:
                        chain.append(target_name)
    found = sorted({address for values in addresses.values() for address in values})
    observed: dict[str, Any] = {
        "addresses": found,
        "records": addresses,
        "cname": chain,
        "ttl": min(ttls) if ttls else None,
        "expected": expected,
        "expected_cname": cname,
        "match": match,
    }
    problems = []
    if exists and not found and not chain:
        problems.append(f"{name} has no {' or '.join(types)} records")
    if expected:
        if match == "exact" and set(found) != set(expected):
            problems.append(
                f"{name} resolves to {_list(found)}, expected {_list(expected)}"
            )
        if match == "contains" and not set(expected) <= set(found):
            missing = sorted(set(expected) - set(found))
            problems.append(f"{name} lacks {_list(missing)} (has {_list(found)})")
    if cname and cname not in chain:
        problems.append(f"{name} CNAME is {_list(chain)}, expected {cname}")
    if problems:
        return Result("fail", "; ".join(problems), observed)
    via = f" via {' -> '.join(chain)}" if chain else ""
    return Result("pass", f"{name}{via} resolves to {_list(found)}", observed)


def _resolver(nameserver: str | None, context: ProbeContext) -> dns.resolver.Resolver:
    if not nameserver:
        return dns.resolver.Resolver(configure=True)
    host, port = net.parse_host_port(nameserver, 53)
    if not _is_ip(host):
        raise ProbeError("option nameserver must be an IP address (optionally :port)")
    vetted = net.vet(host, port, context.allowed, context.deadline)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [vetted.address]
    resolver.port = port
    return resolver


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _list(items: list[str]) -> str:
    return ", ".join(items) if items else "nothing"
