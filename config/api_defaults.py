"""The classes REST_FRAMEWORK names as defaults: strict JSON parser, throttles.

The throttle base and pagination live in apps.core.api_defaults, which apps import.

This module imports no DRF views, so settings can load it without a cycle.

The stock JSON parser answers JSON nested ten thousand levels deep with a 500
(Python's json raises RecursionError), accepts NaN and 1e999 (which become
floats that PostgreSQL's jsonb and most clients refuse), and lets lone UTF-16
surrogates and NUL characters through to the database driver, which raises.
Every one of those is a 400 here, and an oversized body is a 413.

The parser reads the request stream itself, at most API_MAX_BODY_BYTES + 1
bytes. DRF hands a JSONParser subclass `request.body` instead, which Django
refuses past DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400, and which would
hold the whole body in memory first.
"""

import json
import math
import re
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers
from rest_framework.request import Request

from apps.accounts.models import ApiToken
from apps.core.api_defaults import SettingsRateThrottle

MAX_DEPTH = 32
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def check_value(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH, lone surrogates and NUL characters.

    Walks without recursion, so the check itself cannot overflow the stack.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _BAD_CHARACTERS.search(value):
                raise ValueError("text contains a NUL character or a lone surrogate")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON is nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)


def parse_json(raw: bytes) -> Any:
    """Parse a request body strictly; raises ValueError saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except RecursionError:
        raise ValueError(f"JSON is nested deeper than {MAX_DEPTH} levels") from None
    check_value(data)
    return data


class StrictJSONParser(parsers.BaseParser):
    """JSON bodies only, bounded in size and depth, finite numbers, valid text.

    A BaseParser, not a JSONParser, so that DRF passes the stream (see above).
    """

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict | None = None,
    ) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            declared = int(length or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge(f"Send at most {limit} bytes.")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(f"Send at most {limit} bytes.")
        try:
            return parse_json(raw)
        except ValueError as error:
            raise exceptions.ParseError(f"Malformed JSON: {error}.") from None


class TokenRateThrottle(SettingsRateThrottle):
    """One budget per API token, or per user for browser sessions."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonRateThrottle(SettingsRateThrottle):
    """One budget per client address for unauthenticated requests."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }
