"""The diff at scale: a 2 M ``stop_times`` feed against a modified copy finds exactly the edits.

The speed claim (issue 8: under a minute) is measured by ``make bench`` (``bench/adopt.py``),
not asserted here.

Uses the scaled Seattle feed that ``make bench`` caches (35 prefixed copies, 2.0 M rows); skipped
when the cache is absent. The modified copy is written by rewriting tables (about 10 s).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gtfs_builder.diff import diff_feeds

from .helpers import BIG, Tables, rewrite, shift_times

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not BIG.exists(), reason="bench cache (make bench) not present"),
]


def test_diff_2m_stop_times_finds_exactly_the_edits(tmp_path: Path) -> None:
    def edit(t: Tables) -> None:
        tr, st = t["trips.txt"], t["stop_times.txt"]
        shift_times(st, st.trip_id.isin(set(tr[tr.route_id == "c3_100235"].trip_id)), 600)
        gone = set(tr[tr.route_id == "c5_100337"].trip_id)
        t["routes.txt"] = t["routes.txt"][t["routes.txt"].route_id != "c5_100337"]
        t["trips.txt"] = tr[~tr.trip_id.isin(gone)]
        t["stop_times.txt"] = st[~st.trip_id.isin(gone)]
        s = t["stops.txt"]
        s.loc[s.stop_id == "c7_1050", "stop_name"] = "Olive Way & 8th Avenue"
        extra = pd.DataFrame(
            {"service_id": ["c2_14336"], "date": ["20171223"], "exception_type": ["2"]}
        )
        t["calendar_dates.txt"] = pd.concat([t["calendar_dates.txt"], extra])

    tables = {"routes.txt", "trips.txt", "stop_times.txt", "stops.txt", "calendar_dates.txt"}
    new = rewrite(BIG, tmp_path / "big.zip", edit, only=tables)
    result = diff_feeds(BIG, new)
    assert result.data["old"]["stop_times"] > 2_000_000
    s = result.summary
    assert (s["routes_removed"], s["stops_renamed"], s["services_changed"]) == (1, 1, 1)
    assert s["trips_moved"] == 72 and s["trips_rerouted"] == 0
    assert {m["first_shift_s"] for m in result.data["departures_moved"]} == {600}
    assert s["trips_removed"] == 924 + 601  # the route: 12 trips on 77 days; 14336 on 12-23
