"""Shapes family: point sequences, usage, and shape distance consistency."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gtfs_builder.validate.notices import Notices, Severity, rule
from gtfs_builder.validate.rules._columns import column, tables_ok, typed_or_na
from gtfs_builder.validate.rules.stop_times import (
    haversine_m,
    lookup,
    pick,
    stop_coordinates,
    trip_bounds,
    trip_code_of,
    trip_order,
)

if TYPE_CHECKING:
    from gtfs_builder.validate.feed import Feed

EQUAL_DISTANCE_THRESHOLD_M = 1.11


def shape_order(feed: Feed) -> tuple[np.ndarray, np.ndarray]:
    """(positions of shapes rows sorted by shape_id then shape_pt_sequence, shape code per row)."""
    sh = feed.table("shapes.txt")
    codes, _ = pd.factorize(column(sh, "shape_id"), use_na_sentinel=True)
    seq = typed_or_na(feed, "shapes.txt", "shape_pt_sequence").astype("Float64")
    seq_np = seq.fillna(np.inf).to_numpy(dtype=float)
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.lexsort((seq_np[keep], codes[keep]))]
    return order, codes[order]


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
    dist = typed_or_na(feed, "shapes.txt", "shape_dist_traveled").astype("Float64")
    d = dist.to_numpy(dtype=float, na_value=np.nan)[order]
    lat = typed_or_na(feed, "shapes.txt", "shape_pt_lat").astype("Float64")
    lon = typed_or_na(feed, "shapes.txt", "shape_pt_lon").astype("Float64")
    la = lat.to_numpy(dtype=float, na_value=np.nan)[order]
    lo = lon.to_numpy(dtype=float, na_value=np.nan)[order]
    seq = typed_or_na(feed, "shapes.txt", "shape_pt_sequence").astype("Float64")
    sq = seq.to_numpy(dtype=float, na_value=np.nan)[order]
    row = sh["csv_row"].to_numpy()[order]
    sid = column(sh, "shape_id")  # converted to objects only for the reported rows
    cur = np.arange(1, len(order))
    prv = cur - 1
    ok = (code[cur] == code[prv]) & ~np.isnan(d[cur]) & ~np.isnan(d[prv])
    cur, prv = cur[ok], prv[ok]

    def frame(c: np.ndarray, p: np.ndarray, with_distance: bool) -> pd.DataFrame:
        data = {
            "shapeId": sid.take(order[c]).to_numpy(dtype=object),
            "csvRowNumber": row[c],
            "shapeDistTraveled": d[c],
            "shapePtSequence": sq[c].astype(np.int64),
            "prevCsvRowNumber": row[p],
            "prevShapeDistTraveled": d[p],
            "prevShapePtSequence": sq[p].astype(np.int64),
        }
        if with_distance:
            data["actualDistanceBetweenShapePoints"] = haversine_m(la[p], lo[p], la[c], lo[c])
        return pd.DataFrame(data)

    dec = d[prv] > d[cur]
    notices.add_frame("decreasing_shape_distance", frame(cur[dec], prv[dec], False))
    eq = d[prv] == d[cur]
    c, p = cur[eq], prv[eq]
    same_xy = (la[c] == la[p]) & (lo[c] == lo[p])
    notices.add_frame("equal_shape_distance_same_coordinates", frame(c[same_xy], p[same_xy], False))
    c, p = c[~same_xy], p[~same_xy]
    gap = haversine_m(la[p], lo[p], la[c], lo[c])
    far = gap > EQUAL_DISTANCE_THRESHOLD_M
    near = ~far & (gap > 0)
    notices.add_frame("equal_shape_distance_diff_coordinates", frame(c[far], p[far], True))
    notices.add_frame(
        "equal_shape_distance_diff_coordinates_distance_below_threshold",
        frame(c[near], p[near], True),
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
    sid = column(sh, "shape_id")
    frame = pd.DataFrame({"shapeId": sid, "csvRowNumber": sh["csv_row"]}).dropna(subset=["shapeId"])
    firsts = frame.drop_duplicates("shapeId")
    counts = frame["shapeId"].value_counts()
    single = firsts[firsts["shapeId"].map(counts) == 1]
    if tables_ok(feed, "shapes.txt"):  # the canonical validator skips a table it could not parse
        notices.add_frame("single_shape_point", single[["shapeId", "csvRowNumber"]])
    if not tables_ok(feed, "shapes.txt", "trips.txt"):
        return
    used = set(column(feed.table("trips.txt"), "shape_id").dropna())
    unused = firsts[~firsts["shapeId"].isin(used)]
    notices.add_frame("unused_shape", unused[["shapeId", "csvRowNumber"]])


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
    sd = typed_or_na(feed, "shapes.txt", "shape_dist_traveled").astype("Float64")
    sd_np = sd.to_numpy(dtype=float, na_value=np.nan)[order]
    lat = typed_or_na(feed, "shapes.txt", "shape_pt_lat").astype("Float64")
    lon = typed_or_na(feed, "shapes.txt", "shape_pt_lon").astype("Float64")
    # Per shape (runs of equal codes in sorted order), by reduceat: no groupby on 10 M id objects.
    first = np.flatnonzero(np.r_[True, scode[1:] != scode[:-1]])
    positions = np.arange(len(order))

    def last_valid(values: np.ndarray) -> np.ndarray:  # groupby().last(): last non-NaN value
        idx = np.maximum.reduceat(np.where(np.isnan(values), -1, positions), first)
        return np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)

    per_shape = pd.DataFrame(
        {
            # canonical getter: 0 when empty
            "max_d": np.maximum.reduceat(np.nan_to_num(sd_np, nan=0.0), first),
            "any_missing": np.logical_or.reduceat(np.isnan(sd_np), first),
            "end_lat": last_valid(lat.to_numpy(dtype=float, na_value=np.nan)[order]),
            "end_lon": last_valid(lon.to_numpy(dtype=float, na_value=np.nan)[order]),
        },
        index=pd.Index(
            column(sh, "shape_id").take(order[first]).to_numpy(dtype=object), name="shape"
        ),
    )

    st_order, tcode = trip_order(feed)
    if len(st_order) == 0:
        return
    tsd = typed_or_na(feed, "stop_times.txt", "shape_dist_traveled").astype("Float64")
    tsd_np = tsd.to_numpy(dtype=float, na_value=np.nan)[st_order]
    lo, hi = trip_bounds(tcode, int(tcode.max()) + 1)
    has = ~np.isnan(tsd_np)
    # per trip code: max distance (0 when empty, the canonical getter's default), any distance,
    # first row with a distance, last stop
    max_d = np.maximum.reduceat(np.nan_to_num(tsd_np, nan=0.0), lo)
    first_has = np.minimum.reduceat(np.where(has, np.arange(len(has)), len(has)), lo)
    any_d = first_has < hi
    st_rows = st["csv_row"].to_numpy()[st_order]

    code = trip_code_of(feed, column(trips, "trip_id"))
    tr = pd.DataFrame({"shape": column(trips, "shape_id"), "row": trips["csv_row"], "code": code})
    tr["trip"] = column(trips, "trip_id")
    tr = tr[(code >= 0) & tr["shape"].notna().to_numpy()]
    c = tr["code"].to_numpy()
    tr["max_d"] = max_d[c]
    tr["any_d"] = any_d[c]
    tr["first_row"] = np.where(any_d[c], st_rows[np.minimum(first_has[c], len(has) - 1)], -1)
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
# shape_dist_traveled are checked once, as the canonical validator does).

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
    # Shapes: unit vectors and user distance, sorted by shape then sequence.
    lat = typed_or_na(feed, "shapes.txt", "shape_pt_lat").astype("Float64")
    lon = typed_or_na(feed, "shapes.txt", "shape_pt_lon").astype("Float64")
    sxyz = _xyz(
        lat.to_numpy(dtype=float, na_value=0.0)[order],
        lon.to_numpy(dtype=float, na_value=0.0)[order],
    )
    sdist = typed_or_na(feed, "shapes.txt", "shape_dist_traveled").astype("Float64")
    suser = sdist.to_numpy(dtype=float, na_value=0.0)[order]
    s_lo, s_hi = trip_bounds(scode, int(scode.max()) + 1)
    shape_uniques = pd.Series(
        column(sh, "shape_id").take(order[s_lo]).to_numpy(dtype=object), dtype="str"
    )

    # Stop times: stop rows, locations and user distances, sorted by trip then sequence.
    n_trips = int(tcode.max()) + 1
    t_lo, t_hi = trip_bounds(tcode, n_trips)
    stop_pos = lookup(column(st, "stop_id"), column(stops, "stop_id"))[st_order]
    coords = stop_coordinates(feed)
    c_lat = coords["lat"].to_numpy()
    c_lon = coords["lon"].to_numpy()
    sp0 = np.maximum(stop_pos, 0)
    located = (stop_pos >= 0) & ~np.isnan(c_lat[sp0]) & ~np.isnan(c_lon[sp0])
    st_user = (
        typed_or_na(feed, "stop_times.txt", "shape_dist_traveled")
        .astype("Float64")
        .to_numpy(dtype=float, na_value=0.0)[st_order]
    )
    # Trips with identical stops and shape_dist_traveled match identically: checked once per
    # shape (a 64-bit hash per trip of its rows, order-sensitive).
    within_trip = np.arange(len(st_order)) - t_lo[tcode]
    stop_key = pd.factorize(column(st, "stop_id"))[0][st_order].astype(np.int64)
    row_hash = (
        pd.util.hash_array(stop_key)
        ^ (pd.util.hash_array(st_user) * np.uint64(0x9E3779B97F4A7C15))
        ^ (pd.util.hash_array(within_trip.astype(np.int64)) * np.uint64(0xC2B2AE3D27D4EB4F))
    )
    trip_hash = np.add.reduceat(row_hash, t_lo) if len(t_lo) else row_hash[:0]
    trip_hash = trip_hash + (t_hi - t_lo).astype(np.uint64)

    tshape = lookup(column(trips, "shape_id"), shape_uniques)
    tcodes = trip_code_of(feed, column(trips, "trip_id"))
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
    trip_ids = column(trips, "trip_id").to_numpy(dtype=object)
    trip_rows = trips["csv_row"].to_numpy()
    st_rows = st["csv_row"].to_numpy()[st_order]
    stop_ids = column(stops, "stop_id").to_numpy(dtype=object)
    names = coords["name"].to_numpy()

    out: dict[str, list[dict[str, object]]] = {
        "stop_too_far_from_shape": [],
        "stop_too_far_from_shape_using_user_distance": [],
        "stop_has_too_many_matches_for_shape": [],
        "stops_match_shape_out_of_order": [],
    }
    for shape_code, group in cand.groupby("shape", sort=False):  # per shape
        a, b = s_lo[shape_code], s_hi[shape_code]
        shape = _Shape(sxyz[a:b], suser[a:b])
        shape_id = shape_uniques.iloc[shape_code]
        # Geometry once per (stop, station size) of the shape, shared by all its patterns.
        pats = []
        for code, route, tpos in zip(group["code"], group["route"], group["tpos"], strict=True):
            rows = np.arange(t_lo[code], t_hi[code])
            rows = rows[located[rows]]
            if len(rows) == 0:
                continue
            large = np.zeros(len(rows), dtype=bool)
            if rtype[route] == RAIL:
                large[0] = large[-1] = True
            pats.append((rows, large, int(tpos)))
        if not pats:
            continue
        keys = np.concatenate([stop_pos[r] * 2 + lg for r, lg, _ in pats])
        ukeys = np.unique(keys)
        upos = ukeys // 2
        max_d = MAX_DISTANCE_TO_SHAPE_M * np.where(ukeys % 2 == 1, LARGE_STATION_MULTIPLIER, 1.0)
        ux = _xyz(c_lat[upos], c_lon[upos])
        ucands, ubest = _geo_candidates(shape, ux, max_d)
        where = {int(k): i for i, k in enumerate(ukeys)}
        reported: set[object] = set()
        for rows, large, tpos in pats:  # per distinct stop pattern: the assignment DP
            ids = stop_ids[stop_pos[rows]]
            ctx = _Ctx(
                out,
                reported,
                shape_id,
                trip_ids[tpos],
                int(trip_rows[tpos]),
                ids,
                st_rows[rows],
                names[stop_pos[rows]],
                c_lat[stop_pos[rows]],
                c_lon[stop_pos[rows]],
            )
            ix = [where[int(k)] for k in stop_pos[rows] * 2 + large]
            _match_trip(
                ctx,
                shape,
                np.arange(len(rows)),
                _xyz(c_lat[stop_pos[rows]], c_lon[stop_pos[rows]]),
                st_user[rows],
                max_d[ix],
                [ucands[i] for i in ix],
                [ubest[i] for i in ix],
            )
    for code, found in out.items():
        if found:
            notices.add_frame(code, pd.DataFrame(found))


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
    ctx: _Ctx,
    shape: _Shape,
    pos: np.ndarray,
    x: np.ndarray,
    user: np.ndarray,
    max_d: np.ndarray,
    cands: list[list[tuple[int, float, float, np.ndarray]]],
    best: list[tuple[int, np.ndarray, float]],
) -> None:
    """Geo matching, then user-distance matching when both sides give shape_dist_traveled."""
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
    _report(ctx, problems, user_mode=False)

    if not (user[-1] > 0.0 and shape.has_user):
        return
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
    _report(ctx, problems, user_mode=True)


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
