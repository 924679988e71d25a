"""The installable app's PNG icons, drawn from the site's emblem by Chromium.

Usage: ``.venv/bin/python scripts/app_icons.py`` (writes the app-icon PNGs beside the emblem)

The emblem (frontend/static/frontend/img/emblem.svg) on the site's green: the "any" icons
keep a margin round the shield; the maskable one keeps it inside the central 80% circle that
every launcher's mask leaves whole. Run it again when the emblem changes, and commit the PNGs.
"""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "frontend" / "static" / "frontend" / "img"
GREEN = "#0b5c4b"
# name: (size in pixels, share of the side the emblem takes, rounded corners)
ICONS = {
    "app-icon-192.png": (192, 0.78, True),
    "app-icon-512.png": (512, 0.78, True),
    "app-icon-maskable-512.png": (512, 0.56, False),
    "app-icon-apple-180.png": (180, 0.7, False),
}


def page_of(svg: str, size: int, share: float, rounded: bool) -> str:
    radius = f"{size // 5}px" if rounded else "0"
    emblem = int(size * share)
    return (
        "<!doctype html><html><body style='margin:0;background:transparent'>"
        f"<div style='width:{size}px;height:{size}px;background:{GREEN};border-radius:{radius};"
        "display:flex;align-items:center;justify-content:center'>"
        f"<img src='data:image/svg+xml;base64,{svg}' width='{emblem}' height='{emblem}'>"
        "</div></body></html>"
    )


def main() -> None:
    svg = base64.b64encode((IMAGES / "emblem.svg").read_bytes()).decode()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for name, (size, share, rounded) in ICONS.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(page_of(svg, size, share, rounded))
            page.screenshot(path=IMAGES / name, omit_background=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
