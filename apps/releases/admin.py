"""Admin for releases: creation, transitions and ticking all go through services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.audit.admin_mixins import OperatorAdmin, OperatorInline
from apps.releases import services
from apps.releases.models import Release, ReleaseItem


class ReleaseItemInline(OperatorInline):
    model = ReleaseItem
    fields = [
        "phase_title",
        "section_title",
        "text",
        "required",
        "state",
        "note",
        "changed_by",
        "changed_at",
    ]
    readonly_fields = [
        "phase_title",
        "section_title",
        "text",
        "required",
        "changed_by",
        "changed_at",
    ]
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReleaseChangeForm(forms.ModelForm):
    """Status changes are requested here and carried out by release_transition."""

    target_status = forms.ChoiceField(
        choices=[("", "— keep —"), *Release.Status.choices], required=False
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    override = forms.BooleanField(required=False, help_text="Lead override.")

    class Meta:
        model = Release
        fields = []


@admin.register(Release)
class ReleaseAdmin(OperatorAdmin):
    list_display = [
        "version",
        "service",
        "environment",
        "status",
        "planned_for",
        "deployed_at",
        "created_by",
    ]
    list_filter = ["status", "environment__name", "service", "team"]
    search_fields = ["version", "service__name"]
    date_hierarchy = "created_at"
    list_select_related = ["service", "environment", "created_by"]
    inlines = [ReleaseItemInline]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = ReleaseChangeForm
            kwargs["fields"] = ["target_status", "reason", "override"]
        else:
            kwargs["fields"] = [
                "service",
                "environment",
                "template",
                "version",
                "planned_for",
                "notes",
            ]
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "service",
            "environment",
            "version",
            "template",
            "status",
            "planned_for",
            "deployed_at",
            "deployed_by",
            "rolled_back_at",
            "rolled_back_by",
            "cancelled_at",
            "cancelled_by",
            "notes",
            "deployment_notes",
            "status_reason",
            "override_status",
            "override_by",
            "override_at",
            "override_reason",
            "override_blockers",
        ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        return [
            (None, {"fields": self.get_readonly_fields(request, obj)}),
            ("Change status", {"fields": ["target_status", "reason", "override"]}),
        ]

    def save_model(self, request, obj, form, change) -> None:
        try:
            if not change:
                data = form.cleaned_data
                created = services.release_create(
                    service=data["service"],
                    environment=data["environment"],
                    template=data["template"],
                    version=data["version"],
                    planned_for=data.get("planned_for"),
                    notes=data.get("notes", ""),
                    by=request.user,
                )
                obj.pk = created.pk
                obj.refresh_from_db()
            elif form.cleaned_data.get("target_status"):
                services.release_transition(
                    release=obj,
                    target=form.cleaned_data["target_status"],
                    reason=form.cleaned_data.get("reason", ""),
                    override=form.cleaned_data.get("override", False),
                    by=request.user,
                )
        except ValidationError as error:
            self.report(request, error)

    def save_related(self, request, form, formsets, change) -> None:
        """Item states change through release_item_set_state, never the formset."""
        for formset in formsets:
            formset.new_objects, formset.deleted_objects = [], []
            formset.changed_objects = []
            for child in formset.forms:
                if getattr(request, "_service_error", False) or not change:
                    break
                if not child.has_changed() or not child.instance.pk:
                    continue
                try:
                    services.release_item_set_state(
                        item=ReleaseItem.objects.get(pk=child.instance.pk),
                        state=child.cleaned_data["state"],
                        note=child.cleaned_data.get("note", ""),
                        by=request.user,
                    )
                except ValidationError as error:
                    self.report(request, error)
