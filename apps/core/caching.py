"""Rendered fragments cached by what they show, and conditional GET for pages.

A fragment is cached under a key built from everything it depends on (for a
release: its revision, the viewer's role, query options), never from the
viewer's identity. Forms inside a fragment need the viewer's CSRF token, so the
fragment is rendered with a placeholder that is replaced by the request's own
token on every use: a shared fragment never carries anyone's token.

`FRAGMENT_CACHE_SECONDS` (default 300) bounds how long a fragment lives, and 0
turns the cache off (the benchmark measures rendering from scratch that way).
"""

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString, mark_safe
from rest_framework.renderers import JSONRenderer

CSRF_PLACEHOLDER = "csrf-placeholder-3f9c1e0b7a"
# Readiness also depends on the clock (freeze windows start, waivers expire)
# without any write; keys include the current minute, so that drift is bounded.
CLOCK_SECONDS = 60


def fragment_seconds() -> int:
    return int(getattr(settings, "FRAGMENT_CACHE_SECONDS", 300))


def clock_bucket() -> int:
    """The number of the current minute, which every fragment key includes."""
    return int(time.time() // CLOCK_SECONDS)


def fragment_key(name: str, *parts: object) -> str:
    """A short cache key for a fragment and the values it depends on."""
    text = ":".join(str(part) for part in (*parts, clock_bucket()))
    return f"fragment:{name}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def render_fragment(
    request: HttpRequest, key: str, template: str, build: Callable[[], dict]
) -> SafeString:
    """The template rendered with build()'s context, from the cache when fresh."""
    seconds = fragment_seconds()
    html = cache.get(key) if seconds else None
    if html is None:
        context = build()
        context["csrf_token"] = CSRF_PLACEHOLDER
        html = render_to_string(template, context, request)
        if seconds:
            cache.set(key, html, seconds)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308


def page_etag(request: HttpRequest, key: str) -> str | None:
    """An ETag for a whole page built around a cached fragment, or None.

    The page also shows the viewer's name and embeds their CSRF token, so the
    tag covers the user, the session and the CSRF secret. Pending flash messages
    are shown once, so a page with messages gets no tag.
    """
    if not fragment_seconds() or len(messages.get_messages(request)):
        return None
    get_token(request)  # the secret the response's cookie will carry
    secret = request.META.get("CSRF_COOKIE", "")
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    text = f"{key}:{request.user.pk}:{session}:{secret}"
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def not_modified(request: HttpRequest, etag: str | None) -> HttpResponse | None:
    """A 304 when the browser already holds this version of the page."""
    if etag and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
        return response
    return None


def with_etag(response: HttpResponse, etag: str | None) -> HttpResponse:
    """Mark a page as revalidated on every use, under its ETag."""
    if etag:
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
    return response


def cached_json(
    request: HttpRequest, key: str, build: Callable[[], Any], *, near: bool = False
) -> HttpResponse:
    """build()'s data as JSON, cached under key, with an ETag (and 304) from key.

    `near`: the body is the same for every caller who reaches this key (a
    release's readiness), so each process also keeps it in memory for the
    key's life (apps.core.cache.TolerantRedisCache.get_near): a polled answer
    then costs no cache round trip.
    """
    etag = f'"{key.rsplit(":", 1)[1]}"'
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    seconds = fragment_seconds()
    near = near and hasattr(cache, "get_near")
    body = None
    if seconds:
        body = cache.get_near(key, seconds) if near else cache.get(key)
    if body is None:
        body = JSONRenderer().render(build())
        if seconds and near:
            cache.set_near(key, body, seconds)
        elif seconds:
            cache.set(key, body, seconds)
    response = HttpResponse(body, content_type="application/json")
    return with_etag(response, etag)
