"""Services and environments over the API, scoped to the caller's teams; leads add
and change them through the catalog services."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.catalog import services
from apps.catalog.api import serializers
from apps.catalog.filters import EnvironmentFilter, ServiceFilter
from apps.catalog.models import Environment, Service
from apps.core.api import ViewSet, validated


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """The services of the caller's teams (leads add and change them)."""

    serializer_class = serializers.ServiceSerializer
    filterset_class = ServiceFilter
    queryset = Service.objects.none()

    def get_queryset(self) -> QuerySet[Service]:
        teams = team_ids_for(self.request.user)
        services = Service.objects.order_by("name", "id")
        return services if teams is None else services.filter(team_id__in=teams)

    @extend_schema(
        request=serializers.ServiceCreateSerializer,
        responses={201: serializers.ServiceSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add a service to one of the caller's teams."""
        data = validated(serializers.ServiceCreateSerializer, request)
        service = services.service_create(by=request.user, **data)
        body = serializers.ServiceSerializer(service).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ServiceChangeSerializer,
        responses={200: serializers.ServiceSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the service's name, slug, description or repository URL."""
        service = self.get_object()
        data = validated(serializers.ServiceChangeSerializer, request)
        service = services.service_update(service=service, by=request.user, **data)
        return Response(serializers.ServiceSerializer(service).data)


class EnvironmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """The environments of the caller's teams' services (leads add and change
    them); probes are under /api/v1/probe-configs/?environment=ID."""

    serializer_class = serializers.EnvironmentSerializer
    filterset_class = EnvironmentFilter
    queryset = Environment.objects.none()

    def get_queryset(self) -> QuerySet[Environment]:
        teams = team_ids_for(self.request.user)
        environments = Environment.objects.order_by("service_id", "name", "id")
        if teams is None:
            return environments
        return environments.filter(service__team_id__in=teams)

    @extend_schema(
        request=serializers.EnvironmentCreateSerializer,
        responses={201: serializers.EnvironmentSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add an environment to one of the caller's teams' services."""
        data = validated(serializers.EnvironmentCreateSerializer, request)
        environment = services.environment_create(by=request.user, **data)
        body = serializers.EnvironmentSerializer(environment).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.EnvironmentChangeSerializer,
        responses={200: serializers.EnvironmentSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the environment's name, URLs, namespace, probe zone or notes."""
        environment = self.get_object()
        data = validated(serializers.EnvironmentChangeSerializer, request)
        environment = services.environment_update(
            environment=environment, by=request.user, **data
        )
        return Response(serializers.EnvironmentSerializer(environment).data)
