"""``gtfs-builder render``: writes the site; a bad feed path or date is a one-line error, exit 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gtfs_builder.cli import main


def test_render_writes_the_site(primorye_zip: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["render", str(primorye_zip), "-o", str(out),
                                       "--date", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'index.html'}" in result.output
    for name in ("index.html", "map.html", "report.html", "assets/site.css", "assets/site.js",
                 "timetables/KHS-TMG-0.html", "timetables/GRD-SFH-1.html"):
        assert (out / name).is_file(), name


def test_render_bad_inputs(tmp_path: Path, primorye_zip: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["render", str(tmp_path / "nope.zip"), "-o", str(tmp_path)])
    assert missing.exit_code == 2
    assert "nope.zip: no such file or folder" in missing.output
    assert "Traceback" not in missing.output
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    bad = runner.invoke(main, ["render", str(junk), "-o", str(tmp_path / "s")])
    assert bad.exit_code == 2 and "not a zip" in bad.output
    date = runner.invoke(main, ["render", str(primorye_zip), "-o", str(tmp_path / "s"),
                                "--date", "2025-13-01"])
    assert date.exit_code == 2 and "YYYY-MM-DD" in date.output
    no_out = runner.invoke(main, ["render", str(primorye_zip)])
    assert no_out.exit_code == 2 and "--output" in no_out.output


def test_render_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["render", "--help"])
    assert result.exit_code == 0 and "gtfs-builder render feeds/primorye.zip" in result.output
