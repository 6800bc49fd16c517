"""Shared pieces of the API's views: base viewsets, id fields and filters, bodies."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request

from apps.accounts.models import Team
from apps.accounts.permissions import team_ids_for
from apps.catalog.models import Environment
from apps.core.moments import InSpan
from apps.releases.models import Release
from config.api_defaults import AuthFailureThrottle

MAX_ID = 2**63 - 1


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


class TeamObjectField(serializers.PrimaryKeyRelatedField):
    """The id of an object of one of the caller's teams, validated to the object.

    Another team's object and an id that exists nowhere get the same answer,
    "No such <noun>.", so a caller cannot learn that an id exists elsewhere.
    Every id a write body names goes through this field, or is looked up among
    the objects of one that did (a new release's environment, among its
    service's); tests/api/test_foreign_ids.py walks them all. The caller comes
    from the serializer's context, which `validated()` fills in.
    """

    def __init__(
        self, *, queryset: QuerySet, team_field: str, noun: str, **kwargs: Any
    ) -> None:
        self.team_field = team_field
        kwargs["error_messages"] = {"does_not_exist": f"No such {noun}."}
        kwargs.setdefault(
            "pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID)
        )
        super().__init__(queryset=queryset, **kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        teams = team_ids_for(request.user) if request is not None else []
        queryset = super().get_queryset()
        if teams is None:
            return queryset
        return queryset.filter(**{f"{self.team_field}__in": teams})


def release_field(**kwargs: Any) -> TeamObjectField:
    """A release of the caller's teams, by id."""
    releases = Release.objects.select_related("team", "service", "environment")
    return TeamObjectField(
        queryset=releases, team_field="team_id", noun="release", **kwargs
    )


def environment_field(**kwargs: Any) -> TeamObjectField:
    """An environment of the caller's teams' services, by id."""
    return TeamObjectField(
        queryset=Environment.objects.select_related("service__team"),
        team_field="service__team_id",
        noun="environment",
        **kwargs,
    )


def team_field(**kwargs: Any) -> TeamObjectField:
    """One of the caller's teams, by id."""
    return TeamObjectField(
        queryset=Team.objects.all(), team_field="pk", noun="team", **kwargs
    )


class MomentIsoField(InSpan, django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment in 2000-2100 (apps.core.moments): the year 1 is a 400."""


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentIsoField


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The request body checked by a serializer; a 400 names each bad field."""
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
