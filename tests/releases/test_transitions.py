"""Transitions into ready and deployed re-check the verdict; overrides are facts.

Issue 17, items 1, 2, 9 and 10: deploying re-checks readiness, an override is
recorded with the blockers it overrode and announced as `release.overridden`
(never `release.ready`), release notes and deployment notes are separate, and
rollback and cancellation name who did them.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.notifications import services as notifications
from apps.notifications.models import Notification, WebhookDelivery
from apps.policy import services as policy
from apps.readiness.readiness import compute_readiness
from apps.releases import services
from apps.releases.models import Release
from apps.signoffs import services as signoffs
from tests import factories
from tests.api.conftest import make_ready
from tests.policy.conftest import finished_run, probe_config

pytestmark = pytest.mark.django_db
S = Release.Status


@pytest.fixture
def ready_release(release, lead) -> Release:
    """A release moved to `ready` on a ready verdict."""
    make_ready(release, lead)
    return services.release_transition(release=release, target=S.READY, by=lead)


def _untick_an_item(release: Release, lead) -> None:
    item = release.items.filter(phase="pre_deployment", kind="check").first()
    services.release_item_set_state(item=item, state="open", by=lead)


def _fail_a_probe(release: Release, lead) -> None:
    config = probe_config(release.environment, "Health endpoint")
    finished_run(release, [(config, "fail", "status 503")])


def _reject_a_signoff(release: Release, lead) -> None:
    role = release.signoff_roles[0]["key"]
    signoffs.signoff_record(
        release=release,
        role_key=role,
        decision="reject",
        comment="Found a problem",
        by=factories.member(release.team, "engineer"),
    )


def _start_a_freeze(release: Release, lead) -> None:
    now = timezone.now()
    policy.freeze_window_save(
        environment=release.environment,
        by=lead,
        name="Incident freeze",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
    )


@pytest.mark.parametrize(
    "unready, blocker",
    [
        (_untick_an_item, "(open)"),
        (_fail_a_probe, "Health endpoint: status 503"),
        (_reject_a_signoff, "rejected by"),
        (_start_a_freeze, "Freeze Incident freeze"),
    ],
)
def test_deploying_a_ready_release_that_is_no_longer_ready_is_refused(
    ready_release, lead, unready, blocker
):
    unready(ready_release, lead)

    with pytest.raises(ValidationError, match="Not ready") as refused:
        services.release_transition(
            release=ready_release, target=S.DEPLOYED, by=lead, notes="go"
        )

    assert blocker in " ".join(refused.value.messages)
    ready_release.refresh_from_db()
    assert ready_release.status == S.READY
    assert ready_release.deployed_at is None
    assert not AuditEvent.objects.filter(
        action="release.transitioned", after__status="deployed"
    ).exists()


def test_a_lead_deploys_a_release_that_lost_readiness_only_with_an_override(
    ready_release, lead, engineer
):
    _untick_an_item(ready_release, lead)
    blockers = [b.as_dict() for b in compute_readiness(ready_release).blockers]

    with pytest.raises(ValidationError, match="written reason"):
        services.release_transition(
            release=ready_release, target=S.DEPLOYED, by=lead, override=True
        )
    with pytest.raises(PermissionDenied):
        services.release_transition(
            release=ready_release,
            target=S.DEPLOYED,
            by=engineer,
            override=True,
            reason="please",
        )
    release = services.release_transition(
        release=ready_release,
        target=S.DEPLOYED,
        by=lead,
        override=True,
        reason="Outage fix; the check is done by hand",
    )

    assert release.status == S.DEPLOYED
    assert release.override["by"] == lead.username
    assert release.override["reason"] == "Outage fix; the check is done by hand"
    assert release.override["status"] == "deployed"
    assert release.override["blockers"] == blockers
    assert release.status_label == "Deployed with override"


def test_deploying_a_ready_release_that_is_still_ready_needs_no_override(
    ready_release, lead
):
    release = services.release_transition(
        release=ready_release, target=S.DEPLOYED, by=lead
    )
    assert release.status == S.DEPLOYED
    assert release.override is None
    assert release.status_label == "Deployed"


def test_an_override_into_ready_is_a_recorded_fact_with_its_blockers(release, lead):
    blockers = [b.as_dict() for b in compute_readiness(release).blockers]
    assert len(blockers) > 40

    release = services.release_transition(
        release=release,
        target=S.READY,
        by=lead,
        override=True,
        reason="Demo environment",
    )

    release = Release.objects.get(pk=release.pk)
    assert release.status == S.READY
    assert release.status_label == "Ready (override)"
    assert release.override_by == lead
    assert release.override_at is not None
    assert release.override_blockers == blockers
    event = AuditEvent.objects.filter(action="release.transitioned").order_by("seq")
    after = event.last().after
    assert after["override"]["blockers"] == blockers
    assert after["override"]["reason"] == "Demo environment"


def test_reopening_and_becoming_ready_on_the_verdict_drops_the_override(release, lead):
    services.release_transition(
        release=release, target=S.READY, by=lead, override=True, reason="Demo"
    )
    services.release_transition(release=release, target=S.IN_PROGRESS, by=lead)
    make_ready(release, lead)

    release = services.release_transition(release=release, target=S.READY, by=lead)

    assert release.override is None
    assert release.status_label == "Ready"


def test_an_override_asked_for_on_a_ready_verdict_is_not_an_override(release, lead):
    make_ready(release, lead)
    release = services.release_transition(
        release=release, target=S.READY, by=lead, override=True, reason="habit"
    )
    assert release.override is None


@pytest.fixture
def subscribed(settings, team, lead):
    """A webhook of the team hearing every release event (nothing is sent:
    the deliveries are queued after commit, and the tests only count rows)."""
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    events = [
        "release.ready",
        "release.overridden",
        "release.deployed",
        "release.rolled_back",
    ]
    hook, _secret = notifications.webhook_create(
        team=team, name="bot", url="http://127.0.0.1:9/hook", events=events, by=lead
    )
    return hook


def _announced() -> list[str]:
    return list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))


def test_an_override_into_ready_announces_release_overridden_not_ready(
    subscribed, release, lead
):
    services.release_transition(
        release=release, target=S.READY, by=lead, override=True, reason="Demo"
    )

    assert _announced() == ["release.overridden"]
    emailed = list(Notification.objects.values_list("event", flat=True))
    assert emailed == ["release.overridden"]
    [row] = WebhookDelivery.objects.all()
    assert '"reason": "Demo"' in row.body
    assert '"blockers": [' in row.body


def test_a_ready_verdict_announces_release_ready(subscribed, release, lead):
    make_ready(release, lead)
    WebhookDelivery.objects.all().delete()

    services.release_transition(release=release, target=S.READY, by=lead)

    assert _announced() == ["release.ready"]
    assert list(Notification.objects.values_list("event", flat=True)) == [
        "release.ready"
    ]


def test_deploying_with_an_override_announces_the_deploy_and_the_override(
    subscribed, release, lead
):
    services.release_transition(
        release=release, target=S.DEPLOYED, by=lead, override=True, reason="Hotfix"
    )
    assert _announced() == ["release.deployed", "release.overridden"]


def test_deployment_notes_leave_the_release_notes_alone(environment, template, lead):
    release = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="2.0.0",
        notes="first release",
        by=lead,
    )
    created = AuditEvent.objects.get(action="release.created", release_id=release.pk)
    assert created.after["notes"] == "first release"

    release = services.release_transition(
        release=release,
        target=S.DEPLOYED,
        by=lead,
        override=True,
        reason="Hotfix",
        notes="Deployed at 14:02, canary clean",
    )

    release = Release.objects.get(pk=release.pk)
    assert release.notes == "first release"
    assert release.deployment_notes == "Deployed at 14:02, canary clean"
    deployed = AuditEvent.objects.filter(action="release.transitioned").order_by("seq")
    event = deployed.last()
    assert event.before["deployment_notes"] == ""
    assert event.after["deployment_notes"] == "Deployed at 14:02, canary clean"
    assert "notes" not in event.after


def test_release_created_records_every_field_it_set(environment, template, lead):
    planned = timezone.now().replace(microsecond=0) + timedelta(days=2)
    release = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="2.1.0",
        planned_for=planned,
        notes="Ships the new checkout",
        start=False,
        by=lead,
    )
    after = AuditEvent.objects.get(action="release.created").after
    assert after["team"] == release.team.name
    assert after["notes"] == "Ships the new checkout"
    assert after["planned_for"] == planned.isoformat().replace("+00:00", "Z")
    assert after["status"] == "draft"
    assert after["allow_shared_signoffs"] is False
    assert [role["key"] for role in after["signoff_roles"]] == [
        role["key"] for role in release.signoff_roles
    ]


def test_rollback_and_cancel_name_who_did_them(
    ready_release, lead, environment, template
):
    deployer = lead
    roller = factories.member(ready_release.team, "lead")
    services.release_transition(release=ready_release, target=S.DEPLOYED, by=deployer)

    release = services.release_transition(
        release=ready_release, target=S.ROLLED_BACK, by=roller, reason="Errors 2%"
    )

    release = Release.objects.get(pk=release.pk)
    assert release.deployed_by == deployer
    assert release.rolled_back_by == roller
    assert release.rolled_back_at is not None
    other = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="9.9.9",
        by=deployer,
    )
    canceller = factories.member(release.team, "lead")
    other = services.release_transition(
        release=other, target=S.CANCELLED, by=canceller, reason="Superseded"
    )
    other = Release.objects.get(pk=other.pk)
    assert (other.cancelled_by, other.cancelled_at is not None) == (canceller, True)
