"""Sign-offs: role approvals and rejections of a release."""

from django.apps import AppConfig


class SignoffsConfig(AppConfig):
    name = "apps.signoffs"
    label = "signoffs"
    verbose_name = "Sign-offs"
