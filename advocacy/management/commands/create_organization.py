"""Create an organisation and its first administrator from the command line (first install, support)."""

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from advocacy.errors import ServiceError
from advocacy.models import Organization, User, slug_validator
from advocacy.services import organization_create


class Command(BaseCommand):
    help = "Create an organisation with a first administrator (the user is created when the address is new)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="Address of the organisation in URLs: /o/<slug>/")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES], default="fr")

    def handle(self, *args: Any, **options: Any) -> None:
        slug, email = options["slug"], options["admin_email"].strip().lower()
        try:
            slug_validator(slug)
        except ValidationError as exc:
            raise CommandError(f"Invalid slug {slug!r}: use lowercase letters, digits and dashes.") from exc
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Invalid e-mail address {email!r}.") from exc
        if not options["name"].strip():
            raise CommandError("The name cannot be empty.")
        # Organization is the tenant itself, not a scoped model: looking it up needs no scope.
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with the slug {slug!r} already exists.")
        try:
            with transaction.atomic():
                organization = organization_create(
                    slug=slug, name=options["name"].strip(), admin_email=email, language=options["language"]
                )
                self._verify_address(email)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        site = settings.RELAIS_SITE_URL.rstrip("/")
        self.stdout.write(self.style.SUCCESS(f"Created organisation {organization.name} ({organization.slug})."))
        self.stdout.write(f"Administrator: {email}")
        self.stdout.write(f"Organisation:  {site}{reverse('org_home', kwargs={'org': organization.slug})}")
        self.stdout.write(f"A new administrator chooses a password through {site}{reverse('account_reset_password')}")

    def _verify_address(self, email: str) -> None:
        """The operator typed this address for a person they know: it counts as verified, as for createsuperuser,
        so the administrator signs in right after choosing a password. An existing unverified address stays so."""
        admin = User.objects.get(email=email)
        has_primary = EmailAddress.objects.filter(user=admin, primary=True).exists()
        EmailAddress.objects.get_or_create(
            user=admin, email=email, defaults={"verified": True, "primary": not has_primary}
        )
