"""A lead keeps the team's on-call rotation, an environment's production flag
and its maintenance plan in the browser: create, edit, delete.

Driven by accessible names and roles only, at 1366×900 and 390×844; each page
is saved to test-artifacts/ at both widths.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.catalog.models import Environment
from apps.maintenance.models import MaintenancePlan
from apps.oncall.models import Override, Rotation
from tests.browser import SCREENS, open_on, screenshot, sideways

pytestmark = pytest.mark.e2e


def _team_settings(page, team, link: str) -> None:
    page.goto("/")
    page.get_by_text(", account").locator("xpath=..").click()
    page.get_by_role("link", name="Team settings").click()
    page.get_by_role("link", name=f"{link} of {team.name}").click()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_lead_sets_up_changes_and_deletes_the_on_call_rotation(
    open_page, screen, team, lead, engineer, environment
):
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    page = open_on(open_page, lead, screen)
    _team_settings(page, team, "On-call")
    expect(
        page.get_by_text(f"{team.name} has no on-call rotation yet.")
    ).to_be_visible()
    page.get_by_role("link", name="Set up the rotation").first.click()
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Hand-over day").select_option(label="Monday")
    page.get_by_label("Hand-over time").fill("09:00")
    page.get_by_label("First day").fill(f"{monday:%Y-%m-%d}")
    page.get_by_label("People, in order").fill(f"{engineer.username}\nnobody-here")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Not members of")).to_be_visible()
    assert sideways(page) <= 0
    screenshot(page, f"oncall-rotation-form-{screen}")
    page.get_by_label("People, in order").fill(f"{engineer.username}\n{lead.username}")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name=f"On call for {team.name}")).to_be_visible()
    expect(page.get_by_role("region", name="Now")).to_contain_text(engineer.username)
    # The page links back to the environments it covers.
    expect(
        page.get_by_role("navigation", name=f"Environments of {team.name}")
    ).to_contain_text(str(environment))
    page.get_by_label("Who").select_option(label=lead.username)
    page.get_by_label("From").fill(f"{today + timedelta(days=2):%Y-%m-%d}T09:00")
    page.get_by_label("Until").fill(f"{today + timedelta(days=4):%Y-%m-%d}T09:00")
    page.get_by_label("Reason").fill("Swap")
    page.get_by_role("button", name="Add override").click()
    overrides = page.get_by_role("region", name="Overrides")
    expect(overrides).to_contain_text("Swap")
    assert sideways(page) <= 0
    screenshot(page, f"oncall-{screen}")
    overrides.get_by_role(
        "button", name=f"Remove the override of {lead.username}"
    ).click()
    expect(page.get_by_text("No overrides planned.")).to_be_visible()
    assert not Override.objects.exists()

    page.get_by_role("link", name="Edit the rotation").click()
    expect(page.get_by_label("People, in order")).to_have_value(
        f"{engineer.username}\n{lead.username}"
    )
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Delete the rotation").click()
    screenshot(page, f"oncall-delete-{screen}")
    page.get_by_role("button", name="Delete the rotation").click()
    expect(
        page.get_by_text(f"{team.name} has no on-call rotation yet.")
    ).to_be_visible()
    assert not Rotation.objects.filter(team=team).exists()
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    for action in (
        "oncall_rotation.saved",
        "oncall_override.added",
        "oncall_override.deleted",
        "oncall_rotation.deleted",
    ):
        assert action in actions


@pytest.mark.parametrize("screen", SCREENS)
def test_a_lead_marks_production_and_keeps_the_maintenance_plan(
    open_page, screen, team, lead, engineer, environment, template
):
    page = open_on(open_page, lead, screen)
    _team_settings(page, team, "Services and environments")
    service = environment.service.name
    page.get_by_role("link", name=f"Edit {service} {environment.name}").click()
    page.get_by_label("Production").check()
    page.get_by_role("button", name="Save").click()
    environments = page.get_by_role("table", name=f"Environments of {service}")
    expect(environments).to_contain_text("Production")
    assert Environment.objects.get(pk=environment.pk).production
    event = AuditEvent.objects.filter(action="environment.changed").latest("seq")
    assert event.after == {"production": True}

    environments.get_by_role(
        "link", name=f"Maintenance of {service} {environment.name}"
    ).click()
    expect(page.get_by_text("No maintenance checklists yet.")).to_be_visible()
    page.get_by_role("link", name="Start a maintenance plan").click()
    page.get_by_label("Checklist", exact=True).select_option(label=str(template))
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Assign new checklists to (optional)").select_option(
        label=engineer.username
    )
    assert sideways(page) <= 0
    screenshot(page, f"maintenance-plan-form-{screen}")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Maintenance plan saved.")).to_be_visible()
    expect(page.get_by_text("Running")).to_be_visible()
    assert sideways(page) <= 0
    screenshot(page, f"maintenance-{screen}")

    page.get_by_role("link", name="Edit the plan").click()
    page.get_by_label("Running").uncheck()
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Paused")).to_be_visible()
    assert not MaintenancePlan.objects.get(environment=environment).enabled

    page.get_by_role("link", name="Delete the plan").click()
    screenshot(page, f"maintenance-plan-delete-{screen}")
    page.get_by_role("button", name="Delete the plan").click()
    expect(page.get_by_text("Maintenance plan deleted.")).to_be_visible()
    expect(page.get_by_role("link", name="Start a maintenance plan")).to_be_visible()
    assert not MaintenancePlan.objects.filter(environment=environment).exists()
