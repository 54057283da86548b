"""Every command that reads a feed answers unusable input with one located line, never a
traceback: exit 2 when there is nothing to work on. ``validate`` alone reports an empty or
incomplete feed as validation ERRORs (exit 1), as the canonical validator does."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from gtfs_builder.cli import main

FEED = {
    "agency.txt": "agency_name,agency_url,agency_timezone\nBus,https://bus.test,Europe/Paris\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nA,Alpha,48.1,2.1\nB,Beta,48.2,2.2\n",
    "routes.txt": "route_id,route_short_name,route_type\nR,1,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR,S,T\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nS,1,1,1,1,1,0,0,20250101,20251231\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T,08:00:00,08:00:00,A,1\nT,08:10:00,08:10:00,B,2\n",
}


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _text_as_zip(tmp: Path) -> Path:
    path = tmp / "notes.zip"
    path.write_text("this is a text file\n")
    return path


def _folder(tmp: Path) -> Path:
    path = tmp / "folder"
    path.mkdir()
    (path / "README").write_text("not a feed\n")
    return path


BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda tmp: tmp / "gone.zip", "gone.zip: no such file or"),
    "folder": (_folder, "folder: the folder holds no GTFS file"),
    "text": (_text_as_zip, "notes.zip: not a zip archive"),
    "empty zip": (lambda tmp: _zip(tmp / "empty.zip", {}), "empty.zip: the archive holds no"),
    "no stop_times": (
        lambda tmp: _zip(tmp / "partial.zip", {k: v for k, v in FEED.items() if "times" not in k}),
        "partial.zip: ",
    ),
}
UNREADABLE = ("missing", "text")  # validate: no report is possible


def _args(command: str, feed: Path, tmp: Path) -> list[str]:
    if command == "diff":
        return ["diff", str(_zip(tmp / "good.zip", FEED)), str(feed)]
    if command in ("render", "import"):
        return [command, str(feed), "-o", str(tmp / "out")]
    return ["validate", str(feed), "--date", "2025-06-01"]


@pytest.mark.parametrize("case", BAD_INPUTS)
@pytest.mark.parametrize("command", ["validate", "render", "import", "diff"])
def test_bad_feed_is_one_line_and_no_traceback(command: str, case: str, tmp_path: Path) -> None:
    make, message = BAD_INPUTS[case]
    feed = make(tmp_path)
    result = CliRunner().invoke(main, _args(command, feed, tmp_path))
    assert isinstance(result.exception, SystemExit), result.output  # not a traceback
    if command == "validate" and case not in UNREADABLE:
        assert result.exit_code == 1
        assert "missing_required_file" in result.output
        return
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    if case == "no stop_times":
        assert "stop_times.txt" in lines[0]
    assert not (tmp_path / "out").exists()  # nothing written for an unusable feed


def test_the_good_feed_is_accepted_by_every_command(tmp_path: Path) -> None:
    """The fixture the bad cases are cut from is a feed every command takes."""
    feed = _zip(tmp_path / "good.zip", FEED)
    runner = CliRunner()
    for command in ("render", "import"):
        out = tmp_path / command
        result = runner.invoke(main, [command, str(feed), "-o", str(out)])
        assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["diff", str(feed), str(feed)]).exit_code == 0
    validated = runner.invoke(main, ["validate", str(feed), "--date", "2025-06-01"])
    assert validated.exit_code == 0, validated.output
