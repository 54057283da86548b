"""``gtfs-builder diff``: what changed for riders between two versions of a GTFS feed."""

from __future__ import annotations

import sys

import click

from gtfs_builder.cli.common import feed_input, iso_date


@click.command("diff")
@click.argument("old", type=click.Path(path_type=str))
@click.argument("new", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON instead of text.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First service day compared.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last service day compared.")
def diff(old: str, new: str, as_json: bool, date_from: str | None, date_to: str | None) -> None:
    """Compare feed OLD with feed NEW (zips or folders) for what riders would notice.

    Routes and stops added, removed or renamed; trips added or removed per service day;
    departures moved; calendar changes. Ids, shapes and fares do not count. By default the
    days compared span both feeds' service windows.

    Exit status, like diff(1): 0 no change for riders, 1 changes, 2 an input cannot be read.

    \b
    Example:
      gtfs-builder diff feeds/primorye.zip build/primorye.zip --from 2025-01-01 --to 2025-03-31
      gtfs-builder diff old.zip new.zip --json > changes.json
    """
    from gtfs_builder.diff import diff_feeds

    dates = (iso_date("--from", date_from), iso_date("--to", date_to))
    with feed_input():  # DiffInputError too: it names the file, row, field and value
        result = diff_feeds(old, new, dates=dates if any(dates) else None)
    click.echo(result.to_json() if as_json else result.to_text())
    sys.exit(0 if result.is_empty else 1)


COMMANDS = [diff]
