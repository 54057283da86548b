"""Round trip over every real feed the validator finds free of ERRORs: import → build → compare.

Every table is compared after normalising row order and stop/shape sequence numbering; the
differences are printed per table and column, and any loss of data fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gtfs_builder.importer import import_feed
from gtfs_builder.importer.compare import compare_feeds
from gtfs_builder.publish import build_feed
from gtfs_builder.validate import validate
from gtfs_builder.validate.notices import Severity

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
ALL = sorted(FEEDS.glob("*.zip"))


def test_the_shared_feeds_are_there() -> None:
    assert len(ALL) >= 5, f"expected the real feeds in {FEEDS}"


@pytest.mark.parametrize("feed", ALL, ids=[p.stem for p in ALL])
def test_round_trip(feed: Path, tmp_path: Path) -> None:
    report = validate(feed)
    errors = [c for c in report.codes() if report.severity(c) == Severity.ERROR]
    assert "runtime_exception_in_validator_error" not in errors, "validator bug, not the feed's"
    if errors:
        pytest.skip(f"{feed.name}: ERROR notices ({', '.join(errors)}): not a candidate")
    result = import_feed(feed, tmp_path / "source" / feed.stem)
    assert result.counts["trips"] > 0
    rebuilt = build_feed(result.output, tmp_path / "rebuilt.zip")
    diff = compare_feeds(feed, rebuilt)
    print(f"{feed.name}: {result.counts}\n{diff.summary()}")
    assert not diff.lost, diff.summary()
    assert not result.not_kept
    # the rebuilt feed is as publishable as the original
    again = validate(rebuilt)
    assert not [c for c in again.codes() if again.severity(c) == Severity.ERROR]
