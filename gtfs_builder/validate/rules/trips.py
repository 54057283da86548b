"""Trips family: trip usage, bike information for ferries and block consistency."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder import spec
from gtfs_builder.spec import ROUTE_TYPE_NAMES
from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, has_column, tables_ok, typed_or_na
from gtfs_builder.validate.rules.stop_times import (
    TypedAt,
    lookup,
    pick,
    stop_positions,
    trip_blocks,
    trip_bounds,
    trip_order,
    trips_code,
    values_at,
)

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
    if not tables_ok(feed, "trips.txt", "stop_times.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    trips = feed.table("trips.txt")
    if trips.empty:
        return
    # stop times per trip from the cached trip order: no hashing of 20 M trip ids
    _, tcode = trip_order(feed)
    per_code = np.bincount(tcode, minlength=1)
    tid = column(trips, "trip_id")
    code = trips_code(feed)
    n = pd.Series(np.where(code >= 0, per_code[np.maximum(code, 0)], 0), index=trips.index)
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
    if not tables_ok(feed, "trips.txt", "routes.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    if trips.empty or routes.empty:
        return
    rtype = typed_or_na(feed, "routes.txt", "route_type")
    ferries = set(column(routes, "route_id")[(rtype == FERRY).fillna(False)])
    if not ferries:
        return
    bikes = typed_or_na(feed, "trips.txt", "bikes_allowed")
    ferry = column(trips, "route_id").isin(ferries)
    missing = ferry & ~bikes.isin([1, 2]).fillna(False)
    sel = trips.loc[missing]
    notices.add_frame(
        "missing_bike_allowance",
        pd.DataFrame(
            {
                "csvRowNumber": sel["csv_row"],
                "routeId": column(sel, "route_id"),
                "tripId": column(sel, "trip_id"),
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
            for d in spec.CALENDAR_DAYS
        ]
        sid = column(cal, "service_id").to_numpy(dtype=object)
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
        frame = pd.DataFrame({"s": column(cd, "service_id"), "d": date, "x": ex}).dropna()
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
    if not tables_ok(feed, "trips.txt", "stop_times.txt", "calendar.txt", "calendar_dates.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    trips = feed.table("trips.txt")
    st = feed.table("stop_times.txt")
    if trips.empty or st.empty or not has_column(feed, "trips.txt", "block_id"):
        return
    block = column(trips, "block_id")
    if block.isna().all():
        return
    order, tcode = trip_order(feed)
    if len(order) == 0:
        return
    arr = TypedAt(feed, "stop_times.txt", "arrival_time")
    dep = TypedAt(feed, "stop_times.txt", "departure_time")
    in_block = np.flatnonzero(block.notna().to_numpy())
    code = trips_code(feed)[in_block]
    has = code >= 0
    in_block, code = in_block[has], code[has]
    lo, hi = trip_bounds(tcode, int(tcode.max()) + 1)
    first, last = order[lo[code]], order[hi[code] - 1]  # first and last stop time rows
    fa, fd = values_at(arr, first), values_at(dep, first)
    la, ld = values_at(arr, last), values_at(dep, last)
    timed = ~(np.isnan(fa) | np.isnan(fd) | np.isnan(la) | np.isnan(ld))
    in_block, fa, fd, la, ld = in_block[timed], fa[timed], fd[timed], la[timed], ld[timed]
    if len(in_block) < 2:
        return
    bcode, _ = pd.factorize(block.iloc[in_block])
    srt = np.lexsort((ld, fa, bcode))  # by block, first arrival, last departure
    in_block, fa, fd, la, ld, bcode = (x[srt] for x in (in_block, fa, fd, la, ld, bcode))
    # Each trip overlaps the following trips of its block that start before it ends.
    big = 1e7  # larger than any time in seconds: keeps (block, time) keys sorted
    key = bcode * big + fa
    end = np.searchsorted(key, bcode * big + ld, side="left")
    count = np.maximum(end - np.arange(len(key)) - 1, 0)
    if not count.any():
        return
    i = np.repeat(np.arange(len(key)), count)
    j = i + 1 + (np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count))
    # Allowed: the next trip repeats the previous trip's last stop time exactly.
    keep = ~((la[i] == fa[j]) & (ld[i] == fd[j]))
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return
    service = column(trips, "service_id").to_numpy(dtype=object, na_value=None)
    sa, sb = service[in_block[i]], service[in_block[j]]
    dates = service_dates(feed)
    common: dict[tuple[object, object], int | None] = {}
    for pair in set(zip(sa, sb, strict=True)):  # per distinct service pair, not per row
        both = dates.get(pair[0], set()) & dates.get(pair[1], set())
        common[pair] = min(both) if both else None
    first_date = np.array([common[p] for p in zip(sa, sb, strict=True)], dtype=object)
    ok = np.array([d is not None for d in first_date], dtype=bool)
    if not ok.any():
        return
    ta, tb = in_block[i[ok]], in_block[j[ok]]
    tid = column(trips, "trip_id").to_numpy(dtype=object)
    rows = trips["csv_row"].to_numpy()
    notices.add_frame(
        "block_trips_with_overlapping_stop_times",
        pd.DataFrame(
            {
                "csvRowNumberA": rows[ta],
                "tripIdA": tid[ta],
                "serviceIdA": service[ta],
                "csvRowNumberB": rows[tb],
                "tripIdB": tid[tb],
                "serviceIdB": service[tb],
                "blockId": block.to_numpy(dtype=object)[ta],
                "intersection": [str(d) for d in first_date[ok]],
            }
        ),
    )


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
    """One vehicle runs a block: its trips should share one mode (one notice per block)."""
    if not tables_ok(feed, "routes.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    if trips.empty or not has_column(feed, "trips.txt", "block_id"):
        return
    rtype = typed_or_na(feed, "routes.txt", "route_type").to_numpy(dtype=float, na_value=np.nan)
    rpos = lookup(column(trips, "route_id"), column(routes, "route_id"))
    tr = pd.DataFrame(
        {
            "block": column(trips, "block_id"),
            "route": column(trips, "route_id"),
            "type": np.where(rpos >= 0, rtype[np.maximum(rpos, 0)], np.nan),
            "known": rpos >= 0,
        }
    ).dropna(subset=["block"])
    if tr.empty:
        return
    types = tr[tr["known"]].drop_duplicates(["block", "type"])
    n_types = types.groupby("block", sort=False).size()
    bad = n_types[n_types >= 2].index
    if len(bad) == 0:
        return
    sel_types = types[types["block"].isin(bad)]
    sel_routes = (
        tr[tr["block"].isin(bad)].dropna(subset=["route"]).drop_duplicates(["block", "route"])
    )
    names = sel_types["type"].map(lambda v: ROUTE_TYPE_NAMES.get(int(v), "") if v == v else "")
    notices.add_frame(
        "inconsistent_route_type_for_block_id",
        pd.DataFrame(
            {
                "blockId": list(bad),
                "routeIds": sel_routes.groupby("block", sort=False)["route"]
                .agg(", ".join)
                .reindex(bad)
                .to_numpy(),
                "routeTypes": names.groupby(sel_types["block"], sort=False)
                .agg(", ".join)
                .reindex(bad)
                .to_numpy(),
            }
        ),
    )



@rule(
    files=["trips.txt", "stop_times.txt", "stops.txt"],
    notices={
        "trip_headsign_matches_intermediate_stop": (
            Severity.INFO,
            "trip_headsign is the name of a stop before the trip's last stop.",
        ),
    },
)
def check_headsign(feed: Feed, notices: Notices) -> None:
    """A headsign should name the destination, not a stop passed on the way."""
    if not tables_ok(feed, "trips.txt", "stop_times.txt", "stops.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    trips = feed.table("trips.txt")
    st = feed.table("stop_times.txt")
    stops = feed.table("stops.txt")
    if trips.empty or st.empty or stops.empty:
        return
    head = column(trips, "trip_headsign")
    if head.isna().all():
        return
    order, tcode = trip_order(feed)
    if len(order) < 2:
        return
    tpos = np.flatnonzero(head.notna().to_numpy())
    code = trips_code(feed)[tpos]
    has = code >= 0
    tpos, code = tpos[has], code[has]
    if len(tpos) == 0:
        return
    # keep the first trips.txt row per trip code (first row wins, as the canonical index)
    _, first_row = np.unique(code, return_index=True)
    first_row = np.sort(first_row)  # back to trips.txt order
    tpos, code = tpos[first_row], code[first_row]
    lo, hi = trip_bounds(tcode, int(tcode.max()) + 1)
    # Canonical quirk, kept for parity: the first circular trip (first stop = last stop) ends the
    # whole check, so it and every later trip (trips.txt order) go unreported.
    first_stop = pick(st, "stop_id", order[lo[code]])
    last_stop = pick(st, "stop_id", order[hi[code] - 1])
    circular = np.flatnonzero(first_stop == last_stop)
    if len(circular):
        tpos, code = tpos[: circular[0]], code[: circular[0]]
        if len(tpos) == 0:
            return
    # Lowercase stop names and headsigns as codes of one vocabulary: an integer compare per
    # stop_times row, block by block (no per-row string objects).
    vocab, _ = pd.factorize(
        pd.concat([column(stops, "stop_name").str.lower(), head.iloc[tpos].str.lower()])
    )
    name_code = vocab[: len(stops)]  # -1 for a stop without name
    n_codes = int(tcode.max()) + 1
    head_by_code = np.full(n_codes, -2, dtype=np.int64)  # -2: trip not checked
    head_by_code[code] = vocab[len(stops) :]
    owner_by_code = np.full(n_codes, -1, dtype=np.int64)
    owner_by_code[code] = np.arange(len(code))
    stop_pos_all = stop_positions(feed)
    found = []
    for b_lo, b_hi in trip_blocks(tcode):  # trips never straddle blocks
        tc = tcode[b_lo:b_hi]
        want = head_by_code[tc]
        last = np.ones(b_hi - b_lo, dtype=bool)  # a trip's last stop time is not intermediate
        last[:-1] = tc[:-1] != tc[1:]
        sp = stop_pos_all[order[b_lo:b_hi]]
        got = np.where(sp >= 0, name_code[np.maximum(sp, 0)], -1)
        found.append(np.flatnonzero((got == want) & (want >= 0) & ~last) + b_lo)
    hits = np.concatenate(found)
    if len(hits) == 0:
        return
    _, first_hit = np.unique(tcode[hits], return_index=True)  # first hit of each trip
    hits = hits[first_hit]
    t = owner_by_code[tcode[hits]]
    seq = TypedAt(feed, "stop_times.txt", "stop_sequence")
    last_rows = order[hi[code[t]] - 1]
    notices.add_frame(
        "trip_headsign_matches_intermediate_stop",
        pd.DataFrame(
            {
                "csvRowNumber": trips["csv_row"].to_numpy()[tpos[t]],
                "tripId": column(trips, "trip_id").to_numpy(dtype=object)[tpos[t]],
                "tripHeadsign": head.to_numpy(dtype=object)[tpos[t]],
                "stopId1": pick(st, "stop_id", order[hits]),
                "stopSequence": values_at(seq, order[hits]).astype(np.int64),
                "stopId2": pick(st, "stop_id", last_rows),
            }
        ).sort_values("csvRowNumber"),
    )
