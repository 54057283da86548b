"""The bad-input catalogue: each problem located (file:line:column: path: message), all problems in
one run, exit code 2, no traceback, and nothing written to feeds/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gtfs_builder.cli import main

from .helpers import FEED_YAML, NETWORK_YAML, write_source

# (case, file, old text, new text, expected "line:column", expected path, message fragment)
CASES = [
    (
        "yaml_syntax",
        "network.yaml",
        'short_name: "1"',
        'short_name: "1',
        None,
        "",
        "YAML syntax error",
    ),
    (
        "unknown_key",
        "network.yaml",
        'short_name: "1"',
        'short_nme: "1"',
        "14:5",
        "routes[0].short_nme",
        "unknown key 'short_nme'; did you mean 'short_name'?",
    ),
    (
        "unknown_key_gtfs_style",
        "network.yaml",
        "    name: One",
        "    stop_nme: One",
        "3:5",
        "stations[0].stop_nme",
        "unknown key 'stop_nme'; did you mean 'name'?",
    ),
    (
        "missing_required",
        "network.yaml",
        "    lat: 42.0\n",
        "",
        "2:5",
        "stations[0]",
        "missing required field 'lat'",
    ),
    (
        "unknown_stop",
        "network.yaml",
        "- stop: S2",
        "- stop: S9",
        "20:19",
        "routes[0].patterns[0].stops[1].stop",
        "unknown stop 'S9'",
    ),
    (
        "bad_timezone",
        "network.yaml",
        "timezone: Asia/Pyongyang",
        "timezone: Asia/Pyongyng",
        "10:15",
        "stations[1].timezone",
        "'Asia/Pyongyng' is not an IANA time zone; did you mean 'Asia/Pyongyang'?",
    ),
    (
        "bad_time",
        "network.yaml",
        '"08:00"',
        '"25:99"',
        "25:24",
        "routes[0].patterns[0].trips[0].departure",
        "'25:99' is not a valid time (expected HH:MM, optionally followed by an IANA zone)",
    ),
    (
        "decreasing_times",
        "network.yaml",
        'departure: "08:00"',
        'times:\n              - departure: "08:00"\n              - arrival: "06:30"',
        "27:17",
        "routes[0].patterns[0].trips[0].times[1]",
        "times decrease along the trip",
    ),
    (
        "no_active_day",
        "feed.yaml",
        "days: [mon, tue, wed, thu, fri]\n    start_date: 2024-12-16\n    end_date: 2024-12-31",
        "days: [sat]\n    start_date: 2024-12-16\n    end_date: 2024-12-20",
        "12:5",
        "services[0]",
        "service 'WK' has no active day",
    ),
    (
        "duplicate_id",
        "network.yaml",
        "  - id: S2",
        "  - id: S1",
        "6:9",
        "stations[1].id",
        "duplicate stop id 'S1'",
    ),
    (
        "lat_out_of_range",
        "network.yaml",
        "lat: 42.0",
        "lat: 95.0",
        "4:10",
        "stations[0].lat",
        "latitude 95.0 is out of range",
    ),
    (
        "lon_out_of_range",
        "network.yaml",
        "lon: 130.1",
        "lon: 190.1",
        "9:10",
        "stations[1].lon",
        "longitude 190.1 is out of range",
    ),
    (
        "date_range_reversed",
        "feed.yaml",
        "end_date: 2024-12-31",
        "end_date: 2024-12-01",
        "15:15",
        "services[0].end_date",
        "date range ends before it starts",
    ),
    (
        "unknown_service",
        "network.yaml",
        "- service: WK",
        "- service: WKK",
        "23:22",
        "routes[0].patterns[0].trips[0].service",
        "unknown service 'WKK'; did you mean 'WK'?",
    ),
]


def _run(tmp_path: Path, source: Path) -> tuple[int, str]:
    feeds = tmp_path / "feeds"
    feeds.mkdir(exist_ok=True)
    (feeds / "previous.zip").write_bytes(b"previous")
    result = CliRunner().invoke(main, ["publish", str(source), "--feeds-dir", str(feeds)])
    assert sorted(p.name for p in feeds.iterdir()) == ["previous.zip"], "feeds/ was touched"
    assert (feeds / "previous.zip").read_bytes() == b"previous"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_bad_input_is_located(tmp_path: Path, case: tuple) -> None:
    _name, file, old, new, linecol, path, fragment = case
    texts = {"feed.yaml": FEED_YAML, "network.yaml": NETWORK_YAML}
    assert old in texts[file]
    texts[file] = texts[file].replace(old, new, 1)
    source = write_source(tmp_path / "src", texts["feed.yaml"], texts["network.yaml"])
    code, output = _run(tmp_path, source)
    assert code == 2, output
    lines = [ln for ln in output.splitlines() if fragment in ln]
    assert lines, output
    line = lines[0]
    assert re.match(rf"^{re.escape(str(source / file))}:\d+:\d+: ", line), line
    if linecol:
        assert line.startswith(f"{source / file}:{linecol}: {path}: "), line


def test_near_miss_builds(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src", FEED_YAML.replace("2024-12-31", "2024-12-20"))
    out = tmp_path / "f.zip"
    result = CliRunner().invoke(main, ["build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_all_problems_in_one_run(tmp_path: Path) -> None:
    network = NETWORK_YAML
    for old, new in [
        ('short_name: "1"', 'short_nme: "1"'),
        ("- stop: S2", "- stop: S9"),
        ('"08:00"', '"25:99"'),
        ("lat: 42.0", "lat: 95.0"),
        ("timezone: Asia/Pyongyang", "timezone: Mars/Olympus"),
    ]:
        network = network.replace(old, new, 1)
    feed = FEED_YAML.replace("end_date: 2024-12-31", "end_date: 2024-12-01")
    feed = feed.replace("    url: https://example.org\n", "")
    source = write_source(tmp_path / "src", feed, network)
    code, output = _run(tmp_path, source)
    assert code == 2
    for fragment in (
        "unknown key 'short_nme'",
        "unknown stop 'S9'",
        "'25:99' is not a valid time",
        "latitude 95.0",
        "'Mars/Olympus' is not an IANA time zone",
        "date range ends before it starts",
        "missing required field 'url'",
    ):
        assert fragment in output, (fragment, output)
    assert "7 problems in the source" in output


def test_yaml_syntax_error_in_two_files_both_reported(tmp_path: Path) -> None:
    source = write_source(
        tmp_path / "src",
        FEED_YAML.replace("lang: en", "lang: [en"),
        NETWORK_YAML.replace('"08:00"', '"08:00'),
    )
    code, output = _run(tmp_path, source)
    assert code == 2
    assert output.count("YAML syntax error") == 2


def test_unknown_top_level_key_and_missing_folder(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src", FEED_YAML + "servces: []\n")
    code, output = _run(tmp_path, source)
    assert code == 2 and "did you mean 'services'?" in output
    code, output = _run(tmp_path, tmp_path / "nope")
    assert code == 2


def test_station_with_several_platforms_needs_one_named(tmp_path: Path) -> None:
    network = NETWORK_YAML.replace(
        "    lon: 130.0\n", "    lon: 130.0\n    platforms:\n      - id: S1a\n      - id: S1b\n", 1
    )
    source = write_source(tmp_path / "src", network=network)
    code, output = _run(tmp_path, source)
    assert code == 2 and "station 'S1' has 2 platforms (expected one of: S1a, S1b)" in output


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    network = NETWORK_YAML.replace("    lat: 42.0\n", "    lat: 42.0\n    lat: 42.5\n", 1)
    code, output = _run(tmp_path, write_source(tmp_path / "src", network=network))
    assert code == 2 and "network.yaml:5:5:" in output and "duplicate key" in output, output


def test_json_source_is_yaml_too(tmp_path: Path) -> None:
    """A .json file is read like YAML (JSON is YAML); the same data gives the same bytes."""
    import json

    from gtfs_builder.publish import build_feed
    from gtfs_builder.source.loader import _fast_loader

    yaml_src = write_source(tmp_path / "y")
    json_src = tmp_path / "j"
    json_src.mkdir()
    for name in ("feed", "network"):
        data = _fast_loader()((yaml_src / f"{name}.yaml").read_text())
        (json_src / f"{name}.json").write_text(json.dumps(data, default=str))
    a = build_feed(yaml_src, tmp_path / "a.zip").read_bytes()
    b = build_feed(json_src, tmp_path / "b.zip").read_bytes()
    assert a == b
    bad = (json_src / "network.json").read_text().replace('"S2"', '"S9"', 1)
    (json_src / "network.json").write_text(bad)
    code, output = _run(tmp_path, json_src)
    assert code == 2 and "network.json:1:" in output, output
