"""The communications team's library: topics, posts with per-network variants, revisions, approval policies
and decisions, link previews, suggestions from the field and RSS/Atom feed sources.

Many-to-many links have explicit through models so that every row, links included, carries its organisation.
"""

import secrets
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Programme, colour_validator
from advocacy.roles import Role
from advocacy.tenancy import TenantModel
from content.feed_messages import feed_error_message
from content.safe_http import fetch_message


class Network(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    GENERIC = "generic", _("Other networks (copy and open)")


class Topic(TenantModel):
    name = models.CharField(_("name"), max_length=80)
    colour = models.CharField(_("colour"), max_length=7, default="#1d4ed8", validators=[colour_validator])
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="topic_unique_name_per_org")]
        verbose_name = _("topic")

    def __str__(self) -> str:
        return self.name


referral_parameter_validator = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_.-]*$",
    _("Use letters, digits, dots, dashes or underscores, starting with a letter."),
)


def post_image_path(instance: "Post", filename: str) -> str:
    # Media paths carry the organisation, and a random part so an image URL cannot be guessed from a post id.
    return f"org/{instance.organization_id}/posts/{secrets.token_hex(8)}/{filename}"


class Post(TenantModel):
    """A piece of content the comms team offers ambassadors. Its status moves only through content.services."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Campaign(models.TextChoices):
        NONE = "", _("None")
        JOB_OFFER = "job_offer", _("Job offer")
        LEAD_CAMPAIGN = "lead_campaign", _("Lead campaign")

    title = models.CharField(_("title"), max_length=200)
    link = models.URLField(_("link to share"), max_length=2000, blank=True)
    image = models.FileField(_("image"), upload_to=post_image_path, blank=True)
    referral_parameter = models.CharField(
        _("referral parameter"),
        max_length=40,
        blank=True,
        validators=[referral_parameter_validator],
        help_text=_(
            "For job offers and events: the name of the link parameter your site reads to credit whoever brought the "
            "visitor (for example ref). Each ambassador's link then carries their own code."
        ),
    )
    # What the post is for, when it brings applications or leads (analytics' referral events count them per post).
    campaign = models.CharField(
        _("campaign"),
        max_length=16,
        choices=Campaign.choices,
        blank=True,
        default=Campaign.NONE,
        help_text=_(
            "A job offer or a lead campaign: applications, hires and leads its readers bring are shown per post."
        ),
    )
    note = models.TextField(
        _("note to ambassadors"), blank=True, help_text=_("Why share this, and what angle to take.")
    )
    topics = models.ManyToManyField(Topic, through="PostTopic", related_name="posts", blank=True)
    programmes = models.ManyToManyField(Programme, through="PostProgramme", related_name="posts", blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    publish_at = models.DateTimeField(_("publish on"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires on"), null=True, blank=True)
    editable_by_ambassadors = models.BooleanField(_("ambassadors may edit the text"), default=True)
    featured = models.BooleanField(_("featured"), default=False)
    confidential_until = models.DateTimeField(
        _("confidential until"), null=True, blank=True, help_text=_("The post cannot be shared before this time.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    revision = models.PositiveIntegerField(default=1, help_text="Bumped by every content edit.")
    approved_revision = models.PositiveIntegerField(null=True, blank=True)
    # When the post was first approved: with ``publish_at`` and ``confidential_until`` it says when the post reached
    # the feeds (``live_since``), which the digests and the programmes' announcements count from.
    approved_at = models.DateTimeField(null=True, blank=True)
    policy = models.ForeignKey(
        "ApprovalPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The policy the current review follows, fixed at submission.",
    )
    current_step = models.ForeignKey("ApprovalStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    link_preview = models.ForeignKey("LinkPreview", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "status", "publish_at"]),
            models.Index(fields=["organization", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(publish_at__isnull=True)
                | models.Q(expires_at__gt=models.F("publish_at")),
                name="post_expires_after_publish",
            ),
        ]
        verbose_name = _("post")

    def __str__(self) -> str:
        return self.title

    def is_live_at(self, now: Any = None) -> bool:
        """Approved, published, not expired and out of its embargo: what ambassadors' feeds show and may share.
        ``live_filter`` is the same rule for queries: change both together."""
        now = now or timezone.now()
        return (
            self.status == self.Status.APPROVED
            and (self.publish_at is None or self.publish_at <= now)
            and (self.expires_at is None or now < self.expires_at)
            and (self.confidential_until is None or self.confidential_until <= now)
        )

    @staticmethod
    def live_since() -> Greatest:
        """When a live post reached the feeds: the latest of its approval, its publication date and the end of its
        embargo. Every part falls back to the approval (then the creation, for posts approved before it was
        recorded) because SQLite's MAX() is NULL as soon as one argument is."""
        approved = Coalesce("approved_at", "created_at")
        return Greatest(approved, Coalesce("publish_at", approved), Coalesce("confidential_until", approved))

    @staticmethod
    def live_filter(now: Any = None) -> models.Q:
        """``is_live_at`` as a filter of posts."""
        now = now or timezone.now()
        return (
            models.Q(status=Post.Status.APPROVED)
            & (models.Q(publish_at__isnull=True) | models.Q(publish_at__lte=now))
            & (models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
            & (models.Q(confidential_until__isnull=True) | models.Q(confidential_until__lte=now))
        )


class PostTopic(TenantModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "topic"], name="post_topic_unique")]


class PostProgramme(TenantModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "programme"], name="post_programme_unique")]


class PostVariant(TenantModel):
    """One suggested caption for one network; a post may offer several per network."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    text = models.TextField(_("text"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["network", "position", "pk"]
        verbose_name = _("variant")

    def __str__(self) -> str:
        return f"{self.network}: {self.text[:40]}"


class PostRevision(TenantModel):
    """A snapshot of a post's content at one revision number, so approvers see what changed since approval."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="post_revision_unique")]


class ApprovalPolicy(TenantModel):
    """Ordered approval steps. One default per organisation; a programme may have its own; "no approval" is a
    policy without steps that an admin chose explicitly."""

    name = models.CharField(_("name"), max_length=120)
    is_default = models.BooleanField(_("default policy"), default=False)
    programme = models.OneToOneField(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="approval_policy"
    )
    requires_approval = models.BooleanField(_("requires approval"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(is_default=True), name="approval_policy_one_default"
            ),
        ]
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")

    def __str__(self) -> str:
        return self.name


class ApprovalStep(TenantModel):
    """One step ("Legal", then "Comms"). Any one of its approvers decides: members holding ``approver_role``,
    or the named members."""

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=80)
    approver_role = models.CharField(_("approver role"), max_length=16, choices=Role.choices, blank=True)
    approvers = models.ManyToManyField(Membership, through="ApprovalStepApprover", related_name="+", blank=True)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="approval_step_unique_position"),
        ]
        verbose_name = _("approval step")

    def __str__(self) -> str:
        return self.name


class ApprovalStepApprover(TenantModel):
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["step", "membership"], name="approval_step_approver_unique")]


class ApprovalDecision(TenantModel):
    """A decision on one step of one revision. The unique constraint is what makes "two approvers at once"
    end with exactly one decision."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        REJECTED = "rejected", _("Rejected")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="decisions")
    revision = models.PositiveIntegerField()
    step = models.ForeignKey(ApprovalStep, null=True, on_delete=models.SET_NULL, related_name="+")
    step_name = models.CharField(max_length=80, help_text="Kept when the policy changes later.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "revision", "step"], name="approval_decision_once_per_step"),
        ]


class LinkPreview(TenantModel):
    """What a link shows when shared (OpenGraph, else <title>), fetched by a worker and cached per organisation."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        OK = "ok", _("Fetched")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    url = models.URLField(max_length=2000)
    url_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    site_name = models.CharField(max_length=200, blank=True)
    # Why it failed or was refused: a message code of content.safe_http.FETCH_MESSAGES and its parameters, worded in
    # the reader's language when shown. ``error`` only keeps an older row's text that matched no code.
    error_code = models.CharField(max_length=32, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="Why the preview failed or was refused.")
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "url_hash"], name="link_preview_unique_url_per_org"),
        ]

    @property
    def error_message(self) -> str:
        """Why the preview failed, in the current language."""
        return fetch_message(self.error_code, self.error_params) or self.error


class FeedSource(TenantModel):
    """An RSS/Atom feed the comms team curates from (company blog, press room, careers page)."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("feed address"), max_length=2000)
    active = models.BooleanField(_("active"), default=True)
    max_items_per_day = models.PositiveSmallIntegerField(_("at most this many new items a day"), default=10)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Why the last poll failed: a code of content.feed_messages and its parameters, worded when read. ``last_error``
    # only keeps an older row's sentence.
    last_error_code = models.CharField(max_length=32, blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "url"], name="feed_source_unique_url_per_org")]
        verbose_name = _("feed source")

    @property
    def last_error_message(self) -> str:
        """Why the last poll failed, in the current language ("" when it did not)."""
        return feed_error_message(self.last_error_code, self.last_error_params) or self.last_error

    def __str__(self) -> str:
        return self.name


class Suggestion(TenantModel):
    """An item in the editors' inbox: a link suggested by a member, or a new entry of a feed source."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACCEPTED = "accepted", _("Turned into a post")
        DECLINED = "declined", _("Declined")

    url = models.URLField(_("link"), max_length=2000)
    url_hash = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=300, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.ForeignKey(FeedSource, null=True, blank=True, on_delete=models.CASCADE, related_name="items")
    guid = models.CharField(max_length=500, blank=True, help_text="The feed entry's id, for de-duplication.")
    published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    decline_note = models.TextField(_("note to the author"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "guid"], condition=~models.Q(guid=""), name="suggestion_unique_feed_guid"
            ),
        ]
        verbose_name = _("suggestion")
