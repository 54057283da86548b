"""The planner on real public feeds (../shared/feeds): it loads them and finds a scheduled ride."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gtfs_builder.plan import PlanError, load_timetable, plan

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
FEEDS = sorted(SHARED.glob("valid_*.zip")) + sorted(SHARED.glob("flex_*.zip"))


@pytest.mark.skipif(not FEEDS, reason="../shared/feeds not present")
@pytest.mark.parametrize("path", FEEDS, ids=lambda p: p.stem)
def test_a_scheduled_ride_is_found(path: Path) -> None:
    tt = load_timetable(path)
    pat = max(tt.patterns, key=lambda p: len(p.trips))
    trip = int(pat.trips[0])
    service = int(tt.trip_service[trip])
    start = dt.datetime.strptime(str(int(tt.calendar["start"].min() or 20000101)), "%Y%m%d").date()
    day = next((start + dt.timedelta(days=d) for d in range(400)
                if tt.active_services(start + dt.timedelta(days=d))[service]), None)
    assert day is not None, "the trip never runs"
    origin = tt.day_origin(day)
    depart = int(origin + pat.dep[0, 0])
    journeys = plan(tt, [int(pat.stops[0])], [int(pat.stops[-1])], depart)
    assert journeys, f"{path.name}: no journey for trip {tt.trip_ids[trip]} on {day}"
    # The scheduled trip itself is a candidate, so the answer arrives no later than it.
    assert journeys[-1].arrive <= origin + pat.arr[0, -1]
    zone = ZoneInfo(str(tt.stop_tz[pat.stops[0]]))
    assert dt.datetime.fromtimestamp(journeys[-1].depart, zone).date() >= day - dt.timedelta(1)


def test_broken_feed_is_a_plan_error() -> None:
    broken = SHARED / "bad_empty_headers_only_partridge.zip"
    if not broken.exists():
        pytest.skip("../shared/feeds not present")
    with pytest.raises(PlanError):
        load_timetable(broken)
