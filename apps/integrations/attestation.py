"""A release's verdict as a signed in-toto attestation anyone can check offline.

An in-toto Statement v1 (subject: the service at its commit or version; predicate
type SLSA Verification Summary v1) wrapped in a DSSE envelope signed with the
instance's Ed25519 key (settings.ATTESTATION_KEY, or ATTESTATION_KEY_FILE).
scripts/verify_attestation.py checks one with the public key alone.
"""

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.links import absolute_url
from apps.policy.models import Waiver
from apps.probes.selectors import release_evidence
from apps.readiness.readiness import compute_readiness
from apps.releases.models import Release
from apps.signoffs.selectors import current_decisions

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
VERIFIER = "https://github.com/shipshape/shipshape"


def private_key() -> Ed25519PrivateKey:
    """The instance's signing key; ImproperlyConfigured when there is none."""
    pem = settings.ATTESTATION_KEY
    if not pem:
        raise ImproperlyConfigured("No ATTESTATION_KEY_FILE: attestations are off.")
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("ATTESTATION_KEY_FILE must hold an Ed25519 key.")
    return key


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )


def key_id(public: Ed25519PublicKey) -> str:
    """The sha256 of the raw public key, hex: the envelope's `keyid`."""
    raw = public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding, the bytes that are signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(release: Release) -> dict[str, Any]:
    """The in-toto Statement of the release's verdict as it stands now."""
    readiness = compute_readiness(release)
    sha = (release.gate_request or {}).get("sha", "")
    digest = (
        {"gitCommit": sha}
        if sha
        else {"sha256": hashlib.sha256(release.version.encode()).hexdigest()}
    )
    decisions = current_decisions(release)
    waivers = Waiver.objects.filter(release=release).order_by("id")
    head = (
        AuditEvent.objects.filter(release_id=release.pk)
        .order_by("-seq")
        .values("seq", "hash")
        .first()
    )
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {
                "name": f"{release.service.name}@{release.version}",
                "digest": digest,
                "annotations": {"environment": release.environment.name},
            }
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": VERIFIER},
            "timeVerified": timezone.now().isoformat().replace("+00:00", "Z"),
            "resourceUri": absolute_url(release.get_absolute_url()),
            "policy": {"uri": absolute_url(release.get_absolute_url())},
            "verificationResult": "PASSED" if readiness.ready else "FAILED",
            "verifiedLevels": [],
            "shipshape": {
                "release": release.pk,
                "status": release.status,
                "ready": readiness.ready,
                "score": readiness.score,
                "blockers": [blocker.as_dict() for blocker in readiness.blockers],
                "override": release.override,
                "waivers": [
                    {
                        "id": waiver.pk,
                        "blocker": f"{waiver.blocker_type}:{waiver.blocker_id}",
                        "reason": waiver.reason,
                        "approved": waiver.approved_at is not None,
                        "expires_at": waiver.expires_at.isoformat(),
                    }
                    for waiver in waivers
                ],
                "signoffs": [
                    {
                        "role": role,
                        "decision": signoff.decision,
                        "by": signoff.user.get_username(),
                        "at": signoff.created_at.isoformat(),
                        "evidence_digest": signoff.evidence_digest,
                    }
                    for role, signoff in sorted(decisions.items())
                ],
                "probe_results": [
                    {"id": result.id, "name": result.name, "status": result.status}
                    for result in release_evidence(release)
                ],
                "audit_chain_head": head,
                "gate_request": release.gate_request or None,
            },
        },
    }


def envelope(release: Release) -> dict[str, Any]:
    """The DSSE envelope: the statement, base64, and its Ed25519 signature."""
    key = private_key()
    payload = json.dumps(statement(release), sort_keys=True, default=str).encode()
    signature = key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {
                "keyid": key_id(key.public_key()),
                "sig": base64.b64encode(signature).decode(),
            }
        ],
    }
