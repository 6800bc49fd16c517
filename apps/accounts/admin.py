"""Admin for teams and memberships; membership changes go through services."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.accounts import services
from apps.accounts.models import Membership, Team
from apps.core.admin_mixins import TeamScopedAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    team_path = "id"
    write_action = "manage_members"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change) -> None:
        try:
            for deleted in formset.deleted_forms:
                if deleted.instance.pk:
                    services.membership_remove(
                        membership=deleted.instance, by=request.user
                    )
            for child in formset.forms:
                if child in formset.deleted_forms or not child.has_changed():
                    continue
                data = child.cleaned_data
                if data.get("user") and data.get("role"):
                    services.membership_set(
                        team=form.instance,
                        user=data["user"],
                        role=data["role"],
                        by=request.user,
                    )
        except ValidationError as error:
            self.report(request, error)


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    write_action = "manage_members"
    list_display = ["user", "team", "role", "updated_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    readonly_fields = ["team", "user", "role"]

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
