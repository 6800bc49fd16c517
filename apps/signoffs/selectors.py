"""Reads of sign-offs."""

from apps.releases.models import Release
from apps.signoffs.models import SignOff


def current_decisions(release: Release) -> dict[str, SignOff]:
    """The latest decision per role of the release, in one query."""
    current: dict[str, SignOff] = {}
    for signoff in release.signoffs.select_related("user").order_by("id"):
        current[signoff.role_key] = signoff
    return current


def signoff_history(release: Release) -> list[SignOff]:
    return list(release.signoffs.select_related("user").order_by("-id"))
