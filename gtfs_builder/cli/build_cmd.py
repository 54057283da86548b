"""``gtfs-builder build`` and ``gtfs-builder publish``: thin wrappers over ``gtfs_builder.publish``.

Exit codes: 0 success; 1 the feed was built but validation found ERRORs (not published);
2 the source has problems (each printed as ``file:line:column: path: message``; nothing written).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from gtfs_builder.cli.common import fail
from gtfs_builder.source import SourceErrors


def _report_source_errors(exc: SourceErrors) -> None:
    for err in exc.errors:
        click.echo(str(err), err=True)
    n = len(exc.errors)
    click.echo(f"{n} problem{'s' if n != 1 else ''} in the source; nothing was written.", err=True)


@click.command("build")
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The GTFS zip to write.",
)
def build(source_dir: Path, output: Path) -> None:
    """Compile the YAML network in SOURCE_DIR into a deterministic GTFS zip (no validation).

    \b
    Example:
      gtfs-builder build source/primorye -o primorye.zip
    """
    from gtfs_builder.publish import build_feed

    try:
        path = build_feed(source_dir, output)
    except SourceErrors as exc:
        _report_source_errors(exc)
        raise SystemExit(2) from None
    except OSError as exc:
        fail(f"cannot write {output}: {exc}")
    click.echo(f"wrote {path}")


@click.command("publish")
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--feeds-dir",
    default="feeds",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where <network>.zip and <network>.report.json are published.",
)
@click.option(
    "--date",
    "date",
    default=None,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Validate as of this date (YYYY-MM-DD); default today.",
)
def publish(source_dir: Path, feeds_dir: Path, date: dt.datetime | None) -> None:
    """Build, validate, and publish FEEDS_DIR/<network>.zip only if validation finds no ERROR.

    The report is written to FEEDS_DIR/<network>.report.json either way; a refused build leaves
    the previously published feed untouched.

    \b
    Example:
      gtfs-builder publish source/primorye --feeds-dir feeds --date 2024-12-16
    """
    from gtfs_builder.publish import publish as run_publish

    try:
        result = run_publish(source_dir, feeds_dir, date=date.date() if date else None)
    except SourceErrors as exc:
        _report_source_errors(exc)
        raise SystemExit(2) from None
    except OSError as exc:
        fail(f"cannot publish into {feeds_dir}: {exc}")
    counts = ", ".join(f"{n} {sev}" for sev, n in result.counts.items() if n) or "no notices"
    if result.published:
        click.echo(f"published {result.feed} ({counts}); report: {result.report_path}")
    else:
        click.echo(result.report.summary_text(), err=True)
        click.echo(
            f"NOT published: validation found errors ({counts}); report: {result.report_path}",
            err=True,
        )
        raise SystemExit(1)


COMMANDS = [build, publish]
