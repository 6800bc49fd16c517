"""Covered actions write exactly one event with the right actor and diff; no secrets."""

import json

from django.core.management import call_command

from apps.audit import services
from apps.audit.models import AuditEvent
from apps.releases import services as releases


def test_ticking_an_item_writes_one_event_with_only_the_changed_fields(
    release, engineer
):
    item = release.items.order_by("position").first()
    before = AuditEvent.objects.count()
    releases.release_item_set_state(item=item, state="done", by=engineer)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor) == ("release_item.state_changed", engineer)
    assert (event.release_id, event.team_id) == (release.pk, release.team_id)
    assert event.before == {"text": item.text, "state": "open"}
    assert event.after == {"state": "done"}


def test_secrets_are_redacted_at_any_depth():
    values = services.redact(
        {
            "dsn_password": "hunter2",
            "options": {"api_token": "tok-123", "host": "db"},
            "headers": [{"client_secret": "s3cr3t", "name": "x"}],
            "empty_password": "",
        }
    )
    assert values == {
        "dsn_password": "***",
        "options": {"api_token": "***", "host": "db"},
        "headers": [{"client_secret": "***", "name": "x"}],
        "empty_password": "",
    }


def test_a_recorded_secret_never_reaches_the_table(db):
    services.record(
        actor=None,
        action="probe_config.changed",
        target_type="probes.probeconfig",
        target_id=1,
        before={"options": {"password": "old-pass-1"}},
        after={"options": {"password": "new-pass-2"}, "kubeconfig": "apiVersion: v1"},
    )
    stored = json.dumps(list(AuditEvent.objects.values("before", "after")))
    for secret in ("old-pass-1", "new-pass-2", "apiVersion"):
        assert secret not in stored


def test_prune_command_keeps_everything_when_retention_is_unset(db, settings, capsys):
    settings.AUDIT_RETENTION_DAYS = None
    services.record(actor=None, action="test.appended", target_id=1)
    call_command("prune_audit")
    assert "every event is kept" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 1
