"""Notifications app: webhooks and email for the events other apps announce."""

from django.apps import AppConfig

from apps.core import events


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Apps below announce through apps.core.events; this app delivers.
        # Imported here: the subscribers read models, loaded only now.
        from apps.notifications import subscribers

        events.subscribe(subscribers.deliver)
