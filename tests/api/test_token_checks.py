"""A worker reuses a token's check for up to a second (API_AUTH_CACHE_MS), so
polling pipelines cost less; revoking the token, removing its owner from a team
or changing their role still takes effect within that second everywhere, and at
once in the process that made the change.

"Another process" is a write made with plain SQL: it is what a change made by
another worker looks like to this one (none of this process's models, querysets
or signals see it).
"""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts import services as account_services
from apps.accounts import tokens
from apps.accounts.models import ApiToken, Membership
from tests import factories

pytestmark = pytest.mark.django_db


def _elsewhere(sql: str, params: list) -> float:
    """Run a write as another worker would, and return when it committed
    (time.monotonic()); the test's transaction is already the connection's."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return time.monotonic()


def _at(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _readiness(client, release):
    return client.get(f"/api/v1/releases/{release.pk}/readiness/")


def _token_reads(captured) -> int:
    return sum(
        query["sql"].startswith("SELECT") and "accounts_apitoken" in query["sql"]
        for query in captured
    )


def test_a_polled_token_is_read_once_and_its_check_reused(
    client_for, engineer, release, settings
):
    settings.API_AUTH_CACHE_MS = 1000
    client = client_for(engineer)
    with CaptureQueriesContext(connection) as first:
        assert _readiness(client, release).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert _readiness(client, release).status_code == 200

    assert _token_reads(first) == 1
    assert _token_reads(second) == 0


def test_with_the_cache_off_every_request_reads_the_token(
    client_for, engineer, release, settings
):
    settings.API_AUTH_CACHE_MS = 0
    client = client_for(engineer)
    _readiness(client, release)
    with CaptureQueriesContext(connection) as again:
        assert _readiness(client, release).status_code == 200
    assert _token_reads(again) == 1


def test_a_token_revoked_by_another_process_is_refused_within_a_second(
    client_for, engineer, release
):
    client = client_for(engineer)
    assert _readiness(client, release).status_code == 200

    revoked = _elsewhere(
        "UPDATE accounts_apitoken SET revoked_at = %s WHERE user_id = %s",
        [timezone.now(), engineer.pk],
    )
    _at(revoked + 1.0)
    refused = _readiness(client, release)

    assert refused.status_code == 401
    assert refused.json()["detail"] == "This token has been revoked."


def test_a_token_revoked_in_this_process_is_refused_at_once(
    client_for, engineer, release
):
    client = client_for(engineer)
    assert _readiness(client, release).status_code == 200

    tokens.token_revoke(token=ApiToken.objects.get(user=engineer), by=engineer)

    assert _readiness(client, release).status_code == 401


def test_an_owner_deactivated_by_another_process_is_refused_within_a_second(
    client_for, engineer, release
):
    client = client_for(engineer)
    assert _readiness(client, release).status_code == 200

    deactivated = _elsewhere(
        "UPDATE auth_user SET is_active = false WHERE id = %s", [engineer.pk]
    )
    _at(deactivated + 1.0)

    assert _readiness(client, release).status_code == 401


def test_a_member_removed_by_another_process_loses_the_release_within_a_second(
    client_for, engineer, release
):
    client = client_for(engineer)
    assert _readiness(client, release).status_code == 200

    removed = _elsewhere(
        "DELETE FROM accounts_membership WHERE user_id = %s", [engineer.pk]
    )
    _at(removed + 1.0)
    answer = _readiness(client, release)

    assert answer.status_code == 404
    assert "release" not in answer.json()
    # The lookup by service, environment and version too.
    lookup = client.get(
        "/api/v1/readiness/",
        {
            "service": release.service_id,
            "environment": release.environment_id,
            "version": release.version,
        },
    )
    assert lookup.status_code == 404


def test_a_member_removed_here_loses_the_release_at_once(
    client_for, team, engineer, release
):
    client = client_for(engineer)
    assert _readiness(client, release).status_code == 200

    account_services.membership_remove(
        membership=Membership.objects.get(user=engineer),
        by=factories.member(team, "admin"),
    )

    assert _readiness(client, release).status_code == 404


def test_a_lead_made_auditor_by_another_process_is_refused_a_write_within_a_second(
    client_for, team, release
):
    lead = factories.member(team, "lead")
    client = client_for(lead)
    first = client.post(
        "/api/v1/services/", {"team": team.pk, "name": "Payments"}, format="json"
    )
    assert first.status_code == 201
    assert _readiness(client, release).status_code == 200

    demoted = _elsewhere(
        "UPDATE accounts_membership SET role = 'auditor' WHERE user_id = %s",
        [lead.pk],
    )
    _at(demoted + 1.0)
    refused = client.post(
        "/api/v1/services/", {"team": team.pk, "name": "Ledger"}, format="json"
    )

    assert refused.status_code == 403
    # An auditor still reads the readiness answer.
    assert _readiness(client, release).status_code == 200


def test_the_lookup_answers_as_the_release_endpoint_from_the_same_cache(
    client_for, engineer, release
):
    client = client_for(engineer)
    by_id = _readiness(client, release)
    query = {
        "service": release.service.name.upper(),
        "environment": release.environment.name.lower(),
        "version": release.version,
    }
    with CaptureQueriesContext(connection) as captured:
        looked_up = client.get("/api/v1/readiness/", query)

    assert looked_up.status_code == 200
    assert looked_up.json() == by_id.json()
    assert looked_up["ETag"] == by_id["ETag"]
    # Found in one statement, answered from the cache: no release is read whole.
    assert len(captured) == 1
