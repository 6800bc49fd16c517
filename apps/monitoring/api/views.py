"""Probe schedules over the API: one per probe configuration, addressed by its id."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.core.api import ViewSet, validated
from apps.monitoring import services
from apps.monitoring.api import serializers
from apps.monitoring.models import ProbeSchedule
from apps.probes.selectors import config_get_for_user


class ProbeScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Schedules of the caller's teams' probes; PUT creates or changes one (leads).

    Schedules are data: a change applies from the dispatcher's next pass, with no
    restart of workers or beat.
    """

    serializer_class = serializers.ProbeScheduleSerializer
    queryset = ProbeSchedule.objects.none()
    lookup_field = "config"

    def get_queryset(self) -> QuerySet[ProbeSchedule]:
        teams = team_ids_for(self.request.user)
        schedules = ProbeSchedule.objects.order_by("config_id")
        if teams is None:
            return schedules
        return schedules.filter(config__environment__service__team_id__in=teams)

    @extend_schema(
        request=serializers.ProbeScheduleWriteSerializer,
        responses={200: serializers.ProbeScheduleSerializer},
    )
    def update(self, request: Request, config: str) -> Response:
        """Set the probe's schedule (created when it has none)."""
        probe = config_get_for_user(request.user, config)
        data = validated(serializers.ProbeScheduleWriteSerializer, request)
        schedule = services.probe_schedule_save(config=probe, by=request.user, **data)
        return Response(serializers.ProbeScheduleSerializer(schedule).data)
