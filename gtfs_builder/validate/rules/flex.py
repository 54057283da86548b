"""GTFS-Flex stop_times family: pickup/drop-off windows, zones instead of stops, booking rules.

Semantics follow the canonical PickupDropOffWindowValidator, PickupDropOffTypeValidator,
StopTimesGeographyIdPresenceValidator, ContinuousPickupDropOffValidator,
PickupBookingRuleIdValidator and StopTimesRecordValidator; every check is one vectorised pass
over stop_times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, has_column, tables_ok, typed_or_na

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

ST = "stop_times.txt"
START, END = "start_pickup_drop_off_window", "end_pickup_drop_off_window"
REGULAR, MUST_PHONE, ON_REQUEST_TO_DRIVER = 0, 2, 3
CONTINUOUS = (0, 2, 3)  # allowed, must phone, on request to driver (1 = not allowed)


def _hhmmss(seconds: pd.Series) -> pd.Series:
    """GTFS time text (None when absent) for sample fields."""
    s = seconds.astype("Float64")
    text = [
        None if pd.isna(v) else f"{int(v) // 3600:02d}:{int(v) // 60 % 60:02d}:{int(v) % 60:02d}"
        for v in s
    ]  # only rows that become notices reach here
    return pd.Series(text, index=s.index, dtype=object)


def _windows(feed: Feed) -> tuple[pd.Series, pd.Series]:
    return typed_or_na(feed, ST, START), typed_or_na(feed, ST, END)


def _no_window(feed: Feed) -> bool:
    """No stop time has a window cell: every window rule is then silent. Checked on the text
    columns (cheap) before parsing them (two n-row typed columns on a 20 M-row feed)."""
    st = feed.table(ST)
    return not any(column(st, c).notna().any() for c in (START, END))


@rule(
    files=[ST],
    notices={
        "forbidden_arrival_or_departure_time": (
            Severity.ERROR,
            "A stop time with a pickup/drop-off window also has arrival_time or departure_time.",
        ),
        "missing_pickup_or_drop_off_window": (
            Severity.ERROR,
            "A stop time has only one of start/end_pickup_drop_off_window.",
        ),
        "invalid_pickup_drop_off_window": (
            Severity.ERROR,
            "end_pickup_drop_off_window is not after start_pickup_drop_off_window.",
        ),
        "forbidden_pickup_type": (
            Severity.ERROR,
            "A stop time with a window has pickup_type 0 (regular) or 3 (on request to driver).",
        ),
        "forbidden_drop_off_type": (
            Severity.ERROR,
            "A stop time with a window has drop_off_type 0 (regular).",
        ),
    },
)
def check_pickup_drop_off_window(feed: Feed, notices: Notices) -> None:
    """A window says 'served during a period': no fixed times, both ends, a bookable type."""
    st = feed.table(ST)
    if st.empty or not (has_column(feed, ST, START) or has_column(feed, ST, END)):
        return
    if _no_window(feed):
        return
    start, end = _windows(feed)
    has_s, has_e = start.notna(), end.notna()
    any_w = has_s | has_e
    if not any_w.any():
        return
    # Every code here needs a window: keep only those (GTFS-Flex) rows from now on.
    st = st[any_w.to_numpy()]
    start, end, has_s, has_e = start[any_w], end[any_w], has_s[any_w], has_e[any_w]
    any_w = any_w[any_w]
    arr = typed_or_na(feed, ST, "arrival_time")[any_w.index]
    dep = typed_or_na(feed, ST, "departure_time")[any_w.index]
    row = st["csv_row"]
    times = {
        "arrivalTime": _hhmmss(arr),
        "departureTime": _hhmmss(dep),
        "startPickupDropOffWindow": _hhmmss(start),
        "endPickupDropOffWindow": _hhmmss(end),
    }
    fixed = any_w & (arr.notna() | dep.notna())
    notices.add_frame(
        "forbidden_arrival_or_departure_time",
        pd.DataFrame({"csvRowNumber": row[fixed], **{k: v[fixed] for k, v in times.items()}}),
    )
    half = has_s != has_e
    notices.add_frame(
        "missing_pickup_or_drop_off_window",
        pd.DataFrame(
            {
                "csvRowNumber": row[half],
                "startPickupDropOffWindow": times["startPickupDropOffWindow"][half].fillna(""),
                "endPickupDropOffWindow": times["endPickupDropOffWindow"][half].fillna(""),
            }
        ),
    )
    inverted = (has_s & has_e & (start >= end)).fillna(False)
    notices.add_frame(
        "invalid_pickup_drop_off_window",
        pd.DataFrame(
            {
                "csvRowNumber": row[inverted],
                "startPickupDropOffWindow": times["startPickupDropOffWindow"][inverted],
                "endPickupDropOffWindow": times["endPickupDropOffWindow"][inverted],
            }
        ),
    )
    # Absent types are REGULAR (the generated getter's default); absent windows render 00:00:00.
    padded = {
        "startPickupDropOffWindow": times["startPickupDropOffWindow"].fillna("00:00:00"),
        "endPickupDropOffWindow": times["endPickupDropOffWindow"].fillna("00:00:00"),
    }
    pickup = typed_or_na(feed, ST, "pickup_type")[any_w.index].fillna(REGULAR)
    drop = typed_or_na(feed, ST, "drop_off_type")[any_w.index].fillna(REGULAR)
    bad_p = any_w & pickup.isin([REGULAR, ON_REQUEST_TO_DRIVER]).fillna(False)
    notices.add_frame(
        "forbidden_pickup_type",
        pd.DataFrame({"csvRowNumber": row[bad_p], **{k: v[bad_p] for k, v in padded.items()}}),
    )
    bad_d = any_w & (drop == REGULAR).fillna(False)
    notices.add_frame(
        "forbidden_drop_off_type",
        pd.DataFrame({"csvRowNumber": row[bad_d], **{k: v[bad_d] for k, v in padded.items()}}),
    )


@rule(
    files=[ST],
    notices={
        "forbidden_geography_id": (
            Severity.ERROR,
            "A stop time names more than one of stop_id, location_group_id and location_id.",
        ),
    },
)
def check_geography_id(feed: Feed, notices: Notices) -> None:
    """A stop time serves exactly one place: a stop, a location group or a zone."""
    st = feed.table(ST)
    if st.empty:
        return
    cols = {
        "stopId": "stop_id",
        "locationGroupId": "location_group_id",
        "locationId": "location_id",
    }
    present = {k: column(st, c) for k, c in cols.items()}
    count = np.zeros(len(st), dtype=np.int8)
    for v in present.values():
        count += v.notna().to_numpy()
    bad = count > 1
    if not bad.any():
        return
    notices.add_frame(
        "forbidden_geography_id",
        pd.DataFrame(
            {
                "csvRowNumber": st["csv_row"][bad],
                **{k: v[bad].fillna("") for k, v in present.items()},
            }
        ),
    )


@rule(
    files=["routes.txt", "trips.txt", ST],
    notices={
        "forbidden_continuous_pickup_drop_off": (
            Severity.ERROR,
            "A route with continuous pickup or drop-off has a trip with a pickup/drop-off window.",
        ),
    },
)
def check_continuous_with_window(feed: Feed, notices: Notices) -> None:
    """Continuous stopping and booking windows are two service models: not both on one trip."""
    if not tables_ok(feed, "routes.txt", "trips.txt", "stop_times.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    st = feed.table(ST)
    routes = feed.table("routes.txt")
    trips = feed.table("trips.txt")
    if st.empty or routes.empty or trips.empty:
        return
    if _no_window(feed):
        return
    start, end = _windows(feed)
    windowed = (start.notna() | end.notna()).to_numpy()
    if not windowed.any():
        return
    cp = typed_or_na(feed, "routes.txt", "continuous_pickup").isin(CONTINUOUS).fillna(False)
    cd = typed_or_na(feed, "routes.txt", "continuous_drop_off").isin(CONTINUOUS).fillna(False)
    cont = (cp | cd).to_numpy()
    if not cont.any():
        return
    # route (file order) x its trips (file order) x the trip's windowed stop times.
    r = pd.DataFrame(
        {"route_id": column(routes, "route_id")[cont], "routeCsvRowNumber": routes["csv_row"][cont]}
    ).dropna(subset=["route_id"])
    t = pd.DataFrame({"route_id": column(trips, "route_id"), "tripId": column(trips, "trip_id")})
    s = pd.DataFrame(
        {
            "tripId": column(st, "trip_id")[windowed],
            "seq": typed_or_na(feed, ST, "stop_sequence")[windowed].fillna(0),
            "stopTimeCsvRowNumber": st["csv_row"][windowed],
            "startPickupDropOffWindow": _hhmmss(start[windowed]).fillna("00:00:00"),
            "endPickupDropOffWindow": _hhmmss(end[windowed]).fillna("00:00:00"),
        }
    ).sort_values(["tripId", "seq", "stopTimeCsvRowNumber"])
    out = r.merge(t, on="route_id").merge(s, on="tripId")
    notices.add_frame(
        "forbidden_continuous_pickup_drop_off",
        out[
            [
                "routeCsvRowNumber",
                "tripId",
                "stopTimeCsvRowNumber",
                "startPickupDropOffWindow",
                "endPickupDropOffWindow",
            ]
        ],
    )


@rule(
    files=[ST, "booking_rules.txt"],
    notices={
        "missing_pickup_drop_off_booking_rule_id": (
            Severity.WARNING,
            "A must-phone pickup or drop-off with a window has no booking rule id.",
        ),
    },
)
def check_booking_rule_id(feed: Feed, notices: Notices) -> None:
    """Riders who must phone need to know how to book: name the booking rule."""
    if not tables_ok(feed, "stop_times.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    st = feed.table(ST)
    if st.empty or not feed.has("booking_rules.txt"):
        return
    loaded_ok = getattr(feed, "loaded_ok", None)
    if loaded_ok is not None and not loaded_ok("booking_rules.txt"):
        return
    if not (has_column(feed, ST, "pickup_type") or has_column(feed, ST, "drop_off_type")):
        return
    if _no_window(feed):
        return
    start, end = _windows(feed)
    pickup = typed_or_na(feed, ST, "pickup_type")
    drop = typed_or_na(feed, ST, "drop_off_type")
    names = {0: "REGULAR", 1: "NO_PICKUP", 2: "MUST_PHONE", 3: "ON_REQUEST_TO_DRIVER"}
    frames = []
    for kind, window, rule_field in (
        (pickup, start, "pickup_booking_rule_id"),
        (drop, end, "drop_off_booking_rule_id"),
    ):
        bad = (kind == MUST_PHONE).fillna(False) & window.notna() & column(st, rule_field).isna()
        frames.append(
            pd.DataFrame(
                {
                    "csvRowNumber": st["csv_row"][bad],
                    "pickupType": pickup[bad].map(names),
                    "dropOffType": drop[bad].map(names),
                }
            )
        )
    out = pd.concat(frames).sort_values("csvRowNumber", kind="stable")
    notices.add_frame("missing_pickup_drop_off_booking_rule_id", out)


@rule(
    files=[ST],
    notices={
        "missing_stop_times_record": (
            Severity.ERROR,
            "A flex trip has a single stop time where boarding and alighting need two.",
        ),
    },
)
def check_stop_times_record(feed: Feed, notices: Notices) -> None:
    """Travel within a zone needs one stop time to board and one to alight."""
    if not tables_ok(feed, "stop_times.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    st = feed.table(ST)
    if st.empty:
        return
    if not all(has_column(feed, ST, c) for c in (START, END, "pickup_type", "drop_off_type")):
        return
    if _no_window(feed):
        return
    start, end = _windows(feed)
    pickup = typed_or_na(feed, ST, "pickup_type")
    drop = typed_or_na(feed, ST, "drop_off_type")
    trip = column(st, "trip_id").fillna("")
    lone = trip.map(trip.value_counts()) == 1
    bad = (
        lone
        & start.notna()
        & end.notna()
        & (pickup == MUST_PHONE).fillna(False)
        & (drop == MUST_PHONE).fillna(False)
    )
    notices.add_frame(
        "missing_stop_times_record",
        pd.DataFrame(
            {
                "csvRowNumber": st["csv_row"][bad],
                "tripId": trip[bad],
                "locationGroupId": column(st, "location_group_id")[bad].fillna(""),
                "locationId": column(st, "location_id")[bad].fillna(""),
            }
        ),
    )


@rule(
    files=[ST, "locations.geojson"],
    notices={
        "overlapping_zone_and_pickup_drop_off_window": (
            Severity.ERROR,
            "Two stop times of a trip have overlapping zones and overlapping pickup windows.",
        ),
    },
)
def check_overlapping_zones(feed: Feed, notices: Notices) -> None:
    """One vehicle cannot be asked to serve two overlapping zones at the same time."""
    st = feed.table(ST)
    if st.empty or not feed.has("locations.geojson") or not has_column(feed, ST, "location_id"):
        return
    if _no_window(feed):
        return
    start, end = _windows(feed)
    loc = column(st, "location_id")
    use = (start.notna() & end.notna() & loc.notna()).to_numpy()
    if use.sum() < 2:
        return
    zones = _polygons(feed)
    if not zones:
        return
    pickup = typed_or_na(feed, ST, "pickup_type").fillna(REGULAR)
    drop = typed_or_na(feed, ST, "drop_off_type").fillna(REGULAR)
    rows = pd.DataFrame(
        {
            "trip": column(st, "trip_id")[use],
            "seq": typed_or_na(feed, ST, "stop_sequence")[use],
            "loc": loc[use],
            "s": start[use],
            "e": end[use],
            "p": pickup[use],
            "d": drop[use],
            "row": st["csv_row"][use],
        }
    ).sort_values(["trip", "seq", "row"], kind="stable")
    rows["i"] = np.arange(len(rows))
    # Pairs of flex rows within a trip (flex rows only: a small part of any feed).
    pairs = rows.merge(rows, on="trip", suffixes=("1", "2"))
    pairs = pairs[pairs["i1"] < pairs["i2"]]
    known = pairs[["p1", "p2", "d1", "d2"]].isin([0, 1, 2, 3]).all(axis=1)
    same_kind = (pairs["p1"] == pairs["p2"]) | (pairs["d1"] == pairs["d2"])
    overlap_t = ~((pairs["s1"] > pairs["e2"]) | (pairs["e1"] < pairs["s2"]))
    overlap_t &= ~((pairs["e1"] == pairs["s2"]) | (pairs["s1"] == pairs["e2"]))
    pairs = pairs[known & same_kind & (pairs["loc1"] != pairs["loc2"]) & overlap_t]
    if pairs.empty:
        return
    keep = [
        zones.get(a) is not None and zones.get(b) is not None and zones[a].overlaps(zones[b])
        for a, b in zip(pairs["loc1"], pairs["loc2"], strict=True)
    ]  # per candidate pair of flex rows
    pairs = pairs[np.array(keep, dtype=bool)]
    notices.add_frame(
        "overlapping_zone_and_pickup_drop_off_window",
        pd.DataFrame(
            {
                "tripId": pairs["trip"],
                "stopSequence1": pairs["seq1"],
                "locationId1": pairs["loc1"],
                "startPickupDropOffWindow1": _hhmmss(pairs["s1"]),
                "endPickupDropOffWindow1": _hhmmss(pairs["e1"]),
                "stopSequence2": pairs["seq2"],
                "locationId2": pairs["loc2"],
                "startPickupDropOffWindow2": _hhmmss(pairs["s2"]),
                "endPickupDropOffWindow2": _hhmmss(pairs["e2"]),
            }
        ),
    )


def _polygons(feed: Feed) -> dict[str, object]:
    """Polygon zones of locations.geojson by id (first wins), as the canonical loader keeps them:
    none when the file is unparsable, no geometry for other types (see rules/geojson.py)."""
    from shapely.geometry import Polygon

    from gtfs_builder.validate.rules.geojson import load_locations

    load = load_locations(feed)
    zones: dict[str, object] = {}
    for feature in load.features if load is not None else []:
        if feature.id in zones:
            continue
        zones[feature.id] = None  # the container keys the first feature with an id
        if feature.geometry_type != "Polygon":
            continue
        rings = [[(float(p[0]), float(p[1])) for p in ring] for ring in feature.coordinates]
        try:
            zones[feature.id] = Polygon(rings[0], rings[1:]) if rings and rings[0] else None
        except (TypeError, ValueError, IndexError):
            zones[feature.id] = None
    return {k: v for k, v in zones.items() if v is not None}
