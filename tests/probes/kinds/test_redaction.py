"""Passwords in DSNs and URLs are masked before anything is shown or stored."""

from __future__ import annotations

import pytest

from apps.probes.kinds.redaction import redact_target, scrub


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/shop", "postgresql://app:***@db:5432/shop"),
        ("postgresql://app:p@ss@db/shop", "postgresql://app:***@db/shop"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:s3cret@cache/1", "rediss://default:***@cache/1"),
        ("host=db password=s3cret dbname=shop", "host=db password=*** dbname=shop"),
        ("host=db password='s3 cret' dbname=shop", "host=db password=*** dbname=shop"),
        ("http://h/p?password=abc&x=1", "http://h/p?password=***&x=1"),
        ("https://example.com/users/@me", "https://example.com/users/@me"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_passwords_are_masked(text: str, shown: str) -> None:
    assert redact_target(text) == shown


def test_known_secrets_are_scrubbed_everywhere() -> None:
    observed = {"error": "token k8s-token-99 refused", "items": ["k8s-token-99"]}

    assert scrub(observed, ["k8s-token-99"]) == {
        "error": "token *** refused",
        "items": ["***"],
    }
