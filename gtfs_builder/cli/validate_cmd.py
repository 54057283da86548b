"""``gtfs-builder validate``: validate any GTFS zip or folder with the canonical rule set."""

from __future__ import annotations

import sys

import click

from gtfs_builder.cli.common import fail, feed_input, iso_date

FAIL_ON = ("error", "warning", "never")


@click.command(
    "validate",
    epilog="Example:\n\n  gtfs-builder validate feed.zip -o report.json --date 2025-06-01"
    " --fail-on warning\n\n  gtfs-builder validate feed.zip --html report/ --max-samples 0"
    "\n\nExit status: 0 nothing at or above --fail-on, 1 there is, 2 the input cannot be read.",
)
@click.argument("path", type=click.Path(path_type=str))
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False), help="Write report.json."
)
@click.option(
    "--html",
    "html",
    type=click.Path(),
    help="Write the HTML report: a .html file, or a directory (report.html in it); big reports"
    " put their data in <name>-data/ beside the page.",
)
@click.option("--date", "date", help="'Today' for date-dependent rules (YYYY-MM-DD).")
@click.option("--country-code", "country_code", help="ISO country code for phone numbers.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON, case_sensitive=False),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit status 1.",
)
@click.option(
    "--rules",
    "rules",
    type=click.Path(dir_okay=False),
    help="YAML/JSON config: {disable: [codes], severity: {code: WARNING}}.",
)
@click.option(
    "--max-samples",
    "max_samples",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Samples kept per notice code in the reports; 0 keeps every notice.",
)
def validate(
    path: str,
    output: str | None,
    html: str | None,
    date: str | None,
    country_code: str | None,
    fail_on: str,
    rules: str | None,
    max_samples: int,
) -> None:
    """Validate the GTFS feed at PATH (a zip or a folder) and print a summary."""
    from gtfs_builder.validate import validate as run
    from gtfs_builder.validate.config import ConfigError, load_config

    day = iso_date("--date", date)
    try:
        config = load_config(rules) if rules else None
    except ConfigError as exc:
        fail(str(exc))
    with feed_input():
        report = run(
            path, date=day, country_code=country_code, config=config, max_samples=max_samples
        )
    try:
        if output:
            report.write_json(output)
        if html:
            report.write_html(html)
    except OSError as exc:
        fail(f"cannot write report: {exc}")
    click.echo(report.summary_text(max_lines=30))
    sys.exit(report.exit_code(fail_on.lower()))


COMMANDS = [validate]
