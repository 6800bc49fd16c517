"""The tls probe kind: certificate, chain, protocol versions and a letter grade."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
from dataclasses import dataclass
from typing import Any

from apps.probes.kinds import net
from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.certs import CertInfo, hostname_matches, parse_certificate
from apps.probes.kinds.contexts import VERSIONS, chain_context, lenient_context
from apps.probes.kinds.deadline import SocketGuard
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeFailure, Result
from apps.probes.kinds.tlsgrade import TLSFacts, aead, forward_secret, grade

_HSTS_WAIT_S = 2.0
_MAX_AGE = re.compile(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", re.IGNORECASE)
_VERSION_NAMES = {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1"}


@dataclass
class Handshake:
    """What one completed handshake showed."""

    protocol: str
    cipher: str
    cipher_bits: int
    der: bytes
    hsts_max_age: int | None = None


@probe_kind(
    {"server_name", "warn_days", "fail_days", "check_hsts"},
    required=(
        "not_after",
        "days_remaining",
        "hostname_matches",
        "chain_trusted",
        "protocol",
    ),
)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Inspect the TLS service at `host:port` (port 443 when omitted).

    SNI and the host-name check use `server_name` when given, else the host.
    Fail: an expired or not yet valid certificate, a host-name mismatch, an
    untrusted chain (system store, or the CA file), a negotiated protocol
    below TLS 1.2, or fewer than `fail_days` (7) days left. Warn: fewer than
    `warn_days` (30) days left, or TLS 1.0/1.1 still accepted. Each of TLS 1.0
    to 1.3 is tried on its own connection; `check_hsts=false` skips the HEAD
    request that reads Strict-Transport-Security for the A+ grade.
    """
    host, port = net.parse_host_port(target, 443)
    name = options.string("server_name")
    server_name = net.normalise_host(name) if name else host
    warn_days = options.integer("warn_days", 30, minimum=0, maximum=3650)
    fail_days = options.integer("fail_days", 7, minimum=0, maximum=3650)
    check_hsts = options.boolean("check_hsts", True)
    deadline = context.deadline
    vetted = net.vet(host, port, context.allowed, deadline)
    sni = None if _is_ip(server_name) else server_name
    hsts_host = server_name if sni else vetted.address

    with SocketGuard(deadline) as guard:

        def shake(ssl_context: ssl.SSLContext, hsts: bool = False) -> Handshake:
            return _handshake(
                vetted,
                sni,
                ssl_context,
                context,
                guard,
                hsts_host if hsts else None,
            )

        trust_error = None
        try:
            main = shake(chain_context(context.ca_file), hsts=check_hsts)
            trusted = True
        except ssl.SSLCertVerificationError as error:
            trusted, trust_error = False, error.verify_message or str(error)
            main = _or_fail(lambda: shake(lenient_context(), hsts=check_hsts), vetted)
        except ssl.SSLError as error:
            trusted, trust_error = False, f"handshake failed: {error.reason}"
            main = _or_fail(lambda: shake(lenient_context(), hsts=check_hsts), vetted)

        accepted: dict[str, Any] = {}
        for version in VERSIONS:
            if version == main.protocol:
                accepted[version] = True
                continue
            accepted[version] = _try_version(version, shake)

    cert = parse_certificate(main.der)
    now = dt.datetime.now(dt.UTC)
    matches = hostname_matches(cert, server_name)
    expired, not_yet = now > cert.not_after, now < cert.not_before
    days = cert.days_remaining(now)
    facts = TLSFacts(
        accepted={key: value is True for key, value in accepted.items()},
        protocol=main.protocol,
        cipher=main.cipher,
        cipher_bits=main.cipher_bits,
        key_type=cert.key_type,
        key_bits=cert.key_bits,
        chain_trusted=trusted,
        hostname_matches=matches,
        expired=expired,
        not_yet_valid=not_yet,
        hsts_max_age=main.hsts_max_age,
    )
    letter = grade(facts)
    observed = _observed(cert, main, facts, accepted, days, trust_error)
    observed.update(
        server_name=server_name,
        address=vetted.address,
        grade=letter.letter,
        score=letter.score,
        grade_cap=letter.cap,
        grade_reasons=letter.reasons,
    )

    problems = []
    if expired:
        problems.append(f"certificate expired {-days} days ago")
    if not_yet:
        problems.append(f"certificate not valid before {observed['not_before']}")
    if not matches:
        problems.append(f"certificate does not match {server_name}")
    if not trusted:
        problems.append(f"chain not trusted ({trust_error})")
    if main.protocol not in ("TLSv1.2", "TLSv1.3"):
        problems.append(f"negotiated {main.protocol}, below TLS 1.2")
    if not expired and days < fail_days:
        problems.append(f"certificate expires in {days} days (under {fail_days})")
    grade_text = f"grade {letter.letter}" + (f" ({letter.cap})" if letter.cap else "")
    if problems:
        return Result("fail", f"{'; '.join(problems)}; {grade_text}", observed)
    warnings = []
    if days < warn_days:
        warnings.append(f"certificate expires in {days} days (under {warn_days})")
    old = [_VERSION_NAMES[v] for v in ("TLSv1", "TLSv1.1") if accepted.get(v) is True]
    if old:
        warnings.append(f"{' and '.join(old)} still accepted")
    if warnings:
        return Result("warn", f"{'; '.join(warnings)}; {grade_text}", observed)
    summary = f"{main.protocol}, certificate valid for {days} days, {grade_text}"
    return Result("pass", summary, observed)


def _observed(
    cert: CertInfo,
    main: Handshake,
    facts: TLSFacts,
    accepted: dict[str, Any],
    days: int,
    trust_error: str | None,
) -> dict[str, Any]:
    return {
        "subject": cert.subject,
        "issuer": cert.issuer,
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
        "days_remaining": days,
        "hostname_matches": facts.hostname_matches,
        "chain_trusted": facts.chain_trusted,
        "trust_error": trust_error,
        "protocol": main.protocol,
        "cipher": main.cipher,
        "cipher_bits": main.cipher_bits,
        "forward_secrecy": forward_secret(main.protocol, main.cipher),
        "aead": aead(main.protocol, main.cipher),
        "key_type": cert.key_type,
        "key_bits": cert.key_bits,
        "signature_algorithm": cert.signature_algorithm,
        "san": list(cert.dns_names) + list(cert.ip_addresses),
        "versions": accepted,
        "hsts_max_age": main.hsts_max_age,
    }


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _or_fail(attempt: Any, vetted: net.Vetted) -> Handshake:
    try:
        return attempt()
    except ssl.SSLError as error:
        raise ProbeFailure(
            f"TLS handshake with {vetted.host} failed: {error.reason or error}"
        ) from None


def _try_version(version: str, shake: Any) -> bool | str:
    """Whether the server completes a handshake offering only `version`.

    Returns "not tested" when this machine's OpenSSL refuses to offer the
    version at all, so a client limitation is never reported as the server's.
    """
    try:
        shake(lenient_context(version))
    except ssl.SSLError as error:
        reason = (error.reason or "").upper()
        if "NO_PROTOCOLS_AVAILABLE" in reason or "NO_CIPHERS_AVAILABLE" in reason:
            return "not tested"
        return False
    except ProbeFailure:
        return False
    return True


def _handshake(
    vetted: net.Vetted,
    sni: str | None,
    ssl_context: ssl.SSLContext,
    context: ProbeContext,
    guard: SocketGuard,
    hsts_host: str | None,
) -> Handshake:
    """Connect to the vetted address, complete one handshake, and say what it used."""
    deadline = context.deadline
    sock = net.open_tcp(vetted, deadline, guard)
    try:
        sock.settimeout(deadline.remaining())
        with ssl_context.wrap_socket(sock, server_hostname=sni) as tls:
            cipher, _version, bits = tls.cipher() or ("", "", 0)
            shook = Handshake(
                protocol=tls.version() or "",
                cipher=cipher,
                cipher_bits=bits or 0,
                der=tls.getpeercert(binary_form=True) or b"",
            )
            if hsts_host:
                shook.hsts_max_age = _read_hsts(tls, hsts_host, context)
            return shook
    except ssl.SSLError:
        raise
    except OSError as error:
        raise net.connect_failure(
            error, vetted.address, vetted.port, deadline
        ) from None
    finally:
        sock.close()


def _read_hsts(tls: ssl.SSLSocket, host: str, context: ProbeContext) -> int | None:
    """Send one HEAD request over the connection and read HSTS max-age, if any.

    A service that does not speak HTTP simply yields None; the wait is capped
    at two seconds so a silent service costs little of the deadline.
    """
    try:
        tls.settimeout(context.deadline.remaining(_HSTS_WAIT_S))
        request = (
            f"HEAD / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Shipshape-probe/1.0\r\n"
            "Connection: close\r\n\r\n"
        )
        tls.sendall(request.encode("ascii"))
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 16384:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
    except (OSError, ProbeFailure):
        return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    if not head.startswith("HTTP/"):
        return None
    for line in head.split("\r\n")[1:]:
        field, _, value = line.partition(":")
        if field.strip().lower() == "strict-transport-security":
            match = _MAX_AGE.search(value.strip())
            return int(match.group(1)) if match else None
    return None
