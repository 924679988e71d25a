"""Register an agency's system: OAuth2 client credentials, scopes, and its webhook endpoint.

    manage.py register_agency_system SA-BANK --kind bank --webhook-url https://bank.example/hooks

Prints the client id, the client secret and the webhook secret once (only hashes of the
client secret are kept). docs/agencies.md is what the agency's IT department reads next.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.organisations import Agency
from core.errors import DomainError
from enforcement import oauth, webhooks


class Command(BaseCommand):
    help = "Register an agency's system (OAuth2 client credentials) and its webhook endpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", help="the agency's code, e.g. SA-BANK")
        parser.add_argument(
            "--kind",
            action="append",
            choices=sorted(oauth.SCOPE_KIND),
            required=True,
            help="a kind of order the system reads and answers (repeatable)",
        )
        parser.add_argument("--read-only", action="store_true", help="read scopes only")
        parser.add_argument("--name", default="", help="the application's name")
        parser.add_argument("--webhook-url", default="", help="where webhooks are pushed")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"no agency with the code {options['agency']!r}")
        verbs = ("read",) if options["read_only"] else oauth.VERBS
        scopes = [f"orders:{word}:{verb}" for word in options["kind"] for verb in verbs]
        with transaction.atomic():
            try:
                credentials = oauth.register_application(
                    agency=agency, name=options["name"] or f"{agency.code} system", scopes=scopes
                )
            except DomainError as error:
                raise CommandError(error.render()) from error
            endpoint = None
            if options["webhook_url"]:
                endpoint = webhooks.set_endpoint(agency=agency, url=options["webhook_url"])
        self.stdout.write(f"client id:      {credentials.client_id}")
        self.stdout.write(f"client secret:  {credentials.client_secret}")
        self.stdout.write(f"scopes:         {' '.join(sorted(scopes))}")
        if endpoint is not None:
            self.stdout.write(f"webhook url:    {endpoint.url}")
            self.stdout.write(f"webhook secret: {endpoint.secret}")
