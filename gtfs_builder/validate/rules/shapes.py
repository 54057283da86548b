"""Shapes family: point sequences, usage, and shape distance consistency."""

from __future__ import annotations

import contextlib
import hashlib
import math
import weakref
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, tables_ok, typed_or_na
from gtfs_builder.validate.rules.stop_times import (
    TypedAt,
    compact,
    haversine_m,
    lookup,
    pick,
    stop_coordinates,
    stop_positions,
    trip_blocks,
    trip_bounds,
    trip_order,
    trips_code,
    values_at,
)

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

EQUAL_DISTANCE_THRESHOLD_M = 1.11


def _run_starts(codes: np.ndarray) -> np.ndarray:
    """Boolean per sorted row: first row of its run of equal codes."""
    first = np.ones(len(codes), dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    return first


_SHAPE_ORDER_CACHE: weakref.WeakKeyDictionary[object, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def shape_order(feed: Feed) -> tuple[np.ndarray, np.ndarray]:
    """(positions of shapes rows sorted by shape_id then shape_pt_sequence, shape code per row).

    int32 when they fit, cached per feed (three rules need it), and no sort at all when the
    file is already grouped by shape in sequence order.
    """
    try:
        return _SHAPE_ORDER_CACHE[feed]
    except (KeyError, TypeError):
        pass
    sh = feed.table("shapes.txt")
    codes, _ = pd.factorize(column(sh, "shape_id"), use_na_sentinel=True)
    codes = compact(codes)
    seq_np = TypedAt(feed, "shapes.txt", "shape_pt_sequence").at(None, na=np.inf)  # unset: last
    keep = np.flatnonzero(codes >= 0)
    all_kept = len(keep) == len(codes)
    kc = codes if all_kept else codes[keep]
    ks = seq_np if all_kept else seq_np[keep]
    del seq_np
    backwards = (kc[1:] < kc[:-1]) | ((kc[1:] == kc[:-1]) & (ks[1:] < ks[:-1]))
    order = compact(keep[np.lexsort((ks, kc))] if backwards.any() else keep)
    del backwards, keep, kc, ks
    result = (order, codes[order])
    for a in result:  # shared by three rules through the cache: nobody may write into it
        a.flags.writeable = False
    with contextlib.suppress(TypeError):
        _SHAPE_ORDER_CACHE[feed] = result
    return result


@rule(
    files=["shapes.txt"],
    notices={
        "decreasing_shape_distance": (
            Severity.ERROR,
            "shape_dist_traveled decreases between consecutive shape points.",
        ),
        "equal_shape_distance_diff_coordinates": (
            Severity.ERROR,
            "Consecutive shape points more than 1.11 m apart have equal shape_dist_traveled.",
        ),
        "equal_shape_distance_diff_coordinates_distance_below_threshold": (
            Severity.WARNING,
            "Consecutive shape points under 1.11 m apart have equal shape_dist_traveled.",
        ),
        "equal_shape_distance_same_coordinates": (
            Severity.WARNING,
            "Consecutive shape points are duplicates (same place, same distance).",
        ),
    },
)
def check_shape_distance(feed: Feed, notices: Notices) -> None:
    """shape_dist_traveled must increase along the shape, except for duplicate points."""
    if not tables_ok(feed, "shapes.txt"):
        return  # the canonical validator skips checks on a table it could not parse
    sh = feed.table("shapes.txt")
    if sh.empty or "shape_dist_traveled" not in sh.columns:
        return
    order, code = shape_order(feed)
    if len(order) < 2:
        return
    dist = TypedAt(feed, "shapes.txt", "shape_dist_traveled")
    lat = TypedAt(feed, "shapes.txt", "shape_pt_lat")
    lon = TypedAt(feed, "shapes.txt", "shape_pt_lon")
    seq = TypedAt(feed, "shapes.txt", "shape_pt_sequence")
    csv_row = sh["csv_row"].to_numpy()
    sid = column(sh, "shape_id")  # converted to objects only for the reported rows

    def frame(
        rows: np.ndarray, d: np.ndarray, c: np.ndarray, p: np.ndarray, gap: np.ndarray | None
    ) -> pd.DataFrame:
        data = {
            "shapeId": sid.take(rows[c]).to_numpy(dtype=object),
            "csvRowNumber": csv_row[rows[c]],
            "shapeDistTraveled": d[c],
            "shapePtSequence": values_at(seq, rows[c]).astype(np.int64),
            "prevCsvRowNumber": csv_row[rows[p]],
            "prevShapeDistTraveled": d[p],
            "prevShapePtSequence": values_at(seq, rows[p]).astype(np.int64),
        }
        if gap is not None:
            data["actualDistanceBetweenShapePoints"] = gap
        return pd.DataFrame(data)

    # Block by block over whole shapes (bounded temporaries); each code's notices keep the
    # sorted order of one pass.
    for b_lo, b_hi in trip_blocks(code):
        rows = order[b_lo:b_hi]
        c_ = code[b_lo:b_hi]
        d = values_at(dist, rows)
        with np.errstate(invalid="ignore"):
            ok = (c_[1:] == c_[:-1]) & ~np.isnan(d[1:]) & ~np.isnan(d[:-1])
            dec = np.flatnonzero(ok & (d[:-1] > d[1:])) + 1
            cur = np.flatnonzero(ok & (d[:-1] == d[1:])) + 1
        del ok
        if len(dec):
            notices.add_frame("decreasing_shape_distance", frame(rows, d, dec, dec - 1, None))
        if len(cur) == 0:
            continue
        prv = cur - 1
        la_c, lo_c = values_at(lat, rows[cur]), values_at(lon, rows[cur])
        la_p, lo_p = values_at(lat, rows[prv]), values_at(lon, rows[prv])
        same_xy = (la_c == la_p) & (lo_c == lo_p)
        if same_xy.any():
            notices.add_frame(
                "equal_shape_distance_same_coordinates",
                frame(rows, d, cur[same_xy], prv[same_xy], None),
            )
        diff = ~same_xy
        c, p = cur[diff], prv[diff]
        gap = haversine_m(la_p[diff], lo_p[diff], la_c[diff], lo_c[diff])
        far = gap > EQUAL_DISTANCE_THRESHOLD_M
        near = ~far & (gap > 0)
        if far.any():
            notices.add_frame(
                "equal_shape_distance_diff_coordinates", frame(rows, d, c[far], p[far], gap[far])
            )
        if near.any():
            notices.add_frame(
                "equal_shape_distance_diff_coordinates_distance_below_threshold",
                frame(rows, d, c[near], p[near], gap[near]),
            )


@rule(
    files=["shapes.txt", "trips.txt"],
    notices={
        "single_shape_point": (Severity.WARNING, "A shape has a single point."),
        "unused_shape": (Severity.WARNING, "A shape is not referenced by any trip."),
    },
)
def check_shape_usage(feed: Feed, notices: Notices) -> None:
    """A shape is a line used by trips: it needs two points and a trip."""
    sh = feed.table("shapes.txt")
    if sh.empty:
        return
    # Per shape from the cached shape order (codes in order of first appearance): no hashing
    # of 10 M shape ids.
    order, scode = shape_order(feed)
    if len(order) == 0:
        return
    n_shapes = int(scode[-1]) + 1
    s_lo, s_hi = trip_bounds(scode, n_shapes)
    first = np.minimum.reduceat(order, s_lo)  # first shapes.txt row of each shape
    firsts = pd.DataFrame(
        {"shapeId": pick(sh, "shape_id", first), "csvRowNumber": sh["csv_row"].to_numpy()[first]}
    )
    if tables_ok(feed, "shapes.txt"):  # the canonical validator skips a table it could not parse
        notices.add_frame("single_shape_point", firsts[(s_hi - s_lo) == 1])
    if not tables_ok(feed, "shapes.txt", "trips.txt"):
        return
    pos = lookup(column(feed.table("trips.txt"), "shape_id"), firsts["shapeId"])
    used = np.bincount(pos[pos >= 0], minlength=n_shapes) > 0
    notices.add_frame("unused_shape", firsts[~used])


TRIP_SHAPE_DISTANCE_THRESHOLD_M = 11.1


@rule(
    files=["trips.txt", "stop_times.txt", "shapes.txt", "stops.txt"],
    notices={
        "trip_distance_exceeds_shape_distance": (
            Severity.ERROR,
            "A trip's shape_dist_traveled exceeds its shape's, and its last stop is 11.1 m or"
            " more from the shape's end.",
        ),
        "trip_distance_exceeds_shape_distance_below_threshold": (
            Severity.WARNING,
            "A trip's shape_dist_traveled exceeds its shape's, its last stop under 11.1 m from"
            " the shape's end.",
        ),
        "trip_with_shape_dist_traveled_but_no_shape_distances": (
            Severity.INFO,
            "stop_times give shape_dist_traveled but the trip's shape lacks it on some points.",
        ),
    },
)
def check_trip_shape_distance(feed: Feed, notices: Notices) -> None:
    """A trip cannot travel further along its shape than the shape is long."""
    if not tables_ok(feed, "trips.txt", "stop_times.txt", "shapes.txt"):
        return  # the canonical validator skips checks on a table it could not parse

    trips = feed.table("trips.txt")
    st = feed.table("stop_times.txt")
    sh = feed.table("shapes.txt")
    if trips.empty or st.empty or sh.empty:
        return
    order, scode = shape_order(feed)
    if len(order) == 0:
        return
    sd = TypedAt(feed, "shapes.txt", "shape_dist_traveled")
    lat = TypedAt(feed, "shapes.txt", "shape_pt_lat")
    lon = TypedAt(feed, "shapes.txt", "shape_pt_lon")
    # Per shape (runs of equal codes in sorted order), by reduceat over blocks of whole shapes:
    # no groupby on 10 M id objects, bounded temporaries.
    n_shapes = int(scode[-1]) + 1
    s_max = np.zeros(n_shapes)
    s_missing = np.zeros(n_shapes, dtype=bool)
    s_lat = np.full(n_shapes, np.nan)
    s_lon = np.full(n_shapes, np.nan)
    for b_lo, b_hi in trip_blocks(scode):
        rows = order[b_lo:b_hi]
        first = np.flatnonzero(_run_starts(scode[b_lo:b_hi]))
        ids = scode[b_lo:b_hi][first]
        d = values_at(sd, rows)
        s_max[ids] = np.maximum.reduceat(np.nan_to_num(d, nan=0.0), first)  # 0 when empty
        s_missing[ids] = np.logical_or.reduceat(np.isnan(d), first)
        del d
        positions = np.arange(len(rows))
        for values, out in ((values_at(lat, rows), s_lat), (values_at(lon, rows), s_lon)):
            # groupby().last(): last non-NaN value of each shape
            idx = np.maximum.reduceat(np.where(np.isnan(values), -1, positions), first)
            out[ids] = np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)
    s_first, _ = trip_bounds(scode, n_shapes)
    per_shape = pd.DataFrame(
        {"max_d": s_max, "any_missing": s_missing, "end_lat": s_lat, "end_lon": s_lon},
        index=pd.Index(
            column(sh, "shape_id").take(order[s_first]).to_numpy(dtype=object), name="shape"
        ),
    )

    st_order, tcode = trip_order(feed)
    if len(st_order) == 0:
        return
    tsd = TypedAt(feed, "stop_times.txt", "shape_dist_traveled")
    n_trips = int(tcode[-1]) + 1
    _, hi = trip_bounds(tcode, n_trips)
    # per trip code: max distance (0 when empty, the canonical getter's default), first sorted
    # row with a distance (-1: none), last stop
    max_d = np.zeros(n_trips)
    first_has = np.full(n_trips, -1, dtype=np.int64)
    for b_lo, b_hi in trip_blocks(tcode):
        d = values_at(tsd, st_order[b_lo:b_hi])
        first = np.flatnonzero(_run_starts(tcode[b_lo:b_hi]))
        ids = tcode[b_lo:b_hi][first]
        max_d[ids] = np.maximum.reduceat(np.nan_to_num(d, nan=0.0), first)
        fh = np.minimum.reduceat(np.where(np.isnan(d), len(d), np.arange(len(d))), first)
        first_has[ids] = np.where(fh < len(d), fh + b_lo, -1)
    any_d = first_has >= 0
    csv_row = st["csv_row"].to_numpy()

    code = trips_code(feed)
    tr = pd.DataFrame({"shape": column(trips, "shape_id"), "row": trips["csv_row"], "code": code})
    tr["trip"] = column(trips, "trip_id")
    tr = tr[(code >= 0) & tr["shape"].notna().to_numpy()]
    c = tr["code"].to_numpy()
    tr["max_d"] = max_d[c]
    tr["any_d"] = any_d[c]
    tr["first_row"] = np.where(any_d[c], csv_row[st_order[np.maximum(first_has[c], 0)]], -1)
    tr["last"] = pick(st, "stop_id", st_order[hi[c] - 1])
    per_shape = per_shape.rename(columns={"max_d": "max_d_shape"})
    tr = tr.join(per_shape, on="shape", how="inner")
    if tr.empty:
        return
    exceeds = tr[tr["max_d"] > tr["max_d_shape"]]
    if not exceeds.empty:
        coords = stop_coordinates(feed)
        spos = lookup(exceeds["last"], column(feed.table("stops.txt"), "stop_id"))
        slat = np.where(spos >= 0, coords["lat"].to_numpy()[np.maximum(spos, 0)], np.nan)
        slon = np.where(spos >= 0, coords["lon"].to_numpy()[np.maximum(spos, 0)], np.nan)
        gap = haversine_m(
            slat,
            slon,
            exceeds["end_lat"].to_numpy(dtype=float),
            exceeds["end_lon"].to_numpy(dtype=float),
        )
        frame = pd.DataFrame(
            {
                "tripId": exceeds["trip"].to_numpy(),
                "shapeId": exceeds["shape"].to_numpy(),
                "maxTripDistanceTraveled": exceeds["max_d"].to_numpy(),
                "maxShapeDistanceTraveled": exceeds["max_d_shape"].to_numpy(),
                "geoDistanceToShape": gap,
            }
        )
        notices.add_frame(
            "trip_distance_exceeds_shape_distance",
            frame[gap >= TRIP_SHAPE_DISTANCE_THRESHOLD_M],
        )
        notices.add_frame(
            "trip_distance_exceeds_shape_distance_below_threshold",
            frame[(gap > 0) & (gap < TRIP_SHAPE_DISTANCE_THRESHOLD_M)],
        )
    no_dist = tr[tr["any_d"] & tr["any_missing"]]
    notices.add_frame(
        "trip_with_shape_dist_traveled_but_no_shape_distances",
        pd.DataFrame(
            {
                "tripCsvRowNumber": no_dist["row"].to_numpy(),
                "tripId": no_dist["trip"].to_numpy(),
                "shapeId": no_dist["shape"].to_numpy(),
                "stopTimeCsvRowNumber": no_dist["first_row"].to_numpy(),
            }
        ),
    )


# ---------------------------------------------------------------- stop-to-shape matching
# A port of the canonical StopToShapeMatcher (S2 geometry on the unit sphere). The geometry
# (closest point of every stop to every shape segment) is vectorised per (shape, stop pattern);
# the assignment of stops to matches is a dynamic programme over the stops of one pattern,
# inherently sequential, so it loops per distinct stop pattern (trips sharing stop ids and
# shape_dist_traveled are checked once, as the canonical validator does). The problems found
# depend on coordinates and distances only, so a pattern whose geometry was already matched
# (same shape points, same stop locations and distances: duplicated shapes and routes under
# other ids) reuses them and is only reported, with its own ids and rows.

MAX_DISTANCE_TO_SHAPE_M = 100.0
LARGE_STATION_MULTIPLIER = 4.0
TOO_MANY_MATCHES = 20
RAIL = 2
_R = 6371010.0


def _xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _latlng(p: np.ndarray) -> list[float]:
    return [
        float(np.degrees(np.arctan2(p[2], np.hypot(p[0], p[1])))),
        float(np.degrees(np.arctan2(p[1], p[0]))),
    ]


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cross product over the last axis (np.cross is slow on many small calls)."""
    return np.stack(
        [
            u[..., 1] * v[..., 2] - u[..., 2] * v[..., 1],
            u[..., 2] * v[..., 0] - u[..., 0] * v[..., 2],
            u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0],
        ],
        axis=-1,
    )


def _angle_m(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres between unit vectors (broadcasting over leading axes)."""
    c = _cross(u, v)
    cross = np.sqrt(np.sum(c * c, axis=-1))
    return np.arctan2(cross, np.sum(u * v, axis=-1)) * _R


def _angle1(u: np.ndarray, v: np.ndarray) -> float:
    """_angle_m for two single points, in plain floats."""
    ux, uy, uz = float(u[0]), float(u[1]), float(u[2])
    vx, vy, vz = float(v[0]), float(v[1]), float(v[2])
    cx, cy, cz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
    return math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), ux * vx + uy * vy + uz * vz) * _R


def _closest_pairs(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """S2EdgeUtil.getClosestPoint for paired rows: the point of arc a[k]-b[k] closest to x[k]."""
    n = _cross(a, b)
    n2 = np.sum(n * n, axis=-1)
    safe = np.where(n2 > 0, n2, 1.0)
    p = x - (np.sum(x * n, axis=-1) / safe)[:, None] * n
    inside = (np.sum(_cross(p, n) * a, axis=-1) > 0) & (np.sum(_cross(n, p) * b, axis=-1) > 0)
    inside &= n2 > 0
    norm = np.sqrt(np.sum(p * p, axis=-1))[:, None]
    p = p / np.where(norm > 0, norm, 1.0)
    da = np.sum((x - a) ** 2, axis=-1)
    db = np.sum((x - b) ** 2, axis=-1)
    end = np.where((da <= db)[:, None], a, b)
    return np.where(inside[:, None], p, end)


def _interpolate(t: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """S2EdgeUtil.interpolate: the point at fraction t of the arc a-b."""
    if t == 0:
        return a
    if t == 1:
        return b
    ab = _angle1(a, b) / _R
    d = t * ab
    direction = _cross(_cross(a, b), a)
    norm = float(np.sqrt(np.dot(direction, direction)))
    if norm == 0:
        return a
    out = math.cos(d) * a + math.sin(d) * direction / norm
    return out / float(np.sqrt(np.dot(out, out)))


class _Shape:
    """One shape's points: unit vectors, geo distance and running-max user distance."""

    def __init__(self, xyz: np.ndarray, user: np.ndarray) -> None:
        self.xyz = xyz
        self.seg = _angle_m(xyz[:-1], xyz[1:]) if len(xyz) > 1 else np.zeros(0)
        self.geo = np.concatenate([[0.0], np.cumsum(np.maximum(self.seg, 0.0))])
        self.user = np.maximum.accumulate(user) if len(user) else user
        self.has_user = bool(len(user)) and self.user[-1] > 0.0


Match = tuple[int, float, float, np.ndarray]  # segment index, geoDistance, distance, location


def _geo_candidates(
    shape: _Shape, x: np.ndarray, max_d: np.ndarray
) -> tuple[list[list[Match]], list[tuple[int, np.ndarray, float]]]:
    """ShapePoints.matchesFromLocation for many stops at once.

    Returns the potential matches per stop (one per local minimum of the distance to the shape
    within ``max_d``) and the best single match per stop (for 'too far' problems). Only
    segments whose nearer end lies within ``max_d`` + segment length are measured exactly.
    """
    pts = shape.xyz
    n = len(x)
    if len(pts) == 1:
        d1 = _angle_m(x, pts[0][None, :])
        return [[] for _ in range(n)], [(0, pts[0], float(d1[i])) for i in range(n)]
    a, b = pts[:-1], pts[1:]
    dots = x @ pts.T  # [n, m + 1]
    reach = np.cos(np.minimum((max_d[:, None] + shape.seg[None, :]) / _R * 1.01 + 1e-9, np.pi))
    maybe = np.maximum(dots[:, :-1], dots[:, 1:]) >= reach
    ii, jj = np.nonzero(maybe)
    cp = _closest_pairs(x[ii], a[jj], b[jj])
    d = _angle_m(x[ii], cp)
    keep = d <= max_d[ii]
    ii, jj, cp, d = ii[keep], jj[keep], cp[keep], d[keep]
    cands: list[list[Match]] = [[] for _ in range(n)]
    if len(ii):
        # A new local match starts where the previous segment was not within reach, or moved
        # away from the stop and this one comes back closer.
        start = np.ones(len(ii), dtype=bool)
        prev = (ii[1:] == ii[:-1]) & (jj[1:] == jj[:-1] + 1)
        e_prev = _angle_m(x[ii[1:]], pts[jj[1:]])  # distance to the previous segment's end
        further = e_prev > d[:-1]
        start[1:] = ~prev | (further & (d[1:] < e_prev))
        group = np.cumsum(start)
        srt = np.lexsort((jj, d, group))
        first = np.ones(len(srt), dtype=bool)
        first[1:] = group[srt][1:] != group[srt][:-1]
        pick = np.sort(srt[first])
        geo = shape.geo[jj[pick]] + _angle_m(cp[pick], pts[jj[pick]])
        for k, p in enumerate(pick):  # per match found (few per stop)
            cands[ii[p]].append((int(jj[p]), float(geo[k]), float(d[p]), cp[p]))
    best: list[tuple[int, np.ndarray, float]] = [(0, pts[0], 0.0)] * n
    lone = [i for i in range(n) if not cands[i]]
    if lone:  # stops with no match: the closest point of the whole shape (rare)
        m = len(a)
        xi = np.repeat(x[lone], m, axis=0)
        cpl = _closest_pairs(xi, np.tile(a, (len(lone), 1)), np.tile(b, (len(lone), 1)))
        dl = _angle_m(xi, cpl).reshape(len(lone), m)
        arg = np.argmin(dl, axis=1)
        for k, i in enumerate(lone):
            best[i] = (int(arg[k]), cpl[k * m + arg[k]], float(dl[k, arg[k]]))
    return cands, best


def _best_matches(
    potential: list[list[tuple[int, float, float, np.ndarray]]],
) -> tuple[list[int] | None, int, int, int]:
    """findBestMatches: (assignment, or None with (stop index, its match, previous match))."""
    prev: list[tuple[list[int], float, float]] = [([], 0.0, float("-inf"))]
    for k, cands in enumerate(potential):
        nxt: list[tuple[list[int], float, float]] = []
        for i, (_, geo, dist, _) in enumerate(cands):
            best_i, best_score = -1, float("inf")
            for pi, (_, score, max_geo) in enumerate(prev):
                if max_geo > geo:
                    continue
                if score < best_score:
                    best_i, best_score = pi, score
            if best_i != -1:
                assign, score, _ = prev[best_i]
                nxt.append(([*assign, i], score + dist, geo))
        if not nxt:
            cur = min(range(len(cands)), key=lambda i: cands[i][2])
            best_prev = min(prev, key=lambda a: a[1])
            return None, k, cur, best_prev[0][-1]
        prev = nxt
    return min(prev, key=lambda a: a[1])[0], -1, -1, -1


@rule(
    files=["shapes.txt", "trips.txt", "stop_times.txt", "stops.txt", "routes.txt"],
    notices={
        "stop_too_far_from_shape": (
            Severity.WARNING,
            "A stop is more than 100 m from its trip's shape.",
        ),
        "stop_too_far_from_shape_using_user_distance": (
            Severity.WARNING,
            "A stop is more than 100 m from where shape_dist_traveled puts it on the shape.",
        ),
        "stop_has_too_many_matches_for_shape": (
            Severity.WARNING,
            "A stop has more than 20 potential places on its trip's shape.",
        ),
        "stops_match_shape_out_of_order": (
            Severity.WARNING,
            "Two consecutive stops match their shape in the reverse order.",
        ),
    },
)
def check_stops_match_shape(feed: Feed, notices: Notices) -> None:
    """Stops must lie along their trip's shape, in order: else maps and arrivals are wrong."""
    if not tables_ok(feed, "stops.txt", "trips.txt", "routes.txt", "stop_times.txt", "shapes.txt"):
        return  # the canonical validator skips checks on a table it could not parse

    trips = feed.table("trips.txt")
    st = feed.table("stop_times.txt")
    sh = feed.table("shapes.txt")
    stops = feed.table("stops.txt")
    routes = feed.table("routes.txt")
    if trips.empty or st.empty or sh.empty or stops.empty:
        return
    order, scode = shape_order(feed)
    st_order, tcode = trip_order(feed)
    if len(order) == 0 or len(st_order) == 0:
        return
    n_shapes = int(scode[-1]) + 1
    s_lo, s_hi = trip_bounds(scode, n_shapes)
    shape_uniques = pd.Series(
        column(sh, "shape_id").take(order[s_lo]).to_numpy(dtype=object), dtype="str"
    )
    n_trips = int(tcode[-1]) + 1
    t_lo, t_hi = trip_bounds(tcode, n_trips)
    st_user_s = TypedAt(feed, "stop_times.txt", "shape_dist_traveled")
    trip_hash = _trip_hashes(feed, st_order, tcode, st_user_s)

    tshape = lookup(column(trips, "shape_id"), shape_uniques)
    tcodes = trips_code(feed)
    rpos = lookup(column(trips, "route_id"), column(routes, "route_id"))
    rtype = typed_or_na(feed, "routes.txt", "route_type").to_numpy(dtype=float, na_value=np.nan)
    cand = pd.DataFrame(
        {
            "shape": tshape,
            "code": tcodes,
            "hash": np.where(tcodes >= 0, trip_hash[np.maximum(tcodes, 0)], np.uint64(0)),
            "route": rpos,
            "tpos": np.arange(len(trips)),
        }
    )
    cand = cand[(cand["shape"] >= 0) & (cand["code"] >= 0)]
    cand = cand.drop_duplicates(["shape", "hash"])  # the canonical 'processed trip hashes'
    cand = cand[cand["route"] >= 0]  # a broken route reference is reported elsewhere
    if cand.empty:
        return

    # The stop times of the patterns to check only (one trip per pattern), gathered at once.
    p_code = cand["code"].to_numpy()
    p_len = t_hi[p_code] - t_lo[p_code]
    p_end = np.cumsum(p_len)
    p_start = p_end - p_len
    within = np.arange(int(p_end[-1])) - np.repeat(p_start, p_len)
    g_rows = st_order[np.repeat(t_lo[p_code], p_len) + within]  # stop_times table rows
    del within
    coords = stop_coordinates(feed)
    c_lat = coords["lat"].to_numpy()
    c_lon = coords["lon"].to_numpy()
    g_stop = stop_positions(feed)[g_rows]
    sp0 = np.maximum(g_stop, 0)
    g_located = (g_stop >= 0) & ~np.isnan(c_lat[sp0]) & ~np.isnan(c_lon[sp0])
    g_user = values_at(st_user_s, g_rows, na=0.0)
    g_csv = st["csv_row"].to_numpy()[g_rows]
    p_rail = rtype[cand["route"].to_numpy()] == RAIL
    p_tpos = cand["tpos"].to_numpy()
    p_index = {}  # shape code -> its patterns, in trips.txt order (the canonical order)
    for i, sc in enumerate(cand["shape"].to_numpy()):
        p_index.setdefault(int(sc), []).append(i)

    trip_ids = column(trips, "trip_id").to_numpy(dtype=object)
    trip_rows = trips["csv_row"].to_numpy()
    stop_ids = column(stops, "stop_id").to_numpy(dtype=object)
    names = coords["name"].to_numpy()
    lat = TypedAt(feed, "shapes.txt", "shape_pt_lat")
    lon = TypedAt(feed, "shapes.txt", "shape_pt_lon")
    sdist = TypedAt(feed, "shapes.txt", "shape_dist_traveled")

    # Shapes are read block by block in shapes.txt code order; each shape's notices are kept
    # apart and emitted afterwards in the canonical order (shapes by first trip in trips.txt).
    # Identical geometry (same points, same stop locations and distances) matches identically:
    # its problems are computed once and reported for each (shape, pattern) with its own ids.
    memo: dict[tuple[bytes, bytes], tuple[_Problems, _Problems]] = {}
    per_shape: dict[int, dict[str, list[dict[str, object]]]] = {}
    for b_lo, b_hi in trip_blocks(scode):
        rows = order[b_lo:b_hi]
        b_lat = values_at(lat, rows, na=0.0)
        b_lon = values_at(lon, rows, na=0.0)
        b_user = values_at(sdist, rows, na=0.0)
        for shape_code in np.unique(scode[b_lo:b_hi]):
            pats = p_index.get(int(shape_code))
            if not pats:
                continue
            a, b = s_lo[shape_code] - b_lo, s_hi[shape_code] - b_lo
            out: dict[str, list[dict[str, object]]] = {code: [] for code in _MATCH_CODES}
            per_shape[int(shape_code)] = out
            shape_key = _digest(b_lat[a:b], b_lon[a:b], b_user[a:b])
            reported: set[object] = set()
            todo = []
            for i in pats:  # per distinct stop pattern of the shape
                g = slice(p_start[i], p_end[i])
                keep = np.flatnonzero(g_located[g]) + p_start[i]
                if len(keep) == 0:
                    continue
                spos = g_stop[keep]
                large = np.zeros(len(keep), dtype=bool)
                if p_rail[i]:
                    large[0] = large[-1] = True
                key = (
                    (shape_key, _digest(c_lat[spos], c_lon[spos], g_user[keep], large))
                    if SHARE_GEOMETRY
                    else (bytes(8), int(i).to_bytes(8, "little"))
                )
                todo.append((i, keep, spos, large, key))
            missing = [t for t in todo if t[4] not in memo]
            if missing:
                shape = _Shape(_xyz(b_lat[a:b], b_lon[a:b]), b_user[a:b])
                # Geometry once per (stop, station size) of the shape, shared by its patterns.
                ukeys = np.unique(
                    np.concatenate([t[2].astype(np.int64) * 2 + t[3] for t in missing])
                )
                upos = ukeys // 2
                max_d = MAX_DISTANCE_TO_SHAPE_M * np.where(
                    ukeys % 2 == 1, LARGE_STATION_MULTIPLIER, 1.0
                )
                ucands, ubest = _geo_candidates(shape, _xyz(c_lat[upos], c_lon[upos]), max_d)
                where = {int(k): j for j, k in enumerate(ukeys)}
                for _, keep, spos, large, key in missing:
                    if key in memo:  # two patterns of this shape with one geometry
                        continue
                    ix = [where[int(k)] for k in spos.astype(np.int64) * 2 + large]
                    memo[key] = _match_trip(
                        shape,
                        np.arange(len(spos)),
                        _xyz(c_lat[spos], c_lon[spos]),
                        g_user[keep],
                        max_d[ix],
                        [ucands[j] for j in ix],
                        [ubest[j] for j in ix],
                    )
            for i, keep, spos, _, key in todo:
                tpos = p_tpos[i]
                ctx = _Ctx(
                    out,
                    reported,
                    shape_uniques.iloc[shape_code],
                    trip_ids[tpos],
                    int(trip_rows[tpos]),
                    stop_ids[spos],
                    g_csv[keep],
                    names[spos],
                    c_lat[spos],
                    c_lon[spos],
                )
                geo, user = memo[key]
                _report(ctx, geo, user_mode=False)
                _report(ctx, user, user_mode=True)
    found: dict[str, list[dict[str, object]]] = {code: [] for code in _MATCH_CODES}
    for shape_code in p_index:  # canonical order: shapes by their first trip in trips.txt
        for code, records in per_shape.get(shape_code, {}).items():
            found[code].extend(records)
    for code, records in found.items():
        if records:
            notices.add_frame(code, pd.DataFrame(records))


# Trips of equal geometry share one matching (off only to test that sharing changes nothing).
SHARE_GEOMETRY = True

_MATCH_CODES = (
    "stop_too_far_from_shape",
    "stop_too_far_from_shape_using_user_distance",
    "stop_has_too_many_matches_for_shape",
    "stops_match_shape_out_of_order",
)
_Problems = list[tuple[str, tuple[object, ...]]]


def _digest(*arrays: np.ndarray) -> bytes:
    """SHA-1 of the arrays' bytes (equal lengths, so unambiguous): the key of one geometry.

    160 bits: a collision between two of a feed's geometries is beyond practical odds.
    """
    return hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).digest()


def _trip_hashes(
    feed: Feed, st_order: np.ndarray, tcode: np.ndarray, user_s: pd.Series
) -> np.ndarray:
    """Per trip code, a 64-bit hash of its (stop_id, shape_dist_traveled) sequence.

    Trips with identical stops and distances match a shape identically: the canonical validator
    checks them once per shape. Order-sensitive; computed block by block over sorted rows.
    """
    st = feed.table("stop_times.txt")
    stop_pos = stop_positions(feed)
    # stop ids as ints: their stops.txt row, or a negative label for ids not in stops.txt
    unknown = np.flatnonzero(stop_pos < 0)
    labels = (
        pd.factorize(pick(st, "stop_id", unknown))[0].astype(np.int64) if len(unknown) else None
    )
    n_trips = int(tcode[-1]) + 1
    out = np.zeros(n_trips, dtype=np.uint64)
    for b_lo, b_hi in trip_blocks(tcode):
        rows = st_order[b_lo:b_hi]
        tc = tcode[b_lo:b_hi]
        first = np.flatnonzero(_run_starts(tc))
        within = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
        key = stop_pos[rows].astype(np.int64)
        if labels is not None:
            bad = np.flatnonzero(key < 0)
            if len(bad):
                key[bad] = -2 - labels[np.searchsorted(unknown, rows[bad])]
        row_hash = (
            pd.util.hash_array(key)
            ^ (pd.util.hash_array(values_at(user_s, rows, na=0.0)) * np.uint64(0x9E3779B97F4A7C15))
            ^ (pd.util.hash_array(within.astype(np.int64)) * np.uint64(0xC2B2AE3D27D4EB4F))
        )
        out[tc[first]] = np.add.reduceat(row_hash, first) + np.diff(np.r_[first, len(rows)]).astype(
            np.uint64
        )
    return out


class _Ctx:
    """What a problem needs to become a notice."""

    def __init__(
        self,
        out: dict[str, list[dict[str, object]]],
        reported: set[object],
        shape_id: object,
        trip_id: object,
        trip_row: int,
        stop_ids: np.ndarray,
        rows: np.ndarray,
        names: np.ndarray,
        lat: np.ndarray,
        lon: np.ndarray,
    ) -> None:
        self.lat, self.lon = lat, lon
        self.out, self.reported = out, reported
        self.shape_id, self.trip_id, self.trip_row = shape_id, trip_id, trip_row
        self.stop_ids, self.rows, self.names = stop_ids, rows, names

    def base(self, pos: int) -> dict[str, object]:
        return {
            "tripCsvRowNumber": self.trip_row,
            "shapeId": self.shape_id,
            "tripId": self.trip_id,
            "stopTimeCsvRowNumber": int(self.rows[pos]),
            "stopId": self.stop_ids[pos],
            "stopName": self.names[pos] if isinstance(self.names[pos], str) else "",
        }

    def too_far(self, pos: int, loc: np.ndarray, dist: float, index: int, user: bool) -> None:
        if self.stop_ids[pos] in self.reported:
            return
        self.reported.add(self.stop_ids[pos])
        code = "stop_too_far_from_shape_using_user_distance" if user else "stop_too_far_from_shape"
        self.out[code].append(
            {
                **self.base(pos),
                "stopLocation": [float(self.lat[pos]), float(self.lon[pos])],
                "match": _latlng(loc),
                "geoDistanceToShape": dist,
                "matchIndex": index,
            }
        )

    def too_many(self, pos: int, loc: np.ndarray, count: int) -> None:
        self.out["stop_has_too_many_matches_for_shape"].append(
            {**self.base(pos), "match": _latlng(loc), "matchCount": count}
        )

    def out_of_order(self, pos: int, loc: np.ndarray, ppos: int, ploc: np.ndarray) -> None:
        self.out["stops_match_shape_out_of_order"].append(
            {
                "tripCsvRowNumber": self.trip_row,
                "shapeId": self.shape_id,
                "tripId": self.trip_id,
                "stopTimeCsvRowNumber1": int(self.rows[pos]),
                "stopId1": self.stop_ids[pos],
                "stopName1": self.names[pos] if isinstance(self.names[pos], str) else "",
                "match1": _latlng(loc),
                "stopTimeCsvRowNumber2": int(self.rows[ppos]),
                "stopId2": self.stop_ids[ppos],
                "stopName2": self.names[ppos] if isinstance(self.names[ppos], str) else "",
                "match2": _latlng(ploc),
            }
        )


def _match_trip(
    shape: _Shape,
    pos: np.ndarray,
    x: np.ndarray,
    user: np.ndarray,
    max_d: np.ndarray,
    cands: list[list[tuple[int, float, float, np.ndarray]]],
    best: list[tuple[int, np.ndarray, float]],
) -> tuple[_Problems, _Problems]:
    """Geo matching, then user-distance matching when both sides give shape_dist_traveled.

    Returns the problems of each mode (stop positions, locations, distances): they depend on
    the geometry only, so trips of one geometry share them.
    """
    problems: list[tuple[str, tuple[object, ...]]] = []
    ok = True
    for k in range(len(pos)):
        if not cands[k]:
            ok = False
            j, loc, dist = best[k]
            if dist > max_d[k]:
                problems.append(("far", (pos[k], loc, dist, j)))
        elif len(cands[k]) > TOO_MANY_MATCHES:
            m = min(cands[k], key=lambda c: c[2])
            problems.append(("many", (pos[k], m[3], len(cands[k]))))
    if ok:
        _dp_problems(cands, pos, problems)
    geo = problems

    if not (user[-1] > 0.0 and shape.has_user):
        return geo, []
    problems = []
    potential: list[list[tuple[int, float, float, np.ndarray]]] = []
    search_from = 0
    aborted = False
    for k in range(len(pos)):
        if not user[k] > 0.0:
            if not cands[k]:
                j, loc, dist = best[k]
                if dist > max_d[k]:
                    problems.append(("far", (pos[k], loc, dist, j)))
                aborted = True
                break
            if len(cands[k]) > TOO_MANY_MATCHES:
                m = min(cands[k], key=lambda c: c[2])
                problems.append(("many", (pos[k], m[3], len(cands[k]))))
            potential.append(cands[k])
        else:
            match = _match_user(shape, float(user[k]), search_from, x[k])
            search_from = match[0]
            potential.append([match])
    if not aborted:
        assignment = _dp_problems(potential, pos, problems)
        if assignment is not None:
            for k, i in enumerate(assignment):
                j, _, dist, loc = potential[k][i]
                if dist > MAX_DISTANCE_TO_SHAPE_M:
                    problems.append(("far", (pos[k], loc, dist, j)))
    return geo, problems


def _dp_problems(
    potential: list[list[tuple[int, float, float, np.ndarray]]],
    pos: np.ndarray,
    problems: list[tuple[str, tuple[object, ...]]],
) -> list[int] | None:
    assignment, k, cur, prev = _best_matches(potential)
    if assignment is None:
        problems.append(
            ("order", (pos[k], potential[k][cur][3], pos[k - 1], potential[k - 1][prev][3]))
        )
    return assignment


def _report(ctx: _Ctx, problems: list[tuple[str, tuple[object, ...]]], user_mode: bool) -> None:
    for kind, args in problems:
        if kind == "far":
            p, loc, dist, j = args
            ctx.too_far(int(p), loc, float(dist), int(j), user_mode)  # type: ignore[arg-type]
        elif kind == "many":
            p, loc, count = args
            ctx.too_many(int(p), loc, int(count))  # type: ignore[arg-type]
        else:
            p, loc, pp, ploc = args
            ctx.out_of_order(int(p), loc, int(pp), ploc)  # type: ignore[arg-type]


def _match_user(
    shape: _Shape, user_dist: float, start: int, x: np.ndarray
) -> tuple[int, float, float, np.ndarray]:
    """ShapePoints.matchFromUserDist: (index, geoDistance, distance to shape, location)."""
    ud = shape.user
    n = len(ud)
    nxt = max(start, int(np.searchsorted(ud, user_dist, side="right")))
    prev = nxt - 1 if nxt > start else start
    if nxt <= 0 or prev + 1 >= n:
        frac = 0.0
    else:
        pd_, nd = ud[prev], ud[nxt]
        frac = (
            0.0
            if abs(nd - pd_) <= 1e-9 * max(abs(nd), abs(pd_), 1.0)
            else ((user_dist - pd_) / (nd - pd_))
        )
    a = shape.xyz[prev]
    b = shape.xyz[prev + 1] if prev + 1 < n else a
    loc = a if _angle1(a, b) < 1e-15 * _R else _interpolate(frac, a, b)
    g0 = float(shape.geo[prev])
    g1 = float(shape.geo[prev + 1]) if prev + 1 < n else g0
    return prev, g0 + frac * (g1 - g0), _angle1(x, loc), loc
