"""Admin for users, teams and memberships (superusers only).

Team creation and membership changes go through the services; a team's rename
and every change to a user account are audited here. Groups are not offered:
Shipshape's permissions are team roles, so a group would grant nothing.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts import services
from apps.accounts.models import Membership, OidcIdentity, Team
from apps.audit import services as audit
from apps.audit.admin_mixins import (
    OperatorAdmin,
    OperatorInline,
    ReadOnlyAdmin,
    audit_form_save,
)
from apps.core.admin_mixins import is_operator

admin.site.unregister(Group)
admin.site.unregister(User)


class MembershipInline(OperatorInline):
    model = Membership
    fields = ["user", "role", "source"]
    readonly_fields = ["source"]
    autocomplete_fields = ["user"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_operator(request.user)


@admin.register(Team)
class TeamAdmin(OperatorAdmin):
    team_path = "id"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_fields(self, request, obj=None):
        # A new team's slug is made from its name by team_create.
        return ["name"] if obj is None else ["name", "slug"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = services.team_create(
                name=form.cleaned_data["name"], by=request.user
            )
        except ValidationError as error:
            self.report(request, error)
            return
        obj.pk, obj.slug, obj.created_at = created.pk, created.slug, created.created_at

    def save_formset(self, request, form, formset, change) -> None:
        formset.new_objects, formset.changed_objects = [], []
        formset.deleted_objects = []
        if getattr(request, "_service_error", False):
            return
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
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "team", "role", "source", "updated_at"]
    list_filter = ["role", "source", "team"]
    search_fields = ["user__username", "team__name"]
    readonly_fields = ["team", "user", "role", "source"]


@admin.register(OidcIdentity)
class OidcIdentityAdmin(ReadOnlyAdmin):
    """Who signs in through which provider; written only by signing in."""

    team_path = ""
    list_display = ["user", "issuer", "subject", "last_sign_in_at"]
    search_fields = ["user__username", "subject"]
    readonly_fields = ["user", "issuer", "subject", "groups", "last_sign_in_at"]


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin for superusers: every change audited, nothing deleted.

    Deactivate an account instead of deleting it: its audit events keep their actor.
    """

    def has_module_permission(self, request) -> bool:
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_operator(request.user)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit_form_save(request, obj, form, change, team_path="")

    def user_change_password(self, request, id, form_url=""):
        # The new password and its event commit together (log_change below).
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        match = request.resolver_match
        if match and match.url_name == "auth_user_password_change":
            audit.record(
                actor=request.user,
                action="user.password_changed",
                target=obj,
                after={"usable_password": obj.has_usable_password()},
            )
        return super().log_change(request, obj, message)
