"""Recording sign-off decisions and asking people for them. Every one is audited."""

import hashlib
import json

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts import permissions
from apps.audit import services as audit
from apps.core import events, verdict
from apps.releases import lifecycle
from apps.releases.models import Release
from apps.releases.writes import release_change
from apps.signoffs import selectors
from apps.signoffs.models import SignOff

MAX_COMMENT = 5000


def evidence_digest(snapshot: dict) -> str:
    """The SHA-256 of the evidence a sign-off was shown, in canonical JSON."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def signoff_record(
    *,
    release: Release,
    role_key: str,
    decision: str,
    comment: str = "",
    by: User,
    authentication: dict | None = None,
) -> SignOff:
    """Approve or reject a release for a role.

    Refuses (PermissionDenied) people the team's eligibility for the role does
    not name; refuses (ValidationError) roles the release does not have, closed
    releases, a rejection without a comment, the release's creator approving
    when its template forbids it, and (unless the template allows it) one person
    approving a second role of the same release.

    authentication: the provider's sign-in behind a single sign-on session
    (auth_time, a datetime; acr; amr), stored with the sign-off.
    """
    permissions.require(by, "signoff", release.team)
    # Lock the release so two decisions on it are taken one after the other.
    with release_change(release.pk) as change:
        release = change.release
        roles = {role["key"]: role["name"] for role in release.signoff_roles}
        if role_key not in roles:
            raise ValidationError(
                {"role_key": "This release has no such sign-off role."}
            )
        refusal = selectors.signoff_refusal(release=release, role_key=role_key, user=by)
        if refusal:
            raise PermissionDenied(refusal)
        if decision not in SignOff.Decision.values:
            raise ValidationError({"decision": "Choose approve or reject."})
        if release.status not in lifecycle.OPEN_STATUSES:
            raise ValidationError(
                f"A {release.get_status_display().lower()} release takes no more "
                "sign-offs."
            )
        comment = comment.strip()
        if len(comment) > MAX_COMMENT:
            raise ValidationError(
                {"comment": f"Keep it under {MAX_COMMENT} characters."}
            )
        if decision == SignOff.Decision.REJECT and not comment:
            raise ValidationError({"comment": "Say why you reject this release."})
        current = selectors.current_decisions(release)
        if decision == SignOff.Decision.APPROVE:
            refusal = selectors.approval_refusal(
                release=release, role_key=role_key, user=by, current=current
            )
            if refusal:
                raise ValidationError(refusal)
        previous = current.get(role_key)
        snapshot = verdict.evidence_snapshot(release)
        signoff = SignOff.objects.create(
            evidence=snapshot,
            evidence_digest=evidence_digest(snapshot),
            release=release,
            role_key=role_key,
            role_name=roles[role_key],
            user=by,
            decision=decision,
            comment=comment,
            auth_time=(authentication or {}).get("auth_time"),
            auth_acr=(authentication or {}).get("acr", ""),
            auth_amr=(authentication or {}).get("amr", []),
        )
        audit.record(
            actor=by,
            action="signoff.recorded",
            target=signoff,
            team_id=release.team_id,
            release_id=release.pk,
            before=(
                {"decision": previous.decision, "by": previous.user.get_username()}
                if previous
                else {}
            ),
            after={
                "role": role_key,
                "decision": decision,
                "comment": comment,
                "by": by.get_username(),
                "evidence_digest": signoff.evidence_digest,
                **(
                    {"auth_time": signoff.auth_time.isoformat()}
                    if signoff.auth_time
                    else {}
                ),
            },
        )
        events.publish(
            "signoff.recorded",
            team_id=release.team_id,
            release=release,
            role=role_key,
            decision=decision,
            comment=comment,
            by=by.username,
        )
        return signoff


@transaction.atomic
def signoff_request(
    *, release: Release, role_key: str, person: User, by: User, note: str = ""
) -> None:
    """A lead asks a named member of the team to give a role's sign-off.

    Refuses non-leads, a release no longer open, auditors as the asked person
    (they cannot sign), roles the release does not have and a person the
    team's eligibility for the role does not name.
    """
    team = release.team
    permissions.require(by, "transition", team)
    if release.status not in lifecycle.OPEN_STATUSES:
        raise ValidationError(
            f"A {release.get_status_display().lower()} release takes no more sign-offs."
        )
    if not permissions.can(person, "signoff", team):
        raise ValidationError({"person": f"{person} cannot sign off in {team}."})
    roles = {role["key"]: role for role in release.signoff_roles}
    if role_key not in roles:
        raise ValidationError({"role_key": f"This release has no role {role_key!r}."})
    refusal = selectors.signoff_refusal(release=release, role_key=role_key, user=person)
    if refusal:
        raise ValidationError({"person": f"{person} may not sign this role. {refusal}"})
    role_name = roles[role_key].get("name", role_key)
    audit_event = audit.record(
        actor=by,
        action="signoff.requested",
        target=release,
        team_id=team.pk,
        release_id=release.pk,
        after={"role": role_key, "person": person.get_username(), "note": note},
    )
    what = f"{release.service.name} {release.version} → {release.environment.name}"
    body = (
        f"{by.get_full_name() or by.get_username()} asks you for the "
        f"{role_name} sign-off of {what}.\n\n" + (f"Note: {note}\n" if note else "")
    )
    events.publish(
        "signoff.requested",
        key=f"signoff.requested:{audit_event.seq}",
        subject=f"Sign-off requested: {role_name} for {what}",
        body=body,
        link=release.get_absolute_url(),
        team_id=team.pk,
        data={
            "release": release.pk,
            "role": role_key,
            "person": person.get_username(),
        },
        recipients=[person],
    )
