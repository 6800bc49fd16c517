"""Services and environments over the API, read-only, scoped to the caller's teams."""

from django.db.models import QuerySet

from apps.accounts.permissions import team_ids_for
from apps.catalog.api import serializers
from apps.catalog.filters import EnvironmentFilter, ServiceFilter
from apps.catalog.models import Environment, Service
from apps.core.api import ReadOnlyViewSet


class ServiceViewSet(ReadOnlyViewSet):
    """The services of the caller's teams."""

    serializer_class = serializers.ServiceSerializer
    filterset_class = ServiceFilter
    queryset = Service.objects.none()

    def get_queryset(self) -> QuerySet[Service]:
        teams = team_ids_for(self.request.user)
        services = Service.objects.order_by("name", "id")
        return services if teams is None else services.filter(team_id__in=teams)


class EnvironmentViewSet(ReadOnlyViewSet):
    """The environments of the caller's teams' services; probes are under
    /api/v1/probe-configs/?environment=ID."""

    serializer_class = serializers.EnvironmentSerializer
    filterset_class = EnvironmentFilter
    queryset = Environment.objects.none()

    def get_queryset(self) -> QuerySet[Environment]:
        teams = team_ids_for(self.request.user)
        environments = Environment.objects.order_by("service_id", "name", "id")
        if teams is None:
            return environments
        return environments.filter(service__team_id__in=teams)
