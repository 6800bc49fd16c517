"""Another team's object and a missing one get the same answer, on every write.

Every write endpoint that takes the id of another object in its body is sent a
body that is valid except for that id: once with an object of another team,
once with an id that exists nowhere. Every write endpoint with an id in its
path is sent both ids there. The two answers must be identical, so the API
never confirms that an id exists elsewhere. The endpoints come from the OpenAPI
schema: a new one with an id in its body or path fails the coverage tests
until it is added below.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import services as accounts
from apps.checklists import services as checklists
from apps.contacts.models import Contact, SupportResource
from apps.incidents.models import Incident
from apps.integrations.models import GitHubMapping, GitLabMapping
from apps.notifications.models import Webhook, WebhookDelivery
from apps.oncall.models import Override
from apps.policy.models import EmergencyException, FreezeWindow, Waiver
from apps.probes.models import ProbeConfig
from apps.releases import services as releases
from tests import factories

pytestmark = pytest.mark.django_db

# Integer fields of write bodies that are plain numbers, not ids (reviewed).
NUMBERS = {
    ("post", "/api/v1/freeze-windows/", "duration_minutes"),
    ("put", "/api/v1/freeze-windows/{id}/", "duration_minutes"),
    ("put", "/api/v1/verification-settings/{environment}/", "failure_limit"),
    ("put", "/api/v1/verification-settings/{environment}/", "consecutive_successes"),
    ("post", "/api/v1/verification-windows/", "failure_limit"),
    ("post", "/api/v1/verification-windows/", "consecutive_successes"),
    ("post", "/api/v1/verification-windows/", "regression_percent"),
    ("post", "/api/v1/contacts/", "escalation_order"),
    ("patch", "/api/v1/contacts/{id}/", "escalation_order"),
    ("put", "/api/v1/oncall-rotations/{team}/", "handover_weekday"),
    ("post", "/api/v1/integrations/github/mappings/", "installation_id"),
}


def _later(days: int = 1) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


# (method, path, field) -> the body, valid but for `field`, given our objects
# (`w`) and the id to try.
BODIES = {
    ("post", "/api/v1/integrations/github/mappings/", "service"): lambda w, pk: {
        "repository": "acme/shop",
        "environment_name": "production",
        "service": pk,
        "environment": w["environment"].pk,
    },
    ("post", "/api/v1/integrations/github/mappings/", "environment"): lambda w, pk: {
        "repository": "acme/shop",
        "environment_name": "production",
        "service": w["environment"].service_id,
        "environment": pk,
    },
    ("post", "/api/v1/integrations/gitlab/mappings/", "service"): lambda w, pk: {
        "project_path": "acme/shop",
        "environment_name": "production",
        "service": pk,
        "environment": w["environment"].pk,
    },
    ("post", "/api/v1/integrations/gitlab/mappings/", "environment"): lambda w, pk: {
        "project_path": "acme/shop",
        "environment_name": "production",
        "service": w["environment"].service_id,
        "environment": pk,
    },
    ("post", "/api/v1/releases/", "service"): lambda w, pk: {
        "service": pk,
        "environment": w["environment"].pk,
        "version": "9.9.9",
    },
    ("post", "/api/v1/releases/", "environment"): lambda w, pk: {
        "service": w["environment"].service_id,
        "environment": pk,
        "version": "9.9.9",
    },
    ("post", "/api/v1/releases/", "template"): lambda w, pk: {
        "service": w["environment"].service_id,
        "environment": w["environment"].pk,
        "template": pk,
        "version": "9.9.9",
    },
    ("post", "/api/v1/probe-configs/", "environment"): lambda w, pk: {
        "environment": pk,
        "name": "health",
        "kind": "http",
        "target": "https://example.com/health/",
    },
    ("put", "/api/v1/probe-configs/{id}/", "environment"): lambda w, pk: {
        "environment": pk,
        "name": "health",
        "kind": "http",
        "target": "https://example.com/health/",
    },
    ("post", "/api/v1/probe-runs/", "release"): lambda w, pk: {"release": pk},
    ("post", "/api/v1/signoffs/", "release"): lambda w, pk: {
        "release": pk,
        "role_key": w["release"].signoff_roles[0]["key"],
        "decision": "approve",
    },
    ("post", "/api/v1/webhooks/", "team"): lambda w, pk: {
        "team": pk,
        "name": "hook",
        "url": "https://hooks.example.com/in",
        "events": ["release.ready"],
    },
    ("post", "/api/v1/templates/import/", "team"): lambda w, pk: {
        "team": pk,
        "name": "ours",
        "source": w["markdown"],
    },
    ("post", "/api/v1/waivers/", "release"): lambda w, pk: {
        "release": pk,
        "blocker_type": "item",
        "blocker_id": str(w["item"].pk),
        "reason": "known and accepted",
        "expires_at": _later(),
    },
    ("post", "/api/v1/waivers/", "blocker_id"): lambda w, pk: {
        "release": w["release"].pk,
        "blocker_type": "item",
        "blocker_id": str(pk),
        "reason": "known and accepted",
        "expires_at": _later(),
    },
    ("post", "/api/v1/freeze-windows/", "environment"): lambda w, pk: {
        "environment": pk,
        "name": "year end",
        "starts_at": _later(1),
        "ends_at": _later(2),
    },
    ("post", "/api/v1/emergency-exceptions/", "release"): lambda w, pk: {
        "release": pk,
        "reason": "outage fix",
        "expires_at": _later(),
    },
    ("post", "/api/v1/verification-windows/", "release"): lambda w, pk: {"release": pk},
    ("post", "/api/v1/templates/{id}/options/", "team"): lambda w, pk: {
        "team": pk,
        "allow_creator_approval": False,
    },
    ("post", "/api/v1/signoff-eligibility/", "team"): lambda w, pk: {
        "team": pk,
        "role_key": w["release"].signoff_roles[0]["key"],
        "team_roles": ["lead"],
    },
    ("post", "/api/v1/signoff-groups/", "team"): lambda w, pk: {
        "team": pk,
        "name": "Security reviewers",
    },
    ("post", "/api/v1/team-members/", "team"): lambda w, pk: {
        "team": pk,
        "user": w["lead"].username,
        "role": "engineer",
    },
    ("post", "/api/v1/services/", "team"): lambda w, pk: {
        "team": pk,
        "name": "Payments",
    },
    ("post", "/api/v1/environments/", "service"): lambda w, pk: {
        "service": pk,
        "name": "production",
    },
    ("post", "/api/v1/contacts/", "team"): lambda w, pk: {
        "team": pk,
        "role": "DBA",
    },
    ("post", "/api/v1/contacts/", "service"): lambda w, pk: {
        "team": w["team"].pk,
        "service": pk,
        "role": "DBA",
    },
    ("patch", "/api/v1/contacts/{id}/", "service"): lambda w, pk: {"service": pk},
    ("post", "/api/v1/support-resources/", "team"): lambda w, pk: {
        "team": pk,
        "kind": "documentation",
        "label": "Docs",
        "url": "https://docs.example.com/",
    },
    ("post", "/api/v1/support-resources/", "service"): lambda w, pk: {
        "team": w["team"].pk,
        "service": pk,
        "kind": "documentation",
        "label": "Docs",
        "url": "https://docs.example.com/",
    },
    ("patch", "/api/v1/support-resources/{id}/", "service"): lambda w, pk: {
        "service": pk
    },
    ("post", "/api/v1/oncall-overrides/", "team"): lambda w, pk: {
        "team": pk,
        "user": w["lead"].username,
        "starts_at": _later(1),
        "ends_at": _later(2),
    },
    ("put", "/api/v1/maintenance-plans/{environment}/", "template"): lambda w, pk: {
        "template": pk
    },
    ("post", "/api/v1/signoffs/requests/", "release"): lambda w, pk: {
        "release": pk,
        "role_key": w["release"].signoff_roles[0]["key"],
        "person": w["lead"].username,
    },
}
INCIDENT = {"title": "Checkout down", "started_at": "2026-05-04T10:00:00Z"}
BODIES.update(
    {
        ("post", "/api/v1/releases/", "remediates"): lambda w, pk: {
            "service": w["environment"].service_id,
            "environment": w["environment"].pk,
            "version": "9.9.9",
            "remediates": pk,
        },
        ("post", "/api/v1/releases/{id}/transition/", "rolled_back_to"): lambda w, pk: {
            "status": "rolled_back",
            "reason": "errors",
            "rolled_back_to": pk,
        },
        ("post", "/api/v1/releases/{id}/delivery/", "remediates"): lambda w, pk: {
            "remediates": pk
        },
        ("post", "/api/v1/releases/{id}/delivery/", "rolled_back_to"): lambda w, pk: {
            "rolled_back_to": pk
        },
        ("post", "/api/v1/incidents/", "service"): lambda w, pk: {
            **INCIDENT,
            "service": pk,
        },
        ("post", "/api/v1/incidents/", "caused_by"): lambda w, pk: {
            **INCIDENT,
            "service": w["environment"].service_id,
            "caused_by": pk,
        },
        ("post", "/api/v1/incidents/", "remediated_by"): lambda w, pk: {
            **INCIDENT,
            "service": w["environment"].service_id,
            "remediated_by": pk,
        },
        ("patch", "/api/v1/incidents/{id}/", "caused_by"): lambda w, pk: {
            "caused_by": pk
        },
        ("patch", "/api/v1/incidents/{id}/", "remediated_by"): lambda w, pk: {
            "remediated_by": pk
        },
    }
)
# The object whose id fills a body test's path, where it is not the probe config.
PATH_OBJECT = {
    "/api/v1/releases/{id}/transition/": "release",
    "/api/v1/releases/{id}/delivery/": "release",
    "/api/v1/incidents/{id}/": "incident",
    "/api/v1/templates/{id}/options/": "template",
    "/api/v1/contacts/{id}/": "contact",
    "/api/v1/support-resources/{id}/": "resource",
    "/api/v1/maintenance-plans/{environment}/": "environment",
}
# Which of the other team's objects each field names.
FOREIGN = {
    "service": lambda t: t["environment"].service_id,  # also a contact's
    "environment": lambda t: t["environment"].pk,
    "template": lambda t: t["template"].pk,
    "release": lambda t: t["release"].pk,
    "team": lambda t: t["team"].pk,
    "blocker_id": lambda t: t["item"].pk,
    "remediates": lambda t: t["release"].pk,
    "rolled_back_to": lambda t: t["release"].pk,
    "caused_by": lambda t: t["release"].pk,
    "remediated_by": lambda t: t["release"].pk,
}


def _team_world(template) -> dict:
    """A team with a lead, an environment, a deployed release, a probe, a template."""
    team = factories.TeamFactory()
    lead = factories.member(team, "lead")
    environment = factories.EnvironmentFactory(service__team=team)
    release = releases.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="1.0",
        by=lead,
    )
    markdown = checklists.template_export(template)
    own = checklists.template_import(
        source=markdown, name=f"own-{team.pk}", team=team, by=lead
    )
    config = ProbeConfig.objects.create(
        environment=environment, name="web", kind="http", target="https://x.test/"
    )
    item = next(i for i in release.items.all() if i.gates_readiness)
    later = timezone.now() + timedelta(days=1)
    check = factories.maintenance_check(environment, template, lead)
    webhook = Webhook.objects.create(
        team=team, name="hook", url="https://hooks.example.com/in", created_by=lead
    )
    return {
        "team": team,
        "lead": lead,
        "environment": environment,
        "release": release,
        "template": own,
        "config": config,
        "item": item,
        "markdown": markdown,
        "waiver": Waiver.objects.create(
            release=release,
            blocker_type="item",
            blocker_id=str(item.pk),
            label=item.text,
            reason="known",
            requested_by=lead,
            expires_at=later,
        ),
        "freeze": FreezeWindow.objects.create(
            environment=environment,
            name="Holidays",
            starts_at=later,
            ends_at=later + timedelta(days=1),
        ),
        "exception": EmergencyException.objects.create(
            release=release, reason="outage", requested_by=lead, expires_at=later
        ),
        "webhook": webhook,
        "attempt": WebhookDelivery.objects.create(
            webhook=webhook, event="release.ready", body="{}", status="gave_up"
        ),
        "window": factories.VerificationWindowFactory(release=release),
        "group": accounts.signoff_group_create(
            team=team, name="Security reviewers", by=None
        ),
        "service": environment.service,
        "membership": team.memberships.get(user=lead),
        "contact": Contact.objects.create(team=team, role="DBA"),
        "resource": SupportResource.objects.create(
            team=team, kind="documentation", label="Docs", url="https://docs.test/"
        ),
        "check": check,
        "mapping": GitHubMapping.objects.create(
            team=team,
            repository=f"acme/shop-{team.pk}",
            environment_name="production",
            service=environment.service,
            environment=environment,
            created_by=lead,
        ),
        "incident": Incident.objects.create(
            team=team, service=environment.service, title="Down", started_at=later
        ),
        "override": Override.objects.create(
            rotation=factories.weekly_rotation(team, lead, [lead]),
            user=lead,
            starts_at=later,
            ends_at=later + timedelta(days=1),
        ),
        "gitlab_mapping": GitLabMapping.objects.create(
            team=team,
            project_path=f"acme/shop-{team.pk}",
            environment_name="production",
            service=environment.service,
            environment=environment,
            created_by=lead,
        ),
    }


@pytest.fixture
def ours(template, client_for):
    world = _team_world(template)
    world["client"] = client_for(world["lead"])
    return world


@pytest.fixture
def theirs(template):
    return _team_world(template)


def _schema() -> dict:
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _id_fields(schema: dict) -> set[tuple[str, str, str]]:
    """(method, path, field) of every id-like field of every write body."""
    components = schema["components"]["schemas"]
    found = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if method not in ("post", "put", "patch") or not body:
                continue
            if "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[1]]
            for name, field in body.get("properties", {}).items():
                if field.get("readOnly"):
                    continue
                if field.get("type") == "integer" or name.endswith("_id"):
                    found.add((method, path, name))
    return found


def test_every_id_in_a_write_body_is_walked():
    ids = _id_fields(_schema()) - NUMBERS

    assert ids - set(BODIES) == set(), (
        f"New id fields in write bodies: add each to BODIES (or NUMBERS) in {__file__}"
    )


@pytest.mark.parametrize("key", sorted(BODIES), ids=lambda key: " ".join(key))
def test_another_teams_id_and_a_missing_id_get_the_same_answer(key, ours, theirs):
    method, path, field = key
    path = re.sub(r"\{[^}]+\}", str(ours[PATH_OBJECT.get(path, "config")].pk), path)
    foreign = FOREIGN[field](theirs)
    missing = foreign + 1_000_000
    send = getattr(ours["client"], method)

    answers = []
    for pk in (foreign, missing):
        response = send(path, BODIES[key](ours, pk), format="json")
        answers.append((response.status_code, response.json()))

    assert answers[0] == answers[1]
    status, body = answers[0]
    assert status == 400
    assert list(body) == [field], body


def test_a_missing_freeze_window_environment_says_no_such_environment(ours):
    body = BODIES[("post", "/api/v1/freeze-windows/", "environment")](ours, 10**9)

    response = ours["client"].post("/api/v1/freeze-windows/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"environment": ["No such environment."]}


# (method, path) of every write with an id in its path -> which object it names.
PATHS = {
    ("post", "/api/v1/emergency-exceptions/{id}/approve/"): "exception",
    ("post", "/api/v1/items/{id}/state/"): "item",
    ("put", "/api/v1/probe-configs/{id}/"): "config",
    ("put", "/api/v1/probe-schedules/{config}/"): "config",
    ("patch", "/api/v1/releases/{id}/"): "release",
    ("post", "/api/v1/releases/{id}/transition/"): "release",
    ("post", "/api/v1/verification-windows/{id}/decide/"): "window",
    ("post", "/api/v1/waivers/{id}/approve/"): "waiver",
    ("post", "/api/v1/waivers/{id}/decline/"): "waiver",
    ("put", "/api/v1/freeze-windows/{id}/"): "freeze",
    ("delete", "/api/v1/freeze-windows/{id}/"): "freeze",
    ("delete", "/api/v1/webhooks/{id}/"): "webhook",
    ("delete", "/api/v1/integrations/github/mappings/{id}/"): "mapping",
    ("delete", "/api/v1/integrations/gitlab/mappings/{id}/"): "gitlab_mapping",
    ("put", "/api/v1/integrations/gitlab/mappings/{id}/token/"): "gitlab_mapping",
    ("post", "/api/v1/webhook-deliveries/{id}/resend/"): "attempt",
    ("post", "/api/v1/templates/{id}/options/"): "template",
    ("patch", "/api/v1/signoff-groups/{id}/"): "group",
    ("delete", "/api/v1/signoff-groups/{id}/"): "group",
    ("post", "/api/v1/signoff-groups/{id}/members/"): "group",
    ("delete", "/api/v1/signoff-groups/{id}/members/{username}/"): "group",
    ("patch", "/api/v1/team-members/{id}/"): "membership",
    ("delete", "/api/v1/team-members/{id}/"): "membership",
    ("patch", "/api/v1/services/{id}/"): "service",
    ("patch", "/api/v1/environments/{id}/"): "environment",
    ("patch", "/api/v1/contacts/{id}/"): "contact",
    ("delete", "/api/v1/contacts/{id}/"): "contact",
    ("patch", "/api/v1/support-resources/{id}/"): "resource",
    ("delete", "/api/v1/support-resources/{id}/"): "resource",
    ("put", "/api/v1/oncall-rotations/{team}/"): "team",
    ("put", "/api/v1/maintenance-plans/{environment}/"): "environment",
    ("delete", "/api/v1/maintenance-plans/{environment}/"): "environment",
    ("delete", "/api/v1/oncall-rotations/{team}/"): "team",
    ("delete", "/api/v1/oncall-overrides/{id}/"): "override",
    ("put", "/api/v1/verification-settings/{environment}/"): "environment",
    ("post", "/api/v1/maintenance-items/{id}/state/"): "check",
    ("patch", "/api/v1/webhooks/{id}/"): "webhook",
    ("post", "/api/v1/probe-configs/{id}/test/"): "config",
    ("post", "/api/v1/releases/{id}/delivery/"): "release",
    ("patch", "/api/v1/incidents/{id}/"): "incident",
}


def _path_writes(schema: dict) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete") and "{" in path
    }


def test_every_write_with_an_id_in_its_path_is_walked():
    assert _path_writes(_schema()) - set(PATHS) == set(), (
        f"New writes with an id in their path: add each to PATHS in {__file__}"
    )


@pytest.mark.parametrize("key", sorted(PATHS), ids=lambda key: " ".join(key))
def test_another_teams_object_and_a_missing_one_in_a_path_are_the_same_404(
    key, ours, theirs
):
    method, template = key
    foreign = theirs[PATHS[key]].pk
    send = getattr(ours["client"], method)

    answers = []
    for pk in (foreign, foreign + 1_000_000):
        path = template.replace("{username}", theirs["lead"].get_username())
        path = re.sub(r"\{[^}]+\}", str(pk), path)
        response = send(path, {}, format="json")
        answers.append((response.status_code, response.json()))

    assert answers[0] == answers[1]
    assert answers[0][0] == 404
