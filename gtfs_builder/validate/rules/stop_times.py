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
import pyarrow as pa
import pyarrow.compute as pc

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, has_column, tables_ok, typed_or_na

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

EARTH_RADIUS_M = 6371010.0  # S2Earth.getRadiusMeters(), as the canonical validator

_ORDER_CACHE: weakref.WeakKeyDictionary[object, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
_UNIQUES_CACHE: weakref.WeakKeyDictionary[object, pd.Series] = weakref.WeakKeyDictionary()




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
    trip = column(st, "trip_id")
    codes, uniques = pd.factorize(trip, use_na_sentinel=True)
    with contextlib.suppress(TypeError):
        _UNIQUES_CACHE[feed] = pd.Series(uniques, dtype="str")
    seq = typed_or_na(feed, "stop_times.txt", "stop_sequence")
    seq_np = seq.astype("Float64").fillna(0).to_numpy(dtype=float)  # unset sorts as 0
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.lexsort((seq_np[keep], codes[keep]))]
    result = (order, codes[order])
    with contextlib.suppress(TypeError):  # a feed object that cannot be weakly referenced
        _ORDER_CACHE[feed] = result
    return result


def trip_code_of(feed: Feed, trip_ids: pd.Series) -> np.ndarray:
    """The trip code (see :func:`trip_order`) of each trip_id; -1 when it has no stop times."""
    trip_order(feed)
    try:
        uniques = _UNIQUES_CACHE.get(feed)
    except TypeError:
        uniques = None
    if uniques is None:  # feed not weak-referenceable: recompute
        uniques = pd.Series(pd.unique(column(feed.table("stop_times.txt"), "trip_id").dropna()))
    return lookup(trip_ids, uniques)


def trip_bounds(tcode: np.ndarray, ntrips: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last sorted row per trip code (equal when the code has no rows)."""
    codes = np.arange(ntrips)
    return np.searchsorted(tcode, codes, side="left"), np.searchsorted(tcode, codes, side="right")


def pick(df: pd.DataFrame, col: str, rows: np.ndarray) -> np.ndarray:
    """Values of ``df[col]`` at positions ``rows`` as objects (None for <NA>), converting only
    those rows: turning a 20 M-row id column into Python objects costs seconds."""
    return column(df, col).take(np.asarray(rows)).to_numpy(dtype=object, na_value=None)


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


def lookup(values: pd.Series | np.ndarray, keys: pd.Series | np.ndarray) -> np.ndarray:
    """Position of each value in ``keys`` (first occurrence), -1 when absent or <NA>.

    An Arrow hash join: an order of magnitude faster than ``Series.map`` on id columns.
    """
    v = pa.array(values, type=pa.large_string(), from_pandas=True)
    k = pa.array(keys, type=pa.large_string(), from_pandas=True)
    return pc.index_in(v, value_set=k).fill_null(-1).to_numpy().astype(np.int64)


_COORD_CACHE: weakref.WeakKeyDictionary[object, pd.DataFrame] = weakref.WeakKeyDictionary()


def stop_coordinates(feed: Feed) -> pd.DataFrame:
    """Per stops.txt row: lat/lon, inherited from the parent station when the stop has none.

    Mirrors StopUtil.getStopOrParentLatLng: walk up parents (at most 3 levels) until a location
    with coordinates; NaN when none is found. Positional (aligned to ``feed.table("stops.txt")``):
    find a stop's row with ``lookup(ids, feed.table("stops.txt")["stop_id"])``.
    """
    try:
        return _COORD_CACHE[feed]
    except (KeyError, TypeError):
        pass
    stops = feed.table("stops.txt")
    ids = column(stops, "stop_id")
    lat = typed_or_na(feed, "stops.txt", "stop_lat").astype("Float64")
    lon = typed_or_na(feed, "stops.txt", "stop_lon").astype("Float64")
    la = lat.to_numpy(dtype=float, na_value=np.nan)
    lo = lon.to_numpy(dtype=float, na_value=np.nan)
    parent = lookup(column(stops, "parent_station"), ids)
    out_la, out_lo = la.copy(), lo.copy()
    cur = parent.copy()
    for _ in range(3):
        need = (np.isnan(out_la) | np.isnan(out_lo)) & (cur >= 0)
        if not need.any():
            break
        src = cur[need]
        ok = ~np.isnan(la[src]) & ~np.isnan(lo[src])
        rows = np.flatnonzero(need)
        out_la[rows[ok]] = la[src[ok]]
        out_lo[rows[ok]] = lo[src[ok]]
        nxt = np.full(len(cur), -1, dtype=np.int64)
        nxt[rows[~ok]] = parent[src[~ok]]
        cur = nxt
    unknown = np.isnan(out_la) | np.isnan(out_lo)
    out_la[unknown] = np.nan
    out_lo[unknown] = np.nan
    frame = pd.DataFrame(
        {
            "lat": out_la,
            "lon": out_lo,
            "name": column(stops, "stop_name").to_numpy(dtype=object, na_value=None),
            "csv_row": stops["csv_row"].to_numpy(),
        }
    )
    with contextlib.suppress(TypeError):
        _COORD_CACHE[feed] = frame
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
    if not tables_ok(feed, "stop_times.txt"):
        return  # the canonical validator skips checks on a table it could not parse
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
    has_a, has_d = ~np.isnan(arr), ~np.isnan(dep)

    only = has_a != has_d
    notices.add_frame(
        "stop_time_with_only_arrival_or_departure_time",
        pd.DataFrame(
            {
                "csvRowNumber": row[only],
                "tripId": pick(st, "trip_id", order[only]),
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
                "tripId": pick(st, "trip_id", order[sel]),
                "departureTime": _hhmmss(dep[psel]),
                "arrivalTime": _hhmmss(arr[sel]),
            }
        ),
    )

    ends = np.ones(len(order), dtype=bool)
    ends[:-1] = tcode[:-1] != tcode[1:]
    # An edge with a pickup/drop-off window (GTFS-Flex) has a window instead of times.
    window = np.zeros(len(order), dtype=bool)
    for col in ("start_pickup_drop_off_window", "end_pickup_drop_off_window"):
        if has_column(feed, "stop_times.txt", col):
            window |= column(st, col).notna().to_numpy()[order]
    frames = []
    for edge in (np.flatnonzero(starts), np.flatnonzero(ends)):
        edge = edge[~window[edge]]
        for values, field in ((has_a, "arrival_time"), (has_d, "departure_time")):
            miss = edge[~values[edge]]
            frames.append(
                pd.DataFrame(
                    {
                        "csvRowNumber": row[miss],
                        "stopSequence": seq[miss].astype(np.int64),
                        "tripId": pick(st, "trip_id", order[miss]),
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
                "tripId": column(st, "trip_id")[missing],
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
                    "tripId": column(st, "trip_id")[m],
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
            "A stop time for a location or location group (no stop_id) has shape_dist_traveled.",
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
    if len(order) and tables_ok(feed, "stop_times.txt"):
        sdt = _np(sdt_s, order)
        seq = _np(typed_or_na(feed, "stop_times.txt", "stop_sequence"), order)
        row = st["csv_row"].to_numpy()[order]
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
                    "tripId": pick(st, "trip_id", order[cur]),
                    "csvRowNumber": row[cur],
                    "shapeDistTraveled": sdt[cur],
                    "stopSequence": seq[cur].astype(np.int64),
                    "prevCsvRowNumber": row[prv],
                    "prevShapeDistTraveled": sdt[prv],
                    "prevStopSequence": seq[prv].astype(np.int64),
                    "stopId": pick(st, "stop_id", order[cur]),
                }
            ),
        )
    # Only rows naming a location or location group instead of a stop (GTFS-Flex), and only when
    # the header has such a column (StopTimesShapeDistTraveledPresenceValidator).
    zone_cols = [
        c for c in ("location_id", "location_group_id") if has_column(feed, "stop_times.txt", c)
    ]
    if not zone_cols:
        return
    zone = pd.Series(False, index=st.index)
    for c in zone_cols:
        zone |= column(st, c).notna()
    forbidden = sdt_s.notna() & column(st, "stop_id").isna() & zone
    notices.add_frame(
        "forbidden_shape_dist_traveled",
        pd.DataFrame(
            {
                "csvRowNumber": st["csv_row"][forbidden],
                "tripId": column(st, "trip_id")[forbidden],
                "locationGroupId": column(st, "location_group_id")[forbidden].fillna(""),
                "locationId": column(st, "location_id")[forbidden].fillna(""),
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
    if not tables_ok(feed, "routes.txt", "trips.txt", "stop_times.txt", "stops.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    st = feed.table("stop_times.txt")
    trips = feed.table("trips.txt")
    routes = feed.table("routes.txt")
    stops = feed.table("stops.txt")
    if st.empty or trips.empty or routes.empty:
        return
    order, tcode = trip_order(feed)
    if len(order) == 0:
        return
    n = len(order)
    # Trip -> route -> speed limit; trips unknown in trips.txt or with a broken route are skipped.
    trip_pos_u = lookup(column(st, "trip_id"), column(trips, "trip_id"))[order]
    route_pos_t = lookup(column(trips, "route_id"), column(routes, "route_id"))
    limits_r = max_speed_kph(typed_or_na(feed, "routes.txt", "route_type")).to_numpy(
        dtype=float, na_value=200.0
    )
    route_pos = np.where(trip_pos_u >= 0, route_pos_t[np.maximum(trip_pos_u, 0)], -1)
    limit = np.where(route_pos >= 0, limits_r[np.maximum(route_pos, 0)], np.nan)
    del route_pos  # per-row temporaries are freed as soon as used: 160 MB each at 20 M rows
    coords = stop_coordinates(feed)
    stop_pos = lookup(column(st, "stop_id"), column(stops, "stop_id"))[order]
    known_stop = stop_pos >= 0
    arr = _np(typed_or_na(feed, "stop_times.txt", "arrival_time"), order)
    dep = _np(typed_or_na(feed, "stop_times.txt", "departure_time"), order)
    same = np.zeros(n, dtype=bool)
    same[1:] = tcode[1:] == tcode[:-1]
    # Distance from the previous stop of the trip, computed once per distinct pair of stops.
    dist_km = np.zeros(n)
    nxt = np.flatnonzero(same)
    if len(nxt):
        width = np.int64(len(stops) + 1)
        pair = (stop_pos[nxt - 1] + 1) * width + (stop_pos[nxt] + 1)
        uniq, inverse = np.unique(pair, return_inverse=True)
        a, b = uniq // width - 1, uniq % width - 1
        ulat, ulon = coords["lat"].to_numpy(), coords["lon"].to_numpy()
        ok = (a >= 0) & (b >= 0)
        a0, b0 = np.maximum(a, 0), np.maximum(b, 0)
        d = haversine_m(ulat[a0], ulon[a0], ulat[b0], ulon[b0]) / 1000.0
        dist_km[nxt] = np.where(ok, d, np.nan)[inverse]
    # gtfs-guru reports nothing for a leg whose stop has no coordinates: count it as 0 km.
    dist_km[np.isnan(dist_km)] = 0.0

    # A broken stop reference stops the canonical validator's scan of the trip.
    trip_first = np.maximum.accumulate(np.where(~same, np.arange(n), 0))
    broken_trip = (np.bincount(tcode, weights=~known_stop) > 0)[tcode]
    valid_trip = ~np.isnan(limit) & ~broken_trip
    del broken_trip, known_stop

    ctx = _SpeedCtx(feed, order, trip_pos_u, stop_pos, coords, arr, dep)

    i2 = np.flatnonzero(same)
    i1 = i2 - 1
    pair = valid_trip[i2] & ~np.isnan(dep[i1]) & ~np.isnan(arr[i2])
    i1, i2 = i1[pair], i2[pair]
    with np.errstate(invalid="ignore", divide="ignore"):
        sp = _speed(dist_km[i2], arr[i2], dep[i1])
    fast = sp > limit[i2]
    if fast.any():
        notices.add_frame(
            "fast_travel_between_consecutive_stops",
            ctx.frame(i1[fast], i2[fast], sp[fast], dist_km[i2][fast]),
        )
    del i1, i2, pair, sp, fast

    # Far stops: does some start s < e (with a departure) lie over 10 km before an end e (with an
    # arrival) and imply a speed over the limit? With cum = distance from the trip start,
    # speed > limit <=> (3600 cum_e - limit arr_e) - (3600 cum_s - limit dep_s) > 60 limit bonus,
    # bonus = 1 when both times are whole minutes (the canonical +1 minute buffer); a
    # non-positive time difference always qualifies at over 10 km. So a prefix minimum per trip
    # finds every trip with a hit, vectorised; only those trips are then scanned in canonical
    # order for the reported pair.
    cum_in = np.cumsum(dist_km)
    del dist_km
    cum_in -= cum_in[trip_first]
    key = tcode.astype(float)
    key *= 1e7  # keeps the global cumulative distance sorted by trip
    key += cum_in
    k = np.searchsorted(key, key - MAX_DISTANCE_OVER_MAX_SPEED_KM, side="left") - 1
    del key
    has_start = k >= trip_first
    del trip_first
    with np.errstate(invalid="ignore"):
        b_plain = np.where(np.isnan(dep), np.inf, 3600.0 * cum_in - limit * dep)
        b_aligned = np.where(np.isnan(dep), np.inf, b_plain + 60.0 * limit * (np.mod(dep, 60) == 0))
    pm_plain = pd.Series(b_plain).groupby(tcode).cummin().to_numpy()
    del b_plain
    pm_aligned = pd.Series(b_aligned).groupby(tcode).cummin().to_numpy()
    del b_aligned
    kk = np.maximum(k, 0)
    del k
    a_end = 3600.0 * cum_in - limit * arr
    tol = np.abs(a_end)
    np.maximum(tol, 1.0, out=tol)
    tol *= 1e-6
    arr_aligned = np.mod(arr, 60) == 0
    need = np.where(arr_aligned, pm_aligned[kk], pm_plain[kk])
    del pm_plain, pm_aligned, kk, arr_aligned
    with np.errstate(invalid="ignore"):
        a_end -= need
        cand = valid_trip & has_start & ~np.isnan(arr) & (a_end > -tol)
    del a_end, need, tol, has_start
    if not cand.any():
        return
    hit_trips = np.unique(tcode[cand])
    _far_stops(notices, ctx, hit_trips, tcode, cum_in, arr, dep, limit)


def _speed(d_km: np.ndarray, t_arr: np.ndarray, t_dep: np.ndarray) -> np.ndarray:
    """Canonical speed: +1 minute when both times are whole minutes, 1 minute if not positive."""
    dt = t_arr - t_dep
    bonus = (np.mod(t_arr, 60) == 0) & (np.mod(t_dep, 60) == 0)
    dt = np.where(bonus, dt + 60, dt)
    dt = np.where(t_arr - t_dep <= 0, 60, dt)
    return d_km * 3600.0 / dt


def _far_stops(
    notices: Notices,
    ctx: _SpeedCtx,
    hit_trips: np.ndarray,
    tcode: np.ndarray,
    cum_in: np.ndarray,
    arr: np.ndarray,
    dep: np.ndarray,
    limit: np.ndarray,
) -> None:
    """The reported pair for trips known to have a fast far-stop pair.

    Loops over those trips only (rare): the canonical scan order (first end, then nearest start)
    decides which pair is reported; each trip is a small numpy matrix, not a Python loop per row.
    """
    found: list[tuple[int, int, float, float]] = []
    starts = np.searchsorted(tcode, hit_trips, side="left")
    stops_ = np.searchsorted(tcode, hit_trips, side="right")
    for lo, hi in zip(starts, stops_, strict=True):
        seg = np.arange(lo, hi)
        c, a, d = cum_in[seg], arr[seg], dep[seg]
        dist = c[None, :] - c[:, None]  # [s, e]
        with np.errstate(invalid="ignore", divide="ignore"):
            sp = _speed(dist, a[None, :], d[:, None])
        m = len(seg)
        hit = np.triu(np.ones((m, m), dtype=bool), k=1)
        hit &= (sp > limit[lo]) & (dist > MAX_DISTANCE_OVER_MAX_SPEED_KM)
        hit &= ~np.isnan(d)[:, None] & ~np.isnan(a)[None, :]
        if not hit.any():
            continue
        e = int(np.flatnonzero(hit.any(axis=0))[0])
        s = int(np.flatnonzero(hit[:, e])[-1])
        found.append((int(seg[s]), int(seg[e]), float(sp[s, e]), float(dist[s, e])))
    if found:
        i1, i2, sp_, d_ = (np.array(x) for x in zip(*found, strict=True))
        notices.add_frame("fast_travel_between_far_stops", ctx.frame(i1, i2, sp_, d_))


class _SpeedCtx:
    """Builds speed notices for the few rows that need one (ids and names looked up lazily)."""

    def __init__(
        self,
        feed: Feed,
        order: np.ndarray,
        trip_pos: np.ndarray,
        stop_pos: np.ndarray,
        coords: pd.DataFrame,
        arr: np.ndarray,
        dep: np.ndarray,
    ) -> None:
        self.feed, self.order, self.trip_pos, self.stop_pos = feed, order, trip_pos, stop_pos
        self.coords, self.arr, self.dep = coords, arr, dep

    def frame(
        self, i1: np.ndarray, i2: np.ndarray, sp: np.ndarray, dist: np.ndarray
    ) -> pd.DataFrame:
        st = self.feed.table("stop_times.txt")
        trips = self.feed.table("trips.txt")
        rows = self.order
        seq = typed_or_na(self.feed, "stop_times.txt", "stop_sequence").astype("Float64")
        seq_np = seq.to_numpy(dtype=float, na_value=np.nan)
        tp = self.trip_pos[i2]
        names = self.coords["name"].to_numpy()
        return pd.DataFrame(
            {
                "tripCsvRowNumber": trips["csv_row"].to_numpy()[tp],
                "tripId": column(trips, "trip_id").to_numpy(dtype=object)[tp],
                "routeId": column(trips, "route_id").to_numpy(dtype=object)[tp],
                "speedKph": sp,
                "distanceKm": dist,
                "csvRowNumber1": st["csv_row"].to_numpy()[rows[i1]],
                "stopSequence1": seq_np[rows[i1]].astype(np.int64),
                "stopId1": column(st, "stop_id").take(rows[i1]).to_numpy(dtype=object),
                "stopName1": names[self.stop_pos[i1]],
                "departureTime1": _hhmmss(self.dep[i1]),
                "csvRowNumber2": st["csv_row"].to_numpy()[rows[i2]],
                "stopSequence2": seq_np[rows[i2]].astype(np.int64),
                "stopId2": column(st, "stop_id").take(rows[i2]).to_numpy(dtype=object),
                "stopName2": names[self.stop_pos[i2]],
                "arrivalTime2": _hhmmss(self.arr[i2]),
            }
        )


@rule(
    files=["stop_times.txt"],
    notices={
        "unsorted_stop_times": (
            Severity.INFO,
            "A trip's stop times are not contiguous and sorted by stop_sequence in the file.",
        ),
    },
)
def check_stop_times_sorted(feed: Feed, notices: Notices) -> None:
    """Consumers streaming stop_times expect each trip in one block, in stop_sequence order."""
    if not tables_ok(feed, "stop_times.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    st = feed.table("stop_times.txt")
    if st.empty:
        return
    order, tcode = trip_order(feed)
    if len(order) < 2:
        return
    row = st["csv_row"].to_numpy()[order]
    same = tcode[1:] == tcode[:-1]
    broken = same & (np.diff(row) != 1)
    if not broken.any():
        return
    bad_codes = np.unique(tcode[1:][broken])
    sel = np.isin(tcode, bad_codes)
    frame = pd.DataFrame(
        {
            "code": tcode[sel],
            "tripId": pick(st, "trip_id", order[sel]),
            "row": row[sel],
        }
    )
    g = frame.groupby("code", sort=False)
    notices.add_frame(
        "unsorted_stop_times",
        pd.DataFrame(
            {
                "tripId": g["tripId"].first(),
                "startCsvRowNumber": g["row"].min(),
                "endCsvRowNumber": g["row"].max(),
            }
        ).sort_values("startCsvRowNumber"),
    )
