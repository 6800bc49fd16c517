"""The release page's policy panel: waivers, freezes, exceptions, verification."""

from django import template

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.policy import selectors
from apps.releases.lifecycle import OPEN_STATUSES
from apps.releases.models import Release

register = template.Library()


@register.simple_tag(takes_context=True)
def release_policy(context: template.Context, release: Release) -> dict:
    """Waivers, the freeze in effect, freeze windows and verification windows,
    whether the viewer may decide an inconclusive window, ask for and approve
    waivers and emergency exceptions (leads), and the viewer's user name (a
    requester does not approve their own).

    Rendered outside the page's cached body, because a freeze begins and a
    waiver expires without any change to the release; it costs one query.
    """
    policy = selectors.release_policy(release)
    request = context.get("request")
    user = getattr(request, "user", None)
    policy["can_decide"] = user is not None and permissions.can(
        user, "override", release.team
    )
    policy["viewer"] = user.get_username() if user is not None else ""
    return policy


@register.simple_tag(takes_context=True)
def may_waive(context: template.Context, release: Release) -> bool:
    """Whether the viewer may ask to waive a blocker of the release now: a lead
    (or admin) of its team, while it is open. Memberships are cached per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return (
        user is not None
        and release.status in OPEN_STATUSES
        and permissions.can(user, "override", Team(pk=release.team_id))
    )
