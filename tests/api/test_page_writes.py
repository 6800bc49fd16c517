"""Every write a page can make is also at /api/v1/, through the same service.

The README says "everything the pages do is also at /api/v1/"; this holds it.
The page writes are derived from the URL configuration, not listed by hand:
every named view outside /api/ and /admin/ that accepts POST, PUT, PATCH or
DELETE (read from its `require_http_methods` decorator or, for a class-based
view, its handlers; a view with no method decorator accepts every method, so
it counts). Each one must be in COUNTERPARTS, naming the service the page
calls and the API operation that calls the same service, or in NOT_ACTIONS
with the reason it needs none. A new page write in neither fails
`test_every_page_write_has_an_api_counterpart`.

For each counterpart: the operation is in the OpenAPI schema, its path resolves
to a view that takes the method, and both the page's view module and the API
view's class call the service by name, so the audit event is the service's
either way (tests/api/test_page_actions.py compares the events themselves).
"""

import importlib
import inspect
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# Page URL name -> (the service the page calls, the API operation calling it).
COUNTERPARTS = {
    "incidents:new": (
        "apps.incidents.services.incident_create",
        ("post", "/api/v1/incidents/"),
    ),
    "incidents:edit": (
        "apps.incidents.services.incident_update",
        ("patch", "/api/v1/incidents/{id}/"),
    ),
    "insights:release-delivery": (
        "apps.releases.services.release_delivery_record",
        ("post", "/api/v1/releases/{id}/delivery/"),
    ),
    "releases:new": (
        "apps.releases.services.release_create",
        ("post", "/api/v1/releases/"),
    ),
    "releases:transition": (
        "apps.releases.services.release_transition",
        ("post", "/api/v1/releases/{id}/transition/"),
    ),
    "releases:item-state": (
        "apps.releases.services.release_item_set_state",
        ("post", "/api/v1/items/{id}/state/"),
    ),
    "signoffs:record": (
        "apps.signoffs.services.signoff_record",
        ("post", "/api/v1/signoffs/"),
    ),
    "signoffs:request": (
        "apps.signoffs.services.signoff_request",
        ("post", "/api/v1/signoffs/requests/"),
    ),
    "signoffs:signers-role": (
        "apps.checklists.services.signoff_eligibility_set",
        ("post", "/api/v1/signoff-eligibility/"),
    ),
    "signoffs:group-create": (
        "apps.accounts.services.signoff_group_create",
        ("post", "/api/v1/signoff-groups/"),
    ),
    "signoffs:group-rename": (
        "apps.accounts.services.signoff_group_rename",
        ("patch", "/api/v1/signoff-groups/{id}/"),
    ),
    "signoffs:group-delete": (
        "apps.accounts.services.signoff_group_delete",
        ("delete", "/api/v1/signoff-groups/{id}/"),
    ),
    "signoffs:group-member-add": (
        "apps.accounts.services.signoff_group_member_add",
        ("post", "/api/v1/signoff-groups/{id}/members/"),
    ),
    "signoffs:group-member-remove": (
        "apps.accounts.services.signoff_group_member_remove",
        ("delete", "/api/v1/signoff-groups/{id}/members/{username}/"),
    ),
    "notifications:delivery-resend": (
        "apps.notifications.services.webhook_delivery_resend",
        ("post", "/api/v1/webhook-deliveries/{id}/resend/"),
    ),
    "integrations:github-mapping-create": (
        "apps.integrations.services.github_mapping_create",
        ("post", "/api/v1/integrations/github/mappings/"),
    ),
    "integrations:gitlab-mapping-create": (
        "apps.integrations.services.gitlab_mapping_create",
        ("post", "/api/v1/integrations/gitlab/mappings/"),
    ),
    "integrations:gitlab-mapping-token": (
        "apps.integrations.services.gitlab_mapping_set_token",
        ("put", "/api/v1/integrations/gitlab/mappings/{id}/token/"),
    ),
    "integrations:gitlab-mapping-delete": (
        "apps.integrations.services.gitlab_mapping_delete",
        ("delete", "/api/v1/integrations/gitlab/mappings/{id}/"),
    ),
    "integrations:github-mapping-delete": (
        "apps.integrations.services.github_mapping_delete",
        ("delete", "/api/v1/integrations/github/mappings/{id}/"),
    ),
    "probes:run": (
        "apps.probes.services.probe_run_start",
        ("post", "/api/v1/probe-runs/"),
    ),
    "checklists:import": (
        "apps.checklists.services.template_import",
        ("post", "/api/v1/templates/import/"),
    ),
    "checklists:options": (
        "apps.checklists.services.template_change",
        ("post", "/api/v1/templates/{id}/options/"),
    ),
    "catalog:probe-new": (
        "apps.probes.services.probe_config_save",
        ("post", "/api/v1/probe-configs/"),
    ),
    "catalog:probe-edit": (
        "apps.probes.services.probe_config_save",
        ("put", "/api/v1/probe-configs/{id}/"),
    ),
    "catalog:probe-test": (
        "apps.probes.services.probe_test_config",
        ("post", "/api/v1/probe-configs/{id}/test/"),
    ),
    "monitoring:schedule": (
        "apps.monitoring.services.probe_schedule_save",
        ("put", "/api/v1/probe-schedules/{config}/"),
    ),
    "maintenance:plan": (
        "apps.maintenance.services.maintenance_plan_save",
        ("put", "/api/v1/maintenance-plans/{environment}/"),
    ),
    "maintenance:plan-delete": (
        "apps.maintenance.services.maintenance_plan_delete",
        ("delete", "/api/v1/maintenance-plans/{environment}/"),
    ),
    "maintenance:item-state": (
        "apps.maintenance.services.maintenance_item_set_state",
        ("post", "/api/v1/maintenance-items/{id}/state/"),
    ),
    "oncall:rotation": (
        "apps.oncall.services.rotation_save",
        ("put", "/api/v1/oncall-rotations/{team}/"),
    ),
    "oncall:rotation-delete": (
        "apps.oncall.services.rotation_delete",
        ("delete", "/api/v1/oncall-rotations/{team}/"),
    ),
    "oncall:override-add": (
        "apps.oncall.services.override_add",
        ("post", "/api/v1/oncall-overrides/"),
    ),
    "oncall:override-delete": (
        "apps.oncall.services.override_delete",
        ("delete", "/api/v1/oncall-overrides/{id}/"),
    ),
    "notifications:webhook-new": (
        "apps.notifications.services.webhook_create",
        ("post", "/api/v1/webhooks/"),
    ),
    "notifications:webhook-edit": (
        "apps.notifications.services.webhook_update",
        ("patch", "/api/v1/webhooks/{id}/"),
    ),
    "notifications:webhook-delete": (
        "apps.notifications.services.webhook_delete",
        ("delete", "/api/v1/webhooks/{id}/"),
    ),
    "notifications:email-preferences": (
        "apps.notifications.mail.email_preference_save",
        ("put", "/api/v1/me/email-preferences/"),
    ),
    "accounts:member-add": (
        "apps.accounts.services.membership_set",
        ("post", "/api/v1/team-members/"),
    ),
    "accounts:member-role": (
        "apps.accounts.services.membership_set",
        ("patch", "/api/v1/team-members/{id}/"),
    ),
    "accounts:member-remove": (
        "apps.accounts.services.membership_remove",
        ("delete", "/api/v1/team-members/{id}/"),
    ),
    "services:service-new": (
        "apps.catalog.services.service_create",
        ("post", "/api/v1/services/"),
    ),
    "services:service-edit": (
        "apps.catalog.services.service_update",
        ("patch", "/api/v1/services/{id}/"),
    ),
    "services:environment-new": (
        "apps.catalog.services.environment_create",
        ("post", "/api/v1/environments/"),
    ),
    "services:environment-edit": (
        "apps.catalog.services.environment_update",
        ("patch", "/api/v1/environments/{id}/"),
    ),
    "contacts:contact-new": (
        "apps.contacts.services.contact_create",
        ("post", "/api/v1/contacts/"),
    ),
    "contacts:contact-edit": (
        "apps.contacts.services.contact_update",
        ("patch", "/api/v1/contacts/{id}/"),
    ),
    "contacts:contact-delete": (
        "apps.contacts.services.contact_delete",
        ("delete", "/api/v1/contacts/{id}/"),
    ),
    "contacts:resource-new": (
        "apps.contacts.services.support_resource_create",
        ("post", "/api/v1/support-resources/"),
    ),
    "contacts:resource-edit": (
        "apps.contacts.services.support_resource_update",
        ("patch", "/api/v1/support-resources/{id}/"),
    ),
    "contacts:resource-delete": (
        "apps.contacts.services.support_resource_delete",
        ("delete", "/api/v1/support-resources/{id}/"),
    ),
    "policy:waiver-request": (
        "apps.policy.services.waiver_request",
        ("post", "/api/v1/waivers/"),
    ),
    "policy:waiver-approve": (
        "apps.policy.services.waiver_approve",
        ("post", "/api/v1/waivers/{id}/approve/"),
    ),
    "policy:waiver-decline": (
        "apps.policy.services.waiver_decline",
        ("post", "/api/v1/waivers/{id}/decline/"),
    ),
    "policy:exception-request": (
        "apps.policy.services.emergency_exception_request",
        ("post", "/api/v1/emergency-exceptions/"),
    ),
    "policy:exception-approve": (
        "apps.policy.services.emergency_exception_approve",
        ("post", "/api/v1/emergency-exceptions/{id}/approve/"),
    ),
    "policy:freeze-new": (
        "apps.policy.services.freeze_window_save",
        ("post", "/api/v1/freeze-windows/"),
    ),
    "policy:freeze-edit": (
        "apps.policy.services.freeze_window_save",
        ("put", "/api/v1/freeze-windows/{id}/"),
    ),
    "policy:freeze-delete": (
        "apps.policy.services.freeze_window_delete",
        ("delete", "/api/v1/freeze-windows/{id}/"),
    ),
    "policy:verification-settings": (
        "apps.policy.verification.verification_settings_save",
        ("put", "/api/v1/verification-settings/{environment}/"),
    ),
    "policy:verification-decide": (
        "apps.policy.verification.verification_window_decide",
        ("post", "/api/v1/verification-windows/{id}/decide/"),
    ),
}
# Page writes that need no API counterpart, each with its reason (reviewed).
NOT_ACTIONS = {
    # Signing in and out makes a browser session; the API authenticates each
    # request with a token instead.
    "accounts:login": "a browser session",
    "accounts:logout": "a browser session",
    # Tokens are issued and revoked only in a signed-in browser session, so a
    # leaked token cannot mint more tokens or keep itself alive (docs/api.md).
    "accounts:tokens": "issues the API's own credentials",
    "accounts:token-revoke": "revokes the API's own credentials",
    # Deploy platforms call these, signed or with a token; no person acts.
    "integrations:github-webhook": "GitHub's webhook deliveries, signed by GitHub",
    "integrations:flagger-gate": "Flagger asks, Shipshape answers; writes nothing",
    "integrations:gitlab-webhook": "GitLab's webhook deliveries, signed by GitLab",
    "integrations:gitlab-status-check": "GitLab's status check requests, signed "
    "by GitLab",
    # The incident webhook is itself an API endpoint (a token, JSON, in the
    # OpenAPI schema), served outside /api/v1/ at the path tools post to.
    "integrations-incidents": "is itself a token-authenticated API endpoint",
}


def _methods(view) -> set[str]:
    """The methods a view answers: its require_http_methods list, a class-based
    view's handlers, or every method when nothing restricts it."""
    while view is not None:
        if hasattr(view, "view_class"):
            cls = view.view_class
            return {m.upper() for m in cls.http_method_names if hasattr(cls, m)}
        cells = dict(
            zip(view.__code__.co_freevars, view.__closure__ or (), strict=True)
        )
        if "request_method_list" in cells:
            return set(cells["request_method_list"].cell_contents)
        view = getattr(view, "__wrapped__", None)
    return {"GET", *WRITES}


def page_writes() -> dict[str, object]:
    """Namespaced name -> view of every page URL that accepts a write."""
    found: dict[str, object] = {}

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                walk(pattern.url_patterns, route, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                if _methods(pattern.callback) & WRITES:
                    found[name] = pattern.callback

    walk(get_resolver().url_patterns, "", None)
    return found


PAGE_WRITES = page_writes()


def _schema() -> dict:
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _calls(source: str, service: str) -> bool:
    return re.search(rf"\b{re.escape(service)}\(", source) is not None


def test_every_page_write_has_an_api_counterpart():
    missing = sorted(set(PAGE_WRITES) - set(COUNTERPARTS) - set(NOT_ACTIONS))

    assert missing == [], (
        "Page writes without an API counterpart: add the endpoint (calling the "
        f"page's service) and list it in COUNTERPARTS in {__file__}"
    )


def test_every_listed_page_write_still_exists():
    listed = set(COUNTERPARTS) | set(NOT_ACTIONS)

    assert listed - set(PAGE_WRITES) == set()
    assert set(COUNTERPARTS) & set(NOT_ACTIONS) == set()


def test_the_derived_page_writes_include_the_known_ones():
    # The derivation itself: a decorated POST view, a GET-or-POST page, a view
    # with no method decorator and a class-based view are all found.
    assert {
        "releases:item-state",
        "oncall:rotation",
        "notifications:email-preferences",
        "accounts:logout",
    } <= set(PAGE_WRITES)
    assert "releases:dashboard" not in PAGE_WRITES


@pytest.mark.parametrize("name", sorted(COUNTERPARTS))
def test_the_page_and_its_api_counterpart_call_the_same_service(name):
    dotted, (method, path) = COUNTERPARTS[name]
    module_name, service = dotted.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module_name), service))
    operations = _schema()["paths"].get(path, {})
    concrete = re.sub(r"\{[^}]+\}", "1", path.replace("{username}", "someone"))
    api_view = resolve(concrete).func
    page_module = inspect.getmodule(inspect.unwrap(PAGE_WRITES[name]))

    assert method in operations, f"{method.upper()} {path} is not in the schema"
    assert method in getattr(api_view, "actions", {method: ""}), path
    assert _calls(inspect.getsource(api_view.cls), service), path
    assert _calls(inspect.getsource(page_module), service), name
