"""Release creation, snapshotting and the lifecycle rules."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.checklists.models import TemplateItem
from apps.releases import services
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoffs
from tests import factories

S = Release.Status


def make_ready(release, people):
    """Settle every gating item and approve every role, one person per role."""
    for item in release.items.all():
        if item.gates_readiness:
            services.release_item_set_state(item=item, state="done", by=people[0])
    for role, person in zip(release.signoff_roles, people, strict=False):
        signoffs.signoff_record(
            release=release, role_key=role["key"], decision="approve", by=person
        )


@pytest.fixture
def six_people(team, lead):
    return [lead, *(factories.member(team, "engineer") for _ in range(5))]


def test_new_release_snapshots_the_template(release, template):
    items = release.items.all()
    assert items.filter(kind="check").count() == 102 - 14  # maintenance recurs instead
    assert items.filter(phase="maintenance").count() == 0
    steps = items.filter(kind="step")
    assert steps.filter(phase="deployment").count() == 15
    assert steps.filter(phase="rollback").count() == 6
    assert [r["key"] for r in release.signoff_roles][:2] == [
        "technical_lead",
        "security_review",
    ]
    assert release.status == S.IN_PROGRESS


def test_editing_the_template_never_rewrites_a_release(release, template):
    item = TemplateItem.objects.get(phase__template=template, text="Indexes optimized")
    TemplateItem.objects.filter(pk=item.pk).update(text="Changed later")
    assert release.items.filter(text="Indexes optimized").count() == 1
    assert release.items.filter(text="Changed later").count() == 0


def test_release_create_is_audited(release):
    created = AuditEvent.objects.get(action="release.created", release_id=release.pk)
    assert created.after["version"] == "1.0.0"
    assert created.after["items"] == release.items.count()
    started = AuditEvent.objects.get(
        action="release.transitioned", release_id=release.pk
    )
    assert (started.before, started.after) == (
        {"status": "draft"},
        {"status": "in_progress"},
    )


def test_duplicate_version_in_an_environment_is_refused(release, lead, template):
    with pytest.raises(ValidationError, match="already has a release"):
        services.release_create(
            service=release.service,
            environment=release.environment,
            template=template,
            version="1.0.0",
            by=lead,
        )


@pytest.mark.parametrize("version", ["", " ", "-1", "a b", "x" * 65, "v1;rm"])
def test_malformed_versions_are_refused(environment, template, lead, version):
    with pytest.raises(ValidationError) as caught:
        services.release_create(
            service=environment.service,
            environment=environment,
            template=template,
            version=version,
            by=lead,
        )
    assert "version" in caught.value.message_dict
    assert Release.objects.count() == 0


def test_environment_of_another_service_is_refused(environment, template, lead, team):
    other = factories.EnvironmentFactory(service__team=team)
    with pytest.raises(ValidationError, match="is not an environment of"):
        services.release_create(
            service=environment.service,
            environment=other,
            template=template,
            version="1",
            by=lead,
        )


def test_ready_needs_a_ready_checklist(release, lead):
    with pytest.raises(ValidationError, match="Not ready"):
        services.release_transition(release=release, target=S.READY, by=lead)
    assert Release.objects.get(pk=release.pk).status == S.IN_PROGRESS


def test_full_lifecycle_to_deployed_and_rolled_back(release, six_people, lead):
    make_ready(release, six_people)
    release = services.release_transition(release=release, target=S.READY, by=lead)
    release = services.release_transition(
        release=release, target=S.DEPLOYED, by=lead, notes="Went fine."
    )
    assert release.deployed_by == lead
    assert release.deployed_at is not None
    assert release.deployment_notes == "Went fine."
    assert release.notes == ""
    with pytest.raises(ValidationError, match="Say why"):
        services.release_transition(release=release, target=S.ROLLED_BACK, by=lead)
    release = services.release_transition(
        release=release, target=S.ROLLED_BACK, by=lead, reason="Error rate 2%"
    )
    assert release.status == S.ROLLED_BACK
    with pytest.raises(ValidationError, match="cannot become"):
        services.release_transition(release=release, target=S.DEPLOYED, by=lead)


def test_deployed_only_from_ready_without_override(release, lead):
    with pytest.raises(ValidationError, match="cannot become deployed"):
        services.release_transition(release=release, target=S.DEPLOYED, by=lead)


def test_lead_override_needs_a_reason_and_is_recorded(release, lead):
    with pytest.raises(ValidationError, match="written reason"):
        services.release_transition(
            release=release, target=S.DEPLOYED, by=lead, override=True
        )
    release = services.release_transition(
        release=release,
        target=S.DEPLOYED,
        by=lead,
        override=True,
        reason="Hotfix for an outage",
    )
    assert release.status == S.DEPLOYED
    event = AuditEvent.objects.filter(action="release.transitioned").first()
    assert event.after["status"] == "deployed"
    assert event.after["deployed_by"] == lead.username
    assert event.after["reason"] == "Hotfix for an outage"
    override = event.after["override"]
    assert (override["by"], override["reason"], override["status"]) == (
        lead.username,
        "Hotfix for an outage",
        "deployed",
    )
    assert override["blockers"] == release.override_blockers != []


def test_engineer_cannot_transition_or_override(release, engineer):
    with pytest.raises(PermissionDenied):
        services.release_transition(
            release=release,
            target=S.DEPLOYED,
            by=engineer,
            override=True,
            reason="please",
        )
    assert Release.objects.get(pk=release.pk).status == S.IN_PROGRESS


def test_cancelled_release_cannot_change(release, lead):
    release = services.release_transition(
        release=release, target=S.CANCELLED, by=lead, reason="Superseded by 1.0.1"
    )
    item = release.items.first()
    with pytest.raises(ValidationError, match="can no longer change"):
        services.release_item_set_state(item=item, state="done", by=lead)


def test_blocked_and_na_need_a_note(release, engineer):
    item = release.items.filter(kind="check").first()
    for state in ("blocked", "na"):
        with pytest.raises(ValidationError, match="Say why"):
            services.release_item_set_state(
                item=item, state=state, note=" ", by=engineer
            )
    assert ReleaseItem.objects.get(pk=item.pk).state == "open"


def test_ticking_records_who_when_and_an_audit_event(release, engineer):
    item = release.items.filter(kind="check").first()
    services.release_item_set_state(item=item, state="done", by=engineer)
    item.refresh_from_db()
    assert item.state == "done"
    assert item.changed_by == engineer
    assert item.changed_at is not None
    event = AuditEvent.objects.get(action="release_item.state_changed")
    assert event.actor == engineer
    assert event.before == {"text": item.text, "state": "open"}
    assert event.after == {"state": "done"}
    assert event.release_id == release.pk


def test_auditor_cannot_change_anything(release, auditor, template, environment):
    item = release.items.first()
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.release_item_set_state(item=item, state="done", by=auditor)
    with pytest.raises(PermissionDenied):
        services.release_transition(
            release=release, target=S.CANCELLED, by=auditor, reason="x"
        )
    with pytest.raises(PermissionDenied):
        signoffs.signoff_record(
            release=release, role_key="technical_lead", decision="approve", by=auditor
        )
    with pytest.raises(PermissionDenied):
        services.release_create(
            service=environment.service,
            environment=environment,
            template=template,
            version="9",
            by=auditor,
        )
    assert AuditEvent.objects.count() == before
    assert ReleaseItem.objects.get(pk=item.pk).state == "open"


def test_other_teams_lead_cannot_touch_the_release(release, outsider):
    with pytest.raises(PermissionDenied):
        services.release_item_set_state(
            item=release.items.first(), state="done", by=outsider
        )
