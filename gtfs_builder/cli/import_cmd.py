"""``gtfs-builder import``: adopt an existing GTFS feed as a source folder that rebuilds it."""

from __future__ import annotations

from pathlib import Path

import click

from gtfs_builder.cli.common import fail, feed_input


@click.command("import")
@click.argument("feed", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The source folder to write, e.g. source/<network>/.",
)
@click.option("--force", is_flag=True, help="Replace the content of a non-empty output folder.")
@click.option(
    "--headways",
    is_flag=True,
    help="Write runs of 4+ identical trips at a constant headway as frequencies (expanded "
    "again on build: the same trips, with generated trip ids).",
)
def import_command(feed: Path, output: Path, force: bool, headways: bool) -> None:
    """Import FEED (a GTFS zip or folder) into a literal source folder that rebuilds it.

    Writes network.json, stops.json, routes.json (trips grouped into stopping patterns with
    departures lists) and shapes.json; every other file (fares, pathways, frequencies,
    locations.geojson, a producer's own files ...) is kept byte for byte in files/.

    \b
    Example:
      gtfs-builder import agency_gtfs.zip -o source/agency
      gtfs-builder build source/agency -o agency.zip

    Exit status: 0 imported, 2 the feed cannot be imported or the folder is not empty.
    """
    from gtfs_builder.importer import import_feed

    try:
        with feed_input():  # FeedImportError too (unusable feed, non-empty folder)
            result = import_feed(feed, output, force=force, headways=headways)
    except OSError as exc:
        fail(f"cannot write the source folder {output}: {exc}")
    counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
    click.echo(f"wrote {result.output}: {counts}")
    if result.files_kept:
        click.echo(f"kept as they are in files/: {', '.join(result.files_kept)}")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for name in result.not_kept:
        click.echo(f"warning: not in the rebuilt feed: {name}", err=True)


COMMANDS = [import_command]
