"""Tracked links and their clicks.

Every share gets a short link of its own (``TrackedLink``); ``/r/<code>`` redirects to the link's stored
destination and records a ``Click``. Clicks are written in batches by the flusher (analytics.clicks), partitioned by
month on PostgreSQL, and keyed by organisation first so the table can be distributed by organisation later.
A click never stores an IP address: only an HMAC of address and user agent under a key that lives one day
(``VisitorKey``).
"""

import re
import string

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from advocacy.tenancy import TenantModel

CODE_LENGTH = 8
# URL-safe letters and digits: 62**8 (2.2e14) codes, so guessing one among even millions of links takes billions of
# requests. Codes come from ``secrets`` (analytics.links.new_code); a clash with an existing code is retried.
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_PATTERN = re.compile(rf"[{re.escape(CODE_ALPHABET)}]{{{CODE_LENGTH}}}")
DEFAULT_UTM_TEMPLATE = "utm_source={network}&utm_medium=employee_advocacy&utm_campaign={post}"
HTTP_SCHEMES = ("http", "https")


class TrackingSettings(TenantModel):
    """How an organisation's tracked links are built. One row per organisation, created when first needed."""

    utm_template = models.CharField(
        _("tracking parameters"),
        max_length=500,
        blank=True,
        default=DEFAULT_UTM_TEMPLATE,
        help_text=_(
            "Added to the link of every post shared, unless the link already has them. Placeholders: {network}, "
            "{post} (the post's title as a short slug), {post_id} and {organization}. Leave empty to add nothing."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="tracking_settings_one_per_org")]
        verbose_name = _("link tracking settings")


class ReferralCode(TenantModel):
    """A member's code for posts that credit the ambassador who brought a visitor (job offers, events)."""

    membership = models.OneToOneField("advocacy.Membership", on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="referral_code_unique_in_org")]


class TrackedLink(TenantModel):
    """The short link of one share: where it leads, and its click counters (kept by the flusher)."""

    code = models.CharField(max_length=16, unique=True)
    share = models.ForeignKey("ambassadors.Share", on_delete=models.CASCADE, related_name="tracked_links")
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("advocacy.Membership", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(_("network"), max_length=16)
    destination = models.URLField(
        _("destination"), max_length=2000, validators=[URLValidator(schemes=list(HTTP_SCHEMES))]
    )
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    unique_clicks = models.PositiveIntegerField(_("unique clicks"), default=0)
    # Bots, link previews, HEAD requests and prefetches: stored with their reason, never counted as clicks.
    filtered_clicks = models.PositiveIntegerField(default=0)
    last_clicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "share"])]
        constraints = [
            # Whatever writes the row, a destination that is not http(s) can never be stored.
            models.CheckConstraint(
                condition=models.Q(destination__startswith="https://") | models.Q(destination__startswith="http://"),
                name="tracked_link_destination_http",
            ),
        ]
        verbose_name = _("tracked link")

    def __str__(self) -> str:
        return self.code

    @property
    def url(self) -> str:
        return tracked_url(self.code)


def tracked_url(code: str) -> str:
    """The public address of a code: on the links host when there is one, else on the site."""
    return f"{settings.RELAIS_LINK_BASE_URL}/r/{code}"


class Click(TenantModel):
    """One request of ``/r/<code>``. ``event_id`` is made by the redirect and travels in the stream entry, so a click
    written twice (a batch again after a crash, or directly after Redis kept it without answering) is stored once.

    On PostgreSQL the table is partitioned by month of ``clicked_at`` (analytics/partitions.py); the key starts with
    the organisation. Its references carry no database constraint: the partitions stay independent of the rest of
    the schema, and deleting a link or an organisation deletes its clicks in one statement (no row fetch).
    """

    class Filtered(models.TextChoices):
        COUNTED = "", _("Counted")
        BOT = "bot", _("Robot")
        PREVIEW = "preview", _("Link preview")
        HEAD = "head", _("HEAD request")
        PREFETCH = "prefetch", _("Browser prefetch")

    pk = models.CompositePrimaryKey("organization", "clicked_at", "event_id")
    organization = models.ForeignKey(
        "advocacy.Organization", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    clicked_at = models.DateTimeField()
    event_id = models.CharField(max_length=40)
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    share = models.ForeignKey(
        "ambassadors.Share", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    membership = models.ForeignKey(
        "advocacy.Membership", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    post = models.ForeignKey(
        "content.Post", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    network = models.CharField(max_length=16)
    referrer_host = models.CharField(max_length=253, blank=True)
    visitor_hash = models.CharField(max_length=32)
    first_of_day = models.BooleanField(default=False)
    filtered = models.CharField(max_length=16, choices=Filtered.choices, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["organization", "link", "clicked_at"], name="click_link_time"),
            models.Index(fields=["organization", "share", "clicked_at"], name="click_share_time"),
        ]
        verbose_name = _("click")


class VisitorKey(TenantModel):
    """The HMAC key of one organisation's visitors for one day. Deleted once the day is over, after which nobody,
    us included, can tell whether two visitor hashes of different days belong to the same person."""

    day = models.DateField()
    key = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="visitor_key_one_per_day")]


class DailyVisitor(TenantModel):
    """Who already clicked a link today: a click whose row is created here is the visitor's first of the day.
    Rows of past days are deleted with their day's key."""

    pk = models.CompositePrimaryKey("organization", "day", "link", "visitor_hash")
    organization = models.ForeignKey(
        "advocacy.Organization", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    visitor_hash = models.CharField(max_length=32)


class DailyStat(TenantModel):
    """What an organisation's members did on one day, in the organisation's time zone: the rollup dashboards read
    instead of raw clicks. Built by analytics.rollups from shares, metric snapshots and clicks; a day's rows are
    always rewritten together, so they can be rebuilt at will.

    A post may have several topics and several programmes, so each day's figures are written three times, once per
    ``breakdown``: ``all`` rows (topic and programme empty) count every share once, per member and network; ``topic``
    rows repeat them for each topic of the post (topic empty: a post without topic), ``programme`` rows for each
    programme of the post (empty: an organisation-wide post), ``post`` rows once per post (empty: clicks whose link no
    longer names a post) — the finest grain, read when a programme and a topic filter apply together. Sum within one
    breakdown only: summing the ``topic`` rows of a day counts a two-topic share twice, which is right for "per topic"
    and wrong for a total.

    A share's engagement (likes, comments, reshares, impressions, reach) is its latest snapshot's cumulative totals,
    counted on the day it was published: a day's row grows while its shares are still polled. A figure the network did
    not give stays out of the sum; ``<figure>_known`` says for how many of the row's shares it is known, and the sum is
    NULL when it is known for none, so an unknown figure never reads as 0. Clicks count on the day they happened
    (robots and link previews left out; unique: a visitor's first click on a link that day).
    """

    class Breakdown(models.TextChoices):
        ALL = "all", _("All")
        TOPIC = "topic", _("By topic")
        PROGRAMME = "programme", _("By programme")
        POST = "post", _("By post")

    day = models.DateField(_("day"))
    breakdown = models.CharField(max_length=16, choices=Breakdown.choices)
    # Empty for clicks whose link no longer names a member.
    membership = models.ForeignKey("advocacy.Membership", on_delete=models.CASCADE, related_name="+", null=True)
    network = models.CharField(_("network"), max_length=16)
    topic = models.ForeignKey("content.Topic", on_delete=models.CASCADE, related_name="+", null=True)
    programme = models.ForeignKey("advocacy.Programme", on_delete=models.CASCADE, related_name="+", null=True)
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+", null=True)
    shares = models.PositiveIntegerField(_("shares"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    unique_clicks = models.PositiveIntegerField(_("unique clicks"), default=0)
    likes = models.PositiveIntegerField(_("likes"), null=True)
    likes_known = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(_("comments"), null=True)
    comments_known = models.PositiveIntegerField(default=0)
    reshares = models.PositiveIntegerField(_("reshares"), null=True)
    reshares_known = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(_("impressions"), null=True)
    impressions_known = models.PositiveIntegerField(default=0)
    # Members reached, where the network counts them (LinkedIn, when the app is approved for post analytics).
    reach = models.PositiveIntegerField(_("reach"), null=True)
    reach_known = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # An empty member, topic or programme is a value of the key: NULLs would never clash.
            models.UniqueConstraint(
                "organization",
                "day",
                "breakdown",
                Coalesce("membership", 0),
                "network",
                Coalesce("topic", 0),
                Coalesce("programme", 0),
                Coalesce("post", 0),
                name="daily_stat_unique_key",
            ),
        ]
        indexes = [models.Index(fields=["organization", "day", "breakdown"], name="daily_stat_org_day")]
        verbose_name = _("daily statistics")
        verbose_name_plural = _("daily statistics")


class RollupState(TenantModel):
    """How far the incremental rollup has read an organisation's shares, snapshots and clicks. One row per
    organisation, created by its first run."""

    covered_until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="rollup_state_one_per_org")]


class Export(TenantModel):
    """A dashboard export too large to build during the request (``analytics.exports``), written by a worker. Its file
    sits in the default storage under ``org/<id>/exports/``, a folder no media rule serves: only
    ``ExportDownloadView`` hands it over, to the member who asked. Deleted with its file once expired."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    requested_by = models.ForeignKey("advocacy.Membership", on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=32)
    file_format = models.CharField(max_length=8, choices=Format.choices)
    # The dashboard's query: start and end (ISO dates), programme and topic ids, network.
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    stored_name = models.CharField(max_length=300, blank=True)
    download_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "requested_by", "-created_at"], name="export_org_member"),
            models.Index(fields=["expires_at"], name="export_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.table}.{self.file_format} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, 100 * self.rows_done // self.rows_total) if self.rows_total else 0
