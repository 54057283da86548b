"""stop_times family: per-trip sequences of times, distances and travel speeds.

Everything here is vectorised over the whole stop_times table: rows are sorted once by
(trip, stop_sequence) and per-trip checks use shifts and group boundaries, never a Python loop
per row (the benchmark feed has 20 M rows). Memory stays bounded at that size: the shared
order and stop positions are int32 and cached per feed, and each check runs over blocks of
whole trips (``BLOCK_ROWS`` sorted rows), reading typed values only for the block's rows
(``TypedAt``), so its temporaries are a few hundred MB whatever the feed size.
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
_STOP_POS_CACHE: weakref.WeakKeyDictionary[object, np.ndarray] = weakref.WeakKeyDictionary()

# Per-trip checks run over blocks of about this many sorted rows, cut at trip boundaries, so
# their per-row temporaries stay bounded (a few hundred MB) however big the feed is.
BLOCK_ROWS = 1 << 20


def compact(a: np.ndarray) -> np.ndarray:
    """Row positions and codes as int32 when they fit: half the memory of int64."""
    if len(a) and a.dtype != np.int32 and a.min() >= -(2**31) and a.max() < 2**31:
        return a.astype(np.int32)
    return a


def trip_order(feed: Feed) -> tuple[np.ndarray, np.ndarray]:
    """(positions of stop_times rows sorted by trip then stop_sequence, trip code per sorted row).

    Rows without trip_id are left out. Trip codes are dense ints in order of first appearance,
    so the sorted codes are non-decreasing. Both arrays are int32 when they fit. Cached per feed:
    several rule families need the same order. A file already grouped by trip and sorted by
    stop_sequence (the usual case) needs no sort at all.
    """
    try:
        return _ORDER_CACHE[feed]
    except (KeyError, TypeError):
        pass
    st = feed.table("stop_times.txt")
    trip = column(st, "trip_id")
    codes, uniques = pd.factorize(trip, use_na_sentinel=True)
    codes = compact(codes)
    with contextlib.suppress(TypeError):
        _UNIQUES_CACHE[feed] = pd.Series(uniques, dtype="str")
    del uniques
    seq = TypedAt(feed, "stop_times.txt", "stop_sequence")
    if _in_order(codes, seq):  # the usual file: identity order, the codes are the sorted codes
        result = (np.arange(len(codes), dtype=codes.dtype), codes)
    else:
        seq_np = seq.at(None, na=0.0)  # unset sorts as 0
        keep = np.flatnonzero(codes >= 0)
        order = compact(keep[np.lexsort((seq_np[keep], codes[keep]))])
        del seq_np, keep
        result = (order, codes[order])
    for a in result:  # shared by every rule through the cache: nobody may write into it
        a.flags.writeable = False
    with contextlib.suppress(TypeError):  # a feed object that cannot be weakly referenced
        _ORDER_CACHE[feed] = result
    return result


def _in_order(codes: np.ndarray, seq: TypedAt) -> bool:
    """Every row has a trip and no step goes backwards in (trip code, stop_sequence): a stable
    sort would leave the rows as they are. Checked block by block (bounded temporaries)."""
    n = len(codes)
    if n == 0 or codes.min() < 0 or n >= 2**31:
        return False
    for lo in range(0, n - 1, BLOCK_ROWS):
        hi = min(n, lo + BLOCK_ROWS + 1)  # one row of overlap: the step across the block edge
        c = codes[lo:hi]
        sq = seq.at(np.arange(lo, hi), na=0.0)
        if ((c[1:] < c[:-1]) | ((c[1:] == c[:-1]) & (sq[1:] < sq[:-1]))).any():
            return False
    return True


def trip_blocks(tcode: np.ndarray, size: int | None = None) -> list[tuple[int, int]]:
    """[lo, hi) ranges of sorted rows, about ``size`` (BLOCK_ROWS) each, never splitting a trip."""
    size = size or BLOCK_ROWS
    n = len(tcode)
    out: list[tuple[int, int]] = []
    lo = 0
    while lo < n:
        hi = lo + size
        if hi >= n:
            hi = n
        else:
            hi = int(np.searchsorted(tcode, tcode[hi], side="left"))
            if hi <= lo:  # one trip longer than a block
                hi = int(np.searchsorted(tcode, tcode[lo], side="right"))
        out.append((lo, hi))
        lo = hi
    return out


class TypedAt:
    """A typed column (``Feed.typed``) read at chosen rows only.

    For a Categorical column (stop_times and shapes are held so) a block of rows reads the typed
    value of each category (``Feed.typed_codes``) through the rows' codes: the n-row typed Series
    is never built (9 bytes a row per field, 180 MB at 20 M rows). Other columns use
    ``Feed.typed``.
    """

    def __init__(self, feed: Feed, filename: str, field: str) -> None:
        table = feed.table(filename)
        values = table[field] if field in table.columns else None
        self.codes: np.ndarray | None = None
        self.series: pd.Series | None = None
        if values is not None and isinstance(values.dtype, pd.CategoricalDtype):
            self.codes, self.per_value = feed.typed_codes(filename, field)  # parsed once
        else:
            self.series = typed_or_na(feed, filename, field)
        self._np: dict[tuple[object, object], np.ndarray] = {}

    def at(self, rows: np.ndarray | None, dtype: type = float, na: object = np.nan) -> np.ndarray:
        """Values at positions ``rows`` (None: every row) as a numpy array, ``na`` for <NA>."""
        if self.series is not None:
            if rows is None:
                return self.series.array.to_numpy(dtype=dtype, na_value=na)
            return values_at(self.series, rows, dtype, na)
        key = (dtype, na)
        if key not in self._np:  # per distinct value, + one slot for code -1 (<NA>)
            per = self.per_value.array.to_numpy(dtype=dtype, na_value=na)
            self._np[key] = np.append(per, np.array([na], dtype=dtype))
        assert self.codes is not None
        return self._np[key][self.codes if rows is None else self.codes[np.asarray(rows)]]


def values_at(
    series: pd.Series | TypedAt, rows: np.ndarray, dtype: type = float, na: object = np.nan
) -> np.ndarray:
    """``series`` at positions ``rows`` as a numpy array (``na`` for <NA>), converting only
    those rows: no full-length float copy of a 20 M-row column."""
    if isinstance(series, TypedAt):
        return series.at(rows, dtype, na)
    return series.array.take(np.asarray(rows)).to_numpy(dtype=dtype, na_value=na)


def stop_positions(feed: Feed) -> np.ndarray:
    """Per stop_times row (table order): its stop's row in stops.txt, -1 when unknown or empty.

    int32 and cached per feed: the travel-speed, shape and headsign checks all need it, and one
    Arrow hash join over 20 M ids costs seconds.
    """
    try:
        return _STOP_POS_CACHE[feed]
    except (KeyError, TypeError):
        pass
    st = feed.table("stop_times.txt")
    pos = lookup(column(st, "stop_id"), column(feed.table("stops.txt"), "stop_id"), np.int32)
    pos.flags.writeable = False  # shared through the cache
    with contextlib.suppress(TypeError):
        _STOP_POS_CACHE[feed] = pos
    return pos


def trip_uniques(feed: Feed) -> pd.Series:
    """The trip_id of each trip code (see :func:`trip_order`)."""
    trip_order(feed)
    try:
        uniques = _UNIQUES_CACHE.get(feed)
    except TypeError:
        uniques = None
    if uniques is None:  # feed not weak-referenceable: recompute
        uniques = pd.Series(pd.unique(column(feed.table("stop_times.txt"), "trip_id").dropna()))
    return uniques


def trip_code_of(feed: Feed, trip_ids: pd.Series) -> np.ndarray:
    """The trip code (see :func:`trip_order`) of each trip_id; -1 when it has no stop times."""
    return lookup(trip_ids, trip_uniques(feed))


_TRIPS_CODE_CACHE: weakref.WeakKeyDictionary[object, np.ndarray] = weakref.WeakKeyDictionary()


def trips_code(feed: Feed) -> np.ndarray:
    """Per trips.txt row: the trip code of its trip_id (-1: no stop times). Cached per feed:
    six rules join trips.txt to stop_times.txt this way."""
    try:
        return _TRIPS_CODE_CACHE[feed]
    except (KeyError, TypeError):
        pass
    code = trip_code_of(feed, column(feed.table("trips.txt"), "trip_id"))
    code.flags.writeable = False  # shared through the cache
    with contextlib.suppress(TypeError):
        _TRIPS_CODE_CACHE[feed] = code
    return code


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


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres on the S2 sphere."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def lookup(
    values: pd.Series | np.ndarray, keys: pd.Series | np.ndarray, dtype: type = np.int64
) -> np.ndarray:
    """Position of each value in ``keys`` (first occurrence), -1 when absent or <NA>.

    An Arrow hash join: an order of magnitude faster than ``Series.map`` on id columns. A
    categorical column is joined by its categories, then expanded by its codes.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        at = lookup(pd.Series(values.cat.categories), keys, dtype)
        if len(at) == 0:
            return np.full(len(codes), -1, dtype=dtype)
        out = at.take(codes)  # code -1 (<NA>) takes the last entry: overwritten below
        out[codes < 0] = -1
        return out
    v = pa.array(values, type=pa.large_string(), from_pandas=True)
    k = pa.array(keys, type=pa.large_string(), from_pandas=True)
    return pc.index_in(v, value_set=k).fill_null(-1).to_numpy().astype(dtype, copy=False)


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
    arr_s = TypedAt(feed, "stop_times.txt", "arrival_time")
    dep_s = TypedAt(feed, "stop_times.txt", "departure_time")
    seq_s = TypedAt(feed, "stop_times.txt", "stop_sequence")
    csv_row = st["csv_row"].to_numpy()
    windows = [
        column(st, col)
        for col in ("start_pickup_drop_off_window", "end_pickup_drop_off_window")
        if has_column(feed, "stop_times.txt", col)
    ]
    only_frames: list[pd.DataFrame] = []
    back_frames: list[pd.DataFrame] = []
    edge_frames: list[list[pd.DataFrame]] = [[], [], [], []]  # (first, last) x (arr, dep)
    for lo, hi in trip_blocks(tcode):  # trips never straddle blocks
        rows = order[lo:hi]
        arr = values_at(arr_s, rows)
        dep = values_at(dep_s, rows)
        seq = values_at(seq_s, rows)
        row = csv_row[rows]
        has_a, has_d = ~np.isnan(arr), ~np.isnan(dep)
        n = hi - lo

        only = has_a != has_d
        if only.any():
            only_frames.append(
                pd.DataFrame(
                    {
                        "csvRowNumber": row[only],
                        "tripId": pick(st, "trip_id", rows[only]),
                        "stopSequence": seq[only].astype(np.int64),
                        "specifiedField": np.where(has_a[only], "arrival_time", "departure_time"),
                    }
                )
            )

        # Last departure (and its row) strictly before each row, within the trip.
        tc = tcode[lo:hi]
        starts = _starts(tc)
        positions = np.arange(n)
        dep_idx = np.where(has_d, positions, -1)
        prev = np.empty(n, dtype=np.int64)
        prev[0] = -1
        prev[1:] = dep_idx[:-1]
        del dep_idx
        prev[starts] = -1
        # forward-fill the last seen departure index within each trip
        trip_start_idx = np.maximum.accumulate(np.where(starts, positions, 0))
        filled = np.maximum.accumulate(prev)
        del prev
        filled = np.where(filled >= trip_start_idx, filled, -1)
        del trip_start_idx
        ok = has_a & (filled >= 0)
        pidx = filled[ok]
        back = arr[ok] < dep[pidx]
        if back.any():
            sel = np.flatnonzero(ok)[back]
            psel = pidx[back]
            back_frames.append(
                pd.DataFrame(
                    {
                        "csvRowNumber": row[sel],
                        "prevCsvRowNumber": row[psel],
                        "tripId": pick(st, "trip_id", rows[sel]),
                        "departureTime": _hhmmss(dep[psel]),
                        "arrivalTime": _hhmmss(arr[sel]),
                    }
                )
            )
        del filled, ok, pidx, back

        ends = np.ones(n, dtype=bool)
        ends[:-1] = tc[:-1] != tc[1:]
        # An edge with a pickup/drop-off window (GTFS-Flex) has a window instead of times.
        window = np.zeros(n, dtype=bool)
        for values in windows:
            window |= ~np.asarray(values.array.take(rows).isna(), dtype=bool)
        k = 0
        for edge in (np.flatnonzero(starts), np.flatnonzero(ends)):
            edge = edge[~window[edge]]
            for has in (has_a, has_d):
                miss = edge[~has[edge]]
                if len(miss):
                    edge_frames[k].append(
                        pd.DataFrame(
                            {
                                "csvRowNumber": row[miss],
                                "stopSequence": seq[miss].astype(np.int64),
                                "tripId": pick(st, "trip_id", rows[miss]),
                                "specifiedField": (
                                    "arrival_time" if has is has_a else "departure_time"
                                ),
                            }
                        )
                    )
                k += 1
    if only_frames:
        notices.add_frame("stop_time_with_only_arrival_or_departure_time", pd.concat(only_frames))
    if back_frames:
        notices.add_frame(
            "stop_time_with_arrival_before_previous_departure_time", pd.concat(back_frames)
        )
    parts = [f for frames in edge_frames for f in frames]
    if parts:
        notices.add_frame("missing_trip_edge", pd.concat(parts, ignore_index=True))


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
    tp = TypedAt(feed, "stop_times.txt", "timepoint")
    arr = TypedAt(feed, "stop_times.txt", "arrival_time")
    dep = TypedAt(feed, "stop_times.txt", "departure_time")
    seq = TypedAt(feed, "stop_times.txt", "stop_sequence")
    csv_row = st["csv_row"].to_numpy()

    def frame(sel: np.ndarray, **extra: object) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "csvRowNumber": csv_row[sel],
                "tripId": pick(st, "trip_id", sel),
                "stopSequence": pd.array(seq.at(sel), dtype="Float64").astype("Int64"),
                **extra,
            }
        )

    missing_frames, exact_frames = [], []
    for lo in range(0, len(st), BLOCK_ROWS):  # file order, block by block
        rows = np.arange(lo, min(len(st), lo + BLOCK_ROWS))
        t = tp.at(rows)
        has_a, has_d = ~np.isnan(arr.at(rows)), ~np.isnan(dep.at(rows))
        missing = rows[np.isnan(t) & (has_a | has_d)]
        if len(missing):
            missing_frames.append(frame(missing))
        exact = t == 1
        no_a, no_d = rows[exact & ~has_a], rows[exact & ~has_d]
        if len(no_a) or len(no_d):
            both = np.concatenate([no_a, no_d])
            field = np.repeat(["arrival_time", "departure_time"], [len(no_a), len(no_d)])
            srt = np.argsort(both, kind="stable")  # file order, arrival before departure
            exact_frames.append(frame(both[srt], specifiedField=field[srt]))
    if missing_frames:
        notices.add_frame("missing_timepoint_value", pd.concat(missing_frames))
    if exact_frames:
        notices.add_frame("stop_time_timepoint_without_times", pd.concat(exact_frames))


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
    order, tcode = trip_order(feed)
    if len(order) and tables_ok(feed, "stop_times.txt"):
        sdt_s = TypedAt(feed, "stop_times.txt", "shape_dist_traveled")
        seq_s = TypedAt(feed, "stop_times.txt", "stop_sequence")
        csv_row = st["csv_row"].to_numpy()
        frames = []
        for lo, hi in trip_blocks(tcode):  # trips never straddle blocks
            rows = order[lo:hi]
            tc = tcode[lo:hi]
            sdt = values_at(sdt_s, rows)
            bad = np.zeros(hi - lo, dtype=bool)
            with np.errstate(invalid="ignore"):
                bad[1:] = (tc[1:] == tc[:-1]) & (sdt[:-1] >= sdt[1:])
            if not bad.any():
                continue
            cur = np.flatnonzero(bad)
            prv = cur - 1
            seq_c = values_at(seq_s, rows[cur]).astype(np.int64)
            seq_p = values_at(seq_s, rows[prv]).astype(np.int64)
            frames.append(
                pd.DataFrame(
                    {
                        "tripId": pick(st, "trip_id", rows[cur]),
                        "csvRowNumber": csv_row[rows[cur]],
                        "shapeDistTraveled": sdt[cur],
                        "stopSequence": seq_c,
                        "prevCsvRowNumber": csv_row[rows[prv]],
                        "prevShapeDistTraveled": sdt[prv],
                        "prevStopSequence": seq_p,
                        "stopId": pick(st, "stop_id", rows[cur]),
                    }
                )
            )
        if frames:
            notices.add_frame("decreasing_or_equal_stop_time_distance", pd.concat(frames))
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
    sdt_s = feed.typed("stop_times.txt", "shape_dist_traveled")
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
    # Trip -> route -> speed limit, per trip code; trips unknown in trips.txt or with a broken
    # route are skipped (NaN limit).
    code_t = trips_code(feed)  # first trips.txt row of each trip code, -1 when none
    known = np.flatnonzero(code_t >= 0)
    first_code, first_at = np.unique(code_t[known], return_index=True)
    trip_pos_c = np.full(len(trip_uniques(feed)), -1, dtype=np.int64)
    trip_pos_c[first_code] = known[first_at]
    route_pos_t = lookup(column(trips, "route_id"), column(routes, "route_id"))
    limits_r = max_speed_kph(typed_or_na(feed, "routes.txt", "route_type")).to_numpy(
        dtype=float, na_value=200.0
    )
    route_pos_c = np.where(trip_pos_c >= 0, route_pos_t[np.maximum(trip_pos_c, 0)], -1)
    limit_c = np.where(route_pos_c >= 0, limits_r[np.maximum(route_pos_c, 0)], np.nan)
    coords = stop_coordinates(feed)
    ulat, ulon = coords["lat"].to_numpy(), coords["lon"].to_numpy()
    stop_pos_all = stop_positions(feed)
    arr_s = TypedAt(feed, "stop_times.txt", "arrival_time")
    dep_s = TypedAt(feed, "stop_times.txt", "departure_time")
    seq_s = TypedAt(feed, "stop_times.txt", "stop_sequence")
    width = np.int64(len(stops) + 1)
    for lo, hi in trip_blocks(tcode):  # trips never straddle blocks
        rows = order[lo:hi]
        tc = tcode[lo:hi]
        n = hi - lo
        limit = limit_c[tc]
        stop_pos = stop_pos_all[rows]
        arr = values_at(arr_s, rows)
        dep = values_at(dep_s, rows)
        with np.errstate(invalid="ignore"):
            arr_aligned = np.mod(arr, 60) == 0  # whole minutes (NaN: False)
            dep_aligned = np.mod(dep, 60) == 0
        same = np.zeros(n, dtype=bool)
        same[1:] = tc[1:] == tc[:-1]
        # Distance from the previous stop of the trip, computed once per distinct pair of stops.
        dist_km = np.zeros(n)
        nxt = np.flatnonzero(same)
        if len(nxt):
            pair = (stop_pos[nxt - 1] + np.int64(1)) * width + (stop_pos[nxt] + 1)
            inverse, uniq = pd.factorize(pair)  # hashing: cheaper than sorting 1 M pairs
            del pair
            a, b = uniq // width - 1, uniq % width - 1
            ok = (a >= 0) & (b >= 0)
            a0, b0 = np.maximum(a, 0), np.maximum(b, 0)
            d = haversine_m(ulat[a0], ulon[a0], ulat[b0], ulon[b0]) / 1000.0
            dist_km[nxt] = np.where(ok, d, np.nan)[inverse]
            del inverse
        # gtfs-guru reports nothing for a leg whose stop has no coordinates: count it as 0 km.
        dist_km[np.isnan(dist_km)] = 0.0

        # A broken stop reference stops the canonical validator's scan of the trip.
        local = tc - tc[0]
        trip_first = np.maximum.accumulate(np.where(~same, np.arange(n), 0))
        broken_trip = (np.bincount(local, weights=stop_pos < 0) > 0)[local]
        valid_trip = ~np.isnan(limit) & ~broken_trip
        del broken_trip

        ctx = _SpeedCtx(feed, rows, trip_pos_c[tc], stop_pos, coords, arr, dep, seq_s)

        i2 = np.flatnonzero(same)
        i1 = i2 - 1
        pair_ok = valid_trip[i2] & ~np.isnan(dep[i1]) & ~np.isnan(arr[i2])
        i1, i2 = i1[pair_ok], i2[pair_ok]
        with np.errstate(invalid="ignore", divide="ignore"):
            sp = _speed(dist_km[i2], arr[i2], dep[i1], arr_aligned[i2] & dep_aligned[i1])
        fast = sp > limit[i2]
        if fast.any():  # per block, in sorted order: the same order as one pass
            notices.add_frame(
                "fast_travel_between_consecutive_stops",
                ctx.frame(i1[fast], i2[fast], sp[fast], dist_km[i2][fast]),
            )
        del i1, i2, pair_ok, sp, fast

        # Far stops: does some start s < e (with a departure) lie over 10 km before an end e
        # (with an arrival) and imply a speed over the limit? With cum = distance from the trip
        # start, speed > limit <=> (3600 cum_e - limit arr_e) - (3600 cum_s - limit dep_s) >
        # 60 limit bonus, bonus = 1 when both times are whole minutes (the canonical +1 minute
        # buffer); a non-positive time difference always qualifies at over 10 km. So a prefix
        # minimum per trip finds every trip with a hit, vectorised; only those trips are then
        # scanned in canonical order for the reported pair.
        # distance from the trip's first stop, summed from zero per trip: the same floats
        # whatever the block (a running sum over all trips would carry rounding across trips)
        cum_in = pd.Series(dist_km).groupby(local).cumsum().to_numpy()
        del dist_km
        key = local.astype(float)
        key *= 1e7  # keeps the block's cumulative distance sorted by trip
        key += cum_in
        k = np.searchsorted(key, key - MAX_DISTANCE_OVER_MAX_SPEED_KM, side="left") - 1
        del key
        has_start = k >= trip_first
        del trip_first
        with np.errstate(invalid="ignore"):
            b_plain = np.where(np.isnan(dep), np.inf, 3600.0 * cum_in - limit * dep)
            b_aligned = np.where(
                np.isnan(dep), np.inf, b_plain + 60.0 * limit * dep_aligned
            )
        pm_plain = pd.Series(b_plain).groupby(local).cummin().to_numpy()
        del b_plain
        pm_aligned = pd.Series(b_aligned).groupby(local).cummin().to_numpy()
        del b_aligned
        kk = np.maximum(k, 0)
        del k
        a_end = 3600.0 * cum_in - limit * arr
        tol = np.abs(a_end)
        np.maximum(tol, 1.0, out=tol)
        tol *= 1e-6
        need = np.where(arr_aligned, pm_aligned[kk], pm_plain[kk])
        del pm_plain, pm_aligned, kk, arr_aligned, dep_aligned
        with np.errstate(invalid="ignore"):
            a_end -= need
            cand = valid_trip & has_start & ~np.isnan(arr) & (a_end > -tol)
        del a_end, need, tol, has_start
        if cand.any():
            hit_trips = np.unique(local[cand])
            _far_stops(notices, ctx, hit_trips, local, cum_in, arr, dep, limit)


def _speed(
    d_km: np.ndarray, t_arr: np.ndarray, t_dep: np.ndarray, bonus: np.ndarray | None = None
) -> np.ndarray:
    """Canonical speed: +1 minute when both times are whole minutes, 1 minute if not positive.

    ``bonus`` (both times whole minutes) may be given when the caller already knows it.
    """
    dt = t_arr - t_dep
    if bonus is None:
        bonus = (np.mod(t_arr, 60) == 0) & (np.mod(t_dep, 60) == 0)
    dt[bonus] += 60
    dt[t_arr - t_dep <= 0] = 60
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
        seq: pd.Series,
    ) -> None:
        self.feed, self.order, self.trip_pos, self.stop_pos = feed, order, trip_pos, stop_pos
        self.coords, self.arr, self.dep, self.seq = coords, arr, dep, seq

    def frame(
        self, i1: np.ndarray, i2: np.ndarray, sp: np.ndarray, dist: np.ndarray
    ) -> pd.DataFrame:
        st = self.feed.table("stop_times.txt")
        trips = self.feed.table("trips.txt")
        rows = self.order
        seq = self.seq
        csv_row = st["csv_row"].to_numpy()
        tp = self.trip_pos[i2]
        names = self.coords["name"].to_numpy()
        return pd.DataFrame(
            {
                "tripCsvRowNumber": trips["csv_row"].to_numpy()[tp],
                "tripId": column(trips, "trip_id").to_numpy(dtype=object)[tp],
                "routeId": column(trips, "route_id").to_numpy(dtype=object)[tp],
                "speedKph": sp,
                "distanceKm": dist,
                "csvRowNumber1": csv_row[rows[i1]],
                "stopSequence1": values_at(seq, rows[i1]).astype(np.int64),
                "stopId1": column(st, "stop_id").take(rows[i1]).to_numpy(dtype=object),
                "stopName1": names[self.stop_pos[i1]],
                "departureTime1": _hhmmss(self.dep[i1]),
                "csvRowNumber2": csv_row[rows[i2]],
                "stopSequence2": values_at(seq, rows[i2]).astype(np.int64),
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
    csv_row = st["csv_row"].to_numpy()
    bad_parts = []
    for lo, hi in trip_blocks(tcode):
        row = csv_row[order[lo:hi]]
        tc = tcode[lo:hi]
        broken = (tc[1:] == tc[:-1]) & (np.diff(row) != 1)
        if broken.any():
            bad_parts.append(np.unique(tc[1:][broken]))
    if not bad_parts:
        return
    bad_codes = np.concatenate(bad_parts)
    sel = np.flatnonzero(np.isin(tcode, bad_codes))
    frame = pd.DataFrame(
        {
            "code": tcode[sel],
            "tripId": pick(st, "trip_id", order[sel]),
            "row": csv_row[order[sel]],
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
