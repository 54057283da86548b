"""Fast checks of the import and diff benchmark (`bench/adopt.py`, `--only adopt` of bench.run).

The end-to-end test runs the real section on Caltrain (2.7 k `stop_times` rows, five routes), one
run per tool: about ten processes of a second each.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from bench.adopt import (
    SHIFT_SECONDS,
    AdoptResult,
    check_adopt_targets,
    edit_tables,
    format_adopt_table,
    modified_feed,
)
from tests.bench.helpers import FEEDS, measurement

CALTRAIN = FEEDS / "valid_caltrain_2017_partridge.zip"


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=str)


def _tables(trips_on_b: int = 150) -> dict[str, pd.DataFrame]:
    trips = [{"route_id": "A", "trip_id": "a1"}] + [
        {"route_id": "B", "trip_id": f"b{i}"} for i in range(trips_on_b)
    ]
    st = [
        {"trip_id": "a1", "stop_id": "s1", "arrival_time": "08:00:00", "departure_time": "8:00:00"},
    ]
    for i in range(trips_on_b):
        st += [
            {
                "trip_id": f"b{i}",
                "stop_id": "s2",
                "arrival_time": "23:58:30",
                "departure_time": "23:58:30",
            },
            {"trip_id": f"b{i}", "stop_id": "s3", "arrival_time": "", "departure_time": ""},
        ]
    return {
        "routes.txt": _frame([{"route_id": "A"}, {"route_id": "B"}]),
        "trips.txt": _frame(trips),
        "stop_times.txt": _frame(st),
        "stops.txt": _frame(
            [{"stop_id": s, "stop_name": f"Stop {s}"} for s in ("s0", "s1", "s2", "s3")]
        ),
    }


def test_edit_tables_drops_a_route_moves_one_trip_in_100_renames_a_stop() -> None:
    t = _tables()
    expected = edit_tables(t)
    assert list(t["routes.txt"].route_id) == ["B"]  # the first trip's route is gone
    assert "a1" not in set(t["trips.txt"].trip_id) | set(t["stop_times.txt"].trip_id)
    st = t["stop_times.txt"].set_index(["trip_id", "stop_id"])
    # b0 and b100 move (every 100th trip), past midnight as GTFS writes it; empty times stay.
    assert st.loc[("b0", "s2"), "departure_time"] == "24:02:30"
    assert st.loc[("b100", "s2"), "arrival_time"] == "24:02:30"
    assert st.loc[("b1", "s2"), "departure_time"] == "23:58:30"
    assert st.loc[("b0", "s3"), "departure_time"] == ""
    assert SHIFT_SECONDS == 240
    names = dict(zip(t["stops.txt"].stop_id, t["stops.txt"].stop_name, strict=True))
    assert names["s1"] == "Stop s1"  # served only by the dropped route
    assert names["s2"] == "Stop s2 (renamed)" and names["s0"] == "Stop s0"  # s0 is not served
    assert expected == {
        "routes_removed": 1,
        "stops_renamed": 1,
        "trips_moved": 2,
        "trips_dropped": 1,
        "stop_times_rows": 300,
    }


def test_edit_tables_needs_two_routes() -> None:
    t = _tables()
    t["trips.txt"]["route_id"] = "A"
    with pytest.raises(ValueError, match="two routes"):
        edit_tables(t)


def _result(rows: int, *, import_s: float, diff_s: float, moved: int = 20) -> AdoptResult:
    return AdoptResult(
        rows,
        "feed.zip",
        measurement("gtfs-builder import", rows, import_s),
        measurement("gtfs-builder build", rows, 10.0),
        measurement("gtfs-builder diff", rows, diff_s),
        measurement("partridge", rows, import_s / 2),
        measurement("gtfs-kit", rows, diff_s * 2),
        rebuilt_rows=rows,
        roundtrip_diff_exit=0,
        expected={"routes_removed": 1, "stops_renamed": 1, "trips_moved": 20},
        found={
            "routes_removed": 1,
            "stops_renamed": 1,
            "trips_moved": moved,
            "trips_removed": 9,
            "route_day_changes": 2,
            "window_changed": False,
        },
    )


def test_targets_at_2m() -> None:
    assert [line.endswith("**n/a**") for line in check_adopt_targets([])] == [True] * 3
    ok = check_adopt_targets(
        [_result(500_000, import_s=99, diff_s=99), _result(2_000_000, import_s=13, diff_s=7)]
    )
    assert all(line.endswith("**PASS**") for line in ok), ok
    assert "import of the 2M feed: 13.00 s" in ok[0] and "24 changes found" in ok[1]
    assert "23.00 s, 2,000,000 of 2,000,000 stop_times rows back" in ok[2]
    slow = check_adopt_targets([_result(2_000_000, import_s=61, diff_s=7, moved=19)])
    assert [line.rsplit("**", 2)[1] for line in slow] == ["FAIL", "FAIL", "PASS"]
    r = _result(2_000_000, import_s=13, diff_s=7)
    r.rebuilt_rows = 1_999_999
    assert check_adopt_targets([r])[2].endswith("**FAIL**")


def test_table_ratios_and_mismatch() -> None:
    table = format_adopt_table([_result(2_000_000, import_s=10, diff_s=8, moved=19)])
    lines = table.strip().splitlines()
    assert len(lines) == 2 + 5
    assert "| partridge | 5.00 |" in table and "| 2.00 | 1.00 | load only" in table
    assert "| gtfs-kit | 16.00 |" in table and "| 0.50 | 1.00 | load both only" in table
    assert "MISMATCH: trips_moved 19 (expected 20)" in table
    assert format_adopt_table([]) == "_not run_\n"


def test_only_adopt_runs_the_section_and_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.run import _write, load_adopt, machine_info, main

    out, cache = tmp_path / "results.md", tmp_path / "cache"
    # an earlier full run: its validation line must survive `--only adopt`
    args = argparse.Namespace(out=out, base=CALTRAIN)
    _write(args, machine_info(), "earlier", [measurement("gtfs-guru", 7, 1.0)], None, None)
    argv = [
        "--base",
        str(CALTRAIN),
        "--sizes",
        "1",
        "--repeat",
        "1",
        "--only",
        "adopt",
        "--cache-dir",
        str(cache),
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    text = out.read_text()
    assert "| 7 | gtfs-guru | 1.00 |" in text  # kept
    section = text.split("## Import and diff", 1)[1]
    assert section.split("## Profile", 1)[0].strip() in printed
    rows = {
        tool: line
        for line in section.splitlines()
        for tool in (
            "gtfs-builder import",
            "partridge",
            "gtfs-builder build",
            "gtfs-builder diff",
            "gtfs-kit",
        )
        if line.startswith("| 2,697 |") and f"| {tool} |" in line
    }
    assert len(rows) == 5, section
    num = r"\| \d+\.\d\d \| \d+\.\d\d \|"  # ours:peer time and RSS
    assert re.search(num + " load only", rows["partridge"])
    assert re.search(num + " load both only", rows["gtfs-kit"])
    assert (
        "rebuilt 2,697 of 2,697 rows; diff with the original: no change"
        in rows["gtfs-builder build"]
    )
    diff = rows["gtfs-builder diff"]
    assert "1 route removed, 1 stop renamed, 2 trips moved (2 shifted)" in diff
    assert "MISMATCH" not in diff
    (r,) = load_adopt(out.with_suffix(".json"))
    assert r.rows == 2697 and r.roundtrip_ok and not r.diff_problems()
    assert json.loads(out.with_suffix(".json").read_text())["validation"][0]["tool"] == "gtfs-guru"
    # the modified feed is cached: asked again, it is not rewritten
    src = next(cache.glob("*-x1.zip"))
    mod = modified_feed(src, cache, log=False)
    mtime = mod.path.stat().st_mtime_ns
    assert modified_feed(src, cache, log=False).path.stat().st_mtime_ns == mtime
