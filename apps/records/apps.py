"""Records: the deployment record an auditor files, and bulk exports of the trail."""

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "apps.records"
    label = "records"
    verbose_name = "Deployment records"
