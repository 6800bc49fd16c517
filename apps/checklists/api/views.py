"""Checklist templates over the API (list, read, import and export as Markdown,
change sign-off options), and who may sign each sign-off role of a team."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts import permissions
from apps.accounts.models import SignOffGroup, Team
from apps.checklists import selectors, services
from apps.checklists.api import serializers
from apps.checklists.filters import TemplateFilter
from apps.checklists.models import ChecklistTemplate
from apps.core.api import ReadOnlyViewSet, ThrottleFirstMixin, validated


class TemplateViewSet(ReadOnlyViewSet):
    """Shared templates and those of the caller's teams."""

    serializer_class = serializers.TemplateSerializer
    filterset_class = TemplateFilter
    queryset = ChecklistTemplate.objects.none()

    def get_queryset(self) -> QuerySet[ChecklistTemplate]:
        return selectors.template_list_for_user(self.request.user).order_by(
            "name", "-version", "id"
        )

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

    @extend_schema(
        request=serializers.TemplateOptionsSerializer,
        responses={200: serializers.TemplateSerializer},
    )
    # Not named `options`: that is the viewset's handler of HTTP OPTIONS.
    @action(
        detail=True,
        methods=["post"],
        filterset_class=None,
        url_path="options",
        url_name="options",
    )
    def change_options(self, request: Request, pk: str) -> Response:
        """Change who may approve releases of this template. The owner changes it
        in place; anyone else names their team and gets its own version (201)."""
        template = self.get_object()
        if not (
            selectors.template_owned_by(template, request.user)
            or selectors.template_teams_managed_by(request.user).exists()
        ):
            raise PermissionDenied("Only a team lead can change template options.")
        data = validated(serializers.TemplateOptionsSerializer, request)
        team = data.pop("team")
        options = {
            option: data[option] for option in services.OPTIONS if option in data
        }
        advisory = data.get("advisory_items")
        change = services.template_change(
            template=template,
            by=request.user,
            team=team,
            options=options,
            advisory_items=None if advisory is None else set(advisory),
        )
        body = serializers.TemplateSerializer(change.template).data
        if change.copied_from is not None:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body)


def _eligibility_rows(team: Team) -> list[dict]:
    signers = selectors.signers_for_team(team.pk)
    rows = []
    for role in selectors.signoff_roles_for_team(team):
        rule = selectors.signers_for_role(signers, role["key"])
        rows.append(
            {
                "team": team.pk,
                "role_key": role["key"],
                "role_name": role["name"],
                "anyone": rule.anyone,
                "who": rule.describe(),
                "team_roles": sorted(rule.team_roles),
                "users": [username for _, username in rule.users],
                "groups": [group_id for group_id, _, _ in rule.groups],
            }
        )
    return rows


class SignOffEligibilityViewSet(ThrottleFirstMixin, viewsets.ViewSet):
    """Who may sign each sign-off role of the caller's teams (`?team=` for one)."""

    @extend_schema(
        parameters=[OpenApiParameter("team", int, required=False)],
        responses={200: serializers.SignOffEligibilitySerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        """Every role of the templates each team uses, configured or open."""
        team_id = request.query_params.get("team")
        teams = selectors.teams_for_user(request.user)
        if team_id is not None:
            if not team_id.isdigit() or len(team_id) > 18:
                raise ValidationError({"team": "Give a team id."})
            teams = teams.filter(pk=int(team_id))
        rows = [row for team in teams for row in _eligibility_rows(team)]
        return Response(serializers.SignOffEligibilitySerializer(rows, many=True).data)

    @extend_schema(
        request=serializers.SignOffEligibilitySetSerializer,
        responses={200: serializers.SignOffEligibilitySerializer},
    )
    def create(self, request: Request) -> Response:
        """Choose who may sign one role of a team (leads and admins)."""
        data = validated(serializers.SignOffEligibilitySetSerializer, request)
        team = data["team"]
        permissions.require(request.user, "manage_signers", team)
        users = list(User.objects.filter(username__in=data["users"]))
        missing = set(data["users"]) - {user.username for user in users}
        if missing:
            raise ValidationError({"users": f"No such users: {sorted(missing)}."})
        groups = list(SignOffGroup.objects.filter(pk__in=data["groups"], team=team))
        if len(groups) != len(set(data["groups"])):
            raise ValidationError({"groups": f"Choose sign-off groups of {team}."})
        services.signoff_eligibility_set(
            team=team,
            role_key=data["role_key"],
            team_roles=data["team_roles"],
            users=users,
            groups=groups,
            by=request.user,
        )
        row = next(
            row
            for row in _eligibility_rows(team)
            if row["role_key"] == data["role_key"]
        )
        return Response(serializers.SignOffEligibilitySerializer(row).data)
