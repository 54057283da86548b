"""``gtfs-builder validate``: exit codes 0/1/2, terminal summary, report.json shape, --rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import gtfs_builder.validate.rules  # noqa: F401  (registers every rule)
from gtfs_builder.cli import main
from gtfs_builder.validate.notices import NOTICE_TYPES, Notices
from gtfs_builder.validate.report import Report
from tests.validate.conftest import BASE_FEED

DATE = ["--date", "2025-06-01"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    target = tmp_path / "feed"
    shutil.copytree(BASE_FEED, target)
    return target


def test_valid_feed_exits_0(feed: Path) -> None:
    code, out = run(str(feed), *DATE)
    assert code == 0, out
    assert "0 errors, 0 warnings" in out
    assert "no notices" in out


def test_error_exits_1_and_writes_canonical_json(feed: Path, tmp_path: Path) -> None:
    (feed / "agency.txt").unlink()
    report = tmp_path / "report.json"
    html = tmp_path / "report.html"
    code, out = run(str(feed), *DATE, "-o", str(report), "--html", str(html))
    assert code == 1
    assert "ERROR" in out and "missing_required_file" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert set(data) == {"summary", "notices"}
    first = data["notices"][0]
    assert set(first) == {"code", "severity", "totalNotices", "sampleNotices"}
    by_code = {n["code"]: n for n in data["notices"]}
    missing = by_code["missing_required_file"]
    assert missing["severity"] == "ERROR" and missing["totalNotices"] == 1
    assert missing["sampleNotices"] == [{"filename": "agency.txt"}]
    assert data["summary"]["counts"]["ERROR"] >= 1
    assert "missing_required_file" in html.read_text(encoding="utf-8")


def test_fail_on_threshold(feed: Path) -> None:
    (feed / "feed_info.txt").unlink()  # only a WARNING: missing_recommended_file
    assert run(str(feed), *DATE)[0] == 0
    assert run(str(feed), *DATE, "--fail-on", "warning")[0] == 1
    assert run(str(feed), *DATE, "--fail-on", "never")[0] == 0


def test_rules_config_disables_and_changes_severity(feed: Path, tmp_path: Path) -> None:
    (feed / "feed_info.txt").unlink()
    off = tmp_path / "off.yaml"
    off.write_text("disable: [missing_recommended_file]\n", encoding="utf-8")
    assert run(str(feed), *DATE, "--fail-on", "warning", "--rules", str(off))[0] == 0
    up = tmp_path / "up.json"
    up.write_text('{"severity": {"missing_recommended_file": "ERROR"}}', encoding="utf-8")
    code, out = run(str(feed), *DATE, "--rules", str(up))
    assert code == 1 and "ERROR   missing_recommended_file" in out


def test_rules_config_unknown_code_is_a_clear_error(feed: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("disable: [no_such_code]\n", encoding="utf-8")
    code, out = run(str(feed), "--rules", str(bad))
    assert code == 2 and "no_such_code" in out and "Traceback" not in out


@pytest.mark.parametrize("kind", ["missing", "not_a_zip", "bad_date"])
def test_unreadable_input_exits_2_with_one_line(kind: str, tmp_path: Path, feed: Path) -> None:
    args: list[str]
    if kind == "missing":
        args = [str(tmp_path / "nope.zip")]
    elif kind == "not_a_zip":
        junk = tmp_path / "feed.zip"
        junk.write_bytes(b"this is not a zip archive\n")
        args = [str(junk)]
    else:
        args = [str(feed), "--date", "2025-13-45"]
    code, out = run(*args)
    assert code == 2
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1, out


def test_zip_input(feed: Path, tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "feed"), "zip", feed)
    assert run(archive, *DATE)[0] == 0


def test_help_has_an_example() -> None:
    code, out = run("--help")
    assert code == 0 and "Example" in out and "--fail-on" in out


def test_summary_stays_short_with_a_million_notices() -> None:
    notices = Notices(max_samples=5)
    for code in sorted(NOTICE_TYPES)[:60]:
        for i in range(20):
            notices.add(code, filename="stops.txt", csvRowNumber=i)
    notices.counts[sorted(NOTICE_TYPES)[0]] += 1_000_000
    report = Report(notices, input="big.zip")
    text = report.summary_text(max_lines=30)
    assert len(text.splitlines()) <= 30
    assert "more codes" in text
    assert all(len(s) <= 5 for s in notices.samples.values())


def test_summary_omits_the_sample_line_of_a_notice_without_fields(feed: Path) -> None:
    (feed / "calendar.txt").unlink()
    (feed / "calendar_dates.txt").unlink()
    code, out = run(str(feed), *DATE)
    assert code == 1
    lines = out.splitlines()
    code_line = "missing_calendar_and_calendar_date_files: 1"
    at = next(i for i, line in enumerate(lines) if code_line in line)
    assert "e.g." not in "".join(lines[at + 1 : at + 2])  # no empty sample after it
    assert all(line.strip() != "e.g." for line in lines)
    assert "e.g. childFilename=trips.txt" in out  # samples with fields are still shown
