"""The rules of the programme: charter versions and acceptances, compliance rules, training, incidents."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Programme
from advocacy.tenancy import TenantModel


class CharterVersion(TenantModel):
    """One version of the organisation's charter. Drafts are edited; a published version never changes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    number = models.PositiveIntegerField(null=True, blank=True, help_text="Given at publication: 1, 2, 3…")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    summary_of_changes = models.TextField(_("summary of changes"), blank=True)
    requires_reacceptance = models.BooleanField(
        _("members must accept again"), default=True, help_text=_("Leave unticked for a minor edit.")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], condition=models.Q(number__isnull=False), name="charter_number"
            ),
        ]
        verbose_name = _("charter version")

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})" if self.number else self.title


class CharterAcceptance(TenantModel):
    """A member's explicit opt-in to the programme under one charter version. ``left_at`` records leaving."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="charter_acceptances")
    version = models.ForeignKey(CharterVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField()
    client_digest = models.CharField(
        max_length=64, help_text="SHA-256 of the IP address and user agent: evidence without storing either."
    )
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["organization", "membership", "-accepted_at"])]


class ComplianceRules(TenantModel):
    """The organisation's rules for shares (``programme`` empty), or a programme's own stricter set."""

    programme = models.OneToOneField(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="compliance_rules"
    )
    blocked_phrases = models.TextField(_("blocked words and phrases"), blank=True, help_text=_("One per line."))
    disclosure_linkedin = models.CharField(_("disclosure on LinkedIn"), max_length=300, blank=True)
    disclosure_x = models.CharField(_("disclosure on X"), max_length=100, blank=True)
    disclosure_generic = models.CharField(_("disclosure on other networks"), max_length=300, blank=True)
    daily_cap = models.PositiveSmallIntegerField(_("shares per member per day"), null=True, blank=True)
    daily_cap_per_network = models.PositiveSmallIntegerField(
        _("shares per member per day on one network"), null=True, blank=True
    )
    sharing_from = models.TimeField(_("sharing allowed from"), null=True, blank=True)
    sharing_until = models.TimeField(_("sharing allowed until"), null=True, blank=True)
    sharing_weekdays = models.JSONField(
        _("days sharing is allowed"), default=list, blank=True, help_text="ISO weekdays 1–7; empty means every day."
    )
    allowed_domains = models.TextField(
        _("allowed link domains"), blank=True, help_text=_("One per line; empty allows every domain.")
    )
    reconsent_months = models.PositiveSmallIntegerField(
        _("ask members to accept the charter again after (months)"), default=12
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(programme__isnull=True), name="compliance_rules_one_default"
            ),
        ]
        verbose_name = _("compliance rules")
        verbose_name_plural = _("compliance rules")


class TrainingModule(TenantModel):
    class Level(models.TextChoices):
        NOVICE = "novice", _("Novice")
        INTERMEDIATE = "intermediate", _("Intermediate")
        EXPERT = "expert", _("Expert")

    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.NOVICE)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    quiz = models.JSONField(
        _("quiz"), default=list, blank=True, help_text='[{"question": …, "choices": […], "answer": index}, …]'
    )
    position = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["level", "position", "pk"]
        verbose_name = _("training module")

    def __str__(self) -> str:
        return self.title


class TrainingCompletion(TenantModel):
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="completions")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="training_completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["module", "membership"], name="training_completed_once")]


class Incident(TenantModel):
    """A problem reported to the referent: a leak, a bad buzz, an abusive reply…"""

    class Kind(models.TextChoices):
        LEAK = "leak", _("Confidential information shared")
        BAD_BUZZ = "bad_buzz", _("Bad buzz")
        ABUSE = "abuse", _("Abusive reply or harassment")
        ACCOUNT = "account", _("Account compromised")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    kind = models.CharField(_("what happened"), max_length=16, choices=Kind.choices)
    link = models.URLField(_("link"), max_length=2000, blank=True)
    description = models.TextField(_("description"))
    post = models.ForeignKey("content.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status", "-created_at"])]
        verbose_name = _("incident")


class IncidentEvent(TenantModel):
    """The incident's timeline: reports, notes, status changes, the post's withdrawal."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=32)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
