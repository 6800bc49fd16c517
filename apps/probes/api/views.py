"""Probes over the API: configurations, starting runs, and reading their results."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, pagination, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.core.api import ViewSet, validated
from apps.probes import services
from apps.probes.api import serializers
from apps.probes.filters import ProbeConfigFilter, ProbeResultFilter, ProbeRunFilter
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun


class ResultCursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class ProbeConfigViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Probe configurations of the caller's teams' environments (leads write)."""

    serializer_class = serializers.ProbeConfigSerializer
    filterset_class = ProbeConfigFilter
    queryset = ProbeConfig.objects.none()

    def get_queryset(self) -> QuerySet[ProbeConfig]:
        teams = team_ids_for(self.request.user)
        configs = ProbeConfig.objects.order_by("environment_id", "name", "id")
        if teams is None:
            return configs
        return configs.filter(environment__service__team_id__in=teams)

    def _save(self, request: Request, config: ProbeConfig | None) -> ProbeConfig:
        data = validated(serializers.ProbeConfigWriteSerializer, request)
        environment = data["environment"]
        if config is not None and config.environment_id != environment.pk:
            raise ValidationError({"environment": "A probe cannot change environment."})
        return services.probe_config_save(
            environment=environment,
            by=request.user,
            name=data["name"],
            kind=data["kind"],
            target=data["target"],
            options=data["options"],
            timeout=data["timeout"],
            enabled=data["enabled"],
            secret=data["secret"],
            secret_env=data["secret_env"],
            severity=data.get("severity"),
            config=config,
        )

    @extend_schema(
        request=serializers.ProbeConfigWriteSerializer,
        responses={201: serializers.ProbeConfigSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add a probe to an environment; a secret is stored encrypted."""
        config = self._save(request, None)
        body = serializers.ProbeConfigSerializer(config).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ProbeConfigWriteSerializer,
        responses={200: serializers.ProbeConfigSerializer},
    )
    def update(self, request: Request, pk: str) -> Response:
        """Replace a probe's settings; omit `secret` to keep the stored one."""
        config = self._save(request, self.get_object())
        return Response(serializers.ProbeConfigSerializer(config).data)

    @extend_schema(request=None, responses={200: serializers.ProbeTestResultSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Run the probe now and answer its result; nothing is recorded but the
        audit event (engineers and leads, as *Test this probe*)."""
        result = services.probe_test_config(config=self.get_object(), by=request.user)
        return Response(serializers.ProbeTestResultSerializer(result).data)


class ProbeRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Probe runs of the caller's teams' releases, each with its results."""

    serializer_class = serializers.ProbeRunSerializer
    filterset_class = ProbeRunFilter
    queryset = ProbeRun.objects.none()

    def get_queryset(self) -> QuerySet[ProbeRun]:
        teams = team_ids_for(self.request.user)
        runs = ProbeRun.objects.prefetch_related(
            Prefetch("results", queryset=ProbeResult.objects.order_by("name", "id"))
        ).order_by("-created_at", "-id")
        return runs if teams is None else runs.filter(release__team_id__in=teams)

    @extend_schema(
        request=serializers.ProbeRunStartSerializer,
        responses={
            201: serializers.ProbeRunSerializer,
            409: serializers.RunRefusedSerializer,
        },
    )
    def create(self, request: Request) -> Response:
        """Start a run of every enabled probe of the release's environment.

        Poll GET /api/v1/probe-runs/{id}/ until `finished` is true. A release that
        is no longer open (deployed, rolled back, cancelled) is a 409.
        """
        data = validated(serializers.ProbeRunStartSerializer, request)
        try:
            run = services.probe_run_start(release=data["release"], by=request.user)
        except services.RunRefused as refused:
            body = {"detail": " ".join(refused.messages)}
            return Response(body, status=status.HTTP_409_CONFLICT)
        run = self.get_queryset().get(pk=run.pk)
        body = serializers.ProbeRunSerializer(run).data
        return Response(body, status=status.HTTP_201_CREATED)


class ProbeResultViewSet(mixins.ListModelMixin, ViewSet):
    """Probe results of the caller's teams, newest first, by cursor."""

    serializer_class = serializers.ProbeResultSerializer
    filterset_class = ProbeResultFilter
    pagination_class = ResultCursorPagination
    queryset = ProbeResult.objects.none()

    def get_queryset(self) -> QuerySet[ProbeResult]:
        teams = team_ids_for(self.request.user)
        results = ProbeResult.objects.all()
        return (
            results
            if teams is None
            else results.filter(run__release__team_id__in=teams)
        )
