"""The ratelimit kind against a real loopback server with a rate limiter."""

from __future__ import annotations

import uuid

from tests.probes.kinds.conftest import probe


def test_a_429_within_the_burst_passes(url) -> None:
    bucket = uuid.uuid4().hex

    result = probe("ratelimit", url(f"/limited/{bucket}"), requests="10")

    assert result.status == "pass"
    assert result.summary == "429 after 6 of at most 10 requests"
    assert result.observed["statuses"] == {"200": 5, "429": 1}
    assert result.observed["retry_after"] == "30"


def test_no_429_fails(url) -> None:
    result = probe("ratelimit", url("/health"), requests="8")

    assert result.status == "fail"
    assert result.summary == "no 429 after 8 requests (statuses {'200': 8})"


def test_the_burst_is_bounded(url) -> None:
    result = probe("ratelimit", url("/health"), requests="201")

    assert result.status == "error"
    assert result.summary == "option requests must be at most 200"


def test_a_blocked_target_sends_nothing(connections) -> None:
    result = probe("ratelimit", "http://192.168.0.10/login", allow=())

    assert result.status == "fail"
    assert result.summary == "blocked: 192.168.0.10 is private (RFC 1918)"
    assert connections == []
