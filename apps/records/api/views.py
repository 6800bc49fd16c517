"""The audit trail over the API: a filtered list, newest first (leads, auditors);
and what is deployed where, for every member.

Reading the trail by team is records' job; apps.audit keeps the chain."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework import mixins, pagination
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts import permissions
from apps.accounts.models import Membership
from apps.audit import selectors as audit_selectors
from apps.audit.models import AuditEvent
from apps.catalog.models import Environment
from apps.core.api import ViewSet
from apps.records import deployments, selectors
from apps.records.api import serializers
from apps.records.filters import AuditEventFilter, DeploymentFilter


class AuditCursorPagination(pagination.CursorPagination):
    ordering = "-seq"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class AuditEventViewSet(mixins.ListModelMixin, ViewSet):
    """Events of the teams in which the caller may read the audit trail."""

    serializer_class = serializers.AuditEventSerializer
    filterset_class = AuditEventFilter
    pagination_class = AuditCursorPagination
    queryset = AuditEvent.objects.none()

    def get_queryset(self) -> QuerySet[AuditEvent]:
        user = self.request.user
        events = selectors.audit_event_list_for_user(user)
        if user.is_superuser:
            return events
        teams = Membership.objects.filter(
            user=user, role__in=permissions.ACTIONS["view_audit"]
        ).values_list("team_id", flat=True)
        teams = list(teams)
        if not teams:
            raise PermissionDenied("Only leads and auditors can read the audit trail.")
        return events.filter(audit_selectors.audit_scope(teams))


class DeploymentViewSet(mixins.ListModelMixin, ViewSet):
    """Each environment of the caller's teams and the release deployed there now:
    the grid of the "What's deployed where" page, read-only."""

    serializer_class = serializers.DeploymentCellSerializer
    filterset_class = DeploymentFilter
    queryset = Environment.objects.none()

    def get_queryset(self) -> QuerySet[Environment]:
        return deployments.environment_list_for_user(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        environments = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(environments)
        cells = deployments.cells(list(page))
        data = self.get_serializer(cells, many=True).data
        return self.get_paginated_response(data)
