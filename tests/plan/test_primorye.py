"""The journey planner on the Primorye feed, built from source/ (and the published zip)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gtfs_builder.cli import main
from gtfs_builder.plan import format_journey, load_timetable, plan_query

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "source" / "primorye"
PUBLISHED = REPO / "feeds" / "primorye.zip"
FIXTURE = REPO / "tests" / "consumers" / "fixture_feed"


@pytest.fixture(scope="module", params=["built", "published"])
def feed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.param == "published":
        if not PUBLISHED.is_file():
            pytest.skip("feeds/primorye.zip not published yet")
        return PUBLISHED
    out = tmp_path_factory.mktemp("plan") / "primorye.zip"
    if SOURCE.is_dir():
        from gtfs_builder.publish import build_feed

        return build_feed(SOURCE, out)
    with zipfile.ZipFile(out, "w") as zf:  # pragma: no cover - before the source landed
        for f in sorted(FIXTURE.glob("*.txt")):
            zf.write(f, f.name)
    return out


def test_monday_khasan_to_tumangang_arrives_1447_pyongyang(feed: Path) -> None:
    tt = load_timetable(feed)
    journeys = plan_query(tt, "Khasan", "Tumangang", "2024-12-16 15:00")
    assert journeys, "no journey on Monday"
    j = journeys[-1]
    assert j.transfers == 0
    text = format_journey(tt, j)
    assert "Mon 2024-12-16 15:30 Asia/Vladivostok" in text
    assert "arr" in text and "Mon 2024-12-16 14:47 Asia/Pyongyang" in text
    assert [tt.trip_label[leg.trip] for leg in j.legs if leg.kind == "trip"] == ["646"]


def test_tuesday_no_journey(feed: Path) -> None:
    assert plan_query(feed, "Khasan", "Tumangang", "2024-12-17 15:00") == []


def test_grodekovo_suifenhe_in_china_time(feed: Path) -> None:
    [j] = plan_query(feed, "Grodekovo", "Suifenhe", "2024-12-17 12:00")
    text = format_journey(load_timetable(feed), j)
    assert "Tue 2024-12-17 17:43 Asia/Vladivostok" in text
    assert "Tue 2024-12-17 17:14 Asia/Shanghai" in text


def test_cli_plan(feed: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["plan", str(feed), "Хасан", "두만강", "--depart", "2024-12-16 15:00"])
    assert ok.exit_code == 0, ok.output
    assert "14:47 Asia/Pyongyang" in ok.output and "646" in ok.output
    # Same question asked in Moscow time: 08:00 MSK = 15:00 Vladivostok.
    msk = runner.invoke(main, ["plan", str(feed), "Khasan", "Tumangang", "--depart",
                               "2024-12-16 08:00", "--tz", "Europe/Moscow"])
    assert msk.exit_code == 0 and "14:47 Asia/Pyongyang" in msk.output
    ko = runner.invoke(main, ["plan", str(feed), "하산", "두만강", "--depart", "2024-12-16 15:00",
                              "--lang", "ko"])
    assert ko.exit_code == 0 and "dep 하산" in ko.output and "arr 두만강" in ko.output
    none = runner.invoke(main, ["plan", str(feed), "Khasan", "Tumangang", "--depart",
                                "2024-12-17 15:00"])
    assert none.exit_code == 1 and "no journey" in none.output


@pytest.mark.parametrize("args, message", [
    (["Khasan", "Atlantis", "--depart", "2024-12-16 15:00"], "no stop with id or name"),
    (["Khasan", "Tumangang", "--depart", "16.12.2024"], "YYYY-MM-DD HH:MM"),
    (["Khasan", "Tumangang", "--depart", "2024-12-16 15:00", "--tz", "Mars/Olympus"],
     "unknown time zone"),
])
def test_cli_bad_input_is_a_clean_error(feed: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["plan", str(feed), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["plan", "--help"])
    assert result.exit_code == 0
    assert "gtfs-builder plan feeds/primorye.zip Khasan Tumangang --depart" in result.output


def test_cli_not_a_feed(tmp_path: Path) -> None:
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["plan", str(bad), "A", "B", "--depart", "2024-12-16 15:00"])
    assert result.exit_code == 2 and "not a GTFS zip" in result.output
