"""Throttles and pagination that REST_FRAMEWORK's settings name, for every app.

This module imports no DRF views, so settings can load it without a cycle
(config/api_defaults.py, the parser and the per-caller throttles, builds on it).
"""

from typing import Any

from django.conf import settings
from rest_framework import pagination, throttling
from rest_framework.request import Request


class SettingsRateThrottle(throttling.SimpleRateThrottle):
    """A counter per caller and window, with the rate from settings.API_THROTTLE_RATES.

    DRF's SimpleRateThrottle keeps every request's timestamp in one cache entry
    and reads and rewrites the whole list on each request: at 1,200 a minute
    that is a 10 KB value per request. Here each caller has a counter that
    starts with their first request and expires with the window: one increment
    per request. A window starts at the caller's first request, so a caller can
    spend their budget at the end of one window and again at the start of the
    next one, never more than twice the rate in any period of one window.

    A view whose answer depends on a few values kept in Redis (a polled
    release's revision, apps.releases.revisions) may name their keys in a
    `throttle_reads()` method: they are read in the same round trip as the
    count, and left in the view's `throttle_read` (key -> text or None). A
    view must still read them itself when `throttle_read` was not set (no
    throttle, no Redis).
    """

    # Not DRF's key: an entry it wrote (a list) must not meet an increment.
    cache_format = "throttle-window:%(scope)s:%(ident)s"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.left = None
        if hasattr(self.cache, "count_in_window"):  # Redis: one round trip
            also = view.throttle_reads() if hasattr(view, "throttle_reads") else []
            counted = self.cache.count_in_window(self.key, self.duration, also)
            if counted is None:  # Redis unreachable: not enforced (resilience.md)
                return True
            count, self.left, texts = counted
            if also:
                view.throttle_read = dict(zip(also, texts, strict=True))
        elif self.cache.add(self.key, 1, self.duration):
            # The first request of a window also records when the window began.
            self.cache.set(f"{self.key}:start", self.now, self.duration)
            return True
        else:
            try:
                count = self.cache.incr(self.key)
            except ValueError:  # the window ended between the two calls
                return True
        return count <= self.num_requests or self.throttle_failure()

    def wait(self) -> float:
        if self.left is None:
            started = self.cache.get(f"{self.key}:start") or self.now
            self.left = started + self.duration - self.now
        return max(1.0, self.left)


class AuthFailureThrottle(SettingsRateThrottle):
    """Refused credentials per client address, API_THROTTLE_AUTH_FAILURES a window.

    Counted only when authentication fails, so a valid token costs nothing
    extra; past the limit every refused token from that address is answered 429
    (with Retry-After) until its window ends. The address is REMOTE_ADDR, or the
    API_NUM_PROXIES-th entry from the right of X-Forwarded-For.
    """

    scope = "auth_failure"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
