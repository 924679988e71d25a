"""The Arabic catalogue is complete and its placeholders match the English ones."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from babel.messages.pofile import read_po

from tests.harness.servers import ROOT

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def catalogue():
    with (ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle, locale="ar")


def messages():
    return [m for m in catalogue() if m.id]


def test_every_message_has_an_arabic_translation():
    missing = [m.id for m in messages() if not (all(m.string) if m.pluralizable else m.string)]

    assert not missing, f"translate these in locale/ar/LC_MESSAGES/django.po: {missing}"


def test_no_translation_is_fuzzy():
    fuzzy = [m.id for m in messages() if m.fuzzy]

    assert not fuzzy


def test_placeholders_are_kept_in_translation():
    wrong = []
    for message in messages():
        source = message.id[0] if message.pluralizable else message.id
        target = message.string[0] if message.pluralizable else message.string
        if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(target)):
            wrong.append(source)

    assert not wrong, wrong


# Placeholders that hold an amount of money. Arabic amounts end with the currency's
# abbreviation, and most end with its full stop ("1,234.00 ر.س."): a sentence's own full stop
# straight after one shows as "ر.س..".
MONEY = {
    "amount", "balance", "claim", "costs", "deposit", "held", "maximum", "minimum",
    "premium", "price", "recorded", "total", "vat", "vat_base",
}  # fmt: skip


def test_no_arabic_sentence_puts_its_full_stop_straight_after_an_amount():
    doubled = []
    for message in messages():
        targets = message.string if message.pluralizable else [message.string]
        for target in targets:
            for match in PLACEHOLDER.finditer(target):
                name = match.group(1) or match.group(2)
                if name in MONEY and target[match.end() : match.end() + 1] == ".":
                    doubled.append(target)

    assert not doubled, f"end these sentences other than on the amount: {doubled}"


EXTRACT = """
import django
django.setup()
from django.core.management import call_command
call_command("makemessages", locale=["ar"], verbosity=0, no_obsolete=True,
             ignore_patterns=["node_modules", "var", "tests", "bench"])
"""
SKIPPED = shutil.ignore_patterns(
    ".venv", "node_modules", "var", "tests", "bench", ".git", "locale", "__pycache__", "*.mo"
)


def test_the_catalogue_holds_every_string_the_code_marks_for_translation(tmp_path):
    # makemessages writes next to the sources, so it runs on a copy of them.
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=SKIPPED)
    (copy / "locale" / "ar" / "LC_MESSAGES").mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    subprocess.run([sys.executable, "-c", EXTRACT], cwd=copy, env=env, check=True)
    with (copy / "locale" / "ar" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    committed = {m.id if isinstance(m.id, str) else m.id[0] for m in messages()}

    missing = extracted - committed

    assert not missing, f"run `make messages` and translate: {sorted(missing)}"


def test_msgfmt_accepts_the_catalogue_with_its_format_checks():
    result = subprocess.run(
        [
            "msgfmt",
            "--check-format",
            "-o",
            os.devnull,
            str(ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
