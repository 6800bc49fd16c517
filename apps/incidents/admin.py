"""Admin for incidents: the operator records and corrects them through the
incidents services, so the admin's writes are checked and audited as the page's,
the API's and the webhook's are. Nothing is deleted here."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.audit.admin_mixins import OperatorAdmin
from apps.incidents import services
from apps.incidents.models import Incident


@admin.register(Incident)
class IncidentAdmin(OperatorAdmin):
    list_display = [
        "title",
        "service",
        "severity",
        "user_facing",
        "started_at",
        "mitigated_at",
        "source",
    ]
    list_filter = ["severity", "source", "user_facing", "team"]
    search_fields = ["title", "external_id", "service__name"]
    date_hierarchy = "started_at"
    raw_id_fields = ["caused_by", "remediated_by"]
    list_select_related = ["service"]

    fields = ["service", *services.FIELDS]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # The service is chosen once (the team follows it), as on the page.
        return [] if obj is None else ["service"]

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data.get(name) for name in services.FIELDS}
        try:
            if change:
                services.incident_update(incident=obj, by=request.user, **data)
            else:
                created = services.incident_create(
                    service=form.cleaned_data["service"], by=request.user, **data
                )
                obj.pk = created.pk
            obj.refresh_from_db()
        except ValidationError as error:
            self.report(request, error)
