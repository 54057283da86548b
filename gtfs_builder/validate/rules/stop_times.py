"""stop_times family: per-trip sequences of times, distances and travel speeds.

Everything here is vectorised over the whole stop_times table: rows are sorted once by
(trip, stop_sequence) and per-trip checks use shifts and group boundaries, never a Python loop
per row (the benchmark feed has 20 M rows).
"""

from __future__ import annotations

import contextlib
import weakref
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

EARTH_RADIUS_M = 6371010.0  # S2Earth.getRadiusMeters(), as the canonical validator

_ORDER_CACHE: weakref.WeakKeyDictionary[object, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """A string column of ``df``, all <NA> when the header lacks it."""
    if name in df.columns:
        return df[name]
    return pd.Series(pd.NA, index=df.index, dtype="str")


def has_column(feed: Feed, filename: str, column: str) -> bool:
    """The file's header had ``column`` (feed.table() also adds absent spec columns as <NA>)."""
    probe = getattr(feed, "has_column", None)
    if probe is not None:
        return bool(probe(filename, column))
    return column in feed.table(filename).columns


def typed_or_na(feed: Feed, filename: str, field: str) -> pd.Series:
    """feed.typed, or an all-<NA> column when the file lacks the field."""
    df = feed.table(filename)
    if field not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="Float64")
    return feed.typed(filename, field)


def trip_order(feed: Feed) -> tuple[np.ndarray, np.ndarray]:
    """(positions of stop_times rows sorted by trip then stop_sequence, trip code per sorted row).

    Rows without trip_id are left out. Trip codes are dense ints in order of first appearance.
    Cached per feed: several rule families need the same order.
    """
    try:
        return _ORDER_CACHE[feed]
    except (KeyError, TypeError):
        pass
    st = feed.table("stop_times.txt")
    trip = _col(st, "trip_id")
    codes, _ = pd.factorize(trip, use_na_sentinel=True)
    seq = typed_or_na(feed, "stop_times.txt", "stop_sequence")
    seq_np = seq.astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.lexsort((seq_np[keep], codes[keep]))]
    result = (order, codes[order])
    with contextlib.suppress(TypeError):  # a feed object that cannot be weakly referenced
        _ORDER_CACHE[feed] = result
    return result


def _starts(tcode: np.ndarray) -> np.ndarray:
    """Boolean per sorted row: first row of its trip."""
    first = np.ones(len(tcode), dtype=bool)
    first[1:] = tcode[1:] != tcode[:-1]
    return first


def _np(series: pd.Series, order: np.ndarray, dtype: type = float) -> np.ndarray:
    """Series values in sorted order as a numpy array (NaN for <NA>)."""
    return series.astype("Float64").to_numpy(dtype=dtype, na_value=np.nan)[order]


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres on the S2 sphere."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def stop_coordinates(feed: Feed) -> pd.DataFrame:
    """Per stop_id: lat/lon, inherited from the parent station when the stop has none.

    Mirrors StopUtil.getStopOrParentLatLng: walk up parents (at most 3 levels) until a location
    with coordinates; NaN when none is found. Indexed by stop_id (first row wins).
    """
    stops = feed.table("stops.txt")
    ids = _col(stops, "stop_id")
    lat = typed_or_na(feed, "stops.txt", "stop_lat").astype("Float64")
    lon = typed_or_na(feed, "stops.txt", "stop_lon").astype("Float64")
    frame = pd.DataFrame(
        {
            "lat": lat.to_numpy(dtype=float, na_value=np.nan),
            "lon": lon.to_numpy(dtype=float, na_value=np.nan),
            "parent": _col(stops, "parent_station").to_numpy(dtype=object),
            "name": _col(stops, "stop_name").to_numpy(dtype=object),
            "csv_row": stops["csv_row"].to_numpy(),
        },
        index=pd.Index(ids.to_numpy(dtype=object)),
    )
    frame = frame[~frame.index.duplicated()]
    for _ in range(3):
        need = frame["lat"].isna() | frame["lon"].isna()
        if not need.any():
            break
        par = frame.loc[need, "parent"]
        plat = par.map(frame["lat"])
        plon = par.map(frame["lon"])
        ok = plat.notna() & plon.notna()
        idx = ok[ok].index
        frame.loc[idx, "lat"] = plat[ok]
        frame.loc[idx, "lon"] = plon[ok]
        frame.loc[need & ~frame.index.isin(idx), "parent"] = par.map(frame["parent"])
    return frame


def _hhmmss(seconds: np.ndarray) -> np.ndarray:
    """GTFS time text for sample fields."""
    s = np.nan_to_num(seconds).astype(np.int64)
    return np.array([f"{v // 3600:02d}:{v // 60 % 60:02d}:{v % 60:02d}" for v in s], dtype=object)


@rule(
    files=["stop_times.txt"],
    notices={
        "stop_time_with_only_arrival_or_departure_time": (
            Severity.ERROR,
            "A stop time has arrival_time or departure_time but not both.",
        ),
        "stop_time_with_arrival_before_previous_departure_time": (
            Severity.ERROR,
            "arrival_time is before the departure_time of the previous timed stop of the trip.",
        ),
        "missing_trip_edge": (
            Severity.ERROR,
            "The first or last stop time of a trip lacks arrival_time or departure_time.",
        ),
    },
)
def check_stop_time_times(feed: Feed, notices: Notices) -> None:
    """Times along a trip: both or neither given, never backwards, and both at the edges."""
    st = feed.table("stop_times.txt")
    if st.empty:
        return
    order, tcode = trip_order(feed)
    if len(order) == 0:
        return
    arr = _np(typed_or_na(feed, "stop_times.txt", "arrival_time"), order)
    dep = _np(typed_or_na(feed, "stop_times.txt", "departure_time"), order)
    seq = _np(typed_or_na(feed, "stop_times.txt", "stop_sequence"), order)
    row = st["csv_row"].to_numpy()[order]
    trip = _col(st, "trip_id").to_numpy(dtype=object)[order]
    has_a, has_d = ~np.isnan(arr), ~np.isnan(dep)

    only = has_a != has_d
    notices.add_frame(
        "stop_time_with_only_arrival_or_departure_time",
        pd.DataFrame(
            {
                "csvRowNumber": row[only],
                "tripId": trip[only],
                "stopSequence": seq[only].astype(np.int64),
                "specifiedField": np.where(has_a[only], "arrival_time", "departure_time"),
            }
        ),
    )

    # Last departure (and its row) strictly before each row, within the trip.
    starts = _starts(tcode)
    dep_idx = np.where(has_d, np.arange(len(order)), -1)
    prev = np.empty(len(order), dtype=np.int64)
    prev[0] = -1
    prev[1:] = dep_idx[:-1]
    prev[starts] = -1
    # forward-fill the last seen departure index within each trip
    trip_start_idx = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    filled = np.maximum.accumulate(np.where(prev >= 0, prev, -1))
    filled = np.where(filled >= trip_start_idx, filled, -1)
    ok = has_a & (filled >= 0)
    pidx = filled[ok]
    back = arr[ok] < dep[pidx]
    sel = np.flatnonzero(ok)[back]
    psel = pidx[back]
    notices.add_frame(
        "stop_time_with_arrival_before_previous_departure_time",
        pd.DataFrame(
            {
                "csvRowNumber": row[sel],
                "prevCsvRowNumber": row[psel],
                "tripId": trip[sel],
                "departureTime": _hhmmss(dep[psel]),
                "arrivalTime": _hhmmss(arr[sel]),
            }
        ),
    )

    ends = np.ones(len(order), dtype=bool)
    ends[:-1] = tcode[:-1] != tcode[1:]
    frames = []
    for edge in (np.flatnonzero(starts), np.flatnonzero(ends)):
        for values, field in ((has_a, "arrival_time"), (has_d, "departure_time")):
            miss = edge[~values[edge]]
            frames.append(
                pd.DataFrame(
                    {
                        "csvRowNumber": row[miss],
                        "stopSequence": seq[miss].astype(np.int64),
                        "tripId": trip[miss],
                        "specifiedField": field,
                    }
                )
            )
    notices.add_frame("missing_trip_edge", pd.concat(frames, ignore_index=True))


@rule(
    files=["stop_times.txt"],
    notices={
        "stop_time_timepoint_without_times": (
            Severity.ERROR,
            "A stop time with timepoint=1 lacks arrival_time or departure_time.",
        ),
        "missing_timepoint_value": (
            Severity.WARNING,
            "A stop time with times has no timepoint value.",
        ),
    },
)
def check_timepoints(feed: Feed, notices: Notices) -> None:
    """Exact timepoints must carry times; timed rows should say whether they are exact."""
    st = feed.table("stop_times.txt")
    if st.empty or not has_column(feed, "stop_times.txt", "timepoint"):
        return
    tp = feed.typed("stop_times.txt", "timepoint")
    arr = typed_or_na(feed, "stop_times.txt", "arrival_time")
    dep = typed_or_na(feed, "stop_times.txt", "departure_time")
    seq = typed_or_na(feed, "stop_times.txt", "stop_sequence")
    has_a, has_d = arr.notna(), dep.notna()
    missing = tp.isna() & (has_a | has_d)
    notices.add_frame(
        "missing_timepoint_value",
        pd.DataFrame(
            {
                "csvRowNumber": st["csv_row"][missing],
                "tripId": _col(st, "trip_id")[missing],
                "stopSequence": seq[missing],
            }
        ),
    )
    exact = (tp == 1).fillna(False)
    frames = []
    for has, field in ((has_a, "arrival_time"), (has_d, "departure_time")):
        m = exact & ~has
        frames.append(
            pd.DataFrame(
                {
                    "csvRowNumber": st["csv_row"][m],
                    "tripId": _col(st, "trip_id")[m],
                    "stopSequence": seq[m],
                    "specifiedField": field,
                }
            )
        )
    out = pd.concat(frames).sort_index(kind="stable")
    notices.add_frame("stop_time_timepoint_without_times", out)


@rule(
    files=["stop_times.txt"],
    notices={
        "decreasing_or_equal_stop_time_distance": (
            Severity.ERROR,
            "shape_dist_traveled does not increase between consecutive stop times of a trip.",
        ),
        "forbidden_shape_dist_traveled": (
            Severity.ERROR,
            "A stop time without stop_id has shape_dist_traveled.",
        ),
    },
)
def check_stop_time_distance(feed: Feed, notices: Notices) -> None:
    """shape_dist_traveled strictly increases along the trip and needs a stop to refer to."""
    st = feed.table("stop_times.txt")
    if st.empty or "shape_dist_traveled" not in st.columns:
        return
    sdt_s = feed.typed("stop_times.txt", "shape_dist_traveled")
    order, tcode = trip_order(feed)
    if len(order):
        sdt = _np(sdt_s, order)
        seq = _np(typed_or_na(feed, "stop_times.txt", "stop_sequence"), order)
        row = st["csv_row"].to_numpy()[order]
        trip = _col(st, "trip_id").to_numpy(dtype=object)[order]
        same = np.zeros(len(order), dtype=bool)
        same[1:] = tcode[1:] == tcode[:-1]
        bad = np.zeros(len(order), dtype=bool)
        with np.errstate(invalid="ignore"):
            bad[1:] = same[1:] & (sdt[:-1] >= sdt[1:])
        cur = np.flatnonzero(bad)
        prv = cur - 1
        notices.add_frame(
            "decreasing_or_equal_stop_time_distance",
            pd.DataFrame(
                {
                    "tripId": trip[cur],
                    "csvRowNumber": row[cur],
                    "shapeDistTraveled": sdt[cur],
                    "stopSequence": seq[cur].astype(np.int64),
                    "prevCsvRowNumber": row[prv],
                    "prevStopTimeDistTraveled": sdt[prv],
                    "prevStopSequence": seq[prv].astype(np.int64),
                }
            ),
        )
    forbidden = sdt_s.notna() & _col(st, "stop_id").isna()
    notices.add_frame(
        "forbidden_shape_dist_traveled",
        pd.DataFrame(
            {
                "csvRowNumber": st["csv_row"][forbidden],
                "tripId": _col(st, "trip_id")[forbidden],
                "stopSequence": typed_or_na(feed, "stop_times.txt", "stop_sequence")[forbidden],
                "shapeDistTraveled": sdt_s[forbidden],
            }
        ),
    )


def max_speed_kph(route_type: pd.Series) -> pd.Series:
    """Speed limit per route_type (StopTimeTravelSpeedValidator.getMaxVehicleSpeedKph)."""
    limits = {
        0: 100.0,
        2: 500.0,
        1: 150.0,
        12: 150.0,
        3: 150.0,
        11: 150.0,
        4: 80.0,
        5: 30.0,
        6: 50.0,
        7: 50.0,
    }
    return route_type.map(limits).astype("Float64").fillna(200.0)


MAX_DISTANCE_OVER_MAX_SPEED_KM = 10.0


@rule(
    files=["stop_times.txt", "stops.txt", "trips.txt", "routes.txt"],
    notices={
        "fast_travel_between_consecutive_stops": (
            Severity.WARNING,
            "A vehicle would move faster than its route_type allows between consecutive stops.",
        ),
        "fast_travel_between_far_stops": (
            Severity.WARNING,
            "A vehicle would move faster than its route_type allows between stops 10 km apart.",
        ),
    },
)
def check_travel_speed(feed: Feed, notices: Notices) -> None:
    """Implausible speeds reveal wrong times or misplaced stops."""
    st = feed.table("stop_times.txt")
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    if st.empty or trips.empty or routes.empty:
        return
    order, tcode = trip_order(feed)
    if len(order) == 0:
        return
    trip = _col(st, "trip_id").to_numpy(dtype=object)[order]
    stop_id = _col(st, "stop_id").to_numpy(dtype=object)[order]
    # Trip -> route -> speed limit; trips unknown in trips.txt or with a broken route are skipped.
    tframe = pd.DataFrame(
        {"route_id": _col(trips, "route_id").to_numpy(), "row": trips["csv_row"].to_numpy()},
        index=_col(trips, "trip_id").to_numpy(dtype=object),
    )
    tframe = tframe[~tframe.index.duplicated()]
    rtype = typed_or_na(feed, "routes.txt", "route_type")
    rlimit = pd.Series(
        max_speed_kph(rtype).to_numpy(dtype=float),
        index=_col(routes, "route_id").to_numpy(dtype=object),
    )
    rlimit = rlimit[~rlimit.index.duplicated()]
    t_route = pd.Series(trip).map(tframe["route_id"])
    limit = t_route.map(rlimit).to_numpy(dtype=float)
    coords = stop_coordinates(feed)
    known_stop = pd.Series(stop_id).isin(coords.index).to_numpy()
    lat = pd.Series(stop_id).map(coords["lat"]).to_numpy(dtype=float)
    lon = pd.Series(stop_id).map(coords["lon"]).to_numpy(dtype=float)
    arr = _np(typed_or_na(feed, "stop_times.txt", "arrival_time"), order)
    dep = _np(typed_or_na(feed, "stop_times.txt", "departure_time"), order)
    n = len(order)
    same = np.zeros(n, dtype=bool)
    same[1:] = tcode[1:] == tcode[:-1]
    dist_km = np.zeros(n)  # distance from previous stop of the trip
    dist_km[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / 1000.0
    dist_km[~same] = 0.0
    # gtfs-guru reports nothing for a leg whose stop has no coordinates: count it as 0 km.
    dist_km[np.isnan(dist_km)] = 0.0

    def speed(d_km: np.ndarray, t_arr: np.ndarray, t_dep: np.ndarray) -> np.ndarray:
        dt = t_arr - t_dep
        bonus = (np.mod(t_arr, 60) == 0) & (np.mod(t_dep, 60) == 0)
        dt = np.where(bonus, dt + 60, dt)
        dt = np.where(t_arr - t_dep <= 0, 60, dt)
        return d_km * 3600.0 / dt

    # A broken stop reference stops the canonical validator's scan of the trip.
    broken_trip = pd.Series(~known_stop).groupby(tcode).transform("any").to_numpy()
    valid_trip = ~np.isnan(limit) & ~broken_trip
    row = st["csv_row"].to_numpy()[order]
    seq = _np(typed_or_na(feed, "stop_times.txt", "stop_sequence"), order)
    names = pd.Series(stop_id).map(coords["name"]).to_numpy(dtype=object)
    trip_row = pd.Series(trip).map(tframe["row"]).to_numpy()

    i2 = np.flatnonzero(same)
    i1 = i2 - 1
    pair = valid_trip[i2] & ~np.isnan(dep[i1]) & ~np.isnan(arr[i2])
    i1, i2 = i1[pair], i2[pair]
    with np.errstate(invalid="ignore", divide="ignore"):
        sp = speed(dist_km[i2], arr[i2], dep[i1])
    fast = sp > limit[i2]
    i1, i2, sp = i1[fast], i2[fast], sp[fast]
    notices.add_frame(
        "fast_travel_between_consecutive_stops",
        _speed_frame(
            trip_row, trip, t_route, row, seq, stop_id, names, dep, arr, i1, i2, sp, dist_km[i2]
        ),
    )

    # Far stops: for an end e with arrival and a start s < e with departure, speed over the summed
    # distance. One notice per trip at most (the first end, nearest start, in canonical order).
    cum = np.cumsum(dist_km)
    trip_first = np.maximum.accumulate(np.where(~same, np.arange(n), 0))
    base = cum[trip_first]
    cum_in = cum - base  # distance from the trip's first stop
    # Only trips longer than 10 km can have far stops; keep the work small.
    long_trip = pd.Series(cum_in).groupby(tcode).transform("max").to_numpy() > (
        MAX_DISTANCE_OVER_MAX_SPEED_KM
    )
    cand = valid_trip & long_trip
    if not cand.any():
        return
    _far_stops(
        notices,
        cand,
        tcode,
        cum_in,
        arr,
        dep,
        limit,
        trip_row,
        trip,
        t_route,
        row,
        seq,
        stop_id,
        names,
    )


def _far_stops(
    notices: Notices,
    cand: np.ndarray,
    tcode: np.ndarray,
    cum_in: np.ndarray,
    arr: np.ndarray,
    dep: np.ndarray,
    limit: np.ndarray,
    trip_row: np.ndarray,
    trip: np.ndarray,
    t_route: pd.Series,
    row: np.ndarray,
    seq: np.ndarray,
    stop_id: np.ndarray,
    names: np.ndarray,
) -> None:
    """fast_travel_between_far_stops over candidate trips.

    Loops per candidate trip (trips over 10 km only) on small numpy matrices: the canonical
    scan order (first end, then nearest start) decides which pair is reported, which a closed
    form cannot reproduce; the matrix per trip keeps it O(stops^2) in numpy, not Python.
    """
    idx = np.flatnonzero(cand)
    codes = tcode[idx]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    found_s: list[int] = []
    found_e: list[int] = []
    found_sp: list[float] = []
    found_d: list[float] = []
    for seg in np.split(idx, bounds):
        c = cum_in[seg]
        a = arr[seg]
        d = dep[seg]
        lim = limit[seg[0]]
        dist = c[None, :] - c[:, None]  # [s, e]
        t_raw = a[None, :] - d[:, None]
        bonus = (np.mod(a, 60)[None, :] == 0) & (np.mod(d, 60)[:, None] == 0)
        t = np.where(bonus, t_raw + 60, t_raw)
        t = np.where(t_raw <= 0, 60, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            sp = dist * 3600.0 / t
        m = len(seg)
        upper = np.triu(np.ones((m, m), dtype=bool), k=1)
        hit = upper & (sp > lim) & (dist > MAX_DISTANCE_OVER_MAX_SPEED_KM)
        hit &= ~np.isnan(d)[:, None] & ~np.isnan(a)[None, :]
        if not hit.any():
            continue
        ends = np.flatnonzero(hit.any(axis=0))
        e = ends[0]
        s = np.flatnonzero(hit[:, e])[-1]
        found_s.append(seg[s])
        found_e.append(seg[e])
        found_sp.append(float(sp[s, e]))
        found_d.append(float(dist[s, e]))
    if not found_s:
        return
    i1, i2 = np.array(found_s), np.array(found_e)
    notices.add_frame(
        "fast_travel_between_far_stops",
        _speed_frame(
            trip_row,
            trip,
            t_route,
            row,
            seq,
            stop_id,
            names,
            dep,
            arr,
            i1,
            i2,
            np.array(found_sp),
            np.array(found_d),
        ),
    )


def _speed_frame(
    trip_row: np.ndarray,
    trip: np.ndarray,
    t_route: pd.Series,
    row: np.ndarray,
    seq: np.ndarray,
    stop_id: np.ndarray,
    names: np.ndarray,
    dep: np.ndarray,
    arr: np.ndarray,
    i1: np.ndarray,
    i2: np.ndarray,
    sp: np.ndarray,
    dist: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tripCsvRowNumber": trip_row[i2],
            "tripId": trip[i2],
            "routeId": t_route.to_numpy(dtype=object)[i2],
            "speedKph": sp,
            "distanceKm": dist,
            "csvRowNumber1": row[i1],
            "stopSequence1": seq[i1].astype(np.int64),
            "stopId1": stop_id[i1],
            "stopName1": names[i1],
            "departureTime1": _hhmmss(dep[i1]),
            "csvRowNumber2": row[i2],
            "stopSequence2": seq[i2].astype(np.int64),
            "stopId2": stop_id[i2],
            "stopName2": names[i2],
            "arrivalTime2": _hhmmss(arr[i2]),
        }
    )
