"""Who may use each write endpoint added for the pages' actions: the role matrix.

Each write is sent with a valid body by a lead, a team admin, an engineer and
an auditor of the owning team (real Bearer tokens), and by a lead of another
team. The roles are those of the page doing the same thing: leads and team
admins manage services, environments, contacts, support resources, on-call,
maintenance plans and webhooks; engineers also tick maintenance checks and
test probes. A refusal (403, or 404 for another team) writes nothing: no row
changes and no audit event.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.contacts.models import Contact, SupportResource
from apps.notifications.models import Webhook
from apps.probes.models import ProbeConfig
from tests import factories

pytestmark = pytest.mark.django_db

LEADS = {"lead", "admin"}
TICKERS = {"lead", "admin", "engineer"}


@pytest.fixture
def world(team, lead, engineer, environment, template, release):
    """One of each object the new writes name, in `team`."""
    factories.weekly_rotation(team, lead, [lead, engineer])
    return {
        "team": team,
        "engineer": engineer,
        "environment": environment,
        "template": template,
        "release": release,
        "contact": Contact.objects.create(team=team, role="On-call", phone="1"),
        "resource": SupportResource.objects.create(
            team=team, kind="documentation", label="Docs", url="https://docs.test/"
        ),
        "webhook": Webhook.objects.create(
            team=team, name="hook", url="https://hooks.example.com/in", created_by=lead
        ),
        "check": factories.maintenance_check(environment, template, lead),
        "config": ProbeConfig.objects.create(
            environment=environment, name="web", kind="http", target="http://x.test/"
        ),
    }


def _later(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


# name -> (method, path, body, who may, status on success), from the world `w`.
WRITES = {
    "create service": lambda w: (
        "post",
        "/api/v1/services/",
        {"team": w["team"].pk, "name": "Payments"},
        LEADS,
        201,
    ),
    "change service": lambda w: (
        "patch",
        f"/api/v1/services/{w['environment'].service_id}/",
        {"description": "Takes the money."},
        LEADS,
        200,
    ),
    "create environment": lambda w: (
        "post",
        "/api/v1/environments/",
        {"service": w["environment"].service_id, "name": "production"},
        LEADS,
        201,
    ),
    "change environment": lambda w: (
        "patch",
        f"/api/v1/environments/{w['environment'].pk}/",
        {"k8s_namespace": "shop-staging"},
        LEADS,
        200,
    ),
    "create contact": lambda w: (
        "post",
        "/api/v1/contacts/",
        {"team": w["team"].pk, "role": "DBA", "email": "dba@example.com"},
        LEADS,
        201,
    ),
    "change contact": lambda w: (
        "patch",
        f"/api/v1/contacts/{w['contact'].pk}/",
        {"escalation_order": 2},
        LEADS,
        200,
    ),
    "delete contact": lambda w: (
        "delete",
        f"/api/v1/contacts/{w['contact'].pk}/",
        None,
        LEADS,
        204,
    ),
    "create support resource": lambda w: (
        "post",
        "/api/v1/support-resources/",
        {
            "team": w["team"].pk,
            "kind": "status_page",
            "label": "Status",
            "url": "https://status.test/",
        },
        LEADS,
        201,
    ),
    "change support resource": lambda w: (
        "patch",
        f"/api/v1/support-resources/{w['resource'].pk}/",
        {"label": "Runbooks"},
        LEADS,
        200,
    ),
    "delete support resource": lambda w: (
        "delete",
        f"/api/v1/support-resources/{w['resource'].pk}/",
        None,
        LEADS,
        204,
    ),
    "set on-call rotation": lambda w: (
        "put",
        f"/api/v1/oncall-rotations/{w['team'].pk}/",
        {
            "time_zone": "Europe/Berlin",
            "handover_weekday": 1,
            "handover_time": "10:00",
            "starts_on": "2026-03-24",
            "members": [w["engineer"].username],
        },
        LEADS,
        200,
    ),
    "add on-call override": lambda w: (
        "post",
        "/api/v1/oncall-overrides/",
        {
            "team": w["team"].pk,
            "user": w["engineer"].username,
            "starts_at": _later(1),
            "ends_at": _later(3),
            "reason": "holiday",
        },
        LEADS,
        201,
    ),
    "set maintenance plan": lambda w: (
        "put",
        f"/api/v1/maintenance-plans/{w['environment'].pk}/",
        {"template": w["template"].pk, "time_zone": "Europe/Berlin"},
        LEADS,
        200,
    ),
    "set maintenance check state": lambda w: (
        "post",
        f"/api/v1/maintenance-items/{w['check'].pk}/state/",
        {"state": "done"},
        TICKERS,
        200,
    ),
    "change webhook": lambda w: (
        "patch",
        f"/api/v1/webhooks/{w['webhook'].pk}/",
        {"active": False},
        LEADS,
        200,
    ),
    "request sign-off": lambda w: (
        "post",
        "/api/v1/signoffs/requests/",
        {
            "release": w["release"].pk,
            "role_key": w["release"].signoff_roles[0]["key"],
            "person": w["engineer"].username,
        },
        LEADS,
        201,
    ),
    "test probe": lambda w: (
        "post",
        f"/api/v1/probe-configs/{w['config'].pk}/test/",
        None,
        TICKERS,
        200,
    ),
}
ROLES = ["lead", "admin", "engineer", "auditor"]
# Webhooks are listed to leads only (the Webhooks page is theirs): to anyone
# else of the team one is a 404, as in GET /api/v1/webhooks/{id}/.
HIDDEN = {"change webhook"}


def _send(client, method: str, path: str, body):
    return getattr(client, method)(path, body, format="json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WRITES))
def test_each_role_gets_the_pages_answer(name, role, world, client_for, team):
    method, path, body, allowed, success = WRITES[name](world)
    user = world["engineer"] if role == "engineer" else factories.member(team, role)
    client = client_for(user)
    events = AuditEvent.objects.count()

    response = _send(client, method, path, body)

    if role in allowed:
        assert response.status_code == success, response.content
        assert AuditEvent.objects.count() > events
    else:
        refused = 404 if name in HIDDEN else 403
        assert response.status_code == refused, response.content
        assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_lead_of_another_team_changes_nothing(name, world, client_for, outsider):
    method, path, body, _allowed, _success = WRITES[name](world)
    client = client_for(outsider)
    events = AuditEvent.objects.count()

    response = _send(client, method, path, body)

    # A path naming the team's object is a 404; a body naming it, a 400 on
    # that field, worded as for an id that exists nowhere.
    assert response.status_code in (400, 404), response.content
    if response.status_code == 400:
        assert set(response.json()) <= {"team", "service", "release"}
        assert "No such" in str(response.json())
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_read_only_token_is_refused(name, world, client_for, lead):
    method, path, body, _allowed, _success = WRITES[name](world)
    client = client_for(lead, read_only=True)
    events = AuditEvent.objects.count()

    response = _send(client, method, path, body)

    assert response.status_code == 403
    assert response.json() == {"detail": "This token is read-only."}
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_every_member_sets_their_own_email_preferences(role, team, client_for):
    user = factories.member(
        team if role != "outsider" else factories.TeamFactory(),
        role if role != "outsider" else "lead",
    )
    body = {"events": ["probe.failed"], "digest": True}

    response = client_for(user).put("/api/v1/me/email-preferences/", body, "json")

    assert response.status_code == 200
    assert response.json() == body
    assert user.email_preference.events == ["probe.failed"]
