"""Times in any IANA zone: cross-border trips, past midnight, Moscow-time input, DST changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtfs_builder.publish import build_feed
from gtfs_builder.source import SourceErrors

from .helpers import FEED_YAML, NETWORK_YAML, build_tables, write_source


def _trip_times(tables: dict, trip_short_name: str) -> list[tuple[str, str, str, str]]:
    trip = next(t["trip_id"] for t in tables["trips"] if t["trip_short_name"] == trip_short_name)
    rows = sorted(
        (r for r in tables["stop_times"] if r["trip_id"] == trip),
        key=lambda r: int(r["stop_sequence"]),
    )
    return [(r["stop_id"], r["arrival_time"], r["departure_time"], r["timepoint"]) for r in rows]


def test_bare_time_is_in_the_first_stops_zone(tmp_path: Path) -> None:
    # S2 is in Asia/Pyongyang: a trip leaving S2 at a bare "08:00" leaves at 09:00 agency time.
    network = NETWORK_YAML.replace(
        "- stop: S1\n          - stop: S2", "- stop: S2\n          - stop: S1"
    )
    tables = build_tables(write_source(tmp_path / "src", network=network), tmp_path)
    assert _trip_times(tables, "100") == [
        ("S2", "09:00:00", "09:00:00", "1"),
        ("S1", "09:20:00", "09:20:00", "0"),
    ]


def test_moscow_time_input(tmp_path: Path) -> None:
    network = NETWORK_YAML.replace('"08:00"', '"01:30 Europe/Moscow"')  # = 08:30 Vladivostok
    tables = build_tables(write_source(tmp_path / "src", network=network), tmp_path)
    assert _trip_times(tables, "100")[0][2] == "08:30:00"
    assert _trip_times(tables, "100")[1][1] == "08:50:00"


def test_cross_border_explicit_timetable_keeps_increasing(tmp_path: Path) -> None:
    # arrival written in Pyongyang time looks earlier than the departure, but is 20 min later
    network = NETWORK_YAML.replace(
        'departure: "08:00"',
        'times:\n              - departure: "08:00 Asia/Vladivostok"\n'
        '              - arrival: "07:20 Asia/Pyongyang"',
    )
    tables = build_tables(write_source(tmp_path / "src", network=network), tmp_path)
    assert _trip_times(tables, "100") == [
        ("S1", "08:00:00", "08:00:00", "1"),
        ("S2", "08:20:00", "08:20:00", "1"),
    ]
    zones = {s["stop_id"]: s["stop_timezone"] for s in tables["stops"]}
    assert zones == {"S1": "Asia/Vladivostok", "S2": "Asia/Pyongyang"}


def test_past_midnight(tmp_path: Path) -> None:
    network = NETWORK_YAML.replace('"08:00"', '"23:50"').replace("run: 20", "run: 80")
    tables = build_tables(write_source(tmp_path / "src", network=network), tmp_path)
    assert _trip_times(tables, "100") == [
        ("S1", "23:50:00", "23:50:00", "1"),
        ("S2", "25:10:00", "25:10:00", "0"),
    ]


def test_past_midnight_written_explicitly_and_via_zone(tmp_path: Path) -> None:
    # 23:30 Moscow = 06:30 next day in Vladivostok = 30:30 on the service day
    network = NETWORK_YAML.replace(
        'departure: "08:00"',
        'times:\n              - departure: "23:30 Europe/Moscow"\n'
        '              - arrival: "29:50"',
    )  # S2's zone (Pyongyang): 30:50 agency time
    tables = build_tables(write_source(tmp_path / "src", network=network), tmp_path)
    assert _trip_times(tables, "100") == [
        ("S1", "30:30:00", "30:30:00", "1"),
        ("S2", "30:50:00", "30:50:00", "1"),
    ]


def test_time_before_service_day_is_an_error(tmp_path: Path) -> None:
    # 05:00 Vladivostok is 22:00 Moscow the evening before: not on this service day
    feed = FEED_YAML.replace("timezone: Asia/Vladivostok", "timezone: Europe/Moscow")
    network = NETWORK_YAML.replace('"08:00"', '"05:00 Asia/Vladivostok"')
    with pytest.raises(SourceErrors) as exc:
        build_feed(write_source(tmp_path / "src", feed, network), tmp_path / "x.zip")
    assert "before the start of the service day" in str(exc.value)


def test_offset_change_within_service_is_an_error(tmp_path: Path) -> None:
    # Berlin switches to summer time on 2025-03-30; Vladivostok does not: refuse, do not guess.
    feed = FEED_YAML.replace("end_date: 2024-12-31", "end_date: 2025-06-30")
    network = NETWORK_YAML.replace('"08:00"', '"01:00 Europe/Berlin"')
    with pytest.raises(SourceErrors) as exc:
        build_feed(write_source(tmp_path / "src", feed, network), tmp_path / "x.zip")
    (err,) = exc.value.errors
    assert "changes on 2025-03-31" in err.message and err.path.endswith("trips[0].departure")
    assert err.line == 25


def test_frequencies_and_expansion(tmp_path: Path) -> None:
    network = NETWORK_YAML.replace(
        """        trips:
          - service: WK
            trip_short_name: "100"
            departure: "08:00"
""",
        """        frequencies:
          - service: WK
            start: "06:00"
            end: "07:00"
            headway: 15
            exact_times: true
          - service: WK
            start: "08:00 Asia/Pyongyang"
            end: "09:00 Asia/Pyongyang"
            headway: 20
            expand: true
""",
    )
    tables = build_tables(write_source(tmp_path / "src", network=network), tmp_path)
    assert tables["frequencies"] == [
        {
            "trip_id": "P1_f1",
            "start_time": "06:00:00",
            "end_time": "07:00:00",
            "headway_secs": "900",
            "exact_times": "1",
        }
    ]
    expanded = sorted(t["trip_id"] for t in tables["trips"] if t["trip_id"] != "P1_f1")
    assert expanded == ["P1_f2_090000", "P1_f2_092000", "P1_f2_094000"]
