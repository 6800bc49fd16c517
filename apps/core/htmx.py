"""Small helpers for views that answer both full-page and htmx requests."""

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """True for an htmx request that swaps a region, not a boosted page load."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted
