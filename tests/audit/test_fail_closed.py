"""Fail closed: when the audit event cannot be written, the change does not happen."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.releases import services
from apps.releases.models import ReleaseItem

BREAK_INSERTS = {
    "postgresql": [
        "CREATE FUNCTION test_audit_disk_full() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'could not extend file: disk full'; END $$;",
        "CREATE TRIGGER test_audit_disk_full BEFORE INSERT ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION test_audit_disk_full();",
    ],
    "sqlite": [
        "CREATE TRIGGER test_audit_disk_full BEFORE INSERT ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'could not extend file: disk full'); END;",
    ],
}


@contextmanager
def audit_inserts_fail() -> Iterator[None]:
    """The database refuses every new audit row, as a full disk would.

    Runs inside the test's transaction, which removes the trigger afterwards.
    """
    with connection.cursor() as cursor:
        for statement in BREAK_INSERTS[connection.vendor]:
            cursor.execute(statement)
    yield


def test_a_failed_audit_write_rolls_back_the_item_change(release, engineer):
    item = release.items.order_by("position").first()
    events = AuditEvent.objects.count()
    with audit_inserts_fail(), pytest.raises(DatabaseError, match="disk full"):
        services.release_item_set_state(item=item, state="done", by=engineer)
    item.refresh_from_db()
    assert item.state == ReleaseItem.State.OPEN
    assert item.changed_by is None
    assert AuditEvent.objects.count() == events


def test_the_user_sees_an_error_and_the_item_stays_open(client, release, engineer):
    item = release.items.order_by("position").first()
    client.force_login(engineer)
    client.raise_request_exception = False
    with audit_inserts_fail():
        response = client.post(
            reverse("releases:item-state", args=[item.pk]), {"state": "done"}
        )
    assert response.status_code == 500
    item.refresh_from_db()
    assert item.state == ReleaseItem.State.OPEN
    assert not AuditEvent.objects.filter(action="release_item.state_changed").exists()
