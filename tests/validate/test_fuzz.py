"""Fuzz: mutated bytes and cells of real feeds always give a report, never an exception.

Hypothesis mutates one file of a real feed from ../shared/feeds/ per example (byte flips,
inserted quotes / NULs / line ends / invalid UTF-8, truncation, odd cell values, dropped or
duplicated columns, a deleted file) and validates the result as a zip. Bounded to about a minute:
few examples, each on a small feed. The loader and every rule must survive: a caught exception
still shows up as a runtime_exception_* notice, which fails the test with its message.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtfs_builder.validate import validate
from gtfs_builder.validate.report import Report
from tests.validate.conftest import CASE_DATE, SHARED

FEEDS = ["valid_trimet_vermont_partridge.zip", "valid_caltrain_2017_partridge.zip"]
CRASH_CODES = ("runtime_exception_in_loader_error", "runtime_exception_in_validator_error")
SPECIAL_BYTES = [
    b"\x00",
    b'"',
    b"\r",
    b"\n",
    b"\r\n",
    b",",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xc3",
    b" ",
]
ODD_CELLS = [
    "",
    " ",
    '"',
    "-1",
    "0",
    "1e400",
    "NaN",
    "99999999999999999999",
    "25:99:99",
    "24:00:00",
    "20250230",
    "-0.0",
    "\u00e9\u00e8",
    "\ufffd",
    "a\nb",
    "#FFF",
    "http://",
    "x" * 5000,
]


def _load(name: str) -> dict[str, bytes]:
    path = SHARED / "feeds" / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


@pytest.fixture(scope="module")
def feeds() -> dict[str, dict[str, bytes]]:
    return {name: _load(name) for name in FEEDS}


def _mutate_bytes(data: bytes, draw: st.DrawFn) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(buf) - 1, 0)))
        if kind == "flip" and buf:
            buf[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            buf[pos:pos] = draw(st.sampled_from(SPECIAL_BYTES) | st.binary(max_size=8))
        elif kind == "delete":
            del buf[pos : pos + draw(st.integers(1, 50))]
        else:
            del buf[pos:]
    return bytes(buf)


def _mutate_cells(data: bytes, draw: st.DrawFn) -> bytes:
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not lines:
        return data
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["cell", "cell", "drop_column", "dup_column", "ragged"]))
        header = lines[0].split(",")
        col = draw(st.integers(0, len(header) - 1))
        if kind == "drop_column":
            lines = [",".join(c for j, c in enumerate(ln.split(",")) if j != col) for ln in lines]
        elif kind == "dup_column":
            lines[0] = lines[0] + "," + header[col]
        elif kind == "ragged" and len(lines) > 1:
            row = draw(st.integers(1, len(lines) - 1))
            lines[row] += draw(st.sampled_from([",", ",,x", ""]))
        elif len(lines) > 1:
            row = draw(st.integers(1, len(lines) - 1))
            cells = lines[row].split(",")
            if col < len(cells):
                value = draw(st.sampled_from(ODD_CELLS) | st.text(max_size=12))
                cells[col] = '"' + value.replace('"', '""') + '"' if "\n" in value else value
                lines[row] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")


@st.composite
def mutated_feed(draw: st.DrawFn, feeds: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    files = dict(feeds[draw(st.sampled_from(sorted(feeds)))])
    name = draw(st.sampled_from(sorted(files)))
    how = draw(st.sampled_from(["bytes", "cells", "cells", "delete"]))
    if how == "delete":
        del files[name]
    elif how == "bytes":
        files[name] = _mutate_bytes(files[name], draw)
    else:
        files[name] = _mutate_cells(files[name], draw)
    return files


def _zip(files: dict[str, bytes], path: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def test_mutated_real_feeds_always_give_a_report(
    feeds: dict[str, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        files = data.draw(mutated_feed(feeds))
        path = _zip(files, tmp_path_factory.mktemp("fuzz") / "feed.zip")
        report = validate(path, date=CASE_DATE, max_samples=5)
        assert isinstance(report, Report)
        json.dumps(report.to_dict(), default=str)
        assert len(report.summary_text().splitlines()) <= 30
        crashes = {c: report.notices.samples[c][:3] for c in CRASH_CODES if report.count(c)}
        assert not crashes, crashes

    check()


@pytest.mark.parametrize(
    "data",
    [b"", b"PK\x03\x04garbage", b"PK\x05\x06" + b"\x00" * 18, bytes(range(256)) * 4],
    ids=["empty", "truncated_zip", "empty_zip", "noise"],
)
def test_broken_archives_fail_cleanly(data: bytes, tmp_path: Path) -> None:
    from gtfs_builder.validate import InputError

    path = tmp_path / "feed.zip"
    path.write_bytes(data)
    try:
        report = validate(path, date=CASE_DATE)
    except InputError:
        return
    assert report.count("missing_required_file") >= 1


def test_archive_inflating_beyond_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtfs_builder.validate import csvio

    monkeypatch.setattr(csvio, "MAX_INFLATED_BYTES", 100_000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("stops.txt", b"stop_id\n" + b"0" * 1_000_000)
    report = validate(path, date=CASE_DATE)
    assert report.count("i_o_error") == 1
    assert report.notices.samples["i_o_error"][0]["exception"] == "ZipBomb"
