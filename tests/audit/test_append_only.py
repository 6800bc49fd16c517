"""The database itself refuses to change or remove audit rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit import appendonly
from apps.audit.models import AuditEvent


def _raw(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if sql.startswith("TRUNCATE"):
            # Run the fixture's deferred foreign-key checks now: PostgreSQL
            # will not truncate a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql)


def test_raw_sql_update_is_refused(chain_of_five):
    with pytest.raises(DatabaseError, match="append-only: UPDATE"):
        _raw("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 2")
    assert AuditEvent.objects.get(seq=2).action == "release_item.state_changed"


def test_raw_sql_delete_is_refused(chain_of_five):
    with pytest.raises(DatabaseError, match="append-only: DELETE"):
        _raw("DELETE FROM audit_auditevent WHERE seq = 5")
    assert AuditEvent.objects.count() == 5


def test_orm_update_and_delete_are_refused_too(chain_of_five):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(actor_label="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(seq=1).actor_label != "someone else"
    assert AuditEvent.objects.count() == 5


@pytest.mark.postgres
def test_truncate_is_refused_on_postgres(chain_of_five):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
        _raw("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == 5


@pytest.mark.postgres
def test_cascaded_truncate_from_the_users_table_is_refused(chain_of_five):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
        _raw("TRUNCATE auth_user CASCADE")
    assert AuditEvent.objects.count() == 5


@pytest.mark.postgres
def test_maintenance_still_refuses_updates_on_postgres(chain_of_five):
    with (
        pytest.raises(DatabaseError, match="append-only: UPDATE"),
        appendonly.maintenance(),
    ):
        _raw("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 2")
    assert AuditEvent.objects.get(seq=2).action == "release_item.state_changed"


def test_maintenance_lets_a_delete_through_and_closes_after(chain_of_five):
    with appendonly.maintenance():
        _raw("DELETE FROM audit_auditevent WHERE seq = 5")
    assert AuditEvent.objects.count() == 4
    with pytest.raises(DatabaseError, match="append-only: DELETE"):
        _raw("DELETE FROM audit_auditevent WHERE seq = 4")
    assert AuditEvent.objects.count() == 4


def test_prune_anchors_are_append_only_too(db):
    from django.utils import timezone

    from apps.audit.models import AuditAnchor

    AuditAnchor.objects.create(
        seq=3, hash="a" * 64, pruned=3, created_at=timezone.now()
    )
    with pytest.raises(DatabaseError, match="append-only: UPDATE"):
        _raw("UPDATE audit_auditanchor SET seq = 1")
    with pytest.raises(DatabaseError, match="append-only: DELETE"):
        _raw("DELETE FROM audit_auditanchor")
    assert AuditAnchor.objects.get().seq == 3
