"""Audit events for sign-in, sign-out and failed sign-in, from Django's auth signals."""

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest

from apps.audit import services


def signed_in(sender: type, request: HttpRequest, user: User, **kwargs: Any) -> None:
    services.record(actor=user, action="auth.signed_in", target=user)


def signed_out(
    sender: type, request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    if user is None:
        return
    services.record(actor=user, action="auth.signed_out", target=user)


def sign_in_failed(
    sender: str,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Record the attempted username only; nothing else of the credentials."""
    username = str(credentials.get("username") or "")[:150]
    services.record(
        actor=None,
        actor_label="anonymous",
        action="auth.sign_in_failed",
        target_type="auth.user",
        target_id="",
        after={"username": username},
    )
