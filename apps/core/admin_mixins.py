"""The Django admin as an operator's tool: superusers only.

Team members do everything in the pages, where each read and write is scoped to
their teams. The admin sees every team's rows, so the site itself refuses anyone
but an active staff superuser before any admin view runs (`OperatorAdminSite`,
installed by `apps.core.apps.OperatorAdminConfig`). The model admins, which
audit every write, are in apps.audit.admin_mixins.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def is_operator(user: Any) -> bool:
    """Whether the user may use the admin: an active staff superuser."""
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.is_superuser
    )


class OperatorLoginForm(AdminAuthenticationForm):
    """The admin's sign-in: a staff account that is not a superuser is refused too."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class OperatorAdminSite(admin.AdminSite):
    """Every admin URL but sign-in and sign-out sends others to sign in."""

    login_form = OperatorLoginForm
    site_header = "Shipshape operations"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user)


def error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(f"{' '.join(msgs)}" for msgs in error.message_dict.values())
    return " ".join(error.messages)
