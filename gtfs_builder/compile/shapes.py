"""Shapes: explicit coordinates, a GeoJSON LineString, or generated through the stops.

Distances are geodesic on the WGS84 ellipsoid (pyproj.Geod), in kilometres, rounded to the metre so
the output is stable across platforms.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")


def cumulative_km(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Cumulative geodesic distance along a polyline, km."""
    if len(lats) < 2:
        return np.zeros(len(lats))
    _, _, d = _GEOD.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return np.concatenate([[0.0], np.cumsum(np.asarray(d, dtype=float))]) / 1000.0


def dedupe(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop consecutive repeated points (they add nothing and validators flag them)."""
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or c != out[-1]:
            out.append(c)
    return out


def project_stops(shape: list[tuple[float, float]], stops: list[tuple[float, float]]) -> np.ndarray:
    """Distance along ``shape`` (km) of each stop's nearest point, never going backwards.

    Per pattern (a few dozen stops), not per stop_times row: plain loops are fine here.
    """
    lat = np.array([c[0] for c in shape])
    lon = np.array([c[1] for c in shape])
    cum = cumulative_km(lat, lon)
    # local planar frame (degrees of longitude scaled by cos(lat)): good enough to pick a segment
    k = np.cos(np.radians(lat.mean()))
    x, y = lon * k, lat
    ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
    dx, dy = bx - ax, by - ay
    seg_len2 = np.where(dx * dx + dy * dy == 0, 1e-18, dx * dx + dy * dy)
    out = np.zeros(len(stops))
    prev_seg, prev_t = 0, 0.0
    for i, (slat, slon) in enumerate(stops):
        px, py = slon * k, slat
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / seg_len2, 0.0, 1.0)
        t[:prev_seg] = np.nan
        t[prev_seg] = max(t[prev_seg], prev_t)
        qx, qy = ax + t * dx, ay + t * dy
        dist2 = np.where(np.isnan(t), np.inf, (qx - px) ** 2 + (qy - py) ** 2)
        seg = int(np.argmin(dist2))
        tt = float(t[seg])
        qlat, qlon = ay[seg] + tt * dy[seg], (ax[seg] + tt * dx[seg]) / k
        _, _, d = _GEOD.inv(lon[seg], lat[seg], qlon, qlat)
        out[i] = cum[seg] + d / 1000.0
        prev_seg, prev_t = seg, tt
    return np.maximum.accumulate(out)
