"""Forms of saved searches and questions on lots.

They only carry what was typed: the rules (length, control characters, limits) are the
services' (`auction.saved_searches`, `auction.questions`), whose refusals are shown next to
the field they name, so a form and any other caller are refused alike.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from auction import questions, saved_searches


class _Text(forms.CharField):
    """Text passed to the service as typed (it names the rule a bad text breaks)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)
        self.validators = []


class SaveSearchForm(forms.Form):
    name = _Text(
        label=_("Name of the search"),
        widget=forms.TextInput(attrs={"maxlength": saved_searches.MAX_NAME}),
    )
    query = _Text(widget=forms.HiddenInput)
    alerts = forms.BooleanField(
        label=_("E-mail me when a new lot matches"), required=False, initial=True
    )


class EditSearchForm(forms.Form):
    name = _Text(
        label=_("Name"), widget=forms.TextInput(attrs={"maxlength": saved_searches.MAX_NAME})
    )
    alerts = forms.BooleanField(label=_("E-mail me when a new lot matches"), required=False)


class QuestionForm(forms.Form):
    text = _Text(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": questions.MAX_QUESTION}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _(
            "The court answers on this page; your name is never shown. At most %(max)s characters."
        ) % {"max": questions.MAX_QUESTION}


class AnswerForm(forms.Form):
    answer = _Text(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": questions.MAX_ANSWER}),
    )


class RejectForm(forms.Form):
    reason = _Text(
        label=_("Reason for rejecting (sent to the asker)"),
        widget=forms.TextInput(attrs={"maxlength": questions.MAX_REASON}),
    )
