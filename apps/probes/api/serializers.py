"""Shapes of probe configurations, runs and results in the API.

A probe's secret is write-only: it is accepted on create and update, stored
encrypted by the service, and only `has_secret` is ever shown.
"""

from rest_framework import serializers

from apps.catalog.api.fields import environment_field
from apps.checklists.models import Severity
from apps.probes.models import KIND_CHOICES, ProbeConfig, ProbeResult, ProbeRun
from apps.probes.services import MAX_TIMEOUT, MIN_TIMEOUT
from apps.releases.api.fields import release_field


class ProbeConfigSerializer(serializers.ModelSerializer):
    has_secret = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProbeConfig
        fields = [
            "id",
            "environment",
            "name",
            "kind",
            "target",
            "options",
            "timeout",
            "enabled",
            "severity",
            "secret_env",
            "has_secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProbeConfigWriteSerializer(serializers.Serializer):
    environment = environment_field()
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    target = serializers.CharField(max_length=500)
    options = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True),
        required=False,
        default=dict,
    )
    timeout = serializers.FloatField(
        min_value=MIN_TIMEOUT, max_value=MAX_TIMEOUT, required=False, default=10.0
    )
    enabled = serializers.BooleanField(required=False, default=True)
    severity = serializers.ChoiceField(
        choices=Severity.choices,
        required=False,
        help_text="blocking or advisory (a failing advisory probe only warns); "
        "omit to keep the stored one (blocking for a new probe).",
    )
    secret = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        write_only=True,
        help_text="Omit or null to keep the stored secret; empty to remove it.",
    )
    secret_env = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="A worker variable set aside for probes: SHIPSHAPE_PROBE_SECRET_* "
        "or one listed in PROBE_SECRET_ENV_ALLOWED; any other name is refused.",
    )


class ProbeResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProbeResult
        fields = [
            "id",
            "run",
            "config",
            "name",
            "kind",
            "target",
            "status",
            "summary",
            "observed",
            "duration_ms",
            "created_at",
        ]
        read_only_fields = fields


class ProbeRunSerializer(serializers.ModelSerializer):
    results = ProbeResultSerializer(many=True, read_only=True)
    finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProbeRun
        fields = [
            "id",
            "release",
            "environment",
            "status",
            "finished",
            "created_at",
            "finished_at",
            "passed",
            "warned",
            "failed",
            "errored",
            "note",
            "results",
        ]
        read_only_fields = fields


class ProbeRunStartSerializer(serializers.Serializer):
    release = release_field()


class RunRefusedSerializer(serializers.Serializer):
    """Why no run starts: the release is no longer open (a 409)."""

    detail = serializers.CharField()


class ProbeTestResultSerializer(serializers.Serializer):
    """What one run of a probe found, not recorded."""

    status = serializers.CharField()
    summary = serializers.CharField()
    observed = serializers.DictField()
    duration_ms = serializers.FloatField()
