"""Templates are owned: a team's by the team, a shared one by administrators.

Changing a template one does not own makes one's team its own version (copy on
write), which only that team's new releases use; every change to a shared
template is in every team's audit trail.
"""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.checklists import services
from apps.checklists.models import ChecklistTemplate, RunbookEntry, TemplateItem
from apps.policy import policyfile
from apps.records import services as records
from tests import factories
from tests.api.conftest import client_for

__all__ = ["client_for"]  # the API suite's fixture: a client with a real token
ADVISORY = ["Response times acceptable", "Cache hit rate acceptable"]


@pytest.fixture
def team_b(db):
    return factories.TeamFactory(name="Team B")


@pytest.fixture
def lead_b(team_b):
    return factories.member(team_b, "lead")


@pytest.fixture
def environment_b(team_b):
    return factories.EnvironmentFactory(service__team=team_b, name="production")


def _advisory(template: ChecklistTemplate) -> list[str]:
    return sorted(
        TemplateItem.objects.filter(
            phase__template=template, severity="advisory"
        ).values_list("text", flat=True)
    )


def _policy_with_advisory_items(environment, template) -> str:
    text = policyfile.policy_export(environment, template)
    items = "".join(f"\n  - {item}" for item in ADVISORY)
    return text.replace("advisory_items: []", f"advisory_items:{items}", 1)


def _visible_to(client, user) -> list[str]:
    client.force_login(user)
    response = client.get("/api/v1/audit-events/?page_size=500")
    assert response.status_code == 200
    return [event["action"] for event in response.json()["results"]]


def test_team_bs_policy_import_makes_its_own_version_and_leaves_team_a_alone(
    release, template, lead_b, environment_b
):
    """Team B's lead turns two items of the shared template advisory: team A's
    template and release stay blocking, B gets its own version."""
    items_of_a = list(release.items.values_list("text", "severity"))

    counts = policyfile.policy_import(
        _policy_with_advisory_items(environment_b, template), by=lead_b
    )

    assert _advisory(template) == []
    assert list(release.items.values_list("text", "severity")) == items_of_a
    own = ChecklistTemplate.objects.get(team=environment_b.service.team)
    assert (own.name, own.version, own.based_on) == ("default", 2, template)
    assert _advisory(own) == sorted(ADVISORY)
    assert counts["items_changed"] == 2
    assert counts["template"] == "default v2"
    event = AuditEvent.objects.get(action="template.changed")
    assert (event.team_id, event.target_id) == (own.team_id, str(own.pk))
    assert event.after == {
        "template": "default v2",
        "copied_from": "default v1",
        "name": "default",
        "version": 2,
        "advisory_items": sorted(ADVISORY),
    }
    policy = AuditEvent.objects.get(action="policy.imported")
    assert policy.after["template"] == "default v2"
    assert policy.after["template_copied_from"] == "default v1"


def test_only_team_bs_new_releases_use_its_version(
    release, template, lead, lead_b, environment, environment_b, client_for
):
    policyfile.policy_import(
        _policy_with_advisory_items(environment_b, template), by=lead_b
    )
    own = ChecklistTemplate.objects.get(team=environment_b.service.team)

    created_b = client_for(lead_b).post(
        "/api/v1/releases/",
        {
            "service": environment_b.service_id,
            "environment": environment_b.pk,
            "version": "2.0.0",
        },
        format="json",
    )
    created_a = client_for(lead).post(
        "/api/v1/releases/",
        {
            "service": environment.service_id,
            "environment": environment.pk,
            "version": "2.0.0",
        },
        format="json",
    )

    assert created_b.json()["template"] == own.pk
    assert created_a.json()["template"] == template.pk


def test_the_new_release_form_picks_the_teams_own_version(
    client, template, lead_b, environment_b
):
    policyfile.policy_import(
        _policy_with_advisory_items(environment_b, template), by=lead_b
    )
    client.force_login(lead_b)
    client.post(
        reverse("releases:new"),
        {
            "service": environment_b.service_id,
            "environment": environment_b.pk,
            "version": "3.0.0",
        },
    )

    created = environment_b.releases.get(version="3.0.0")
    assert created.template.team == environment_b.service.team
    assert created.items.filter(severity="advisory").count() == 2


def test_importing_the_same_policy_again_changes_its_own_version_in_place(
    template, lead_b, environment_b
):
    text = _policy_with_advisory_items(environment_b, template)
    policyfile.policy_import(text, by=lead_b)
    again = policyfile.policy_import(text, by=lead_b)
    fewer = policyfile.policy_import(
        text.replace(f"\n  - {ADVISORY[1]}", "", 1), by=lead_b
    )

    assert ChecklistTemplate.objects.filter(name="default").count() == 2
    assert again["items_changed"] == 0
    assert fewer["items_changed"] == 1
    own = ChecklistTemplate.objects.get(team=environment_b.service.team)
    assert _advisory(own) == [ADVISORY[0]]
    assert _advisory(template) == []


def test_runbook_links_of_a_shared_template_are_copied_on_write(
    template, lead_b, environment_b
):
    text = policyfile.policy_export(environment_b, template).replace(
        "runbook: []",
        "runbook:\n  - problem: Database connection timeout\n"
        "    probe_kinds: [postgres]",
        1,
    )

    policyfile.policy_import(text, by=lead_b)

    shared = RunbookEntry.objects.get(template=template, position=0)
    own = RunbookEntry.objects.get(
        template__team=environment_b.service.team, position=0
    )
    assert (shared.problem, shared.probe_kinds) == (own.problem, [])
    assert own.probe_kinds == ["postgres"]


def test_a_policy_file_cannot_name_another_teams_template(
    team, lead, template, lead_b, environment_b
):
    private = services.template_import(
        source=template.source, name="private", by=lead, team=team
    )
    text = policyfile.policy_export(environment_b, private)

    with pytest.raises(policyfile.PolicyFileError, match="no template private v1"):
        policyfile.policy_import(text, by=lead_b)
    assert ChecklistTemplate.objects.filter(name="private").count() == 1


def test_a_change_to_a_shared_template_is_in_every_teams_audit_trail(
    client, template, auditor, environment_b, team_b, tmp_path
):
    """An administrator changes the shared template from team B's environment and
    imports a new version of it: team A's auditor reads both events."""
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    policyfile.policy_import(
        _policy_with_advisory_items(environment_b, template), by=admin
    )
    seed = tmp_path / "default.md"
    seed.write_text(template.source)
    call_command("import_checklist", str(seed), "--name", "default", stdout=StringIO())
    auditor_b = factories.member(team_b, "auditor")

    seen_by_a = _visible_to(client, auditor)
    assert "template.imported" in seen_by_a
    assert "template.changed" in seen_by_a
    assert _advisory(template) == sorted(ADVISORY)
    assert "policy.imported" not in seen_by_a  # team B's environment, not A's
    assert "template.changed" in _visible_to(client, auditor_b)
    exported = records.audit_events_export(
        by=auditor,
        fmt="jsonl",
        team_ids=[auditor.memberships.get().team_id],
        since=date(2000, 1, 1),
    )
    assert "template.changed" in {event.action for event in exported}


def test_a_teams_own_version_is_not_in_other_teams_audit_trail(
    client, template, auditor, lead_b, environment_b
):
    policyfile.policy_import(
        _policy_with_advisory_items(environment_b, template), by=lead_b
    )

    assert "template.changed" not in _visible_to(client, auditor)


def test_only_administrators_change_a_shared_template_in_place(
    team, lead, engineer, template
):
    with pytest.raises(ValidationError, match="Only an administrator"):
        services.template_change(
            template=template, by=lead, options={"allow_creator_approval": False}
        )
    with pytest.raises(PermissionDenied):
        services.template_change(
            template=template,
            by=engineer,
            team=team,
            options={"allow_creator_approval": False},
        )
    with pytest.raises(ValidationError, match="Only an administrator"):
        services.template_import(source=template.source, name="x", by=lead)
    with pytest.raises(PermissionDenied):
        services.template_import(
            source=template.source,
            name="x",
            by=lead,
            team=factories.TeamFactory(),
        )
    template.refresh_from_db()
    assert template.allow_creator_approval is True
    assert ChecklistTemplate.objects.count() == 1


def test_the_options_page_gives_a_lead_its_teams_own_version(
    client, team, lead, template
):
    client.force_login(lead)
    page = client.get(reverse("checklists:detail", args=[template.pk]))
    response = client.post(
        reverse("checklists:options", args=[template.pk]),
        {"allow_shared_signoffs": "on", "team": team.pk},
        follow=True,
    )

    assert "Saving makes your team's own version" in page.text
    own = ChecklistTemplate.objects.get(team=team)
    assert (own.allow_creator_approval, own.allow_shared_signoffs) == (False, True)
    assert f"Saved as {team}&#x27;s own version default v2" in response.text
    template.refresh_from_db()
    assert (template.allow_creator_approval, template.allow_shared_signoffs) == (
        True,
        False,
    )


def test_the_options_api_changes_the_owners_template_in_place(
    client_for, team, lead, template
):
    mine = services.template_import(
        source=template.source, name="ours", by=lead, team=team
    )
    response = client_for(lead).post(
        f"/api/v1/templates/{mine.pk}/options/",
        {"allow_creator_approval": False},
        format="json",
    )
    copied = client_for(lead).post(
        f"/api/v1/templates/{template.pk}/options/",
        {"allow_creator_approval": False, "team": team.pk},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["allow_creator_approval"] is False
    assert response.json()["id"] == mine.pk
    assert copied.status_code == 201
    assert copied.json()["based_on"] == template.pk
    event = AuditEvent.objects.get(action="template.changed", target_id=str(mine.pk))
    assert event.before == {"allow_creator_approval": True}
