"""RAPTOR agrees with a brute-force Connection Scan on random small timetables."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gtfs_builder.plan import load_timetable, plan_query

N_STOPS = 5
DAY = dt.date(2024, 6, 4)
TZ = "Europe/Berlin"

trip_strategy = st.tuples(
    st.lists(st.integers(0, N_STOPS - 1), min_size=2, max_size=4, unique=True),  # stops
    st.integers(0, 30 * 3600),  # first departure, up to 30:00:00
    st.lists(st.integers(60, 3 * 3600), min_size=3, max_size=3),  # run times
    st.lists(st.integers(0, 600), min_size=3, max_size=3),  # dwell times
)


def _hms(t: int) -> str:
    return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def _write(folder: Path, trips: list[tuple[list[int], int, list[int], list[int]]]) -> list:
    """Write the feed; return its connections as (from, to, dep, arr, trip) in day seconds."""
    (folder / "agency.txt").write_text(
        f"agency_id,agency_name,agency_url,agency_timezone\na,A,https://example.org,{TZ}\n")
    (folder / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
        f"s{i},Stop {i},50.{i},10.{i}\n" for i in range(N_STOPS)))
    (folder / "routes.txt").write_text("route_id,agency_id,route_short_name,route_type\nr,a,R,3\n")
    (folder / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,"
        "end_date\nd,1,1,1,1,1,1,1,20240101,20241231\n")
    trips_txt = ["route_id,service_id,trip_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    conns = []
    for n, (stops, start, runs, dwells) in enumerate(trips):
        trips_txt.append(f"r,d,t{n}")
        t = start
        prev_dep = None
        for i, s in enumerate(stops):
            arr = t
            dep = arr + (dwells[i - 1] if 0 < i < len(stops) - 1 else 0)
            times.append(f"t{n},{_hms(arr)},{_hms(dep)},s{s},{i + 1}")
            if prev_dep is not None:
                conns.append((stops[i - 1], s, prev_dep, arr, n))
            prev_dep = dep
            if i < len(stops) - 1:
                t = dep + runs[i]
    (folder / "trips.txt").write_text("\n".join(trips_txt) + "\n")
    (folder / "stop_times.txt").write_text("\n".join(times) + "\n")
    return conns


def _csa(conns: list, origin: int, target: int, depart: int, horizon: int) -> float:
    """Earliest arrival by Connection Scan over yesterday's, today's and tomorrow's trips."""
    zone = ZoneInfo(TZ)
    absolute = []
    for d in (-1, 0, 1):
        day = DAY + dt.timedelta(days=d)
        base = int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone).timestamp()) - 43200
        absolute += [(f, t, dep + base, arr + base, (trip, d)) for f, t, dep, arr, trip in conns]
    absolute.sort(key=lambda c: c[2])
    best = {origin: depart}
    on_trip: set = set()
    for f, t, dep, arr, trip in absolute:
        if trip in on_trip or best.get(f, float("inf")) <= dep:
            on_trip.add(trip)
            if arr < best.get(t, float("inf")):
                best[t] = arr
    arrival = best.get(target, float("inf"))
    return arrival if arrival <= depart + horizon else float("inf")


@settings(max_examples=60, deadline=None)
@given(trips=st.lists(trip_strategy, min_size=1, max_size=8),
       origin=st.integers(0, N_STOPS - 1), target=st.integers(0, N_STOPS - 1),
       minute=st.integers(0, 24 * 60 - 1))
def test_raptor_matches_connection_scan(trips: list, origin: int, target: int,
                                        minute: int) -> None:
    if origin == target:
        return
    with tempfile.TemporaryDirectory() as tmp:
        conns = _write(Path(tmp), trips)
        tt = load_timetable(tmp)
        depart_text = f"{DAY.isoformat()} {minute // 60:02d}:{minute % 60:02d}"
        journeys = plan_query(tt, f"s{origin}", f"s{target}", depart_text, max_rides=10)
    depart = int(dt.datetime.strptime(depart_text, "%Y-%m-%d %H:%M")
                 .replace(tzinfo=ZoneInfo(TZ)).timestamp())
    expected = _csa(conns, origin, target, depart, 24 * 3600)
    got = journeys[-1].arrive if journeys else float("inf")
    assert got == expected
    for j in journeys:  # every leg is a real ride that starts after the previous one ended
        legs = [leg for leg in j.legs if leg.kind == "trip"]
        assert all(a.arrive <= b.depart for a, b in itertools.pairwise(legs))
