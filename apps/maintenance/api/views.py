"""Maintenance over the API: an environment's plan (addressed by the environment's
id), its checklists, and the state of each check, written through the same
services as the maintenance page."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.permissions import team_ids_for
from apps.catalog.selectors import environment_get_for_user
from apps.core.api import ViewSet, validated
from apps.maintenance import selectors, services
from apps.maintenance.api import serializers
from apps.maintenance.filters import ChecklistFilter
from apps.maintenance.models import (
    MaintenanceChecklist,
    MaintenanceItem,
    MaintenancePlan,
)


class PlanViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Maintenance plans of the caller's teams' environments; PUT sets one and
    DELETE removes one whose checklists record no work (leads)."""

    serializer_class = serializers.MaintenancePlanSerializer
    queryset = MaintenancePlan.objects.none()
    lookup_field = "environment"

    def get_queryset(self) -> QuerySet[MaintenancePlan]:
        teams = team_ids_for(self.request.user)
        plans = MaintenancePlan.objects.select_related("assignee").order_by(
            "environment_id"
        )
        if teams is None:
            return plans
        return plans.filter(environment__service__team_id__in=teams)

    @extend_schema(
        request=serializers.MaintenancePlanWriteSerializer,
        responses={200: serializers.MaintenancePlanSerializer},
    )
    def update(self, request: Request, environment: str) -> Response:
        """Start (or change) the environment's recurring maintenance; its first
        checklists are created at once, as on the maintenance page."""
        place = environment_get_for_user(request.user, environment)
        team = place.service.team
        data = validated(serializers.MaintenancePlanWriteSerializer, request)
        assignee = None
        if data["assignee"] is not None:
            assignee = User.objects.filter(
                username=data["assignee"], memberships__team=team
            ).first()
            if assignee is None:
                raise ValidationError({"assignee": "Choose a member of the team."})
        plan = services.maintenance_plan_save(
            environment=place,
            template=selectors.maintenance_template_for(team, data["template"]),
            time_zone=data["time_zone"],
            assignee=assignee,
            enabled=data["enabled"],
            by=request.user,
        )
        services.maintenance_checklists_create_due()
        return Response(serializers.MaintenancePlanSerializer(plan).data)

    def perform_destroy(self, instance: MaintenancePlan) -> None:
        services.maintenance_plan_delete(plan=instance, by=self.request.user)


class ChecklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ViewSet):
    """Maintenance checklists of the caller's teams, newest first, with checks."""

    serializer_class = serializers.MaintenanceChecklistSerializer
    filterset_class = ChecklistFilter
    queryset = MaintenanceChecklist.objects.none()

    def get_queryset(self) -> QuerySet[MaintenanceChecklist]:
        teams = team_ids_for(self.request.user)
        items = MaintenanceItem.objects.select_related("changed_by")
        checklists = (
            MaintenanceChecklist.objects.select_related("plan", "assignee")
            .prefetch_related(Prefetch("items", queryset=items))
            .order_by("-due_at", "cadence", "id")
        )
        if teams is None:
            return checklists
        return checklists.filter(plan__environment__service__team_id__in=teams)


class ItemViewSet(mixins.RetrieveModelMixin, ViewSet):
    """One check of a maintenance checklist; engineers and leads set its state."""

    serializer_class = serializers.MaintenanceItemSerializer
    queryset = MaintenanceItem.objects.none()

    def get_queryset(self) -> QuerySet[MaintenanceItem]:
        teams = team_ids_for(self.request.user)
        items = MaintenanceItem.objects.select_related("changed_by")
        if teams is None:
            return items
        return items.filter(checklist__plan__environment__service__team_id__in=teams)

    @extend_schema(
        request=serializers.MaintenanceItemStateSerializer,
        responses={200: serializers.MaintenanceItemSerializer},
    )
    @action(detail=True, methods=["post"])
    def state(self, request: Request, pk: str) -> Response:
        """Mark the check done, skipped (with a note) or open again."""
        item = self.get_object()
        data = validated(serializers.MaintenanceItemStateSerializer, request)
        item = services.maintenance_item_set_state(item=item, by=request.user, **data)
        return Response(serializers.MaintenanceItemSerializer(item).data)
