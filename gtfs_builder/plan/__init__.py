"""Journey planning over a GTFS feed: a small, vectorised RAPTOR.

It exists to prove that a published feed answers real rider questions ("leave Khasan after
15:00 on Monday, when do I reach Tumangang?") with each time in its stop's own zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gtfs_builder.plan.raptor import Journey, Leg, plan
from gtfs_builder.plan.timetable import PlanError, Timetable, load_timetable

__all__ = [
    "Journey", "Leg", "PlanError", "Query", "Timetable", "format_journey", "load_timetable",
    "plan", "plan_query", "query",
]


@dataclass(frozen=True)
class Query:
    """A rider's question, resolved against one timetable."""

    origins: list[int]
    targets: list[int]
    depart: int  # UTC epoch seconds
    zone: str  # the zone the departure time was given in


def query(tt: Timetable, origin: str, target: str, depart: str, tz: str | None = None) -> Query:
    """Resolve stop ids/names and 'YYYY-MM-DD HH:MM' (in ``tz``, default the origin's zone)."""
    origins = tt.resolve_stop(origin)
    targets = tt.resolve_stop(target)
    zone = tz or str(tt.stop_tz[origins[0]])
    try:
        zi = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError(f"unknown time zone {zone!r}") from None
    try:
        naive = dt.datetime.strptime(depart.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise PlanError(f"departure {depart!r} is not 'YYYY-MM-DD HH:MM'") from None
    return Query(origins, targets, int(naive.replace(tzinfo=zi).timestamp()), zone)


def plan_query(feed: str | Path | Timetable, origin: str, target: str, depart: str,
               tz: str | None = None, *, max_rides: int = 6,
               horizon_hours: float = 24) -> list[Journey]:
    """Load (or reuse) a timetable and return the Pareto journeys for one question."""
    tt = feed if isinstance(feed, Timetable) else load_timetable(feed)
    q = query(tt, origin, target, depart, tz)
    return plan(tt, q.origins, q.targets, q.depart, max_rides=max_rides,
                horizon=int(horizon_hours * 3600))


def local(tt: Timetable, stop: int, t: int) -> dt.datetime:
    """UTC seconds as wall-clock time in the stop's own zone."""
    return dt.datetime.fromtimestamp(t, ZoneInfo(str(tt.stop_tz[stop])))


def _fmt(tt: Timetable, stop: int, t: int, with_date: bool = False) -> str:
    d = local(tt, stop, t)
    stamp = d.strftime("%a %Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f"{stamp} {tt.stop_tz[stop]} (UTC{d.strftime('%z')[:3]}:{d.strftime('%z')[3:]})"


def format_journey(tt: Timetable, j: Journey, lang: str | None = None) -> str:
    """Human-readable journey, every time in the local zone of the stop where it applies.

    Stop names in ``lang`` where the feed's translations have it (e.g. "en"), else as in stops.txt.
    """
    lines = []
    for leg in j.legs:
        a, b = tt.stop_name(leg.from_stop, lang), tt.stop_name(leg.to_stop, lang)
        if leg.kind == "trip":
            route = tt.route_names[tt.trip_route[leg.trip]] if tt.trip_route[leg.trip] >= 0 else ""
            lines.append(f"  {tt.trip_label[leg.trip]} ({route}, trip {tt.trip_ids[leg.trip]})")
            lines.append(f"    dep {a} [{tt.stop_ids[leg.from_stop]}] "
                         f"{_fmt(tt, leg.from_stop, leg.depart, True)}")
            lines.append(f"    arr {b} [{tt.stop_ids[leg.to_stop]}] "
                         f"{_fmt(tt, leg.to_stop, leg.arrive, True)}")
        elif leg.from_stop != leg.to_stop:
            mins = (leg.arrive - leg.depart) // 60
            lines.append(f"  walk {a} -> {b} ({mins} min)")
    dur = (j.arrive - j.depart) // 60
    first, last = j.legs[0].from_stop, j.legs[-1].to_stop
    head = (f"{tt.stop_name(first, lang)} -> {tt.stop_name(last, lang)}: arrive "
            f"{_fmt(tt, last, j.arrive, True)}; {dur // 60} h {dur % 60:02d} min, "
            f"{j.transfers} transfer{'s' if j.transfers != 1 else ''}")
    return "\n".join([head, *lines])
