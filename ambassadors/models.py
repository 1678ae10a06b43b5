"""Connected accounts, shares and what the networks tell us back.

Every row here is tenant data (``TenantModel``: ``organization`` on children too, a fail-closed manager). Tokens
are stored sealed (``ambassadors.crypto``) and never leave this module as plaintext except through
``SocialConnection.access_token()`` / ``refresh_token()``, which raise rather than hand out ciphertext.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Programme
from advocacy.tenancy import TenantModel
from ambassadors.crypto import seal, unseal
from content.models import Network, Post, PostVariant, Topic

# The networks Relais publishes to through their API; every other network is copy-and-open.
API_NETWORKS: tuple[str, ...] = (Network.LINKEDIN, Network.X)


class SocialConnection(TenantModel):
    """A member's account on a network, with its tokens sealed at rest."""

    class Provider(models.TextChoices):
        LINKEDIN = "linkedin", "LinkedIn"
        X = "x", "X"

    class ReconnectReason(models.TextChoices):
        """Why a connection needs reconnecting (``last_error_code``), in words for the member."""

        REFRESH_REFUSED = "refresh_refused", _("the network no longer accepts Relais's access")
        REVOKED = "revoked", _("the access was revoked on the network")
        EXPIRED = "expired", _("the access expired")
        DECRYPTION_FAILED = "decryption_failed", _("its stored credentials can no longer be read")
        SCOPE_MISSING = "scope_missing", _("a permission Relais needs was removed")
        TOKEN_REJECTED = "token_rejected", _("the network refused its access")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Connected")
        NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
        DISCONNECTED = "disconnected", _("Disconnected")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(_("network"), max_length=16, choices=Provider.choices)
    provider_uid = models.CharField(max_length=64)
    display_name = models.CharField(_("name on the network"), max_length=200, blank=True)
    username = models.CharField(_("handle"), max_length=100, blank=True)
    # What the network granted (it grants only what the consent asked for), and whether that lets us read the member's
    # post counters: a column of its own so the metrics tick can leave the others out in the database.
    scopes = models.JSONField(default=list, blank=True)
    metrics_granted = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    access_token_sealed = models.TextField(blank=True, editable=False)
    refresh_token_sealed = models.TextField(blank=True, editable=False)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every token change: a refresh compares it to take the single flight (provider-contracts.md §2.1).
    token_version = models.PositiveIntegerField(default=0)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # When the member was last told to reconnect (e-mail + in-app), so they are told once per episode.
    reconnect_notified_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # Pacing: the earliest moment the next publish through this account may start.
    next_publish_at = models.DateTimeField(null=True, blank=True)
    # Rate-limited by the network until then (a 429's reset); shares wait, costing no attempt.
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership", "provider"],
                condition=~models.Q(status="disconnected"),
                name="connection_one_live_per_member_and_network",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "membership", "provider"]),
            models.Index(fields=["status", "access_expires_at"]),
        ]
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.display_name or self.provider_uid}"

    def __repr__(self) -> str:
        return f"<SocialConnection {self.pk} {self.provider} {self.status}>"

    @property
    def token_binding(self) -> str:
        return f"{self.organization_id}:{self.provider}:{self.provider_uid}"

    def set_tokens(self, *, access_token: str, refresh_token: str | None) -> None:
        """Seal new tokens; ``refresh_token=None`` keeps the stored one (a response without one keeps it)."""
        self.access_token_sealed = seal(access_token, binding=self.token_binding)
        if refresh_token is not None:
            self.refresh_token_sealed = seal(refresh_token, binding=self.token_binding)
        self.token_version += 1

    def clear_tokens(self) -> None:
        self.access_token_sealed = ""
        self.refresh_token_sealed = ""
        self.token_version += 1

    def access_token(self) -> str:
        """The plaintext access token; raises ``TokenDecryptionError`` (never returns ciphertext)."""
        return unseal(self.access_token_sealed, binding=self.token_binding)

    def refresh_token(self) -> str:
        return unseal(self.refresh_token_sealed, binding=self.token_binding)

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.ACTIVE and bool(self.access_token_sealed)


class Share(TenantModel):
    """One member's share of one post on one network: the text they chose, when, and what became of it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        # A context of their own: French says a share ("partage") is "publié", a post ("publication") "publiée".
        PUBLISHING = "publishing", pgettext_lazy("share status", "Publishing")
        PUBLISHED = "published", pgettext_lazy("share status", "Published")
        FAILED = "failed", _("Failed")
        NEEDS_ACTION = "needs_action", _("Needs your action")
        CANCELLED = "cancelled", _("Cancelled")
        MANUAL = "manual", _("To post yourself")

    class MetricsState(models.TextChoices):
        NONE = "", _("Not polled")
        POLLING = "polling", _("Polled")
        DONE = "done", _("No longer polled")
        DELETED = "deleted", _("Deleted on the network")
        UNAVAILABLE = "unavailable", _("Not available from the network")
        NOT_GRANTED = "not_granted", _("Not available: the app is not approved for them")

    class ActionRequired(models.TextChoices):
        """What the member must do about a share in ``needs_action``."""

        NONE = "", pgettext_lazy("action required", "Nothing")
        RECONNECT = "reconnect", pgettext_lazy("action required", "Reconnect the account")
        # The outcome of a call is unknown: the member checks their profile, then marks it posted or resends once.
        CHECK = "check", pgettext_lazy("action required", "Check the network")
        CHARTER = "charter", pgettext_lazy("action required", "Accept the charter")
        COMPLIANCE = "compliance", pgettext_lazy("action required", "Edit the text")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="shares")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="shares")
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    connection = models.ForeignKey(
        SocialConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="shares"
    )
    text = models.TextField(_("text"))
    link = models.URLField(_("link"), max_length=2000, blank=True)
    # The suggested text the member started from, and how much of what went out was copied from the suggestions
    # and colleagues' shares (``ambassadors.similarity``, 0 to 1): the programme's measure of "parrot" posts.
    variant = models.ForeignKey(PostVariant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    similarity = models.FloatField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    # Nothing happens to the share before this moment (a retry's backoff, a rate limit's reset, pacing).
    not_before = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The single resend allowed to reconcile an unknown outcome (provider-contracts.md §3) has been used.
    reconcile_resent = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    # Why the share stopped. A Relais message is kept as its source text and values, and worded when read, in the
    # reader's language (``last_error_message``); a reason worded elsewhere (a rule's refusal) is kept as it came.
    last_error = models.TextField(blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    action_required = models.CharField(max_length=32, choices=ActionRequired.choices, blank=True)
    cost = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("0"))
    metrics_state = models.CharField(max_length=16, choices=MetricsState.choices, default="", blank=True)
    metrics_next_poll_at = models.DateTimeField(null=True, blank=True)
    metrics_polls = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "scheduled_at"]),
            # With the day it went out: the adoption funnel asks whether a member shared before a day, or in a
            # month before it, with one range of this index.
            models.Index(fields=["organization", "membership", "status", "published_at"]),
            models.Index(fields=["organization", "post"]),
            # The shares changed since the rollup's last run.
            models.Index(fields=["organization", "updated_at"]),
            models.Index(fields=["metrics_state", "metrics_next_poll_at"]),
            # The month's X spend, checked before every X post: an index-only scan of that month's paid posts.
            models.Index(
                fields=["organization", "published_at"],
                include=["cost"],
                condition=models.Q(network="x", status="published"),
                name="share_x_spend",
            ),
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("share")
        verbose_name_plural = _("shares")

    def __str__(self) -> str:
        return f"{self.network} share {self.pk} ({self.status})"

    @property
    def last_error_message(self) -> str:
        """Why the share stopped, in the language of whoever reads it."""
        if not self.last_error:
            return ""
        text = gettext(self.last_error)
        if not self.last_error_params:
            return text
        values = {
            key: gettext(value) if isinstance(value, str) else value for key, value in self.last_error_params.items()
        }
        try:
            return text % values
        except (KeyError, TypeError, ValueError):
            # A catalogue whose translation names a value the message never had: the words without the values.
            return text

    @property
    def awaits_check(self) -> bool:
        """The outcome of its call is unknown: the member checks the network before anything is sent again."""
        return self.status == self.Status.NEEDS_ACTION and self.action_required == self.ActionRequired.CHECK

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.post_id and self.organization_id and self.post.organization_id != self.organization_id:
            raise ValueError("A share's post belongs to its organisation.")
        super().save(*args, **kwargs)


class ShareAttempt(TenantModel):
    """One network call made for a share, written before the call and completed after it."""

    class Kind(models.TextChoices):
        PUBLISH = "publish", pgettext_lazy("share attempt", "Publish")
        # The single resend of provider-contracts.md §3, after an unknown outcome.
        RESEND = "resend", pgettext_lazy("share attempt", "Resend")
        RECONCILE = "reconcile", pgettext_lazy("share attempt", "Look for the post")

    class Outcome(models.TextChoices):
        """provider-contracts.md's outcomes, and ``refresh`` for a 401 cured by a refresh."""

        IN_FLIGHT = "", _("In progress")
        OK = "ok", _("Published")
        RETRY = "retry", _("The network was unavailable; tried again later")
        WAIT = "wait", _("The network asked us to wait")
        REFRESH = "refresh", _("Access renewed, sent again")
        RECONNECT = "reconnect", _("The account needs reconnecting")
        REJECT = "reject", _("Refused by the network")
        UNKNOWN = "unknown", _("No answer after sending: outcome unknown")
        CONFIG = "config", _("Paused while Relais's access to the network is fixed")

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PUBLISH)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["share", "number"]
        indexes = [models.Index(fields=["organization", "share"])]

    def __str__(self) -> str:
        return f"attempt {self.number} of share {self.share_id}: {self.outcome or 'in flight'}"


class MetricSnapshot(TenantModel):
    """The counters of a published share at one poll. One row per (share, slot) of the decaying schedule, written
    by upsert so a replayed poll never counts twice. None: the network gives no such number."""

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="snapshots")
    slot = models.PositiveSmallIntegerField()
    taken_at = models.DateTimeField()
    likes = models.PositiveIntegerField(null=True, blank=True)
    comments = models.PositiveIntegerField(null=True, blank=True)
    reshares = models.PositiveIntegerField(null=True, blank=True)
    impressions = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["share", "slot"], name="snapshot_one_per_share_and_slot")]
        # The snapshots taken since the rollup's last run.
        indexes = [models.Index(fields=["organization", "taken_at"])]
        ordering = ["share", "slot"]

    def __str__(self) -> str:
        return f"metrics of share {self.share_id} slot {self.slot}"


class PublishingSettings(TenantModel):
    """The organisation's publishing choices: the monthly X budget (X bills every post, more with a link)."""

    x_api_enabled = models.BooleanField(_("publish to X through the API"), default=True)
    x_monthly_budget = models.DecimalField(
        _("monthly X budget (USD)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("When this month's X spend reaches it, X shares fall back to copy-and-open."),
    )
    # Off (0) by default: an organisation may require this many words of the member's own before a share goes out.
    min_personal_words = models.PositiveSmallIntegerField(
        _("words of their own required"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "0: no minimum. Otherwise a share needs at least this many words that are in none of the suggested texts."
        ),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="publishing_settings_one_per_org")]
        verbose_name = _("publishing settings")

    def __str__(self) -> str:
        return f"publishing settings of {self.organization_id}"


class Notification(TenantModel):
    """An in-app message to one member (a connection to reconnect, a share that needs them)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    message = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    # In the member's language, written with the message; "" when the notification is not e-mailed.
    email_subject = models.CharField(max_length=300, blank=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Notifications that must reach a member once (a nudge per post): the unique key makes a second one a no-op.
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "membership", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.membership_id}"


# X faults that stop the app from posting at all (``ProviderPause.kind``): X shares fall back to copy-and-open
# instead of waiting.
BILLING_PAUSES = ("credits", "usage_cap")


class ProviderPause(models.Model):
    """A network paused for the whole platform after an app-level fault (a retired ``LinkedIn-Version``, X credits
    exhausted, a bad client secret). Not tenant data: it is the platform's. Shares wait while it lasts; an
    operator lifts it in the staff admin once the configuration is fixed."""

    provider = models.CharField(max_length=16, unique=True, choices=SocialConnection.Provider.choices)
    kind = models.CharField(max_length=16)
    detail = models.TextField(blank=True)
    paused_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.provider} paused ({self.kind})"


class DigestFrequency(models.TextChoices):
    OFF = "off", _("Never")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")


class AmbassadorProfile(TenantModel):
    """What a member tells Relais about themselves as an ambassador: interests (what the feed offers first; the
    languages they share in decide which posts are offered, so they are on their ``Membership``), how far through
    onboarding they are, their own LinkedIn profile checklist, and how they want to hear about new posts (the digest,
    in their own time zone) and about colleagues' shares (nudges).

    Made on first need (``ambassadors.services.profiles.profile_for``): a member without one has the defaults."""

    class Checklist(models.TextChoices):
        PHOTO = "photo", _("A professional photo")
        HEADLINE = "headline", _("A headline that says what you do")
        ABOUT = "about", _("An “About” section")
        ACTIVITY = "activity", _("Recent activity: a post or a comment this month")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    interests = models.ManyToManyField(Topic, through="ProfileInterest", related_name="+", blank=True)
    onboarding_done_at = models.DateTimeField(null=True, blank=True)
    # Step keys the member chose to skip (``ambassadors.onboarding``); a skipped step stays reachable.
    onboarding_skipped = models.JSONField(default=list, blank=True)
    # Checklist item keys the member ticked.
    checklist = models.JSONField(default=list, blank=True)
    digest_frequency = models.CharField(
        _("digest of new posts"), max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("at"), default=8, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    digest_weekday = models.PositiveSmallIntegerField(
        _("on"), default=0, validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    # The next digest's moment (UTC), kept by the services so the beat's tick is one indexed range scan; and the end
    # of the window the last digest covered (posts that went live after it are new).
    digest_next_at = models.DateTimeField(null=True, blank=True)
    digest_covered_until = models.DateTimeField(null=True, blank=True)
    nudges = models.BooleanField(
        _("tell me when colleagues share"),
        default=True,
        help_text=_("A reaction or a comment in the first hour helps a colleague's post the most."),
    )
    nudges_in_digest = models.BooleanField(_("also in my digest"), default=False)
    # Opt-in: rankings that colleagues or managers see name a member only when they said yes
    # (``ambassadors.selectors.ranking_names``).
    show_in_rankings = models.BooleanField(
        _("show my name in rankings"),
        default=False,
        help_text=_("Unticked, rankings seen by colleagues and managers show you as “An ambassador”."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership"], name="profile_one_per_membership"),
        ]
        indexes = [
            models.Index(
                fields=["digest_next_at"], condition=~models.Q(digest_frequency="off"), name="profile_digest_due"
            ),
        ]
        verbose_name = _("ambassador profile")

    def __str__(self) -> str:
        return f"profile of {self.membership_id}"


class ProfileInterest(TenantModel):
    profile = models.ForeignKey(AmbassadorProfile, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "topic"], name="profile_interest_unique")]


class VariantOffer(TenantModel):
    """Which suggested text a member was offered first for one post and network: given once, to the variant fewest
    colleagues were offered, so first drafts already differ (``ambassadors.similarity.first_variant``)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=16, choices=Network.choices)
    variant = models.ForeignKey(PostVariant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "membership", "network"], name="variant_offer_once"),
        ]
        indexes = [models.Index(fields=["organization", "post", "network"])]


class ProgrammeWebhook(TenantModel):
    """A Slack or Microsoft Teams incoming webhook of a programme: new featured posts are announced there. The URL
    is a secret (whoever has it can post to the channel): sealed at rest like tokens, shown by its host only."""

    class Kind(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("service"), max_length=8, choices=Kind.choices)
    url_sealed = models.TextField(editable=False)
    url_hint = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "programme"])]
        verbose_name = _("channel webhook")

    def __str__(self) -> str:
        return f"{self.kind} webhook of programme {self.programme_id}"

    @property
    def url_binding(self) -> str:
        return f"{self.organization_id}:webhook:{self.programme_id}"

    def set_url(self, url: str) -> None:
        self.url_sealed = seal(url, binding=self.url_binding)

    def url(self) -> str:
        return unseal(self.url_sealed, binding=self.url_binding)


class WebhookDelivery(TenantModel):
    """One announcement of one post to one webhook: at most one per pair, retried with backoff until it is sent or
    given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Gave up")

    webhook = models.ForeignKey(ProgrammeWebhook, on_delete=models.CASCADE, related_name="deliveries")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["webhook", "post"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"delivery of post {self.post_id} to webhook {self.webhook_id}"
