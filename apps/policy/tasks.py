"""Celery tasks of the readiness policy: driving verification windows."""

from celery import shared_task

from apps.policy import verification


@shared_task
def verify_window(window_id: int) -> None:
    """Take a verification window's next measurement; it schedules the one after.

    Safe to redeliver: a measurement that is not yet due is skipped.
    """
    verification.verification_tick(window_id=window_id)


@shared_task
def resume_verification_windows() -> int:
    """Restart verification windows whose measurement chain broke (beat entry)."""
    return verification.verification_windows_resume()
