"""Releases: a release, its checklist snapshot, lifecycle and readiness."""

from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "apps.releases"
    label = "releases"
    verbose_name = "Releases"
