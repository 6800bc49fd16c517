"""Admin for services and environments (no service functions: saves are audited)."""

from django.contrib import admin

from apps.audit.admin_mixins import OperatorAdmin, OperatorInline
from apps.catalog.models import Environment, Service


class EnvironmentInline(OperatorInline):
    model = Environment
    fields = ["name", "base_url", "api_url", "k8s_namespace"]
    team_path = "service__team_id"


@admin.register(Service)
class ServiceAdmin(OperatorAdmin):
    list_display = ["name", "team", "slug", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [EnvironmentInline]


@admin.register(Environment)
class EnvironmentAdmin(OperatorAdmin):
    team_path = "service__team_id"
    list_display = ["name", "service", "base_url", "k8s_namespace"]
    list_filter = ["name", "service__team"]
    search_fields = ["name", "service__name", "base_url"]
