"""Create the first administrator from ADMIN_EMAIL and ADMIN_PASSWORD; idempotent.

For a deployment's first start (docker compose's `migrate` service runs it after the
migrations): without ADMIN_EMAIL it does nothing; with an account of that e-mail already
there it changes nothing (a password changed later in the environment does not overwrite
the one the administrator chose since).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User
from core import audit


class Command(BaseCommand):
    help = "Create the first administrator from ADMIN_EMAIL and ADMIN_PASSWORD (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        email = os.environ.get("ADMIN_EMAIL", "").strip().lower()
        password = os.environ.get("ADMIN_PASSWORD", "")
        if not email:
            self.stdout.write("ADMIN_EMAIL is not set: no administrator created.")
            return
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError("ADMIN_EMAIL is not an e-mail address.") from None
        if User.objects.filter(email=email).exists():
            self.stdout.write(f"The administrator {email} exists; nothing changed.")
            return
        if not password:
            raise CommandError("ADMIN_PASSWORD must be set with ADMIN_EMAIL.")
        name = os.environ.get("ADMIN_NAME", "").strip() or "Administrator"
        candidate = User(email=email, full_name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("ADMIN_PASSWORD: " + " ".join(error.messages)) from None
        self._create(email=email, password=password, name=name)
        self.stdout.write(f"Created the administrator {email}.")

    @transaction.atomic
    def _create(self, *, email: str, password: str, name: str) -> None:
        user = User.objects.create_user(
            email,
            password,
            full_name=name[:200],
            # A platform administrator files no identity document: a number of its own.
            id_number="ADMIN-" + hashlib.sha256(email.encode()).hexdigest()[:16].upper(),
            phone="",
            is_staff=True,
            is_superuser=True,
        )
        audit.record(
            actor=None, action="user.administrator_created", obj=user, after={"email": email}
        )
