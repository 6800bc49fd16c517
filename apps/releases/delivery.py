"""A release's delivery facts: the commits it carries, how its deploy ended, what
it remediates and what a rollback restored; the checks release_create() and
release_transition() share, and release_delivery_record(), the service that
changes them afterwards (audited like every write)."""

import re
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts import permissions
from apps.audit import services as audit
from apps.core import moments
from apps.releases.models import Release, ReleaseCommit
from apps.releases.writes import release_change

SHA = re.compile(r"^[0-9a-f]{7,64}$")
MAX_COMMITS = 1000


def check_rolled_back_to(release: Release, target: str, to: Release) -> None:
    """A rollback restores an earlier deployed release of the same environment."""
    if target != Release.Status.ROLLED_BACK:
        raise ValidationError(
            {"rolled_back_to": "Only a rollback names the release it restored."}
        )
    if (
        to.pk == release.pk
        or to.environment_id != release.environment_id
        or to.deployed_at is None
    ):
        raise ValidationError(
            {
                "rolled_back_to": "Name an earlier deployed release of "
                f"{release.environment.name}."
            }
        )


def check_commits(commits: list[dict]) -> list[dict]:
    """Commits as {"sha", "committed_at"}: lower-case hex shas, each once."""
    if len(commits) > MAX_COMMITS:
        raise ValidationError({"commits": f"At most {MAX_COMMITS} commits."})
    checked, seen = [], set()
    for commit in commits:
        sha = str(commit.get("sha", "")).strip().lower()
        if not SHA.match(sha):
            raise ValidationError(
                {
                    "commits": f"{sha or 'An empty sha'} is not a commit sha (7 to 64 "
                    "hexadecimal digits)."
                }
            )
        if sha in seen:
            raise ValidationError({"commits": f"{sha} is listed twice."})
        seen.add(sha)
        at = commit.get("committed_at")
        if not isinstance(at, datetime):
            raise ValidationError({"commits": f"Say when {sha} was committed."})
        at = moments.moment_check(at, field="commits")
        checked.append({"sha": sha, "committed_at": at})
    return checked


def commit_facts(commits: list[dict]) -> list[dict]:
    return [
        {"sha": c["sha"], "committed_at": c["committed_at"].isoformat()}
        for c in sorted(commits, key=lambda c: (c["committed_at"], c["sha"]))
    ]


NOT_GIVEN = object()


@transaction.atomic
def release_delivery_record(
    *,
    release: Release,
    by: User,
    kind: str | object = NOT_GIVEN,
    remediates: Release | None | object = NOT_GIVEN,
    deploy_result: str | object = NOT_GIVEN,
    deploy_finished_at: datetime | None | object = NOT_GIVEN,
    commits: list[dict] | object = NOT_GIVEN,
    rolled_back_to: Release | None | object = NOT_GIVEN,
) -> Release:
    """Record a release's delivery facts (leads): its kind, the release it
    remediates, how its deploy ended and when, the commits it carries (the list
    replaces the one before) and, once rolled back, the release it restored.

    Refuses a deploy result before the release was deployed, a finish before the
    deploy started, a release of another service to remediate (or itself), and
    an emergency kind set by hand: only an emergency exception sets that.
    """
    permissions.require(by, "transition", release.team)
    with release_change(release.pk) as change:
        release = change.release
        before = _delivery_facts(release)
        errors: dict[str, str] = {}
        if kind is not NOT_GIVEN and kind != release.kind:
            if kind not in Release.Kind.values:
                errors["kind"] = f"Unknown kind {kind!r}."
            elif Release.Kind.EMERGENCY in (kind, release.kind):
                errors["kind"] = (
                    "Emergency is set when an emergency exception lets the "
                    "release through a freeze; it cannot be set or unset by hand."
                )
            else:
                release.kind = kind
        if remediates is not NOT_GIVEN:
            if remediates is not None and (
                remediates.service_id != release.service_id
                or remediates.pk == release.pk
            ):
                errors["remediates"] = (
                    f"Name another release of {release.service.name}."
                )
            release.remediates = remediates
        deploy_given = (deploy_result, deploy_finished_at) != (NOT_GIVEN, NOT_GIVEN)
        if deploy_given and release.deployed_at is None:
            errors["deploy_result"] = "The release has not been deployed."
        if deploy_result is not NOT_GIVEN:
            if deploy_result not in Release.DeployResult.values:
                errors["deploy_result"] = f"Unknown deploy result {deploy_result!r}."
            else:
                release.deploy_result = deploy_result
        if deploy_finished_at is not NOT_GIVEN and not errors:
            if deploy_finished_at is not None:
                deploy_finished_at = moments.moment_check(
                    deploy_finished_at, field="deploy_finished_at"
                )
                if deploy_finished_at < release.deployed_at:
                    errors["deploy_finished_at"] = (
                        "The deploy cannot finish before it started "
                        f"({release.deployed_at:%Y-%m-%d %H:%M} UTC)."
                    )
            release.deploy_finished_at = deploy_finished_at
        if rolled_back_to is not NOT_GIVEN:
            if release.status != Release.Status.ROLLED_BACK:
                errors["rolled_back_to"] = "The release has not been rolled back."
            elif rolled_back_to is not None:
                try:
                    check_rolled_back_to(
                        release, Release.Status.ROLLED_BACK, rolled_back_to
                    )
                except ValidationError as error:
                    errors.update(error.message_dict)
            release.rolled_back_to = rolled_back_to
        if commits is not NOT_GIVEN:
            try:
                commits = check_commits(commits)
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        after = _delivery_facts(release)
        if commits is not NOT_GIVEN:
            before["commits"] = commit_facts(
                list(release.commits.values("sha", "committed_at"))
            )
            after["commits"] = commit_facts(commits)
        before, after = audit.diff(before, after)
        if not after:
            change.unchanged()
            return release
        if commits is not NOT_GIVEN and "commits" in after:
            release.commits.all().delete()
            ReleaseCommit.objects.bulk_create(
                ReleaseCommit(release=release, **commit) for commit in commits
            )
        change.save(*DELIVERY_FIELDS)
        audit.record(
            actor=by,
            action="release.delivery_recorded",
            target=release,
            team_id=release.team_id,
            release_id=release.pk,
            before=before,
            after=after,
        )
    return release


DELIVERY_FIELDS = (
    "kind",
    "remediates",
    "deploy_result",
    "deploy_finished_at",
    "rolled_back_to",
)


def _delivery_facts(release: Release) -> dict:
    return {
        "kind": release.kind,
        "remediates": release.remediates_id,
        "deploy_result": release.deploy_result,
        "deploy_finished_at": release.deploy_finished_at,
        "rolled_back_to": release.rolled_back_to_id,
    }
