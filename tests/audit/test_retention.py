"""Retention prunes old events, keeps the chain verifiable, and is itself audited."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.audit import services, verification
from apps.audit.models import AuditAnchor, AuditEvent


def _append(count: int) -> None:
    for index in range(count):
        services.record(
            actor=None, action="test.appended", target_type="t", target_id=index
        )


def test_without_retention_nothing_is_pruned(db, settings):
    settings.AUDIT_RETENTION_DAYS = None
    _append(3)
    assert services.audit_prune(now=timezone.now() + timedelta(days=3650)) is None
    assert AuditEvent.objects.count() == 3


def test_pruning_keeps_the_chain_verifiable_and_is_an_event(db, settings, capsys):
    settings.AUDIT_RETENTION_DAYS = 30
    _append(4)
    boundary = timezone.now()
    _append(2)
    anchor = services.audit_prune(now=boundary + timedelta(days=30))
    assert (anchor.seq, anchor.pruned) == (4, 4)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [
        5,
        6,
        7,
    ]
    pruned = AuditEvent.objects.get(action="audit.pruned")
    assert pruned.after == {
        "through_seq": 4,
        "through_hash": anchor.hash,
        "pruned": 4,
        "retention_days": 30,
    }
    call_command("verify_audit")
    assert "Audit chain intact: 3 events checked" in capsys.readouterr().out


def test_a_forged_anchor_is_reported(db, settings, tamper):
    _append(5)
    with tamper():
        AuditEvent.objects.filter(seq__lte=2).delete()
    AuditAnchor.objects.create(
        seq=2,
        hash=AuditEvent.objects.get(seq=3).prev_hash,
        pruned=2,
        created_at=timezone.now(),
    )
    report = verification.chain_verify()
    assert not report.ok
    assert report.broken_seq == 2
    assert "not recorded by any audit.pruned event" in report.problem
    with pytest.raises(CommandError):
        call_command("verify_audit")
