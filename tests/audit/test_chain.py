"""The audit chain: every event links to the one before it."""

from apps.audit import chain
from apps.audit.models import AuditEvent


def _values():
    return list(AuditEvent.objects.order_by("seq").values())


def test_events_form_an_intact_chain(release, engineer):
    from apps.releases import services

    for item in release.items.all()[:3]:
        services.release_item_set_state(item=item, state="done", by=engineer)
    report = chain.verify(_values())
    assert report.ok
    assert report.checked == AuditEvent.objects.count()


def test_an_edited_event_breaks_the_chain(release):
    target = AuditEvent.objects.order_by("seq").first()
    AuditEvent.objects.filter(pk=target.pk).update(after={"version": "6.6.6"})
    report = chain.verify(_values())
    assert not report.ok
    assert report.broken_seq == target.seq
    assert report.problem == "content does not match its hash"


def test_a_removed_event_breaks_the_chain(release):
    first = AuditEvent.objects.order_by("seq").first()
    AuditEvent.objects.filter(pk=first.pk).delete()
    report = chain.verify(_values())
    assert not report.ok
    assert report.problem == "sequence jumps from 0 to 2"
