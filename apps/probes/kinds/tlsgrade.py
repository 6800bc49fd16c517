"""A letter grade for a TLS configuration, in the manner of SSL Labs' rating guide.

The score weighs protocol support (30 %), key exchange (30 %) and cipher
strength (40 %), and maps to A (80+), B (65+), C (50+), D (35+), E (20+) or F.
Caps then lower the grade, and the cap that applied is named: an expired, not
yet valid, untrusted or mismatched certificate, or a key under 1024 bits, is F;
no TLS 1.2 caps at C; TLS 1.0 or 1.1 accepted, no forward secrecy, no AEAD
cipher or a key under 2048 bits caps at B. An A without TLS 1.3 becomes A-; an
A with TLS 1.3 and HSTS of at least 180 days becomes A+. Only the negotiated
cipher is known here (no cipher-suite enumeration), so cipher strength and the
forward secrecy and AEAD checks use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GRADES = ("A+", "A", "A-", "B", "C", "D", "E", "F")
HSTS_MIN_SECONDS = 180 * 24 * 3600
_PROTOCOL_SCORES = {"TLSv1": 90, "TLSv1.1": 95, "TLSv1.2": 100, "TLSv1.3": 100}
# Elliptic-curve and Edwards key sizes expressed as equivalent RSA strength.
_EC_EQUIVALENT = {256: 3072, 384: 7680, 448: 7680, 521: 15360}


@dataclass(frozen=True)
class TLSFacts:
    """What the tls kind measured, as the grader needs it."""

    accepted: dict[str, bool]
    protocol: str
    cipher: str
    cipher_bits: int
    key_type: str
    key_bits: int
    chain_trusted: bool
    hostname_matches: bool
    expired: bool
    not_yet_valid: bool
    hsts_max_age: int | None = None


@dataclass
class Grade:
    """The letter, the numeric score behind it, and every cap that applied."""

    letter: str
    score: int
    cap: str | None = None
    reasons: list[str] = field(default_factory=list)


def forward_secret(protocol: str, cipher: str) -> bool:
    """TLS 1.3 always has forward secrecy; before it, only (EC)DHE suites do."""
    return protocol == "TLSv1.3" or cipher.startswith(("ECDHE-", "DHE-"))


def aead(protocol: str, cipher: str) -> bool:
    """Whether the suite is an AEAD cipher (GCM, ChaCha20-Poly1305 or CCM)."""
    return protocol == "TLSv1.3" or any(
        name in cipher for name in ("GCM", "CHACHA20", "CCM")
    )


def rsa_equivalent_bits(key_type: str, key_bits: int) -> int:
    """A key's strength in RSA bits, so EC and RSA keys score on one scale."""
    if key_type in ("EC", "Ed25519", "Ed448"):
        for size in sorted(_EC_EQUIVALENT):
            if key_bits <= size:
                return _EC_EQUIVALENT[size]
        return 15360
    return key_bits


def _key_score(bits: int) -> int:
    for limit, score in ((512, 20), (1024, 40), (2048, 80), (4096, 90)):
        if bits < limit:
            return score
    return 100


def _cipher_score(bits: int) -> int:
    if bits <= 0:
        return 0
    if bits < 128:
        return 20
    return 80 if bits < 256 else 100


def _letter(score: float) -> str:
    for minimum, letter in ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E")):
        if score >= minimum:
            return letter
    return "F"


def grade(facts: TLSFacts) -> Grade:
    """Score a configuration and apply the caps; see the module docstring."""
    versions = [name for name, ok in facts.accepted.items() if ok is True]
    versions = versions or [facts.protocol]
    protocol_scores = [_PROTOCOL_SCORES.get(name, 0) for name in versions]
    protocol_score = (max(protocol_scores) + min(protocol_scores)) / 2
    key_bits = rsa_equivalent_bits(facts.key_type, facts.key_bits)
    score = round(
        0.3 * protocol_score
        + 0.3 * _key_score(key_bits)
        + 0.4 * _cipher_score(facts.cipher_bits)
    )
    caps: list[tuple[str, str]] = []
    if facts.expired:
        caps.append(("F", "certificate expired"))
    if facts.not_yet_valid:
        caps.append(("F", "certificate not yet valid"))
    if not facts.chain_trusted:
        caps.append(("F", "certificate chain not trusted"))
    if not facts.hostname_matches:
        caps.append(("F", "certificate does not match the host name"))
    if key_bits < 1024:
        caps.append(("F", f"key under 1024 bits ({facts.key_bits})"))
    if not any(facts.accepted.get(name) for name in ("TLSv1.2", "TLSv1.3")):
        caps.append(("C", "TLS 1.2 not supported"))
    old = [name for name in ("TLSv1", "TLSv1.1") if facts.accepted.get(name)]
    if old:
        caps.append(("B", f"{' and '.join(old)} accepted"))
    if not forward_secret(facts.protocol, facts.cipher):
        caps.append(("B", "no forward secrecy"))
    if not aead(facts.protocol, facts.cipher):
        caps.append(("B", "no AEAD cipher"))
    if 1024 <= key_bits < 2048:
        caps.append(("B", f"key under 2048 bits ({facts.key_bits})"))

    letter = _letter(score)
    reasons = [reason for _, reason in caps]
    cap = None
    if caps:
        capped, reason = max(caps, key=lambda item: GRADES.index(item[0]))
        if GRADES.index(capped) > GRADES.index(letter):
            letter, cap = capped, reason
    if letter == "A" and not caps:
        if not facts.accepted.get("TLSv1.3"):
            letter, cap = "A-", "TLS 1.3 not supported"
            reasons.append(cap)
        elif (facts.hsts_max_age or 0) >= HSTS_MIN_SECONDS:
            letter = "A+"
        else:
            reasons.append("A+ needs HSTS with max-age of at least 180 days")
    return Grade(letter, score, cap, reasons)
