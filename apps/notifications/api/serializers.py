"""Shapes of webhooks and their delivery log in the API. Secrets are write-only."""

from rest_framework import serializers

from apps.accounts.api.fields import team_field
from apps.notifications.models import EMAIL_EVENTS, EVENTS, Webhook, WebhookDelivery


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS))

    class Meta:
        model = Webhook
        fields = [
            "id",
            "team",
            "name",
            "url",
            "events",
            "slack",
            "active",
            "created_at",
        ]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    team = team_field()
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS), min_length=1, max_length=20
    )
    slack = serializers.BooleanField(required=False, default=False)
    secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="Leave empty to have one generated; it is shown only in the answer.",
    )


class WebhookChangeSerializer(serializers.Serializer):
    """What PATCH may change; fields left out keep their value (the secret stays)."""

    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS),
        min_length=1,
        max_length=20,
        required=False,
    )
    slack = serializers.BooleanField(required=False)
    active = serializers.BooleanField(
        required=False, help_text="false pauses it: no new deliveries, no retries."
    )


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Shown only now; store it.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event",
            "attempt",
            "status",
            "response_status",
            "error",
            "duration_ms",
            "created_at",
            "scheduled_for",
            "finished_at",
        ]
        read_only_fields = fields


class EmailPreferenceSerializer(serializers.Serializer):
    """Which events reach the caller by email, and whether as one daily digest."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EMAIL_EVENTS), max_length=50
    )
    digest = serializers.BooleanField()
