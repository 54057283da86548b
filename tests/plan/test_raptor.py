"""RAPTOR on small hand-made timetables: transfers, past midnight, calendar exceptions,
frequencies, overtaking trips, boarding rules, time zones and DST."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gtfs_builder.plan import PlanError, load_timetable, plan_query
from gtfs_builder.plan.raptor import Journey
from gtfs_builder.plan.timetable import Timetable

MakeFeed = Callable[..., Path]  # the make_feed fixture (tests/plan/conftest.py)

STOPS = """
    stop_id,stop_name,stop_lat,stop_lon
    A,Alpha,50.0,10.0
    B,Bravo,50.1,10.1
    C,Charlie,50.2,10.2
    D,Delta,50.3,10.3
"""


def hm(tt: Timetable, j: Journey, which: str = "arrive") -> str:
    """Local HH:MM (with date) of the journey's arrival or departure at its stop."""
    if which == "arrive":
        stop, t = j.legs[-1].to_stop, j.arrive
    else:
        stop, t = j.legs[0].from_stop, j.depart
    return dt.datetime.fromtimestamp(t, ZoneInfo(str(tt.stop_tz[stop]))).strftime("%m-%d %H:%M")


def trips_of(tt: Timetable, j: Journey) -> list[str]:
    return [str(tt.trip_ids[leg.trip]) for leg in j.legs if leg.kind == "trip"]


def test_direct_trip_takes_the_first_catchable(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt="""
        route_id,service_id,trip_id
        r1,all,t1
        r1,all,t2
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        t1,08:00:00,08:00:00,A,1
        t1,08:30:00,08:30:00,B,2
        t2,09:00:00,09:00:00,A,1
        t2,09:30:00,09:30:00,B,2
    """))
    [j] = plan_query(tt, "A", "B", "2024-06-03 08:00")
    assert trips_of(tt, j) == ["t1"] and hm(tt, j) == "06-03 08:30"
    [j] = plan_query(tt, "Alpha", "bravo", "2024-06-03 08:01")  # names, any case
    assert trips_of(tt, j) == ["t2"]
    assert plan_query(tt, "A", "B", "2024-06-03 09:01") != []  # tomorrow's t1 within 24 h
    assert plan_query(tt, "A", "B", "2024-06-03 09:01", horizon_hours=12) == []
    assert plan_query(tt, "B", "A", "2024-06-03 07:00") == []  # wrong direction


TRANSFER_TRIPS = """
    route_id,service_id,trip_id
    r1,all,t1
    r2,all,t2
    r2,all,t3
    r3,all,slow
"""
TRANSFER_TIMES = """
    trip_id,arrival_time,departure_time,stop_id,stop_sequence
    t1,08:00:00,08:00:00,A,1
    t1,08:20:00,08:20:00,B,2
    t2,08:25:00,08:25:00,C,1
    t2,08:40:00,08:40:00,D,2
    t3,09:25:00,09:25:00,C,1
    t3,09:40:00,09:40:00,D,2
    slow,08:00:00,08:00:00,A,1
    slow,10:00:00,10:00:00,D,2
"""


def test_transfer_with_walk_and_pareto_set(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt=TRANSFER_TRIPS,
                                  stop_times_txt=TRANSFER_TIMES, transfers_txt="""
        from_stop_id,to_stop_id,transfer_type,min_transfer_time
        B,C,2,240
    """))
    journeys = plan_query(tt, "A", "D", "2024-06-03 07:50")
    # Fewest rides first: the slow direct train, then the faster change at B/C.
    assert [trips_of(tt, j) for j in journeys] == [["slow"], ["t1", "t2"]]
    fast = journeys[-1]
    assert hm(tt, fast) == "06-03 08:40" and fast.transfers == 1
    walk = [leg for leg in fast.legs if leg.kind == "walk"]
    assert len(walk) == 1 and walk[0].arrive - walk[0].depart == 240


def test_missed_connection_takes_the_next_one(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt=TRANSFER_TRIPS,
                                  stop_times_txt=TRANSFER_TIMES, transfers_txt="""
        from_stop_id,to_stop_id,transfer_type,min_transfer_time
        B,C,2,600
    """))
    journeys = plan_query(tt, "A", "D", "2024-06-03 07:50")
    assert [trips_of(tt, j) for j in journeys] == [["slow"], ["t1", "t3"]]
    assert hm(tt, journeys[-1]) == "06-03 09:40"


def test_transfer_not_possible_is_respected(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt=TRANSFER_TRIPS,
                                  stop_times_txt=TRANSFER_TIMES, transfers_txt="""
        from_stop_id,to_stop_id,transfer_type,min_transfer_time
        B,C,3,
    """))
    assert [trips_of(tt, j) for j in plan_query(tt, "A", "D", "2024-06-03 07:50")] == [["slow"]]


def test_station_platforms_and_ambiguous_names(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt="""
        stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
        S,Central,50.0,10.0,1,
        S1,Central,50.0,10.0,0,S
        S2,Central,50.0,10.0,0,S
        X,Other,50.1,10.1,0,
        Y,Other,50.2,10.2,0,
    """, trips_txt="""
        route_id,service_id,trip_id
        r1,all,in
        r2,all,out
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        in,08:00:00,08:00:00,X,1
        in,08:10:00,08:10:00,S1,2
        out,08:12:00,08:12:00,S2,1
        out,08:30:00,08:30:00,Y,2
    """), same_station_transfer=60)
    assert tt.resolve_stop("Central") == sorted(
        [tt.stop_index["S"], tt.stop_index["S1"], tt.stop_index["S2"]])
    with pytest.raises(PlanError, match="ambiguous"):
        tt.resolve_stop("Other")
    with pytest.raises(PlanError, match="no stop"):
        tt.resolve_stop("Nowhere")
    # Platform change within the station (60 s) is walked implicitly.
    [j] = plan_query(tt, "X", "Y", "2024-06-03 07:00")
    assert trips_of(tt, j) == ["in", "out"] and hm(tt, j) == "06-03 08:30"
    [j] = plan_query(tt, "Central", "Y", "2024-06-03 08:11")
    assert trips_of(tt, j) == ["out"]


def test_past_midnight_trip_of_yesterdays_service(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, calendar_txt="""
        service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
        mon,1,0,0,0,0,0,0,20240101,20251231
    """, trips_txt="""
        route_id,service_id,trip_id
        r1,mon,night
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        night,23:50:00,23:50:00,A,1
        night,25:10:00,25:20:00,B,2
        night,26:05:00,26:05:00,C,3
    """))
    # Board at B on Tuesday 01:20: the trip belongs to Monday's service day.
    [j] = plan_query(tt, "B", "C", "2024-06-04 01:00")
    assert hm(tt, j, "depart") == "06-04 01:20" and hm(tt, j) == "06-04 02:05"
    assert j.legs[0].service_date == dt.date(2024, 6, 3)
    assert plan_query(tt, "B", "C", "2024-06-05 01:00") == []  # Tuesday's service day: none


def test_calendar_dates_add_and_remove(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt="""
        route_id,service_id,trip_id
        r1,wk,weekday
        r1,extra,holiday
    """, calendar_dates_txt="""
        service_id,date,exception_type
        wk,20240603,2
        extra,20240603,1
        extra,20240608,1
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        weekday,08:00:00,08:00:00,A,1
        weekday,08:30:00,08:30:00,B,2
        holiday,10:00:00,10:00:00,A,1
        holiday,10:45:00,10:45:00,B,2
    """))
    # Monday 2024-06-03: the weekday service is removed, the extra one added.
    [j] = plan_query(tt, "A", "B", "2024-06-03 07:00")
    assert trips_of(tt, j) == ["holiday"]
    [j] = plan_query(tt, "A", "B", "2024-06-04 07:00")
    assert trips_of(tt, j) == ["weekday"]
    [j] = plan_query(tt, "A", "B", "2024-06-08 07:00")  # Saturday: only calendar_dates
    assert trips_of(tt, j) == ["holiday"]
    assert plan_query(tt, "A", "B", "2024-06-09 07:00", horizon_hours=12) == []


def test_frequencies_expand_to_instances(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt="""
        route_id,service_id,trip_id
        r1,all,f
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        f,06:00:00,06:00:00,A,1
        f,06:07:00,06:08:00,B,2
        f,06:20:00,06:20:00,C,3
    """, frequencies_txt="""
        trip_id,start_time,end_time,headway_secs
        f,06:00:00,07:00:00,600
        f,17:00:00,18:00:00,1800
    """))
    [j] = plan_query(tt, "A", "C", "2024-06-03 06:05")
    assert hm(tt, j, "depart") == "06-03 06:10" and hm(tt, j) == "06-03 06:30"
    [j] = plan_query(tt, "B", "C", "2024-06-03 06:55")  # the 06:50 run passes B at 06:58
    assert hm(tt, j, "depart") == "06-03 06:58"
    [j] = plan_query(tt, "A", "C", "2024-06-03 06:51")  # the next is 17:00
    assert hm(tt, j, "depart") == "06-03 17:00"


def test_overtaking_trips_in_one_pattern(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt="""
        route_id,service_id,trip_id
        r1,all,local
        r1,all,express
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        local,08:00:00,08:00:00,A,1
        local,08:30:00,08:30:00,B,2
        local,09:30:00,09:30:00,C,3
        express,08:10:00,08:10:00,A,1
        express,08:20:00,08:20:00,B,2
        express,08:40:00,08:40:00,C,3
    """))
    assert len(tt.patterns) == 1
    [j] = plan_query(tt, "A", "C", "2024-06-03 07:55")
    assert trips_of(tt, j) == ["express"] and hm(tt, j) == "06-03 08:40"


def test_pickup_and_drop_off_rules(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt="""
        route_id,service_id,trip_id
        r1,all,t
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type
        t,08:00:00,08:00:00,A,1,0,1
        t,08:10:00,08:10:00,B,2,1,0
        t,08:20:00,08:20:00,C,3,0,1
        t,08:30:00,08:30:00,D,4,1,0
    """))
    assert plan_query(tt, "B", "D", "2024-06-03 07:00") == []  # no boarding at B
    assert plan_query(tt, "A", "C", "2024-06-03 07:00") == []  # no alighting at C
    [j] = plan_query(tt, "A", "B", "2024-06-03 07:00")
    assert hm(tt, j) == "06-03 08:10"


def test_untimed_stops_are_interpolated(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt="""
        route_id,service_id,trip_id
        r1,all,t
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence,timepoint
        t,08:00:00,08:00:00,A,1,1
        t,,,B,2,0
        t,08:20:00,08:20:00,C,3,1
    """))
    [j] = plan_query(tt, "A", "B", "2024-06-03 07:00")
    assert hm(tt, j) == "06-03 08:10"


def test_stop_time_zones_and_dst(make_feed: MakeFeed) -> None:
    stops = """
        stop_id,stop_name,stop_lat,stop_lon,stop_timezone
        NY,New York,40.7,-74.0,
        CH,Chicago,41.9,-87.6,America/Chicago
    """
    feed = make_feed(tz="America/New_York", stops_txt=stops, trips_txt="""
        route_id,service_id,trip_id
        r1,all,t
    """, stop_times_txt="""
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        t,03:00:00,03:00:00,NY,1
        t,05:00:00,05:00:00,CH,2
    """)
    tt = load_timetable(feed)
    # 2024-03-10 is the spring-forward day: GTFS time 03:00 is noon - 12 h + 3 h = 03:00 EDT.
    [j] = plan_query(tt, "NY", "CH", "2024-03-10 00:00")
    assert hm(tt, j, "depart") == "03-10 03:00"
    assert hm(tt, j) == "03-10 04:00"  # 05:00 New York time, shown in Chicago time
    # --tz: the departure given in another zone.
    [j] = plan_query(tt, "NY", "CH", "2024-03-11 01:30", tz="America/Chicago")
    assert hm(tt, j, "depart") == "03-11 03:00"


@pytest.mark.parametrize("bad, match", [
    ({"agency_txt": "agency_id,agency_name,agency_url,agency_timezone\na,T,https://x,Mars/Base"},
     "agency_timezone"),
    ({"stop_times_txt": "trip_id,stop_id\nt,A"}, "stop_sequence"),
])
def test_bad_feeds_raise_plan_errors(make_feed: MakeFeed, bad: dict[str, str],
                                     match: str) -> None:
    files = {"stops_txt": STOPS, "trips_txt": "route_id,service_id,trip_id\nr1,all,t",
             "stop_times_txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence",
             **bad}
    with pytest.raises(PlanError, match=match):
        load_timetable(make_feed(**files))


def test_bad_queries_raise_plan_errors(make_feed: MakeFeed) -> None:
    tt = load_timetable(make_feed(stops_txt=STOPS, trips_txt=TRANSFER_TRIPS,
                                  stop_times_txt=TRANSFER_TIMES))
    with pytest.raises(PlanError, match="YYYY-MM-DD HH:MM"):
        plan_query(tt, "A", "D", "tomorrow")
    with pytest.raises(PlanError, match="time zone"):
        plan_query(tt, "A", "D", "2024-06-03 08:00", tz="Nowhere/City")
    with pytest.raises(PlanError, match="no such file"):
        load_timetable(make_feed().parent / "missing.zip")


def test_the_feed_is_read_as_the_validator_reads_it(make_feed: MakeFeed) -> None:
    """BOM, CRLF, a quoted newline and padded cells: the planner sees what ``validate`` sees."""
    feed = make_feed(trips_txt="route_id,service_id,trip_id\nr1,all,t1")
    (feed / "stops.txt").write_bytes(
        "\ufeffstop_id,stop_name,stop_lat,stop_lon\r\n"
        'A,"Alpha\r\nNorth",50.0,10.0\r\n'
        "B , Bravo ,50.1,10.1\r\n".encode()
    )
    (feed / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "t1, 08:00:00,08:00:00,A,1\n"
        "t1,08:30:00,,B,2\n",
        encoding="utf-8",
    )
    tt = load_timetable(feed)
    assert list(tt.stop_ids) == ["A", "B"]
    assert tt.stop_names[0] == "Alpha\r\nNorth" and tt.stop_names[1] == "Bravo"
    [j] = plan_query(tt, "A", "Bravo", "2024-06-03 07:00")
    assert hm(tt, j, "depart") == "06-03 08:00" and hm(tt, j) == "06-03 08:30"


def test_a_header_the_validator_refuses_is_a_located_plan_error(make_feed: MakeFeed) -> None:
    feed = make_feed(stops_txt=STOPS, trips_txt="route_id,service_id,trip_id\nr1,all,t1",
                     stop_times_txt=TRANSFER_TIMES)
    (feed / "routes.txt").write_text("route_id,route_id,route_type\nr1,r1,2\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"routes\.txt: column 'route_id' appears twice"):
        load_timetable(feed)
    (feed / "routes.txt").write_text("route_id,agency_id\nr1,a\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"routes\.txt: no column 'route_type' \(header: "):
        load_timetable(feed)
