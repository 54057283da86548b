"""The source-format keys added for imported feeds also work in a hand-written (non-literal)
source: ``extra`` columns, stop ``parent``/``location_type``, ``untimed`` stops, per-trip
``ids``, plain-time ``times`` entries, the ``shapes`` section and kept ``files/``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gtfs_builder.publish import build_feed
from gtfs_builder.source import SourceErrors

SOURCE = """
feed: {publisher_name: Test, publisher_url: "https://t.test", lang: en}
agencies:
  - {id: A, name: Bus, url: "https://t.test", timezone: Europe/Paris, extra: {agency_x: "1"}}
stops:
  - {id: STA, name: Gare, lat: 48.1, lon: 2.1, location_type: 1}
  - {id: P1, name: Quai, lat: 48.1, lon: 2.1, parent: STA, platform_code: "1",
     extra: {zone_id: Z1}}
  - {id: B, name: Mairie, lat: 48.2, lon: 2.2}
  - {id: C, name: Eglise, lat: 48.3, lon: 2.3}
services:
  - {id: S, days: daily, start_date: 2025-06-01, end_date: 2025-06-30}
shapes:
  - {id: SH, points: [[48.1, 2.1], [48.25, 2.15], [48.3, 2.3]]}
routes:
  - id: R
    agency: A
    type: bus
    extra: {network_id: N}
    patterns:
      - id: P
        shape: {id: SH}
        stops:
          - {stop: P1}
          - {stop: B, run: 0, untimed: true, extra: {continuous_pickup: "1"}}
          - {stop: C, run: 10}
        trips:
          - {service: S, departures: ["06:00", "07:00"], ids: [first, ~],
             extra: {trip_x: y}}
          - {service: S, id: own, times: ["08:00", ~, {arrival: "08:12", departure: "08:13"}]}
"""


def _build(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> dict[str, str]:
    src = tmp_path / "net"
    src.mkdir(parents=True)
    (src / "net.yaml").write_text(text)
    for name, body in (files or {}).items():
        (src / "files").mkdir(exist_ok=True)
        (src / "files" / name).write_text(body)
    out = build_feed(src, tmp_path / "net.zip")
    with zipfile.ZipFile(out) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()}


def test_new_keys_in_a_hand_written_source(tmp_path: Path) -> None:
    feed = _build(tmp_path, SOURCE, {"levels.txt": "level_id,level_index\nL0,0\n"})
    assert feed["levels.txt"] == "level_id,level_index\nL0,0\n"
    assert "agency_x" in feed["agency.txt"] and "network_id" in feed["routes.txt"]
    stops = feed["stops.txt"].splitlines()
    assert "zone_id" in stops[0] and any(r.startswith("P1,") and ",STA," in r for r in stops)
    trips = feed["trips.txt"]
    assert "first," in trips and "P_S_070000" in trips and ",own," in trips
    assert "trip_x" in trips.splitlines()[0]
    st = feed["stop_times.txt"].splitlines()
    row = next(r for r in st if r.startswith("first,") and ",B," in r)
    assert row.startswith("first,,,B,")  # no times at the untimed stop
    assert row.split(",")[st[0].split(",").index("continuous_pickup")] == "1"  # extra column
    assert "own,08:12:00,08:13:00,C" in feed["stop_times.txt"]
    assert "own,08:00:00,08:00:00,P1" in feed["stop_times.txt"]
    assert feed["shapes.txt"].count("SH,") == 3  # the named shape's points, not the stops'


def test_ids_list_must_match_departures(tmp_path: Path) -> None:
    bad = SOURCE.replace("ids: [first, ~]", "ids: [first]")
    with pytest.raises(SourceErrors, match=r"'ids' has 1 entries \(expected one per entry"):
        _build(tmp_path, bad)


def test_unknown_parent_and_duplicate_kept_file(tmp_path: Path) -> None:
    with pytest.raises(SourceErrors, match="unknown parent station 'STX'"):
        _build(tmp_path, SOURCE.replace("parent: STA", "parent: STX"))
    with pytest.raises(SourceErrors, match=r"'stops\.txt' is also made from the source"):
        _build(tmp_path / "2", SOURCE, {"stops.txt": "stop_id\nX\n"})
