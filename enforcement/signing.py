"""Signing a court document with the court's key, with the refusals a person can act on.

One place turns the signing library's failures into the two answers staff see: the court has
no key yet (`signing_not_configured`), or signing failed and nothing changed (`signing_failed`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from core import pdf_signing
from core.errors import DomainError

logger = logging.getLogger(__name__)


def signed(pdf: bytes, court: Any, *, number: str, reason: str, signer_name: str) -> bytes:
    """`pdf` signed with `court`'s key (PAdES); raises DomainError when it cannot be."""
    try:
        return pdf_signing.sign_pdf(pdf, court, reason=reason, signer_name=signer_name)
    except pdf_signing.SigningNotConfigured as error:
        raise DomainError(
            _(
                "This court has no signing key yet, so nothing can be signed: the court's IT "
                "department sets it in COURT_SIGNING_KEYS."
            ),
            code="signing_not_configured",
        ) from error
    except Exception as error:  # a key that will not load, a time-stamping authority down
        logger.exception("Signing %s for court %s failed", number, court.code)
        raise DomainError(
            _("The document could not be signed; nothing was changed. Try again shortly."),
            code="signing_failed",
        ) from error
