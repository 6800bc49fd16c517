"""`flush` (used between transactional tests) may still empty the audit tables."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from apps.audit import services
from apps.audit.models import AuditEvent, AuditHead


def test_flush_empties_the_audit_trail_and_leaves_the_triggers_armed(
    transactional_db,
):
    for number in range(3):
        services.record(actor=None, action="test.appended", target_id=number)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert not AuditHead.objects.exists()
    event = services.record(actor=None, action="test.appended", target_id="again")
    assert event.seq == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_flush_of_a_production_database_is_refused_by_the_triggers(
    db, settings, monkeypatch
):
    from django.core.management import CommandError
    from django.db import connection

    from apps.audit.management.commands.flush import disposable

    services.record(actor=None, action="test.appended", target_id=1)
    settings.DEBUG = False
    monkeypatch.setitem(connection.settings_dict, "NAME", "shipshape")
    assert not disposable("default")
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 1
