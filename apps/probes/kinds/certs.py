"""Reading a server certificate: names, validity, key and the host-name match."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa


@dataclass(frozen=True)
class CertInfo:
    """The facts of a leaf certificate a TLS probe reports."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    key_type: str
    key_bits: int
    signature_algorithm: str

    def days_remaining(self, now: dt.datetime) -> int:
        """Whole days until expiry (truncated); negative once it has expired."""
        return int((self.not_after - now).total_seconds() / 86400)


def parse_certificate(der: bytes) -> CertInfo:
    """Parse a DER certificate as handed over by `getpeercert(binary_form=True)`."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns_names = tuple(san.value.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.value.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns_names, ips = (), ()
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key_type, key_bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, key_bits = "EC", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, key_bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, key_bits = "Ed448", 448
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, key_bits = "DSA", key.key_size
    else:
        key_type, key_bits = type(key).__name__, 0
    oid = cert.signature_algorithm_oid
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=dns_names,
        ip_addresses=ips,
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=getattr(oid, "_name", None) or oid.dotted_string,
    )


def hostname_matches(cert: CertInfo, name: str) -> bool:
    """Match a name against the certificate's subject alternative names (RFC 6125).

    An IP address matches only an IP entry. A wildcard stands for exactly one
    whole left-most label and never for a public suffix alone ("*.com"). The
    subject's common name is ignored, as browsers and Python's ssl module do.
    """
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(entry) == ip for entry in cert.ip_addresses)
    name = name.lower().rstrip(".")
    for pattern in cert.dns_names:
        pattern = pattern.lower().rstrip(".")
        if pattern == name:
            return True
        if pattern.startswith("*.") and pattern.count(".") >= 2:
            suffix = pattern[1:]
            label = name[: -len(suffix)] if name.endswith(suffix) else ""
            if label and "." not in label:
                return True
    return False
