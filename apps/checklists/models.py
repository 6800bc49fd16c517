"""Versioned checklist templates: phases, sections, items, sign-off roles, runbook;
and who may sign each sign-off role in a team."""

from django.conf import settings
from django.db import models

from apps.accounts.models import SignOffGroup, Team
from apps.checklists.markdown import OTHER_KINDS, PHASES


class Severity(models.TextChoices):
    """Whether a failing item or probe stops a release, or only warns about it."""

    BLOCKING = "blocking", "Blocking"
    ADVISORY = "advisory", "Advisory"


class ChecklistTemplate(models.Model):
    """One version of a checklist, owned by a team or, with no team, by the
    administrators and shared by every team.

    Releases copy its items when they open. Only the owner changes a version in
    place (severities, runbook links, options); anyone else who changes it gets
    their team's own new version instead (`based_on` names the original).
    """

    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    preamble = models.TextField(blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="templates",
        help_text="Empty for a template every team can use.",
    )
    allow_shared_signoffs = models.BooleanField(
        default=False,
        help_text="Let one person approve more than one sign-off role of a release.",
    )
    allow_creator_approval = models.BooleanField(
        default=True,
        help_text="Let the person who created a release approve it; off, another "
        "person must (prevent approval by author).",
    )
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version another team owns that this one was copied from.",
    )
    success_criteria = models.JSONField(default=list, blank=True)
    source = models.TextField(
        blank=True, help_text="The Markdown it was imported from."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="template_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class TemplatePhase(models.Model):
    """A '## heading' of the template: a phase of work, or a part such as Sign-Off."""

    KIND_CHOICES = [*PHASES.items(), *((kind, kind.title()) for kind in OTHER_KINDS)]

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="phases"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    body = models.TextField(blank=True)
    trailer = models.TextField(blank=True)

    class Meta:
        ordering = ["template", "position"]

    def __str__(self) -> str:
        return self.title


class TemplateSection(models.Model):
    """A '### N. heading' within a phase; deployment steps are kept as `steps`."""

    phase = models.ForeignKey(
        TemplatePhase, on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveIntegerField()
    number = models.CharField(max_length=10, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    trailer = models.TextField(blank=True)
    steps = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["phase", "position"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


class TemplateItem(models.Model):
    """A checkbox of the template."""

    section = models.ForeignKey(
        TemplateSection,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
    )
    phase = models.ForeignKey(
        TemplatePhase, on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    command = models.CharField(max_length=500, blank=True)
    details = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    probe_kind = models.CharField(
        max_length=20, blank=True, help_text="The probe kind that can verify this item."
    )
    severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
        default=Severity.BLOCKING,
        help_text="Advisory items warn when open; they never block a release.",
    )

    class Meta:
        ordering = ["phase__position", "section__position", "position"]

    def __str__(self) -> str:
        return self.text


class SignOffRole(models.Model):
    """A role whose approval a release needs, such as Technical Lead."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="signoff_roles"
    )
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    label = models.CharField(max_length=200, help_text="The checklist line as written.")

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "key"], name="role_per_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SignOffEligibility(models.Model):
    """Who may sign one sign-off role (by its key) of one team's releases.

    It belongs to the team, not to a template version, so every version and
    every copy of a template with that role uses it, and a release reads it
    when someone signs. With no row, any lead, engineer or admin of the team
    may sign the role.
    """

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="signoff_eligibility"
    )
    role_key = models.SlugField(max_length=60)
    team_roles = models.JSONField(
        default=list,
        blank=True,
        help_text="Membership roles whose holders may sign, such as lead.",
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    groups = models.ManyToManyField(
        SignOffGroup,
        blank=True,
        through="SignOffEligibilityGroup",
        related_name="eligibilities",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["team", "role_key"]
        verbose_name_plural = "sign-off eligibility"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "role_key"], name="one_eligibility_per_team_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role_key} of {self.team}"


class SignOffEligibilityGroup(models.Model):
    """A sign-off group named by a role. A named group cannot be deleted: the
    role would silently fall back to letting anyone sign."""

    eligibility = models.ForeignKey(SignOffEligibility, on_delete=models.CASCADE)
    group = models.ForeignKey(SignOffGroup, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["eligibility", "group"], name="group_named_once_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group.name} signs {self.eligibility.role_key}"


class RunbookEntry(models.Model):
    """A known problem with the commands to diagnose it and its likely causes."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="runbook"
    )
    position = models.PositiveIntegerField()
    problem = models.CharField(max_length=200)
    commands = models.TextField(blank=True)
    causes = models.JSONField(default=list, blank=True)
    probe_kinds = models.JSONField(
        default=list, blank=True, help_text="Probe kinds whose failure this explains."
    )
    sections = models.JSONField(
        default=list, blank=True, help_text="Checklist section titles it relates to."
    )

    class Meta:
        ordering = ["template", "position"]
        verbose_name_plural = "runbook entries"

    def __str__(self) -> str:
        return self.problem
