"""The site's front page: what this feed is (version, validity window, checksum) and links to
every timetable, the network map and the validation report."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from gtfs_builder.render.feedview import FeedView
from gtfs_builder.render.i18n import Texts
from gtfs_builder.render.page import render_page
from gtfs_builder.render.timetables import RoutePage, route_heading

if TYPE_CHECKING:
    from gtfs_builder.validate.report import Report


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _facts(view: FeedView, texts: Texts) -> str:
    fi = view.feed_info
    start, end, source = view.validity
    window = (f"{start.isoformat() if start else '?'} – {end.isoformat() if end else '?'}"
              if start or end else "—")
    agencies = ", ".join(
        texts.feed("agency", "agency_name", a.get("agency_id", ""), a.get("agency_name", ""))
        for _, a in sorted(view.agencies.items()))
    size = _size(view.path.stat().st_size) if view.path.is_file() else "folder"
    rows = [
        ("version", f'<span id="feed-version">{html.escape(fi.get("feed_version", "") or "—")}'
                    "</span>"),
        ("valid", f'<span id="validity">{html.escape(window)}</span> '
                  f'<span class="src">({html.escape(source)})</span>'),
        ("checksum", f'<code id="sha256">{view.sha256}</code> '
                     f'<span class="src">({html.escape(view.path.name)}, {size})</span>'),
        ("agency", agencies or "—"),
        ("zone", html.escape(view.agency_zone_name)),
    ]
    items = "".join(f"<dt>{texts.ui(k)}</dt><dd>{v}</dd>" for k, v in rows)
    publisher = fi.get("feed_publisher_name", "")
    if publisher:
        url = fi.get("feed_publisher_url", "")
        who = (f'<a href="{html.escape(url)}">{html.escape(publisher)}</a>' if url
               else html.escape(publisher))
        items += f"<dt>{texts.ui('publisher')}</dt><dd>{who}</dd>"
    return f'<dl class="facts">{items}</dl>'


def _report_box(report: Report | None, texts: Texts) -> str:
    if report is None:
        return ""
    from gtfs_builder.validate.notices import Severity

    counts = report.counts()
    badges = "".join(
        f'<span class="badge {sev.name.lower()}" data-severity="{sev.name}">'
        f"{counts.get(sev, 0):,} {sev.name}</span> "
        for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO))
    when = f" ({report.date.isoformat()})" if report.date else ""
    return (f'<section class="report-box"><h2><a href="report.html">{texts.ui("report")}</a>'
            f'</h2><p>{badges}<span class="src">{html.escape(when)}</span></p></section>')


def _route_list(view: FeedView, pages: list[RoutePage], texts: Texts) -> str:
    by_route: dict[str, list[RoutePage]] = {}
    for page in pages:
        by_route.setdefault(page.route_id, []).append(page)
    rows = []
    for rid, group in by_route.items():
        heading, _ = route_heading(view, rid, texts)
        links = " ".join(
            f'<a class="dir" href="{html.escape(p.path)}">→ '
            + (texts.feed("trips", "trip_headsign", "", p.headsign) if p.headsign
               else f"{texts.ui('direction')} {p.direction or '–'}")
            + f' <span class="n">({len(p.trips)})</span></a>'
            for p in group)
        rows.append(f'<li data-route="{html.escape(rid)}"><span class="rname">{heading}</span> '
                    f"{links}</li>")
    return (f'<section><h2>{texts.ui("timetables")}</h2>'
            f'<ul class="routes">{"".join(rows)}</ul></section>')


def write_index(view: FeedView, out_dir: Path, pages: list[RoutePage],
                report: Report | None) -> Path:
    texts = Texts(view)
    fi = view.feed_info
    title = fi.get("feed_publisher_name") or ", ".join(
        a.get("agency_name", "") for a in view.agencies.values()) or view.path.stem
    body = (
        _facts(view, texts)
        + _report_box(report, texts)
        + f'<section class="map-box"><h2><a href="map.html">{texts.ui("map")}</a></h2></section>'
        + _route_list(view, pages, texts)
    )
    out = out_dir / "index.html"
    out.write_text(render_page(title=title, heading=html.escape(title), body=body, texts=texts,
                               active="index", has_report=report is not None),
                   encoding="utf-8")
    return out
