"""Fares v1 rules (fare_attributes.txt, fare_rules.txt) beyond the generic field and key checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

ZONE_FIELDS = ("origin_id", "destination_id", "contains_id")


@rule(
    files=["fare_rules.txt", "stops.txt", "trips.txt", "stop_times.txt"],
    notices={
        "stop_without_zone_id": (
            Severity.INFO,
            "A stop has no zone_id but is served by a route with a zone-based fare rule.",
        ),
    },
)
def check_stop_zone_id(feed: Feed, notices: Notices) -> None:
    """StopZoneIdValidator: zones matter only on routes named by a zone-using fare rule.

    A fare rule without route_id keys on "" (the canonical entity default), so it only matches
    trips that have no route_id either.
    """
    rules = feed.table("fare_rules.txt")
    if rules.empty:
        return
    zoned = pd.Series(False, index=rules.index)
    for name in ZONE_FIELDS:
        if name in rules:
            zoned |= rules[name].notna()
    if not zoned.any():
        return
    route_col = rules["route_id"] if "route_id" in rules else pd.Series("", index=rules.index)
    zoned_routes = set(route_col[zoned].fillna("").astype("str"))
    trips = feed.table("trips.txt")
    if trips.empty or "trip_id" not in trips:
        return
    trip_routes = trips["route_id"] if "route_id" in trips else pd.Series(pd.NA, index=trips.index)
    zoned_trips = trips.loc[trip_routes.fillna("").astype("str").isin(zoned_routes), "trip_id"]
    stop_times = feed.table("stop_times.txt")
    if stop_times.empty or "stop_id" not in stop_times:
        return
    served = stop_times.loc[stop_times["trip_id"].isin(zoned_trips.dropna()), "stop_id"]
    stops = feed.table("stops.txt")
    if stops.empty:
        return
    platform = feed.typed("stops.txt", "location_type").fillna(0) == 0
    no_zone = stops["zone_id"].isna() if "zone_id" in stops else True
    hit = stops[platform & no_zone & stops["stop_id"].isin(served.dropna().unique())]
    notices.add_frame(
        "stop_without_zone_id",
        pd.DataFrame(
            {
                "stopId": hit["stop_id"],
                "stopName": hit["stop_name"].fillna("") if "stop_name" in hit else "",
                "csvRowNumber": hit["csv_row"],
            }
        ),
    )
