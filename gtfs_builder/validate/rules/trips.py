"""Trips family: trip usage, bike information for ferries and block consistency."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules.stop_times import _col, trip_order, typed_or_na

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

FERRY = 4


@rule(
    files=["trips.txt", "stop_times.txt"],
    notices={
        "unused_trip": (Severity.WARNING, "A trip is not referenced by stop_times.txt."),
        "unusable_trip": (Severity.WARNING, "A trip has fewer than two stop times."),
    },
)
def check_trip_usage(feed: Feed, notices: Notices) -> None:
    """A trip needs stop times, at least two, to be served at all."""
    trips = feed.table("trips.txt")
    if trips.empty:
        return
    st = feed.table("stop_times.txt")
    counts = _col(st, "trip_id").value_counts()
    tid = _col(trips, "trip_id")
    n = tid.map(counts).fillna(0)
    unusable = n <= 1
    notices.add_frame(
        "unusable_trip",
        pd.DataFrame({"csvRowNumber": trips["csv_row"][unusable], "tripId": tid[unusable]}),
    )
    unused = n == 0
    notices.add_frame(
        "unused_trip",
        pd.DataFrame({"csvRowNumber": trips["csv_row"][unused], "tripId": tid[unused]}),
    )


@rule(
    files=["trips.txt", "routes.txt"],
    notices={
        "missing_bike_allowance": (
            Severity.WARNING,
            "A ferry trip does not say whether bikes are allowed.",
        ),
    },
)
def check_bike_allowance(feed: Feed, notices: Notices) -> None:
    """Ferries often carry bikes: riders need bikes_allowed on every ferry trip."""
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    if trips.empty or routes.empty:
        return
    rtype = typed_or_na(feed, "routes.txt", "route_type")
    ferries = set(_col(routes, "route_id")[(rtype == FERRY).fillna(False)])
    if not ferries:
        return
    bikes = typed_or_na(feed, "trips.txt", "bikes_allowed")
    ferry = _col(trips, "route_id").isin(ferries)
    missing = ferry & ~bikes.isin([1, 2]).fillna(False)
    sel = trips.loc[missing]
    notices.add_frame(
        "missing_bike_allowance",
        pd.DataFrame(
            {
                "csvRowNumber": sel["csv_row"],
                "routeId": _col(sel, "route_id"),
                "tripId": _col(sel, "trip_id"),
            }
        ),
    )


def service_dates(feed: Feed) -> dict[str, set[int]]:
    """Active dates (YYYYMMDD ints) per service_id from calendar.txt and calendar_dates.txt."""
    out: dict[str, set[int]] = {}
    cal = feed.table("calendar.txt")
    if not cal.empty:
        start = typed_or_na(feed, "calendar.txt", "start_date")
        end = typed_or_na(feed, "calendar.txt", "end_date")
        days = [
            typed_or_na(feed, "calendar.txt", d).fillna(0).to_numpy(dtype=int)
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        ]
        sid = _col(cal, "service_id").to_numpy(dtype=object)
        for i in range(len(cal)):  # per service, not per stop_times row
            if pd.isna(start.iloc[i]) or pd.isna(end.iloc[i]) or pd.isna(sid[i]):
                continue
            s, e = str(int(start.iloc[i])), str(int(end.iloc[i]))
            try:
                rng = pd.date_range(
                    datetime.date(int(s[:4]), int(s[4:6]), int(s[6:])),
                    datetime.date(int(e[:4]), int(e[4:6]), int(e[6:])),
                )
            except ValueError:
                continue
            wd = rng.day_of_week.to_numpy()
            mask = np.array([days[k][i] == 1 for k in range(7)])[wd] if len(wd) else wd
            active = rng[mask] if len(wd) else rng
            out.setdefault(sid[i], set()).update(
                (active.year * 10000 + active.month * 100 + active.day).tolist()
            )
    cd = feed.table("calendar_dates.txt")
    if not cd.empty:
        date = typed_or_na(feed, "calendar_dates.txt", "date")
        ex = typed_or_na(feed, "calendar_dates.txt", "exception_type")
        frame = pd.DataFrame({"s": _col(cd, "service_id"), "d": date, "x": ex}).dropna()
        for s, d, x in frame.itertuples(index=False):  # per calendar date row (small table)
            if x == 1:
                out.setdefault(s, set()).add(int(d))
            elif x == 2:
                out.setdefault(s, set()).discard(int(d))
    return out


@rule(
    files=["trips.txt", "stop_times.txt", "calendar.txt", "calendar_dates.txt"],
    notices={
        "block_trips_with_overlapping_stop_times": (
            Severity.ERROR,
            "Two trips of one block overlap in time on a common service date.",
        ),
    },
)
def check_block_overlap(feed: Feed, notices: Notices) -> None:
    """A vehicle cannot run two trips of its block at once."""
    trips = feed.table("trips.txt")
    st = feed.table("stop_times.txt")
    if trips.empty or st.empty or "block_id" not in trips.columns:
        return
    block = _col(trips, "block_id")
    if block.isna().all():
        return
    order, tcode = trip_order(feed)
    if len(order) == 0:
        return
    arr = typed_or_na(feed, "stop_times.txt", "arrival_time").astype("Float64")
    dep = typed_or_na(feed, "stop_times.txt", "departure_time").astype("Float64")
    arr_s = arr.to_numpy(dtype=float, na_value=np.nan)[order]
    dep_s = dep.to_numpy(dtype=float, na_value=np.nan)[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = tcode[1:] != tcode[:-1]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = tcode[:-1] != tcode[1:]
    tid = _col(st, "trip_id").to_numpy(dtype=object)[order]
    edges = pd.DataFrame(
        {
            "fa": arr_s[first],
            "fd": dep_s[first],
            "la": arr_s[last],
            "ld": dep_s[last],
        },
        index=tid[first],
    )
    tr = pd.DataFrame(
        {
            "block": block,
            "service": _col(trips, "service_id"),
            "trip": _col(trips, "trip_id"),
            "row": trips["csv_row"],
        }
    ).dropna(subset=["block"])
    tr = tr.join(edges, on="trip", how="inner").dropna(subset=["fa", "fd", "la", "ld"])
    if tr.empty:
        return
    tr = tr.sort_values(["block", "fa", "ld"], kind="stable")
    dates = service_dates(feed)
    out = []
    # Per block (not per stop_times row): pairs are scanned until the time ranges separate.
    for _, grp in tr.groupby("block", sort=False):
        if len(grp) < 2:
            continue
        recs = grp.to_dict("records")
        for i, a in enumerate(recs):
            for b in recs[i + 1 :]:
                if a["ld"] <= b["fa"]:
                    break
                if a["la"] == b["fa"] and a["ld"] == b["fd"]:
                    continue
                common = dates.get(a["service"], set()) & dates.get(b["service"], set())
                if common:
                    out.append(
                        {
                            "csvRowNumberA": a["row"],
                            "tripIdA": a["trip"],
                            "serviceIdA": a["service"],
                            "csvRowNumberB": b["row"],
                            "tripIdB": b["trip"],
                            "serviceIdB": b["service"],
                            "blockId": a["block"],
                            "intersection": str(min(common)),
                        }
                    )
    if out:
        notices.add_frame("block_trips_with_overlapping_stop_times", pd.DataFrame(out))


@rule(
    files=["trips.txt", "routes.txt"],
    notices={
        "inconsistent_route_type_for_block_id": (
            Severity.WARNING,
            "Trips of one block belong to routes of different route_type.",
        ),
    },
)
def check_block_route_type(feed: Feed, notices: Notices) -> None:
    """One vehicle runs a block: its trips should share one mode."""
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    if trips.empty or routes.empty or "block_id" not in trips.columns:
        return
    rtype = pd.Series(
        typed_or_na(feed, "routes.txt", "route_type").to_numpy(),
        index=_col(routes, "route_id").to_numpy(dtype=object),
    )
    rtype = rtype[~rtype.index.duplicated()]
    tr = pd.DataFrame(
        {
            "block": _col(trips, "block_id"),
            "trip": _col(trips, "trip_id"),
            "route": _col(trips, "route_id"),
            "row": trips["csv_row"],
        }
    ).dropna(subset=["block"])
    tr["type"] = tr["route"].map(rtype)
    tr = tr.dropna(subset=["type"])
    if tr.empty:
        return
    first_type = tr.groupby("block")["type"].transform("first")
    bad = tr[tr["type"] != first_type]
    firsts = tr.groupby("block").head(1).set_index("block")
    notices.add_frame(
        "inconsistent_route_type_for_block_id",
        pd.DataFrame(
            {
                "blockId": bad["block"].to_numpy(),
                "csvRowNumber": bad["row"].to_numpy(),
                "tripId": bad["trip"].to_numpy(),
                "routeId": bad["route"].to_numpy(),
                "routeType": bad["type"].to_numpy(),
                "expectedRouteType": bad["block"].map(firsts["type"]).to_numpy(),
            }
        ),
    )
