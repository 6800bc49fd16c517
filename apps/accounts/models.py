"""Teams, the role each member holds in them, and their sign-off groups."""

from django.conf import settings
from django.db import models

from apps.accounts import checked
from apps.core.models import TimeStampedModel


class ForgetsTokenChecks(models.QuerySet):
    """A queryset whose bulk updates make this process read API tokens again
    (apps.accounts.checked): saves and deletes do it through signals, which an
    update() does not send."""

    def update(self, **kwargs):
        checked.forget()
        return super().update(**kwargs)

    def update_unchecked(self, **kwargs) -> int:
        """update() for what no token check reads (a token's last use)."""
        return super().update(**kwargs)


class Team(TimeStampedModel):
    """A group of people who own services and their releases."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user's role in a team. One role per user and team."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        ENGINEER = "engineer", "Engineer"
        AUDITOR = "auditor", "Auditor"
        ADMIN = "admin", "Admin"

    class Source(models.TextChoices):
        LOCAL = "local", "Added here"
        EXTERNAL = "external", "Single sign-on"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # external: given by the single sign-on role map, replaced at every sign-in
    # and session refresh; local: added in Shipshape, left alone by sign-on.
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.LOCAL
    )

    objects = ForgetsTokenChecks.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_role_per_team"),
        ]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"


class SignOffGroup(TimeStampedModel):
    """A named set of a team's members, such as Security reviewers, that a
    sign-off role can name as the people who may sign it.

    Kept by the team's admins through services; a single sign-on role map can
    later fill it too, marking those members as external.
    """

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="signoff_groups"
    )
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"], name="signoff_group_name_per_team"
            ),
        ]
        ordering = ["team__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"


class SignOffGroupMember(models.Model):
    """One person in a sign-off group, and where that fact comes from."""

    class Source(models.TextChoices):
        LOCAL = "local", "Added here"
        EXTERNAL = "external", "Single sign-on"

    group = models.ForeignKey(
        SignOffGroup, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signoff_group_memberships",
    )
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.LOCAL
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], name="one_membership_per_signoff_group"
            ),
        ]
        ordering = ["group", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.group.name}"


class ApiToken(models.Model):
    """A personal API token for scripts. Only the SHA-256 of the secret is stored.

    The secret is shown once, when the token is created. A token acts with its
    owner's roles; a read-only token is refused on every write.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to recognise it."
    )
    token_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ForgetsTokenChecks.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class OidcIdentity(models.Model):
    """The account at an OpenID provider a user signs in with: issuer + subject.

    Users are found by this pair only, never by e-mail; the e-mail and name on
    the user are refreshed from the provider's claims at every sign-in.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    # The groups the provider gave at the last sign-in or refresh.
    groups = models.JSONField(default=list, blank=True)
    # False once the provider stopped vouching for the person (deactivated, or
    # its refresh refused): their API tokens stop until they sign in again.
    active = models.BooleanField(default=True)
    # The provider's refresh token (encrypted, apps.core.crypto), with which the
    # token check asks the provider about people who hold API tokens.
    refresh_token = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = ForgetsTokenChecks.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="one_user_per_oidc_subject"
            ),
        ]
        verbose_name = "OpenID identity"
        verbose_name_plural = "OpenID identities"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"

    @property
    def label(self) -> str:
        """The audit trail's actor for changes the provider causes."""
        return f"sso {self.issuer} sub {self.subject}"[:150]
