"""``render_site``: a feed as a static, offline web site a reviewer can look at.

``out_dir/index.html`` (version, validity window, checksum, links), one timetable page per route
and direction under ``timetables/``, ``map.html`` (SVG network map) and ``report.html`` (the
validation report, from ``report_page``), plus ``assets/``. Nothing is fetched from the network:
no CDN script, no map tile. The same feed renders to the same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from gtfs_builder.validate.csvio import InputError

if TYPE_CHECKING:
    from gtfs_builder.validate.report import Report

__all__ = ["InputError", "render_site"]


def render_site(
    feed_path: str | Path,
    out_dir: str | Path,
    *,
    report: Report | None = None,
    date: dt.date | str | None = None,
) -> Path:
    """Render the site of the feed at ``feed_path`` (zip or folder) into ``out_dir``; return the
    index page. Validates the feed first (``date`` = 'today' for the date rules) unless a
    ``report`` is given. Raises ``InputError`` when the feed cannot be read at all or lacks
    stops, routes, trips or stop_times (nothing to render); nothing is written then."""
    from gtfs_builder.render.feedview import FeedView
    from gtfs_builder.render.index import write_index
    from gtfs_builder.render.netmap import write_map
    from gtfs_builder.render.page import write_assets
    from gtfs_builder.render.report_page import write_report_page
    from gtfs_builder.render.timetables import write_timetables

    feed_path = Path(feed_path)
    if not feed_path.exists():
        raise InputError(f"{feed_path}: no such file or folder")
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    view = FeedView(feed_path)
    try:
        if report is None:
            from gtfs_builder.validate import validate

            report = validate(feed_path, date=date)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_assets(out_dir)
        pages = write_timetables(view, out_dir)
        write_map(view, out_dir, pages)
        write_report_page(report, out_dir, back_href="index.html")
        return write_index(view, out_dir, pages, report)
    finally:
        view.close()
