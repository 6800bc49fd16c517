"""Admin for services and environments."""

from django.contrib import admin

from apps.catalog.models import Environment, Service
from apps.core.admin_mixins import TeamScopedAdmin


class EnvironmentInline(admin.TabularInline):
    model = Environment
    extra = 0
    fields = ["name", "base_url", "api_url", "k8s_namespace"]


@admin.register(Service)
class ServiceAdmin(TeamScopedAdmin):
    write_action = "manage_probes"
    list_display = ["name", "team", "slug", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [EnvironmentInline]


@admin.register(Environment)
class EnvironmentAdmin(TeamScopedAdmin):
    team_path = "service__team_id"
    write_action = "manage_probes"
    list_display = ["name", "service", "base_url", "k8s_namespace"]
    list_filter = ["name", "service__team"]
    search_fields = ["name", "service__name", "base_url"]
