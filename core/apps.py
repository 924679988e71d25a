"""Shared helpers of every app: errors, audit records, transactions."""

from django.apps import AppConfig
from django.utils import translation

from core import money


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        money.use_reader_language(translation.get_language)
