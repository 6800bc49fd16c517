"""Standard Webhooks signing and verifying, and a loopback receiver for Shipshape's
OUTBOUND webhooks that records each delivery and checks it per the spec.

Source: github.com/standard-webhooks/standard-webhooks spec/standard-webhooks.md
("Signature scheme", "Webhook headers", "Verifying signatures"): the signed
content is "{webhook-id}.{webhook-timestamp}.{raw body}", signed with
HMAC-SHA256 under the base64-decoded secret (serialised as "whsec_" + base64,
24 to 64 random bytes); `webhook-signature` is a space-separated list of
"v1,<base64 signature>" (other versions, e.g. v1a for ed25519, are skipped);
`webhook-timestamp` is integer Unix seconds and must lie within a tolerance of
now (the reference libraries in libraries/*/ use 5 minutes); signatures are
compared in constant time. The test vector in SPEC_VECTOR is the one every
reference library tests (libraries/python/tests/test_webhooks.py,
test_sign_function; the same in go, javascript, java, csharp, php).
GitLab signs webhooks the same way when a signing token is set (gitlab-org/gitlab
merge request 230944; `webhook-id` equals the Idempotency-Key header).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from tests.standins.loopback import LoopbackStandIn, Reply, Request

TOLERANCE_SECONDS = 300
SPEC_VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "payload": '{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


class WebhookVerificationError(Exception):
    """A delivery that fails the Standard Webhooks checks."""


def generate_secret(size: int = 32) -> str:
    """A new secret in the spec's serialisation: whsec_ + base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(size)).decode()


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    # Secrets are sometimes shown without base64 padding; b64decode ignores extra "=".
    key = base64.b64decode(encoded + "==")
    if not key:
        raise WebhookVerificationError("empty secret")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The v1 signature of one delivery: "v1," + base64 HMAC-SHA256."""
    raw = body.encode() if isinstance(body, str) else body
    content = f"{msg_id}.{timestamp}.".encode() + raw
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(
    secret: str,
    body: bytes | str,
    *,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The three webhook-* headers a sender adds to a delivery of `body`."""
    msg_id = msg_id or "msg_" + secrets.token_urlsafe(18)
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str | list[str],
    headers: dict[str, str],
    body: bytes | str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a delivery per the spec; raise WebhookVerificationError saying why not.

    `secret` may be a list (a receiver rotating its secret accepts either).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id")
    timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature"
        )
    if not timestamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not integer Unix seconds")
    current = time.time() if now is None else now
    if int(timestamp) < current - tolerance:
        raise WebhookVerificationError("timestamp too old")
    if int(timestamp) > current + tolerance:
        raise WebhookVerificationError("timestamp too new")
    for candidate in [secret] if isinstance(secret, str) else secret:
        expected = sign(candidate, msg_id, int(timestamp), body).split(",", 1)[1]
        for versioned in signatures.split(" "):
            version, _, value = versioned.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return
    raise WebhookVerificationError("no matching signature")


@dataclass(frozen=True)
class ReceivedDelivery:
    """One POST the receiver got, and whether it passed the Standard Webhooks checks."""

    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    verified: bool
    error: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str | None:
        return self.headers.get("webhook-id")


class WebhookReceiver(LoopbackStandIn):
    """A webhook endpoint on 127.0.0.1 that records every POST (any path).

    With `secret` set it verifies each delivery per the Standard Webhooks spec
    (timestamp tolerance `tolerance`) and answers 401 to one that fails, as a
    careful receiver does; `respond_with()` scripts failures to test retries.
    """

    def __init__(self, *, secret: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reset(secret=secret)
        self.route("POST", r"/.*", self._receive)

    def reset(
        self, *, secret: str | None = None, tolerance: int = TOLERANCE_SECONDS
    ) -> None:
        """Forget deliveries and scripted answers; set the secret to check against."""
        with self.lock:
            self.secret = secret
            self.tolerance = tolerance
            self.deliveries: list[ReceivedDelivery] = []
            self._script: list[int] = []
            self.calls.clear()

    def respond_with(self, *statuses: int) -> None:
        """Answer the next deliveries with these statuses, then 204 again."""
        with self.lock:
            self._script.extend(statuses)

    def wait_for_deliveries(
        self, count: int = 1, *, timeout: float = 5.0
    ) -> list[ReceivedDelivery]:
        return self.wait_until(
            lambda: len(self.deliveries) >= count and list(self.deliveries),
            timeout=timeout,
            what=f"{count} deliveries",
        )

    def _receive(self, request: Request) -> Reply:
        verified, error = False, ""
        if self.secret is not None:
            try:
                verify(
                    self.secret, request.headers, request.body, tolerance=self.tolerance
                )
                verified = True
            except WebhookVerificationError as refusal:
                error = str(refusal)
        with self.lock:
            self.deliveries.append(
                ReceivedDelivery(
                    request.path,
                    request.headers,
                    request.body,
                    time.time(),
                    verified,
                    error,
                )
            )
            scripted = self._script.pop(0) if self._script else None
        if error:
            return Reply(401, {"error": error})
        return Reply(scripted or 204)
