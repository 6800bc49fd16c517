"""Checklist templates over the API: list, read, import and export as Markdown."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts import permissions
from apps.checklists import services
from apps.checklists.api import serializers
from apps.checklists.filters import TemplateFilter
from apps.checklists.models import ChecklistTemplate
from config.api_support import ReadOnlyViewSet, validated


class TemplateViewSet(ReadOnlyViewSet):
    """Shared templates and those of the caller's teams."""

    serializer_class = serializers.TemplateSerializer
    filterset_class = TemplateFilter
    queryset = ChecklistTemplate.objects.none()

    def get_queryset(self) -> QuerySet[ChecklistTemplate]:
        teams = permissions.team_ids_for(self.request.user)
        templates = ChecklistTemplate.objects.order_by("name", "-version", "id")
        if teams is None:
            return templates
        return templates.filter(Q(team__isnull=True) | Q(team_id__in=teams))

    @extend_schema(
        request=serializers.TemplateImportSerializer,
        responses={201: serializers.TemplateSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_markdown(self, request: Request) -> Response:
        """Import Markdown as a new version (leads for a team; admins for shared)."""
        data = validated(serializers.TemplateImportSerializer, request)
        team = data["team"]
        if team is not None:
            permissions.require(request.user, "manage_templates", team)
        elif not request.user.is_superuser:
            raise PermissionDenied(
                "Only an administrator can import a template shared by every team; "
                "name your team."
            )
        template = services.template_import(
            source=data["source"], name=data["name"], team=team, by=request.user
        )
        body = serializers.TemplateSerializer(template).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: serializers.TemplateExportSerializer})
    @action(detail=True, methods=["get"], filterset_class=None)
    def export(self, request: Request, pk: str) -> Response:
        """The template printed as Markdown, which import reads back unchanged."""
        template = self.get_object()
        body = {
            "id": template.pk,
            "name": template.name,
            "version": template.version,
            "markdown": services.template_export(template),
        }
        return Response(serializers.TemplateExportSerializer(body).data)
