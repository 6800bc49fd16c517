"""A worker reuses a signed-in person's user row and roles for up to a second
(API_AUTH_CACHE_MS, apps.accounts.signed_in), as it does an API token's check:
deactivating them, changing their password, removing them from a team or
changing their role still takes effect within that second everywhere, and at
once in the process that made the change; signing out ends the session at once.

"Another process" is a write made with plain SQL: what a change made by another
worker looks like to this one (none of this process's models, querysets or
signals see it).
"""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts import services as account_services
from apps.accounts.models import Membership
from tests import factories
from tests.api.test_token_checks import _at, _elsewhere

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reads(captured, table: str) -> int:
    """Queries that read the table's rows (not a subquery of the page's own)."""
    return sum(query["sql"].startswith(f'SELECT "{table}".') for query in captured)


def test_a_signed_in_person_is_read_once_and_reused_by_the_next_request(
    engineer, release, settings
):
    settings.API_AUTH_CACHE_MS = 1000
    client = _signed_in(engineer)
    assert client.get(release.get_absolute_url()).status_code == 200

    with CaptureQueriesContext(connection) as again:
        assert client.get(release.get_absolute_url()).status_code == 200

    assert _reads(again, "auth_user") == 0
    assert _reads(again, "accounts_membership") == 0


def test_with_the_cache_off_every_request_reads_the_person(engineer, release, settings):
    settings.API_AUTH_CACHE_MS = 0
    client = _signed_in(engineer)
    client.get(release.get_absolute_url())

    with CaptureQueriesContext(connection) as again:
        assert client.get(release.get_absolute_url()).status_code == 200

    assert _reads(again, "auth_user") == 1


def test_a_person_deactivated_by_another_process_is_signed_out_within_a_second(
    engineer, release
):
    client = _signed_in(engineer)
    assert client.get(release.get_absolute_url()).status_code == 200

    deactivated = _elsewhere(
        "UPDATE auth_user SET is_active = false WHERE id = %s", [engineer.pk]
    )
    _at(deactivated + 1.0)
    answer = client.get(release.get_absolute_url())

    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_a_password_changed_by_another_process_ends_the_session_within_a_second(
    engineer, release
):
    client = _signed_in(engineer)
    assert client.get(release.get_absolute_url()).status_code == 200

    changed = _elsewhere(
        "UPDATE auth_user SET password = %s WHERE id = %s",
        [make_password("a-new-password"), engineer.pk],
    )
    _at(changed + 1.0)

    assert client.get(release.get_absolute_url()).status_code == 302


def test_a_member_removed_by_another_process_loses_the_release_within_a_second(
    engineer, release
):
    client = _signed_in(engineer)
    assert client.get(release.get_absolute_url()).status_code == 200

    removed = _elsewhere(
        "DELETE FROM accounts_membership WHERE user_id = %s", [engineer.pk]
    )
    _at(removed + 1.0)

    assert client.get(release.get_absolute_url()).status_code == 404


def test_a_member_removed_here_loses_the_release_at_once(team, engineer, release):
    client = _signed_in(engineer)
    assert client.get(release.get_absolute_url()).status_code == 200

    account_services.membership_remove(
        membership=Membership.objects.get(user=engineer),
        by=factories.member(team, "admin"),
    )

    assert client.get(release.get_absolute_url()).status_code == 404


def test_an_engineer_made_auditor_by_another_process_cannot_tick_within_a_second(
    engineer, release
):
    client = _signed_in(engineer)
    item = release.items.filter(state="open").first()
    url = f"/items/{item.pk}/state/"
    assert (
        client.post(url, {"state": "done"}, HTTP_HX_REQUEST="true").status_code == 200
    )

    demoted = _elsewhere(
        "UPDATE accounts_membership SET role = 'auditor' WHERE user_id = %s",
        [engineer.pk],
    )
    _at(demoted + 1.0)
    refused = client.post(url, {"state": "open"}, HTTP_HX_REQUEST="true")

    assert refused.status_code == 403
    item.refresh_from_db()
    assert item.state == "done"


def test_signing_out_ends_the_session_at_once(engineer, release):
    client = _signed_in(engineer)
    assert client.get(release.get_absolute_url()).status_code == 200

    client.post("/accounts/logout/")

    assert client.get(release.get_absolute_url()).status_code == 302
