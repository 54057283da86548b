"""The memory-bounded rule paths give exactly the notices of one pass over the whole feed.

Per-trip stop_times checks run over blocks of sorted rows (``stop_times.BLOCK_ROWS``) so that
their temporaries stay bounded on national feeds; shape matching works once per distinct
pattern. These tests force tiny blocks on a real feed, mutated so that every checked notice
fires many times, and compare every notice (all samples, in order) with a single-block run.
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gtfs_builder.validate import Feed
from gtfs_builder.validate.notices import Notices
from gtfs_builder.validate.rules import shapes as shape_rules
from gtfs_builder.validate.rules import stop_times as st_rules
from gtfs_builder.validate.rules import stops as stop_rules
from gtfs_builder.validate.rules import trips as trip_rules

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SEATTLE = SHARED / "feeds" / "valid_seattle_area_partridge.zip"

RULES = [
    st_rules.check_timepoints,
    shape_rules.check_shape_distance,
    st_rules.check_stop_time_times,
    st_rules.check_stop_time_distance,
    st_rules.check_stop_times_sorted,
    st_rules.check_travel_speed,
    shape_rules.check_trip_shape_distance,
    shape_rules.check_stops_match_shape,
    trip_rules.check_headsign,
    trip_rules.check_block_overlap,
    stop_rules.check_stop_usage,
]


@pytest.fixture(scope="module")
def mutated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seattle with blanked and swapped times, shuffled rows, bad distances and unknown stops."""
    rng = np.random.default_rng(5)
    out = tmp_path_factory.mktemp("mutated") / "feed"
    out.mkdir()
    with zipfile.ZipFile(SEATTLE) as z:
        for name in z.namelist():
            (out / name).write_bytes(z.read(name))
    st = pd.read_csv(out / "stop_times.txt", dtype=str, keep_default_na=False)
    n = len(st)
    blank = rng.random(n) < 0.01
    st.loc[blank, "arrival_time"] = ""
    blank = rng.random(n) < 0.005
    st.loc[blank, "departure_time"] = ""
    early = rng.random(n) < 0.01
    st.loc[early, "arrival_time"] = "00:01:00"
    late = rng.random(n) < 0.003
    st.loc[late, "departure_time"] = "27:59:00"
    dist = rng.random(n) < 0.01
    st.loc[dist, "shape_dist_traveled"] = "5.0"
    far = rng.random(n) < 0.002
    st.loc[far, "stop_id"] = st["stop_id"].iloc[rng.integers(0, n, far.sum())].to_numpy()
    st["timepoint"] = rng.choice(["", "0", "1"], n, p=[0.1, 0.45, 0.45])
    unknown = rng.random(n) < 0.0005
    st.loc[unknown, "stop_id"] = "no_such_stop"
    # shapes: some distances repeat or go back, some points repeat
    sh = pd.read_csv(out / "shapes.txt", dtype=str, keep_default_na=False)
    m = len(sh)
    back = rng.random(m) < 0.003
    sh.loc[back, "shape_dist_traveled"] = "1.0"
    prev = np.flatnonzero(rng.random(m) < 0.003)
    prev = prev[prev > 0]
    sh.loc[prev, "shape_dist_traveled"] = sh["shape_dist_traveled"].iloc[prev - 1].to_numpy()
    dup = prev[: len(prev) // 2]
    for col in ("shape_pt_lat", "shape_pt_lon"):
        sh.loc[dup, col] = sh[col].iloc[dup - 1].to_numpy()
    sh.to_csv(out / "shapes.txt", index=False)
    # some headsigns name an intermediate stop of their trip
    trips = pd.read_csv(out / "trips.txt", dtype=str, keep_default_na=False)
    stops = pd.read_csv(out / "stops.txt", dtype=str, keep_default_na=False)
    names = stops.set_index("stop_id")["stop_name"]
    third = st.groupby("trip_id", sort=False)["stop_id"].nth(2)
    third = pd.Series(third.map(names).to_numpy(), index=st.loc[third.index, "trip_id"])
    pick = (rng.random(len(trips)) < 0.05) & trips["trip_id"].isin(third.index)
    trips.loc[pick, "trip_headsign"] = third.reindex(trips.loc[pick, "trip_id"]).to_numpy()
    trips.to_csv(out / "trips.txt", index=False)
    # move a few rows to the end of the file: those trips are unsorted, trip_order must sort
    moved = rng.random(n) < 0.002
    st = pd.concat([st[~moved], st[moved]])
    st.to_csv(out / "stop_times.txt", index=False)
    return out


def _run(path: Path, rule: Any, block: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(st_rules, "BLOCK_ROWS", block)
    monkeypatch.setattr(
        st_rules, "max_speed_kph", lambda rt: pd.Series(30.0, index=rt.index, dtype="Float64")
    )
    notices = Notices(max_samples=0)
    rule(Feed.open(path, Notices()), notices)
    return {code: notices.samples[code] for code in sorted(notices.codes())}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_blocks_give_one_pass_notices(
    rule: Any, mutated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _run(mutated, rule, 1 << 30, monkeypatch)
    blocks = _run(mutated, rule, 97, monkeypatch)
    assert blocks == whole
    if rule in (
        st_rules.check_timepoints,
        st_rules.check_stop_time_times,
        st_rules.check_stop_time_distance,
        st_rules.check_stop_times_sorted,
        st_rules.check_travel_speed,
        trip_rules.check_headsign,
        shape_rules.check_shape_distance,
    ):
        assert sum(len(v) for v in whole.values()) > 20, "the mutation must fire this rule"


@pytest.mark.parametrize("source", ["real", "mutated"])
def test_trip_order_matches_lexsort(source: str, mutated: Path) -> None:
    """The no-sort fast path and the int32 arrays give the stable (trip, sequence) order."""
    feed = Feed.open(SEATTLE if source == "real" else mutated, Notices())
    order, tcode = st_rules.trip_order(feed)
    assert order.dtype == np.int32 and tcode.dtype == np.int32
    st = feed.table("stop_times.txt")
    codes, _ = pd.factorize(st["trip_id"])
    seq = pd.to_numeric(st["stop_sequence"]).to_numpy(dtype=float)
    want = np.lexsort((seq, codes))
    assert np.array_equal(order, want)
    assert np.array_equal(tcode, codes[want])
    assert st_rules.trip_order(feed)[0] is order  # cached: computed once per feed


def test_trip_blocks_cover_rows_without_splitting_trips() -> None:
    tcode = np.repeat(np.arange(50, dtype=np.int32), np.arange(50) % 7 + 1)
    for size in (1, 3, 10, 1000):
        blocks = st_rules.trip_blocks(tcode, size)
        assert blocks[0][0] == 0 and blocks[-1][1] == len(tcode)
        for (_, hi), (lo, _) in itertools.pairwise(blocks):
            assert hi == lo and tcode[lo - 1] != tcode[lo]


def test_stop_positions_are_compact(mutated: Path) -> None:
    feed = Feed.open(mutated, Notices())
    pos = st_rules.stop_positions(feed)
    assert pos.dtype == np.int32 and len(pos) == len(feed.table("stop_times.txt"))
    ids = feed.table("stops.txt")["stop_id"].to_numpy(dtype=object)
    st_ids = feed.table("stop_times.txt")["stop_id"].to_numpy(dtype=object)
    known = pos >= 0
    assert (ids[pos[known]] == st_ids[known]).all()
    assert set(st_ids[~known]) == {"no_such_stop"}


def test_shared_geometry_gives_per_trip_notices(
    mutated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies of a feed (other ids, same geometry): matching once per geometry reports
    exactly what matching every pattern reports, with each copy's own ids and rows."""
    from bench.scale import scale_feed

    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w") as z:
        for f in mutated.iterdir():
            z.write(f, f.name)
    doubled = tmp_path / "doubled.zip"
    scale_feed(src, 2, doubled)
    rule = shape_rules.check_stops_match_shape
    shared = _run(doubled, rule, 1 << 30, monkeypatch)
    monkeypatch.setattr(shape_rules, "SHARE_GEOMETRY", False)
    alone = _run(doubled, rule, 1 << 30, monkeypatch)
    assert shared == alone
    assert sum(len(v) for v in shared.values()) > 100
