"""The index page: version, validity window, checksum, and a working link to every page."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from gtfs_builder.validate import validate
from gtfs_builder.validate.notices import Severity


def test_index_facts_and_links(page: Any, primorye_site: Path, primorye_zip: Path,
                               screenshot: Any) -> None:
    page.goto((primorye_site / "index.html").as_uri())
    with zipfile.ZipFile(primorye_zip) as zf:
        info = next(csv.DictReader(io.StringIO(zf.read("feed_info.txt").decode())))
    version = info["feed_version"]
    assert version and page.locator("#feed-version").inner_text() == version
    assert page.locator("#validity").inner_text() == "2024-12-15 – 2027-12-11"
    assert page.locator("#sha256").inner_text() == hashlib.sha256(
        primorye_zip.read_bytes()).hexdigest()
    hrefs = page.locator("main a[href], header a[href]").evaluate_all(
        "as => as.map(a => a.href)")
    local = {unquote(urlparse(h).path) for h in hrefs if h.startswith("file:")}
    pages = {p.relative_to(primorye_site).as_posix() for p in
             (primorye_site / "timetables").glob("*.html")}
    assert len(pages) == 4  # 2 routes x 2 directions
    linked = {Path(p).relative_to(primorye_site).as_posix() for p in local}
    assert pages | {"map.html", "report.html", "index.html"} <= linked
    assert all(Path(p).is_file() for p in local)
    badges = page.locator(".report-box .badge").all_inner_texts()
    counts = validate(primorye_zip, date="2025-06-01").counts()
    assert badges == [f"{counts[s]:,} {s.name}" for s in
                      (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    page.select_option("#lang-switch", "en")
    assert "Korean State Railway" in page.locator("dl.facts").inner_text()
    screenshot("index-primorye-en")
    assert page.console_errors == [] and page.external_requests == []


def test_every_page_opens_offline(page: Any, primorye_site: Path) -> None:
    """Every page of the site loads from disk with no request leaving file:// and no error."""
    for path in sorted(primorye_site.rglob("*.html")):
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.locator("h1").count() >= 1, path
    assert page.external_requests == []
    assert page.console_errors == []


def test_validity_from_calendar_without_feed_info(page: Any, real_sites: dict[str, Path]) -> None:
    """Caltrain 2017 has no feed_info.txt: the window is the calendar's first and last day."""
    page.goto((real_sites["valid_caltrain_2017_partridge"] / "index.html").as_uri())
    assert page.locator("#validity").inner_text() == "2017-07-15 – 2019-07-20"
    assert page.locator("#feed-version").inner_text() == "—"
    assert page.locator("ul.routes li").count() == 4
    assert page.locator("#lang-switch").count() == 0  # no translations: nothing to switch
