"""Reads of webhooks and their delivery log, for the team's leads."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from apps.accounts import permissions
from apps.accounts.models import Membership, Team
from apps.notifications.models import Webhook, WebhookDelivery

MANAGERS = permissions.ACTIONS["manage_webhooks"]


def webhook_list_for_user(user: User) -> QuerySet[Webhook]:
    """Webhooks of the teams the user leads (all for a superuser)."""
    webhooks = Webhook.objects.select_related("team").order_by("team_id", "name")
    if user.is_superuser:
        return webhooks
    teams = Membership.objects.filter(user=user, role__in=MANAGERS).values("team_id")
    return webhooks.filter(team_id__in=teams)


def teams_managed_by(user: User) -> QuerySet[Team]:
    """The teams whose webhooks the user may add (all for a superuser)."""
    if user.is_superuser:
        return Team.objects.order_by("name")
    teams = Membership.objects.filter(user=user, role__in=MANAGERS).values("team_id")
    return Team.objects.filter(pk__in=teams).order_by("name")


def deliveries_for_webhook(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return webhook.deliveries.order_by("-id")


def delivery_attempts_for_user(user: User) -> QuerySet[WebhookDelivery]:
    """Delivery attempts of the webhooks the user manages."""
    return WebhookDelivery.objects.select_related("webhook__team").filter(
        webhook__in=webhook_list_for_user(user)
    )


def recent_deliveries(webhooks: list[Webhook], limit: int) -> list[WebhookDelivery]:
    """The latest attempts of the given webhooks, newest first, in one query."""
    return list(
        WebhookDelivery.objects.filter(webhook__in=webhooks).order_by("-id")[:limit]
    )
