"""Browser fixtures for the rendered site: headless Chromium from Debian driven by Playwright.

Playwright's own browser download cannot work offline, so it is pointed at ``/usr/bin/chromium``
(Debian's ``chromium`` package, installed by ``tests/render/install.sh``, run by ``make browser``).
A missing browser or Python package fails the suite with the command that installs it: a skipped
browser test would hide a broken site.

``primorye_site`` renders the freshly built Primorye network once per session, the way
``make build`` renders ``feeds/<network>/``. Screenshots go to one folder that is kept (its path
is printed; ``pytest -s`` shows it) so a reviewer can look at them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_FEEDS = REPO / ".." / "shared" / "feeds"
CHROMIUM = Path(os.environ.get("GTFS_BUILDER_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "run `make browser` (bash tests/render/install.sh) and `make .venv/.installed-test`"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (starting one costs ~1 s)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - environment problem, reported clearly
        pytest.fail(f"Python package playwright is missing: {INSTALL_HINT}")
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: {INSTALL_HINT}")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own context: no state leaks between tests) that records console errors and
    any request leaving ``file://``, so tests can assert the site works offline."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.external_requests = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))

    def _route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
        else:
            pg.external_requests.append(url)
            route.abort()

    pg.route("**/*", _route)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Outside pytest's tmp dirs (pytest deletes all but the last three runs' dirs), so the
    screenshots stay until the next run: ``$GTFS_BUILDER_SCREENSHOTS``, else
    ``<tmp>/gtfs-builder-screenshots``."""
    path = Path(os.environ.get("GTFS_BUILDER_SCREENSHOTS")
                or Path(tempfile.gettempdir()) / "gtfs-builder-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nrender screenshots: {path}")
    return path


@pytest.fixture
def screenshot(page: Any, screenshot_dir: Path) -> Any:
    """``screenshot("name")`` saves the current page (full height) as ``<dir>/name.png``."""

    def take(name: str, *, full_page: bool = True) -> Path:
        out = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(out), full_page=full_page)
        print(f"screenshot: {out}")
        return out

    return take


@pytest.fixture(scope="session")
def primorye_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Primorye network built from ``source/primorye`` (no validation)."""
    from gtfs_builder.publish import build_feed

    out = tmp_path_factory.mktemp("primorye-feed") / "primorye.zip"
    return build_feed(REPO / "source" / "primorye", out)


@pytest.fixture(scope="session")
def primorye_site(primorye_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered site of the Primorye feed (a ``feeds/<network>/``-like folder); returns the
    folder, whose ``index.html`` links every page."""
    from gtfs_builder.render import render_site

    out = tmp_path_factory.mktemp("site") / "primorye"
    render_site(primorye_zip, out, date="2025-06-01")
    return out


@pytest.fixture(scope="session")
def real_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sites of two real feeds from ../shared/feeds (Caltrain 2017, TriMet 2018), keyed by the
    zip's stem: rendering must work for any valid feed, not only ours."""
    from gtfs_builder.render import render_site

    out = {}
    for name in ("valid_caltrain_2017_partridge", "valid_trimet_vermont_partridge"):
        site = tmp_path_factory.mktemp(name)
        render_site(SHARED_FEEDS / f"{name}.zip", site, date="2018-03-01")
        out[name] = site
    return out
