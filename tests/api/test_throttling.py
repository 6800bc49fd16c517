"""Throttling: one budget per token, one per anonymous client address."""

import time

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.API_THROTTLE_RATES = {"user": "3/min", "anon": "2/min"}


def test_a_token_is_throttled_after_its_budget(low_rates, client_for, engineer):
    client = client_for(engineer)

    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_each_token_has_its_own_budget(low_rates, client_for, engineer):
    first, second = client_for(engineer), client_for(engineer)
    for _ in range(3):
        first.get("/api/v1/me/")

    assert first.get("/api/v1/me/").status_code == 429
    assert second.get("/api/v1/me/").status_code == 200


def test_a_throttled_answer_says_when_to_retry(low_rates, client_for, engineer):
    client = client_for(engineer)
    for _ in range(3):
        client.get("/api/v1/me/")

    response = client.get("/api/v1/me/")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_anonymous_requests_are_throttled_per_address(low_rates):
    here = APIClient(REMOTE_ADDR="192.0.2.10")
    there = APIClient(REMOTE_ADDR="192.0.2.11")

    statuses = [here.get("/api/v1/releases/").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert there.get("/api/v1/releases/").status_code == 401


def test_a_forged_forwarded_for_header_does_not_reset_the_budget(low_rates):
    client = APIClient(REMOTE_ADDR="192.0.2.20")
    for n in range(2):
        client.get("/api/v1/releases/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = client.get("/api/v1/releases/", HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert response.status_code == 429


def test_a_budget_comes_back_when_its_window_ends(settings, client_for, engineer):
    settings.API_THROTTLE_RATES = {"user": "2/s", "anon": "2/s"}
    client = client_for(engineer)
    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

    time.sleep(1.1)

    assert client.get("/api/v1/me/").status_code == 200


@pytest.fixture
def failure_limit(settings):
    settings.API_THROTTLE_RATES = {
        "user": "1000/min",
        "anon": "1000/min",
        "auth_failure": "5/min",
    }


def _random_tokens(client: APIClient, count: int, **extra) -> list[int]:
    return [
        client.get(
            "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer shp_guess{n:04d}", **extra
        ).status_code
        for n in range(count)
    ]


def test_invalid_tokens_are_throttled_per_address(failure_limit):
    here = APIClient(REMOTE_ADDR="192.0.2.30")
    there = APIClient(REMOTE_ADDR="192.0.2.31")

    statuses = _random_tokens(here, 150)
    throttled = here.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer shp_once-more")

    assert statuses == [401] * 5 + [429] * 145
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert _random_tokens(there, 1) == [401]


def test_revoked_tokens_count_as_failures(failure_limit, client_for, engineer):
    from apps.accounts.models import ApiToken

    revoked = client_for(engineer)
    ApiToken.objects.filter(user=engineer).update(revoked_at="2026-01-01T00:00Z")

    statuses = [
        revoked.get("/api/v1/me/", REMOTE_ADDR="192.0.2.32").status_code
        for _ in range(6)
    ]

    assert statuses == [401] * 5 + [429]


def test_failures_are_counted_per_client_behind_trusted_proxies(
    failure_limit, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")

    first = _random_tokens(proxy, 6, HTTP_X_FORWARDED_FOR="198.51.100.7")
    second = _random_tokens(proxy, 1, HTTP_X_FORWARDED_FOR="198.51.100.8")

    assert first == [401] * 5 + [429]
    assert second == [401]


def test_a_valid_token_from_a_throttled_address_still_works(
    failure_limit, client_for, engineer
):
    here = APIClient(REMOTE_ADDR="192.0.2.33")
    _random_tokens(here, 6)
    mine = client_for(engineer)

    assert mine.get("/api/v1/me/", REMOTE_ADDR="192.0.2.33").status_code == 200
