"""The release page's policy panel: waivers, freezes, exceptions, verification."""

from django import template

from apps.accounts import permissions
from apps.policy import selectors
from apps.releases.models import Release

register = template.Library()


@register.simple_tag(takes_context=True)
def release_policy(context: template.Context, release: Release) -> dict:
    """Waivers, the freeze in effect, freeze windows and verification windows,
    and whether the viewer may decide an inconclusive window (leads).

    Rendered outside the page's cached body, because a freeze begins and a
    waiver expires without any change to the release; it costs one query.
    """
    policy = selectors.release_policy(release)
    request = context.get("request")
    user = getattr(request, "user", None)
    policy["can_decide"] = user is not None and permissions.can(
        user, "override", release.team
    )
    return policy
