"""Every error code the enforcement app can refuse with is documented in docs/errors.md."""

from __future__ import annotations

import re

from tests.harness.servers import ROOT

CODE = re.compile(r'code="([a-z_]+)"')


def test_every_enforcement_error_code_is_documented():
    documented = set(
        re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M)
    )
    sources = [
        *(ROOT / "enforcement").rglob("*.py"),
        ROOT / "core" / "uploads.py",
        ROOT / "core" / "money.py",
        ROOT / "core" / "forms.py",
    ]
    used = {code for path in sources for code in CODE.findall(path.read_text())}
    used |= {"file_not_found", "unauthenticated"}  # set in dictionaries, not as keywords

    missing = used - documented

    assert not missing, f"document in docs/errors.md: {sorted(missing)}"
