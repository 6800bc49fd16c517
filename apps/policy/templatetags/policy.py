"""The release page's policy panel: waivers, freezes, exceptions, verification."""

from django import template

from apps.policy import selectors
from apps.releases.models import Release

register = template.Library()


@register.simple_tag
def release_policy(release: Release) -> dict:
    """Waivers, the freeze in effect, freeze windows and verification windows.

    Rendered outside the page's cached body, because a freeze begins and a
    waiver expires without any change to the release; it costs one query.
    """
    return selectors.release_policy(release)
