"""A waiver asked for from the sign-off and probe panels' blockers, and the policy
panel answering decisions in place (htmx): the panel with what happened and the
readiness bar out of band, and polling while a decision is awaited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.checklists.models import Severity
from apps.policy import services
from apps.policy.models import Waiver
from apps.probes.models import ProbeConfig
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_lead_asks_to_waive_a_sign_off_from_the_sign_off_panel(
    client, release, lead, engineer
):
    role = release.signoff_roles[0]
    link = (
        f"{reverse('policy:waiver-request', args=[release.pk])}"
        f"?blocker=signoff:{role['key']}"
    )
    client.force_login(engineer)
    as_engineer = client.get(release.get_absolute_url()).text
    client.force_login(lead)
    as_lead = client.get(release.get_absolute_url()).text
    form = client.get(link).text

    assert link not in as_engineer
    assert link in as_lead
    assert f"class=visually-hidden> of the {role['name']} sign-off</span>" in as_lead
    assert f'value="signoff:{role["key"]}"' in form
    assert "checked" in form.split(f'value="signoff:{role["key"]}"')[1][:80]


def test_an_approved_sign_off_offers_no_waiver(client, ready_release, lead):
    client.force_login(lead)
    page = client.get(ready_release.get_absolute_url()).text

    assert "?blocker=signoff:" not in page


def test_a_failing_blocking_probe_offers_a_waiver_and_an_advisory_one_does_not(
    client, release, lead, engineer
):
    # The link sits in the failing result's details, which the probe panel
    # loads when the row is opened (the release page keeps its byte budget).
    failing = factories.probe_evidence(release, lead, status="fail")
    details = reverse("probes:result", args=[failing.pk])
    link = f"?blocker=probe:{failing.config_id}"
    client.force_login(engineer)
    as_engineer = client.get(details, **HTMX).text
    client.force_login(lead)
    blocking = client.get(details, **HTMX).text
    ProbeConfig.objects.filter(pk=failing.config_id).update(severity=Severity.ADVISORY)
    advisory = client.get(details, **HTMX).text

    assert link in blocking
    assert "of the probe health endpoint</span>" in blocking
    assert link not in as_engineer
    assert link not in advisory


def test_a_blocker_waived_since_the_link_was_drawn_is_said_so(client, release, lead):
    role = release.signoff_roles[0]
    services.waiver_request(
        release=release,
        blocker_type="signoff",
        blocker_id=role["key"],
        reason="Signed on paper",
        expires_at=timezone.now() + timedelta(days=1),
        by=lead,
    )
    client.force_login(lead)

    page = client.get(
        reverse("policy:waiver-request", args=[release.pk]),
        {"blocker": f"signoff:{role['key']}"},
    ).text

    assert "already has a waiver asked for or in force" in page


def _item_waiver(release, lead) -> Waiver:
    item = release.items.filter(phase="pre_deployment", kind="check").first()
    return services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Checked by hand in staging",
        expires_at=timezone.now() + timedelta(days=2),
        by=lead,
    )


def test_approving_a_waiver_in_the_panel_answers_in_place(
    client, release, lead, second_lead
):
    waiver = _item_waiver(release, lead)
    client.force_login(second_lead)
    page = client.get(release.get_absolute_url()).text

    response = client.post(reverse("policy:waiver-approve", args=[waiver.pk]), **HTMX)

    # The buttons post with htmx into the panel; the answer is the panel, not
    # a redirect, with the readiness bar swapped out of band.
    assert f'hx-post="{reverse("policy:waiver-approve", args=[waiver.pk])}"' in page
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="policy"')
    assert f"Waiver of “{waiver.label}” approved." in response.text
    assert f"approved by {second_lead.username}" in response.text
    assert 'id="readiness-bar"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "1 waived blocker" in response.text
    assert AuditEvent.objects.filter(action="waiver.approved").count() == 1


def test_a_refused_decision_is_said_in_the_panel(client, release, lead):
    waiver = _item_waiver(release, lead)
    client.force_login(lead)

    response = client.post(reverse("policy:waiver-approve", args=[waiver.pk]), **HTMX)

    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert "Not approved: Someone other than the requester must approve." in (
        response.text
    )
    waiver.refresh_from_db()
    assert waiver.approved_by is None


def test_an_exception_approval_answers_in_place(
    client, ready_release, environment, lead, second_lead
):
    now = timezone.now()
    services.freeze_window_save(
        environment=environment,
        by=lead,
        name="Incident freeze",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )
    exception = services.emergency_exception_request(
        release=ready_release,
        reason="Security fix",
        expires_at=now + timedelta(hours=4),
        by=lead,
    )
    client.force_login(second_lead)

    response = client.post(
        reverse("policy:exception-approve", args=[exception.pk]), **HTMX
    )

    assert response.status_code == 200
    assert "Approval recorded: one more lead approves." in response.text
    assert "approvals 1/2" in response.text


def test_the_panel_polls_while_a_decision_is_awaited(client, release, lead):
    panel = reverse("policy:panel", args=[release.pk])
    client.force_login(lead)
    quiet = client.get(release.get_absolute_url()).text
    _item_waiver(release, lead)
    waiting = client.get(panel, **HTMX).text

    release.refresh_from_db()
    assert f'hx-get="{panel}' not in quiet
    assert (
        f'hx-get="{panel}?seen={release.revision}"\n  hx-trigger="every 20s"' in waiting
    )
