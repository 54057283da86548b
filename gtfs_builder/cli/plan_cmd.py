"""``gtfs-builder plan``: ask a feed a rider's question with the RAPTOR journey planner."""

from __future__ import annotations

import click

from gtfs_builder.cli.common import fail
from gtfs_builder.plan import PlanError, format_journey, load_timetable, plan, query


@click.command("plan")
@click.argument("feed", type=click.Path(exists=True, dir_okay=True))
@click.argument("origin", metavar="FROM")
@click.argument("target", metavar="TO")
@click.option("--depart", required=True, metavar="'YYYY-MM-DD HH:MM'",
              help="Leave FROM at or after this time.")
@click.option("--tz", default=None, metavar="ZONE",
              help="IANA zone of --depart (default: FROM's own zone, e.g. Asia/Vladivostok).")
@click.option("--max-transfers", default=5, show_default=True, type=click.IntRange(0, 20),
              help="Most changes of vehicle to consider.")
@click.option("--within", "within_hours", default=24.0, show_default=True,
              type=click.FloatRange(0, 24 * 14, min_open=True),
              help="Only journeys arriving within this many hours of --depart.")
@click.option("--lang", default=None, metavar="LANG",
              help="Print stop names in this language of the feed's translations (e.g. en, ko).")
@click.option("--all", "show_all", is_flag=True,
              help="Also show slower journeys that need fewer transfers.")
def plan_command(feed: str, origin: str, target: str, depart: str, tz: str | None,
                 max_transfers: int, within_hours: float, lang: str | None,
                 show_all: bool) -> None:
    """Earliest arrival from FROM to TO in FEED (a GTFS zip or folder).

    FROM and TO are a stop_id or a stop name in any language of the feed's translations
    (a station means any of its platforms). Each time is printed in the local time zone of the
    stop where it applies. Prints "no journey" and exits 1 when there is none; exits 2 on bad
    input (unknown stop, unreadable feed, malformed time).

    \b
    Example:
      gtfs-builder plan feeds/primorye.zip Khasan Tumangang --depart '2024-12-16 15:00'
      gtfs-builder plan feeds/primorye.zip 하산 두만강 --depart '2024-12-16 08:00' \\
          --tz Europe/Moscow --lang ko
    """
    try:
        tt = load_timetable(feed)
        q = query(tt, origin, target, depart, tz)
        journeys = plan(tt, q.origins, q.targets, q.depart, max_rides=max_transfers + 1,
                        horizon=int(within_hours * 3600))
    except PlanError as exc:
        fail(str(exc))
    if not journeys:
        click.echo(f"no journey from {origin} to {target} leaving after {depart} {q.zone} "
                   f"(arriving within {within_hours:g} h)")
        raise SystemExit(1)
    # The Pareto list runs from fewest transfers to earliest arrival; the last one is fastest.
    shown = journeys if show_all else journeys[-1:]
    click.echo("\n\n".join(format_journey(tt, j, lang) for j in shown))


COMMANDS = [plan_command]
