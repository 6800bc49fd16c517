"""The policy over the API: team scoping, roles, four eyes, and the verdict."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.policy.models import Waiver

pytestmark = pytest.mark.django_db


def test_leads_request_and_approve_a_waiver_and_the_gate_lists_it(
    client_for, ready_release, lead, second_lead
):
    item = ready_release.items.filter(phase="pre_deployment", kind="check").first()
    expires = (timezone.now() + timedelta(hours=2)).isoformat()
    body = {
        "release": ready_release.pk,
        "blocker_type": "item",
        "blocker_id": str(item.pk),
        "reason": "Checked by hand",
        "expires_at": expires,
    }

    created = client_for(lead).post("/api/v1/waivers/", body, format="json")
    own = client_for(lead).post(f"/api/v1/waivers/{created.json()['id']}/approve/")
    approved = client_for(second_lead).post(
        f"/api/v1/waivers/{created.json()['id']}/approve/"
    )

    assert created.status_code == 201
    assert own.status_code == 403
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == second_lead.username


def test_auditors_cannot_waive_and_outsiders_do_not_see_waivers(
    client_for, ready_release, lead, second_lead, auditor, outsider
):
    item = ready_release.items.filter(phase="pre_deployment", kind="check").first()
    body = {
        "release": ready_release.pk,
        "blocker_type": "item",
        "blocker_id": str(item.pk),
        "reason": "r",
        "expires_at": (timezone.now() + timedelta(hours=2)).isoformat(),
    }
    assert (
        client_for(auditor).post("/api/v1/waivers/", body, format="json").status_code
        == 403
    )
    waiver = client_for(lead).post("/api/v1/waivers/", body, format="json").json()

    assert client_for(outsider).get("/api/v1/waivers/").json()["results"] == []
    assert (
        client_for(outsider)
        .post(f"/api/v1/waivers/{waiver['id']}/approve/")
        .status_code
        == 404
    )
    assert Waiver.objects.get().approved_by is None


def test_a_freeze_window_made_over_the_api_blocks_the_gate(
    client_for, ready_release, lead, engineer
):
    made = client_for(lead).post(
        "/api/v1/freeze-windows/",
        {
            "environment": ready_release.environment_id,
            "name": "Always",
            "cron": "* * * * *",
            "duration_minutes": 5,
        },
        format="json",
    )
    verdict = (
        client_for(engineer)
        .get(f"/api/v1/releases/{ready_release.pk}/readiness/")
        .json()
    )

    assert made.status_code == 201
    assert verdict["ready"] is False
    assert verdict["freeze"]["name"] == "Always"
    assert [b["type"] for b in verdict["blockers"]] == ["freeze"]
