"""transfers.txt rules: distances, endpoint location types, trip/route/stop consistency, in-seat.

transfers.txt is small, stop_times is not: every check filters stop_times to the trips that
transfers name (``isin``) before any merge, so the cost stays one pass over stop_times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.spec import LOCATION_TYPE_NAMES, ROUTE_TYPE_NAMES
from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column
from gtfs_builder.validate.rules.stop_times import TypedAt

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

TRANSFERS = "transfers.txt"
STOPS = "stops.txt"
IN_SEAT_TYPES = (4, 5)
IN_SEAT_ALLOWED = 4
ABOVE_2KM_METERS = 2_000
TOO_LARGE_METERS = 10_000
EARTH_RADIUS_METERS = 6371010.0  # S2Earth
MAX_PARENT_HOPS = 3  # StopUtil walks at most three levels (guards against parent cycles)

# (stop field, trip field, route field, the stop should be the trip's last stop)
DIRECTIONS = (
    ("from_stop_id", "from_trip_id", "from_route_id", True),
    ("to_stop_id", "to_trip_id", "to_route_id", False),
)




def stops_index(feed: Feed) -> pd.DataFrame:
    """First stops.txt row per stop_id (as the canonical index keeps it), with typed columns."""
    stops = feed.table(STOPS)
    frame = pd.DataFrame(
        {
            "stop_id": column(stops, "stop_id"),
            "parent": column(stops, "parent_station"),
            "lat": feed.typed(STOPS, "stop_lat"),
            "lon": feed.typed(STOPS, "stop_lon"),
            "location_type": feed.typed(STOPS, "location_type").fillna(0).astype("int64"),
        }
    )
    frame = frame[frame["stop_id"].notna()]
    return frame.drop_duplicates("stop_id").set_index("stop_id")


def stop_coordinates(stops: pd.DataFrame, stop_ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """StopUtil.getStopOrParentLatLng: own lat/lon, else a parent's within 3 hops, else (0, 0)."""
    lat = np.zeros(len(stop_ids))
    lon = np.zeros(len(stop_ids))
    done = np.zeros(len(stop_ids), dtype=bool)
    current = stop_ids.reset_index(drop=True)
    for _ in range(MAX_PARENT_HOPS):
        found = stops.reindex(current.where(current.notna(), None))
        has = (found["lat"].notna() & found["lon"].notna()).to_numpy() & ~done
        lat[has] = found["lat"].to_numpy("float64", na_value=0.0)[has]
        lon[has] = found["lon"].to_numpy("float64", na_value=0.0)[has]
        done |= has
        current = found["parent"].reset_index(drop=True)
    return lat, lon


def s2_distance_meters(lat1, lon1, lat2, lon2) -> np.ndarray:
    """S2Earth.getDistanceMeters(S2Point, S2Point): the angle between unit vectors."""
    a1, o1, a2, o2 = (np.radians(np.asarray(v, dtype="float64")) for v in (lat1, lon1, lat2, lon2))
    p = np.stack([np.cos(a1) * np.cos(o1), np.cos(a1) * np.sin(o1), np.sin(a1)], axis=-1)
    q = np.stack([np.cos(a2) * np.cos(o2), np.cos(a2) * np.sin(o2), np.sin(a2)], axis=-1)
    cross = np.linalg.norm(np.cross(p, q), axis=-1)
    dot = np.sum(p * q, axis=-1)
    return np.arctan2(cross, dot) * EARTH_RADIUS_METERS


@rule(
    files=[TRANSFERS, STOPS],
    notices={
        "transfer_distance_too_large": (
            Severity.WARNING,
            "The two stops of a transfer are more than 10 km apart.",
        ),
        "transfer_distance_above_2_km": (
            Severity.INFO,
            "The two stops of a transfer are more than 2 km (and at most 10 km) apart.",
        ),
    },
)
def check_transfer_distance(feed: Feed, notices: Notices) -> None:
    """TransferDistanceValidator; an unknown stop measures from (0, 0), as canonical does."""
    table = feed.table(TRANSFERS)
    if table.empty:
        return
    both = column(table, "from_stop_id").notna() & column(table, "to_stop_id").notna()
    rows = table[both]
    if rows.empty:
        return
    stops = stops_index(feed)
    lat1, lon1 = stop_coordinates(stops, rows["from_stop_id"])
    lat2, lon2 = stop_coordinates(stops, rows["to_stop_id"])
    meters = s2_distance_meters(lat1, lon1, lat2, lon2)
    for code, mask in (
        ("transfer_distance_too_large", meters > TOO_LARGE_METERS),
        (
            "transfer_distance_above_2_km",
            (meters > ABOVE_2KM_METERS) & (meters <= TOO_LARGE_METERS),
        ),
    ):
        hit = rows[mask]
        notices.add_frame(
            code,
            pd.DataFrame(
                {
                    "csvRowNumber": hit["csv_row"],
                    "fromStopId": hit["from_stop_id"],
                    "toStopId": hit["to_stop_id"],
                    "distanceKm": meters[mask] / 1_000,
                }
            ),
        )


def _ends(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (transfer, direction): row, stop, trip and route fields, wants_last."""
    parts = []
    for stop_field, trip_field, route_field, wants_last in DIRECTIONS:
        parts.append(
            pd.DataFrame(
                {
                    "csv_row": table["csv_row"].to_numpy(),
                    "order": 0 if wants_last else 1,
                    "stop_field": stop_field,
                    "stop_id": column(table, stop_field).to_numpy(),
                    "trip_field": trip_field,
                    "trip_id": column(table, trip_field).to_numpy(),
                    "route_field": route_field,
                    "route_id": column(table, route_field).to_numpy(),
                    "wants_last": wants_last,
                    "transfer_type": table["_type"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["csv_row", "order"], kind="stable")


def _location_notices(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "csvRowNumber": frame["csv_row"],
            "stopIdFieldName": frame["stop_field"],
            "stopId": frame["stop_id"],
            "locationTypeValue": frame["location_type"],
            "locationTypeName": frame["location_type"]
            .map(LOCATION_TYPE_NAMES)
            .fillna("UNRECOGNIZED"),
        }
    )


@rule(
    files=[TRANSFERS, STOPS, "trips.txt", "routes.txt", "stop_times.txt"],
    notices={
        "transfer_with_invalid_stop_location_type": (
            Severity.ERROR,
            "A transfer stop is not a stop/platform or station (or is a station for in-seat).",
        ),
        "transfer_with_invalid_trip_and_route": (
            Severity.ERROR,
            "A transfer's trip does not run on the transfer's route.",
        ),
        "transfer_with_invalid_trip_and_stop": (
            Severity.ERROR,
            "A transfer's trip does not call at the transfer's stop (or its station's children).",
        ),
        "transfer_with_suspicious_mid_trip_in_seat": (
            Severity.WARNING,
            "An in-seat transfer stop is not the from trip's last or the to trip's first stop.",
        ),
        "inconsistent_route_type_for_in_seat_transfer": (
            Severity.WARNING,
            "An in-seat transfer (type 4) joins routes of different route_type.",
        ),
    },
)
def check_transfer_references(feed: Feed, notices: Notices) -> None:
    """Transfer endpoints against stops, trips, routes and the trips' stop_times."""
    table = feed.table(TRANSFERS)
    if table.empty:
        return
    table = table.assign(_type=feed.typed(TRANSFERS, "transfer_type"))
    ends = _ends(table)
    stops = stops_index(feed)
    ends["location_type"] = ends["stop_id"].map(stops["location_type"])
    known = ends["location_type"].notna()
    in_seat = ends["transfer_type"].isin(IN_SEAT_TYPES).fillna(False)
    # In-seat stations first (canonical validator order), then every endpoint's type.
    stations = ends[in_seat & known & (ends["location_type"] == 1)]
    wrong = ends[known & ~ends["location_type"].isin([0, 1])]
    notices.add_frame(
        "transfer_with_invalid_stop_location_type",
        pd.concat([_location_notices(stations), _location_notices(wrong)], ignore_index=True),
    )

    trips = feed.table("trips.txt")
    trip_route = (
        pd.Series(column(trips, "route_id").to_numpy(), index=column(trips, "trip_id").to_numpy())
        .loc[lambda s: s.index.notna()]
        .loc[lambda s: ~s.index.duplicated()]
    )
    with_trip = ends[ends["trip_id"].notna() & ends["trip_id"].isin(trip_route.index)].copy()
    with_trip["expected_route"] = with_trip["trip_id"].map(trip_route)
    bad_route = with_trip[
        with_trip["route_id"].notna()
        & with_trip["route_id"].ne(with_trip["expected_route"]).fillna(True)
    ]
    notices.add_frame(
        "transfer_with_invalid_trip_and_route",
        pd.DataFrame(
            {
                "csvRowNumber": bad_route["csv_row"],
                "tripFieldName": bad_route["trip_field"],
                "tripId": bad_route["trip_id"],
                "routeFieldName": bad_route["route_field"],
                "routeId": bad_route["route_id"],
                "expectedRouteId": bad_route["expected_route"],
            }
        ),
    )

    stop_times = feed.table("stop_times.txt")
    named_trips = pd.concat([with_trip["trip_id"], ends["trip_id"]]).dropna().unique()
    st = stop_times.loc[
        column(stop_times, "trip_id").isin(named_trips) & column(stop_times, "stop_id").notna(),
        ["trip_id", "stop_id", "csv_row"],
    ]
    served = set(zip(st["trip_id"], st["stop_id"], strict=True))
    _check_trip_stops(with_trip, stops, feed, served, notices)
    _check_mid_trip(ends, stops, feed, st, served, notices)
    _check_in_seat_route_types(table, feed, notices)


def _check_trip_stops(
    with_trip: pd.DataFrame, stops: pd.DataFrame, feed: Feed, served: set, notices: Notices
) -> None:
    """A platform stands for itself, a station for its direct children, anything else for none."""
    candidates = with_trip[with_trip["stop_id"].notna() & with_trip["location_type"].notna()]
    if candidates.empty:
        return
    table = feed.table(STOPS)
    children = pd.DataFrame(
        {"parent": column(table, "parent_station"), "child": column(table, "stop_id")}
    ).dropna(subset=["parent"])
    station_children = children.groupby("parent")["child"].apply(set)
    ok = []
    for trip_id, stop_id, location_type in zip(
        candidates["trip_id"], candidates["stop_id"], candidates["location_type"], strict=True
    ):  # one iteration per transfer end (transfers.txt is small)
        if location_type == 0:
            expanded = {stop_id}
        elif location_type == 1:
            expanded = station_children.get(stop_id, set())
        else:
            expanded = set()
        # A location that stands for no platform (entrance, node, childless station) is skipped,
        # as gtfs-guru does.
        ok.append(not expanded or any((trip_id, s) in served for s in expanded))
    bad = candidates[~np.array(ok, dtype=bool)]
    notices.add_frame(
        "transfer_with_invalid_trip_and_stop",
        pd.DataFrame(
            {
                "csvRowNumber": bad["csv_row"],
                "tripFieldName": bad["trip_field"],
                "tripId": bad["trip_id"],
                "stopFieldName": bad["stop_field"],
                "stopId": bad["stop_id"],
            }
        ),
    )


def _check_mid_trip(
    ends: pd.DataFrame,
    stops: pd.DataFrame,
    feed: Feed,
    st: pd.DataFrame,
    served: set,
    notices: Notices,
) -> None:
    """An in-seat stop must be the from trip's last stop and the to trip's first stop."""
    in_seat = ends[
        ends["transfer_type"].isin(IN_SEAT_TYPES).fillna(False)
        & ends["stop_id"].isin(stops.index)
        & ends["trip_id"].notna()
    ]
    if in_seat.empty or st.empty:
        return
    # only the named trips' rows (table positions): no typed copy of a 20 M-row column
    seq = TypedAt(feed, "stop_times.txt", "stop_sequence").at(st.index.to_numpy(), na=0.0)
    ordered = st.assign(seq=seq.astype("int64")).sort_values(
        ["trip_id", "seq", "csv_row"], kind="stable"
    )
    first = ordered.drop_duplicates("trip_id", keep="first").set_index("trip_id")["stop_id"]
    last = ordered.drop_duplicates("trip_id", keep="last").set_index("trip_id")["stop_id"]
    visits = np.array(
        [(t, s) in served for t, s in zip(in_seat["trip_id"], in_seat["stop_id"], strict=True)],
        dtype=bool,
    )
    in_seat = in_seat[visits]
    expected = np.where(
        in_seat["wants_last"], in_seat["trip_id"].map(last), in_seat["trip_id"].map(first)
    )
    bad = in_seat[in_seat["stop_id"].to_numpy() != expected]
    notices.add_frame(
        "transfer_with_suspicious_mid_trip_in_seat",
        pd.DataFrame(
            {
                "csvRowNumber": bad["csv_row"],
                "stopIdFieldName": bad["stop_field"],
                "stopId": bad["stop_id"],
                "tripIdFieldName": bad["trip_field"],
                "tripId": bad["trip_id"],
            }
        ),
    )


def _check_in_seat_route_types(table: pd.DataFrame, feed: Feed, notices: Notices) -> None:
    routes = feed.table("routes.txt")
    route_type = (
        pd.Series(
            feed.typed("routes.txt", "route_type").to_numpy(),
            index=column(routes, "route_id").to_numpy(),
        )
        .loc[lambda s: s.index.notna()]
        .loc[lambda s: ~s.index.duplicated()]
    )
    rows = table[
        (table["_type"] == IN_SEAT_ALLOWED).fillna(False)
        & column(table, "from_route_id").isin(route_type.index)
        & column(table, "to_route_id").isin(route_type.index)
    ]
    from_type = rows["from_route_id"].map(route_type)
    to_type = rows["to_route_id"].map(route_type)
    differ = from_type.ne(to_type).fillna(from_type.isna() != to_type.isna())
    hit = rows[differ]
    notices.add_frame(
        "inconsistent_route_type_for_in_seat_transfer",
        pd.DataFrame(
            {
                "csvRowNumber": hit["csv_row"],
                "fromRouteId": hit["from_route_id"],
                "toRouteId": hit["to_route_id"],
                "fromRouteType": from_type[differ].map(ROUTE_TYPE_NAMES).fillna(""),
                "toRouteType": to_type[differ].map(ROUTE_TYPE_NAMES).fillna(""),
            }
        ),
    )
