"""Access control generated from the URL configuration.

Every URL pattern Django knows is checked, so a new endpoint cannot be left
out: a pattern that is neither in PUBLIC nor in ARGUMENTS (how to fill its path
arguments with objects of a team) fails `test_every_endpoint_is_covered`.

For each endpoint, with its path arguments filled by the objects of team
"theirs":
- anonymous: a page sends the visitor to sign in (302 to the login page); the
  API answers 401; nothing else, on any method;
- a lead of another team: 404 on every method (lists are scoped instead: they
  must not show the other team's objects);
- an auditor of the owning team: 403 (or 405 where the method does not exist)
  on every write (POST, PUT, PATCH, DELETE), never a 2xx.

The Django admin is an operator's tool, and its URLs are generated the same way
(every pattern of the admin site, path arguments filled with real rows):
- anyone but an active staff superuser — anonymous, or a member of any role,
  staff or not — is sent to the admin's sign-in on every URL and method, and
  nothing is written; the sign-in refuses their password;
- a superuser's writes through every writable ModelAdmin (add and change, as a
  browser submits the page's form) each leave an audit event naming the row.
"""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.accounts import services as accounts
from apps.accounts.tokens import token_create
from apps.checklists import services as checklists
from apps.contacts.models import Contact, SupportResource
from apps.incidents.models import Incident
from apps.oncall.models import Override, Rotation
from apps.policy.models import EmergencyException, FreezeWindow, Waiver
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.signoffs import services as signoffs
from tests import factories

WRITES = ("post", "put", "patch", "delete")

# Public on purpose (each reviewed): sign-in and sign-out, the orchestrators'
# endpoints, the API schema and its docs. /metrics is guarded by address or
# token (tests/core/test_metrics.py), not by a session.
PUBLIC = {
    "accounts:login",
    "accounts:logout",
    "health",
    "ready",
    "metrics",
    "api:schema",
    "api:docs",
    # The signing key's public half, for anyone verifying an attestation.
    "attestation-key",
    # Deploy platforms' callers: GitHub's signed webhook (HMAC, 401 unsigned)
    # and Flagger's gate (an API token in its metadata); tests/integrations.
    "integrations:github-webhook",
    "integrations:flagger-gate",
    # GitLab's signed callers: the status check (X-Gitlab-Signature) and its
    # webhooks (X-Gitlab-Token or Standard Webhooks); 401 unsigned.
    "integrations:gitlab-status-check",
    "integrations:gitlab-webhook",
    # The identity provider's sign-in flow (404 while single sign-on is off);
    # tests/accounts/test_sso*.py.
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "sso-continue",
}
# The caller's own things, not a team's: any signed-in user may write them,
# auditors included (a personal API token, e-mail preferences); `me` is
# read-only. Other users' tokens are still 404.
PERSONAL = {
    "accounts:tokens",
    "accounts:token-revoke",
    "notifications:email-preferences",
    "api:me",
    "api:email-preferences",
}
# Objects an auditor cannot even see (webhooks are for leads): 404, not 403.
HIDDEN_FROM_AUDITORS = {
    "api:webhook-detail",
    "api:webhook-deliveries",
    "api:webhook-delivery-resend",
    "notifications:webhook-edit",
    "notifications:webhook-delete",
    "notifications:delivery-resend",
}
# Lists: no path argument, scoped to the caller's teams (checked for leaks).
LISTS = {
    "releases:dashboard",
    "releases:history",
    "releases:new",
    "checklists:list",
    "checklists:import",
    "catalog:environments",
    "records:audit-export",
    "records:audit-log",
    "accounts:teams",
    "api:team-member-list",
    "notifications:webhooks",
    "api:service-list",
    "api:environment-list",
    "api:release-list",
    "api:signoff-list",
    "api:probe-config-list",
    "api:probe-schedule-list",
    "api:probe-run-list",
    "api:probe-result-list",
    "api:contact-list",
    "api:support-resource-list",
    "api:template-list",
    "api:template-import-markdown",
    "api:signoff-group-list",
    "api:signoff-eligibility-list",
    "api:audit-event-list",
    "api:webhook-list",
    "api:oncall-rotation-list",
    "api:oncall-override-list",
    "api:maintenance-plan-list",
    "api:maintenance-checklist-list",
    "api:emergency-exception-list",
    "api:freeze-window-list",
    "api:verification-window-list",
    "api:waiver-list",
    "api:verification-settings-list",
    "api:signoff-requests",
    "deployments:overview",
    "api:deployment-list",
    "notifications:webhook-new",
    "integrations:github-mappings",
    "integrations:github-mapping-create",
    "api:github-mapping-list",
    "integrations:gitlab-mappings",
    "integrations:gitlab-mapping-create",
    "api:gitlab-mapping-list",
    # Keyless CI: only a CI job's verified ID token (tests/integrations/
    # test_ci_oidc.py); a session or an API token is a 403, anonymous a 401.
    "api:ci-gate",
    "api:ci-release",
    "incidents:list",
    "incidents:new",
    "insights:page",
    "insights:csv",
    "api:incident-list",
    "api:metrics-delivery",
    # The incident webhook: token-authenticated like the API (see _api()).
    "integrations-incidents",
}
# Found by query parameters, not a path (400 without them): another team's
# release is the same 404 as a missing one (tests/integrations/test_lookup.py).
LOOKUPS = {"api:readiness-lookup"}
# How to fill each endpoint's path arguments from the other team's objects.
ARGUMENTS = {
    "releases:detail": lambda w: {"pk": w["release"].pk},
    "deployments:service": lambda w: {"pk": w["release"].service_id},
    "releases:transition": lambda w: {"pk": w["release"].pk},
    "releases:item": lambda w: {"item_id": w["item"].pk},
    "releases:item-state": lambda w: {"item_id": w["item"].pk},
    "signoffs:record": lambda w: {"pk": w["release"].pk},
    "signoffs:request": lambda w: {"pk": w["release"].pk},
    "probes:panel": lambda w: {"pk": w["release"].pk},
    "probes:run": lambda w: {"pk": w["release"].pk},
    "probes:result": lambda w: {"pk": w["result"].pk},
    "checklists:detail": lambda w: {"pk": w["template"].pk},
    "checklists:export": lambda w: {"pk": w["template"].pk},
    "checklists:options": lambda w: {"pk": w["template"].pk},
    "signoffs:signers": lambda w: {"pk": w["team"].pk},
    "signoffs:signers-role": lambda w: {
        "pk": w["team"].pk,
        "role_key": w["release"].signoff_roles[0]["key"],
    },
    "signoffs:group-create": lambda w: {"pk": w["team"].pk},
    "signoffs:group-rename": lambda w: {"pk": w["group"].pk},
    "signoffs:group-delete": lambda w: {"pk": w["group"].pk},
    "signoffs:group-member-add": lambda w: {"pk": w["group"].pk},
    "signoffs:group-member-remove": lambda w: {
        "pk": w["group"].pk,
        "user_id": w["group_member"].pk,
    },
    "api:signoff-group-detail": lambda w: {"pk": w["group"].pk},
    "api:signoff-group-members": lambda w: {"pk": w["group"].pk},
    "api:signoff-group-member": lambda w: {
        "pk": w["group"].pk,
        "username": w["group_member"].username,
    },
    "api:template-options": lambda w: {"pk": w["template"].pk},
    "catalog:environment": lambda w: {"pk": w["environment"].pk},
    "catalog:probe-new": lambda w: {"environment_pk": w["environment"].pk},
    "catalog:probe-edit": lambda w: {"pk": w["config"].pk},
    "catalog:probe-test": lambda w: {"pk": w["config"].pk},
    "accounts:token-revoke": lambda w: {"pk": w["token"].pk},
    "records:record": lambda w: {"pk": w["release"].pk},
    "records:record-json": lambda w: {"pk": w["release"].pk},
    "records:record-csv": lambda w: {"pk": w["release"].pk},
    "api:service-detail": lambda w: {"pk": w["environment"].service_id},
    "api:environment-detail": lambda w: {"pk": w["environment"].pk},
    "api:release-detail": lambda w: {"pk": w["release"].pk},
    "api:release-items": lambda w: {"pk": w["release"].pk},
    "api:release-readiness": lambda w: {"pk": w["release"].pk},
    "api:release-transition": lambda w: {"pk": w["release"].pk},
    "api:release-item-detail": lambda w: {"pk": w["item"].pk},
    "api:release-item-state": lambda w: {"pk": w["item"].pk},
    "api:signoff-detail": lambda w: {"pk": w["signoff"].pk},
    "api:probe-config-detail": lambda w: {"pk": w["config"].pk},
    "api:probe-schedule-detail": lambda w: {"config": w["config"].pk},
    "api:probe-run-detail": lambda w: {"pk": w["run"].pk},
    "api:contact-detail": lambda w: {"pk": w["contact"].pk},
    "api:support-resource-detail": lambda w: {"pk": w["resource"].pk},
    "api:template-detail": lambda w: {"pk": w["template"].pk},
    "api:template-export": lambda w: {"pk": w["template"].pk},
    "api:webhook-detail": lambda w: {"pk": w["webhook"].pk},
    "api:webhook-deliveries": lambda w: {"pk": w["webhook"].pk},
    "api:webhook-delivery-resend": lambda w: {"pk": w["delivery"].pk},
    "notifications:webhook-edit": lambda w: {"pk": w["webhook"].pk},
    "notifications:webhook-delete": lambda w: {"pk": w["webhook"].pk},
    "notifications:delivery-resend": lambda w: {"attempt_id": w["delivery"].pk},
    "api:release-attestation": lambda w: {"pk": w["release"].pk},
    "api:github-mapping-detail": lambda w: {"pk": w["mapping"].pk},
    "integrations:github-mapping-delete": lambda w: {"pk": w["mapping"].pk},
    "api:gitlab-mapping-detail": lambda w: {"pk": w["gitlab_mapping"].pk},
    "api:gitlab-mapping-token": lambda w: {"pk": w["gitlab_mapping"].pk},
    "integrations:gitlab-mapping-token": lambda w: {"pk": w["gitlab_mapping"].pk},
    "integrations:gitlab-mapping-delete": lambda w: {"pk": w["gitlab_mapping"].pk},
    "monitoring:environment": lambda w: {"pk": w["environment"].pk},
    "monitoring:schedule": lambda w: {"config_id": w["config"].pk},
    "maintenance:environment": lambda w: {"pk": w["environment"].pk},
    "maintenance:item-state": lambda w: {"pk": w["maintenance_item"]().pk},
    "oncall:team": lambda w: {"slug": w["team"].slug},
    "accounts:team": lambda w: {"slug": w["team"].slug},
    "accounts:member-add": lambda w: {"slug": w["team"].slug},
    "accounts:member-role": lambda w: {"slug": w["team"].slug, "pk": w["member"].pk},
    "accounts:member-remove": lambda w: {
        "slug": w["team"].slug,
        "pk": w["member"].pk,
    },
    "api:team-member-detail": lambda w: {"pk": w["member"].pk},
    "services:team": lambda w: {"slug": w["team"].slug},
    "contacts:team": lambda w: {"slug": w["team"].slug},
    "contacts:contact-new": lambda w: {"slug": w["team"].slug},
    "contacts:contact-edit": lambda w: {"pk": w["contact"].pk},
    "contacts:contact-delete": lambda w: {"pk": w["contact"].pk},
    "contacts:resource-new": lambda w: {"slug": w["team"].slug},
    "contacts:resource-edit": lambda w: {"pk": w["resource"].pk},
    "contacts:resource-delete": lambda w: {"pk": w["resource"].pk},
    "services:service-new": lambda w: {"slug": w["team"].slug},
    "services:service-edit": lambda w: {"pk": w["environment"].service_id},
    "services:environment-new": lambda w: {"pk": w["environment"].service_id},
    "services:environment-edit": lambda w: {"pk": w["environment"].pk},
    "oncall:override-add": lambda w: {"slug": w["team"].slug},
    "oncall:override-delete": lambda w: {"pk": w["override"].pk},
    "oncall:rotation": lambda w: {"slug": w["team"].slug},
    "oncall:rotation-delete": lambda w: {"slug": w["team"].slug},
    "maintenance:plan": lambda w: {"pk": w["environment"].pk},
    "maintenance:plan-delete": lambda w: {
        "pk": w["maintenance_item"]().checklist.plan.environment_id
    },
    "api:verification-window-decide": lambda w: {"pk": w["window"].pk},
    "policy:verification-decide": lambda w: {"pk": w["window"].pk},
    "api:verification-window-detail": lambda w: {"pk": w["window"].pk},
    "api:waiver-detail": lambda w: {"pk": w["waiver"].pk},
    "api:waiver-approve": lambda w: {"pk": w["waiver"].pk},
    "api:waiver-decline": lambda w: {"pk": w["waiver"].pk},
    "policy:waiver-approve": lambda w: {"pk": w["waiver"].pk},
    "policy:waiver-decline": lambda w: {"pk": w["waiver"].pk},
    "api:emergency-exception-detail": lambda w: {"pk": w["exception"].pk},
    "api:emergency-exception-approve": lambda w: {"pk": w["exception"].pk},
    "policy:exception-approve": lambda w: {"pk": w["exception"].pk},
    "api:freeze-window-detail": lambda w: {"pk": w["freeze"].pk},
    "policy:freeze-edit": lambda w: {"pk": w["freeze"].pk},
    "policy:freeze-delete": lambda w: {"pk": w["freeze"].pk},
    "policy:panel": lambda w: {"pk": w["release"].pk},
    "policy:waiver-request": lambda w: {"pk": w["release"].pk},
    "policy:exception-request": lambda w: {"pk": w["release"].pk},
    "policy:freezes": lambda w: {"pk": w["environment"].pk},
    "policy:freeze-new": lambda w: {"environment_pk": w["environment"].pk},
    "policy:freeze-preview": lambda w: {"pk": w["environment"].pk},
    "policy:verification-settings": lambda w: {"pk": w["environment"].pk},
    "api:verification-settings-detail": lambda w: {"environment": w["environment"].pk},
    "api:probe-config-test": lambda w: {"pk": w["config"].pk},
    "api:oncall-rotation-detail": lambda w: {"team": w["team"].pk},
    "api:oncall-override-detail": lambda w: {"pk": w["override"].pk},
    "api:maintenance-plan-detail": lambda w: {"environment": w["environment"].pk},
    "api:maintenance-checklist-detail": lambda w: {
        "pk": w["maintenance_item"]().checklist_id
    },
    "api:maintenance-item-detail": lambda w: {"pk": w["maintenance_item"]().pk},
    "api:maintenance-item-state": lambda w: {"pk": w["maintenance_item"]().pk},
    "incidents:edit": lambda w: {"pk": w["incident"].pk},
    "api:incident-detail": lambda w: {"pk": w["incident"].pk},
    "api:release-delivery": lambda w: {"pk": w["release"].pk},
    "insights:release-delivery": lambda w: {"pk": w["release"].pk},
    "insights:service-strip": lambda w: {"pk": w["release"].service_id},
}


def _api(url: str) -> bool:
    """Token-authenticated JSON endpoints: the API and the incident webhook."""
    return url.startswith(("/api/", "/integrations/incidents/"))


def endpoints() -> list[tuple[str, object]]:
    """(namespaced name, pattern) of every URL outside the admin, once each."""
    found: dict[str, object] = {}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django's admin: staff only, its own login
                ns = pattern.namespace or namespace
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if "(?P<format>" in str(pattern.pattern):
                    continue  # DRF's format suffix: the same view again
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.setdefault(name, pattern)

    walk(get_resolver().url_patterns, None)
    return sorted(found.items())


ALL = [name for name, _ in endpoints()]
GUARDED = [name for name in ALL if name not in PUBLIC]
WITH_OBJECTS = [name for name in ALL if name in ARGUMENTS]
# What the checks below can fill in; anything else fails the coverage test.
CLASSIFIED = [
    name for name in GUARDED if name in ARGUMENTS or name in LISTS | PERSONAL | LOOKUPS
]


def test_every_endpoint_is_covered():
    forgotten = [
        name
        for name in GUARDED
        if name not in ARGUMENTS and name not in LISTS | PERSONAL | LOOKUPS
    ]
    assert forgotten == [], (
        "New endpoints: add them to ARGUMENTS (or, reviewed, to LISTS, PERSONAL "
        f"or PUBLIC) in {__file__}"
    )


@pytest.fixture
def world(db, template):
    """Team "theirs" with one of everything, its auditor, and another team's lead."""
    team = factories.TeamFactory(slug="theirs-team")
    lead = factories.member(team, "lead")
    engineer = factories.member(team, "engineer")
    environment = factories.EnvironmentFactory(service__team=team)
    from apps.releases import services as releases

    release = releases.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="their-secret-version-9.9",
        by=lead,
    )
    config = ProbeConfig.objects.create(
        environment=environment, name="theirs", kind="http", target="http://x.test/"
    )
    run = ProbeRun.objects.create(
        release=release,
        environment=environment,
        config_ids=[config.pk],
        deadline=timezone.now() + timedelta(hours=1),
    )
    result = ProbeResult.objects.create(
        run=run,
        config=config,
        name="theirs",
        kind="http",
        status="pass",
        duration_ms=1.0,
    )
    signoff = signoffs.signoff_record(
        release=release,
        role_key=release.signoff_roles[0]["key"],
        decision="approve",
        by=engineer,
    )
    token, _ = token_create(user=lead, name="theirs", expires_at=None)
    group = accounts.signoff_group_create(team=team, name="Theirs", by=None)
    accounts.signoff_group_member_add(group=group, user=engineer, by=None)
    from apps.notifications.models import Webhook

    webhook = Webhook.objects.create(
        team=team, name="theirs", url="https://hooks.example.com/x", created_by=lead
    )
    from apps.integrations.models import GitHubMapping, GitLabMapping
    from apps.notifications.models import WebhookDelivery

    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="release.ready", body="{}", status="gave_up"
    )
    mapping = GitHubMapping.objects.create(
        team=team,
        repository="theirs/app",
        environment_name="production",
        service=environment.service,
        environment=environment,
        created_by=lead,
    )

    def maintenance_item():
        from apps.maintenance.models import (
            MaintenanceChecklist,
            MaintenanceItem,
            MaintenancePlan,
        )

        plan, _ = MaintenancePlan.objects.get_or_create(
            environment=environment, defaults={"template": template}
        )
        checklist, _ = MaintenanceChecklist.objects.get_or_create(
            plan=plan,
            cadence=MaintenanceChecklist.Cadence.values[0],
            period_start=timezone.now().date(),
            defaults={"due_at": timezone.now() + timedelta(days=1)},
        )
        item, _ = MaintenanceItem.objects.get_or_create(
            checklist=checklist, position=1, defaults={"text": "x"}
        )
        return item

    return {
        "team": team,
        "environment": environment,
        "release": release,
        "item": release.items.first(),
        "config": config,
        "run": run,
        "result": result,
        "signoff": signoff,
        "token": token,
        "webhook": webhook,
        "delivery": delivery,
        "mapping": mapping,
        "gitlab_mapping": GitLabMapping.objects.create(
            team=team,
            project_path="theirs/app",
            environment_name="production",
            service=environment.service,
            environment=environment,
            created_by=lead,
        ),
        "template": checklists.template_import(
            source=checklists.template_export(template),
            name="theirs",
            by=lead,
            team=team,
        ),
        "group": group,
        "group_member": engineer,
        "member": engineer.memberships.get(team=team),
        "contact": Contact.objects.create(team=team, role="Theirs"),
        "resource": SupportResource.objects.create(
            team=team,
            kind=SupportResource.Kind.values[0],
            label="x",
            url="https://x.test",
        ),
        "maintenance_item": maintenance_item,
        "override": Override.objects.create(
            rotation=Rotation.objects.create(
                team=team, handover_time="09:00", starts_on="2026-03-23"
            ),
            user=engineer,
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(days=1),
        ),
        "window": factories.VerificationWindowFactory(release=release),
        # Pending policy objects, so approving, declining and editing them by
        # the wrong person is refused on their real ids.
        "waiver": Waiver.objects.create(
            release=release,
            blocker_type=Waiver.BlockerType.ITEM,
            blocker_id=str(release.items.first().pk),
            label="theirs",
            reason="theirs",
            requested_by=lead,
            expires_at=timezone.now() + timedelta(days=1),
        ),
        "exception": EmergencyException.objects.create(
            release=release,
            reason="theirs",
            requested_by=lead,
            expires_at=timezone.now() + timedelta(hours=4),
        ),
        "freeze": FreezeWindow.objects.create(
            environment=environment,
            name="theirs",
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=2),
            created_by=lead,
        ),
        "incident": Incident.objects.create(
            team=team,
            service=environment.service,
            title="theirs",
            started_at=timezone.now(),
        ),
        "auditor": factories.member(team, "auditor"),
        "stranger": factories.member(factories.TeamFactory(), "lead"),
    }


def url_of(name: str, world) -> str:
    kwargs = ARGUMENTS[name](world) if name in ARGUMENTS else {}
    return reverse(name, kwargs=kwargs)


def call(client: Client, method: str, url: str):
    """A request as its caller would send it: JSON bodies for the API."""
    if _api(url) and method != "get":
        return getattr(client, method)(url, "{}", content_type="application/json")
    return getattr(client, method)(url)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in_or_get_401(world):
    from django.core.cache import cache

    client, wrong = Client(), []
    for name in CLASSIFIED:
        url = url_of(name, world)
        cache.clear()  # these many requests would hit the anonymous throttle (429)
        for method in ("get", *WRITES):
            response = call(client, method, url)
            if response.status_code == 405:
                continue  # the method does not exist here: refused before anything
            if _api(url):
                ok = response.status_code == 401
            else:
                ok = response.status_code == 302 and response["Location"].startswith(
                    "/accounts/login/"
                )
            if not ok:
                wrong.append((method, url, response.status_code))
    assert wrong == []


def test_another_teams_objects_are_404_on_every_method(world):
    client, wrong = signed_in(world["stranger"]), []
    for name in WITH_OBJECTS:
        url = url_of(name, world)
        for method in ("get", *WRITES):
            response = call(client, method, url)
            # 405: the method does not exist on this URL, answered before any lookup.
            if response.status_code not in (404, 405):
                wrong.append((method, url, response.status_code))
    assert wrong == []


def test_lists_do_not_show_another_teams_objects(world):
    client, wrong = signed_in(world["stranger"]), []
    for name in sorted(LISTS):
        response = client.get(url_of(name, world))
        if response.status_code not in (200, 403, 405) or (
            b"their-secret-version-9.9" in response.content
        ):
            wrong.append((name, response.status_code))
    assert wrong == []


def test_auditors_are_refused_every_write(world):
    from apps.audit.models import AuditEvent

    client, wrong = signed_in(world["auditor"]), []
    events = AuditEvent.objects.count()
    for name in CLASSIFIED:
        if name in PERSONAL:
            continue
        url = url_of(name, world)
        refusals = {403, 405}
        if _api(url):
            # The API validates a body before its service checks the role: this
            # empty body is a 400 where a valid one is a 403 (tests/api/
            # test_resources.py); either way nothing is written (checked below).
            refusals.add(400)
        if name in HIDDEN_FROM_AUDITORS:
            refusals.add(404)
        for method in WRITES:
            response = call(client, method, url)
            if response.status_code not in refusals:
                wrong.append((method, url, response.status_code))
    assert wrong == []
    assert AuditEvent.objects.count() == events  # nothing was written


def admin_endpoints() -> list[tuple[str, object]]:
    """(name, pattern) of every named URL of the admin site."""
    found: dict[str, object] = {}

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif pattern.name:
                found.setdefault(f"admin:{pattern.name}", pattern)

    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "admin":
            walk(pattern.url_patterns)
    return sorted(found.items())


ADMIN_SIGN_IN = {"admin:login", "admin:logout"}
ADMIN_URLS = [name for name, _ in admin_endpoints() if name not in ADMIN_SIGN_IN]
ROLES = ["lead", "engineer", "auditor", "admin"]
# What a team member might post to plant rows in another team (issue 16).
PLANTED = {
    "name": "planted",
    "role": "Emergency contact (planted)",
    "label": "Support (planted)",
    "kind": "documentation",
    "url": "https://phish.example.com/",
    "email": "planted@example.com",
    "version": "planted-1",
    "decision": "approve",
    "username": "planted-user",
    "password1": "Planted-pass-1234",
    "password2": "Planted-pass-1234",
    "is_superuser": "on",
    "is_staff": "on",
}


def admin_url(name: str, world) -> str:
    """The admin URL `name` with its path arguments filled by rows of `world`."""
    pattern = dict(admin_endpoints())[name]
    kwargs = {}
    for key in pattern.pattern.regex.groupindex:
        if key == "app_label":
            kwargs[key] = "contacts"
        elif key == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            kwargs[key] = ContentType.objects.get_for_model(Contact).pk
        elif key in ("object_id", "id"):
            kwargs[key] = _row_of(name, world)
    return reverse(name, kwargs=kwargs)


def _row_of(name: str, world) -> int:
    if name == "admin:view_on_site":
        return world["contact"].pk
    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            row = model._default_manager.order_by("pk").first()
            return row.pk if row else 1
    raise AssertionError(f"no model for {name}")


def _rows() -> dict[str, int]:
    counts = {
        model._meta.label: model._default_manager.count() for model in apps.get_models()
    }
    return counts


@pytest.fixture
def admin_world(world):
    """`world`, plus rows for every read-only admin page, and the team's users."""
    from apps.oncall import services as oncall

    oncall.rotation_save(
        team=world["team"],
        by=world["team"].memberships.get(role="lead").user,
        time_zone="UTC",
        handover_weekday=0,
        handover_time=timezone.now().time().replace(microsecond=0),
        starts_on=timezone.now().date() - timedelta(days=timezone.now().weekday()),
        members=[],
    )
    world["maintenance_item"]()
    return world


def non_operators(world) -> list[tuple[str, Client]]:
    """An anonymous visitor and a member of each role, staff or not."""
    people = [("anonymous", Client())]
    for role in ROLES:
        for staff in (True, False):
            user = factories.member(world["team"], role, is_staff=staff)
            people.append((f"{role}{' (staff)' if staff else ''}", signed_in(user)))
    return people


def test_nobody_but_a_superuser_gets_an_admin_page_or_writes_through_it(admin_world):
    people = non_operators(admin_world)
    urls = [admin_url(name, admin_world) for name in ADMIN_URLS]
    body = {**PLANTED, "team": admin_world["team"].pk}
    body["service"] = admin_world["environment"].service_id
    body["release"] = admin_world["release"].pk
    before, wrong = _rows(), []
    for who, client in people:
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url, body)
                location = response.get("Location", "")
                if not (
                    response.status_code == 302
                    and location.startswith("/admin/login/?next=")
                ):
                    wrong.append((who, method, url, response.status_code, location))
    assert wrong == []
    assert len(urls) > 100  # every model's list, add, change, history and delete
    after = _rows()
    assert {k: v for k, v in after.items() if v != before[k]} == {}


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_sign_in_refuses_a_staff_member_who_is_not_a_superuser(db, role):
    user = factories.member(factories.TeamFactory(), role, is_staff=True)
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "pw-for-tests"},
    )

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


class _FormFields(HTMLParser):
    """What a browser submits from the admin's change form (`<model>_form`)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._inside = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def _add(self, name: str | None, value: str) -> None:
        if name and "__prefix__" not in name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self._inside = a.get("id", "").endswith("_form")
        if not self._inside:
            return
        kind = a.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "file", "image"):
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a.get("name"), a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._add(self._textarea, "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not self._multiple and self._options:
                chosen = [self._options[0][0]]
            for value in chosen:
                self._add(self._select, value)
            self._select = None


def submitted(client: Client, url: str, changes: dict) -> dict:
    """The form on the page at `url` as a browser fills it, with `changes` typed in."""
    page = client.get(url)
    assert page.status_code == 200, url
    parser = _FormFields()
    parser.feed(page.text)
    data = {name: values if len(values) > 1 else values[0]
            for name, values in parser.data.items()}  # fmt: skip
    data.update(changes)
    return data


# What the operator types into each writable ModelAdmin's add page ...
ADMIN_ADDS = {
    "accounts.team": lambda w: {"name": "Operators"},
    "catalog.service": lambda w: {
        "team": w["team"].pk,
        "name": "Admin-made",
        "slug": "admin-made",
    },
    "catalog.environment": lambda w: {
        "service": w["environment"].service_id,
        "name": "qa",
        "base_url": "https://qa.example.com",
    },
    "contacts.contact": lambda w: {"team": w["team"].pk, "role": "Night operator"},
    "incidents.incident": lambda w: {
        "service": w["incident"].service_id,
        "title": "Checkout slow",
        "severity": "sev3",
        "started_at_0": "2026-05-04",
        "started_at_1": "10:00:00",
    },
    "contacts.supportresource": lambda w: {
        "team": w["team"].pk,
        "kind": "documentation",
        "label": "Operations manual",
        "url": "https://docs.example.com/ops",
    },
    "releases.release": lambda w: {
        "service": w["environment"].service_id,
        "environment": w["environment"].pk,
        "template": w["template"].pk,
        "version": "7.7.7",
    },
    "signoffs.signoff": lambda w: {
        "release": w["release"].pk,
        "role_key": w["release"].signoff_roles[1]["key"],
        "decision": "approve",
    },
    "auth.user": lambda w: {
        "username": "made-by-operator",
        "usable_password": "true",
        "password1": "Kettle-Orbit-5521",
        "password2": "Kettle-Orbit-5521",
    },
}
# ... and into each change page: (the row, the fields changed).
ADMIN_CHANGES = {
    "accounts.team": lambda w: (w["team"], {"name": "Renamed by operator"}),
    "catalog.service": lambda w: (
        w["environment"].service,
        {
            "description": "Changed by the operator.",
            "environments-TOTAL_FORMS": "2",
            "environments-1-name": "inline-made",
            "environments-1-base_url": "https://inline.example.com",
        },
    ),
    "catalog.environment": lambda w: (
        w["environment"],
        {"base_url": "https://changed.example.com"},
    ),
    "contacts.contact": lambda w: (w["contact"], {"phone": "+1 555 0199"}),
    "contacts.supportresource": lambda w: (w["resource"], {"label": "Changed"}),
    "incidents.incident": lambda w: (w["incident"], {"severity": "sev1"}),
    "releases.release": lambda w: (w["release"], {"target_status": "draft"}),
    "auth.user": lambda w: (w["auditor"], {"email": "changed@example.com"}),
}


def _as_superuser(user: User):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_writable_admin_has_an_audited_write_case(db):
    root = factories.UserFactory(is_staff=True, is_superuser=True)
    request, adds, changes = _as_superuser(root), [], []
    for model, model_admin in admin.site._registry.items():
        if model_admin.has_add_permission(request):
            adds.append(model._meta.label_lower)
        if model_admin.has_change_permission(request, model()):
            changes.append(model._meta.label_lower)
        assert not model_admin.has_delete_permission(request, model()), model
    assert sorted(adds) == sorted(ADMIN_ADDS), "add a case to ADMIN_ADDS"
    assert sorted(changes) == sorted(ADMIN_CHANGES), "add a case to ADMIN_CHANGES"


def _new_events(since: int, root: User) -> list[tuple[str, str, str]]:
    from apps.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(seq__gt=since, actor=root)
        .order_by("seq")
        .values_list("action", "target_type", "target_id")
    )


def _head() -> int:
    from apps.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


@pytest.mark.parametrize("label", sorted(ADMIN_ADDS))
def test_a_superusers_admin_add_is_audited(admin_world, label):
    root = factories.UserFactory(is_staff=True, is_superuser=True)
    client, model = signed_in(root), apps.get_model(label)
    url = reverse(f"admin:{label.replace('.', '_')}_add")
    data = submitted(client, url, ADMIN_ADDS[label](admin_world))
    head, existing = _head(), set(model._default_manager.values_list("pk", flat=True))

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = set(model._default_manager.values_list("pk", flat=True)) - existing
    assert len(created) == 1
    events = _new_events(head, root)
    assert (label, str(created.pop())) in [(t, i) for _, t, i in events], events
    assert LogEntry.objects.filter(user=root).count() == 1


@pytest.mark.parametrize("label", sorted(ADMIN_CHANGES))
def test_a_superusers_admin_change_is_audited(admin_world, label):
    root = factories.UserFactory(is_staff=True, is_superuser=True)
    client = signed_in(root)
    row, changes = ADMIN_CHANGES[label](admin_world)
    url = reverse(f"admin:{label.replace('.', '_')}_change", args=[row.pk])
    data = submitted(client, url, changes)
    head = _head()

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(get_messages(response.wsgi_request))[-1].level_tag == "success"
    events = _new_events(head, root)
    assert (label, str(row.pk)) in [(t, i) for _, t, i in events], events
    if label == "catalog.service":  # the inline environment too
        made = row.environments.get(name="inline-made")
        assert ("catalog.environment", str(made.pk)) in [(t, i) for _, t, i in events]


def test_a_superusers_password_change_in_the_admin_is_audited(admin_world):
    root = factories.UserFactory(is_staff=True, is_superuser=True)
    client, target = signed_in(root), admin_world["auditor"]
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    head = _head()

    response = client.post(
        url,
        {
            "usable_password": "true",
            "password1": "Changed-by-op-4321",
            "password2": "Changed-by-op-4321",
        },
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Changed-by-op-4321")
    events = _new_events(head, root)
    assert events == [("user.password_changed", "auth.user", str(target.pk))]
