"""The real network: golden tables, the worked values of network-facts.md §3, determinism,
the canonical rules (gtfs-guru) and two independent loaders (gtfs-kit, partridge)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from gtfs_builder.publish import build_feed

from .helpers import PRIMORYE

GOLDEN = Path(__file__).parent / "golden" / "primorye"


def _rows(zip_path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(zip_path) as zf:
        return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))


def test_golden_tables(primorye_zip: Path, update_golden: bool) -> None:
    with zipfile.ZipFile(primorye_zip) as zf:
        built = {n: zf.read(n) for n in zf.namelist()}
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.glob("*.txt"):
            old.unlink()
        for name, data in built.items():
            (GOLDEN / name).write_bytes(data)
    expected = {p.name: p.read_bytes() for p in sorted(GOLDEN.glob("*.txt"))}
    assert sorted(built) == sorted(expected), "set of files differs (UPDATE_GOLDEN=1 to accept)"
    for name, data in expected.items():
        assert built[name].decode() == data.decode(), f"{name} differs (UPDATE_GOLDEN=1 to accept)"


@pytest.mark.parametrize(
    ("train", "first", "last"),
    [
        # network-facts.md §3, "Worked GTFS values" (agency zone Asia/Vladivostok)
        ("401", ("RU_GRD", "17:43:00"), ("CN_SFH", "19:14:00")),
        ("402", ("CN_SFH", "12:00:00"), ("RU_GRD", "13:30:00")),
        ("646", ("RU_KHS", "15:30:00"), ("KP_TMG", "15:47:00")),
        ("645", ("KP_TMG", "13:00:00"), ("RU_KHS", "13:17:00")),
    ],
)
def test_worked_values(primorye_zip: Path, train: str, first: tuple, last: tuple) -> None:
    trips = {t["trip_short_name"]: t["trip_id"] for t in _rows(primorye_zip, "trips.txt")}
    st = [r for r in _rows(primorye_zip, "stop_times.txt") if r["trip_id"] == trips[train]]
    st.sort(key=lambda r: int(r["stop_sequence"]))
    assert (st[0]["stop_id"], st[0]["departure_time"]) == first
    assert (st[-1]["stop_id"], st[-1]["arrival_time"]) == last


def test_stop_timezones_and_loader_demands(primorye_zip: Path) -> None:
    zones = {s["stop_id"]: s["stop_timezone"] for s in _rows(primorye_zip, "stops.txt")}
    assert zones == {
        "RU_KHS": "Asia/Vladivostok",
        "RU_GRD": "Asia/Vladivostok",
        "KP_TMG": "Asia/Pyongyang",
        "CN_SFH": "Asia/Shanghai",
    }
    assert {a["agency_timezone"] for a in _rows(primorye_zip, "agency.txt")} == {"Asia/Vladivostok"}
    assert all(a["agency_id"] for a in _rows(primorye_zip, "agency.txt"))
    assert all(
        r["agency_id"] and "route_short_name" in r for r in _rows(primorye_zip, "routes.txt")
    )
    assert all(t["shape_id"] for t in _rows(primorye_zip, "trips.txt"))
    (info,) = _rows(primorye_zip, "feed_info.txt")
    assert info["feed_lang"] == info["feed_lang"].lower()
    timepoints = {(r["stop_id"], r["timepoint"]) for r in _rows(primorye_zip, "stop_times.txt")}
    assert ("KP_TMG", "0") in timepoints  # 646's arrival is derived from the 17 min, not published


def test_two_builds_identical_bytes(primorye_zip: Path, tmp_path: Path) -> None:
    again = build_feed(PRIMORYE, tmp_path / "again.zip")
    assert again.read_bytes() == primorye_zip.read_bytes()


def test_zip_is_deterministic_in_form(primorye_zip: Path) -> None:
    with zipfile.ZipFile(primorye_zip) as zf:
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            data = zf.read(info)
            assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
            assert data.endswith(b"\n")


@pytest.mark.parametrize("date", ["2024-12-16", "2026-11-24"])
def test_gtfs_guru_finds_no_error_or_warning(primorye_zip: Path, date: str) -> None:
    gtfs_guru = pytest.importorskip("gtfs_guru")
    notices = json.loads(gtfs_guru.validate(str(primorye_zip), date=date).to_json())["notices"]
    bad = [(n["code"], n["severity"]) for n in notices if n["severity"] in ("ERROR", "WARNING")]
    assert bad == []


def _running(trip_ids: list[str], trips: list[dict[str, str]]) -> set[str]:
    names = {t["trip_id"]: t["trip_short_name"] for t in trips}
    return {names[t] for t in trip_ids}


def test_gtfs_kit_services_by_day(primorye_zip: Path) -> None:
    import gtfs_kit as gk

    feed = gk.read_feed(primorye_zip, dist_units="km")
    trips = _rows(primorye_zip, "trips.txt")
    monday = feed.get_trips("20241216")["trip_id"].tolist()
    tuesday = feed.get_trips("20241217")["trip_id"].tolist()
    assert _running(monday, trips) == {"645", "646", "401", "402"}
    assert _running(tuesday, trips) == {"401", "402"}


def test_partridge_services_by_day(primorye_zip: Path) -> None:
    import datetime as dt

    ptg = pytest.importorskip("partridge")
    by_date = ptg.read_service_ids_by_date(str(primorye_zip))
    trips = _rows(primorye_zip, "trips.txt")
    for day, expected in (
        (dt.date(2024, 12, 16), {"645", "646", "401", "402"}),
        (dt.date(2024, 12, 17), {"401", "402"}),
    ):
        feed = ptg.load_feed(str(primorye_zip), view={"trips.txt": {"service_id": by_date[day]}})
        assert _running(feed.trips["trip_id"].tolist(), trips) == expected
