"""Bulk export of audit events: filters, formats, roles, and its own audit event."""

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
URL = reverse("records:audit-export")


def _download(client, **params) -> str:
    response = client.get(URL, {"download": "1", **params})
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content).decode()


def test_an_auditor_exports_their_teams_events_as_csv(
    client, auditor, deployed_release, outsider
):
    other = factories.EnvironmentFactory(service__team=outsider.memberships.get().team)
    from apps.audit import services as audit
    from apps.checklists import services as checklists

    # A shared template's import (no team), made here: the default template
    # comes with the migrations and leaves no event unless a transactional
    # test flushed it before, so relying on it made this test order-dependent.
    checklists.template_import(
        source="# Shared\n## Pre-deployment\n### Checks\n- [ ] One",
        name="Shared",
        by=None,
    )

    audit.record(
        actor=outsider, action="release.created", target=other, team_id=other.pk + 999
    )
    client.force_login(auditor)
    rows = list(csv.DictReader(io.StringIO(_download(client, format="csv"))))
    team_id = str(deployed_release.team_id)
    # Changes to the shared template (its import, with no team) are in every
    # team's trail; everything else is the team's own.
    shared = "checklists.checklisttemplate"
    assert rows and {r["team_id"] for r in rows if r["target_type"] != shared} == {
        team_id
    }
    assert {r["team_id"] for r in rows if r["target_type"] == shared} == {""}
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    expected = AuditEvent.objects.filter(team_id=deployed_release.team_id)
    shared_events = AuditEvent.objects.filter(team_id=None, target_type=shared)
    # The export event itself comes after.
    assert len(rows) == expected.count() - 1 + shared_events.count()
    last = (expected | shared_events).exclude(action="audit.exported").latest("seq")
    assert rows[-1]["hash"] == last.hash


def test_filters_by_type_and_date_range_as_json_lines(client, lead, deployed_release):
    client.force_login(lead)
    today = timezone.now().date()
    lines = _download(
        client,
        format="jsonl",
        action="signoff",
        since=today.isoformat(),
        until=today.isoformat(),
    ).splitlines()
    events = [json.loads(line) for line in lines]
    assert events and {e["action"] for e in events} == {"signoff.recorded"}
    yesterday = (today - timedelta(days=1)).isoformat()
    assert _download(client, format="jsonl", until=yesterday) == ""


def test_the_export_is_itself_an_audit_event(client, auditor, deployed_release):
    client.force_login(auditor)
    _download(client, format="jsonl", action="release.transitioned")
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor == auditor
    assert event.after["format"] == "jsonl"
    assert event.after["action"] == "release.transitioned"
    assert event.after["teams"] == [deployed_release.team_id]


def test_engineers_may_not_export_the_audit_trail(client, engineer, deployed_release):
    client.force_login(engineer)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"download": "1", "format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_another_teams_audit_trail_cannot_be_asked_for(
    client, auditor, outsider, deployed_release
):
    client.force_login(auditor)
    other_team = outsider.memberships.get().team
    response = client.get(
        URL, {"download": "1", "format": "csv", "team": other_team.pk}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_csv_export_neutralises_formula_cells(client, auditor, deployed_release):
    from apps.releases import services

    formula = factories.member(
        deployed_release.team, "engineer", username="@SUM(1+1)*cmd"
    )
    item = deployed_release.items.order_by("-position").first()
    services.release_item_set_state(item=item, state="done", by=formula)
    client.force_login(auditor)
    rows = list(csv.reader(io.StringIO(_download(client, format="csv"))))
    assert [r[3] for r in rows if r[3].endswith("*cmd")] == ["'@SUM(1+1)*cmd"]
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row)


def test_a_full_json_lines_export_verifies_with_the_standalone_script(
    client, deployed_release, tmp_path
):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    path = tmp_path / "events.jsonl"
    path.write_text(_download(client, format="jsonl"))
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/verify_chain.py"),
            str(path),
            "--complete",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "0 gaps" in result.stdout


def test_the_export_form_lists_only_teams_the_user_may_export(
    client, auditor, team, outsider
):
    client.force_login(auditor)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Export the audit trail" in page
    assert team.name in page
    assert outsider.memberships.get().team.name not in page


def test_a_reversed_date_range_is_explained_not_exported(client, auditor, team):
    client.force_login(auditor)
    response = client.get(
        URL,
        {
            "download": "1",
            "format": "csv",
            "since": "2026-03-02",
            "until": "2026-03-01",
        },
    )
    assert response.status_code == 200
    assert not response.streaming
    assert "Choose a day on or after the start." in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
