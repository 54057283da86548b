"""gtfs-to-html renders our timetables without errors or warnings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from consumer_support import FeedUnderTest, run_checked

pytestmark = pytest.mark.consumers


def _text(html: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8")).split())


def test_renders_timetables(feed: FeedUnderTest, node_bin: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "agencies": [{"agency_key": "primorye", "path": str(feed.zip)}],
        "sqlitePath": str(tmp_path / "gtfs.sqlite"),
        "outputFormat": "html",
        "showMap": False,
        "verbose": True,
    }))
    # It always writes to ./html/ of its working directory: run it in the test's own folder.
    proc = run_checked([str(node_bin / "gtfs-to-html"), "--configPath", str(config)],
                       cwd=tmp_path)
    out_dir = tmp_path / "html" / "primorye"
    log = (out_dir / "log.txt").read_text(encoding="utf-8")
    assert "Timetable Page Count" in log, log
    warnings = re.search(r"Warnings\s*│\s*(\d+)", proc.stdout)
    assert warnings and warnings.group(1) == "0", proc.stdout[-2000:]
    assert "error" not in proc.stderr.lower(), proc.stderr[-2000:]
    assert (out_dir / "index.html").is_file()

    pages = [_text(p) for p in sorted(out_dir.glob("*/*.html"))]
    assert pages, "no timetable page written"
    # gtfs-to-html prints stop_times as they are (agency time), in 12-hour clock.
    assert any("3:30pm" in p and "3:47pm" in p for p in pages), "train 646 not rendered"
    assert any("5:43pm" in p and "7:14pm" in p for p in pages), "train 401 not rendered"
    assert any("Mon, Wed, Fri" in p and "3:30pm" in p for p in pages)
