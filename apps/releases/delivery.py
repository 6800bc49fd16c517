"""The checks of a release's delivery facts (the commits it carries, what a
rollback restored) that release_create(), release_transition() and
release_delivery_record() share, and the commits as audit events show them."""

import re
from datetime import datetime

from django.core.exceptions import ValidationError

from apps.core import moments
from apps.releases.models import Release

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
