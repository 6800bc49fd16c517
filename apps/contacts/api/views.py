"""Contacts and support resources over the API, scoped to the caller's teams; leads
add, change and remove them through the contacts services."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.contacts import services
from apps.contacts.api import serializers
from apps.contacts.filters import ContactFilter, SupportResourceFilter
from apps.contacts.models import Contact, SupportResource
from apps.core.api import ViewSet, validated


class ContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Contacts of the caller's teams, in escalation order (leads write)."""

    serializer_class = serializers.ContactSerializer
    filterset_class = ContactFilter
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        teams = team_ids_for(self.request.user)
        contacts = Contact.objects.order_by("team_id", "escalation_order", "role", "id")
        return contacts if teams is None else contacts.filter(team_id__in=teams)

    @extend_schema(
        request=serializers.ContactCreateSerializer,
        responses={201: serializers.ContactSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add a contact of a team, or of one of its services."""
        data = validated(serializers.ContactCreateSerializer, request)
        contact = services.contact_create(by=request.user, **data)
        body = serializers.ContactSerializer(contact).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ContactChangeSerializer,
        responses={200: serializers.ContactSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a contact, its escalation order too."""
        contact = self.get_object()
        data = validated(serializers.ContactChangeSerializer, request)
        contact = services.contact_update(contact=contact, by=request.user, **data)
        return Response(serializers.ContactSerializer(contact).data)

    def perform_destroy(self, instance: Contact) -> None:
        services.contact_delete(contact=instance, by=self.request.user)


class SupportResourceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Support resources of the caller's teams (leads write)."""

    serializer_class = serializers.SupportResourceSerializer
    filterset_class = SupportResourceFilter
    queryset = SupportResource.objects.none()

    def get_queryset(self) -> QuerySet[SupportResource]:
        teams = team_ids_for(self.request.user)
        resources = SupportResource.objects.order_by("team_id", "kind", "label", "id")
        return resources if teams is None else resources.filter(team_id__in=teams)

    @extend_schema(
        request=serializers.SupportResourceCreateSerializer,
        responses={201: serializers.SupportResourceSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add a link of a team, or of one of its services."""
        data = validated(serializers.SupportResourceCreateSerializer, request)
        resource = services.support_resource_create(by=request.user, **data)
        body = serializers.SupportResourceSerializer(resource).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.SupportResourceChangeSerializer,
        responses={200: serializers.SupportResourceSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a support resource's kind, label, URL or service."""
        resource = self.get_object()
        data = validated(serializers.SupportResourceChangeSerializer, request)
        resource = services.support_resource_update(
            resource=resource, by=request.user, **data
        )
        return Response(serializers.SupportResourceSerializer(resource).data)

    def perform_destroy(self, instance: SupportResource) -> None:
        services.support_resource_delete(resource=instance, by=self.request.user)
