"""Audit: the append-only record of every state change."""

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from apps.core import metrics


def ensure_head(sender, using: str, **kwargs) -> None:
    """Keep the chain's head row in place after every migrate and flush.

    An append locks it (apps.audit.services): on PostgreSQL, in the statement
    that appends, which cannot create it first for a writer that then waits
    for another one creating it. So it is made here, once, before any append.
    """
    apps = kwargs.get("apps")
    if apps is None:
        return
    try:
        head = apps.get_model("audit", "AuditHead")
    except LookupError:  # migrated back before the head's table
        return
    if head._meta.db_table in connections[using].introspection.table_names():
        head.objects.using(using).get_or_create(pk=1)


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        post_migrate.connect(ensure_head, sender=self, dispatch_uid="audit-head")
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
