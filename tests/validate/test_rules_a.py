"""Rule families A (agency, stops, routes, trips, stop_times, shapes, flex, geojson) against
gtfs-guru, and the vectorised algorithms against literal ports of the canonical loops.

- On every real feed in ../shared/feeds/, at two dates, our codes and counts for these families
  equal gtfs-guru's.
- On every case of their ``cases/<family>.yaml``, gtfs-guru reports the count the case expects
  (which ``test_cases.py`` asserts for us), except the known differences listed below.
- The vectorised stop-to-shape candidate search equals the canonical per-segment scan, and the
  vectorised far-stop speed test finds the same pairs as the canonical pairwise scan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import gtfs_builder.validate.rules  # noqa: F401  (registers every rule)
from gtfs_builder.validate.feed import Feed
from gtfs_builder.validate.notices import Notices
from gtfs_builder.validate.rules import shapes as shape_rules
from gtfs_builder.validate.rules import stop_times as st_rules
from tests.validate.conftest import SHARED, build_case
from tests.validate.oracle import (
    FEEDS,
    assert_real_feed_matches,
    case_params,
    guru_counts,
)

FAMILIES = ("agency", "stops", "routes", "trips", "stop_times", "shapes", "flex", "geojson")

# (family, code, kind, index) -> why gtfs-guru 1.0.0 disagrees with the canonical validator there.
KNOWN_GURU_DIFFERENCES = {
    ("stop_times", "forbidden_shape_dist_traveled", "trigger", 0): (
        "gtfs-guru 1.0.0 never emits forbidden_shape_dist_traveled; gtfs-validator (PyPI) reports 1"
    ),
    ("flex", "overlapping_zone_and_pickup_drop_off_window", "trigger", 0): (
        "gtfs-guru 1.0.0 reports nothing for overlapping Polygon zones with overlapping windows;"
        " gtfs-validator (PyPI) reports 1"
    ),
}

_GJ_AGREES = "; gtfs-validator (PyPI) agrees with the case"
KNOWN_GURU_DIFFERENCES.update(
    {
        ("geojson", "malformed_json", "pass", 2): (
            "gtfs-guru 1.0.0 reports malformed_json for a non-array `features`; the canonical"
            " loader only logs" + _GJ_AGREES
        ),
        **{
            ("geojson", "geo_json_duplicated_element", "trigger", i): (
                "gtfs-guru 1.0.0 reports a duplicated key as malformed_json" + _GJ_AGREES
            )
            for i in (0, 1)
        },
        **{
            ("geojson", "missing_required_element", "trigger", i): (
                "gtfs-guru 1.0.0 never emits missing_required_element" + _GJ_AGREES
            )
            for i in range(4)
        },
        ("geojson", "unsupported_geometry_type", "trigger", 0): (
            "gtfs-guru 1.0.0 reports nothing for a LineString with ring-shaped coordinates"
            + _GJ_AGREES
        ),
        ("geojson", "invalid_geometry", "trigger", 1): (
            "gtfs-guru 1.0.0 accepts an unclosed ring and a hole outside its shell" + _GJ_AGREES
        ),
        ("geojson", "duplicate_geo_json_key", "pass", 1): (
            "gtfs-guru 1.0.0 indexes features of an unparsable locations.geojson" + _GJ_AGREES
        ),
        ("geojson", "duplicate_geography_id", "trigger", 1): (
            "gtfs-guru 1.0.0 ignores location_groups.txt for duplicate_geography_id" + _GJ_AGREES
        ),
        ("geojson", "duplicate_geography_id", "pass", 1): (
            "gtfs-guru 1.0.0 indexes features of an unparsable locations.geojson" + _GJ_AGREES
        ),
        ("geojson", "point_near_origin", "trigger", 0): (
            "gtfs-guru 1.0.0 does not check locations.geojson positions near the origin"
            + _GJ_AGREES
        ),
    }
)


@pytest.mark.parametrize("path", FEEDS, ids=[p.name for p in FEEDS])
def test_real_feed_matches_gtfs_guru(path: Path) -> None:
    assert_real_feed_matches(path, FAMILIES)


@pytest.mark.parametrize(
    ("code", "files", "expected"), case_params(FAMILIES, KNOWN_GURU_DIFFERENCES)
)
def test_case_agrees_with_gtfs_guru(
    code: str, files: dict[str, Any], expected: int, tmp_path: Path
) -> None:
    path = build_case(files, tmp_path)
    assert guru_counts(path, "2025-06-01").get(code, 0) == expected


def _scan_matches(shape: Any, x: np.ndarray, max_d: float) -> list[int]:
    """ShapePoints.matchesFromLocation, line by line: segment index of each local match."""
    pts = shape.xyz
    m = len(pts) - 1
    xs = np.repeat(x[None, :], m, axis=0)
    cp = shape_rules._closest_pairs(xs, pts[:-1], pts[1:])
    d = shape_rules._angle_m(xs, cp)
    e = shape_rules._angle_m(xs, pts[1:])
    matches: list[int] = []
    local: tuple[int, float] | None = None
    dist_prev_end, further = np.inf, False
    for j in range(m):
        if d[j] <= max_d:
            if further and d[j] < dist_prev_end and local is not None:
                matches.append(local[0])
                local = None
            if local is None or d[j] < local[1]:
                local = (j, float(d[j]))
        elif local is not None:
            matches.append(local[0])
            local = None
        dist_prev_end = e[j]
        further = dist_prev_end > d[j]
    if local is not None:
        matches.append(local[0])
    return matches


def test_shape_candidates_equal_canonical_scan() -> None:
    rng = np.random.default_rng(7)
    for trial in range(120):
        k = int(rng.integers(2, 50))
        lat0, lon0 = rng.uniform(-60, 60), rng.uniform(-170, 170)
        walk = np.cumsum(rng.normal(0, 0.002, size=(k, 2)), axis=0)
        if trial % 3 == 0:  # zigzags: many local minima
            walk[:, 0] = np.where(np.arange(k) % 2, 0.003, -0.003)
            walk[:, 1] = np.arange(k) * rng.uniform(0, 0.0005)
        shape = shape_rules._Shape(
            shape_rules._xyz(lat0 + walk[:, 0], lon0 + walk[:, 1]), np.zeros(k)
        )
        x = shape_rules._xyz(lat0 + rng.normal(0, 0.004, 20), lon0 + rng.normal(0, 0.004, 20))
        max_d = np.where(rng.random(20) < 0.3, 400.0, 100.0)
        got, _ = shape_rules._geo_candidates(shape, x, max_d)
        for i in range(20):
            assert [c[0] for c in got[i]] == _scan_matches(shape, x[i], max_d[i])


@pytest.mark.parametrize("name", ["valid_seattle_area_partridge.zip", "valid_cairns_gtfskit.zip"])
def test_far_stops_prefilter_finds_every_trip(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a low speed limit many trips qualify: the vectorised prefilter must miss none."""
    path = SHARED / "feeds" / name
    monkeypatch.setattr(
        st_rules, "max_speed_kph", lambda rt: pd.Series(30.0, index=rt.index, dtype="Float64")
    )
    feed = Feed.open(path, Notices())
    fast = Notices(max_samples=10**6)
    st_rules.check_travel_speed(feed, fast)
    every = Notices(max_samples=10**6)
    scan = st_rules._far_stops

    def all_trips(
        notices: Notices, ctx: Any, hit: np.ndarray, tcode: np.ndarray, *rest: Any
    ) -> None:
        scan(every, ctx, np.unique(tcode), tcode, *rest)

    monkeypatch.setattr(st_rules, "_far_stops", all_trips)
    st_rules.check_travel_speed(feed, Notices())
    key = ("tripId", "csvRowNumber1", "csvRowNumber2")
    got = {tuple(s[k] for k in key) for s in fast.samples.get("fast_travel_between_far_stops", [])}
    want = {
        tuple(s[k] for k in key) for s in every.samples.get("fast_travel_between_far_stops", [])
    }
    assert want and got == want
