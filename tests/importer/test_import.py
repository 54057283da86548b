"""Import on small hand-made feeds: pattern grouping, headways, unknown columns and files, bad
input, and the Primorye feed re-imported to the same bytes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gtfs_builder.cli import main
from gtfs_builder.importer import FeedImportError, import_feed
from gtfs_builder.importer.compare import compare_feeds
from gtfs_builder.importer.convert import regular_runs
from gtfs_builder.publish import build_feed
from gtfs_builder.source import load_source

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    # one agency without agency_id; routes without agency_id; no feed_info.txt
    "agency.txt": "agency_name,agency_url,agency_timezone\nTest Bus,https://bus.test,Europe/Paris\n",
    # a station with a platform, a generic node, a zone_id and a level_id (no source key)
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,zone_id,level_id\n"
        "STA,Gare,48.1000001,2.1,1,,Z1,\n"
        "P1,Gare quai 1,48.1,2.1,0,STA,Z1,L0\n"
        "NODE,Couloir,,,3,STA,,L0\n"
        "B,Mairie,48.2,2.2,0,,Z2,\n"
        "C,Eglise,48.3,2.3,0,,Z2,\n"
        "D,Marché,48.4,2.4,0,,Z3,\n"
    ),
    "routes.txt": "route_id,route_short_name,route_type,network_id\nR1,1,3,N\n",
    # calendar_dates only
    "calendar_dates.txt": "service_id,date,exception_type\nS,20250601,1\nS,20250602,1\n",
    "levels.txt": "level_id,level_index\nL0,0\n",
    "notes.txt": "note_id,text\n1,\"a note, with a comma\"\n",
}


def trips_and_times(rows: list[tuple[str, list[tuple[str, str, str]]]], extra: str = "") -> dict:
    """trips.txt and stop_times.txt for (trip_id, [(stop, arrival, departure) ...]) rows."""
    trips = "route_id,service_id,trip_id,direction_id,trip_note\n"
    times = "trip_id,arrival_time,departure_time,stop_id,stop_sequence,my_col\n"
    for tid, stops in rows:
        trips += f"R1,S,{tid},0,{'n' + tid if tid in ('SLOW', 'H13') else ''}\n"
        for seq, (stop, a, d) in enumerate(stops):
            times += f"{tid},{a},{d},{stop},{seq * 10},{'x' if stop == 'C' else ''}\n"
    return {"trips.txt": trips + extra, "stop_times.txt": times}


def make_feed(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def abcd(start_h: int, run: int = 5) -> list[tuple[str, str, str]]:
    """P1 → B → C (no time) → D, leaving at start_h:00, ``run`` minutes between timed stops."""
    h = f"{start_h:02d}"
    t = [f"{h}:00:00", f"{h}:{run:02d}:00", f"{h}:{3 * run:02d}:00"]
    return [("P1", t[0], t[0]), ("B", t[1], t[1]), ("C", "", ""), ("D", t[2], t[2])]


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    rows = [(f"T{h}", abcd(h)) for h in (6, 7, 8)]  # same run times: one departures list
    rows.append(("SLOW", abcd(9, run=7)))  # same stops, other run times: explicit times
    rows.append(("SHORT", [("B", "10:00:00", "10:00:00"), ("D", "10:20:00", "10:21:00")]))
    freq = "trip_id,start_time,end_time,headway_secs\nT6,06:00:00,07:00:00,1200\n"
    files = {**BASE, **trips_and_times(rows), "frequencies.txt": freq}
    return make_feed(tmp_path / "feed.zip", files)


def test_trips_group_into_patterns(feed: Path, tmp_path: Path) -> None:
    result = import_feed(feed, tmp_path / "src")
    routes = json.loads((tmp_path / "src" / "routes.json").read_text())["routes"]
    patterns = routes[0]["patterns"]
    assert len(patterns) == 2 and result.counts["patterns"] == 2
    long = next(p for p in patterns if len(p["stops"]) == 4)
    assert [s["stop"] for s in long["stops"]] == ["P1", "B", "C", "D"]
    assert long["stops"][2]["untimed"] is True and long["stops"][2]["extra"] == {"my_col": "x"}
    assert [s.get("run") for s in long["stops"]] == [None, 5, 0, 10]
    regular, explicit = long["trips"]
    assert regular["departures"] == ["06:00:00", "07:00:00", "08:00:00"]
    assert regular["ids"] == ["T6", "T7", "T8"]
    assert explicit["id"] == "SLOW" and explicit["times"][2] is None
    assert explicit["extra"] == {"trip_note": "nSLOW"}
    assert explicit["times"][1] == "09:07:00"
    short = next(p for p in patterns if len(p["stops"]) == 2)
    # arrival ≠ departure at the last stop: the pattern cannot say it, the trip has its own times
    assert short["trips"][0]["times"][1] == {"arrival": "10:20:00", "departure": "10:21:00"}


def test_rebuild_keeps_everything(feed: Path, tmp_path: Path) -> None:
    src = import_feed(feed, tmp_path / "src").output
    kept = sorted(p.name for p in (src / "files").iterdir())
    assert kept == ["frequencies.txt", "levels.txt", "notes.txt"]
    rebuilt = build_feed(src, tmp_path / "out.zip")
    diff = compare_feeds(feed, rebuilt)
    assert not diff.lost, diff.summary()
    with zipfile.ZipFile(rebuilt) as zf:
        names = set(zf.namelist())
        stops = zf.read("stops.txt").decode()
        stop_times = zf.read("stop_times.txt").decode().splitlines()
        trips = zf.read("trips.txt").decode()
    assert "feed_info.txt" not in names and "calendar.txt" not in names  # none gained
    assert {"levels.txt", "notes.txt", "frequencies.txt"} <= names
    header = stops.splitlines()[0].split(",")
    assert "stop_timezone" not in header and {"zone_id", "level_id"} <= set(header)
    assert "48.1000001" in stops  # coordinates as given, not rounded
    assert "NODE,Couloir,,," in stops  # a node without coordinates stays without
    assert "trip_note" in trips.splitlines()[0] and "SLOW,0,,nSLOW" in trips  # where given
    row = next(r for r in stop_times if r.startswith("T6,") and ",C," in r)
    assert row.startswith("T6,,,C,")  # the untimed stop has no times


def test_loss_is_detected(feed: Path, tmp_path: Path) -> None:
    """The comparison is not blind: a changed time and a dropped column are both losses."""
    files = {**BASE, **trips_and_times([(f"T{h}", abcd(h)) for h in (6, 7, 8)])}
    original = make_feed(tmp_path / "a.zip", files)
    changed = dict(files, **{"stop_times.txt": files["stop_times.txt"].replace("07:05", "07:06")})
    changed["stops.txt"] = "\n".join(
        ",".join(line.split(",")[:-1]) for line in files["stops.txt"].splitlines()
    )
    diff = compare_feeds(original, make_feed(tmp_path / "b.zip", changed))
    assert diff.lost
    by_name = {t.name: t for t in diff.tables}
    assert by_name["stop_times.txt"].lost == {"arrival_time": 1, "departure_time": 1}
    assert by_name["stops.txt"].lost == {"level_id": 2}


def test_regular_runs() -> None:
    assert regular_runs([0, 10, 20, 30, 45]) == [(0, 4)]
    assert regular_runs([0, 10, 20, 35, 50, 65, 80]) == [(2, 7)]
    assert regular_runs([0, 10, 20]) == []  # too short


def test_headways_become_frequencies_only_for_identical_trips(tmp_path: Path) -> None:
    rows = [(f"H{h}", abcd(h)) for h in range(5, 11)]  # hourly, identical: one frequency
    rows.append(("H11", abcd(11, run=6)))  # on the headway but other run times: stays a trip
    rows.append(("H12", abcd(12)))  # on the headway but the sequence breaks (H11 is not in it)
    rows.append(("H13", abcd(13)))  # has a trip_note: carries data of its own
    files = {**BASE, **trips_and_times(rows)}
    feed = make_feed(tmp_path / "feed.zip", files)
    result = import_feed(feed, tmp_path / "src", headways=True)
    assert result.counts["trips as frequencies"] == 6
    pattern = json.loads((tmp_path / "src" / "routes.json").read_text())["routes"][0]["patterns"][0]
    assert pattern["frequencies"] == [
        {
            "id": "R1~1~f1",
            "service": "S",
            "start": "05:00:00",
            "end": "11:00:00",
            "headway_secs": 3600,
            "exact_times": True,
            "expand": True,
        }
    ]
    rebuilt = build_feed(result.output, tmp_path / "out.zip")
    with zipfile.ZipFile(rebuilt) as zf:
        assert "frequencies.txt" not in zf.namelist()  # expanded: every trip is written
        new = _times(zf.read("stop_times.txt").decode())
        trip_ids = {r.split(",")[2] for r in zf.read("trips.txt").decode().splitlines()[1:]}
    assert new == _times(files["stop_times.txt"])  # the same trips, times and stops
    assert {"H11", "H12", "H13"} <= trip_ids and "H5" not in trip_ids  # only the run renamed


def _times(csv_text: str) -> list[tuple[str, ...]]:
    """(arrival, departure, stop_id) of every row, trip ids left out, sorted."""
    lines = csv_text.splitlines()
    head = lines[0].split(",")
    cols = [head.index(c) for c in ("arrival_time", "departure_time", "stop_id")]
    return sorted(tuple(r.split(",")[i] for i in cols) for r in lines[1:])


def test_bad_input_is_a_clean_error(tmp_path: Path) -> None:
    not_zip = tmp_path / "feed.zip"
    not_zip.write_text("hello")
    with pytest.raises(FeedImportError, match="not a zip"):
        import_feed(not_zip, tmp_path / "a")
    missing = make_feed(tmp_path / "m.zip", {k: v for k, v in BASE.items() if k != "stops.txt"})
    with pytest.raises(FeedImportError, match=r"missing or empty stops\.txt"):
        import_feed(missing, tmp_path / "b")
    bad_time = {**BASE, **trips_and_times([("T", abcd(6))])}
    bad_time["stop_times.txt"] = bad_time["stop_times.txt"].replace("06:05:00", "6h05")
    with pytest.raises(FeedImportError, match="'6h05' is not a time"):
        import_feed(make_feed(tmp_path / "t.zip", bad_time), tmp_path / "d")
    no_id = {**BASE, "stops.txt": BASE["stops.txt"].replace("stop_id,", "id,", 1)}
    with pytest.raises(FeedImportError, match=r"stops\.txt: no column 'stop_id' \(header: id,"):
        import_feed(make_feed(tmp_path / "h.zip", no_id), tmp_path / "e")
    runner = CliRunner()
    res = runner.invoke(main, ["import", str(not_zip), "-o", str(tmp_path / "c")])
    assert res.exit_code == 2 and "not a zip archive" in res.output
    assert "Traceback" not in res.output


def test_cli_refuses_a_non_empty_folder(feed: Path, tmp_path: Path) -> None:
    out = tmp_path / "src"
    out.mkdir()
    (out / "keep.yaml").write_text("# mine\n")
    runner = CliRunner()
    res = runner.invoke(main, ["import", str(feed), "-o", str(out)])
    assert res.exit_code == 2 and "not empty" in res.output
    assert (out / "keep.yaml").exists()
    res = runner.invoke(main, ["import", str(feed), "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert not (out / "keep.yaml").exists() and (out / "routes.json").exists()
    assert load_source(out).literal


def test_primorye_reimports_to_the_same_bytes(tmp_path: Path) -> None:
    """The cross-border Primorye feed (stop time zones, translations, feed_info) comes back
    file for file identical: times stay in the agency zone, nothing is derived twice."""
    original = build_feed(ROOT / "source" / "primorye", tmp_path / "primorye.zip")
    src = import_feed(original, tmp_path / "primorye").output
    rebuilt = build_feed(src, tmp_path / "again.zip")
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(rebuilt) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_tables_the_format_cannot_annotate_are_kept_whole(tmp_path: Path) -> None:
    """calendar_dates.txt and shapes.txt with unknown columns stay as they are in files/."""
    files = {**BASE, **trips_and_times([("T6", abcd(6))])}
    files["calendar_dates.txt"] = "service_id,date,exception_type,why\nS,20250601,1,fete\n"
    files["shapes.txt"] = (
        "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,colour\nSH,48.1,2.1,1,red\n"
        "SH,48.4,2.4,2,red\n"
    )
    files["trips.txt"] = files["trips.txt"].replace("trip_note\n", "trip_note,shape_id\n")
    files["trips.txt"] = files["trips.txt"].replace("R1,S,T6,0,\n", "R1,S,T6,0,,SH\n")
    feed = make_feed(tmp_path / "feed.zip", files)
    result = import_feed(feed, tmp_path / "src")
    assert {"calendar_dates.txt", "shapes.txt"} <= set(result.files_kept)
    diff = compare_feeds(feed, build_feed(result.output, tmp_path / "out.zip"))
    assert not diff.lost, diff.summary()
