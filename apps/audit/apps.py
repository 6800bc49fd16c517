"""Audit: the append-only record of every state change."""

from django.apps import AppConfig

from apps.core import metrics


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        # The one use of signals: Django's own auth views emit these, and no
        # service of ours sits between the user and a sign-in.
        from django.contrib.auth import signals

        from apps.audit import signin
        from apps.audit.metrics import AuditChainCollector  # reads models

        signals.user_logged_in.connect(signin.signed_in, dispatch_uid="audit-in")
        signals.user_logged_out.connect(signin.signed_out, dispatch_uid="audit-out")
        signals.user_login_failed.connect(
            signin.sign_in_failed, dispatch_uid="audit-failed"
        )
        metrics.register(AuditChainCollector())
