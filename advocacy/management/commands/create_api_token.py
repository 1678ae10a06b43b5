"""Create an API token for an organisation and print it once (scripts, integrations)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advocacy.errors import ServiceError
from advocacy.models import Organization
from advocacy.roles import Role
from advocacy.services import api_token_create
from advocacy.tenancy import organization_scope


class Command(BaseCommand):
    help = "Create an API token for one organisation and role. The token is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Slug of the organisation")
        parser.add_argument("--name", required=True, help="What the token is for, to recognise it in a list")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if role not in Role.values:
            raise CommandError(f"Unknown role {role!r}. Valid roles: {', '.join(Role.values)}.")
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        if not options["name"].strip():
            raise CommandError("The name cannot be empty.")
        try:
            with organization_scope(organization):
                token, raw = api_token_create(
                    organization=organization, name=options["name"].strip(), role=role, by=None
                )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Token {token.name!r} ({token.role}) for {organization.slug}. It is shown once and cannot be read again:"
        )
        # The token alone on stdout, so a script can capture it: TOKEN=$(manage.py create_api_token ...)
        self.stdout.write(raw)
