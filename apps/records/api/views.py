"""The audit trail over the API: a filtered list, newest first (leads, auditors).

Reading the trail by team is records' job; apps.audit keeps the chain."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework import mixins, pagination

from apps.accounts import permissions
from apps.accounts.models import Membership
from apps.audit import selectors as audit_selectors
from apps.audit.models import AuditEvent
from apps.core.api import ViewSet
from apps.records import selectors
from apps.records.api import serializers
from apps.records.filters import AuditEventFilter


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
