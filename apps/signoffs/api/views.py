"""Sign-offs over the API: list the decisions, record a new one, ask someone for
one."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.accounts.sso import stepup
from apps.core.api import ViewSet, validated
from apps.signoffs import services
from apps.signoffs.api import serializers
from apps.signoffs.filters import SignOffFilter
from apps.signoffs.models import SignOff


class SignOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Every decision on the caller's teams' releases, newest first."""

    serializer_class = serializers.SignOffSerializer
    filterset_class = SignOffFilter
    queryset = SignOff.objects.none()

    def get_queryset(self) -> QuerySet[SignOff]:
        teams = team_ids_for(self.request.user)
        signoffs = SignOff.objects.select_related("user").order_by("-id")
        if teams is None:
            return signoffs
        return signoffs.filter(release__team_id__in=teams)

    @extend_schema(
        request=serializers.SignOffCreateSerializer,
        responses={201: serializers.SignOffSerializer},
    )
    def create(self, request: Request) -> Response:
        """Approve or reject a release for one of its sign-off roles."""
        data = validated(serializers.SignOffCreateSerializer, request)
        stepup.require_fresh(request)
        signoff = services.signoff_record(
            release=data["release"],
            role_key=data["role_key"],
            decision=data["decision"],
            comment=data["comment"],
            by=request.user,
            authentication=stepup.authentication(request),
        )
        body = serializers.SignOffSerializer(signoff).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.SignOffRequestSerializer,
        responses={201: serializers.SignOffRequestedSerializer},
    )
    @action(detail=False, methods=["post"])
    def requests(self, request: Request) -> Response:
        """Ask a member of the release's team for a role's sign-off (leads): they
        are notified, and the request is audited."""
        data = validated(serializers.SignOffRequestSerializer, request)
        release = data["release"]
        person = User.objects.filter(
            username=data["person"], memberships__team=release.team_id
        ).first()
        if person is None:
            raise ValidationError({"person": "Choose a member of the team."})
        note = data["note"].strip()
        services.signoff_request(
            release=release,
            role_key=data["role_key"],
            person=person,
            note=note,
            by=request.user,
        )
        body = {**data, "person": person.get_username(), "note": note}
        data = serializers.SignOffRequestedSerializer(body).data
        return Response(data, status=status.HTTP_201_CREATED)
