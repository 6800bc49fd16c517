"""Admin for sign-offs: recorded through signoff_record, never edited."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.audit.admin_mixins import OperatorAdmin
from apps.signoffs import services
from apps.signoffs.models import SignOff


class SignOffForm(forms.ModelForm):
    class Meta:
        model = SignOff
        fields = ["release", "role_key", "decision", "comment"]


@admin.register(SignOff)
class SignOffAdmin(OperatorAdmin):
    team_path = "release__team_id"
    form = SignOffForm
    list_display = ["release", "role_name", "decision", "user", "created_at"]
    list_filter = ["decision", "role_key"]
    search_fields = ["release__version", "user__username", "comment"]
    list_select_related = [
        "release",
        "release__service",
        "release__environment",
        "user",
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        try:
            created = services.signoff_record(
                release=form.cleaned_data["release"],
                role_key=form.cleaned_data["role_key"],
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data.get("comment", ""),
                by=request.user,
            )
            obj.pk = created.pk
            obj.refresh_from_db()
        except ValidationError as error:
            self.report(request, error)
