"""partridge and gtfs-kit load the feed and compute service per day and trip statistics."""

from __future__ import annotations

import datetime as dt

import gtfs_kit as gk
import partridge as ptg
import pytest
from consumer_support import FeedUnderTest

pytestmark = [
    pytest.mark.consumers,
    # partridge 1.1 calls DataFrame.rename(inplace=True), deprecated in pandas 3.1: not our concern.
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.rename"),
]

MONDAY, TUESDAY = dt.date(2024, 12, 16), dt.date(2024, 12, 17)
EXPECTED = {MONDAY: {"401", "402", "645", "646"}, TUESDAY: {"401", "402"}}
# Run times in minutes, from the agency-time stop_times (network-facts §3).
DURATIONS = {"645": 17, "646": 17, "401": 91, "402": 90}


def test_partridge_service_per_day(feed: FeedUnderTest) -> None:
    by_date = ptg.read_service_ids_by_date(str(feed.zip))
    numbers = feed.trip_numbers()
    full = ptg.load_feed(str(feed.zip))  # every table, parsed with partridge's own types
    assert len(full.trips) == len(numbers)
    trips = full.trips
    for day, expected in EXPECTED.items():
        services = by_date.get(day, frozenset())
        running = trips.loc[trips["service_id"].isin(services), "trip_short_name"]
        assert set(running) == expected, (day, sorted(running))
    # A view restricted to Monday's services keeps only Monday's trains.
    monday = ptg.load_feed(str(feed.zip), view={"trips.txt": {"service_id": by_date[MONDAY]}})
    assert set(monday.trips["trip_short_name"]) == EXPECTED[MONDAY]
    assert dt.date(2024, 12, 14) not in by_date  # nothing runs before the first train


def test_gtfs_kit_service_and_trip_stats(feed: FeedUnderTest) -> None:
    g = gk.read_feed(feed.zip, dist_units="km")
    numbers = feed.trip_numbers()
    activity = gk.compute_trip_activity(g, ["20241216", "20241217"])
    for col, day in (("20241216", MONDAY), ("20241217", TUESDAY)):
        running = {numbers[t] for t in activity.loc[activity[col] == 1, "trip_id"]}
        assert running == EXPECTED[day], (col, running)

    stats = gk.compute_trip_stats(g).set_index("trip_id")
    for trip_id, number in numbers.items():
        row = stats.loc[trip_id]
        assert round(row["duration"] * 60) == DURATIONS[number], (number, row["duration"])
        assert row["num_stops"] == 2
        assert row["distance"] > 0
    net = gk.compute_network_stats(g, ["20241216", "20241217"]).set_index("date")
    assert net.loc["20241216", "num_trips"] == 4
    assert net.loc["20241217", "num_trips"] == 2
