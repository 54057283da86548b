"""The compact load of the big files (issue 5): stop_times and shapes held as dictionary codes.

``Feed.table`` holds every text column of ``fieldtypes.COMPACT_FILES`` as a Categorical read
straight from the inflating archive; these tests pin the size per row and that the compact table
says exactly what the plain string reader says.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gtfs_builder.validate import csvio, fieldtypes
from gtfs_builder.validate.feed import Feed
from gtfs_builder.validate.notices import Notices

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
HEADER = (
    "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,shape_dist_traveled\n"
)


def _big_stop_times(trips: int = 4000, stops: int = 25) -> str:
    """A realistic stop_times.txt: ids and times repeat across rows, as in any real feed."""
    rng = np.random.default_rng(5)
    lines = [HEADER]
    for t in range(trips):
        start = int(rng.integers(60, 264)) * 300  # departures every 5 minutes, 05:00-22:00
        for s in range(stops):
            secs = start + 90 * s
            hms = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
            lines.append(f"trip_{t},{hms},{hms},stop_{(t * 7 + s) % 900},{s + 1},0,{s * 412.5}\n")
    return "".join(lines)


def _zip(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _bytes_per_row(frame: pd.DataFrame) -> float:
    """Deep size per row, counting an array shared by several columns once."""
    seen: set[int] = set()
    total = 0
    for name in frame.columns:
        col = frame[name]
        if fieldtypes.is_categorical(col):
            codes = col.array.codes
            key = codes.__array_interface__["data"][0]
            if key in seen:
                continue
            seen.add(key)
            total += codes.nbytes + int(col.cat.categories.memory_usage(deep=True))
        else:
            total += int(col.memory_usage(deep=True, index=False))
    return total / len(frame)


def test_stop_times_load_is_compact(tmp_path: Path) -> None:
    feed = Feed.open(_zip(tmp_path, {"stop_times.txt": _big_stop_times()}))
    st = feed.table("stop_times.txt")
    assert len(st) == 100_000
    for name in ("trip_id", "arrival_time", "stop_id", "stop_sequence", "timepoint"):
        assert fieldtypes.is_categorical(st[name]), name
    # the plain string table took ~140 bytes a row, and its typed columns 9 more each
    assert _bytes_per_row(st) < 28
    assert st["arrival_time"].array.codes.itemsize == 2  # < 32,767 distinct times
    # typed columns are spread from per-value results on each call, never cached per row
    arr = feed.typed("stop_times.txt", "arrival_time")
    assert arr.dtype == "Int64" and arr.notna().all()
    assert not any(k[0] == "stop_times.txt" for k in feed._typed)
    assert len(feed._by_value[("stop_times.txt", "arrival_time")]) < 10_000


def test_compact_table_reads_like_the_string_reader(tmp_path: Path) -> None:
    text = _big_stop_times(trips=300)
    feed = Feed.open(_zip(tmp_path, {"stop_times.txt": text}))
    st = feed.table("stop_times.txt")
    plain = csvio.read_table(feed.archive, "stop_times.txt", Notices()).frame
    assert list(plain.columns) == [c for c in st.columns if c in plain.columns]
    for name in plain.columns:
        want = plain[name].replace("", None) if name != "csv_row" else plain[name]
        got = st[name]
        assert got.isna().tolist() == want.isna().tolist(), name
        assert got.dropna().astype(str).tolist() == want.dropna().astype(str).tolist(), name
    seq = feed.typed("stop_times.txt", "stop_sequence")
    assert seq.tolist()[:3] == [1, 2, 3]
    # categories are sorted (sort_values agrees with strings) and hold "" (fillna("") works)
    cats = st["stop_id"].cat.categories.tolist()
    assert cats == sorted(cats) and "" in cats
    assert st["timepoint"].fillna("").eq("").all()


@pytest.mark.parametrize(
    ("text", "stop_ids", "arrivals", "codes"),
    [
        # a quoted value with edge spaces (kept, reported, trimmed), a quoted newline, CRLF
        (
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\r\n"
            't1,08:00:00,08:00:00," s1 ",1\r\nt1,08:05:00,08:05:00,"s\n2",2\r\n',
            ["s1"],
            [28800],
            {"leading_or_trailing_whitespaces": 1, "new_line_in_value": 1},
        ),
        # a blank line, an unquoted padded value (trimmed silently) and a row of the wrong length
        (
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "t1,08:00:00,08:00:00, s1 ,1\n\nt1,08:05:00,08:05:00,s2,2,9\n"
            "t1,8:10:00,08:10:00,s3,3\n",
            ["s1", "s3"],
            [28800, 29400],
            {"invalid_row_length": 1},
        ),
        ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n", [], [], {}),
    ],
)
def test_careful_readers_give_the_same_compact_table(
    tmp_path: Path, text: str, stop_ids: list[str], arrivals: list[int], codes: dict[str, int]
) -> None:
    """Files the streaming reader refuses go through the byte readers and end up alike."""
    path = tmp_path / "feed"
    path.mkdir()
    (path / "stop_times.txt").write_bytes(text.encode())
    notices = Notices()
    feed = Feed.open(path, notices)
    st = feed.table("stop_times.txt")
    assert st["stop_id"].tolist() == stop_ids
    assert feed.typed("stop_times.txt", "arrival_time").tolist() == arrivals
    for code, count in codes.items():
        assert notices.count(code) == count, code
    if len(st):
        assert fieldtypes.is_categorical(st["stop_id"])
        assert "" in st["stop_id"].cat.categories
        assert feed.typed("stop_times.txt", "arrival_time").dtype == "Int64"


def _values(col: pd.Series) -> list[str | None]:
    return [None if v is None or v == "" else v for v in col.to_numpy(dtype=object, na_value=None)]


def test_stream_reader_counts_like_the_byte_reader(tmp_path: Path) -> None:
    """Row numbers and verdicts of the streaming reader on real feeds equal the byte reader's."""
    feeds = sorted(FEEDS.glob("*.zip"))
    if not feeds:
        pytest.skip(f"no feeds in {FEEDS}")
    for path in feeds:
        archive = csvio.open_archive(path, Notices())
        for name in ("stop_times.txt", "shapes.txt", "trips.txt"):
            if name not in archive.entries:
                continue
            streamed = csvio.read_table(archive, name, Notices(), compact=True)
            plain = csvio.read_table(archive, name, Notices())
            assert streamed.status == plain.status and streamed.header == plain.header
            a, b = streamed.frame, plain.frame
            assert a["csv_row"].tolist() == b["csv_row"].tolist(), (path.name, name)
            for col in b.columns:
                if col != "csv_row":
                    assert _values(a[col]) == _values(b[col]), (path.name, name, col)
        archive.close()


def test_checks_per_distinct_value_report_every_row(tmp_path: Path) -> None:
    """A value checked once still draws one notice per row holding it; trimmed values merge."""
    text = (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\n"
        't1,08:00:00,08:00:00," s1 ",1,0\n'
        "t1,08:61:00,08:61:00,s1,2,0\n"
        "t1,09:00:00,09:00:00,s2,3,7\n"
        "t2,08:61:00,08:61:00,s2,1,0\n"
        "t2,09:00:00,08:59:00,s1,2,0\n"
    )
    notices = Notices()
    feed = Feed.open(_zip(tmp_path, {"stop_times.txt": text}), notices)
    st = feed.table("stop_times.txt")
    assert notices.count("invalid_time") == 4  # two rows, two fields each
    assert notices.count("leading_or_trailing_whitespaces") == 1
    assert notices.count("unexpected_enum_value") == 1
    assert notices.count("start_and_end_range_out_of_order") == 1
    assert st["csv_row"].tolist() == [2, 4, 6]  # rows 3 and 5 dropped
    assert st["stop_id"].tolist() == ["s1", "s2", "s1"]
    assert st["stop_id"].cat.categories.tolist() == ["", "s1", "s2"]  # " s1 " merged into s1
    codes, per_code = feed.typed_codes("stop_times.txt", "pickup_type")
    assert per_code.array.take(codes, allow_fill=True).tolist() == [0, 7, 0]
    assert feed.typed("stop_times.txt", "departure_time").tolist() == [28800, 32400, 32340]


def test_other_files_keep_plain_strings(tmp_path: Path) -> None:
    """Files outside COMPACT_FILES read through the same stream come back as plain ``str``
    columns; a column the spec does not know keeps its raw text ("" when empty)."""
    text = "route_id,service_id,trip_id,foo\nr1,s1,t1,x\nr1,s1,t2,\n"
    table = Feed.open(_zip(tmp_path, {"trips.txt": text})).table("trips.txt")
    assert table["trip_id"].dtype == "str" and table["trip_id"].tolist() == ["t1", "t2"]
    assert table["foo"].dtype == "str" and table["foo"].tolist() == ["x", ""]
    assert table["shape_id"].isna().all()


def test_stream_counts_line_ends_across_blocks() -> None:
    """A CRLF split between two blocks is still one CRLF; a lone CR is seen."""
    import io

    for data, lone_cr in ((b"a,b\r\nc,d\r\n", False), (b"a,b\rc,d\r\n", True), (b"a\r", True)):
        stream = csvio._Stream(io.BytesIO(data[1:]), data[:1])
        while stream.read(1):
            pass
        assert (stream.crs != stream.crlfs) is lone_cr, data
        assert stream.lines() == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
