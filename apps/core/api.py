"""The API's shared pieces: base viewsets, id and moment filters, request bodies.

Imports no app: fields that scope ids to the caller's teams live with the teams
(apps.accounts.api.fields). Throttles and pagination are in api_defaults.py."""

from typing import Any

import django_filters
from django import forms
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request

from apps.core.api_defaults import AuthFailureThrottle
from apps.core.moments import InSpan
from apps.core.rows import MAX_ID


class ThrottleFirstMixin:
    """Throttle before checking permissions, so anonymous callers are counted too.

    DRF checks permissions first, which would answer every unauthenticated
    request with 401 before the anonymous throttle ever saw it. A refused token
    never reaches the throttles at all, so refusals are counted per address
    here, and past their limit answered 429 instead of 401.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = self.get_format_suffix(**kwargs)
        negotiated = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = negotiated
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        try:
            self.perform_authentication(request)
        except exceptions.AuthenticationFailed:
            failures = AuthFailureThrottle()
            if not failures.allow_request(request, self):
                self.throttled(request, failures.wait())
            raise
        self.check_throttles(request)
        self.check_permissions(request)


class ReadOnlyViewSet(ThrottleFirstMixin, viewsets.ReadOnlyModelViewSet):
    """Base for read-only resources; ids are digits, so huge ids are a 404."""

    lookup_value_regex = r"[0-9]{1,18}"


class ViewSet(ThrottleFirstMixin, viewsets.GenericViewSet):
    """Base for resources that write through services."""

    lookup_value_regex = r"[0-9]{1,18}"


class IdFilter(django_filters.Filter):
    """An object id in a query string: a whole number, so 1.5 or 10**30 is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class MomentIsoField(InSpan, django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment in 2000-2100 (apps.core.moments): the year 1 is a 400."""


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentIsoField


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The request body checked by a serializer; a 400 names each bad field."""
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
