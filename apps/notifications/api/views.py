"""Webhooks over the API (list, add, change, remove, and read their delivery log),
and the caller's email preferences."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ThrottleFirstMixin, ViewSet, validated
from apps.core.api_defaults import PagePagination
from apps.notifications import mail, selectors, services
from apps.notifications.api import serializers
from apps.notifications.models import (
    EMAIL_EVENTS,
    EmailPreference,
    Webhook,
    WebhookDelivery,
)


class WebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Webhooks of the teams the caller leads."""

    serializer_class = serializers.WebhookSerializer
    queryset = Webhook.objects.none()

    def get_queryset(self) -> QuerySet[Webhook]:
        return selectors.webhook_list_for_user(self.request.user)

    @extend_schema(
        request=serializers.WebhookCreateSerializer,
        responses={201: serializers.WebhookCreatedSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add a webhook; the answer holds its signing secret, shown only once."""
        data = validated(serializers.WebhookCreateSerializer, request)
        webhook, secret = services.webhook_create(
            team=data["team"],
            name=data["name"],
            url=data["url"],
            events=data["events"],
            slack=data["slack"],
            secret=data["secret"],
            by=request.user,
        )
        body = serializers.WebhookSerializer(webhook).data
        return Response({**body, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.WebhookChangeSerializer,
        responses={200: serializers.WebhookSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the webhook's name, URL, events or body shape, or pause it."""
        webhook = self.get_object()
        data = validated(serializers.WebhookChangeSerializer, request)
        webhook = services.webhook_update(webhook=webhook, by=request.user, **data)
        return Response(serializers.WebhookSerializer(webhook).data)

    def perform_destroy(self, instance: Webhook) -> None:
        services.webhook_delete(webhook=instance, by=self.request.user)

    @extend_schema(responses={200: serializers.WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=PagePagination)
    def deliveries(self, request: Request, pk: str) -> Response:
        """Every delivery attempt of the webhook, newest first."""
        webhook = self.get_object()
        page = self.paginate_queryset(selectors.deliveries_for_webhook(webhook))
        data = serializers.WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(data)


class EmailPreferenceView(ThrottleFirstMixin, APIView):
    """The caller's own email preferences, as on the email preferences page."""

    @extend_schema(responses={200: serializers.EmailPreferenceSerializer})
    def get(self, request: Request) -> Response:
        """Which events reach the caller by email (every one until chosen)."""
        preference = EmailPreference.objects.filter(user=request.user).first()
        body = {
            "events": preference.events if preference else list(EMAIL_EVENTS),
            "digest": preference.digest if preference else False,
        }
        return Response(serializers.EmailPreferenceSerializer(body).data)

    @extend_schema(
        request=serializers.EmailPreferenceSerializer,
        responses={200: serializers.EmailPreferenceSerializer},
    )
    def put(self, request: Request) -> Response:
        """Choose the events that reach the caller by email, and the digest."""
        data = validated(serializers.EmailPreferenceSerializer, request)
        preference = mail.email_preference_save(
            user=request.user,
            events=data["events"],
            digest=data["digest"],
            by=request.user,
        )
        body = {"events": preference.events, "digest": preference.digest}
        return Response(serializers.EmailPreferenceSerializer(body).data)


class WebhookDeliveryViewSet(ViewSet):
    """Delivery attempts of the caller's teams' webhooks; one that gave up is resent."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = serializers.WebhookDeliverySerializer

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return selectors.delivery_attempts_for_user(self.request.user)

    @extend_schema(request=None, responses={201: serializers.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str) -> Response:
        """A new attempt of a delivery that gave up: the same body and ids."""
        row = services.webhook_delivery_resend(
            attempt=self.get_object(), by=request.user
        )
        body = serializers.WebhookDeliverySerializer(row).data
        return Response(body, status=status.HTTP_201_CREATED)
