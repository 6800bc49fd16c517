"""Admin integration: team scoping by role, and service errors shown as messages."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect

from apps.accounts import permissions


def error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(f"{' '.join(msgs)}" for msgs in error.message_dict.values())
    return " ".join(error.messages)


class TeamScopedAdmin(admin.ModelAdmin):
    """Shows only the user's teams' rows; writes follow the team role table.

    `team_path` names the lookup from the model to its team id. Models whose
    writes go through services set `write_action` to the permission they need.
    """

    team_path = "team_id"
    write_action = "manage_templates"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        teams = permissions.team_ids_for(request.user)
        if teams is None:
            return queryset
        return queryset.filter(**{f"{self.team_path}__in": teams})

    def _team_of(self, obj):
        from apps.accounts.models import Team

        team_id = obj
        for part in self.team_path.removesuffix("_id").split("__"):
            team_id = getattr(team_id, part, None)
        return team_id if isinstance(team_id, Team) else None

    def _any_team_allows(self, request: HttpRequest, action: str) -> bool:
        if request.user.is_superuser:
            return True
        from apps.accounts.models import Team

        teams = permissions.team_ids_for(request.user) or []
        return any(permissions.can(request.user, action, Team(pk=pk)) for pk in teams)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._any_team_allows(request, self.write_action)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return self._any_team_allows(request, self.write_action)
        team = self._team_of(obj)
        return (
            team is not None
            and permissions.can(request.user, self.write_action, team)
            or request.user.is_superuser
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Plain models are saved by the form; the change is still audited."""
        from apps.audit import services as audit

        fields = list(form.changed_data)
        before = {f: form.initial.get(f) for f in fields} if change else {}
        super().save_model(request, obj, form, change)
        after = {f: form.cleaned_data.get(f) for f in fields}
        team = self._team_of(obj)
        audit.record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
            target=obj,
            team_id=team.pk if team else None,
            before={k: str(v) for k, v in before.items()},
            after={k: str(v) for k, v in after.items()},
        )

    def report(self, request: HttpRequest, error: ValidationError) -> None:
        request._service_error = True
        messages.error(request, error_text(error))

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if getattr(request, "_service_error", False) and level == messages.SUCCESS:
            return
        super().message_user(request, message, level, *args, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_service_error", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)
