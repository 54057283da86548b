"""Property: any valid generated source compiles to a feed whose times never decrease within a
trip and whose foreign keys all resolve."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import build_tables

# zones without DST, all at or west of the agency zone, so no written time falls before 00:00
ZONES = [
    "Asia/Vladivostok",
    "Asia/Pyongyang",
    "Asia/Shanghai",
    "Europe/Moscow",
    "Asia/Tokyo",
    "UTC",
]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def sources(draw: st.DrawFn) -> dict:
    n_stops = draw(st.integers(2, 6))
    stations = [
        {
            "id": f"S{i}",
            "name": f"Stop {i}",
            "lat": draw(st.floats(40, 45, allow_nan=False)),
            "lon": draw(st.floats(125, 135, allow_nan=False)),
            "timezone": draw(st.sampled_from(ZONES)),
        }
        for i in range(n_stops)
    ]
    services = [
        {
            "id": f"V{i}",
            "days": draw(st.lists(st.sampled_from(DAYS), min_size=1, unique=True)),
            "start_date": "2025-01-06",
            "end_date": "2025-03-31",
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    # one zone per trip entry and distinct hours: two departures never meet in agency time
    zone = st.sampled_from(["", *(f" {z}" for z in ZONES)])
    times = st.builds(
        lambda hs, m, z: [f"{h:02d}:{m:02d}{z}" for h in hs],
        st.lists(st.integers(0, 26), min_size=1, max_size=3, unique=True),
        st.integers(0, 59),
        zone,
    )
    routes = []
    for r in range(draw(st.integers(1, 2))):
        patterns = []
        for p in range(draw(st.integers(1, 2))):
            seq = draw(
                st.lists(st.sampled_from([s["id"] for s in stations]), min_size=2, max_size=5)
            )
            stops = [
                {"stop": sid}
                if k == 0
                else {
                    "stop": sid,
                    "run": draw(st.integers(0, 180)),
                    "dwell": draw(st.integers(0, 5)),
                }
                for k, sid in enumerate(seq)
            ]
            svc = st.sampled_from([s["id"] for s in services])
            trips = [{"service": draw(svc), "departures": draw(times)}]
            pattern = {"id": f"R{r}P{p}", "stops": stops, "trips": trips}
            if draw(st.booleans()):
                start = draw(st.integers(0, 20))
                pattern["frequencies"] = [
                    {
                        "service": draw(svc),
                        "start": f"{start:02d}:00",
                        "end": f"{start + 2:02d}:00",
                        "headway": draw(st.integers(5, 60)),
                        "expand": draw(st.booleans()),
                    }
                ]
            patterns.append(pattern)
        routes.append(
            {
                "id": f"R{r}",
                "agency": "A",
                "short_name": str(r),
                "type": "bus",
                "patterns": patterns,
            }
        )
    return {
        "feed": {"publisher_name": "P", "publisher_url": "https://example.org", "lang": "en"},
        "agencies": [
            {"id": "A", "name": "A", "url": "https://example.org", "timezone": "Asia/Vladivostok"}
        ],
        "stations": stations,
        "services": services,
        "routes": routes,
    }


def _secs(t: str) -> int:
    h, m, s = map(int, t.split(":"))
    return h * 3600 + m * 60 + s


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources())
def test_generated_sources_compile_to_consistent_feeds(source: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        folder.mkdir()
        (folder / "net.yaml").write_text(json.dumps(source, ensure_ascii=False), "utf-8")
        t = build_tables(folder, Path(tmp))
    by_trip: dict[str, list[dict]] = {}
    for r in t["stop_times"]:
        by_trip.setdefault(r["trip_id"], []).append(r)
    for rows in by_trip.values():
        rows.sort(key=lambda r: int(r["stop_sequence"]))
        times = [x for r in rows for x in (_secs(r["arrival_time"]), _secs(r["departure_time"]))]
        assert times == sorted(times)
        dists = [float(r["shape_dist_traveled"]) for r in rows]
        assert dists == sorted(dists)
    ids = {
        name: {r[key] for r in t.get(name, [])}
        for name, key in [
            ("agency", "agency_id"),
            ("routes", "route_id"),
            ("trips", "trip_id"),
            ("stops", "stop_id"),
            ("shapes", "shape_id"),
            ("calendar", "service_id"),
        ]
    }
    assert {r["agency_id"] for r in t["routes"]} <= ids["agency"]
    assert {r["route_id"] for r in t["trips"]} <= ids["routes"]
    assert {r["service_id"] for r in t["trips"]} <= ids["calendar"]
    assert {r["shape_id"] for r in t["trips"]} <= ids["shapes"]
    assert set(by_trip) == ids["trips"]
    assert {r["stop_id"] for r in t["stop_times"]} <= ids["stops"]
    assert {r["trip_id"] for r in t.get("frequencies", [])} <= ids["trips"]


OFFSETS_H = {"Asia/Vladivostok": 10, "Asia/Pyongyang": 9, "Asia/Shanghai": 8,
             "Europe/Moscow": 3, "Asia/Tokyo": 9, "UTC": 0}  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(10 * 60, 30 * 60),
    st.lists(st.tuples(st.integers(0, 300), st.sampled_from(ZONES)), min_size=2, max_size=5),
)
def test_explicit_times_in_any_zone_convert_exactly(start_min: int, legs: list) -> None:
    """Each published time, written in a random zone, lands on its instant in agency time."""
    agency_minutes, t = [], start_min
    for gap, _zone in legs:
        t += gap
        agency_minutes.append(t)
    entries = []
    for minutes, (_gap, zone) in zip(agency_minutes, legs, strict=True):
        local = minutes - (10 - OFFSETS_H[zone]) * 60
        entries.append(f'"{local // 60:02d}:{local % 60:02d} {zone}"')
    n = len(legs)
    stations = [{"id": f"S{i}", "name": f"S{i}", "lat": 43.0 + i / 100, "lon": 131.0}
                for i in range(n)]  # fmt: skip
    times = [{"departure": e.strip('"')} if k < n - 1 else {"arrival": e.strip('"')}
             for k, e in enumerate(entries)]  # fmt: skip
    source = {
        "feed": {"publisher_name": "P", "publisher_url": "https://example.org", "lang": "en"},
        "agencies": [{"id": "A", "name": "A", "url": "https://example.org",
                      "timezone": "Asia/Vladivostok"}],
        "stations": stations,
        "services": [{"id": "V", "days": "daily", "start_date": "2025-01-06",
                      "end_date": "2025-01-31"}],
        "routes": [{"id": "R", "agency": "A", "type": "rail", "patterns": [{
            "id": "P", "stops": [{"stop": s["id"]} for s in stations],
            "trips": [{"service": "V", "trip_short_name": "1", "times": times}]}]}],
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        folder.mkdir()
        (folder / "net.json").write_text(json.dumps(source), "utf-8")
        t = build_tables(folder, Path(tmp))
    rows = sorted(t["stop_times"], key=lambda r: int(r["stop_sequence"]))
    assert [_secs(r["departure_time"]) // 60 for r in rows] == agency_minutes
    assert all(r["timepoint"] == "1" for r in rows)
