"""What the provider remembers beyond django-oauth-toolkit's own tables."""

from django.db import models
from oauth2_provider.settings import GRANT_MODEL


class Authentication(models.Model):
    """How and when the user signed in before an authorization code was issued.

    The ID token made from that code carries these as auth_time, acr and amr; the
    row goes when django-oauth-toolkit deletes the used grant.
    """

    grant = models.OneToOneField(
        GRANT_MODEL, on_delete=models.CASCADE, related_name="authentication"
    )
    auth_time = models.IntegerField()
    acr = models.CharField(max_length=100)
    amr = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"signed in at {self.auth_time} ({self.acr})"
