"""Releases over the API: list, read, create, update, transition and items.

Their readiness is served by apps.readiness (GET /api/v1/releases/{id}/readiness/)."""

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.sso import stepup
from apps.checklists import selectors as checklist_selectors
from apps.checklists import services as checklist_services
from apps.core import caching
from apps.core.api import ViewSet, validated
from apps.releases import selectors, services, stamps
from apps.releases.api import serializers
from apps.releases.filters import ReleaseFilter
from apps.releases.models import Release, ReleaseItem


class ReleaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Releases of the caller's teams; another team's release is a 404."""

    serializer_class = serializers.ReleaseSerializer
    filterset_class = ReleaseFilter
    queryset = Release.objects.none()

    def get_queryset(self) -> QuerySet[Release]:
        return (
            selectors.release_list_for_user(self.request.user)
            .select_related("override_by", "rolled_back_by")
            .prefetch_related("commits")
            .order_by("-created_at", "-id")
        )

    def get_object(self) -> Release:
        return selectors.release_get_for_user(self.request.user, self.kwargs["pk"])

    def list(self, request: Request) -> HttpResponse:
        """Releases, newest first, 50 to a page; filters as query parameters.

        The page is cached per caller, address and a summary of every release,
        service and environment the caller may see (one small query; any
        change to them changes it), and carries an ETag.
        """
        stamp = stamps.visible_releases(request.user)
        key = caching.fragment_key(
            "release-list", request.user.pk, request.build_absolute_uri(), stamp
        )
        return caching.cached_json(
            request, key, lambda: super(ReleaseViewSet, self).list(request).data
        )

    @extend_schema(
        request=serializers.ReleaseUpdateSerializer,
        responses={200: serializers.ReleaseSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the planned date or notes of an open release (leads)."""
        release = self.get_object()
        data = validated(serializers.ReleaseUpdateSerializer, request)
        services.release_update(release=release, by=request.user, **data)
        release = selectors.release_get_for_user(request.user, release.pk)
        return Response(serializers.ReleaseSerializer(release).data)

    @extend_schema(
        request=serializers.ReleaseCreateSerializer,
        responses={201: serializers.ReleaseSerializer},
    )
    def create(self, request: Request) -> Response:
        """Create a release with its checklist snapshot (leads), and start it."""
        data = validated(serializers.ReleaseCreateSerializer, request)
        template = (
            data.get("template")
            or checklist_selectors.template_default_for_team(data["service"].team_id)
            or checklist_services.template_ensure_default()
        )
        release = services.release_create(
            service=data["service"],
            environment=data["environment"],
            template=template,
            version=data["version"],
            planned_for=data.get("planned_for"),
            notes=data["notes"],
            start=data["start"],
            kind=data["kind"],
            commits=data["commits"],
            remediates=data.get("remediates"),
            by=request.user,
        )
        release = selectors.release_get_for_user(request.user, release.pk)
        body = serializers.ReleaseSerializer(release).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.TransitionSerializer,
        responses={200: serializers.ReleaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the release to another status, under the lifecycle rules (leads)."""
        release = self.get_object()
        data = validated(serializers.TransitionSerializer, request)
        if data["override"]:
            stepup.require_fresh(request)
        rolled_back_to = _restored(release, data.get("rolled_back_to"))
        services.release_transition(
            release=release,
            target=data["status"],
            reason=data["reason"],
            override=data["override"],
            notes=data["notes"],
            rolled_back_to=rolled_back_to,
            by=request.user,
        )
        release = selectors.release_get_for_user(request.user, release.pk)
        return Response(serializers.ReleaseSerializer(release).data)

    @extend_schema(
        request=serializers.DeliverySerializer,
        responses={200: serializers.ReleaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def delivery(self, request: Request, pk: str) -> Response:
        """Record the release's delivery facts (leads): kind, the release it
        remediates, deploy result and finish, the commits it carries."""
        release = self.get_object()
        data = validated(serializers.DeliverySerializer, request)
        if data.get("remediates") is not None:
            data["remediates"] = serializers.release_of(
                release.service_id, data["remediates"]
            )
        if "rolled_back_to" in data:
            data["rolled_back_to"] = _restored(release, data["rolled_back_to"])
        services.release_delivery_record(release=release, by=request.user, **data)
        release = selectors.release_get_for_user(request.user, release.pk)
        return Response(serializers.ReleaseSerializer(release).data)

    @extend_schema(responses={200: serializers.ReleaseItemSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def items(self, request: Request, pk: str) -> Response:
        """The release's checklist, in order."""
        release = self.get_object()
        items = release.items.select_related("changed_by").order_by("position")
        return Response(serializers.ReleaseItemSerializer(items, many=True).data)


def _restored(release: Release, pk: int | None) -> Release | None:
    """The release of the same environment a rollback restored, by id."""
    if pk is None:
        return None
    restored = Release.objects.filter(
        environment_id=release.environment_id, pk=pk
    ).first()
    if restored is None:
        raise ValidationError(
            {"rolled_back_to": ["No such release of the environment."]}
        )
    return restored


class ReleaseItemViewSet(mixins.RetrieveModelMixin, ViewSet):
    """One checklist item of a release, and changing its state."""

    serializer_class = serializers.ReleaseItemSerializer
    queryset = ReleaseItem.objects.none()

    def get_object(self) -> ReleaseItem:
        return selectors.release_item_get_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=serializers.ItemStateSerializer,
        responses={200: serializers.ReleaseItemSerializer},
    )
    @action(detail=True, methods=["post"])
    def state(self, request: Request, pk: str) -> Response:
        """Tick, untick, set n/a or block the item; n/a and blocked need a note."""
        item = self.get_object()
        release = item.release
        data = validated(serializers.ItemStateSerializer, request)
        item = services.release_item_set_state(
            item=item, state=data["state"], note=data["note"], by=request.user
        )
        item.release = release  # already loaded by the selector, status unchanged
        return Response(serializers.ReleaseItemSerializer(item).data)
