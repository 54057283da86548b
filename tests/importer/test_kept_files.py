"""Every file of a feed the source format does not model comes back byte for byte: GTFS-Flex
``locations.geojson``, a producer's README and logo, a ``.txt`` that is no table, a table with a
BOM and CRLF; the round-trip comparison notices a missing or changed one; the writer and the
source's ``files/`` folder take raw bytes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from gtfs_builder.importer import import_feed
from gtfs_builder.importer.compare import compare_feeds
from gtfs_builder.publish import build_feed
from gtfs_builder.source import SourceErrors, load_source
from gtfs_builder.validate import validate
from gtfs_builder.validate.notices import Severity
from gtfs_builder.write import write_feed
from tests.importer.test_import import BASE, abcd, make_feed, trips_and_times

LOCATIONS = {
    "type": "FeatureCollection",
    "features": [
        {
            "id": "zone1",
            "type": "Feature",
            "properties": {"stop_name": "Zone"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[2.1, 48.1], [2.2, 48.1], [2.2, 48.2], [2.1, 48.1]]],
            },
        }
    ],
}
RAW = {
    "locations.geojson": json.dumps(LOCATIONS, indent=1).encode(),
    "README.md": "# Test Bus\r\n\r\nThe feed of *Test Bus* — été 2025.\r\n".encode(),
    "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\xff\xfe\x00",
    "LICENSE.txt": b'Licence "ouverte, v2\nno table "" here\xe9\n',  # not UTF-8, not CSV
    "attributions.txt": "\ufeffattribution_id,organization_name,is_producer\r\nA1,Test,1\r\n"
    .encode(),  # a table with a BOM and CRLF: kept as it is, not rewritten
}
UNKNOWN = {"README.md", "logo.png", "LICENSE.txt"}  # locations.geojson is a GTFS file


def _feed(path: Path) -> Path:
    files = {**BASE, **trips_and_times([("T6", abcd(6)), ("T7", abcd(7))])}
    make_feed(path, files)
    with zipfile.ZipFile(path, "a") as zf:
        for name, data in RAW.items():
            zf.writestr(name, data)
        zf.writestr("docs/manual.pdf", b"%PDF-1.4")  # a folder: no GTFS file, reported
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_every_file_comes_back_byte_for_byte(tmp_path: Path) -> None:
    feed = _feed(tmp_path / "feed.zip")
    result = import_feed(feed, tmp_path / "src")
    assert set(RAW) <= set(result.files_kept)
    assert result.not_kept == ["docs/manual.pdf: in a subfolder (not part of a GTFS feed)"]
    for name, data in RAW.items():
        assert (tmp_path / "src" / "files" / name).read_bytes() == data, name
    rebuilt = build_feed(result.output, tmp_path / "out.zip")
    members = _members(rebuilt)
    for name, data in RAW.items():
        assert members[name] == data, name
    names = list(members)
    assert names.index("attributions.txt") < names.index("LICENSE.txt")  # spec order, then name
    assert names[-4:] == sorted(names[-4:])
    diff = compare_feeds(feed, rebuilt)
    assert not diff.lost, diff.summary()
    assert not diff.added_files and not diff.changed_files
    # what the kept files add to the validation of our build: one unknown_file INFO for each
    # file GTFS does not know, nothing for locations.geojson, nothing else
    after = validate(rebuilt, date="2025-06-01")
    for name in RAW:
        (result.output / "files" / name).unlink()
    bare = validate(build_feed(result.output, tmp_path / "bare.zip"), date="2025-06-01")
    assert after.severity("unknown_file") is Severity.INFO
    assert after.count("unknown_file") - bare.count("unknown_file") == len(UNKNOWN)
    assert after.codes() == bare.codes()
    assert all(after.count(c) == bare.count(c) for c in after.codes() - {"unknown_file"})
    assert not [c for c in after.codes() if after.severity(c) >= Severity.ERROR]


def test_a_missing_or_changed_raw_file_is_a_loss(tmp_path: Path) -> None:
    feed = _feed(tmp_path / "feed.zip")
    members = _members(feed)
    without = dict(members)
    del without["logo.png"]
    changed = dict(members, **{"locations.geojson": members["locations.geojson"] + b" "})
    for name, files, attr in (("a", without, "missing_files"), ("b", changed, "changed_files")):
        other = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(other, "w") as zf:
            for n, data in files.items():
                zf.writestr(n, data)
        diff = compare_feeds(feed, other)
        assert diff.lost, attr
        assert getattr(diff, attr) == (["logo.png"] if name == "a" else ["locations.geojson"])
        assert ("not the same bytes" in diff.summary()) == (name == "b")
    added = compare_feeds(tmp_path / "a.zip", feed)
    assert added.added_files == ["logo.png"] and not added.lost


def test_writer_takes_raw_members(tmp_path: Path) -> None:
    tables = {
        "stops.txt": pd.DataFrame({"stop_id": ["S"], "stop_name": ["x"]}),
        "frequencies.txt": pd.DataFrame(),  # empty: a raw member may take its name
    }
    raw = {"frequencies.txt": b"trip_id\r\n", "a.bin": b"\x00\xff"}
    one = write_feed(tables, tmp_path / "1.zip", raw=raw)
    two = write_feed(tables, tmp_path / "2.zip", raw=dict(reversed(raw.items())))
    assert one.read_bytes() == two.read_bytes()
    assert _members(one) == {"stops.txt": b"stop_id,stop_name\nS,x\n", **raw}
    assert list(_members(one)) == ["stops.txt", "frequencies.txt", "a.bin"]
    with zipfile.ZipFile(one) as zf:
        info = zf.getinfo("a.bin")
    assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.external_attr == 0o100644 << 16
    assert write_feed(tables, tmp_path / "3.zip").read_bytes() == write_feed(
        tables, tmp_path / "4.zip", raw={}
    ).read_bytes()
    with pytest.raises(ValueError, match=r"stops\.txt: given both as a table and as raw"):
        write_feed(tables, tmp_path / "x.zip", raw={"stops.txt": b"stop_id\n"})
    with pytest.raises(ValueError, match="expected a plain file name"):
        write_feed(tables, tmp_path / "x.zip", raw={"sub/a.txt": b""})


SOURCE = """
feed: {publisher_name: Test, publisher_url: "https://t.test", lang: en}
agencies: [{id: A, name: Bus, url: "https://t.test", timezone: Europe/Paris}]
stops:
  - {id: S1, name: Un, lat: 48.1, lon: 2.1}
  - {id: S2, name: Deux, lat: 48.2, lon: 2.2}
services: [{id: S, days: daily, start_date: 2025-06-01, end_date: 2025-06-30}]
routes:
  - id: R
    agency: A
    type: bus
    patterns:
      - id: P
        stops: [{stop: S1}, {stop: S2, run: 10}]
        trips: [{service: S, departures: ["06:00"]}]
"""


def _source(tmp_path: Path, files: dict[str, bytes]) -> Path:
    src = tmp_path / "net"
    (src / "files").mkdir(parents=True)
    (src / "net.yaml").write_text(SOURCE)
    for name, data in files.items():
        (src / "files" / name).write_bytes(data)
    return src


def test_source_files_folder(tmp_path: Path) -> None:
    """files/ is copied byte for byte (hidden files left out); it counts in the feed version;
    a folder in it, or a file the source also makes (whatever its case), is a located error."""
    kept = {"levels.txt": b"level_id,level_index\r\nL0,0\r\n", "notes.md": b"hi\n"}
    src = _source(tmp_path, {**kept, ".gitkeep": b"", ".DS_Store": b"\x00"})
    members = _members(build_feed(src, tmp_path / "a.zip"))
    assert {n: members[n] for n in kept} == kept and ".gitkeep" not in members
    first = load_source(src).digest
    (src / "files" / "notes.md").write_bytes(b"hi!\n")
    assert load_source(src).digest != first
    (src / "files" / "sub").mkdir()
    with pytest.raises(SourceErrors, match=r"files/sub: is a folder"):
        build_feed(src, tmp_path / "b.zip")
    (src / "files" / "sub").rmdir()
    (src / "files" / "Stops.txt").write_bytes(b"stop_id\nX\n")
    with pytest.raises(SourceErrors, match=r"'Stops\.txt' is also made from the source"):
        build_feed(src, tmp_path / "c.zip")
    assert load_source(src).name  # the source itself is fine: only the build refuses
