"""Enforcement files, parties, seizure orders, seized assets, appraisals and agency letters."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    name = "enforcement"
    verbose_name = _("Enforcement")

    def ready(self) -> None:
        from enforcement import letter_versions  # its models load once the registry is ready

        letter_versions.connect()
