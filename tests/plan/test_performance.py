"""RAPTOR answers on a large feed in reasonable time (vectorised load, per-pattern scans)."""

from __future__ import annotations

import time
from pathlib import Path

from synthetic import write_grid_feed

from gtfs_builder.plan import load_timetable, plan_query


def test_grid_feed_load_and_query_speed(tmp_path: Path) -> None:
    rows = write_grid_feed(tmp_path / "grid", size=30, headway_min=12)
    assert rows > 300_000
    t0 = time.perf_counter()
    tt = load_timetable(tmp_path / "grid")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    journeys = plan_query(tt, "s0_0", "s29_29", "2024-06-03 08:00")
    query_s = time.perf_counter() - t0
    # h0 leaves 08:00, reaches s0_29 at 08:58; v29 runs every 12 min from 05:00 -> 09:00.
    fastest = journeys[-1]
    assert fastest.transfers == 1 and fastest.arrive - fastest.depart == 118 * 60
    print(f"grid feed: {rows} stop_times, load {load_s:.2f} s, query {query_s:.3f} s")
    assert load_s < 30, load_s
    assert query_s < 3, query_s
