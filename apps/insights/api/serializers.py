"""The delivery metrics in the API: the query parameters and the answer's shape
(documentation for the OpenAPI schema; the numbers come from apps.insights.metrics)."""

from rest_framework import serializers

from apps.core.api import MAX_ID


class DeliveryQuerySerializer(serializers.Serializer):
    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    environment = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False
    )
    team = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    since = serializers.DateTimeField(
        required=False,
        help_text="Start of the period (ISO 8601; an offset is honoured). Default: "
        "26 weeks before the end of the current week, a Monday 00:00 UTC.",
    )
    until = serializers.DateTimeField(
        required=False, help_text="End of the period, excluded. Default: next Monday."
    )


class DeliveryRatio(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()


class DeliveryDistribution(serializers.Serializer):
    median = serializers.FloatField(allow_null=True)
    p75 = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    sample_size = serializers.IntegerField()


class DeliveryDeploymentFrequency(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Deploys per day.")
    unit = serializers.CharField()
    numerator = serializers.IntegerField(help_text="Successful production deploys.")
    denominator = serializers.FloatField(help_text="Days in the period.")
    sample_size = serializers.IntegerField()
    deployment_days_per_week = serializers.FloatField(allow_null=True)
    median_hours_between_deploys = serializers.FloatField(allow_null=True)
    not_succeeded = serializers.IntegerField(help_text="Failed or aborted deploys.")
    series = serializers.ListField(child=serializers.DictField())


class DeliveryFirstCommit(DeliveryDistribution):
    fallback = serializers.BooleanField()
    note = serializers.CharField()


class DeliveryLeadTime(DeliveryDistribution):
    value = serializers.FloatField(allow_null=True, help_text="Median, hours.")
    unit = serializers.CharField()
    first_commit = DeliveryFirstCommit()
    deploys_without_commits = serializers.IntegerField()
    series = serializers.ListField(child=serializers.DictField())


class DeliveryChangeFailRate(DeliveryRatio):
    sample_size = serializers.IntegerField()
    failed_because = serializers.DictField(child=serializers.IntegerField())
    series = serializers.ListField(child=serializers.DictField())


class DeliveryRecoveryTime(DeliveryDistribution):
    value = serializers.FloatField(allow_null=True, help_text="Median, hours.")
    unit = serializers.CharField()
    estimated = serializers.IntegerField(
        help_text="Recoveries timed from the deploy's finish (no incident start "
        "or verification failure known)."
    )
    unrecovered = serializers.IntegerField()
    series = serializers.ListField(child=serializers.DictField())


class DeliveryReworkRate(DeliveryRatio):
    sample_size = serializers.IntegerField()
    series = serializers.ListField(child=serializers.DictField())


class DeliveryReadiness(serializers.Serializer):
    created_to_ready = serializers.DictField()
    ready_to_deployed = serializers.DictField()
    signoff_latency = serializers.DictField(child=serializers.DictField())
    share = serializers.DictField(child=DeliveryRatio())
    verification_failure_rate = DeliveryRatio()
    longest_blocking_items = serializers.ListField(child=serializers.DictField())
    probe_flakiness = serializers.ListField(child=serializers.DictField())
    change_fail_rate_by_readiness = serializers.DictField(child=DeliveryRatio())


class DeliveryMetricsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    deployment_frequency = DeliveryDeploymentFrequency()
    change_lead_time = DeliveryLeadTime()
    change_fail_rate = DeliveryChangeFailRate()
    recovery_time = DeliveryRecoveryTime()
    rework_rate = DeliveryReworkRate()
    readiness = DeliveryReadiness()
    by_service = serializers.ListField(child=serializers.DictField())
    spread = serializers.DictField(child=serializers.DictField())
