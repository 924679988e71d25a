"""The notice preferences form: for each topic, the channels the reader wants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import channels, kinds, services

INVALID_CHANNEL = _("Choose only among the channels listed here.")


def _field_name(topic: str) -> str:
    return topic.lower()


def channel_choices() -> list[tuple[str, str]]:
    return [
        (name, str(channel.label))
        for name, channel in channels.CHANNELS.items()
        if channel().is_configured()
    ]


class PreferencesForm(forms.Form):
    """One checkbox list per topic; a value that is no channel is refused by name."""

    def __init__(self, *args: Any, user_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = services.preferences_of(user_id)
        for topic, label in kinds.TOPICS.items():
            self.fields[_field_name(topic)] = forms.MultipleChoiceField(
                label=label,
                choices=channel_choices(),
                required=False,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                initial=sorted(chosen.get(topic, frozenset())),
                error_messages={"invalid_choice": INVALID_CHANNEL},
            )

    def chosen(self) -> dict[str, list[str]]:
        return {topic: self.cleaned_data[_field_name(topic)] for topic in kinds.TOPICS}

    def rows(self) -> list[dict[str, Any]]:
        """The table the page draws: a topic, its field, and whether it holds mandatory notices."""
        mandatory = {kind.topic for kind in kinds.KINDS.values() if kind.is_mandatory}
        return [
            {"field": self[_field_name(topic)], "is_mandatory": topic in mandatory}
            for topic in kinds.TOPICS
        ]
