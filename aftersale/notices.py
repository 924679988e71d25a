"""Telling people what happened after the sale: an e-mail in their language, after commit."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.functional import Promise

from core import metrics
from core.transactions import after_commit

logger = logging.getLogger(__name__)


def tell(user: Any, subject: str | Promise, body: str | Promise, **params: Any) -> None:
    """E-mail `user` once the transaction commits; a failed e-mail never undoes the change.

    A parameter may be a callable: it is called in the user's language, so amounts and dates
    are written as that language writes them (core.formatting).
    """
    if user is None or not getattr(user, "email", ""):
        return
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        params = {name: value() if callable(value) else value for name, value in params.items()}
        subject_text = str(subject) % params if params else str(subject)
        body_text = str(body) % params if params else str(body)
    recipient = user.email

    def send() -> None:
        try:
            send_mail(subject_text, body_text, None, [recipient])
        except Exception:
            metrics.email_failed("aftersale")
            logger.warning("could not e-mail user %s", getattr(user, "pk", None), exc_info=True)
        else:
            metrics.email_sent("aftersale")

    after_commit(send)
