"""Publishing writes what changed for riders into feeds/CHANGELOG.md, newest first."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from gtfs_builder.publish import CHANGELOG_HEADER, changelog_section, publish

from .helpers import PRIMORYE, SEATTLE

WHEN = "2024-12-16"


def test_publish_twice_names_the_change(tmp_path: Path) -> None:
    source = tmp_path / "src" / "primorye"
    shutil.copytree(PRIMORYE, source)
    feeds = tmp_path / "feeds"
    log = feeds / "CHANGELOG.md"

    first = publish(source, feeds, date=WHEN)
    assert first.published and first.changelog is not None
    assert "First publication: 2 routes, 4 stops, 4 trips; service 2024-12-15..2027-12-11." in (
        log.read_text()
    )

    again = publish(source, feeds, date=WHEN)  # same source: nothing for riders, no section
    assert again.published and again.changelog is None
    assert log.read_text().count("## primorye") == 1

    routes = source / "routes.yaml"
    text = routes.read_text()
    assert 'departure: "15:30 Asia/Vladivostok"' in text
    routes.write_text(text.replace('"15:30 Asia/Vladivostok"', '"15:40 Asia/Vladivostok"'))
    moved = publish(source, feeds, date=WHEN)
    assert moved.published and moved.changelog is not None
    content = log.read_text()
    assert content.startswith(CHANGELOG_HEADER)
    assert content.count("## primorye") == 2
    newest = content.index("Departures moved")
    assert newest < content.index("First publication")  # newest first
    assert "1 trip +10 min at every stop: route 645/646 [KHS-TMG] (1)" in content
    assert "train 646 (645/646) departs Хасан 15:40 instead of 15:30 (+10 min)" in content
    assert sorted(p.name for p in feeds.iterdir()) == [
        "CHANGELOG.md",
        "primorye.report.json",
        "primorye.zip",
    ]


def test_unreadable_previous_feed_does_not_block(tmp_path: Path) -> None:
    previous = tmp_path / "old.zip"
    previous.write_text("not a zip")
    now = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)
    section = changelog_section("net", previous, SEATTLE, now=now)
    assert section is not None
    assert section.startswith("## net \u2014 2025-01-02 03:04 UTC\n")
    assert "Published; what changed could not be worked out" in section
    assert "not a zip archive" in section
