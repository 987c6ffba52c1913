"""The README's pictures of the dashboards, taken from a demo's pages (`make demo`, then
`python -m edx_assets.local.screenshots .edx-local/data/reports/<week>/dashboards docs`): Debian's Chromium,
offline, once every chart is interactive."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

PAGES = {"dashboard_course.png": "idbx_idb4_1x_2015_t4.html", "dashboard_compare.png": "compare.html",
         "dashboard_portfolio.png": "index.html"}


def take(folder: Path, target: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_context(viewport={"width": 1500, "height": 1000}, offline=True).new_page()
        for name, source in PAGES.items():
            page.goto((folder / source).resolve().as_uri())
            page.wait_for_function("document.querySelectorAll('figure.chart[data-interactive]').length == "
                                   "document.querySelectorAll('figure.chart script.spec').length", timeout=30_000)
            page.screenshot(path=str(target / name), full_page=True)
            written.append(target / name)
        browser.close()
    return written


if __name__ == "__main__":
    for path in take(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
