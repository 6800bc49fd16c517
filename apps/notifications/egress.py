"""Sending a webhook under the probes' egress policy (apps.probes.kinds.net).

The URL is parsed and its host resolved and vetted once by the same functions
the probes use; the request then goes to exactly the vetted address (the Host
header and TLS SNI keep the name, so certificates are still checked against
it), so a second DNS answer cannot redirect it. Redirects are not followed: a
3xx is a failed attempt.
"""

import threading
import time
from dataclasses import dataclass

import httpx
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from apps.probes.kinds import net
from apps.probes.kinds.deadline import Deadline
from apps.probes.kinds.result import ProbeError, ProbeFailure

USER_AGENT = "Shipshape-webhook/1.0"
RESPONSE_CAP = 64 * 1024

_client: httpx.Client | None = None
_client_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code, or an error saying why there is none."""

    status_code: int | None
    error: str
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _shared_client() -> httpx.Client:
    # One client per process: creating one (and its SSL context) costs ~26 ms.
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                trust_env=False,
                follow_redirects=False,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return _client


def allowed_networks() -> tuple[net.IPNetwork, ...]:
    return net.parse_networks(settings.PROBE_ALLOWED_NETWORKS)


def check_url(url: str) -> str:
    """Parse a webhook URL; returns a reason it is refused, or "" when it is fine.

    A literal IP address is judged now; a host name is judged on every send,
    since its addresses can change.
    """
    try:
        parsed = net.parse_url(url, ("https", "http"))
    except ProbeError as error:
        return str(error)
    if parsed.host_is_ip:
        reason = net.denial_reason(parsed.host, allowed_networks())
        if reason:
            return f"blocked: {reason}"
    return ""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST the body to the URL's vetted address within `timeout` seconds per step."""
    started = time.monotonic()

    def outcome(status_code: int | None, error: str = "") -> Outcome:
        elapsed = round((time.monotonic() - started) * 1000, 1)
        return Outcome(status_code, error[:300], elapsed)

    try:
        parsed = net.parse_url(url, ("https", "http"))
        vetted = net.vet(
            parsed.host, parsed.port, allowed_networks(), Deadline(timeout)
        )
    except (ProbeError, ProbeFailure) as error:
        return outcome(None, getattr(error, "summary", str(error)))
    extensions = {}
    if parsed.scheme == "https" and not parsed.host_is_ip:
        extensions["sni_hostname"] = parsed.host
    request_headers = {
        "Host": parsed.netloc(),
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
        **headers,
    }
    client = _shared_client()
    request = client.build_request(
        "POST",
        f"{parsed.scheme}://{parsed.netloc(vetted.address)}{parsed.path}",
        headers=request_headers,
        content=body,
        timeout=httpx.Timeout(timeout),
        extensions=extensions,
    )
    # Per-step timeouts do not bound a receiver that trickles bytes, so the body
    # read stops at an overall deadline, and the task's soft time limit (which
    # interrupts a blocked read) counts as one more failed attempt.
    overall = started + timeout * 3
    try:
        response = client.send(request, stream=True)
        try:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > RESPONSE_CAP or time.monotonic() > overall:
                    break
        finally:
            response.close()
    except httpx.TimeoutException:
        return outcome(None, f"no answer within {timeout:g} s")
    except httpx.HTTPError as error:
        return outcome(None, f"cannot deliver: {error.__class__.__name__}: {error}")
    except SoftTimeLimitExceeded:
        return outcome(None, "the receiver took longer than the task time limit")
    return outcome(response.status_code)
