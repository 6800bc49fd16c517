"""Celery tasks of webhooks and emails. Thin: each calls one service."""

from celery import shared_task

from apps.notifications import mail, services

EMAIL_MAX_RETRIES = 5


class SendFailed(Exception):
    """The mail server refused or could not be reached; the task retries."""


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(delivery_id: int) -> str:
    """Send one delivery attempt; a failure schedules the next one itself."""
    return services.webhook_deliver(delivery_id=delivery_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=EMAIL_MAX_RETRIES,
    autoretry_for=(SendFailed,),
    retry_backoff=30,
    retry_backoff_max=1800,
)
def send_email(self, delivery_id: int) -> str:
    """Send one notification email once; a mail-server failure is retried."""
    final = self.request.retries >= EMAIL_MAX_RETRIES
    return mail.email_deliver(delivery_id=delivery_id, final=final)


@shared_task
def send_email_digests() -> int:
    """Send the daily digests, and re-enqueue emails a broker outage left behind."""
    return mail.email_digest_send()


@shared_task
def notify_audit_failures() -> int:
    """Tell admins about failed audit chain verifications, once each."""
    return mail.audit_chain_failures_notify()
