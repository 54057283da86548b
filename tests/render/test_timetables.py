"""Timetable pages in a real browser: local times per stop zone, service-day groups, languages,
and any real feed (Caltrain, TriMet) rendering one page per route and direction."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from gtfs_builder.render import render_site
from gtfs_builder.render.timetables import (
    _offset_changes,
    days_label,
    local_time,
    merge_stop_orders,
    slug,
    utc_offset,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
CALTRAIN = SHARED / "valid_caltrain_2017_partridge.zip"
TRIMET = SHARED / "valid_trimet_vermont_partridge.zip"


def _cell(page: Any, stop: str, trip: str) -> Any:
    return page.locator(f'tr[data-stop="{stop}"] td[data-trip="{trip}"]')


def _zone(page: Any, stop: str) -> str:
    return page.locator(f'tr[data-stop="{stop}"] td.zonecol').inner_text()


def test_train_646_in_each_stop_zone(page: Any, primorye_site: Path, screenshot: Any) -> None:
    page.goto((primorye_site / "timetables" / "KHS-TMG-0.html").as_uri())
    page.select_option("#lang-switch", "en")
    trip = "KHS-TMG-646_646"
    assert page.locator(f'th.trip[data-trip="{trip}"]').inner_text() == "646"
    assert _cell(page, "RU_KHS", trip).inner_text() == "15:30"
    assert "Vladivostok" in _zone(page, "RU_KHS") and "UTC+10" in _zone(page, "RU_KHS")
    # stop_times say 15:47 (agency zone, Asia/Vladivostok): Tumangang keeps Pyongyang time
    assert _cell(page, "KP_TMG", trip).inner_text() == "14:47"
    assert "Pyongyang" in _zone(page, "KP_TMG") and "UTC+9" in _zone(page, "KP_TMG")
    assert _cell(page, "KP_TMG", trip).get_attribute("data-local") == "2024-12-16T14:47:00+09:00"
    assert "14:47 Asia/Pyongyang (UTC+9)" in _cell(page, "KP_TMG", trip).get_attribute("title")
    assert page.locator("section.service h2").all_inner_texts() == ["Mon, Wed, Fri"]
    assert page.locator("tr[data-stop] th").all_inner_texts() == ["Khasan", "Tumangang"]
    assert "2024-12-16" in page.locator("section.service").inner_text()  # the offsets' date
    screenshot("timetable-646-en")
    assert page.console_errors == [] and page.external_requests == []


def test_train_645_and_401_local_times(page: Any, primorye_site: Path) -> None:
    page.goto((primorye_site / "timetables" / "KHS-TMG-1.html").as_uri())
    assert _cell(page, "KP_TMG", "TMG-KHS-645_645").inner_text() == "12:00"  # 13:00 agency
    assert _cell(page, "RU_KHS", "TMG-KHS-645_645").inner_text() == "13:17"
    page.goto((primorye_site / "timetables" / "GRD-SFH-0.html").as_uri())
    assert _cell(page, "RU_GRD", "GRD-SFH-401_401").inner_text() == "17:43"
    assert _cell(page, "CN_SFH", "GRD-SFH-401_401").inner_text() == "17:14"  # 19:14 agency
    assert "Shanghai" in _zone(page, "CN_SFH") and "UTC+8" in _zone(page, "CN_SFH")
    assert page.locator("section.service h2").inner_text() == "Ежедневно"  # feed_lang ru


@pytest.mark.parametrize(
    ("lang", "khasan", "tumangang", "days", "route"),
    [
        ("ru", "Хасан", "Туманган", "Пн, Ср, Пт", "Хасан — Туманган"),
        ("en", "Khasan", "Tumangang", "Mon, Wed, Fri", "Khasan — Tumangang"),
        ("ko", "하산", "두만강", "월, 수, 금", "하산 — 두만강"),
        ("zh", "哈桑", "豆满江", "周一, 周三, 周五", "哈桑 — 豆满江"),
    ],
)
def test_language_switch(page: Any, primorye_site: Path, screenshot: Any, lang: str,
                         khasan: str, tumangang: str, days: str, route: str) -> None:
    page.goto((primorye_site / "timetables" / "KHS-TMG-0.html").as_uri())
    options = page.locator("#lang-switch option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["ru", "en", "ko", "zh"]  # the feed's language first
    page.select_option("#lang-switch", lang)
    assert page.locator('tr[data-stop="RU_KHS"] th').inner_text() == khasan
    assert page.locator('tr[data-stop="KP_TMG"] th').inner_text() == tumangang
    assert page.locator("section.service h2").inner_text() == days
    assert route in page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.lang") == lang
    if lang in ("ko", "zh"):
        screenshot(f"timetable-646-{lang}")


def test_language_follows_links(page: Any, primorye_site: Path) -> None:
    page.goto((primorye_site / "index.html").as_uri())
    page.select_option("#lang-switch", "ko")
    page.locator('a[href^="timetables/KHS-TMG-0.html"]').click()
    page.wait_for_load_state("load")
    assert page.locator('tr[data-stop="KP_TMG"] th').inner_text() == "두만강"
    assert page.locator("#lang-switch").input_value() == "ko"


def test_missing_translation_shows_the_feed_name(tmp_path: Path, primorye_zip: Path,
                                                 page: Any) -> None:
    """A feed whose translations lack one stop: that stop keeps its own (Russian) name."""
    src = zipfile.ZipFile(primorye_zip)
    feed = tmp_path / "feed.zip"
    with zipfile.ZipFile(feed, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "translations.txt":
                data = b"\n".join(line for line in data.split(b"\n")
                                  if not (b",en," in line and line.endswith(b",KP_TMG")))
            out.writestr(name, data)
    render_site(feed, tmp_path / "site", date="2025-06-01")
    page.goto((tmp_path / "site" / "timetables" / "KHS-TMG-0.html").as_uri())
    page.select_option("#lang-switch", "en")
    assert page.locator('tr[data-stop="RU_KHS"] th').inner_text() == "Khasan"
    assert page.locator('tr[data-stop="KP_TMG"] th').inner_text() == "Туманган"


# ------------------------------------------------------------------ real feeds
def _expected_pages(feed: Path) -> set[tuple[str, str]]:
    with zipfile.ZipFile(feed) as zf:
        trips = pd.read_csv(zf.open("trips.txt"), dtype=str, keep_default_na=False)
        st = pd.read_csv(zf.open("stop_times.txt"), dtype=str, keep_default_na=False,
                         usecols=["trip_id"])
    trips = trips[trips["trip_id"].isin(set(st["trip_id"]))]
    dirs = trips.get("direction_id", pd.Series("", index=trips.index))
    return {(r, d if d in ("0", "1") else "all") for r, d in zip(trips["route_id"], dirs,
                                                                   strict=True)}


@pytest.mark.parametrize("feed", [CALTRAIN, TRIMET], ids=["caltrain", "trimet"])
def test_real_feed_one_page_per_route_direction(feed: Path, real_sites: dict[str, Path],
                                               page: Any, screenshot: Any) -> None:
    site = real_sites[feed.stem]
    expected = _expected_pages(feed)
    pages = sorted((site / "timetables").glob("*.html"))
    assert {p.stem for p in pages} == {f"{slug(r)}-{d}" for r, d in expected}
    with zipfile.ZipFile(feed) as zf:
        st = pd.read_csv(zf.open("stop_times.txt"), dtype=str, keep_default_na=False)
        trips = pd.read_csv(zf.open("trips.txt"), dtype=str, keep_default_na=False)
    for path in pages:
        page.goto(path.as_uri())
        assert page.locator("table.timetable").count() >= 1
        # the first trip column's first time is the stop_times departure (one zone: unchanged)
        trip = page.locator("th.trip").first.get_attribute("data-trip")
        rows = st[st["trip_id"] == trip].copy()
        rows["seq"] = rows["stop_sequence"].astype(int)
        first = rows.sort_values("seq").iloc[0]
        hh, mm, _ = first["departure_time"].strip().split(":")
        shown = page.locator(f'td[data-trip="{trip}"]:not(.none)').first.inner_text()
        assert shown.startswith(f"{int(hh) % 24:02d}:{mm}")
        assert page.console_errors == []
    route, direction = sorted(expected)[0]
    page.goto((site / "timetables" / f"{slug(route)}-{direction}.html").as_uri())
    screenshot(f"timetable-{feed.stem}")
    assert len(trips) > 0


def test_caltrain_groups_and_exceptions(real_sites: dict[str, Path], page: Any) -> None:
    page.goto((real_sites[CALTRAIN.stem] / "timetables" / "Lo-129-0.html").as_uri())
    sections = page.locator("section.service")
    titles = sections.locator("h2").all_inner_texts()
    assert "Mon–Fri" in titles and "Sun" in titles
    weekday = sections.nth(titles.index("Mon–Fri")).inner_text()
    assert "Not running on" in weekday and "2017-09-04" in weekday  # Labor Day
    assert "America/Los_Angeles" in page.locator(".zone-caption").inner_text()
    assert page.locator("td.zonecol").count() == 0  # one zone: said once, not per row


# ------------------------------------------------------------------ units
def test_merge_stop_orders_inserts_branch_stops_in_place() -> None:
    rows = merge_stop_orders([["A", "B", "D"], ["A", "B", "C", "D", "E"], ["X", "A"]])
    assert [s for s, _ in rows] == ["X", "A", "B", "C", "D", "E"]
    loop = merge_stop_orders([["A", "B", "A"]])
    assert loop == [("A", 0), ("B", 0), ("A", 1)]


def test_days_label() -> None:
    assert days_label((True,) * 7)["en"] == "Daily"
    assert days_label((True,) * 5 + (False,) * 2)["en"] == "Mon–Fri"
    assert days_label((True, False, True, False, True, False, False))["en"] == "Mon, Wed, Fri"
    assert days_label((False,) * 5 + (True,) * 2)["ru"] == "Сб, Вс"


def test_local_time_uses_noon_minus_12h_and_the_date() -> None:
    ny, la = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
    # 25:10 on 2024-12-16 in New York is 22:10 the same evening in Los Angeles
    t = local_time(25 * 3600 + 600, dt.date(2024, 12, 16), ny, la)
    assert (t.date(), t.strftime("%H:%M")) == (dt.date(2024, 12, 16), "22:10")
    # DST day (clocks go forward 2024-03-10): noon minus 12 h is 23:00 the day before
    t = local_time(1800, dt.date(2024, 3, 10), ny, ny)
    assert t.isoformat() == "2024-03-09T23:30:00-05:00"
    assert local_time(8 * 3600, dt.date(2024, 3, 10), ny, ny).strftime("%H:%M") == "08:00"
    assert utc_offset(ZoneInfo("Asia/Kolkata"), t) == "UTC+5:30"
    assert utc_offset(la, t) == "UTC−8"


def test_offset_change_between_zones_is_noted() -> None:
    """Phoenix keeps UTC−7 while New York moves to daylight time on 2024-03-10."""
    ny = ZoneInfo("America/New_York")
    dates = [dt.date(2024, 3, 8) + dt.timedelta(days=i) for i in range(5)]
    assert _offset_changes(dates, ny, ["America/Phoenix"]) == [
        "America/Phoenix − America/New_York: −2 h from 2024-03-08, −3 h from 2024-03-10"]
    assert _offset_changes(dates, ny, ["America/Toronto"]) == []


def test_slug_is_safe_and_unique() -> None:
    assert slug("KHS-TMG") == "KHS-TMG"
    assert slug("a/b") != slug("a_b") and "/" not in slug("a/b")


def test_same_feed_same_bytes(primorye_zip: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    render_site(primorye_zip, a, date="2025-06-01")
    render_site(primorye_zip, b, date="2025-06-01")
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    differing = [f for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    assert differing == []


def _write_feed(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text.strip() + "\n", encoding="utf-8")
    return folder


def test_past_midnight_and_three_zones(tmp_path: Path, page: Any) -> None:
    """A night train from a folder feed: 24:20 in the agency zone is 00:20 next day at a stop in
    that zone (marked +1), and 17:20 the same day at a Moscow-time stop."""
    feed = _write_feed(tmp_path / "feed", {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                      "A,Night Rail,https://example.org,Asia/Vladivostok",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,stop_timezone\n"
                     "V,Vladivostok,43.11,131.88,\nU,Ussuriysk,43.80,131.95,\n"
                     "M,Moscow,55.77,37.65,Europe/Moscow",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                      "R,A,1,Night,2",
        "trips.txt": "route_id,service_id,trip_id,trip_short_name,direction_id\nR,S,T1,001,0",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "T1,23:50:00,23:50:00,V,1\nT1,24:20:00,24:25:00,U,2\n"
                          "T1,24:40:00,24:40:00,M,3",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\nS,0,0,0,0,0,1,1,20250104,20250126",
        "calendar_dates.txt": "service_id,date,exception_type\nS,20250111,2\nS,20250115,1",
    })
    render_site(feed, tmp_path / "site", date="2025-01-05")
    page.goto((tmp_path / "site" / "timetables" / "R-0.html").as_uri())
    assert _cell(page, "V", "T1").inner_text() == "23:50"
    ussuriysk = _cell(page, "U", "T1")
    assert ussuriysk.locator("sup.day").inner_text() == "+1"
    assert ussuriysk.get_attribute("data-local") == "2025-01-05T00:25:00+10:00"
    assert ussuriysk.locator(".arr").inner_text() == "00:20"  # arrival shown above departure
    moscow = _cell(page, "M", "T1")
    assert moscow.get_attribute("data-local") == "2025-01-04T17:40:00+03:00"
    assert moscow.locator("sup.day").count() == 0
    assert "Moscow" in _zone(page, "M") and "UTC+3" in _zone(page, "M")
    section = page.locator("section.service").inner_text()
    assert page.locator("section.service h2").inner_text() == "Sat, Sun"
    assert "Not running on: 2025-01-11" in section and "Also running on: 2025-01-15" in section


def test_frequency_trips_say_how_often(tmp_path: Path) -> None:
    feed = _write_feed(tmp_path / "feed", {
        "agency.txt": "agency_name,agency_url,agency_timezone\nBus,https://example.org,UTC",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nA,Alpha,50.0,8.0\nB,Beta,50.01,8.01",
        "routes.txt": "route_id,route_short_name,route_type\nR,7,3",
        "trips.txt": "route_id,service_id,trip_id\nR,S,T",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "T,06:00:00,06:00:00,A,1\nT,06:05:00,06:05:00,B,2",
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT,06:00:00,09:00:00,600",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\nS,1,1,1,1,1,1,1,20250101,20251231",
    })
    render_site(feed, tmp_path / "site", date="2025-01-05")
    text = (tmp_path / "site" / "timetables" / "R-all.html").read_text()
    assert "every 10 min 06:00–09:00" in text
