"""Every status a record of ours can be in has a badge colour: a new state is never a grey
badge by accident."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings

from frontend.templatetags.mazad import STATUS_TONES, status_badge

OURS = {
    name.split(".")[0]
    for name in settings.INSTALLED_APPS
    if (settings.BASE_DIR / name.split(".")[0]).is_dir()
}


def test_every_status_of_our_records_has_a_tone() -> None:
    missing = {}
    for model in apps.get_models():
        if model._meta.app_label not in OURS:
            continue
        field = next((f for f in model._meta.fields if f.name == "status"), None)
        if field is None or not field.choices:
            continue
        unknown = [value for value, _label in field.choices if value not in STATUS_TONES]
        if unknown:
            missing[model._meta.label] = unknown
    assert missing == {}


def test_a_badge_shows_the_label_in_its_tone() -> None:
    class Order:
        status = "NOT_EXECUTED"

        def get_status_display(self) -> str:
            return "Not executed"

    assert status_badge(Order()) == (
        '<span class="badge status-badge text-bg-warning">Not executed</span>'
    )
