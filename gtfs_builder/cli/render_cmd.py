"""``gtfs-builder render``: a feed as a static, offline site (timetables, map, report, index)."""

from __future__ import annotations

import click

from gtfs_builder.cli.common import fail, feed_input, iso_date


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
    from gtfs_builder.render import render_site

    day = iso_date("--date", date)
    try:
        with feed_input():
            index = render_site(feed, output, date=day)
    except OSError as exc:
        fail(f"cannot write the site to {output}: {exc}")
    click.echo(f"wrote {index}")


COMMANDS = [render]
