"""On-call rotations (one per team, addressed by the team's id) and overrides over
the API; leads write them through the on-call services, as the on-call page does."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.core.api import ViewSet, validated
from apps.oncall import selectors, services
from apps.oncall.api import serializers
from apps.oncall.models import Override, Rotation


class RotationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Rotations of the caller's teams; PUT sets a team's rotation and DELETE
    stops it, its overrides with it (leads)."""

    serializer_class = serializers.OnCallRotationSerializer
    queryset = Rotation.objects.none()
    lookup_field = "team"

    def get_queryset(self) -> QuerySet[Rotation]:
        teams = team_ids_for(self.request.user)
        rotations = Rotation.objects.prefetch_related("members__user").order_by(
            "team_id"
        )
        return rotations if teams is None else rotations.filter(team_id__in=teams)

    @extend_schema(
        request=serializers.OnCallRotationWriteSerializer,
        responses={200: serializers.OnCallRotationSerializer},
    )
    def update(self, request: Request, team: str) -> Response:
        """Set the team's rotation and its people in order (created when it has
        none); each person is a member of the team who may tick."""
        owner = selectors.team_get_by_id_for_user(request.user, team)
        data = validated(serializers.OnCallRotationWriteSerializer, request)
        try:
            members = selectors.members_by_username(owner, data.pop("members"))
        except ValidationError as error:
            raise ValidationError({"members": error.messages}) from None
        services.rotation_save(team=owner, by=request.user, members=members, **data)
        rotation = self.get_queryset().get(team=owner)
        return Response(serializers.OnCallRotationSerializer(rotation).data)

    def perform_destroy(self, instance: Rotation) -> None:
        services.rotation_delete(rotation=instance, by=self.request.user)


class OverrideViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Overrides of the caller's teams' rotations, soonest first (leads add and
    remove them)."""

    serializer_class = serializers.OnCallOverrideSerializer
    queryset = Override.objects.none()

    def get_queryset(self) -> QuerySet[Override]:
        teams = team_ids_for(self.request.user)
        overrides = Override.objects.select_related(
            "rotation", "user", "created_by"
        ).order_by("starts_at", "id")
        if teams is None:
            return overrides
        return overrides.filter(rotation__team_id__in=teams)

    @extend_schema(
        request=serializers.OnCallOverrideCreateSerializer,
        responses={201: serializers.OnCallOverrideSerializer},
    )
    def create(self, request: Request) -> Response:
        """Let a member of the team cover its rotation between two moments."""
        data = validated(serializers.OnCallOverrideCreateSerializer, request)
        team = data["team"]
        rotation = selectors.rotation_for_team(team)
        if rotation is None:
            raise ValidationError({"team": "Set up the rotation first."})
        try:
            (user,) = selectors.members_by_username(team, [data["user"]])
        except ValidationError:
            raise ValidationError({"user": "Choose a member of the team."}) from None
        override = services.override_add(
            rotation=rotation,
            user=user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
            by=request.user,
        )
        body = serializers.OnCallOverrideSerializer(override).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Override) -> None:
        services.override_delete(override=instance, by=self.request.user)
