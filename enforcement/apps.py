"""Enforcement files, parties, seizure orders, seized assets, appraisals and agency letters."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    name = "enforcement"
    verbose_name = _("Enforcement")
