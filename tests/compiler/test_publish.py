"""The publish gate: a feed reaches feeds/ only when validation finds no ERROR; a refused or
broken build leaves the previously published feed untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import gtfs_builder.validate as validate_pkg
from gtfs_builder.cli import main
from gtfs_builder.publish import publish

from .helpers import PRIMORYE, write_source


def test_publish_primorye(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    result = CliRunner().invoke(
        main, ["publish", str(PRIMORYE), "--feeds-dir", str(feeds), "--date", "2024-12-16"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in feeds.iterdir()) == [
        "CHANGELOG.md",
        "primorye.report.json",
        "primorye.zip",
    ]


def test_refused_feed_leaves_previous_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_source(tmp_path / "net")
    feeds = tmp_path / "feeds"
    first = publish(source, feeds, date="2024-12-16")
    assert first.published
    before = first.feed.read_bytes()

    from gtfs_builder.validate.notices import Severity

    real = validate_pkg.validate

    class Failing:
        """The real report, but claiming an ERROR (the gate must not look further)."""

        max_severity = Severity.ERROR

        def __init__(self, report: object) -> None:
            self._r = report

        def __getattr__(self, name: str) -> object:
            return getattr(self._r, name)

    monkeypatch.setattr(validate_pkg, "validate", lambda *a, **k: Failing(real(*a, **k)))
    (source / "network.yaml").write_text(
        (source / "network.yaml").read_text().replace('"08:00"', '"09:00"')
    )
    result = CliRunner().invoke(main, ["publish", str(source), "--feeds-dir", str(feeds)])
    assert result.exit_code == 1, result.output
    assert "NOT published" in result.output
    assert first.feed.read_bytes() == before
    assert sorted(p.name for p in feeds.iterdir()) == ["CHANGELOG.md", "net.report.json", "net.zip"]


def test_build_cli_writes_zip(tmp_path: Path) -> None:
    out = tmp_path / "out" / "p.zip"
    result = CliRunner().invoke(main, ["build", str(PRIMORYE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


@pytest.mark.parametrize("command", ["build", "publish"])
def test_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_geojson_and_platforms(tmp_path: Path) -> None:
    from .helpers import NETWORK_YAML, build_tables

    network = NETWORK_YAML.replace(
        "    lon: 130.0\n",
        "    lon: 130.0\n    platforms:\n      - id: S1a\n        platform_code: '1'\n",
        1,
    ).replace("        stops:\n", "        shape: {geojson: line.geojson}\n        stops:\n", 1)
    geo = '{"type": "LineString", "coordinates": [[130.0, 42.0], [130.05, 42.02], [130.1, 42.1]]}'
    source = write_source(tmp_path / "src", network=network, **{"line.geojson": geo})
    t = build_tables(source, tmp_path)
    stops = {s["stop_id"]: s for s in t["stops"]}
    assert stops["S1"]["location_type"] == "1" and stops["S1a"]["parent_station"] == "S1"
    assert stops["S1a"]["stop_timezone"] == stops["S1"]["stop_timezone"] == "Asia/Vladivostok"
    assert len(t["shapes"]) == 3
    st = sorted(t["stop_times"], key=lambda r: int(r["stop_sequence"]))
    assert st[0]["stop_id"] == "S1a"
    assert float(st[-1]["shape_dist_traveled"]) == float(t["shapes"][-1]["shape_dist_traveled"])
    shutil.rmtree(source)
