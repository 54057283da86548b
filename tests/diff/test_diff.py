"""``diff_feeds`` on a real feed against hand-modified copies: each kind of change, exact counts.

Expected per-day trip counts come from partridge's calendar expansion (an independent oracle),
not from our own code.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import partridge as ptg
import pytest
from click.testing import CliRunner

from gtfs_builder.cli import main
from gtfs_builder.diff import DiffInputError, diff_feeds
from gtfs_builder.diff.days import describe_days, fmt_shift
from gtfs_builder.diff.load import iso_day
from gtfs_builder.diff.match import metres, pair_nearby

from .helpers import FEEDS, SEATTLE, Tables, read_tables, rewrite, shift_times, write_tables

pytestmark = pytest.mark.skipif(not SEATTLE.exists(), reason="../shared/feeds not present")

SUMMARY_FIELDS = [
    "routes_added", "routes_removed", "routes_renamed", "stops_added", "stops_removed",
    "stops_renamed", "stops_moved", "services_added", "services_removed", "services_changed",
    "window_changed", "feed_validity_changed", "route_day_changes", "trips_added",
    "trips_removed", "trips_moved", "trips_rerouted",
]  # fmt: skip


def changed(result: object) -> dict[str, int]:
    """The summary without its zero entries: tests assert the whole dict, so nothing else moved."""
    return {k: v for k, v in result.summary.items() if v}  # type: ignore[attr-defined]


def trips_on(path: Path, trip_ids: set[str]) -> int:
    """Trip-days of ``trip_ids`` over the feed's calendar, per partridge (independent oracle)."""
    service_of = read_tables(path)["trips.txt"].set_index("trip_id")["service_id"]
    by_date = ptg.read_service_ids_by_date(str(path))
    return sum(
        sum(1 for t in trip_ids if service_of[t] in services) for services in by_date.values()
    )


@pytest.fixture(scope="module")
def seattle() -> Tables:
    return read_tables(SEATTLE)


def modified(tmp_path: Path, edit) -> Path:
    return rewrite(SEATTLE, tmp_path / "new.zip", edit)


# ---------------------------------------------------------------------- no change


@pytest.mark.parametrize("feed", sorted(p.name for p in FEEDS.glob("*.zip")))
def test_every_real_feed_against_itself_is_empty(feed: str) -> None:
    result = diff_feeds(FEEDS / feed, FEEDS / feed)
    assert result.is_empty, result.to_text()
    assert "No changes for riders." in result.to_text()


def test_identical_feeds_exit_0() -> None:
    out = CliRunner().invoke(main, ["diff", str(SEATTLE), str(SEATTLE)])
    assert out.exit_code == 0, out.output
    assert "No changes for riders." in out.output


def test_rebuild_with_every_id_renamed_is_empty(tmp_path: Path) -> None:
    """An import renames ids but keeps the service: matched on natural keys, nothing to report."""
    id_cols = {"stop_id", "route_id", "trip_id", "service_id", "agency_id", "shape_id"}
    id_cols |= {"block_id", "parent_station", "zone_id", "fare_id"}

    def rename(t: Tables) -> None:
        for frame in t.values():
            for col in set(frame.columns) & id_cols:
                frame[col] = ("r_" + frame[col]).where(frame[col] != "", "")
        # shuffled row order too, as another tool would write them
        t["trips.txt"] = t["trips.txt"].iloc[::-1]
        t["stops.txt"] = t["stops.txt"].iloc[::-1]

    new = modified(tmp_path, rename)
    result = diff_feeds(SEATTLE, new)
    assert result.is_empty, result.to_text()
    natural = result.data["matched_by_natural_key"]
    assert natural == {"stops": 259, "routes": 14, "services": 10, "trips": 3888}


# ---------------------------------------------------------------------- departures


def test_departures_moved_whole_trips(tmp_path: Path) -> None:
    def edit(t: Tables) -> None:
        tr, st = t["trips.txt"], t["stop_times.txt"]
        ids = tr[(tr.route_id == "100235") & (tr.service_id == "86972")].trip_id
        shift_times(st, st.trip_id.isin(set(ids)), 600)

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert changed(result) == {"trips_moved": 36}
    moved = result.data["departures_moved"]
    assert {(m["first_shift_s"], m["max_shift_s"], m["same_shift_everywhere"]) for m in moved} == {
        (600, 600, True)
    }
    assert {m["route"]["route_id"] for m in moved} == {"100235"}
    text = result.to_text()
    assert "36 trips +10 min at every stop: route 540 [100235] (36)" in text
    assert "departs Kirkland Transit Center - Bay 2 06:10 instead of 06:00 (+10 min)" in text


def test_departure_moved_along_the_trip_only(tmp_path: Path, seattle: Tables) -> None:
    st = seattle["stop_times.txt"]
    trip = "34761785"
    rows = st[st.trip_id == trip].sort_values("stop_sequence", key=lambda s: s.astype(int))
    later = set(rows.index[5:])
    stop_name = seattle["stops.txt"].set_index("stop_id").loc[rows.stop_id.iloc[5], "stop_name"]

    def edit(t: Tables) -> None:
        shift_times(t["stop_times.txt"], t["stop_times.txt"].index.isin(later), -150)

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert changed(result) == {"trips_moved": 1}
    (m,) = result.data["departures_moved"]
    assert (m["trip_id"], m["first_shift_s"], m["max_shift_s"]) == (trip, 0, -150)
    assert m["max_shift_stop"] == stop_name and not m["same_shift_everywhere"]
    assert f"; \u22122 min 30 s at {stop_name}" in result.to_text()


# ---------------------------------------------------------------------- routes and trips


def test_route_removed(tmp_path: Path, seattle: Tables) -> None:
    gone = set(seattle["trips.txt"].query("route_id == '100337'").trip_id)

    def edit(t: Tables) -> None:
        t["routes.txt"] = t["routes.txt"][t["routes.txt"].route_id != "100337"]
        t["trips.txt"] = t["trips.txt"][~t["trips.txt"].trip_id.isin(gone)]
        t["stop_times.txt"] = t["stop_times.txt"][~t["stop_times.txt"].trip_id.isin(gone)]

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    trip_days = trips_on(SEATTLE, gone)
    assert trip_days == 924  # per partridge: 12 trips a day on 77 days
    per_day = result.data["trips_per_day"]
    assert changed(result) == {
        "routes_removed": 1,
        "route_day_changes": len(per_day),
        "trips_removed": trip_days,
    }
    assert {(g["route_status"], g["new_trips"]) for g in per_day} == {("removed", 0)}
    (route,) = result.data["routes"]["removed"]
    assert (route["route_id"], route["short_name"], route["trips"]) == ("100337", "975", 24)
    assert "  - 975 [100337], Kingcounty Marine Divison, ferry: 24 trips, Mon–Fri" in (
        result.to_text()
    )


def test_trips_removed_per_service_day(tmp_path: Path, seattle: Tables) -> None:
    tr = seattle["trips.txt"]
    drop = set(tr[(tr.route_id == "100236") & (tr.service_id == "893")].trip_id[:2])

    def edit(t: Tables) -> None:
        t["trips.txt"] = t["trips.txt"][~t["trips.txt"].trip_id.isin(drop)]
        t["stop_times.txt"] = t["stop_times.txt"][~t["stop_times.txt"].trip_id.isin(drop)]

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert changed(result) == {
        "route_day_changes": 1,
        "trips_removed": trips_on(SEATTLE, drop),
    }
    (g,) = result.data["trips_per_day"]
    assert (g["route"]["route_id"], g["old_trips"], g["new_trips"], g["delta"]) == (
        "100236",
        187,
        185,
        -2,
    )
    assert g["days"] == ["2018-01-15", "2018-02-19"]
    assert "route 545 [100236]: \u22122 trips (187 -> 185) on 2018-01-15, 2018-02-19" in (
        result.to_text()
    )


def test_trip_added(tmp_path: Path, seattle: Tables) -> None:
    def edit(t: Tables) -> None:
        tr, st = t["trips.txt"], t["stop_times.txt"]
        extra = tr[tr.trip_id == "34761785"].assign(trip_id="extra")
        extra_st = st[st.trip_id == "34761785"].assign(trip_id="extra")
        shift_times(extra_st, extra_st.trip_id == "extra", 3600)
        t["trips.txt"] = pd.concat([tr, extra])
        t["stop_times.txt"] = pd.concat([st, extra_st])

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    service = seattle["trips.txt"].set_index("trip_id").loc["34761785", "service_id"]
    days = sum(service in s for s in ptg.read_service_ids_by_date(str(SEATTLE)).values())
    assert changed(result) == {"route_day_changes": 1, "trips_added": days}
    (g,) = result.data["trips_per_day"]
    assert g["delta"] == 1 and len(g["days"]) == days


def test_stop_pattern_changed(tmp_path: Path, seattle: Tables) -> None:
    st = seattle["stop_times.txt"]
    rows = st[st.trip_id == "34761785"].sort_values("stop_sequence", key=lambda s: s.astype(int))
    skipped = rows.index[3]
    name = seattle["stops.txt"].set_index("stop_id").loc[rows.stop_id.iloc[3], "stop_name"]

    def edit(t: Tables) -> None:
        t["stop_times.txt"] = t["stop_times.txt"].drop(index=skipped)

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert changed(result) == {"trips_rerouted": 1}
    (p,) = result.data["patterns_changed"]
    assert (p["trip_id"], p["stops_removed"], p["stops_added"]) == ("34761785", [name], [])
    assert f"1 trip no longer calls at {name}" in result.to_text()


def test_trip_id_reused_on_another_route_is_not_a_move(tmp_path: Path) -> None:
    """Ids match only within the same route: a recycled trip id is a removal plus an addition."""

    def edit(t: Tables) -> None:
        tr = t["trips.txt"]
        tr.loc[tr.trip_id == "34761785", "route_id"] = "100235"

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert result.summary["trips_moved"] == result.summary["trips_rerouted"] == 0
    assert {g["delta"] for g in result.data["trips_per_day"]} == {-1, 1}


# ---------------------------------------------------------------------- stops


def test_stop_renamed_and_moved(tmp_path: Path) -> None:
    def edit(t: Tables) -> None:
        s = t["stops.txt"]
        s.loc[s.stop_id == "1050", "stop_name"] = "Olive Way & 8th Avenue"
        lat = s.loc[s.stop_id == "1070", "stop_lat"].astype(float) + 0.002  # ~222 m north
        s.loc[s.stop_id == "1070", "stop_lat"] = lat.map(str)

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert changed(result) == {"stops_renamed": 1, "stops_moved": 1}
    (r,) = result.data["stops"]["renamed"]
    assert (r["old"]["stop_name"], r["new"]["stop_name"]) == (
        "Olive Way & 8th Ave",
        "Olive Way & 8th Avenue",
    )
    (m,) = result.data["stops"]["moved"]
    assert m["new"]["stop_id"] == "1070" and 221 < m["distance_m"] < 224
    text = result.to_text()
    assert "~ Olive Way & 8th Ave [1050] renamed 'Olive Way & 8th Avenue'" in text
    assert "~ Olive Way & Terry Ave [1070] moved 222 m" in text


def test_stop_with_new_id_at_same_place_is_the_same_stop(tmp_path: Path) -> None:
    def edit(t: Tables) -> None:
        for frame in (t["stops.txt"], t["stop_times.txt"]):
            frame.loc[frame.stop_id == "1050", "stop_id"] = "NEW1050"

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    assert result.is_empty, result.to_text()
    assert result.data["matched_by_natural_key"]["stops"] == 1


# ---------------------------------------------------------------------- calendars


def test_calendar_day_removed(tmp_path: Path, seattle: Tables) -> None:
    def edit(t: Tables) -> None:
        extra = pd.DataFrame(
            {"service_id": ["14336"], "date": ["20171223"], "exception_type": ["2"]}
        )
        t["calendar_dates.txt"] = pd.concat([t["calendar_dates.txt"], extra])

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    trips = seattle["trips.txt"].query("service_id == '14336'")
    assert changed(result) == {
        "services_changed": 1,
        "route_day_changes": trips.route_id.nunique(),
        "trips_removed": len(trips),
    }
    (c,) = result.data["calendar"]["services_changed"]
    assert (c["service_id"], c["days_lost"], c["days_gained"]) == ("14336", ["2017-12-23"], [])
    assert "~ service 14336 (601 trips): no longer Sat 2017-12-23" in result.to_text()


def test_calendar_weekday_added(tmp_path: Path) -> None:
    def edit(t: Tables) -> None:
        cal = t["calendar.txt"]
        cal.loc[cal.service_id == "14336", "sunday"] = "1"

    new = modified(tmp_path, edit)
    result = diff_feeds(SEATTLE, new)
    before = {d for d, s in ptg.read_service_ids_by_date(str(SEATTLE)).items() if "14336" in s}
    after = {d for d, s in ptg.read_service_ids_by_date(str(new)).items() if "14336" in s}
    gained = sorted(d.isoformat() for d in after - before)
    assert len(gained) == 15  # Sundays 2017-11-19..2018-02-25 (per partridge)
    (c,) = result.data["calendar"]["services_changed"]
    assert c["weekdays"] == {"old": "Saturdays", "new": "Sat, Sun"}
    assert c["days_gained"] == gained and c["days_lost"] == []
    trips = 601
    assert changed(result) == {
        "services_changed": 1,
        "route_day_changes": result.summary["route_day_changes"],
        "trips_added": trips * len(gained),
    }
    assert "~ service 14336 (601 trips): Saturdays -> Sat, Sun; runs also Sundays" in (
        result.to_text()
    )


def test_calendar_rewritten_with_same_days_is_no_change(tmp_path: Path) -> None:
    """85068 already runs every Thursday through calendar_dates: flagging Thursday adds no day."""

    def edit(t: Tables) -> None:
        cal = t["calendar.txt"]
        cal.loc[cal.service_id == "85068", "thursday"] = "1"

    assert diff_feeds(SEATTLE, modified(tmp_path, edit)).is_empty


def test_window_and_date_range(tmp_path: Path) -> None:
    """A change outside --from/--to is not reported; the window line names the range."""

    def edit(t: Tables) -> None:
        extra = pd.DataFrame(
            {"service_id": ["14336"], "date": ["20171223"], "exception_type": ["2"]}
        )
        t["calendar_dates.txt"] = pd.concat([t["calendar_dates.txt"], extra])

    new = modified(tmp_path, edit)
    assert diff_feeds(SEATTLE, new, dates=("2018-01-01", None)).is_empty
    out = CliRunner().invoke(
        main, ["diff", str(SEATTLE), str(new), "--from", "2017-12-01", "--to", "2017-12-31"]
    )
    assert out.exit_code == 1
    assert "compared 2017-12-01..2017-12-31" in out.output


def test_service_window_extended(tmp_path: Path) -> None:
    def edit(t: Tables) -> None:
        cal = t["calendar.txt"]
        cal.loc[cal.service_id == "86972", "end_date"] = "20180316"

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    w = result.data["calendar"]["window"]
    assert (w["old"]["to"], w["new"]["to"]) == ("2018-03-09", "2018-03-16")
    assert result.data["window"] == {"from": "2017-11-18", "to": "2018-03-16"}
    (c,) = result.data["calendar"]["services_changed"]
    assert c["end_date"] == {"old": "2018-03-09", "new": "2018-03-16"}
    assert c["days_gained"] == ["2018-03-13", "2018-03-14", "2018-03-16"]  # Tue, Wed, Fri
    assert "service window 2017-11-18..2018-03-09 -> 2017-11-18..2018-03-16" in result.to_text()


# ---------------------------------------------------------------------- output and input


def test_json_structure(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        main, ["diff", str(FEEDS / "valid_caltrain_2017_partridge.zip"), str(SEATTLE), "--json"]
    )
    assert out.exit_code == 1
    data = json.loads(out.output)
    assert list(data) == [
        "format", "old", "new", "window", "summary", "matched_by_natural_key", "routes",
        "stops", "calendar", "trips_per_day", "departures_moved", "patterns_changed",
        "warnings",
    ]  # fmt: skip
    assert data["format"] == "gtfs-builder-diff/1"
    assert list(data["summary"]) == SUMMARY_FIELDS
    assert data["summary"]["routes_added"] == 14 and data["summary"]["stops_added"] == 259


def test_empty_feed_against_real_feed() -> None:
    result = diff_feeds(FEEDS / "bad_empty_headers_only_partridge.zip", SEATTLE)
    s = result.summary
    assert (s["routes_added"], s["stops_added"], s["services_added"]) == (14, 259, 10)
    assert s["routes_removed"] == s["trips_removed"] == 0


def bad_feed(tmp_path: Path, edit) -> Path:
    tables = read_tables(FEEDS / "valid_trimet_vermont_partridge.zip")
    edit(tables)
    return write_tables(tables, tmp_path / "bad.zip")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.zip", "missing.zip: no such file or directory"),
        (lambda p: (p / "x.zip").write_text("hello") and p / "x.zip", "not a zip archive"),
        (
            lambda p: bad_feed(p, lambda t: t.pop("stop_times.txt")),
            "stop_times.txt is missing",
        ),
        (
            lambda p: bad_feed(
                p, lambda t: t["stop_times.txt"].loc.__setitem__((3, "departure_time"), "7h15")
            ),
            "stop_times.txt row 5: departure_time '7h15' is not an H:MM:SS time",
        ),
        (
            lambda p: bad_feed(
                p, lambda t: t["calendar.txt"].loc.__setitem__((0, "end_date"), "2018-06-01")
            ),
            "calendar.txt row 2: end_date '2018-06-01' is not a YYYYMMDD date",
        ),
        (
            lambda p: bad_feed(
                p, lambda t: t.__setitem__("trips.txt", t["trips.txt"].drop(columns="service_id"))
            ),
            "trips.txt: no column 'service_id'",
        ),
    ],
)
def test_bad_input_exit_2(tmp_path: Path, make, message: str) -> None:
    bad = make(tmp_path)
    with pytest.raises(DiffInputError) as err:
        diff_feeds(SEATTLE, bad)
    assert message in str(err.value)
    out = CliRunner().invoke(main, ["diff", str(SEATTLE), str(bad)])
    assert out.exit_code == 2 and isinstance(out.exception, SystemExit)
    assert message in out.output and "Traceback" not in out.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2018-13-01"], "--from '2018-13-01' is not a YYYY-MM-DD date"),
        (["--from", "2018-03-01", "--to", "2018-01-01"], "--from 2018-03-01 is after --to"),
    ],
)
def test_bad_dates_exit_2(args: list[str], message: str) -> None:
    out = CliRunner().invoke(main, ["diff", str(SEATTLE), str(SEATTLE), *args])
    assert out.exit_code == 2 and message in out.output


def test_help_has_an_example() -> None:
    out = CliRunner().invoke(main, ["diff", "--help"])
    assert out.exit_code == 0 and "Example:" in out.output


# ---------------------------------------------------------------------- descriptions


def d(text: str) -> int:
    return iso_day(text)


def test_describe_days() -> None:
    mondays = [d("2025-01-06") + 7 * k for k in range(13)]
    assert describe_days(mondays) == "Mondays 2025-01-06..2025-03-31 (13 days)"
    weekdays = [x for x in range(d("2025-01-06"), d("2025-01-31") + 1) if (x + 3) % 7 < 5]
    holiday = d("2025-01-20")
    assert describe_days([x for x in weekdays if x != holiday]) == (
        "Mon\u2013Fri 2025-01-06..2025-01-31 except 2025-01-20 (19 days)"
    )
    assert describe_days([d("2025-01-06")]) == "Mon 2025-01-06"
    assert describe_days(range(d("2025-01-01"), d("2025-01-08"))) == (
        "daily 2025-01-01..2025-01-07 (7 days)"
    )
    scattered = [d("2025-01-01"), d("2025-01-02"), d("2025-02-10"), d("2025-03-03")]
    assert describe_days(scattered) == "2025-01-01..2025-01-02, 2025-02-10, 2025-03-03 (4 days)"


def test_fmt_shift() -> None:
    assert [fmt_shift(s) for s in (600, -90, 3900, 0)] == [
        "+10 min",
        "\u22121 min 30 s",
        "+1 h 5 min",
        "+0 min",
    ]


def test_dates_accept_date_objects() -> None:
    result = diff_feeds(SEATTLE, SEATTLE, dates=(dt.date(2018, 1, 1), dt.date(2018, 1, 31)))
    assert result.data["window"] == {"from": "2018-01-01", "to": "2018-01-31"}


@pytest.mark.parametrize("lat", [0.0, 47.6, 69.65])
def test_stops_pair_by_name_within_50_m_at_any_latitude(lat: float) -> None:
    """Same name 40 m away (east or north) pairs; 70 m away, or another name, does not."""
    east = 40 / (111_195 * np.cos(np.radians(lat)))
    old = pd.DataFrame(
        {"stop_name": ["A", "B", "C", "D"], "lat": [lat, lat, lat, lat + 0.01], "lon": 10.0}
    )
    new = pd.DataFrame(
        {
            "stop_name": ["A", "B", "X", "D"],
            "lat": [lat, lat + 70 / 111_195, lat, lat + 0.01 + 40 / 111_195],
            "lon": [10.0 + east, 10.0, 10.0, 10.0],
        }
    )
    n2o = np.full(4, -1)
    stage = np.full(4, -1)
    pair_nearby(old, new, n2o, stage, 1)
    assert n2o.tolist() == [0, -1, -1, 3]
    assert 39 < metres(lat, 10.0, lat, 10.0 + east) < 41


def test_rebuild_with_new_ids_and_a_moved_train(tmp_path: Path) -> None:
    """Every id renamed and train 646 moved: still one departure moved, found by its name."""
    from gtfs_builder.publish import build_feed

    from .helpers import PRIMORYE

    old = build_feed(PRIMORYE, tmp_path / "old.zip")
    id_cols = {"stop_id", "route_id", "trip_id", "service_id", "agency_id", "shape_id"}
    id_cols |= {"parent_station", "from_stop_id", "to_stop_id", "record_id"}

    def edit(t: Tables) -> None:
        for frame in t.values():
            for col in set(frame.columns) & id_cols:
                frame[col] = ("n_" + frame[col]).where(frame[col] != "", "")
        tr, st = t["trips.txt"], t["stop_times.txt"]
        ids = set(tr[tr.trip_short_name == "646"].trip_id)
        shift_times(st, st.trip_id.isin(ids), 600)

    result = diff_feeds(old, rewrite(old, tmp_path / "new.zip", edit))
    assert changed(result) == {"trips_moved": 1}, result.to_text()
    (m,) = result.data["departures_moved"]
    assert m["new_trip_id"] == "n_" + m["trip_id"] and m["first_shift_s"] == 600
    assert "train 646 (645/646) departs Хасан 15:40 instead of 15:30 (+10 min)" in result.to_text()


def test_frequency_trip_counts_its_departures(tmp_path: Path, seattle: Tables) -> None:
    """A trip made frequency-based (06:00-08:00 every 30 min) now runs 4 times a day: +3."""

    def edit(t: Tables) -> None:
        t["frequencies.txt"] = pd.DataFrame(
            {
                "trip_id": ["34761785"],
                "start_time": ["06:00:00"],
                "end_time": ["08:00:00"],
                "headway_secs": ["1800"],
            }
        )

    result = diff_feeds(SEATTLE, modified(tmp_path, edit))
    (g,) = result.data["trips_per_day"]
    assert (g["route"]["route_id"], g["delta"]) == ("100232", 3)
    assert changed(result) == {"route_day_changes": 1, "trips_added": 3 * len(g["days"])}


def test_rows_that_cannot_be_used_are_skipped_with_a_warning(tmp_path: Path) -> None:
    """A ragged row and stop times of an unknown trip: compared anyway, and said so."""
    tables = read_tables(FEEDS / "valid_trimet_vermont_partridge.zip")
    st = tables["stop_times.txt"]
    orphan = st.iloc[:2].assign(trip_id="ghost")
    tables["stop_times.txt"] = pd.concat([st, orphan])
    path = write_tables(tables, tmp_path / "odd.zip")
    with zipfile.ZipFile(path) as zf:
        trips = zf.read("trips.txt") + b"extra,row\n"
    rewritten = tmp_path / "odd2.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rewritten, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, trips if name == "trips.txt" else src.read(name))
    result = diff_feeds(FEEDS / "valid_trimet_vermont_partridge.zip", rewritten)
    assert result.is_empty, result.to_text()
    assert result.data["warnings"] == [
        "odd2.zip: trips.txt: rows with a wrong cell count skipped",
        "odd2.zip: stop_times.txt: 2 row(s) of unknown trips skipped",
    ]
    assert "Warnings:\n  odd2.zip: trips.txt" in result.to_text()


def test_stops_at_one_place_pair_one_to_one() -> None:
    """Three copies of one stop (a feed merged from copies): all pair, none twice."""
    old = pd.DataFrame({"stop_name": ["A"] * 3, "lat": [47.6] * 3, "lon": [-122.3] * 3})
    new = old.assign(lat=old["lat"] + 10 / 111_195)  # all 10 m north
    n2o = np.full(3, -1)
    pair_nearby(old, new, n2o, np.full(3, -1), 2)
    assert sorted(n2o.tolist()) == [0, 1, 2]


def test_feed_validity_changed(tmp_path: Path) -> None:
    """feed_info's end date moves (consumers drop a feed after it): reported, service unchanged."""
    from gtfs_builder.publish import build_feed

    from .helpers import PRIMORYE

    old = build_feed(PRIMORYE, tmp_path / "old.zip")

    def edit(t: Tables) -> None:
        t["feed_info.txt"]["feed_end_date"] = "20261231"

    result = diff_feeds(old, rewrite(old, tmp_path / "new.zip", edit))
    assert changed(result) == {"feed_validity_changed": True}
    v = result.data["calendar"]["feed_validity"]
    assert v["new"]["to"] == "2026-12-31" and v["old"]["to"] != v["new"]["to"]
    assert f"feed validity (feed_info.txt) {v['old']['from']}..{v['old']['to']} -> " in (
        result.to_text()
    )
