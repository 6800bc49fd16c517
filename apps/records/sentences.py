"""Audit events as a person reads them: one sentence each, and the fields that
changed as before → after.

`ACTIONS` holds every action the app writes, with a short label (the audit log's
filter) and its sentence. `{object}` is what the event changed, emphasised;
`{release}` the release it belongs to ("Storefront API 2.4.0 → production"),
added at the end as "on …" when the sentence does not place it. A test derives
the actions from the code (tests/records/test_audit_sentences.py) and fails when
one has no entry here.

The operator's admin writes `<model>.created` and `<model>.changed` for models
without a service (apps.audit.admin_mixins): `NOUNS` names each model, and such
an action reads "created the <noun> …" without an entry of its own.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.audit.models import AuditEvent

Picker = Callable[[dict, dict], Any]


def key(*names: str) -> Picker:
    """The first non-empty of these keys, in `after` then in `before`."""

    def pick(before: dict, after: dict) -> Any:
        for values in (after, before):
            for name in names:
                if values.get(name) not in (None, "", [], {}):
                    return values[name]
        return None

    return pick


@dataclass(frozen=True)
class Action:
    """An action's filter label, its sentence and where its object comes from."""

    label: str
    sentence: str
    object: Picker | None = None
    # Keys already said by the sentence, or meaningless to a reader (digests).
    quiet: frozenset[str] = field(default_factory=frozenset)


def _item_state(before: dict, after: dict) -> str:
    state, was = after.get("state"), before.get("state")
    if state is None:
        return "changed the note of"
    if state == "done":
        return "ticked"
    if state == "na":
        return "marked N/A"
    if state == "blocked":
        return "marked blocked"
    if state == "open" and was == "done":
        return "unticked"
    return "reopened"


STATUS_WORDS = {
    "draft": "back to draft",
    "in_progress": "in progress",
    "ready": "ready",
    "deployed": "deployed",
    "rolled_back": "rolled back",
    "cancelled": "cancelled",
}
OUTCOME_WORDS = {
    "running": "running",
    "passed": "passed",
    "failed": "failed",
    "inconclusive": "inconclusive",
}


def _status(before: dict, after: dict) -> str:
    status = after.get("status", "")
    return STATUS_WORDS.get(status, str(status).replace("_", " "))


def _decision(before: dict, after: dict) -> str:
    return "approved" if after.get("decision") == "approve" else "rejected"


def _role(before: dict, after: dict) -> str:
    return str(after.get("role") or before.get("role") or "").replace("_", " ")


def _who_role(before: dict, after: dict) -> str:
    return f"{after.get('user', '')} as {after.get('role', '')}"


NAME = key("name")
ACTIONS: dict[str, Action] = {
    # releases
    "release.created": Action("Release opened", "opened {release}", quiet={"items"}),
    "release.updated": Action("Release edited", "edited {release}"),
    "release.transitioned": Action(
        "Release moved on", "marked {release} {verb}", quiet={"status"}
    ),
    "release_item.state_changed": Action(
        "Checklist item ticked, N/A or blocked",
        "{verb} {object} on {release}",
        key("text"),
        quiet={"text"},
    ),
    "signoff.recorded": Action(
        "Sign-off given",
        "{verb} {object} on {release}",
        _role,
        quiet={"evidence_digest", "by", "decision"},
    ),
    "signoff.requested": Action(
        "Sign-off requested", "asked {person} to sign off {object} on {release}", _role
    ),
    "deployment_record.exported": Action(
        "Deployment record downloaded",
        "took a copy of the deployment record of {release}",
        quiet={"sections", "audit_head", "events"},
    ),
    # probes, monitoring, verification
    "probe_run.started": Action("Probes run", "ran the probes of {release}"),
    "probe_run.finished": Action(
        "Probe run finished", "the probe run on {release} ended {object}", key("status")
    ),
    "probe_config.created": Action("Probe added", "added the probe {object}", NAME),
    "probe_config.changed": Action("Probe changed", "changed the probe {object}", NAME),
    "probe_config.tested": Action(
        "Probe tested", "tested the probe {object}", key("status")
    ),
    "probe_schedule.saved": Action(
        "Probe schedule set", "set the schedule of the probe {object}", key("config")
    ),
    "team_network.added": Action(
        "Private network allowed", "allowed probes to reach {object}", key("cidr")
    ),
    "verification.started": Action(
        "Verification started", "started verifying {release}"
    ),
    "verification.decided": Action(
        "Verification decided",
        "decided the verification of {release}: {object}",
        key("outcome"),
    ),
    **{
        f"verification.{outcome}": Action(
            f"Verification {word}", f"verification of {{release}} {word}"
        )
        for outcome, word in OUTCOME_WORDS.items()
    },
    # policy
    "waiver.requested": Action(
        "Waiver requested", "asked to waive {object} on {release}", key("label")
    ),
    "waiver.approved": Action(
        "Waiver approved", "approved waiving {object} on {release}", key("label")
    ),
    "verification_settings.changed": Action(
        "Verification settings changed",
        "changed how deploys to {object} are verified",
        key("environment"),
    ),
    "waiver.declined": Action(
        "Waiver declined", "declined waiving {object} on {release}", key("label")
    ),
    "emergency_exception.requested": Action(
        "Emergency exception requested",
        "asked for an emergency exception to the freeze for {release}",
    ),
    "emergency_exception.approved": Action(
        "Emergency exception approved",
        "approved an emergency exception to the freeze for {release}",
    ),
    "freeze_window.created": Action(
        "Freeze window added", "added the freeze window {object}", NAME
    ),
    "freeze_window.changed": Action(
        "Freeze window changed", "changed the freeze window {object}", NAME
    ),
    "freeze_window.deleted": Action(
        "Freeze window deleted", "deleted the freeze window {object}", NAME
    ),
    "policy.imported": Action(
        "Policy file applied",
        "applied a policy file with the template {object}",
        key("template"),
    ),
    # templates and sign-off rules
    "template.imported": Action(
        "Template imported", "imported the checklist template {object}", NAME
    ),
    "template.changed": Action(
        "Template changed", "changed the checklist template {object}", key("template")
    ),
    "signoff_eligibility.changed": Action(
        "Sign-off eligibility changed", "changed who may sign off {object}", _role
    ),
    # catalog and contacts
    "service.created": Action("Service added", "added the service {object}", NAME),
    "service.changed": Action("Service changed", "changed the service {object}", NAME),
    "environment.created": Action(
        "Environment added", "added the environment {object}", NAME
    ),
    "environment.changed": Action(
        "Environment changed", "changed the environment {object}", NAME
    ),
    "contact.created": Action(
        "Contact added", "added the contact {object}", key("name", "role")
    ),
    "contact.changed": Action(
        "Contact changed", "changed the contact {object}", key("name", "role")
    ),
    "contact.deleted": Action(
        "Contact removed", "removed the contact {object}", key("name", "role")
    ),
    "support_resource.created": Action(
        "Support resource added", "added the support resource {object}", key("label")
    ),
    "support_resource.changed": Action(
        "Support resource changed",
        "changed the support resource {object}",
        key("label"),
    ),
    "support_resource.deleted": Action(
        "Support resource removed",
        "removed the support resource {object}",
        key("label"),
    ),
    # on-call and maintenance
    "oncall_rotation.saved": Action(
        "On-call rotation set", "set the on-call rotation", quiet=frozenset()
    ),
    "oncall_override.added": Action(
        "On-call override added", "put {object} on call instead", key("user")
    ),
    "oncall_rotation.deleted": Action(
        "On-call rotation deleted", "deleted the on-call rotation"
    ),
    "oncall_override.deleted": Action(
        "On-call override removed",
        "removed the on-call override of {object}",
        key("user"),
    ),
    "maintenance_plan.created": Action(
        "Maintenance plan added",
        "planned maintenance of {object}",
        key("environment"),
    ),
    "maintenance_plan.changed": Action(
        "Maintenance plan changed",
        "changed the maintenance plan of {object}",
        key("environment"),
    ),
    "maintenance_plan.deleted": Action(
        "Maintenance plan deleted",
        "deleted the maintenance plan of {object}",
        key("environment"),
    ),
    "maintenance_checklist.deleted": Action(
        "Maintenance checklist removed",
        "removed the untouched maintenance checklist {object}",
        key("plan"),
    ),
    "maintenance_checklist.created": Action(
        "Maintenance checklist due",
        "opened the maintenance checklist {object}",
        key("plan"),
    ),
    "maintenance_checklist.assigned": Action(
        "Maintenance checklist assigned",
        "gave a maintenance checklist to {object}",
        key("assignee"),
    ),
    "maintenance_checklist.overdue": Action(
        "Maintenance checklist overdue", "flagged a maintenance checklist overdue"
    ),
    "maintenance_item.state_changed": Action(
        "Maintenance item done or skipped",
        "marked the maintenance item {object} {verb}",
        key("text"),
        quiet={"text"},
    ),
    # people, teams, access
    "team.created": Action("Team created", "created the team {object}", NAME),
    "membership.created": Action(
        "Member added", "added {object} to the team", _who_role
    ),
    "membership.changed": Action(
        "Member's role changed", "made {object}", _who_role, quiet={"user"}
    ),
    "membership.removed": Action(
        "Member removed", "removed {object} from the team", key("user")
    ),
    "signoff_group.created": Action(
        "Sign-off group created", "created the sign-off group {object}", NAME
    ),
    "signoff_group.renamed": Action(
        "Sign-off group renamed", "renamed the sign-off group {object}", NAME
    ),
    "signoff_group.deleted": Action(
        "Sign-off group deleted", "deleted the sign-off group {object}", NAME
    ),
    "signoff_group.member_added": Action(
        "Sign-off group member added",
        "added {object} to a sign-off group",
        key("user"),
    ),
    "signoff_group.member_removed": Action(
        "Sign-off group member removed",
        "removed {object} from a sign-off group",
        key("user"),
    ),
    "api_token.created": Action(
        "API token created", "created the API token {object}", NAME
    ),
    "api_token.revoked": Action(
        "API token revoked", "revoked the API token {object}", NAME
    ),
    "webhook.created": Action("Webhook added", "added the webhook {object}", NAME),
    "webhook.changed": Action("Webhook changed", "changed the webhook {object}", NAME),
    "webhook.deleted": Action("Webhook deleted", "deleted the webhook {object}", NAME),
    "webhook_delivery.resent": Action(
        "Webhook delivery resent",
        "sent the {object} delivery once more",
        key("event"),
        quiet={"event"},
    ),
    # delivery facts and incidents
    "release.delivery_recorded": Action(
        "Delivery facts recorded", "recorded how {release} was delivered"
    ),
    "incident.created": Action(
        "Incident opened", "opened the incident {object}", key("title")
    ),
    "incident.changed": Action(
        "Incident changed", "changed the incident {object}", key("title")
    ),
    # deploy platforms
    "github_mapping.created": Action(
        "GitHub mapping added",
        "mapped the GitHub repository {object}",
        key("repository"),
    ),
    "github_mapping.deleted": Action(
        "GitHub mapping removed",
        "removed the GitHub mapping of {object}",
        key("repository"),
    ),
    "gitlab_mapping.created": Action(
        "GitLab mapping added",
        "mapped the GitLab project {object}",
        key("project_path"),
    ),
    "gitlab_mapping.deleted": Action(
        "GitLab mapping removed",
        "removed the GitLab mapping of {object}",
        key("project_path"),
    ),
    "gitlab_mapping.token_changed": Action(
        "GitLab access token changed",
        "changed the access token of GitLab mapping #{target_id}",
    ),
    "release.gate_requested": Action(
        "Deploy held by a platform", "held a deploy until the release is ready"
    ),
    "release.deployment_reported": Action(
        "Deploy reported by a platform", "reported how the deploy went"
    ),
    "integrations.deliveries_pruned": Action(
        "Old webhook deliveries deleted",
        "deleted old webhook deliveries",
        quiet={"received_before"},
    ),
    "gate_request.approved": Action("Held deploy approved", "approved the held deploy"),
    "gate_request.rejected": Action("Held deploy rejected", "rejected the held deploy"),
    "gitlab_deployment.approved": Action(
        "GitLab deployment approved", "approved the blocked GitLab deployment"
    ),
    "gitlab_deployment.rejected": Action(
        "GitLab deployment rejected", "rejected the blocked GitLab deployment"
    ),
    "gitlab_status_check.failed": Action(
        "Merge request check failed",
        "failed the status check of merge request !{object}",
        key("merge_request_iid"),
    ),
    "gitlab_status_check.passed": Action(
        "Merge request check passed",
        "passed the status check of merge request !{object}",
        key("merge_request_iid"),
    ),
    "email_preference.changed": Action(
        "Email preferences changed", "changed their email preferences"
    ),
    "auth.signed_in": Action("Signed in", "signed in"),
    "auth.signed_out": Action("Signed out", "signed out"),
    "auth.sign_in_failed": Action(
        "Sign-in failed", "failed to sign in as {object}", key("username")
    ),
    "auth.locked_out": Action(
        "Sign-in locked", "locked sign-ins for {object}", key("username", "ip")
    ),
    "user.profile_refreshed": Action(
        "Profile refreshed by the identity provider",
        "refreshed the name and e-mail of user #{target_id}",
    ),
    "sso.access_ended": Action(
        "Access ended by the identity provider",
        "ended the access of user #{target_id}",
    ),
    "user.password_changed": Action(
        "Password changed", "changed the password of user #{target_id}"
    ),
    # the trail itself
    "audit.exported": Action(
        "Audit trail exported", "exported the audit trail", quiet={"through_seq"}
    ),
    "audit.head_published": Action(
        "Chain head published", "published the audit chain head", quiet={"hash"}
    ),
    "audit.verified": Action("Chain verified", "verified the audit chain"),
    "audit.pruned": Action(
        "Old events pruned", "pruned old audit events", quiet={"through_hash"}
    ),
}

# Verbs that pick their words from the event (`{verb}` in a sentence).
VERBS: dict[str, Picker] = {
    "release.transitioned": _status,
    "release_item.state_changed": _item_state,
    "signoff.recorded": _decision,
    "maintenance_item.state_changed": lambda before, after: str(
        after.get("state", "")
    ).replace("_", " "),
}

# What the operator's admin calls each model it writes without a service.
NOUNS: dict[str, str] = {
    "service": "service",
    "environment": "environment",
    "checklisttemplate": "checklist template",
    "templatephase": "template phase",
    "templateitem": "template item",
    "signoffrole": "sign-off role",
    "runbookentry": "runbook entry",
    "probeschedule": "probe schedule",
    "environmentcheck": "environment check",
    "waiver": "waiver",
    "freezewindow": "freeze window",
    "emergencyexception": "emergency exception",
    "verificationwindow": "verification window",
    "release": "release",
    "releaseitem": "checklist item",
    "auditevent": "audit event",
    "auditverification": "audit verification",
    "rotation": "on-call rotation",
    "override": "on-call override",
    "webhook": "webhook",
    "webhookdelivery": "webhook delivery",
    "contact": "contact",
    "supportresource": "support resource",
    "signoff": "sign-off",
    "maintenanceplan": "maintenance plan",
    "maintenancechecklist": "maintenance checklist",
    "team": "team",
    "membership": "membership",
    "user": "user",
    "oidcidentity": "OpenID identity",
    "githubmapping": "GitHub mapping",
    "gaterequest": "gate request",
    "incident": "incident",
    "releasecommit": "release commit",
}
ADMIN_VERBS = {"created": "created", "changed": "changed"}


def action_for(action: str) -> Action | None:
    """The action's entry; an operator's admin save of a named model is one too."""
    if action in ACTIONS:
        return ACTIONS[action]
    noun, _, verb = action.rpartition(".")
    if noun in NOUNS and verb in ADMIN_VERBS:
        return Action(
            f"{NOUNS[noun].capitalize()} {verb} by an operator",
            f"{verb} the {NOUNS[noun]} #{{target_id}} in the administration",
        )
    return None


def action_choices() -> list[tuple[str, str]]:
    """The audit log's action filter: every action by its label."""
    return sorted(
        ((name, entry.label) for name, entry in ACTIONS.items()),
        key=lambda choice: choice[1],
    )


# How a field's name reads; the others are their name with spaces.
FIELD_NAMES = {
    "base_url": "base URL",
    "api_url": "API URL",
    "url": "URL",
    "repository_url": "repository URL",
    "k8s_namespace": "Kubernetes namespace",
    "na": "N/A",
    "cidr": "network",
    "ip": "IP address",
}


def _field_name(name: str) -> str:
    return FIELD_NAMES.get(name, name.replace("_", " "))


def _text(value: Any) -> str:
    """A recorded value as plain text: lists joined, mappings as key: value."""
    if value is None or value == "":
        return "—"
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(part) for part in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_field_name(k)}: {_text(v)}" for k, v in value.items())
    return str(value)


@dataclass(frozen=True)
class Change:
    """One field of an event: its name, and what it was and became ('' when the
    row was new or is gone)."""

    name: str
    before: str
    after: str
    kind: str  # "changed", "set" (a new row) or "was" (a removed row)


def changes(event: AuditEvent, quiet: Iterable[str] = ()) -> list[Change]:
    """The event's fields as before → after, those the sentence says left out."""
    before, after = event.before or {}, event.after or {}
    found: list[Change] = []
    for name in dict.fromkeys([*before, *after]):
        if name in quiet:
            continue
        old, new = before.get(name), after.get(name)
        if name in before and name in after:
            if old == new:
                continue
            found.append(Change(_field_name(name), _text(old), _text(new), "changed"))
        elif name in after:
            if new in (None, "", [], {}):
                continue
            found.append(Change(_field_name(name), "", _text(new), "set"))
        else:
            found.append(Change(_field_name(name), _text(old), "", "was"))
    return found


@dataclass
class Line:
    """An event as the audit log shows it."""

    event: AuditEvent
    actor: str
    sentence: SafeString
    changes: list[Change]
    release: Any = None


def actor_name(event: AuditEvent) -> str:
    user = event.actor
    if user is not None:
        return user.get_full_name() or user.get_username()
    return event.actor_label or "system"


def release_label(release: Any) -> str:
    return f"{release.service.name} {release.version} → {release.environment.name}"


SUBJECTLESS = ("verification of", "the probe run on")


def sentence(event: AuditEvent, release: Any = None, name: str = "") -> SafeString:
    """The event as a sentence, its object emphasised; HTML-escaped. `name` is
    the object's current name, for an event that holds only its id."""
    entry = action_for(event.action)
    before, after = event.before or {}, event.after or {}
    actor = actor_name(event)
    if entry is None:
        # A name no code writes any more (or not yet): still readable.
        return format_html("{} — {}", actor, event.action)
    parts: dict[str, SafeString | str] = {
        "target_id": event.target_id,
        "person": str(after.get("person", "")),
        "verb": VERBS[event.action](before, after) if event.action in VERBS else "",
        "release": release_label(release) if release else "a release",
    }
    value = (entry.object(before, after) if entry.object else None) or name
    parts["object"] = format_html("<em>{}</em>", _text(value)) if value else ""
    text = entry.sentence
    if release is not None and "{release}" not in text and event.release_id:
        text += " on {release}"
    # What happened by itself reads without its actor ("Verification of … passed").
    if text.startswith(SUBJECTLESS):
        return format_html(text[:1].upper() + text[1:], **parts)
    return format_html("{} {}", actor, format_html(text, **parts))


def line(event: AuditEvent, release: Any = None, name: str = "") -> Line:
    entry = action_for(event.action)
    quiet = entry.quiet if entry else frozenset()
    return Line(
        event=event,
        actor=actor_name(event),
        sentence=sentence(event, release, name),
        changes=changes(event, quiet),
        release=release,
    )
