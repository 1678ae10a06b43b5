import hashlib
import secrets
import zoneinfo
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advocacy.roles import Role, role_has_permission
from advocacy.tenancy import TenantModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class User(AbstractUser):
    """A person. E-mail is the login; one user may belong to several organisations."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to use each organisation's language."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        choices=_time_zone_choices,
        help_text=_("Leave empty to use each organisation's time zone."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


def organization_logo_path(instance: "Organization", filename: str) -> str:
    # Media paths carry the organisation, so files of two tenants never share a folder.
    return f"org/{instance.pk}/branding/{secrets.token_hex(8)}-{filename}"


slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$", _("Use lowercase letters, digits and dashes.")
)
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour such as #1d4ed8."))


class Organization(models.Model):
    """The tenant. Not itself scoped: it is what scopes everything else."""

    slug = models.SlugField(_("address"), max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris", choices=_time_zone_choices)
    brand_colour = models.CharField(_("brand colour"), max_length=7, default="#1d4ed8", validators=[colour_validator])
    logo = models.FileField(_("logo"), upload_to=organization_logo_path, blank=True)
    require_two_factor = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("Every member must set up an authenticator app before using the organisation."),
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The community manager who guarantees the charter; reports of problems go to them."),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user in an organisation, with one role."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AMBASSADOR)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Codes from settings.LANGUAGES the member chose (``ambassadors.services.profiles.profile_save``); none chosen:
    # ``sharing_languages`` falls back to the language they read Relais in.
    languages = models.JSONField(_("languages I share in"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user_per_org"),
        ]
        indexes = [models.Index(fields=["organization", "role"])]
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def has_perm(self, permission: str) -> bool:
        return self.is_active and role_has_permission(self.role, permission)

    def reading_language(self) -> str:
        """The language this member reads Relais in (pages, e-mails, notices): theirs, else the organisation's. Reads
        ``user`` and ``organization``: select them with the membership."""
        return self.user.language or self.organization.language

    def sharing_languages(self) -> list[str]:
        """The languages the posts offered to this member may be in: those they chose, else the one they read in."""
        return list(self.languages) or [self.reading_language()]


class Programme(TenantModel):
    """A sub-programme: a group of members with its own topics, networks and admins."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="programmes")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=50, validators=[slug_validator])
    description = models.TextField(_("description"), blank=True)
    # Participation is opt-in: members join an open programme themselves (onboarding, their profile); the others
    # are filled by its admins.
    open_to_volunteers = models.BooleanField(
        _("open to volunteers"),
        default=False,
        help_text=_("Members may join this programme themselves, when they sign up as ambassadors or later."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="programme_unique_slug_per_org"),
        ]
        verbose_name = _("programme")

    def __str__(self) -> str:
        return self.name


class ProgrammeMember(TenantModel):
    """A membership in a programme; programme admins manage that programme."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="programme_links")
    is_admin = models.BooleanField(_("programme admin"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "membership"], name="programme_member_unique"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.programme.organization_id != self.membership.organization_id:
            raise ValueError("A programme and its members belong to the same organisation.")
        self.organization_id = self.programme.organization_id
        super().save(*args, **kwargs)


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(TenantModel):
    """An e-mailed, single-use, expiring invitation to join an organisation with a role."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AMBASSADOR)
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "email"])]
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization_id}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        """Return (token to e-mail, digest to store). Only the digest is kept."""
        raw = secrets.token_urlsafe(32)
        return raw, _token_digest(raw)

    @staticmethod
    def digest(raw: str) -> str:
        return _token_digest(raw)

    def is_pending(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class AuditEntry(TenantModel):
    """Who did what to which object, when, with which data. Written by services, never edited."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Who acted, as named at the time: the history still says who once the account is deleted, and names the API
    # token behind a call (an API token acts as no user).
    actor_name = models.CharField(max_length=150, blank=True)
    api_token_name = models.CharField(max_length=80, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            # A post's history: its entries, newest first, without reading the rest of the organisation's log.
            models.Index(
                fields=["organization", "object_type", "object_id", "created_at"], name="audit_object_history"
            ),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class ApiToken(TenantModel):
    """A token for the REST API: one organisation, one role, stored hashed, shown once, revocable."""

    PREFIX = "rls_"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to recognise the token in a list.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_secret(cls) -> tuple[str, str, str]:
        """Return (token to show once, digest to store, hint to display)."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        return raw, _token_digest(raw), raw[: len(cls.PREFIX) + 6]

    @staticmethod
    def digest(raw: str) -> str:
        return _token_digest(raw)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_perm(self, permission: str) -> bool:
        return self.is_active and role_has_permission(self.role, permission)


class SentEmail(TenantModel):
    """One e-mail message, by its key (``invitation:42``, ``notification:7``): claimed before it is sent, marked sent
    after, so a task run twice sends it once (``advocacy.mail.email_send_once``). The unique key is the guard; a row
    outlives caches and restarts."""

    key = models.CharField(max_length=200)
    # Set while a worker sends it; None when free again (a failed send released it).
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="sent_email_one_per_key")]
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")

    def __str__(self) -> str:
        return f"{self.key} ({'sent' if self.sent_at else 'not sent'})"
