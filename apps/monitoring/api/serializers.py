"""Probe schedules over the API."""

from rest_framework import serializers

from apps.monitoring.models import ProbeSchedule
from apps.monitoring.services import MAX_INTERVAL_MINUTES


class ProbeScheduleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProbeSchedule
        fields = [
            "config",
            "kind",
            "interval_seconds",
            "at_time",
            "cron",
            "time_zone",
            "enabled",
            "next_run_at",
            "last_run_at",
            "last_status",
        ]
        read_only_fields = fields


class ProbeScheduleWriteSerializer(serializers.Serializer):
    """Every N minutes, daily at a time, or a cron expression, in a time zone."""

    kind = serializers.ChoiceField(choices=ProbeSchedule.Kind.choices)
    interval_minutes = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_INTERVAL_MINUTES,
    )
    at_time = serializers.TimeField(required=False, allow_null=True)
    cron_expression = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default=""
    )
    time_zone = serializers.CharField(required=False, max_length=60, default="UTC")
    enabled = serializers.BooleanField(required=False, default=True)
