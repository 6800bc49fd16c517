"""The operator's model admins: superusers only, nothing deleted, every write audited.

Models that have a service write through it; plain models are saved by the form
and audited here. The admin site itself is apps.core.admin_mixins.OperatorAdminSite.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect

from apps.audit import services as audit
from apps.core.admin_mixins import error_text, is_operator


def team_id_of(obj: models.Model, path: str) -> int | None:
    """Follow `path` ("team_id", "service__team_id", "id") from obj to a team id."""
    if not path:
        return None
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part, None)
    return value if isinstance(value, int) else None


def audit_form_save(
    request: HttpRequest,
    obj: models.Model,
    form: forms.ModelForm,
    change: bool,
    *,
    team_path: str,
) -> None:
    """Write the audit event of a plain model the admin form just saved."""
    fields = list(form.changed_data)
    before = {f: str(form.initial.get(f)) for f in fields} if change else {}
    after = {f: str(form.cleaned_data.get(f)) for f in fields}
    audit.record(
        actor=request.user,
        action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
        target=obj,
        team_id=team_id_of(obj, team_path),
        before=before,
        after=after,
    )


# Django 6 makes https the default scheme of a typed address; do so already.
FIELD_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


class OperatorInline(admin.TabularInline):
    """An inline of the operator's admin: rows are never deleted from here."""

    extra = 0
    can_delete = False
    team_path = "team_id"
    formfield_overrides = FIELD_OVERRIDES

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        formset.team_path = self.team_path
        return formset


class OperatorAdmin(admin.ModelAdmin):
    """Superusers only; nothing is deleted here; plain saves are audited.

    `team_path` names the lookup from the model to its team id, for the event.
    Admins of models with services override `save_model` to call them.
    """

    team_path = "team_id"
    formfield_overrides = FIELD_OVERRIDES

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_operator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Plain models are saved by the form; the change is still audited."""
        super().save_model(request, obj, form, change)
        audit_form_save(request, obj, form, change, team_path=self.team_path)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """Inline rows of plain models: each one saved and audited on its own."""
        formset.new_objects, formset.changed_objects = [], []
        formset.deleted_objects = []
        for child in formset.forms:
            if not child.has_changed():
                continue
            existed = child.instance.pk is not None
            obj = child.save()
            audit_form_save(
                request,
                obj,
                child,
                existed,
                team_path=getattr(formset, "team_path", ""),
            )
            if existed:
                formset.changed_objects.append((obj, child.changed_data))
            else:
                formset.new_objects.append(obj)

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


class ReadOnlyAdmin(OperatorAdmin):
    """Rows written by services elsewhere: the operator reads them here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
