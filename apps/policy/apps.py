"""Policy app: severities, waivers, freezes, verification windows, policy as code."""

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "apps.policy"
    label = "policy"
    verbose_name = "Readiness policy"

    def ready(self) -> None:
        from apps.core import events

        # Imported here: the subscriber reads models, loaded only now.
        from apps.policy import verification

        # A release marked deployed starts its environment's verification window.
        events.subscribe(verification.verification_start_on_deploy)
