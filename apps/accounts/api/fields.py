"""API fields for ids of the caller's teams' objects: one answer for another
team's object and for one that exists nowhere."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from apps.accounts.models import Team
from apps.accounts.permissions import team_ids_for
from apps.core.api import MAX_ID


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


def team_field(**kwargs: Any) -> TeamObjectField:
    """One of the caller's teams, by id."""
    return TeamObjectField(
        queryset=Team.objects.all(), team_field="pk", noun="team", **kwargs
    )
