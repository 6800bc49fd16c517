#!/usr/bin/env python3
"""Verify a Shipshape release attestation offline (standard library + cryptography).

Usage:
    python3 scripts/verify_attestation.py ENVELOPE.json PUBLIC_KEY.pem

ENVELOPE.json is the answer of GET /api/v1/releases/{id}/attestation/ (a DSSE
envelope); PUBLIC_KEY.pem is the instance's key, from
/.well-known/shipshape-attestation-key (fetch it once, keep it). The script checks
the Ed25519 signature over DSSE's pre-authentication encoding of the payload, that
the payload is an in-toto Statement v1 of predicate type SLSA Verification
Summary v1, and prints its subject and verdict. Exit status: 0 verified, 1 not.
"""

import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"


class NotVerified(Exception):
    """The envelope does not verify; the message says why."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def verify(envelope: dict, public_key_pem: bytes) -> dict:
    """The verified Statement, or NotVerified."""
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise NotVerified("the public key is not an Ed25519 key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    keyid = hashlib.sha256(raw).hexdigest()
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise NotVerified(f"payloadType is not {PAYLOAD_TYPE}")
    try:
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = [
            base64.b64decode(s["sig"], validate=True)
            for s in envelope["signatures"]
            if s.get("keyid") in (None, "", keyid)
        ]
    except (KeyError, TypeError, binascii.Error) as error:
        raise NotVerified(f"not a DSSE envelope: {error}") from None
    if not signatures:
        raise NotVerified("no signature by this key")
    for signature in signatures:
        try:
            key.verify(signature, pae(PAYLOAD_TYPE, payload))
            break
        except InvalidSignature:
            continue
    else:
        raise NotVerified("the signature does not match the payload")
    statement = json.loads(payload)
    if statement.get("_type") != STATEMENT_TYPE:
        raise NotVerified("the payload is not an in-toto Statement v1")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise NotVerified("the predicate is not a SLSA Verification Summary v1")
    return statement


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        envelope = json.loads(Path(argv[1]).read_bytes())
        statement = verify(envelope, Path(argv[2]).read_bytes())
    except (OSError, ValueError, NotVerified) as error:
        print(f"NOT VERIFIED: {error}", file=sys.stderr)
        return 1
    subject = statement["subject"][0]
    predicate = statement["predicate"]
    details = predicate.get("shipshape", {})
    digest = ", ".join(f"{k}:{v}" for k, v in subject["digest"].items())
    print(f"Verified: {subject['name']} ({digest})")
    print(
        f"{predicate['verificationResult']} at {predicate['timeVerified']}: "
        f"score {details.get('score')}, {len(details.get('blockers', []))} blockers"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
