"""The readiness policy over the API: waivers, freezes, exceptions, verification."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.accounts.sso import stepup
from apps.catalog.selectors import environment_get_for_user
from apps.core.api import ViewSet, validated
from apps.policy import selectors, services, verification
from apps.policy.api import serializers
from apps.policy.filters import VerificationWindowFilter
from apps.policy.models import (
    EmergencyException,
    FreezeWindow,
    VerificationSettings,
    VerificationWindow,
    Waiver,
)


def _scoped(queryset: QuerySet, user, path: str) -> QuerySet:
    teams = team_ids_for(user)
    return queryset if teams is None else queryset.filter(**{f"{path}__in": teams})


class WaiverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Waivers of the caller's teams' releases; leads request and approve them."""

    serializer_class = serializers.WaiverSerializer
    queryset = Waiver.objects.none()

    def get_queryset(self) -> QuerySet[Waiver]:
        waivers = Waiver.objects.select_related("requested_by", "approved_by")
        return _scoped(waivers, self.request.user, "release__team_id")

    @extend_schema(
        request=serializers.WaiverCreateSerializer,
        responses={201: serializers.WaiverSerializer},
    )
    def create(self, request: Request) -> Response:
        """Ask to waive one blocking item or probe of a release until a time."""
        data = validated(serializers.WaiverCreateSerializer, request)
        waiver = services.waiver_request(
            release=data["release"],
            blocker_type=data["blocker_type"],
            blocker_id=data["blocker_id"],
            reason=data["reason"],
            expires_at=data["expires_at"],
            by=request.user,
        )
        body = serializers.WaiverSerializer(waiver).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: serializers.WaiverSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve a waiver someone else requested."""
        waiver = selectors.waiver_get_for_user(request.user, int(pk))
        stepup.require_fresh(request)
        waiver = services.waiver_approve(waiver=waiver, by=request.user)
        return Response(serializers.WaiverSerializer(waiver).data)

    @extend_schema(request=None, responses={200: serializers.WaiverSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """Decline a waiver still waiting for approval (its requester withdraws it)."""
        waiver = selectors.waiver_get_for_user(request.user, int(pk))
        waiver = services.waiver_decline(waiver=waiver, by=request.user)
        return Response(serializers.WaiverSerializer(waiver).data)


def _freeze_fields(data: dict) -> dict:
    """A freeze window's validated body as freeze_window_save() takes it."""
    return {
        "name": data["name"],
        "reason": data.get("reason", ""),
        "starts_at": data.get("starts_at"),
        "ends_at": data.get("ends_at"),
        "cron": data.get("cron", ""),
        "time_zone": data.get("time_zone", "UTC"),
        "duration_minutes": data.get("duration_minutes"),
    }


class FreezeWindowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Freeze windows of the caller's teams' environments; leads change them."""

    serializer_class = serializers.FreezeWindowSerializer
    queryset = FreezeWindow.objects.none()

    def get_queryset(self) -> QuerySet[FreezeWindow]:
        return _scoped(
            FreezeWindow.objects.all(),
            self.request.user,
            "environment__service__team_id",
        )

    def create(self, request: Request) -> Response:
        """Add a one-off (starts_at, ends_at) or recurring (cron) freeze window."""
        data = validated(serializers.FreezeWindowSerializer, request)
        window = services.freeze_window_save(
            environment=data["environment"],
            by=request.user,
            **_freeze_fields(data),
        )
        body = serializers.FreezeWindowSerializer(window).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.FreezeWindowUpdateSerializer,
        responses={200: serializers.FreezeWindowSerializer},
    )
    def update(self, request: Request, pk: str) -> Response:
        """Replace a freeze window's fields (its environment stays)."""
        window = selectors.freeze_window_get_for_user(request.user, int(pk))
        data = validated(serializers.FreezeWindowUpdateSerializer, request)
        window = services.freeze_window_save(
            environment=window.environment,
            window=window,
            by=request.user,
            **_freeze_fields(data),
        )
        return Response(serializers.FreezeWindowSerializer(window).data)

    def destroy(self, request: Request, pk: str) -> Response:
        """Remove a freeze window."""
        window = selectors.freeze_window_get_for_user(request.user, int(pk))
        services.freeze_window_delete(window=window, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmergencyExceptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet
):
    """Emergency exceptions that let a release through a freeze."""

    serializer_class = serializers.EmergencyExceptionSerializer
    queryset = EmergencyException.objects.none()

    def get_queryset(self) -> QuerySet[EmergencyException]:
        exceptions = EmergencyException.objects.select_related(
            "first_approver", "second_approver"
        )
        return _scoped(exceptions, self.request.user, "release__team_id")

    @extend_schema(
        request=serializers.EmergencyExceptionCreateSerializer,
        responses={201: serializers.EmergencyExceptionSerializer},
    )
    def create(self, request: Request) -> Response:
        """Ask for an exception; it counts once two different leads approve it."""
        data = validated(serializers.EmergencyExceptionCreateSerializer, request)
        exception = services.emergency_exception_request(
            release=data["release"],
            reason=data["reason"],
            expires_at=data["expires_at"],
            by=request.user,
        )
        body = serializers.EmergencyExceptionSerializer(exception).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses={200: serializers.EmergencyExceptionSerializer}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Add your approval; two distinct people are needed."""
        exception = selectors.exception_get_for_user(request.user, int(pk))
        stepup.require_fresh(request)
        exception = services.emergency_exception_approve(
            exception=exception, by=request.user
        )
        return Response(serializers.EmergencyExceptionSerializer(exception).data)


class VerificationWindowViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet
):
    """Post-deploy verification windows of the caller's teams' releases."""

    serializer_class = serializers.VerificationWindowSerializer
    filterset_class = VerificationWindowFilter
    queryset = VerificationWindow.objects.none()

    def get_queryset(self) -> QuerySet[VerificationWindow]:
        return _scoped(
            VerificationWindow.objects.select_related("decided_by"),
            self.request.user,
            "release__team_id",
        )

    @extend_schema(
        request=serializers.VerificationStartSerializer,
        responses={201: serializers.VerificationWindowSerializer},
    )
    def create(self, request: Request) -> Response:
        """Start verifying a deployed release with its http and prometheus probes."""
        data = validated(serializers.VerificationStartSerializer, request)
        window = verification.verification_window_start(
            release=data.pop("release"), by=request.user, **data
        )
        body = serializers.VerificationWindowSerializer(window).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.VerificationDecisionSerializer,
        responses={200: serializers.VerificationWindowSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """Settle an inconclusive window as passed or failed, with a note (leads)."""
        window = selectors.verification_window_get_for_user(request.user, int(pk))
        data = validated(serializers.VerificationDecisionSerializer, request)
        window = verification.verification_window_decide(
            window=window, outcome=data["outcome"], note=data["note"], by=request.user
        )
        return Response(serializers.VerificationWindowSerializer(window).data)


class VerificationSettingsViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet
):
    """Verification after deploy of the caller's teams' environments (saved ones;
    an environment without is off); PUT sets one (leads)."""

    serializer_class = serializers.VerificationSettingsSerializer
    queryset = VerificationSettings.objects.none()
    lookup_field = "environment"

    def get_queryset(self) -> QuerySet[VerificationSettings]:
        return _scoped(
            VerificationSettings.objects.order_by("environment_id"),
            self.request.user,
            "environment__service__team_id",
        )

    def retrieve(self, request: Request, environment: str) -> Response:
        """One environment's settings; an environment never set is off, with
        the defaults (not a 404: the environment exists)."""
        place = environment_get_for_user(request.user, environment)
        saved = VerificationSettings.objects.filter(environment=place).first()
        found = saved or VerificationSettings(environment=place)
        return Response(serializers.VerificationSettingsSerializer(found).data)

    @extend_schema(
        request=serializers.VerificationSettingsWriteSerializer,
        responses={200: serializers.VerificationSettingsSerializer},
    )
    def update(self, request: Request, environment: str) -> Response:
        """Turn verification on deploy on or off and set its window."""
        place = environment_get_for_user(request.user, environment)
        data = validated(serializers.VerificationSettingsWriteSerializer, request)
        saved = verification.verification_settings_save(
            environment=place, by=request.user, **data
        )
        return Response(serializers.VerificationSettingsSerializer(saved).data)
