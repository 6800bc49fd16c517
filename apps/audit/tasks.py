"""Scheduled upkeep of the audit chain: verification and head publication."""

from celery import shared_task

from apps.audit import services


@shared_task
def verify_audit_chain() -> None:
    """Walk the whole chain and record the outcome; a break is logged as an error."""
    services.audit_verify_scheduled()


@shared_task
def publish_audit_head() -> None:
    """Publish the chain head (seq and hash) to the log and webhooks."""
    services.audit_head_publish()
