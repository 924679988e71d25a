"""core.live knows no app: apps bring their topics and frames to it, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from core.live import hub

ROOT = Path(__file__).resolve().parents[3]


def our_apps() -> set[str]:
    """The project's own top-level packages that are apps, core aside."""
    return {
        app.split(".")[0]
        for app in settings.INSTALLED_APPS
        if (ROOT / app.split(".")[0]).is_dir() and app.split(".")[0] != "core"
    }


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_core_live_imports_an_app():
    apps = our_apps()
    sources = sorted((ROOT / "core" / "live").glob("*.py"))

    found = {
        path.name: sorted(imported_packages(path) & apps)
        for path in sources
        if imported_packages(path) & apps
    }

    assert {"auction", "accounts", "support", "frontend"} <= apps
    assert len(sources) >= 5
    assert not found, f"core/live imports apps: {found}"


def test_the_frame_interval_paces_the_topics_the_apps_registered_and_no_other():
    # auction registers its lots' public topics when it is ready.
    assert hub.is_paced("lot:4")
    assert not hub.is_paced("lot:4:user:7"), "one bidder's own topic is never held back"
    assert not hub.is_paced("announcements")


def test_registering_a_rule_twice_keeps_one(monkeypatch):
    monkeypatch.setattr(hub, "_paced_rules", ())

    def rule(topic: str) -> bool:
        return topic.startswith("a:")

    hub.pace_topics(rule)
    hub.pace_topics(rule)

    assert hub._paced_rules == (rule,)
    assert hub.is_paced("a:1")
    assert not hub.is_paced("lot:1")
