"""Invariants of the lean loader (issue 5): parse once, share what is empty, Arrow-chunk safe."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from gtfs_builder.validate import feed as feed_module
from gtfs_builder.validate import fieldtypes
from gtfs_builder.validate.feed import Feed
from gtfs_builder.validate.rules.keys import _distinct, _isin, _key_codes

STOP_TIMES = (
    "trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\n"
    "t1,08:00:00,08:00:00,s1,1,0\n"
    "t1,8:05:00,08:06:00,s2,+2,1.5\n"
    "t1,25:10:00,25:10:00,s3,3,\n"
)


def _feed(tmp_path: Path) -> Feed:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stop_times.txt", STOP_TIMES)
    return Feed.open(path)


def test_typed_columns_come_from_the_load(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    feed.table("stop_times.txt")
    # the syntax check parsed these (once per distinct value): Feed.typed must not parse again
    for field in ("arrival_time", "departure_time", "stop_sequence", "shape_dist_traveled"):
        assert ("stop_times.txt", field) in feed._by_value
    assert feed.typed("stop_times.txt", "arrival_time").tolist() == [28800, 29100, 90600]
    assert feed.typed("stop_times.txt", "stop_sequence").dtype == "Int64"
    assert feed.typed("stop_times.txt", "stop_sequence").tolist() == [1, 2, 3]
    dist = feed.typed("stop_times.txt", "shape_dist_traveled")
    assert dist.dtype == "Float64" and dist.isna().tolist() == [False, False, True]


def test_absent_columns_share_one_null_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_module, "LOAD_MEMO", None)  # the case harness memo copies frames
    table = _feed(tmp_path).table("stop_times.txt")
    a, b = table["pickup_type"], table["timepoint"]
    assert a.isna().all() and b.isna().all()
    # stop_times is compact: one byte of codes a row, shared by every absent column
    assert a.array.codes.itemsize == 1
    assert a.array.codes.ctypes.data == b.array.codes.ctypes.data
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stops.txt", "stop_id,stop_name\ns1,One\n")
    stops = Feed.open(path).table("stops.txt")
    a, b = stops["stop_code"], stops["stop_desc"]
    assert a.dtype == "str" and a.isna().all() and b.isna().all()
    bufs = [s.array._pa_array.chunks[0].buffers()[1] for s in (a, b)]
    assert bufs[0].address == bufs[1].address


def test_parsers_on_chunked_arrays_and_edge_values() -> None:
    values = pd.Series(
        pa.chunked_array([pa.array(["+5", "007", None]), pa.array(["99999999999", "1e3", "٣"])]),
        dtype="str",
    )
    assert fieldtypes.parse_integer(values).tolist() == [5, 7, pd.NA, pd.NA, pd.NA, pd.NA]
    # Python's \\d (pandas str.match) accepts any Unicode digit: valid syntax, no number
    assert fieldtypes.valid_integer(values).tolist() == [True, True, False, False, False, True]
    assert fieldtypes.parse_float(values).tolist()[:5] == [5.0, 7.0, pd.NA, 99999999999.0, 1000.0]
    times = pd.Series(["5:00:00", "123:59:59", "24:60:00", None], dtype="str")
    assert fieldtypes.parse_time(times).tolist() == [18000, 446399, pd.NA, pd.NA]


def test_key_codes_read_na_as_empty() -> None:
    table = pd.DataFrame(
        {
            "a": pd.Series(
                pa.chunked_array([pa.array(["x", "y", None]), pa.array(["y", "x", ""])]),
                dtype="str",
            ),
            "b": pd.Series(["1", "1", "2", "1", "2", "2"], dtype="str"),
        }
    )
    codes = _key_codes(table, ["a", "b"])
    assert codes[1] == codes[3] and codes[2] == codes[5]
    assert len(set(codes.tolist())) == 4


def test_key_helpers_on_chunked_and_categorical_columns() -> None:
    chunks = pa.chunked_array([pa.array(["a", None]), pa.array(["b", "a"])])
    chunked = pd.Series(chunks, dtype="str")
    known = _distinct(chunked)
    assert isinstance(known, pa.Array) and sorted(known.to_pylist()) == ["a", "b"]
    cat = pd.Series(["a", None, "c", "b"], dtype="category")
    assert _isin(cat, known).tolist() == [True, False, False, True]
    assert _isin(chunked, known).tolist() == [True, False, True, True]
