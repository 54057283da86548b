"""``gtfs-builder render``: a feed as a static, offline site (timetables, map, report, index)."""

from __future__ import annotations

import datetime as dt
import sys

import click


@click.command(
    "render",
    epilog="Example:\n\n  gtfs-builder render feeds/primorye.zip -o feeds/primorye"
    " --date 2025-06-01\n\nThen open feeds/primorye/index.html (works offline, from disk)."
    "\n\nExit status: 0 rendered, 2 the feed cannot be read or the arguments are wrong.",
)
@click.argument("feed", type=click.Path(path_type=str))
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Folder to write the site into (created; existing pages are overwritten).")
@click.option("--date", "date", help="'Today' for the validation report's date rules (YYYY-MM-DD).")
def render(feed: str, output: str, date: str | None) -> None:
    """Render the GTFS feed FEED (zip or folder) as a static site in OUTPUT: index.html,
    one timetable per route and direction, map.html and report.html."""
    from gtfs_builder.render import InputError, render_site

    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        click.echo(f"error: --date {date!r} is not a YYYY-MM-DD date", err=True)
        sys.exit(2)
    try:
        index = render_site(feed, output, date=day)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: cannot write the site to {output}: {exc}", err=True)
        sys.exit(2)
    click.echo(f"wrote {index}")


COMMANDS = [render]
