"""Where an override shows: the release page, dashboard, history, the deployment
record (HTML, JSON, CSV), the readiness endpoint and `manage.py gate --json`.

Issue 17, items 1, 2 and 10, as a person, an auditor and a pipeline see them.
"""

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from apps.readiness.readiness import compute_readiness
from apps.releases import services
from apps.releases.models import Release
from tests import factories
from tests.api.conftest import make_ready

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
S = Release.Status


@pytest.fixture
def overridden(client, lead, release) -> Release:
    """Marked ready anyway, through the page, with 47-odd blockers."""
    client.force_login(lead)
    client.post(
        reverse("releases:transition", args=[release.pk]),
        {"target": "ready", "override": "on", "reason": "Demo for the board"},
    )
    release.refresh_from_db()
    assert release.status == S.READY
    return release


def test_marking_ready_anyway_never_says_ready_on_the_page(client, overridden):
    page = client.get(overridden.get_absolute_url()).text

    assert "Ready (override)" in page
    assert "The release is now ready." not in page
    assert "Ready (override): " in page  # the message after the move
    assert "blockers overridden" in page
    assert "Marked ready with an override" in page
    assert "Demo for the board" in page
    plain_ready_badge = '<use href="#i-check"></use></svg>Ready</span>'
    assert plain_ready_badge not in page
    assert "Mark deployed anyway…" in page


def test_the_dashboard_and_history_show_the_override(client, lead, overridden):
    dashboard = client.get(reverse("releases:dashboard")).text
    assert "Ready (override)" in dashboard

    services.release_transition(
        release=overridden,
        target=S.DEPLOYED,
        by=lead,
        override=True,
        reason="Still a demo",
    )
    dashboard = client.get(reverse("releases:dashboard")).text
    assert "Deployed with override" in dashboard
    history = client.get(reverse("releases:history")).text
    assert "Deployed with override" in history


def test_a_ready_release_that_lost_readiness_says_so(client, lead, engineer, release):
    make_ready(release, lead)
    services.release_transition(release=release, target=S.READY, by=lead)
    client.force_login(lead)
    assert "No longer ready" not in client.get(release.get_absolute_url()).text

    item = release.items.filter(phase="pre_deployment", kind="check").first()
    services.release_item_set_state(item=item, state="open", by=engineer)
    page = client.get(release.get_absolute_url()).text
    dashboard = client.get(reverse("releases:dashboard")).text

    assert "No longer ready: 7 blockers since it was marked ready" in page
    assert "Mark deployed anyway…" in page
    assert "No longer ready" in dashboard
    refused = client.post(
        reverse("releases:transition", args=[release.pk]),
        {"target": "deployed"},
        **HTMX,
    )
    assert "Not ready:" in refused.text
    release.refresh_from_db()
    assert release.status == S.READY


def test_history_and_status_panel_name_who_rolled_back(client, lead, auditor, release):
    make_ready(release, lead)
    services.release_transition(release=release, target=S.READY, by=lead)
    services.release_transition(release=release, target=S.DEPLOYED, by=lead)
    roller = factories.member(release.team, "lead", first_name="Rita", last_name="Roll")
    services.release_transition(
        release=release, target=S.ROLLED_BACK, by=roller, reason="Error rate 2%"
    )
    client.force_login(auditor)

    panel = client.get(release.get_absolute_url()).text
    history = client.get(reverse("releases:history")).text

    assert "by Rita Roll" in panel
    assert f'<td data-label="By / reason">{roller.username}' in history
    assert f'<td data-label="By / reason">{lead.username}' not in history


def test_the_deployment_record_carries_the_override_in_every_format(
    client, auditor, overridden
):
    blockers = [b.as_dict() for b in compute_readiness(overridden).blockers]
    client.force_login(auditor)

    page = client.get(reverse("records:record", args=[overridden.pk])).text
    body = client.get(reverse("records:record-json", args=[overridden.pk])).content
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    reverse("records:record-csv", args=[overridden.pk])
                ).content.decode()
            )
        )
    )

    assert "Ready (override)" in page
    assert "Marked ready with an override" in page
    assert f"Blockers overridden ({len(blockers)})" in page
    assert "An override is a lead moving a release" in page
    record = json.loads(body)
    assert record["release"]["status_label"] == "Ready (override)"
    override = record["release"]["override"]
    assert (override["status"], override["reason"]) == ("ready", "Demo for the board")
    assert override["blockers"] == blockers
    facts = {r["field"]: r["value"] for r in rows if r["section"] == "release"}
    assert facts["status_label"] == "Ready (override)"
    assert facts["override.reason"] == "Demo for the board"
    assert json.loads(facts["override.blockers"]) == blockers


def test_the_readiness_endpoint_and_the_gate_report_the_override(
    engineer, lead, overridden
):
    api = APIClient()
    api.force_authenticate(engineer)
    out = StringIO()
    with pytest.raises(SystemExit) as exit:
        call_command("gate", str(overridden.pk), "--json", stdout=out)
    gate = json.loads(out.getvalue())
    endpoint = api.get(f"/api/v1/releases/{overridden.pk}/readiness/").json()

    assert exit.value.code == 1  # an override never opens the gate
    assert gate["ready"] is False
    assert gate["override"]["by"] == lead.username
    assert gate["override"]["reason"] == "Demo for the board"
    assert gate["override"]["blockers"] == gate["blockers"]
    assert endpoint["override"]["blockers"] == gate["blockers"]
    assert endpoint["override"]["reason"] == "Demo for the board"
    released = api.get(f"/api/v1/releases/{overridden.pk}/").json()
    assert released["status_label"] == "Ready (override)"
    assert released["override"]["by"] == lead.username
