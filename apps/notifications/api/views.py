"""Webhooks over the API: list, add and remove them, and read their delivery log."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import ViewSet, validated
from apps.core.api_defaults import PagePagination
from apps.notifications import selectors, services
from apps.notifications.api import serializers
from apps.notifications.models import Webhook


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
