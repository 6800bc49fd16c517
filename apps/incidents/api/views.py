"""Incidents over the API, and the generic incident webhook."""

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import permissions
from apps.catalog.models import Service
from apps.core.api import ThrottleFirstMixin, ViewSet, validated
from apps.incidents import selectors, services
from apps.incidents.api import serializers
from apps.incidents.models import Incident
from apps.releases.models import Release


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Incidents of the caller's teams, newest first; leads and engineers record
    them."""

    serializer_class = serializers.IncidentSerializer
    queryset = Incident.objects.none()

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incident_list_for_user(self.request.user)

    def get_object(self) -> Incident:
        return selectors.incident_get_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=serializers.IncidentCreateSerializer,
        responses={201: serializers.IncidentSerializer},
    )
    def create(self, request: Request) -> Response:
        """Record an incident of one of the caller's teams' services."""
        data = validated(serializers.IncidentCreateSerializer, request)
        serializers.releases_of(data["service"].pk, data)
        incident = services.incident_create(
            by=request.user, source=Incident.Source.API, **data
        )
        body = serializers.IncidentSerializer(incident).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.IncidentChangeSerializer,
        responses={200: serializers.IncidentSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change an incident: its moments, severity, causing or fixing release."""
        incident = self.get_object()
        data = validated(serializers.IncidentChangeSerializer, request)
        serializers.releases_of(incident.service_id, data)
        incident = services.incident_update(incident=incident, by=request.user, **data)
        return Response(serializers.IncidentSerializer(incident).data)


def _production_release(service: Service, version: str, field: str) -> Release | None:
    if not version:
        return None
    releases = Release.objects.filter(service=service, version=version)
    release = (
        releases.filter(Q(environment__production=True)).order_by("-id").first()
        or releases.order_by("-id").first()
    )
    if release is None:
        raise ValidationError({field: [f"{service.name} has no release {version}."]})
    return release


class IncidentWebhookView(ThrottleFirstMixin, APIView):
    """POST /integrations/incidents/: an incident tool reports an incident.

    Authenticated by an API token of a member of the service's team (a bot
    user per team, "the team token"); the body is IncidentWebhookSerializer.
    The same `id` again updates the incident it created.
    """

    @extend_schema(
        request=serializers.IncidentWebhookSerializer,
        responses={
            201: serializers.IncidentSerializer,
            200: serializers.IncidentSerializer,
        },
        operation_id="integrations_incidents_report",
    )
    def post(self, request: Request) -> Response:
        data = validated(serializers.IncidentWebhookSerializer, request)
        teams = permissions.team_ids_for(request.user)
        services_ = Service.objects.select_related("team")
        if teams is not None:
            services_ = services_.filter(team_id__in=teams)
        service = services_.filter(slug=data.pop("service")).first()
        if service is None:
            raise ValidationError({"service": ["No such service of your teams."]})
        data["caused_by"] = _production_release(
            service, data.pop("caused_by_version", ""), "caused_by_version"
        )
        data["remediated_by"] = _production_release(
            service, data.pop("remediated_by_version", ""), "remediated_by_version"
        )
        incident, created = services.incident_report(
            service=service, external_id=data.pop("id"), by=request.user, **data
        )
        body = serializers.IncidentSerializer(incident).data
        return Response(body, status=201 if created else 200)
