"""Release attestations: signed by the instance, verified offline by
scripts/verify_attestation.py (run as a separate process, as a user would), and
refused when one byte changes. DSSE: github.com/secure-systems-lab/dsse
protocol.md (PAE); in-toto Statement v1; SLSA Verification Summary v1."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rest_framework.test import APIClient

from apps.accounts import tokens
from tests.api.conftest import make_ready

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signing_key(settings):
    key = Ed25519PrivateKey.generate()
    settings.ATTESTATION_KEY = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key


def _api(user) -> APIClient:
    client = APIClient()
    secret = tokens.token_create(user=user, name="audit", expires_at=None)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _verify(tmp_path, envelope: dict, public_pem: bytes) -> subprocess.CompletedProcess:
    (tmp_path / "envelope.json").write_text(json.dumps(envelope))
    (tmp_path / "key.pem").write_bytes(public_pem)
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_attestation.py"),
            str(tmp_path / "envelope.json"),
            str(tmp_path / "key.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_an_attestation_verifies_offline_and_fails_when_one_byte_changes(
    signing_key, release, lead, client, tmp_path
):
    make_ready(release, lead)
    response = _api(lead).get(f"/api/v1/releases/{release.pk}/attestation/")
    assert response.status_code == 200
    envelope = response.json()
    public_pem = client.get("/.well-known/shipshape-attestation-key").content
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")

    verified = _verify(tmp_path, envelope, public_pem)
    assert verified.returncode == 0, verified.stderr
    assert f"{release.service.name}@1.0.0" in verified.stdout
    assert "PASSED" in verified.stdout

    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == "https://slsa.dev/verification_summary/v1"
    details = statement["predicate"]["shipshape"]
    assert (details["ready"], details["score"]) == (True, 100)
    assert {s["role"] for s in details["signoffs"]} == {
        r["key"] for r in release.signoff_roles
    }
    assert all(len(s["evidence_digest"]) == 64 for s in details["signoffs"])
    assert details["audit_chain_head"]["seq"] > 0

    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[payload.index(b'"score": 100') + 10] = ord("9")
    tampered = {**envelope, "payload": base64.b64encode(bytes(payload)).decode()}
    refused = _verify(tmp_path, tampered, public_pem)
    assert refused.returncode == 1
    assert "signature does not match" in refused.stderr


def test_another_key_does_not_verify_it(signing_key, release, lead, tmp_path):
    envelope = _api(lead).get(f"/api/v1/releases/{release.pk}/attestation/").json()
    other = Ed25519PrivateKey.generate().public_key()
    pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    refused = _verify(tmp_path, envelope, pem)
    assert refused.returncode == 1
    assert "NOT VERIFIED" in refused.stderr


def test_without_a_key_the_endpoints_say_so(settings, release, lead, client, outsider):
    settings.ATTESTATION_KEY = ""
    response = _api(lead).get(f"/api/v1/releases/{release.pk}/attestation/")
    assert response.status_code == 503
    assert client.get("/.well-known/shipshape-attestation-key").status_code == 503
    assert (
        _api(outsider).get(f"/api/v1/releases/{release.pk}/attestation/").status_code
        == 404
    )


def test_the_deployment_record_links_the_attestation(
    release, lead, client, signing_key, settings
):
    client.force_login(lead)
    page = client.get(f"/records/releases/{release.pk}/").content.decode()
    assert f"/api/v1/releases/{release.pk}/attestation/" in page
    # Without a key there is nothing to link (the endpoint would answer 503).
    settings.ATTESTATION_KEY = ""
    page = client.get(f"/records/releases/{release.pk}/").content.decode()
    assert "/attestation/" not in page
