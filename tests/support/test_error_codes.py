"""Every error code the support desk can refuse with is documented in docs/errors.md."""

from __future__ import annotations

import re

from tests.harness.servers import ROOT

CODE = re.compile(r'code="([a-z_]+)"|code=error\.code or "([a-z_]+)"')


def test_every_support_error_code_is_documented():
    documented = set(
        re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M)
    )
    used = {
        first or second
        for path in (ROOT / "support").rglob("*.py")
        for first, second in CODE.findall(path.read_text())
    }

    missing = used - documented

    assert used
    assert not missing, f"document in docs/errors.md: {sorted(missing)}"
